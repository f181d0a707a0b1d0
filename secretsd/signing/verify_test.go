package signing_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/portcullis/portcullis/internal/token"
	"github.com/portcullis/portcullis/secretsd/signing"
	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

// forge signs payload with key under alg and the given protected header,
// as an attacker holding that key (or the server by mistake) would.
func forge(t testing.TB, alg jwa.SignatureAlgorithm, key any, hdr map[string]any, payload []byte) string {
	t.Helper()
	h := jws.NewHeaders()
	for k, v := range hdr {
		if err := h.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	out, err := jws.Sign(payload, jws.WithKey(alg, key, jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func segment(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestVerifyRefuses(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		n := newNode(t, st, newSealer(t), signing.Config{Algorithm: signing.ES256})
		other := newNode(t, storetest.SQLite(t), newSealer(t), signing.Config{Algorithm: signing.ES256})
		kid := n.ActiveKeyID()
		valid := n.sign(t, claims(t0))
		parts := strings.Split(valid, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		priv := n.privateKey(t, kid)
		pub, _ := priv.PublicKey()
		pubJSON, _ := json.Marshal(pub)

		var m map[string]any
		_ = json.Unmarshal(payload, &m)
		m["role"] = "Admin"
		escalated := segment(m)

		future := claims(t0.Add(5 * time.Minute))
		future.Expiry = t0.Add(10 * time.Minute)

		// An RSA key carrying the ES256 key's kid: jwx writes a key's kid
		// into the header.
		rsaKey, _ := newNodeKey(t, signing.RS256)
		_ = rsaKey.Set(jwk.KeyIDKey, kid)

		cases := []struct {
			name     string
			tok      string
			iss, aud string
			want     error
		}{
			{"a payload changed after signing is rejected", parts[0] + "." + escalated + "." + parts[2], issuer, audience, token.ErrSignature},
			{"a signature with a flipped bit is rejected", flipLast(valid), issuer, audience, token.ErrSignature},
			{"a token without signature is rejected", parts[0] + "." + parts[1] + ".", issuer, audience, token.ErrSignature},
			{"alg none is rejected", segment(map[string]any{"alg": "none", "typ": "at+jwt", "kid": kid}) + "." + parts[1] + ".", issuer, audience, token.ErrSignature},
			{"alg none with a bogus signature is rejected", segment(map[string]any{"alg": "none", "typ": "at+jwt", "kid": kid}) + "." + parts[1] + ".AAAA", issuer, audience, token.ErrAlgorithm},
			{"HS256 keyed with the public JWK is rejected", forge(t, jwa.HS256, pubJSON, map[string]any{"typ": "at+jwt", "kid": kid}, payload), issuer, audience, token.ErrAlgorithm},
			{"a header alg other than the key's is rejected (alg comes from the key)", forge(t, jwa.RS256, rsaKey, map[string]any{"typ": "at+jwt", "kid": kid}, payload), issuer, audience, token.ErrAlgorithm},
			{"typ JWT is rejected even when signed by the key", forge(t, jwa.ES256, priv, map[string]any{"typ": "JWT", "kid": kid}, payload), issuer, audience, token.ErrType},
			{"a missing typ is rejected even when signed by the key", forge(t, jwa.ES256, priv, map[string]any{"kid": kid}, payload), issuer, audience, token.ErrType},
			{"a token of another issuer's key is rejected", other.sign(t, claims(t0)), issuer, audience, token.ErrUnknownKey},
			{"a wrong issuer is rejected", valid, "https://other.test", audience, token.ErrIssuer},
			{"a wrong audience is rejected", valid, issuer, "another-api", token.ErrAudience},
			{"a token not valid yet is rejected", n.sign(t, future), issuer, audience, token.ErrNotYetValid},
			{"garbage is rejected", "not a token", issuer, audience, token.ErrMalformed},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p, err := n.Verify(tc.tok, tc.iss, tc.aud)
				if !errors.Is(err, signing.ErrInvalidToken) || !errors.Is(err, tc.want) || p != nil {
					t.Fatalf("Verify = %v, %v; want ErrInvalidToken and %v", p, err, tc.want)
				}
			})
		}

		t.Run("an expired token is rejected beyond the leeway only", func(t *testing.T) {
			n.clock.Set(t0.Add(15*time.Minute + token.DefaultLeeway - time.Second))
			if _, err := n.Verify(valid, issuer, audience); err != nil {
				t.Fatalf("within the leeway: %v", err)
			}
			n.clock.Set(t0.Add(15*time.Minute + token.DefaultLeeway))
			if _, err := n.Verify(valid, issuer, audience); !errors.Is(err, token.ErrExpired) {
				t.Fatalf("beyond the leeway: %v, want ErrExpired", err)
			}
		})
	})
}

func flipLast(tok string) string {
	b := []byte(tok)
	i := len(b) - 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// newNodeKey is a stray private key of alg, published nowhere.
func newNodeKey(t testing.TB, alg string) (jwk.Key, string) {
	t.Helper()
	n := newNode(t, storetest.SQLite(t), newSealer(t), signing.Config{Algorithm: alg})
	return n.privateKey(t, n.ActiveKeyID()), n.ActiveKeyID()
}
