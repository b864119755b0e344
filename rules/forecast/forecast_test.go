package forecast

import (
	"errors"
	"math"
	"testing"
	"time"
)

// near reports whether got is within 1e-9 (relative) of want.
func near(got, want float64) bool {
	if math.IsInf(want, 0) || math.IsNaN(want) {
		return got == want || (math.IsNaN(got) && math.IsNaN(want))
	}
	return math.Abs(got-want) <= 1e-9*math.Max(1, math.Abs(want))
}

// secs returns timestamps (ms) for the given seconds.
func secs(s ...float64) []int64 {
	ts := make([]int64, len(s))
	for i, x := range s {
		ts[i] = int64(math.Round(x * 1000))
	}
	return ts
}

// line returns n samples every step seconds of y = a + b·t.
func line(n int, step, a, b float64) ([]int64, []float64) {
	ts := make([]int64, n)
	vs := make([]float64, n)
	for i := range n {
		t := float64(i) * step
		ts[i] = int64(t * 1000)
		vs[i] = a + b*t
	}
	return ts, vs
}

func TestMedianMAD(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name      string
		in        []float64
		median    float64
		mad       float64
		madCentre float64
	}{
		{"odd with outlier", []float64{100, 3, 1, 4, 2}, 3, 1, 3},
		{"even", []float64{4, 1, 3, 2}, 2.5, 1, 2.5},
		{"NaN ignored", []float64{nan, 5, 1, nan, 3}, 3, 2, 3},
		{"single", []float64{7}, 7, 0, 7},
		{"ties", []float64{2, 2, 2, 9}, 2, 0, 2},
		{"empty", nil, nan, nan, nan},
		{"only NaN", []float64{nan, nan}, nan, nan, nan},
		{"long", []float64{9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 20}, 10, 5, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := append([]float64(nil), tt.in...)
			if got := Median(a); !near(got, tt.median) {
				t.Errorf("Median = %v, want %v", got, tt.median)
			}
			b := append([]float64(nil), tt.in...)
			mad, centre := MAD(b)
			if !near(mad, tt.mad) || !near(centre, tt.madCentre) {
				t.Errorf("MAD = %v around %v, want %v around %v", mad, centre, tt.mad, tt.madCentre)
			}
		})
	}
}

func TestSelectKMatchesSort(t *testing.T) {
	// A deterministic pseudo-random permutation with many duplicates.
	xs := make([]float64, 257)
	for i := range xs {
		xs[i] = float64((i * 7919) % 61)
	}
	for _, k := range []int{0, 1, 100, 128, 255, 256} {
		a := append([]float64(nil), xs...)
		got := selectK(a, k)
		var below, equal int
		for _, x := range xs {
			if x < got {
				below++
			} else if x == got {
				equal++
			}
		}
		if below > k || below+equal <= k {
			t.Errorf("selectK(%d) = %v: %d values below, %d equal", k, got, below, equal)
		}
	}
}

