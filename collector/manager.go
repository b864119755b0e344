package collector

import (
	"context"
	"errors"
	"hash/fnv"
	"io"
	"log/slog"
	"maps"
	"math"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
)

// Appender is one write transaction to storage, as the Manager needs it.
type Appender interface {
	// Append adds a sample; ref is a cached series reference or 0.
	Append(ref uint64, l labels.Labels, t int64, v float64) (uint64, error)
	// Commit makes the transaction durable and visible.
	Commit() error
	// Rollback discards the transaction.
	Rollback() error
}

// AppenderFunc opens a new storage transaction.
type AppenderFunc func(ctx context.Context) Appender

// Target is one thing to collect from: a collector plus its schedule and
// identity. Job is "<kind>/<name>", Instance the address collected from.
type Target struct {
	Job      string
	Instance string
	// Labels are extra labels added to every series of the target.
	Labels    labels.Labels
	Interval  time.Duration
	Timeout   time.Duration
	Collector Collector
	// Revision identifies the configuration the target was built from. When
	// ApplyTargets sees the same Job and Instance with another Revision, the
	// target is restarted with its new collector.
	Revision string
}

func (t Target) key() string { return t.Job + "\xff" + t.Instance }

// Options are the Manager's dependencies.
type Options struct {
	// Appender opens storage transactions. Required.
	Appender AppenderFunc
	Logger   *slog.Logger
	// Registerer receives the pipewatch_collector_* self-metrics.
	Registerer prometheus.Registerer
	// OnCommit, if set, is called after each round of a target has been
	// committed, with the target's job and the round's timestamp in
	// milliseconds. It must not block.
	OnCommit func(job string, t int64)
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Manager runs targets on their schedules. Create it with NewManager, give
// it targets with ApplyTargets (any time, also while running) and start it
// with Run.
type Manager struct {
	opts    Options
	logger  *slog.Logger
	metrics *metrics

	mu        sync.Mutex
	runCtx    context.Context // nil until Run starts
	loops     map[string]*loop
	pending   map[string]struct{} // targets whose first round has not finished
	firstDone chan struct{}
	applied   bool
}

// NewManager returns a Manager with no targets.
func NewManager(opts Options) *Manager {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Manager{
		opts:      opts,
		logger:    opts.Logger,
		metrics:   newMetrics(opts.Registerer),
		loops:     map[string]*loop{},
		pending:   map[string]struct{}{},
		firstDone: make(chan struct{}),
	}
}

// FirstRoundDone is closed once every target of the first ApplyTargets call
// has finished one round (successfully or not).
func (m *Manager) FirstRoundDone() <-chan struct{} { return m.firstDone }

// ApplyTargets makes targets the set of running targets: new ones start,
// ones no longer listed stop (their series are marked stale), and ones whose
// Revision changed restart. Unchanged targets keep running undisturbed.
// It returns once the stopped targets have finished, like a Prometheus
// scrape pool reload.
func (m *Manager) ApplyTargets(targets []Target) {
	for _, l := range m.applyTargets(targets) {
		l.wait()
	}
}

// applyTargets updates the running set and returns the loops it stopped.
func (m *Manager) applyTargets(targets []Target) (stopped []*loop) {
	m.mu.Lock()
	defer m.mu.Unlock()
	want := make(map[string]Target, len(targets))
	for _, t := range targets {
		want[t.key()] = t
	}
	for k, l := range m.loops {
		if t, ok := want[k]; ok && t.Revision == l.target.Revision {
			delete(want, k)
			continue
		}
		l.stop(true)
		stopped = append(stopped, l)
		delete(m.loops, k)
		m.metrics.forget(l.target)
		delete(m.pending, k)
	}
	for k, t := range want {
		l := newLoop(m, t)
		m.loops[k] = l
		if !m.applied {
			m.pending[k] = struct{}{}
		}
		if m.runCtx != nil {
			l.start(m.runCtx)
		}
	}
	m.metrics.targets.Set(float64(len(m.loops)))
	if !m.applied {
		m.applied = true
		m.checkFirstRoundLocked()
	}
	return stopped
}

// Run starts every target and blocks until ctx is cancelled, then stops them
// and returns nil. On shutdown no staleness markers are written, so the
// series continue where they left off after a restart.
func (m *Manager) Run(ctx context.Context) error {
	m.mu.Lock()
	m.runCtx = ctx
	for _, l := range m.loops {
		l.start(ctx)
	}
	m.mu.Unlock()

	<-ctx.Done()

	m.mu.Lock()
	loops := make([]*loop, 0, len(m.loops))
	for _, l := range m.loops {
		loops = append(loops, l)
	}
	m.mu.Unlock()
	for _, l := range loops {
		l.wait()
	}
	return nil
}

// Metadata returns the metadata of every metric family that any running
// target reported, keyed by metric name, including the synthetic per-target
// series.
func (m *Manager) Metadata() map[string][]Metadata {
	m.mu.Lock()
	loops := make([]*loop, 0, len(m.loops))
	for _, l := range m.loops {
		loops = append(loops, l)
	}
	m.mu.Unlock()

	out := map[string][]Metadata{}
	add := func(name string, md Metadata) {
		for _, have := range out[name] {
			if have == md {
				return
			}
		}
		out[name] = append(out[name], md)
	}
	for _, s := range syntheticSeries {
		add(s.name, s.meta)
	}
	for _, l := range loops {
		for name, md := range l.metadata() {
			add(name, md)
		}
	}
	return out
}

func (m *Manager) roundDone(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.pending[key]; !ok {
		return
	}
	delete(m.pending, key)
	m.checkFirstRoundLocked()
}

func (m *Manager) checkFirstRoundLocked() {
	if !m.applied || len(m.pending) > 0 {
		return
	}
	select {
	case <-m.firstDone:
	default:
		close(m.firstDone)
	}
}

// syntheticSeries are the series the Manager writes for every target, in a
// fixed order.
var syntheticSeries = [...]struct {
	name string
	meta Metadata
}{
	{"up", Metadata{Type: model.MetricTypeGauge, Help: "1 if the target's last collection succeeded (fully or partially), 0 if it failed."}},
	{"scrape_duration_seconds", Metadata{Type: model.MetricTypeGauge, Help: "Duration of the target's last collection in seconds.", Unit: "seconds"}},
	{"scrape_samples_scraped", Metadata{Type: model.MetricTypeGauge, Help: "Number of samples the target's last collection returned."}},
	{"scrape_series_added", Metadata{Type: model.MetricTypeGauge, Help: "Number of series the target's last collection added that its previous one did not have."}},
}

// loop runs one target.
type loop struct {
	m      *Manager
	target Target
	cancel context.CancelFunc
	done   chan struct{}
	// markStale, when set before the loop exits, makes it write staleness
	// markers for all its series (the target was removed).
	markStale chan bool

	// Owned by the loop goroutine.
	batch     *Batch
	cache     map[uint64]*cacheEntry
	synthetic [len(syntheticSeries)]labels.Labels
	// lastTs is the timestamp of the last committed round, in ms.
	lastTs int64
	round  uint64
	// seen is the number of cache entries seen in the current round; when
	// it is the whole cache, no series went stale.
	seen int

	metaMu sync.Mutex
	meta   map[string]Metadata
}

type cacheEntry struct {
	orig  labels.Labels // as the collector reported it
	final labels.Labels // with target labels
	ref   uint64
	round uint64 // last round it was seen in
}

func newLoop(m *Manager, t Target) *loop {
	l := &loop{
		m:         m,
		target:    t,
		done:      make(chan struct{}),
		markStale: make(chan bool, 1),
		batch:     NewBatch(),
		cache:     map[uint64]*cacheEntry{},
		meta:      map[string]Metadata{},
	}
	for i, s := range syntheticSeries {
		l.synthetic[i] = l.syntheticLabels(s.name)
	}
	return l
}

func (l *loop) start(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	l.cancel = cancel
	go func() {
		defer close(l.done)
		defer l.closeCollector()
		l.run(ctx)
	}()
}

// stop cancels the loop; with markStale the loop writes staleness markers for
// all its series before exiting. It does not wait.
func (l *loop) stop(markStale bool) {
	if l.cancel == nil { // never started
		return
	}
	l.markStale <- markStale
	l.cancel()
}

// closeCollector releases the collector's resources (clients,
// connections) if it holds any.
func (l *loop) closeCollector() {
	if c, ok := l.target.Collector.(io.Closer); ok {
		if err := c.Close(); err != nil {
			l.m.logger.Warn("close collector", "target", l.target.Job, "instance", l.target.Instance, "err", err)
		}
	}
}

func (l *loop) wait() {
	if l.cancel == nil {
		return
	}
	<-l.done
}

func (l *loop) metadata() map[string]Metadata {
	l.metaMu.Lock()
	defer l.metaMu.Unlock()
	return maps.Clone(l.meta)
}

// offset returns the target's stable phase within its interval, so that
// targets with the same interval spread out instead of firing together.
func (l *loop) offset() time.Duration {
	h := fnv.New64a()
	h.Write([]byte(l.target.key()))
	return time.Duration(h.Sum64() % uint64(l.target.Interval))
}

func (l *loop) run(ctx context.Context) {
	interval := l.target.Interval
	// First round at once so that readiness does not wait for the phase.
	l.collectOnce(ctx)
	l.m.roundDone(l.target.key())

	now := l.m.opts.Now()
	next := now.Truncate(interval).Add(l.offset())
	for !next.After(now) {
		next = next.Add(interval)
	}
	timer := time.NewTimer(next.Sub(now))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			select {
			case stale := <-l.markStale:
				if stale {
					l.writeStale(l.m.opts.Now())
				}
			default:
			}
			return
		case <-timer.C:
		}
		l.collectOnce(ctx)
		now := l.m.opts.Now()
		for !next.After(now) {
			next = next.Add(interval)
		}
		timer.Reset(next.Sub(now))
	}
}

