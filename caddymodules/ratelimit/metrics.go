package ratelimit

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/portcullis/portcullis/internal/promreg"
)

type metrics struct {
	decisions   *prometheus.CounterVec
	fallback    prometheus.Counter
	transitions *prometheus.CounterVec
	emptyKey    *prometheus.CounterVec
}

// registerMetrics registers the limiter's counters in Caddy's registry,
// reusing those another rate_limit handler of the same config registered.
func registerMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "portcullis", Subsystem: "ratelimit", Name: "decisions_total",
			Help: "Rate limit decisions per zone by outcome (allowed, denied).",
		}, []string{"zone", "outcome"}),
		fallback: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "portcullis", Subsystem: "ratelimit", Name: "fallback_total",
			Help: "Requests decided by the in-process limiter because Redis failed or was being avoided after a failure.",
		}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "portcullis", Subsystem: "ratelimit", Name: "redis_transitions_total",
			Help: "Times the limiter stopped (to=down) or resumed (to=up) using Redis.",
		}, []string{"to"}),
		emptyKey: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "portcullis", Subsystem: "ratelimit", Name: "empty_key_total",
			Help: "Requests whose zone key was empty and were counted under their client IP instead.",
		}, []string{"zone"}),
	}
	if reg == nil {
		return m
	}
	m.decisions = promreg.Register(reg, m.decisions)
	m.fallback = promreg.Register(reg, m.fallback)
	m.transitions = promreg.Register(reg, m.transitions)
	m.emptyKey = promreg.Register(reg, m.emptyKey)
	return m
}
