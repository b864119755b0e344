package forecast

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// minutes returns timestamps (ms) one minute apart starting at 0.
func minutes(n int) []int64 {
	ts := make([]int64, n)
	for i := range ts {
		ts[i] = int64(i) * time.Minute.Milliseconds()
	}
	return ts
}

// noisy returns n samples step apart from 0, each level + sd·N(0, 1) drawn
// from a PCG source seeded with seed1, seed2.
func noisy(n int, step time.Duration, seed1, seed2 uint64, level, sd float64) ([]int64, []float64) {
	rng := rand.New(rand.NewPCG(seed1, seed2))
	ts := make([]int64, n)
	vs := make([]float64, n)
	for i := range n {
		ts[i] = int64(i) * step.Milliseconds()
		vs[i] = level + sd*rng.NormFloat64()
	}
	return ts, vs
}

func TestAnomaly(t *testing.T) {
	nan := math.NaN()
	// Rolling case: ten history samples, then 30. The level window (4m,
	// widened to five samples by rule S2) holds 10 12 11 10 12 → median
	// 11; the ten have median 11 and MAD 1, so the score is 19/1.4826.
	// Rule R5's floor (p = 0.8: the 8th smallest |d|, 1, over 1.28) stays
	// below the MAD estimate.
	rollVS := []float64{10, 12, 11, 13, 9, 10, 12, 11, 10, 12, 30}
	rollOpt := AnomalyOptions{LevelWindow: 4 * time.Minute, ScaleWindow: 10 * time.Minute, MinSamples: 4}

	// Seasonal case: period 4m, K = 2, pattern 0 100 200 100, +10 from
	// t = 12 on, and +30 more at t = 16 (the evaluated sample). Scale window
	// t = 9..15: deviations from the mean of the two earlier periods are
	// 0 0 0 10 10 10 10 (MAD 0, so 1.2533·mean|d − 10| = 1.2533·30/7).
	// Level window (t = 13..15, widened to five samples t = 11..15 by rule
	// S2): offset median(0, 10, 10, 10, 10) = 10. Baseline at t = 16:
	// mean(x(12), x(8)) + 10 = 5 + 10 = 15; deviation 40 − 15 = 25. The
	// rolling alternative has scale 1.4826·10, so the seasonal one wins.
	pattern := []float64{0, 100, 200, 100}
	seasVS := make([]float64, 17)
	for i := range seasVS {
		seasVS[i] = pattern[i%4]
		if i >= 12 {
			seasVS[i] += 10
		}
	}
	seasVS[16] += 30
	seasOpt := AnomalyOptions{Period: 4 * time.Minute, Periods: 2, LevelWindow: 4 * time.Minute, ScaleWindow: 8 * time.Minute,
		MinSamples: 4, TailQuantile: 1}
	seasScale := 1.2533 * 30 / 7

	// Recurring spikes: 4 of 20 history samples are 50, the rest 10.
	// MAD is 0, 1.2533·mean|d| = 10.03; rule R5's floor with p = 0.9 is
	// the 18th smallest |d| (40) over Φ⁻¹(0.95).
	spikes := []float64{50, 10, 10, 10, 50, 10, 10, 10, 50, 10, 10, 10, 50, 10, 10, 10, 10, 10, 10, 10, 50}
	spikeOpt := AnomalyOptions{LevelWindow: time.Minute, ScaleWindow: 21 * time.Minute}
	tailScale := 40 / 1.6448536269514722

	// The same with a NaN and a staleness gap in the scale window is
	// scored on what is left.
	gapVS := append([]float64(nil), rollVS...)
	gapVS[0] = nan

	// A flat history: MAD and mean deviation are zero (rule R4).
	flat := []float64{5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6}
	flatSame := append([]float64(nil), flat...)
	flatSame[10] = 5

	tests := []struct {
		name     string
		vs       []float64
		opt      AnomalyOptions
		baseline Baseline
		expected float64
		scale    float64
		score    float64
	}{
		{"rolling median and MAD", rollVS, rollOpt, RollingBaseline, 11, 1.4826, 19 / 1.4826},
		{"seasonal without history falls back to rolling", rollVS,
			AnomalyOptions{Period: time.Hour, LevelWindow: 4 * time.Minute, ScaleWindow: 10 * time.Minute, MinSamples: 4},
			RollingBaseline, 11, 1.4826, 19 / 1.4826},
		{"seasonal same phase with level correction", seasVS, seasOpt, SeasonalBaseline, 15, seasScale, 25 / seasScale},
		{"tail floor for recurring spikes", spikes, spikeOpt, RollingBaseline, 10, tailScale, 40 / tailScale},
		{"tail floor disabled", spikes, AnomalyOptions{LevelWindow: time.Minute, ScaleWindow: 21 * time.Minute, TailQuantile: 1},
			RollingBaseline, 10, 1.2533 * 8, 40 / (1.2533 * 8)},
		{"NaN in the scale window", gapVS, rollOpt, RollingBaseline, 11, 1.4826 * 1, 19 / 1.4826},
		{"flat history, changed value", flat, rollOpt, RollingBaseline, 5, 0, math.Inf(1)},
		{"flat history, same value", flatSame, rollOpt, RollingBaseline, 5, 0, 0},
		{"min scale floor", flat, AnomalyOptions{LevelWindow: 4 * time.Minute, ScaleWindow: 10 * time.Minute, MinSamples: 4, MinScale: 0.5},
			RollingBaseline, 5, 0.5, 2},
		{"too little history", rollVS[:4], rollOpt, NoBaseline, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := Anomaly(minutes(len(tt.vs)), tt.vs, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if sc.Baseline != tt.baseline || !near(sc.Expected, tt.expected) || !near(sc.Scale, tt.scale) || !near(sc.Score, tt.score) {
				t.Errorf("got %v expected=%v scale=%v score=%v, want %v %v %v %v",
					sc.Baseline, sc.Expected, sc.Scale, sc.Score, tt.baseline, tt.expected, tt.scale, tt.score)
			}
		})
	}
}

