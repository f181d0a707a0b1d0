package jwtauth_test

import (
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/portcullis/portcullis/caddymodules/jwtauth"
)

func TestUnmarshalCaddyfile(t *testing.T) {
	t.Parallel()
	const base = "jwt_auth {\n issuer https://id.example.com\n audience api\n"
	cases := []struct {
		name    string
		input   string
		wantErr string
	}{
		{"minimal block", base + "}", ""},
		{"full block", base + " jwks https://id.example.com/jwks.json\n algorithms RS256 ES256\n typ any\n leeway 10s\n cache_size 500\n forward_claim sub X-Portcullis-User\n forward_claim role X-Portcullis-Role\n}", ""},
		{"several audiences on two lines", base + " audience admin-api other\n}", ""},
		{"leeway 0 disables the leeway", base + " leeway 0\n}", ""},
		{"cache_size 0 disables the cache", base + " cache_size 0\n}", ""},
		{"missing issuer", "jwt_auth {\n audience api\n}", "issuer is required"},
		{"missing audience", "jwt_auth {\n issuer i\n}", "audience is required"},
		{"no block at all", "jwt_auth", "issuer is required"},
		{"unknown algorithm HS256", base + " algorithms RS256 HS256\n}", `unknown algorithm "HS256"`},
		{"algorithm none", base + " algorithms none\n}", `unknown algorithm "none"`},
		{"empty algorithms", base + " algorithms\n}", "needs at least one"},
		{"bad leeway", base + " leeway soon\n}", `leeway "soon" is not a duration`},
		{"negative leeway", base + " leeway -1s\n}", "is not a duration between"},
		{"leeway above 5m", base + " leeway 1h\n}", "is not a duration between"},
		{"bad typ", base + " typ JWT\n}", `typ takes "at+jwt" or "any"`},
		{"bad cache_size", base + " cache_size lots\n}", `cache_size "lots"`},
		{"cache_size too large", base + " cache_size 500000\n}", "between 0 and 50000"},
		{"forward_claim without header", base + " forward_claim sub\n}", "claim name and a header name"},
		{"forward_claim with a bad header name", base + " forward_claim sub X:User\n}", "not a valid header name"},
		{"forward_claim into Host", base + " forward_claim sub host\n}", "cannot carry a claim"},
		{"forward_claim into Authorization", base + " forward_claim sub Authorization\n}", "cannot carry a claim"},
		{"same header twice", base + " forward_claim sub X-User\n forward_claim role x_user\n}", "forwarded twice"},
		{"unknown option", base + " issuers x\n}", `unrecognized option "issuers"`},
		{"inline argument", "jwt_auth api {\n}", "unexpected argument"},
		{"jwks with two values", base + " jwks a b\n}", "exactly one"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var h jwtauth.JWTAuth
			err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(c.input))
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if err := h.Validate(); err != nil {
					t.Fatalf("parsed config does not validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, c.wantErr)
			}
			if !strings.Contains(err.Error(), "Testfile:") {
				t.Fatalf("error does not name the file and line: %v", err)
			}
		})
	}
}

func FuzzUnmarshalCaddyfile(f *testing.F) {
	f.Add("jwt_auth {\n issuer https://id.example.com\n audience api\n}")
	f.Add("jwt_auth {\n jwks /etc/jwks.json\n issuer i\n audience a b\n algorithms RS256 EdDSA\n typ any\n leeway 0\n cache_size 0\n forward_claim sub X-User\n}")
	f.Add("jwt_auth {\n issuer i\n audience a\n forward_claim groups X_Groups\n leeway 5m\n cache_size 50000\n}")
	f.Fuzz(func(t *testing.T, input string) {
		var h jwtauth.JWTAuth
		if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input)); err != nil {
			return
		}
		// Whatever parses must be a valid configuration.
		if err := h.Validate(); err != nil {
			t.Fatalf("parsed config does not validate: %v\n%s", err, input)
		}
	})
}
