package identity

import (
	"context"
	"fmt"
)

// RotateSigningKey makes a new access-token signing key active now (Admin
// only, audited before it takes effect). The retired key stays in the JWKS
// until every token it signed has expired.
func (s *Service) RotateSigningKey(ctx context.Context, a Actor) (kid string, err error) {
	if err := authorize(a, actKeysRotate); err != nil {
		return "", err
	}
	old := s.deps.Keys.ActiveKeyID()
	if err := s.recordFirst(ctx, Event{Action: AuditKeyRotate, Outcome: OutcomeSuccess, ActorID: a.UserID, Session: a.SessionID,
		Details: map[string]any{"retiring_kid": old}}); err != nil {
		return "", err
	}
	kid, err = s.deps.Keys.Rotate(ctx)
	if err != nil {
		s.record(ctx, Event{Action: AuditKeyRotate, Outcome: OutcomeFailure, Reason: "rotation_failed", ActorID: a.UserID, Session: a.SessionID,
			Details: map[string]any{"retiring_kid": old}})
		return "", fmt.Errorf("rotating the signing key: %w", err)
	}
	s.deps.Log.Info().Str("kid", kid).Str("retired_kid", old).Msg("identity: signing key rotated")
	return kid, nil
}
