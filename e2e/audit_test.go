package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/cli"
	"github.com/portcullis/portcullis/internal/testenv"
	"github.com/portcullis/portcullis/secretsd/client"
)

const auditorPassword = "auditor's long passphrase 7"

// TestAuditTrailAcrossGatewayAndSecretsd is the "done when": a
// request through the gateway and a login in secretsd both show up in
// `portcullis audit query`, the gateway's request id reaches the upstream
// and its event, `portcullis audit verify` says the trail is intact, and
// after one byte of a segment is flipped it names the changed record.
func TestAuditTrailAcrossGatewayAndSecretsd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sd := testenv.StartSecretsd(t, testenv.SecretsdOptions{})
	sd.Bootstrap("admin", adminPassword)
	// secretsd runs in sd.Dir with the defaults: the trail in .run/audit and
	// the pseudonym key in .run/audit-keys, where the gateway finds them too.
	trailDir := filepath.Join(sd.Dir, ".run", "audit")

	root := testenv.RepoRoot(t)
	caddyfile, err := os.ReadFile(filepath.Join(root, "Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	port := testenv.FreePort(t)
	upstream := testenv.Upstream(t)
	cf := strings.NewReplacer(
		"{$PORTCULLIS_JWKS:http://127.0.0.1:8200/.well-known/jwks.json}", sd.URL+"/.well-known/jwks.json",
		"{$PORTCULLIS_REVOCATION_FEED:http://127.0.0.1:8200/v1/revocations}", sd.URL+"/v1/revocations",
		"{$PORTCULLIS_LISTEN::8080}", fmt.Sprintf("http://127.0.0.1:%d", port),
		"{$PORTCULLIS_UPSTREAM:127.0.0.1:9000}", strings.TrimPrefix(upstream.URL, "http://"),
		"{$PORTCULLIS_STEP_UP_URL:http://localhost:8200/v1/auth/step-up}", sd.URL+"/v1/auth/step-up",
		"./policies", filepath.Join(root, "policies"),
		// The gateway runs elsewhere: it is pointed at secretsd's trail and keys.
		"{$PORTCULLIS_AUDIT_DIR:.run/audit}", trailDir,
		"{$PORTCULLIS_AUDIT_PSEUDONYM_KEY:.run/audit-keys/pseudonym.key}", filepath.Join(sd.Dir, ".run", "audit-keys", "pseudonym.key"),
		"{$PORTCULLIS_AUDIT_SUBJECT_KEYS:.run/audit-keys/subjects.db}", filepath.Join(sd.Dir, ".run", "audit-keys", "subjects.db"),
	).Replace(string(caddyfile))
	for _, v := range []string{"PORTCULLIS_AUDIT_DIR", "PORTCULLIS_AUDIT_PSEUDONYM_KEY", "PORTCULLIS_AUDIT_SUBJECT_KEYS"} {
		if strings.Contains(cf, "{$"+v) {
			t.Fatalf("the repository Caddyfile's %s line changed; this test must follow it", v)
		}
	}
	testenv.StartCaddy(t, cf)
	gateway := fmt.Sprintf("http://127.0.0.1:%d", port)

	anon, err := client.New(sd.URL)
	if err != nil {
		t.Fatal(err)
	}
	admin := anon.WithBearer(login(t, anon, "admin", adminPassword).AccessToken)
	if _, err := admin.CreateUser(ctx, client.NewUser{Username: "auditor", Password: auditorPassword, Role: "Auditor"}); err != nil {
		t.Fatalf("create auditor: %v", err)
	}

	// A request through the gateway, with the client's request id.
	const gwRequestID = "e2e-gateway-req.1"
	req, _ := http.NewRequest("GET", gateway+"/api/projects", nil)
	req.Header.Set("Authorization", "Bearer "+login(t, anon, "admin", adminPassword).AccessToken)
	req.Header.Set("X-Request-Id", gwRequestID)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var echo testenv.Echo
	_ = json.NewDecoder(resp.Body).Decode(&echo)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET through the gateway: %d", resp.StatusCode)
	}
	if got := echo.Headers["X-Request-Id"]; len(got) != 1 || got[0] != gwRequestID {
		t.Errorf("the upstream saw X-Request-Id %q, want %q", got, gwRequestID)
	}
	if got := resp.Header.Get("X-Request-Id"); got != gwRequestID {
		t.Errorf("the gateway answered X-Request-Id %q, want %q", got, gwRequestID)
	}

	// A login in secretsd, with its own request id.
	const sdRequestID = "e2e-secretsd-login.1"
	if _, err := anon.Login(client.WithRequestID(ctx, sdRequestID), "admin", adminPassword); err != nil {
		t.Fatal(err)
	}

	// Both show up in `portcullis audit query`, run as the Auditor.
	p := newPortcullis(t, sd.URL)
	p.ok(auditorPassword+"\n", "login", "--username", "auditor", "--password-stdin")
	gw := p.events(t, "--request-id", gwRequestID)
	if len(gw) != 1 || gw[0].action() != "gateway.request" || !strings.HasPrefix(gw[0].Writer, "gateway-") {
		t.Fatalf("gateway events of request %s: %+v", gwRequestID, gw)
	}
	logins := p.events(t, "--request-id", sdRequestID)
	if len(logins) != 1 || logins[0].action() != "auth.login" || !strings.HasPrefix(logins[0].Writer, "secretsd-") {
		t.Fatalf("secretsd events of request %s: %+v", sdRequestID, logins)
	}
	// One person, one pseudonym in both programs (the key file is shared).
	if a, b := gw[0].userID(), logins[0].userID(); a == "" || a != b {
		t.Errorf("the admin's pseudonym differs between gateway (%q) and secretsd (%q)", a, b)
	}

	out := p.ok(nil, "audit", "verify")
	if !strings.Contains(out, "The audit trail is intact.") {
		t.Fatalf("audit verify:\n%s", out)
	}

	// Flip one byte of secretsd's first login record: verify names its seq.
	seg, seq := findRecord(t, trailDir, logins[0].Writer, `"auth.login"`)
	b, _ := os.ReadFile(seg)
	i := bytes.Index(b, []byte(`"auth.login"`))
	b[i+2] ^= 0x20
	if err := os.WriteFile(seg, b, 0o600); err != nil {
		t.Fatal(err)
	}
	p.fails(fmt.Sprintf("at seq %d", seq), nil, "audit", "verify")
}

