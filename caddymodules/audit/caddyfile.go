package audit

import (
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("audit", parseCaddyfile)
}

// parseCaddyfile sets up the handler from `audit`, which takes no options:
// the trail is configured in the portcullis global option.
func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	a := new(Audit)
	return a, a.UnmarshalCaddyfile(h.Dispenser)
}

// UnmarshalCaddyfile parses `audit`.
func (h *Audit) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the directive name
	if d.NextArg() {
		return d.Errf("audit takes no arguments; the trail is configured in the portcullis global option's audit block")
	}
	if d.NextBlock(0) {
		return d.Errf("audit takes no options (got %q); the trail is configured in the portcullis global option's audit block", d.Val())
	}
	return nil
}

var _ caddyfile.Unmarshaler = (*Audit)(nil)
