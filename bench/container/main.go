//go:build linux

// Command container measures the CPU cost of container metrics for a
// synthetic cgroup tree of many cgroups (the ctrip profile: 2,600
// containers' worth of series) and prints it per round.
//
// It writes a synthetic tree (package cgrouptest) in the cgroup version
// this host runs, starts the container collector on it with its real
// housekeeping (cAdvisor's cgroup reading, every -interval), and measures
// the process CPU time (user+system from getrusage, so garbage collection
// and every goroutine are included) per round. The cost of a round does
// not depend on the interval, so a short interval keeps the run short; the
// share of one core is given for the 5 s interval the budget is set for.
//
// Two modes:
//
//   - default: after each housekeeping round, one Collect into a fresh
//     batch, as the collector Manager would call it (a fresh batch also
//     pays for growing it, which the Manager's reused batch does not).
//   - -manager: the real collector.Manager runs the target on its schedule
//     and commits every round to a storage appender that discards the
//     samples: the whole path up to the TSDB, including the Manager's own
//     per-sample work (job and instance labels, staleness tracking).
//
// The synthetic files are on tmpfs (/dev/shm) when it exists, which costs
// about what cgroupfs does; they are not cgroupfs, so the program sets the
// cgroup reader's test switch (cgroups.TestMode), which only skips the
// check that a configured root is a cgroup file system.
//
//	go run ./bench/container [-leaves 2600] [-rounds N] [-interval 1s] [-metrics default|all] [-cfq] [-manager] [-max-open-files N]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/opencontainers/cgroups"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"golang.org/x/sys/unix"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/container"
	"github.com/pipewatch/pipewatch/collector/container/cgrouptest"
	"github.com/pipewatch/pipewatch/internal/benchutil"
)

func main() { os.Exit(run()) }

type options struct {
	dir      string
	leaves   int
	rounds   int
	interval time.Duration
	metrics  string
	cfq      bool
	manager  bool
	// discoveryEvery is the number of housekeeping rounds per discovery.
	discoveryEvery int
	// maxOpenFiles is the collector's max_open_files.
	maxOpenFiles int
}

func run() int {
	var o options
	flag.StringVar(&o.dir, "dir", defaultDir(), "directory for the synthetic tree (tmpfs, like cgroupfs, is representative)")
	flag.IntVar(&o.leaves, "leaves", 2600, "leaf cgroups in the synthetic tree")
	flag.IntVar(&o.rounds, "rounds", 0, "rounds to measure (0: one discovery period, so that the average includes a discovery)")
	flag.DurationVar(&o.interval, "interval", time.Second, "housekeeping and collect interval (the cost per round does not depend on it)")
	flag.StringVar(&o.metrics, "metrics", "default", `metric kinds: "default" (cpu, memory, diskIO, network, disk: the lean reader) or "all" (every kind: cAdvisor's full reader)`)
	flag.BoolVar(&o.cfq, "cfq", false, "cgroup v1: write the eight block IO files of the CFQ scheduler (kernels before 5.0) instead of BFQ's two")
	flag.BoolVar(&o.manager, "manager", false, "run the collector Manager end to end into a discarding appender")
	flag.IntVar(&o.discoveryEvery, "discovery-every", 0, "discover every N rounds (0: the default ratio, discovery_interval / 5s)")
	flag.IntVar(&o.maxOpenFiles, "max-open-files", container.DefaultConfig.MaxOpenFiles, "the collector's max_open_files (0: keep no cgroup file open between rounds)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench container:", err)
			return 1
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	if err := bench(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench container:", err)
		return 1
	}
	return 0
}

// defaultDir is /dev/shm when it exists: cgroupfs is an in-memory file
// system, so a tree on tmpfs costs about what the real one does to open
// and read, while a disk-backed /tmp adds the disk file system's cost.
func defaultDir() string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		return "/dev/shm"
	}
	return os.TempDir()
}

