package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/portcullis/portcullis/secretsd/mfa"
	"github.com/portcullis/portcullis/secretsd/store"
)

// Challenge purposes in the store.
const (
	purposeMFALogin = "mfa_login"
	purposeStepUp   = "step_up"
)

// maxChallengeToken bounds what is hashed of a client's challenge token; ours
// are 43 characters.
const maxChallengeToken = 256

// challengeState is what a challenge remembers between its two requests.
// Nothing in it is secret: the WebAuthn handle only names the ceremony that
// mfa keeps, and is useless without the authenticator's assertion.
type challengeState struct {
	// SessionID binds a step-up challenge to the session that asked for it.
	SessionID string `json:"sid,omitempty"`
	// WebAuthnHandle is the handle mfa.BeginWebAuthnLogin returned.
	WebAuthnHandle string `json:"webauthn_handle,omitempty"`
}

// newChallenge stores a challenge for the user's second factor: the methods
// the user can use, and a WebAuthn ceremony when one of them is WebAuthn.
// The token handed out has 256 random bits; the store keeps its SHA-256.
func (s *Service) newChallenge(ctx context.Context, u store.User, purpose, sessionID string) (Challenge, error) {
	methods, err := s.deps.MFA.Methods(ctx, u.ID)
	if err != nil {
		return Challenge{}, fmt.Errorf("listing the second factors of user %s: %w", u.ID, err)
	}
	if len(methods) == 0 {
		return Challenge{}, fmt.Errorf("user has no confirmed second factor: %w", mfa.ErrNoFactor)
	}
	state := challengeState{SessionID: sessionID}
	var options json.RawMessage
	if slices.Contains(methods, mfa.MethodWebAuthn) {
		options, state.WebAuthnHandle, err = s.deps.MFA.BeginWebAuthnLogin(ctx, s.mfaUser(u))
		if err != nil {
			return Challenge{}, fmt.Errorf("starting a WebAuthn assertion for user %s: %w", u.ID, err)
		}
	}
	data, err := json.Marshal(state)
	if err != nil {
		return Challenge{}, err
	}
	token := randomToken("", 32)
	expires := s.clock.Now().Add(s.cfg.ChallengeTTL)
	if err := s.deps.Store.PutChallenge(ctx, store.Challenge{
		ID:        digest(token),
		UserID:    u.ID,
		Purpose:   purpose,
		Data:      data,
		ExpiresAt: expires,
	}); err != nil {
		return Challenge{}, fmt.Errorf("storing a challenge: %w", err)
	}
	return Challenge{Token: token, Methods: methods, ExpiresAt: expires, WebAuthn: options}, nil
}

// openChallenge reads a pending challenge: unknown, expired, of another
// purpose, or malformed are all ErrInvalidChallenge.
func (s *Service) openChallenge(ctx context.Context, token, purpose string) (store.Challenge, challengeState, error) {
	var state challengeState
	if token == "" || len(token) > maxChallengeToken {
		return store.Challenge{}, state, ErrInvalidChallenge
	}
	ch, err := s.deps.Store.GetChallenge(ctx, digest(token), purpose, s.clock.Now())
	if errors.Is(err, store.ErrNotFound) {
		return ch, state, ErrInvalidChallenge
	}
	if err != nil {
		return ch, state, fmt.Errorf("reading a challenge: %w", err)
	}
	if len(ch.Data) > 0 {
		if err := json.Unmarshal(ch.Data, &state); err != nil {
			return ch, state, fmt.Errorf("%w: its state is unreadable", ErrInvalidChallenge)
		}
	}
	return ch, state, nil
}

// completeChallenge deletes the challenge; only the one caller whose delete
// took effect may proceed, which makes a challenge single-use even when two
// requests with valid proofs race.
func (s *Service) completeChallenge(ctx context.Context, ch store.Challenge) error {
	won, err := s.deps.Store.DeleteChallenge(ctx, ch.ID)
	if err != nil {
		return fmt.Errorf("completing a challenge: %w", err)
	}
	if !won {
		return ErrInvalidChallenge
	}
	return nil
}

// verifyFactor checks a proof with package mfa and audits a failure. It
// returns the amr values and acr the factor establishes.
func (s *Service) verifyFactor(ctx context.Context, action string, u store.User, state challengeState, p mfa.Proof, sid string, c ClientInfo) ([]string, string, error) {
	amr, err := s.deps.MFA.Verify(ctx, s.mfaUser(u), p, state.WebAuthnHandle)
	if err != nil {
		reason := reasonInvalidFactor
		details := map[string]any{"method": p.Method}
		var tma *mfa.TooManyAttempts
		if errors.As(err, &tma) {
			reason = reasonTooManyAttempts
			details["retry_after_seconds"] = int(tma.RetryAfter.Seconds())
		} else if !errors.Is(err, mfa.ErrInvalidCode) && !errors.Is(err, mfa.ErrNoFactor) && !errors.Is(err, mfa.ErrTooManyAttempts) {
			reason = "error"
		}
		s.record(ctx, Event{Action: action, Outcome: OutcomeFailure, Reason: reason, ActorID: u.ID, Subject: u.ID, Session: sid, Details: clientDetails(c, details)})
		return nil, "", fmt.Errorf("verifying the second factor: %w", err)
	}
	acr := ACRMultiFactor
	if p.Method == mfa.MethodWebAuthn || slices.Contains(amr, "hwk") {
		acr = ACRPhishingResistant
	}
	return amr, acr, nil
}
