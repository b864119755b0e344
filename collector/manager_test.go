package collector_test

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/tsdb/chunkenc"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/storage"
)

// harness runs a Manager over a real temporary TSDB and reports commits.
type harness struct {
	t       *testing.T
	st      *storage.Storage
	m       *collector.Manager
	reg     *prometheus.Registry
	commits chan string
	cancel  context.CancelFunc
	done    chan struct{}
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	st, err := storage.Open(t.TempDir(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, st: st, reg: prometheus.NewRegistry(), commits: make(chan string, 1000), done: make(chan struct{})}
	h.m = collector.NewManager(collector.Options{
		Appender:   func(ctx context.Context) collector.Appender { return st.Appender(ctx) },
		Registerer: h.reg,
		Logger:     slog.New(slog.NewTextHandler(t.Output(), nil)),
		OnCommit: func(job string, _ int64) {
			select {
			case h.commits <- job:
			default:
			}
		},
	})
	t.Cleanup(func() {
		h.stop()
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return h
}

func (h *harness) start() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() {
		defer close(h.done)
		if err := h.m.Run(ctx); err != nil {
			h.t.Error(err)
		}
	}()
}

func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	<-h.done
	h.cancel = nil
}

// waitCommits waits for n committed rounds of job.
func (h *harness) waitCommits(job string, n int) {
	h.t.Helper()
	deadline := time.After(30 * time.Second)
	for n > 0 {
		select {
		case j := <-h.commits:
			if j == job {
				n--
			}
		case <-deadline:
			h.t.Fatalf("timed out waiting for %d more commits of %s", n, job)
		}
	}
}

// samples returns the raw samples of the series matching the selector.
func (h *harness) samples(ms ...*labels.Matcher) map[string][]float64 {
	h.t.Helper()
	q, err := h.st.Queryable().Querier(math.MinInt64, math.MaxInt64)
	if err != nil {
		h.t.Fatal(err)
	}
	defer q.Close()
	out := map[string][]float64{}
	set := q.Select(context.Background(), false, nil, ms...)
	for set.Next() {
		s := set.At()
		it := s.Iterator(nil)
		for it.Next() == chunkenc.ValFloat {
			_, v := it.At()
			out[s.Labels().String()] = append(out[s.Labels().String()], v)
		}
	}
	if err := set.Err(); err != nil {
		h.t.Fatal(err)
	}
	return out
}

func name(n string) *labels.Matcher { return labels.MustNewMatcher(labels.MatchEqual, "__name__", n) }

func target(job string, c collector.Collector) collector.Target {
	return collector.Target{Job: job, Instance: "host:1", Interval: 20 * time.Millisecond, Timeout: time.Second, Collector: c}
}

var lagDesc = collector.NewDesc("kafka_consumergroup_lag", "Lag.", model.MetricTypeGauge, "consumergroup", "partition")

func TestManagerWritesSamplesUpAndMetadata(t *testing.T) {
	h := newHarness(t)
	h.m.ApplyTargets([]collector.Target{target("kafka/prod", collector.CollectorFunc(func(_ context.Context, b *collector.Batch) error {
		b.Emit(lagDesc, 7, "g1", "0")
		b.Emit(lagDesc, 9, "g1", "1")
		return nil
	}))})
	h.start()
	h.waitCommits("kafka/prod", 2)
	<-h.m.FirstRoundDone()
	h.stop()

	got := h.samples(name("kafka_consumergroup_lag"))
	want := `{__name__="kafka_consumergroup_lag", consumergroup="g1", instance="host:1", job="kafka/prod", partition="0"}`
	if vs := got[want]; len(vs) < 2 || vs[0] != 7 {
		t.Fatalf("series %s: got %v; all: %v", want, vs, got)
	}
	up := h.samples(name("up"))
	for k, vs := range up {
		if vs[len(vs)-1] != 1 {
			t.Errorf("%s = %v, want last 1", k, vs)
		}
	}
	if len(up) != 1 {
		t.Fatalf("want one up series, got %v", up)
	}
	md := h.m.Metadata()
	if m := md["kafka_consumergroup_lag"]; len(m) != 1 || m[0].Type != model.MetricTypeGauge || m[0].Help != "Lag." {
		t.Errorf("metadata = %+v", m)
	}
	if len(md["up"]) != 1 || len(md["scrape_duration_seconds"]) != 1 {
		t.Errorf("synthetic metadata missing: %+v", md)
	}
}

func TestManagerStalenessAndFailures(t *testing.T) {
	var mu sync.Mutex
	round := 0
	h := newHarness(t)
	h.m.ApplyTargets([]collector.Target{target("kafka/prod", collector.CollectorFunc(func(_ context.Context, b *collector.Batch) error {
		mu.Lock()
		defer mu.Unlock()
		round++
		switch round {
		case 1:
			b.Emit(lagDesc, 1, "a", "0")
			b.Emit(lagDesc, 1, "b", "0")
			return nil
		case 2: // b disappears
			b.Emit(lagDesc, 2, "a", "0")
			return nil
		case 3: // partial: kept, up stays 1
			b.Emit(lagDesc, 3, "a", "0")
			return collector.Partial(errors.New("broker 2 unreachable"))
		default: // failure: up 0, a goes stale
			return errors.New("all brokers unreachable")
		}
	}))})
	h.start()
	h.waitCommits("kafka/prod", 5)
	h.stop()

	got := h.samples(name("kafka_consumergroup_lag"))
	a := got[`{__name__="kafka_consumergroup_lag", consumergroup="a", instance="host:1", job="kafka/prod", partition="0"}`]
	b := got[`{__name__="kafka_consumergroup_lag", consumergroup="b", instance="host:1", job="kafka/prod", partition="0"}`]
	if len(b) != 2 || b[0] != 1 || !value.IsStaleNaN(b[1]) {
		t.Errorf("series b = %v, want [1 stale]", b)
	}
	if len(a) != 4 || a[0] != 1 || a[1] != 2 || a[2] != 3 || !value.IsStaleNaN(a[3]) {
		t.Errorf("series a = %v, want [1 2 3 stale]", a)
	}
	var ups []float64
	for _, vs := range h.samples(name("up")) {
		ups = vs
	}
	if len(ups) < 5 || ups[0] != 1 || ups[2] != 1 || ups[3] != 0 || ups[4] != 0 {
		t.Errorf("up = %v, want 1 1 1 0 0 ...", ups)
	}
	if v := testutil.ToFloat64(errCounter(t, h.reg, "partial")); v != 1 {
		t.Errorf("partial errors = %v, want 1", v)
	}
	if v := testutil.ToFloat64(errCounter(t, h.reg, "error")); v < 2 {
		t.Errorf("errors = %v, want ≥ 2", v)
	}
}

// errCounter finds pipewatch_collector_errors_total{reason} in reg.
func errCounter(t *testing.T, reg *prometheus.Registry, reason string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "pipewatch_collector_errors_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "reason" && lp.GetValue() == reason {
					return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "x", Help: "x"}, func() float64 { return m.GetCounter().GetValue() })
				}
			}
		}
	}
	t.Fatalf("no pipewatch_collector_errors_total{reason=%q}", reason)
	return nil
}

