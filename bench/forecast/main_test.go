package main

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestBacktestGolden runs the whole backtest on a small deterministic
// subset (three NAB files copied into testdata/, four simulated groups for
// one day) and compares the report with testdata/summary.golden, so that a
// change to the numerics or the scoring cannot move the figures silently.
// Run with -update to accept a deliberate change.
func TestBacktestGolden(t *testing.T) {
	sim := defaultSimConfig()
	sim.Groups, sim.Days = 4, 1
	var buf bytes.Buffer
	if err := backtest(&buf, os.DirFS("testdata/nab"), defaultNABConfig(), sim); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "summary.golden")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("backtest summary changed (run with -update if intended):\n--- got\n%s\n--- want\n%s", buf.Bytes(), want)
	}
}

func TestScoreNAB(t *testing.T) {
	h := time.Hour.Milliseconds()
	// 20 hourly samples; probation (15%) covers the first 3; one window
	// over hours 10–12.
	s := nabSeries{windows: [][2]int64{{10 * h, 12 * h}}}
	for i := range 20 {
		s.ts = append(s.ts, int64(i)*h)
	}
	det := func(hours ...int) []bool {
		d := make([]bool, 20)
		for _, x := range hours {
			d[x] = true
		}
		return d
	}
	cfg := nabConfig{Probation: 0.15, HoldOff: 90 * time.Minute}
	tests := []struct {
		name             string
		detected         []bool
		hits, misses, fa int
	}{
		{"nothing", det(), 0, 1, 0},
		{"hit", det(11), 1, 0, 0},
		{"probation ignored", det(1, 2), 0, 1, 0},
		{"false alarms, hold-off merges neighbours", det(5, 6, 8, 15), 0, 1, 3},
		{"hit and false alarm", det(10, 11, 12, 13, 17), 1, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := scoreNAB(s, tt.detected, cfg)
			if got.Hits != tt.hits || got.Misses != tt.misses || got.FalseAlarms != tt.fa {
				t.Errorf("hits/misses/fa = %d/%d/%d, want %d/%d/%d", got.Hits, got.Misses, got.FalseAlarms, tt.hits, tt.misses, tt.fa)
			}
		})
	}
}

func TestScoreLag(t *testing.T) {
	m := time.Minute.Milliseconds()
	cfg := lagConfig{Horizon: 30 * time.Minute, KeepFiring: 2 * time.Minute}
	tests := []struct {
		name     string
		fires    []int64
		breaches []int64
		warned   int
		leads    []time.Duration
		fa       int
	}{
		{"missed breach", nil, []int64{100 * m}, 0, []time.Duration{0}, 0},
		{"an interrupted warning counts from its last onset", []int64{90 * m, 91 * m, 92 * m, 99 * m}, []int64{100 * m}, 1, []time.Duration{time.Minute}, 0},
		{"continuous warning", []int64{90 * m, 91 * m, 92 * m, 93 * m, 94 * m, 95 * m, 96 * m, 97 * m, 98 * m, 99 * m}, []int64{100 * m}, 1, []time.Duration{10 * time.Minute}, 0},
		{"false alarm far from any breach", []int64{10 * m}, []int64{100 * m}, 0, []time.Duration{0}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := scoreLag(tt.fires, tt.breaches, cfg)
			if got.Warned != tt.warned || got.FalseAlarms != tt.fa || len(got.Leads) != len(tt.leads) {
				t.Fatalf("warned %d fa %d leads %v, want %d %d %v", got.Warned, got.FalseAlarms, got.Leads, tt.warned, tt.fa, tt.leads)
			}
			for i := range tt.leads {
				if got.Leads[i] != tt.leads[i] {
					t.Errorf("lead %d = %v, want %v", i, got.Leads[i], tt.leads[i])
				}
			}
		})
	}
}

func TestBreaches(t *testing.T) {
	m := time.Minute.Milliseconds()
	ts := []int64{0, 1 * m, 2 * m, 3 * m, 4 * m, 10 * m, 11 * m, 20 * m, 30 * m}
	lag := []float64{0, 5, 11, 9, 12, 3, 15, 2, 20}
	// 2m starts a breach; 4m and 11m return above after less than 5m
	// below (same episode); 30m follows 10m below: a new breach.
	got := breaches(ts, lag, 10, 5*time.Minute)
	if want := []int64{2 * m, 30 * m}; !slices.Equal(got, want) {
		t.Errorf("breaches = %v, want %v", got, want)
	}
}

func TestRollingZ(t *testing.T) {
	m := time.Minute.Milliseconds()
	mins := func(n int) []int64 {
		ts := make([]int64, n)
		for i := range ts {
			ts[i] = int64(i) * m
		}
		return ts
	}
	// Ten history samples alternating 9, 11: mean 10, sample stddev
	// √(10/9).
	hist := []float64{9, 11, 9, 11, 9, 11, 9, 11, 9, 11}
	sd := math.Sqrt(10.0 / 9)
	with := func(tail ...float64) []float64 { return append(append([]float64(nil), hist...), tail...) }
	tests := []struct {
		name         string
		vs           []float64
		eval, window time.Duration
		want         float64
	}{
		{"last sample", with(13), 0, time.Hour, 3 / sd},
		{"mean of the evaluated window", with(13, 10, 16), 3 * time.Minute, time.Hour, 3 / sd},
		{"trailing window too short", with(13), 0, 5 * time.Minute, math.NaN()},
		{"flat history, deviation", append(make([]float64, 10), 1), 0, time.Hour, math.Inf(1)},
		{"flat history, no deviation", make([]float64, 11), 0, time.Hour, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rollingZ(mins(len(tt.vs)), tt.vs, tt.eval, tt.window)
			if math.IsNaN(tt.want) != math.IsNaN(got) || (!math.IsNaN(got) && math.Abs(got-tt.want) > 1e-9 && got != tt.want) {
				t.Errorf("rollingZ = %v, want %v", got, tt.want)
			}
		})
	}
}
