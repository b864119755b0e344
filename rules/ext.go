package rules

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/pipewatch/pipewatch/rules/forecast"
)

// Series names written by forecast and anomaly rules.
const (
	// ETAMetric is the series a forecast rule writes: seconds from the
	// evaluation until expr is predicted to reach the threshold, for every
	// series of expr whose crossing is predicted within the horizon (0 when
	// already breached). Labels: those of the expr series plus rule=<alert>.
	ETAMetric = "pipewatch_forecast_eta_seconds"
	// ScoreMetric is the series an anomaly rule writes: the robust score
	// (deviation from the baseline in robust standard deviations, signed)
	// of every series of expr that has enough history. Labels: those of
	// the expr series plus rule=<alert>.
	ScoreMetric = "pipewatch_anomaly_score"
)

// Defaults of the forecast and anomaly keys.
const (
	DefaultForecastWindow   = 30 * time.Minute
	DefaultAnomalyThreshold = 4.0
	DefaultAnomalyStep      = time.Minute
	// ewmaRangeHalfLives is how many half-lives of data an EWMA score
	// reads (weights below 2^-8 are dropped).
	ewmaRangeHalfLives = 8
)

// ForecastSpec is the forecast key of an alerting rule: expr is the series
// to forecast, and the alert fires for every series predicted to reach
// Threshold within Horizon.
type ForecastSpec struct {
	// Method is ols, theil_sen (default) or holt.
	Method string `yaml:"method"`
	// Threshold is the value whose crossing is forecast. Required.
	Threshold *float64 `yaml:"threshold"`
	// Direction is above (default: values at or above the threshold are a
	// breach) or below.
	Direction string `yaml:"direction"`
	// Horizon is how far ahead a crossing fires the alert. Required.
	Horizon model.Duration `yaml:"horizon"`
	// Window is the trailing window the trend is fitted to; default 30m.
	Window model.Duration `yaml:"window"`
	// ConfirmWindow, if set, is a shorter second window: the alert fires
	// only when both windows predict the crossing (the ETA is the short
	// window's).
	ConfirmWindow model.Duration `yaml:"confirm_window"`
	// Step is the spacing of the samples fitted. Zero means the raw samples
	// when expr is a plain selector and Window/60 otherwise (a subquery).
	Step model.Duration `yaml:"step"`
	// MinSamples and MinSpan reject fits on too little data; MinSpan
	// defaults to half of each fitted window.
	MinSamples int            `yaml:"min_samples"`
	MinSpan    model.Duration `yaml:"min_span"`
	// Coverage is the prediction interval's coverage; default 0.95.
	Coverage float64 `yaml:"coverage"`
	// Holt tunes the holt method.
	Holt *HoltSpec `yaml:"holt"`
	// FireOn is eta (default: fire when the point forecast crosses within
	// the horizon) or bound: fire only when the far end of the prediction
	// interval (the latest crossing time at Coverage) does, so a noisy
	// trend warns later and less often. The ETA reported is the point
	// forecast either way.
	FireOn string `yaml:"fire_on"`
}

// The values of ForecastSpec.FireOn.
const (
	FireOnETA   = "eta"
	FireOnBound = "bound"
)

// HoltSpec tunes the damped-Holt forecast (see forecast.HoltParams).
type HoltSpec struct {
	Alpha float64        `yaml:"alpha"`
	Beta  float64        `yaml:"beta"`
	Phi   float64        `yaml:"phi"`
	Step  model.Duration `yaml:"step"`
}

var forecastKeys = []string{"method", "threshold", "direction", "horizon", "window", "confirm_window", "step", "min_samples", "min_span", "coverage", "holt", "fire_on"}

