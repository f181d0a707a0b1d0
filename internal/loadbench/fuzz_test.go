package loadbench_test

import (
	"os"
	"testing"

	"github.com/portcullis/portcullis/internal/loadbench"
)

func FuzzParseWrkReport(f *testing.F) {
	if raw, err := os.ReadFile("testdata/wrk-output.txt"); err == nil {
		f.Add(string(raw))
	}
	f.Add("PORTCULLIS_WRK {}")
	f.Add("PORTCULLIS_WRK {\"requests\":-1,\"duration_us\":5}\n")
	f.Fuzz(func(t *testing.T, s string) {
		rep, err := loadbench.ParseWrkReport(s)
		if err == nil && (rep.DurationUS <= 0 || rep.Requests < 0) {
			t.Fatalf("accepted an impossible report %+v", rep)
		}
	})
}

func FuzzParseCPUTicks(f *testing.F) {
	f.Add([]byte("1234 (caddy) S 1 1234 1234 0 -1 4194560 5000 0 0 0 1500 250 0 0 20 0 8 0 100"))
	f.Add([]byte("1 ((() S"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = loadbench.ParseCPUTicks(b)
	})
}

func FuzzParseStatusKB(f *testing.F) {
	f.Add([]byte("VmHWM:\t   59064 kB\n"), "VmHWM")
	f.Add([]byte("VmHWM: x kB"), "VmHWM")
	f.Fuzz(func(t *testing.T, b []byte, field string) {
		_, _ = loadbench.ParseStatusKB(b, field)
	})
}

func FuzzParseGoBench(f *testing.F) {
	if raw, err := os.ReadFile("testdata/gobench-output.txt"); err == nil {
		f.Add(string(raw))
	}
	f.Add("BenchmarkX-2 10 12 ns/op")
	f.Add("Benchmark-x 1 1 1")
	f.Fuzz(func(t *testing.T, s string) {
		results, err := loadbench.ParseGoBench(s)
		if err != nil {
			return
		}
		for _, r := range results {
			if r.Metrics == nil {
				t.Fatalf("result without metrics map: %+v", r)
			}
		}
		_ = loadbench.CheckGoTargets(results, loadbench.GoTargets)
	})
}
