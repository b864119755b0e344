package forecast

import (
	"fmt"
	"math"
	"time"
)

// Damped-Holt defaults, per DefaultHoltStep.
const (
	DefaultHoltAlpha = 0.5
	DefaultHoltBeta  = 0.2
	DefaultHoltPhi   = 0.98
	DefaultHoltStep  = time.Minute
)

// HoltParams are the damped-Holt smoothing parameters, expressed per Step
// of time rather than per sample, so that the same rule behaves alike at a
// 1 s and a 30 s collection interval (rule H2). Zero fields take defaults.
type HoltParams struct {
	// Alpha is the level smoothing per step, in (0, 1]; default 0.5.
	Alpha float64
	// Beta is the trend smoothing per step, in (0, 1]; default 0.2.
	Beta float64
	// Phi is the trend damping per step, in (0, 1]; 1 is undamped Holt.
	// The point forecast converges to Level + Slope·Step·φ/(1−φ); the
	// default 0.98 projects at most 49 steps of the current trend.
	Phi float64
	// Step is the unit of time the parameters refer to; default 1m.
	Step time.Duration
}

// validate reports the first invalid field of p.
func (p HoltParams) validate() error {
	bad := func(v float64) bool { return v < 0 || v > 1 || math.IsNaN(v) }
	switch {
	case bad(p.Alpha):
		return fmt.Errorf("validate options: holt alpha %v is outside (0, 1]", p.Alpha)
	case bad(p.Beta):
		return fmt.Errorf("validate options: holt beta %v is outside (0, 1]", p.Beta)
	case bad(p.Phi):
		return fmt.Errorf("validate options: holt phi %v is outside (0, 1]", p.Phi)
	case p.Step < 0:
		return fmt.Errorf("validate options: negative holt step %v", p.Step)
	}
	return nil
}

// withDefaults returns p with zero fields replaced by their defaults.
func (p HoltParams) withDefaults() HoltParams {
	if p.Alpha == 0 {
		p.Alpha = DefaultHoltAlpha
	}
	if p.Beta == 0 {
		p.Beta = DefaultHoltBeta
	}
	if p.Phi == 0 {
		p.Phi = DefaultHoltPhi
	}
	if p.Step == 0 {
		p.Step = DefaultHoltStep
	}
	return p
}

// holtState is the end state of a damped-Holt fit.
type holtState struct {
	level, trend float64 // trend in units per step
	alpha, beta  float64
	phi          float64
	lnPhi        float64 // ln φ, so that φᵏ = exp(k·ln φ)
	step         float64 // seconds
}

// newHoltState returns a state with the given parameters (step in seconds).
func newHoltState(level, trend, alpha, beta, phi, step float64) holtState {
	return holtState{level: level, trend: trend, alpha: alpha, beta: beta, phi: phi, lnPhi: math.Log(phi), step: step}
}

// dampedSum returns φ+φ²+…+φᵏ for real k ≥ 0 (k when φ = 1).
func dampedSum(phi, k float64) float64 {
	if phi == 1 {
		return k
	}
	return phi * (1 - math.Pow(phi, k)) / (1 - phi)
}

// mid is the point forecast h ≥ 0 seconds ahead (rule H3).
func (s holtState) mid(h float64) float64 {
	k := h / s.step
	if s.phi == 1 {
		return s.level + s.trend*k
	}
	return s.level + s.trend*s.phi*(1-math.Exp(k*s.lnPhi))/(1-s.phi)
}

// varianceFactor returns 1 + Σ_{j=1}^{k−1} c_j², c_j = α(1 + β(φ+…+φʲ)),
// the ETS(A,Ad,N) forecast variance over σ² for k = h/step steps, with the
// sum taken in closed form for real k (rule H4).
func (s holtState) varianceFactor(h float64) float64 {
	m := h/s.step - 1
	if m <= 0 {
		return 1
	}
	a, b, phi := s.alpha, s.beta, s.phi
	var sum float64
	if phi == 1 {
		sum = m + b*m*(m+1) + b*b*m*(m+1)*(2*m+1)/6
	} else {
		// c_j/α = A − B·φʲ with B = βφ/(1−φ), A = 1 + B.
		bb := b * phi / (1 - phi)
		aa := 1 + bb
		pm := math.Exp(m * s.lnPhi)
		sum = m*aa*aa - 2*aa*bb*phi*(1-pm)/(1-phi) + bb*bb*phi*phi*(1-pm*pm)/(1-phi*phi)
	}
	return 1 + a*a*sum
}

// holt fits rules H1–H5 over the usable samples of ts[from:to].
func (w *Workspace) holt(tr *Trend, ts []int64, vs []float64, from, to int, p HoltParams) {
	step := p.Step.Seconds()
	st := newHoltState(0, 0, p.Alpha, p.Beta, p.Phi, step)

	// H1: start at the first sample with the OLS slope of the first
	// quarter of the samples (at least 3).
	m0 := max(3, tr.N/4)
	var n0 int
	var t0 int64
	var sx, sy, sxx, sxy float64
	c := newCursor(ts, vs, from, to)
	for t, v, ok := c.next(); ok && n0 < m0; t, v, ok = c.next() {
		if n0 == 0 {
			t0 = t
			st.level = v
		}
		x := float64(t-t0) / 1000
		sx, sy, sxx, sxy = sx+x, sy+v, sxx+x*x, sxy+x*v
		n0++
	}
	if d := float64(n0)*sxx - sx*sx; d > 0 {
		st.trend = (float64(n0)*sxy - sx*sy) / d * step
	}

	// H2: smoothing across k = Δt/step steps, k real, so irregular spacing
	// and gaps weigh as much as the elapsed time.
	var sse float64
	var nerr int
	prevK := math.NaN()
	var aK, bK, phiK, sK float64
	c = newCursor(ts, vs, from, to)
	tPrev, _, _ := c.next()
	for i := 1; ; i++ {
		t, v, ok := c.next()
		if !ok {
			break
		}
		k := float64(t-tPrev) / 1000 / step
		tPrev = t
		if k != prevK {
			prevK = k
			aK = 1 - math.Pow(1-p.Alpha, k)
			bK = 1 - math.Pow(1-p.Beta, k)
			phiK = math.Pow(p.Phi, k)
			sK = dampedSum(p.Phi, k)
		}
		pred := st.level + st.trend*sK
		e := v - pred
		if i >= m0 || tr.N <= m0 {
			sse += e * e
			nerr++
		}
		level := pred + aK*e
		st.trend = bK*(level-st.level)/k + (1-bK)*phiK*st.trend
		st.level = level
	}
	tr.holt = st
	tr.Level = st.level
	tr.Slope = st.trend / step
	if nerr > 0 {
		tr.Sigma = math.Sqrt(sse / float64(nerr))
	}
}
