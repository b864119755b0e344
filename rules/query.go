package rules

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	promrules "github.com/prometheus/prometheus/rules"
	promstorage "github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"

	"github.com/pipewatch/pipewatch/rules/forecast"
)

// querySpec answers the marker expression of a forecast or anomaly
// recording rule at time t.
type querySpec interface {
	eval(ctx context.Context, env queryEnv, t time.Time) (promql.Vector, error)
}

// queryEnv is what forecast and anomaly queries read from.
type queryEnv struct {
	engine    promql.QueryEngine
	queryable promstorage.Queryable
	// scratch pools the buffers of forecast and anomaly evaluations
	// (*scratch), shared by every query of one loaded configuration;
	// required.
	scratch *sync.Pool
}

// scratch is the reusable memory of one forecast or anomaly evaluation.
type scratch struct {
	ws forecast.Workspace
	ts []int64
	vs []float64
	it chunkenc.Iterator
}

// getScratch returns pooled buffers; put them back with putScratch.
func (env queryEnv) getScratch() *scratch {
	if sc, ok := env.scratch.Get().(*scratch); ok {
		return sc
	}
	return &scratch{}
}

func (env queryEnv) putScratch(sc *scratch) { env.scratch.Put(sc) }

// queryFunc returns the rules.QueryFunc of one loaded configuration: marker
// expressions (keys of specs) are answered by their querySpec, everything
// else by the PromQL engine.
func queryFunc(env queryEnv, specs map[string]querySpec) promrules.QueryFunc {
	plain := promrules.EngineQueryFunc(env.engine, env.queryable)
	return func(ctx context.Context, q string, t time.Time) (promql.Vector, error) {
		if s, ok := specs[q]; ok {
			return s.eval(ctx, env, t)
		}
		return plain(ctx, q, t)
	}
}

// rangeQuery is how a forecast or anomaly rule reads the history of its
// input expression: raw samples of a plain selector, or a subquery.
type rangeQuery struct {
	input parser.Expr
	rng   time.Duration
	step  time.Duration // 0: raw samples (input is a plain selector)
}

// String returns the PromQL range expression.
func (q rangeQuery) String() string {
	if q.step == 0 {
		return fmt.Sprintf("%s[%s]", q.input, model.Duration(q.rng))
	}
	return fmt.Sprintf("(%s)[%s:%s]", q.input, model.Duration(q.rng), model.Duration(q.step))
}

// isPlainSelector reports whether e is a vector selector a range can be
// appended to.
func isPlainSelector(e parser.Expr) bool {
	vs, ok := e.(*parser.VectorSelector)
	return ok && vs.OriginalOffset == 0 && vs.Timestamp == nil && vs.StartOrEnd == 0
}

// each runs q at t and calls f with every float series' samples (without
// the metric name), in sc's buffers: f must not keep ts or vs.
func (q rangeQuery) each(ctx context.Context, env queryEnv, t time.Time, sc *scratch, f func(lset labels.Labels, ts []int64, vs []float64)) error {
	if vs, ok := q.input.(*parser.VectorSelector); ok && q.step == 0 && isPlainSelector(vs) {
		return q.eachRaw(ctx, env, vs, t, sc, f)
	}
	return q.eachPromQL(ctx, env, t, sc, f)
}

// eachPromQL is each through the PromQL engine, for subqueries.
func (q rangeQuery) eachPromQL(ctx context.Context, env queryEnv, t time.Time, sc *scratch, f func(lset labels.Labels, ts []int64, vs []float64)) error {
	qry, err := env.engine.NewInstantQuery(ctx, env.queryable, nil, q.String(), t)
	if err != nil {
		return fmt.Errorf("prepare range query: %w", err)
	}
	defer qry.Close()
	res := qry.Exec(ctx)
	if res.Err != nil {
		return fmt.Errorf("run range query: %w", res.Err)
	}
	m, err := res.Matrix()
	if err != nil {
		return fmt.Errorf("read range query: %w", err)
	}
	for _, s := range m {
		if len(s.Floats) == 0 {
			continue
		}
		sc.ts, sc.vs = sc.ts[:0], sc.vs[:0]
		for _, p := range s.Floats {
			sc.ts = append(sc.ts, p.T)
			sc.vs = append(sc.vs, p.F)
		}
		f(dropName(s.Metric), sc.ts, sc.vs)
	}
	return nil
}

