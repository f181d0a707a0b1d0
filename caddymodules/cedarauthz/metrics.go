package cedarauthz

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/portcullis/portcullis/internal/promreg"
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
	m.decisions = promreg.Register(reg, m.decisions)
	m.shadowDisagreements = promreg.Register(reg, m.shadowDisagreements)
	m.reloadFailures = promreg.Register(reg, m.reloadFailures)
	return m
}