func TestFitTrend(t *testing.T) {
	nan := math.NaN()
	// y = x for x = 0..10 s except y(8) = 100: Theil–Sen keeps slope 1
	// (45 of the 55 pairwise slopes are exactly 1); OLS moves to
	// Sxy/Sxx = (110 + 3·92)/110 and level 340/11 at x = 10.
	outTS := secs(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	outVS := []float64{0, 1, 2, 3, 4, 5, 6, 7, 100, 9, 10}
	lineTS, lineVS := line(13, 5, 5, 2) // y = 5 + 2t, t = 0..60 s
	tests := []struct {
		name  string
		ts    []int64
		vs    []float64
		opt   Options
		level float64
		slope float64
		sigma float64
		n     int
	}{
		{"ols perfect line", lineTS, lineVS, Options{}, 125, 2, 0, 13},
		{"theil-sen perfect line", lineTS, lineVS, Options{Method: TheilSen}, 125, 2, 0, 13},
		{"holt undamped perfect line", lineTS, lineVS, Options{Method: DampedHolt, Holt: HoltParams{Phi: 1}}, 125, 2, 0, 13},
		{"ols moved by outlier", outTS, outVS, Options{}, 340.0 / 11, 386.0 / 110, math.NaN(), 11},
		{"theil-sen ignores outlier", outTS, outVS, Options{Method: TheilSen}, 10, 1, 1.2533 * 92 / 11, 11},
		{"theil-sen on block medians ignores outlier", outTS, outVS, Options{Method: TheilSen, TheilSenPoints: 5}, 10, 1, 1.2533 * 92 / 11, 11},
		{"holt constant", secs(0, 5, 10, 15, 20, 25, 30), []float64{7, 7, 7, 7, 7, 7, 7}, Options{Method: DampedHolt}, 7, 0, 0, 7},
		{"ols hand-computed residuals", secs(0, 1, 2, 3, 4), []float64{1, 3, 2, 5, 4}, Options{}, 4.6, 0.8, math.Sqrt(1.2), 5},
		{"NaN, Inf and out-of-order samples are skipped",
			secs(0, 1, 2, 2, 3, 2.5, 4, 5), []float64{1, 3, 2, 99, 5, 99, 4, nan},
			Options{}, 4.6, 0.8, math.Sqrt(1.2), 5},
		{"window keeps (end−window, end]",
			secs(0, 1, 2, 3, 4, 5, 6), []float64{50, -50, 1, 3, 2, 5, 4},
			Options{Window: 5 * time.Second}, 4.6, 0.8, math.Sqrt(1.2), 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := FitTrend(tt.ts, tt.vs, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if tr.N != tt.n || !near(tr.Level, tt.level) || !near(tr.Slope, tt.slope) {
				t.Errorf("n=%d level=%v slope=%v, want n=%d level=%v slope=%v", tr.N, tr.Level, tr.Slope, tt.n, tt.level, tt.slope)
			}
			if !math.IsNaN(tt.sigma) && math.Abs(tr.Sigma-tt.sigma) > 1e-9*math.Max(1, tt.sigma) {
				t.Errorf("sigma = %v, want %v", tr.Sigma, tt.sigma)
			}
		})
	}
}

func TestPredictOLSInterval(t *testing.T) {
	// x = 0..4 s, y = 1 3 2 5 4: level 4.6 at x = 4, slope 0.8, s = √1.2,
	// x̄ = −2 s from the end, Sxx = 10, t(0.975, 3) = 3.182446305284263.
	tr, err := FitTrend(secs(0, 1, 2, 3, 4), []float64{1, 3, 2, 5, 4}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		at    int64
		mid   float64
		halfW float64 // t·s·√(1 + 1/n + (h−x̄)²/Sxx)
	}{
		{"at the end", 4000, 4.6, 4.4097269544897575},
		{"5 s ahead", 9000, 8.6, 8.610267129285116},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mid, lo, hi := tr.Predict(tt.at)
			if !near(mid, tt.mid) || !near(hi-mid, tt.halfW) || !near(mid-lo, tt.halfW) {
				t.Errorf("Predict = %v [%v, %v], want %v ± %v", mid, lo, hi, tt.mid, tt.halfW)
			}
		})
	}
}

func TestETA(t *testing.T) {
	nan := math.NaN()
	lineTS, lineVS := line(13, 5, 5, 2) // y = 5 + 2t over 0..60 s; 125 at the end
	down := make([]float64, len(lineVS))
	for i, v := range lineVS {
		down[i] = 200 - v // 75 at the end, falling 2/s
	}
	gappy := append([]float64(nil), lineVS...)
	gappy[3], gappy[7], gappy[12] = nan, math.Inf(1), nan // last usable: t=55 s, 115
	outTS := secs(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	outVS := []float64{0, 1, 2, 3, 4, 5, 6, 7, 100, 9, 10}
	tests := []struct {
		name      string
		ts        []int64
		vs        []float64
		threshold float64
		horizon   time.Duration
		opt       Options
		status    Status
		eta       time.Duration
		earliest  time.Duration
		latest    time.Duration
	}{
		{"perfect line exact ETA", lineTS, lineVS, 205, time.Hour, Options{}, Crossing, 40 * time.Second, 40 * time.Second, 40 * time.Second},
		{"perfect line Theil-Sen", lineTS, lineVS, 205, time.Hour, Options{Method: TheilSen}, Crossing, 40 * time.Second, 40 * time.Second, 40 * time.Second},
		{"perfect line undamped Holt", lineTS, lineVS, 205, time.Hour, Options{Method: DampedHolt, Holt: HoltParams{Phi: 1}}, Crossing, 40 * time.Second, 40 * time.Second, 40 * time.Second},
		{"beyond horizon", lineTS, lineVS, 205, 39 * time.Second, Options{}, Clear, Never, Never, Never},
		{"horizon reaches exactly", lineTS, lineVS, 205, 40 * time.Second, Options{}, Crossing, 40 * time.Second, 40 * time.Second, 40 * time.Second},
		{"already breached", lineTS, lineVS, 125, time.Hour, Options{}, Breached, 0, 0, 0},
		{"rising away from a floor", lineTS, lineVS, 100, time.Hour, Options{Direction: Below}, Clear, Never, Never, Never},
		{"below a floor already", lineTS, lineVS, 130, time.Hour, Options{Direction: Below}, Breached, 0, 0, 0},
		{"falling towards a floor", lineTS, down, 15, time.Hour, Options{Direction: Below}, Crossing, 30 * time.Second, 30 * time.Second, 30 * time.Second},
		{"falling away from a ceiling", lineTS, down, 150, time.Hour, Options{}, Clear, Never, Never, Never},
		{"gaps ignored, measured from last usable", lineTS, gappy, 205, time.Hour, Options{}, Crossing, 45 * time.Second, 45 * time.Second, 45 * time.Second},
		{"Theil-Sen ignores outlier", outTS, outVS, 40, time.Hour, Options{Method: TheilSen}, Crossing, 30 * time.Second, -1, -1},
		{"OLS pulled by outlier", outTS, outVS, 40, time.Hour, Options{}, Crossing, 2591 * time.Millisecond, -1, -1},
		{"too few samples", secs(0, 1), []float64{1, 2}, 5, time.Hour, Options{}, Insufficient, Never, Never, Never},
		{"all NaN", secs(0, 1, 2), []float64{nan, nan, nan}, 5, time.Hour, Options{}, Insufficient, Never, Never, Never},
		{"span too short", lineTS, lineVS, 205, time.Hour, Options{MinSpan: time.Minute + time.Millisecond}, Insufficient, Never, Never, Never},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ETA(tt.ts, tt.vs, tt.threshold, tt.horizon, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if e.Status != tt.status || e.ETA != tt.eta {
				t.Errorf("status %v eta %v, want %v %v", e.Status, e.ETA, tt.status, tt.eta)
			}
			if tt.earliest >= 0 && (e.Earliest != tt.earliest || e.Latest != tt.latest) {
				t.Errorf("bounds [%v, %v], want [%v, %v]", e.Earliest, e.Latest, tt.earliest, tt.latest)
			}
			if e.Status == Crossing && !(e.Earliest <= e.ETA && e.ETA <= e.Latest) {
				t.Errorf("bounds [%v, %v] do not bracket %v", e.Earliest, e.Latest, e.ETA)
			}
		})
	}
}

