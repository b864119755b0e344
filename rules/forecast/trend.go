package forecast

import (
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// Method selects how FitTrend models a series.
type Method uint8

// The trend methods.
const (
	// OLS is ordinary least squares on (time, value): the classic linear
	// trend with the standard prediction interval (rule T1).
	OLS Method = iota
	// TheilSen is the median of pairwise slopes with a median intercept,
	// robust to up to ~29% outliers, with a residual-MAD band (rule T2).
	TheilSen
	// DampedHolt is double exponential smoothing whose trend decays by φ
	// per step, with the ETS(A,Ad,N) interval (rules H1–H5).
	DampedHolt
)

// String returns the method's name as used in rule files.
func (m Method) String() string {
	switch m {
	case OLS:
		return "ols"
	case TheilSen:
		return "theil_sen"
	case DampedHolt:
		return "holt"
	}
	return fmt.Sprintf("method(%d)", uint8(m))
}

// ParseMethod returns the Method named by s ("ols", "theil_sen" or "holt").
func ParseMethod(s string) (Method, error) {
	for _, m := range []Method{OLS, TheilSen, DampedHolt} {
		if m.String() == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("parse method %q: want ols, theil_sen or holt", s)
}

// Direction says on which side of a threshold a breach lies.
type Direction uint8

// The breach directions.
const (
	// Above means values at or above the threshold are a breach (lag, queue
	// length, disk usage).
	Above Direction = iota
	// Below means values at or below the threshold are a breach (free
	// space, throughput).
	Below
)

// Defaults applied to zero fields of Options.
const (
	DefaultCoverage       = 0.95
	DefaultMinSamples     = 3
	DefaultTheilSenPoints = 64
)

// Options configures FitTrend and ETA. The zero value fits OLS over all
// samples with a 95% prediction interval and a breach above the threshold.
type Options struct {
	// Method is the trend model.
	Method Method
	// Window keeps only samples with timestamps in (end−Window, end], end
	// being the last usable sample (rule I3). Zero keeps all samples.
	Window time.Duration
	// MinSamples is the fewest usable samples a fit accepts; at least 3
	// (the OLS interval has n−2 degrees of freedom). Zero means 3.
	MinSamples int
	// MinSpan is the shortest time between the first and last usable
	// sample a fit accepts, so that a long window that holds only a few
	// minutes of data (a new series) does not pass for a long-window fit.
	MinSpan time.Duration
	// Coverage is the prediction interval's coverage in (0, 1); zero
	// means 0.95.
	Coverage float64
	// Direction says whether the breach lies above or below the threshold.
	Direction Direction
	// TheilSenPoints bounds the Theil–Sen cost: up to this many samples
	// the estimator is exact over all pairs; above it the pairwise slopes
	// are taken between the medians of this many consecutive blocks (rule
	// T2). Zero means 64.
	TheilSenPoints int
	// Holt holds the damped-Holt parameters.
	Holt HoltParams
}

// Validate reports the first invalid field of o.
func (o Options) Validate() error {
	switch {
	case o.Method > DampedHolt:
		return fmt.Errorf("validate options: unknown method %d", o.Method)
	case o.Direction > Below:
		return fmt.Errorf("validate options: unknown direction %d", o.Direction)
	case o.Window < 0:
		return fmt.Errorf("validate options: negative window %v", o.Window)
	case o.MinSpan < 0:
		return fmt.Errorf("validate options: negative min span %v", o.MinSpan)
	case o.MinSamples < 0 || (o.MinSamples > 0 && o.MinSamples < 3):
		return fmt.Errorf("validate options: min samples %d is below 3", o.MinSamples)
	case o.Coverage < 0 || o.Coverage >= 1 || math.IsNaN(o.Coverage):
		return fmt.Errorf("validate options: coverage %v is outside (0, 1)", o.Coverage)
	case o.TheilSenPoints < 0 || (o.TheilSenPoints > 0 && o.TheilSenPoints < 3):
		return fmt.Errorf("validate options: theil-sen points %d is below 3", o.TheilSenPoints)
	}
	return o.Holt.validate()
}

// withDefaults returns o with zero fields replaced by their defaults.
func (o Options) withDefaults() Options {
	if o.MinSamples == 0 {
		o.MinSamples = DefaultMinSamples
	}
	if o.Coverage == 0 {
		o.Coverage = DefaultCoverage
	}
	if o.TheilSenPoints == 0 {
		o.TheilSenPoints = DefaultTheilSenPoints
	}
	o.Holt = o.Holt.withDefaults()
	return o
}

// Trend is a fitted model of a series, anchored at its last usable sample.
// Predict and ETA extrapolate it; the zero value is not a valid fit.
type Trend struct {
	// Method is the model that was fitted.
	Method Method
	// N is the number of samples used.
	N int
	// Start and End are the timestamps (ms) of the first and last sample
	// used; forecasts are measured from End.
	Start, End int64
	// Last is the last observed value (at End).
	Last float64
	// Level is the fitted value at End.
	Level float64
	// Slope is the fitted rate of change at End, in units per second. For
	// DampedHolt the rate decays after End.
	Slope float64
	// Sigma is the residual scale the interval is built on: the residual
	// standard deviation (OLS), 1.4826·MAD of the residuals (TheilSen) or
	// the standard deviation of the one-step errors (DampedHolt).
	Sigma float64

	q    float64 // interval quantile
	xbar float64 // mean sample time, seconds relative to End (≤ 0)
	sxx  float64 // Σ(x−x̄)², seconds²
	holt holtState
}

// FitTrend fits opt.Method to the usable samples of the trailing window. It
// returns an error wrapping ErrInsufficientData when fewer than
// opt.MinSamples samples or less than opt.MinSpan remain, and a plain error
// for mismatched slices or invalid options. It allocates only for TheilSen;
// use a Workspace to reuse that memory.
func FitTrend(ts []int64, vs []float64, opt Options) (Trend, error) {
	var w Workspace
	return w.FitTrend(ts, vs, opt)
}

// Workspace holds scratch memory that FitTrend, ETA and the anomaly scorers
// reuse between calls, so that a rule evaluator can run them without
// allocating. The zero value is ready to use; a Workspace must not be used
// by two goroutines at once.
type Workspace struct {
	a, b, c, d, e []float64
	t             []int64
	q             [64]quantileEntry
}

// quantileEntry caches one Student's t quantile.
type quantileEntry struct {
	df       int
	coverage float64
	q        float64
}

// studentQuantile is studentQuantile through w's cache: a rule evaluator
// fits windows of nearly the same length round after round.
func (w *Workspace) studentQuantile(coverage float64, df int) float64 {
	e := &w.q[df%len(w.q)]
	if e.df != df || e.coverage != coverage {
		*e = quantileEntry{df: df, coverage: coverage, q: studentQuantile(coverage, df)}
	}
	return e.q
}

// buf returns a slice of n float64s backed by *p, growing it when needed.
func buf(p *[]float64, n int) []float64 {
	if cap(*p) < n {
		*p = make([]float64, n, n+n/4)
	}
	return (*p)[:n]
}

// FitTrend is FitTrend using w's scratch memory.
func (w *Workspace) FitTrend(ts []int64, vs []float64, opt Options) (Trend, error) {
	if err := checkLengths(ts, vs); err != nil {
		return Trend{}, err
	}
	if err := opt.Validate(); err != nil {
		return Trend{}, err
	}
	opt = opt.withDefaults()
	last := lastUsable(vs)
	if last < 0 {
		return Trend{}, fmt.Errorf("fit %s trend: no usable sample: %w", opt.Method, ErrInsufficientData)
	}
	end := ts[last]
	from := windowStart(ts, end, opt.Window)
	// One pass for count, span and the means (rules I1–I3).
	var n int
	var start int64
	var sx, sy float64
	c := newCursor(ts, vs, from, last+1)
	for t, v, ok := c.next(); ok; t, v, ok = c.next() {
		if n == 0 {
			start = t
		}
		n++
		sx += float64(t-end) / 1000
		sy += v
	}
	if n < opt.MinSamples || time.Duration(end-start)*time.Millisecond < opt.MinSpan {
		return Trend{}, fmt.Errorf("fit %s trend: %d samples over %v: %w", opt.Method, n,
			time.Duration(end-start)*time.Millisecond, ErrInsufficientData)
	}
	tr := Trend{Method: opt.Method, N: n, Start: start, End: end, Last: vs[last]}
	tr.xbar = sx / float64(n)
	ybar := sy / float64(n)
	var sxy float64
	c = newCursor(ts, vs, from, last+1)
	for t, v, ok := c.next(); ok; t, v, ok = c.next() {
		dx := float64(t-end)/1000 - tr.xbar
		tr.sxx += dx * dx
		sxy += dx * (v - ybar)
	}
	switch opt.Method {
	case OLS:
		tr.Slope = sxy / tr.sxx
		tr.Level = ybar - tr.Slope*tr.xbar
		var sse float64
		c = newCursor(ts, vs, from, last+1)
		for t, v, ok := c.next(); ok; t, v, ok = c.next() {
			r := v - tr.Level - tr.Slope*float64(t-end)/1000
			sse += r * r
		}
		tr.Sigma = math.Sqrt(sse / float64(n-2))
		tr.q = w.studentQuantile(opt.Coverage, n-2)
	case TheilSen:
		w.theilSen(&tr, ts, vs, from, last+1, opt.TheilSenPoints)
		tr.q = w.studentQuantile(opt.Coverage, n-2)
	case DampedHolt:
		w.holt(&tr, ts, vs, from, last+1, opt.Holt)
		tr.q = normalQuantile(opt.Coverage)
	}
	return tr, nil
}

// theilSen fits rule T2 over the usable samples of ts[from:to].
func (w *Workspace) theilSen(tr *Trend, ts []int64, vs []float64, from, to, maxPoints int) {
	n := tr.N
	xs, ys := buf(&w.a, n), buf(&w.b, n)
	c := newCursor(ts, vs, from, to)
	i := 0
	for t, v, ok := c.next(); ok; t, v, ok = c.next() {
		xs[i], ys[i] = float64(t-tr.End)/1000, v
		i++
	}
	m := min(n, maxPoints)
	scratch := buf(&w.c, 2*m+m*(m-1)/2)
	px, py, slopes := xs, ys, scratch[2*m:]
	if n > maxPoints {
		// Block medians: value = median of the block, time = mean time.
		px, py = scratch[:m], scratch[m:2*m]
		for b := range m {
			lo, hi := b*n/m, (b+1)*n/m
			var sx float64
			for _, x := range xs[lo:hi] {
				sx += x
			}
			px[b] = sx / float64(hi-lo)
			py[b] = blockMedian(ys[lo:hi])
		}
	}
	k := 0
	for i := range m {
		for j := i + 1; j < m; j++ {
			if dx := px[j] - px[i]; dx != 0 {
				slopes[k] = (py[j] - py[i]) / dx
				k++
			}
		}
	}
	tr.Slope = medianInPlace(slopes[:k])
	// Intercept at End: the median of y − slope·x; residuals then have
	// median zero, so their MAD is the median of |r|.
	res := buf(&w.d, n)
	for i := range n {
		res[i] = ys[i] - tr.Slope*xs[i]
	}
	tr.Level = medianInPlace(res)
	for i := range n {
		res[i] = math.Abs(ys[i] - tr.Level - tr.Slope*xs[i])
	}
	tr.Sigma = robustScale(res)
}

// blockMedian returns the median of ys without reordering it, selecting in
// a copy that lives on the stack for the usual short blocks.
func blockMedian(ys []float64) float64 {
	var small [32]float64
	var tmp []float64
	if len(ys) <= len(small) {
		tmp = small[:len(ys)]
	} else {
		tmp = make([]float64, len(ys))
	}
	copy(tmp, ys)
	return medianInPlace(tmp)
}

// robustScale turns absolute deviations from a centre into a standard
// deviation estimate: 1.4826·median, or 1.2533·mean when more than half of
// the deviations are zero (rule R2). It reorders abs.
func robustScale(abs []float64) float64 {
	if len(abs) == 0 {
		return 0
	}
	var sum float64
	for _, a := range abs {
		sum += a
	}
	if s := madScale * medianInPlace(abs); s > 0 {
		return s
	}
	return meanADScale * sum / float64(len(abs))
}

// studentQuantile returns the two-sided quantile of Student's t with df
// degrees of freedom for the given coverage.
func studentQuantile(coverage float64, df int) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}.Quantile(1 - (1-coverage)/2)
}

