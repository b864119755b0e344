// Command e2elatency measures pipewatch's whole alerting path, from a
// change at the source to the webhook request arriving: records are
// produced into a Kafka topic (a real Kafka protocol cluster, franz-go's
// kfake) so that a consumer group's lag crosses a rule's threshold; the
// Kafka collector (1 s interval) stores the lag, the rule is evaluated
// right after ingest, and alerting sends it to a webhook receiver. It
// prints p50/p90/p99/max over the trials, then the time for four alerts that
// join one alert group to all arrive.
//
//	go run ./bench/e2elatency [-trials 50]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipewatch/pipewatch/app"
)

func main() { os.Exit(run()) }

func run() int {
	trials := flag.Int("trials", 50, "number of single-alert trials")
	flag.Parse()
	if err := bench(*trials); err != nil {
		fmt.Fprintln(os.Stderr, "e2elatency:", err)
		return 1
	}
	return 0
}

// receiver records when each alert (by consumergroup) first arrived firing.
type receiver struct {
	mu      sync.Mutex
	arrived map[string]time.Time
	notify  chan struct{}
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	now := time.Now()
	body, _ := io.ReadAll(req.Body)
	var msg struct {
		Alerts []struct {
			Status string            `json:"status"`
			Labels map[string]string `json:"labels"`
		} `json:"alerts"`
	}
	_ = json.Unmarshal(body, &msg)
	r.mu.Lock()
	for _, a := range msg.Alerts {
		g := a.Labels["consumergroup"]
		if _, seen := r.arrived[g]; a.Status == "firing" && !seen {
			r.arrived[g] = now
		}
	}
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

func (r *receiver) wait(ctx context.Context, groups ...string) (time.Time, error) {
	for {
		r.mu.Lock()
		var last time.Time
		all := true
		for _, g := range groups {
			t, ok := r.arrived[g]
			if !ok {
				all = false
				break
			}
			last = maxTime(last, t)
		}
		r.mu.Unlock()
		if all {
			return last, nil
		}
		select {
		case <-r.notify:
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("wait for alerts of %v: %w", groups, ctx.Err())
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func bench(trials int) error {
	const groupTrials = 4
	n := trials + groupTrials
	topics := make([]string, n)
	for i := range topics {
		topics[i] = "latency-" + strconv.Itoa(i)
	}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topics...))
	if err != nil {
		return err
	}
	defer cluster.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.DefaultProduceTopic(topics[0]))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx := context.Background()
	// One member-less group per topic, committed at offset 0: no lag yet.
	for i, t := range topics {
		offs := kadm.Offsets{}
		offs.AddOffset(t, 0, 0, -1)
		if _, err := adm.CommitOffsets(ctx, "group-"+strconv.Itoa(i), offs); err != nil {
			return fmt.Errorf("commit offsets: %w", err)
		}
	}

	rcv := &receiver{arrived: map[string]time.Time{}, notify: make(chan struct{}, 1)}
	hook := httptest.NewServer(rcv)
	defer hook.Close()

	dir, err := os.MkdirTemp("", "pipewatch-bench-e2e")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	rulesFile := filepath.Join(dir, "rules.yml")
	if err := os.WriteFile(rulesFile, []byte(`groups:
  - name: latency
    min_interval: 1s
    rules:
      - alert: LagHigh
        expr: kafka_consumergroup_lag_sum > 1000
`), 0o600); err != nil {
		return err
	}
	cfgFile := filepath.Join(dir, "pipewatch.yml")
	brokers, _ := json.Marshal(cluster.ListenAddrs())
	if err := os.WriteFile(cfgFile, []byte(fmt.Sprintf(`kafka:
  - {name: bench, brokers: %s, collect_interval: 1s, collect_timeout: 1s, metadata_interval: 5s}
rule_files: [rules.yml]
rule_pack: {enabled: false}
alerting:
  route: {receiver: hook, group_by: [alertname], group_wait: 0s, group_interval: 5m}
  receivers:
    - name: hook
      webhook_configs: [{url: %q}]
`, brokers, hook.URL)), 0o600); err != nil {
		return err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- app.Run(runCtx, app.Options{
			ConfigFile: cfgFile, StoragePath: filepath.Join(dir, "data"), Retention: time.Hour,
			Listener: l, Logger: slog.New(slog.DiscardHandler),
		})
	}()
	defer func() { stop(); <-done }()
	if err := waitReady(ctx, "http://"+l.Addr().String()); err != nil {
		return err
	}
	// Let the collector see every group and build its lag history.
	time.Sleep(6 * time.Second)

	produce := func(topic string) error {
		recs := make([]*kgo.Record, 2000)
		for i := range recs {
			recs[i] = &kgo.Record{Topic: topic, Value: []byte("x")}
		}
		return cl.ProduceSync(ctx, recs...).FirstErr()
	}

	var lat []time.Duration
	for i := range trials {
		// Spread the change over the collection interval's phase.
		time.Sleep(time.Duration(137*i%1000) * time.Millisecond)
		start := time.Now()
		if err := produce(topics[i]); err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		at, err := rcv.wait(wctx, "group-"+strconv.Itoa(i))
		cancel()
		if err != nil {
			return err
		}
		lat = append(lat, at.Sub(start))
	}
	slices.Sort(lat)
	q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Printf("records produced → webhook received, %d trials, 1 s collection interval:\n", len(lat))
	fmt.Printf("  p50 %v  p90 %v  p99 %v  max %v   (targets: p50 ≤ 0.7s, p99 ≤ 1.5s)\n",
		q(0.5).Round(time.Millisecond), q(0.9).Round(time.Millisecond), q(0.99).Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))

	// Four alerts joining one (already notified) alert group at once.
	start := time.Now()
	var groups []string
	for i := trials; i < n; i++ {
		if err := produce(topics[i]); err != nil {
			return err
		}
		groups = append(groups, "group-"+strconv.Itoa(i))
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	at, err := rcv.wait(wctx, groups...)
	cancel()
	if err != nil {
		return err
	}
	fmt.Printf("four alerts joining one group: all arrived %v after the change (target ≤ 2s)\n", at.Sub(start).Round(time.Millisecond))
	return nil
}

func waitReady(ctx context.Context, base string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/-/ready", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("pipewatch not ready within 60s")
}
