package spark

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
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

// fakeUI is a Spark UI's REST API serving stored responses by path.
type fakeUI struct {
	mu     sync.Mutex
	bodies map[string][]byte
	hooks  map[string]http.HandlerFunc
}

const (
	yarnApp  = "/api/v1/applications/application_1547723113049_0006/1"
	localApp = "/api/v1/applications/local-1422981780767"
)

// newStreamingUI serves a running YARN streaming application: the real
// application list and executors, the streaming statistics and hand-written
// batches.
func newStreamingUI(t testing.TB) *fakeUI {
	return &fakeUI{bodies: map[string][]byte{
		"/api/v1/applications":            readTestdata(t, "running_app_list_json_expectation.json"),
		yarnApp + "/executors":            readTestdata(t, "executor_list_with_executor_metrics_json_expectation.json"),
		yarnApp + "/streaming/statistics": readTestdata(t, "streaming_statistics.json"),
		yarnApp + "/streaming/batches":    readTestdata(t, "streaming_batches.SYNTHETIC.json"),
	}}
}

func (f *fakeUI) hook(path string, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hooks == nil {
		f.hooks = map[string]http.HandlerFunc{}
	}
	f.hooks[path] = h
}

func (f *fakeUI) start(t testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		h, body := f.hooks[r.URL.Path], f.bodies[r.URL.Path]
		f.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		if body == nil {
			// Spark's answer for an application without a streaming
			// listener, or an unknown path.
			http.Error(w, "no streaming listener attached to the application", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
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
	t.Run("streaming", func(t *testing.T) {
		f := newStreamingUI(t)
		f.hook("/api/v1/applications", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("status") != "running" {
				t.Errorf("applications listed without status=running: %s", r.URL)
			}
			_, _ = w.Write(readTestdata(t, "running_app_list_json_expectation.json"))
		})
		b, err := collect(t, newCollector(t, f.start(t).URL, 0))
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, "testdata/spark.golden", golden.Render(b))
	})
	// A batch application without attempt ids whose executors report GC
	// counts: no streaming series, and no error for the 404s.
	t.Run("gc", func(t *testing.T) {
		one := readTestdata(t, "one_app_json_expectation.json")
		f := &fakeUI{bodies: map[string][]byte{
			"/api/v1/applications":  append(append([]byte("["), one...), ']'),
			localApp + "/executors": readTestdata(t, "executor_metrics.json"),
		}}
		b, err := collect(t, newCollector(t, f.start(t).URL, 0))
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, "testdata/spark-gc.golden", golden.Render(b))
	})
}

func TestCollectRejectsBadApplicationList(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		limit   int64
		wantErr string
	}{
		{"malformed", 200, `[{"id":`, 0, "decode body of /api/v1/applications"},
		{"object", 200, `{"message":"no applications"}`, 0, "decode body of /api/v1/applications"},
		{"html login page", 200, `<html><body>Login</body></html>`, 0, "decode body"},
		{"unauthorized", 401, ``, 0, "401 Unauthorized"},
		{"forbidden", 403, ``, 0, "403 Forbidden"},
		{"server error", 500, ``, 0, "500 Internal Server Error"},
		{"oversized", 200, `[` + strings.Repeat(`{"id":"a","name":"b"},`, 100) + `{}]`, 512, "body exceeds the size limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newStreamingUI(t)
			f.hook("/api/v1/applications", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			b, err := collect(t, newCollector(t, f.start(t).URL, tc.limit))
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
		name, path, body string
		status           int
		wantErr          string
		want, wantGone   string
	}{
		{"executors", yarnApp + "/executors", "", 500, "fetch executors",
			"spark_streaming_avg_total_delay_seconds{", "metrics_executor_"},
		{"statistics", yarnApp + "/streaming/statistics", "", 503, "fetch streaming statistics",
			"metrics_executor_failedTasks_total{", "spark_streaming_"},
		{"batches", yarnApp + "/streaming/batches", `[{"batchId":"x"}]`, 200, "fetch streaming batches",
			"spark_streaming_avg_total_delay_seconds{", "spark_streaming_failed_batches{"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newStreamingUI(t)
			f.hook(tc.path, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			b, err := collect(t, newCollector(t, f.start(t).URL, 0))
			if !collector.IsPartial(err) || !strings.Contains(err.Error(), `application "Spark SQL basic example" (application_1547723113049_0006): `+tc.wantErr) {
				t.Fatalf("err = %v, want a partial error containing %q", err, tc.wantErr)
			}
			got := golden.Render(b)
			if !strings.Contains(got, tc.want) {
				t.Errorf("missing %s", tc.want)
			}
			if strings.Contains(got, tc.wantGone) {
				t.Errorf("unexpected %s", tc.wantGone)
			}
			if !strings.Contains(got, "spark_application_info{") {
				t.Errorf("the application is missing")
			}
		})
	}
}

func TestCollectHonoursContextOnHangingServer(t *testing.T) {
	f := newStreamingUI(t)
	release := make(chan struct{})
	f.hook("/api/v1/applications", func(http.ResponseWriter, *http.Request) { <-release })
	srv := f.start(t)
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := newCollector(t, srv.URL, 0).Collect(ctx, collector.NewBatch())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
}
