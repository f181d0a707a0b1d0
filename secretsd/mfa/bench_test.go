package mfa_test

import (
	"context"
	"testing"
	"time"

	"github.com/pquerna/otp"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/secretsd/mfa"
	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

// BenchmarkVerifyTOTP is a whole verification as POST /v1/auth/mfa/verify
// makes it, less the network: attempt counter (in process), the user's
// devices read from the store, the seed opened by the kek, the code
// checked at ±1 step, and the step recorded (one conditional UPDATE). Each
// iteration is a fresh step, so none is a replay.
func BenchmarkVerifyTOTP(b *testing.B) {
	for _, tc := range []struct {
		name string
		open func(testing.TB) store.Store
	}{
		{store.DriverSQLite, func(tb testing.TB) store.Store { return storetest.SQLite(tb) }},
		{store.DriverPostgres, func(tb testing.TB) store.Store { return storetest.Postgres(tb) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e := newEnv(b, tc.open(b), mfa.Config{})
			_, secret := e.enrolTOTP(b, e.user, "phone")
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				e.clock.Advance(30 * time.Second)
				code := codeAt(b, secret, e.clock.Now())
				if _, err := e.svc.Verify(ctx, e.user, mfa.Proof{Method: mfa.MethodTOTP, Code: code}, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyTOTPParallel is BenchmarkVerifyTOTP from GOMAXPROCS
// goroutines at once, each for a user of its own (as concurrent logins are),
// on one service and store.
func BenchmarkVerifyTOTPParallel(b *testing.B) {
	for _, tc := range []struct {
		name string
		open func(testing.TB) store.Store
	}{
		{store.DriverSQLite, func(tb testing.TB) store.Store { return storetest.SQLite(tb) }},
		{store.DriverPostgres, func(tb testing.TB) store.Store { return storetest.Postgres(tb) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			st := tc.open(b)
			sealer := newSealer(b)
			// One service per goroutine over the one store: each needs a
			// manual clock of its own to walk its codes forward.
			envs := make(chan *env, 64)
			secrets := make(map[*env]string)
			for range cap(envs) {
				e := newEnvWith(b, st, sealer, clock.NewManual(t0), mfa.Config{})
				_, secrets[e] = e.enrolTOTP(b, e.user, "phone")
				envs <- e
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				e := <-envs
				secret := secrets[e]
				for pb.Next() {
					e.clock.Advance(30 * time.Second)
					code := codeAt(b, secret, e.clock.Now())
					if _, err := e.svc.Verify(ctx, e.user, mfa.Proof{Method: mfa.MethodTOTP, Code: code}, ""); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func BenchmarkEnrollTOTP(b *testing.B) {
	e := newEnv(b, storetest.SQLite(b), mfa.Config{})
	ctx := context.Background()
	for b.Loop() {
		if _, err := e.svc.EnrollTOTP(ctx, e.user, "phone"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMatchTOTP is the pure code check of a verification: three
// HMAC-SHA1 codes (±1 step) compared in constant time, no store.
func BenchmarkMatchTOTP(b *testing.B) {
	seed := []byte("12345678901234567890")
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	now := time.Unix(1_800_000_000, 0)
	code, err := mfa.CodeAt(secret, uint64(now.Unix()/30+1), otp.DigitsSix)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := mfa.MatchTOTP(seed, code, now, 1, otp.DigitsSix); !ok {
			b.Fatal("no match")
		}
	}
}
