package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/portcullis/portcullis/secretsd/identity"
	"github.com/portcullis/portcullis/secretsd/mfa"
)

// POST /v1/auth/login
func (a *API) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := decodeJSON(w, r, a.opts.MaxBodyBytes, &req); err != nil {
		a.writeError(w, r, err)
		return
	}
	res, err := a.id.Login(r.Context(), req.Username, req.Password, clientInfo(r))
	switch {
	case errors.Is(err, identity.ErrInvalidCredentials):
		a.metrics.logins.WithLabelValues("invalid_credentials").Inc()
	case err != nil:
		a.metrics.logins.WithLabelValues("error").Inc()
	case res.Challenge != nil:
		a.metrics.logins.WithLabelValues("mfa_required").Inc()
		a.writeJSON(w, r, http.StatusOK, map[string]any{"mfa": res.Challenge})
		return
	case res.Tokens != nil:
		a.metrics.logins.WithLabelValues("success").Inc()
		a.writeJSON(w, r, http.StatusOK, map[string]any{"tokens": res.Tokens})
		return
	default:
		err = errors.New("api: login returned neither tokens nor a challenge")
	}
	a.writeError(w, r, err)
}

// POST /v1/auth/mfa/verify
func (a *API) verifyMFA(w http.ResponseWriter, r *http.Request) {
	var req proofRequest
	if err := decodeJSON(w, r, a.opts.MaxBodyBytes, &req); err != nil {
		a.writeError(w, r, err)
		return
	}
	proof, err := req.proof()
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	tokens, err := a.id.VerifyMFA(r.Context(), req.MFAToken, proof, clientInfo(r))
	a.metrics.mfa.WithLabelValues(knownMethod(proof.Method), mfaOutcome(err)).Inc()
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusOK, map[string]any{"tokens": tokens})
}

// POST /v1/auth/refresh
func (a *API) refresh(w http.ResponseWriter, r *http.Request) {
	var req refreshRequest
	if err := decodeJSON(w, r, a.opts.MaxBodyBytes, &req); err != nil {
		a.writeError(w, r, err)
		return
	}
	tokens, err := a.id.Refresh(r.Context(), req.RefreshToken, clientInfo(r))
	switch {
	case err == nil:
		a.metrics.refreshes.WithLabelValues("success").Inc()
		a.writeJSON(w, r, http.StatusOK, map[string]any{"tokens": tokens})
		return
	case errors.Is(err, identity.ErrRefreshReused):
		a.metrics.refreshes.WithLabelValues("reused").Inc()
	case errors.Is(err, identity.ErrUnauthenticated), errors.Is(err, identity.ErrNotFound),
		errors.Is(err, identity.ErrInvalidCredentials):
		// RFC 6749 §5.2: an unknown, expired or revoked refresh token is
		// an invalid_grant, whatever the service calls it.
		a.metrics.refreshes.WithLabelValues("invalid_grant").Inc()
		err = newError(http.StatusUnauthorized, codeInvalidGrant,
			"the refresh token is unknown, expired or revoked; log in again")
	default:
		a.metrics.refreshes.WithLabelValues("error").Inc()
	}
	a.writeError(w, r, err)
}

// POST /v1/auth/logout
func (a *API) logout(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	if err := decodeEmpty(w, r, a.opts.MaxBodyBytes); err != nil {
		a.writeError(w, r, err)
		return
	}
	if err := a.id.Logout(r.Context(), actor); err != nil {
		a.writeError(w, r, err)
		return
	}
	a.metrics.revocations.WithLabelValues("logout").Inc()
	noContent(w)
}

// POST /v1/auth/step-up
func (a *API) beginStepUp(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	if err := decodeEmpty(w, r, a.opts.MaxBodyBytes); err != nil {
		a.writeError(w, r, err)
		return
	}
	ch, err := a.id.BeginStepUp(r.Context(), actor, clientInfo(r))
	if errors.Is(err, mfa.ErrNoFactor) {
		err = newError(http.StatusConflict, codeConflict,
			"you have no confirmed second factor to step up with; enrol one first (POST /v1/mfa/totp)").with("reason", "no_factor")
	}
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusOK, map[string]any{"mfa": ch})
}

// POST /v1/auth/step-up/verify
func (a *API) stepUp(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	var req proofRequest
	if err := decodeJSON(w, r, a.opts.MaxBodyBytes, &req); err != nil {
		a.writeError(w, r, err)
		return
	}
	proof, err := req.proof()
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	tokens, err := a.id.StepUp(r.Context(), actor, req.MFAToken, proof, clientInfo(r))
	a.metrics.mfa.WithLabelValues(knownMethod(proof.Method), mfaOutcome(err)).Inc()
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusOK, map[string]any{"tokens": tokens})
}

// whoamiResponse is GET /v1/auth/whoami.
type whoamiResponse struct {
	User      identity.User `json:"user"`
	SessionID string        `json:"session_id,omitempty"`
	TokenID   string        `json:"token_id"`
	AuthTime  time.Time     `json:"auth_time,omitzero"`
	AMR       []string      `json:"amr"`
	ExpiresAt time.Time     `json:"expires_at,omitzero"`
	APIToken  bool          `json:"api_token"`
	Scopes    []string      `json:"scopes,omitempty"`
}

// GET /v1/auth/whoami
func (a *API) whoami(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	user, err := a.id.Me(r.Context(), actor)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusOK, whoamiResponse{
		User: user, SessionID: actor.SessionID, TokenID: actor.TokenID,
		AuthTime: actor.AuthTime.UTC(), AMR: nonNil(actor.AMR), ExpiresAt: actor.Expiry.UTC(),
		APIToken: actor.APIToken, Scopes: actor.Scopes,
	})
}

// POST /v1/auth/revoke
func (a *API) revoke(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	var req revokeRequest
	if err := decodeJSON(w, r, a.opts.MaxBodyBytes, &req); err != nil {
		a.writeError(w, r, err)
		return
	}
	if err := req.check(); err != nil {
		a.writeError(w, r, err)
		return
	}
	var err error
	var kind string
	switch {
	case req.TokenID != "":
		kind, err = "token", a.id.RevokeToken(r.Context(), actor, req.TokenID)
	case req.SessionID != "":
		kind, err = "session", a.id.RevokeSession(r.Context(), actor, req.SessionID)
	default:
		kind, err = "user", a.id.RevokeUser(r.Context(), actor, req.UserID)
	}
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.metrics.revocations.WithLabelValues(kind).Inc()
	noContent(w)
}
