package ratelimit_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/ratelimit"
)

func TestSweepDropsOnlyFullBuckets(t *testing.T) {
	t.Parallel()
	tab := ratelimit.NewTable(ratelimit.Limit{Events: 10, Window: time.Second}, 0)
	for i := 0; i < 100; i++ {
		tab.Take(fmt.Sprint("idle", i), t0) // one event: full again 100ms later
	}
	for i := 0; i < 10; i++ {
		tab.Take("busy", t0) // ten events: full again 1s later
	}
	if n := tab.Len(); n != 101 {
		t.Fatalf("Len() = %d, want 101", n)
	}
	if n := tab.Sweep(t0.Add(99 * time.Millisecond)); n != 0 {
		t.Fatalf("sweep before any bucket is full dropped %d", n)
	}
	if n := tab.Sweep(t0.Add(100 * time.Millisecond)); n != 100 {
		t.Fatalf("sweep at 100ms dropped %d, want the 100 idle buckets", n)
	}
	if tab.Take("busy", t0.Add(100*time.Millisecond)).Allowed != true {
		t.Fatal("the busy bucket must still be tracked (one event refilled after 100ms)")
	}
	if tab.Take("busy", t0.Add(100*time.Millisecond)).Allowed {
		t.Fatal("the busy bucket must not have been reset by the sweep")
	}
	if n := tab.Sweep(t0.Add(2 * time.Second)); n != 1 || tab.Len() != 0 {
		t.Fatalf("final sweep dropped %d, Len() = %d; want 1 and 0", n, tab.Len())
	}
}

func TestTableStaysBoundedWithManyDistinctKeys(t *testing.T) {
	t.Parallel()
	const maxKeys = 1000
	tab := ratelimit.NewTable(ratelimit.Limit{Events: 5, Window: time.Hour}, maxKeys)
	now := t0
	for i := 0; i < 50*maxKeys; i++ {
		now = now.Add(time.Microsecond)
		if !tab.Take(fmt.Sprint("k", i), now).Allowed {
			t.Fatalf("first event of a new key %d was refused", i)
		}
	}
	// Rounded up to whole shards: at most maxKeys + one per shard.
	if n := tab.Len(); n > maxKeys+64 {
		t.Fatalf("Len() = %d, want at most about %d", n, maxKeys)
	}
}

func TestTableIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	tab := ratelimit.NewTable(ratelimit.Limit{Events: 1000, Window: time.Hour}, 0)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				if tab.Take("shared", t0).Allowed {
					allowed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := allowed.Load(); n != 1000 {
		t.Fatalf("%d of 4000 concurrent events allowed, want exactly 1000", n)
	}
}

func TestSweeperRunsUntilClosed(t *testing.T) {
	t.Parallel()
	tab := ratelimit.NewTable(ratelimit.Limit{Events: 1, Window: time.Millisecond}, 0)
	tab.Take("k", t0)
	swept := make(chan struct{})
	var once sync.Once
	tab.StartSweeper(time.Millisecond, func() time.Time {
		once.Do(func() { close(swept) })
		return t0.Add(time.Hour)
	})
	<-swept
	if err := tab.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tab.Close(); err != nil {
		t.Fatal("Close must be idempotent:", err)
	}
}
