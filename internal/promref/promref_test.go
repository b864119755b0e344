package promref

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
)

// testStart is the start of the dataset the tests use; an arbitrary time
// that is not a whole hour, so no code relies on round boundaries.
func testStart() time.Time { return time.Date(2024, 3, 1, 9, 47, 0, 0, time.UTC) }

// emptyResults are the queries whose successful answer on Dataset is
// empty; every other successful query must return something, so that a
// mistake in the dataset or the evaluation times cannot hide behind two
// equally empty answers.
func emptyResults() []string {
	return []string{
		"selector_after_data_end", "empty_nonexistent", "empty_comparison", "empty_range", "absent_present",
	}
}

// TestReferenceMatchesItself proves the harness: the reference answers
// every query (with an error exactly where one is expected), and Compare
// finds its answers equal to themselves.
func TestReferenceMatchesItself(t *testing.T) {
	start := testStart()
	began := time.Now()
	srv := StartT(t, Dataset(start))
	t.Logf("reference prometheus started in %v at %s", time.Since(began).Round(time.Millisecond), srv.URL())
	version, err := srv.Version(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\d+\.\d+\.\d+`).MatchString(version) {
		t.Errorf("reference version %q does not start with major.minor.patch", version)
	}

	began = time.Now()
	queries := Queries(start.Add(Span))
	for _, q := range queries {
		t.Run(q.Name, func(t *testing.T) {
			want, err := srv.Query(t.Context(), q)
			if err != nil {
				t.Fatal(err)
			}
			got, err := srv.Query(t.Context(), q)
			if err != nil {
				t.Fatal(err)
			}
			var resp struct {
				Status string `json:"status"`
				Error  string `json:"error"`
				Data   struct {
					ResultType string            `json:"resultType"`
					Result     []json.RawMessage `json:"result"`
				} `json:"data"`
			}
			if err := json.Unmarshal(want, &resp); err != nil {
				t.Fatalf("decode answer: %v", err)
			}
			switch {
			case q.WantError && resp.Status != "error":
				t.Fatalf("status %q, want an error:\n%s", resp.Status, abbreviate(want, 500))
			case !q.WantError && resp.Status != "success":
				t.Fatalf("status %q (%s), want success", resp.Status, resp.Error)
			}
			if err := q.Compare(want, got); err != nil {
				t.Errorf("reference differs from itself: %v", err)
			}
			if q.WantError {
				return
			}
			isScalar := resp.Data.ResultType == "scalar" || resp.Data.ResultType == "string"
			if empty := !isScalar && len(resp.Data.Result) == 0; empty != slices.Contains(emptyResults(), q.Name) {
				t.Errorf("empty result: %t, want %t: %s", empty, !empty, abbreviate(want, 300))
			}
			if q.Ordered {
				checkNoTies(t, want)
			}
		})
	}
	t.Logf("%d queries answered twice and compared in %v", len(queries), time.Since(began).Round(time.Millisecond))
}

// checkNoTies fails if two neighbouring series of an ordered vector answer
// have the same value: their order would then be arbitrary, and comparing
// it would test nothing but chance.
func checkNoTies(t *testing.T, body []byte) {
	t.Helper()
	var resp struct {
		Data struct {
			Result []apiSeries `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatalf("decode answer: %v", err)
	}
	for i := 1; i < len(resp.Data.Result); i++ {
		a, b := resp.Data.Result[i-1], resp.Data.Result[i]
		pa, err1 := decodePoint(a.Value)
		pb, err2 := decodePoint(b.Value)
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		if pa.V == pb.V {
			t.Errorf("ordered answer has a tie at %s between %v and %v", pa.V, a.Metric, b.Metric)
		}
	}
}

func TestStartLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("skip the 1000-series reference in -short mode")
	}
	start := testStart()
	series := Large(1000, start, time.Hour)
	began := time.Now()
	srv := StartT(t, series)
	t.Logf("reference prometheus with %d series started in %v", len(series), time.Since(began).Round(time.Millisecond))

	body, err := srv.Query(t.Context(), instant("sum_rate", "sum by (job) (rate(bench_requests_total[5m]))", start.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Data struct {
			Result []apiSeries `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatalf("decode answer: %v", err)
	}
	if len(resp.Data.Result) != 10 {
		t.Errorf("sum by (job) returned %d series, want 10: %s", len(resp.Data.Result), abbreviate(body, 300))
	}
}

func TestStartWithoutPrometheus(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Start(t.Context(), t.TempDir(), nil)
	var missing *NotInstalledError
	if !errors.As(err, &missing) || missing.Binary != "prometheus" {
		t.Fatalf("Start without prometheus on PATH: %v, want a *NotInstalledError for prometheus", err)
	}
	if !strings.Contains(err.Error(), "install Debian's prometheus package") {
		t.Errorf("error %q does not say what to install", err)
	}
}

// recordingTB is a testing.TB whose Skipf and Fatalf record the outcome
// and end the goroutine, so a test can check how StartT gives up.
type recordingTB struct {
	testing.TB
	skipped, failed bool
}

func (r *recordingTB) Skipf(string, ...any) {
	r.skipped = true
	runtime.Goexit()
}

func (r *recordingTB) Fatalf(string, ...any) {
	r.failed = true
	runtime.Goexit()
}

func TestStartTWithoutPrometheus(t *testing.T) {
	for _, tt := range []struct {
		ci         string
		wantFailed bool
	}{{"", false}, {"false", false}, {"true", true}, {"1", true}} {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			t.Setenv("PATH", t.TempDir())
			t.Setenv("CI", tt.ci)
			rec := &recordingTB{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				StartT(rec, nil)
			}()
			<-done
			if rec.failed != tt.wantFailed || rec.skipped == tt.wantFailed {
				t.Errorf("StartT without prometheus: failed %t, skipped %t; want failed %t", rec.failed, rec.skipped, tt.wantFailed)
			}
		})
	}
}

func TestDataset(t *testing.T) {
	start := testStart()
	ds := Dataset(start)
	if !reflect.DeepEqual(ds, Dataset(start)) {
		t.Fatal("Dataset is not deterministic")
	}
	if err := validateSeries(ds); err != nil {
		t.Fatal(err)
	}
	if !slices.IsSortedFunc(ds, func(a, b Series) int { return labels.Compare(a.Labels, b.Labels) }) {
		t.Error("Dataset is not sorted by labels")
	}
	dataEnd := start.Add(Span - DataTail).UnixMilli()
	names := map[string]int{}
	samples := 0
	for _, s := range ds {
		names[s.Labels.Get(model.MetricNameLabel)]++
		samples += len(s.Samples)
		for _, p := range s.Samples {
			if p.T < start.UnixMilli() || p.T > dataEnd {
				t.Fatalf("series %s has a sample at %d outside [%d, %d]", s.Labels, p.T, start.UnixMilli(), dataEnd)
			}
			if off := time.Duration(p.T%SampleInterval.Milliseconds()) * time.Millisecond; off != SampleOffset {
				t.Fatalf("series %s has a sample at %d, %v past the interval, want %v", s.Labels, p.T, off, SampleOffset)
			}
			if math.IsNaN(p.V) {
				t.Fatalf("series %s has a NaN sample at %d", s.Labels, p.T)
			}
		}
	}
	t.Logf("Dataset: %d series, %d samples, names %v", len(ds), samples, names)
	for _, name := range []string{
		"http_requests_total", "request_duration_seconds_bucket", "request_duration_seconds_sum",
		"request_duration_seconds_count", "process_resident_memory_bytes", "app_build_info",
		"kafka_consumergroup_lag", "stream_task_records_in_total", "stream_task_backpressure_ratio",
		"pipewatch_special_value",
	} {
		if names[name] == 0 {
			t.Errorf("Dataset has no series named %s", name)
		}
	}

	resets := 0
	for _, s := range ds {
		if s.Labels.Get(model.MetricNameLabel) != "http_requests_total" {
			continue
		}
		for i := 1; i < len(s.Samples); i++ {
			if s.Samples[i].V < s.Samples[i-1].V {
				resets++
			}
		}
	}
	if resets < 3 {
		t.Errorf("http_requests_total has %d counter resets, want at least 3", resets)
	}
}

func TestLarge(t *testing.T) {
	start := testStart()
	ls := Large(100, start, time.Hour)
	if len(ls) != 100 {
		t.Fatalf("Large(100) returned %d series", len(ls))
	}
	if err := validateSeries(ls); err != nil {
		t.Fatal(err)
	}
	if n := len(ls[0].Samples); n != 240 {
		t.Errorf("Large series over 1h has %d samples, want 240", n)
	}
}

func TestQueries(t *testing.T) {
	end := testStart().Add(Span).Add(567 * time.Millisecond) // Queries must drop the milliseconds
	qs := Queries(end)
	if len(qs) < 60 {
		t.Errorf("Queries returned %d queries, want at least 60", len(qs))
	}
	names := map[string]bool{}
	var ranges, errs, ordered, known int
	for _, q := range qs {
		if q.Name == "" || strings.ContainsAny(q.Name, " /") || names[q.Name] {
			t.Errorf("query name %q is empty, has a space or slash, or is not unique", q.Name)
		}
		names[q.Name] = true
		times := []time.Time{q.End}
		if q.Range {
			ranges++
			times = append(times, q.Start)
			if q.Step <= 0 || q.Step%time.Second != 0 || !q.Start.Before(q.End) {
				t.Errorf("%s: bad range %v .. %v step %v", q.Name, q.Start, q.End, q.Step)
			}
		}
		for _, tm := range times {
			if tm.UnixMilli()%1000 != 0 {
				t.Errorf("%s: evaluation time %v is not a whole second", q.Name, tm)
			}
		}
		if q.WantError {
			errs++
		}
		if q.Ordered {
			ordered++
		}
		if q.KnownDifference != "" {
			known++
		}
	}
	t.Logf("%d queries: %d range, %d expected errors, %d ordered, %d known differences",
		len(qs), ranges, errs, ordered, known)
	for _, name := range emptyResults() {
		if !names[name] {
			t.Errorf("emptyResults names %q, which is not a query", name)
		}
	}
}

func TestWriteOpenMetrics(t *testing.T) {
	series := []Series{
		{Labels: labels.FromStrings("__name__", "lag", "topic", `a"b\c`), Samples: []Sample{{T: 1000, V: 1.5}}},
		{Labels: labels.FromStrings("__name__", "req_total", "code", "200"), Samples: []Sample{{T: 1001, V: 1}, {T: 16001, V: math.Inf(1)}}},
		{Labels: labels.FromStrings("__name__", "lat_count"), Samples: []Sample{{T: 1234, V: 3}}},
		{Labels: labels.FromStrings("__name__", "lat_bucket", "le", "+Inf"), Samples: []Sample{{T: 1234, V: 3}}},
		{Labels: labels.FromStrings("__name__", "lat_sum"), Samples: []Sample{{T: 1234, V: 1e-300}}},
	}
	var buf bytes.Buffer
	if err := writeOpenMetrics(&buf, series); err != nil {
		t.Fatal(err)
	}
	want := `# TYPE lag gauge
lag{topic="a\"b\\c"} 1.5 1.000
# TYPE lat histogram
lat_bucket{le="+Inf"} 3 1.234
lat_count 3 1.234
lat_sum 1e-300 1.234
# TYPE req counter
req_total{code="200"} 1 1.0015
req_total{code="200"} +Inf 16.001
# EOF
`
	if got := buf.String(); got != want {
		t.Errorf("writeOpenMetrics wrote\n%s\nwant\n%s", got, want)
	}
}

// TestOpenMetricsTimestamps checks that every millisecond of a realistic
// stretch of time survives Prometheus's seconds-to-milliseconds conversion,
// which truncates.
func TestOpenMetricsTimestamps(t *testing.T) {
	from := testStart().UnixMilli()
	for ms := from; ms < from+200_000; ms++ {
		s := string(appendOpenMetricsTimestamp(nil, ms))
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		if got := int64(f * 1000); got != ms {
			t.Fatalf("timestamp %d written as %s reads back as %d", ms, s, got)
		}
	}
}
