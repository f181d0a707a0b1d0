package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/portcullis/portcullis/internal/httperr"
	"github.com/portcullis/portcullis/secretsd/identity"
)

// requestInfo carries what the outer middleware logs once the handler
// returns and the handlers learn on the way: the request id and the
// authenticated user. (The route pattern is on the request itself: ServeMux
// sets it on the request it routes.)
type requestInfo struct {
	id     string
	userID string
	scope  *identity.RequestScope
}

type infoKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	if ri, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		return ri
	}
	return &requestInfo{}
}

func requestIDFrom(ctx context.Context) string { return infoFrom(ctx).id }

// routeOf is the request's route pattern ("POST /v1/users/{id}"), which
// holds no user data and bounds the label space of the metrics.
func routeOf(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return "unmatched"
}

// observe is the outermost layer: it gives the request an id, recovers a
// panicking handler, and logs and counts the request once answered. It logs
// the method, route pattern, status, duration, request id and user id:
// never the Authorization header, the body, the path's ids or the query.
func (a *API) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &requestInfo{id: saneRequestID(r.Header.Get("X-Request-Id"))}
		w.Header().Set("X-Request-Id", ri.id)
		// The audit trail learns the request id and the client from the
		// context, whatever the service that writes the event.
		ri.scope = &identity.RequestScope{RequestID: ri.id, ClientIP: peerIP(r)}
		ctx := identity.WithRequestScope(context.WithValue(r.Context(), infoKey{}, ri), ri.scope)
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				a.log.Error().Str("request_id", ri.id).Str("route", routeOf(r)).
					Interface("panic", p).Msg("handler panicked")
				if !sw.wrote {
					_ = httperr.Write(sw, httperr.New(http.StatusInternalServerError, codeInternal,
						"internal error; the request id in X-Request-Id finds it in the server log"))
				}
			}
			elapsed := time.Since(start)
			route := routeOf(r)
			status := sw.status()
			a.metrics.observeRequest(route, status, elapsed)
			ev := a.log.Info()
			switch {
			case status >= 500:
				ev = a.log.Error()
			case quietRoutes[route]:
				// Probes and scrapes every few seconds would drown the log.
				ev = a.log.Debug()
			}
			ev.Str("method", r.Method).Str("route", route).Int("status", status).
				Float64("duration_ms", float64(elapsed.Microseconds())/1000).Str("request_id", ri.id)
			if ri.userID != "" {
				ev.Str("user_id", ri.userID)
			}
			ev.Msg("request")
		}()
		next.ServeHTTP(sw, r)
	})
}

// quietRoutes are logged at debug level unless they fail.
var quietRoutes = map[string]bool{"GET /healthz": true, "GET /metrics": true}

// jsonFallbacks answers what ServeMux would answer in plain text (no route:
// 404; a route for other methods: 405 with Allow) in the JSON error shape.
func (a *API) jsonFallbacks(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		// ServeMux's own handler tells 404 from 405 and computes Allow.
		probe := &probeWriter{header: http.Header{}}
		h.ServeHTTP(probe, r)
		switch probe.status {
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", probe.header.Get("Allow"))
			_ = httperr.Write(w, httperr.Body{Status: http.StatusMethodNotAllowed, Code: codeMethodNotAllowed,
				Message: r.Method + " is not allowed here (allowed: " + probe.header.Get("Allow") + ")"})
		case http.StatusNotFound:
			_ = httperr.Write(w, httperr.New(http.StatusNotFound, codeNotFound, "no such endpoint"))
		default: // a redirect to the clean path, or anything else ServeMux decides
			for k, v := range probe.header {
				w.Header()[k] = v
			}
			w.WriteHeader(probe.status)
		}
	})
}

// authed requires a bearer token and passes the identity.Actor it resolves
// to in the context.
func (a *API) authed(next func(w http.ResponseWriter, r *http.Request, actor identity.Actor)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearer(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="secretsd"`)
			_ = httperr.Write(w, httperr.New(http.StatusUnauthorized, codeUnauthorized,
				"this endpoint needs Authorization: Bearer <access token or API token>"))
			return
		}
		actor, err := a.id.Authenticate(r.Context(), token)
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		ri := infoFrom(r.Context())
		ri.userID = actor.UserID
		if ri.scope != nil {
			ri.scope.ActorRoles = []string{string(actor.Role)}
		}
		next(w, r, actor)
	})
}

// bearer reads "Authorization: Bearer <token>" (RFC 6750 §2.1; the scheme
// is case-insensitive).
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// clientInfo describes the caller for audit and limits. The peer address is
// used as it is: secretsd does not trust forwarding headers.
func clientInfo(r *http.Request) identity.ClientInfo {
	ip := peerIP(r)
	ua := r.UserAgent()
	if len(ua) > 256 {
		ua = ua[:256]
	}
	return identity.ClientInfo{IP: ip, UserAgent: ua, RequestID: requestIDFrom(r.Context())}
}

// maxRequestID is the longest request id kept from X-Request-Id.
const maxRequestID = 128

// peerIP is the address of the connection's peer: secretsd does not trust
// forwarding headers.
func peerIP(r *http.Request) string {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return ip
}

// saneRequestID keeps an incoming request id that matches
// ^[A-Za-z0-9._:-]{1,128}$ (it ends up in logs, headers and the audit
// trail; the gateway's audit handler sets it on what it proxies, so one
// user action has one id in both programs), else makes a new one.
func saneRequestID(in string) string {
	if n := len(in); n > 0 && n <= maxRequestID {
		ok := true
		for i := range n {
			c := in[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
				ok = false
				break
			}
		}
		if ok {
			return in
		}
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusWriter remembers the status written, for the log and the metrics.
type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.code, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) status() int {
	if !w.wrote {
		return http.StatusOK
	}
	return w.code
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// probeWriter captures what ServeMux's fallback handler would write.
type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header { return p.header }
func (p *probeWriter) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}
func (p *probeWriter) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return len(b), nil
}

// logger returns the API's logger with the request's id, for handlers that
// log more than the request line.
func (a *API) logger(r *http.Request) zerolog.Logger {
	return a.log.With().Str("request_id", requestIDFrom(r.Context())).Logger()
}
