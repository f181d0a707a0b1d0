package api

import (
	"context"
	"net/http"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/export"
	"github.com/portcullis/portcullis/audit/record"
	"github.com/portcullis/portcullis/secretsd/identity"
)

// catchUp makes what was just written visible to a query: the trail's queue
// is flushed to disk and the index reads it (both cheap when idle).
func (a *API) catchUp(ctx context.Context) error {
	if err := a.opts.Audit.Trail.Flush(ctx); err != nil {
		return err
	}
	_, err := a.opts.Audit.Index.Sync(ctx)
	return err
}

// GET /v1/audit/events
func (a *API) auditEvents(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	q, err := a.parseAuditQuery(r.URL.Query())
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	if err := a.catchUp(r.Context()); err != nil {
		a.writeError(w, r, err)
		return
	}
	res, err := a.opts.Audit.Index.Query(r.Context(), q.filter, q.cursor, q.limit)
	if err != nil {
		a.writeError(w, r, filterError(err))
		return
	}
	e := a.auditEvent(r, actor, event.AuditQuery, event.Success)
	setFilterDetails(&e, q.summary)
	if !a.recordAudit(w, r, &e) {
		return
	}
	a.writeJSON(w, r, http.StatusOK, map[string]any{"events": nonNil(res.Records), "next_cursor": res.Next})
}

// GET /v1/audit/export?format=...: the matching events, oldest first, as a
// stream in constant memory. The export is audited before its first byte.
func (a *API) auditExport(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	query := r.URL.Query()
	format, err := export.ParseFormat(query.Get("format"))
	if err != nil || len(query["format"]) != 1 {
		a.writeError(w, r, badParam("format", "want one of json, jsonl, csv, hec or ecs"))
		return
	}
	q, err := a.parseAuditQuery(query)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	if q.cursor != "" || len(query["limit"]) > 0 {
		a.writeError(w, r, badParam("cursor", "an export has every matching event; page with GET /v1/audit/events"))
		return
	}
	if err := a.catchUp(r.Context()); err != nil {
		a.writeError(w, r, err)
		return
	}
	e := a.auditEvent(r, actor, event.AuditExport, event.Success)
	setFilterDetails(&e, q.summary)
	detail(&e, "format", string(format))
	if !a.recordAudit(w, r, &e) {
		return
	}

	h := w.Header()
	h.Set("Content-Type", format.ContentType())
	h.Set("Content-Disposition", `attachment; filename="audit.`+string(format)+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	out, err := export.New(w, format, export.Options{Host: a.opts.Audit.Host})
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	err = a.opts.Audit.Index.Scan(r.Context(), q.filter, func(rec record.Record) error { return out.Write(rec) })
	if err == nil {
		err = out.Close()
	}
	if err != nil {
		// The status is sent: cut the connection so the client sees a
		// broken transfer, never a short document that looks complete.
		a.logRequest(r).Error().Err(err).Msg("audit export interrupted")
		panic(http.ErrAbortHandler)
	}
}
