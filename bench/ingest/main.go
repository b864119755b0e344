// Command ingest measures pipewatch's ingest path: a collector's output
// going through the collector Manager (series cache, target labels,
// staleness tracking) into the embedded TSDB, committed. It prints the
// sustained samples per second and the Go heap per active series after a
// GC, between two rounds and with a round in flight.
//
//	go run ./bench/ingest [-series 100000] [-rounds 30]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/storage"
)

func main() { os.Exit(run()) }

func run() int {
	series := flag.Int("series", 100_000, "active series per round")
	rounds := flag.Int("rounds", 30, "measured rounds (after 2 warm-up rounds)")
	memProfile := flag.String("memprofile", "", "write a heap profile, taken where the heap is measured, to this file")
	flag.Parse()

	dir, err := os.MkdirTemp("", "pipewatch-bench-ingest")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	st, err := storage.Open(dir, storage.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer st.Close()

	// The collector's output: series shaped like Kafka partition lag, built
	// once, as a collector that keeps its label sets between rounds would.
	lsets := make([]labels.Labels, *series)
	for i := range lsets {
		lsets[i] = labels.FromStrings(
			"__name__", "kafka_consumergroup_lag",
			"cluster", "prod",
			"consumergroup", "group-"+strconv.Itoa(i/400),
			"topic", "topic-"+strconv.Itoa(i/8%1300),
			"partition", strconv.Itoa(i%8),
		)
	}
	baseline := heapAfterGC()
	var value float64
	col := collector.CollectorFunc(func(_ context.Context, b *collector.Batch) error {
		value++
		for _, l := range lsets {
			b.Add(l, value)
		}
		return nil
	})

	total := *rounds + 2
	var commits atomic.Int64
	var start, end atomic.Int64
	var between int64 // heap between two rounds, measured in the last OnCommit
	var profErr error
	done := make(chan struct{})
	m := collector.NewManager(collector.Options{
		Appender: func(ctx context.Context) collector.Appender { return st.Appender(ctx) },
		OnCommit: func(string, int64) {
			n := commits.Add(1)
			switch {
			case n == 2:
				start.Store(time.Now().UnixNano())
			case n == int64(total):
				end.Store(time.Now().UnixNano())
				// OnCommit runs in the target's loop after the commit, so
				// no round is in flight: the heap a target at a usual
				// interval (seconds) has most of the time.
				between = heapAfterGC() - baseline
				if *memProfile != "" {
					profErr = writeHeapProfile(*memProfile)
				}
				close(done)
			}
		},
	})
	// A 1 ms interval makes rounds run back to back: the loop is the bottleneck.
	m.ApplyTargets([]collector.Target{{Job: "bench/ingest", Instance: "local", Interval: time.Millisecond, Timeout: time.Minute, Collector: col}})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { _ = m.Run(ctx); close(stopped) }()
	<-done
	// Measured again while the manager runs its next round, back to back:
	// the heap with a round in flight. Both include the manager's series
	// cache and the TSDB head; the benchmark's own label sets (the
	// collector's output) are in the baseline.
	inFlight := heapAfterGC() - baseline
	cancel()
	<-stopped
	if profErr != nil {
		fmt.Fprintln(os.Stderr, profErr)
		return 1
	}

	elapsed := time.Duration(end.Load() - start.Load())
	samples := float64(*rounds) * float64(*series)
	fmt.Printf("ingest: %d series x %d rounds in %v: %.0f samples/s (GOMAXPROCS=%d)\n",
		*series, *rounds, elapsed.Round(time.Millisecond), samples/elapsed.Seconds(), runtime.GOMAXPROCS(0))
	perSeries := func(b int64) float64 { return float64(b) / float64(st.NumSeries()) }
	fmt.Printf("heap after GC for %d active series: between rounds %.1f MB = %.0f bytes/series; with a round in flight %.1f MB = %.0f bytes/series\n",
		st.NumSeries(), float64(between)/1e6, perSeries(between), float64(inFlight)/1e6, perSeries(inFlight))
	runtime.KeepAlive(lsets)
	return 0
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// heapAfterGC returns the live heap in bytes after a full collection.
func heapAfterGC() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
