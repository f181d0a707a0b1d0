package signing_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/secretsd/kek"
	"github.com/portcullis/portcullis/secretsd/signing"
	"github.com/portcullis/portcullis/secretsd/store"
)

const (
	issuer   = "https://secretsd.test"
	audience = "portcullis-gateway"
)

// t0 is the manual clocks' start: whole seconds, as NumericDates are.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

var algorithms = []string{signing.RS256, signing.ES256, signing.EdDSA}

// newSealer is a local KEK with a fresh random master key.
func newSealer(t testing.TB) kek.Sealer {
	t.Helper()
	key := make([]byte, kek.LocalKeySize)
	_, _ = rand.Read(key)
	s, err := kek.NewLocal(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// node is one secretsd node's keyring with the parts behind it.
type node struct {
	*signing.Keyring
	store  store.Store
	sealer kek.Sealer
	clock  *clock.Manual
}

// newNode starts a keyring on st with its own manual clock at t0.
func newNode(t testing.TB, st store.Store, sealer kek.Sealer, cfg signing.Config) *node {
	t.Helper()
	clk := clock.NewManual(t0)
	k, err := signing.New(context.Background(), cfg, st, sealer, clk)
	if err != nil {
		t.Fatalf("signing.New: %v", err)
	}
	return &node{Keyring: k, store: st, sealer: sealer, clock: clk}
}

// claims are valid claims issued at now.
func claims(now time.Time) signing.Claims {
	return signing.Claims{
		Issuer:    issuer,
		Audience:  []string{audience},
		Subject:   "user-1",
		ClientID:  "portcullis-cli",
		SessionID: "session-1",
		IssuedAt:  now,
		Expiry:    now.Add(15 * time.Minute),
		AuthTime:  now.Add(-time.Minute),
		AMR:       []string{"pwd", "otp"},
		ACR:       "mfa",
		Role:      "Developer",
		Team:      "platform",
		Groups:    []string{"ops", "on-call"},
		Extra:     map[string]any{"scope": "read write"},
	}
}

func (n *node) sign(t testing.TB, c signing.Claims) string {
	t.Helper()
	tok, _, err := n.Sign(c)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return tok
}

// storedKey returns the store's row for kid.
func (n *node) storedKey(t testing.TB, kid string) store.SigningKey {
	t.Helper()
	keys, err := n.store.ListSigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.ID == kid {
			return k
		}
	}
	t.Fatalf("key %s is not in the store", kid)
	return store.SigningKey{}
}

// privateKey unseals the private JWK of kid, as only a holder of the KEK can.
func (n *node) privateKey(t testing.TB, kid string) jwk.Key {
	t.Helper()
	sk := n.storedKey(t, kid)
	plain, err := n.sealer.Open(context.Background(), sk.Private, []byte("signing-key:"+kid))
	if err != nil {
		t.Fatalf("opening the sealed key: %v", err)
	}
	key, err := jwk.ParseKey(plain)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// kids lists the kids of a JWKS in order.
func kids(t testing.TB, jwks []byte) []string {
	t.Helper()
	set, err := jwk.Parse(jwks)
	if err != nil {
		t.Fatalf("parsing the JWKS: %v", err)
	}
	var out []string
	for i := range set.Len() {
		k, _ := set.Key(i)
		out = append(out, k.KeyID())
	}
	return out
}