// eachRaw is each for a plain selector: the samples of sel[rng] at t (the
// float samples in (t-rng, t], stale markers dropped, as PromQL selects
// them), read straight from storage without a PromQL query.
func (q rangeQuery) eachRaw(ctx context.Context, env queryEnv, sel *parser.VectorSelector, t time.Time, sc *scratch, f func(lset labels.Labels, ts []int64, vs []float64)) error {
	maxt := t.UnixMilli()
	mint := maxt - q.rng.Milliseconds() + 1
	querier, err := env.queryable.Querier(mint, maxt)
	if err != nil {
		return fmt.Errorf("read range: %w", err)
	}
	defer querier.Close()
	hints := &promstorage.SelectHints{Start: mint, End: maxt, Range: q.rng.Milliseconds()}
	set := querier.Select(ctx, false, hints, sel.LabelMatchers...)
	for set.Next() {
		s := set.At()
		sc.it = s.Iterator(sc.it)
		sc.ts, sc.vs = sc.ts[:0], sc.vs[:0]
		for typ := sc.it.Seek(mint); typ != chunkenc.ValNone; typ = sc.it.Next() {
			if typ != chunkenc.ValFloat {
				continue
			}
			st, v := sc.it.At()
			if st > maxt {
				break
			}
			if value.IsStaleNaN(v) {
				continue
			}
			sc.ts = append(sc.ts, st)
			sc.vs = append(sc.vs, v)
		}
		if err := sc.it.Err(); err != nil {
			return fmt.Errorf("read range of %s: %w", s.Labels(), err)
		}
		if len(sc.ts) > 0 {
			f(dropName(s.Labels()), sc.ts, sc.vs)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if err := set.Err(); err != nil {
		return fmt.Errorf("read range: %w", err)
	}
	return nil
}

// dropName returns lset without its metric name.
func dropName(lset labels.Labels) labels.Labels {
	return lset.DropReserved(func(n string) bool { return n == model.MetricNameLabel })
}

// forecastQuery computes the ETA series of a forecast rule.
type forecastQuery struct {
	fetch       rangeQuery
	threshold   float64
	horizon     time.Duration
	long, short forecast.Options
	confirm     bool
	// onBound fires on the prediction interval's far end instead of the
	// point forecast (ForecastSpec.FireOn).
	onBound bool
}

func newForecastQuery(input parser.Expr, s *ForecastSpec, horizon time.Duration) *forecastQuery {
	w := s.window()
	fetch := rangeQuery{input: input, rng: w, step: time.Duration(s.Step)}
	if fetch.step == 0 && !isPlainSelector(input) {
		fetch.step = max(w/60, time.Second).Truncate(time.Millisecond)
	}
	q := &forecastQuery{
		fetch:     fetch,
		threshold: *s.Threshold,
		horizon:   horizon,
		long:      s.options(w),
		onBound:   s.FireOn == FireOnBound,
	}
	if s.ConfirmWindow > 0 {
		q.confirm = true
		q.short = s.options(time.Duration(s.ConfirmWindow))
	}
	return q
}

// eval implements querySpec: one sample per input series whose crossing
// is predicted within the horizon, valued at the seconds from t to the
// crossing (0 when breached).
func (q *forecastQuery) eval(ctx context.Context, env queryEnv, t time.Time) (promql.Vector, error) {
	var (
		buf  = env.getScratch()
		ws   = &buf.ws
		out  promql.Vector
		errs []error
		tms  = t.UnixMilli()
	)
	defer env.putScratch(buf)
	err := q.fetch.each(ctx, env, t, buf, func(lset labels.Labels, ts []int64, vs []float64) {
		est, ok, err := q.estimate(ws, ts, vs)
		if err != nil {
			errs = append(errs, err)
			return
		}
		if !ok {
			return
		}
		// The estimate counts from the last sample; report it from t.
		eta := est.ETA - time.Duration(tms-est.Trend.End)*time.Millisecond
		if est.Status == forecast.Breached || eta < 0 {
			eta = 0
		}
		out = append(out, promql.Sample{Metric: lset, T: tms, F: eta.Seconds()})
	})
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("forecast: %w", errors.Join(errs...))
	}
	return out, nil
}

// estimate returns the forecast of one series and whether it fires: a
// crossing (or breach) predicted within the horizon, on the prediction
// interval's far end with fire_on: bound.
func (q *forecastQuery) estimate(ws *forecast.Workspace, ts []int64, vs []float64) (forecast.Estimate, bool, error) {
	var est forecast.Estimate
	if q.confirm {
		// The confirmation window first: unless it predicts a crossing
		// within the horizon, Confirm's result does not either, whatever
		// the main window says, and when it is breached already Confirm
		// returns it as is (forecast.Confirm's rules C1–C4). Most series
		// are not trending, so most main-window fits are skipped.
		short, err := ws.ETA(ts, vs, q.threshold, q.horizon, q.short)
		if err != nil || !short.Within(q.horizon) {
			return short, false, err
		}
		est = short
		if short.Status != forecast.Breached {
			long, err := ws.ETA(ts, vs, q.threshold, q.horizon, q.long)
			if err != nil {
				return long, false, err
			}
			est = forecast.Confirm(short, long)
		}
	} else {
		var err error
		if est, err = ws.ETA(ts, vs, q.threshold, q.horizon, q.long); err != nil {
			return est, false, err
		}
	}
	if !est.Within(q.horizon) {
		return est, false, nil
	}
	if q.onBound && est.Status == forecast.Crossing && est.Latest > q.horizon {
		return est, false, nil // the interval's far end crosses only beyond the horizon
	}
	return est, true, nil
}

// anomalyQuery computes the score series of an anomaly rule.
type anomalyQuery struct {
	fetch       rangeQuery
	method      string
	short, long forecast.AnomalyOptions
	confirm     bool
	// confirmThreshold, when set, is the |score| the confirmation window
	// must reach (AnomalySpec.ConfirmThreshold).
	confirmThreshold float64
	halfLife         time.Duration
	minSamples       int
}

func newAnomalyQuery(input parser.Expr, s *AnomalySpec) *anomalyQuery {
	q := &anomalyQuery{
		fetch:      rangeQuery{input: input, rng: s.lookback(), step: s.step()},
		method:     s.method(),
		short:      s.options(time.Duration(s.Window)),
		halfLife:   time.Duration(s.HalfLife),
		minSamples: s.MinSamples,
	}
	if s.ConfirmWindow > 0 {
		q.confirm = true
		q.long = s.options(time.Duration(s.ConfirmWindow))
		q.confirmThreshold = s.ConfirmThreshold
	}
	return q
}

// eval implements querySpec: one sample per input series with a baseline,
// valued at its score; with a confirmation window, 0 when the windows
// disagree in sign, else the score of smaller magnitude — or, with a
// confirmation threshold, the window's own score once the confirmation
// window reaches that threshold.
func (q *anomalyQuery) eval(ctx context.Context, env queryEnv, t time.Time) (promql.Vector, error) {
	var (
		buf  = env.getScratch()
		ws   = &buf.ws
		out  promql.Vector
		errs []error
		tms  = t.UnixMilli()
	)
	defer env.putScratch(buf)
	err := q.fetch.each(ctx, env, t, buf, func(lset labels.Labels, ts []int64, vs []float64) {
		var (
			sc  forecast.Score
			err error
		)
		if q.method == "ewma" {
			sc, err = forecast.EWMA(ts, vs, q.halfLife, q.minSamples)
		} else {
			sc, err = ws.Anomaly(ts, vs, q.short)
		}
		if err != nil {
			errs = append(errs, err)
			return
		}
		if sc.Baseline == forecast.NoBaseline || math.IsNaN(sc.Score) {
			return
		}
		score := sc.Score
		if q.confirm {
			long, err := ws.Anomaly(ts, vs, q.long)
			if err != nil {
				errs = append(errs, err)
				return
			}
			if long.Baseline == forecast.NoBaseline || math.IsNaN(long.Score) {
				return
			}
			switch {
			case (score > 0) != (long.Score > 0):
				score = 0
			case q.confirmThreshold > 0 && math.Abs(long.Score) >= q.confirmThreshold:
				// confirmed: the window's own score stands
			case math.Abs(long.Score) < math.Abs(score):
				score = long.Score
			}
		}
		out = append(out, promql.Sample{Metric: lset, T: tms, F: score})
	})
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("anomaly: %w", errors.Join(errs...))
	}
	return out, nil
}
