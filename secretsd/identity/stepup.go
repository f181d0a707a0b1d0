package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/portcullis/portcullis/secretsd/mfa"
	"github.com/portcullis/portcullis/secretsd/store"
)

// BeginStepUp starts a step-up for a logged-in user: a challenge listing the
// user's methods, bound to the actor's user and session. It needs a session
// (an API token cannot step up) and a confirmed factor (mfa.ErrNoFactor).
func (s *Service) BeginStepUp(ctx context.Context, a Actor, c ClientInfo) (Challenge, error) {
	if err := authorize(a, actStepUp); err != nil {
		return Challenge{}, err
	}
	u, err := s.enabledUser(ctx, a.UserID)
	if err != nil {
		return Challenge{}, err
	}
	ch, err := s.newChallenge(ctx, u, purposeStepUp, a.SessionID)
	if err != nil {
		return Challenge{}, fmt.Errorf("starting a step-up: %w", err)
	}
	return ch, nil
}

// StepUp verifies a second factor for the actor's session and returns a new
// access token with fresh auth_time and amr (no new refresh token). The
// session remembers the step-up, so tokens refreshed from it keep it.
func (s *Service) StepUp(ctx context.Context, a Actor, challengeToken string, p mfa.Proof, c ClientInfo) (Tokens, error) {
	if err := authorize(a, actStepUp); err != nil {
		return Tokens{}, err
	}
	fail := func(reason string, err error) (Tokens, error) {
		s.record(ctx, Event{Action: AuditStepUp, Outcome: OutcomeFailure, Reason: reason, ActorID: a.UserID, Subject: a.UserID, Session: a.SessionID,
			Details: clientDetails(c, map[string]any{"method": p.Method})})
		return Tokens{}, err
	}
	ch, state, err := s.openChallenge(ctx, challengeToken, purposeStepUp)
	if err != nil {
		if errors.Is(err, ErrInvalidChallenge) {
			return fail(reasonInvalidChallenge, err)
		}
		return Tokens{}, err
	}
	// A step-up challenge proves something only for the session that asked.
	if ch.UserID != a.UserID || state.SessionID != a.SessionID {
		return fail("challenge_of_another_session", ErrInvalidChallenge)
	}
	u, err := s.enabledUser(ctx, a.UserID)
	if err != nil {
		return Tokens{}, err
	}
	sess, err := s.deps.Store.GetSession(ctx, a.SessionID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !sess.RevokedAt.IsZero()) {
		return fail("session_revoked", fmt.Errorf("%w: session revoked", ErrUnauthenticated))
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("reading session: %w", err)
	}
	amr, acr, err := s.verifyFactor(ctx, AuditStepUp, u, state, p, a.SessionID, c)
	if err != nil {
		return Tokens{}, err
	}
	if err := s.completeChallenge(ctx, ch); err != nil {
		if errors.Is(err, ErrInvalidChallenge) {
			return fail("challenge_already_completed", err)
		}
		return Tokens{}, err
	}
	now := s.clock.Now()
	sess.AuthTime = now
	sess.AMR = withFactor(sess.AMR, amr)
	sess.ACR = acr
	if err := s.deps.Store.UpdateSessionAuth(ctx, sess.ID, sess.AuthTime, sess.AMR, sess.ACR); err != nil {
		return Tokens{}, fmt.Errorf("recording the step-up of session %s: %w", sess.ID, err)
	}
	t, err := s.accessToken(u, sess, now)
	if err != nil {
		return Tokens{}, err
	}
	s.record(ctx, Event{Action: AuditStepUp, Outcome: OutcomeSuccess, ActorID: u.ID, Subject: u.ID, Session: sess.ID,
		Details: clientDetails(c, map[string]any{"method": p.Method, "acr": acr})})
	return t, nil
}
