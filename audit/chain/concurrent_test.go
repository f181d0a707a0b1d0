package chain_test

import (
	"sort"
	"sync"
	"testing"

	"github.com/portcullis/portcullis/audit/chain"
)

func TestConcurrentAppends(t *testing.T) {
	t.Parallel()
	pub, priv := newKey(t)
	dir := t.TempDir()
	w := mustOpen(t, dir, chain.Options{Signer: priv, SegmentBytes: 64 << 10, CheckpointEvery: 100})
	const goroutines, appends = 50, 20
	type span struct{ first, n uint64 }
	spans := make(chan span, goroutines*appends)
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < appends; i++ {
				n := 1 + (g+i)%5
				first, err := w.Append(payloads(g*1000+i*10, n))
				if err != nil {
					t.Errorf("Append: %v", err)
					return
				}
				spans <- span{first, uint64(n)}
			}
		}()
	}
	wg.Wait()
	close(spans)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var all []span
	var total uint64
	for s := range spans {
		all = append(all, s)
		total += s.n
	}
	sort.Slice(all, func(i, j int) bool { return all[i].first < all[j].first })
	next := uint64(1)
	for _, s := range all {
		if s.first != next {
			t.Fatalf("batch starts at %d, want %d (gap or overlap)", s.first, next)
		}
		next += s.n
	}
	rep, err := chain.Verify(dir, pub)
	if err != nil || rep.Records != total || rep.LastSeq != total {
		t.Fatalf("Verify = %+v, %v; want %d records", rep, err, total)
	}
}
