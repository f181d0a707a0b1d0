package loadbench_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/loadbench"
)

func TestParseHeyLatency(t *testing.T) {
	t.Parallel()
	read := func(name string) string {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	cases := []struct {
		name     string
		out      string
		p50, p99 time.Duration
		wantErr  string
	}{
		{name: "a recorded run gives its p50 and p99", out: read("hey-200.txt"), p50: 2800 * time.Microsecond, p99: 7200 * time.Microsecond},
		{name: "error statuses refuse the run", out: read("hey-401.txt"), wantErr: "status 401"},
		{name: "no status lines refuse the run", out: "Latency distribution:\n  50% in 0.0010 secs\n", wantErr: "no responses"},
		{name: "missing percentiles refuse the run", out: "Status code distribution:\n  [200]\t5 responses\n", wantErr: "no 50% and 99%"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p50, p99, err := loadbench.ParseHeyLatency(c.out)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p50.Round(time.Microsecond) != c.p50 || p99.Round(time.Microsecond) != c.p99 {
				t.Fatalf("p50 %s p99 %s, want %s %s", p50, p99, c.p50, c.p99)
			}
		})
	}
}

func TestFixedRateVerdicts(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	runs := []loadbench.FixedRate{
		{Config: loadbench.ConfigBare, Round: 1, P50: ms, P99: 3 * ms},
		{Config: loadbench.ConfigLocal, Round: 1, P50: ms, P99: 3*ms + 500*time.Microsecond},
		{Config: loadbench.ConfigRedis, Round: 1, P50: 2 * ms, P99: 5 * ms},
	}
	vs := loadbench.CheckFixedRateTargets(runs)
	if len(vs) != 2 || !vs[0].Pass || vs[1].Pass {
		t.Fatalf("verdicts = %+v; want the local chain (+0.5 ms) to pass and the Redis chain (+2 ms) to fail", vs)
	}
	var b strings.Builder
	loadbench.WriteFixedRate(&b, 800, runs)
	if !strings.Contains(b.String(), "+2.00") || !strings.Contains(b.String(), "800 req/s") {
		t.Fatalf("table:\n%s", b.String())
	}
}

func TestHeyArgsKeepTheRate(t *testing.T) {
	t.Parallel()
	got := strings.Join(loadbench.HeyArgs("http://127.0.0.1:1/x", "tok", 5*time.Second, 8, 100), " ")
	if got != "-z 5s -c 8 -q 100 -H Authorization: Bearer tok http://127.0.0.1:1/x" {
		t.Fatalf("args = %s", got)
	}
}

func FuzzParseHeyLatency(f *testing.F) {
	f.Add("Latency distribution:\n  50% in 0.0010 secs\n  99% in 0.0020 secs\nStatus code distribution:\n  [200]\t5 responses\n")
	f.Add("  99% in 1e309 secs\n  [200] 1 responses\n")
	f.Fuzz(func(t *testing.T, out string) {
		p50, p99, err := loadbench.ParseHeyLatency(out)
		if err == nil && (p50 < 0 || p99 < 0) {
			t.Fatalf("negative latency accepted: %s %s", p50, p99)
		}
	})
}
