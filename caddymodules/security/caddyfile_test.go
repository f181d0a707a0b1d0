package security_test

import (
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/portcullis/portcullis/caddymodules/security"
	"github.com/portcullis/portcullis/internal/revocation"
)

func TestUnmarshalCaddyfile(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		input   string
		check   func(*testing.T, *security.App)
		wantErr string
	}{
		{name: "empty block keeps every default", input: "portcullis {\n}", check: func(t *testing.T, a *security.App) {
			if a.Redis != nil || a.JWKS != "" {
				t.Fatalf("app = %+v", a)
			}
		}},
		{name: "full block", input: "portcullis {\n redis redis://127.0.0.1:6379/0\n jwks https://id.example.com/.well-known/jwks.json\n jwks_refresh 1m\n revocation_resync 2s\n revocation_max_staleness 20s\n}",
			check: func(t *testing.T, a *security.App) {
				if a.Redis == nil || a.Redis.URL != "redis://127.0.0.1:6379/0" || a.JWKS == "" ||
					a.JWKSRefresh != caddy.Duration(time.Minute) || a.RevocationResync != caddy.Duration(2*time.Second) ||
					a.RevocationMaxStaleness != caddy.Duration(20*time.Second) {
					t.Fatalf("app = %+v", a)
				}
			}},
		{name: "cluster mode", input: "portcullis {\n redis redis://a:6379?addr=b:6379 cluster\n}", check: func(t *testing.T, a *security.App) {
			if a.Redis.Mode != "cluster" {
				t.Fatalf("mode = %q", a.Redis.Mode)
			}
		}},
		{name: "unknown redis mode", input: "portcullis {\n redis redis://a:6379 galaxy\n}", wantErr: `unknown redis mode "galaxy"`},
		{name: "not a redis URL", input: "portcullis {\n redis http://a:6379\n}", wantErr: "redis:"},
		{name: "redis without URL", input: "portcullis {\n redis\n}", wantErr: "want a URL"},
		{name: "bad duration", input: "portcullis {\n jwks_refresh soon\n}", wantErr: "jwks_refresh"},
		{name: "zero duration", input: "portcullis {\n revocation_resync 0s\n}", wantErr: "out of range"},
		{name: "a revocation feed with its token", input: "portcullis {\n revocation_feed http://127.0.0.1:8200/v1/revocations\n revocation_feed_token {env.PORTCULLIS_FEED_TOKEN}\n}",
			check: func(t *testing.T, a *security.App) {
				if a.Redis != nil || a.RevocationFeed != "http://127.0.0.1:8200/v1/revocations" ||
					a.RevocationFeedToken != "{env.PORTCULLIS_FEED_TOKEN}" {
					t.Fatalf("app = %+v", a)
				}
			}},
		{name: "a feed URL made of placeholders is left for provisioning", input: "portcullis {\n revocation_feed {env.SECRETSD_URL}/v1/revocations\n}",
			check: func(t *testing.T, a *security.App) {
				if a.RevocationFeed != "{env.SECRETSD_URL}/v1/revocations" {
					t.Fatalf("revocation_feed = %q", a.RevocationFeed)
				}
			}},
		{name: "redis and a revocation feed are mutually exclusive", input: "portcullis {\n redis redis://127.0.0.1:6379\n revocation_feed http://127.0.0.1:8200/v1/revocations\n}",
			wantErr: "redis and revocation_feed are mutually exclusive"},
		{name: "a revocation feed and redis are mutually exclusive in any order", input: "portcullis {\n revocation_feed http://127.0.0.1:8200/v1/revocations\n redis redis://127.0.0.1:6379\n}",
			wantErr: "mutually exclusive"},
		{name: "a feed token without a feed", input: "portcullis {\n revocation_feed_token t0ken\n}", wantErr: "revocation_feed_token is set without revocation_feed"},
		{name: "a feed that is not http", input: "portcullis {\n revocation_feed redis://127.0.0.1:6379\n}", wantErr: "want an http or https URL"},
		{name: "a feed without URL", input: "portcullis {\n revocation_feed\n}", wantErr: "wrong argument count"},
		{name: "a feed with two URLs", input: "portcullis {\n revocation_feed http://a/v1/revocations http://b/v1/revocations\n}", wantErr: "wrong argument count"},
		{name: "a feed token without token", input: "portcullis {\n revocation_feed http://a/v1/revocations\n revocation_feed_token\n}", wantErr: "wrong argument count"},
		{name: "unknown option", input: "portcullis {\n rediss redis://a\n}", wantErr: `unrecognized portcullis option "rediss"`},
		{name: "inline argument", input: "portcullis redis://a", wantErr: "wrong argument count"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var a security.App
			err := a.UnmarshalCaddyfile(caddyfile.NewTestDispenser(c.input))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, &a)
		})
	}
}

func FuzzUnmarshalCaddyfile(f *testing.F) {
	f.Add("portcullis {\n redis redis://127.0.0.1:6379/0\n jwks ./jwks.json\n jwks_refresh 1m\n}")
	f.Add("portcullis {\n redis redis://a:6379?addr=b:6379 cluster\n revocation_resync 2s\n revocation_max_staleness 20s\n}")
	f.Add("portcullis {\n redis redis+sentinel://x sentinel\n}")
	f.Add("portcullis {\n revocation_feed http://127.0.0.1:8200/v1/revocations\n revocation_feed_token {env.PORTCULLIS_FEED_TOKEN}\n}")
	f.Add("portcullis {\n revocation_feed https://u:p@secretsd:8200/v1/revocations?x=1\n revocation_max_staleness 10s\n}")
	f.Add("portcullis {\n revocation_feed {env.SECRETSD_URL}\n redis redis://a:6379\n}")
	f.Fuzz(func(t *testing.T, input string) {
		var a security.App
		if err := a.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input)); err != nil {
			return
		}
		// Whatever parses must name a Redis the client can be built for.
		if a.Redis != nil {
			c, err := security.NewRedisClient(*a.Redis)
			if err != nil {
				t.Fatalf("parsed %q but the client cannot be built: %v", a.Redis.URL, err)
			}
			_ = c.Close()
		}
		// ... and one source of revocations at most, with a feed URL the
		// mirror accepts unless placeholders leave it to provisioning.
		if err := a.Validate(); err != nil && strings.Contains(err.Error(), "revocation_feed") {
			t.Fatalf("parsed %q but the app refuses it: %v", input, err)
		}
		if a.RevocationFeed != "" && !strings.Contains(a.RevocationFeed, "{") {
			if err := (revocation.FeedConfig{URL: a.RevocationFeed}).Validate(); err != nil {
				t.Fatalf("parsed revocation_feed %q but the mirror refuses it: %v", a.RevocationFeed, err)
			}
		}
	})
}

// A JSON config (no Caddyfile) gets the same refusals as the option block.
func TestValidateRefusesTwoRevocationSources(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		app     security.App
		wantErr string
	}{
		{"redis and a feed", security.App{Redis: &security.RedisConfig{URL: "redis://127.0.0.1:6379"},
			RevocationFeed: "http://127.0.0.1:8200/v1/revocations"}, "mutually exclusive"},
		{"a feed token without a feed", security.App{RevocationFeedToken: "t0ken"}, "without revocation_feed"},
		{"a feed alone", security.App{RevocationFeed: "http://127.0.0.1:8200/v1/revocations", RevocationFeedToken: "t0ken"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := c.app.Validate()
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("Validate = %v, want it to contain %q", err, c.wantErr)
			}
			if strings.Contains(err.Error(), "t0ken") {
				t.Errorf("the error carries the token: %v", err)
			}
		})
	}
}
