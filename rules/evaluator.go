package rules

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	promrules "github.com/prometheus/prometheus/rules"
	promstorage "github.com/prometheus/prometheus/storage"
)

// Defaults of Options.
const (
	DefaultResendDelay     = time.Minute
	DefaultOutageTolerance = time.Hour
	DefaultForGracePeriod  = 10 * time.Minute
	DefaultCoalesceWindow  = 10 * time.Millisecond
	// jobNamesTTL is how long the metric names a job writes are cached.
	jobNamesTTL = time.Minute
	// maxChainDepth bounds chains of groups triggered by the series other
	// groups wrote (recording rules feeding alerts in another group).
	maxChainDepth = 4
	// lookbackDelta is how far back a job's metric names are looked up.
	lookbackDelta = 5 * time.Minute
)

// Options are the Evaluator's dependencies.
type Options struct {
	// Engine runs PromQL (the engine the HTTP API uses). Required.
	Engine promql.QueryEngine
	// Queryable is storage as PromQL reads it. Required.
	Queryable promstorage.Queryable
	// Appender opens storage transactions for rule results. Required.
	Appender AppenderFunc
	// Notify receives alerts; nil drops them.
	Notify NotifyFunc
	Logger *slog.Logger
	// Registerer receives pipewatch_rules_* and Prometheus's
	// prometheus_rule_* metrics; nil registers nothing.
	Registerer prometheus.Registerer
	// ExternalLabels are added to notified alerts (where the alert does
	// not set the label) and offered to templates as $externalLabels.
	ExternalLabels labels.Labels
	// ExternalURL is pipewatch's URL as users reach it, for $externalURL
	// and the alerts' GeneratorURL.
	ExternalURL string
	// ResendDelay is how often a firing alert is re-sent; default 1m.
	ResendDelay time.Duration
	// OutageTolerance and ForGracePeriod govern restoring the `for` state
	// of alerts after a restart, as in Prometheus (defaults 1h and 10m).
	OutageTolerance time.Duration
	ForGracePeriod  time.Duration
	// Concurrency bounds how many groups evaluate at once; default
	// GOMAXPROCS.
	Concurrency int
	// CoalesceWindow is how long commits are gathered after the first
	// one before the groups that read them are triggered; default 10ms.
	CoalesceWindow time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// StateFile is where the firing alerts are kept, so that after a
	// restart they go on firing (keep_firing_for included) or are resolved
	// with a resolve sent; empty keeps none. See state.go.
	StateFile string
}

// Evaluator evaluates Prometheus rule files (and the built-in rule pack)
// right after the data they read is ingested. Create it with New, start it
// with Run, feed it commits with OnCommit and reload it with ApplyConfig.
// It implements the HTTP API's rule source (RuleGroups, AlertingRules).
type Evaluator struct {
	opts        Options
	logger      *slog.Logger
	metrics     *metrics
	promMetrics *promrules.Metrics
	state       *firingState
	admit       *admission
	// restore enables `for`-state restoration after a group's first
	// evaluation; tests that replay scripts turn it off.
	restore bool

	reloadMu sync.Mutex // serialises ApplyConfig and the start of Run

	mu     sync.RWMutex
	groups []*group // sorted by file, then name
	byKey  map[string]*group
	// recorded are the metric names recording rules write; a job's
	// commit does not make them new (the recording group's evaluation
	// does, through a chained trigger).
	recorded map[string]bool
	gen      uint64 // incremented by every ApplyConfig
	runCtx   context.Context

	pendingMu sync.Mutex
	pending   map[string]commit
	wake      chan struct{}

	// jobs is owned by the dispatcher (Run's goroutine).
	jobs map[string]*jobInfo
}

// commit is a job's pending commit.
type commit struct {
	ts int64     // newest round timestamp (ms)
	at time.Time // when the first pending commit arrived
}

// New returns an Evaluator for cfg. It loads the rule files and the pack;
// an error names every problem (see CheckFiles). Nothing runs until Run.
func New(cfg Config, opts Options) (*Evaluator, error) {
	return newEvaluator(cfg, opts, true)
}

