// Package gather collects from an in-process prometheus.Gatherer, such as
// pipewatch's own registry, so that pipewatch's self-metrics (collection
// errors, TSDB and PromQL figures) are stored and queryable like any other
// target's, without an HTTP round trip.
//
// Metric families convert as a Prometheus scrape of the text format would:
// counters, gauges and untyped values one sample each; summaries into
// quantile samples plus _sum and _count; classic histograms into _bucket
// (with le), _sum and _count.
package gather

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/collector"
)

// Collector gathers one registry.
type Collector struct {
	g  prometheus.Gatherer
	sb labels.ScratchBuilder
}

// New returns a Collector reading g.
func New(g prometheus.Gatherer) *Collector { return &Collector{g: g} }

// Collect gathers the registry once. Errors from individual collectors of
// the registry make the round partial; what was gathered is kept.
func (c *Collector) Collect(_ context.Context, b *collector.Batch) error {
	mfs, err := c.g.Gather()
	for _, mf := range mfs {
		c.family(b, mf)
	}
	if err != nil {
		if len(mfs) == 0 {
			return fmt.Errorf("gather metrics: %w", err)
		}
		return collector.Partial(fmt.Errorf("gather metrics: %w", err))
	}
	return nil
}

func (c *Collector) family(b *collector.Batch, mf *dto.MetricFamily) {
	name := mf.GetName()
	typ := model.MetricTypeUnknown
	switch mf.GetType() {
	case dto.MetricType_COUNTER:
		typ = model.MetricTypeCounter
	case dto.MetricType_GAUGE:
		typ = model.MetricTypeGauge
	case dto.MetricType_SUMMARY:
		typ = model.MetricTypeSummary
	case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
		typ = model.MetricTypeHistogram
	}
	b.Describe(name, collector.Metadata{Type: typ, Help: mf.GetHelp(), Unit: mf.GetUnit()})
	for _, m := range mf.GetMetric() {
		switch {
		case m.Counter != nil:
			b.Add(c.labels(name, m, "", ""), m.GetCounter().GetValue())
		case m.Gauge != nil:
			b.Add(c.labels(name, m, "", ""), m.GetGauge().GetValue())
		case m.Untyped != nil:
			b.Add(c.labels(name, m, "", ""), m.GetUntyped().GetValue())
		case m.Summary != nil:
			s := m.GetSummary()
			for _, q := range s.GetQuantile() {
				b.Add(c.labels(name, m, model.QuantileLabel, formatFloat(q.GetQuantile())), q.GetValue())
			}
			b.Add(c.labels(name+"_sum", m, "", ""), s.GetSampleSum())
			b.Add(c.labels(name+"_count", m, "", ""), float64(s.GetSampleCount()))
		case m.Histogram != nil:
			h := m.GetHistogram()
			infSeen := false
			for _, bk := range h.GetBucket() {
				if math.IsInf(bk.GetUpperBound(), +1) {
					infSeen = true
				}
				b.Add(c.labels(name+"_bucket", m, model.BucketLabel, formatFloat(bk.GetUpperBound())), float64(bk.GetCumulativeCount()))
			}
			if !infSeen {
				b.Add(c.labels(name+"_bucket", m, model.BucketLabel, "+Inf"), float64(h.GetSampleCount()))
			}
			b.Add(c.labels(name+"_sum", m, "", ""), h.GetSampleSum())
			b.Add(c.labels(name+"_count", m, "", ""), float64(h.GetSampleCount()))
		}
	}
}

func (c *Collector) labels(name string, m *dto.Metric, extraName, extraValue string) labels.Labels {
	c.sb.Reset()
	c.sb.Add(model.MetricNameLabel, name)
	for _, lp := range m.GetLabel() {
		c.sb.Add(lp.GetName(), lp.GetValue())
	}
	if extraName != "" {
		c.sb.Add(extraName, extraValue)
	}
	c.sb.Sort()
	return c.sb.Labels()
}

// formatFloat formats a bucket bound or quantile as the text format does.
func formatFloat(f float64) string {
	if math.IsInf(f, +1) {
		return "+Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
