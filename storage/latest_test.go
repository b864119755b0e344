package storage

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/promql"
	promstorage "github.com/prometheus/prometheus/storage"
)

const testLookback = 5 * time.Minute

// latestWorld writes series of every shape the latest samples must get
// right into st, ending at end: regular ones, series that stopped 3, 10
// and 38 minutes before end (2 minutes after the first samples), one ended by a stale marker, one whose last
// append is out of order, one with a sample after end, and one that
// repeats its last timestamp.
func latestWorld(t *testing.T, st *Storage, end int64, rng *rand.Rand) {
	t.Helper()
	const step = 10_000
	app := st.Appender(context.Background())
	add := func(l labels.Labels, ts int64, v float64) {
		if _, err := app.Append(0, l, ts, v); err != nil && !IsSampleRejected(err) {
			t.Fatal(err)
		}
	}
	series := func(name string, i int) labels.Labels {
		return labels.FromStrings(model.MetricNameLabel, name, "job", "kafka/test", "consumergroup", fmt.Sprintf("g%02d", i%7), "partition", fmt.Sprint(i))
	}
	for ts := end - 40*60_000; ts <= end; ts += step {
		for i := range 30 {
			add(series("lag", i), ts, float64(rng.IntN(1000)))
			if ts <= end-3*60_000 {
				add(series("stopped3m", i), ts, float64(i))
			}
			if ts <= end-10*60_000 {
				add(series("stopped10m", i), ts, float64(i))
			}
			if ts <= end-38*60_000 {
				add(series("early", i), ts, float64(i))
			}
		}
		// One commit per collection round, as collectors do.
		if err := app.Commit(); err != nil {
			t.Fatal(err)
		}
		app = st.Appender(context.Background())
	}
	for i := range 5 {
		add(series("stale", i), end-60_000, 1)
		add(series("stale", i), end-30_000, math.Float64frombits(value.StaleNaN))
		add(series("ooo", i), end-20_000, 1)
		add(series("ooo", i), end-90_000, 2) // out of order, accepted
		add(series("future", i), end-120_000, 1)
		add(series("future", i), end+60_000, 2)
		add(series("dup", i), end, 3)
		add(series("dup", i), end, 3)
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
}

// latestExprs are instant-query expressions over latestWorld: plain and
// aggregated selectors, which the latest samples answer, and ranges,
// subqueries, offsets and @ modifiers, which must fall back.
var latestExprs = []string{
	`lag`, `lag > 500`, `sum by (consumergroup) (lag)`, `count(stopped3m)`, `count(stopped10m)`,
	`stopped3m`, `early`, `stale`, `ooo`, `future`, `dup`, `timestamp(lag)`, `timestamp(ooo)`,
	`lag / on (consumergroup, partition, job) stopped3m`, `absent(stopped10m)`, `absent(nosuch)`,
	`rate(lag[5m])`, `max_over_time(lag[1m])`, `lag offset 2m`, `lag offset 6m`, `max_over_time(lag[10m:1m])`,
	`lag @ 1000`, `lag offset -1m`, `ooo offset -30s`, `sort_desc(topk(3, lag))`, `{__name__=~"stale|ooo|future"}`,
}

// TestLatestQueryableMatchesTSDB evaluates latestExprs through the engine
// on the TSDB and on LatestQueryable at instants around the end of the
// data (before it, at it, inside and past the lookback), and requires the
// same results; that the latest samples answered is checked too, so that
// the comparison does not pass by always falling back.
func TestLatestQueryableMatchesTSDB(t *testing.T) {
	st, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	end := time.Now().Truncate(time.Second).UnixMilli()
	latestWorld(t, st, end, rand.New(rand.NewPCG(1, 2)))

	engine := promql.NewEngine(promql.EngineOpts{MaxSamples: 1e7, Timeout: time.Minute, LookbackDelta: testLookback, EnableAtModifier: true, EnableNegativeOffset: true})
	latest := st.LatestQueryable(testLookback)
	compareAt := func(t *testing.T, at int64) {
		t.Helper()
		for _, expr := range latestExprs {
			want := instant(t, engine, st.Queryable(), expr, at)
			got := instant(t, engine, latest, expr, at)
			if want != got {
				t.Errorf("%s at end%+ds:\nTSDB:   %s\nlatest: %s", expr, (at-end)/1000, want, got)
			}
		}
	}
	answered := st.latest.answered.Load()
	for _, d := range []int64{-2_300_000, -600_000, -200_000, -30_000, -1, 0, 1, 10_000, 59_999, 60_000, 200_000, 299_999, 300_000, 400_000} {
		compareAt(t, end+d)
	}
	if n := st.latest.answered.Load() - answered; n < 50 {
		t.Errorf("the latest samples answered %d selects, want most plain ones", n)
	}

	// Dropping idle pages leaves floors that keep the answers right.
	st.latest.dropIdle(time.Now().Add(time.Hour))
	if n := st.latest.pagesHeld(); n != 0 {
		t.Fatalf("%d pages held after all went idle", n)
	}
	compareAt(t, end)
	compareAt(t, end+testLookback.Milliseconds()+1)

	// Deleting series forgets the latest samples. (Whole series: deleting
	// part of one makes the TSDB's own query panic when it also trims the
	// series' chunks, in tombstones.Intervals.Add of Prometheus v0.315.0.)
	ms := []*labels.Matcher{labels.MustNewMatcher(labels.MatchEqual, model.MetricNameLabel, "lag"), labels.MustNewMatcher(labels.MatchEqual, "partition", "3")}
	if err := st.Delete(context.Background(), math.MinInt64, math.MaxInt64, ms...); err != nil {
		t.Fatal(err)
	}
	compareAt(t, end)

	// So does a reset: series without a remembered sample fall back
	// until the floor is older than the window.
	st.latest.reset()
	compareAt(t, end)
	compareAt(t, end+testLookback.Milliseconds()+1)
}

// TestLatestQueryableAfterReopen checks the answers after a restart: the
// WAL replay is not remembered, so selects fall back until new samples
// are committed, and then match the TSDB again.
func TestLatestQueryableAfterReopen(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	end := time.Now().Truncate(time.Second).UnixMilli()
	rng := rand.New(rand.NewPCG(3, 4))
	latestWorld(t, st, end, rng)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	engine := promql.NewEngine(promql.EngineOpts{MaxSamples: 1e7, Timeout: time.Minute, LookbackDelta: testLookback, EnableAtModifier: true, EnableNegativeOffset: true})
	for _, expr := range []string{`lag`, `stopped3m`, `stale`} {
		if want, got := instant(t, engine, st.Queryable(), expr, end), instant(t, engine, st.LatestQueryable(testLookback), expr, end); want != got {
			t.Errorf("%s after reopen:\nTSDB:   %s\nlatest: %s", expr, want, got)
		}
	}
	if n := st.latest.answered.Load(); n != 0 {
		t.Errorf("%d selects answered from an empty memory", n)
	}
	app := st.Appender(context.Background())
	for i := range 30 {
		l := labels.FromStrings(model.MetricNameLabel, "lag", "job", "kafka/test", "consumergroup", fmt.Sprintf("g%02d", i%7), "partition", fmt.Sprint(i))
		if _, err := app.Append(0, l, end+10_000, 7); err != nil {
			t.Fatal(err)
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	want := instant(t, engine, st.Queryable(), `lag`, end+10_000)
	if got := instant(t, engine, st.LatestQueryable(testLookback), `lag`, end+10_000); got != want {
		t.Errorf("lag after new samples:\nTSDB:   %s\nlatest: %s", want, got)
	}
	if n := st.latest.answered.Load(); n != 1 {
		t.Errorf("%d selects answered after new samples, want 1", n)
	}
}

// TestLatestSamplesDropIdlePages checks that pages no commit wrote into
// for latestIdleAfter are dropped, at most once a minute, each leaving its
// newest timestamp as the floor of its series, and that others are kept.
func TestLatestSamplesDropIdlePages(t *testing.T) {
	l := newLatestSamples(math.MinInt64)
	now := time.Now()
	var recs []appended
	for page := range uint64(4) {
		recs = append(recs, appended{ref: page << latestPageBits, t: int64(100 + page), v: 1}, appended{ref: page<<latestPageBits + 7, t: int64(200 + page), v: 2})
	}
	l.record(recs, now)
	l.record([]appended{{ref: 2<<latestPageBits + 1, t: 300, v: 3}}, now.Add(5*time.Minute))
	l.dropIdle(now.Add(latestIdleAfter - time.Second))
	if got := l.pagesHeld(); got != 4 {
		t.Fatalf("%d pages after a check before any page was idle for long, want 4", got)
	}
	l.dropIdle(now.Add(latestIdleAfter + 30*time.Second))
	if got := l.pagesHeld(); got != 4 {
		t.Fatalf("%d pages after a second check within a minute, want 4", got)
	}
	l.dropIdle(now.Add(latestIdleAfter + time.Minute))
	if got := l.pagesHeld(); got != 1 || l.pages[2] == nil {
		t.Fatalf("%d pages held after the idle ones were dropped, want page 2 alone", got)
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	for page, want := range []int64{200, 201, math.MinInt64, 203} {
		if got := l.floorLocked(page); got != want {
			t.Errorf("floor of page %d = %d, want %d", page, got, want)
		}
	}
	if got := l.floorLocked(9); got != math.MinInt64 {
		t.Errorf("floor of a page never held = %d, want the memory's", got)
	}
	if _, _, ok := l.getLocked(2<<latestPageBits + 1); !ok {
		t.Error("the kept page lost its sample")
	}
}

// pagesHeld counts the pages held.
func (l *latestSamples) pagesHeld() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	n := 0
	for _, p := range l.pages {
		if p != nil {
			n++
		}
	}
	return n
}

// instant evaluates expr at ms on q and renders the result.
func instant(t *testing.T, engine *promql.Engine, q promstorage.Queryable, expr string, ms int64) string {
	t.Helper()
	qry, err := engine.NewInstantQuery(context.Background(), q, nil, expr, time.UnixMilli(ms))
	if err != nil {
		t.Fatal(err)
	}
	defer qry.Close()
	res := qry.Exec(context.Background())
	if res.Err != nil {
		t.Fatalf("%s at %d on %T: %v", expr, ms, q, res.Err)
	}
	return res.Value.String()
}

// TestLatestQueryableWithBlocks checks instants whose lookback window
// reaches into a persisted block: series that only the block holds must
// be found, so the TSDB answers there.
func TestLatestQueryableWithBlocks(t *testing.T) {
	st, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// The head compacts whole 2h-aligned blocks while it spans more
	// than 3h. Starting 30 minutes into such a block makes that
	// deterministic: one block [base-30m, base+90m) is cut and the head
	// keeps the rest. (Starting exactly an hour into a block, the block
	// would end at base+60m and the oldonly series would reach the head.)
	blockStart := time.Now().Truncate(2 * time.Hour).Add(-6 * time.Hour)
	base := blockStart.Add(30 * time.Minute).UnixMilli()
	end := base + 4*60*60_000
	for ts := base; ts <= end; ts += 60_000 {
		app := st.Appender(context.Background())
		for i := range 5 {
			l := labels.FromStrings(model.MetricNameLabel, "lag", "partition", fmt.Sprint(i))
			if _, err := app.Append(0, l, ts, float64(ts-base)); err != nil {
				t.Fatal(err)
			}
			if ts <= base+60*60_000 {
				l := labels.FromStrings(model.MetricNameLabel, "oldonly", "partition", fmt.Sprint(i))
				if _, err := app.Append(0, l, ts, float64(i)); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := app.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.db.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(st.db.Blocks()) == 0 || st.db.Head().MinTime() <= base+60*60_000 {
		t.Fatalf("%d blocks, head from %d: want the first hours persisted", len(st.db.Blocks()), (st.db.Head().MinTime()-base)/60_000)
	}
	engine := promql.NewEngine(promql.EngineOpts{MaxSamples: 1e7, Timeout: time.Minute, LookbackDelta: testLookback})
	for _, at := range []int64{base + 62*60_000, base + 3*60*60_000, end} {
		for _, expr := range []string{`oldonly`, `lag`, `count({__name__=~"lag|oldonly"})`} {
			want := instant(t, engine, st.Queryable(), expr, at)
			if got := instant(t, engine, st.LatestQueryable(testLookback), expr, at); got != want {
				t.Errorf("%s at %d min:\nTSDB:   %s\nlatest: %s", expr, (at-base)/60_000, want, got)
			}
		}
	}
}

// TestLatestConcurrentCommitsAndQueries commits rounds from several
// goroutines while others query through LatestQueryable and reset the
// memory (run it with -race). A writer that has committed round r reads
// its series at r or later (a finished Commit is visible), and no reader
// ever sees the samples of a rolled-back transaction.
func TestLatestConcurrentCommitsAndQueries(t *testing.T) {
	st, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const writers, rounds, perWriter = 3, 200, 50
	start := time.Now().Truncate(time.Second).UnixMilli()
	end := start + rounds*1000
	engine := promql.NewEngine(promql.EngineOpts{MaxSamples: 1e7, Timeout: time.Minute, LookbackDelta: testLookback})
	query := func(expr string) (promql.Vector, error) {
		qry, err := engine.NewInstantQuery(context.Background(), st.LatestQueryable(testLookback), nil, expr, time.UnixMilli(end))
		if err != nil {
			return nil, err
		}
		defer qry.Close()
		res := qry.Exec(context.Background())
		if res.Err != nil {
			return nil, res.Err
		}
		v, _ := res.Value.(promql.Vector)
		return v, nil
	}
	write := func(w, r int, v float64) *Appender {
		app := st.Appender(context.Background())
		for i := range perWriter {
			l := labels.FromStrings(model.MetricNameLabel, "lag", "writer", fmt.Sprint(w), "partition", fmt.Sprint(i))
			if _, err := app.Append(0, l, start+int64(r)*1000, v); err != nil {
				t.Error(err)
			}
		}
		return app
	}
	// The series exist before the writers run: creating series while the
	// head's postings are read is a data race inside the TSDB itself
	// (MemPostings.addFor reorders a list that readers iterate, in
	// Prometheus v0.315.0), whichever querier reads them.
	for w := range writers {
		if err := write(w, -1, 0).Commit(); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				if r%10 == 5 {
					// A transaction that never happened.
					if err := write(w, r, -1).Rollback(); err != nil {
						t.Error(err)
						return
					}
				}
				if err := write(w, r, float64(r)).Commit(); err != nil {
					t.Error(err)
					return
				}
				v, err := query(fmt.Sprintf(`min(lag{writer="%d"})`, w))
				if err != nil {
					t.Error(err)
					return
				}
				if len(v) != 1 || v[0].F < float64(r) {
					t.Errorf("writer %d after committing round %d reads %v", w, r, v)
					return
				}
			}
		})
	}
	done := make(chan struct{})
	var readers sync.WaitGroup
	for q := range 2 {
		readers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if q == 1 {
					st.latest.reset()
				}
				v, err := query(`min(lag)`)
				if err != nil {
					t.Error(err)
					return
				}
				if len(v) == 1 && v[0].F < 0 {
					t.Errorf("min(lag) = %v: a rolled-back sample was read", v[0].F)
					return
				}
			}
		})
	}
	wg.Wait()
	close(done)
	readers.Wait()
	want := instant(t, engine, st.Queryable(), `max(lag)`, end)
	if got := instant(t, engine, st.LatestQueryable(testLookback), `max(lag)`, end); got != want {
		t.Errorf("after the writers: latest %s, TSDB %s", got, want)
	}
}
