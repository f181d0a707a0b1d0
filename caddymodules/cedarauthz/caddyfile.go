package cedarauthz

import (
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/portcullis/portcullis/internal/authz"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("cedar_authz", parseCaddyfile)
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	c := new(CedarAuthz)
	err := c.UnmarshalCaddyfile(h.Dispenser)
	return c, err
}

// UnmarshalCaddyfile parses the cedar_authz directive (see the package doc).
// Syntax problems are reported with the Caddyfile's file:line; problems in
// the policy files themselves are found when the handler is provisioned.
func (c *CedarAuthz) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if d.NextArg() {
		return d.Errf("cedar_authz: unexpected argument %q (options go in a block)", d.Val())
	}
	for d.NextBlock(0) {
		opt := d.Val()
		switch opt {
		case "policies":
			if !d.AllArgs(&c.PolicyDir) {
				return d.Errf("cedar_authz: policies takes exactly one directory")
			}
		case "schema":
			if !d.AllArgs(&c.Schema) {
				return d.Errf("cedar_authz: schema takes exactly one file")
			}
		case "files":
			c.Files = append(c.Files, d.RemainingArgs()...)
			if len(c.Files) == 0 {
				return d.Errf("cedar_authz: files needs at least one policy file")
			}
		case "environment":
			if !d.AllArgs(&c.Environment) {
				return d.Errf("cedar_authz: environment takes exactly one name")
			}
		case "action":
			args := d.RemainingArgs()
			if len(args) != 3 {
				return d.Errf("cedar_authz: action takes <methods|*> <path> <action>, e.g. `action POST /api/deploy/* deploy`")
			}
			rule, err := authz.ParseActionRule(args[0], args[1], args[2])
			if err != nil {
				return d.Errf("cedar_authz: %v", err)
			}
			c.Actions = append(c.Actions, ActionRule{Methods: rule.Methods, Path: rule.Path, Action: rule.Action})
		case "resource":
			args := d.RemainingArgs()
			if len(args) < 1 || len(args) > 2 {
				return d.Errf("cedar_authz: resource takes <template> [kind], e.g. `resource /api/{kind}/{id}`")
			}
			t := ResourceTemplate{Template: args[0]}
			if len(args) == 2 {
				t.Kind = args[1]
			}
			if _, err := authz.ParseTemplate(t.Template, t.Kind); err != nil {
				return d.Errf("cedar_authz: %v", err)
			}
			c.Resources = append(c.Resources, t)
		case "shadow":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.Errf("cedar_authz: shadow takes a directory or candidate *.cedar files")
			}
			if len(args) > 1 {
				for _, a := range args {
					if !strings.HasSuffix(a, ".cedar") {
						return d.Errf("cedar_authz: shadow: %q is not a .cedar file (give one directory, or .cedar files)", a)
					}
				}
			}
			c.Shadow = append(c.Shadow, args...)
		case "reload_interval":
			var raw string
			if !d.AllArgs(&raw) {
				return d.Errf("cedar_authz: reload_interval takes exactly one duration (or off)")
			}
			if raw == "off" || raw == "0" {
				c.ReloadInterval = -1
				break
			}
			dur, err := caddy.ParseDuration(raw)
			if err != nil || dur <= 0 {
				return d.Errf("cedar_authz: reload_interval %q is not a positive duration (or off)", raw)
			}
			c.ReloadInterval = caddy.Duration(dur)
		case "mfa_methods":
			c.MFAMethods = d.RemainingArgs()
			if len(c.MFAMethods) == 0 {
				return d.Errf("cedar_authz: mfa_methods needs at least one amr value")
			}
		case "time_zone":
			if !d.AllArgs(&c.TimeZone) {
				return d.Errf("cedar_authz: time_zone takes exactly one IANA zone name")
			}
			if _, err := time.LoadLocation(c.TimeZone); err != nil {
				return d.Errf("cedar_authz: time_zone %q: %v", c.TimeZone, err)
			}
		default:
			return d.Errf("cedar_authz: unrecognized option %q", opt)
		}
	}
	return nil
}

var _ caddyfile.Unmarshaler = (*CedarAuthz)(nil)
