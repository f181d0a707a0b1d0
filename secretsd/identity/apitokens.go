package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/portcullis/portcullis/secretsd/store"
)

// apiTokenPrefix marks API tokens, for Authenticate and for secret scanners.
const apiTokenPrefix = "pcat_"

// apiTokenPrefixLength is how much of a token is kept to recognise it in
// lists: "pcat_" and 7 random characters (42 bits, far from the 256).
const apiTokenPrefixLength = 12

// Bounds on an API token's lifetime: zero is "never expires".
const (
	minAPITokenTTL = time.Minute
	maxAPITokenTTL = 10 * 365 * 24 * time.Hour
)

// CreateAPIToken creates a named API token for the actor and returns its
// value, the only time it is shown. Scopes are checked against the closed
// set (see the table in authorize.go) and against what the actor may grant.
// An API token may create one only with the scope tokens:write, and the new
// token never outlives or outranks it.
func (s *Service) CreateAPIToken(ctx context.Context, a Actor, in NewAPIToken) (CreatedAPIToken, error) {
	if err := authorize(a, actTokensWrite); err != nil {
		return CreatedAPIToken{}, err
	}
	name, err := validateTokenName(in.Name)
	if err != nil {
		return CreatedAPIToken{}, err
	}
	scopes, err := ParseScopes(in.Scopes)
	if err != nil {
		return CreatedAPIToken{}, err
	}
	if scopes, err = grantable(a, scopes); err != nil {
		return CreatedAPIToken{}, err
	}
	if in.TTL != 0 && (in.TTL < minAPITokenTTL || in.TTL > maxAPITokenTTL) {
		return CreatedAPIToken{}, fmt.Errorf("%w: ttl: must be zero (never expires) or between %s and %s", ErrInvalidInput, minAPITokenTTL, maxAPITokenTTL)
	}
	now := s.clock.Now()
	var expires time.Time
	if in.TTL != 0 {
		expires = now.Add(in.TTL)
	}
	if a.APIToken && !a.Expiry.IsZero() {
		if expires.IsZero() {
			expires = a.Expiry
		} else if expires.After(a.Expiry) {
			return CreatedAPIToken{}, fmt.Errorf("%w: ttl: this API token expires at %s and cannot create one that outlives it", ErrInvalidInput, a.Expiry.UTC().Format(time.RFC3339))
		}
	}
	value := randomToken(apiTokenPrefix, 32)
	t := store.APIToken{
		ID:        newID(),
		UserID:    a.UserID,
		Name:      name,
		Hash:      digest(value),
		Prefix:    value[:apiTokenPrefixLength],
		Scopes:    scopes,
		CreatedAt: now,
		ExpiresAt: expires,
	}
	if err := s.deps.Store.CreateAPIToken(ctx, t); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return CreatedAPIToken{}, fmt.Errorf("API token name %q: %w", name, ErrConflict)
		}
		return CreatedAPIToken{}, fmt.Errorf("creating an API token: %w", err)
	}
	s.record(ctx, Event{Action: AuditAPITokenCreate, Outcome: OutcomeSuccess, ActorID: a.UserID, Subject: a.UserID, Session: a.SessionID,
		Details: map[string]any{"token": t.ID, "name": t.Name, "prefix": t.Prefix, "scopes": t.Scopes, "expires_at": t.ExpiresAt, "by_api_token": a.APIToken}})
	return CreatedAPIToken{Token: value, APIToken: publicAPIToken(t)}, nil
}

// ListAPITokens lists the actor's API tokens, revoked ones included, newest
// first, with their last use; never their values.
func (s *Service) ListAPITokens(ctx context.Context, a Actor) ([]APIToken, error) {
	if err := authorize(a, actTokensRead); err != nil {
		return nil, err
	}
	ts, err := s.deps.Store.ListAPITokens(ctx, a.UserID)
	if err != nil {
		return nil, fmt.Errorf("listing API tokens: %w", err)
	}
	out := make([]APIToken, len(ts))
	for i, t := range ts {
		out[i] = publicAPIToken(t)
	}
	return out, nil
}

// RevokeAPIToken revokes one of the actor's API tokens, or anyone's for an
// Admin. An unknown id, or another user's for a non-Admin, is ErrNotFound.
func (s *Service) RevokeAPIToken(ctx context.Context, a Actor, id string) error {
	if err := authorize(a, actTokensWrite); err != nil {
		return err
	}
	if id == "" || len(id) > maxTokenIDLength {
		return fmt.Errorf("%w: id: must be 1..%d characters", ErrInvalidInput, maxTokenIDLength)
	}
	owner := a.UserID
	if authorize(a, actTokensWriteAny) == nil {
		owner = "" // an Admin may revoke any user's
	}
	if err := s.deps.Store.RevokeAPIToken(ctx, owner, id, s.clock.Now()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("API token: %w", ErrNotFound)
		}
		return fmt.Errorf("revoking an API token: %w", err)
	}
	s.record(ctx, Event{Action: AuditAPITokenRevoke, Outcome: OutcomeSuccess, ActorID: a.UserID, Session: a.SessionID,
		Details: map[string]any{"token": id}})
	return nil
}

func publicAPIToken(t store.APIToken) APIToken {
	scopes := t.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return APIToken{
		ID:         t.ID,
		UserID:     t.UserID,
		Name:       t.Name,
		Prefix:     t.Prefix,
		Scopes:     scopes,
		CreatedAt:  t.CreatedAt,
		ExpiresAt:  t.ExpiresAt,
		LastUsedAt: t.LastUsedAt,
		RevokedAt:  t.RevokedAt,
	}
}
