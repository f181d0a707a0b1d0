// Package caddymodules registers every Portcullis Caddy module. Importing it (as
// cmd/caddy does) is all a Caddy build needs to include the gateway.
package caddymodules

import (
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"

	_ "github.com/portcullis/portcullis/caddymodules/audit"
	_ "github.com/portcullis/portcullis/caddymodules/cedarauthz"
	_ "github.com/portcullis/portcullis/caddymodules/jwtauth"
	_ "github.com/portcullis/portcullis/caddymodules/mfastepup"
	_ "github.com/portcullis/portcullis/caddymodules/ratelimit"
	_ "github.com/portcullis/portcullis/caddymodules/security"
)

// The chain's order is registered here, in one place, because Caddy only lets a
// plugin order itself relative to a standard directive: each of ours goes just
// before basic_auth, in call order, which yields
// audit → rate_limit → jwt_auth → mfa_stepup → cedar_authz → (basic_auth …) → reverse_proxy
// without a route block.
//
// audit comes first because it wraps the rest: it sees the response of
// whichever handler answers, so requests that rate_limit, jwt_auth,
// mfa_stepup or cedar_authz deny are audited too (each reports its verdict
// into the request's audit report).
func init() {
	for _, dir := range ChainOrder {
		httpcaddyfile.RegisterDirectiveOrder(dir, httpcaddyfile.Before, "basicauth")
	}
}

// ChainOrder is the order of the gateway's directives in a site block.
var ChainOrder = []string{"audit", "rate_limit", "jwt_auth", "mfa_stepup", "cedar_authz"}
