package trail

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/internal/promreg"
)

// metrics are the trail's Prometheus series, labelled with the writer.
// Registration goes through promreg, so a Trail reopened on the same
// registry (a config reload, a restart in tests) counts into the same series.
type metrics struct {
	written       []prometheus.Counter // by class index
	queueFull     prometheus.Counter
	dropped       prometheus.Counter
	writeErrors   prometheus.Counter
	sealErrors    prometheus.Counter
	commitSeconds prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer, writer string, classes []event.Retention, q chan item) *metrics {
	labels := prometheus.Labels{"writer": writer}
	counter := func(name, help string) prometheus.Counter {
		return promreg.Register(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Name: name, Help: help, ConstLabels: labels}))
	}
	written := promreg.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name:        "portcullis_audit_events_written_total",
		Help:        "Audit events durably written, by retention class.",
		ConstLabels: labels,
	}, []string{"class"}))
	m := &metrics{
		queueFull: counter("portcullis_audit_queue_full_total",
			"Enqueue calls that found the audit queue full (refused, or dropped when failing open)."),
		dropped: counter("portcullis_audit_dropped_total",
			"Audit events not written: dropped on a full queue when failing open, or lost to a write error after they were queued."),
		writeErrors: counter("portcullis_audit_write_errors_total",
			"Failed audit writes; the first one breaks the trail, which then refuses events until restarted."),
		sealErrors: counter("portcullis_audit_seal_errors_total",
			"Queued audit events written without their sealed personal values because the subject key store failed."),
		commitSeconds: promreg.Register(reg, prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:        "portcullis_audit_commit_seconds",
			Help:        "Time of one group commit (write and fsync) to an audit chain.",
			ConstLabels: labels,
			Buckets:     prometheus.ExponentialBuckets(0.00025, 2, 14),
		})),
	}
	for _, c := range classes {
		m.written = append(m.written, written.WithLabelValues(string(c)))
	}
	depth := promreg.Register(reg, newDepthGauge(labels))
	depth.queue.Store(&q) // a reopened trail takes over the registered gauge
	return m
}

// depthGauge reports the queue's current length. It reads the queue through
// a pointer so that a trail reopened on the same registry, which gets the
// gauge registered first back from promreg, can point it at its own queue.
type depthGauge struct {
	desc  *prometheus.Desc
	queue atomic.Pointer[chan item]
}

func newDepthGauge(labels prometheus.Labels) *depthGauge {
	return &depthGauge{desc: prometheus.NewDesc("portcullis_audit_queue_depth",
		"Audit events waiting in the queue.", nil, labels)}
}

func (g *depthGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *depthGauge) Collect(ch chan<- prometheus.Metric) {
	n := 0
	if q := g.queue.Load(); q != nil {
		n = len(*q)
	}
	ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(n))
}
