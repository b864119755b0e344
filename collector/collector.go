// Package collector defines how pipewatch gathers samples from the systems it
// watches and runs that gathering on a schedule.
//
// A Collector knows one kind of source (Kafka, Elasticsearch, a /metrics
// endpoint, ...) and fills a Batch with one round of samples. The Manager
// runs every configured Target in its own goroutine on its own interval,
// with a timeout and a stable per-target phase (jitter), and writes each
// round to storage in one transaction. Like a Prometheus scrape, every round
// also writes the synthetic series up, scrape_duration_seconds,
// scrape_samples_scraped and scrape_series_added for the target, and a
// staleness marker for every series the target reported last round but not
// this one. Collection only ever happens on this schedule, never because
// someone read pipewatch's own /metrics.
//
// Errors: a Collector returns nil when the round is complete, a
// *PartialError when some of the source answered (what was collected is
// kept and up stays 1), and any other error when the round failed (up is 0
// and the target's series go stale). Errors collects the failures of a
// round that fetches many things, concurrently or not, and gives either.
//
// SanitizeLabelValue turns free text that a source reports (an exception,
// a failure reason) into a bounded, single-line label value.
package collector

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
)

// Collector gathers one round of samples from one target.
//
// A Collector that holds resources may implement io.Closer; the Manager
// closes it when its target stops.
//
// Collect must honour ctx: when it is done, return promptly with ctx.Err()
// or a *PartialError. Collect is never called concurrently for the same
// target, so a Collector may keep state between rounds.
type Collector interface {
	Collect(ctx context.Context, b *Batch) error
}

// CollectorFunc adapts a function to the Collector interface.
type CollectorFunc func(ctx context.Context, b *Batch) error

// Collect calls f(ctx, b).
func (f CollectorFunc) Collect(ctx context.Context, b *Batch) error { return f(ctx, b) }

// Metadata is the HELP, TYPE and UNIT of one metric family, as served by
// /api/v1/metadata.
type Metadata struct {
	Type model.MetricType `json:"type"`
	Help string           `json:"help"`
	Unit string           `json:"unit"`
}

// Batch is one round of samples from one target. The Manager owns it and
// reuses it between rounds; collectors only add to it.
type Batch struct {
	samples []sample
	meta    map[string]Metadata
	builder labels.ScratchBuilder
}

type sample struct {
	lset labels.Labels
	t    int64 // milliseconds; 0 means the round's timestamp
	v    float64
}

// NewBatch returns an empty batch.
func NewBatch() *Batch { return &Batch{meta: map[string]Metadata{}} }

// Add adds a sample stamped with the round's timestamp. l must include
// __name__; the Manager adds the target's job and instance labels.
func (b *Batch) Add(l labels.Labels, v float64) { b.samples = append(b.samples, sample{lset: l, v: v}) }

// AddAt adds a sample with its own timestamp t in milliseconds, for sources
// that report when a value was observed.
func (b *Batch) AddAt(l labels.Labels, t int64, v float64) {
	b.samples = append(b.samples, sample{lset: l, t: t, v: v})
}

// Describe records the metadata of a metric family. The last description of
// a name in a round wins.
func (b *Batch) Describe(name string, md Metadata) { b.meta[name] = md }

// Emit adds a sample of the metric family d with the given label values (in
// the order of d's label names) and records d's metadata. Empty label values
// are dropped, as Prometheus treats them as absent.
func (b *Batch) Emit(d *Desc, v float64, labelValues ...string) {
	b.Add(d.labels(&b.builder, labelValues), v)
	if _, ok := b.meta[d.name]; !ok {
		b.meta[d.name] = d.meta
	}
}

// Metadata returns the metadata recorded for a metric family in this round.
func (b *Batch) Metadata(name string) (Metadata, bool) {
	md, ok := b.meta[name]
	return md, ok
}

// Len returns the number of samples in the batch.
func (b *Batch) Len() int { return len(b.samples) }

// Each calls f for every sample in the batch, in the order they were added.
// A timestamp of 0 means the round's timestamp.
func (b *Batch) Each(f func(l labels.Labels, t int64, v float64)) {
	for _, s := range b.samples {
		f(s.lset, s.t, s.v)
	}
}

// Reset empties the batch, keeping its capacity, so one batch can serve
// round after round as the Manager's does.
func (b *Batch) Reset() {
	clear(b.samples)
	b.samples = b.samples[:0]
	clear(b.meta)
}

// Desc describes a metric family that a typed collector emits: its name,
// label names, type and help.
type Desc struct {
	name       string
	labelNames []string
	meta       Metadata
}

