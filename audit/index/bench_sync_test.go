package index_test

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/index"
)

// BenchmarkSync measures ingest: a fresh index reads 4 chains of 25,000
// events each (real chain files). Reported as records/s; target ≥ 50,000.
func BenchmarkSync(b *testing.B) {
	const perChain = 25_000
	tr := newTrail(b, 0)
	for range perChain / 1000 {
		tr.fill(1000)
	}
	tr.close()
	total := 0
	var elapsed, cpu time.Duration
	for b.Loop() {
		ix, err := index.Open(context.Background(), index.Options{Path: filepath.Join(b.TempDir(), "index.db"), Root: tr.root})
		if err != nil {
			b.Fatal(err)
		}
		start, startCPU := time.Now(), cpuTime(b)
		rep, err := ix.Sync(context.Background())
		elapsed += time.Since(start)
		cpu += cpuTime(b) - startCPU
		if err != nil || rep.Added != 4*perChain {
			b.Fatalf("Sync = %+v, %v", rep, err)
		}
		total += rep.Added
		ix.Close()
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "records/s")
	// On a shared machine the wall-clock rate says more about the other
	// tenants than about Sync: CPU time spent per record is the steady figure.
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(total), "cpu-ns/record")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
