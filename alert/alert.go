package alert

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/alert/notify"
)

// Alert is a firing or resolved alert as the rule evaluator hands it over,
// like Alertmanager's postable alert. Labels and Annotations are
// Prometheus label sets, as rules produce them.
//
// An alert is identified by its labels (their fingerprint). It is resolved
// once EndsAt is set and not after the current time. A firing alert
// handed over without EndsAt resolves by itself after the global
// resolve_timeout unless it is handed over again; evaluators that re-send
// firing alerts regularly (as Prometheus does) should set EndsAt to a few
// evaluation intervals ahead instead. A zero StartsAt means now.
type Alert struct {
	// Labels identify the alert; they must not be empty.
	Labels labels.Labels
	// Annotations describe it (summary, description, runbook_url, ...).
	Annotations labels.Labels
	// StartsAt is when the alert started firing.
	StartsAt time.Time
	// EndsAt is when it was resolved or when it resolves unless refreshed.
	EndsAt time.Time
	// GeneratorURL links to the rule that produced the alert.
	GeneratorURL string
}

// alertEntry is an alert as the manager keeps (and persists) it.
type alertEntry struct {
	Labels       model.LabelSet `json:"labels"`
	Annotations  model.LabelSet `json:"annotations"`
	StartsAt     time.Time      `json:"startsAt"`
	EndsAt       time.Time      `json:"endsAt"`
	UpdatedAt    time.Time      `json:"updatedAt"`
	GeneratorURL string         `json:"generatorURL,omitempty"`
	// Timeout is set when EndsAt came from resolve_timeout, not from the
	// evaluator.
	Timeout bool `json:"timeout,omitempty"`

	fp model.Fingerprint
}

func toLabelSet(ls labels.Labels) model.LabelSet {
	out := make(model.LabelSet, ls.Len())
	ls.Range(func(l labels.Label) { out[model.LabelName(l.Name)] = model.LabelValue(l.Value) })
	return out
}

// newEntry converts a handed-over alert, filling in the times the way
// Alertmanager's API does.
func newEntry(a Alert, now time.Time, resolveTimeout time.Duration) (*alertEntry, error) {
	e := &alertEntry{
		Labels:       toLabelSet(a.Labels),
		Annotations:  toLabelSet(a.Annotations),
		StartsAt:     a.StartsAt,
		EndsAt:       a.EndsAt,
		UpdatedAt:    now,
		GeneratorURL: a.GeneratorURL,
	}
	if len(e.Labels) == 0 {
		return nil, errors.New("alert has no labels")
	}
	if err := e.Labels.Validate(); err != nil {
		return nil, fmt.Errorf("validate labels: %w", err)
	}
	if err := e.Annotations.Validate(); err != nil {
		return nil, fmt.Errorf("validate annotations: %w", err)
	}
	if e.StartsAt.IsZero() {
		if e.EndsAt.IsZero() {
			e.StartsAt = now
		} else {
			e.StartsAt = e.EndsAt
		}
	}
	if !e.EndsAt.IsZero() && e.EndsAt.Before(e.StartsAt) {
		return nil, errors.New("alert ends before it starts")
	}
	if e.EndsAt.IsZero() {
		e.Timeout = true
		e.EndsAt = now.Add(resolveTimeout)
	}
	e.fp = e.Labels.Fingerprint()
	return e, nil
}

func (a *alertEntry) resolved(now time.Time) bool {
	return !a.EndsAt.IsZero() && !a.EndsAt.After(now)
}

// merge combines an alert already known (a) with a newer hand-over (o) of
// the same labels, as Alertmanager does: the earliest start wins, and an
// explicit end time beats one from resolve_timeout.
func merge(a, o *alertEntry, now time.Time) *alertEntry {
	res := *o
	if a.StartsAt.Before(o.StartsAt) {
		res.StartsAt = a.StartsAt
	}
	if o.resolved(now) {
		if a.resolved(now) && a.EndsAt.After(o.EndsAt) {
			res.EndsAt = a.EndsAt
		}
	} else if a.EndsAt.After(o.EndsAt) && !a.Timeout {
		res.EndsAt = a.EndsAt
		res.Timeout = false
	}
	return &res
}

// overlaps reports whether o continues the activity of a (rather than
// being a new instance of the same alert after a resolved one).
func overlaps(a, o *alertEntry) bool {
	return (o.EndsAt.After(a.StartsAt) && o.EndsAt.Before(a.EndsAt)) ||
		(o.StartsAt.After(a.StartsAt) && o.StartsAt.Before(a.EndsAt)) ||
		(!o.StartsAt.After(a.StartsAt) && !o.EndsAt.Before(a.EndsAt))
}

func (a *alertEntry) notifyAlert(now time.Time) notify.Alert {
	status := notify.StatusFiring
	ends := time.Time{}
	if a.resolved(now) {
		status = notify.StatusResolved
		ends = a.EndsAt
	} else if !a.Timeout {
		ends = a.EndsAt
	}
	return notify.Alert{
		Status:       status,
		Labels:       labelMap(a.Labels),
		Annotations:  labelMap(a.Annotations),
		StartsAt:     a.StartsAt,
		EndsAt:       ends,
		GeneratorURL: a.GeneratorURL,
		Fingerprint:  a.fp.String(),
	}
}

func labelMap(ls model.LabelSet) map[string]string {
	out := make(map[string]string, len(ls))
	for k, v := range ls {
		out[string(k)] = string(v)
	}
	return out
}

// compareLabels orders label sets by their sorted name/value pairs.
func compareLabels(a, b model.LabelSet) int {
	an := slices.Sorted(maps.Keys(a))
	bn := slices.Sorted(maps.Keys(b))
	for i := 0; i < len(an) && i < len(bn); i++ {
		if c := strings.Compare(string(an[i]), string(bn[i])); c != 0 {
			return c
		}
		if c := strings.Compare(string(a[an[i]]), string(b[bn[i]])); c != 0 {
			return c
		}
	}
	return len(an) - len(bn)
}