// collectOnce runs one round: collect, then append and commit.
func (l *loop) collectOnce(ctx context.Context) {
	start := l.m.opts.Now()
	ts := start.UnixMilli()
	if ts == l.lastTs {
		// Two rounds in one millisecond: the first round runs at once and
		// the target's phase may follow within the same millisecond (or a
		// late round may run into the next one's). The TSDB would reject
		// this round's samples as duplicates of the last round's, so the
		// round takes the next millisecond, as staleness markers do.
		ts++
	}
	l.batch.Reset()

	cctx, cancel := context.WithTimeout(ctx, l.target.Timeout)
	err := l.target.Collector.Collect(cctx, l.batch)
	cancel()
	duration := l.m.opts.Now().Sub(start)
	if ctx.Err() != nil {
		return // shutting down or removed: nothing to record
	}

	tgt := l.target
	l.m.metrics.observe(tgt, duration)
	ok := err == nil || IsPartial(err)
	if err != nil {
		reason := "error"
		switch {
		case IsPartial(err):
			reason = "partial"
		case errors.Is(err, context.DeadlineExceeded):
			reason = "timeout"
		}
		l.m.metrics.errors.WithLabelValues(tgt.Job, tgt.Instance, reason).Inc()
		l.m.logger.Warn("collection failed", "target", tgt.Job, "instance", tgt.Instance, "reason", reason, "err", err)
	}
	if ok {
		l.metaMu.Lock()
		maps.Copy(l.meta, l.batch.meta)
		l.metaMu.Unlock()
	}

	app := l.m.opts.Appender(ctx)
	l.round++
	l.seen = 0
	var added, rejected int
	if ok {
		added, rejected, app, err = l.appendBatch(ctx, app, ts)
		if err != nil {
			l.m.metrics.errors.WithLabelValues(tgt.Job, tgt.Instance, "commit").Inc()
			l.m.logger.Error("commit collection", "target", tgt.Job, "instance", tgt.Instance, "err", err)
			clear(l.cache)
			return
		}
	}
	staleT := ts
	l.appendStale(app, staleT)
	upValue := 0.0
	if ok {
		upValue = 1
	}
	l.appendSynthetic(app, ts, upValue, duration, l.batch.Len(), added)
	if err := app.Commit(); err != nil {
		l.m.metrics.errors.WithLabelValues(tgt.Job, tgt.Instance, "commit").Inc()
		l.m.logger.Error("commit collection", "target", tgt.Job, "instance", tgt.Instance, "err", err)
		// The cache may now hold references that were never committed;
		// start afresh next round.
		clear(l.cache)
		return
	}
	if rejected > 0 {
		l.m.metrics.rejected.WithLabelValues(tgt.Job, tgt.Instance).Add(float64(rejected))
	}
	l.m.metrics.samples.WithLabelValues(tgt.Job, tgt.Instance).Add(float64(l.batch.Len()))
	l.lastTs = ts
	if l.m.opts.OnCommit != nil {
		l.m.opts.OnCommit(tgt.Job, ts)
	}
}

