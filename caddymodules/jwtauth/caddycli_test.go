package jwtauth_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/testenv"
)

// TestAdaptGolden runs the real binary's `caddy adapt` on each
// testdata/*.caddyfile and compares the JSON with its golden file
// (go test -update rewrites them).
func TestAdaptGolden(t *testing.T) {
	t.Parallel()
	testenv.AdaptGoldenDir(t, "testdata")
}

// TestValidateNamesLineAndProblem runs `caddy validate` on bad configs: the
// error must name the file and line (when the problem is in the Caddyfile)
// and say what is wrong.
func TestValidateNamesLineAndProblem(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	jwks := filepath.Join(dir, "jwks.json")
	if err := os.WriteFile(jwks, testFixture(t).JWKS, 0o600); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, []byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	site := func(body string) string {
		return "http://127.0.0.1:1 {\n\tjwt_auth {\n" + body + "\t}\n\trespond ok\n}\n"
	}
	const good = "\t\tjwks " + "JWKS" + "\n\t\tissuer https://id.example.com\n\t\taudience api\n"
	cases := []struct {
		name    string
		config  string
		wantErr []string
	}{
		{"unknown algorithm HS256", site(good + "\t\talgorithms RS256 HS256\n"), []string{"/Caddyfile:6", `unknown algorithm "HS256"`}},
		{"missing issuer", site("\t\tjwks JWKS\n\t\taudience api\n"), []string{"/Caddyfile:5", "issuer is required"}},
		{"missing audience", site("\t\tjwks JWKS\n\t\tissuer https://id.example.com\n"), []string{"/Caddyfile:5", "audience is required"}},
		{"bad leeway", site(good + "\t\tleeway yesterday\n"), []string{"/Caddyfile:6", `leeway "yesterday"`}},
		{"unknown option", site(good + "\t\tissuer_url x\n"), []string{"/Caddyfile:6", `unrecognized option "issuer_url"`}},
		{"bad typ", site(good + "\t\ttyp JWT\n"), []string{"/Caddyfile:6", "typ takes"}},
		{"bad forward_claim header", site(good + "\t\tforward_claim sub \"X User\"\n"), []string{"/Caddyfile:6", "not a valid header name"}},
		{"missing JWKS file is named", site(strings.Replace(good, "JWKS", filepath.Join(dir, "nope.json"), 1)), []string{"nope.json", "no such file"}},
		{"JWKS without a usable key is named", site(strings.Replace(good, "JWKS", broken, 1)), []string{"broken.json", "no usable signing key"}},
		{"no JWKS anywhere", site("\t\tissuer https://id.example.com\n\t\taudience api\n"), []string{"no key set configured"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg := strings.ReplaceAll(c.config, "JWKS", jwks)
			out, ok := testenv.Validate(t, cfg)
			if ok {
				t.Fatalf("caddy validate accepted:\n%s", cfg)
			}
			for _, w := range c.wantErr {
				if !strings.Contains(out, w) {
					t.Fatalf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	// And the good one passes.
	if out, ok := testenv.Validate(t, strings.ReplaceAll(site(good), "JWKS", jwks)); !ok {
		t.Fatalf("caddy validate refused a good config:\n%s", out)
	}
}
