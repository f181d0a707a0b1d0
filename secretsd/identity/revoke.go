package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/portcullis/portcullis/internal/revocation"
	"github.com/portcullis/portcullis/secretsd/store"
)

// Revocation: every revocation is written to the store's revocation log
// first (durable, and the feed of gateways without Redis), applied to this
// process at once, and then published to Redis when configured. A failed
// publish returns an error, so that the caller retries, but the log entry
// stays: revoking twice is harmless.
//
// The server keeps no record of the access tokens it issued, so an entry
// must outlive the last token it can affect: Until is now + AccessTTL.

// maxTokenIDLength bounds a jti given to RevokeToken.
const maxTokenIDLength = 256

// Logout revokes the actor's session. An API token has none: revoke it with
// RevokeAPIToken.
func (s *Service) Logout(ctx context.Context, a Actor) error {
	if err := authorize(a, actRevokeOwn); err != nil {
		return err
	}
	if a.APIToken || a.SessionID == "" {
		return fmt.Errorf("%w: an API token has no session to log out of; revoke the token instead", ErrForbidden)
	}
	if err := s.revokeSession(ctx, a.SessionID, "logout"); err != nil {
		return err
	}
	s.record(ctx, Event{Action: AuditLogout, Outcome: OutcomeSuccess, ActorID: a.UserID, Subject: a.UserID, Session: a.SessionID})
	return nil
}

// RevokeToken revokes one access token by jti: the actor's own (its session
// is the actor's), or anyone's for an Admin.
func (s *Service) RevokeToken(ctx context.Context, a Actor, jti string) error {
	if err := authorize(a, actRevokeOwn); err != nil {
		return err
	}
	if err := validateTokenID(jti); err != nil {
		return err
	}
	own := jti == a.TokenID && !a.APIToken
	sid, ok := sessionOfTokenID(jti)
	if !own && ok {
		sess, err := s.deps.Store.GetSession(ctx, sid)
		switch {
		case err == nil:
			own = sess.UserID == a.UserID
		case !errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("reading the session of a token: %w", err)
		}
	}
	e := Event{Action: AuditRevokeToken, Outcome: OutcomeSuccess, ActorID: a.UserID, Session: sid, Details: map[string]any{"jti": jti}}
	if !own {
		if err := authorize(a, actRevokeAny); err != nil {
			return err
		}
		if err := s.recordFirst(ctx, e); err != nil {
			return err
		}
	}
	now := s.clock.Now()
	if err := s.announce(ctx, revocation.Entry{Kind: revocation.KindToken, ID: jti, Until: now.Add(s.cfg.AccessTTL)}); err != nil {
		return err
	}
	if own {
		e.Subject = a.UserID
		s.record(ctx, e)
	}
	return nil
}

// RevokeSession revokes a session and every token of it: the actor's own,
// or anyone's for an Admin.
func (s *Service) RevokeSession(ctx context.Context, a Actor, sid string) error {
	if err := authorize(a, actRevokeOwn); err != nil {
		return err
	}
	if sid == "" || len(sid) > maxTokenIDLength {
		return fmt.Errorf("%w: session_id: must be 1..%d characters", ErrInvalidInput, maxTokenIDLength)
	}
	sess, err := s.deps.Store.GetSession(ctx, sid)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("reading session: %w", err)
	}
	e := Event{Action: AuditRevokeSession, Outcome: OutcomeSuccess, ActorID: a.UserID, Subject: sess.UserID, Session: sid}
	reason := "user"
	if sess.UserID != a.UserID {
		if err := authorize(a, actRevokeAny); err != nil {
			return err
		}
		if err := s.recordFirst(ctx, e); err != nil {
			return err
		}
		reason = "admin"
	}
	if err := s.revokeSession(ctx, sid, reason); err != nil {
		return err
	}
	if sess.UserID == a.UserID {
		s.record(ctx, e)
	}
	return nil
}

