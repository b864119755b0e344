package scrape

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/collector"
)

func serve(t *testing.T, contentType string, status int, body []byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept"), "application/openmetrics-text") {
			t.Errorf("Accept header %q does not offer OpenMetrics", r.Header.Get("Accept"))
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

type got struct {
	series map[string]float64
	ts     map[string]int64
}

func collect(t *testing.T, c *Collector) (got, *collector.Batch, error) {
	t.Helper()
	b := collector.NewBatch()
	err := c.Collect(context.Background(), b)
	g := got{series: map[string]float64{}, ts: map[string]int64{}}
	b.Each(func(l labels.Labels, ts int64, v float64) {
		g.series[l.String()] = v
		g.ts[l.String()] = ts
	})
	return g, b, err
}

func TestCollectRealCadvisorExposition(t *testing.T) {
	body, err := os.ReadFile("testdata/cadvisor-v0.60.6.prom")
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, "text/plain; version=0.0.4; charset=utf-8", http.StatusOK, body)
	g, b, err := collect(t, New(srv.URL, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	var sampleLines int
	for _, line := range strings.Split(string(body), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			sampleLines++
		}
	}
	if b.Len() != sampleLines {
		t.Errorf("collected %d samples, the exposition has %d", b.Len(), sampleLines)
	}
	key := `{__name__="container_memory_working_set_bytes", id="/"}`
	if _, ok := g.series[key]; !ok {
		t.Fatalf("missing %s", key)
	}
	if g.ts[key] == 0 {
		t.Errorf("explicit timestamp of %s was dropped", key)
	}
	// Metadata of every family is kept for /api/v1/metadata.
	md, ok := b.Metadata("container_memory_working_set_bytes")
	if !ok || md.Type != model.MetricTypeGauge || md.Help != "Current working set in bytes." {
		t.Errorf("metadata = %+v, %v", md, ok)
	}
}

func TestCollectOpenMetrics(t *testing.T) {
	body := "# TYPE requests counter\n# HELP requests Requests served.\n# UNIT requests \nrequests_total{code=\"200\"} 10\nrequests_created{code=\"200\"} 1.7e9\n# EOF\n"
	srv := serve(t, "application/openmetrics-text; version=1.0.0; charset=utf-8", http.StatusOK, []byte(body))
	g, _, err := collect(t, New(srv.URL, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if v := g.series[`{__name__="requests_total", code="200"}`]; v != 10 {
		t.Errorf("requests_total = %v, want 10; got %v", v, g.series)
	}
}

func TestCollectRejectsBadResponses(t *testing.T) {
	big := strings.Repeat("metric_with_a_long_name 1\n", 100)
	for _, tc := range []struct {
		name        string
		contentType string
		status      int
		body        string
		limit       int64
		wantErr     string
	}{
		{"server error", "text/plain", http.StatusInternalServerError, "oops", 0, "500 Internal Server Error"},
		{"unauthorized", "text/plain", http.StatusUnauthorized, "", 0, "401 Unauthorized"},
		{"malformed", "text/plain", http.StatusOK, "metric{ 1\n", 0, "parse exposition"},
		{"oversized", "text/plain", http.StatusOK, big, 1000, "body exceeds the limit of 1000 bytes"},
		{"bad value", "text/plain", http.StatusOK, "metric one\n", 0, "parse exposition"},
		{"html page", "text/html", http.StatusOK, "<html></html>", 0, "parse exposition"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := serve(t, tc.contentType, tc.status, []byte(tc.body))
			_, _, err := collect(t, New(srv.URL, Options{BodySizeLimit: tc.limit}))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestCollectHonoursContextOnHangingServer(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := New(srv.URL, Options{}).Collect(ctx, collector.NewBatch())
	if err == nil || !strings.Contains(err.Error(), "context deadline exceeded") {
		t.Fatalf("err = %v, want a deadline error", err)
	}
}

func TestParseKeepsMetadata(t *testing.T) {
	body := "# HELP up_like A gauge.\n# TYPE up_like gauge\nup_like 1\nuntyped_thing 2\n"
	b := collector.NewBatch()
	if err := parse([]byte(body), "text/plain", labels.NewSymbolTable(), b); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 2 {
		t.Fatalf("len = %d", b.Len())
	}
	if md, _ := b.Metadata("up_like"); md.Type != model.MetricTypeGauge || md.Help != "A gauge." {
		t.Errorf("up_like metadata = %+v", md)
	}
	if md, ok := b.Metadata("untyped_thing"); ok {
		t.Errorf("a family without TYPE or HELP lines got metadata %+v", md)
	}
}