// NewDesc returns the description of a metric family. It panics if name or a
// label name is not a valid Prometheus name, since descriptions are
// constants of the program, not input.
func NewDesc(name, help string, typ model.MetricType, labelNames ...string) *Desc {
	if !model.LegacyValidation.IsValidMetricName(name) {
		panic(fmt.Sprintf("collector: invalid metric name %q", name))
	}
	for _, ln := range labelNames {
		if !model.LegacyValidation.IsValidLabelName(ln) || strings.HasPrefix(ln, "__") {
			panic(fmt.Sprintf("collector: invalid label name %q for metric %q", ln, name))
		}
	}
	return &Desc{name: name, labelNames: labelNames, meta: Metadata{Type: typ, Help: help}}
}

// Name returns the metric name.
func (d *Desc) Name() string { return d.name }

// Metadata returns the family's metadata.
func (d *Desc) Metadata() Metadata { return d.meta }

func (d *Desc) labels(sb *labels.ScratchBuilder, values []string) labels.Labels {
	if len(values) != len(d.labelNames) {
		panic(fmt.Sprintf("collector: metric %q has %d label names but got %d values", d.name, len(d.labelNames), len(values)))
	}
	sb.Reset()
	sb.Add(model.MetricNameLabel, d.name)
	for i, v := range values {
		if v != "" {
			sb.Add(d.labelNames[i], v)
		}
	}
	sb.Sort()
	return sb.Labels()
}

// PartialError reports a round in which part of the source answered. The
// samples collected are kept and the target stays up; Err says what failed.
type PartialError struct {
	// Err describes what could not be collected.
	Err error
}

// Error implements error.
func (e *PartialError) Error() string { return "partial collection: " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *PartialError) Unwrap() error { return e.Err }

// Partial wraps err in a *PartialError; it returns nil if err is nil.
func Partial(err error) error {
	if err == nil {
		return nil
	}
	return &PartialError{Err: err}
}

// IsPartial reports whether err is (or wraps) a *PartialError.
func IsPartial(err error) bool {
	var pe *PartialError
	return errors.As(err, &pe)
}

// Errors collects the failures of one round of a collector that fetches
// many things and keeps what still worked. It is safe for concurrent use
// and must not be copied after first use; the zero value spells out every
// failure.
type Errors struct {
	// Max is the number of failures that Err and Partial spell out; the
	// others are only counted ("and 3 more failures"), so that one broken
	// source does not fill the logs. Zero or less spells out all.
	Max int

	mu   sync.Mutex
	errs []error
}

// Add records err; a nil err is ignored.
func (e *Errors) Add(err error) {
	if err == nil {
		return
	}
	e.mu.Lock()
	e.errs = append(e.errs, err)
	e.mu.Unlock()
}

// Len returns the number of failures recorded.
func (e *Errors) Len() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.errs)
}

// Err returns nil if nothing failed, else the failures joined with
// errors.Join, at most Max of them followed by the count of the others. It
// is the error of a round in which nothing worked; see Partial for one in
// which something did.
func (e *Errors) Err() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	errs := e.errs
	if e.Max > 0 && len(errs) > e.Max {
		errs = append(slices.Clone(errs[:e.Max]), fmt.Errorf("and %d more failures", len(e.errs)-e.Max))
	}
	return errors.Join(errs...)
}

// Partial returns nil if nothing failed, else Err wrapped in a
// *PartialError: the error of a round that kept what still worked.
func (e *Errors) Partial() error { return Partial(e.Err()) }

// ellipsis marks a label value that SanitizeLabelValue cut short.
const ellipsis = "..."

// SanitizeLabelValue makes free text a reasonable label value: control
// characters and invalid UTF-8 become spaces, runs of spaces collapse into
// one, surrounding spaces are trimmed, and the result is cut to at most
// limit bytes on a rune boundary, with "..." marking the cut.
func SanitizeLabelValue(s string, limit int) string {
	var sb strings.Builder
	space := false
	for _, r := range s {
		if r == utf8.RuneError || r < ' ' || r == 0x7f || r == ' ' {
			if !space && sb.Len() > 0 {
				sb.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		sb.WriteRune(r)
	}
	out := strings.TrimSpace(sb.String())
	if len(out) <= limit {
		return out
	}
	mark := ellipsis
	if limit <= len(mark) {
		mark = ""
	}
	cut := max(limit-len(mark), 0)
	for cut > 0 && !utf8.RuneStart(out[cut]) {
		cut--
	}
	return out[:cut] + mark
}
