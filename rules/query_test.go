package rules

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/pipewatch/pipewatch/storage"
)

// TestRawRangeMatchesPromQL checks that reading a plain selector's range
// straight from storage (rangeQuery.eachRaw) yields exactly the samples
// PromQL's own range selection does: the window is left-open, stale
// markers are dropped, series without samples in the window are left out
// and the metric name is dropped.
func TestRawRangeMatchesPromQL(t *testing.T) {
	st, err := storage.Open(filepath.Join(t.TempDir(), "data"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	base := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	app := st.Appender(context.Background())
	add := func(lset labels.Labels, at time.Duration, v float64) {
		if _, err := app.Append(0, lset, base.Add(at).UnixMilli(), v); err != nil {
			t.Fatal(err)
		}
	}
	a := labels.FromStrings("__name__", "lag", "group", "a")
	b := labels.FromStrings("__name__", "lag", "group", "b")
	old := labels.FromStrings("__name__", "lag", "group", "gone")
	other := labels.FromStrings("__name__", "other", "group", "a")
	for i := range 100 {
		at := time.Duration(i) * 10 * time.Second
		add(a, at, float64(i*i))
		v := float64(i)
		if i == 50 {
			v = math.Float64frombits(value.StaleNaN)
		}
		add(b, at, v)
		add(other, at, 1)
		if i < 10 {
			add(old, at, 3)
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	sel, err := newParser().ParseExpr(`lag{group=~"a|b|gone"}`)
	if err != nil {
		t.Fatal(err)
	}
	env := queryEnv{engine: newTestEngine(), queryable: st.Queryable(), scratch: &sync.Pool{}}
	type series struct {
		lset string
		ts   []int64
		vs   []float64
	}
	collect := func(read func(sc *scratch, f func(labels.Labels, []int64, []float64)) error) []series {
		t.Helper()
		var out []series
		sc := env.getScratch()
		if err := read(sc, func(l labels.Labels, ts []int64, vs []float64) {
			out = append(out, series{l.String(), slices.Clone(ts), slices.Clone(vs)})
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	// At 600 s with a 5 m range: the sample at exactly 300 s is outside,
	// b's stale marker at 500 s is dropped, "gone" has no samples.
	for _, at := range []time.Duration{600 * time.Second, 990 * time.Second, 1200 * time.Second} {
		q := rangeQuery{input: sel, rng: 5 * time.Minute}
		now := base.Add(at)
		raw := collect(func(sc *scratch, f func(labels.Labels, []int64, []float64)) error {
			return q.eachRaw(context.Background(), env, sel.(*parser.VectorSelector), now, sc, f)
		})
		viaPromQL := collect(func(sc *scratch, f func(labels.Labels, []int64, []float64)) error {
			return q.eachPromQL(context.Background(), env, now, sc, f)
		})
		if len(raw) == 0 {
			t.Fatalf("at %v: no series read", at)
		}
		if !slices.EqualFunc(raw, viaPromQL, func(x, y series) bool {
			return x.lset == y.lset && slices.Equal(x.ts, y.ts) && slices.Equal(x.vs, y.vs)
		}) {
			t.Errorf("at %v: raw read differs from PromQL's\nraw:    %v\npromql: %v", at, raw, viaPromQL)
		}
	}
}