// newEvaluator is New; restore=false skips `for`-state restoration, for
// replaying test scripts.
func newEvaluator(cfg Config, opts Options, restore bool) (*Evaluator, error) {
	if opts.Engine == nil || opts.Queryable == nil || opts.Appender == nil {
		return nil, errors.New("create rule evaluator: Engine, Queryable and Appender are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ResendDelay <= 0 {
		opts.ResendDelay = DefaultResendDelay
	}
	if opts.OutageTolerance <= 0 {
		opts.OutageTolerance = DefaultOutageTolerance
	}
	if opts.ForGracePeriod <= 0 {
		opts.ForGracePeriod = DefaultForGracePeriod
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = runtime.GOMAXPROCS(0)
	}
	if opts.CoalesceWindow < 0 {
		opts.CoalesceWindow = 0
	} else if opts.CoalesceWindow == 0 {
		opts.CoalesceWindow = DefaultCoalesceWindow
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	e := &Evaluator{
		opts:        opts,
		logger:      opts.Logger,
		metrics:     newMetrics(opts.Registerer),
		promMetrics: promrules.NewGroupMetrics(opts.Registerer),
		admit:       newAdmission(opts.Concurrency),
		restore:     restore,
		byKey:       map[string]*group{},
		pending:     map[string]commit{},
		wake:        make(chan struct{}, 1),
		jobs:        map[string]*jobInfo{},
	}
	state, err := openFiringState(opts.StateFile, opts.Logger)
	if err != nil {
		return nil, fmt.Errorf("create rule evaluator: %w", err)
	}
	e.state = state
	if err := e.ApplyConfig(cfg); err != nil {
		return nil, err
	}
	return e, nil
}

// RuleGroups returns the loaded groups sorted by file and name, for
// /api/v1/rules.
func (e *Evaluator) RuleGroups() []*promrules.Group {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]*promrules.Group, len(e.groups))
	for i, g := range e.groups {
		out[i] = g.prom
	}
	return out
}

// AlertingRules returns every alerting rule, for /api/v1/alerts.
func (e *Evaluator) AlertingRules() []*promrules.AlertingRule {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := []*promrules.AlertingRule{}
	for _, g := range e.groups {
		out = append(out, g.prom.AlertingRules()...)
	}
	return out
}

