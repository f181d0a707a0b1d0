package trail_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/trail"
	"github.com/portcullis/portcullis/internal/clock"
)

// BenchmarkEnqueue measures what a request pays on its own goroutine to hand
// its event to the trail (target ≤ 2 µs), with the real writer draining to
// disk meanwhile. Events are built outside the timed part, in chunks; the
// enqueue-ns/op metric times only the Enqueue calls (ns/op includes building
// the events and waiting for each chunk to be flushed, so that the queue never
// fills and the measure is the hand-off, not the refusal).
func BenchmarkEnqueue(b *testing.B) {
	for _, par := range []int{0, 1, 8} {
		name := "sequential"
		if par > 0 {
			name = fmt.Sprintf("parallel-x%d", par)
		}
		b.Run(name, func(b *testing.B) {
			tr := open(b, config(b))
			var nanos, count atomic.Int64
			const chunk = 256
			worker := func(next func() bool) {
				events := make([]*event.Event, 0, chunk)
				for {
					events = events[:0]
					for len(events) < chunk && next() {
						events = append(events, requestEvent(clock.System))
					}
					if len(events) == 0 {
						return
					}
					start := time.Now()
					for _, e := range events {
						if err := tr.Enqueue(e); err != nil {
							b.Error(err)
							return
						}
					}
					nanos.Add(int64(time.Since(start)))
					count.Add(int64(len(events)))
					if err := tr.Flush(context.Background()); err != nil {
						b.Error(err)
						return
					}
				}
			}
			b.ResetTimer()
			if par == 0 {
				i := 0
				worker(func() bool { i++; return i <= b.N })
			} else {
				b.SetParallelism(par)
				b.RunParallel(func(pb *testing.PB) { worker(pb.Next) })
			}
			b.StopTimer()
			b.ReportMetric(float64(nanos.Load())/float64(count.Load()), "enqueue-ns/op")
		})
	}
}

// BenchmarkSustained measures end-to-end throughput (target ≥ 100,000
// events/s on 2 cores): producers on every CPU build gateway request events
// and Enqueue them; on a full queue a producer waits with Flush (the
// back-pressure a load test would see as 503s). The clock stops once the
// last event is durable.
func BenchmarkSustained(b *testing.B) {
	tr := open(b, config(b))
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e := requestEvent(clock.System)
			for {
				err := tr.Enqueue(e)
				if err == nil {
					break
				}
				if !errors.Is(err, trail.ErrQueueFull) {
					b.Error(err)
					return
				}
				if err := tr.Flush(ctx); err != nil {
					b.Error(err)
					return
				}
			}
		}
	})
	if err := tr.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkRecord measures privileged events, each durable before Record
// returns: one caller alone (an fsync each), and many at once (sharing
// fsyncs through the chain's group commit).
func BenchmarkRecord(b *testing.B) {
	for _, par := range []int{0, 16} {
		name := "sequential"
		if par > 0 {
			name = fmt.Sprintf("parallel-x%d", par)
		}
		b.Run(name, func(b *testing.B) {
			tr := open(b, config(b))
			ctx := context.Background()
			b.ResetTimer()
			if par == 0 {
				for range b.N {
					if err := tr.Record(ctx, privilegedEvent(event.PolicyChange)); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				b.SetParallelism(par)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := tr.Record(ctx, privilegedEvent(event.PolicyChange)); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
