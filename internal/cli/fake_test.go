package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/cli"
)

// fakeSecretsd answers the few operations of API.md that the command tests
// need, with the wire shapes of the contract. The end-to-end tests run the
// real secretsd; this one makes the CLI's own rules (prompts, refresh,
// formatting) testable in isolation.
type fakeSecretsd struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	methods   []string // MFA methods of alice; none: no challenge
	ttl       time.Duration
	refreshes int
	lastProof map[string]any
	revoked   bool // refresh answers invalid_grant
	damaged   bool // audit verify reports a changed record
	lastQuery string
}

func newFake(t *testing.T) *fakeSecretsd {
	f := &fakeSecretsd{t: t, ttl: 15 * time.Minute}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/auth/login", f.login)
	mux.HandleFunc("POST /v1/auth/mfa/verify", f.verify)
	mux.HandleFunc("POST /v1/auth/refresh", f.refresh)
	mux.HandleFunc("GET /v1/auth/whoami", f.whoami)
	mux.HandleFunc("POST /v1/auth/logout", func(w http.ResponseWriter, r *http.Request) {
		if f.authorized(w, r) {
			w.WriteHeader(http.StatusNoContent)
		}
	})
	mux.HandleFunc("GET /v1/users", func(w http.ResponseWriter, r *http.Request) {
		if f.authorized(w, r) {
			writeJSON(w, 200, map[string]any{"users": []map[string]any{
				{"id": "u1", "username": "alice", "role": "Admin", "team": "platform", "groups": []string{"oncall", "db"}, "disabled": false, "mfa_enabled": true, "created_at": "2030-01-01T00:00:00Z", "updated_at": "2030-01-01T00:00:00Z"},
				{"id": "u22", "username": "bob\x1b[2J", "role": "Viewer", "team": "", "groups": []string{}, "disabled": true, "mfa_enabled": false, "created_at": "2030-01-02T03:04:05Z", "updated_at": "2030-01-02T03:04:05Z"},
			}})
		}
	})
	f.auditRoutes(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"status": status, "error": code, "message": msg})
}

func (f *fakeSecretsd) tokens(n int) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return map[string]any{"tokens": map[string]any{
		"access_token": fmt.Sprintf("at-%d", n), "token_type": "Bearer", "expires_in": int(f.ttl.Seconds()),
		"expires_at": time.Now().Add(f.ttl).UTC().Format(time.RFC3339), "refresh_token": fmt.Sprintf("rt-%d", n), "session_id": "s1",
	}}
}

func (f *fakeSecretsd) login(w http.ResponseWriter, r *http.Request) {
	var in struct{ Username, Password string }
	_ = json.NewDecoder(r.Body).Decode(&in)
	if in.Username != "alice" || in.Password != "correct horse" {
		apiError(w, 401, "invalid_credentials", "invalid username or password")
		return
	}
	f.mu.Lock()
	methods := f.methods
	f.mu.Unlock()
	if len(methods) == 0 {
		writeJSON(w, 200, f.tokens(0))
		return
	}
	writeJSON(w, 200, map[string]any{"mfa": map[string]any{"mfa_token": "mfa-1", "methods": methods, "expires_at": time.Now().Add(5 * time.Minute)}})
}

func (f *fakeSecretsd) verify(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	_ = json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	f.lastProof = in
	f.mu.Unlock()
	if in["mfa_token"] != "mfa-1" || (in["code"] != "123456" && in["backup_code"] != "abcde-fghij") {
		apiError(w, 401, "invalid_mfa", "invalid second factor")
		return
	}
	writeJSON(w, 200, f.tokens(0))
}

func (f *fakeSecretsd) refresh(w http.ResponseWriter, r *http.Request) {
	var in struct {
		RefreshToken string `json:"refresh_token"`
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	n, revoked := f.refreshes, f.revoked
	if in.RefreshToken != fmt.Sprintf("rt-%d", n) {
		revoked = true // reuse
	}
	f.refreshes++
	f.mu.Unlock()
	if revoked {
		apiError(w, 401, "invalid_grant", "refresh token reuse detected; session revoked")
		return
	}
	writeJSON(w, 200, f.tokens(n+1))
}

func (f *fakeSecretsd) authorized(w http.ResponseWriter, r *http.Request) bool {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer at-") || r.Header.Get("X-Request-Id") == "" {
		w.Header().Set("WWW-Authenticate", "Bearer")
		apiError(w, 401, "unauthorized", "missing, invalid, expired or revoked token")
		return false
	}
	return true
}

func (f *fakeSecretsd) whoami(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	writeJSON(w, 200, map[string]any{
		"user":       map[string]any{"id": "u1", "username": "alice", "role": "Admin", "team": "platform", "groups": []string{"oncall"}, "disabled": false, "mfa_enabled": true, "created_at": "2030-01-01T00:00:00Z", "updated_at": "2030-01-01T00:00:00Z"},
		"session_id": "s1", "token_id": strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "),
		"auth_time": "2030-01-01T00:00:00Z", "amr": []string{"pwd", "otp"}, "expires_at": "2030-01-01T00:15:00Z", "api_token": false,
	})
}

// runIn executes the CLI in process with stdin.
func runIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.ExecuteWithInput(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// loginFake logs alice in to f with a fresh config dir and returns the args
// that select it.
func loginFake(t *testing.T, f *fakeSecretsd, stdin string, extra ...string) []string {
	t.Helper()
	g := []string{"--server", f.srv.URL, "--config-dir", t.TempDir()}
	code, _, stderr := runIn(t, stdin, append(append([]string{"login", "-u", "alice", "--password-stdin"}, extra...), g...)...)
	if code != 0 {
		t.Fatalf("login: exit %d: %s", code, stderr)
	}
	return g
}
