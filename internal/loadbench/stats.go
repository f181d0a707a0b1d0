package loadbench

import (
	"fmt"
	"slices"
)

// The gateway configurations measured side by side.
const (
	ConfigBare  = "bare reverse_proxy"
	ConfigLocal = "chain, local limiter"
	ConfigRedis = "chain, Redis limiter"
)

// Run is one wrk run against one gateway.
type Run struct {
	Config   string
	Load     Load
	Round    int
	Report   WrkReport
	CPUTicks uint64 // the gateway's utime+stime during the run
}

// CPUSecondsPer10k is the gateway's CPU time per 10,000 requests of the run.
func (r Run) CPUSecondsPer10k(clockTicks float64) float64 {
	if r.Report.Requests == 0 || clockTicks <= 0 {
		return 0
	}
	return float64(r.CPUTicks) / clockTicks / float64(r.Report.Requests) * 1e4
}

// RSS is a gateway's memory under one load.
type RSS struct {
	PeakKB     uint64 // VmHWM: peak resident set size, executable pages included
	PeakAnonKB uint64 // largest RssAnon sampled: heap and stacks
}

// RowKey names one row of the table.
type RowKey struct {
	Config string
	Load   Load
}

// Row is the summary of all rounds of one configuration under one load:
// medians over rounds, and the ratios to bare under the same load.
type Row struct {
	RowKey
	Runs      int
	RPS       float64 // median requests/s
	P50ms     float64 // median of the runs' p50
	P99ms     float64 // median of the runs' p99
	CPUPer10k float64 // median CPU seconds per 10,000 requests
	Failed    int64   // requests that timed out or hit a socket error, all rounds
	RSSMB     float64 // peak RSS (VmHWM) of the gateway under this load, MiB; 0 if unknown
	AnonMB    float64 // largest anonymous RSS sampled under this load, MiB
	// DistinctTokens is how many different tokens this gateway process was
	// sent (distinct load only).
	DistinctTokens int64

	HasBare    bool    // a bare row under the same load exists
	RPSRatio   float64 // RPS / bare RPS
	AddedP99ms float64 // P99ms - bare P99ms
	CPURatio   float64 // CPUPer10k / bare CPUPer10k
}

// Median of xs (the mean of the middle two for an even count); 0 for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// Summarize turns runs into rows, in the order configurations and loads first
// appear in runs. rss and distinct are keyed by row; clockTicks is
// sysconf(_SC_CLK_TCK).
func Summarize(runs []Run, rss map[RowKey]RSS, distinct map[RowKey]int64, clockTicks float64) []Row {
	var keys []RowKey
	byKey := map[RowKey][]Run{}
	for _, r := range runs {
		k := RowKey{r.Config, r.Load}
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], r)
	}
	// Group rows by load, keeping first-appearance order within each.
	var loads []Load
	for _, k := range keys {
		if !slices.Contains(loads, k.Load) {
			loads = append(loads, k.Load)
		}
	}
	var ordered []RowKey
	for _, l := range loads {
		for _, k := range keys {
			if k.Load == l {
				ordered = append(ordered, k)
			}
		}
	}

	rows := make([]Row, 0, len(ordered))
	index := map[RowKey]int{}
	for _, k := range ordered {
		rs := byKey[k]
		var rps, p50, p99, cpu []float64
		var failed int64
		for _, r := range rs {
			failed += r.Report.Failures()
			rps = append(rps, r.Report.RPS())
			p50 = append(p50, r.Report.LatencyUS.P50/1e3)
			p99 = append(p99, r.Report.LatencyUS.P99/1e3)
			cpu = append(cpu, r.CPUSecondsPer10k(clockTicks))
		}
		index[k] = len(rows)
		rows = append(rows, Row{
			RowKey: k, Runs: len(rs), Failed: failed,
			RPS: Median(rps), P50ms: Median(p50), P99ms: Median(p99), CPUPer10k: Median(cpu),
			RSSMB:          float64(rss[k].PeakKB) / 1024,
			AnonMB:         float64(rss[k].PeakAnonKB) / 1024,
			DistinctTokens: distinct[k],
		})
	}
	for i := range rows {
		bi, ok := index[RowKey{ConfigBare, rows[i].Load}]
		if !ok {
			continue
		}
		bare := rows[bi]
		rows[i].HasBare = true
		rows[i].RPSRatio = ratio(rows[i].RPS, bare.RPS)
		rows[i].AddedP99ms = rows[i].P99ms - bare.P99ms
		rows[i].CPURatio = ratio(rows[i].CPUPer10k, bare.CPUPer10k)
	}
	return rows
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// Gateway budgets of issue 2 (2-core machine).
const (
	MinRatioLocalReused    = 0.85
	MinRatioRedisReused    = 0.70
	MinRatioDistinct       = 0.65
	MaxAddedP99ms          = 1.0
	MaxRSSMB               = 64.0
	DistinctTokensRequired = 100_000
)

