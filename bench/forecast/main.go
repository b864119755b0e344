// Command forecast backtests pipewatch's forecast and anomaly numerics
// (package rules/forecast) without look-ahead and prints the figures:
//
//   - the seasonal anomaly detector (forecast.Anomaly, alone and confirmed
//     by a second window) against a rolling z-score baseline on the NAB
//     corpus: hits, misses and false alarms per day per category, over a
//     threshold sweep and at matched false-alarm budgets;
//   - the lag ETA rule (forecast.ETA with OLS, Theil–Sen and damped Holt,
//     with and without multi-window confirmation) on simulated consumer-lag
//     incidents with known breach times: median warning lead time and false
//     alarms per day.
//
// Usage, from the repository root:
//
//	go run ./bench/forecast [-nab ../shared/datasets/nab] [-window 168h] [-long-fraction 0.3] [-long-median] [-tail-quantile 0.993]
//	                        [-groups 80] [-days 3] [-seed 2] [-skip nab|lag]
//
// -skip lag runs the NAB part alone (about 3 minutes on two cores).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

func main() { os.Exit(run()) }

func run() int {
	nabDir := flag.String("nab", "../shared/datasets/nab", "NAB directory holding data/ and labels/")
	sim := defaultSimConfig()
	flag.IntVar(&sim.Groups, "groups", sim.Groups, "simulated consumer groups")
	flag.Float64Var(&sim.Days, "days", sim.Days, "simulated days per group")
	flag.Uint64Var(&sim.Seed, "seed", sim.Seed, "simulation seed")
	skip := flag.String("skip", "", `skip a part: "nab" or "lag"`)
	nab := defaultNABConfig()
	flag.DurationVar(&nab.Seasonal.ScaleWindow, "window", nab.Seasonal.ScaleWindow, "NAB: seasonal scale window and z-score trailing window")
	flag.Float64Var(&nab.LongFraction, "long-fraction", nab.LongFraction, "NAB: fraction of the threshold the long window must reach")
	flag.BoolVar(&nab.LongMedian, "long-median", nab.LongMedian, "NAB: score the seasonal long window by its median deviation, not its mean")
	flag.Float64Var(&nab.Seasonal.TailQuantile, "tail-quantile", nab.Seasonal.TailQuantile, "NAB: the seasonal detector's tail quantile (rule R5); 0 means the default")
	flag.Parse()
	if err := nab.Seasonal.Validate(); err != nil {
		fmt.Fprintln(os.Stderr, "forecast:", err)
		return 2
	}

	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	var nabFS fs.FS
	if *skip != "nab" {
		nabFS = os.DirFS(*nabDir)
	}
	if *skip == "lag" {
		sim.Groups = 0
	}
	start := time.Now()
	if err := backtest(out, nabFS, nab, sim); err != nil {
		out.Flush()
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintf(out, "\n(backtest took %s)\n", time.Since(start).Round(time.Second))
	return 0
}

// backtest runs the NAB part on nabFS with cfg (skipped when nabFS is
// nil) and the lag part on sim (skipped when sim.Groups is 0), writing the
// report to w.
func backtest(w io.Writer, nabFS fs.FS, cfg nabConfig, sim simConfig) error {
	fmt.Fprintln(w, "# Forecast quality backtest (rules/forecast)")
	if nabFS != nil {
		series, err := loadNAB(nabFS)
		if err != nil {
			return err
		}
		res, err := runNAB(series, cfg, nabThresholds)
		if err != nil {
			return err
		}
		fmt.Fprintln(w)
		writeNAB(w, res, cfg)
	}
	if sim.Groups > 0 {
		groups := simulate(sim)
		lcfg := defaultLagConfig()
		res, err := runLag(groups, lcfg, sim.Step)
		if err != nil {
			return err
		}
		fmt.Fprintln(w)
		writeLag(w, res, lcfg, sim, groups)
	}
	return nil
}
