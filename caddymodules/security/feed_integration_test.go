package security_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/devtoken"
	"github.com/portcullis/portcullis/internal/revocation"
	"github.com/portcullis/portcullis/internal/revocation/feedtest"
	"github.com/portcullis/portcullis/internal/testenv"
)

const feedToken = "feed-token-for-the-gateway-3c1f9a"

// startFeedGateway is a real Caddy with jwt_auth in front of an echo
// upstream, without Redis, following a feed that speaks secretsd's wire
// format. The token is read from a file through a placeholder, as operators
// keep it out of the Caddyfile.
func startFeedGateway(t *testing.T, appOptions string) (*revocationGateway, *feedtest.Server) {
	t.Helper()
	feed := feedtest.Start(t, feedtest.Options{Token: feedToken})
	tokenFile := filepath.Join(t.TempDir(), "feed_token")
	if err := os.WriteFile(tokenFile, []byte(feedToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, jwksPath := testenv.SigningKey(t, "ES256")
	port := testenv.FreePort(t)
	conf := fmt.Sprintf(`{
	portcullis {
		revocation_feed %s
		revocation_feed_token {file.%s}
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
`, feed.URL(), tokenFile, appOptions, port, jwksPath, devtoken.DefaultIssuer, devtoken.DefaultAudience, testenv.Upstream(t).URL)
	return &revocationGateway{
		t:      t,
		caddy:  testenv.StartCaddy(t, conf),
		url:    fmt.Sprintf("http://127.0.0.1:%d/orders", port),
		signer: signer,
		conf:   conf,
	}, feed
}

// awaitWithin polls the gateway until the token gets the status, failing the
// test if that takes longer than bound.
func (g *revocationGateway) awaitWithin(tok string, want int, bound time.Duration, what string) {
	g.t.Helper()
	start := time.Now()
	testenv.WaitFor(g.t, bound, what, func() bool {
		got, _ := g.status(tok)
		return got == want
	})
	g.t.Logf("%s: %s", what, time.Since(start))
}

func TestFeedRevocationRefusesTheNextRequestThroughCaddy(t *testing.T) {
	t.Parallel()
	// Default staleness and wait: the polls are held open for 15s, so a
	// refusal within a second proves the long poll, not a poll interval.
	g, feed := startFeedGateway(t, "")
	g.caddy.WaitLog("revocations from secretsd's feed", 5*time.Second)
	T := time.Now().Truncate(time.Second)
	until := T.Add(time.Hour)

	cases := []struct {
		name   string
		claims devtoken.Claims
		entry  func(c devtoken.Claims) revocation.Entry
	}{
		{"a token whose jti is revoked in secretsd is refused within a second",
			devtoken.Claims{Subject: uniqueID("u"), TokenID: uniqueID("jti")},
			func(c devtoken.Claims) revocation.Entry {
				return revocation.Entry{Kind: revocation.KindToken, ID: c.TokenID, Until: until}
			}},
		{"a token of a session revoked in secretsd is refused within a second",
			devtoken.Claims{Subject: uniqueID("u"), SessionID: uniqueID("sid")},
			func(c devtoken.Claims) revocation.Entry {
				return revocation.Entry{Kind: revocation.KindSession, ID: c.SessionID, Until: until}
			}},
		{"a token of a user revoked in secretsd after it was issued is refused within a second",
			devtoken.Claims{Subject: uniqueID("u")},
			func(c devtoken.Claims) revocation.Entry {
				return revocation.Entry{Kind: revocation.KindUser, ID: c.Subject, Before: T, Until: until}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := g.mint(c.claims, T.Add(-10*time.Second))
			g.expect(tok, http.StatusOK, "before the revocation")
			feed.Publish(c.entry(c.claims))
			g.awaitWithin(tok, http.StatusUnauthorized, time.Second, "the revoked token to be refused")
			if _, code := g.status(tok); code != "invalid_token" {
				t.Errorf("error code = %q, want invalid_token", code)
			}
		})
	}

	t.Run("the feed was polled with the token, which is never logged", func(t *testing.T) {
		for _, p := range feed.Polls() {
			if p.Status != http.StatusOK {
				t.Errorf("the feed answered a poll %+v: the token was not sent", p)
			}
		}
		if strings.Contains(g.caddy.Logs(), feedToken) {
			t.Errorf("the feed token appears in the gateway's log:\n%s", g.caddy.Logs())
		}
		cfg, err := http.Get(g.caddy.AdminURL() + "/config/")
		if err != nil {
			t.Fatal(err)
		}
		defer cfg.Body.Close()
		body, _ := io.ReadAll(cfg.Body)
		if strings.Contains(string(body), feedToken) {
			t.Errorf("the feed token appears in the config the admin API serves")
		}
	})

	t.Run("a reload keeps the mirror and its revocations", func(t *testing.T) {
		jti := uniqueID("jti")
		tok := g.mint(devtoken.Claims{Subject: uniqueID("u"), TokenID: jti}, T)
		feed.Publish(revocation.Entry{Kind: revocation.KindToken, ID: jti, Until: until})
		g.awaitWithin(tok, http.StatusUnauthorized, time.Second, "the revoked token to be refused")
		changed := strings.Replace(g.conf, "portcullis {", "portcullis {\n\t\tjwks_refresh 10m", 1)
		if err := g.caddy.Reload(changed); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(g.caddy.Logs(), "revocations from secretsd's feed"); n != 2 {
			t.Fatalf("the portcullis app was provisioned %d times, want 2 (the reload did not happen)", n)
		}
		g.expect(tok, http.StatusUnauthorized, "after a reload")
		if n := strings.Count(g.caddy.Logs(), "revocation mirror started"); n != 1 {
			t.Errorf("the mirror was started %d times across a reload, want once", n)
		}
	})
}

func TestFeedFailsClosedWhileSecretsdIsUnreachable(t *testing.T) {
	t.Parallel()
	g, feed := startFeedGateway(t, "revocation_resync 200ms\n\t\trevocation_max_staleness 1s")
	now := time.Now()
	tok := g.mint(devtoken.Claims{Subject: uniqueID("u")}, now)
	revokedJTI := uniqueID("jti")
	revoked := g.mint(devtoken.Claims{Subject: uniqueID("u"), TokenID: revokedJTI}, now)
	g.expect(tok, http.StatusOK, "with the feed up")
	feed.Publish(revocation.Entry{Kind: revocation.KindToken, ID: revokedJTI, Until: now.Add(time.Hour)})
	g.awaitWithin(revoked, http.StatusUnauthorized, time.Second, "the revoked token to be refused")

	feed.Down()
	// The bound is 1s, noticed within 50ms; the rest is slack for a busy machine.
	g.awaitStatus(tok, http.StatusServiceUnavailable, 5*time.Second, "requests to fail closed once the mirror is stale")
	if _, code := g.status(tok); code != "revocation_unavailable" {
		t.Errorf("error code while stale = %q, want revocation_unavailable", code)
	}
	g.expect(revoked, http.StatusUnauthorized, "a token known to be revoked, while stale")
	g.caddy.WaitLog("revocation mirror is stale", 5*time.Second)
	if v := g.metric("portcullis_revocation_stale_refusals_total"); v == "" || v == "0" {
		t.Errorf("portcullis_revocation_stale_refusals_total = %q while failing closed, want > 0", v)
	}

	feed.Up()
	g.awaitStatus(tok, http.StatusOK, 10*time.Second, "requests to pass again once the feed answers")
	g.caddy.WaitLog("revocation mirror is fresh again", 5*time.Second)
}

// A token placeholder that expands to nothing would have every poll refused;
// the gateway says so at start instead.
func TestFeedTokenThatExpandsToNothingIsRefused(t *testing.T) {
	t.Parallel()
	out, ok := testenv.Validate(t, `{
	portcullis {
		revocation_feed http://127.0.0.1:8200/v1/revocations
		revocation_feed_token {env.PORTCULLIS_TEST_FEED_TOKEN_NEVER_SET}
	}
}
`)
	if ok || !strings.Contains(out, "revocation_feed_token expands to nothing") {
		t.Fatalf("caddy validate accepted an empty feed token or did not say why:\n%s", out)
	}
}