func TestETABoundsFromInterval(t *testing.T) {
	// The hand-computed OLS fit above (level 4.6, slope 0.8/s, s = √1.2):
	// the upper bound starts at 4.6 + 4.41 = 9.01, so it is already at a
	// threshold of 9; the point forecast needs (9 − 4.6)/0.8 = 5.5 s; the
	// lower bound 4.6 + 0.8h − 3.1824·√1.2·√(1.2 + (h+2)²/10) never rises
	// (its slope tends to 0.8 − 1.1024 < 0).
	e, err := ETA(secs(0, 1, 2, 3, 4), []float64{1, 3, 2, 5, 4}, 9, time.Hour, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if e.Status != Crossing || e.ETA != 5500*time.Millisecond || e.Earliest != 0 || e.Latest != Never {
		t.Errorf("got %v eta %v [%v, %v], want crossing 5.5s [0s, Never]", e.Status, e.ETA, e.Earliest, e.Latest)
	}
	// The bound crossings solve upper(h) = thr: check the found time.
	e, err = ETA(secs(0, 1, 2, 3, 4), []float64{1, 3, 2, 5, 4}, 20, time.Hour, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, hi := e.Trend.Predict(e.Trend.End + e.Earliest.Milliseconds())
	if math.Abs(hi-20) > 1e-2 {
		t.Errorf("upper bound at Earliest (%v) = %v, want 20", e.Earliest, hi)
	}
}

func TestDampedHoltClosedForm(t *testing.T) {
	// Level 0, trend 1 per 1-minute step, φ = 0.5: the forecast is
	// 1 − 0.5ᵏ after k steps and never exceeds 1.
	tr := Trend{Method: DampedHolt, N: 10, Last: 0, holt: newHoltState(0, 1, 0.5, 0.2, 0.5, 60)}
	tests := []struct {
		name      string
		threshold float64
		status    Status
		eta       time.Duration
	}{
		{"reached after two steps", 0.75, Crossing, 2 * time.Minute},
		{"reached after one step", 0.5, Crossing, time.Minute},
		{"beyond the damped asymptote", 1, Clear, Never},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tr.ETA(tt.threshold, Above, time.Hour)
			if e.Status != tt.status || e.ETA != tt.eta {
				t.Errorf("got %v %v, want %v %v", e.Status, e.ETA, tt.status, tt.eta)
			}
		})
	}
	// Variance factor: k = 3 steps sums c₁² + c₂² with
	// c_j = α(1 + β(φ+…+φʲ)): c₁ = 0.5·1.1 = 0.55, c₂ = 0.5·1.15 = 0.575.
	if got, want := tr.holt.varianceFactor(180), 1+0.55*0.55+0.575*0.575; !near(got, want) {
		t.Errorf("varianceFactor(3 steps) = %v, want %v", got, want)
	}
	und := newHoltState(0, 0, 0.5, 0.2, 1, 60)
	if got, want := und.varianceFactor(180), 1+0.25*(1.2*1.2+1.4*1.4); !near(got, want) {
		t.Errorf("undamped varianceFactor(3 steps) = %v, want %v", got, want)
	}
}

