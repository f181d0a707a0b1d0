package identity

import (
	"context"
	"crypto/rand"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/secretsd/kek"
	"github.com/portcullis/portcullis/secretsd/mfa"
	"github.com/portcullis/portcullis/secretsd/signing"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

// Login must cost one Argon2id computation whatever the reason it fails, so
// that its timing does not tell an unknown user from a wrong password or a
// disabled account. Counting the computations proves it without timing.
func TestEveryLoginFailureCostsOneHash(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.SQLite(t)
	clk := clock.NewManual(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	key := make([]byte, kek.LocalKeySize)
	rand.Read(key)
	sealer, err := kek.NewLocal(key)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := signing.New(ctx, signing.Config{Algorithm: signing.EdDSA}, st, sealer, clk)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mfa.New(mfa.Config{}, st, sealer, clk, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Argon2: cheap}, Deps{Store: st, Keys: keys, MFA: m, Audit: discardAuditor{}, Clock: clk, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	var hashes atomic.Int64
	s.hasher.hashes = func() { hashes.Add(1) }

	const pw = "the right password"
	if _, err := s.Bootstrap(ctx, "root", pw); err != nil {
		t.Fatal(err)
	}
	admin, err := s.Login(ctx, "root", pw, ClientInfo{})
	if err != nil {
		t.Fatal(err)
	}
	actor, err := s.Authenticate(ctx, admin.Tokens.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	off, err := s.CreateUser(ctx, actor, NewUser{Username: "off", Password: pw, Role: RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := s.UpdateUser(ctx, actor, off.ID, UserChange{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct{ name, username, password string }{
		{"unknown user", "nobody", pw},
		{"wrong password", "root", pw + "?"},
		{"disabled user", "off", pw},
		{"right password", "root", pw},
	} {
		hashes.Store(0)
		_, err := s.Login(ctx, tc.username, tc.password, ClientInfo{})
		if tc.name != "right password" && !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("%s: Login = %v", tc.name, err)
		}
		if n := hashes.Load(); n != 1 {
			t.Errorf("%s: %d Argon2id computations, want 1", tc.name, n)
		}
	}
}

// discardAuditor accepts every event and keeps none.
type discardAuditor struct{}

func (discardAuditor) Record(context.Context, Event) error { return nil }
