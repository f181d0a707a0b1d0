package ratelimit

import (
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	rl "github.com/portcullis/portcullis/internal/ratelimit"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("rate_limit", parseCaddyfile)
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	m := new(RateLimit)
	err := m.UnmarshalCaddyfile(h.Dispenser)
	return m, err
}

// UnmarshalCaddyfile parses the rate_limit directive (syntax in the package doc).
func (h *RateLimit) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if d.NextArg() {
		return d.Errf("rate_limit: unexpected argument %q (zones go in a block)", d.Val())
	}
	for d.NextBlock(0) {
		switch opt := d.Val(); opt {
		case "zone":
			z, err := parseZone(d)
			if err != nil {
				return err
			}
			for _, other := range h.Zones {
				if other.Name == z.Name {
					return d.Errf("rate_limit: zone %s is declared twice", z.Name)
				}
			}
			h.Zones = append(h.Zones, z)
		case "key_prefix":
			if !d.AllArgs(&h.KeyPrefix) {
				return d.Errf("rate_limit: key_prefix takes exactly one prefix")
			}
		case "redis_timeout":
			var raw string
			if !d.AllArgs(&raw) {
				return d.Errf("rate_limit: redis_timeout takes exactly one duration")
			}
			dur, err := caddy.ParseDuration(raw)
			if err != nil || dur <= 0 {
				return d.Errf("rate_limit: redis_timeout %q is not a positive duration", raw)
			}
			h.RedisTimeout = caddy.Duration(dur)
		default:
			return d.Errf("rate_limit: unrecognized option %q (want zone, key_prefix or redis_timeout)", opt)
		}
	}
	return nil
}

func parseZone(d *caddyfile.Dispenser) (*Zone, error) {
	z := new(Zone)
	if !d.NextArg() {
		return nil, d.Errf("rate_limit: zone needs a name, as in: zone per_ip { ... }")
	}
	z.Name = d.Val()
	if err := rl.ValidZoneName(z.Name); err != nil {
		return nil, d.Errf("rate_limit: %v", err)
	}
	if d.NextArg() {
		return nil, d.Errf("rate_limit: zone %s: unexpected argument %q (settings go in a block)", z.Name, d.Val())
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch opt := d.Val(); opt {
		case "key":
			if !d.AllArgs(&z.Key) {
				return nil, d.Errf("rate_limit: zone %s: key takes exactly one placeholder, e.g. {remote_host}", z.Name)
			}
		case "events", "burst", "max_keys":
			var raw string
			if !d.AllArgs(&raw) {
				return nil, d.Errf("rate_limit: zone %s: %s takes exactly one number", z.Name, opt)
			}
			n, err := strconv.Atoi(raw)
			if err != nil || n <= 0 {
				return nil, d.Errf("rate_limit: zone %s: %s must be a positive integer, got %q", z.Name, opt, raw)
			}
			switch opt {
			case "events":
				z.Events = n
			case "burst":
				z.Burst = n
			default:
				z.MaxKeys = n
			}
		case "window":
			var raw string
			if !d.AllArgs(&raw) {
				return nil, d.Errf("rate_limit: zone %s: window takes exactly one duration", z.Name)
			}
			dur, err := caddy.ParseDuration(raw)
			if err != nil || dur <= 0 {
				return nil, d.Errf("rate_limit: zone %s: window %q is not a positive duration", z.Name, raw)
			}
			z.Window = caddy.Duration(dur)
		default:
			return nil, d.Errf("rate_limit: zone %s: unrecognized option %q (want key, events, window, burst or max_keys)", z.Name, opt)
		}
	}
	// Check the whole limit here too, so the error names the Caddyfile line.
	check := *z
	check.applyDefaults()
	if err := check.limit().Validate(); err != nil {
		return nil, d.Errf("rate_limit: zone %s: %v", z.Name, err)
	}
	return z, nil
}

var _ caddyfile.Unmarshaler = (*RateLimit)(nil)
