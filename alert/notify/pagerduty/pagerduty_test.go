package pagerduty

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/pipewatch/pipewatch/alert/notify"
	"github.com/pipewatch/pipewatch/alert/notify/notifytest"
)

// eventsAPI validates events as the Events API v2 documents them:
// routing_key of 32 characters, event_action trigger/acknowledge/resolve,
// dedup_key up to 255 characters, and for triggers a payload with summary
// (at most 1024 characters), source and severity
// (critical/error/warning/info). Valid events get 202
// {"status":"success",...}; invalid ones 400 {"status":"invalid event"}.
type eventsAPI struct {
	mu     sync.Mutex
	events []Event
}

func (e *eventsAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var ev Event
	invalid := func(msg string) {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "invalid event", "message": "Event object is invalid", "errors": []string{msg}})
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		invalid("malformed JSON")
		return
	}
	switch {
	case len(ev.RoutingKey) != 32:
		invalid("'routing_key' must be 32 characters")
		return
	case !slices.Contains([]string{"trigger", "acknowledge", "resolve"}, ev.EventAction):
		invalid("'event_action' is invalid")
		return
	case ev.DedupKey == "" || len(ev.DedupKey) > 255:
		invalid("'dedup_key' is invalid")
		return
	case ev.EventAction == "trigger" && (ev.Payload == nil || ev.Payload.Summary == "" || utf8.RuneCountInString(ev.Payload.Summary) > 1024 || ev.Payload.Source == "" ||
		!slices.Contains([]string{"critical", "error", "warning", "info"}, ev.Payload.Severity)):
		invalid("'payload' is invalid")
		return
	}
	e.mu.Lock()
	e.events = append(e.events, ev)
	e.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "message": "Event processed", "dedup_key": ev.DedupKey})
}

func TestNotify(t *testing.T) {
	api := &eventsAPI{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	cfg := DefaultConfig
	cfg.RoutingKey = "0123456789abcdef0123456789abcdef"
	cfg.URL = srv.URL + "/v2/enqueue"
	cfg.Severity = `{{ .CommonLabels.severity }}`
	n, err := New(&cfg, notify.Options{Client: srv.Client(), Template: notifytest.Template(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Notify(context.Background(), notifytest.Notification()); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	if len(api.events) != 2 {
		t.Fatalf("got %d events, want 2", len(api.events))
	}
	trig, res := api.events[0], api.events[1]
	if trig.EventAction != "trigger" || trig.DedupKey != "1b2c3d4e5f607182" || trig.Payload.Severity != "critical" ||
		trig.Payload.CustomDetails["idempotency_key"] != notifytest.Notification().IdempotencyKey {
		t.Errorf("trigger event = %+v payload %+v", trig, trig.Payload)
	}
	if res.EventAction != "resolve" || res.DedupKey != "a1b2c3d4e5f60718" {
		t.Errorf("resolve event = %+v", res)
	}
}

func TestInvalidEventIsPermanent(t *testing.T) {
	srv := httptest.NewServer(&eventsAPI{})
	defer srv.Close()
	cfg := DefaultConfig
	cfg.RoutingKey = "short"
	cfg.URL = srv.URL
	n, _ := New(&cfg, notify.Options{Client: srv.Client(), Template: notifytest.Template(t)})
	err := n.Notify(context.Background(), notifytest.Notification())
	if err == nil || !notify.IsPermanent(err) {
		t.Errorf("err = %v, want a permanent error", err)
	}
}
