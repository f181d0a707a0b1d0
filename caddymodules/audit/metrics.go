package audit

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/portcullis/portcullis/internal/promreg"
)

type metrics struct {
	unaudited prometheus.Counter
	refused   prometheus.Counter
}

// registerMetrics registers the handler's counters in Caddy's registry,
// sharing them with the other audit handlers of the config. The trail
// counts its own queue and writes.
func registerMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		unaudited: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "portcullis", Subsystem: "audit", Name: "unaudited_requests_total",
			Help: "Requests answered whose audit event the trail refused (closed or broken after the request began, or a malformed event).",
		}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "portcullis", Subsystem: "audit", Name: "refused_requests_total",
			Help: "Requests refused with 503 because the audit trail was not accepting events (fail closed).",
		}),
	}
	m.unaudited = promreg.Register(reg, m.unaudited)
	m.refused = promreg.Register(reg, m.refused)
	return m
}
