package storage

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	promstorage "github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/util/annotations"
)

// Latest samples.
//
// An alerting rule such as `kafka_consumergroup_lag_sum > 1e5` reads one
// sample per series: the newest one no older than the lookback delta. The
// TSDB finds it by decoding the series' head chunk from its start, which
// was the largest single cost of evaluating a thousand such rules. The
// storage therefore remembers, per head series, the newest sample each
// Commit made visible, and LatestQueryable answers selectors that need
// nothing else from that memory, with the same result PromQL would get
// from the TSDB:
//
//   - A selector qualifies when the engine evaluates it at one instant:
//     no range, no step (not inside a subquery or range query), a window of
//     exactly the lookback delta (not a smoothed selector), no limit or
//     sharding. Anything else is read from the TSDB.
//   - For each head series the matchers select, the remembered sample is
//     returned when it lies in the window. A remembered sample newer than
//     the window's end (an evaluation in the past) sends the whole select
//     to the TSDB, since an older sample would be the answer.
//   - A series with no remembered sample received none since the memory
//     started (Open, or its last reset), or its page was dropped; the
//     newest sample it may have is no newer than the floor (the newest
//     stored at Open, the newest recorded at a reset, the page's newest
//     when it was dropped). When the floor is older than the window, such
//     a series has nothing in it and is skipped; otherwise the select goes
//     to the TSDB.
//   - The memory is updated when Commit has written the samples to the
//     TSDB and before it returns, so a query that starts after Commit
//     returned sees them, as it would in the TSDB.
//   - Deleting series resets the memory (and raises the floor), since
//     the remembered samples may be deleted ones.
//   - Series references are never reused, so series churn would grow the
//     memory for ever: a page (1,024 consecutive references) no commit
//     wrote into for 10 minutes is dropped, leaving its newest timestamp
//     as the floor of its series.

// latestPageBits sets the entries per page of latestSamples: 1,024, 16 KiB.
const latestPageBits = 10

// latestIdleAfter is how long a page of the latest samples is kept without
// a commit writing into it. It is longer than the lookback delta, so that
// the floor a dropped page leaves is usually older than a current window
// and selects of its series are still answered from the memory.
const latestIdleAfter = 10 * time.Minute

// latestPage holds the newest committed sample of 1,024 consecutive
// series references; t is math.MinInt64 for a reference with none.
type latestPage struct {
	mu sync.RWMutex
	// maxT is the newest timestamp written into the page, and touched
	// when (Unix ns) a commit last wrote into it.
	maxT    int64
	touched int64
	t       [1 << latestPageBits]int64
	v       [1 << latestPageBits]float64
}

// newLatestPage returns a page without samples.
func newLatestPage() *latestPage {
	p := &latestPage{maxT: math.MinInt64}
	for i := range p.t {
		p.t[i] = math.MinInt64
	}
	return p
}

// latestSamples is the storage's memory of the newest committed float
// sample of every head series, indexed by series reference.
type latestSamples struct {
	// mu guards pages, floors, floor and checked. Commits hold it for
	// reading while they record their samples.
	mu    sync.RWMutex
	pages []*latestPage
	// floors[n] bounds the timestamps of the samples of page n's series
	// when the page was dropped for idleness (the page's maxT then).
	floors []int64
	// floor bounds the timestamps of samples committed before the
	// memory started (or was last reset).
	floor int64
	// maxSeen is the newest timestamp recorded, raised before the samples
	// are written, so that a reset dropping them raises the floor above
	// them.
	maxSeen atomic.Int64
	// checked is when idle pages were last looked for.
	checked time.Time
	// answered and fellBack count the instant selects answered from the
	// memory and those it sent to the TSDB.
	answered, fellBack atomic.Uint64
}

// appended is one sample of a transaction, recorded at Commit.
type appended struct {
	ref uint64
	t   int64
	v   float64
}