func TestManagerHangingTargetDoesNotDelayOthers(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	h := newHarness(t)
	hanging := target("scrape/hangs", collector.CollectorFunc(func(context.Context, *collector.Batch) error {
		<-release // ignores its context on purpose
		return nil
	}))
	hanging.Timeout = 10 * time.Millisecond
	h.m.ApplyTargets([]collector.Target{hanging, target("scrape/healthy", collector.CollectorFunc(func(_ context.Context, b *collector.Batch) error {
		b.Emit(lagDesc, 1, "g", "0")
		return nil
	}))})
	h.start()
	// The healthy target keeps its schedule although the other never returns.
	h.waitCommits("scrape/healthy", 5)
	select {
	case <-h.m.FirstRoundDone():
		t.Fatal("first round reported done while a target has not finished its first round")
	default:
	}
}

func TestManagerTimeoutMarksTargetDown(t *testing.T) {
	h := newHarness(t)
	slow := target("scrape/slow", collector.CollectorFunc(func(ctx context.Context, b *collector.Batch) error {
		b.Emit(lagDesc, 1, "g", "0")
		<-ctx.Done()
		return ctx.Err()
	}))
	slow.Timeout = 5 * time.Millisecond
	h.m.ApplyTargets([]collector.Target{slow})
	h.start()
	h.waitCommits("scrape/slow", 2)
	h.stop()
	for k, vs := range h.samples(name("up")) {
		if vs[0] != 0 {
			t.Errorf("%s = %v, want 0", k, vs)
		}
	}
	if got := h.samples(name("kafka_consumergroup_lag")); len(got) != 0 {
		t.Errorf("a timed-out round stored samples: %v", got)
	}
	if v := testutil.ToFloat64(errCounter(t, h.reg, "timeout")); v < 2 {
		t.Errorf("timeouts = %v, want ≥ 2", v)
	}
}

