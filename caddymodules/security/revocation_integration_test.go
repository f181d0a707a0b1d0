package security_test

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

	"github.com/portcullis/portcullis/internal/devtoken"
	"github.com/portcullis/portcullis/internal/revocation"
	"github.com/portcullis/portcullis/internal/testenv"
)

// revocationGateway is a real Caddy with jwt_auth in front of an echo
// upstream, sharing revocations through Redis.
type revocationGateway struct {
	t      *testing.T
	caddy  *testenv.Caddy
	url    string
	signer *devtoken.Signer
	conf   string
}

func startRevocationGateway(t *testing.T, redisURL, appOptions string) *revocationGateway {
	t.Helper()
	signer, jwksPath := testenv.SigningKey(t, "ES256")
	port := testenv.FreePort(t)
	conf := fmt.Sprintf(`{
	portcullis {
		redis %s
		%s
	}
}
http://127.0.0.1:%d {
	jwt_auth {
		jwks %s
		issuer %s
		audience %s
	}
	reverse_proxy %s
}
`, redisURL, appOptions, port, jwksPath, devtoken.DefaultIssuer, devtoken.DefaultAudience, testenv.Upstream(t).URL)
	return &revocationGateway{
		t:      t,
		caddy:  testenv.StartCaddy(t, conf),
		url:    fmt.Sprintf("http://127.0.0.1:%d/orders", port),
		signer: signer,
		conf:   conf,
	}
}

func (g *revocationGateway) mint(c devtoken.Claims, iat time.Time) string {
	g.t.Helper()
	tok, err := g.signer.Mint(c, iat)
	if err != nil {
		g.t.Fatal(err)
	}
	return tok
}

// status sends one request with the token and returns the status and the
// JSON error code (empty on success).
func (g *revocationGateway) status(tok string) (int, string) {
	g.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, g.url, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		g.t.Fatalf("request through the gateway: %v", err)
	}
	defer resp.Body.Close()
	var body struct {
		Code string `json:"error"` // internal/httperr.Body
	}
	if resp.StatusCode >= 400 {
		_ = json.NewDecoder(resp.Body).Decode(&body)
	}
	return resp.StatusCode, body.Code
}

func (g *revocationGateway) expect(tok string, want int, what string) {
	g.t.Helper()
	if got, code := g.status(tok); got != want {
		g.t.Fatalf("%s: status %d (%s), want %d", what, got, code, want)
	}
}

// awaitStatus polls until the token gets the status and returns how long it
// took. The gateway gives no signal to await, so polling is the only way.
func (g *revocationGateway) awaitStatus(tok string, want int, timeout time.Duration, what string) time.Duration {
	g.t.Helper()
	start := time.Now()
	testenv.WaitFor(g.t, timeout, what, func() bool {
		got, _ := g.status(tok)
		return got == want
	})
	return time.Since(start)
}

