package api_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/revocation"
	"github.com/portcullis/portcullis/internal/testenv"
	"github.com/portcullis/portcullis/secretsd/client"
	"github.com/portcullis/portcullis/secretsd/config"
)

func TestRoutingErrorsAreJSON(t *testing.T) {
	t.Parallel()
	h := start(t, sqliteConfig(t))
	wantError(t, h.request(http.MethodGet, "/v1/nothing-here", "", "", nil), 404, "not_found")
	wantError(t, h.request(http.MethodGet, "/", "", "", nil), 404, "not_found")

	r := h.request(http.MethodDelete, "/v1/auth/login", "", "", nil)
	wantError(t, r, 405, "method_not_allowed")
	if r.Header.Get("Allow") != "POST" {
		t.Fatalf("Allow = %q, want POST", r.Header.Get("Allow"))
	}
	r = h.request(http.MethodPut, "/v1/users/x", "", "", nil)
	wantError(t, r, 405, "method_not_allowed")
	if allow := r.Header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "PATCH") {
		t.Fatalf("Allow = %q", allow)
	}
}

func TestBearerIsRequired(t *testing.T) {
	t.Parallel()
	h := start(t, sqliteConfig(t))
	for name, header := range map[string]string{
		"none":            "",
		"another scheme":  "Basic YWRtaW46YWRtaW4=",
		"empty bearer":    "Bearer ",
		"not a token":     "Bearer not-a-token",
		"malformed JWT":   "Bearer eyJhbGciOiJub25lIn0.e30.",
		"unknown API key": "Bearer pcat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	} {
		t.Run(name, func(t *testing.T) {
			var hdr []string
			if header != "" {
				hdr = []string{"Authorization", header}
			}
			r := h.request(http.MethodGet, "/v1/auth/whoami", "", "", nil, hdr...)
			wantError(t, r, 401, "unauthorized")
			if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("WWW-Authenticate = %q", r.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	h := start(t, sqliteConfig(t))
	generated := regexp.MustCompile(`^[0-9a-f]{24}$`)
	for _, c := range []struct {
		name, in string
		kept     bool
	}{
		{"a sane id is kept", "req-123_abc.DEF", true},
		{"128 characters are kept", strings.Repeat("a", 128), true},
		{"129 characters are replaced", strings.Repeat("a", 129), false},
		{"a colon is kept (trace-style ids)", "gw:01HZX.7-a_b", true},
		{"spaces are replaced", "has space", false},
		{"a log-injection attempt is replaced", "x\",\"admin\":\"true", false},
		{"none gets one", "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.in != "" {
				hdr = []string{"X-Request-Id", c.in}
			}
			got := h.request(http.MethodGet, "/healthz", "", "", nil, hdr...).Header.Get("X-Request-Id")
			if c.kept && got != c.in || !c.kept && !generated.MatchString(got) {
				t.Fatalf("X-Request-Id = %q for %q", got, c.in)
			}
		})
	}
}

func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	h := start(t, sqliteConfig(t))
	health, err := h.Client.Health(h.ctx())
	if err != nil || health != (client.Health{Status: "ok", Store: "ok", Redis: "disabled"}) {
		t.Fatalf("healthz = %+v, %v", health, err)
	}

	_, tokens := h.bootstrapAdmin()
	_, _ = h.Client.Login(h.ctx(), "admin", "wrong password!!")
	if _, err := h.Client.Refresh(h.ctx(), tokens.RefreshToken); err != nil {
		t.Fatal(err)
	}
	h.request(http.MethodGet, "/v1/nowhere", "", "", nil)

	r := h.request(http.MethodGet, "/metrics", "", "", nil)
	if r.Status != 200 {
		t.Fatalf("metrics: %d", r.Status)
	}
	for _, want := range []string{
		`secretsd_http_requests_total{route="POST /v1/auth/login",status="200"} 1`,
		`secretsd_http_requests_total{route="POST /v1/auth/login",status="401"} 1`,
		`secretsd_http_requests_total{route="unmatched",status="404"} 1`,
		`secretsd_http_request_duration_seconds_count{route="POST /v1/auth/refresh"} 1`,
		`secretsd_logins_total{outcome="success"} 1`,
		`secretsd_logins_total{outcome="invalid_credentials"} 1`,
		`secretsd_token_refreshes_total{outcome="success"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// A store that stops answering makes /healthz say so.
	_ = h.Store.Close()
	r = h.request(http.MethodGet, "/healthz", "", "", nil)
	m := wantError(t, r, 503, "unavailable")
	if d, _ := m["details"].(map[string]any); d["store"] != "error" || d["redis"] != "disabled" {
		t.Fatalf("details = %v", m["details"])
	}

	// An error no mapping knows is a 500 whose detail is in the log only.
	r = h.request(http.MethodPost, "/v1/auth/login", "", "application/json", []byte(`{"username":"admin","password":"x"}`),
		"X-Request-Id", "internal-error-probe")
	m = wantError(t, r, 500, "internal")
	if msg := m["message"].(string); strings.Contains(msg, "sql") || strings.Contains(msg, "closed") {
		t.Fatalf("500 message %q reveals internals", msg)
	}
	logged := false
	for line := range strings.SplitSeq(h.logs.String(), "\n") {
		logged = logged || strings.Contains(line, `"request_id":"internal-error-probe"`) &&
			strings.Contains(line, `"message":"internal error"`) && strings.Contains(line, `"error":"logging in: store:`)
	}
	if !logged {
		t.Fatal("the internal error is not logged with its request id and detail")
	}
}

// TestRedisGetsTheRevocations runs secretsd with Redis: /healthz checks it,
// and a logout reaches the Redis set every gateway mirrors.
func TestRedisGetsTheRevocations(t *testing.T) {
	t.Parallel()
	url := testenv.RedisURL(t)
	prefix := "secretsd-api-test-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	rdb := testenv.RedisClient(t)
	keys := revocation.Keys{Prefix: prefix}
	rdb.Del(t.Context(), keys.Set())
	t.Cleanup(func() { rdb.Del(t.Context(), keys.Set()) })

	h := start(t, sqliteConfig(t), func(c *config.Config) {
		c.Redis.URL = url
		c.Redis.KeyPrefix = prefix
	})
	health, err := h.Client.Health(h.ctx())
	if err != nil || health.Redis != "ok" {
		t.Fatalf("healthz = %+v, %v", health, err)
	}
	_, tokens := h.bootstrapAdmin()
	if err := h.as(tokens.AccessToken).Logout(h.ctx()); err != nil {
		t.Fatal(err)
	}
	members, err := rdb.ZRange(t.Context(), keys.Set(), 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	want := revocation.Entry{Kind: revocation.KindSession, ID: tokens.SessionID}.Member()
	if len(members) != 1 || members[0] != want {
		t.Fatalf("redis set %s = %q, want [%q]", keys.Set(), members, want)
	}
}
