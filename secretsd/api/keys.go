package api

import (
	"net/http"
	"strconv"

	"github.com/portcullis/portcullis/secretsd/identity"
)

// POST /v1/keys/rotate
func (a *API) rotateKeys(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	if err := decodeEmpty(w, r, a.opts.MaxBodyBytes); err != nil {
		a.writeError(w, r, err)
		return
	}
	kid, err := a.id.RotateSigningKey(r.Context(), actor)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusOK, map[string]any{"kid": kid})
}

// GET /.well-known/jwks.json: the public keys the gateway verifies with.
// Cacheable for a minute (API.md): a retired key stays published until its
// tokens expire, and a verifier meeting an unknown kid refetches.
func (a *API) jwks(w http.ResponseWriter, r *http.Request) {
	set, err := a.opts.Keys.JWKS()
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "max-age=60")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(set)))
	_, _ = w.Write(set)
}
