package logstash

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/units"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/internal/golden"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// serve answers /_node/stats with h.
func serve(t testing.TB, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_node/stats" {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func body(status int, b []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(b)
	}
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

func TestCollectGolden(t *testing.T) {
	for _, tc := range []struct{ fixture, golden string }{
		{"node_stats-8.15.0.json", "logstash-8.15.0.golden"},
		{"node_stats-8.6.1.json", "logstash-8.6.1.golden"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			srv := serve(t, body(200, readTestdata(t, tc.fixture)))
			b := collector.NewBatch()
			if err := newCollector(t, srv.URL, 0).Collect(context.Background(), b); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, "testdata/"+tc.golden, golden.Render(b))
		})
	}
}

func TestCollectRejectsBadResponses(t *testing.T) {
	stats := readTestdata(t, "node_stats-8.15.0.json")
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		limit   int64
		wantErr string
	}{
		{"malformed", 200, `{"pipelines":{`, 0, "decode body of /_node/stats"},
		{"no pipelines", 200, `{"host":"x","version":"5.0.0"}`, 0, "no pipelines field"},
		{"wrong type", 200, `{"pipelines":[]}`, 0, "decode body of /_node/stats"},
		{"unauthorized", 401, `{"error":"unauthorized"}`, 0, "401 Unauthorized"},
		{"forbidden", 403, ``, 0, "403 Forbidden"},
		{"unavailable", 503, ``, 0, "503 Service Unavailable"},
		{"oversized", 200, string(stats), 4096, "body exceeds the size limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := serve(t, body(tc.status, []byte(tc.body)))
			b := collector.NewBatch()
			err := newCollector(t, srv.URL, tc.limit).Collect(context.Background(), b)
			if err == nil || collector.IsPartial(err) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want a full failure containing %q", err, tc.wantErr)
			}
			if b.Len() != 0 {
				t.Errorf("a failed round added %d samples", b.Len())
			}
		})
	}
}

// TestCollectKeepsOtherPipelines: one pipeline of an unexpected shape makes
// the round partial; the node and the other pipeline are kept.
func TestCollectKeepsOtherPipelines(t *testing.T) {
	stats := string(readTestdata(t, "node_stats-8.15.0.json"))
	broken := strings.Replace(stats, `"queue": null`, `"queue": "memory"`, 1)
	if broken == stats {
		t.Fatal("fixture changed: cannot break the monitoring pipeline")
	}
	srv := serve(t, body(200, []byte(broken)))
	b := collector.NewBatch()
	err := newCollector(t, srv.URL, 0).Collect(context.Background(), b)
	if !collector.IsPartial(err) || !strings.Contains(err.Error(), `decode stats of pipeline ".monitoring-logstash"`) {
		t.Fatalf("err = %v, want a partial error about the monitoring pipeline", err)
	}
	got := golden.Render(b)
	for _, want := range []string{
		`logstash_stats_pipeline_events_in{pipeline="main"} 3751`,
		`logstash_stats_jvm_mem_heap_used_bytes{} 3.9583744e+08`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s", want)
		}
	}
	if strings.Contains(got, `pipeline=".monitoring-logstash"`) {
		t.Errorf("the broken pipeline was emitted")
	}
}

func TestCollectHonoursContextOnHangingServer(t *testing.T) {
	release := make(chan struct{})
	srv := serve(t, func(http.ResponseWriter, *http.Request) { <-release })
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := newCollector(t, srv.URL, 0).Collect(ctx, collector.NewBatch())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
}

func TestPipelineUp(t *testing.T) {
	s := func(v string) *string { return &v }
	for _, tc := range []struct {
		name             string
		success, failure *string
		want             float64
	}{
		{"never failed", s("2023-04-20T22:30:32Z"), nil, 1},
		{"no timestamps", nil, nil, 1},
		{"failed, never succeeded", nil, s("2023-04-20T20:00:32Z"), 0},
		{"failed after success", s("2023-04-20T20:00:32Z"), s("2023-04-20T22:30:32Z"), 0},
		{"succeeded after failure", s("2023-04-20T22:30:32.437218256Z"), s("2023-04-20T20:00:32.437218256Z"), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p pipeline
			p.Reloads.LastSuccessTimestamp, p.Reloads.LastFailureTimestamp = tc.success, tc.failure
			if got := pipelineUp(&p); got != tc.want {
				t.Errorf("pipelineUp = %v, want %v", got, tc.want)
			}
		})
	}
}
