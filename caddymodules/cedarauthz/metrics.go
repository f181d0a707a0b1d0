package cedarauthz

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	decisions           *prometheus.CounterVec
	shadowDisagreements prometheus.Counter
	reloadFailures      prometheus.Counter
}

// registerMetrics registers the handler's counters in Caddy's registry,
// reusing those already registered by another cedar_authz handler of the
// same configuration.
func registerMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "portcullis", Subsystem: "authz", Name: "decisions_total",
			Help: "Cedar authorization decisions by outcome (allow, deny).",
		}, []string{"decision"}),
		shadowDisagreements: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "portcullis", Subsystem: "authz", Name: "shadow_disagreements_total",
			Help: "Requests on which the shadow (candidate) policy set decided differently from the enforced one.",
		}),
		reloadFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "portcullis", Subsystem: "authz", Name: "reload_failures_total",
			Help: "Policy reloads rejected because the new files were unreadable or invalid.",
		}),
	}
	if reg == nil {
		return m
	}
	m.decisions = register(reg, m.decisions)
	m.shadowDisagreements = register(reg, m.shadowDisagreements)
	m.reloadFailures = register(reg, m.reloadFailures)
	return m
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}