// newLatestSamples returns an empty memory whose floor is floor.
func newLatestSamples(floor int64) *latestSamples {
	l := &latestSamples{floor: floor}
	l.maxSeen.Store(floor)
	return l
}

// record remembers the committed samples recs, keeping for each series
// the newest; now is the commit's time.
func (l *latestSamples) record(recs []appended, now time.Time) {
	if len(recs) == 0 {
		return
	}
	newest := recs[0].t
	for _, r := range recs[1:] {
		newest = max(newest, r.t)
	}
	for {
		seen := l.maxSeen.Load()
		if newest <= seen || l.maxSeen.CompareAndSwap(seen, newest) {
			break
		}
	}
	stamp := now.UnixNano()
	l.mu.RLock()
	var (
		page   *latestPage
		pageNo = -1
	)
	for _, r := range recs {
		if n := int(r.ref >> latestPageBits); n != pageNo {
			if page != nil {
				page.mu.Unlock()
			}
			page, pageNo = l.pageLocked(n), n
			page.mu.Lock()
			page.touched = stamp
		}
		i := r.ref & (1<<latestPageBits - 1)
		if r.t >= page.t[i] {
			page.t[i], page.v[i] = r.t, r.v
		}
		page.maxT = max(page.maxT, r.t)
	}
	page.mu.Unlock()
	l.mu.RUnlock()
}

// pageLocked returns page n, creating it (and growing pages) if needed.
// The caller holds l.mu for reading; growing takes it for writing in
// between, which a reset may use: the page returned then belongs to the
// memory as reset, and the samples written before went with the dropped
// pages, below the raised floor.
func (l *latestSamples) pageLocked(n int) *latestPage {
	if n < len(l.pages) && l.pages[n] != nil {
		return l.pages[n]
	}
	l.mu.RUnlock()
	l.mu.Lock()
	if n >= len(l.pages) {
		l.pages = append(l.pages, make([]*latestPage, n+1-len(l.pages))...)
	}
	if l.pages[n] == nil {
		l.pages[n] = newLatestPage()
	}
	p := l.pages[n]
	l.mu.Unlock()
	l.mu.RLock()
	return p
}

// floorLocked bounds the timestamps of a series of page n that has no
// remembered sample; the caller holds l.mu.
func (l *latestSamples) floorLocked(n int) int64 {
	if n < len(l.floors) {
		return max(l.floor, l.floors[n])
	}
	return l.floor
}

// reset forgets every remembered sample, raising the floor to the newest
// one recorded.
func (l *latestSamples) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.floor = max(l.floor, l.maxSeen.Load())
	l.pages, l.floors = nil, nil
}

// dropIdle drops, at most once a minute, the pages no commit wrote into
// for latestIdleAfter: series that stopped (series references are never
// reused, so churn would otherwise grow the memory for ever). Each
// dropped page leaves its newest timestamp as the floor of its series.
func (l *latestSamples) dropIdle(now time.Time) {
	l.mu.RLock()
	due := now.Sub(l.checked) >= time.Minute
	l.mu.RUnlock()
	if !due {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.checked = now
	idleSince := now.Add(-latestIdleAfter).UnixNano()
	for n, p := range l.pages {
		if p == nil || p.touched > idleSince {
			continue
		}
		if n >= len(l.floors) {
			grown := make([]int64, n+1)
			for i := range grown {
				grown[i] = math.MinInt64
			}
			copy(grown, l.floors)
			l.floors = grown
		}
		l.floors[n] = max(l.floors[n], p.maxT)
		l.pages[n] = nil
	}
}

// register registers the select counters with reg.
func (l *latestSamples) register(reg prometheus.Registerer) error {
	const name, help = "pipewatch_storage_latest_selects_total", "Instant selects of rule evaluation, the topology and the query API, by what answered them: the latest committed samples (memory) or the TSDB (tsdb)."
	for _, c := range []struct {
		answer string
		n      *atomic.Uint64
	}{{"memory", &l.answered}, {"tsdb", &l.fellBack}} {
		err := reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: name, Help: help, ConstLabels: prometheus.Labels{"answer": c.answer},
		}, func() float64 { return float64(c.n.Load()) }))
		if err != nil {
			return err
		}
	}
	return nil
}

