package store_test

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

// BenchmarkRotateRefreshToken measures the store's share of a token refresh
// (the target is 5,000 refreshes/s end to end).
func BenchmarkRotateRefreshToken(b *testing.B) {
	for _, tc := range []struct {
		name string
		open func(testing.TB) store.Store
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(tc.name, func(b *testing.B) {
			s := tc.open(b)
			if err := s.CreateUser(ctx, newUser("u1")); err != nil {
				b.Fatal(err)
			}
			if err := s.CreateSession(ctx, store.Session{ID: "s1", UserID: "u1", AuthTime: t0, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
				b.Fatal(err)
			}
			hash := func(i uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 24, 32), i) }
			if err := s.CreateRefreshToken(ctx, store.RefreshToken{Hash: hash(0), SessionID: "s1", UserID: "u1", IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
				b.Fatal(err)
			}
			var i uint64
			b.ReportAllocs()
			for b.Loop() {
				next := store.RefreshToken{Hash: hash(i + 1), SessionID: "s1", UserID: "u1", IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)}
				if _, err := s.RotateRefreshToken(ctx, hash(i), next, t0); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
