package security

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"

	"github.com/portcullis/portcullis/audit/pseudo"
	"github.com/portcullis/portcullis/audit/retention"
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
//	    audit {
//	        dir <path>                     # required
//	        writer <name>                  # default gateway-<hostname>
//	        signing_key <path>             # default <dir>/../audit-keys/<writer>.ed25519
//	        pseudonym_key <path>           # default <dir>/../audit-keys/pseudonym.key
//	        subject_keys <path>            # default none
//	        queue_size <n>                 # default 65536
//	        fail_open                      # default: fail closed (503)
//	        retention_standard <period>    # default 365d (y, m, d: "18m", "1y6m")
//	        retention_break_glass <period> # default 7y
//	        field <name> <mode>            # repeatable; e.g. field user.name drop
//	    }
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
		case "audit":
			c, err := parseAudit(d)
			if err != nil {
				return err
			}
			a.Audit = c
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

// parseAudit parses the audit block of the portcullis option.
func parseAudit(d *caddyfile.Dispenser) (*AuditConfig, error) {
	if d.NextArg() {
		return nil, d.ArgErr()
	}
	c := &AuditConfig{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		name := d.Val()
		switch name {
		case "dir", "writer", "signing_key", "pseudonym_key", "subject_keys":
			if !d.NextArg() {
				return nil, d.ArgErr()
			}
			v := d.Val()
			if d.NextArg() {
				return nil, d.ArgErr()
			}
			if v == "" {
				return nil, d.Errf("audit: %s is empty", name)
			}
			switch name {
			case "dir":
				c.Dir = v
			case "writer":
				c.Writer = v
			case "signing_key":
				c.SigningKey = v
			case "pseudonym_key":
				c.PseudonymKey = v
			default:
				c.SubjectKeys = v
			}
		case "queue_size":
			if !d.NextArg() {
				return nil, d.ArgErr()
			}
			n, err := strconv.Atoi(d.Val())
			if err != nil || n <= 0 || n > MaxAuditQueueSize {
				return nil, d.Errf("audit: queue_size %q must be a whole number in [1, %d]", d.Val(), MaxAuditQueueSize)
			}
			c.QueueSize = n
			if d.NextArg() {
				return nil, d.ArgErr()
			}
		case "fail_open":
			if d.NextArg() {
				return nil, d.ArgErr()
			}
			c.FailOpen = true
		case "retention_standard", "retention_break_glass":
			if !d.NextArg() {
				return nil, d.ArgErr()
			}
			v := d.Val()
			if d.NextArg() {
				return nil, d.ArgErr()
			}
			if _, err := retention.ParsePeriod(v); err != nil {
				return nil, d.Errf("audit: %s: %v", name, err)
			}
			if name == "retention_standard" {
				c.RetentionStandard = v
			} else {
				c.RetentionBreakGlass = v
			}
		case "field":
			args := d.RemainingArgs()
			if len(args) != 2 {
				return nil, d.Errf("audit: field takes a field and a mode, e.g. %q", "field user.name drop")
			}
			field, mode := args[0], pseudo.Mode(args[1])
			if err := pseudo.CheckField(field, mode); err != nil {
				return nil, d.Errf("audit: %v", err)
			}
			if _, seen := c.Fields[field]; seen {
				return nil, d.Errf("audit: field %q is set twice", field)
			}
			if c.Fields == nil {
				c.Fields = map[string]pseudo.Mode{}
			}
			c.Fields[field] = mode
		default:
			return nil, d.Errf("unrecognized audit option %q (want dir, writer, signing_key, pseudonym_key, subject_keys, queue_size, fail_open, "+
				"retention_standard, retention_break_glass or field)", name)
		}
	}
	if c.Dir == "" {
		return nil, d.Err("audit: dir is required")
	}
	if c.Writer != "" && !strings.Contains(c.Writer, "{") && !writerPattern.MatchString(c.Writer) {
		return nil, d.Errf("audit: writer %q must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit", c.Writer)
	}
	return c, nil
}
