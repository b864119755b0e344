package rules

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/metadata"
	promrules "github.com/prometheus/prometheus/rules"
	promstorage "github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/util/strutil"
)

// Appender is one write transaction to storage, as rule evaluation needs
// it: recording rules, ALERTS/ALERTS_FOR_STATE and forecast series are
// appended and committed through it. *storage.Appender satisfies it.
type Appender interface {
	// Append adds a float sample; ref is a cached series reference or 0.
	Append(ref uint64, l labels.Labels, t int64, v float64) (uint64, error)
	// Commit makes the transaction durable and visible.
	Commit() error
	// Rollback discards the transaction.
	Rollback() error
}

// AppenderFunc opens a storage transaction.
type AppenderFunc func(ctx context.Context) Appender

// Alert is one alert notification: a firing alert (EndsAt in the future:
// the time until which it is valid unless re-sent) or a resolved one
// (EndsAt = when it resolved).
type Alert struct {
	// Labels identify the alert: the series labels of the alert
	// expression, the rule's labels, alertname, and the external labels
	// that the alert does not set itself.
	Labels labels.Labels
	// Annotations are the rule's annotations with templates expanded.
	Annotations labels.Labels
	// StartsAt is when the alert started firing; EndsAt see above.
	StartsAt, EndsAt time.Time
	// GeneratorURL links to the alert expression in the UI.
	GeneratorURL string
}

// Resolved reports whether a is a resolve notification as of now.
func (a Alert) Resolved(now time.Time) bool { return !a.EndsAt.IsZero() && !a.EndsAt.After(now) }

// NotifyFunc receives alerts from rule evaluation. It is called on the
// evaluation path right after each alerting rule is evaluated, with the
// alerts that need sending: an alert that starts firing is sent at once,
// firing alerts are re-sent every ResendDelay, and a resolved alert is sent
// with EndsAt set to when it resolved (and re-sent for 15 minutes, as
// Prometheus does). It must not block for long and must not keep alerts
// beyond the call without copying them.
type NotifyFunc func(ctx context.Context, alerts []Alert)

// notifier converts Prometheus's alerts into Alerts.
type notifier struct {
	notify         NotifyFunc
	externalLabels labels.Labels
	externalURL    string
}

// send implements rules.NotifyFunc, like Prometheus's rules.SendAlerts.
func (n notifier) send(ctx context.Context, expr string, alerts ...*promrules.Alert) {
	if n.notify == nil || len(alerts) == 0 {
		return
	}
	out := make([]Alert, 0, len(alerts))
	url := n.externalURL + strutil.TableLinkForExpression(expr)
	for _, a := range alerts {
		ls := a.Labels
		if !n.externalLabels.IsEmpty() {
			b := labels.NewBuilder(a.Labels)
			n.externalLabels.Range(func(l labels.Label) {
				if b.Get(l.Name) == "" {
					b.Set(l.Name, l.Value)
				}
			})
			ls = b.Labels()
		}
		out = append(out, Alert{
			Labels:       ls,
			Annotations:  a.Annotations,
			StartsAt:     a.FiredAt,
			EndsAt:       endsAt(a),
			GeneratorURL: url,
		})
	}
	n.notify(ctx, out)
}

func endsAt(a *promrules.Alert) time.Time {
	if !a.ResolvedAt.IsZero() {
		return a.ResolvedAt
	}
	return a.ValidUntil
}

// appendable adapts an AppenderFunc to Prometheus's storage.Appendable, the
// interface rule groups write through. Only float samples are supported.
type appendable struct{ open AppenderFunc }

// Appender implements storage.Appendable.
func (a appendable) Appender(ctx context.Context) promstorage.Appender {
	return &appender{app: a.open(ctx)}
}

var errOnlyFloats = errors.New("rule results must be float samples")

// appender adapts an Appender to storage.Appender.
type appender struct{ app Appender }

func (a *appender) Append(ref promstorage.SeriesRef, l labels.Labels, t int64, v float64) (promstorage.SeriesRef, error) {
	r, err := a.app.Append(uint64(ref), l, t, v)
	return promstorage.SeriesRef(r), err
}

func (a *appender) Commit() error                         { return a.app.Commit() }
func (a *appender) Rollback() error                       { return a.app.Rollback() }
func (a *appender) SetOptions(*promstorage.AppendOptions) {}

func (a *appender) AppendExemplar(promstorage.SeriesRef, labels.Labels, exemplar.Exemplar) (promstorage.SeriesRef, error) {
	return 0, errOnlyFloats
}

func (a *appender) AppendHistogram(promstorage.SeriesRef, labels.Labels, int64, *histogram.Histogram, *histogram.FloatHistogram) (promstorage.SeriesRef, error) {
	return 0, errOnlyFloats
}

func (a *appender) AppendHistogramSTZeroSample(promstorage.SeriesRef, labels.Labels, int64, int64, *histogram.Histogram, *histogram.FloatHistogram) (promstorage.SeriesRef, error) {
	return 0, errOnlyFloats
}

func (a *appender) UpdateMetadata(ref promstorage.SeriesRef, _ labels.Labels, _ metadata.Metadata) (promstorage.SeriesRef, error) {
	return ref, nil
}

func (a *appender) AppendSTZeroSample(promstorage.SeriesRef, labels.Labels, int64, int64) (promstorage.SeriesRef, error) {
	return 0, errOnlyFloats
}
