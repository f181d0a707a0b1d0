package signing_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/portcullis/portcullis/secretsd/signing"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

// FuzzSignRoundTrip checks the hand-written claims encoder: whatever strings
// a caller puts in the claims, the token either verifies with exactly those
// values, or Sign refuses it (invalid UTF-8), never anything in between.
func FuzzSignRoundTrip(f *testing.F) {
	n := newNode(f, storetest.SQLite(f), newSealer(f), signing.Config{Algorithm: signing.EdDSA})
	for _, s := range [][4]string{
		{"user-1", "Developer", "ops", "scope"},
		{"quote\"back\\slash", "new\nline", "\x00\x01\x1f\x7f", "ünïcödé"},
		{"\u2028\u2029", "</script>", "😀", "\\u0000"},
		{"\xff", "role", "group", "name"},
		{"sub", "role", "group", "exp"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, sub, role, group, extra string) {
		c := claims(t0)
		c.Subject, c.Role, c.Groups = "s"+sub, role, []string{group, "x"}
		c.Extra = map[string]any{"x_" + extra: extra}
		tok, jti, err := n.Sign(c)
		valid := utf8.ValidString(sub) && utf8.ValidString(role) && utf8.ValidString(group) && utf8.ValidString(extra)
		if !valid {
			if !errors.Is(err, signing.ErrInvalidClaims) {
				t.Fatalf("invalid UTF-8 signed: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Sign: %v", err)
		}
		p, err := n.Verify(tok, issuer, audience)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if p.Subject != c.Subject || p.Role != role || !slices.Equal(p.Groups, c.Groups) || p.TokenID != jti || p.Claims["x_"+extra] != extra {
			t.Fatalf("round trip changed the claims: %+v", p)
		}
	})
}

// FuzzVerify feeds arbitrary tokens, mutated from a valid one, to Verify:
// it must never panic, and every refusal wraps ErrInvalidToken.
func FuzzVerify(f *testing.F) {
	n := newNode(f, storetest.SQLite(f), newSealer(f), signing.Config{Algorithm: signing.ES256})
	valid := n.sign(f, claims(t0))
	parts := strings.Split(valid, ".")
	for _, s := range []string{
		valid, "", "..", "a.b.c", parts[0] + "." + parts[1] + ".",
		parts[0] + ".e30." + parts[2], "eyJhbGciOiJub25lIn0.e30.", valid + ".x.y",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		p, err := n.Verify(tok, issuer, audience)
		if err != nil {
			if !errors.Is(err, signing.ErrInvalidToken) || p != nil {
				t.Fatalf("Verify = %v, %v", p, err)
			}
			return
		}
		if tok != valid && p.Subject != "user-1" {
			t.Fatalf("accepted a token this keyring did not sign: %+v", p)
		}
	})
}
