package api

import (
	"net/http"

	"github.com/rs/zerolog"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/index"
	"github.com/portcullis/portcullis/audit/pseudo"
	"github.com/portcullis/portcullis/audit/retention"
	"github.com/portcullis/portcullis/audit/shred"
	"github.com/portcullis/portcullis/audit/trail"
	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/internal/httperr"
	"github.com/portcullis/portcullis/secretsd/auditor"
	"github.com/portcullis/portcullis/secretsd/identity"
)

// Audit is what the /v1/audit endpoints work on: the trail's files and
// index, and the keys that make pseudonyms and seal personal values.
type Audit struct {
	// Root is the trail root every writer's chains are under.
	Root          string
	Trail         *trail.Trail
	Index         *index.Index
	Pseudonymizer *pseudo.Pseudonymizer
	Holds         *retention.Holds
	Subjects      *shred.Keys
	// Auditor writes the endpoints' own events (audit.query, ...).
	Auditor *auditor.Auditor
	Clock   clock.Clock
	// Host names this secretsd in Splunk HEC exports.
	Host string
}

// auditRoutes registers the audit endpoints (API.md, "Audit trail").
func (a *API) auditRoutes(mux *http.ServeMux) {
	if a.opts.Audit == nil {
		return
	}
	reader := []identity.Role{identity.RoleAuditor, identity.RoleAdmin}
	admin := []identity.Role{identity.RoleAdmin}
	mux.Handle("GET /v1/audit/events", a.auditAuthed(event.AuditQuery, reader, a.auditEvents))
	mux.Handle("GET /v1/audit/export", a.auditAuthed(event.AuditExport, reader, a.auditExport))
	mux.Handle("GET /v1/audit/verify", a.auditAuthed(event.AuditVerify, reader, a.auditVerify))
	mux.Handle("POST /v1/audit/hash", a.auditAuthed(event.AuditHash, reader, a.auditHash))
	mux.Handle("GET /v1/audit/holds", a.auditAuthed(event.AuditQuery, reader, a.listHolds))
	mux.Handle("POST /v1/audit/holds", a.auditAuthed(event.AuditLegalHold, reader, a.placeHold))
	mux.Handle("DELETE /v1/audit/holds/{id}", a.auditAuthed(event.AuditLegalHold, reader, a.releaseHold))
	mux.Handle("POST /v1/audit/retention", a.auditAuthed(event.AuditRetention, admin, a.runRetention))
	mux.Handle("DELETE /v1/audit/subjects/{user_id}/key", a.auditAuthed(event.AuditErase, admin, a.eraseSubject))
}

// auditAuthed lets through callers of the given roles who logged in (API
// tokens have no audit scope: deny by default). A refused caller is
// audited too, under the action they attempted.
func (a *API) auditAuthed(action event.Action, roles []identity.Role, next func(w http.ResponseWriter, r *http.Request, actor identity.Actor)) http.Handler {
	return a.authed(func(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
		allowed := !actor.APIToken
		if allowed {
			allowed = false
			for _, role := range roles {
				allowed = allowed || actor.Role == role
			}
		}
		if !allowed {
			e := a.auditEvent(r, actor, action, event.Failure)
			e.Event.Reason = "forbidden"
			_ = a.opts.Audit.Auditor.Write(r.Context(), &e)
			msg := "the audit trail is open to the Auditor and Admin roles only"
			if len(roles) == 1 {
				msg = "this audit action is for Admins only"
			}
			if actor.APIToken {
				msg += ", logged in (API tokens have no audit scope)"
			}
			_ = httperr.Write(w, httperr.New(http.StatusForbidden, codeForbidden, msg))
			return
		}
		next(w, r, actor)
	})
}

// auditEvent starts the event of an audit endpoint, with its caller.
func (a *API) auditEvent(r *http.Request, actor identity.Actor, action event.Action, outcome event.Outcome) event.Event {
	e := a.opts.Audit.Auditor.Start(r.Context(), action, outcome)
	auditor.SetActor(&e, actor.UserID, []string{string(actor.Role)}, actor.SessionID)
	return e
}

// recordAudit writes an endpoint's own event before its answer goes out: an
// audit call that cannot be audited is refused (503), never served unseen.
func (a *API) recordAudit(w http.ResponseWriter, r *http.Request, e *event.Event) bool {
	if err := a.opts.Audit.Auditor.Write(r.Context(), e); err != nil {
		a.logRequest(r).Error().Err(err).Str("action", e.Event.Action).Msg("writing an audit event failed; refusing the request")
		_ = httperr.Write(w, httperr.New(http.StatusServiceUnavailable, codeUnavailable,
			"the audit trail cannot record this request, so it was not served; retry later"))
		return false
	}
	return true
}

// detail sets one detail of e.
func detail(e *event.Event, key, value string) {
	if e.Portcullis == nil {
		e.Portcullis = &event.Product{}
	}
	if e.Portcullis.Details == nil {
		e.Portcullis.Details = map[string]string{}
	}
	e.Portcullis.Details[key] = value
}

// setResource sets what e is about.
func setResource(e *event.Event, res *event.Resource) {
	if e.Portcullis == nil {
		e.Portcullis = &event.Product{}
	}
	e.Portcullis.Resource = res
}

// logRequest is the API's logger with the request's id, addressable.
func (a *API) logRequest(r *http.Request) *zerolog.Logger {
	l := a.logger(r)
	return &l
}
