package jwtauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/portcullis/portcullis/caddymodules/jwtauth"
	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/internal/devtoken"
	"github.com/portcullis/portcullis/internal/principal"
	"github.com/portcullis/portcullis/internal/revocation"
	"github.com/portcullis/portcullis/internal/token"
	"github.com/portcullis/portcullis/internal/token/tokentest"
)

var (
	fixtureOnce sync.Once
	fixture     *tokentest.Fixture
	fixtureErr  error
)

func testFixture(t testing.TB) *tokentest.Fixture {
	t.Helper()
	fixtureOnce.Do(func() { fixture, fixtureErr = tokentest.NewFixture() })
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return fixture
}

// checker is a switchable in-memory revocation.Checker.
type checker struct{ err error }

func (c *checker) Check(*principal.Principal) error { return c.err }

func newHandler(t testing.TB, rev revocation.Checker, clk clock.Clock) *jwtauth.JWTAuth {
	t.Helper()
	set, _, err := token.ParseKeySet(testFixture(t).JWKS, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &jwtauth.JWTAuth{
		Issuer:    tokentest.Issuer,
		Audiences: []string{tokentest.Audience},
		ForwardClaims: []jwtauth.ForwardClaim{
			{Claim: "sub", Header: "X-Portcullis-User"},
			{Claim: "role", Header: "X-Portcullis-Role"},
			{Claim: "groups", Header: "X-Portcullis-Groups"},
		},
	}
	if err := h.SetupForTest(set, rev, clk); err != nil {
		t.Fatal(err)
	}
	return h
}

// seen records what the next handler got.
type seen struct {
	called bool
	header http.Header
	p      *principal.Principal
}

func (s *seen) next() caddyhttp.Handler {
	return caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		s.called, s.header = true, r.Header.Clone()
		s.p, _ = principal.FromContext(r.Context())
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

func request(target string, headers ...string) (*http.Request, *caddy.Replacer) {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	repl := caddy.NewReplacer()
	return r.WithContext(context.WithValue(r.Context(), caddy.ReplacerCtxKey, repl)), repl
}

type errorBody struct {
	Status  int    `json:"status"`
	Error   string `json:"error"`
	Message string `json:"message"`
}

func TestRequestsWithoutAValidBearerToken(t *testing.T) {
	t.Parallel()
	f := testFixture(t)
	now := time.Now()
	valid := tokentest.Mint(f.RSA, now)
	expired, _ := f.RSA.Mint(devtoken.Claims{TTL: time.Minute}, now.Add(-time.Hour))
	cases := []struct {
		name       string
		target     string
		headers    []string
		rev        error
		wantStatus int
		wantCode   string
		wantChal   string // WWW-Authenticate prefix ("" = header absent)
		wantMsg    string
	}{
		{"no Authorization header gets a challenge without error code", "/", nil, nil, 401, "unauthenticated", `Bearer realm="portcullis"`, "bearer token is required"},
		{"Basic scheme gets a challenge without error code", "/", []string{"Authorization", "Basic dXNlcjpwYXNz"}, nil, 401, "unauthenticated", `Bearer realm="portcullis"`, "bearer token is required"},
		{"Bearer without a token is invalid_token", "/", []string{"Authorization", "Bearer"}, nil, 401, "invalid_token", `Bearer realm="portcullis", error="invalid_token"`, "empty"},
		{"two Authorization headers are invalid_request", "/", []string{"Authorization", "Bearer " + valid, "Authorization", "Bearer " + valid}, nil, 400, "invalid_request", `Bearer realm="portcullis", error="invalid_request"`, "more than one Authorization header"},
		{"token in the query string is invalid_request", "/?access_token=" + valid, nil, nil, 400, "invalid_request", `Bearer realm="portcullis", error="invalid_request"`, "query string"},
		{"token in the query string is refused even with a header", "/?x=1&access_token=abc", []string{"Authorization", "Bearer " + valid}, nil, 400, "invalid_request", `Bearer realm="portcullis", error="invalid_request"`, "query string"},
		{"expired token says so", "/", []string{"Authorization", "Bearer " + expired}, nil, 401, "invalid_token", `Bearer realm="portcullis", error="invalid_token", error_description="token is expired"`, "token is expired"},
		{"bad signature says so", "/", []string{"Authorization", "Bearer " + tokentest.Mint(f.Impostor, now)}, nil, 401, "invalid_token", `Bearer realm="portcullis", error="invalid_token", error_description="signature is invalid"`, "signature is invalid"},
		{"wrong typ description has no double quotes inside", "/", []string{"Authorization", "Bearer " + typJWT(t, f.RSA, now)}, nil, 401, "invalid_token", `Bearer realm="portcullis", error="invalid_token", error_description="token type is not accepted: typ must be 'at+jwt' (RFC 9068)"`, `typ must be "at+jwt"`},
		{"revoked token is invalid_token", "/", []string{"Authorization", "Bearer " + valid}, revocation.ErrRevoked, 401, "invalid_token", `Bearer realm="portcullis", error="invalid_token", error_description="token has been revoked"`, "revoked"},
		{"stale revocation mirror fails closed with 503", "/", []string{"Authorization", "Bearer " + valid}, revocation.ErrStale, 503, "revocation_unavailable", "", "temporarily unavailable"},
		{"broken revocation checker fails closed with 503", "/", []string{"Authorization", "Bearer " + valid}, errors.New("boom"), 503, "revocation_unavailable", "", "temporarily unavailable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHandler(t, &checker{err: c.rev}, clock.System)
			r, _ := request(c.target, append(c.headers, "X-Portcullis-User", "root", "X-Portcullis-Role", "Admin")...)
			w := httptest.NewRecorder()
			var s seen
			if err := h.ServeHTTP(w, r, s.next()); err != nil {
				t.Fatal(err)
			}
			if s.called {
				t.Fatal("next handler reached")
			}
			if w.Code != c.wantStatus {
				t.Fatalf("status %d, want %d; body %s", w.Code, c.wantStatus, w.Body)
			}
			chal := w.Header().Get("WWW-Authenticate")
			if c.wantChal == "" && chal != "" || !strings.HasPrefix(chal, c.wantChal) {
				t.Fatalf("WWW-Authenticate = %q, want prefix %q", chal, c.wantChal)
			}
			var body errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body is not JSON: %s", w.Body)
			}
			if body.Status != c.wantStatus || body.Error != c.wantCode || !strings.Contains(body.Message, c.wantMsg) {
				t.Fatalf("body = %+v", body)
			}
			if strings.Contains(w.Body.String(), valid[len(valid)-16:]) {
				t.Fatal("body echoes the token")
			}
			if r.Header.Get("X-Portcullis-User") != "" || r.Header.Get("X-Portcullis-Role") != "" {
				t.Fatal("client-supplied identity headers survived a rejected request")
			}
		})
	}
}

