package cedarauthz_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/portcullis/portcullis/caddymodules/cedarauthz"
	"github.com/portcullis/portcullis/internal/authz"
	"github.com/portcullis/portcullis/internal/principal"
)

var repoPolicies, _ = filepath.Abs("../../policies")

func provision(t testing.TB, c *cedarauthz.CedarAuthz) {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	if err := c.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Cleanup() })
}

type seen struct {
	decision *authz.Decision
	called   bool
}

func (s *seen) ServeHTTP(w http.ResponseWriter, r *http.Request) error {
	s.called = true
	s.decision, _ = authz.DecisionFromContext(r.Context())
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func TestServeHTTP(t *testing.T) {
	t.Parallel()
	c := &cedarauthz.CedarAuthz{PolicyDir: repoPolicies, Environment: "production",
		Actions: []cedarauthz.ActionRule{{Methods: []string{"POST"}, Path: "/api/deployments/*/deploy", Action: "deploy"}}}
	provision(t, c)
	fresh := func(role, team string) *principal.Principal {
		return &principal.Principal{Subject: "u1", Role: role, Team: team, AMR: []string{"otp"}, AuthTime: time.Now()}
	}
	cases := []struct {
		name       string
		p          *principal.Principal
		method     string
		path       string
		remote     string
		wantStatus int
		wantCode   string
		wantHeader string
	}{
		{"viewer read from the office passes", fresh("Viewer", "ops"), "GET", "/api/deployments/1", "10.0.0.7:5555", 204, "", ""},
		{"viewer write is forbidden", fresh("Viewer", "ops"), "POST", "/api/deployments/1", "10.0.0.7:5555", 403, "access_denied", ""},
		{"read from the internet is forbidden", fresh("Viewer", "ops"), "GET", "/api/deployments/1", "203.0.113.9:5555", 403, "access_denied", ""},
		{"IPv6 loopback passes", fresh("Viewer", "ops"), "GET", "/api/deployments/1", "[::1]:5555", 204, "", ""},
		{"no principal is challenged to authenticate", nil, "GET", "/api/deployments/1", "10.0.0.7:5555", 401, "unauthenticated", `Bearer realm="portcullis"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tc.method, tc.path, nil)
			r.RemoteAddr = tc.remote
			repl := caddy.NewReplacer()
			ctx := context.WithValue(r.Context(), caddy.ReplacerCtxKey, repl)
			if tc.p != nil {
				ctx = principal.WithPrincipal(ctx, tc.p)
			}
			r = r.WithContext(ctx)
			w := httptest.NewRecorder()
			next := &seen{}
			if err := c.ServeHTTP(w, r, next); err != nil {
				t.Fatal(err)
			}
			if w.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d: %s", w.Code, tc.wantStatus, w.Body)
			}
			id, _ := repl.GetString("http.portcullis.authz.decision_id")
			if len(id) != 32 {
				t.Fatalf("decision_id placeholder = %q", id)
			}
			outcome, _ := repl.GetString("http.portcullis.authz.decision")
			if tc.wantStatus == 204 {
				if !next.called || next.decision == nil || next.decision.ID != id || outcome != "allow" {
					t.Fatalf("next saw decision %+v, placeholder %q", next.decision, outcome)
				}
				if pol, _ := repl.GetString("http.portcullis.authz.policies"); pol != "prod-read" {
					t.Fatalf("policies placeholder = %q", pol)
				}
				return
			}
			if next.called || outcome != "deny" {
				t.Fatalf("denied request reached next (outcome %q)", outcome)
			}
			var body struct {
				Status  int            `json:"status"`
				Error   string         `json:"error"`
				Details map[string]any `json:"details"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body is not JSON: %s", w.Body)
			}
			if body.Status != tc.wantStatus || body.Error != tc.wantCode || body.Details["decision_id"] != id {
				t.Fatalf("body = %s (decision id %s)", w.Body, id)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tc.wantHeader {
				t.Fatalf("WWW-Authenticate = %q, want %q", got, tc.wantHeader)
			}
		})
	}
}

func TestProvisionRefusesInvalidPolicies(t *testing.T) {
	t.Parallel()
	c := &cedarauthz.CedarAuthz{PolicyDir: t.TempDir()}
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	err := c.Provision(ctx)
	if err == nil {
		t.Fatal("provisioned without policies")
	}
	if want := "cedar_authz: "; len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
		t.Fatalf("error = %v", err)
	}
}

var _ caddyhttp.Handler = (*seen)(nil)

func BenchmarkServeHTTP1000Policies(b *testing.B) {
	dir := b.TempDir()
	writeFile(b, filepath.Join(dir, "portcullis.cedarschema"), readFile(b, filepath.Join(repoPolicies, "portcullis.cedarschema")))
	writeFile(b, filepath.Join(dir, "gen.cedar"), generated1000)
	c := &cedarauthz.CedarAuthz{PolicyDir: dir, ReloadInterval: -1}
	provision(b, c)
	p := &principal.Principal{Subject: "u1", Role: "Developer", Team: "team07", Groups: []string{"g7"}, AMR: []string{"otp"}, AuthTime: time.Now()}
	r := httptest.NewRequest("PUT", "/api/teams/team07/kind07/42", nil)
	r.RemoteAddr = "10.1.2.3:4444"
	r = r.WithContext(principal.WithPrincipal(context.WithValue(r.Context(), caddy.ReplacerCtxKey, caddy.NewReplacer()), p))
	// A recorder would keep every body written and make the benchmark
	// measure its own growing buffer; the gateway's writer does not.
	w := discardWriter{http.Header{}}
	next := &seen{}
	b.ReportAllocs()
	for b.Loop() {
		_ = c.ServeHTTP(w, r, next)
	}
}

type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}
