// Command queryrange compares query_range latency of pipewatch's API with
// Debian's prometheus on the same data: 1,000 series × 1 h at 15 s,
// queried over the whole hour at a 15 s step. Both are asked over HTTP in the
// same run, alternating, and the program prints the median latency of each
// and their ratio per query.
//
//	go run ./bench/queryrange [-series 1000] [-runs 30]
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"time"

	"github.com/pipewatch/pipewatch/api"
	"github.com/pipewatch/pipewatch/internal/promref"
	"github.com/pipewatch/pipewatch/storage"
)

func main() { os.Exit(run()) }

func run() int {
	n := flag.Int("series", 1000, "number of series")
	runs := flag.Int("runs", 30, "measured runs per query and server")
	flag.Parse()
	if err := bench(*n, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "queryrange:", err)
		return 1
	}
	return 0
}

func bench(n, runs int) error {
	ctx := context.Background()
	start := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	series := promref.Large(n, start, time.Hour)

	dir, err := os.MkdirTemp("", "pipewatch-bench-queryrange")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ref, err := promref.Start(ctx, dir+"/prometheus", series)
	if err != nil {
		return fmt.Errorf("start reference prometheus: %w", err)
	}
	defer ref.Close()

	st, err := storage.Open(dir+"/pipewatch", storage.Options{Retention: 10 * 365 * 24 * time.Hour})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := promref.Load(func() *storage.Appender { return st.Appender(ctx) }, series, 10000); err != nil {
		return err
	}
	pw := httptest.NewServer(api.New(api.Options{Storage: st, Engine: api.NewEngine(nil, nil), Ready: func() bool { return true }}))
	defer pw.Close()

	version, err := ref.Version(ctx)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: time.Minute}
	end := start.Add(time.Hour)
	fmt.Printf("query_range over 1h of %d series at 15s step, median of %d runs each (pipewatch vs Debian prometheus %s)\n", n, runs, version)
	worst := 0.0
	for _, expr := range []string{
		`bench_queue_depth`,
		`rate(bench_requests_total[5m])`,
		`sum by (job) (rate(bench_requests_total[5m]))`,
		`max_over_time(bench_queue_depth[5m])`,
	} {
		q := promref.Query{Name: expr, Expr: expr, Range: true, Start: start, End: end, Step: 15 * time.Second}
		var pwTimes, refTimes []time.Duration
		for i := range runs + 3 {
			tp, err := timeQuery(ctx, client, pw.URL, q)
			if err != nil {
				return err
			}
			tr, err := timeQuery(ctx, client, ref.URL(), q)
			if err != nil {
				return err
			}
			if i >= 3 { // warm-up
				pwTimes, refTimes = append(pwTimes, tp), append(refTimes, tr)
			}
		}
		p, r := median(pwTimes), median(refTimes)
		ratio := float64(p) / float64(r)
		worst = max(worst, ratio)
		fmt.Printf("  %-50s pipewatch %8.2f ms   prometheus %8.2f ms   ratio %.2f\n", expr, ms(p), ms(r), ratio)
	}
	fmt.Printf("worst ratio: %.2f (target ≤ 1.2)\n", worst)
	return nil
}

func timeQuery(ctx context.Context, client *http.Client, base string, q promref.Query) (time.Duration, error) {
	t0 := time.Now()
	if _, err := promref.Fetch(ctx, client, base, q); err != nil {
		return 0, err
	}
	return time.Since(t0), nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
