package audit_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/caddymodules/audit"
	"github.com/portcullis/portcullis/caddymodules/cedarauthz"
	"github.com/portcullis/portcullis/caddymodules/jwtauth"
	"github.com/portcullis/portcullis/caddymodules/mfastepup"
	"github.com/portcullis/portcullis/caddymodules/ratelimit"
	"github.com/portcullis/portcullis/internal/devtoken"
	"github.com/portcullis/portcullis/internal/testenv"
)

// upstreamBody is what the fake upstream answers.
const upstreamBody = "hello from the upstream\n"

// chain is the gateway's chain in process: the real rate_limit, jwt_auth,
// mfa_stepup and cedar_authz handlers behind the audit handler, in front of
// an upstream that remembers the request id it saw.
type chain struct {
	sink   *fakeSink
	audit  *audit.Audit
	next   caddyhttp.Handler
	signer *devtoken.Signer
	seenID chan string
}

func newChain(t *testing.T) *chain {
	t.Helper()
	ctx, err := caddy.ProvisionContext(&caddy.Config{})
	if err != nil {
		t.Fatal(err)
	}
	signer, jwks := testenv.SigningKey(t, "ES256")
	c := &chain{sink: &fakeSink{}, signer: signer, seenID: make(chan string, 16)}
	c.audit = audit.NewForTest(c.sink, false)
	rl := &ratelimit.RateLimit{Zones: []*ratelimit.Zone{{Name: "audit_" + strings.ReplaceAll(t.Name(), "/", "_"), Events: 2, Window: caddy.Duration(time.Minute)}}}
	jwt := &jwtauth.JWTAuth{JWKS: jwks, Issuer: "https://portcullis.local", Audiences: []string{"portcullis-gateway"}}
	mfa := &mfastepup.MFAStepUp{}
	cedar := &cedarauthz.CedarAuthz{PolicyDir: filepath.Join(testenv.RepoRoot(t), "policies"), Environment: "production", ReloadInterval: -1}
	handlers := []caddyhttp.MiddlewareHandler{rl, jwt, mfa, cedar}
	for _, h := range handlers {
		if err := h.(caddy.Provisioner).Provision(ctx); err != nil {
			t.Fatal(err)
		}
		if cu, ok := h.(caddy.CleanerUpper); ok {
			t.Cleanup(func() { _ = cu.Cleanup() })
		}
	}
	var next caddyhttp.Handler = caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		c.seenID <- r.Header.Get(audit.RequestIDHeader)
		_, err := io.WriteString(w, upstreamBody)
		return err
	})
	for i := len(handlers) - 1; i >= 0; i-- {
		h, n := handlers[i], next
		next = caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error { return h.ServeHTTP(w, r, n) })
	}
	c.next = next
	return c
}

