package forecast

import (
	"math"
	"testing"
	"time"
)

// lagHour returns one hour of 5 s samples of a growing, noisy lag.
func lagHour() ([]int64, []float64) {
	const n = 720
	ts := make([]int64, n)
	vs := make([]float64, n)
	for i := range n {
		ts[i] = 1_700_000_000_000 + int64(i)*5000
		noise := 500 * math.Sin(float64(i)*12.9898) // deterministic jitter
		vs[i] = 20_000 + 150*float64(i) + noise
	}
	return ts, vs
}

// BenchmarkForecastRule measures one forecast rule evaluation on one series
// (1 h of 5 s samples, 720 points): the ETA of a lag threshold over the
// whole hour, and the multi-window form (10 m and 1 h fits, confirmed).
func BenchmarkForecastRule(b *testing.B) {
	ts, vs := lagHour()
	for _, m := range []Method{OLS, TheilSen, DampedHolt} {
		b.Run(m.String(), func(b *testing.B) {
			var w Workspace
			opt := Options{Method: m}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := w.ETA(ts, vs, 500_000, 30*time.Minute, opt); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(m.String()+"/confirmed", func(b *testing.B) {
			var w Workspace
			short := Options{Method: m, Window: 10 * time.Minute}
			long := Options{Method: m, Window: time.Hour}
			b.ReportAllocs()
			for b.Loop() {
				s, err := w.ETA(ts, vs, 500_000, 30*time.Minute, short)
				if err != nil {
					b.Fatal(err)
				}
				l, err := w.ETA(ts, vs, 500_000, 30*time.Minute, long)
				if err != nil {
					b.Fatal(err)
				}
				_ = Confirm(s, l)
			}
		})
	}
}

// BenchmarkAnomaly measures one seasonal anomaly evaluation: the last
// sample of 8 days of 1-minute samples against 7 daily periods with a 24 h
// scale window (1,440 residuals, 7 phase look-ups each).
func BenchmarkAnomaly(b *testing.B) {
	const n = 8 * 1440
	ts := make([]int64, n)
	vs := make([]float64, n)
	for i := range n {
		ts[i] = int64(i) * 60_000
		vs[i] = 100 + 50*math.Sin(2*math.Pi*float64(i)/1440) + 5*math.Sin(float64(i)*12.9898)
	}
	opt := AnomalyOptions{Period: 24 * time.Hour}
	var w Workspace
	b.ReportAllocs()
	for b.Loop() {
		if _, err := w.Anomaly(ts, vs, opt); err != nil {
			b.Fatal(err)
		}
	}
}