// RevokeUser revokes every session, access token and API token of a user:
// the actor's own ("log out everywhere"), or anyone's for an Admin.
func (s *Service) RevokeUser(ctx context.Context, a Actor, userID string) error {
	if err := authorize(a, actRevokeOwn); err != nil {
		return err
	}
	e := Event{Action: AuditRevokeUser, Outcome: OutcomeSuccess, ActorID: a.UserID, Subject: userID}
	reason := "user"
	if userID != a.UserID {
		if err := authorize(a, actRevokeAny); err != nil {
			return err
		}
		if _, err := s.getUser(ctx, userID); err != nil {
			return err
		}
		if err := s.recordFirst(ctx, e); err != nil {
			return err
		}
		reason = "admin"
	}
	if err := s.revokeUser(ctx, userID, reason, true); err != nil {
		return err
	}
	if userID == a.UserID {
		s.record(ctx, e)
	}
	return nil
}

// revokeSession revokes a session in the store (which drops its refresh
// tokens) and announces its sid.
func (s *Service) revokeSession(ctx context.Context, sid, reason string) error {
	now := s.clock.Now()
	if err := s.deps.Store.RevokeSession(ctx, sid, now, reason); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("session: %w", ErrNotFound)
		}
		return fmt.Errorf("revoking session %s: %w", sid, err)
	}
	return s.announce(ctx, revocation.Entry{Kind: revocation.KindSession, ID: sid, Until: now.Add(s.cfg.AccessTTL)})
}

// revokeUser revokes every session of the user and announces a "sub" entry
// that refuses every access token issued before now; with apiTokens, the
// user's API tokens are revoked as well.
func (s *Service) revokeUser(ctx context.Context, userID, reason string, apiTokens bool) error {
	now := s.clock.Now()
	if _, err := s.deps.Store.RevokeUserSessions(ctx, userID, now, reason); err != nil {
		return fmt.Errorf("revoking the sessions of user %s: %w", userID, err)
	}
	if apiTokens {
		tokens, err := s.deps.Store.ListAPITokens(ctx, userID)
		if err != nil {
			return fmt.Errorf("listing the API tokens of user %s: %w", userID, err)
		}
		for _, t := range tokens {
			if !t.RevokedAt.IsZero() {
				continue
			}
			if err := s.deps.Store.RevokeAPIToken(ctx, userID, t.ID, now); err != nil && !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("revoking API token %s: %w", t.ID, err)
			}
		}
	}
	return s.announce(ctx, revocation.Entry{Kind: revocation.KindUser, ID: userID, Before: now, Until: now.Add(s.cfg.AccessTTL)})
}

// announce records a revocation in the log, applies it here, wakes the
// feed's long polls, and publishes it to Redis when configured.
func (s *Service) announce(ctx context.Context, e revocation.Entry) error {
	if _, err := s.deps.Store.AddRevocation(ctx, store.Revocation{
		Kind: string(e.Kind), Value: e.ID, Before: e.Before, Until: e.Until, CreatedAt: s.clock.Now(),
	}); err != nil {
		return fmt.Errorf("recording the revocation of %s %s: %w", e.Kind, e.ID, err)
	}
	s.revs.apply(e)
	s.wake()
	if s.deps.Revocations == nil {
		return nil
	}
	var err error
	switch e.Kind {
	case revocation.KindToken:
		err = s.deps.Revocations.RevokeToken(ctx, e.ID, e.Until)
	case revocation.KindSession:
		err = s.deps.Revocations.RevokeSession(ctx, e.ID, e.Until)
	case revocation.KindUser:
		err = s.deps.Revocations.RevokeUser(ctx, e.ID, e.Before, e.Until)
	}
	if err != nil {
		return fmt.Errorf("publishing the revocation to the gateways (it is recorded; retry): %w", err)
	}
	return nil
}

// validateTokenID accepts what could be a jti: printable ASCII without
// spaces, which could not break the revocation feed's line format.
func validateTokenID(jti string) error {
	if jti == "" || len(jti) > maxTokenIDLength {
		return fmt.Errorf("%w: token_id: must be 1..%d characters", ErrInvalidInput, maxTokenIDLength)
	}
	for i := 0; i < len(jti); i++ {
		if jti[i] <= ' ' || jti[i] > '~' {
			return fmt.Errorf("%w: token_id: only printable ASCII without spaces is allowed", ErrInvalidInput)
		}
	}
	return nil
}
