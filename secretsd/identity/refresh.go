package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/portcullis/portcullis/secretsd/store"
)

// maxRefreshToken bounds what is hashed of a presented refresh token; ours
// are 48 characters.
const maxRefreshToken = 256

// Refresh rotates a refresh token: the presented one is spent and a new one
// returned with a new access token. The access token keeps the session's
// auth_time, amr and acr, because a refresh is not an authentication.
//
// A refresh token that was already rotated means two parties hold the
// family (OAuth 2.0 Security BCP, RFC 9700 §4.14.2): the whole session is
// revoked, the event audited, and ErrRefreshReused returned. A disabled
// user's session is revoked too. Anything else unknown, expired or revoked is
// ErrUnauthenticated.
func (s *Service) Refresh(ctx context.Context, refreshToken string, c ClientInfo) (Tokens, error) {
	if !strings.HasPrefix(refreshToken, refreshPrefix) || len(refreshToken) > maxRefreshToken {
		return Tokens{}, fmt.Errorf("%w: not a refresh token", ErrUnauthenticated)
	}
	now := s.clock.Now()
	next := randomToken(refreshPrefix, 32)
	old, err := s.deps.Store.RotateRefreshToken(ctx, digest(refreshToken), store.RefreshToken{
		Hash:      digest(next),
		IssuedAt:  now,
		ExpiresAt: now.Add(s.cfg.RefreshTTL),
	}, now)
	switch {
	case errors.Is(err, store.ErrReused):
		return Tokens{}, s.refreshReused(ctx, old, c)
	case errors.Is(err, store.ErrNotFound):
		return Tokens{}, fmt.Errorf("%w: refresh token unknown, expired or revoked", ErrUnauthenticated)
	case err != nil:
		return Tokens{}, fmt.Errorf("rotating a refresh token: %w", err)
	}

	sess, err := s.deps.Store.GetSession(ctx, old.SessionID)
	if err != nil {
		return Tokens{}, fmt.Errorf("reading session %s: %w", old.SessionID, err)
	}
	u, err := s.getUser(ctx, old.UserID)
	if err != nil {
		return Tokens{}, err
	}
	if u.Disabled {
		if err := s.revokeSession(ctx, sess.ID, "user_disabled"); err != nil {
			return Tokens{}, err
		}
		s.record(ctx, Event{Action: AuditRefresh, Outcome: OutcomeFailure, Reason: "disabled", Subject: u.ID, Session: sess.ID, Details: clientDetails(c, nil)})
		return Tokens{}, fmt.Errorf("%w: account disabled", ErrUnauthenticated)
	}
	t, err := s.accessToken(u, sess, now)
	if err != nil {
		return Tokens{}, err
	}
	t.RefreshToken = next
	s.record(ctx, Event{Action: AuditRefresh, Outcome: OutcomeSuccess, ActorID: u.ID, Subject: u.ID, Session: sess.ID, Details: clientDetails(c, nil)})
	return t, nil
}

// refreshReused revokes the family of a replayed refresh token: its session
// in the store (which deletes every refresh token of it, so the one the
// legitimate holder got last stops working too) and in the revocation log
// and Redis (so its access tokens stop working at the gateways).
func (s *Service) refreshReused(ctx context.Context, old store.RefreshToken, c ClientInfo) error {
	err := s.revokeSession(ctx, old.SessionID, "refresh_reuse")
	e := Event{Action: AuditRefreshReuse, Outcome: OutcomeFailure, Reason: "refresh_token_reused", Subject: old.UserID, Session: old.SessionID,
		Details: clientDetails(c, map[string]any{"issued_at": old.IssuedAt, "used_at": old.UsedAt, "session_revoked": err == nil})}
	s.record(ctx, e)
	if err != nil {
		// The session is revoked in the store at least as far as it got; the
		// caller is told (503) so that it can alert. A replay of the token
		// now meets a revoked session.
		return errors.Join(ErrRefreshReused, err)
	}
	return ErrRefreshReused
}
