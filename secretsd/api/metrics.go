package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/portcullis/portcullis/secretsd/identity"
	"github.com/portcullis/portcullis/secretsd/mfa"
)

// NewRegistry is a registry of secretsd's own, with the Go runtime and
// process collectors: secretsd never registers on the global default.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

type metrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	logins      *prometheus.CounterVec
	mfa         *prometheus.CounterVec
	refreshes   *prometheus.CounterVec
	revocations *prometheus.CounterVec
	reg         *prometheus.Registry
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "secretsd", Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests by route pattern and status.",
		}, []string{"route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "secretsd", Subsystem: "http", Name: "request_duration_seconds",
			Help: "Time to answer HTTP requests, by route pattern.",
			// Logins cost an Argon2id hash (tens of ms); the rest is well
			// under a millisecond; long polls last up to 30s.
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "secretsd", Name: "logins_total",
			Help: "Password logins by outcome: success, mfa_required, invalid_credentials, error.",
		}, []string{"outcome"}),
		mfa: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "secretsd", Name: "mfa_verifications_total",
			Help: "Second-factor verifications by method (totp, backup_code, webauthn, other; totp_confirm for a TOTP enrolment's first code) and outcome: success, invalid, invalid_challenge, too_many_attempts, error.",
		}, []string{"method", "outcome"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "secretsd", Name: "token_refreshes_total",
			Help: "Refresh-token rotations by outcome: success, invalid_grant, reused, error.",
		}, []string{"outcome"}),
		revocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "secretsd", Name: "revocations_total",
			Help: "Revocations made through the API, by what was revoked: logout, token, session, user, api_token.",
		}, []string{"kind"}),
	}
	reg.MustRegister(m.requests, m.duration, m.logins, m.mfa, m.refreshes, m.revocations)
	return m
}

func (m *metrics) observeRequest(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}

func (a *API) metricsHandler() http.Handler {
	return promhttp.HandlerFor(a.metrics.reg, promhttp.HandlerOpts{Registry: a.metrics.reg})
}

// mfaOutcome names the outcome of a verification for the metrics.
func mfaOutcome(err error) string {
	switch {
	case err == nil:
		return "success"
	case errors.Is(err, mfa.ErrTooManyAttempts):
		return "too_many_attempts"
	case errors.Is(err, identity.ErrInvalidChallenge):
		return "invalid_challenge"
	case errors.Is(err, mfa.ErrInvalidCode), errors.Is(err, mfa.ErrNoFactor):
		return "invalid"
	}
	return "error"
}

// knownMethod bounds the method label to the methods there are.
func knownMethod(m string) string {
	switch m {
	case mfa.MethodTOTP, mfa.MethodBackupCode, mfa.MethodWebAuthn:
		return m
	}
	return "other"
}
