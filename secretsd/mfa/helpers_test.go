package mfa_test

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/rs/zerolog"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/secretsd/kek"
	"github.com/portcullis/portcullis/secretsd/mfa"
	"github.com/portcullis/portcullis/secretsd/store"
)

// t0 is the test clock's start: a whole TOTP step, far from the epoch.
var t0 = time.Date(2026, 3, 14, 15, 9, 0, 0, time.UTC)

// env is one secretsd node's MFA service on a real store, with a manual
// clock, and a user of its own.
type env struct {
	svc    *mfa.Service
	store  store.Store
	sealer kek.Sealer
	clock  *clock.Manual
	user   mfa.User
}

func newSealer(t testing.TB) kek.Sealer {
	t.Helper()
	key := make([]byte, kek.LocalKeySize)
	rand.Read(key)
	s, err := kek.NewLocal(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newEnv builds a service on st; cfg fields left zero take the defaults,
// with the WebAuthn relying party of the tests.
func newEnv(t testing.TB, st store.Store, cfg mfa.Config) *env {
	t.Helper()
	return newEnvWith(t, st, newSealer(t), clock.NewManual(t0), cfg)
}

func newEnvWith(t testing.TB, st store.Store, sealer kek.Sealer, clk *clock.Manual, cfg mfa.Config) *env {
	t.Helper()
	if cfg.RPID == "" {
		cfg.RPID = rpID
		cfg.RPOrigins = []string{rpOrigin}
	}
	log := zerolog.New(zerolog.NewTestWriter(t)) // shown with -v or on failure
	if _, bench := t.(*testing.B); bench {
		log = zerolog.Nop()
	}
	svc, err := mfa.New(cfg, st, sealer, clk, log)
	if err != nil {
		t.Fatalf("mfa.New: %v", err)
	}
	return &env{svc: svc, store: st, sealer: sealer, clock: clk, user: newUser(t, st, true)}
}

// newUser stores a user (devices reference it) and returns mfa's view.
func newUser(t testing.TB, st store.Store, requiresMFA bool) mfa.User {
	t.Helper()
	id := rand.Text()
	name := "user-" + strings.ToLower(id[:10])
	if err := st.CreateUser(context.Background(), store.User{
		ID: id, Username: name, PasswordHash: "$argon2id$test", Role: "Developer",
		CreatedAt: t0, UpdatedAt: t0,
	}); err != nil {
		t.Fatalf("creating user: %v", err)
	}
	return mfa.User{ID: id, Username: name, RequiresMFA: requiresMFA}
}

// codeAt is the 6-digit code of a base32 secret at time at.
func codeAt(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := mfa.CodeAt(secret, uint64(at.Unix()/30), otp.DigitsSix)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrolTOTP enrols and confirms a TOTP device at the clock's time and
// returns its secret; the clock is then moved one step on, so the next code
// is a fresh one.
func (e *env) enrolTOTP(t testing.TB, u mfa.User, name string) (mfa.Device, string) {
	t.Helper()
	ctx := context.Background()
	en, err := e.svc.EnrollTOTP(ctx, u, name)
	if err != nil {
		t.Fatalf("EnrollTOTP: %v", err)
	}
	d, err := e.svc.ConfirmTOTP(ctx, u, en.Device.ID, codeAt(t, en.Secret, e.clock.Now()))
	if err != nil {
		t.Fatalf("ConfirmTOTP: %v", err)
	}
	e.clock.Advance(30 * time.Second)
	return d, en.Secret
}

func (e *env) verifyCode(u mfa.User, code string) ([]string, error) {
	return e.svc.Verify(context.Background(), u, mfa.Proof{Method: mfa.MethodTOTP, Code: code}, "")
}

func wantErr(t testing.TB, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

func mustSeed(t testing.TB, secret string) []byte {
	t.Helper()
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
