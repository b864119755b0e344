package flink

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeFlink is a Flink REST API serving stored responses. Metric endpoints
// answer from per-component values the way Flink's handlers do: without
// get, the list of ids; with get, the values found; aggregated over
// subtasks, nothing at all when one requested id is missing.
type fakeFlink struct {
	overview     []byte
	taskmanagers []byte
	jmMetrics    map[string]string
	tmMetrics    map[string]map[string]string // by TaskManager id
	jobs         map[string]*fakeJob          // by job id

	mu       sync.Mutex
	override map[string]func(w http.ResponseWriter, r *http.Request) // by path
	requests atomic.Int64
	lists    atomic.Int64
}

type fakeJob struct {
	detail      []byte
	metrics     map[string]string
	checkpoints []byte
	subtasks    map[string][]map[string]string // vertex id -> subtask -> id -> value
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readValues reads a stored metrics answer ([{"id","value"}]) as a map.
func readValues(t testing.TB, name string) map[string]string {
	t.Helper()
	var vals []metricValue
	if err := json.Unmarshal(readTestdata(t, name), &vals); err != nil {
		t.Fatal(err)
	}
	m := make(map[string]string, len(vals))
	for _, v := range vals {
		m[v.ID] = v.Value
	}
	return m
}

const (
	fixtureJob    = "54a5c6e527e00e1bb861272a39fe13e4"
	fixtureSource = "bc764cd8ddf7a0cff126f51c16239658"
	fixtureSink   = "20ba6b65f97481d5570070de90e4e791"
	fixtureTM     = "172.26.0.3:34457-7b2520"
)

// newFixtureFlink serves the real captures of testdata: one running job
// whose source vertex has one subtask with the captured values; the sink
// vertex has not reported metrics yet.
func newFixtureFlink(t testing.TB) *fakeFlink {
	return &fakeFlink{
		overview:     readTestdata(t, "jobs_overview.json"),
		taskmanagers: readTestdata(t, "taskmanagers.json"),
		jmMetrics:    readValues(t, "jobmanager_metrics_values.json"),
		tmMetrics:    map[string]map[string]string{fixtureTM: readValues(t, "taskmanager_metrics_values.json")},
		jobs: map[string]*fakeJob{fixtureJob: {
			detail:      readTestdata(t, "job_detail.json"),
			metrics:     readValues(t, "job_metrics_values.json"),
			checkpoints: readTestdata(t, "checkpoints.SYNTHETIC.json"),
			subtasks: map[string][]map[string]string{
				fixtureSource: {readValues(t, "subtask_metrics_values.json")},
				fixtureSink:   nil,
			},
		}},
	}
}

func (f *fakeFlink) start(t testing.TB) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jobs/overview", func(w http.ResponseWriter, r *http.Request) { write(w, f.overview) })
	mux.HandleFunc("GET /jobs/{jid}", func(w http.ResponseWriter, r *http.Request) {
		if j := f.jobs[r.PathValue("jid")]; j != nil {
			write(w, j.detail)
			return
		}
		http.NotFound(w, r)
	})
	mux.HandleFunc("GET /jobs/{jid}/metrics", func(w http.ResponseWriter, r *http.Request) {
		if j := f.jobs[r.PathValue("jid")]; j != nil {
			f.serveValues(w, r, j.metrics)
			return
		}
		http.NotFound(w, r)
	})
	mux.HandleFunc("GET /jobs/{jid}/checkpoints", func(w http.ResponseWriter, r *http.Request) {
		if j := f.jobs[r.PathValue("jid")]; j != nil && j.checkpoints != nil {
			write(w, j.checkpoints)
			return
		}
		http.NotFound(w, r)
	})
	mux.HandleFunc("GET /jobs/{jid}/vertices/{vid}/subtasks/metrics", func(w http.ResponseWriter, r *http.Request) {
		j := f.jobs[r.PathValue("jid")]
		if j == nil {
			http.NotFound(w, r)
			return
		}
		f.serveAggregated(w, r, j.subtasks[r.PathValue("vid")])
	})
	mux.HandleFunc("GET /jobmanager/metrics", func(w http.ResponseWriter, r *http.Request) { f.serveValues(w, r, f.jmMetrics) })
	mux.HandleFunc("GET /taskmanagers", func(w http.ResponseWriter, r *http.Request) { write(w, f.taskmanagers) })
	mux.HandleFunc("GET /taskmanagers/{tmid}/metrics", func(w http.ResponseWriter, r *http.Request) {
		f.serveValues(w, r, f.tmMetrics[r.PathValue("tmid")])
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		f.mu.Lock()
		h := f.override[r.URL.Path]
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

// setOverride makes path answer with h instead of the stored response.
func (f *fakeFlink) setOverride(path string, h func(w http.ResponseWriter, r *http.Request)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.override == nil {
		f.override = map[string]func(w http.ResponseWriter, r *http.Request){}
	}
	f.override[path] = h
}

func write(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

type idOnly struct {
	ID string `json:"id"`
}

func (f *fakeFlink) serveValues(w http.ResponseWriter, r *http.Request, vals map[string]string) {
	get := r.URL.Query().Get("get")
	if get == "" {
		f.lists.Add(1)
		out := []idOnly{}
		for id := range vals {
			out = append(out, idOnly{id})
		}
		writeJSON(w, out)
		return
	}
	out := []metricValue{}
	for _, id := range strings.Split(get, ",") {
		if v, ok := vals[id]; ok {
			out = append(out, metricValue{ID: id, Value: v})
		}
	}
	writeJSON(w, out)
}

// aggOut is an aggregated value as Flink's Jackson writes it: numbers, and
// NaN as a string.
type aggOut struct {
	ID  string `json:"id"`
	Min any    `json:"min,omitempty"`
	Max any    `json:"max,omitempty"`
	Sum any    `json:"sum,omitempty"`
}

func jacksonDouble(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return v
}

func (f *fakeFlink) serveAggregated(w http.ResponseWriter, r *http.Request, subtasks []map[string]string) {
	get := r.URL.Query().Get("get")
	if get == "" {
		f.lists.Add(1)
		seen := map[string]bool{}
		out := []idOnly{}
		for _, st := range subtasks {
			for id := range st {
				if !seen[id] {
					seen[id] = true
					out = append(out, idOnly{id})
				}
			}
		}
		writeJSON(w, out)
		return
	}
	aggs := r.URL.Query().Get("agg")
	out := []aggOut{}
	for _, id := range strings.Split(get, ",") {
		var vals []float64
		numeric := true
		for _, st := range subtasks {
			s, ok := st[id]
			if !ok {
				continue
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				numeric = false
				break
			}
			vals = append(vals, v)
		}
		if !numeric {
			continue // Flink skips metrics that are not numbers
		}
		if len(vals) == 0 {
			writeJSON(w, []aggOut{}) // and answers nothing when one is missing
			return
		}
		mn, mx, sum := vals[0], vals[0], 0.0
		for _, v := range vals {
			mn, mx, sum = math.Min(mn, v), math.Max(mx, v), sum+v
		}
		a := aggOut{ID: id}
		if strings.Contains(aggs, "min") {
			a.Min = jacksonDouble(mn)
		}
		if strings.Contains(aggs, "max") {
			a.Max = jacksonDouble(mx)
		}
		if strings.Contains(aggs, "sum") {
			a.Sum = jacksonDouble(sum)
		}
		out = append(out, a)
	}
	writeJSON(w, out)
}
