package identity

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"
)

// Audit actions. Outcomes are "success" or "failure"; Reason says why a
// failure failed in words that never contain a secret.
const (
	AuditLogin             = "auth.login"
	AuditMFAVerify         = "auth.mfa.verify"
	AuditStepUp            = "auth.stepup"
	AuditLogout            = "auth.logout"
	AuditRefresh           = "token.refresh"
	AuditRefreshReuse      = "token.refresh.reuse"
	AuditRevokeToken       = "token.revoke"
	AuditRevokeSession     = "session.revoke"
	AuditRevokeUser        = "user.revoke"
	AuditAPITokenCreate    = "token.api.create"
	AuditAPITokenRevoke    = "token.api.revoke"
	AuditUserBootstrap     = "user.bootstrap"
	AuditUserCreate        = "user.create"
	AuditUserUpdate        = "user.update"
	AuditUserMFAReset      = "user.mfa.reset"
	AuditKeyRotate         = "key.rotate"
	AuditMFAEnroll         = "mfa.device.enroll"
	AuditMFAConfirm        = "mfa.device.confirm"
	AuditMFARemove         = "mfa.device.remove"
	AuditMFABackupCodes    = "mfa.backup_codes.generate"
	OutcomeSuccess         = "success"
	OutcomeFailure         = "failure"
	reasonTooManyAttempts  = "too_many_attempts"
	reasonInvalidFactor    = "invalid_factor"
	reasonInvalidChallenge = "invalid_challenge"
)

// logAuditor is the Auditor until the audit trail exists: a structured log
// line per event.
type logAuditor struct{ log zerolog.Logger }

func (l logAuditor) Record(_ context.Context, e Event) error {
	ev := l.log.Info().Str("audit", e.Action).Str("outcome", e.Outcome)
	if e.Reason != "" {
		ev = ev.Str("reason", e.Reason)
	}
	if e.ActorID != "" {
		ev = ev.Str("actor", e.ActorID)
	}
	if e.Subject != "" {
		ev = ev.Str("subject", e.Subject)
	}
	if e.Session != "" {
		ev = ev.Str("sid", e.Session)
	}
	if len(e.Details) > 0 {
		ev = ev.Fields(e.Details)
	}
	ev.Msg("identity event")
	return nil
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
