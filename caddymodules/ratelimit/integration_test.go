package ratelimit_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	rl "github.com/portcullis/portcullis/internal/ratelimit"
	"github.com/portcullis/portcullis/internal/testenv"
)

// gateway starts a real Caddy in front of a real upstream with the given
// global options (may be empty) and rate_limit block, and returns its URL.
func gateway(t *testing.T, globals, rateLimit, upstream string) (*testenv.Caddy, string) {
	t.Helper()
	port := testenv.FreePort(t)
	cfg := fmt.Sprintf("{\n%s\n}\nhttp://127.0.0.1:%d {\n%s\n\treverse_proxy %s\n}\n", globals, port, rateLimit, upstream)
	return testenv.StartCaddy(t, cfg), fmt.Sprintf("http://127.0.0.1:%d", port)
}

func upstreamAddr(t *testing.T) string {
	return strings.TrimPrefix(testenv.Upstream(t).URL, "http://")
}

func prefix(t *testing.T) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "itest:" + hex.EncodeToString(b) + ":"
}

type result struct {
	status                        int
	rateLimit, policy, retryAfter string
	body                          []byte
}

func get(t *testing.T, url string, header ...string) result {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+"/api/things", nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return result{resp.StatusCode, resp.Header.Get("RateLimit"), resp.Header.Get("RateLimit-Policy"), resp.Header.Get("Retry-After"), body}
}