// AnomalySpec is the anomaly key of an alerting rule: expr is the series to
// score, and the alert fires for every series whose score reaches
// Threshold in the given direction.
type AnomalySpec struct {
	// Method is seasonal (the median of the same phase over the last
	// History periods, level-corrected), rolling (median and MAD of the
	// trailing windows, no seasonality) or ewma (exponentially weighted
	// mean and deviation). Default: seasonal when Period is set, else
	// rolling.
	Method string `yaml:"method"`
	// Threshold is the |score| that fires; default 4.
	Threshold float64 `yaml:"threshold"`
	// Direction is both (default), above or below.
	Direction string `yaml:"direction"`
	// Period and History are the seasonality and the number of past
	// periods (default 7) of the seasonal method; MinPeriods of them must
	// hold data.
	Period     model.Duration `yaml:"period"`
	History    int            `yaml:"history"`
	MinPeriods int            `yaml:"min_periods"`
	// Window is the evaluated window whose median deviation is scored;
	// zero scores the last sample.
	Window model.Duration `yaml:"window"`
	// ConfirmWindow, if set, is a longer evaluated window that must agree
	// (same sign, at least ConfirmThreshold); the score written is then the
	// smaller of the two in magnitude, or, with ConfirmThreshold set, the
	// window's own score once the confirmation agrees.
	ConfirmWindow model.Duration `yaml:"confirm_window"`
	// ConfirmThreshold is the |score| the confirmation window must reach;
	// default Threshold. The confirmation window's score runs lower than a
	// short window's (it is a median or mean over many samples on the
	// per-sample scale), so a fraction of Threshold (bench/forecast uses
	// 0.3) confirms an anomaly that has lasted without demanding that the
	// whole window be as far off as its worst sample.
	ConfirmThreshold float64 `yaml:"confirm_threshold"`
	// WindowMean scores a window's mean deviation instead of its median
	// (forecast.AnomalyOptions.WindowMean), so a short excursion counts in
	// proportion to its share of the window instead of not at all.
	WindowMean bool `yaml:"window_mean"`
	// LevelWindow and ScaleWindow are the windows for the level correction
	// (default 1h) and the deviation scale (default 24h).
	LevelWindow model.Duration `yaml:"level_window"`
	ScaleWindow model.Duration `yaml:"scale_window"`
	// HalfLife is the ewma method's half-life.
	HalfLife model.Duration `yaml:"half_life"`
	// Step is the spacing of the samples read (a subquery); default 1m.
	Step model.Duration `yaml:"step"`
	// MinSamples and MinScale guard the scale estimate.
	MinSamples int     `yaml:"min_samples"`
	MinScale   float64 `yaml:"min_scale"`
}

var anomalyKeys = []string{"method", "threshold", "direction", "period", "history", "min_periods", "window", "confirm_window", "confirm_threshold", "window_mean", "level_window", "scale_window", "half_life", "step", "min_samples", "min_scale"}

// method returns the forecast method.
func (s *ForecastSpec) method() forecast.Method {
	if s.Method == "" {
		return forecast.TheilSen
	}
	m, _ := forecast.ParseMethod(s.Method)
	return m
}

func (s *ForecastSpec) direction() forecast.Direction {
	if s.Direction == "below" {
		return forecast.Below
	}
	return forecast.Above
}

func (s *ForecastSpec) directionName() string {
	if s.Direction == "below" {
		return "below"
	}
	return "above"
}

func (s *ForecastSpec) window() time.Duration {
	if s.Window == 0 {
		return DefaultForecastWindow
	}
	return time.Duration(s.Window)
}

// options returns the forecast options for a fit over window w.
func (s *ForecastSpec) options(w time.Duration) forecast.Options {
	o := forecast.Options{
		Method:     s.method(),
		Window:     w,
		MinSamples: s.MinSamples,
		MinSpan:    time.Duration(s.MinSpan),
		Coverage:   s.Coverage,
		Direction:  s.direction(),
	}
	if o.MinSpan == 0 {
		o.MinSpan = w / 2
	}
	if s.Holt != nil {
		o.Holt = forecast.HoltParams{Alpha: s.Holt.Alpha, Beta: s.Holt.Beta, Phi: s.Holt.Phi, Step: time.Duration(s.Holt.Step)}
	}
	return o
}

// validate reports every problem with s.
func (s *ForecastSpec) validate() []error {
	var errs []error
	if s.Method != "" {
		if _, err := forecast.ParseMethod(s.Method); err != nil {
			errs = append(errs, fmt.Errorf("method %q must be ols, theil_sen or holt", s.Method))
		}
	}
	if s.Threshold == nil {
		errs = append(errs, errors.New("threshold must be set"))
	} else if math.IsNaN(*s.Threshold) || math.IsInf(*s.Threshold, 0) {
		errs = append(errs, errors.New("threshold must be a finite number"))
	}
	if s.Direction != "" && s.Direction != "above" && s.Direction != "below" {
		errs = append(errs, fmt.Errorf("direction %q must be above or below", s.Direction))
	}
	if s.Horizon <= 0 {
		errs = append(errs, errors.New("horizon must be set and greater than 0"))
	}
	if s.Window < 0 || s.ConfirmWindow < 0 || s.Step < 0 || s.MinSpan < 0 {
		errs = append(errs, errors.New("durations must not be negative"))
	}
	if s.ConfirmWindow > 0 && time.Duration(s.ConfirmWindow) >= s.window() {
		errs = append(errs, fmt.Errorf("confirm_window %v must be shorter than window %v", s.ConfirmWindow, model.Duration(s.window())))
	}
	if s.Step > 0 && time.Duration(s.Step)*3 > s.window() {
		errs = append(errs, fmt.Errorf("step %v leaves fewer than 3 samples in window %v", s.Step, model.Duration(s.window())))
	}
	if s.Holt != nil && s.Method != "holt" {
		errs = append(errs, errors.New("holt is only allowed with method holt"))
	}
	if s.FireOn != "" && s.FireOn != FireOnETA && s.FireOn != FireOnBound {
		errs = append(errs, fmt.Errorf("fire_on %q must be %s or %s", s.FireOn, FireOnETA, FireOnBound))
	}
	for _, w := range []time.Duration{s.window(), time.Duration(s.ConfirmWindow)} {
		if w == 0 {
			continue
		}
		if err := s.options(w).Validate(); err != nil {
			errs = append(errs, err)
			break
		}
		if s.MinSpan > 0 && time.Duration(s.MinSpan) > w {
			errs = append(errs, fmt.Errorf("min_span %v exceeds window %v", s.MinSpan, model.Duration(w)))
			break
		}
	}
	return errs
}

