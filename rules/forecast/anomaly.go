package forecast

import (
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// Anomaly defaults.
const (
	DefaultPeriods     = 7
	DefaultMinPeriods  = 2
	DefaultLevelWindow = time.Hour
	DefaultScaleWindow = 24 * time.Hour
	DefaultMinScaleN   = 10
	// DefaultTailQuantile lets 0.7% of a scale window's deviations (14
	// five-minute samples of a week) exceed rule R5's floor. Chosen on
	// the whole NAB corpus (bench/forecast): of 0.99, 0.993, 0.995,
	// 0.997, 0.998 and 0.999 it has the largest smallest lead over the
	// rolling z-score across the false-alarm budgets; at 0.99 bursts
	// that came three times in the last days set the floor, and the next
	// one did not score as rare.
	DefaultTailQuantile = 0.993
	// minLevelSamples is the fewest samples the level window is widened
	// to (rule S2).
	minLevelSamples = 5
	// MaxPeriods bounds AnomalyOptions.Periods.
	MaxPeriods = 64
)

// AnomalyOptions configures Anomaly. The zero value scores the last sample
// against a rolling median and MAD (no seasonal baseline).
type AnomalyOptions struct {
	// Period is the seasonality (24h, 168h). Zero disables the seasonal
	// baseline: the rolling baseline of rule S4 is used alone.
	Period time.Duration
	// Periods is K, how many past periods the seasonal baseline looks
	// back; default 7, at most 64.
	Periods int
	// MinPeriods is how many of those periods must hold a sample at the
	// phase for the seasonal baseline of a sample to exist; default 2.
	MinPeriods int
	// Tolerance is how far from the exact phase a past sample may lie and
	// still stand for it. Zero means the mean sample spacing of the scale
	// window.
	Tolerance time.Duration
	// Window is the evaluated window (end−Window, end]; its median
	// deviation is scored (its mean with WindowMean), so a long Window
	// asks "has the series been off for a while" (rule C5). Zero scores
	// the last sample alone.
	Window time.Duration
	// WindowMean scores the mean deviation over the evaluated window
	// instead of the median (rule S6). The median needs more than half
	// the window off, so a confirmation window of a few samples vetoes a
	// one- or two-sample excursion; the mean counts it in proportion to
	// its share of the window. The zero value keeps the median.
	WindowMean bool
	// PhaseWindow is the half-width of the neighbourhood of the phase in
	// each past period whose local spread can widen the scale (rules S3,
	// S7); zero disables it. 30m suits minute-level data with daily
	// periods. It is widened to at least Tolerance (rule S9), so that a
	// sparse series keeps samples beside the phase.
	PhaseWindow time.Duration
	// LevelWindow is the window just before the evaluated one whose median
	// deviation from the seasonal baseline corrects the baseline's level
	// (rule S2) and whose median is the rolling baseline (rule S4); default
	// 1h.
	LevelWindow time.Duration
	// ScaleWindow is the window just before the evaluated one over which
	// the deviation scale is measured (rule S3); default 24h. It must not
	// be shorter than LevelWindow.
	ScaleWindow time.Duration
	// MinSamples is the fewest usable samples the scale window must hold;
	// default 10.
	MinSamples int
	// TailQuantile q sets rule R5's tail floor: the scale is at least the
	// q-quantile of the absolute deviations in the scale window divided by
	// the matching normal quantile, so deviations that were common in the
	// scale window (hourly spikes, bursty counts) do not score as rare.
	// Under normal noise the floor equals the MAD estimate and changes
	// nothing. Zero means 0.993 (DefaultTailQuantile); 1 or more disables
	// the floor.
	TailQuantile float64
	// MinScale is an absolute floor for the scale (rule R3), e.g. the
	// metric's resolution; default 0.
	MinScale float64
}

// Validate reports the first invalid field of o.
func (o AnomalyOptions) Validate() error {
	switch {
	case o.Period < 0:
		return fmt.Errorf("validate anomaly options: negative period %v", o.Period)
	case o.Periods < 0 || o.Periods > MaxPeriods:
		return fmt.Errorf("validate anomaly options: periods %d is outside [1, %d]", o.Periods, MaxPeriods)
	case o.MinPeriods < 0:
		return fmt.Errorf("validate anomaly options: negative min periods %d", o.MinPeriods)
	case o.Tolerance < 0, o.Window < 0, o.LevelWindow < 0, o.ScaleWindow < 0, o.PhaseWindow < 0:
		return fmt.Errorf("validate anomaly options: negative window or tolerance")
	case o.MinSamples < 0:
		return fmt.Errorf("validate anomaly options: negative min samples %d", o.MinSamples)
	case o.TailQuantile < 0 || math.IsNaN(o.TailQuantile) || (o.TailQuantile > 0 && o.TailQuantile <= 0.5):
		return fmt.Errorf("validate anomaly options: tail quantile %v is not above 0.5", o.TailQuantile)
	case o.MinScale < 0 || math.IsNaN(o.MinScale):
		return fmt.Errorf("validate anomaly options: min scale %v is negative", o.MinScale)
	}
	d := o.withDefaults()
	if d.MinPeriods > d.Periods {
		return fmt.Errorf("validate anomaly options: min periods %d exceeds periods %d", d.MinPeriods, d.Periods)
	}
	if d.LevelWindow > d.ScaleWindow {
		return fmt.Errorf("validate anomaly options: level window %v exceeds scale window %v", d.LevelWindow, d.ScaleWindow)
	}
	return nil
}

// withDefaults returns o with zero fields replaced by their defaults.
func (o AnomalyOptions) withDefaults() AnomalyOptions {
	if o.Periods == 0 {
		o.Periods = DefaultPeriods
	}
	if o.MinPeriods == 0 {
		o.MinPeriods = min(DefaultMinPeriods, o.Periods)
	}
	if o.LevelWindow == 0 {
		o.LevelWindow = DefaultLevelWindow
	}
	if o.ScaleWindow == 0 {
		o.ScaleWindow = max(DefaultScaleWindow, o.LevelWindow)
	}
	if o.MinSamples == 0 {
		o.MinSamples = DefaultMinScaleN
	}
	if o.TailQuantile == 0 {
		o.TailQuantile = DefaultTailQuantile
	}
	return o
}

// Baseline says which baseline produced a Score.
type Baseline uint8

// The baselines.
const (
	// NoBaseline means there was too little data to score.
	NoBaseline Baseline = iota
	// SeasonalBaseline is the level-corrected median of the same phase
	// over past periods (rules S1–S3).
	SeasonalBaseline
	// RollingBaseline is the median of the level window with the MAD of
	// the scale window (rule S4).
	RollingBaseline
	// EWMABaseline is the exponentially weighted mean and deviation of
	// rule W1.
	EWMABaseline
)

// String returns the baseline's name.
func (b Baseline) String() string {
	switch b {
	case NoBaseline:
		return "none"
	case SeasonalBaseline:
		return "seasonal"
	case RollingBaseline:
		return "rolling"
	case EWMABaseline:
		return "ewma"
	}
	return fmt.Sprintf("baseline(%d)", uint8(b))
}

// Score is how far a series is from its expected value, in robust standard
// deviations. Score = Deviation/Scale; |Score| ≥ 3–5 is the usual alert
// range.
type Score struct {
	// Baseline says which baseline was used; NoBaseline means too little
	// data, and then every other field except End and Value is zero.
	Baseline Baseline
	// End is the timestamp (ms) of the last usable sample, Value its value
	// and Expected its baseline.
	End      int64
	Value    float64
	Expected float64
	// Deviation is the median (with WindowMean, the mean) over the
	// evaluated window of observed minus expected (for a zero Window:
	// Value − Expected).
	Deviation float64
	// Scale is the robust standard deviation of the deviations over the
	// scale window (rules R1–R5, S3).
	Scale float64
	// Score is Deviation/Scale; ±Inf when Scale is 0 and Deviation is not
	// (rule R4).
	Score float64
	// Periods is how many past periods held a sample at End's phase (0
	// without a seasonal Period or when the scale window is too short).
	Periods int
	// N is the number of samples the scale was measured on.
	N int
}

// Anomaly scores the last usable sample (or the evaluated window) of a
// series against a robust baseline built only from earlier samples (rules
// I1–I5, S1–S9, R1–R5). It returns an error only for mismatched slices or
// invalid options; too little history gives Baseline NoBaseline.
func Anomaly(ts []int64, vs []float64, opt AnomalyOptions) (Score, error) {
	var w Workspace
	return w.Anomaly(ts, vs, opt)
}

// Anomaly is Anomaly using w's scratch memory.
func (w *Workspace) Anomaly(ts []int64, vs []float64, opt AnomalyOptions) (Score, error) {
	if err := checkLengths(ts, vs); err != nil {
		return Score{}, err
	}
	if err := opt.Validate(); err != nil {
		return Score{}, err
	}
	opt = opt.withDefaults()
	last := lastUsable(vs)
	if last < 0 {
		return Score{}, nil
	}
	sc := Score{End: ts[last], Value: vs[last]}
	// The evaluated window, then the scale and level windows before it.
	ev0 := windowStart(ts, ts[last], opt.Window)
	if opt.Window <= 0 {
		ev0 = last
	}
	evStart := ts[ev0]
	sc0 := windowStart(ts[:ev0], evStart, opt.ScaleWindow)
	lv0 := windowStart(ts[:ev0], evStart, opt.LevelWindow)

	// Gather the scale window's usable samples; rule I2 applies across the
	// whole range, so walk one cursor from sc0 to last.
	nScale := ev0 - sc0
	nEval := last + 1 - ev0
	xs := buf(&w.a, nScale+nEval)
	tsx := w.times(nScale + nEval)
	var m, mEval, mLevelFrom int
	mLevelFrom = -1
	c := newCursor(ts, vs, sc0, last+1)
	for t, v, ok := c.next(); ok; t, v, ok = c.next() {
		idx := c.i - 1
		if idx >= lv0 && idx < ev0 && mLevelFrom < 0 {
			mLevelFrom = m
		}
		if idx >= ev0 {
			mEval++
		}
		xs[m], tsx[m] = v, t
		m++
	}
	mScale := m - mEval
	if mLevelFrom < 0 {
		mLevelFrom = mScale
	}
	if mScale < opt.MinSamples || mEval == 0 {
		return sc, nil
	}
	// S2: the level window holds at least minLevelSamples samples, so that
	// one outlier in a sparse series cannot move its median.
	mLevelFrom = max(0, min(mLevelFrom, mScale-minLevelSamples))
	sc.N = mScale

	// S4: the rolling baseline: median of the level window, scale from the
	// scale window.
	tmp := buf(&w.b, m)
	level := xs[mLevelFrom:mScale]
	copy(tmp, level)
	rollBase := medianInPlace(tmp[:len(level)])
	copy(tmp, xs[:mScale])
	med := medianInPlace(tmp[:mScale])
	for i := range mScale {
		tmp[i] = math.Abs(xs[i] - med)
	}
	rollScale := max(robustScale(tmp[:mScale]), tailScale(tmp[:mScale], opt.TailQuantile))

	best := RollingBaseline
	scale := rollScale
	expected := rollBase
	for i := range mEval {
		tmp[i] = xs[mScale+i] - rollBase
	}
	dev := windowDeviation(tmp[:mEval], opt.WindowMean)

	// S1–S3: the seasonal baseline, used when it explains the scale window
	// better than the rolling one (S5).
	if opt.Period > 0 {
		tol := opt.Tolerance
		if tol == 0 && mScale > 1 {
			tol = time.Duration(tsx[mScale-1]-tsx[0]) * time.Millisecond / time.Duration(mScale-1)
		}
		raw := buf(&w.c, m)
		periods := w.seasonalRaw(ts, vs, tsx[:m], raw, opt, tol)
		d := buf(&w.d, m)
		nd, first := 0, -1
		for i := range mScale {
			if !math.IsNaN(raw[i]) {
				if first < 0 {
					first = i
				}
				d[nd] = xs[i] - raw[i]
				nd++
			}
		}
		// S8: the residuals must span a whole period (or the whole scale
		// window when that is shorter) before their scale can stand
		// against the rolling one.
		spansPeriod := first >= 0 &&
			time.Duration(evStart-tsx[first])*time.Millisecond+tol >= min(opt.Period, opt.ScaleWindow)
		if nd >= opt.MinSamples && !math.IsNaN(raw[m-1]) {
			copy(tmp, d[:nd])
			dmed := medianInPlace(tmp[:nd])
			for i := range nd {
				tmp[i] = math.Abs(d[i] - dmed)
			}
			seasScale := max(robustScale(tmp[:nd]), tailScale(tmp[:nd], opt.TailQuantile))
			// S2: level offset = median deviation over the level window.
			nl := 0
			for i := mLevelFrom; i < mScale; i++ {
				if !math.IsNaN(raw[i]) {
					tmp[nl] = xs[i] - raw[i]
					nl++
				}
			}
			offset := dmed
			if nl > 0 {
				offset = medianInPlace(tmp[:nl])
			}
			ne := 0
			for i := mScale; i < m; i++ {
				if !math.IsNaN(raw[i]) {
					tmp[ne] = xs[i] - raw[i] - offset
					ne++
				}
			}
			if seasScale < scale && spansPeriod {
				dev = windowDeviation(tmp[:ne], opt.WindowMean)
				best, expected = SeasonalBaseline, raw[m-1]+offset
				// S3: noise that depends on the phase (quiet nights,
				// noisy days) widens the scale where it is larger.
				scale = seasScale
				sc.N = nd
			}
			sc.Periods = periods
		}
		if opt.PhaseWindow > 0 {
			// S9: the neighbourhood is at least as wide as the
			// tolerance, so a sparse series has samples beside the phase.
			local, recurring := w.phaseScale(ts, vs, tsx[m-1], max(opt.PhaseWindow, tol), opt)
			if best == SeasonalBaseline {
				scale = max(scale, local) // S3
			}
			scale = max(scale, recurring) // S7, whichever the baseline
		}
	}
	sc.Baseline = best
	sc.Expected = expected
	sc.Deviation = dev
	sc.Scale = max(scale, opt.MinScale)
	sc.Score = ratio(dev, sc.Scale)
	return sc, nil
}

// windowDeviation returns rule S6's deviation of an evaluated window from
// the deviations d of its samples: their median, or their mean when mean
// is set. It reorders d.
func windowDeviation(d []float64, mean bool) float64 {
	if !mean {
		return medianInPlace(d)
	}
	var sum float64
	for _, x := range d {
		sum += x
	}
	return sum / float64(len(d))
}

// tailScale returns rule R5's floor for absolute deviations abs: their
// p-quantile over Φ⁻¹((1+p)/2), with p = min(q, 1 − 2/n) so that a short
// window does not rest on its maximum; 0 when q ≥ 1. It reorders abs.
func tailScale(abs []float64, q float64) float64 {
	n := len(abs)
	if q >= 1 || n < 3 {
		return 0
	}
	p := min(q, 1-2/float64(n))
	v := selectK(abs, int(p*float64(n-1)))
	return v / distuv.UnitNormal.Quantile((1+p)/2)
}

// times returns a scratch slice of n int64s.
func (w *Workspace) times(n int) []int64 {
	if cap(w.t) < n {
		w.t = make([]int64, n, n+n/4)
	}
	return w.t[:n]
}

// ratio is dev/scale with rule R4 for a zero scale.
func ratio(dev, scale float64) float64 {
	if scale > 0 {
		return dev / scale
	}
	if dev == 0 {
		return 0
	}
	return math.Copysign(math.Inf(1), dev)
}

// seasonalRaw fills raw[i] with rule S1's unadjusted seasonal baseline of
// the sample at at[i] (NaN when fewer than MinPeriods past periods hold a
// sample within tol of the phase) and returns the number of periods found
// for the last one. at must ascend; each period's lookup walks forward from
// where the previous sample's left off, so the cost is O(len(at)·K) plus
// one binary search per period.
func (w *Workspace) seasonalRaw(ts []int64, vs []float64, at []int64, raw []float64, opt AnomalyOptions, tol time.Duration) (found int) {
	P := opt.Period.Milliseconds()
	tolMs := tol.Milliseconds()
	var ptr [MaxPeriods]int
	for k := range opt.Periods {
		ptr[k] = searchTime(ts, at[0]-int64(k+1)*P)
	}
	var vals [MaxPeriods]float64
	for i, t := range at {
		nv := 0
		for k := range opt.Periods {
			target := t - int64(k+1)*P
			j := ptr[k]
			for j < len(ts) && ts[j] < target {
				j++
			}
			ptr[k] = j
			// The nearest usable sample among the two that bracket the
			// target.
			best, bestD := math.NaN(), tolMs+1
			if j < len(ts) && usable(vs[j]) && ts[j]-target < bestD {
				best, bestD = vs[j], ts[j]-target
			}
			if j > 0 && usable(vs[j-1]) && target-ts[j-1] < bestD {
				best, bestD = vs[j-1], target-ts[j-1]
			}
			if bestD <= tolMs {
				vals[nv] = best
				nv++
			}
		}
		found = nv
		if nv < opt.MinPeriods {
			raw[i] = math.NaN()
			continue
		}
		raw[i] = medianInPlace(vals[:nv])
	}
	return found
}

// phaseScale returns, at time t, rule S3's local noise scale and rule
// S7's recurring-excursion scale (0 when not known), over neighbourhoods of
// half-width phaseWindow (rule S9). S3: the deviations of the samples
// within phaseWindow of t's phase in each of the K past periods from that
// period's local median, pooled, as 1.4826·MAD. S7: the median over those
// periods of each one's largest deviation, over the median of the largest
// of n absolute standard normal deviations (n the median sample count of a
// period's neighbourhood); it needs MinPeriods periods. Periods with fewer
// than 3 samples in the neighbourhood are skipped.
func (w *Workspace) phaseScale(ts []int64, vs []float64, t int64, phaseWindow time.Duration, opt AnomalyOptions) (local, recurring float64) {
	P, pw := opt.Period.Milliseconds(), phaseWindow.Milliseconds()
	pooled := w.e[:0]
	var maxDev, count [MaxPeriods]float64
	nPeriods := 0
	for k := range opt.Periods {
		target := t - int64(k+1)*P
		lo := searchTime(ts, target-pw)
		if lo >= len(ts) || ts[lo] > target+pw {
			continue
		}
		from := len(pooled)
		for j := lo; j < len(ts) && ts[j] <= target+pw; j++ {
			if usable(vs[j]) {
				pooled = append(pooled, vs[j])
			}
		}
		near := pooled[from:]
		if len(near) < 3 {
			pooled = pooled[:from]
			continue
		}
		tmp := buf(&w.b, len(near))
		copy(tmp, near)
		med := medianInPlace(tmp)
		largest := 0.0
		for j := range near {
			near[j] = math.Abs(near[j] - med)
			largest = max(largest, near[j])
		}
		maxDev[nPeriods], count[nPeriods] = largest, float64(len(near))
		nPeriods++
	}
	w.e = pooled
	if len(pooled) == 0 {
		return 0, 0
	}
	local = madScale * medianInPlace(pooled)
	if nPeriods >= opt.MinPeriods {
		n := medianInPlace(count[:nPeriods])
		recurring = medianInPlace(maxDev[:nPeriods]) / medianAbsNormalMax(n)
	}
	return local, recurring
}

// medianAbsNormalMax returns the median of the largest of n absolute
// standard normal variables: x with (2Φ(x) − 1)ⁿ = ½.
func medianAbsNormalMax(n float64) float64 {
	return distuv.UnitNormal.Quantile((1 + math.Pow(0.5, 1/n)) / 2)
}

// searchTime returns the first index with ts[i] ≥ t.
func searchTime(ts []int64, t int64) int {
	lo, hi := 0, len(ts)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ts[m] < t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// ConfirmAnomaly reports whether a short-window and a long-window score of
// the same series agree on an anomaly (rule C5): |short| ≥ shortThreshold,
// |long| ≥ longThreshold, same sign, both with a baseline. The short score
// (Window 0 or a few samples) reacts at once; the long one (Window of tens
// of minutes) only once the series has stayed off, and because it scores
// the window's median deviation on the per-sample scale it runs lower, so
// longThreshold is usually a fraction of shortThreshold (bench/forecast
// uses 0.3). Confirming drops isolated spikes and one-sample glitches, the
// bulk of false alarms on spiky series, at the cost of lead time and of
// anomalies that are spikes by nature.
func ConfirmAnomaly(short, long Score, shortThreshold, longThreshold float64) bool {
	if short.Baseline == NoBaseline || long.Baseline == NoBaseline {
		return false
	}
	return math.Abs(short.Score) >= shortThreshold && math.Abs(long.Score) >= longThreshold &&
		(short.Score > 0) == (long.Score > 0)
}

// EWMA scores the last usable sample against the exponentially weighted
// mean and mean absolute deviation of all earlier usable samples (rule W1),
// for series without the history a seasonal baseline needs. Weights decay
// with elapsed time, halving every halfLife, so irregular spacing and gaps
// are handled. It needs minSamples earlier samples (at least 2).
func EWMA(ts []int64, vs []float64, halfLife time.Duration, minSamples int) (Score, error) {
	if err := checkLengths(ts, vs); err != nil {
		return Score{}, err
	}
	if halfLife <= 0 {
		return Score{}, fmt.Errorf("score ewma: half-life %v is not positive", halfLife)
	}
	last := lastUsable(vs)
	if last < 0 {
		return Score{}, nil
	}
	sc := Score{End: ts[last], Value: vs[last]}
	hl := float64(halfLife.Milliseconds())
	var mean, mad float64
	var tPrev int64
	n := 0
	c := newCursor(ts, vs, 0, last)
	for t, v, ok := c.next(); ok; t, v, ok = c.next() {
		if n == 0 {
			mean, tPrev = v, t
			n++
			continue
		}
		a := 1 - math.Exp2(-float64(t-tPrev)/hl)
		tPrev = t
		mad += a * (math.Abs(v-mean) - mad)
		mean += a * (v - mean)
		n++
	}
	if n < max(minSamples, 2) || ts[last] <= tPrev {
		return sc, nil
	}
	sc.Baseline = EWMABaseline
	sc.N = n
	sc.Expected = mean
	sc.Deviation = vs[last] - mean
	sc.Scale = meanADScale * mad
	sc.Score = ratio(sc.Deviation, sc.Scale)
	return sc, nil
}
