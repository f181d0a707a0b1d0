// Package audit is the `audit` Caddy handler: it writes one audit event
// (gateway.request) per request to the portcullis app's audit trail, with
// the outcome of every gateway handler (rate limit, JWT, MFA step-up, Cedar
// decision and policy ids), the subject, the source address (pseudonymised by
// the trail), method, path, status, body bytes and latency.
//
// It wraps the chain rather than sitting at its end: its directive is
// ordered first, so it runs before rate_limit and sees the response of
// whichever handler answered. The other handlers write their verdicts into a
// per-request report (internal/auditreport) that it puts in the request
// context; so denied requests, including those stopped by rate_limit or
// jwt_auth, are audited exactly like allowed ones.
//
// It also gives every request an id: the client's X-Request-Id when it is
// 1 to 128 of [A-Za-z0-9._:-], else a new UUIDv7. The id is set on the
// request to the upstream, on the response and in the event
// (portcullis.request_id), and is {http.portcullis.request_id}.
//
// # Write guarantee
//
// Before the request goes on, the handler takes a place for its event in
// the trail's bounded queue (trail.Reserve: two atomic operations, no disk
// on the request path); the event fills it once the chain has answered. When
// there is no place (the queue is full, or the trail is closed or broken)
// the request is refused with 503 before it reaches any other handler or the
// upstream, so no request is served unaudited, and the refusal is counted
// (portcullis_audit_refused_requests_total). With `fail_open` such requests
// are served and their events go through trail.Enqueue, which drops and
// counts what does not fit.
//
// Caddyfile (no options):
//
//	audit
package audit

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/portcullis/portcullis/audit/trail"
	"github.com/portcullis/portcullis/caddymodules/security"
	"github.com/portcullis/portcullis/internal/auditreport"
	"github.com/portcullis/portcullis/internal/httperr"
)

func init() {
	caddy.RegisterModule(Audit{})
}

// Audit writes one audit event per request.
type Audit struct {
	sink     security.AuditSink
	failOpen bool
	metrics  *metrics
	logger   *zap.Logger
}

// CaddyModule returns the Caddy module information.
func (Audit) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.audit",
		New: func() caddy.Module { return new(Audit) },
	}
}

// Provision takes the trail of the portcullis app.
func (h *Audit) Provision(ctx caddy.Context) error {
	sink, failOpen, err := security.AuditSinkFromContext(ctx)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if sink == nil {
		return errors.New("audit: the portcullis global option has no audit block (audit { dir <path> }): there is no trail to write to")
	}
	var reg prometheus.Registerer
	if r := ctx.GetMetricsRegistry(); r != nil {
		reg = r
	}
	h.setup(sink, failOpen, reg, ctx.Logger())
	return nil
}

func (h *Audit) setup(sink security.AuditSink, failOpen bool, reg prometheus.Registerer, logger *zap.Logger) {
	h.sink, h.failOpen, h.logger = sink, failOpen, logger
	h.metrics = registerMetrics(reg)
}

// ServeHTTP runs the rest of the chain, then writes the request's event.
func (h *Audit) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	start := time.Now()
	// One allocation holds the report and the writer wrapper.
	st := &requestState{}
	id := r.Header.Get(RequestIDHeader)
	if !ValidRequestID(id) {
		id = NewRequestID(start)
	}
	st.rep.RequestID = id
	ids := []string{id}
	r.Header[RequestIDHeader] = ids // to the upstream; any client copies replaced
	w.Header()[RequestIDHeader] = ids
	if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		repl.Set("http.portcullis.request_id", id)
	}
	st.w.ResponseWriter = w

	reserved := true
	if qerr := h.sink.Reserve(); qerr != nil {
		reserved = false
		if !h.failOpen {
			h.metrics.refused.Inc()
			w.Header().Set("Retry-After", "1")
			return httperr.Write(w, httperr.Body{Status: http.StatusServiceUnavailable, Code: "audit_unavailable",
				Message: "the audit trail cannot take more events right now; try again shortly"})
		}
	}
	submitted := false
	defer func() {
		if reserved && !submitted { // a panic below: give the place back
			h.sink.Unreserve()
		}
	}()
	err := next.ServeHTTP(&st.w, r.WithContext(auditreport.NewContext(r.Context(), &st.rep)))

	status := st.w.status
	if err != nil {
		// Caddy answers a handler error with its status (default 500),
		// possibly through handle_errors; that is what the client gets.
		status = http.StatusInternalServerError
		var he caddyhttp.HandlerError
		if errors.As(err, &he) && he.StatusCode != 0 {
			status = he.StatusCode
		}
	} else if status == 0 {
		status = http.StatusOK // net/http's answer to a handler that wrote nothing
	}
	e := buildEvent(&st.rep, r, clientIP(r), status, st.w.bytes, time.Since(start), err != nil)
	var qerr error
	if reserved {
		submitted = true
		qerr = h.sink.EnqueueReserved(e)
	} else {
		qerr = h.sink.Enqueue(e) // failing open: dropped and counted by the trail when full
	}
	if qerr != nil && !errors.Is(qerr, trail.ErrQueueFull) {
		h.metrics.unaudited.Inc()
		h.logger.Error("audit event refused", zap.String("request_id", id), zap.Error(qerr))
	}
	return err
}

// requestState is the per-request state of the handler.
type requestState struct {
	rep auditreport.Report
	w   countingWriter
}

// clientIP is Caddy's client IP (which honours trusted_proxies), else the
// connection's peer.
func clientIP(r *http.Request) string {
	if s, _ := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string); s != "" {
		return s
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

var (
	_ caddy.Provisioner           = (*Audit)(nil)
	_ caddyhttp.MiddlewareHandler = (*Audit)(nil)
)
