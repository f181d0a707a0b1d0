package shred_test

import (
	"testing"
)

// BenchmarkSealCached is the gateway's per-request cost: the key is cached.
func BenchmarkSealCached(b *testing.B) {
	k := newKeys(b)
	fields := map[string]string{"user.name": "alice", "source.ip": "192.0.2.7"}
	mustSeal(b, k, "p1:bench", fields)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := k.Seal("p1:bench", fields); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkOpenCached decrypts with a cached key.
func BenchmarkOpenCached(b *testing.B) {
	k := newKeys(b)
	sealed := mustSeal(b, k, "p1:bench", map[string]string{"user.name": "alice", "source.ip": "192.0.2.7"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Open(sealed); err != nil {
			b.Fatal(err)
		}
	}
}