func TestAnomalyWindowScoresMedianDeviation(t *testing.T) {
	// Evaluated window of 3 samples (3m window: t = 11, 12, 13 minutes is
	// (13−3, 13] = 11..13) deviating +30, +1, +30 from the rolling baseline
	// of the earlier samples: the median deviation is 30 − 11 = 19.
	vs := []float64{10, 12, 11, 13, 9, 10, 12, 11, 10, 12, 11, 30, 12, 30}
	opt := AnomalyOptions{Window: 3 * time.Minute, LevelWindow: 4 * time.Minute, ScaleWindow: 11 * time.Minute, MinSamples: 4}
	sc, err := Anomaly(minutes(len(vs)), vs, opt)
	if err != nil {
		t.Fatal(err)
	}
	// Level window t = 8..10: 10 12 11 → 11. Scale window t = 0..10.
	if sc.Expected != 11 || sc.Deviation != 19 {
		t.Errorf("expected %v deviation %v, want 11 and 19", sc.Expected, sc.Deviation)
	}
}

func TestAnomalyWindowMean(t *testing.T) {
	// The same history and baseline as above (level window t = 8..10 →
	// 11, scale window t = 0..10); the evaluated window's deviations from
	// 11 are listed per case. The median needs most of the window off; the
	// mean counts a one-sample excursion by its share (rule S6).
	hist := []float64{10, 12, 11, 13, 9, 10, 12, 11, 10, 12, 11}
	tests := []struct {
		name    string
		window  []float64
		mean    bool
		wantDev float64
	}{
		{"median of spike, flat, flat", []float64{41, 11, 11}, false, 0},
		{"mean of spike, flat, flat", []float64{41, 11, 11}, true, 10},
		{"median of off, flat, off", []float64{41, 12, 41}, false, 30},
		{"mean of off, flat, off", []float64{41, 12, 41}, true, 61.0 / 3},
		{"mean of a dip and a spike cancels", []float64{1, 21, 11}, true, 0},
		{"mean of one sample is its deviation", []float64{14}, true, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := append(append([]float64(nil), hist...), tt.window...)
			opt := AnomalyOptions{Window: time.Duration(len(tt.window)) * time.Minute, WindowMean: tt.mean,
				LevelWindow: 4 * time.Minute, ScaleWindow: 11 * time.Minute, MinSamples: 4}
			sc, err := Anomaly(minutes(len(vs)), vs, opt)
			if err != nil {
				t.Fatal(err)
			}
			if sc.Baseline != RollingBaseline || sc.Expected != 11 || !near(sc.Deviation, tt.wantDev) {
				t.Errorf("baseline %v expected %v deviation %v, want rolling, 11, %v", sc.Baseline, sc.Expected, sc.Deviation, tt.wantDev)
			}
			if want := tt.wantDev / sc.Scale; !near(sc.Score, want) {
				t.Errorf("score %v, want deviation/scale %v", sc.Score, want)
			}
		})
	}
}

