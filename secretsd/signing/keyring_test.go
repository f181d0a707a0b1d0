package signing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/secretsd/signing"
	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

// privateMembers are the JWK members of private keys (RFC 7518 §6.2.2,
// §6.3.2, §6.4.1; RFC 8037 §2).
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

func TestJWKSPublishesOnlyPublicMembers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		sealer := newSealer(t)
		var n *node
		// One key of each algorithm: each New rotates to its algorithm and
		// keeps the others published.
		for _, alg := range algorithms {
			n = newNode(t, st, sealer, signing.Config{Algorithm: alg})
		}
		jwks, err := n.JWKS()
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Keys []map[string]any `json:"keys"`
		}
		if err := json.Unmarshal(jwks, &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Keys) != 3 {
			t.Fatalf("%d keys published, want 3", len(doc.Keys))
		}
		var algs []string
		for _, k := range doc.Keys {
			for _, m := range privateMembers {
				if _, ok := k[m]; ok {
					t.Errorf("key %v publishes the private member %q", k["kid"], m)
				}
			}
			if k["use"] != "sig" || k["kid"] == "" {
				t.Errorf("key %v: want use sig and a kid", k)
			}
			algs = append(algs, k["alg"].(string))
		}
		if want := []string{signing.EdDSA, signing.ES256, signing.RS256}; !slices.Equal(algs, want) {
			t.Errorf("algorithms in order %v, want %v (active first, then newest first)", algs, want)
		}
		again, _ := n.JWKS()
		if !bytes.Equal(jwks, again) {
			t.Error("two calls give different documents")
		}
		// A node loading the same keys publishes the same bytes.
		other := newNode(t, st, sealer, signing.Config{Algorithm: signing.EdDSA})
		if o, _ := other.JWKS(); !bytes.Equal(jwks, o) {
			t.Errorf("another node publishes\n%s\nnot\n%s", o, jwks)
		}
	})
}

func TestPrivateKeyIsSealedInTheStore(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		sealer := newSealer(t)
		for _, alg := range algorithms {
			t.Run(alg, func(t *testing.T) {
				n := newNode(t, st, sealer, signing.Config{Algorithm: alg})
				sk := n.storedKey(t, n.ActiveKeyID())
				priv := n.privateKey(t, sk.ID) // opens with the kid's aad
				plain, _ := json.Marshal(priv)
				if bytes.Contains(sk.Private, plain) || bytes.Contains(sk.Private, []byte(`"d":`)) {
					t.Fatal("the stored private key holds the plaintext JWK")
				}
				if _, err := jwk.ParseKey(sk.Private); err == nil {
					t.Fatal("the stored private key parses as a JWK")
				}
				if _, err := n.sealer.Open(context.Background(), sk.Private, []byte("signing-key:another-kid")); err == nil {
					t.Fatal("the sealed key opens under another kid")
				}
				for _, m := range privateMembers {
					if bytes.Contains(sk.Public, []byte(`"`+m+`":`)) {
						t.Fatalf("the stored public key holds %q", m)
					}
				}
				// Keys made at the same instant are dated a microsecond apart,
				// so that the newest is always the one made last.
				if sk.Algorithm != alg || sk.CreatedAt.Sub(t0) > time.Millisecond || !sk.RetiredAt.IsZero() || !sk.PublishUntil.IsZero() {
					t.Fatalf("stored key %+v", sk)
				}
			})
		}
	})
}

// A store row whose private half is another key's (copied from another row,
// or tampered with) must not become the signing key.
func TestNewRefusesAPrivateKeyOfAnotherKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sealer := newSealer(t)
	a := newNode(t, storetest.SQLite(t), sealer, signing.Config{Algorithm: signing.EdDSA})
	b := newNode(t, storetest.SQLite(t), sealer, signing.Config{Algorithm: signing.EdDSA})
	ka, kb := a.storedKey(t, a.ActiveKeyID()), b.storedKey(t, b.ActiveKeyID())

	for _, tc := range []struct {
		name string
		row  store.SigningKey
	}{
		{"a sealed key moved to another kid does not open", store.SigningKey{ID: ka.ID, Algorithm: ka.Algorithm, Private: kb.Private, Public: ka.Public, CreatedAt: t0}},
		{"a private key that does not match the public key is refused", store.SigningKey{ID: kb.ID, Algorithm: kb.Algorithm, Private: kb.Private, Public: ka.Public, CreatedAt: t0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := storetest.SQLite(t)
			if err := st.CreateSigningKey(ctx, tc.row); err != nil {
				t.Fatal(err)
			}
			if _, err := signing.New(ctx, signing.Config{Algorithm: signing.EdDSA}, st, sealer, clock.NewManual(t0)); err == nil {
				t.Fatal("New accepted the row")
			}
		})
	}
}

func TestNewChecksTheConfig(t *testing.T) {
	t.Parallel()
	st := storetest.SQLite(t)
	for _, tc := range []struct {
		name string
		cfg  signing.Config
	}{
		{"an unsupported algorithm", signing.Config{Algorithm: "HS256"}},
		{"PS256, which secretsd does not issue", signing.Config{Algorithm: "PS256"}},
		{"a negative duration", signing.Config{MaxTokenTTL: -time.Second}},
	} {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			if _, err := signing.New(context.Background(), tc.cfg, st, newSealer(t), clock.NewManual(t0)); err == nil {
				t.Fatal("New accepted it")
			}
		})
	}
	t.Run("the default algorithm is RS256", func(t *testing.T) {
		n := newNode(t, storetest.SQLite(t), newSealer(t), signing.Config{})
		if alg := decodeSegment(t, n.sign(t, claims(t0)), 0)["alg"]; alg != signing.RS256 {
			t.Fatalf("alg = %v", alg)
		}
	})
}

// A longer MaxTokenTTL both allows longer tokens and publishes retired keys
// for longer; a reload interval longer than Leeway extends publication too,
// since another node signs with a retired key until its next reload.
func TestPublicationCoversTokenLifetimeAndReload(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  signing.Config
		want time.Duration
	}{
		{"MaxTokenTTL plus Leeway", signing.Config{MaxTokenTTL: time.Hour, Leeway: 2 * time.Minute}, time.Hour + 2*time.Minute},
		{"MaxTokenTTL plus ReloadEvery when it exceeds Leeway", signing.Config{MaxTokenTTL: time.Hour, Leeway: time.Minute, ReloadEvery: 5 * time.Minute}, time.Hour + 5*time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Algorithm = signing.EdDSA
			n := newNode(t, storetest.SQLite(t), newSealer(t), tc.cfg)
			c := claims(t0)
			c.Expiry = t0.Add(tc.cfg.MaxTokenTTL)
			if _, _, err := n.Sign(c); err != nil {
				t.Fatalf("a token of MaxTokenTTL: %v", err)
			}
			old := n.ActiveKeyID()
			if _, err := n.Rotate(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := n.storedKey(t, old).PublishUntil; !got.Equal(t0.Add(tc.want)) {
				t.Fatalf("PublishUntil = %s, want %s", got, t0.Add(tc.want))
			}
		})
	}
}

func TestVerifyErrorsNameTheReason(t *testing.T) {
	t.Parallel()
	n := newNode(t, storetest.SQLite(t), newSealer(t), signing.Config{Algorithm: signing.EdDSA})
	_, err := n.Verify("x.y.z", issuer, audience)
	if !errors.Is(err, signing.ErrInvalidToken) || err.Error() == signing.ErrInvalidToken.Error() {
		t.Fatalf("err = %v: want ErrInvalidToken with a reason", err)
	}
}
