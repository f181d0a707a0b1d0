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
// Events go through the trail's bounded queue (trail.Enqueue: a channel
// send, no disk on the request path). When the queue is full and the trail
// fails closed, the request whose event was refused has already been
// answered: it is counted (portcullis_audit_unaudited_requests_total) and
// logged. From that moment every new request is refused with 503 before it
// reaches any handler or the upstream, until an event is accepted again (the
// refused requests' own events are the probes). So the requests that go
// unaudited are at most those already in flight when the queue filled; with
// `fail_open` nothing is refused and the trail counts what it drops.
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
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

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
	// refusing is set when an event was refused (queue full, trail closed)
	// and cleared when one is accepted.
	refusing *atomic.Bool
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
	h.refusing = new(atomic.Bool)
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

	var err error
	if h.refusing.Load() && !h.failOpen {
		st.rep.Deny("audit", auditreport.ReasonAuditUnavailable)
		h.metrics.refused.Inc()
		w.Header().Set("Retry-After", "1")
		err = httperr.Write(&st.w, httperr.Body{Status: http.StatusServiceUnavailable, Code: "audit_unavailable",
			Message: "the audit trail cannot take more events right now; try again shortly"})
	} else {
		err = next.ServeHTTP(&st.w, r.WithContext(auditreport.NewContext(r.Context(), &st.rep)))
	}

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
	if qerr := h.sink.Enqueue(e); qerr != nil {
		h.refusing.Store(true)
		h.metrics.unaudited.Inc()
		h.logger.Error("audit event refused; new requests are refused until the trail accepts events again",
			zap.String("request_id", id), zap.Error(qerr))
	} else if h.refusing.Load() {
		h.refusing.Store(false)
		h.logger.Info("audit trail accepts events again; requests are served again")
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
