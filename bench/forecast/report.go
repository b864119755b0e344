package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pipewatch/pipewatch/rules/forecast"
)

// nabThresholds is the threshold grid of the NAB sweep, shared by every
// detector: 1.5 to about 40 in steps of 10%, fine enough that matching a
// false-alarm budget favours no detector.
var nabThresholds = func() []float64 {
	var g []float64
	for x := 1.5; x < 40; x *= 1.1 {
		g = append(g, math.Round(x*100)/100)
	}
	return g
}()

// nabBudgets are the false-alarm budgets (per day, over all categories) at
// which the detectors are compared.
var nabBudgets = [...]float64{0.1, 0.25, 0.5}

// pickThreshold returns the index of the lowest grid threshold at which
// detector d stays within budget false alarms per day over all
// categories; -1 when none does.
func pickThreshold(res []nabResult, d int, budget float64) int {
	for i, r := range res {
		if r.Tally["all"][d].FAPerDay() <= budget {
			return i
		}
	}
	return -1
}

// verdict compares a seasonal detector's hits with its baseline's.
func verdict(ours, base int) string {
	switch {
	case ours > base:
		return "better"
	case ours < base:
		return "worse"
	}
	return "tie"
}

// writeNAB prints the NAB section.
func writeNAB(w io.Writer, res []nabResult, cfg nabConfig) {
	s := cfg.Seasonal
	long := "mean"
	if cfg.LongMedian {
		long = "median"
	}
	all := res[0].Tally["all"]
	fmt.Fprintf(w, "## Seasonal anomaly on NAB (%d files, %d scored windows, %.0f scored days, no look-ahead)\n\n", all[0].Files, all[0].Windows, all[0].Days)
	fmt.Fprintf(w, "Each sample is scored from itself and earlier samples only. Detections in the first %.0f%% of a file\n", cfg.Probation*100)
	fmt.Fprintf(w, "(NAB's probation) are not scored; a detection within %s of the previous one is the same alarm.\n", shortDuration(cfg.HoldOff))
	fmt.Fprintf(w, "Hit = a labelled window with at least one detection inside it (NAB's true positive); miss = a window without;\n")
	fmt.Fprintf(w, "false alarm = an alarm starting outside every window. One setting for every file and category.\n")
	fmt.Fprintf(w, "- rolling z-score: (x − mean)/stddev of the previous %s\n", shortDuration(s.ScaleWindow))
	fmt.Fprintf(w, "- rolling z-score, 2 windows: the same, confirmed by the z-score of the mean of the last %s (at least 3 samples) at %.1f× the threshold\n",
		shortDuration(cfg.ConfirmWindow), cfg.LongFraction)
	fmt.Fprintf(w, "- seasonal MAD: forecast.Anomaly, period %s, K=%d (≥%d), level window %s, scale window %s, phase window %s, tail quantile %v\n",
		shortDuration(s.Period), s.Periods, s.MinPeriods, shortDuration(s.LevelWindow), shortDuration(s.ScaleWindow), shortDuration(s.PhaseWindow), tailQ(s.TailQuantile))
	fmt.Fprintf(w, "- seasonal MAD, 2 windows: the same, confirmed by the %s deviation of the last %s (at least 3 samples) at %.1f× the threshold (forecast.ConfirmAnomaly)\n\n",
		long, shortDuration(cfg.ConfirmWindow), cfg.LongFraction)

	fmt.Fprintf(w, "### Summary: hits of %d windows at ≤ B false alarms/day overall (lowest grid threshold within B, per detector)\n\n", all[0].Windows)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "B\t%s\t1 window\t2 windows\t\n", strings.Join(detectorNames[:], "\t"))
	for _, budget := range nabBudgets {
		fmt.Fprintf(tw, "%.2f", budget)
		var hits [numDetectors]int
		for d := range numDetectors {
			i := pickThreshold(res, d, budget)
			if i < 0 {
				hits[d] = -1
				fmt.Fprint(tw, "\t-")
				continue
			}
			t := res[i].Tally["all"][d]
			hits[d] = t.Hits
			fmt.Fprintf(tw, "\t%d (≥%v, %.2f/d)", t.Hits, res[i].Threshold, t.FAPerDay())
		}
		fmt.Fprintf(tw, "\t%s\t%s\t\n", verdict(hits[seasonal], hits[zScore]), verdict(hits[seasonal2], hits[zScore2]))
	}
	tw.Flush()

	fmt.Fprintf(w, "\n### Threshold sweep, all categories (hits / false alarms per day)\n\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "|score| ≥\t%s\t\n", strings.Join(detectorNames[:], "\t"))
	for _, r := range res {
		fmt.Fprintf(tw, "%v", r.Threshold)
		for d := range numDetectors {
			t := r.Tally["all"][d]
			fmt.Fprintf(tw, "\t%d / %.2f", t.Hits, t.FAPerDay())
		}
		fmt.Fprintln(tw, "\t")
	}
	tw.Flush()

	for _, budget := range nabBudgets {
		fmt.Fprintf(w, "\n### Per category at ≤ %.2f false alarms/day overall (lowest grid threshold within the budget, per detector)\n\n", budget)
		var idx [numDetectors]int
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprint(tw, "category\twindows")
		for d, name := range detectorNames {
			idx[d] = pickThreshold(res, d, budget)
			thr := "none"
			if idx[d] >= 0 {
				thr = fmt.Sprint(res[idx[d]].Threshold)
			}
			fmt.Fprintf(tw, "\t%s (≥%s): hits/misses/FA/FA per day", name, thr)
		}
		fmt.Fprintln(tw, "\t1 window\t2 windows\t")
		for _, c := range res[0].Categories {
			fmt.Fprintf(tw, "%s\t%d", c, res[0].Tally[c][0].Windows)
			var hits [numDetectors]int
			for d := range numDetectors {
				if idx[d] < 0 {
					hits[d] = -1
					fmt.Fprint(tw, "\t-")
					continue
				}
				t := res[idx[d]].Tally[c][d]
				hits[d] = t.Hits
				fmt.Fprintf(tw, "\t%d/%d/%d/%.2f", t.Hits, t.Misses, t.FalseAlarms, t.FAPerDay())
			}
			if res[0].Tally[c][0].Windows == 0 {
				fmt.Fprintln(tw, "\t\t\t")
				continue
			}
			fmt.Fprintf(tw, "\t%s\t%s\t\n", verdict(hits[seasonal], hits[zScore]), verdict(hits[seasonal2], hits[zScore2]))
		}
		tw.Flush()
	}

	fmt.Fprintf(w, "\n### Per category, matched false alarms: most hits at ≤ B false alarms/day in that category (any grid threshold, per detector)\n\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "category\tB\t%s\t1 window\t2 windows\t\n", strings.Join(detectorNames[:], "\t"))
	for _, c := range res[0].Categories {
		if res[0].Tally[c][0].Windows == 0 {
			continue
		}
		for _, budget := range nabBudgets {
			fmt.Fprintf(tw, "%s\t%.2f", c, budget)
			var best [numDetectors]int
			for d := range numDetectors {
				best[d] = -1
				for _, r := range res {
					if t := r.Tally[c][d]; t.FAPerDay() <= budget && t.Hits > best[d] {
						best[d] = t.Hits
					}
				}
				if best[d] < 0 {
					fmt.Fprint(tw, "\t-")
				} else {
					fmt.Fprintf(tw, "\t%d/%d", best[d], res[0].Tally[c][d].Windows)
				}
			}
			fmt.Fprintf(tw, "\t%s\t%s\t\n", verdict(best[seasonal], best[zScore]), verdict(best[seasonal2], best[zScore2]))
		}
	}
	tw.Flush()
}

// tailQ describes a TailQuantile setting.
func tailQ(q float64) string {
	switch {
	case q == 0:
		return fmt.Sprintf("%v (default)", forecast.DefaultTailQuantile)
	case q >= 1:
		return "off"
	}
	return fmt.Sprint(q)
}

// writeLag prints the lag ETA section.
func writeLag(w io.Writer, res []lagTally, cfg lagConfig, sim simConfig, groups []simGroup) {
	var kinds [4]int
	for _, g := range groups {
		for _, in := range g.incidents {
			kinds[in.kind]++
		}
	}
	fmt.Fprintf(w, "## Lag ETA on simulated incidents (%d groups × %v d = %v group-days, %s samples, seed %d, no look-ahead)\n\n",
		sim.Groups, sim.Days, float64(sim.Groups)*sim.Days, sim.Step, sim.Seed)
	fmt.Fprintf(w, "Events: %d stalls, %d slowdowns (incidents, %.1f/day/group), %d rebalance pauses, %d producer bursts (transients, %.1f/day/group).\n",
		kinds[stall], kinds[slowdown], sim.IncidentsPerDay, kinds[rebalance], kinds[burst], sim.TransientsPerDay)
	fmt.Fprintf(w, "Threshold: %s of each group's mean traffic. A breach starts when the observed lag reaches it after ≥5m below.\n", shortDuration(sim.ThresholdTraffic))
	fmt.Fprintf(w, "Rule: evaluated every %s on the samples so far; warns while the lag is below the threshold and the ETA (point forecast,\n", cfg.Every)
	fmt.Fprintf(w, "or the pessimistic bound of the 95%% interval) is within %s; warnings less than %s apart are one episode.\n", shortDuration(cfg.Horizon), shortDuration(cfg.KeepFiring))
	fmt.Fprintf(w, "Lead = breach start − onset of the episode active at the breach (0 = missed). False alarm = an episode with no breach\n")
	fmt.Fprintf(w, "starting within the horizon of its onset or while it lasts. Target: median lead ≥ 5m at ≤ 0.5 false alarms/day.\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "method\twindows\tfires on\tbreaches\twarned\tmedian lead\tp25 lead\tfalse alarms\tper day\ttarget\t")
	for i, v := range cfg.Variants {
		t := res[i]
		met := "no"
		if t.MedianLead() >= 5*time.Minute && t.FAPerDay() <= 0.5 {
			met = "met"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\t%d\t%.2f\t%s\t\n", v.method, v.windows(), v.firesOn(),
			t.Breaches, t.Warned, t.MedianLead(), quantileDuration(t.Leads, 0.25), t.FalseAlarms, t.FAPerDay(), met)
	}
	tw.Flush()
}
