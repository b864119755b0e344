// Command alertlatency measures the alert path alone, in process: the time
// from alert.Manager.Send of a new alert to the webhook request that
// carries it arriving at a real HTTP server on loopback, with the durable
// state (bbolt, synced) in a temporary directory. It reports p50/p99/max
// for
//
//   - a new alert that starts a new group (group_wait: 0s);
//   - a new alert joining a group that has already notified (the fast path;
//     stock Alertmanager waits for group_interval, 5m by default);
//   - four alerts joining one existing group at once: the time until all
//     four have arrived.
//
// Usage: go run ./bench/alertlatency [-trials 60]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/alert"
	"github.com/pipewatch/pipewatch/alert/notify/webhook"
)

func main() {
	os.Exit(run())
}

// arrivals records when each alertname first arrived.
type arrivals struct {
	mu    sync.Mutex
	first map[string]time.Time
	wait  map[string]chan struct{}
}

func (a *arrivals) expect(name string) chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	ch := make(chan struct{})
	a.wait[name] = ch
	return ch
}

func (a *arrivals) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	body, err := io.ReadAll(r.Body)
	var msg webhook.Message
	if err != nil || json.Unmarshal(body, &msg) != nil {
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, al := range msg.Alerts {
		name := al.Labels["alertname"]
		if _, seen := a.first[name]; seen {
			continue
		}
		a.first[name] = now
		if ch, ok := a.wait[name]; ok {
			close(ch)
			delete(a.wait, name)
		}
	}
}

func (a *arrivals) at(name string) time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.first[name]
}

func run() int {
	trials := flag.Int("trials", 60, "trials per scenario")
	flag.Parse()

	rec := &arrivals{first: map[string]time.Time{}, wait: map[string]chan struct{}{}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	dir, err := os.MkdirTemp("", "alertlatency")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)

	var cfg alert.Config
	text := fmt.Sprintf(`
global: {resolve_timeout: 1h}
route: {receiver: hook, group_by: [job], group_wait: 0s, group_interval: 5m}
receivers: [{name: hook, webhook_configs: [{url: %q}]}]
`, srv.URL)
	if err := yaml.Unmarshal([]byte(text), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	m, err := alert.New(&cfg, alert.Options{DataDir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	defer func() { cancel(); <-done }()

	send := func(name, job string) time.Duration {
		ch := rec.expect(name)
		start := time.Now()
		m.Send(alert.Alert{Labels: labels.FromStrings("alertname", name, "job", job)})
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			return -1
		}
		return rec.at(name).Sub(start)
	}

	fmt.Printf("alert path latency, Send() to webhook arrival, %d trials each (bbolt state synced to %s)\n", *trials, dir)
	var newGroup, joining, four []time.Duration
	for i := range *trials {
		newGroup = append(newGroup, send("New"+strconv.Itoa(i), "job"+strconv.Itoa(i)))
	}
	send("Seed", "shared")
	for i := range *trials {
		joining = append(joining, send("Join"+strconv.Itoa(i), "shared"))
	}
	for i := range *trials {
		job := "four" + strconv.Itoa(i)
		send("Seed"+job, job) // the group exists and has notified
		names := []string{"A" + job, "B" + job, "C" + job, "D" + job}
		var chans []chan struct{}
		for _, n := range names {
			chans = append(chans, rec.expect(n))
		}
		start := time.Now()
		for _, n := range names {
			m.Send(alert.Alert{Labels: labels.FromStrings("alertname", n, "job", job)})
		}
		var last time.Duration
		for j, ch := range chans {
			select {
			case <-ch:
				last = max(last, rec.at(names[j]).Sub(start))
			case <-time.After(10 * time.Second):
				last = -1
			}
		}
		four = append(four, last)
	}
	report("new alert, new group", newGroup)
	report("new alert joining a notified group (fast path)", joining)
	report("four alerts joining a notified group, last arrival", four)
	return 0
}

func report(name string, ds []time.Duration) {
	if slices.Contains(ds, -1) {
		fmt.Printf("%-50s some trials timed out after 10s\n", name)
		return
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	q := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	fmt.Printf("%-50s p50 %8s  p99 %8s  max %8s  (n=%d)\n", name, q(0.5).Round(time.Microsecond), q(0.99).Round(time.Microsecond), s[len(s)-1].Round(time.Microsecond), len(s))
}
