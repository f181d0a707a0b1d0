package api

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/pseudo"
	"github.com/portcullis/portcullis/audit/retention"
	"github.com/portcullis/portcullis/secretsd/identity"
)

// maxHoldReason bounds a legal hold's reason.
const maxHoldReason = 1024

// GET /v1/audit/holds
func (a *API) listHolds(w http.ResponseWriter, r *http.Request, _ identity.Actor) {
	holds, err := a.opts.Audit.Holds.List()
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusOK, map[string]any{"holds": nonNil(holds)})
}

type placeHoldRequest struct {
	Reason string    `json:"reason" required:"true"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
}

// POST /v1/audit/holds: a legal hold stops retention from deleting the
// events of its period. Recorded (audit.legal_hold) before it is placed.
func (a *API) placeHold(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	var req placeHoldRequest
	if err := decodeJSON(w, r, a.opts.MaxBodyBytes, &req); err != nil {
		a.writeError(w, r, err)
		return
	}
	if len(req.Reason) > maxHoldReason || !utf8.ValidString(req.Reason) {
		a.writeError(w, r, newError(http.StatusBadRequest, codeInvalidRequest, "reason: at most 1024 bytes of UTF-8").with("field", "reason"))
		return
	}
	if !req.From.IsZero() && !req.To.IsZero() && req.To.Before(req.From) {
		a.writeError(w, r, newError(http.StatusBadRequest, codeInvalidRequest, "to: before from").with("field", "to"))
		return
	}
	hold := retention.Hold{ID: newHoldID(), Reason: req.Reason, CreatedBy: a.opts.Audit.Pseudonymizer.User(actor.UserID),
		CreatedAt: a.opts.Audit.Clock.Now().UTC(), From: req.From.UTC(), To: req.To.UTC()}
	if req.From.IsZero() {
		hold.From = time.Time{}
	}
	if req.To.IsZero() {
		hold.To = time.Time{}
	}
	e := a.auditEvent(r, actor, event.AuditLegalHold, event.Success)
	setResource(&e, &event.Resource{Type: "legal_hold", ID: hold.ID})
	detail(&e, "operation", "place")
	if !a.recordAudit(w, r, &e) {
		return
	}
	placed, err := a.opts.Audit.Holds.Place(hold)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusCreated, map[string]any{"hold": placed})
}

// DELETE /v1/audit/holds/{id}
func (a *API) releaseHold(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	id := r.PathValue("id")
	holds, err := a.opts.Audit.Holds.List()
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	found := false
	for _, h := range holds {
		found = found || h.ID == id
	}
	if !found {
		a.writeError(w, r, newError(http.StatusNotFound, codeNotFound, "no such legal hold"))
		return
	}
	e := a.auditEvent(r, actor, event.AuditLegalHold, event.Success)
	setResource(&e, &event.Resource{Type: "legal_hold", ID: id})
	detail(&e, "operation", "release")
	if !a.recordAudit(w, r, &e) {
		return
	}
	if err := a.opts.Audit.Holds.Release(id); err != nil {
		if errors.Is(err, retention.ErrNotFound) {
			err = newError(http.StatusNotFound, codeNotFound, "no such legal hold")
		}
		a.writeError(w, r, err)
		return
	}
	noContent(w)
}

// POST /v1/audit/retention: apply retention to this secretsd's chains now
// (it also runs every [audit] retention_interval). Each chain's deletion is
// itself audited (audit.retention) before it happens.
func (a *API) runRetention(w http.ResponseWriter, r *http.Request, _ identity.Actor) {
	if err := decodeEmpty(w, r, a.opts.MaxBodyBytes); err != nil {
		a.writeError(w, r, err)
		return
	}
	holds, err := a.opts.Audit.Holds.List()
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	res, err := a.opts.Audit.Trail.Retain(r.Context(), a.opts.Audit.Clock.Now(), holds)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	// The index forgets the deleted segments now rather than at its next pass.
	if _, err := a.opts.Audit.Index.Sync(r.Context()); err != nil {
		a.logRequest(r).Warn().Err(err).Msg("indexing after retention failed; the next pass retries")
	}
	for i := range res {
		res[i].Deleted = nonNil(res[i].Deleted)
	}
	a.writeJSON(w, r, http.StatusOK, map[string]any{"chains": nonNil(res)})
}

// DELETE /v1/audit/subjects/{user_id}/key: crypto-shred a user's personal
// values in the trail (their sealed name and full addresses) by deleting
// the user's subject keys; the chains still verify. Recorded durably first.
func (a *API) eraseSubject(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	userID := r.PathValue("user_id")
	if userID == "" || len(userID) > maxFilterValue {
		a.writeError(w, r, newError(http.StatusBadRequest, codeInvalidRequest, "user_id: 1 to 256 bytes").with("field", "user_id"))
		return
	}
	subjects, err := a.opts.Audit.Pseudonymizer.HashAll(pseudo.FieldUserID, userID)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	// Written durably before the keys go (audit.erase is privileged).
	e := a.auditEvent(r, actor, event.AuditErase, event.Success)
	setResource(&e, a.opts.Audit.Auditor.UserResource(userID))
	detail(&e, "effect", "subject_key_deleted")
	if err := a.opts.Audit.Trail.Record(r.Context(), &e); err != nil {
		a.writeError(w, r, errors.Join(err, identity.ErrAuditFailed))
		return
	}
	erased := false
	for _, s := range subjects {
		ok, err := a.opts.Audit.Subjects.Erase(s)
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		erased = erased || ok
	}
	a.writeJSON(w, r, http.StatusOK, map[string]any{"erased": erased})
}

// newHoldID is a random 128-bit id in hex.
func newHoldID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "hold-" + hex.EncodeToString(b[:])
}
