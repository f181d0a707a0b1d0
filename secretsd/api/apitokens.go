package api

import (
	"net/http"

	"github.com/portcullis/portcullis/secretsd/identity"
)

// The caller's API tokens (/v1/tokens): the value is in the creation answer
// only; lists never hold it.

// POST /v1/tokens
func (a *API) createToken(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	var req createTokenRequest
	if err := decodeJSON(w, r, a.opts.MaxBodyBytes, &req); err != nil {
		a.writeError(w, r, err)
		return
	}
	in, err := req.toNew()
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	created, err := a.id.CreateAPIToken(r.Context(), actor, in)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	created.Scopes = nonNil(created.Scopes)
	a.writeJSON(w, r, http.StatusCreated, created)
}

// GET /v1/tokens
func (a *API) listTokens(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	tokens, err := a.id.ListAPITokens(r.Context(), actor)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	for i := range tokens {
		tokens[i].Scopes = nonNil(tokens[i].Scopes)
	}
	a.writeJSON(w, r, http.StatusOK, map[string]any{"tokens": nonNil(tokens)})
}

// DELETE /v1/tokens/{id}
func (a *API) revokeToken(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	if err := a.id.RevokeAPIToken(r.Context(), actor, r.PathValue("id")); err != nil {
		a.writeError(w, r, err)
		return
	}
	a.metrics.revocations.WithLabelValues("api_token").Inc()
	noContent(w)
}