// metric reads one unlabelled sample from the admin endpoint's /metrics.
func (g *revocationGateway) metric(name string) string {
	g.t.Helper()
	resp, err := http.Get(g.caddy.AdminURL() + "/metrics")
	if err != nil {
		g.t.Fatalf("reading metrics: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return ""
}

func uniqueID(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

func TestRevocationRefusesTheNextRequestThroughCaddy(t *testing.T) {
	t.Parallel()
	redisURL := testenv.RedisURL(t)
	g := startRevocationGateway(t, redisURL, "")
	// secretsd's side: the publisher on the default keys of the same Redis.
	pub := revocation.NewRedisPublisher(testenv.RedisClient(t), revocation.Keys{}, nil)
	ctx := context.Background()
	T := time.Now().Truncate(time.Second)
	until := T.Add(time.Hour)

	cases := []struct {
		name    string
		claims  devtoken.Claims
		revoke  func(c devtoken.Claims) error
		refused bool
	}{
		{"a token whose jti is revoked is refused",
			devtoken.Claims{Subject: uniqueID("u"), TokenID: uniqueID("jti")},
			func(c devtoken.Claims) error { return pub.RevokeToken(ctx, c.TokenID, until) }, true},
		{"a token of a revoked session is refused",
			devtoken.Claims{Subject: uniqueID("u"), SessionID: uniqueID("sid")},
			func(c devtoken.Claims) error { return pub.RevokeSession(ctx, c.SessionID, until) }, true},
		{"a token of a user revoked after it was issued is refused",
			devtoken.Claims{Subject: uniqueID("u")},
			func(c devtoken.Claims) error { return pub.RevokeUser(ctx, c.Subject, T, until) }, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := g.mint(c.claims, T.Add(-10*time.Second))
			g.expect(tok, http.StatusOK, "before the revocation")
			if err := c.revoke(c.claims); err != nil {
				t.Fatal(err)
			}
			took := g.awaitStatus(tok, http.StatusUnauthorized, 5*time.Second, "the revoked token to be refused")
			// The bound: refused on the next request after the
			// revocation propagates, which the feed does in milliseconds.
			if took >= time.Second {
				t.Errorf("the revocation took %s to reach the gateway, want < 1s", took)
			}
			t.Logf("refused %s after the revocation was published", took)
			if _, code := g.status(tok); code != "invalid_token" {
				t.Errorf("error code = %q, want invalid_token", code)
			}
		})
	}

	t.Run("a token of the same user issued at or after the revoked-before time passes", func(t *testing.T) {
		sub := uniqueID("u")
		old := g.mint(devtoken.Claims{Subject: sub}, T.Add(-time.Minute))
		fresh := g.mint(devtoken.Claims{Subject: sub}, T)
		if err := pub.RevokeUser(ctx, sub, T, until); err != nil {
			t.Fatal(err)
		}
		g.awaitStatus(old, http.StatusUnauthorized, 5*time.Second, "the old token of the revoked user to be refused")
		g.expect(fresh, http.StatusOK, "a token issued at the revoked-before time")
	})

	t.Run("a reload keeps the mirror and its revocations", func(t *testing.T) {
		jti := uniqueID("jti")
		tok := g.mint(devtoken.Claims{Subject: uniqueID("u"), TokenID: jti}, T)
		if err := pub.RevokeToken(ctx, jti, until); err != nil {
			t.Fatal(err)
		}
		g.awaitStatus(tok, http.StatusUnauthorized, 5*time.Second, "the revoked token to be refused")
		// A different config (Caddy ignores a reload of an identical one)
		// with the same Redis and revocation options.
		changed := strings.Replace(g.conf, "portcullis {", "portcullis {\n\t\tjwks_refresh 10m", 1)
		if err := g.caddy.Reload(changed); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(g.caddy.Logs(), "shared state in redis"); n != 2 {
			t.Fatalf("the portcullis app was provisioned %d times, want 2 (the reload did not happen)", n)
		}
		g.expect(tok, http.StatusUnauthorized, "after a reload")
		if n := strings.Count(g.caddy.Logs(), "revocation mirror started"); n != 1 {
			t.Errorf("the mirror was started %d times across a reload, want once", n)
		}
	})
}

func TestRevocationFailsClosedWhileRedisIsDown(t *testing.T) {
	t.Parallel()
	srv := testenv.StartRedis(t)
	g := startRevocationGateway(t, srv.URL(), "revocation_resync 200ms\n\t\trevocation_max_staleness 1s")
	opts, _ := redis.ParseURL(srv.URL())
	client := redis.NewClient(opts)
	t.Cleanup(func() { _ = client.Close() })
	pub := revocation.NewRedisPublisher(client, revocation.Keys{}, nil)
	now := time.Now()

	tok := g.mint(devtoken.Claims{Subject: uniqueID("u")}, now)
	revokedJTI := uniqueID("jti")
	revoked := g.mint(devtoken.Claims{Subject: uniqueID("u"), TokenID: revokedJTI}, now)
	g.expect(tok, http.StatusOK, "with redis up")
	if err := pub.RevokeToken(context.Background(), revokedJTI, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	g.awaitStatus(revoked, http.StatusUnauthorized, 5*time.Second, "the revoked token to be refused")

	srv.Stop()
	down := g.awaitStatus(tok, http.StatusServiceUnavailable, 10*time.Second, "requests to fail closed once the mirror is stale")
	t.Logf("failing closed %s after redis died (bound 1s, checked every 50ms)", down)
	if _, code := g.status(tok); code != "revocation_unavailable" {
		t.Errorf("error code while stale = %q, want revocation_unavailable", code)
	}
	g.caddy.WaitLog("revocation mirror is stale", 5*time.Second)
	if v := g.metric("portcullis_revocation_stale_refusals_total"); v == "" || v == "0" {
		t.Errorf("portcullis_revocation_stale_refusals_total = %q while failing closed, want > 0", v)
	}

	srv.Start() // empty: the private server keeps nothing across restarts
	g.awaitStatus(tok, http.StatusOK, 10*time.Second, "requests to pass again after redis is back")
	g.expect(revoked, http.StatusUnauthorized, "a token revoked before the outage, after redis restarted empty")
	g.caddy.WaitLog("revocation mirror is fresh again", 5*time.Second)
}
