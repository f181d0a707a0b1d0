package devtoken_test

import (
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/portcullis/portcullis/internal/devtoken"
)

func TestMintedTokensVerifyAgainstTheirJWKS(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"RS256", "PS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			s, err := devtoken.NewSigner(alg)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := devtoken.JWKS(s)
			if err != nil {
				t.Fatal(err)
			}
			set, err := jwk.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := s.Mint(devtoken.Claims{Subject: "alice", Role: "Admin"}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := jwt.ParseString(tok, jwt.WithKeySet(set), jwt.WithValidate(true))
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if parsed.Subject() != "alice" {
				t.Fatalf("sub = %q", parsed.Subject())
			}
			back, err := s.MarshalPrivate()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := devtoken.LoadSigner(back); err != nil {
				t.Fatalf("reload: %v", err)
			}
		})
	}
}
