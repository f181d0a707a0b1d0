package mfastepup

import (
	"net/url"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("mfa_stepup", parseCaddyfile)
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	m := new(MFAStepUp)
	err := m.UnmarshalCaddyfile(h.Dispenser)
	return m, err
}

// UnmarshalCaddyfile parses the mfa_stepup directive (see the package doc).
func (m *MFAStepUp) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if d.NextArg() {
		return d.Errf("mfa_stepup: unexpected argument %q (options go in a block)", d.Val())
	}
	for d.NextBlock(0) {
		opt := d.Val()
		switch opt {
		case "methods":
			m.Methods = d.RemainingArgs()
			if len(m.Methods) == 0 {
				return d.Errf("mfa_stepup: methods needs at least one amr value")
			}
		case "acr":
			if !d.AllArgs(&m.ACR) {
				return d.Errf("mfa_stepup: acr takes exactly one level")
			}
		case "acr_levels":
			m.ACRLevels = d.RemainingArgs()
			if len(m.ACRLevels) == 0 {
				return d.Errf("mfa_stepup: acr_levels needs at least one level")
			}
		case "max_age":
			var raw string
			if !d.AllArgs(&raw) {
				return d.Errf("mfa_stepup: max_age takes exactly one duration")
			}
			dur, err := caddy.ParseDuration(raw)
			if err != nil || dur < 0 {
				return d.Errf("mfa_stepup: max_age %q is not a non-negative duration", raw)
			}
			if dur == 0 {
				dur = -1 // explicit 0 disables the check; the JSON zero value means "default"
			}
			m.MaxAge = caddy.Duration(dur)
		case "step_up_url":
			if !d.AllArgs(&m.StepUpURL) {
				return d.Errf("mfa_stepup: step_up_url takes exactly one URL")
			}
			if u, err := url.Parse(m.StepUpURL); err != nil || !u.IsAbs() {
				return d.Errf("mfa_stepup: step_up_url %q is not an absolute URL", m.StepUpURL)
			}
		default:
			return d.Errf("mfa_stepup: unrecognized option %q", opt)
		}
	}
	if err := m.requirement().Validate(); err != nil {
		return d.Errf("mfa_stepup: %v", err)
	}
	return nil
}

var _ caddyfile.Unmarshaler = (*MFAStepUp)(nil)
