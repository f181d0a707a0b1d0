package identity

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/portcullis/portcullis/secretsd/signing"
	"github.com/portcullis/portcullis/secretsd/store"
)

// refreshPrefix marks refresh tokens so that secret scanners and people
// recognise them.
const refreshPrefix = "pcrt_"

// startSession records a new login (a session with its first refresh token)
// and returns its tokens.
func (s *Service) startSession(ctx context.Context, u store.User, amr []string, acr string) (Tokens, error) {
	now := s.clock.Now()
	sess := store.Session{
		ID:        newID(),
		UserID:    u.ID,
		ClientID:  s.cfg.ClientID,
		AuthTime:  now,
		AMR:       amr,
		ACR:       acr,
		CreatedAt: now,
		ExpiresAt: now.Add(s.cfg.RefreshTTL),
	}
	if err := s.deps.Store.CreateSession(ctx, sess); err != nil {
		return Tokens{}, fmt.Errorf("starting a session: %w", err)
	}
	refresh := randomToken(refreshPrefix, 32)
	if err := s.deps.Store.CreateRefreshToken(ctx, store.RefreshToken{
		Hash:      digest(refresh),
		SessionID: sess.ID,
		UserID:    u.ID,
		IssuedAt:  now,
		ExpiresAt: sess.ExpiresAt,
	}); err != nil {
		return Tokens{}, fmt.Errorf("storing the refresh token of session %s: %w", sess.ID, err)
	}
	t, err := s.accessToken(u, sess, now)
	if err != nil {
		return Tokens{}, err
	}
	t.RefreshToken = refresh
	return t, nil
}

// accessToken signs an RFC 9068 access token for the session. Its auth_time,
// amr and acr are the session's: they describe the last authentication, which
// a refresh is not.
func (s *Service) accessToken(u store.User, sess store.Session, now time.Time) (Tokens, error) {
	exp := now.Add(s.cfg.AccessTTL)
	token, _, err := s.deps.Keys.Sign(signing.Claims{
		Issuer:    s.cfg.Issuer,
		Audience:  s.cfg.Audience,
		Subject:   u.ID,
		ClientID:  sess.ClientID,
		TokenID:   newTokenID(sess.ID),
		SessionID: sess.ID,
		IssuedAt:  now,
		Expiry:    exp,
		AuthTime:  sess.AuthTime,
		AMR:       sess.AMR,
		ACR:       sess.ACR,
		Role:      u.Role,
		Team:      u.Team,
		Groups:    u.Groups,
	})
	if err != nil {
		return Tokens{}, fmt.Errorf("signing an access token: %w", err)
	}
	return Tokens{
		AccessToken: token,
		TokenType:   "Bearer",
		ExpiresIn:   int(s.cfg.AccessTTL / time.Second),
		ExpiresAt:   exp,
		SessionID:   sess.ID,
	}, nil
}

// newTokenID makes a jti that names its session: "<sid>.<random>". The
// server keeps no record of the access tokens it issues, and this lets it
// tell whose token a jti is when someone asks to revoke it.
func newTokenID(sid string) string { return sid + "." + randomToken("", 16) }

// sessionOfTokenID returns the sid a jti made by newTokenID names.
func sessionOfTokenID(jti string) (string, bool) {
	sid, rest, ok := strings.Cut(jti, ".")
	return sid, ok && sid != "" && rest != ""
}

// withFactor adds the amr values of a second factor to the password's.
func withFactor(base, factor []string) []string {
	out := slices.Clone(base)
	for _, m := range factor {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}
