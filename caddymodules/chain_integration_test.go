package caddymodules_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/devtoken"
	"github.com/portcullis/portcullis/internal/testenv"
)

// gateway is one running Caddy with the whole chain of the repository's
// Caddyfile, in front of an echoing upstream.
type gateway struct {
	url    string
	signer *devtoken.Signer
	caddy  *testenv.Caddy
	// auditDir is the trail's root; its keys are in a directory beside it.
	auditDir string
}

// startChain runs the repository's own Caddyfile (so the example operators
// copy is what is tested) with the environment pointing it at test parts.
func startChain(t *testing.T, extraGlobal string) *gateway {
	t.Helper()
	signer, jwksPath := testenv.SigningKey(t, "RS256")
	root := testenv.RepoRoot(t)
	caddyfile, err := os.ReadFile(filepath.Join(root, "Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	port := testenv.FreePort(t)
	upstream := testenv.Upstream(t)
	auditRoot := t.TempDir()
	auditDir := filepath.Join(auditRoot, "audit")
	// The Caddyfile reads its settings from the environment; substitute them
	// here so the test does not depend on the process environment.
	cf := strings.NewReplacer(
		"{$PORTCULLIS_JWKS:http://127.0.0.1:8200/.well-known/jwks.json}", jwksPath,
		// Revocations in process: these tests revoke nothing, and need no secretsd.
		"revocation_feed {$PORTCULLIS_REVOCATION_FEED:http://127.0.0.1:8200/v1/revocations}", "",
		"{$PORTCULLIS_LISTEN::8080}", fmt.Sprintf("http://127.0.0.1:%d", port),
		"{$PORTCULLIS_UPSTREAM:127.0.0.1:9000}", strings.TrimPrefix(upstream.URL, "http://"),
		"./policies", filepath.Join(root, "policies"),
		"portcullis {", "portcullis {\n"+extraGlobal,
		"{$PORTCULLIS_AUDIT_DIR:.run/audit}", auditDir,
		"{$PORTCULLIS_AUDIT_PSEUDONYM_KEY:.run/audit-keys/pseudonym.key}", filepath.Join(auditRoot, "audit-keys", "pseudonym.key"),
		"{$PORTCULLIS_AUDIT_SUBJECT_KEYS:.run/audit-keys/subjects.db}", filepath.Join(auditRoot, "audit-keys", "subjects.db"),
	).Replace(string(caddyfile))
	c := testenv.StartCaddy(t, cf)
	return &gateway{url: fmt.Sprintf("http://127.0.0.1:%d", port), signer: signer, caddy: c, auditDir: auditDir}
}

func (g *gateway) token(t *testing.T, c devtoken.Claims) string {
	t.Helper()
	tok, err := g.signer.Mint(c, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
}

func (g *gateway) do(t *testing.T, method, path, token string, headers ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, g.url+path, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		t.Fatalf("%s %s: status %d, body is not JSON: %q", method, path, resp.StatusCode, raw)
	}
	return r
}

// TestChainAllowsAndDenies drives every stage of the chain in one gateway:
// each case names the rule and which handler answers.
func TestChainAllowsAndDenies(t *testing.T) {
	t.Parallel()
	g := startChain(t, "")
	recentOTP := devtoken.Claims{Subject: "alice", Role: "Developer", Team: "platform", AMR: []string{"pwd", "otp"}}
	passwordOnly := devtoken.Claims{Subject: "alice", Role: "Developer", Team: "platform", AMR: []string{"pwd"}}
	staleOTP := recentOTP
	staleOTP.AuthTime = time.Now().Add(-time.Hour)
	viewer := devtoken.Claims{Subject: "victor", Role: "Viewer", Team: "platform", AMR: []string{"pwd", "otp"}}
	operator := devtoken.Claims{Subject: "olga", Role: "Operator", Team: "ops", AMR: []string{"pwd", "hwk"}}

	cases := []struct {
		name       string
		method     string
		path       string
		claims     *devtoken.Claims
		wantStatus int
		wantCode   string // the JSON error code, "" for a pass
	}{
		{"no token is refused by jwt_auth", "GET", "/api/projects", nil, 401, "unauthenticated"},
		{"a developer reads in production", "GET", "/api/teams/platform/projects/1", &passwordOnly, 200, ""},
		{"a viewer reads in production", "GET", "/api/projects", &viewer, 200, ""},
		{"a change without MFA gets the step-up challenge", "POST", "/api/teams/platform/projects", &passwordOnly, 401, "insufficient_user_authentication"},
		{"a change with MFA older than 15 minutes gets the step-up challenge", "POST", "/api/teams/platform/projects", &staleOTP, 401, "insufficient_user_authentication"},
		{"a developer with recent MFA writes to their team", "POST", "/api/teams/platform/projects", &recentOTP, 200, ""},
		{"a developer may not write to another team", "POST", "/api/teams/payments/projects", &recentOTP, 403, "access_denied"},
		{"a developer may not delete in production", "DELETE", "/api/teams/platform/projects/1", &recentOTP, 403, "access_denied"},
		{"a viewer may not write even with MFA", "PUT", "/api/teams/platform/projects/1", &viewer, 403, "access_denied"},
		{"an operator deletes a deployment", "DELETE", "/api/deployments/7", &operator, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tok := ""
			if c.claims != nil {
				tok = g.token(t, *c.claims)
			}
			r := g.do(t, c.method, c.path, tok)
			if r.status != c.wantStatus {
				t.Fatalf("status = %d, want %d (body %v)", r.status, c.wantStatus, r.body)
			}
			if c.wantCode != "" && r.body["error"] != c.wantCode {
				t.Fatalf("error = %v, want %s (body %v)", r.body["error"], c.wantCode, r.body)
			}
			switch c.wantStatus {
			case 401:
				if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer ") {
					t.Fatalf("401 without a Bearer challenge: %q", r.header.Get("WWW-Authenticate"))
				}
				if c.wantCode == "insufficient_user_authentication" &&
					!strings.Contains(r.header.Get("WWW-Authenticate"), `error="insufficient_user_authentication"`) {
					t.Fatalf("challenge = %q", r.header.Get("WWW-Authenticate"))
				}
			case 403:
				details, _ := r.body["details"].(map[string]any)
				if id, _ := details["decision_id"].(string); id == "" {
					t.Fatalf("403 without a decision id: %v", r.body)
				}
			case 200:
				if r.body["method"] != c.method || r.body["path"] != c.path {
					t.Fatalf("upstream saw %v %v", r.body["method"], r.body["path"])
				}
			}
		})
	}
}