// latestSeries is one series a latest select returns.
type latestSeries struct {
	ref  uint64
	lset labels.Labels
	t    int64
	v    float64
}

// selectLatest answers an instant selector from the memory: the series
// the matchers select in head with their newest sample in
// [hints.Start, hints.End]. ok is false when the memory cannot answer and
// the TSDB must.
func (l *latestSamples) selectLatest(ctx context.Context, head *tsdb.Head, hints *promstorage.SelectHints, sortSeries bool, ms []*labels.Matcher) (out []latestSeries, ok bool) {
	ir, err := head.Index()
	if err != nil {
		return nil, false
	}
	defer ir.Close()
	p, err := tsdb.PostingsForMatchers(ctx, ir, ms...)
	if err != nil {
		return nil, false
	}
	for p.Next() {
		ref := uint64(p.At())
		t, v, known, floor := l.lookup(ref)
		switch {
		case !known:
			if floor >= hints.Start {
				return nil, false
			}
			continue
		case t > hints.End:
			return nil, false
		case t < hints.Start:
			continue
		}
		out = append(out, latestSeries{ref: ref, t: t, v: v})
	}
	if p.Err() != nil {
		return nil, false
	}
	var b labels.ScratchBuilder
	kept := out[:0]
	for _, s := range out {
		if err := ir.Series(promstorage.SeriesRef(s.ref), &b, nil); err != nil {
			if errors.Is(err, promstorage.ErrNotFound) {
				continue // dropped from the head since the postings were read
			}
			return nil, false
		}
		s.lset = b.Labels()
		kept = append(kept, s)
	}
	if sortSeries {
		slices.SortFunc(kept, func(a, b latestSeries) int { return labels.Compare(a.lset, b.lset) })
	}
	return kept, true
}

// lookup returns the remembered sample of ref or, when there is none, the
// floor of its timestamps.
func (l *latestSamples) lookup(ref uint64) (t int64, v float64, known bool, floor int64) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if t, v, known = l.getLocked(ref); known {
		return t, v, true, 0
	}
	return 0, 0, false, l.floorLocked(int(ref >> latestPageBits))
}

// getLocked returns the remembered sample of ref; the caller holds l.mu
// for reading.
func (l *latestSamples) getLocked(ref uint64) (t int64, v float64, ok bool) {
	n := int(ref >> latestPageBits)
	if n >= len(l.pages) || l.pages[n] == nil {
		return 0, 0, false
	}
	page := l.pages[n]
	i := ref & (1<<latestPageBits - 1)
	page.mu.RLock()
	t, v = page.t[i], page.v[i]
	page.mu.RUnlock()
	return t, v, t != math.MinInt64
}

// LatestQueryable returns a Queryable that answers instant selectors
// evaluated with lookback delta lookback from the newest committed sample
// of each series (see "Latest samples" in latest.go), and everything else
// from the TSDB; its chunk queriers are the TSDB's. Rule evaluation, the
// topology and the query API read through it.
func (s *Storage) LatestQueryable(lookback time.Duration) promstorage.SampleAndChunkQueryable {
	return latestQueryable{s: s, lookback: lookback.Milliseconds()}
}

// latestQueryable is the Queryable LatestQueryable returns.
type latestQueryable struct {
	s        *Storage
	lookback int64
}

// Querier implements storage.Queryable.
func (q latestQueryable) Querier(mint, maxt int64) (promstorage.Querier, error) {
	inner, err := q.s.db.Querier(mint, maxt)
	if err != nil {
		return nil, err
	}
	return &latestQuerier{Querier: inner, q: q}, nil
}