// maxNewSeriesPerCommit bounds how many series one commit creates. The TSDB
// writes a commit's new series as one WAL record and keeps encoding
// buffers as large as the largest record it has written, so a target whose
// first round brings 100k series would otherwise hold some 20 MB of
// buffers for good; in chunks it is a tenth. Only rounds with that many
// new series (a target's first) are split; the round's own series (up,
// scrape_duration_seconds, ...) and OnCommit come with the last chunk.
const maxNewSeriesPerCommit = 10_000

// appendBatch appends the batch's samples, reusing cached series
// references, and returns the appender to finish the round with: app, or
// a fresh one when new series were committed in chunks (see
// maxNewSeriesPerCommit). An error is a failed chunk commit.
func (l *loop) appendBatch(ctx context.Context, app Appender, ts int64) (added, rejected int, _ Appender, _ error) {
	newSeries := 0
	for _, s := range l.batch.samples {
		t := s.t
		if t == 0 {
			t = ts
		}
		h := s.lset.Hash()
		e, ok := l.cache[h]
		if ok && !labels.Equal(e.orig, s.lset) {
			// Hash collision: append uncached, with freshly built labels.
			if _, err := app.Append(0, l.finalLabels(s.lset), t, s.v); err != nil {
				rejected++
			}
			continue
		}
		if !ok {
			e = &cacheEntry{orig: s.lset, final: l.finalLabels(s.lset)}
			l.cache[h] = e
		}
		if e.round != l.round-1 || e.ref == 0 {
			added++
		}
		if e.ref == 0 {
			if newSeries == maxNewSeriesPerCommit {
				if err := app.Commit(); err != nil {
					return added, rejected, app, err
				}
				app, newSeries = l.m.opts.Appender(ctx), 0
			}
			newSeries++
		}
		ref, err := app.Append(e.ref, e.final, t, s.v)
		if err != nil {
			rejected++
			continue
		}
		e.ref = ref
		if e.round != l.round {
			l.seen++
		}
		e.round = l.round
	}
	return added, rejected, app, nil
}