func TestGatewayAnswers429WithHeadersAndJSONBody(t *testing.T) {
	t.Parallel()
	_, url := gateway(t, "", "\trate_limit {\n\t\tzone it_429 {\n\t\t\tevents 3\n\t\t\twindow 1h\n\t\t}\n\t}", upstreamAddr(t))
	// One event is 1200s. While events remain, t is when the bucket is full
	// again; at r=0 it is when the next request passes.
	for i, want := range []string{`"it_429";r=2;t=1200`, `"it_429";r=1;t=2400`, `"it_429";r=0;t=1200`} {
		r := get(t, url)
		if r.status != 200 || r.policy != `"it_429";q=3;w=3600` || r.rateLimit != want {
			t.Fatalf("request %d: %d RateLimit %q Policy %q, want 200 and RateLimit %q", i, r.status, r.rateLimit, r.policy, want)
		}
	}
	r := get(t, url)
	if r.status != 429 || r.retryAfter != "1200" || r.rateLimit != `"it_429";r=0;t=1200` {
		t.Fatalf("4th request: %d Retry-After %q RateLimit %q, want 429, 1200, r=0;t=1200", r.status, r.retryAfter, r.rateLimit)
	}
	var body struct {
		Status  int            `json:"status"`
		Error   string         `json:"error"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil || body.Status != 429 || body.Error != "rate_limited" || body.Details["zone"] != "it_429" {
		t.Fatalf("body %s (%v)", r.body, err)
	}
}

func TestTwoGatewaysShareOneLimitThroughRedis(t *testing.T) {
	t.Parallel()
	globals := "\tportcullis {\n\t\tredis " + testenv.RedisURL(t) + "\n\t}"
	block := fmt.Sprintf("\trate_limit {\n\t\tkey_prefix %s\n\t\tredis_timeout 2s\n\t\tzone shared {\n\t\t\tevents 10\n\t\t\twindow 1h\n\t\t}\n\t}", prefix(t))
	up := upstreamAddr(t)
	_, a := gateway(t, globals, block, up)
	_, b := gateway(t, globals, block, up)
	allowed := 0
	for i := 0; i < 16; i++ {
		url := a
		if i%2 == 1 {
			url = b
		}
		switch r := get(t, url); r.status {
		case 200:
			allowed++
		case 429:
		default:
			t.Fatalf("request %d: status %d %s", i, r.status, r.body)
		}
	}
	if allowed != 10 {
		t.Fatalf("%d of 16 requests alternating between two gateways allowed, want exactly 10", allowed)
	}
}

func TestRedisDeathFallsBackInProcessAndRecovers(t *testing.T) {
	t.Parallel()
	srv := testenv.StartRedis(t)
	pfx := prefix(t)
	caddy, url := gateway(t,
		"\tportcullis {\n\t\tredis "+srv.URL()+"\n\t}",
		fmt.Sprintf("\trate_limit {\n\t\tkey_prefix %s\n\t\tzone it_fallback {\n\t\t\tevents 4\n\t\t\twindow 1h\n\t\t}\n\t}", pfx),
		upstreamAddr(t))
	client := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = client.Close() })
	key := rl.RedisKey(pfx, "it_fallback", "127.0.0.1")
	keyExists := func() bool { n, _ := client.Exists(context.Background(), key).Result(); return n == 1 }

	if r := get(t, url); r.status != 200 || !keyExists() {
		t.Fatalf("with Redis up: status %d, key %s exists %v", r.status, key, keyExists())
	}

	srv.Stop()
	// The in-process buckets did not see the Redis-era request: 4 pass, then 429.
	for i := 0; i < 4; i++ {
		if r := get(t, url); r.status != 200 {
			t.Fatalf("fallback request %d: %d %s", i, r.status, r.body)
		}
	}
	if r := get(t, url); r.status != 429 {
		t.Fatalf("5th request with Redis down: %d, want 429 from the in-process limiter", r.status)
	}
	caddy.WaitLog("redis unreachable", 5*time.Second)
	if n := strings.Count(caddy.Logs(), "redis unreachable"); n != 1 {
		t.Fatalf("the outage was logged %d times, want once", n)
	}
	if m := metrics(t, caddy); !strings.Contains(m, "portcullis_ratelimit_fallback_total") || strings.Contains(m, "portcullis_ratelimit_fallback_total 0\n") {
		t.Fatalf("fallback not counted:\n%s", grepLines(m, "portcullis_ratelimit"))
	}

	srv.Start() // an empty Redis: the key is gone
	if keyExists() {
		t.Fatal("the restarted Redis should be empty")
	}
	testenv.WaitFor(t, 10*time.Second, "the gateway to use Redis again (the bucket key reappears)", func() bool {
		get(t, url)
		return keyExists()
	})
	caddy.WaitLog("redis answers again", 5*time.Second)
	if m := metrics(t, caddy); !strings.Contains(m, `portcullis_ratelimit_redis_transitions_total{to="up"} 1`) {
		t.Fatalf("recovery not counted:\n%s", grepLines(m, "portcullis_ratelimit"))
	}
}

func TestZonesWithHeaderKeysThroughTheGateway(t *testing.T) {
	t.Parallel()
	_, url := gateway(t, "", `	rate_limit {
		zone it_per_ip {
			events 100
			window 1m
		}
		zone it_per_key {
			key {header.X-Api-Key}
			events 2
			window 1m
		}
	}`, upstreamAddr(t))
	for i := 0; i < 2; i++ {
		if r := get(t, url, "X-Api-Key", "key-A"); r.status != 200 {
			t.Fatalf("key-A request %d: %d", i, r.status)
		}
	}
	r := get(t, url, "X-Api-Key", "key-A")
	if r.status != 429 || !strings.HasPrefix(r.rateLimit, `"it_per_key";r=0;`) {
		t.Fatalf("key-A 3rd request: %d RateLimit %q, want 429 by it_per_key", r.status, r.rateLimit)
	}
	if r := get(t, url, "X-Api-Key", "key-B"); r.status != 200 {
		t.Fatalf("key-B: %d, want its own bucket", r.status)
	}
	if r.policy != `"it_per_ip";q=100;w=60, "it_per_key";q=2;w=60` {
		t.Fatalf("RateLimit-Policy = %q", r.policy)
	}
}

func metrics(t *testing.T, c *testenv.Caddy) string {
	t.Helper()
	resp, err := http.Get(c.AdminURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
