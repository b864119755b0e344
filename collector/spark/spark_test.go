package spark

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
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
	// servletNamespace is the metrics namespace (application id) of the
	// captured metrics servlet response.
	servletNamespace = "app-20201120094950-0000"
)

// metricsJSON returns the captured metrics servlet response with its
// namespace replaced by the application id appID, as the driver of that
// application would serve it ("" keeps the captured namespace).
func metricsJSON(t testing.TB, appID string) []byte {
	b := readTestdata(t, "metrics_json.json")
	if appID == "" {
		return b
	}
	return bytes.ReplaceAll(b, []byte(servletNamespace+"."), []byte(appID+"."))
}

// newStreamingUI serves a running YARN streaming application: the real
// application list and executors, the streaming statistics, hand-written
// batches, and the driver's metrics servlet with Structured Streaming
// queries (captured from another application; its namespace is made the
// YARN application's id).
func newStreamingUI(t testing.TB) *fakeUI {
	return &fakeUI{bodies: map[string][]byte{
		"/api/v1/applications":            readTestdata(t, "running_app_list_json_expectation.json"),
		metricsServletPath:                metricsJSON(t, "application_1547723113049_0006"),
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

// structuredLines returns the spark_structured_streaming_* samples of
// rendered, one a line.
func structuredLines(rendered string) []string {
	var out []string
	for l := range strings.Lines(rendered) {
		if strings.HasPrefix(l, "spark_structured_streaming_") {
			out = append(out, strings.TrimSuffix(l, "\n"))
		}
	}
	return out
}

// TestCollectStructuredStreaming checks which application the queries of
// a metrics servlet are attributed to, and which gauges are skipped.
func TestCollectStructuredStreaming(t *testing.T) {
	running := readTestdata(t, "running_app_list_json_expectation.json")
	one := readTestdata(t, "one_app_json_expectation.json")
	// A history server's list: the YARN application and the local one.
	var list []json.RawMessage
	if err := json.Unmarshal(running, &list); err != nil {
		t.Fatal(err)
	}
	twoApps, err := json.Marshal(append(list, one))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		apps     []byte
		servlet  []byte
		want     []string
		wantNone bool
	}{
		{
			// spark.metrics.namespace set to something else than the
			// application id: a driver's UI lists its one application.
			name: "driver UI, other namespace", apps: running, servlet: metricsJSON(t, ""),
			want: []string{
				`spark_structured_streaming_input_rate{application_id="application_1547723113049_0006", application_name="Spark SQL basic example", query_name="e8e4803f-cc76-4b53-82f9-361b54448fc4"} 12`,
				`spark_structured_streaming_event_time_watermark_seconds{application_id="application_1547723113049_0006", application_name="Spark SQL basic example", query_name="my_named_query"} 0.012`,
			},
		},
		{
			name: "several applications, namespace of one", apps: twoApps, servlet: metricsJSON(t, "local-1422981780767"),
			want: []string{
				`spark_structured_streaming_latency_seconds{application_id="local-1422981780767", application_name="Spark shell", query_name="e8e4803f-cc76-4b53-82f9-361b54448fc4"} 0.012`,
				`spark_structured_streaming_state_rows{application_id="local-1422981780767", application_name="Spark shell", query_name="my_named_query"} 12`,
			},
		},
		{
			// A history server's own registry holds no driver gauges; a
			// namespace of no listed application is not guessed at.
			name: "several applications, foreign namespace", apps: twoApps, servlet: metricsJSON(t, ""),
			wantNone: true,
		},
		{
			name: "values that are not reported", apps: running,
			servlet: []byte(`{"version":"4.0.0","gauges":{
				"application_1547723113049_0006.driver.spark.streaming.q.eventTime-watermark":{"value":0},
				"application_1547723113049_0006.driver.spark.streaming.q.inputRate-total":{"value":"NaN"},
				"application_1547723113049_0006.driver.spark.streaming.q.processingRate-total":{"error":"java.lang.NullPointerException"},
				"application_1547723113049_0006.driver.spark.streaming.q.latency":{"value":{"x":1}},
				"application_1547723113049_0006.driver.spark.streaming.q.states-usedBytes":{"value":null},
				"application_1547723113049_0006.driver.spark.streaming.q.states-rowsTotal":{"value":7},
				"application_1547723113049_0006.driver.spark.streaming.q.unknownGauge":{"value":1},
				"application_1547723113049_0006.driver.spark.streaming..latency":{"value":1},
				"application_1547723113049_0006.driver.DAGScheduler.job.activeJobs":{"value":1}},
				"counters":{},"histograms":{},"meters":{},"timers":{}}`),
			want: []string{
				`spark_structured_streaming_state_rows{application_id="application_1547723113049_0006", application_name="Spark SQL basic example", query_name="q"} 7`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newStreamingUI(t)
			f.bodies["/api/v1/applications"] = tc.apps
			f.bodies[metricsServletPath] = tc.servlet
			f.bodies[localApp+"/executors"] = readTestdata(t, "executor_metrics.json")
			b, err := collect(t, newCollector(t, f.start(t).URL, 0))
			if err != nil {
				t.Fatal(err)
			}
			got := structuredLines(golden.Render(b))
			if tc.wantNone && len(got) > 0 {
				t.Errorf("unexpected structured streaming series:\n%s", strings.Join(got, "\n"))
			}
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing %s in:\n%s", w, strings.Join(got, "\n"))
				}
			}
			if len(tc.want) == 1 && len(got) != 1 {
				t.Errorf("got %d structured streaming series, want 1:\n%s", len(got), strings.Join(got, "\n"))
			}
		})
	}
}

