package ratelimit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/portcullis/portcullis/caddymodules/ratelimit"
	"github.com/portcullis/portcullis/internal/httperr"
)

// newHandler provisions h in memory mode. Zone names get the test's name so
// that tests running in parallel never share in-process buckets.
func newHandler(t testing.TB, h *ratelimit.RateLimit) *ratelimit.RateLimit {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	if err := h.ProvisionWith(ctx, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Cleanup() })
	return h
}

var okHandler = caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
})

// serve runs one request from remote with the given headers through h.
func serve(t testing.TB, h *ratelimit.RateLimit, remote string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/api/things", nil)
	req.RemoteAddr = remote + ":40000"
	for k, v := range header {
		req.Header[k] = v
	}
	repl := caddy.NewReplacer()
	ctx := context.WithValue(req.Context(), caddy.ReplacerCtxKey, repl)
	req = req.WithContext(ctx)
	caddyhttp.PrepareRequest(req, repl, nil, nil)
	rec := httptest.NewRecorder()
	if err := h.ServeHTTP(rec, req, okHandler); err != nil {
		t.Fatalf("ServeHTTP: %v", err)
	}
	return rec
}

func TestAllowedResponsesCarryTheRateLimitHeaders(t *testing.T) {
	t.Parallel()
	h := newHandler(t, &ratelimit.RateLimit{Zones: []*ratelimit.Zone{{Name: "allowed_headers", Events: 10, Window: caddy.Duration(time.Minute)}}})
	rec := serve(t, h, "192.0.2.1", nil)
	if rec.Code != http.StatusNoContent {
		t.Fatalf("status %d, want the next handler's 204", rec.Code)
	}
	if got, want := rec.Header().Get("RateLimit-Policy"), `"allowed_headers";q=10;w=60`; got != want {
		t.Fatalf("RateLimit-Policy = %q, want %q", got, want)
	}
	// 9 left; the bucket is full again in 6s (one event = 6s).
	if got, want := rec.Header().Get("RateLimit"), `"allowed_headers";r=9;t=6`; got != want {
		t.Fatalf("RateLimit = %q, want %q", got, want)
	}
	if rec.Header().Get("Retry-After") != "" {
		t.Fatal("an allowed response must not carry Retry-After")
	}
}

func TestOverTheLimitIs429WithRetryAfterAndJSONBody(t *testing.T) {
	t.Parallel()
	h := newHandler(t, &ratelimit.RateLimit{Zones: []*ratelimit.Zone{{Name: "over_limit", Events: 2, Window: caddy.Duration(25 * time.Second)}}})
	serve(t, h, "192.0.2.2", nil)
	serve(t, h, "192.0.2.2", nil)
	rec := serve(t, h, "192.0.2.2", nil)
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429", rec.Code)
	}
	// One event is 12.5s: retry in 12.5s, rounded up.
	if got := rec.Header().Get("Retry-After"); got != "13" {
		t.Fatalf("Retry-After = %q, want 13", got)
	}
	if got, want := rec.Header().Get("RateLimit"), `"over_limit";r=0;t=13`; got != want {
		t.Fatalf("RateLimit = %q, want %q", got, want)
	}
	var body httperr.Body
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	if body.Status != 429 || body.Code != "rate_limited" || body.Details["zone"] != "over_limit" || body.Details["retry_after"] != float64(13) {
		t.Fatalf("body = %+v", body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("Content-Type = %q", ct)
	}
	// Another client is not affected.
	if rec := serve(t, h, "192.0.2.3", nil); rec.Code != http.StatusNoContent {
		t.Fatalf("another IP got %d", rec.Code)
	}
}

func TestZonesWithDifferentKeys(t *testing.T) {
	t.Parallel()
	h := newHandler(t, &ratelimit.RateLimit{Zones: []*ratelimit.Zone{
		{Name: "zk_per_ip", Events: 5, Window: caddy.Duration(time.Hour)},
		{Name: "zk_per_key", Key: "{http.request.header.X-Api-Key}", Events: 2, Window: caddy.Duration(time.Hour)},
	}})
	key := func(k string) http.Header { return http.Header{"X-Api-Key": {k}} }
	steps := []struct {
		name, ip, apiKey string
		want             int
		rateLimit        string
	}{
		{"first use of key A passes; per_key is the most restrictive", "198.51.100.1", "A", 204, `"zk_per_key";r=1;t=1800`},
		{"key A from another IP counts in the same per_key bucket", "198.51.100.2", "A", 204, `"zk_per_key";r=0;t=1800`},
		{"key A's third request is refused by per_key", "198.51.100.3", "A", 429, `"zk_per_key";r=0;t=1800`},
		{"key B has its own bucket", "198.51.100.1", "B", 204, `"zk_per_key";r=1;t=1800`},
	}
	for _, s := range steps {
		rec := serve(t, h, s.ip, key(s.apiKey))
		if rec.Code != s.want || rec.Header().Get("RateLimit") != s.rateLimit {
			t.Fatalf("%s: %d %q, want %d %q", s.name, rec.Code, rec.Header().Get("RateLimit"), s.want, s.rateLimit)
		}
	}
	if got, want := serve(t, h, "198.51.100.9", key("C")).Header().Get("RateLimit-Policy"), `"zk_per_ip";q=5;w=3600, "zk_per_key";q=2;w=3600`; got != want {
		t.Fatalf("RateLimit-Policy = %q, want %q", got, want)
	}
}