// portcullis runs the CLI in process against one secretsd, with its own
// session folder.
type portcullis struct {
	t    *testing.T
	glob []string
}

func newPortcullis(t *testing.T, server string) *portcullis {
	return &portcullis{t: t, glob: []string{"--server", server, "--config-dir", t.TempDir()}}
}

func (p *portcullis) run(stdin string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := cli.ExecuteWithInput(append(args, p.glob...), strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func (p *portcullis) ok(stdin any, args ...string) string {
	p.t.Helper()
	in, _ := stdin.(string)
	code, out, errOut := p.run(in, args...)
	if code != 0 {
		p.t.Fatalf("portcullis %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

func (p *portcullis) fails(want string, stdin any, args ...string) {
	p.t.Helper()
	in, _ := stdin.(string)
	code, _, errOut := p.run(in, args...)
	if code != 1 || !strings.Contains(errOut, want) || strings.Count(errOut, "\n") != 1 {
		p.t.Fatalf("portcullis %s: exit %d, stderr %q; want exit 1 and one line containing %q", strings.Join(args, " "), code, errOut, want)
	}
}

// auditRecord is a record as `portcullis audit query -o json` prints it.
type auditRecord struct {
	Writer string          `json:"writer"`
	Seq    uint64          `json:"seq"`
	Event  json.RawMessage `json:"event"`
}

func (r auditRecord) ecs() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.Event, &m)
	return m
}

func (r auditRecord) action() string {
	ev, _ := r.ecs()["event"].(map[string]any)
	s, _ := ev["action"].(string)
	return s
}

func (r auditRecord) userID() string {
	u, _ := r.ecs()["user"].(map[string]any)
	s, _ := u["id"].(string)
	return s
}

func (p *portcullis) events(t *testing.T, filters ...string) []auditRecord {
	t.Helper()
	out := p.ok(nil, append([]string{"audit", "query", "-o", "json", "--all"}, filters...)...)
	var res struct {
		Events []auditRecord `json:"events"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("audit query -o json: %v\n%s", err, out)
	}
	return res.Events
}

// findRecord finds the first segment line of writer's standard chain that
// contains needle, and its record's seq.
func findRecord(t *testing.T, root, writer, needle string) (string, uint64) {
	t.Helper()
	segs, _ := filepath.Glob(filepath.Join(root, writer, "standard", "*"))
	for _, s := range segs {
		b, err := os.ReadFile(s)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if !strings.Contains(line, needle) {
				continue
			}
			var rec struct {
				Seq uint64 `json:"seq"`
			}
			if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Seq == 0 {
				t.Fatalf("a segment line without its seq: %v: %.200s", err, line)
			}
			return s, rec.Seq
		}
	}
	t.Fatalf("no segment of %s/%s holds %s (segments %v)", root, writer, needle, segs)
	return "", 0
}
