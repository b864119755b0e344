package rules

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Trigger kinds, the values of the trigger label.
const (
	triggerIngest   = "ingest"
	triggerInterval = "interval"
	triggerChain    = "chain"
)

// metrics are the Evaluator's self-metrics. Prometheus's per-group rule
// metrics (prometheus_rule_*) are registered alongside.
type metrics struct {
	commits      prometheus.Counter
	evaluations  *prometheus.CounterVec
	triggerDelay prometheus.Histogram
	groups       prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		commits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pipewatch_rules_commits_total",
			Help: "Committed collection rounds reported to the rule evaluator.",
		}),
		evaluations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pipewatch_rules_group_evaluations_total",
			Help: "Rule group evaluations by what triggered them: ingest (a commit of a job whose metrics the group reads), interval (no trigger within the group's interval) or chain (another group wrote series the group reads).",
		}, []string{"trigger"}),
		triggerDelay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "pipewatch_rules_ingest_to_evaluation_seconds",
			Help:    "Time from a commit to the start of the evaluation it triggered, including coalescing and min_interval waits.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}),
		groups: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pipewatch_rules_groups",
			Help: "Rule groups loaded, built-in pack included.",
		}),
	}
	for _, k := range []string{triggerIngest, triggerInterval, triggerChain} {
		m.evaluations.WithLabelValues(k)
	}
	if reg != nil {
		reg.MustRegister(m.commits, m.evaluations, m.triggerDelay, m.groups)
	}
	return m
}
