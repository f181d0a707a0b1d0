package api

import (
	"net/http"

	"github.com/portcullis/portcullis/secretsd/identity"
)

// User administration (/v1/users). Who may do what (Admin only) is
// identity's decision; these handlers only translate.

// GET /v1/users
func (a *API) listUsers(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	users, err := a.id.ListUsers(r.Context(), actor)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusOK, map[string]any{"users": nonNil(users)})
}

// POST /v1/users
func (a *API) createUser(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	var req createUserRequest
	if err := decodeJSON(w, r, a.opts.MaxBodyBytes, &req); err != nil {
		a.writeError(w, r, err)
		return
	}
	u, err := a.id.CreateUser(r.Context(), actor, req.toNew())
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusCreated, map[string]any{"user": u})
}

// GET /v1/users/{id}
func (a *API) getUser(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	u, err := a.id.GetUser(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusOK, map[string]any{"user": u})
}

// PATCH /v1/users/{id}
func (a *API) updateUser(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	var req updateUserRequest
	if err := decodeJSON(w, r, a.opts.MaxBodyBytes, &req); err != nil {
		a.writeError(w, r, err)
		return
	}
	ch, err := req.toChange()
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	u, err := a.id.UpdateUser(r.Context(), actor, r.PathValue("id"), ch)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusOK, map[string]any{"user": u})
}

// POST /v1/users/{id}/mfa/reset
func (a *API) resetMFA(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	if err := decodeEmpty(w, r, a.opts.MaxBodyBytes); err != nil {
		a.writeError(w, r, err)
		return
	}
	if err := a.id.ResetMFA(r.Context(), actor, r.PathValue("id")); err != nil {
		a.writeError(w, r, err)
		return
	}
	noContent(w)
}
