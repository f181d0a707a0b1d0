package chain_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/audit/chain"
)

// benchPayload is about 400 bytes, the size of a typical audit event.
func benchPayload(i int) []byte {
	return []byte(fmt.Sprintf(`{"@timestamp":"2026-01-01T00:00:00.000Z","event":{"id":"%020d","action":"authz.decision","outcome":"success","category":["iam"]},"user":{"id":"h:%s"},"source":{"ip":"203.0.113.0"},"http":{"request":{"method":"GET"}},"url":{"path":"/api/v1/items"},"portcullis":{"pad":"%s"}}`,
		i, strings.Repeat("ab", 32), strings.Repeat("x", 60)))
}

// BenchmarkAppend measures sustained appends with one fsync per batch.
// Sequential: one caller appending batches. Parallel: callers appending
// small batches at once, which group commit merges into shared fsyncs.
func BenchmarkAppend(b *testing.B) {
	_, priv := newKey(b)
	for _, tc := range []struct {
		batch    int
		parallel bool
		trusted  bool
	}{{64, false, false}, {256, false, false}, {16, true, false}, {256, false, true}, {2048, false, true}} {
		name := fmt.Sprintf("batch=%d", tc.batch)
		if tc.parallel {
			name = fmt.Sprintf("parallel/batch=%d", tc.batch)
		}
		if tc.trusted {
			name = fmt.Sprintf("trusted/batch=%d", tc.batch)
		}
		b.Run(name, func(b *testing.B) {
			batch := make([][]byte, tc.batch)
			for i := range batch {
				batch[i] = benchPayload(i)
			}
			b.SetBytes(int64(len(batch[0]) * tc.batch))
			w := mustOpen(b, b.TempDir(), chain.Options{Signer: priv, KeyID: "bench"})
			appendFn := w.Append
			if tc.trusted {
				appendFn = w.AppendTrusted
			}
			b.ResetTimer()
			if tc.parallel {
				b.SetParallelism(16)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := w.Append(batch); err != nil {
							b.Error(err)
							return
						}
					}
				})
			} else {
				for i := 0; i < b.N; i++ {
					if _, err := appendFn(batch); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*tc.batch)/b.Elapsed().Seconds(), "events/s")
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
