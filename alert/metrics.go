package alert

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the manager's self-metrics. Per-integration series are
// created when an integration is built and deleted when a reload removes
// it.
type metrics struct {
	received      prometheus.Counter
	invalid       prometheus.Counter
	alerts        *prometheus.GaugeVec
	silences      *prometheus.GaugeVec
	groups        prometheus.Gauge
	flushes       prometheus.Counter
	fastFlushes   prometheus.Counter
	notifications *prometheus.CounterVec
	sent          *prometheus.CounterVec
	failed        *prometheus.CounterVec
	retried       *prometheus.CounterVec
	fallbacks     *prometheus.CounterVec
	queue         *prometheus.GaugeVec
	breaker       *prometheus.GaugeVec
	requestTime   *prometheus.HistogramVec
	latency       *prometheus.HistogramVec
}

var integrationLabels = []string{"receiver", "integration"}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		received: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pipewatch_alerts_received_total",
			Help: "Alerts handed over to the alert manager, including updates and resolves.",
		}),
		invalid: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pipewatch_alerts_invalid_total",
			Help: "Alerts rejected because their labels, annotations or times were invalid.",
		}),
		alerts: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pipewatch_alerts",
			Help: "Alerts the alert manager keeps, by state (active, suppressed, resolved).",
		}, []string{"state"}),
		silences: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pipewatch_alert_silences",
			Help: "Silences by state (active, pending, expired).",
		}, []string{"state"}),
		groups: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pipewatch_alert_groups",
			Help: "Alert groups (one per route and set of group_by label values).",
		}),
		flushes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pipewatch_alert_group_flushes_total",
			Help: "Alert group flushes (evaluations that may notify).",
		}),
		fastFlushes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pipewatch_alert_group_fast_flushes_total",
			Help: "Flushes triggered at once by a new alert joining a group that had already notified (the fast path).",
		}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pipewatch_alert_notifications_queued_total",
			Help: "Notifications written to the durable outbox.",
		}, integrationLabels),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pipewatch_alert_notifications_sent_total",
			Help: "Notifications the receiver accepted.",
		}, integrationLabels),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pipewatch_alert_notifications_failed_total",
			Help: "Notifications given up on: permanent error, retry budget spent, or circuit open with a fallback.",
		}, integrationLabels),
		retried: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pipewatch_alert_notification_retries_total",
			Help: "Failed delivery attempts that were scheduled for a retry.",
		}, integrationLabels),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pipewatch_alert_notification_fallbacks_total",
			Help: "Notifications handed to the receiver's fallback receiver.",
		}, integrationLabels),
		queue: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pipewatch_alert_outbox_length",
			Help: "Notifications waiting in the outbox to be delivered.",
		}, integrationLabels),
		breaker: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pipewatch_alert_circuit_open",
			Help: "1 while the integration's circuit breaker is open.",
		}, integrationLabels),
		requestTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pipewatch_alert_notification_request_duration_seconds",
			Help:    "Duration of one delivery attempt.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, integrationLabels),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pipewatch_alert_notification_latency_seconds",
			Help:    "Time from queueing a notification to its successful delivery, retries included.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}, integrationLabels),
	}
	if reg == nil {
		return m, nil
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.received, m.invalid, m.alerts, m.silences, m.groups, m.flushes, m.fastFlushes,
		m.notifications, m.sent, m.failed, m.retried, m.fallbacks, m.queue, m.breaker, m.requestTime, m.latency} {
		errs = append(errs, reg.Register(c))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, s := range []string{SilenceActive, SilencePending, SilenceExpired} {
		m.silences.WithLabelValues(s)
	}
	for _, s := range []string{"active", "suppressed", "resolved"} {
		m.alerts.WithLabelValues(s)
	}
	return m, nil
}

// initIntegration creates the series of one integration.
func (m *metrics) initIntegration(receiver, integration string) {
	for _, v := range []*prometheus.CounterVec{m.notifications, m.sent, m.failed, m.retried, m.fallbacks} {
		v.WithLabelValues(receiver, integration)
	}
	m.queue.WithLabelValues(receiver, integration)
	m.breaker.WithLabelValues(receiver, integration)
	m.requestTime.WithLabelValues(receiver, integration)
	m.latency.WithLabelValues(receiver, integration)
}

// deleteIntegration removes the series of one integration.
func (m *metrics) deleteIntegration(receiver, integration string) {
	for _, v := range []*prometheus.CounterVec{m.notifications, m.sent, m.failed, m.retried, m.fallbacks} {
		v.DeleteLabelValues(receiver, integration)
	}
	m.queue.DeleteLabelValues(receiver, integration)
	m.breaker.DeleteLabelValues(receiver, integration)
	m.requestTime.DeleteLabelValues(receiver, integration)
	m.latency.DeleteLabelValues(receiver, integration)
}