// CheckGatewayTargets judges the rows against issue 2's end-to-end budgets.
// A target whose row is absent is reported as missing.
func CheckGatewayTargets(rows []Row) []Verdict {
	find := func(c string, l Load) *Row {
		for i := range rows {
			if rows[i].Config == c && rows[i].Load == l {
				return &rows[i]
			}
		}
		return nil
	}
	var out []Verdict
	ratioTarget := func(c string, l Load, min float64) {
		label := fmt.Sprintf("%s, %s: throughput ≥ %.2f × bare", c, l, min)
		r := find(c, l)
		if r == nil || !r.HasBare {
			out = append(out, Verdict{Target: label, Missing: true, Got: "not measured"})
			return
		}
		out = append(out, Verdict{Target: label, Got: fmt.Sprintf("%.2f × (%.0f vs %.0f req/s)", r.RPSRatio, r.RPS, r.RPS/r.RPSRatio), Pass: r.RPSRatio >= min})
	}
	ratioTarget(ConfigLocal, LoadReusedToken, MinRatioLocalReused)
	ratioTarget(ConfigRedis, LoadReusedToken, MinRatioRedisReused)
	ratioTarget(ConfigLocal, LoadDistinctToken, MinRatioDistinct)

	for _, l := range []Load{LoadReusedToken, LoadDistinctToken} {
		for _, c := range []string{ConfigLocal, ConfigRedis} {
			label := fmt.Sprintf("%s, %s: p99 added ≤ %.0f ms", c, l, MaxAddedP99ms)
			r := find(c, l)
			if r == nil || !r.HasBare {
				out = append(out, Verdict{Target: label, Missing: true, Got: "not measured"})
				continue
			}
			out = append(out, Verdict{Target: label, Got: fmt.Sprintf("%+.2f ms (p99 %.2f ms vs %.2f ms)", r.AddedP99ms, r.P99ms, r.P99ms-r.AddedP99ms), Pass: r.AddedP99ms <= MaxAddedP99ms})
		}
	}
	for _, l := range []Load{LoadReusedToken, LoadDistinctToken} {
		for _, c := range []string{ConfigLocal, ConfigRedis} {
			label := fmt.Sprintf("%s, %s: gateway RSS ≤ %.0f MB", c, l, MaxRSSMB)
			r := find(c, l)
			if r == nil || r.RSSMB == 0 {
				out = append(out, Verdict{Target: label, Missing: true, Got: "not measured"})
				continue
			}
			// Bare Caddy's own figure shows how much of the peak is the
			// executable's mapped pages rather than the chain.
			bare := ""
			if b := find(ConfigBare, l); b != nil && b.RSSMB > 0 {
				bare = fmt.Sprintf("; bare %.1f MB, anonymous %.1f MB", b.RSSMB, b.AnonMB)
			}
			got := fmt.Sprintf("%.1f MB (anonymous %.1f MB%s)", r.RSSMB, r.AnonMB, bare)
			pass := r.RSSMB <= MaxRSSMB
			if l == LoadDistinctToken {
				label = fmt.Sprintf("%s: RSS ≤ %.0f MB after %d distinct tokens", c, MaxRSSMB, DistinctTokensRequired)
				got = fmt.Sprintf("%.1f MB after %d distinct tokens (anonymous %.1f MB%s)", r.RSSMB, r.DistinctTokens, r.AnonMB, bare)
				pass = pass && r.DistinctTokens >= DistinctTokensRequired
			}
			out = append(out, Verdict{Target: label, Got: got, Pass: pass})
		}
	}
	return out
}