// normalQuantile returns the two-sided standard normal quantile for the
// given coverage.
func normalQuantile(coverage float64) float64 {
	return distuv.UnitNormal.Quantile(1 - (1-coverage)/2)
}

// Predict returns the point forecast and the prediction interval at time at
// (ms). Times before End are clamped to End for DampedHolt.
func (tr Trend) Predict(at int64) (mid, lo, hi float64) {
	h := float64(at-tr.End) / 1000
	mid = tr.mid(h)
	w := tr.halfWidth(h)
	return mid, mid - w, mid + w
}

// mid is the point forecast h seconds after End.
func (tr Trend) mid(h float64) float64 {
	if tr.Method == DampedHolt {
		return tr.holt.mid(max(h, 0))
	}
	return tr.Level + tr.Slope*h
}

// halfWidth is the prediction interval's half width h seconds after End:
// rule T1 for OLS, rule T2 for TheilSen and rule H4 for DampedHolt.
func (tr Trend) halfWidth(h float64) float64 {
	if tr.Sigma == 0 {
		return 0
	}
	if tr.Method == DampedHolt {
		return tr.q * tr.Sigma * math.Sqrt(tr.holt.varianceFactor(max(h, 0)))
	}
	d := h - tr.xbar
	return tr.q * tr.Sigma * math.Sqrt(1+1/float64(tr.N)+d*d/tr.sxx)
}
