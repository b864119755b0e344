package rules

import (
	"context"
	"net/url"
	"sync"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	promrules "github.com/prometheus/prometheus/rules"
)

// group is a Prometheus rule group with pipewatch's schedule: what it
// reads (to be triggered by ingest), what it writes (to trigger the groups
// that read it) and its pending trigger.
type group struct {
	prom        *promrules.Group
	mopts       *promrules.ManagerOptions
	key         string
	interval    time.Duration
	minInterval time.Duration
	// selectors are the label matchers of every vector selector the
	// group's expressions contain.
	selectors [][]*labels.Matcher
	// outputs are the known labels of the series the group writes.
	outputs []labels.Labels
	// dependents are the other groups that read the group's outputs; set
	// by link under Evaluator.mu.
	dependents []*group

	wake   chan struct{} // capacity 1: a trigger is pending
	trigMu sync.Mutex
	trig   trigger
	hasTrg bool

	// evalMu serialises evaluations; the fields below it are written
	// only while holding it.
	evalMu    sync.Mutex
	restored  bool
	evaluated bool
	// last is when the data the last evaluation read arrived: the commit
	// that triggered it, or its own start for other evaluations. Minimum
	// spacing counts from it, so that an evaluation that had to wait does
	// not push every later one back by the same wait (with commits exactly
	// min_interval apart, spacing from evaluation starts would lock the
	// group into a constant delay).
	last   time.Time
	lastTs int64 // evaluation timestamp (ms) of the last evaluation

	quit, done chan struct{} // set by Evaluator.start
	defs       []ruleDef
}

// trigger is a pending reason to evaluate a group.
type trigger struct {
	ts    int64     // newest data timestamp (ms) it was triggered for
	at    time.Time // earliest commit behind it; zero for chain triggers
	depth int       // chain depth: 0 for ingest
}

func newGroup(pg *promrules.Group, mopts *promrules.ManagerOptions, defs []ruleDef, interval, minInterval time.Duration, restored bool) *group {
	g := &group{
		prom:        pg,
		mopts:       mopts,
		key:         promrules.GroupKey(pg.File(), pg.Name()),
		interval:    interval,
		minInterval: minInterval,
		wake:        make(chan struct{}, 1),
		restored:    restored,
		defs:        defs,
	}
	for _, d := range defs {
		parser.Inspect(d.expr, func(n parser.Node, _ []parser.Node) error {
			if vs, ok := n.(*parser.VectorSelector); ok {
				g.selectors = append(g.selectors, vs.LabelMatchers)
			}
			return nil
		})
		if d.record != "" {
			b := labels.NewBuilder(d.labels)
			b.Set(model.MetricNameLabel, d.record)
			g.outputs = append(g.outputs, b.Labels())
			continue
		}
		g.outputs = append(g.outputs,
			labels.FromStrings(model.MetricNameLabel, "ALERTS", labels.AlertName, d.alert),
			labels.FromStrings(model.MetricNameLabel, "ALERTS_FOR_STATE", labels.AlertName, d.alert))
	}
	return g
}