// OnCommit reports that a collection round of job, with timestamp ts (ms),
// has been committed to storage. It never blocks: the groups that read the
// job's metrics are triggered by Run's goroutine. Pass it as
// collector.Options.OnCommit.
func (e *Evaluator) OnCommit(job string, ts int64) {
	e.metrics.commits.Inc()
	now := e.opts.Now()
	e.pendingMu.Lock()
	c, ok := e.pending[job]
	if !ok {
		c.at = now
	}
	c.ts = max(c.ts, ts)
	e.pending[job] = c
	e.pendingMu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Run evaluates the groups until ctx is cancelled, then waits for running
// evaluations to finish and returns nil.
func (e *Evaluator) Run(ctx context.Context) error {
	e.reloadMu.Lock()
	e.mu.Lock()
	e.runCtx = ctx
	groups := slices.Clone(e.groups)
	e.mu.Unlock()
	for _, g := range groups {
		e.start(ctx, g)
	}
	e.reloadMu.Unlock()
	stateCtx, stopState := context.WithCancel(context.Background())
	stateDone := make(chan struct{})
	go func() {
		defer close(stateDone)
		e.state.run(stateCtx)
	}()

	for {
		select {
		case <-ctx.Done():
			e.reloadMu.Lock()
			e.mu.Lock()
			groups := slices.Clone(e.groups)
			e.runCtx = nil
			e.mu.Unlock()
			for _, g := range groups {
				g.stop()
			}
			e.reloadMu.Unlock()
			stopState() // after the groups: their last changes are written
			<-stateDone
			return nil
		case <-e.wake:
		}
		if w := e.opts.CoalesceWindow; w > 0 {
			t := time.NewTimer(w)
			select {
			case <-ctx.Done():
				t.Stop()
				continue
			case <-t.C:
			}
		}
		e.dispatch(ctx)
	}
}

// dispatch triggers the groups that read the jobs of the pending commits.
func (e *Evaluator) dispatch(ctx context.Context) {
	e.pendingMu.Lock()
	pending := e.pending
	e.pending = make(map[string]commit, len(pending))
	e.pendingMu.Unlock()
	e.mu.RLock()
	gen, groups, recorded := e.gen, e.groups, e.recorded
	e.mu.RUnlock()
	for job, c := range pending {
		for _, g := range e.groupsForJob(ctx, job, gen, groups, recorded) {
			g.trigger(c.ts, c.at, 0)
		}
	}
}

// Evaluate evaluates every group once at t, outside the schedule, as a
// round of triggered evaluations would: up to Options.Concurrency groups at
// once, the groups whose previous evaluation took longest first. It
// returns when all are done. It is for tools and benchmarks; Run does not
// need it.
func (e *Evaluator) Evaluate(ctx context.Context, t time.Time) {
	e.mu.RLock()
	groups := slices.Clone(e.groups)
	e.mu.RUnlock()
	slices.SortStableFunc(groups, func(a, b *group) int {
		return cmp.Compare(b.prom.GetEvaluationTime(), a.prom.GetEvaluationTime())
	})
	next := make(chan *group, len(groups))
	for _, g := range groups {
		next <- g
	}
	close(next)
	var wg sync.WaitGroup
	for range min(e.opts.Concurrency, len(groups)) {
		wg.Go(func() {
			for g := range next {
				g.evalMu.Lock()
				e.evalAt(ctx, g, t.UnixMilli())
				g.evalMu.Unlock()
			}
		})
	}
	wg.Wait()
}

// evaluateInOrder evaluates every group once at t, one after the other in
// file and name order, as promtool's rule tests do.
func (e *Evaluator) evaluateInOrder(ctx context.Context, t time.Time) {
	e.mu.RLock()
	groups := slices.Clone(e.groups)
	e.mu.RUnlock()
	for _, g := range groups {
		g.evalMu.Lock()
		e.evalAt(ctx, g, t.UnixMilli())
		g.evalMu.Unlock()
	}
}

// evalAt evaluates g at ts (ms), bounded by the concurrency limit (see
// admission), and restores `for` state after the first evaluation. The
// caller holds g.evalMu.
func (e *Evaluator) evalAt(ctx context.Context, g *group, ts int64) {
	e.admit.acquire(g.prom.GetEvaluationTime())
	defer e.admit.release()
	start := e.opts.Now()
	if g.evaluated && ts <= g.lastTs {
		ts = g.lastTs + 1
	}
	if !g.restored {
		e.restoreFiring(ctx, g, time.UnixMilli(ts))
	}
	promrules.DefaultEvalIterationFunc(ctx, g.prom, time.UnixMilli(ts))
	if !g.restored {
		g.prom.RestoreForState(time.UnixMilli(ts))
		g.restored = true
	}
	e.state.record(g)
	g.lastTs = ts
	g.last = start
	g.evaluated = true
}

// ApplyConfig loads cfg and replaces the running groups: groups that did
// not change keep running undisturbed; changed groups take over the alert
// state of their predecessor (matched by file and name); removed groups
// stop and mark their series stale. On error nothing changes.
func (e *Evaluator) ApplyConfig(cfg Config) error {
	files, err := expandFiles(cfg.RuleFiles)
	if err != nil {
		return fmt.Errorf("load rules: %w", err)
	}
	loaded, err := LoadFiles(files...)
	if err != nil {
		return fmt.Errorf("load rules: %w", err)
	}
	inline, err := loadInline(cfg.Inline)
	if err != nil {
		return fmt.Errorf("load rules: %w", err)
	}
	loaded = append(loaded, inline...)
	pack, err := loadPack(cfg.Pack)
	if err != nil {
		return fmt.Errorf("load built-in rule pack: %w", err)
	}
	interval := cfg.EvaluationInterval
	if interval <= 0 {
		interval = DefaultEvaluationInterval
	}

	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	built := e.build(append(pack, loaded...), interval)

	e.mu.RLock()
	old, runCtx := e.byKey, e.runCtx
	e.mu.RUnlock()

	final := make([]*group, 0, len(built))
	byKey := make(map[string]*group, len(built))
	var toStart []*group
	for _, ng := range built {
		if _, dup := byKey[ng.key]; dup {
			continue // the same file listed twice
		}
		og := old[ng.key]
		switch {
		case og != nil && og.equal(ng):
			ng = og
		case og != nil:
			og.stop()
			ng.takeOver(og)
			toStart = append(toStart, ng)
		default:
			toStart = append(toStart, ng)
		}
		final = append(final, ng)
		byKey[ng.key] = ng
	}
	for key, og := range old {
		if _, ok := byKey[key]; !ok {
			og.stop()
			e.retire(og)
		}
	}
	e.state.retain(func(key string) bool { return byKey[key] != nil }) // removed groups' alerts too
	slices.SortFunc(final, func(a, b *group) int {
		if c := strings.Compare(a.prom.File(), b.prom.File()); c != 0 {
			return c
		}
		return strings.Compare(a.prom.Name(), b.prom.Name())
	})
	link(final)
	recorded := map[string]bool{}
	for _, g := range final {
		for _, d := range g.defs {
			if d.record != "" {
				recorded[d.record] = true
			}
		}
	}

	e.mu.Lock()
	e.groups, e.byKey, e.recorded = final, byKey, recorded
	e.gen++
	e.mu.Unlock()
	if runCtx != nil {
		for _, g := range toStart {
			e.start(runCtx, g)
		}
	}
	e.metrics.groups.Set(float64(len(final)))
	e.logger.Info("rules loaded", "files", len(loaded), "pack_files", len(pack), "groups", len(final))
	return nil
}

// build turns parsed files into (not yet running) groups.
func (e *Evaluator) build(files []File, interval time.Duration) []*group {
	specs := map[string]querySpec{}
	n := notifier{notify: e.opts.Notify, externalLabels: e.opts.ExternalLabels, externalURL: e.opts.ExternalURL}
	mopts := &promrules.ManagerOptions{
		NameValidationScheme: model.UTF8Validation,
		QueryFunc:            queryFunc(queryEnv{engine: e.opts.Engine, queryable: e.opts.Queryable, scratch: &sync.Pool{}}, specs),
		NotifyFunc:           n.send,
		Context:              context.Background(),
		Appendable:           appendable{open: e.opts.Appender},
		Queryable:            e.opts.Queryable,
		Logger:               e.logger,
		OutageTolerance:      e.opts.OutageTolerance,
		ForGracePeriod:       e.opts.ForGracePeriod,
		ResendDelay:          e.opts.ResendDelay,
		Metrics:              e.promMetrics,
	}
	if u := e.opts.ExternalURL; u != "" {
		mopts.ExternalURL, _ = parseURL(u)
	}
	var out []*group
	for _, f := range files {
		for _, gs := range f.Groups {
			itv := gs.Interval
			if itv <= 0 {
				itv = interval
			}
			minItv := gs.MinInterval
			if minItv <= 0 || minItv > itv {
				minItv = itv
			}
			rs := make([]promrules.Rule, 0, len(gs.defs))
			for _, d := range gs.defs {
				if d.query != nil {
					specs[d.expr.String()] = d.query
				}
				if d.record != "" {
					rs = append(rs, promrules.NewRecordingRule(d.record, d.expr, d.labels))
					continue
				}
				rs = append(rs, promrules.NewAlertingRule(d.alert, d.expr, d.hold, d.keepFiringFor, d.labels, d.annotations,
					e.opts.ExternalLabels, e.opts.ExternalURL, !e.restore, e.logger.With("alert", d.alert)))
			}
			pg := promrules.NewGroup(promrules.GroupOptions{
				Name:        gs.Name,
				File:        f.Name,
				Interval:    itv,
				Limit:       gs.Limit,
				Rules:       rs,
				QueryOffset: gs.QueryOffset,
				Opts:        mopts,
			})
			out = append(out, newGroup(pg, mopts, gs.defs, itv, minItv, !e.restore))
		}
	}
	return out
}

// retire writes staleness markers for the series of a removed group and
// drops its metrics.
func (e *Evaluator) retire(og *group) {
	og.evalMu.Lock()
	defer og.evalMu.Unlock()
	if og.evaluated {
		tomb := promrules.NewGroup(promrules.GroupOptions{
			Name:     og.prom.Name(),
			File:     og.prom.File(),
			Interval: og.interval,
			Opts:     og.mopts,
		})
		tomb.CopyState(og.prom)
		ts := max(e.opts.Now().UnixMilli(), og.lastTs+1)
		tomb.Eval(context.Background(), time.UnixMilli(ts))
	}
	key := og.key
	m := e.promMetrics
	for _, v := range []interface{ DeleteLabelValues(...string) bool }{
		m.IterationsMissed, m.IterationsScheduled, m.EvalTotal, m.EvalFailures, m.GroupInterval,
		m.GroupLastEvalTime, m.GroupLastDuration, m.GroupRules, m.GroupSamples,
		m.GroupLastRuleDurationSum, m.GroupLastRestoreDuration,
	} {
		v.DeleteLabelValues(key)
	}
}

// start runs g's loop under ctx.
func (e *Evaluator) start(ctx context.Context, g *group) {
	g.quit = make(chan struct{})
	g.done = make(chan struct{})
	go e.loop(ctx, g)
}

// loop evaluates g when triggered (no sooner than minInterval after its
// previous evaluation) and at least every interval.
func (e *Evaluator) loop(ctx context.Context, g *group) {
	defer close(g.done)
	timer := time.NewTimer(g.interval)
	defer timer.Stop()
	for {
		kind := triggerInterval
		select {
		case <-ctx.Done():
			return
		case <-g.quit:
			return
		case <-timer.C:
		case <-g.wake:
			kind = triggerIngest
			g.evalMu.Lock()
			next, evaluated := g.last.Add(g.minInterval), g.evaluated
			g.evalMu.Unlock()
			if evaluated {
				if wait := next.Sub(e.opts.Now()); wait > 0 {
					t := time.NewTimer(wait)
					select {
					case <-ctx.Done():
						t.Stop()
						return
					case <-g.quit:
						t.Stop()
						return
					case <-t.C:
					}
				}
			}
		}
		tr, ok := g.take()
		if kind == triggerIngest && !ok {
			continue // its trigger was consumed by the previous evaluation
		}
		if ok && kind == triggerIngest && tr.at.IsZero() {
			kind = triggerChain
		}
		now := e.opts.Now()
		ts := max(now.UnixMilli(), tr.ts)
		if !tr.at.IsZero() {
			e.metrics.triggerDelay.Observe(now.Sub(tr.at).Seconds())
		}
		g.evalMu.Lock()
		e.evalAt(ctx, g, ts)
		if kind == triggerIngest && !tr.at.IsZero() {
			g.last = tr.at
		}
		g.evalMu.Unlock()
		e.metrics.evaluations.WithLabelValues(kind).Inc()
		if ctx.Err() != nil {
			return
		}
		// Groups reading this one's output see new data only when it
		// evaluated new data (interval evaluations re-evaluate old data,
		// and the readers' own intervals cover that).
		if kind != triggerInterval && tr.depth < maxChainDepth {
			e.mu.RLock()
			deps := g.dependents
			e.mu.RUnlock()
			for _, d := range deps {
				d.trigger(g.lastTs, time.Time{}, tr.depth+1)
			}
		}
		timer.Reset(g.interval)
	}
}
