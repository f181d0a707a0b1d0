package cedarauthz_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/devtoken"
	"github.com/portcullis/portcullis/internal/testenv"
)

// gateway is a real Caddy with jwt_auth in front of cedar_authz and the
// echo upstream behind it.
type gateway struct {
	caddy  *testenv.Caddy
	url    string
	signer *devtoken.Signer
}

func startGateway(t *testing.T, cedarBlock string) *gateway {
	t.Helper()
	signer, jwksFile := testenv.SigningKey(t, "RS256")
	upstream := testenv.Upstream(t)
	port := testenv.FreePort(t)
	caddyfile := fmt.Sprintf(`http://127.0.0.1:%d {
	jwt_auth {
		jwks %s
		issuer %s
		audience %s
	}
	%s
	reverse_proxy %s
}
`, port, jwksFile, devtoken.DefaultIssuer, devtoken.DefaultAudience, cedarBlock, strings.TrimPrefix(upstream.URL, "http://"))
	return &gateway{caddy: testenv.StartCaddy(t, caddyfile), url: fmt.Sprintf("http://127.0.0.1:%d", port), signer: signer}
}

func (g *gateway) token(t *testing.T, role, team string) string {
	t.Helper()
	tok, err := g.signer.Mint(devtoken.Claims{Role: role, Team: team, AMR: []string{"pwd", "otp"}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type reply struct {
	status int
	body   []byte
}

func (g *gateway) do(t *testing.T, method, path, token string) reply {
	t.Helper()
	req, _ := http.NewRequest(method, g.url+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, body}
}

var hexID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestGatewayAllowsAndDenies(t *testing.T) {
	t.Parallel()
	g := startGateway(t, fmt.Sprintf(`cedar_authz {
		policies %s
		environment production
		action POST /api/deployments/*/deploy deploy
		action POST /api/deployments/*/rollback rollback
	}`, repoPolicies))
	viewer := g.token(t, "Viewer", "ops")

	t.Run("viewer read reaches the upstream", func(t *testing.T) {
		r := g.do(t, "GET", "/api/deployments/1", viewer)
		var echo testenv.Echo
		if r.status != 200 || json.Unmarshal(r.body, &echo) != nil || echo.Path != "/api/deployments/1" {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	})
	t.Run("viewer write is denied with a decision id", func(t *testing.T) {
		r := g.do(t, "POST", "/api/deployments/1/deploy", viewer)
		var body struct {
			Status  int            `json:"status"`
			Error   string         `json:"error"`
			Details map[string]any `json:"details"`
		}
		if r.status != 403 || json.Unmarshal(r.body, &body) != nil || body.Error != "access_denied" {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		id, _ := body.Details["decision_id"].(string)
		if !hexID.MatchString(id) {
			t.Fatalf("decision_id = %q", id)
		}
	})
	t.Run("operator rollback is allowed by an action rule", func(t *testing.T) {
		// rollback, unlike deploy, has no time window: the real Caddy runs
		// on the wall clock.
		if r := g.do(t, "POST", "/api/deployments/1/rollback", g.token(t, "Operator", "ops")); r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	})
	t.Run("developer rollback is denied", func(t *testing.T) {
		if r := g.do(t, "POST", "/api/deployments/1/rollback", g.token(t, "Developer", "platform")); r.status != 403 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	})
	t.Run("no token never reaches cedar_authz", func(t *testing.T) {
		if r := g.do(t, "GET", "/api/deployments/1", ""); r.status != 401 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	})
}

func TestGatewayHotReload(t *testing.T) {
	t.Parallel()
	dir := copyPolicies(t)
	g := startGateway(t, fmt.Sprintf(`cedar_authz {
		policies %s
		environment production
		reload_interval 50ms
	}`, dir))
	dev := g.token(t, "Developer", "platform")
	if r := g.do(t, "POST", "/api/notes/1", dev); r.status != 403 {
		t.Fatalf("before reload: status %d: %s", r.status, r.body)
	}

	t.Run("a valid new policy takes effect without restart", func(t *testing.T) {
		pid := g.caddy.Pid()
		writeFile(t, filepath.Join(dir, "notes.cedar"), `
@id("developers-write-notes")
permit (principal in Portcullis::Role::"Developer", action == Portcullis::Action::"write", resource in Portcullis::Kind::"notes");
`)
		g.caddy.WaitLog("cedar policies reloaded", 10*time.Second)
		testenv.WaitFor(t, 10*time.Second, "the new policy to allow the developer", func() bool {
			return g.do(t, "POST", "/api/notes/1", dev).status == 200
		})
		if g.caddy.Pid() != pid {
			t.Fatal("caddy restarted")
		}
	})

	t.Run("an invalid file is rejected, logged, and the old policies stay", func(t *testing.T) {
		writeFile(t, filepath.Join(dir, "notes.cedar"), "@id(\"broken\")\npermit (principal, action, resource)\nwhen { principal.tem == \"ops\" };\n")
		g.caddy.WaitLog("cedar policy reload rejected; the previous policies stay in force", 10*time.Second)
		if !strings.Contains(g.caddy.Logs(), filepath.Join(dir, "notes.cedar")+":1: for policy `broken`, attribute `tem`") {
			t.Fatalf("the rejection does not name file:line and the problem:\n%s", g.caddy.Logs())
		}
		if r := g.do(t, "POST", "/api/notes/1", dev); r.status != 200 {
			t.Fatalf("the previous policies are no longer in force: %d %s", r.status, r.body)
		}
		if r := g.do(t, "GET", "/api/deployments/1", dev); r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	})
}

func TestGatewayShadowModeLogsDisagreement(t *testing.T) {
	t.Parallel()
	candidate := t.TempDir()
	// The candidate set forgets that Viewers may read.
	prod := readFile(t, filepath.Join(repoPolicies, "production.cedar"))
	writeFile(t, filepath.Join(candidate, "production.cedar"), strings.Replace(prod, `(principal in Portcullis::Role::"Viewer" ||
   principal in Portcullis::Role::"Auditor" ||`, `(principal in Portcullis::Role::"Auditor" ||`, 1))
	g := startGateway(t, fmt.Sprintf(`cedar_authz {
		policies %s
		shadow %s
	}`, repoPolicies, candidate))
	r := g.do(t, "GET", "/api/deployments/1", g.token(t, "Viewer", "ops"))
	if r.status != 200 {
		t.Fatalf("shadow set was enforced: %d %s", r.status, r.body)
	}
	g.caddy.WaitLog("cedar shadow policies disagree", 10*time.Second)
	logs := g.caddy.Logs()
	for _, want := range []string{`"enforced":"allow"`, `"shadow":"deny"`, `"action":"read"`, `"enforced_policies":["prod-read"]`, `"decision_id":"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("disagreement log lacks %s:\n%s", want, logs)
		}
	}
}

func TestGatewayRefusesToStartWithInvalidPolicies(t *testing.T) {
	t.Parallel()
	dir := copyPolicies(t)
	writeFile(t, filepath.Join(dir, "admin.cedar"), "@id(\"a\")\npermit (principal in Portcullis::Role::\"Admn\", action, resource);\n")
	cf := filepath.Join(t.TempDir(), "Caddyfile")
	writeFile(t, cf, fmt.Sprintf("{\n\tadmin off\n}\nhttp://127.0.0.1:%d {\n\tcedar_authz {\n\t\tpolicies %s\n\t}\n\trespond ok\n}\n", testenv.FreePort(t), dir))
	cmd := exec.Command(testenv.CaddyBinary(t), "run", "--config", cf, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("caddy started with invalid policies")
	}
	if err == nil {
		t.Fatalf("caddy exited cleanly:\n%s", out)
	}
	text := strings.ReplaceAll(string(out), `\"`, `"`)
	want := filepath.Join(dir, "admin.cedar") + `:1: for policy ` + "`a`" + `, Portcullis::Role "Admn" is not one of Admin, Developer, Operator, Viewer, Auditor (did you mean "Admin"?)`
	if !strings.Contains(text, want) {
		t.Fatalf("caddy output does not contain\n%s\n%s", want, text)
	}
}
