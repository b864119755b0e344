package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pipewatch/pipewatch/rules/forecast"
)

// nabSeries is one NAB data file with its labelled anomaly windows.
type nabSeries struct {
	category, name string
	ts             []int64
	vs             []float64
	windows        [][2]int64 // [start, end] ms, inclusive
}

// nabTimeLayouts are the timestamp layouts of the NAB data and label files.
var nabTimeLayouts = [...]string{"2006-01-02 15:04:05", "2006-01-02 15:04:05.000000"}

// parseNABTime parses a NAB timestamp (UTC) into milliseconds.
func parseNABTime(s string) (int64, error) {
	for _, layout := range nabTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, fmt.Errorf("parse nab timestamp %q", s)
}

// loadNAB reads labels/combined_windows.json and every data file it names
// from fsys, which is rooted at the NAB directory. Files named in the
// labels but absent from data/ are skipped (the shared copy omits some
// categories).
func loadNAB(fsys fs.FS) ([]nabSeries, error) {
	raw, err := fs.ReadFile(fsys, "labels/combined_windows.json")
	if err != nil {
		return nil, fmt.Errorf("read nab labels: %w", err)
	}
	var labels map[string][][2]string
	if err := json.Unmarshal(raw, &labels); err != nil {
		return nil, fmt.Errorf("decode nab labels: %w", err)
	}
	names := make([]string, 0, len(labels))
	for name := range labels {
		names = append(names, name)
	}
	slices.Sort(names)
	var out []nabSeries
	for _, name := range names {
		f, err := fsys.Open(path.Join("data", name))
		if err != nil {
			continue
		}
		s, err := readNABFile(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read nab file %s: %w", name, err)
		}
		s.category, s.name = path.Dir(name), strings.TrimSuffix(path.Base(name), ".csv")
		for _, w := range labels[name] {
			a, err := parseNABTime(w[0])
			if err != nil {
				return nil, err
			}
			b, err := parseNABTime(w[1])
			if err != nil {
				return nil, err
			}
			s.windows = append(s.windows, [2]int64{a, b})
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("read nab data: no labelled file found")
	}
	return out, nil
}

// readNABFile parses a "timestamp,value" CSV file.
func readNABFile(f fs.File) (nabSeries, error) {
	var s nabSeries
	sc := bufio.NewScanner(f)
	for line := 0; sc.Scan(); line++ {
		if line == 0 {
			continue // header
		}
		ts, vs, ok := strings.Cut(sc.Text(), ",")
		if !ok {
			return s, fmt.Errorf("line %d: no comma", line+1)
		}
		t, err := parseNABTime(ts)
		if err != nil {
			return s, fmt.Errorf("line %d: %w", line+1, err)
		}
		v, err := strconv.ParseFloat(vs, 64)
		if err != nil {
			return s, fmt.Errorf("line %d: %w", line+1, err)
		}
		s.ts = append(s.ts, t)
		s.vs = append(s.vs, v)
	}
	return s, sc.Err()
}

// nabConfig holds the detector settings of the NAB backtest; one setting
// for every file and category (no per-category tuning). The z-score
// baseline gets the same treatment as the seasonal detector: its trailing
// window is the seasonal scale window, and its two-window variant uses the
// same confirmation window, long fraction and window mean.
type nabConfig struct {
	// Probation is the leading fraction of each file in which detections
	// are not scored (NAB's convention: 15%), for every detector alike.
	Probation float64
	// HoldOff merges detections: a detection starts a new alarm only when
	// no detection happened during the hold-off before it.
	HoldOff time.Duration
	// Seasonal configures the seasonal detector; its ScaleWindow is also
	// the z-score's trailing window.
	Seasonal forecast.AnomalyOptions
	// ConfirmWindow is the long window of the two-window detectors, and
	// LongFraction the fraction of the threshold its score must reach.
	// LongMedian scores the seasonal long window by its median deviation
	// instead of its mean (forecast.AnomalyOptions.WindowMean).
	ConfirmWindow time.Duration
	LongFraction  float64
	LongMedian    bool
}

// defaultNABConfig is the configuration the reported figures use, chosen
// on all of NAB at once, never per file or category. The scale window is a
// week: the scale and its tail floor (rule R5) then cover a whole weekly
// cycle, so bursts that recur every few days (tweet storms, cron jobs on
// EC2 hosts) are not scored as rare, and the z-score baseline is given the
// same week (with 72h for both, the seasonal detector loses to the
// z-score at 0.1 false alarms/day and wins above; run with -window 72h).
// The long window is scored by its mean deviation, like the z-score's.
func defaultNABConfig() nabConfig {
	return nabConfig{
		Probation: 0.15,
		HoldOff:   time.Hour,
		Seasonal: forecast.AnomalyOptions{
			Period:      24 * time.Hour,
			Periods:     7,
			MinPeriods:  3,
			LevelWindow: 2 * time.Hour,
			PhaseWindow: 30 * time.Minute,
			ScaleWindow: 7 * 24 * time.Hour,
		},
		ConfirmWindow: time.Hour,
		LongFraction:  0.3,
	}
}

// The NAB detectors, in report order: each z-score variant is the
// baseline of the seasonal one with the same number of windows.
const (
	zScore = iota
	zScore2
	seasonal
	seasonal2
	numDetectors
)

// detectorNames names the NAB detectors.
var detectorNames = [numDetectors]string{"rolling z-score", "rolling z-score, 2 windows", "seasonal MAD", "seasonal MAD, 2 windows"}

// nabScores holds, per sample, the scores computed from that sample and
// earlier ones only: the z-score of the last sample and of the mean of
// the confirmation window, and the seasonal detector's short (last
// sample) and long (confirmation window) scores. NaN: no score.
type nabScores struct {
	z, zLong, short, long []float64
}

// scoreSeries computes nabScores for one file.
func scoreSeries(s nabSeries, cfg nabConfig) (nabScores, error) {
	n := len(s.ts)
	out := nabScores{z: make([]float64, n), zLong: make([]float64, n), short: make([]float64, n), long: make([]float64, n)}
	long := cfg.Seasonal
	long.Window = confirmWindow(s, cfg)
	long.WindowMean = !cfg.LongMedian
	zWindow := cfg.Seasonal.ScaleWindow
	var w forecast.Workspace
	for i := range s.ts {
		ts, vs := s.ts[:i+1], s.vs[:i+1]
		out.z[i] = rollingZ(ts, vs, 0, zWindow)
		out.zLong[i] = rollingZ(ts, vs, long.Window, zWindow)
		short, err := w.Anomaly(ts, vs, cfg.Seasonal)
		if err != nil {
			return out, err
		}
		lg, err := w.Anomaly(ts, vs, long)
		if err != nil {
			return out, err
		}
		out.short[i], out.long[i] = scoreOf(short), scoreOf(lg)
	}
	return out, nil
}

// confirmWindow returns the long window for s: cfg.ConfirmWindow, but at
// least three sample intervals (the median spacing of the probation
// period), as a rule author would size it for a series sampled hourly.
func confirmWindow(s nabSeries, cfg nabConfig) time.Duration {
	n := max(2, int(float64(len(s.ts))*cfg.Probation))
	gaps := make([]int64, 0, n-1)
	for i := 1; i < n && i < len(s.ts); i++ {
		gaps = append(gaps, s.ts[i]-s.ts[i-1])
	}
	if len(gaps) == 0 {
		return cfg.ConfirmWindow
	}
	slices.Sort(gaps)
	return max(cfg.ConfirmWindow, 3*time.Duration(gaps[len(gaps)/2])*time.Millisecond)
}

// detections returns detector d's per-sample decision at threshold thr;
// the two-window detectors apply rule C5 (forecast.ConfirmAnomaly) with
// the long score held to thr·longFraction.
func (sc nabScores) detections(d int, thr, longFraction float64) []bool {
	out := make([]bool, len(sc.z))
	for i := range out {
		switch d {
		case zScore:
			out[i] = math.Abs(sc.z[i]) >= thr
		case zScore2:
			out[i] = forecast.ConfirmAnomaly(asScore(sc.z[i]), asScore(sc.zLong[i]), thr, thr*longFraction)
		case seasonal:
			out[i] = math.Abs(sc.short[i]) >= thr
		case seasonal2:
			out[i] = forecast.ConfirmAnomaly(asScore(sc.short[i]), asScore(sc.long[i]), thr, thr*longFraction)
		}
	}
	return out
}

// asScore wraps a stored score value (NaN: no baseline) as a Score.
func asScore(v float64) forecast.Score {
	if math.IsNaN(v) {
		return forecast.Score{}
	}
	return forecast.Score{Baseline: forecast.SeasonalBaseline, Score: v}
}

// scoreOf returns a Score's value, NaN without a baseline.
func scoreOf(sc forecast.Score) float64 {
	if sc.Baseline == forecast.NoBaseline {
		return math.NaN()
	}
	return sc.Score
}

// rollingZ is the baseline detector: the z-score of the mean of the
// samples in the evaluated window (end − eval, end] (the last sample alone
// for eval 0) against the mean and standard deviation of the samples in
// the trailing window before it (at least 10 of them; NaN with fewer).
func rollingZ(ts []int64, vs []float64, eval, window time.Duration) float64 {
	n := len(ts)
	end := ts[n-1]
	e0 := n - 1
	for e0 > 0 && ts[e0-1] > end-eval.Milliseconds() {
		e0--
	}
	var evSum float64
	for i := e0; i < n; i++ {
		evSum += vs[i]
	}
	start := ts[e0]
	var sum, sq float64
	m := 0
	for i := e0 - 1; i >= 0 && ts[i] > start-window.Milliseconds(); i-- {
		sum += vs[i]
		m++
	}
	if m < 10 {
		return math.NaN()
	}
	mean := sum / float64(m)
	for i := e0 - 1; i >= e0-m; i-- {
		d := vs[i] - mean
		sq += d * d
	}
	sd := math.Sqrt(sq / float64(m-1))
	dev := evSum/float64(n-e0) - mean
	switch {
	case sd > 0:
		return dev / sd
	case dev == 0:
		return 0
	}
	return math.Copysign(math.Inf(1), dev)
}

// nabTally is the outcome of one detector on a set of files.
type nabTally struct {
	Files, Windows, Hits, Misses, FalseAlarms int
	Days                                      float64
	// LeadFrac sums, over hits, how far into its window the first
	// detection came (0 = at the window start); NAB rewards early hits.
	LeadFrac float64
}

// FAPerDay returns false alarms per scored day.
func (t nabTally) FAPerDay() float64 {
	if t.Days == 0 {
		return 0
	}
	return float64(t.FalseAlarms) / t.Days
}

// add accumulates u into t.
func (t *nabTally) add(u nabTally) {
	t.Files += u.Files
	t.Windows += u.Windows
	t.Hits += u.Hits
	t.Misses += u.Misses
	t.FalseAlarms += u.FalseAlarms
	t.Days += u.Days
	t.LeadFrac += u.LeadFrac
}

// scoreNAB scores one detector's per-sample scores on one file: a
// detection is |score| ≥ threshold after the probation period; it opens an
// alarm unless another detection happened within the hold-off before it.
// A detection inside a labelled window (bounds included) makes that window
// a hit (once); an alarm outside every window is a false alarm.
//
// This follows NAB's scorer (numenta/NAB nab/scorer.py): a window is a
// true positive when at least one detection lies inside it, only the
// earliest counting; a window without one is a false negative; detections
// outside every window are false positives; detections in the
// probationary period are ignored. NAB's windows are centred on the
// labelled anomaly, so a detection in a window's first half is an early
// hit. The differences: NAB weighs hits and false positives by position
// (a sigmoid of the distance into or after the window) where the bench
// counts them; a false alarm here is an alarm onset, so a run of
// consecutive detections outside windows counts once where NAB counts
// each; and windows that end during probation are left out here.
func scoreNAB(s nabSeries, detected []bool, cfg nabConfig) nabTally {
	n := len(s.ts)
	probEnd := s.ts[int(float64(n)*cfg.Probation)]
	t := nabTally{Files: 1, Days: float64(s.ts[n-1]-probEnd) / float64(24*time.Hour/time.Millisecond)}
	hit := make([]bool, len(s.windows))
	lastDetection := int64(math.MinInt64)
	for i, det := range detected {
		if s.ts[i] < probEnd || !det {
			continue
		}
		onset := lastDetection == math.MinInt64 || s.ts[i]-lastDetection >= cfg.HoldOff.Milliseconds()
		lastDetection = s.ts[i]
		in := -1
		for w, win := range s.windows {
			if s.ts[i] >= win[0] && s.ts[i] <= win[1] {
				in = w
				break
			}
		}
		switch {
		case in >= 0 && !hit[in]:
			hit[in] = true
			win := s.windows[in]
			t.LeadFrac += float64(s.ts[i]-win[0]) / float64(win[1]-win[0])
		case in < 0 && onset:
			t.FalseAlarms++
		}
	}
	for w, win := range s.windows {
		if win[1] < probEnd {
			continue // ended during probation: not scorable
		}
		t.Windows++
		if hit[w] {
			t.Hits++
		} else {
			t.Misses++
		}
	}
	return t
}

// nabResult is the NAB backtest's outcome per category and detector.
type nabResult struct {
	Threshold  float64
	Categories []string
	Tally      map[string][numDetectors]nabTally // by category, "all" included
}

// scoreAll runs scoreSeries on every file, on as many goroutines as
// GOMAXPROCS; the scores do not depend on the order.
func scoreAll(series []nabSeries, cfg nabConfig) ([]nabScores, error) {
	out := make([]nabScores, len(series))
	errs := make([]error, len(series))
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				s := series[i]
				out[i], errs[i] = scoreSeries(s, cfg)
				if errs[i] != nil {
					errs[i] = fmt.Errorf("score %s/%s: %w", s.category, s.name, errs[i])
				}
			}
		})
	}
	for i := range series {
		next <- i
	}
	close(next)
	wg.Wait()
	return out, errors.Join(errs...)
}

// runNAB backtests every detector on every file at each threshold.
func runNAB(series []nabSeries, cfg nabConfig, thresholds []float64) ([]nabResult, error) {
	res := make([]nabResult, len(thresholds))
	for i := range res {
		res[i].Tally = map[string][numDetectors]nabTally{}
	}
	all, err := scoreAll(series, cfg)
	if err != nil {
		return nil, err
	}
	for si, s := range series {
		scores := all[si]
		for i, thr := range thresholds {
			r := &res[i]
			r.Threshold = thr
			if _, ok := r.Tally[s.category]; !ok {
				r.Categories = append(r.Categories, s.category)
			}
			cat, all := r.Tally[s.category], r.Tally["all"]
			for d := range detectorNames {
				t := scoreNAB(s, scores.detections(d, thr, cfg.LongFraction), cfg)
				cat[d].add(t)
				all[d].add(t)
			}
			r.Tally[s.category], r.Tally["all"] = cat, all
		}
	}
	for i := range res {
		slices.Sort(res[i].Categories)
		res[i].Categories = append(res[i].Categories, "all")
	}
	return res, nil
}