func TestHoltConstantPredictsConstant(t *testing.T) {
	ts, vs := line(720, 5, 42, 0)
	tr, err := FitTrend(ts, vs, Options{Method: DampedHolt})
	if err != nil {
		t.Fatal(err)
	}
	mid, lo, hi := tr.Predict(tr.End + time.Hour.Milliseconds())
	if mid != 42 || lo != 42 || hi != 42 {
		t.Errorf("Predict(+1h) = %v [%v, %v], want 42", mid, lo, hi)
	}
	e := tr.ETA(43, Above, 24*time.Hour)
	if e.Status != Clear || e.ETA != Never {
		t.Errorf("ETA = %v %v, want clear, never", e.Status, e.ETA)
	}
}

func TestHoltIrregularSpacingMatchesTime(t *testing.T) {
	// Undamped Holt on a perfect line sampled irregularly, with a gap, is
	// still exact: rule H2 weighs each update by elapsed time.
	ts := secs(0, 3, 5, 11, 12, 60, 61, 75, 90)
	vs := make([]float64, len(ts))
	for i, t := range ts {
		vs[i] = 1 + 0.5*float64(t)/1000
	}
	e, err := ETA(ts, vs, 1+0.5*100, time.Hour, Options{Method: DampedHolt, Holt: HoltParams{Phi: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if e.Status != Crossing || e.ETA != 10*time.Second {
		t.Errorf("got %v %v, want crossing 10s", e.Status, e.ETA)
	}
}

func TestInvalidInput(t *testing.T) {
	ts, vs := line(10, 1, 0, 1)
	tests := []struct {
		name      string
		ts        []int64
		threshold float64
		horizon   time.Duration
		opt       Options
	}{
		{"length mismatch", ts[:9], 20, time.Hour, Options{}},
		{"NaN threshold", ts, math.NaN(), time.Hour, Options{}},
		{"zero horizon", ts, 20, 0, Options{}},
		{"unknown method", ts, 20, time.Hour, Options{Method: 9}},
		{"coverage 1", ts, 20, time.Hour, Options{Coverage: 1}},
		{"min samples 2", ts, 20, time.Hour, Options{MinSamples: 2}},
		{"negative window", ts, 20, time.Hour, Options{Window: -time.Second}},
		{"holt phi > 1", ts, 20, time.Hour, Options{Method: DampedHolt, Holt: HoltParams{Phi: 1.1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ETA(tt.ts, vs, tt.threshold, tt.horizon, tt.opt); err == nil {
				t.Error("no error")
			}
		})
	}
	if _, err := FitTrend(ts[:2], vs[:2], Options{}); !errors.Is(err, ErrInsufficientData) {
		t.Errorf("FitTrend of 2 samples: %v, want ErrInsufficientData", err)
	}
}

func TestConfirm(t *testing.T) {
	est := func(s Status, eta, lo, hi time.Duration) Estimate {
		return Estimate{Status: s, Horizon: 30 * time.Minute, ETA: eta, Earliest: lo, Latest: hi}
	}
	m := time.Minute
	tests := []struct {
		name        string
		short, long Estimate
		want        Estimate
	}{
		{"C1 breached", est(Breached, 0, 0, 0), est(Breached, 0, 0, 0), est(Breached, 0, 0, 0)},
		{"C2 long window not ready", est(Crossing, 5*m, 4*m, 6*m), est(Insufficient, Never, Never, Never), est(Insufficient, Never, Never, Never)},
		{"C3 both crossing", est(Crossing, 5*m, 4*m, 7*m), est(Crossing, 12*m, 3*m, 20*m), est(Crossing, 5*m, 3*m, 20*m)},
		{"C4 long vetoes", est(Crossing, 5*m, 4*m, 7*m), est(Clear, Never, 25*m, Never), est(Clear, Never, 4*m, Never)},
		{"C4 short vetoes", est(Clear, Never, Never, Never), est(Crossing, 12*m, 3*m, 20*m), est(Clear, Never, 3*m, Never)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Confirm(tt.short, tt.long)
			if got.Status != tt.want.Status || got.ETA != tt.want.ETA || got.Earliest != tt.want.Earliest || got.Latest != tt.want.Latest {
				t.Errorf("got %v %v [%v, %v], want %v %v [%v, %v]", got.Status, got.ETA, got.Earliest, got.Latest,
					tt.want.Status, tt.want.ETA, tt.want.Earliest, tt.want.Latest)
			}
		})
	}
}

func TestParseMethod(t *testing.T) {
	for _, m := range []Method{OLS, TheilSen, DampedHolt} {
		got, err := ParseMethod(m.String())
		if err != nil || got != m {
			t.Errorf("ParseMethod(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := ParseMethod("linear"); err == nil {
		t.Error("ParseMethod(linear) accepted")
	}
}