func TestAnEmptyKeyCountsUnderTheClientIP(t *testing.T) {
	t.Parallel()
	h := newHandler(t, &ratelimit.RateLimit{Zones: []*ratelimit.Zone{
		{Name: "empty_per_key", Key: "{http.request.header.X-Api-Key}", Events: 1, Window: caddy.Duration(time.Hour)},
	}})
	if rec := serve(t, h, "203.0.113.1", nil); rec.Code != 204 {
		t.Fatalf("first keyless request from an IP: %d", rec.Code)
	}
	if rec := serve(t, h, "203.0.113.1", nil); rec.Code != 429 {
		t.Fatalf("second keyless request from the same IP: %d, want 429 (keyless requests must not escape the zone)", rec.Code)
	}
	if rec := serve(t, h, "203.0.113.2", nil); rec.Code != 204 {
		t.Fatalf("a keyless request from another IP: %d, want 204 (keyless clients must not share one bucket)", rec.Code)
	}
}

func TestBareRateLimitIsTheSeedDefault(t *testing.T) {
	t.Parallel()
	h := newHandler(t, &ratelimit.RateLimit{})
	// The default zone is shared by name with other tests' bare handlers;
	// use an address no other test does.
	var rec *httptest.ResponseRecorder
	for i := 0; i < 100; i++ {
		if rec = serve(t, h, "2001:db8::100", nil); rec.Code != 204 {
			t.Fatalf("request %d refused", i)
		}
	}
	if got := rec.Header().Get("RateLimit-Policy"); got != `"default";q=100;w=60` {
		t.Fatalf("RateLimit-Policy = %q", got)
	}
	if rec = serve(t, h, "2001:db8::100", nil); rec.Code != 429 || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("101st request: %d Retry-After %q, want 429 and 1 (600ms rounded up)", rec.Code, rec.Header().Get("Retry-After"))
	}
}

func TestProvisionRefusesBadZones(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		h    ratelimit.RateLimit
	}{
		{"a zone without a name", ratelimit.RateLimit{Zones: []*ratelimit.Zone{{}}}},
		{"a zone name with spaces", ratelimit.RateLimit{Zones: []*ratelimit.Zone{{Name: "a b"}}}},
		{"negative events", ratelimit.RateLimit{Zones: []*ratelimit.Zone{{Name: "neg", Events: -1}}}},
		{"a zone declared twice", ratelimit.RateLimit{Zones: []*ratelimit.Zone{{Name: "twice"}, {Name: "twice"}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
			defer cancel()
			h := c.h
			if err := h.ProvisionWith(ctx, nil); err == nil {
				t.Fatal("Provision accepted it")
			}
			_ = h.Cleanup()
		})
	}
}

// BenchmarkHandler is ServeHTTP with the in-memory store: key lookup,
// decision, headers, metrics.
func BenchmarkHandler(b *testing.B) {
	h := newHandler(b, &ratelimit.RateLimit{Zones: []*ratelimit.Zone{{Name: "bench_handler", Events: 1_000_000, Window: caddy.Duration(time.Second)}}})
	req := httptest.NewRequest(http.MethodGet, "/api/things", nil)
	repl := caddy.NewReplacer()
	req = req.WithContext(context.WithValue(req.Context(), caddy.ReplacerCtxKey, repl))
	w := &discardWriter{h: http.Header{}}
	// 10,000 clients, so the benchmark measures decisions, not refusals.
	addrs := make([]string, 10_000)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("10.1.%d.%d:40000", i/256, i%256)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req.RemoteAddr = addrs[i%len(addrs)]
		if err := h.ServeHTTP(w, req, okHandler); err != nil {
			b.Fatal(err)
		}
	}
}

type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}
