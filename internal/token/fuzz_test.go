package token_test

import (
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/internal/devtoken"
	"github.com/portcullis/portcullis/internal/token"
	"github.com/portcullis/portcullis/internal/token/tokentest"
)

// FuzzVerify feeds mutations of valid and hostile tokens to the verifier.
// It must never panic, and must accept nothing but the valid tokens it was
// seeded with: the fuzzer holds no private key, so anything else it makes
// up is unsigned or garbage.
func FuzzVerify(f *testing.F) {
	fx := testFixture(f)
	valid := map[string]bool{}
	for _, s := range fx.Signers() {
		tok := tokentest.Mint(s, t0)
		valid[tok] = true
		f.Add(tok)
	}
	hostile, err := fx.Hostile(t0)
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range hostile {
		f.Add(c.Token)
	}
	v := newVerifier(f, clock.NewManual(t0))
	f.Fuzz(func(t *testing.T, tok string) {
		p, err := v.Verify(tok)
		if err == nil && !valid[tok] {
			t.Fatalf("accepted a token nobody signed: %q -> %+v", tok, p)
		}
		if err == nil && (p == nil || p.Subject == "") {
			t.Fatalf("accepted without a principal: %q", tok)
		}
	})
}

// FuzzParseKeySet checks that no JWKS document makes the parser panic and
// that whatever it accepts has usable keys.
func FuzzParseKeySet(f *testing.F) {
	// One EC key: generating the RSA fixture in every fuzz worker would
	// cost more than the fuzzing.
	ec, err := devtoken.NewSigner("ES256")
	if err != nil {
		f.Fatal(err)
	}
	jwks, err := devtoken.JWKS(ec)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(jwks)
	f.Add([]byte(`{"keys":[{"kty":"RSA","kid":"r","alg":"RS256","n":"` + strings.Repeat("A", 342) + `","e":"AQAB"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"oct","k":"AAAA"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}]}`))
	f.Add([]byte(`{"keys":[],"keys":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, _, err := token.ParseKeySet(data, nil)
		if err == nil && set.Len() == 0 {
			t.Fatal("accepted a set without keys")
		}
	})
}
