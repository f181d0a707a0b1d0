package cli_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/portcullis/portcullis/internal/cli"
)

// run executes the CLI in process and returns exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Execute(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestDevKeysCreatesKeyAndJWKSOnceForEachAlgorithm(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"RS256", "PS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if code, _, stderr := run(t, "dev", "keys", "--dir", dir, "--alg", alg); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			keyPath := filepath.Join(dir, cli.DevKeyFile)
			st, err := os.Stat(keyPath)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("key file mode = %v, want 0600", st.Mode().Perm())
			}
			key1, _ := os.ReadFile(keyPath)
			set, err := jwk.ReadFile(filepath.Join(dir, cli.DevJWKSFile))
			if err != nil {
				t.Fatalf("jwks: %v", err)
			}
			pub, ok := set.Key(0)
			if !ok || pub.Algorithm().String() != alg {
				t.Fatalf("jwks key alg = %v, want %s", pub, alg)
			}
			if private, err := jwk.IsPrivateKey(pub); err != nil || private {
				t.Fatalf("JWKS holds a private key (%v)", err)
			}

			// A second run keeps the key, and rewrites only a missing JWKS.
			if err := os.Remove(filepath.Join(dir, cli.DevJWKSFile)); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := run(t, "dev", "keys", "--dir", dir, "--alg", "RS256")
			if code != 0 || !strings.Contains(stdout, "kept key") {
				t.Fatalf("second run: exit %d, %q %q", code, stdout, stderr)
			}
			key2, _ := os.ReadFile(keyPath)
			if !bytes.Equal(key1, key2) {
				t.Fatal("second run replaced the key")
			}
			if _, err := os.Stat(filepath.Join(dir, cli.DevJWKSFile)); err != nil {
				t.Fatalf("missing JWKS was not written again: %v", err)
			}
		})
	}
}

func TestDevTokenMintsAVerifiableRFC9068Token(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if code, _, stderr := run(t, "dev", "keys", "--dir", dir, "--alg", "RS256"); code != 0 {
		t.Fatal(stderr)
	}
	code, stdout, stderr := run(t, "dev", "token", "--dir", dir, "--sub", "bob", "--role", "Operator", "--team", "sre",
		"--groups", "oncall,db", "--amr", "pwd,otp", "--ttl", "5m", "--auth-age", "20m", "--break-glass")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw := strings.TrimSpace(stdout)
	set, err := jwk.ReadFile(filepath.Join(dir, cli.DevJWKSFile))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.ParseString(raw, jwt.WithKeySet(set), jwt.WithValidate(true),
		jwt.WithIssuer("https://portcullis.local"), jwt.WithAudience("portcullis-gateway"))
	if err != nil {
		t.Fatalf("token does not verify: %v", err)
	}
	msg, err := jws.ParseString(raw)
	if err != nil {
		t.Fatal(err)
	}
	if typ := msg.Signatures()[0].ProtectedHeaders().Type(); typ != "at+jwt" {
		t.Errorf("typ = %q, want at+jwt (RFC 9068 section 2.1)", typ)
	}
	claims, _ := tok.AsMap(t.Context())
	js, _ := json.Marshal(claims)
	for _, want := range []string{`"sub":"bob"`, `"role":"Operator"`, `"team":"sre"`, `"groups":["oncall","db"]`, `"amr":["pwd","otp"]`, `"break_glass":true`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("claims %s lack %s", js, want)
		}
	}
	if ttl := tok.Expiration().Sub(tok.IssuedAt()); ttl != 5*time.Minute {
		t.Errorf("exp - iat = %s, want 5m", ttl)
	}
	authTime, _ := claims["auth_time"].(float64)
	if age := tok.IssuedAt().Unix() - int64(authTime); age < 19*60 || age > 21*60 {
		t.Errorf("auth_time is %ds before iat, want about 1200", age)
	}
}

func TestDevCommandErrorsAreOneLineWithExitCode1(t *testing.T) {
	t.Parallel()
	withKey := t.TempDir()
	if code, _, stderr := run(t, "dev", "keys", "--dir", withKey); code != 0 {
		t.Fatal(stderr)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"token without a key says how to create one", []string{"dev", "token", "--dir", filepath.Join(t.TempDir(), "none")}, "run `portcullis dev keys"},
		{"unsupported algorithm is named", []string{"dev", "keys", "--dir", t.TempDir(), "--alg", "HS256"}, `"HS256" is not one of`},
		{"non-positive ttl is refused", []string{"dev", "token", "--dir", withKey, "--ttl", "0s"}, "--ttl must be positive"},
		{"negative auth age is refused", []string{"dev", "token", "--dir", withKey, "--auth-age", "-1m"}, "--auth-age must not be negative"},
		{"unknown flag is reported", []string{"dev", "token", "--bogus"}, "unknown flag"},
		{"unknown command is reported", []string{"nope"}, "unknown command"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := run(t, tc.args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1", code)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "portcullis: ") || !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr = %q, want one line containing %q", stderr, tc.want)
			}
		})
	}
}

func TestCorruptKeyFileIsReported(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, cli.DevKeyFile), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, "dev", "token", "--dir", dir)
	if code != 1 || !strings.Contains(stderr, cli.DevKeyFile) {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}