func TestEWMA(t *testing.T) {
	// Half-life 1 s at 1 s spacing: α = 0.5. 10 → mean 10, mad 0; 12 →
	// mad 1, mean 11; 10 → mad 1, mean 10.5; the last (20) deviates 9.5.
	sc, err := EWMA(secs(0, 1, 2, 3), []float64{10, 12, 10, 20}, time.Second, 3)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Baseline != EWMABaseline || !near(sc.Expected, 10.5) || !near(sc.Scale, 1.2533) || !near(sc.Score, 9.5/1.2533) {
		t.Errorf("got %+v", sc)
	}
	// A 2 s gap halves twice: α = 0.75.
	sc, err = EWMA(secs(0, 2, 3), []float64{10, 14, 0}, time.Second, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !near(sc.Expected, 13) || !near(sc.Scale, 1.2533*3) {
		t.Errorf("gap: got %+v, want expected 13 scale %v", sc, 1.2533*3)
	}
	if sc, _ := EWMA(secs(0, 1), []float64{1, 2}, time.Second, 3); sc.Baseline != NoBaseline {
		t.Errorf("short history scored: %+v", sc)
	}
}

func TestConfirmAnomaly(t *testing.T) {
	s := func(score float64) Score { return Score{Baseline: RollingBaseline, Score: score} }
	tests := []struct {
		name        string
		short, long Score
		want        bool
	}{
		{"both high", s(6), s(4.5), true},
		{"long above its own threshold", s(4), s(2), true},
		{"long below its threshold", s(6), s(1.9), false},
		{"both low", s(-6), s(-4), true},
		{"spike only", s(9), s(1), false},
		{"opposite signs", s(6), s(-5), false},
		{"no baseline", s(6), Score{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ConfirmAnomaly(tt.short, tt.long, 4, 2); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAnomalyOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opt  AnomalyOptions
		ok   bool
	}{
		{"zero", AnomalyOptions{}, true},
		{"daily", AnomalyOptions{Period: 24 * time.Hour, Periods: 7, MinPeriods: 3, PhaseWindow: 30 * time.Minute}, true},
		{"negative period", AnomalyOptions{Period: -time.Hour}, false},
		{"too many periods", AnomalyOptions{Periods: MaxPeriods + 1}, false},
		{"min periods above periods", AnomalyOptions{Periods: 2, MinPeriods: 3}, false},
		{"level window above scale window", AnomalyOptions{LevelWindow: 2 * time.Hour, ScaleWindow: time.Hour}, false},
		{"tail quantile 0.5", AnomalyOptions{TailQuantile: 0.5}, false},
		{"tail floor off", AnomalyOptions{TailQuantile: 1}, true},
		{"negative min scale", AnomalyOptions{MinScale: -1}, false},
		{"negative phase window", AnomalyOptions{PhaseWindow: -time.Minute}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.opt.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestAnomalyBadInput(t *testing.T) {
	if _, err := Anomaly(minutes(3), []float64{1, 2}, AnomalyOptions{}); err == nil {
		t.Error("mismatched lengths accepted")
	}
	nan := math.NaN()
	sc, err := Anomaly(minutes(3), []float64{nan, nan, nan}, AnomalyOptions{})
	if err != nil || sc.Baseline != NoBaseline {
		t.Errorf("all NaN: %+v, %v", sc, err)
	}
	if _, err := EWMA(minutes(3), []float64{1, 2, 3}, 0, 2); err == nil {
		t.Error("zero half-life accepted")
	}
}

func TestWorkspaceReuseMatchesFresh(t *testing.T) {
	// One Workspace over inputs of growing and shrinking sizes gives the
	// same answers as fresh ones.
	var w Workspace
	for _, n := range []int{10, 700, 40, 2000, 5} {
		ts := make([]int64, n)
		vs := make([]float64, n)
		for i := range n {
			ts[i] = int64(i) * 60_000
			vs[i] = 100 + 30*math.Sin(float64(i)/20) + float64(i%7)
		}
		for _, m := range []Method{OLS, TheilSen, DampedHolt} {
			opt := Options{Method: m}
			got, err1 := w.ETA(ts, vs, 500, time.Hour, opt)
			want, err2 := ETA(ts, vs, 500, time.Hour, opt)
			if (err1 == nil) != (err2 == nil) || got.Status != want.Status || got.ETA != want.ETA || got.Trend.Slope != want.Trend.Slope {
				t.Errorf("n=%d %v: workspace %+v, fresh %+v", n, m, got, want)
			}
		}
		opt := AnomalyOptions{Period: time.Hour, Periods: 3, LevelWindow: 10 * time.Minute, ScaleWindow: time.Hour, PhaseWindow: 5 * time.Minute}
		got, _ := w.Anomaly(ts, vs, opt)
		want, _ := Anomaly(ts, vs, opt)
		if got != want {
			t.Errorf("n=%d anomaly: workspace %+v, fresh %+v", n, got, want)
		}
	}
}

// TestAnomalyRecurringExcursion checks rule S7: a nightly spike whose
// time drifts by minutes scores low once it came at about that phase in
// most past days, while the same spike at a phase where none came before,
// or with S7 off (no PhaseWindow), scores as rare; under normal noise S7
// leaves the scale at about the noise's.
func TestAnomalyRecurringExcursion(t *testing.T) {
	const step = 5 * time.Minute
	day := int(24 * time.Hour / step)
	ts, vs := noisy(8*day, step, 7, 8, 1, 0.05)
	nightly := func(d int) int { return d*day + 36 + []int{0, 3, -2, 4, 1, -3, 2, 0}[d] } // 03:00, ±20 min
	for d := range 8 {
		vs[nightly(d)] += 10
	}
	afternoon := 7*day + 180 // 15:00 on the last day
	vs[afternoon] += 10
	opt := AnomalyOptions{Period: 24 * time.Hour, Periods: 7, MinPeriods: 3, ScaleWindow: 7 * 24 * time.Hour, PhaseWindow: 30 * time.Minute}
	noPhase := opt
	noPhase.PhaseWindow = 0
	score := func(i int, o AnomalyOptions) float64 {
		t.Helper()
		sc, err := Anomaly(ts[:i+1], vs[:i+1], o)
		if err != nil {
			t.Fatal(err)
		}
		return sc.Score
	}
	if s := score(nightly(7), opt); s > 3 {
		t.Errorf("nightly spike on day 8 scores %.1f, want < 3 (it came at about 03:00 on every day before)", s)
	}
	if s := score(nightly(7), noPhase); s < 20 {
		t.Errorf("nightly spike without a phase window scores %.1f, want > 20", s)
	}
	if s := score(nightly(2), opt); s < 20 {
		t.Errorf("nightly spike on day 3 scores %.1f, want > 20 (fewer than MinPeriods days before it)", s)
	}
	if s := score(afternoon, opt); s < 20 {
		t.Errorf("afternoon spike scores %.1f, want > 20 (no spike came at that phase)", s)
	}
	// Normal noise: the scale with S7 stays within 20% of the one without.
	for _, i := range []int{7*day + 100, 7*day + 250} {
		with, err1 := Anomaly(ts[:i+1], vs[:i+1], opt)
		without, err2 := Anomaly(ts[:i+1], vs[:i+1], noPhase)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if r := with.Scale / without.Scale; r < 0.8 || r > 1.2 {
			t.Errorf("sample %d: scale %.4f with the phase window, %.4f without: ratio %.2f, want about 1", i, with.Scale, without.Scale, r)
		}
	}
}

// TestAnomalySeasonalWarmUp checks rule S8: on the day the seasonal
// baseline first exists, its deviations cover only the last hours, here a
// quiet night with every value 0, whose near-zero scale must not stand against
// the rolling one; once they cover a day the seasonal baseline is used.
func TestAnomalySeasonalWarmUp(t *testing.T) {
	const step = 5 * time.Minute
	day := int(24 * time.Hour / step)
	n := 5 * day
	rng := rand.New(rand.NewPCG(3, 4))
	ts := make([]int64, n)
	vs := make([]float64, n)
	for i := range n {
		ts[i] = int64(i) * step.Milliseconds()
		if i%day >= day/4 { // 06:00–24:00 busy, nights idle at exactly 0
			vs[i] = 100 + 10*rng.NormFloat64()
		}
	}
	opt := AnomalyOptions{Period: 24 * time.Hour, Periods: 3, MinPeriods: 3, ScaleWindow: 7 * 24 * time.Hour}
	tests := []struct {
		name     string
		at       int // a sample at 02:00, set to 5 (a small write)
		baseline Baseline
	}{
		// Day 4 02:00: samples have a seasonal baseline from day 4 00:00
		// on, so its deviations span 2 hours of idle night.
		{"deviations over 2 hours of one period", 3*day + 24, RollingBaseline},
		// Day 5 02:00: the deviations span a whole day.
		{"deviations over a whole period", 4*day + 24, SeasonalBaseline},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := append([]float64(nil), vs[:tt.at+1]...)
			v[tt.at] = 5
			sc, err := Anomaly(ts[:tt.at+1], v, opt)
			if err != nil {
				t.Fatal(err)
			}
			if sc.Baseline != tt.baseline || math.IsInf(sc.Score, 0) || sc.Score > 3 {
				t.Errorf("got %v scale %v score %v, want %v with a finite score below 3", sc.Baseline, sc.Scale, sc.Score, tt.baseline)
			}
		})
	}
}

// TestAnomalyPhaseWindowSparse checks rule S9: on an hourly series a 30m
// PhaseWindow is widened to the tolerance (1h), so rule S7 still sees a
// nightly spike whose hour drifts by one either way as recurring, while a
// spike at an hour where none came before still scores as rare. The tail
// floor (R5) is off, as it would otherwise absorb a spike in 4% of the
// samples on its own.
func TestAnomalyPhaseWindowSparse(t *testing.T) {
	const day = 24
	ts, vs := noisy(8*day, time.Hour, 5, 6, 1, 0.05)
	drift := []int{1, -1, 0, 1, -1, 1, -1, 0} // 03:00 exactly on one past day only
	for d := range 8 {
		vs[d*day+3+drift[d]] += 10
	}
	afternoon := 7*day + 15
	vs[afternoon] += 10
	opt := AnomalyOptions{Period: 24 * time.Hour, Periods: 7, MinPeriods: 3, ScaleWindow: 7 * 24 * time.Hour,
		PhaseWindow: 30 * time.Minute, TailQuantile: 1}
	tests := []struct {
		name     string
		at       int
		min, max float64
	}{
		{"nightly spike recurs within an hour", 7*day + 3, 0, 3},
		{"afternoon spike is rare", afternoon, 20, math.Inf(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := Anomaly(ts[:tt.at+1], vs[:tt.at+1], opt)
			if err != nil {
				t.Fatal(err)
			}
			if sc.Score < tt.min || sc.Score > tt.max {
				t.Errorf("score %.2f (scale %.3f, %v), want within [%v, %v]", sc.Score, sc.Scale, sc.Baseline, tt.min, tt.max)
			}
		})
	}
}
