package forecast

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Status classifies an Estimate.
type Status uint8

// The estimate statuses.
const (
	// Insufficient means too few usable samples (or too short a span) to
	// fit a trend; nothing is predicted.
	Insufficient Status = iota
	// Clear means the point forecast does not reach the threshold within
	// the horizon.
	Clear
	// Crossing means the point forecast reaches the threshold within the
	// horizon; ETA says when.
	Crossing
	// Breached means the last observed value is already at or beyond the
	// threshold.
	Breached
)

// String returns the status in lower case.
func (s Status) String() string {
	switch s {
	case Insufficient:
		return "insufficient"
	case Clear:
		return "clear"
	case Crossing:
		return "crossing"
	case Breached:
		return "breached"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Estimate answers when a series is predicted to reach a threshold. All
// durations count from Trend.End, the last usable sample, and are whole
// milliseconds; Never means "not within the horizon".
type Estimate struct {
	// Status classifies the answer.
	Status Status
	// Trend is the fit the answer is based on (zero when Insufficient).
	Trend Trend
	// Threshold, Direction and Horizon are the question asked.
	Threshold float64
	Direction Direction
	Horizon   time.Duration
	// ETA is when the point forecast reaches the threshold: 0 when
	// Breached or when the fitted level already lies beyond it, Never when
	// it does not within Horizon (rule E2).
	ETA time.Duration
	// Earliest is when the optimistic bound of the prediction interval
	// (the upper one for Above) reaches the threshold, and Latest when the
	// pessimistic bound does; Earliest ≤ ETA ≤ Latest (rule E3). Either is
	// Never when its bound does not reach the threshold within Horizon, so
	// Earliest can be finite while ETA is Never: a breach is possible but
	// not expected.
	Earliest, Latest time.Duration
}

// Within reports whether the point forecast reaches the threshold within d
// of Trend.End (a Breached estimate is within every d ≥ 0).
func (e Estimate) Within(d time.Duration) bool {
	return (e.Status == Crossing || e.Status == Breached) && e.ETA <= d
}

// Seconds returns ETA in seconds, +Inf for Never, so that it can be written
// as a sample (the forecast rule's ETA series).
func (e Estimate) Seconds() float64 {
	if e.ETA == Never {
		return math.Inf(1)
	}
	return e.ETA.Seconds()
}

// At returns Trend.End + d as a timestamp (ms) and false for Never.
func (e Estimate) At(d time.Duration) (int64, bool) {
	if d == Never {
		return 0, false
	}
	return e.Trend.End + d.Milliseconds(), true
}

// ETA fits opt.Method to the trailing window of the series (rules I1–I5,
// T1–T2, H1–H5) and answers when it reaches threshold within horizon
// (rules E1–E4). It returns an error only for mismatched slices, invalid
// options, a NaN threshold or a horizon ≤ 0; too little data is reported as
// Status Insufficient.
func ETA(ts []int64, vs []float64, threshold float64, horizon time.Duration, opt Options) (Estimate, error) {
	var w Workspace
	return w.ETA(ts, vs, threshold, horizon, opt)
}

// ETA is ETA using w's scratch memory.
func (w *Workspace) ETA(ts []int64, vs []float64, threshold float64, horizon time.Duration, opt Options) (Estimate, error) {
	if math.IsNaN(threshold) {
		return Estimate{}, errors.New("estimate eta: threshold is NaN")
	}
	if horizon <= 0 {
		return Estimate{}, fmt.Errorf("estimate eta: horizon %v is not positive", horizon)
	}
	tr, err := w.FitTrend(ts, vs, opt)
	if errors.Is(err, ErrInsufficientData) {
		return Estimate{Status: Insufficient, Threshold: threshold, Direction: opt.Direction, Horizon: horizon,
			ETA: Never, Earliest: Never, Latest: Never}, nil
	}
	if err != nil {
		return Estimate{}, err
	}
	return tr.ETA(threshold, opt.Direction, horizon), nil
}

// ETA answers when tr reaches threshold within horizon (rules E1–E4).
func (tr Trend) ETA(threshold float64, dir Direction, horizon time.Duration) Estimate {
	e := Estimate{Trend: tr, Threshold: threshold, Direction: dir, Horizon: horizon}
	sgn := 1.0
	if dir == Below {
		sgn = -1
	}
	// E1: the last observation decides whether the breach has happened.
	if sgn*(tr.Last-threshold) >= 0 {
		e.Status = Breached
		return e
	}
	H := horizon.Seconds()
	// E2: the point forecast's first crossing, in closed form.
	h := tr.midCrossing(threshold, sgn, H)
	e.ETA = toDuration(h)
	e.Status = Clear
	if e.ETA != Never {
		e.Status = Crossing
	}
	// E3: the interval bounds' first crossings.
	if tr.Sigma == 0 {
		e.Earliest, e.Latest = e.ETA, e.ETA
		return e
	}
	e.Earliest = toDuration(tr.bandCrossing(threshold, sgn, +1, H))
	e.Latest = toDuration(tr.bandCrossing(threshold, sgn, -1, H))
	// Bisection tolerance must not invert the documented order.
	e.Earliest = min(e.Earliest, e.ETA)
	e.Latest = max(e.Latest, e.ETA)
	return e
}

// toDuration converts seconds (+Inf for none) to whole milliseconds.
func toDuration(h float64) time.Duration {
	if math.IsInf(h, 1) || math.IsNaN(h) {
		return Never
	}
	return time.Duration(math.Round(h*1000)) * time.Millisecond
}

// midCrossing returns the first h in [0, H] at which sgn·(mid(h)−thr) ≥ 0,
// or +Inf.
func (tr Trend) midCrossing(thr, sgn, H float64) float64 {
	gap := thr - tr.Level // to cover, in the breach direction when sgn·gap > 0
	if sgn*gap <= 0 {
		return 0
	}
	var h float64
	switch tr.Method {
	case DampedHolt:
		s := tr.holt
		if sgn*s.trend <= 0 {
			return math.Inf(1)
		}
		r := gap / s.trend // damped steps of trend needed
		k := r
		if s.phi < 1 {
			x := 1 - r*(1-s.phi)/s.phi
			if x <= 0 {
				return math.Inf(1) // the damped forecast levels off short of thr
			}
			k = math.Log(x) / math.Log(s.phi)
		}
		h = k * s.step
	default:
		if sgn*tr.Slope <= 0 {
			return math.Inf(1)
		}
		h = gap / tr.Slope
	}
	if h > H {
		return math.Inf(1)
	}
	return h
}

// scanSegments is the number of grid segments bandCrossing scans before
// bisecting when the bound is not monotone; the OLS and Theil–Sen
// pessimistic bounds are concave, so a crossing is missed only when the
// bound touches the threshold for less than a 128th of the horizon.
const scanSegments = 128

// bandCrossing returns the first h in [0, H] at which the interval bound on
// side side (+1 towards the breach, −1 away from it) satisfies
// sgn·(bound(h)−thr) ≥ 0, or +Inf. The point forecast is monotone and the
// half width grows with h for every method, which gives a cheap upper bound
// on g over [0, H] (most evaluations stop there) and makes the optimistic
// bound monotone when the trend points at the breach (a plain bisection).
func (tr Trend) bandCrossing(thr, sgn, side, H float64) float64 {
	g := func(h float64) float64 {
		return sgn*(tr.mid(h)-thr) + side*tr.halfWidth(h)
	}
	g0 := g(0)
	if g0 >= 0 {
		return 0
	}
	midH := sgn * (tr.mid(H) - thr)
	wBound := tr.halfWidth(H) // side = +1: w ≤ w(H)
	if side < 0 {
		wBound = -tr.halfWidth(0) // side = −1: −w ≤ −w(0)
	}
	if max(sgn*(tr.mid(0)-thr), midH)+wBound < 0 {
		return math.Inf(1)
	}
	lo, hi := 0.0, H
	if side > 0 && midH >= sgn*(tr.mid(0)-thr) {
		// Monotone: one bisection over [0, H].
		if g(H) < 0 {
			return math.Inf(1)
		}
	} else {
		found := false
		for i := 1; i <= scanSegments; i++ {
			h := H * float64(i) / scanSegments
			if g(h) >= 0 {
				hi, found = h, true
				break
			}
			lo = h
		}
		if !found {
			return math.Inf(1)
		}
	}
	for hi-lo > 1e-4 {
		m := lo + (hi-lo)/2
		if g(m) >= 0 {
			hi = m
		} else {
			lo = m
		}
	}
	return hi
}

// Confirm combines the estimates of one series over a short and a long
// trailing window (rules C1–C4):
//
//   - C1: Breached if the short estimate is Breached (both see the same
//     last sample).
//   - C2: Insufficient if either is Insufficient: no warning until both
//     windows hold enough data.
//   - C3: Crossing only if both are Crossing; ETA is the short window's
//     (the freshest rate), Earliest the minimum and Latest the maximum of
//     the two.
//   - C4: otherwise Clear, with ETA the later of the two (so Never when
//     either is Clear), Earliest the minimum and Latest the maximum of the
//     two.
//
// The long window vetoes short-lived slopes (a rebalance pause, a burst)
// and so cuts false alarms; the price is lead time, because a real
// incident only fires once enough of the long window shows the new slope.
// In bench/forecast's simulated lag incidents (10m and 30m windows, 30m
// horizon), confirming cut false alarms by a third to a half against
// either window alone, and the median lead fell from the short window's
// (~13–17 min) to the long window's (~4–9 min; Theil–Sen, which discounts
// a fresh change of slope, lost the most). Firing on the pessimistic bound
// (Estimate.Latest) instead of the point ETA is the other lever, and the
// two combined met the 5 min / 0.5 per day target.
func Confirm(short, long Estimate) Estimate {
	switch {
	case short.Status == Breached:
		return short
	case short.Status == Insufficient:
		return short
	case long.Status == Insufficient:
		long.Trend = short.Trend
		return long
	case short.Status == Crossing && long.Status == Crossing:
		short.Earliest = min(short.Earliest, long.Earliest)
		short.Latest = max(short.Latest, long.Latest)
		return short
	}
	short.Status = Clear
	short.ETA = max(short.ETA, long.ETA)
	short.Earliest = min(short.Earliest, long.Earliest)
	short.Latest = max(short.Latest, long.Latest)
	return short
}
