package loadbench_test

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/loadbench"
)

func TestMedian(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"no values give zero", nil, 0},
		{"odd count takes the middle", []float64{9, 1, 5}, 5},
		{"even count averages the middle two", []float64{4, 1, 3, 2}, 2.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := append([]float64(nil), tc.in...)
			if got := loadbench.Median(in); got != tc.want {
				t.Fatalf("Median(%v) = %v, want %v", tc.in, got, tc.want)
			}
			for i := range in {
				if in[i] != tc.in[i] {
					t.Fatal("Median reordered its input")
				}
			}
		})
	}
}

func run(config string, load loadbench.Load, round int, requests int64, p50us, p99us float64, ticks uint64) loadbench.Run {
	var rep loadbench.WrkReport
	rep.Requests, rep.DurationUS = requests, 1_000_000
	rep.LatencyUS.P50, rep.LatencyUS.P99 = p50us, p99us
	return loadbench.Run{Config: config, Load: load, Round: round, Report: rep, CPUTicks: ticks}
}

func approx(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestSummarizeTakesMediansAndRatiosToBareOfTheSameLoad(t *testing.T) {
	t.Parallel()
	R, D := loadbench.LoadReusedToken, loadbench.LoadDistinctToken
	bare, local := loadbench.ConfigBare, loadbench.ConfigLocal
	runs := []loadbench.Run{
		run(bare, R, 1, 10000, 1000, 2000, 100), run(local, R, 1, 9000, 1100, 2500, 100),
		run(bare, R, 2, 12000, 1000, 3000, 120), run(local, R, 2, 9500, 1200, 2600, 110),
		run(bare, R, 3, 11000, 900, 2500, 110), run(local, R, 3, 1000, 5000, 9000, 20), // an outlier round
		run(bare, D, 1, 10000, 1000, 2000, 100), run(local, D, 1, 7000, 1500, 3000, 140),
	}
	rss := map[loadbench.RowKey]loadbench.RSS{{Config: local, Load: R}: {PeakKB: 40 * 1024, PeakAnonKB: 10 * 1024}}
	distinct := map[loadbench.RowKey]int64{{Config: local, Load: D}: 7000}
	rows := loadbench.Summarize(runs, rss, distinct, 100)
	if len(rows) != 4 {
		t.Fatalf("rows = %+v", rows)
	}
	wantOrder := []loadbench.RowKey{{Config: bare, Load: R}, {Config: local, Load: R}, {Config: bare, Load: D}, {Config: local, Load: D}}
	for i, k := range wantOrder {
		if rows[i].RowKey != k {
			t.Fatalf("row %d is %v, want %v", i, rows[i].RowKey, k)
		}
	}
	b, c := rows[0], rows[1]
	if b.RPS != 11000 || b.P99ms != 2.5 || b.Runs != 3 {
		t.Errorf("bare row = %+v", b)
	}
	// CPU per 10k requests: bare rounds 1.0, 1.0, 1.0 s; chain 100/9000, 110/9500, 20/1000 ticks.
	if !approx(b.CPUPer10k, 1.0) {
		t.Errorf("bare CPU s/10k = %v, want 1", b.CPUPer10k)
	}
	if c.RPS != 9000 || !approx(c.RPSRatio, 9000.0/11000) || !approx(c.AddedP99ms, 2.6-2.5) || c.RSSMB != 40 || c.AnonMB != 10 {
		t.Errorf("chain row = %+v", c)
	}
	if !approx(c.CPURatio, (110.0/100/9500*1e4)/1.0) {
		t.Errorf("chain CPU ratio = %v", c.CPURatio)
	}
	if rows[3].DistinctTokens != 7000 || !approx(rows[3].RPSRatio, 0.7) {
		t.Errorf("distinct row = %+v", rows[3])
	}
}

func TestGatewayVerdicts(t *testing.T) {
	t.Parallel()
	R, D := loadbench.LoadReusedToken, loadbench.LoadDistinctToken
	row := func(c string, l loadbench.Load, ratio, addedP99, rss float64, distinct int64) loadbench.Row {
		return loadbench.Row{RowKey: loadbench.RowKey{Config: c, Load: l}, RPS: 1000 * ratio, HasBare: true,
			RPSRatio: ratio, AddedP99ms: addedP99, P99ms: 2 + addedP99, RSSMB: rss, DistinctTokens: distinct}
	}
	rows := []loadbench.Row{
		row(loadbench.ConfigLocal, R, 0.86, 0.5, 60, 0),
		row(loadbench.ConfigRedis, R, 0.69, 1.5, 70, 0),
		row(loadbench.ConfigLocal, D, 0.65, 1.0, 63, 100_000),
		row(loadbench.ConfigRedis, D, 0.9, 0.1, 50, 99_999),
	}
	got := map[string]loadbench.Verdict{}
	for _, v := range loadbench.CheckGatewayTargets(rows) {
		got[v.Target] = v
	}
	want := map[string]bool{
		"chain, local limiter, one token reused: throughput ≥ 0.85 × bare":      true,
		"chain, Redis limiter, one token reused: throughput ≥ 0.70 × bare":      false,
		"chain, local limiter, new token per request: throughput ≥ 0.65 × bare": true,
		"chain, local limiter, one token reused: p99 added ≤ 1 ms":              true,
		"chain, Redis limiter, one token reused: p99 added ≤ 1 ms":              false,
		"chain, local limiter, new token per request: p99 added ≤ 1 ms":         true,
		"chain, local limiter, one token reused: gateway RSS ≤ 64 MB":           true,
		"chain, Redis limiter, one token reused: gateway RSS ≤ 64 MB":           false,
		"chain, local limiter: RSS ≤ 64 MB after 100000 distinct tokens":        true,
		// Fewer distinct tokens than required proves nothing about the bound.
		"chain, Redis limiter: RSS ≤ 64 MB after 100000 distinct tokens": false,
	}
	for target, pass := range want {
		v, ok := got[target]
		if !ok {
			t.Errorf("no verdict %q (have %v)", target, got)
			continue
		}
		if v.Pass != pass || v.Missing {
			t.Errorf("%q: pass=%v missing=%v (%s), want pass=%v", target, v.Pass, v.Missing, v.Got, pass)
		}
	}
	if len(got) != len(want)+1 { // + Redis, new token per request, p99
		t.Errorf("got %d verdicts, want %d", len(got), len(want)+1)
	}
}

func TestVerdictsOfAnAbsentConfigurationAreMissing(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	failed, err := loadbench.WriteVerdicts(&buf, loadbench.CheckGatewayTargets(nil))
	if err != nil {
		t.Fatal(err)
	}
	if failed != 11 || strings.Count(buf.String(), "MISSING") != 11 {
		t.Fatalf("failed = %d, output:\n%s", failed, buf.String())
	}
}

func TestWriteTableShowsEveryFigure(t *testing.T) {
	t.Parallel()
	rows := loadbench.Summarize([]loadbench.Run{
		run(loadbench.ConfigBare, loadbench.LoadReusedToken, 1, 10000, 1000, 2000, 100),
		run(loadbench.ConfigLocal, loadbench.LoadReusedToken, 1, 9000, 1100, 2500, 100),
	}, nil, nil, 100)
	var buf bytes.Buffer
	if err := loadbench.WriteTable(&buf, rows); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"failed", "req/s", "p50 ms", "p99 ms", "CPU s/10k req", "peak RSS MB", "req/s × bare", "p99 added ms", "CPU × bare",
		"10000", "9000", "0.90", "+0.50", "1.11"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestWrkArgs(t *testing.T) {
	t.Parallel()
	reused := loadbench.WrkRun{URL: "http://127.0.0.1:1/x", Threads: 2, Connections: 32, Duration: 8 * time.Second, Script: "r.lua", Token: "T"}
	if got := strings.Join(reused.Args(), " "); got != "-t 2 -c 32 -d 8s --latency -s r.lua -H Authorization: Bearer T http://127.0.0.1:1/x" {
		t.Errorf("reused args = %q", got)
	}
	distinct := loadbench.WrkRun{URL: "http://127.0.0.1:1/x", Threads: 2, Connections: 32, Duration: 300 * time.Millisecond, Script: "d.lua", TokensFile: "t.txt", Offset: 42}
	if got := strings.Join(distinct.Args(), " "); got != "-t 2 -c 32 -d 1s --latency -s d.lua http://127.0.0.1:1/x -- t.txt 42 2" {
		t.Errorf("distinct args = %q", got)
	}
}

func TestWriteScriptsGiveBothLoadsTheReport(t *testing.T) {
	t.Parallel()
	paths, err := loadbench.WriteScripts(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, load := range []loadbench.Load{loadbench.LoadReusedToken, loadbench.LoadDistinctToken} {
		raw, err := osReadFile(paths[load])
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(raw, "function done(") || !strings.Contains(raw, "PORTCULLIS_WRK") {
			t.Errorf("%s script has no report", load)
		}
	}
	raw, _ := osReadFile(paths[loadbench.LoadDistinctToken])
	if !strings.Contains(raw, "function request()") {
		t.Error("distinct script does not set a token per request")
	}
}