func TestApplyTargetsRemovesTargetAndMarksItsSeriesStale(t *testing.T) {
	h := newHarness(t)
	keep := target("scrape/keep", collector.CollectorFunc(func(_ context.Context, b *collector.Batch) error {
		b.Emit(lagDesc, 1, "k", "0")
		return nil
	}))
	gone := target("scrape/gone", collector.CollectorFunc(func(_ context.Context, b *collector.Batch) error {
		b.Emit(lagDesc, 1, "g", "0")
		return nil
	}))
	h.m.ApplyTargets([]collector.Target{keep, gone})
	h.start()
	h.waitCommits("scrape/gone", 2)
	h.m.ApplyTargets([]collector.Target{keep})
	h.waitCommits("scrape/keep", 2)
	h.stop()

	for k, vs := range h.samples(labels.MustNewMatcher(labels.MatchEqual, "job", "scrape/gone")) {
		if !value.IsStaleNaN(vs[len(vs)-1]) {
			t.Errorf("%s = %v, want a final staleness marker", k, vs)
		}
	}
	for k, vs := range h.samples(labels.MustNewMatcher(labels.MatchEqual, "job", "scrape/keep")) {
		if value.IsStaleNaN(vs[len(vs)-1]) {
			t.Errorf("%s of a kept target went stale: %v", k, vs)
		}
	}
}

func TestTargetLabelsWinAndClashesAreExported(t *testing.T) {
	h := newHarness(t)
	tg := target("scrape/app", collector.CollectorFunc(func(_ context.Context, b *collector.Batch) error {
		b.Add(labels.FromStrings("__name__", "requests_total", "job", "inner", "env", "x"), 5)
		return nil
	}))
	tg.Labels = labels.FromStrings("env", "prod")
	h.m.ApplyTargets([]collector.Target{tg})
	h.start()
	h.waitCommits("scrape/app", 1)
	h.stop()
	want := `{__name__="requests_total", env="prod", exported_env="x", exported_job="inner", instance="host:1", job="scrape/app"}`
	if got := h.samples(name("requests_total")); len(got[want]) == 0 {
		t.Errorf("want series %s, got %v", want, got)
	}
}

// commitCounter is a storage appender that counts commits and the samples
// of series new to it in each, so a test can see how a round was split.
type commitCounter struct {
	collector.Appender
	mu        *sync.Mutex
	perCommit *[]int
	fresh     int
}

func (c *commitCounter) Append(ref uint64, l labels.Labels, t int64, v float64) (uint64, error) {
	if ref == 0 {
		c.fresh++
	}
	return c.Appender.Append(ref, l, t, v)
}

func (c *commitCounter) Commit() error {
	c.mu.Lock()
	*c.perCommit = append(*c.perCommit, c.fresh)
	c.mu.Unlock()
	return c.Appender.Commit()
}

// TestFirstRoundOfManySeriesCommitsInChunks: a target whose first round
// brings 25,000 new series commits them in chunks of at most 10,000 (the
// TSDB keeps encoding buffers as large as its largest WAL record), every
// series lands, and OnCommit still fires once per round; the next round,
// with no new series, commits once.
func TestFirstRoundOfManySeriesCommitsInChunks(t *testing.T) {
	st, err := storage.Open(t.TempDir(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var mu sync.Mutex
	var perCommit []int
	rounds := make(chan struct{}, 100)
	m := collector.NewManager(collector.Options{
		Appender: func(ctx context.Context) collector.Appender {
			return &commitCounter{Appender: st.Appender(ctx), mu: &mu, perCommit: &perCommit}
		},
		Registerer: prometheus.NewRegistry(),
		OnCommit:   func(string, int64) { rounds <- struct{}{} },
	})
	const n = 25_000
	m.ApplyTargets([]collector.Target{target("kafka/big", collector.CollectorFunc(func(_ context.Context, b *collector.Batch) error {
		for i := range n {
			b.Emit(lagDesc, float64(i), "g", strconv.Itoa(i))
		}
		return nil
	}))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	for range 2 {
		select {
		case <-rounds:
		case <-time.After(30 * time.Second):
			t.Fatal("no two rounds within 30s")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	// Round 1: 10,000 + 10,000 + 5,000 collected series, the last chunk
	// with the round's own series (up, scrape_duration_seconds, ...).
	if len(perCommit) < 4 || perCommit[0] != 10_000 || perCommit[1] != 10_000 || perCommit[2] < 5_000 || perCommit[2] > 5_010 {
		t.Fatalf("new series per commit %v, want 10000, 10000, about 5000, then rounds without new series", perCommit)
	}
	// Round 2 appends its collected series by cached reference; only the
	// round's own few series go without one.
	if perCommit[3] > 10 {
		t.Errorf("the second round appended %d samples without a series reference, want only its own few", perCommit[3])
	}
	q, err := st.Queryable().Querier(math.MinInt64, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	set := q.Select(context.Background(), false, nil, name("kafka_consumergroup_lag"))
	series := 0
	for set.Next() {
		series++
	}
	if series != n {
		t.Errorf("%d lag series stored, want %d", series, n)
	}
}
