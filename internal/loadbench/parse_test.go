package loadbench_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/loadbench"
)

func TestParseWrkReportReadsTheReportLineOfRealOutput(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/wrk-output.txt")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := loadbench.ParseWrkReport(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 14173 || rep.DurationUS != 1003598 || rep.LatencyUS.P50 != 118 || rep.LatencyUS.P99 != 2009 {
		t.Fatalf("report = %+v", rep)
	}
	if rps := rep.RPS(); rps < 14122 || rps > 14123 {
		t.Errorf("RPS = %f, want wrk's 14122.19", rps)
	}
	if rep.Failures() != 0 {
		t.Errorf("Failures = %d", rep.Failures())
	}
}

func TestParseWrkReport(t *testing.T) {
	t.Parallel()
	const ok = `{"requests":10,"duration_us":1000000,"bytes":1,"errors":{"connect":1,"read":2,"write":3,"status":4,"timeout":5},"latency_us":{"p50":1,"p90":2,"p99":3,"p999":4,"max":5,"mean":1.5}}`
	tests := []struct {
		name         string
		output       string
		wantErr      bool
		wantNoReport bool
		wantFailures int64
	}{
		{name: "every kind of error counts as a failure", output: "PORTCULLIS_WRK " + ok + "\n", wantFailures: 15},
		{name: "the last report line wins", output: "PORTCULLIS_WRK {}\nPORTCULLIS_WRK " + ok, wantFailures: 15},
		{name: "output without a report line is ErrNoWrkReport", output: "unable to connect to 127.0.0.1:1 Connection refused\n", wantErr: true, wantNoReport: true},
		{name: "truncated JSON is an error", output: `PORTCULLIS_WRK {"requests":1`, wantErr: true},
		{name: "zero duration is an error", output: `PORTCULLIS_WRK {"requests":1,"duration_us":0}`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep, err := loadbench.ParseWrkReport(tc.output)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantNoReport != errors.Is(err, loadbench.ErrNoWrkReport) {
				t.Errorf("errors.Is(err, ErrNoWrkReport) = %v", !tc.wantNoReport)
			}
			if err == nil && rep.Failures() != tc.wantFailures {
				t.Errorf("Failures = %d, want %d", rep.Failures(), tc.wantFailures)
			}
		})
	}
}

func TestParseCPUTicks(t *testing.T) {
	t.Parallel()
	// Field 14 (utime) = 1500, field 15 (stime) = 250.
	const tail = " S 1 1234 1234 0 -1 4194560 5000 0 0 0 1500 250 0 0 20 0 8 0 100 1800000000 14000 18446744073709551615"
	tests := []struct {
		name    string
		stat    string
		want    uint64
		wantErr bool
	}{
		{name: "utime plus stime", stat: "1234 (caddy)" + tail, want: 1750},
		{name: "a command name with spaces and parentheses does not shift fields", stat: "1234 (my (odd) name)" + tail, want: 1750},
		{name: "no closing parenthesis is an error", stat: "1234 caddy S 1", wantErr: true},
		{name: "too few fields is an error", stat: "1234 (caddy) S 1 2 3", wantErr: true},
		{name: "non-numeric utime is an error", stat: "1234 (caddy) S 1 1234 1234 0 -1 4194560 5000 0 0 0 x 250 0", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := loadbench.ParseCPUTicks([]byte(tc.stat))
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("ParseCPUTicks = %d, %v; want %d, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestCPUTicksOfThisProcess(t *testing.T) {
	t.Parallel()
	if _, err := loadbench.CPUTicks(os.Getpid()); err != nil {
		t.Fatalf("reading our own /proc/<pid>/stat: %v", err)
	}
	kb, err := loadbench.StatusKB(os.Getpid(), "VmHWM")
	if err != nil || kb == 0 {
		t.Fatalf("VmHWM of this process = %d, %v", kb, err)
	}
}

func TestParseStatusKB(t *testing.T) {
	t.Parallel()
	const status = "Name:\tcaddy\nVmPeak:\t 1835244 kB\nVmHWM:\t   59064 kB\nRssAnon:\t    9652 kB\nThreads:\t8\nVmBad:\t12 MB\n"
	tests := []struct {
		name    string
		field   string
		want    uint64
		wantErr bool
	}{
		{name: "peak RSS", field: "VmHWM", want: 59064},
		{name: "anonymous RSS", field: "RssAnon", want: 9652},
		{name: "a field name is matched whole, not as a prefix", field: "VmH", wantErr: true},
		{name: "a value without kB is an error", field: "Threads", wantErr: true},
		{name: "a value in another unit is an error", field: "VmBad", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := loadbench.ParseStatusKB([]byte(status), tc.field)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("ParseStatusKB(%s) = %d, %v; want %d, error %v", tc.field, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestParseGoBenchReadsResultsAndChecksBudgets(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/gobench-output.txt")
	if err != nil {
		t.Fatal(err)
	}
	results, err := loadbench.ParseGoBench(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 19 {
		t.Fatalf("got %d results, want 19: %+v", len(results), results)
	}
	first := results[0]
	if first.Package != "github.com/portcullis/portcullis/internal/token" || first.Name != "BenchmarkVerifyCached" ||
		first.Procs != 2 || first.Iterations != 258238 || first.NsPerOp() != 1652 || first.Metrics["allocs/op"] != 0 {
		t.Fatalf("first = %+v", first)
	}
	if results[1].Name != "BenchmarkVerifyUncached/RS256" {
		t.Errorf("sub-benchmark name = %q", results[1].Name)
	}
	if got := results[5].Metrics["hit-ratio"]; got != 0.95 {
		t.Errorf("custom metric hit-ratio = %v", got)
	}

	// Each fitting benchmark is judged; variants that measure something
	// else (uncached, unindexed, loading; RS256, which the refresh target
	// does not name; signing through jwx's generic path) are not.
	var lines []string
	for _, v := range loadbench.CheckGoTargets(results, loadbench.GoTargets) {
		lines = append(lines, fmt.Sprintf("%v %s", v.Pass, v.Got))
	}
	want := []string{
		"true 1.65 µs/op (internal/token BenchmarkVerifyCached)",
		"false 3.18 µs/op (caddymodules/jwtauth BenchmarkHandlerCached)",
		"true 9.37 µs/op (internal/authz BenchmarkAuthorize1000Policies)",
		"true 16.78 µs/op (secretsd/signing BenchmarkSign/ES256)",
		"true 13.20 µs/op (secretsd/signing BenchmarkSign/EdDSA)",
		"true 158.38 µs/op (secretsd/identity BenchmarkRefresh/ES256)",
		"false 241.01 µs/op (secretsd/identity BenchmarkRefresh/EdDSA)",
		"true 2.71 µs/op (secretsd/mfa BenchmarkMatchTOTP)",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("verdicts:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestCheckGoTargetsReportsAMissingBenchmark(t *testing.T) {
	t.Parallel()
	vs := loadbench.CheckGoTargets(nil, loadbench.GoTargets)
	for _, v := range vs {
		if !v.Missing || v.Pass {
			t.Errorf("verdict %+v, want missing", v)
		}
	}
}

func TestParseGoBenchRefusesAMalformedResult(t *testing.T) {
	t.Parallel()
	for _, line := range []string{
		"BenchmarkX-2 many 12 ns/op",
		"BenchmarkX-2 10 fast ns/op",
		"BenchmarkX-2 10 12",
	} {
		if _, err := loadbench.ParseGoBench(line); err == nil {
			t.Errorf("ParseGoBench(%q) succeeded", line)
		}
	}
}
