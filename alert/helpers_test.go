package alert

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/alert/notify/webhook"
)

// handlerTransport serves requests with an in-process handler, so that
// tests inside a synctest bubble can talk HTTP without sockets.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// hook is a webhook receiver that records the payloads it accepts. Its
// respond function picks the status for each request (nil: 200).
type hook struct {
	mu       sync.Mutex
	got      []received
	respond  func(n int) (status int, header http.Header)
	requests int
	arrived  chan received
}

type received struct {
	msg webhook.Message
	key string
	at  time.Time
}

func newHook() *hook { return &hook{arrived: make(chan received, 1000)} }

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var msg webhook.Message
	if err := json.Unmarshal(body, &msg); err != nil || msg.Version != "4" {
		http.Error(w, "not a v4 webhook payload", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.requests++
	n := h.requests
	respond := h.respond
	h.mu.Unlock()
	if respond != nil {
		if status, header := respond(n); status != http.StatusOK {
			for k, v := range header {
				w.Header()[k] = v
			}
			w.WriteHeader(status)
			return
		}
	}
	rc := received{msg: msg, key: r.Header.Get("Idempotency-Key"), at: time.Now()}
	h.mu.Lock()
	h.got = append(h.got, rc)
	h.mu.Unlock()
	h.arrived <- rc
}

func (h *hook) received() []received {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]received(nil), h.got...)
}

func (h *hook) attempts() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.requests
}

// alertnames returns the alertname and status of each alert of a payload.
func alertnames(m webhook.Message) []string {
	var out []string
	for _, a := range m.Alerts {
		out = append(out, a.Labels["alertname"]+":"+a.Status)
	}
	return out
}

func parseConfig(t testing.TB, text string) *Config {
	t.Helper()
	var c Config
	if err := yaml.Unmarshal([]byte(text), &c); err != nil {
		t.Fatalf("parse config: %v", err)
	}
	return &c
}

func firing(name string, extra ...string) Alert {
	ls := append([]string{"alertname", name}, extra...)
	return Alert{Labels: labels.FromStrings(ls...), Annotations: labels.FromStrings("summary", name+" fires")}
}

func resolvedAlert(name string, at time.Time, extra ...string) Alert {
	a := firing(name, extra...)
	a.StartsAt = at.Add(-time.Minute)
	a.EndsAt = at
	return a
}

// startManager runs m until the test ends and waits for Run to return.
func startManager(t testing.TB, m *Manager) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := m.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func labelsFromMap(m map[string]string) labels.Labels { return labels.FromMap(m) }