// appendStale writes a staleness marker for every series seen last round but
// not this one, and forgets series not seen for longer. A round that saw
// every cached series (the steady state) has nothing to do.
func (l *loop) appendStale(app Appender, ts int64) {
	if l.seen == len(l.cache) {
		return
	}
	for h, e := range l.cache {
		if e.round == l.round {
			continue
		}
		if e.round == l.round-1 && e.ref != 0 {
			_, _ = app.Append(e.ref, e.final, ts, math.Float64frombits(value.StaleNaN))
		}
		delete(l.cache, h)
	}
}

// writeStale marks all of the target's series, including its synthetic
// ones, stale in a transaction of its own.
func (l *loop) writeStale(now time.Time) {
	app := l.m.opts.Appender(context.Background())
	// A marker must come after the last sample, even within the same ms.
	ts := max(now.UnixMilli(), l.lastTs+1)
	l.round += 2 // nothing was seen in the current round
	for _, e := range l.cache {
		if e.ref != 0 {
			_, _ = app.Append(e.ref, e.final, ts, math.Float64frombits(value.StaleNaN))
		}
	}
	clear(l.cache)
	stale := math.Float64frombits(value.StaleNaN)
	for _, lset := range l.synthetic {
		_, _ = app.Append(0, lset, ts, stale)
	}
	if err := app.Commit(); err != nil {
		l.m.logger.Error("commit staleness markers", "target", l.target.Job, "instance", l.target.Instance, "err", err)
	}
}

func (l *loop) appendSynthetic(app Appender, ts int64, up float64, d time.Duration, samples, added int) {
	values := [len(syntheticSeries)]float64{up, d.Seconds(), float64(samples), float64(added)}
	for i, lset := range l.synthetic {
		_, _ = app.Append(0, lset, ts, values[i])
	}
}

func (l *loop) syntheticLabels(name string) labels.Labels {
	b := labels.NewBuilder(l.target.Labels)
	b.Set(model.MetricNameLabel, name)
	b.Set(model.JobLabel, l.target.Job)
	b.Set(model.InstanceLabel, l.target.Instance)
	return b.Labels()
}

// finalLabels adds the target's labels to a collected series. As in a
// Prometheus scrape without honor_labels, a collected label that clashes
// with a target label is kept as exported_<name>.
func (l *loop) finalLabels(in labels.Labels) labels.Labels {
	b := labels.NewBuilder(in)
	set := func(name, value string) {
		if v := in.Get(name); v != "" {
			b.Set(model.ExportedLabelPrefix+name, v)
		}
		b.Set(name, value)
	}
	l.target.Labels.Range(func(lbl labels.Label) { set(lbl.Name, lbl.Value) })
	set(model.JobLabel, l.target.Job)
	set(model.InstanceLabel, l.target.Instance)
	return b.Labels()
}
