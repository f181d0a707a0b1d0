package security_test

import (
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/portcullis/portcullis/caddymodules/security"
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
	})
}
