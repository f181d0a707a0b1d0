package ratelimit_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/portcullis/portcullis/caddymodules/ratelimit"
	"github.com/portcullis/portcullis/caddymodules/security"
)

// blackHole accepts TCP connections and never answers, as a Redis that hangs
// (stopped process, saturated server, dropped packets) does.
func blackHole(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		<-done
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

// A Redis that hangs costs a request at most redis_timeout, then the request
// is decided in process: the portcullis app's client honours the handler's
// deadline instead of go-redis' own 3s read timeout. (Were the deadline
// ignored, this test would take seconds per request, not fail fast: it
// asserts the outcome, not the time.)
func TestAHangingRedisFallsBackInProcess(t *testing.T) {
	t.Parallel()
	client, err := security.NewRedisClient(security.RedisConfig{URL: "redis://" + blackHole(t) + "/0?max_retries=-1&read_timeout=60s&write_timeout=60s"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	h := &ratelimit.RateLimit{
		RedisTimeout: caddy.Duration(50 * time.Millisecond),
		Zones:        []*ratelimit.Zone{{Name: "hang", Events: 1, Window: caddy.Duration(time.Hour)}},
	}
	if err := h.ProvisionWith(ctx, client); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Cleanup() })
	if rec := serve(t, h, "192.0.2.50", nil); rec.Code != http.StatusNoContent {
		t.Fatalf("first request with Redis hanging: %d, want decided in process and allowed", rec.Code)
	}
	if rec := serve(t, h, "192.0.2.50", nil); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("second request: %d, want the in-process limit enforced", rec.Code)
	}
}
