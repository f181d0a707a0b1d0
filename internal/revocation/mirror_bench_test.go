package revocation_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/principal"
	"github.com/portcullis/portcullis/internal/revocation"
	"github.com/portcullis/portcullis/internal/testenv"
)

// BenchmarkMirrorCheck measures the per-request cost of the revocation check
// (what jwt_auth pays on every request) with 10,000 entries held, from all
// cores at once: no round trip, no lock.
func BenchmarkMirrorCheck(b *testing.B) {
	ctx := context.Background()
	client := testenv.RedisClient(b)
	keys := revocation.Keys{Prefix: "bench:" + randomID()}
	b.Cleanup(func() { _ = client.Del(ctx, keys.Set()).Err() })
	var heard atomic.Int64 // entries the redis mirror heard on its feed
	mirrors := []struct {
		name   string
		mirror *revocation.Mirror
	}{
		{"memory", revocation.NewMirror(revocation.MirrorConfig{})},
		{"redis", revocation.NewMirror(revocation.MirrorConfig{Redis: client, Keys: keys, Resync: time.Hour, MaxStaleness: 2 * time.Hour,
			OnApply: func(revocation.Entry) { heard.Add(1) }})},
	}
	now := time.Now()
	for _, mm := range mirrors {
		m := mm.mirror
		if err := m.Start(ctx); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(m.Stop)
		fill(b, m.Publisher(), now)
		if !m.InMemory() {
			// Let the feed catch up so that it does not compete with the
			// measurement.
			testenv.WaitFor(b, 30*time.Second, "the feed to deliver 10,000 entries", func() bool { return heard.Load() == 10_000 })
		}
		if err := m.Resync(ctx); err != nil {
			b.Fatal(err)
		}
		if n := m.Stats().Entries; n != 10_000 {
			b.Fatalf("%s mirror holds %d entries, want 10000", mm.name, n)
		}
	}
	cases := []struct {
		name  string
		token *principal.Principal
		want  error
	}{
		// Every lookup misses, but the user has an older revocation: the
		// most expensive path for a valid token.
		{"allowed", &principal.Principal{Subject: "user-2", TokenID: "jti-1", SessionID: "sid-2", IssuedAt: now}, nil},
		{"revoked", &principal.Principal{Subject: "u", TokenID: "jti-3", SessionID: "s", IssuedAt: now}, revocation.ErrRevoked},
	}
	for _, mm := range mirrors {
		for _, c := range cases {
			b.Run(mm.name+"/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := mm.mirror.Check(c.token); !errors.Is(err, c.want) || (c.want == nil && err != nil) {
							b.Fatalf("Check = %v, want %v", err, c.want)
						}
					}
				})
			})
		}
	}
}

// fill revokes 10,000 tokens, sessions and users, a third each.
func fill(b *testing.B, pub revocation.Publisher, now time.Time) {
	ctx := context.Background()
	until := now.Add(time.Hour)
	for i := range 10_000 {
		var err error
		switch i % 3 {
		case 0:
			err = pub.RevokeToken(ctx, fmt.Sprintf("jti-%d", i), until)
		case 1:
			err = pub.RevokeSession(ctx, fmt.Sprintf("sid-%d", i), until)
		default:
			err = pub.RevokeUser(ctx, fmt.Sprintf("user-%d", i), now.Add(-time.Hour), until)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}
