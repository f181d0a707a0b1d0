package security

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"

	"github.com/portcullis/portcullis/internal/revocation"
)

func init() {
	httpcaddyfile.RegisterGlobalOption("portcullis", parseGlobalOption)
}

// parseGlobalOption sets up the app from the `portcullis` global option:
//
//	portcullis {
//	    redis <url> [standalone|cluster|sentinel]
//	    revocation_feed <url>              # instead of redis
//	    revocation_feed_token <token>      # e.g. {env.PORTCULLIS_FEED_TOKEN}
//	    jwks <file|url>
//	    jwks_refresh <duration>
//	    revocation_resync <duration>
//	    revocation_max_staleness <duration>
//	}
func parseGlobalOption(d *caddyfile.Dispenser, _ any) (any, error) {
	app := new(App)
	if err := app.UnmarshalCaddyfile(d); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(app)
	if err != nil {
		return nil, err
	}
	return httpcaddyfile.App{Name: AppName, Value: raw}, nil
}

// UnmarshalCaddyfile parses the `portcullis` global option block.
func (a *App) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the option name
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		switch d.Val() {
		case "redis":
			args := d.RemainingArgs()
			if len(args) < 1 || len(args) > 2 {
				return d.Errf("redis: want a URL and an optional mode (standalone, cluster, sentinel), got %d arguments", len(args))
			}
			rc := &RedisConfig{URL: args[0]}
			if len(args) == 2 {
				rc.Mode = args[1]
			}
			if err := rc.options().Validate(); err != nil {
				return d.Errf("redis: %v", err)
			}
			a.Redis = rc
		case "jwks":
			if !d.NextArg() {
				return d.ArgErr()
			}
			a.JWKS = d.Val()
			if d.NextArg() {
				return d.ArgErr()
			}
		case "revocation_feed":
			if !d.NextArg() {
				return d.ArgErr()
			}
			a.RevocationFeed = d.Val()
			if d.NextArg() {
				return d.ArgErr()
			}
			// A URL made of placeholders is checked once they are
			// expanded, at provisioning.
			if !strings.Contains(a.RevocationFeed, "{") {
				if err := (revocation.FeedConfig{URL: a.RevocationFeed}).Validate(); err != nil {
					return d.Errf("%v", err)
				}
			}
		case "revocation_feed_token":
			if !d.NextArg() {
				return d.ArgErr()
			}
			a.RevocationFeedToken = d.Val()
			if a.RevocationFeedToken == "" {
				return d.Err("revocation_feed_token: the token is empty")
			}
			if d.NextArg() {
				return d.ArgErr()
			}
		case "jwks_refresh", "revocation_resync", "revocation_max_staleness":
			name := d.Val()
			dur, err := parseDurationArg(d)
			if err != nil {
				return err
			}
			switch name {
			case "jwks_refresh":
				a.JWKSRefresh = dur
			case "revocation_resync":
				a.RevocationResync = dur
			default:
				a.RevocationMaxStaleness = dur
			}
		default:
			return d.Errf("unrecognized portcullis option %q", d.Val())
		}
	}
	if err := a.checkRevocationSource(); err != nil {
		return d.Errf("%v", err)
	}
	return nil
}

func parseDurationArg(d *caddyfile.Dispenser) (caddy.Duration, error) {
	name := d.Val()
	if !d.NextArg() {
		return 0, d.ArgErr()
	}
	dur, err := caddy.ParseDuration(d.Val())
	if err != nil {
		return 0, d.Errf("%s: %v", name, err)
	}
	if dur <= 0 || dur > 24*time.Hour {
		return 0, d.Errf("%s: %s is out of range (0, 24h]", name, d.Val())
	}
	if d.NextArg() {
		return 0, d.ArgErr()
	}
	return caddy.Duration(dur), nil
}