// TestCollectWithoutMetricsServlet checks that a driver whose metrics
// servlet is disabled (404) keeps its target up, and that this is logged
// once, not every round.
func TestCollectWithoutMetricsServlet(t *testing.T) {
	f := newStreamingUI(t)
	delete(f.bodies, metricsServletPath) // the fake UI answers 404
	var logs bytes.Buffer
	cfg := DefaultConfig
	cfg.Name, cfg.URL = "test", f.start(t).URL
	c, err := New(&cfg, Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		b, err := collect(t, c)
		if err != nil {
			t.Fatalf("err = %v, want none for a missing metrics servlet", err)
		}
		got := golden.Render(b)
		if !strings.Contains(got, "spark_streaming_avg_total_delay_seconds{") || !strings.Contains(got, "metrics_executor_failedTasks_total{") {
			t.Errorf("the rest of the Spark metrics are missing")
		}
		if l := structuredLines(got); len(l) > 0 {
			t.Errorf("unexpected structured streaming series: %v", l)
		}
	}
	if n := strings.Count(logs.String(), "no metrics servlet"); n != 1 {
		t.Errorf("logged the missing servlet %d times, want once:\n%s", n, logs.String())
	}
}

func TestCollectRejectsBadMetricsServlet(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		limit   int64
		wantErr string
	}{
		{"malformed", 200, `{"version":"4.0.0","gauges":{"a.driver.spark.streaming.q.latency":`, 0, "decode body of /metrics/json/"},
		{"not an object", 200, `["gauges"]`, 0, "decode body of /metrics/json/"},
		{"html", 200, `<html><body>Login</body></html>`, 0, "decode body of /metrics/json/"},
		{"server error", 500, ``, 0, "500 Internal Server Error"},
		// The limit lets the largest REST response (the executors, 10.5
		// KiB) through.
		{"oversized", 200, `{"gauges":{` + strings.Repeat(`"a.driver.x":{"value":1},`, 1000) + `"b":{}}}`, 16 << 10, "read body of /metrics/json/: body exceeds the size limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newStreamingUI(t)
			f.hook(metricsServletPath, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			b, err := collect(t, newCollector(t, f.start(t).URL, tc.limit))
			if !collector.IsPartial(err) || !strings.Contains(err.Error(), "fetch structured streaming metrics: ") || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want a partial error containing %q", err, tc.wantErr)
			}
			got := golden.Render(b)
			if !strings.Contains(got, "spark_streaming_avg_total_delay_seconds{") || !strings.Contains(got, "metrics_executor_failedTasks_total{") {
				t.Errorf("the rest of the Spark metrics are missing")
			}
			if l := structuredLines(got); len(l) > 0 {
				t.Errorf("unexpected structured streaming series: %v", l)
			}
		})
	}
}