// The user's identity reaches the upstream only from the verified token: the
// copies a client sends are deleted.
func TestChainForwardsIdentityAndStripsForgedHeaders(t *testing.T) {
	t.Parallel()
	g := startChain(t, "")
	tok := g.token(t, devtoken.Claims{Subject: "alice", Role: "Viewer", Team: "platform"})
	r := g.do(t, "GET", "/api/projects", tok, "X-Portcullis-Role", "Admin", "X-Portcullis-User", "root")
	if r.status != 200 {
		t.Fatalf("status = %d (%v)", r.status, r.body)
	}
	headers, _ := r.body["headers"].(map[string]any)
	for name, want := range map[string]string{"X-Portcullis-User": "alice", "X-Portcullis-Role": "Viewer", "X-Portcullis-Team": "platform"} {
		got, _ := headers[name].([]any)
		if len(got) != 1 || got[0] != want {
			t.Errorf("upstream saw %s = %v, want exactly [%s]", name, got, want)
		}
	}
}

// The repository's Caddyfile is what operators copy: it must adapt to the
// expected JSON and validate.
func TestRepoCaddyfileAdaptsAndValidates(t *testing.T) {
	t.Parallel()
	root := testenv.RepoRoot(t)
	_, jwksPath := testenv.SigningKey(t, "ES256")
	// Fixed environment, so the golden file does not depend on the machine.
	env := []string{"PORTCULLIS_JWKS=/etc/portcullis/jwks.json", "PORTCULLIS_LISTEN=:8080",
		"PORTCULLIS_UPSTREAM=127.0.0.1:9000", "PORTCULLIS_ENVIRONMENT=production",
		"PORTCULLIS_ISSUER=https://portcullis.local", "PORTCULLIS_STEP_UP_URL=http://localhost:8200/v1/auth/step-up",
		"PORTCULLIS_AUDIT_DIR=.run/audit", "PORTCULLIS_AUDIT_PSEUDONYM_KEY=.run/audit-keys/pseudonym.key",
		"PORTCULLIS_AUDIT_SUBJECT_KEYS=.run/audit-keys/subjects.db"}
	testenv.AdaptGolden(t, root, env, "Caddyfile", filepath.Join(root, "caddymodules", "testdata", "Caddyfile.golden.json"))

	// validate provisions the config, so it opens a trail: a fresh one, not
	// the repository's .run/ (which `make run` may hold).
	keys := t.TempDir()
	out, err := testenv.CaddyCLI(t, root, []string{"PORTCULLIS_JWKS=" + jwksPath,
		"PORTCULLIS_AUDIT_DIR=" + filepath.Join(t.TempDir(), "audit"),
		"PORTCULLIS_AUDIT_PSEUDONYM_KEY=" + filepath.Join(keys, "pseudonym.key"),
		"PORTCULLIS_AUDIT_SUBJECT_KEYS=" + filepath.Join(keys, "subjects.db")}, "validate", "--config", "Caddyfile", "--adapter", "caddyfile")
	if err != nil || !strings.Contains(out, "Valid configuration") {
		t.Fatalf("caddy validate Caddyfile: %v\n%s", err, out)
	}

	// Operators diff their copy against ours: keep it in `caddy fmt` form
	// (`fmt --diff` exits non-zero when it would change something).
	if out, err := testenv.CaddyCLI(t, root, nil, "fmt", "--diff", "Caddyfile"); err != nil {
		t.Fatalf("the Caddyfile is not formatted (run .build/caddy fmt --overwrite Caddyfile): %v\n%s", err, out)
	}
}