// ChunkQuerier implements storage.ChunkQueryable: the TSDB's.
func (q latestQueryable) ChunkQuerier(mint, maxt int64) (promstorage.ChunkQuerier, error) {
	return q.s.db.ChunkQuerier(mint, maxt)
}

// latestQuerier is a TSDB querier whose instant selectors are answered
// from the latest samples when they can be.
type latestQuerier struct {
	promstorage.Querier
	q latestQueryable
}

// Select implements storage.Querier.
func (lq *latestQuerier) Select(ctx context.Context, sortSeries bool, hints *promstorage.SelectHints, ms ...*labels.Matcher) promstorage.SeriesSet {
	if lq.instant(hints) {
		l := lq.q.s.latest
		if series, ok := l.selectLatest(ctx, lq.q.s.db.Head(), hints, sortSeries, ms); ok {
			l.answered.Add(1)
			return &latestSet{series: series, i: -1}
		}
		l.fellBack.Add(1)
	}
	return lq.Querier.Select(ctx, sortSeries, hints, ms...)
}

// instant reports whether hints select one instant's sample per series,
// from a window whose samples are all in the head.
func (lq *latestQuerier) instant(h *promstorage.SelectHints) bool {
	return h != nil && h.Range == 0 && h.Step == 0 && h.Limit == 0 && h.ShardCount == 0 &&
		h.End-h.Start == lq.q.lookback-1 && lq.q.s.allInHead(h.Start)
}

// allInHead reports whether every stored sample at or after t is in the
// head: t is not before the head's oldest sample, or no persisted block
// holds a sample at or after t (a young TSDB, or one just started).
func (s *Storage) allInHead(t int64) bool {
	if t >= s.db.Head().MinTime() {
		return true
	}
	for _, b := range s.db.Blocks() {
		if b.Meta().MaxTime > t {
			return false
		}
	}
	return true
}

// latestSet is the series set of a latest select.
type latestSet struct {
	series []latestSeries
	i      int
}

// Next implements storage.SeriesSet.
func (s *latestSet) Next() bool {
	s.i++
	return s.i < len(s.series)
}

// At implements storage.SeriesSet.
func (s *latestSet) At() promstorage.Series { return &s.series[s.i] }

// Err implements storage.SeriesSet: a latest select cannot fail.
func (s *latestSet) Err() error { return nil }

// Warnings implements storage.SeriesSet.
func (s *latestSet) Warnings() annotations.Annotations { return nil }

// Labels implements storage.Series.
func (s *latestSeries) Labels() labels.Labels { return s.lset }

// Iterator implements storage.Series: the one remembered sample.
func (s *latestSeries) Iterator(it chunkenc.Iterator) chunkenc.Iterator {
	if r, ok := it.(interface{ Reset(promstorage.Samples) }); ok {
		r.Reset(s)
		return it
	}
	return promstorage.NewListSeriesIterator(s)
}

// The series is its own sample list (storage.Samples) of one float sample
// (chunks.Sample), so that iterating it allocates nothing.

// Get implements storage.Samples.
func (s *latestSeries) Get(int) chunks.Sample { return s }

// Len implements storage.Samples.
func (s *latestSeries) Len() int { return 1 }

// T implements chunks.Sample.
func (s *latestSeries) T() int64 { return s.t }

// ST implements chunks.Sample: the storage's samples carry no start
// timestamp.
func (s *latestSeries) ST() int64 { return 0 }

// F implements chunks.Sample.
func (s *latestSeries) F() float64 { return s.v }

// H implements chunks.Sample.
func (s *latestSeries) H() *histogram.Histogram { return nil }

// FH implements chunks.Sample.
func (s *latestSeries) FH() *histogram.FloatHistogram { return nil }

// Type implements chunks.Sample.
func (s *latestSeries) Type() chunkenc.ValueType { return chunkenc.ValFloat }

// Copy implements chunks.Sample.
func (s *latestSeries) Copy() chunks.Sample {
	c := *s
	return &c
}