func typJWT(t *testing.T, s *devtoken.Signer, now time.Time) string {
	c, _ := s.ClaimSet(devtoken.Claims{}, now)
	h := s.Header()
	h["typ"] = "JWT"
	tok, err := s.SignMaps("RS256", h, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestValidTokenPassesWithIdentity(t *testing.T) {
	t.Parallel()
	f := testFixture(t)
	tok, err := f.EC.Mint(devtoken.Claims{Subject: "alice", Role: "Operator", Team: "sre", Groups: []string{"ops", "oncall"},
		AMR: []string{"pwd", "otp"}, ACR: "urn:portcullis:acr:mfa", Extra: map[string]any{"scope": "read write", "tenant": map[string]any{"id": 7}}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	h := newHandler(t, &checker{}, clock.System)
	for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
		r, repl := request("/", "Authorization", scheme+" "+tok,
			"X-Portcullis-User", "root", "x-portcullis-role", "Admin", "X_Portcullis_User", "root", "X-Portcullis-Groups", "admins")
		var s seen
		w := httptest.NewRecorder()
		if err := h.ServeHTTP(w, r, s.next()); err != nil {
			t.Fatal(err)
		}
		if !s.called || w.Code != http.StatusNoContent {
			t.Fatalf("%s: status %d body %s", scheme, w.Code, w.Body)
		}
		if s.p == nil || s.p.Subject != "alice" {
			t.Fatalf("principal = %+v", s.p)
		}
		want := http.Header{"X-Portcullis-User": {"alice"}, "X-Portcullis-Role": {"Operator"}, "X-Portcullis-Groups": {"ops,oncall"}}
		for k, v := range want {
			if strings.Join(s.header[k], "|") != v[0] {
				t.Fatalf("%s = %q, want %q (all: %v)", k, s.header[k], v, s.header)
			}
		}
		if _, ok := s.header["X_portcullis_user"]; ok {
			t.Fatal("underscore spelling of a forwarded header survived")
		}
		placeholders := map[string]string{
			"{http.auth.user.id}":                       "alice",
			"{http.auth.user.role}":                     "Operator",
			"{http.auth.user.team}":                     "sre",
			"{http.auth.user.groups}":                   "ops,oncall",
			"{http.auth.user.amr}":                      "pwd,otp",
			"{http.auth.user.acr}":                      "urn:portcullis:acr:mfa",
			"{http.auth.user.client_id}":                "portcullis-cli",
			"{http.auth.user.jti}":                      s.p.TokenID,
			"{http.auth.user.sid}":                      s.p.SessionID,
			"{http.auth.user.auth_time}":                strings.TrimSpace(jsonNum(s.p.AuthTime.Unix())),
			"{http.auth.user.claim.scope}":              "read write",
			"{http.auth.user.claim.tenant}":             `{"id":7}`,
			"{http.auth.user.claim.iss}":                tokentest.Issuer,
			"{http.auth.user.claim.missing}":            "",
			"{http.auth.user.claim.break_glass}":        "false",
			"{http.auth.user.claim.aud}":                tokentest.Audience,
			"{http.auth.user.claim.role}":               "Operator",
			"{http.auth.user.unknown}":                  "",
			"{http.auth.user.claim.exp}":                strings.TrimSpace(jsonNum(s.p.Expiry.Unix())),
			"{http.auth.user.claim.client_id}":          "portcullis-cli",
			"{http.auth.user.claim.groups}":             "ops,oncall",
			"{http.auth.user.claim.amr}":                "pwd,otp",
			"{http.auth.user.claim.scope}{x}":           "read write",
			"{http.auth.user.id}@{http.auth.user.team}": "alice@sre",
		}
		for in, want := range placeholders {
			if got := repl.ReplaceAll(in, ""); got != want && !strings.HasSuffix(in, "{x}") {
				t.Fatalf("%s = %q, want %q", in, got, want)
			}
		}
	}
}

func jsonNum(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestAbsentClaimIsNotForwardedButStillStripped(t *testing.T) {
	t.Parallel()
	f := testFixture(t)
	tok, err := f.RSA.Mint(devtoken.Claims{}, time.Now()) // no groups claim
	if err != nil {
		t.Fatal(err)
	}
	h := newHandler(t, &checker{}, clock.System)
	r, _ := request("/", "Authorization", "Bearer "+tok, "X-Portcullis-Groups", "admins")
	var s seen
	if err := h.ServeHTTP(httptest.NewRecorder(), r, s.next()); err != nil {
		t.Fatal(err)
	}
	if !s.called {
		t.Fatal("valid token refused")
	}
	if v, ok := s.header["X-Portcullis-Groups"]; ok {
		t.Fatalf("client-supplied header for an absent claim reached upstream: %q", v)
	}
}

// BenchmarkHandlerCached is jwt_auth's whole per-request cost on a token
// seen before: header stripping, extraction, cache hit, revocation check,
// forwarded headers, placeholders and the context.
func BenchmarkHandlerCached(b *testing.B) {
	h := newHandler(b, &checker{}, clock.System)
	tok := tokentest.Mint(testFixture(b).RSA, time.Now())
	next := caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil })
	base := httptest.NewRequest(http.MethodGet, "/api/v1/things", nil)
	base.Header.Set("Authorization", "Bearer "+tok)
	base.Header.Set("Accept", "application/json")
	base.Header.Set("User-Agent", "bench")
	w := httptest.NewRecorder()
	// Each request gets its own replacer in Caddy; here one request and its
	// replacer serve a batch of iterations (the replacer only grows by one
	// provider per use), so the timer measures the handler, not the setup.
	var r *http.Request
	prepare := func() {
		r = base.Clone(context.WithValue(context.Background(), caddy.ReplacerCtxKey, caddy.NewReplacer()))
	}
	prepare()
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if i == 1024 {
			b.StopTimer()
			prepare()
			i = 0
			b.StartTimer()
		}
		if err := h.ServeHTTP(w, r, next); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
