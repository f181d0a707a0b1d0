// Package api is secretsd's REST API (API.md in this folder): a thin
// net/http layer over the identity service. It decodes requests strictly,
// authenticates bearers, maps service errors to the one JSON error shape of
// internal/httperr, and logs and measures every request without ever
// logging a credential, a body or a query string.
package api

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/portcullis/portcullis/secretsd/identity"
)

// Defaults of Options.
const (
	DefaultMaxBodyBytes    = 64 << 10
	DefaultMaxFeedWait     = 30 * time.Second
	DefaultHealthCheckTime = 2 * time.Second
)

// KeySet publishes the JWKS (signing.Keyring).
type KeySet interface {
	JWKS() ([]byte, error)
}

// Pinger is a part /healthz checks.
type Pinger func(ctx context.Context) error

// Options configure the API.
type Options struct {
	Identity *identity.Service
	Keys     KeySet
	// PingStore is required; PingRedis is nil when no Redis is configured
	// (healthz then says "disabled").
	PingStore Pinger
	PingRedis Pinger
	// Log receives one line per request and the internal errors.
	Log zerolog.Logger
	// Registry receives the API's metrics and is what /metrics serves.
	// Nil: a new registry (with the Go and process collectors).
	Registry *prometheus.Registry
	// MaxBodyBytes bounds request bodies (413 beyond). Default 64 KiB.
	MaxBodyBytes int64
	// FeedToken, when set, is the bearer GET /v1/revocations requires.
	FeedToken string
	// MaxFeedWait caps the revocation feed's long poll. Default 30s; keep it
	// below the server's write timeout.
	MaxFeedWait time.Duration
	// Stopping is closed when the server begins to shut down: long polls
	// answer at once instead of holding the shutdown up.
	Stopping <-chan struct{}
	// Audit serves /v1/audit/*; nil leaves those endpoints out.
	Audit *Audit
}

// API serves the REST API.
type API struct {
	opts    Options
	id      *identity.Service
	log     zerolog.Logger
	metrics *metrics
	handler http.Handler
}

// New builds the API's handler.
func New(opts Options) *API {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxFeedWait <= 0 || opts.MaxFeedWait > DefaultMaxFeedWait {
		opts.MaxFeedWait = DefaultMaxFeedWait
	}
	if opts.Registry == nil {
		opts.Registry = NewRegistry()
	}
	a := &API{opts: opts, id: opts.Identity, log: opts.Log, metrics: newMetrics(opts.Registry)}
	mux := http.NewServeMux()
	a.routes(mux)
	a.handler = a.observe(a.jsonFallbacks(mux))
	return a
}

// ServeHTTP implements http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.handler.ServeHTTP(w, r) }

// Registry is the registry /metrics serves, for the server to add its own.
func (a *API) Registry() *prometheus.Registry { return a.opts.Registry }

// routes registers every endpoint of API.md. Handlers that need a caller
// are wrapped by authed, which puts the identity.Actor in the context.
func (a *API) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.Handle("GET /metrics", a.metricsHandler())
	mux.HandleFunc("GET /.well-known/jwks.json", a.jwks)

	mux.HandleFunc("POST /v1/auth/login", a.login)
	mux.HandleFunc("POST /v1/auth/mfa/verify", a.verifyMFA)
	mux.HandleFunc("POST /v1/auth/refresh", a.refresh)
	mux.Handle("POST /v1/auth/logout", a.authed(a.logout))
	mux.Handle("POST /v1/auth/step-up", a.authed(a.beginStepUp))
	mux.Handle("POST /v1/auth/step-up/verify", a.authed(a.stepUp))
	mux.Handle("GET /v1/auth/whoami", a.authed(a.whoami))
	mux.Handle("POST /v1/auth/revoke", a.authed(a.revoke))

	mux.Handle("GET /v1/mfa/devices", a.authed(a.devices))
	mux.Handle("DELETE /v1/mfa/devices/{id}", a.authed(a.removeDevice))
	mux.Handle("POST /v1/mfa/totp", a.authed(a.enrollTOTP))
	mux.Handle("POST /v1/mfa/totp/{id}/confirm", a.authed(a.confirmTOTP))
	mux.Handle("POST /v1/mfa/webauthn/register", a.authed(a.beginWebAuthn))
	mux.Handle("POST /v1/mfa/webauthn/register/finish", a.authed(a.finishWebAuthn))
	mux.Handle("POST /v1/mfa/backup-codes", a.authed(a.backupCodes))

	mux.Handle("POST /v1/tokens", a.authed(a.createToken))
	mux.Handle("GET /v1/tokens", a.authed(a.listTokens))
	mux.Handle("DELETE /v1/tokens/{id}", a.authed(a.revokeToken))

	mux.Handle("GET /v1/users", a.authed(a.listUsers))
	mux.Handle("POST /v1/users", a.authed(a.createUser))
	mux.Handle("GET /v1/users/{id}", a.authed(a.getUser))
	mux.Handle("PATCH /v1/users/{id}", a.authed(a.updateUser))
	mux.Handle("POST /v1/users/{id}/mfa/reset", a.authed(a.resetMFA))
	mux.Handle("POST /v1/keys/rotate", a.authed(a.rotateKeys))

	mux.HandleFunc("GET /v1/revocations", a.revocations)
	a.auditRoutes(mux)
}
