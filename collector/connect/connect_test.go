package connect

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/alecthomas/units"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/internal/golden"
)

// fakeWorker is a Connect worker's REST API answering from the expanded
// listing in testdata. With legacy set it answers as a worker older than
// Kafka 2.3: /connectors lists names only.
type fakeWorker struct {
	expanded map[string]json.RawMessage
	topics   map[string][]string // connectors with the topics endpoint
	legacy   bool

	mu    sync.Mutex
	hooks map[string]http.HandlerFunc // by path
}

func newFakeWorker(t testing.TB) *fakeWorker {
	b, err := os.ReadFile(filepath.Join("testdata", "connectors_expanded.SYNTHETIC.json"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeWorker{topics: map[string][]string{
		"es-sink-logs":       {"app.logs", "app.audit"},
		"jdbc-source-orders": {"db-orders"},
	}}
	if err := json.Unmarshal(b, &f.expanded); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fakeWorker) hook(path string, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hooks == nil {
		f.hooks = map[string]http.HandlerFunc{}
	}
	f.hooks[path] = h
}

func (f *fakeWorker) start(t testing.TB) *httptest.Server {
	part := func(name, key string) json.RawMessage {
		var m map[string]json.RawMessage
		_ = json.Unmarshal(f.expanded[name], &m)
		return m[key]
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /connectors", func(w http.ResponseWriter, r *http.Request) {
		if f.legacy || r.URL.Query()["expand"] == nil {
			names := []string{}
			for n := range f.expanded {
				names = append(names, n)
			}
			writeJSON(w, names)
			return
		}
		writeJSON(w, f.expanded)
	})
	mux.HandleFunc("GET /connectors/{name}/status", func(w http.ResponseWriter, r *http.Request) {
		if s := part(r.PathValue("name"), "status"); s != nil {
			writeJSON(w, s)
			return
		}
		http.NotFound(w, r)
	})
	mux.HandleFunc("GET /connectors/{name}", func(w http.ResponseWriter, r *http.Request) {
		if s := part(r.PathValue("name"), "info"); s != nil {
			writeJSON(w, s)
			return
		}
		http.NotFound(w, r)
	})
	mux.HandleFunc("GET /connectors/{name}/topics", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		topics, ok := f.topics[name]
		if !ok || f.legacy {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error_code":404,"message":"HTTP 404 Not Found"}`))
			return
		}
		writeJSON(w, map[string]any{name: map[string]any{"topics": topics}})
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		h := f.hooks[r.URL.Path]
		f.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func newCollector(t testing.TB, url string, limit int64) *Collector {
	t.Helper()
	cfg := DefaultConfig
	cfg.Name, cfg.URL = "test", url
	if limit > 0 {
		cfg.BodySizeLimit = units.Base2Bytes(limit)
	}
	c, err := New(&cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func collect(t testing.TB, c *Collector) (*collector.Batch, error) {
	t.Helper()
	b := collector.NewBatch()
	return b, c.Collect(context.Background(), b)
}

func TestCollectGolden(t *testing.T) {
	srv := newFakeWorker(t).start(t)
	b, err := collect(t, newCollector(t, srv.URL, 0))
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/connect.golden", golden.Render(b))
}

// TestCollectLegacyWorker: a worker without expand gives the same series,
// except topics, which come from the sinks' configuration.
func TestCollectLegacyWorker(t *testing.T) {
	modern := newFakeWorker(t).start(t)
	want, err := collect(t, newCollector(t, modern.URL, 0))
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeWorker(t)
	f.legacy = true
	legacy := f.start(t)
	got, err := collect(t, newCollector(t, legacy.URL, 0))
	if err != nil {
		t.Fatal(err)
	}
	withoutTopics := func(s string) string {
		var keep []string
		for _, l := range strings.Split(s, "\n") {
			if !strings.HasPrefix(l, "pipewatch_stream_job_topic_info{") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	if g, w := withoutTopics(golden.Render(got)), withoutTopics(golden.Render(want)); g != w {
		t.Errorf("legacy worker differs:\n%s", golden.Diff(w, g))
	}
	topics := golden.Render(got, "pipewatch_stream_job_topic_info")
	for _, want := range []string{
		`{component="io.confluent.connect.elasticsearch.ElasticsearchSinkConnector", consumergroup="connect-es-sink-logs", direction="in", job_name="es-sink-logs", system="kafka_connect", topic="app.audit"} 1`,
		`{component="io.confluent.connect.hdfs.HdfsSinkConnector", consumergroup="hdfs-clicks", direction="in", job_name="hdfs-sink-clicks", system="kafka_connect", topic="clicks"} 1`,
	} {
		if !strings.Contains(topics, want) {
			t.Errorf("missing topic info %s in\n%s", want, topics)
		}
	}
	if strings.Contains(topics, "jdbc-source-orders") {
		t.Errorf("a source's topics were guessed")
	}
}

func TestCollectRejectsBadListing(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		limit   int64
		wantErr string
	}{
		{"malformed", 200, `{"a":{"status":`, 0, "decode body of /connectors"},
		{"wrong shape", 200, `"connectors"`, 0, "want an object or a list"},
		{"wrong types", 200, `{"a":{"status":{"tasks":"none"}}}`, 0, "decode body of /connectors"},
		{"unauthorized", 401, `{"error_code":401,"message":"Unauthorized"}`, 0, "401 Unauthorized"},
		{"forbidden", 403, ``, 0, "403 Forbidden"},
		{"rebalancing", 409, `{"error_code":409,"message":"Cannot complete request momentarily due to stale configuration"}`, 0, "409 Conflict"},
		{"server error", 500, ``, 0, "500 Internal Server Error"},
		{"oversized", 200, `{"a":{"info":{"config":{"x":"` + strings.Repeat("y", 5000) + `"}}}}`, 1024, "body exceeds the size limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeWorker(t)
			f.hook("/connectors", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			srv := f.start(t)
			b, err := collect(t, newCollector(t, srv.URL, tc.limit))
			if err == nil || collector.IsPartial(err) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want a full failure containing %q", err, tc.wantErr)
			}
			if b.Len() != 0 {
				t.Errorf("a failed round added %d samples", b.Len())
			}
		})
	}
}

func TestCollectKeepsTheRestWhenPartsFail(t *testing.T) {
	for _, tc := range []struct {
		name     string
		legacy   bool
		path     string
		wantErr  string
		want     string
		wantGone string
	}{
		{"topics", false, "/connectors/es-sink-logs/topics", `connector "es-sink-logs": fetch topics`,
			// The configured topics stand in.
			`pipewatch_stream_job_topic_info{component="io.confluent.connect.elasticsearch.ElasticsearchSinkConnector", consumergroup="connect-es-sink-logs", direction="in", job_name="es-sink-logs", system="kafka_connect", topic="app.logs"} 1`,
			""},
		{"legacy status", true, "/connectors/es-sink-logs/status", `connector "es-sink-logs": fetch status`,
			`kafka_connect_connector_metrics{connector="jdbc-source-orders", status="running"} 1`,
			`kafka_connect_task_status{connector="es-sink-logs"`},
		{"legacy configuration", true, "/connectors/jdbc-source-orders", `connector "jdbc-source-orders": fetch configuration`,
			`kafka_connect_connector_metrics{connector="jdbc-source-orders", status="running"} 1`,
			`kafka_connect_connector_metrics{connector="jdbc-source-orders", connector_class=`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeWorker(t)
			f.legacy = tc.legacy
			f.hook(tc.path, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
			srv := f.start(t)
			b, err := collect(t, newCollector(t, srv.URL, 0))
			if !collector.IsPartial(err) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want a partial error containing %q", err, tc.wantErr)
			}
			got := golden.Render(b)
			if !strings.Contains(got, tc.want) {
				t.Errorf("missing %s", tc.want)
			}
			if tc.wantGone != "" && strings.Contains(got, tc.wantGone) {
				t.Errorf("unexpected %s", tc.wantGone)
			}
		})
	}
}

func TestCollectHonoursContextOnHangingServer(t *testing.T) {
	f := newFakeWorker(t)
	release := make(chan struct{})
	f.hook("/connectors", func(http.ResponseWriter, *http.Request) { <-release })
	srv := f.start(t)
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := newCollector(t, srv.URL, 0).Collect(ctx, collector.NewBatch())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
}

func TestSummarizeTrace(t *testing.T) {
	long := "java.lang.IllegalStateException: " + strings.Repeat("é", 400) + "\n\tat X.y(X.java:1)"
	for _, tc := range []struct {
		name, in, want string
	}{
		{"no cause", "java.lang.NullPointerException\n\tat A.b(A.java:3)\n", "java.lang.NullPointerException"},
		{"root cause", "E1: outer\n\tat A.b\nCaused by: E2: middle\n\tat C.d\nCaused by: E3: root\n\t... 3 more",
			"E1: outer | caused by: E3: root"},
		{"tabs and returns", "E1: a\tb\r\n\tat A.b", "E1: a b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := summarizeTrace(tc.in); got != tc.want {
				t.Errorf("summarizeTrace = %q, want %q", got, tc.want)
			}
		})
	}
	got := summarizeTrace(long)
	if len(got) > maxTraceLabel || !strings.HasSuffix(got, "...") || !utf8.ValidString(got) {
		t.Errorf("long trace not cut safely: %d bytes, %q", len(got), got[len(got)-10:])
	}
}