func bench(o options) error {
	cgroups.TestMode = true
	dir, err := os.MkdirTemp(o.dir, "pipewatch-bench-cgroups-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	version := cgrouptest.V1
	if cgroups.IsCgroup2UnifiedMode() {
		version = cgrouptest.V2
	}
	t0 := time.Now()
	names, err := cgrouptest.Write(dir, cgrouptest.Options{Version: version, Leaves: o.leaves, BlkioCFQ: o.cfq})
	if err != nil {
		return err
	}
	blkio := "io.stat"
	if version == cgrouptest.V1 {
		blkio = "BFQ blkio files"
		if o.cfq {
			blkio = "CFQ blkio files"
		}
	}
	fmt.Printf("synthetic cgroup v%d tree: %d cgroups (%d leaves, %s) in %s, written in %s\n",
		version, len(names), o.leaves, blkio, dir, time.Since(t0).Round(time.Millisecond))

	cfg := container.DefaultConfig
	cfg.Enabled = true
	cfg.CgroupRoot = dir
	cfg.CollectInterval = model.Duration(o.interval)
	cfg.CollectTimeout = model.Duration(o.interval)
	cfg.MaxContainers = len(names) + 1
	cfg.MaxOpenFiles = o.maxOpenFiles
	// Keep the default ratio of discovery to housekeeping rounds (15s to
	// 5s), so that averages over a multiple of it include discovery.
	if o.discoveryEvery <= 0 {
		o.discoveryEvery = int(time.Duration(container.DefaultConfig.DiscoveryInterval) / (5 * time.Second))
	}
	if o.rounds <= 0 {
		o.rounds = o.discoveryEvery
	}
	cfg.DiscoveryInterval = model.Duration(time.Duration(o.discoveryEvery)*o.interval - o.interval/10)
	if o.metrics == "all" {
		cfg.Metrics = []string{"cpu", "percpu", "memory", "diskIO", "network", "process", "pressure", "disk"}
	}
	fmt.Printf("metrics %v, housekeeping every %s, discovery (listing, limits, names) every %d rounds\n", cfg.Metrics, o.interval, o.discoveryEvery)
	if o.manager {
		return benchManager(cfg, o)
	}
	return benchCollect(cfg, o)
}

// benchCollect runs one Collect after each housekeeping round.
func benchCollect(cfg container.Config, o options) error {
	reg := prometheus.NewRegistry()
	c0 := benchutil.CPUTime()
	c, err := container.New(&cfg, container.Options{Registerer: reg})
	if err != nil {
		return err
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.Collect(ctx, collector.NewBatch()); err != nil && !collector.IsPartial(err) {
		return err
	}
	fmt.Printf("start (machine description, discovery with specs, first round, first collect): %s CPU\n", (benchutil.CPUTime() - c0).Round(time.Millisecond))
	printOpenFiles(reg, cfg.MaxOpenFiles)
	fmt.Printf("%-6s %12s %12s %10s %12s %9s\n", "round", "housekeep", "collect", "samples", "cpu/round", "core@5s")
	var total time.Duration
	seen := rounds(reg)
	for r := 1; r <= o.rounds; r++ {
		c1 := benchutil.CPUTime()
		for rounds(reg) == seen {
			time.Sleep(20 * time.Millisecond)
		}
		seen = rounds(reg)
		c2 := benchutil.CPUTime()
		b := collector.NewBatch()
		if err := c.Collect(ctx, b); err != nil && !collector.IsPartial(err) {
			return err
		}
		c3 := benchutil.CPUTime()
		per := c3 - c1
		total += per
		fmt.Printf("%-6d %12s %12s %10d %12s %8.2f%%\n", r, (c2 - c1).Round(time.Microsecond), (c3 - c2).Round(time.Microsecond),
			b.Len(), per.Round(time.Microsecond), 100*per.Seconds()/5)
	}
	avg := total / time.Duration(o.rounds)
	fmt.Printf("average CPU per round %s = %.2f%% of one core at a 5 s interval (budget 5%%)\n", avg.Round(time.Microsecond), 100*avg.Seconds()/5)
	return nil
}

// discard is a storage transaction that drops every sample.
type discard struct{}

func (discard) Append(uint64, labels.Labels, int64, float64) (uint64, error) { return 0, nil }
func (discard) Commit() error                                                { return nil }
func (discard) Rollback() error                                              { return nil }

// benchManager runs the target in the collector Manager, as pipewatch
// does, and measures the CPU between committed rounds.
func benchManager(cfg container.Config, o options) error {
	c0 := benchutil.CPUTime()
	c, err := container.New(&cfg, container.Options{})
	if err != nil {
		return err
	}
	committed := make(chan struct{}, 16)
	m := collector.NewManager(collector.Options{
		Appender: func(context.Context) collector.Appender { return discard{} },
		OnCommit: func(string, int64) { committed <- struct{}{} },
	})
	m.ApplyTargets([]collector.Target{{
		Job: "containers", Instance: "bench", Interval: o.interval, Timeout: o.interval, Collector: c,
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	wait := func() error {
		select {
		case <-committed:
			return nil
		case <-time.After(10 * o.interval):
			return errors.New("no round committed")
		}
	}
	// The first rounds also fill the Manager's series caches.
	const warmup = 3
	for range warmup {
		if err := wait(); err != nil {
			return err
		}
	}
	fmt.Printf("start and %d warm-up rounds: %s CPU\n", warmup, (benchutil.CPUTime() - c0).Round(time.Millisecond))
	// Collection rounds (the Manager's schedule) and housekeeping rounds
	// (the collector's) are not aligned, so one collection round may see
	// zero or two housekeeping rounds: only the average over all rounds is
	// meaningful.
	c1 := benchutil.CPUTime()
	w1 := time.Now()
	for range o.rounds {
		if err := wait(); err != nil {
			return err
		}
	}
	total, wall := benchutil.CPUTime()-c1, time.Since(w1)
	hk := wall.Seconds() / o.interval.Seconds() // housekeeping rounds in the period
	avg := time.Duration(float64(total) / hk)
	fmt.Printf("%d collection rounds in %s: %s CPU, %.1f housekeeping rounds\n", o.rounds, wall.Round(time.Millisecond), total.Round(time.Millisecond), hk)
	fmt.Printf("average CPU per round (housekeeping, Collect, Manager) %s = %.2f%% of one core at a 5 s interval\n", avg.Round(time.Microsecond), 100*avg.Seconds()/5)
	return nil
}

// rounds is the number of finished housekeeping rounds.
func rounds(reg *prometheus.Registry) uint64 {
	if m := selfMetric(reg, "pipewatch_container_housekeeping_duration_seconds"); m != nil {
		return m.GetHistogram().GetSampleCount()
	}
	return 0
}

// printOpenFiles prints how many cgroup files the collector keeps open,
// and the descriptor limit that bounds them (with max_open_files).
func printOpenFiles(reg *prometheus.Registry, maxOpenFiles int) {
	var rl unix.Rlimit
	_ = unix.Getrlimit(unix.RLIMIT_NOFILE, &rl)
	kept := 0.0
	if m := selfMetric(reg, "pipewatch_container_open_files"); m != nil {
		kept = m.GetGauge().GetValue()
	}
	fmt.Printf("cgroup files kept open: %.0f (max_open_files %d, RLIMIT_NOFILE %d)\n", kept, maxOpenFiles, rl.Cur)
}

// selfMetric returns the first series of the named self-metric, or nil.
func selfMetric(reg *prometheus.Registry, name string) *dto.Metric {
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) > 0 {
			return mf.GetMetric()[0]
		}
	}
	return nil
}
