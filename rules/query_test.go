package rules

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/pipewatch/pipewatch/rules/forecast"
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

// TestForecastConfirmShortCircuit checks that a confirmed forecast, which
// skips the main window's fit when the confirmation window alone decides,
// fires exactly when computing both windows and forecast.Confirm would,
// with the same estimate, over series that are flat, noisy, trending
// towards, past or away from the threshold, and for every method and both
// fire_on settings.
func TestForecastConfirmShortCircuit(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 11))
	const step = 10 * time.Second
	var series [][]float64
	for range 300 {
		n := 60 + rnd.IntN(200)
		slope := (rnd.Float64() - 0.3) * 40  // per sample, mostly upwards
		bend := rnd.IntN(n)                  // where a second slope starts
		slope2 := (rnd.Float64() - 0.5) * 80 // the second slope
		noise := rnd.Float64() * 50          // noise amplitude
		vs := make([]float64, n)
		v := rnd.Float64() * 900
		for i := range vs {
			if i < bend {
				v += slope
			} else {
				v += slope2
			}
			vs[i] = v + noise*(rnd.Float64()-0.5)
		}
		series = append(series, vs)
	}
	thr := 1000.0
	specs := []ForecastSpec{}
	for _, method := range []string{"ols", "theil_sen", "holt"} {
		for _, fireOn := range []string{"", FireOnBound} {
			for _, windows := range [][2]time.Duration{{30 * time.Minute, 5 * time.Minute}, {10 * time.Minute, 30 * time.Minute}} {
				specs = append(specs, ForecastSpec{
					Method: method, Threshold: &thr, Horizon: model.Duration(15 * time.Minute),
					Window: model.Duration(windows[0]), ConfirmWindow: model.Duration(windows[1]), FireOn: fireOn,
				})
			}
		}
	}
	var ws forecast.Workspace
	fired := 0
	for _, spec := range specs {
		q := newForecastQuery(nil, &spec, time.Duration(spec.Horizon))
		for i, vs := range series {
			ts := make([]int64, len(vs))
			for j := range ts {
				ts[j] = int64(j) * step.Milliseconds()
			}
			got, ok, err := q.estimate(&ws, ts, vs)
			if err != nil {
				t.Fatal(err)
			}
			// The straightforward way: both windows, then Confirm.
			long, err := ws.ETA(ts, vs, q.threshold, q.horizon, q.long)
			if err != nil {
				t.Fatal(err)
			}
			short, err := ws.ETA(ts, vs, q.threshold, q.horizon, q.short)
			if err != nil {
				t.Fatal(err)
			}
			want := forecast.Confirm(short, long)
			wantOK := want.Within(q.horizon) && !(q.onBound && want.Status == forecast.Crossing && want.Latest > q.horizon)
			if ok != wantOK || (ok && (got.Status != want.Status || got.ETA != want.ETA || got.Latest != want.Latest)) {
				t.Errorf("%s fire_on=%q windows %v/%v, series %d: got fires=%v %+v, want fires=%v %+v",
					spec.Method, spec.FireOn, spec.Window, spec.ConfirmWindow, i, ok, got, wantOK, want)
			}
			if ok {
				fired++
			}
		}
	}
	if fired == 0 || fired == len(specs)*len(series) {
		t.Fatalf("%d of %d forecasts fired: the series do not exercise both outcomes", fired, len(specs)*len(series))
	}
	t.Logf("%d of %d forecasts fired", fired, len(specs)*len(series))
}