// canonical renders every parameter that affects the forecast, with the
// horizon the ETA is computed for.
func (s *ForecastSpec) canonical(horizon time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "method=%s threshold=%s direction=%s horizon=%s window=%s",
		s.method(), formatFloat(*s.Threshold), s.directionName(), model.Duration(horizon), model.Duration(s.window()))
	if s.ConfirmWindow > 0 {
		fmt.Fprintf(&b, " confirm_window=%s", s.ConfirmWindow)
	}
	if s.Step > 0 {
		fmt.Fprintf(&b, " step=%s", s.Step)
	}
	if s.MinSamples > 0 {
		fmt.Fprintf(&b, " min_samples=%d", s.MinSamples)
	}
	if s.MinSpan > 0 {
		fmt.Fprintf(&b, " min_span=%s", s.MinSpan)
	}
	if s.Coverage > 0 {
		fmt.Fprintf(&b, " coverage=%s", formatFloat(s.Coverage))
	}
	if h := s.Holt; h != nil {
		fmt.Fprintf(&b, " holt_alpha=%s holt_beta=%s holt_phi=%s holt_step=%s",
			formatFloat(h.Alpha), formatFloat(h.Beta), formatFloat(h.Phi), h.Step)
	}
	if s.FireOn == FireOnBound {
		fmt.Fprintf(&b, " fire_on=%s", s.FireOn)
	}
	return b.String()
}

func (s *AnomalySpec) method() string {
	switch {
	case s.Method != "":
		return s.Method
	case s.Period > 0:
		return "seasonal"
	}
	return "rolling"
}

func (s *AnomalySpec) threshold() float64 {
	if s.Threshold == 0 {
		return DefaultAnomalyThreshold
	}
	return s.Threshold
}

func (s *AnomalySpec) direction() string {
	if s.Direction == "" {
		return "both"
	}
	return s.Direction
}

func (s *AnomalySpec) step() time.Duration {
	if s.Step == 0 {
		return DefaultAnomalyStep
	}
	return time.Duration(s.Step)
}

// options returns the anomaly options for an evaluated window w.
func (s *AnomalySpec) options(w time.Duration) forecast.AnomalyOptions {
	o := forecast.AnomalyOptions{
		Periods:     s.History,
		MinPeriods:  s.MinPeriods,
		Window:      w,
		LevelWindow: time.Duration(s.LevelWindow),
		ScaleWindow: time.Duration(s.ScaleWindow),
		MinSamples:  s.MinSamples,
		MinScale:    s.MinScale,
		WindowMean:  s.WindowMean,
	}
	if s.method() == "seasonal" {
		o.Period = time.Duration(s.Period)
	}
	return o
}

// lookback is how much data before the evaluation an anomaly score reads.
func (s *AnomalySpec) lookback() time.Duration {
	eval := max(time.Duration(s.Window), time.Duration(s.ConfirmWindow))
	if s.method() == "ewma" {
		return ewmaRangeHalfLives*time.Duration(s.HalfLife) + s.step()
	}
	scale := time.Duration(s.ScaleWindow)
	if scale == 0 {
		scale = max(forecast.DefaultScaleWindow, time.Duration(s.LevelWindow))
	}
	d := eval + scale + s.step()
	if s.method() == "seasonal" {
		k := s.History
		if k == 0 {
			k = forecast.DefaultPeriods
		}
		d += time.Duration(k) * time.Duration(s.Period)
	}
	return d
}

