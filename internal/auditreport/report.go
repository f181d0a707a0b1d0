// Package auditreport is the per-request record that the gateway's handlers
// fill for the `audit` handler: the audit handler puts one Report in the
// request context before the chain runs, and every later handler (rate_limit,
// jwt_auth, mfa_stepup, cedar_authz) writes its outcome into it when one is
// present. Without an audit handler there is no Report and reporting costs a
// context lookup, no allocation.
//
// A Report belongs to one request and is written by the handlers of that
// request one after the other, so it needs no lock. It knows nothing of HTTP.
package auditreport

import "context"

// Reasons a handler denies a request, written as event.reason. They name the
// rule, never a value from the request.
const (
	ReasonRateLimited           = "rate_limited"
	ReasonUnauthenticated       = "unauthenticated"
	ReasonInvalidToken          = "invalid_token"
	ReasonInvalidRequest        = "invalid_request"
	ReasonRevoked               = "revoked"
	ReasonRevocationUnavailable = "revocation_unavailable"
	ReasonStepUpRequired        = "step_up_required"
	ReasonForbidden             = "forbidden"
	ReasonAuditUnavailable      = "audit_unavailable"
)

// Report is what the chain's handlers found out about one request.
type Report struct {
	// RequestID follows the request to the upstream and into the event.
	RequestID string
	// Reason and DeniedBy name the first handler that refused the request
	// and why; empty when none did.
	Reason   string
	DeniedBy string

	RateLimit *RateLimit
	Auth      *Auth
	StepUp    *StepUp
	Authz     *Authz
}

// RateLimit is rate_limit's verdict, for its most restrictive zone.
type RateLimit struct {
	Zone         string
	Limit        int64
	Remaining    int64
	RetryAfterMS int64
	Limited      bool
}

// Auth is jwt_auth's verdict. Outcome is "valid" or the reason of the
// refusal; the identity fields are set only for a verified token.
type Auth struct {
	Outcome   string
	Subject   string // sub
	SessionID string // sid
	TokenID   string // jti
	Role      string
	AMR       []string
	// MFA is true when amr lists a multi-factor method.
	MFA bool
}

// StepUp is mfa_stepup's verdict: it was required on this route, and
// whether the token satisfied it (Outcome is stepup's outcome name).
type StepUp struct {
	Required  bool
	Satisfied bool
	Outcome   string
}

// Authz is cedar_authz's decision.
type Authz struct {
	Allowed    bool
	DecisionID string
	PolicyIDs  []string
	// Shadow is the shadow set's decision ("allow" or "deny"), empty when
	// shadow mode is off.
	Shadow string
}

// Deny records that handler refused the request for reason, unless an
// earlier handler already did: the first refusal is the one that stopped it.
func (r *Report) Deny(handler, reason string) {
	if r.Reason == "" {
		r.Reason, r.DeniedBy = reason, handler
	}
}

type ctxKey struct{}

// NewContext returns ctx carrying r.
func NewContext(ctx context.Context, r *Report) context.Context {
	return context.WithValue(ctx, ctxKey{}, r)
}

// FromContext returns the request's Report, or nil when no audit handler
// runs in front of the caller.
func FromContext(ctx context.Context) *Report {
	r, _ := ctx.Value(ctxKey{}).(*Report)
	return r
}
