// Command walreplay measures pipewatch's start-up time with a large
// write-ahead log: it fills a TSDB's WAL to the requested size (without ever
// compacting the head), closes it, and times a fresh Open, which replays the
// WAL and logs its progress one segment at a time.
//
//	go run ./bench/walreplay [-size 2GiB] [-series 200000] [-dir DIR]
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/alecthomas/units"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/storage"
)

func main() { os.Exit(run()) }

func run() int {
	sizeFlag := flag.String("size", "2GiB", "WAL size to build")
	series := flag.Int("series", 200_000, "number of series")
	dir := flag.String("dir", "", "TSDB directory (default: a temporary one, removed afterwards)")
	flag.Parse()
	size, err := units.ParseBase2Bytes(*sizeFlag)
	if err != nil {
		fmt.Fprintln(os.Stderr, "walreplay: invalid -size:", err)
		return 2
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "pipewatch-bench-wal")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	if err := bench(*dir, int64(size), *series); err != nil {
		fmt.Fprintln(os.Stderr, "walreplay:", err)
		return 1
	}
	return 0
}

func bench(dir string, size int64, n int) error {
	st, err := storage.Open(dir, storage.Options{})
	if err != nil {
		return err
	}
	lsets := make([]labels.Labels, n)
	refs := make([]uint64, n)
	for i := range lsets {
		lsets[i] = labels.FromStrings("__name__", "kafka_consumergroup_lag", "consumergroup", "g"+strconv.Itoa(i/80),
			"topic", "t"+strconv.Itoa(i/8), "partition", strconv.Itoa(i%8))
	}
	// Timestamps advance 1 ms per round so the head never spans enough time
	// to be compacted into a block: everything stays in the WAL.
	t0 := time.Now().UnixMilli()
	start := time.Now()
	var samples int64
	for round := int64(0); ; round++ {
		app := st.Appender(context.Background())
		for i, l := range lsets {
			if refs[i], err = app.Append(refs[i], l, t0+round, float64(round*int64(i%97))); err != nil {
				return err
			}
		}
		if err := app.Commit(); err != nil {
			return err
		}
		samples += int64(n)
		if round%20 == 0 {
			if walSize(dir) >= size {
				break
			}
		}
	}
	wal := walSize(dir)
	fmt.Printf("wrote %d samples of %d series: WAL %.2f GiB in %v\n", samples, n, float64(wal)/(1<<30), time.Since(start).Round(time.Second))
	if err := st.Close(); err != nil {
		return err
	}
	runtime.GC()

	logger := slog.New(slog.NewTextHandler(os.Stdout, nil))
	start = time.Now()
	st, err = storage.Open(dir, storage.Options{Logger: logger})
	if err != nil {
		return err
	}
	replay := time.Since(start)
	fmt.Printf("replayed a %.2f GiB WAL (%d series) in %v\n", float64(wal)/(1<<30), st.NumSeries(), replay.Round(time.Millisecond))
	return st.Close()
}

func walSize(dir string) int64 {
	var total int64
	_ = filepath.WalkDir(filepath.Join(dir, "wal"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				total += info.Size()
			}
		}
		return nil
	})
	return total
}
