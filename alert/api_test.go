package alert

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/alertmanager/api/v2/models"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func do(t *testing.T, h http.Handler, method, path, body string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(b)
}

func TestAPI(t *testing.T) {
	// The dispatcher is driven by hand (step) instead of Run, so that each
	// request sees the effect of the previous one.
	m, err := New(parseConfig(t, fmt.Sprintf(webhookConfig, "0s", true)), Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	{
		h := m.Handler()
		now := time.Now().UTC().Format(time.RFC3339)
		tests := []struct {
			name, method, path, body string
			code                     int
			contains                 string
		}{
			{"post alerts", "POST", "/api/v2/alerts", `[{"labels":{"alertname":"Lag","job":"x"},"annotations":{"summary":"s"}}]`, 200, ""},
			{"post invalid alert", "POST", "/api/v2/alerts", `[{"labels":{}}]`, 400, "labels must not be empty"},
			{"post malformed", "POST", "/api/v2/alerts", `{`, 400, "decode request body"},
			{"post oversize", "POST", "/api/v2/alerts", `[` + strings.Repeat(" ", maxRequestBody) + `]`, 413, "exceeds"},
			{"get alerts", "GET", "/api/v2/alerts?filter=alertname%3D%22Lag%22", "", 200, `"alertname":"Lag"`},
			{"bad filter", "GET", "/api/v2/alerts?filter=%3D%3D", "", 400, "parse filter"},
			{"groups", "GET", "/api/v2/alerts/groups", "", 200, `"labels":{"job":"x"}`},
			{"receivers", "GET", "/api/v2/receivers", "", 200, `[{"name":"hook"}]`},
			{"status", "GET", "/api/v2/status", "", 200, `"status":"disabled"`},
			{"silence without comment", "POST", "/api/v2/silences", `{"matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"` + now + `","endsAt":"2999-01-01T00:00:00Z","createdBy":"me","comment":""}`, 400, "comment must be set"},
			{"silence matching everything", "POST", "/api/v2/silences", `{"matchers":[{"name":"a","value":".*","isRegex":true}],"startsAt":"` + now + `","endsAt":"2999-01-01T00:00:00Z","createdBy":"me","comment":"c"}`, 400, "must not match the empty string"},
			{"unknown silence", "GET", "/api/v2/silence/nope", "", 404, "silence not found"},
			{"expire unknown silence", "DELETE", "/api/v2/silence/nope", "", 404, "silence not found"},
			{"update unknown silence", "POST", "/api/v2/silences", `{"id":"nope","matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"` + now + `","endsAt":"2999-01-01T00:00:00Z","createdBy":"me","comment":"c"}`, 404, "silence not found"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, body := do(t, h, tt.method, tt.path, tt.body)
				m.step(time.Now())
				if code != tt.code || !strings.Contains(body, tt.contains) {
					t.Errorf("%s %s = %d %.200s, want %d containing %q", tt.method, tt.path, code, body, tt.code, tt.contains)
				}
			})
		}
	}
}

func TestSilenceUpdate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newSynctestManager(t, newHook(), fmt.Sprintf(webhookConfig, "0s", true))
		h := m.Handler()
		post := func(body string) string {
			code, out := do(t, h, "POST", "/api/v2/silences", body)
			if code != 200 {
				t.Fatalf("POST silence = %d %s", code, out)
			}
			var r struct{ SilenceID string }
			_ = json.Unmarshal([]byte(out), &r)
			return r.SilenceID
		}
		start := time.Now().UTC().Format(time.RFC3339)
		sil := func(id, value, end string) string {
			return `{"id":"` + id + `","matchers":[{"name":"job","value":"` + value + `","isRegex":false}],"startsAt":"` + start + `","endsAt":"` + end + `","createdBy":"me","comment":"c"}`
		}
		id := post(sil("", "x", "2999-01-01T00:00:00Z"))
		// Extending keeps the ID; changing matchers replaces the silence.
		if id2 := post(sil(id, "x", "2999-06-01T00:00:00Z")); id2 != id {
			t.Errorf("extending changed the ID: %s -> %s", id, id2)
		}
		id3 := post(sil(id, "y", "2999-06-01T00:00:00Z"))
		if id3 == id {
			t.Error("changing matchers kept the ID")
		}
		_, out := do(t, h, "GET", "/api/v2/silences", "")
		var list models.GettableSilences
		if err := json.Unmarshal([]byte(out), &list); err != nil {
			t.Fatal(err)
		}
		states := map[string]string{}
		for _, s := range list {
			states[*s.ID] = *s.Status.State
		}
		if states[id] != SilenceExpired || states[id3] != SilenceActive {
			t.Errorf("states = %v", states)
		}
		_, out = do(t, h, "GET", "/api/v2/silences?filter=job%3D%22y%22", "")
		if !strings.Contains(out, id3) || strings.Contains(out, id) {
			t.Errorf("filter job=y = %s", out)
		}
	})
}

func TestApplyConfigAndMetrics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := newHook(), newHook()
		a.respond = func(int) (int, http.Header) { return http.StatusServiceUnavailable, nil }
		mux := http.NewServeMux()
		mux.Handle("a.test/", a)
		mux.Handle("b.test/", b)
		reg := prometheus.NewRegistry()
		m, err := New(parseConfig(t, `
route: {receiver: a, group_wait: 0s}
receivers: [{name: a, delivery: {min_backoff: 1h, max_backoff: 1h}, webhook_configs: [{url: "http://a.test/"}]}]
`), Options{DataDir: t.TempDir(), Registerer: reg, HTTPClient: &http.Client{Transport: handlerTransport{mux}}})
		if err != nil {
			t.Fatal(err)
		}
		startManager(t, m)
		m.Send(firing("X"))
		synctest.Wait()
		if v := testutil.ToFloat64(m.metrics.queue.WithLabelValues("a", "webhook")); v != 1 {
			t.Errorf("outbox length = %v, want 1 (waiting for a retry)", v)
		}
		if v := testutil.ToFloat64(m.metrics.retried.WithLabelValues("a", "webhook")); v != 1 {
			t.Errorf("retries = %v, want 1", v)
		}
		err = m.ApplyConfig(parseConfig(t, `
route: {receiver: b, group_wait: 0s}
receivers: [{name: b, webhook_configs: [{url: "http://b.test/"}]}]
`))
		if err != nil {
			t.Fatalf("ApplyConfig: %v", err)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if got := payloads(b); len(got) != 1 {
			t.Errorf("new receiver got %v, want the alert once", got)
		}
		if v := testutil.ToFloat64(m.metrics.sent.WithLabelValues("b", "webhook")); v != 1 {
			t.Errorf("sent = %v, want 1", v)
		}
		if n := testutil.CollectAndCount(m.metrics.queue); n != 1 {
			t.Errorf("%d outbox length series after the reload, want 1 (receiver a removed)", n)
		}
		if err := m.ApplyConfig(parseConfig(t, "route: {receiver: nope}\nreceivers: [{name: b}]\n")); err == nil {
			t.Error("ApplyConfig accepted an invalid configuration")
		}
	})
}
