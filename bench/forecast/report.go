package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// nabThresholds is the threshold grid of the NAB sweep.
var nabThresholds = [...]float64{2, 2.5, 3, 4, 5, 6, 8, 10, 12, 16}

// nabBudgets are the false-alarm budgets (per day, over all categories) at
// which the detectors are compared.
var nabBudgets = [...]float64{0.1, 0.25, 0.5}

// pickThreshold returns the lowest grid threshold at which detector d
// stays within budget false alarms per day over all categories, and its
// index; -1 when none does.
func pickThreshold(res []nabResult, d int, budget float64) int {
	for i, r := range res {
		if r.Tally["all"][d].FAPerDay() <= budget {
			return i
		}
	}
	return -1
}

// writeNAB prints the NAB section.
func writeNAB(w io.Writer, res []nabResult, cfg nabConfig) {
	s := cfg.Seasonal
	fmt.Fprintf(w, "## Seasonal anomaly on NAB (%d files, no look-ahead)\n\n", res[0].Tally["all"][0].Files)
	fmt.Fprintf(w, "Each sample is scored from itself and earlier samples only. Detections in the first %.0f%% of a file\n", cfg.Probation*100)
	fmt.Fprintf(w, "(NAB's probation) are not scored; a detection within %s of the previous one is the same alarm.\n", shortDuration(cfg.HoldOff))
	fmt.Fprintf(w, "Hit = a labelled window with at least one alarm; miss = a window without; false alarm = an alarm outside every window.\n")
	fmt.Fprintf(w, "- rolling z-score: (x − mean)/stddev of the previous %s\n", shortDuration(cfg.ZWindow))
	fmt.Fprintf(w, "- seasonal MAD: forecast.Anomaly, period %s, K=%d (≥%d), level window %s, scale window %s, phase window %s, tail quantile %v\n",
		shortDuration(s.Period), s.Periods, s.MinPeriods, shortDuration(s.LevelWindow), shortDuration(s.ScaleWindow), shortDuration(s.PhaseWindow), tailQ(s.TailQuantile))
	fmt.Fprintf(w, "- seasonal MAD, 2 windows: the same, confirmed by the median deviation of the last %s (at least 3 samples) at %.1f× the threshold (forecast.ConfirmAnomaly)\n\n",
		shortDuration(cfg.ConfirmWindow), cfg.LongFraction)

	fmt.Fprintf(w, "### Threshold sweep, all categories (hits of %d windows / false alarms per day)\n\n", res[0].Tally["all"][0].Windows)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "|score| ≥\t%s\t\n", strings.Join(detectorNames[:], "\t"))
	for _, r := range res {
		fmt.Fprintf(tw, "%v", r.Threshold)
		for d := range detectorNames {
			t := r.Tally["all"][d]
			fmt.Fprintf(tw, "\t%d / %.2f", t.Hits, t.FAPerDay())
		}
		fmt.Fprintln(tw, "\t")
	}
	tw.Flush()

	fmt.Fprintf(w, "\n### Per category, matched false alarms: most hits at ≤ B false alarms/day in that category (any grid threshold, per detector)\n\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "category\tB\t%s\tmost hits\t\n", strings.Join(detectorNames[:], "\t"))
	for _, c := range res[0].Categories {
		if res[0].Tally[c][0].Windows == 0 {
			continue
		}
		for _, budget := range nabBudgets {
			fmt.Fprintf(tw, "%s\t%.2f", c, budget)
			var best [len(detectorNames)]int
			top := 0
			for d := range detectorNames {
				best[d] = -1
				for _, r := range res {
					if t := r.Tally[c][d]; t.FAPerDay() <= budget && t.Hits > best[d] {
						best[d] = t.Hits
					}
				}
				top = max(top, best[d])
				if best[d] < 0 {
					fmt.Fprint(tw, "\t-")
				} else {
					fmt.Fprintf(tw, "\t%d/%d", best[d], res[0].Tally[c][d].Windows)
				}
			}
			var winners []string
			for d, name := range detectorNames {
				if best[d] == top {
					winners = append(winners, name)
				}
			}
			fmt.Fprintf(tw, "\t%s\t\n", strings.Join(winners, ", "))
		}
	}
	tw.Flush()

	for _, budget := range nabBudgets {
		fmt.Fprintf(w, "\n### Per category at ≤ %.2f false alarms/day overall (lowest grid threshold within the budget, per detector)\n\n", budget)
		var idx [len(detectorNames)]int
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
		fmt.Fprintln(tw, "\t")
		for _, c := range res[0].Categories {
			fmt.Fprintf(tw, "%s\t%d", c, res[0].Tally[c][0].Windows)
			for d := range detectorNames {
				if idx[d] < 0 {
					fmt.Fprint(tw, "\t-")
					continue
				}
				t := res[idx[d]].Tally[c][d]
				fmt.Fprintf(tw, "\t%d/%d/%d/%.2f", t.Hits, t.Misses, t.FalseAlarms, t.FAPerDay())
			}
			fmt.Fprintln(tw, "\t")
		}
		tw.Flush()
	}
}

// tailQ describes a TailQuantile setting.
func tailQ(q float64) string {
	switch {
	case q == 0:
		return "0.99 (default)"
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
