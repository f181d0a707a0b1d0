package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/portcullis/portcullis/secretsd/mfa"
	"github.com/portcullis/portcullis/secretsd/store"
)

// Login checks a password. A user with a confirmed second factor gets a
// Challenge to complete with VerifyMFA; a user without one gets tokens with
// amr ["pwd"] and acr urn:portcullis:acr:pwd, even when the role requires MFA
// (see Config.MFARequiredRoles): they must be able to log in to enrol.
//
// An unknown user, a wrong password and a disabled account all return
// ErrInvalidCredentials after one Argon2id computation with the configured
// parameters (an unknown user is checked against a dummy hash), so neither
// the answer nor its timing tells them apart.
func (s *Service) Login(ctx context.Context, username, password string, c ClientInfo) (LoginResult, error) {
	fail := func(reason string, u store.User) (LoginResult, error) {
		e := Event{Action: AuditLogin, Outcome: OutcomeFailure, Reason: reason, Details: clientDetails(c, nil)}
		if u.ID != "" {
			e.Subject = u.ID
			e.Details["username"] = u.Username
		}
		s.record(ctx, e)
		return LoginResult{}, ErrInvalidCredentials
	}
	name, err := NormalizeUsername(username)
	if err != nil || password == "" || len(password) > MaxPasswordLength {
		// Refused by the rules alone, whatever the users: the timing tells
		// nothing about an account.
		return fail("malformed", store.User{})
	}
	u, err := s.deps.Store.GetUserByUsername(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		if err := s.hasher.verifyDummy(ctx, password); err != nil && ctx.Err() != nil {
			return LoginResult{}, err
		}
		return fail("unknown_user", store.User{})
	}
	if err != nil {
		return LoginResult{}, fmt.Errorf("logging in: %w", err)
	}
	ok, rehash, err := s.hasher.verify(ctx, u.PasswordHash, password)
	if err != nil {
		if ctx.Err() != nil {
			return LoginResult{}, err
		}
		// A corrupt stored hash: spend the same time, then refuse.
		s.deps.Log.Error().Err(err).Str("user", u.ID).Msg("identity: unreadable password hash")
		s.hasher.verifyDummy(ctx, password)
		return fail("unreadable_password_hash", u)
	}
	if !ok {
		return fail("wrong_password", u)
	}
	if u.Disabled {
		return fail("disabled", u)
	}
	if rehash {
		s.rehash(ctx, u, password)
	}

	hasFactor, err := s.deps.MFA.HasFactor(ctx, u.ID)
	if err != nil {
		return LoginResult{}, fmt.Errorf("logging in: reading second factors: %w", err)
	}
	if hasFactor {
		ch, err := s.newChallenge(ctx, u, purposeMFALogin, "")
		if err != nil {
			return LoginResult{}, fmt.Errorf("logging in: %w", err)
		}
		s.record(ctx, Event{Action: AuditLogin, Outcome: OutcomeSuccess, Reason: "second_factor_required", ActorID: u.ID, Subject: u.ID,
			Details: clientDetails(c, map[string]any{"username": u.Username, "methods": ch.Methods})})
		return LoginResult{Challenge: &ch}, nil
	}
	t, err := s.startSession(ctx, u, []string{amrPassword}, ACRPassword)
	if err != nil {
		return LoginResult{}, fmt.Errorf("logging in: %w", err)
	}
	s.record(ctx, Event{Action: AuditLogin, Outcome: OutcomeSuccess, ActorID: u.ID, Subject: u.ID, Session: t.SessionID,
		Details: clientDetails(c, map[string]any{"username": u.Username, "acr": ACRPassword, "mfa_required_by_role": s.requiresMFA(Role(u.Role))})})
	return LoginResult{Tokens: &t}, nil
}

// VerifyMFA completes a login challenge with a second factor. The challenge
// is single-use: of two requests with valid proofs only the first to delete
// it gets tokens. Failures are counted by package mfa; over its limit it
// returns mfa.ErrTooManyAttempts (a *mfa.TooManyAttempts), audited.
func (s *Service) VerifyMFA(ctx context.Context, challengeToken string, p mfa.Proof, c ClientInfo) (Tokens, error) {
	fail := func(reason, userID string, err error) (Tokens, error) {
		s.record(ctx, Event{Action: AuditMFAVerify, Outcome: OutcomeFailure, Reason: reason, ActorID: userID, Subject: userID,
			Details: clientDetails(c, map[string]any{"method": p.Method})})
		return Tokens{}, err
	}
	ch, state, err := s.openChallenge(ctx, challengeToken, purposeMFALogin)
	if err != nil {
		if errors.Is(err, ErrInvalidChallenge) {
			return fail(reasonInvalidChallenge, "", err)
		}
		return Tokens{}, err
	}
	u, err := s.getUser(ctx, ch.UserID)
	if errors.Is(err, ErrNotFound) {
		return fail(reasonInvalidChallenge, "", ErrInvalidChallenge)
	}
	if err != nil {
		return Tokens{}, err
	}
	if u.Disabled {
		s.deps.Store.DeleteChallenge(ctx, ch.ID)
		return fail("disabled", u.ID, ErrInvalidChallenge)
	}
	amr, acr, err := s.verifyFactor(ctx, AuditMFAVerify, u, state, p, "", c)
	if err != nil {
		return Tokens{}, err
	}
	if err := s.completeChallenge(ctx, ch); err != nil {
		if errors.Is(err, ErrInvalidChallenge) {
			return fail("challenge_already_completed", u.ID, err)
		}
		return Tokens{}, err
	}
	t, err := s.startSession(ctx, u, withFactor([]string{amrPassword}, amr), acr)
	if err != nil {
		return Tokens{}, fmt.Errorf("completing the login: %w", err)
	}
	s.record(ctx, Event{Action: AuditMFAVerify, Outcome: OutcomeSuccess, ActorID: u.ID, Subject: u.ID, Session: t.SessionID,
		Details: clientDetails(c, map[string]any{"method": p.Method, "acr": acr})})
	return t, nil
}

// rehash replaces a hash made with weaker parameters than the configured
// ones, after a successful login proved the password. It is best effort: a
// failure is logged and the login proceeds. The store has no
// compare-and-set for one field, so it re-reads the account and writes only
// if nothing changed since the password was checked; an admin's concurrent
// change (a disable, a new password) therefore wins.
func (s *Service) rehash(ctx context.Context, seen store.User, password string) {
	h, err := s.hasher.hash(ctx, password)
	if err != nil {
		s.deps.Log.Warn().Err(err).Str("user", seen.ID).Msg("identity: remaking a password hash")
		return
	}
	cur, err := s.deps.Store.GetUser(ctx, seen.ID)
	if err != nil || cur.PasswordHash != seen.PasswordHash || cur.Disabled || !cur.UpdatedAt.Equal(seen.UpdatedAt) {
		return
	}
	cur.PasswordHash = h
	if err := s.deps.Store.UpdateUser(ctx, cur); err != nil {
		s.deps.Log.Warn().Err(err).Str("user", seen.ID).Msg("identity: storing a remade password hash")
	}
}
