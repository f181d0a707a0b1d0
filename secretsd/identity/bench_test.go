package identity_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/portcullis/portcullis/secretsd/identity"
	"github.com/portcullis/portcullis/secretsd/signing"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

// BenchmarkRefresh measures refresh-token rotation end to end on SQLite: the
// rotation transaction, reading the session and the user, signing a new
// access token. Each goroutine rotates its own session's chain.
func BenchmarkRefresh(b *testing.B) {
	for _, alg := range []string{signing.ES256, signing.EdDSA, signing.RS256} {
		b.Run(alg, func(b *testing.B) {
			e := newEnv(b, storetest.SQLite(b), withAlgorithm(alg))
			e.audit.discard.Store(true)
			e.createUser(b, "dev", identity.RoleDeveloper)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				refresh := e.login(b, "dev", userPassword).RefreshToken
				for pb.Next() {
					tok, err := e.svc.Refresh(ctx, refresh, identity.ClientInfo{})
					if err != nil {
						b.Error(err)
						return
					}
					refresh = tok.RefreshToken
				}
			})
		})
	}
}

// BenchmarkLogin measures a password login without MFA with the default
// Argon2id parameters (m=64 MiB, t=2, p=1): the hash dominates.
func BenchmarkLogin(b *testing.B) {
	e := newEnv(b, storetest.SQLite(b), withArgon2(identity.DefaultArgon2), withAlgorithm(signing.ES256))
	e.audit.discard.Store(true)
	e.createUser(b, "dev", identity.RoleDeveloper)
	ctx := context.Background()
	var failed atomic.Bool
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.svc.Login(ctx, "dev", userPassword, identity.ClientInfo{}); err != nil && !failed.Swap(true) {
				b.Error(err)
			}
		}
	})
}

// BenchmarkAuthenticate measures resolving an access token: verification,
// the revocation check and the session and user reads.
func BenchmarkAuthenticate(b *testing.B) {
	e := newEnv(b, storetest.SQLite(b), withAlgorithm(signing.EdDSA))
	e.audit.discard.Store(true)
	e.createUser(b, "dev", identity.RoleDeveloper)
	tok := e.login(b, "dev", userPassword)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.svc.Authenticate(ctx, tok.AccessToken); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
