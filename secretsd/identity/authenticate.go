package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/portcullis/portcullis/secretsd/store"
)

// maxBearer bounds a presented token; access tokens are well under 2 KiB.
const maxBearer = 8 << 10

// touchEvery limits how often an API token's last use is written: a token
// used a thousand times a minute costs one write.
const touchEvery = time.Minute

// Authenticate resolves a bearer token (access token or API token) to an
// Actor, refusing revoked ones and disabled users. Every failure is
// ErrUnauthenticated; store errors are returned as they are (the request
// fails closed).
//
// An access token must verify (signature, typ, iss, aud, exp), must not be
// in the revocation log (jti, sid, or sub issued before), its session must
// exist unrevoked, and its user must be enabled. The actor gets the user's
// current role and team. An API token must exist, be neither revoked nor
// expired, and its user enabled; its role is the owner's lowered by its role
// scopes.
func (s *Service) Authenticate(ctx context.Context, bearer string) (Actor, error) {
	if bearer == "" || len(bearer) > maxBearer {
		return Actor{}, fmt.Errorf("%w: no token", ErrUnauthenticated)
	}
	if strings.HasPrefix(bearer, apiTokenPrefix) {
		return s.authenticateAPIToken(ctx, bearer)
	}
	return s.authenticateAccessToken(ctx, bearer)
}

func (s *Service) authenticateAccessToken(ctx context.Context, token string) (Actor, error) {
	p, err := s.deps.Keys.Verify(token, s.cfg.Issuer, s.cfg.Audience[0])
	if err != nil {
		return Actor{}, fmt.Errorf("%w: %v", ErrUnauthenticated, err)
	}
	if p.SessionID == "" || p.Subject == "" {
		return Actor{}, fmt.Errorf("%w: the token names no session or subject", ErrUnauthenticated)
	}
	if err := s.revs.sync(ctx, s.deps.Store, s.clock.Now()); err != nil {
		return Actor{}, err
	}
	if s.revs.revoked(p) {
		return Actor{}, fmt.Errorf("%w: revoked", ErrUnauthenticated)
	}
	sess, err := s.deps.Store.GetSession(ctx, p.SessionID)
	if errors.Is(err, store.ErrNotFound) {
		return Actor{}, fmt.Errorf("%w: unknown session", ErrUnauthenticated)
	}
	if err != nil {
		return Actor{}, fmt.Errorf("reading session: %w", err)
	}
	if !sess.RevokedAt.IsZero() || sess.UserID != p.Subject {
		return Actor{}, fmt.Errorf("%w: session revoked", ErrUnauthenticated)
	}
	u, err := s.enabledUser(ctx, p.Subject)
	if err != nil {
		return Actor{}, err
	}
	return Actor{
		UserID:    u.ID,
		Username:  u.Username,
		Role:      Role(u.Role),
		Team:      u.Team,
		SessionID: sess.ID,
		TokenID:   p.TokenID,
		Expiry:    p.Expiry,
		AuthTime:  p.AuthTime,
		AMR:       p.AMR,
	}, nil
}

func (s *Service) authenticateAPIToken(ctx context.Context, token string) (Actor, error) {
	t, err := s.deps.Store.GetAPITokenByHash(ctx, digest(token))
	if errors.Is(err, store.ErrNotFound) {
		return Actor{}, fmt.Errorf("%w: unknown API token", ErrUnauthenticated)
	}
	if err != nil {
		return Actor{}, fmt.Errorf("reading an API token: %w", err)
	}
	now := s.clock.Now()
	if !t.RevokedAt.IsZero() {
		return Actor{}, fmt.Errorf("%w: API token revoked", ErrUnauthenticated)
	}
	if !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) {
		return Actor{}, fmt.Errorf("%w: API token expired", ErrUnauthenticated)
	}
	u, err := s.enabledUser(ctx, t.UserID)
	if err != nil {
		return Actor{}, err
	}
	if now.Sub(t.LastUsedAt) >= touchEvery {
		if err := s.deps.Store.TouchAPIToken(ctx, t.ID, now); err != nil {
			s.deps.Log.Warn().Err(err).Str("api_token", t.ID).Msg("identity: recording an API token's last use")
		}
	}
	return Actor{
		UserID:   u.ID,
		Username: u.Username,
		Role:     effectiveRole(Role(u.Role), t.Scopes),
		Team:     u.Team,
		TokenID:  t.ID,
		Expiry:   t.ExpiresAt,
		APIToken: true,
		Scopes:   t.Scopes,
	}, nil
}

// enabledUser reads the user behind a token; gone or disabled is
// ErrUnauthenticated.
func (s *Service) enabledUser(ctx context.Context, id string) (store.User, error) {
	u, err := s.deps.Store.GetUser(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return u, fmt.Errorf("%w: unknown user", ErrUnauthenticated)
	}
	if err != nil {
		return u, fmt.Errorf("reading user: %w", err)
	}
	if u.Disabled {
		return u, fmt.Errorf("%w: account disabled", ErrUnauthenticated)
	}
	return u, nil
}
