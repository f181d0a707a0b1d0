package signing_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/principal"
	"github.com/portcullis/portcullis/internal/token"
	"github.com/portcullis/portcullis/secretsd/signing"
	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

func decodeSegment(t testing.TB, tok string, i int) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// checkPrincipal compares what a verifier read with the claims signed.
func checkPrincipal(t testing.TB, p *principal.Principal, c signing.Claims, jti string) {
	t.Helper()
	want := principal.Principal{
		Subject: c.Subject, Issuer: c.Issuer, Audience: c.Audience, TokenID: jti,
		SessionID: c.SessionID, ClientID: c.ClientID,
		IssuedAt: c.IssuedAt, NotBefore: c.IssuedAt, Expiry: c.Expiry, AuthTime: c.AuthTime,
		AMR: c.AMR, ACR: c.ACR, Role: c.Role, Team: c.Team, Groups: c.Groups,
	}
	got := *p
	got.Claims = nil
	for _, tm := range []*time.Time{&got.IssuedAt, &got.NotBefore, &got.Expiry, &got.AuthTime} {
		*tm = tm.UTC()
	}
	if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
		t.Errorf("principal:\n got %s\nwant %s", g, w)
	}
	for name, v := range c.Extra {
		if p.Claims[name] != v {
			t.Errorf("extra claim %s = %v, want %v", name, p.Claims[name], v)
		}
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSignedTokensVerify(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		sealer := newSealer(t)
		for _, alg := range algorithms {
			t.Run(alg, func(t *testing.T) {
				n := newNode(t, st, sealer, signing.Config{Algorithm: alg})
				c := claims(t0)
				tok, jti, err := n.Sign(c)
				if err != nil {
					t.Fatal(err)
				}
				hdr := decodeSegment(t, tok, 0)
				if hdr["typ"] != "at+jwt" || hdr["alg"] != alg || hdr["kid"] != n.ActiveKeyID() || len(hdr) != 3 {
					t.Errorf("header = %v, want typ at+jwt, alg %s, kid %s and nothing else", hdr, alg, n.ActiveKeyID())
				}
				p, err := n.Verify(tok, issuer, audience)
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				checkPrincipal(t, p, c, jti)
			})
		}
	})
}

// The gateway verifies secretsd's tokens with internal/token against the
// published JWKS: every algorithm must pass there as it is issued here.
func TestGatewayVerifierAcceptsSignedTokens(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		sealer := newSealer(t)
		for _, alg := range algorithms {
			t.Run(alg, func(t *testing.T) {
				n := newNode(t, st, sealer, signing.Config{Algorithm: alg})
				jwks, err := n.JWKS()
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(t.TempDir(), "jwks.json")
				if err := os.WriteFile(path, jwks, 0o600); err != nil {
					t.Fatal(err)
				}
				src, err := token.NewKeySource(token.SourceOptions{Source: path, Clock: n.clock})
				if err != nil {
					t.Fatalf("the gateway cannot read the JWKS: %v", err)
				}
				t.Cleanup(src.Close)
				v, err := token.NewVerifier(token.Config{
					Issuer: issuer, Audiences: []string{audience}, Algorithms: []string{alg},
					Leeway: token.DefaultLeeway, Keys: src, Clock: n.clock,
				})
				if err != nil {
					t.Fatal(err)
				}
				c := claims(t0)
				tok, jti, err := n.Sign(c)
				if err != nil {
					t.Fatal(err)
				}
				p, err := v.Verify(tok)
				if err != nil {
					t.Fatalf("the gateway refuses the token: %v", err)
				}
				checkPrincipal(t, p, c, jti)
			})
		}
	})
}