func (c *chain) token(t *testing.T, claims devtoken.Claims) string {
	t.Helper()
	tok, err := c.signer.Mint(claims, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// do sends one request from ip and returns the response and the one event
// it produced.
func (c *chain) do(t *testing.T, method, path, ip, token string) (*httptest.ResponseRecorder, *event.Event) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	req.RemoteAddr = ip + ":50000"
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec, err := serve(t, c.audit, req, c.next)
	if err != nil {
		t.Fatalf("ServeHTTP: %v", err)
	}
	evs := c.sink.taken()
	if len(evs) != 1 {
		t.Fatalf("%s %s produced %d events, want exactly 1", method, path, len(evs))
	}
	return rec, evs[0]
}

// Every request yields exactly one event, whichever handler answered it,
// with the reason of the handler that denied it.
func TestEveryOutcomeOfTheChainIsAuditedOnce(t *testing.T) {
	t.Parallel()
	c := newChain(t)
	withOTP := devtoken.Claims{Subject: "alice", Role: "Developer", Team: "platform", AMR: []string{"pwd", "otp"}, SessionID: "s-1", TokenID: "t-1"}
	passwordOnly := devtoken.Claims{Subject: "alice", Role: "Developer", Team: "platform", AMR: []string{"pwd"}}
	viewer := devtoken.Claims{Subject: "victor", Role: "Viewer", Team: "platform", AMR: []string{"pwd", "otp"}}

	cases := []struct {
		name       string
		method     string
		path       string
		token      string
		wantStatus int
		wantReason string
		deniedBy   string
	}{
		{"a malformed token is denied by jwt_auth", "GET", "/api/projects", "not-a-jwt", 401, "invalid_token", "jwt_auth"},
		{"a token without a second factor is denied by mfa_stepup", "GET", "/api/teams/platform/projects/1", c.token(t, passwordOnly), 401, "step_up_required", "mfa_stepup"},
		{"a viewer writing is denied by cedar_authz", "PUT", "/api/teams/platform/projects/1", c.token(t, viewer), 403, "forbidden", "cedar_authz"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, e := c.do(t, tc.method, tc.path, "192.0.2."+string(rune('1'+i)), tc.token)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.wantStatus, rec.Body)
			}
			if e.Event.Action != "gateway.request" || e.Event.Outcome != event.Failure || e.Event.Reason != tc.wantReason {
				t.Fatalf("event %s/%s reason %q, want gateway.request/failure %q", e.Event.Action, e.Event.Outcome, e.Event.Reason, tc.wantReason)
			}
			if e.Portcullis.Details["denied_by"] != tc.deniedBy || e.HTTP.Response.StatusCode != tc.wantStatus {
				t.Fatalf("denied_by %q status %d", e.Portcullis.Details["denied_by"], e.HTTP.Response.StatusCode)
			}
			if e.HTTP.Response.Body.Bytes != int64(rec.Body.Len()) || e.Portcullis.RequestID != rec.Header().Get(audit.RequestIDHeader) {
				t.Fatalf("bytes %d (sent %d), request id %q (sent %q)", e.HTTP.Response.Body.Bytes, rec.Body.Len(),
					e.Portcullis.RequestID, rec.Header().Get(audit.RequestIDHeader))
			}
		})
	}

	t.Run("the request over the limit is denied by rate_limit", func(t *testing.T) {
		for range 2 {
			c.do(t, "GET", "/api/projects", "198.51.100.9", "")
		}
		rec, e := c.do(t, "GET", "/api/projects", "198.51.100.9", "")
		if rec.Code != 429 || e.Event.Reason != "rate_limited" || e.Portcullis.Details["denied_by"] != "rate_limit" {
			t.Fatalf("status %d, reason %q, details %v", rec.Code, e.Event.Reason, e.Portcullis.Details)
		}
		if rl := e.Portcullis.RateLimit; rl == nil || rl.Limit != 2 || rl.Remaining != 0 || rl.RetryAfterMS <= 0 {
			t.Fatalf("rate limit %+v", rl)
		}
		if e.User != nil || e.Portcullis.Details["auth"] != "" {
			t.Fatalf("jwt_auth ran after the limiter refused: user %+v, details %v", e.User, e.Portcullis.Details)
		}
	})

	t.Run("an allowed request carries status, bytes, latency and every verdict", func(t *testing.T) {
		rec, e := c.do(t, "GET", "/api/teams/platform/projects/1?access=secret", "127.0.0.1", c.token(t, withOTP))
		if rec.Code != 200 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		seen := <-c.seenID
		if seen == "" || e.Portcullis.RequestID != seen || rec.Header().Get(audit.RequestIDHeader) != seen {
			t.Fatalf("request id: event %q, upstream %q, response %q", e.Portcullis.RequestID, seen, rec.Header().Get(audit.RequestIDHeader))
		}
		if e.Event.Outcome != event.Success || e.Event.Reason != "" || e.Event.Duration <= 0 {
			t.Fatalf("event %+v", e.Event)
		}
		if e.HTTP.Request.Method != "GET" || e.HTTP.Response.StatusCode != 200 || e.HTTP.Response.Body.Bytes != int64(len(upstreamBody)) {
			t.Fatalf("http %+v %+v", e.HTTP.Request, e.HTTP.Response)
		}
		if e.URL.Path != "/api/teams/platform/projects/1" {
			t.Fatalf("url.path %q: the query must never be written", e.URL.Path)
		}
		if e.User == nil || e.User.ID != "alice" || len(e.User.Roles) != 1 || e.User.Roles[0] != "Developer" {
			t.Fatalf("user %+v", e.User)
		}
		if e.Source == nil || e.Source.IP != "127.0.0.1" {
			t.Fatalf("source %+v (the trail pseudonymises it, the handler passes the address)", e.Source)
		}
		p := e.Portcullis
		if p.SessionID != "s-1" || p.TokenID != "t-1" || len(p.DecisionID) != 32 || len(p.PolicyIDs) == 0 {
			t.Fatalf("product fields %+v", p)
		}
		if p.MFA == nil || !p.MFA.Verified || p.MFA.Method != "otp" || p.RateLimit == nil || p.RateLimit.Remaining != 1 {
			t.Fatalf("mfa %+v, rate limit %+v", p.MFA, p.RateLimit)
		}
		if p.Details["auth"] != "valid" || p.Details["step_up"] != "satisfied" || p.Details["authz"] != "allow" {
			t.Fatalf("details %v", p.Details)
		}
	})
}
