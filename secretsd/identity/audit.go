package identity

import (
	"context"
	"fmt"

	"github.com/portcullis/portcullis/audit/event"
)

// Audit actions: the names of the audit catalogue (package audit/event), so
// that an identity event is written under the action a SIEM rule or a
// compliance report looks for. Outcomes are "success" or "failure"; Reason
// says why a failure failed in words that never contain a secret.
var (
	AuditLogin          = event.AuthLogin.Name
	AuditMFAVerify      = event.AuthMFAVerify.Name
	AuditStepUp         = event.AuthStepUp.Name
	AuditLogout         = event.AuthLogout.Name
	AuditRefresh        = event.TokenRefresh.Name
	AuditRefreshReuse   = event.TokenRefreshReuse.Name
	AuditRevokeToken    = event.TokenRevoke.Name
	AuditRevokeSession  = event.TokenRevokeSession.Name
	AuditRevokeUser     = event.TokenRevokeUser.Name
	AuditAPITokenCreate = event.TokenAPICreate.Name
	AuditAPITokenRevoke = event.TokenAPIRevoke.Name
	AuditUserCreate     = event.UserCreate.Name
	AuditUserUpdate     = event.UserUpdate.Name
	AuditUserMFAReset   = event.MFAReset.Name
	AuditKeyRotate      = event.KeyRotate.Name
	AuditMFAEnroll      = event.MFAEnroll.Name
	AuditMFAConfirm     = event.MFAConfirm.Name
	AuditMFARemove      = event.MFARemove.Name
	AuditMFABackupCodes = event.MFABackupCodesGenerate.Name
)

// AuditUserBootstrap is the one identity action the catalogue does not name:
// the first Admin, created with no actor. Auditors write it as user.create
// with the detail bootstrap=true (see ResolveAction).
const AuditUserBootstrap = "user.bootstrap"

// Outcomes and reasons of identity events.
const (
	OutcomeSuccess         = "success"
	OutcomeFailure         = "failure"
	reasonTooManyAttempts  = "too_many_attempts"
	reasonInvalidFactor    = "invalid_factor"
	reasonInvalidChallenge = "invalid_challenge"
)

// ResolveAction is the catalogue action an identity event is written under,
// with the details it adds: user.bootstrap is user.create with
// bootstrap=true, and a second factor refused for too many attempts is the
// auth.mfa.too_many_attempts alert. ok is false for an action the catalogue
// lacks (an auditor must refuse it rather than write it under another name).
func ResolveAction(e Event) (a event.Action, extra map[string]string, ok bool) {
	switch {
	case e.Action == AuditUserBootstrap:
		return event.UserCreate, map[string]string{"bootstrap": "true"}, true
	case e.Reason == reasonTooManyAttempts && (e.Action == AuditMFAVerify || e.Action == AuditStepUp):
		return event.AuthMFATooManyAttempts, map[string]string{"during": e.Action}, true
	}
	a, ok = event.Lookup(e.Action)
	return a, nil, ok
}

// RequestScope is what an auditor learns of the request an event belongs to:
// the API layer puts it in the context (WithRequestScope) and fills
// ActorRoles once the caller is authenticated.
type RequestScope struct {
	// RequestID follows one user action across the gateway and secretsd.
	RequestID string
	// ClientIP is the peer's address (never taken from forwarding headers).
	ClientIP string
	// ActorRoles are the authenticated caller's roles.
	ActorRoles []string
}

type scopeKey struct{}

// WithRequestScope returns ctx carrying sc.
func WithRequestScope(ctx context.Context, sc *RequestScope) context.Context {
	return context.WithValue(ctx, scopeKey{}, sc)
}

// RequestScopeFrom returns the scope in ctx, or nil.
func RequestScopeFrom(ctx context.Context) *RequestScope {
	sc, _ := ctx.Value(scopeKey{}).(*RequestScope)
	return sc
}

// record sends an event that does not guard an action: a failure to record
// it is logged, and the action (already taken, or refused) stands.
func (s *Service) record(ctx context.Context, e Event) {
	if err := s.deps.Audit.Record(ctx, e); err != nil {
		s.deps.Log.Error().Err(err).Str("audit", e.Action).Str("outcome", e.Outcome).Msg("identity: recording an audit event failed")
	}
}

// recordFirst records the event of a privileged action before it takes
// effect (DESIGN.md: if the audit write fails, the action fails).
func (s *Service) recordFirst(ctx context.Context, e Event) error {
	e.Durable = true
	if err := s.deps.Audit.Record(ctx, e); err != nil {
		s.deps.Log.Error().Err(err).Str("audit", e.Action).Msg("identity: audit write failed; refusing the privileged action")
		return fmt.Errorf("%s: %w", e.Action, ErrAuditFailed)
	}
	return nil
}

// clientDetails puts where a request came from into an event's details.
func clientDetails(c ClientInfo, d map[string]any) map[string]any {
	if d == nil {
		d = map[string]any{}
	}
	if c.IP != "" {
		d["ip"] = c.IP
	}
	if c.UserAgent != "" {
		d["user_agent"] = truncate(c.UserAgent, 256)
	}
	if c.RequestID != "" {
		d["request_id"] = c.RequestID
	}
	return d
}