func TestSignDefaults(t *testing.T) {
	t.Parallel()
	n := newNode(t, storetest.SQLite(t), newSealer(t), signing.Config{Algorithm: signing.EdDSA})

	t.Run("an empty jti is generated: 128 random bits, unique", func(t *testing.T) {
		seen := map[string]bool{}
		for range 100 {
			tok, jti, err := n.Sign(claims(t0))
			if err != nil {
				t.Fatal(err)
			}
			if raw, err := base64.RawURLEncoding.DecodeString(jti); err != nil || len(raw) != 16 {
				t.Fatalf("jti %q is not 16 base64url bytes", jti)
			}
			if seen[jti] {
				t.Fatalf("jti %q repeated", jti)
			}
			seen[jti] = true
			if got := decodeSegment(t, tok, 1)["jti"]; got != jti {
				t.Fatalf("token jti %v, returned %q", got, jti)
			}
		}
	})
	t.Run("a given jti is kept", func(t *testing.T) {
		c := claims(t0)
		c.TokenID = "my-id"
		tok, jti, err := n.Sign(c)
		if err != nil || jti != "my-id" || decodeSegment(t, tok, 1)["jti"] != "my-id" {
			t.Fatalf("jti %q, err %v", jti, err)
		}
	})
	t.Run("a zero issued-at is now, and nbf is issued-at", func(t *testing.T) {
		c := claims(t0)
		c.IssuedAt = time.Time{}
		p := decodeSegment(t, n.sign(t, c), 1)
		if p["iat"] != float64(t0.Unix()) || p["nbf"] != float64(t0.Unix()) {
			t.Fatalf("iat %v nbf %v, want %d", p["iat"], p["nbf"], t0.Unix())
		}
	})
	t.Run("empty optional claims are left out", func(t *testing.T) {
		c := signing.Claims{Issuer: issuer, Audience: []string{audience}, Subject: "u", Expiry: t0.Add(time.Minute)}
		p := decodeSegment(t, n.sign(t, c), 1)
		var names []string
		for name := range p {
			names = append(names, name)
		}
		slices.Sort(names)
		if want := []string{"aud", "exp", "iat", "iss", "jti", "nbf", "sub"}; !slices.Equal(names, want) {
			t.Fatalf("claims %v, want %v", names, want)
		}
	})
	t.Run("several audiences are an array", func(t *testing.T) {
		c := claims(t0)
		c.Audience = []string{"a", "b"}
		if aud := decodeSegment(t, n.sign(t, c), 1)["aud"]; mustJSON(t, aud) != `["a","b"]` {
			t.Fatalf("aud = %v", aud)
		}
	})
	t.Run("strings that need escaping survive", func(t *testing.T) {
		c := claims(t0)
		c.Subject = "quote\" backslash\\ newline\n tab\t nul\x00 del\x7f é 😀 \u2028"
		c.Groups = []string{"</script>", "a\"b"}
		tok, jti, err := n.Sign(c)
		if err != nil {
			t.Fatal(err)
		}
		p, err := n.Verify(tok, issuer, audience)
		if err != nil {
			t.Fatal(err)
		}
		checkPrincipal(t, p, c, jti)
	})
}

func TestSignRefuses(t *testing.T) {
	t.Parallel()
	n := newNode(t, storetest.SQLite(t), newSealer(t), signing.Config{Algorithm: signing.ES256})
	change := func(f func(c *signing.Claims)) signing.Claims {
		c := claims(t0)
		f(&c)
		return c
	}
	cases := []struct {
		name   string
		claims signing.Claims
	}{
		{"no issuer", change(func(c *signing.Claims) { c.Issuer = "" })},
		{"no subject", change(func(c *signing.Claims) { c.Subject = "" })},
		{"no audience", change(func(c *signing.Claims) { c.Audience = nil })},
		{"an empty audience", change(func(c *signing.Claims) { c.Audience = []string{audience, ""} })},
		{"no expiry", change(func(c *signing.Claims) { c.Expiry = time.Time{} })},
		{"expiry not after issued-at", change(func(c *signing.Claims) { c.Expiry = c.IssuedAt })},
		{"expiry beyond the maximum token lifetime", change(func(c *signing.Claims) { c.Expiry = t0.Add(signing.DefaultMaxTokenTTL + time.Second) })},
		{"a subject that is not UTF-8", change(func(c *signing.Claims) { c.Subject = "\xff" })},
		{"a group that is not UTF-8", change(func(c *signing.Claims) { c.Groups = []string{"ok", "\xc3"} })},
		{"an extra claim name that is not UTF-8", change(func(c *signing.Claims) { c.Extra = map[string]any{"\xff": 1} })},
		{"an extra claim that is not JSON", change(func(c *signing.Claims) { c.Extra = map[string]any{"f": func() {}} })},
	}
	for _, name := range []string{"iss", "sub", "aud", "client_id", "iat", "nbf", "exp", "jti", "sid", "auth_time", "amr", "acr", "role", "team", "groups"} {
		cases = append(cases, struct {
			name   string
			claims signing.Claims
		}{"extra claim " + name + " overriding a standard one", change(func(c *signing.Claims) { c.Extra = map[string]any{"scope": "x", name: "admin"} })})
	}
	for _, tc := range cases {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			tok, _, err := n.Sign(tc.claims)
			if !errors.Is(err, signing.ErrInvalidClaims) || tok != "" {
				t.Fatalf("Sign = %q, %v; want ErrInvalidClaims", tok, err)
			}
		})
	}
}
