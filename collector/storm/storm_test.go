package storm

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

// fakeUI is a Storm UI REST API serving stored responses by path.
type fakeUI struct {
	mu     sync.Mutex
	bodies map[string][]byte                                       // by path
	hooks  map[string]func(w http.ResponseWriter, r *http.Request) // by path
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const docsTopology = "WordCount3-1-1402960825"

// newDocsUI serves the samples of Storm's REST API documentation, with a
// hand-written lag answer.
func newDocsUI(t testing.TB) *fakeUI {
	return &fakeUI{bodies: map[string][]byte{
		"/api/v1/topology/summary":                  readTestdata(t, "api_v1_topology_summary.json"),
		"/api/v1/topology/" + docsTopology:          readTestdata(t, "api_v1_topology_id.REPAIRED.json"),
		"/api/v1/topology/" + docsTopology + "/lag": readTestdata(t, "topology_lag.SYNTHETIC.json"),
	}}
}

func (f *fakeUI) hook(path string, h func(w http.ResponseWriter, r *http.Request)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hooks == nil {
		f.hooks = map[string]func(w http.ResponseWriter, r *http.Request){}
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
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newCollector(t testing.TB, url string, mod func(*Config)) *Collector {
	t.Helper()
	cfg := DefaultConfig
	cfg.Name, cfg.URL = "test", url
	if mod != nil {
		mod(&cfg)
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
	f := newDocsUI(t)
	f.hook("/api/v1/topology/"+docsTopology, func(w http.ResponseWriter, r *http.Request) {
		if got := r.URL.Query().Get("window"); got != ":all-time" {
			t.Errorf("window = %q, want :all-time", got)
		}
		_, _ = w.Write(readTestdata(t, "api_v1_topology_id.REPAIRED.json"))
	})
	srv := f.start(t)
	b, err := collect(t, newCollector(t, srv.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/storm.golden", golden.Render(b))
}

// TestCollectCurrentUIShape reads the Storm 2.x UI's own test fixtures (hand
// written upstream, synthetic values), where one of the two topologies has
// no details: the round is partial and keeps both summaries.
func TestCollectCurrentUIShape(t *testing.T) {
	f := &fakeUI{bodies: map[string][]byte{
		"/api/v1/topology/summary":                 readTestdata(t, "cypress-topology-summary.SYNTHETIC.json"),
		"/api/v1/topology/word-count-1-1234567890": readTestdata(t, "cypress-topology-detail.SYNTHETIC.json"),
	}}
	srv := f.start(t)
	b, err := collect(t, newCollector(t, srv.URL, nil))
	if !collector.IsPartial(err) || !strings.Contains(err.Error(), `topology "kafka-ingest" (kafka-ingest-2-9876543210): fetch details`) {
		t.Fatalf("err = %v, want a partial error about kafka-ingest's details", err)
	}
	if strings.Contains(err.Error(), "lag") {
		t.Errorf("a missing lag endpoint was reported: %v", err)
	}
	golden.Check(t, "testdata/storm-2x.golden", golden.Render(b))
}

func TestCollectRejectsBadSummary(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		limit   int64
		wantErr string
	}{
		{"malformed", 200, `{"topologies":[{"id":`, 0, "decode body of /api/v1/topology/summary"},
		{"no topologies", 200, `{"error":"Internal Server Error"}`, 0, "no topologies field"},
		{"wrong type", 200, `{"topologies":"none"}`, 0, "decode body"},
		{"unauthorized", 401, ``, 0, "401 Unauthorized"},
		{"forbidden", 403, ``, 0, "403 Forbidden"},
		{"server error", 500, `{"error":"x"}`, 0, "500 Internal Server Error"},
		{"oversized", 200, `{"topologies":[` + strings.Repeat(`{"id":"x"},`, 200) + `{}]}`, 1000, "body exceeds the size limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newDocsUI(t)
			f.hook("/api/v1/topology/summary", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			srv := f.start(t)
			b, err := collect(t, newCollector(t, srv.URL, func(c *Config) { c.BodySizeLimit = units.Base2Bytes(tc.limit) }))
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
	detailPath := "/api/v1/topology/" + docsTopology
	for _, tc := range []struct {
		name     string
		path     string
		status   int
		body     string
		wantErr  string
		want     string
		wantGone string
	}{
		{"details", detailPath, 500, "", "fetch details", "storm_topology_spouts_lag{", "storm_topology_bolts_capacity{"},
		{"lag fails", detailPath + "/lag", 500, "", "fetch lag", "storm_topology_bolts_capacity{", "storm_topology_spouts_lag{"},
		{"lag malformed", detailPath + "/lag", 200, `"none"`, "decode lag", "storm_topology_bolts_capacity{", "storm_topology_spouts_lag{"},
		{"lag error info", detailPath + "/lag", 200,
			`{"spout":{"spoutId":"spout","spoutType":"KAFKA","errorInfo":"Unable to get offset lags for kafka.\nReason: timeout"}}`,
			`lag of spout "spout": Unable to get offset lags for kafka. Reason: timeout`, "storm_topology_bolts_capacity{", "storm_topology_spouts_lag{"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newDocsUI(t)
			f.hook(tc.path, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			srv := f.start(t)
			b, err := collect(t, newCollector(t, srv.URL, nil))
			if !collector.IsPartial(err) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want a partial error containing %q", err, tc.wantErr)
			}
			got := golden.Render(b)
			if !strings.Contains(got, tc.want) {
				t.Errorf("missing %s", tc.want)
			}
			if strings.Contains(got, tc.wantGone) {
				t.Errorf("unexpected %s", tc.wantGone)
			}
			if !strings.Contains(got, `storm_topology_uptime_seconds{topology_id="`+docsTopology+`", topology_name="WordCount3"} 365`) {
				t.Errorf("the summary is missing")
			}
		})
	}
}

func TestCollectHonoursContextOnHangingServer(t *testing.T) {
	f := newDocsUI(t)
	release := make(chan struct{})
	f.hook("/api/v1/topology/summary", func(http.ResponseWriter, *http.Request) { <-release })
	srv := f.start(t)
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := newCollector(t, srv.URL, nil).Collect(ctx, collector.NewBatch())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
}

func TestCollectSkipsKilledTopologies(t *testing.T) {
	f := newDocsUI(t)
	f.bodies["/api/v1/topology/summary"] = []byte(strings.Replace(string(f.bodies["/api/v1/topology/summary"]), `"ACTIVE"`, `"KILLED"`, 1))
	f.hook("/api/v1/topology/"+docsTopology, func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("details of a killed topology were requested")
	})
	srv := f.start(t)
	b, err := collect(t, newCollector(t, srv.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(golden.Render(b), `storm_topology_status{status="KILLED", topology_id="`+docsTopology+`", topology_name="WordCount3"} 1`) {
		t.Errorf("the killed status is missing")
	}
}

func TestParseLagListShape(t *testing.T) {
	lags, err := parseLag([]byte(`[{"spoutId":"s","spoutType":"KAFKA","spoutLagResult":{"t":{"0":{"consumerCommittedOffset":1,"logHeadOffset":3,"lag":2}}}}]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(lags) != 1 || lags[0].SpoutID != "s" || lags[0].Result["t"]["0"].Lag.V != 2 {
		t.Errorf("got %+v", lags)
	}
}

func TestUptimeFromPrettyForm(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1d 5h 30m 10s", 106210, true},
		{"6m 5s", 365, true},
		{"forever", 0, false},
	} {
		got := (&topologySummary{Uptime: tc.in}).uptime()
		if got.Set != tc.ok || got.V != tc.want {
			t.Errorf("uptime(%q) = %+v, want %v %v", tc.in, got, tc.want, tc.ok)
		}
	}
}

func TestSanitize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"java.lang.RuntimeException: x\n\tat A.b(A.java:1)\r\n", 100, "java.lang.RuntimeException: x at A.b(A.java:1)"},
		{"ééééé", 8, "éé..."},
		{"bad \xff byte", 100, "bad byte"},
		{"", 10, ""},
	} {
		if got := collector.SanitizeLabelValue(tc.in, tc.max); got != tc.want {
			t.Errorf("sanitize(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}
