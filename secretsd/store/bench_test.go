package store_test

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

var benchStores = []struct {
	name string
	open func(testing.TB) store.Store
}{{"sqlite", sqliteAsServed}, {"postgres", storetest.Postgres}}

// sqliteAsServed is storetest.SQLite with secretsd's default pool size
// rather than storetest's small one.
func sqliteAsServed(tb testing.TB) store.Store {
	tb.Helper()
	cfg := storetest.SQLiteConfig(tb)
	cfg.MaxOpenConns = 0
	s, err := store.Open(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// benchHash is the refresh token hash number i of chain g.
func benchHash(g, i uint64) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(make([]byte, 16, 32), g), i)
}

// BenchmarkRotateRefreshToken measures the store's share of a token refresh
// (the target is 5,000 refreshes/s end to end), one at a time.
func BenchmarkRotateRefreshToken(b *testing.B) {
	for _, tc := range benchStores {
		b.Run(tc.name, func(b *testing.B) {
			s := tc.open(b)
			mustBenchChains(b, s, 1)
			var i uint64
			b.ReportAllocs()
			for b.Loop() {
				next := store.RefreshToken{Hash: benchHash(0, i+1), SessionID: "s0", UserID: "u1", IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)}
				if _, err := s.RotateRefreshToken(ctx, benchHash(0, i), next, t0); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// benchSessions is how many sessions rotate at once in
// BenchmarkRotateRefreshTokenParallel: as many as make bench's end-to-end
// refresh phase keeps busy.
const benchSessions = 32

// BenchmarkRotateRefreshTokenParallel is BenchmarkRotateRefreshToken from at
// least benchSessions goroutines, each rotating the token of its own session,
// as secretsd's concurrent refreshes do, and reports the 99th percentile of
// a rotation's latency. On SQLite (with secretsd's default pool) it shows
// what concurrent writers cost: they take turns (one writer at a time), and
// must not sleep in SQLite's busy handler while they wait.
func BenchmarkRotateRefreshTokenParallel(b *testing.B) {
	for _, tc := range benchStores {
		b.Run(tc.name, func(b *testing.B) {
			s := tc.open(b)
			procs := runtime.GOMAXPROCS(0)
			p := (benchSessions + procs - 1) / procs
			mustBenchChains(b, s, p*procs)
			var (
				next atomic.Uint64
				mu   sync.Mutex
				lat  []time.Duration
			)
			b.ReportAllocs()
			b.SetParallelism(p)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				g := next.Add(1) - 1
				sid := fmt.Sprintf("s%d", g)
				var mine []time.Duration
				defer func() { mu.Lock(); lat = append(lat, mine...); mu.Unlock() }()
				for i := uint64(0); pb.Next(); i++ {
					nt := store.RefreshToken{Hash: benchHash(g, i+1), SessionID: sid, UserID: "u1", IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)}
					start := time.Now()
					if _, err := s.RotateRefreshToken(ctx, benchHash(g, i), nt, t0); err != nil {
						b.Error(err)
						return
					}
					mine = append(mine, time.Since(start))
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rotations/s")
			if len(lat) > 0 {
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			}
		})
	}
}

// mustBenchChains makes user u1 with n sessions s0…s(n-1), each with its
// first refresh token benchHash(g, 0).
func mustBenchChains(b *testing.B, s store.Store, n int) {
	b.Helper()
	if err := s.CreateUser(ctx, newUser("u1")); err != nil {
		b.Fatal(err)
	}
	for g := range n {
		sid := fmt.Sprintf("s%d", g)
		if err := s.CreateSession(ctx, store.Session{ID: sid, UserID: "u1", AuthTime: t0, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
			b.Fatal(err)
		}
		if err := s.CreateRefreshToken(ctx, store.RefreshToken{Hash: benchHash(uint64(g), 0), SessionID: sid, UserID: "u1", IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
			b.Fatal(err)
		}
	}
}
