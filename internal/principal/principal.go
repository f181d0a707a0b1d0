// Package principal is the authenticated caller as the gateway knows it after
// jwt_auth verified the access token: what later handlers (mfa_stepup,
// cedar_authz, audit) read from the request context instead of parsing the
// token again.
package principal

import (
	"context"
	"slices"
	"time"
)

// Principal carries the verified claims of an RFC 9068 access token plus the
// Portcullis claims (role, team, groups, break_glass).
type Principal struct {
	Subject   string    // sub
	Issuer    string    // iss
	Audience  []string  // aud
	TokenID   string    // jti
	SessionID string    // sid (may be empty)
	ClientID  string    // client_id (may be empty)
	IssuedAt  time.Time // iat
	NotBefore time.Time // nbf (zero when absent)
	Expiry    time.Time // exp
	AuthTime  time.Time // auth_time: when the user last authenticated (zero when absent)
	AMR       []string  // amr: authentication methods (RFC 8176)
	ACR       string    // acr: authentication context class
	Role      string    // role: Admin, Developer, Operator, Viewer or Auditor
	Team      string    // team
	Groups    []string  // groups
	// BreakGlass is true for emergency-access tokens (claim "break_glass").
	BreakGlass bool
	// Claims holds the token's claims that have no field above (e.g. scope),
	// for placeholders and header forwarding; nil when there are none.
	// Principals may be shared between requests through jwt_auth's cache:
	// never modify one.
	Claims map[string]any
}

// HasAMR reports whether the token lists any of the given methods in amr.
func (p *Principal) HasAMR(methods ...string) bool {
	for _, m := range p.AMR {
		if slices.Contains(methods, m) {
			return true
		}
	}
	return false
}

type ctxKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal jwt_auth stored, if any.
func FromContext(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(*Principal)
	return p, ok && p != nil
}
