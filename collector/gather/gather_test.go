package gather

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/collector"
)

func TestCollectConvertsEveryType(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "jobs_total", Help: "Jobs."}, []string{"kind"})
	c.WithLabelValues("a").Add(3)
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "queue", Help: "Queue."})
	g.Set(7)
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "lat_seconds", Help: "Latency.", Buckets: []float64{0.1, 1}})
	h.Observe(0.5)
	s := prometheus.NewSummary(prometheus.SummaryOpts{Name: "size_bytes", Help: "Size.", Objectives: map[float64]float64{0.5: 0.05}})
	s.Observe(10)
	reg.MustRegister(c, g, h, s)

	b := collector.NewBatch()
	if err := New(reg).Collect(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	b.Each(func(l labels.Labels, _ int64, v float64) { got[l.String()] = v })
	for series, want := range map[string]float64{
		`{__name__="jobs_total", kind="a"}`:          3,
		`{__name__="queue"}`:                         7,
		`{__name__="lat_seconds_bucket", le="0.1"}`:  0,
		`{__name__="lat_seconds_bucket", le="1"}`:    1,
		`{__name__="lat_seconds_bucket", le="+Inf"}`: 1,
		`{__name__="lat_seconds_sum"}`:               0.5,
		`{__name__="lat_seconds_count"}`:             1,
		`{__name__="size_bytes", quantile="0.5"}`:    10,
		`{__name__="size_bytes_count"}`:              1,
	} {
		if v, ok := got[series]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", series, v, ok, want)
		}
	}
	if md, _ := b.Metadata("lat_seconds"); md.Type != model.MetricTypeHistogram || md.Help != "Latency." {
		t.Errorf("histogram metadata = %+v", md)
	}
}

type failing struct{}

func (failing) Describe(chan<- *prometheus.Desc) {}
func (failing) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.NewInvalidMetric(prometheus.NewDesc("broken", "Broken.", nil, nil), errors.New("boom"))
}

func TestCollectKeepsWhatWorkedWhenACollectorFails(t *testing.T) {
	reg := prometheus.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "fine", Help: "Fine."})
	reg.MustRegister(g, failing{})
	b := collector.NewBatch()
	err := New(reg).Collect(context.Background(), b)
	if !collector.IsPartial(err) {
		t.Fatalf("err = %v, want a partial error", err)
	}
	if b.Len() != 1 {
		t.Errorf("kept %d samples, want 1", b.Len())
	}
}
