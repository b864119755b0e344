package alert

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// crashConfig routes everything to one webhook; retries are an hour apart
// so that the notification stays in the outbox while the process dies.
const crashConfig = `
global: {resolve_timeout: 5m}
route: {receiver: hook, group_by: [alertname], group_wait: 0s, group_interval: 1m}
receivers:
- name: hook
  delivery: {min_backoff: 1h, max_backoff: 1h, retry_budget: 24h}
  webhook_configs: [{url: %q}]
`

// TestCrashHelper is the process that the restart test kills. It only
// runs when started by TestRestartDeliversExactlyOnce.
func TestCrashHelper(t *testing.T) {
	dir, url := os.Getenv("ALERT_CRASH_DIR"), os.Getenv("ALERT_CRASH_URL")
	if dir == "" {
		t.Skip("helper process for TestRestartDeliversExactlyOnce")
	}
	m, err := New(parseConfig(t, fmt.Sprintf(crashConfig, url)), Options{DataDir: dir})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	m.Send(firing("DiskFull", "job", "node"))
	_ = m.Run(context.Background()) // runs until killed
}

// TestRestartDeliversExactlyOnce kills a process between queueing a
// notification and delivering it, then restarts from the same data
// directory (an hour later, so the alert's resolve is due too): the queued
// notification is delivered exactly once, with the idempotency key it was
// first tried with, then the resolve that fell due while the process was
// down; a further restart sends nothing.
func TestRestartDeliversExactlyOnce(t *testing.T) {
	var accept atomic.Bool
	firstKey := make(chan string, 1)
	h := newHook()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !accept.Load() {
			select {
			case firstKey <- r.Header.Get("Idempotency-Key"):
			default:
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	dir := t.TempDir()

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$")
	cmd.Env = append(os.Environ(), "ALERT_CRASH_DIR="+dir, "ALERT_CRASH_URL="+srv.URL)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start helper: %v", err)
	}
	var key string
	select {
	case key = <-firstKey:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("helper made no delivery attempt within 30s")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("kill helper: %v", err)
	}
	_ = cmd.Wait()

	accept.Store(true)
	later := func() time.Time { return time.Now().Add(time.Hour) }
	cfg := parseConfig(t, fmt.Sprintf(crashConfig, srv.URL))
	m, err := New(cfg, Options{DataDir: dir, Now: later})
	if err != nil {
		t.Fatalf("New after crash: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	var got []received
	for len(got) < 2 {
		select {
		case r := <-h.arrived:
			got = append(got, r)
		case <-time.After(30 * time.Second):
			cancel()
			<-done
			t.Fatalf("after restart got %d notifications, want 2", len(got))
		}
	}
	// Let the second delivery's answer be recorded before stopping (a stop
	// in between would leave it queued, to be sent again with its key).
	for deadline := time.Now().Add(10 * time.Second); queued(m) > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if got[0].key != key || !slices.Equal(alertnames(got[0].msg), []string{"DiskFull:firing"}) {
		t.Errorf("first delivery after restart: key %q alerts %v, want the queued firing notification with key %q", got[0].key, alertnames(got[0].msg), key)
	}
	if got[1].key == key || !slices.Equal(alertnames(got[1].msg), []string{"DiskFull:resolved"}) {
		t.Errorf("second delivery: key %q alerts %v, want the due resolve with a new key", got[1].key, alertnames(got[1].msg))
	}

	// A further restart finds nothing to send.
	m, err = New(cfg, Options{DataDir: dir, Now: later})
	if err != nil {
		t.Fatalf("New after clean stop: %v", err)
	}
	defer m.Close()
	m.step(later())
	m.mu.RLock()
	defer m.mu.RUnlock()
	for key, d := range m.deliverers {
		if n := len(d.queue); n != 0 {
			t.Errorf("deliverer %s has %d queued notifications after everything was delivered", key, n)
		}
	}
	if n := len(h.received()); n != 2 {
		t.Errorf("receiver got %d notifications in total, want 2", n)
	}
}

// queued returns the number of notifications in m's outbox queues.
func queued(m *Manager) int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	n := 0
	for _, d := range m.deliverers {
		d.mu.Lock()
		n += len(d.queue)
		d.mu.Unlock()
	}
	return n
}