// validate reports every problem with s.
func (s *AnomalySpec) validate() []error {
	var errs []error
	switch s.method() {
	case "seasonal":
		if s.Period <= 0 {
			errs = append(errs, errors.New("period must be set for method seasonal"))
		}
	case "rolling":
		if s.Period > 0 {
			errs = append(errs, errors.New("period is only allowed with method seasonal"))
		}
	case "ewma":
		if s.HalfLife <= 0 {
			errs = append(errs, errors.New("half_life must be set for method ewma"))
		}
		if s.ConfirmWindow > 0 || s.Window > 0 || s.Period > 0 {
			errs = append(errs, errors.New("window, confirm_window and period are not allowed with method ewma"))
		}
	default:
		errs = append(errs, fmt.Errorf("method %q must be seasonal, rolling or ewma", s.Method))
	}
	if s.HalfLife > 0 && s.method() != "ewma" {
		errs = append(errs, errors.New("half_life is only allowed with method ewma"))
	}
	if s.Threshold < 0 || math.IsNaN(s.Threshold) || math.IsInf(s.Threshold, 0) {
		errs = append(errs, errors.New("threshold must be a positive number"))
	}
	switch s.direction() {
	case "both", "above", "below":
	default:
		errs = append(errs, fmt.Errorf("direction %q must be both, above or below", s.Direction))
	}
	if s.Step < 0 || s.Window < 0 || s.ConfirmWindow < 0 || s.History < 0 {
		errs = append(errs, errors.New("durations and counts must not be negative"))
	}
	if s.ConfirmThreshold < 0 || math.IsNaN(s.ConfirmThreshold) || math.IsInf(s.ConfirmThreshold, 0) {
		errs = append(errs, errors.New("confirm_threshold must be a positive number"))
	}
	if s.ConfirmThreshold > 0 && s.ConfirmWindow == 0 {
		errs = append(errs, errors.New("confirm_threshold needs confirm_window"))
	}
	if s.WindowMean && s.method() == "ewma" {
		errs = append(errs, errors.New("window_mean is not allowed with method ewma"))
	}
	if s.ConfirmWindow > 0 && s.ConfirmWindow <= s.Window {
		errs = append(errs, fmt.Errorf("confirm_window %v must be longer than window %v", s.ConfirmWindow, s.Window))
	}
	if s.method() != "ewma" && len(errs) == 0 {
		if err := s.options(time.Duration(s.Window)).Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// canonical renders every parameter that affects the score.
func (s *AnomalySpec) canonical() string {
	var b strings.Builder
	fmt.Fprintf(&b, "method=%s step=%s", s.method(), model.Duration(s.step()))
	add := func(k string, d model.Duration) {
		if d > 0 {
			fmt.Fprintf(&b, " %s=%s", k, d)
		}
	}
	add("period", s.Period)
	if s.History > 0 {
		fmt.Fprintf(&b, " history=%d", s.History)
	}
	if s.MinPeriods > 0 {
		fmt.Fprintf(&b, " min_periods=%d", s.MinPeriods)
	}
	add("window", s.Window)
	add("confirm_window", s.ConfirmWindow)
	if s.ConfirmThreshold > 0 {
		fmt.Fprintf(&b, " confirm_threshold=%s", formatFloat(s.ConfirmThreshold))
	}
	if s.WindowMean {
		b.WriteString(" window_mean=true")
	}
	add("level_window", s.LevelWindow)
	add("scale_window", s.ScaleWindow)
	add("half_life", s.HalfLife)
	if s.MinSamples > 0 {
		fmt.Fprintf(&b, " min_samples=%d", s.MinSamples)
	}
	if s.MinScale > 0 {
		fmt.Fprintf(&b, " min_scale=%s", formatFloat(s.MinScale))
	}
	return b.String()
}

// templateVars returns the template definitions of the variables a forecast
// or anomaly rule offers to its labels and annotations, or "".
func templateVars(r RuleSpec) string {
	switch {
	case r.Forecast != nil && r.Forecast.Threshold != nil:
		return fmt.Sprintf("{{$eta := $value}}{{$threshold := %s}}{{$horizon := %s}}",
			formatFloat(*r.Forecast.Threshold), formatFloat(time.Duration(r.Forecast.Horizon).Seconds()))
	case r.Anomaly != nil:
		return fmt.Sprintf("{{$score := $value}}{{$threshold := %s}}", formatFloat(r.Anomaly.threshold()))
	}
	return ""
}

// formatFloat renders v as both PromQL and Go templates read it.
func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
