package collector

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Manager's self-metrics.
type metrics struct {
	targets  prometheus.Gauge
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec
	samples  *prometheus.CounterVec
	rejected *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		targets: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pipewatch_collector_targets",
			Help: "Number of targets the collector manager runs.",
		}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pipewatch_collector_duration_seconds",
			Help:    "Duration of collection rounds per target.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"job", "instance"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pipewatch_collector_errors_total",
			Help: "Collection rounds that failed or were partial, by reason (error, timeout, partial, commit).",
		}, []string{"job", "instance", "reason"}),
		samples: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pipewatch_collector_samples_total",
			Help: "Samples collected and committed per target.",
		}, []string{"job", "instance"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pipewatch_collector_samples_rejected_total",
			Help: "Samples storage rejected (out of order, duplicate timestamp) per target.",
		}, []string{"job", "instance"}),
	}
	if reg != nil {
		reg.MustRegister(m.targets, m.duration, m.errors, m.samples, m.rejected)
	}
	return m
}

func (m *metrics) observe(t Target, d time.Duration) {
	m.duration.WithLabelValues(t.Job, t.Instance).Observe(d.Seconds())
	for _, reason := range []string{"error", "timeout", "partial", "commit"} {
		m.errors.WithLabelValues(t.Job, t.Instance, reason) // pre-initialise
	}
}

// forget deletes the per-target series of a target that went away.
func (m *metrics) forget(t Target) {
	match := prometheus.Labels{"job": t.Job, "instance": t.Instance}
	m.duration.DeletePartialMatch(match)
	m.errors.DeletePartialMatch(match)
	m.samples.DeletePartialMatch(match)
	m.rejected.DeletePartialMatch(match)
}