// trigger records a reason to evaluate and wakes the group's loop. It
// never blocks.
func (g *group) trigger(ts int64, at time.Time, depth int) {
	g.trigMu.Lock()
	if !g.hasTrg {
		g.trig = trigger{ts: ts, at: at, depth: depth}
		g.hasTrg = true
	} else {
		g.trig.ts = max(g.trig.ts, ts)
		g.trig.depth = min(g.trig.depth, depth)
		if g.trig.at.IsZero() || (!at.IsZero() && at.Before(g.trig.at)) {
			g.trig.at = at
		}
	}
	g.trigMu.Unlock()
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// take returns and clears the pending trigger.
func (g *group) take() (trigger, bool) {
	g.trigMu.Lock()
	defer g.trigMu.Unlock()
	t, ok := g.trig, g.hasTrg
	g.trig, g.hasTrg = trigger{}, false
	return t, ok
}

// equal reports whether ng is the same group as g, rules and schedule.
func (g *group) equal(ng *group) bool {
	return g.prom.Equals(ng.prom) && g.minInterval == ng.minInterval
}

// takeOver makes g continue the stopped group og: alert state, series for
// staleness, and schedule.
func (g *group) takeOver(og *group) {
	og.evalMu.Lock()
	defer og.evalMu.Unlock()
	g.prom.CopyState(og.prom)
	for _, r := range g.prom.AlertingRules() {
		r.SetRestored(true)
	}
	g.restored = true
	g.evaluated, g.last, g.lastTs = og.evaluated, og.last, og.lastTs
}

// stop ends g's loop, if running, after its current evaluation.
func (g *group) stop() {
	if g.quit == nil {
		return
	}
	select {
	case <-g.quit:
	default:
		close(g.quit)
	}
	<-g.done
}

// reads reports whether any of g's selectors may select a series with the
// given labels; labels a matcher names that src lacks count as unknown,
// that is as a match.
func (g *group) reads(src labels.Labels) bool {
	for _, ms := range g.selectors {
		if selects(ms, src) {
			return true
		}
	}
	return false
}

func selects(ms []*labels.Matcher, src labels.Labels) bool {
	for _, m := range ms {
		if src.Has(m.Name) && !m.Matches(src.Get(m.Name)) {
			return false
		}
	}
	return true
}

// link sets every group's dependents: the other groups that read what it
// writes.
func link(groups []*group) {
	for _, g := range groups {
		g.dependents = nil
		for _, h := range groups {
			if h == g {
				continue
			}
			for _, out := range g.outputs {
				if h.reads(out) {
					g.dependents = append(g.dependents, h)
					break
				}
			}
		}
	}
}

// jobInfo caches what a job writes and which groups read it.
type jobInfo struct {
	src     []labels.Labels // {__name__, job} per metric name, or {job} when unknown
	fetched time.Time
	gen     uint64 // configuration generation groups was computed for
	groups  []*group
}

// groupsForJob returns the groups that read a metric the job writes. The
// job's metric names come from storage (series of the job seen within the
// lookback window) and are cached for jobNamesTTL; names that recording
// rules write (with the job's label) do not count.
func (e *Evaluator) groupsForJob(ctx context.Context, job string, gen uint64, groups []*group, recorded map[string]bool) []*group {
	now := e.opts.Now()
	ji := e.jobs[job]
	if ji == nil || now.Sub(ji.fetched) >= jobNamesTTL {
		src, known := e.jobSources(ctx, job, now)
		ji = &jobInfo{src: src}
		if known {
			ji.fetched = now // else look again at the next commit
		}
		e.jobs[job] = ji
	}
	if ji.gen != gen {
		ji.groups = nil
		for _, g := range groups {
			for _, src := range ji.src {
				if recorded[src.Get(model.MetricNameLabel)] {
					continue
				}
				if g.reads(src) {
					ji.groups = append(ji.groups, g)
					break
				}
			}
		}
		ji.gen = gen
	}
	return ji.groups
}

// jobSources returns one {__name__, job} label set per metric name the job
// wrote recently and true; if storage cannot say, {job} alone, which
// matches every group that may read the job, and false.
func (e *Evaluator) jobSources(ctx context.Context, job string, now time.Time) ([]labels.Labels, bool) {
	unknown := []labels.Labels{labels.FromStrings("job", job)}
	q, err := e.opts.Queryable.Querier(now.Add(-lookbackDelta).UnixMilli(), now.UnixMilli())
	if err != nil {
		e.logger.Warn("look up metric names of job", "target", job, "err", err)
		return unknown, false
	}
	defer q.Close()
	names, _, err := q.LabelValues(ctx, model.MetricNameLabel, nil, labels.MustNewMatcher(labels.MatchEqual, "job", job))
	if err != nil {
		e.logger.Warn("look up metric names of job", "target", job, "err", err)
		return unknown, false
	}
	if len(names) == 0 {
		return unknown, false
	}
	out := make([]labels.Labels, len(names))
	for i, n := range names {
		out[i] = labels.FromStrings(model.MetricNameLabel, n, "job", job)
	}
	return out, true
}

func parseURL(s string) (*url.URL, error) { return url.Parse(s) }
