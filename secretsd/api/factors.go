package api

import (
	"net/http"

	"github.com/portcullis/portcullis/secretsd/identity"
	"github.com/portcullis/portcullis/secretsd/mfa"
)

// The caller's own second factors (/v1/mfa/...).

// GET /v1/mfa/devices
func (a *API) devices(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	devices, err := a.id.Devices(r.Context(), actor)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	left, err := a.id.BackupCodesLeft(r.Context(), actor)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusOK, map[string]any{"devices": nonNil(devices), "backup_codes_left": left})
}

// DELETE /v1/mfa/devices/{id}
func (a *API) removeDevice(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	if err := a.id.RemoveDevice(r.Context(), actor, r.PathValue("id")); err != nil {
		a.writeError(w, r, deviceNotFound(err))
		return
	}
	noContent(w)
}

// totpEnrollmentResponse is POST /v1/mfa/totp: the secret and its QR code
// are in this answer only.
type totpEnrollmentResponse struct {
	Device mfa.Device `json:"device"`
	URI    string     `json:"uri"`
	Secret string     `json:"secret"`
	QRPNG  []byte     `json:"qr_png"` // base64 in JSON
}

// POST /v1/mfa/totp
func (a *API) enrollTOTP(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	var req nameRequest
	if err := decodeJSON(w, r, a.opts.MaxBodyBytes, &req); err != nil {
		a.writeError(w, r, err)
		return
	}
	e, err := a.id.EnrollTOTP(r.Context(), actor, req.Name)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusCreated, totpEnrollmentResponse{Device: e.Device, URI: e.URI, Secret: e.Secret, QRPNG: e.QRPNG})
}

// POST /v1/mfa/totp/{id}/confirm
func (a *API) confirmTOTP(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	var req codeRequest
	if err := decodeJSON(w, r, a.opts.MaxBodyBytes, &req); err != nil {
		a.writeError(w, r, err)
		return
	}
	d, err := a.id.ConfirmTOTP(r.Context(), actor, r.PathValue("id"), req.Code)
	a.metrics.mfa.WithLabelValues(mfa.MethodTOTP+"_confirm", mfaOutcome(err)).Inc()
	if err != nil {
		a.writeError(w, r, deviceNotFound(err))
		return
	}
	a.writeJSON(w, r, http.StatusOK, map[string]any{"device": d})
}

// POST /v1/mfa/webauthn/register
func (a *API) beginWebAuthn(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	var req nameRequest
	if err := decodeJSON(w, r, a.opts.MaxBodyBytes, &req); err != nil {
		a.writeError(w, r, err)
		return
	}
	options, handle, err := a.id.BeginWebAuthnRegistration(r.Context(), actor, req.Name)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusOK, map[string]any{"handle": handle, "options": options})
}

// POST /v1/mfa/webauthn/register/finish
func (a *API) finishWebAuthn(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	var req webauthnFinishRequest
	if err := decodeJSON(w, r, a.opts.MaxBodyBytes, &req); err != nil {
		a.writeError(w, r, err)
		return
	}
	d, err := a.id.FinishWebAuthnRegistration(r.Context(), actor, req.Handle, req.Response)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusCreated, map[string]any{"device": d})
}

// POST /v1/mfa/backup-codes
func (a *API) backupCodes(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	if err := decodeEmpty(w, r, a.opts.MaxBodyBytes); err != nil {
		a.writeError(w, r, err)
		return
	}
	codes, err := a.id.GenerateBackupCodes(r.Context(), actor)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusCreated, map[string]any{"codes": codes})
}
