package elasticsearch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
)

// exporterBinary is the reference implementation: Debian's package
// prometheus-elasticsearch-exporter (elasticsearch_exporter 1.5.0).
const exporterBinary = "prometheus-elasticsearch-exporter"

// exporterOnly lists the families the exporter serves that pipewatch
// deliberately does not, with the reason.
var exporterOnly = map[string]string{
	"elasticsearch_exporter_build_info":                       "build of the exporter process itself",
	"elasticsearch_scrape_duration_seconds":                   "exporter internals; pipewatch records scrape_duration_seconds per target",
	"elasticsearch_scrape_success":                            "exporter internals; pipewatch records up per target",
	"elasticsearch_cluster_health_total_scrapes":              "counter of the exporter process's scrapes; pipewatch counts rounds in its own self-metrics",
	"elasticsearch_cluster_health_json_parse_failures":        "counter of the exporter process; decode errors fail or degrade the round and are counted by pipewatch",
	"elasticsearch_node_stats_total_scrapes":                  "counter of the exporter process's scrapes",
	"elasticsearch_node_stats_json_parse_failures":            "counter of the exporter process",
	"elasticsearch_index_stats_total_scrapes":                 "counter of the exporter process's scrapes",
	"elasticsearch_index_stats_json_parse_failures":           "counter of the exporter process",
	"elasticsearch_clustersettings_stats_total_scrapes":       "counter of the exporter process's scrapes",
	"elasticsearch_clustersettings_stats_json_parse_failures": "counter of the exporter process",
	"elasticsearch_clusterinfo_up":                            "state of the exporter's background GET / poller (labelled with its URL); pipewatch fetches / every round",
	"elasticsearch_clusterinfo_last_retrieval_success_ts":     "state of the exporter's background GET / poller",
	"elasticsearch_clusterinfo_version_info":                  "duplicate of elasticsearch_version with value 0, from the exporter's poller",
	"elasticsearch_node_shards_total":                         "needs GET /_cat/shards, which pipewatch does not request",
	"elasticsearch_node_shards_json_parse_failures":           "counter of the exporter process",
	"elasticsearch_indices_aliases":                           "needs GET /_alias, which pipewatch does not request",
}

// oursOnly reports whether pipewatch emits family while the exporter 1.5.0
// does not, on purpose.
func oursOnly(family string) bool {
	switch {
	case strings.HasPrefix(family, "jvm_"), strings.HasPrefix(family, "process_"):
		return true // The jvm_* section shared with the other JVM collectors.
	case strings.HasPrefix(family, "elasticsearch_clustersettings_allocation_"):
		return true // Disk watermarks, named as newer exporter releases name them.
	}
	return false
}

// TestSameAsExporter runs Debian's elasticsearch_exporter against the same
// captured responses as pipewatch and requires every series both produce
// to have the same value (and every family the same type). Series only one
// side produces must belong to families listed above. A second pass
// replaces every number of the responses by a distinct one, so that a
// series reading the wrong field cannot match by accident (the captures
// are of idle clusters and hold many zeros).
func TestSameAsExporter(t *testing.T) {
	bin, err := exec.LookPath(exporterBinary)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI (Debian package prometheus-elasticsearch-exporter): %v", exporterBinary, err)
		}
		t.Skipf("%s not installed (apt-get install prometheus-elasticsearch-exporter): %v", exporterBinary, err)
	}
	for _, numbered := range []bool{false, true} {
		for _, sc := range scenarios {
			name := sc.name
			var transform func(testing.TB, []byte) []byte
			if numbered {
				name += "/numbered"
				transform = numberValues
			}
			t.Run(name, func(t *testing.T) {
				srv := replay(t, sc.bodies(t, transform))
				want := runExporter(t, bin, srv.URL, sc)
				got, err := collectOnce(t, sc.config(srv.URL))
				if err != nil {
					t.Fatalf("collect: %v", err)
				}
				compareWithExporter(t, got, want)
			})
		}
	}
}

func compareWithExporter(t *testing.T, got, want series) {
	t.Helper()
	shared := 0
	var onlyWant, onlyGot []string
	for _, key := range slices.Sorted(maps.Keys(want.values)) {
		w := want.values[key]
		g, ok := got.values[key]
		if !ok {
			if _, listed := exporterOnly[want.family[key]]; !listed {
				onlyWant = append(onlyWant, key)
			}
			continue
		}
		shared++
		if g != w && !(math.IsNaN(g) && math.IsNaN(w)) {
			t.Errorf("%s = %v, exporter has %v", key, g, w)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(got.values)) {
		if _, ok := want.values[key]; !ok && !oursOnly(got.family[key]) {
			onlyGot = append(onlyGot, key)
		}
	}
	for name, typ := range got.types {
		if wt, ok := want.types[name]; ok && wt != typ {
			t.Errorf("type of %s is %s, exporter has %s", name, typ, wt)
		}
	}
	if len(onlyWant) > 0 {
		t.Errorf("%d series only the exporter has:\n%s", len(onlyWant), strings.Join(first(onlyWant, 30), "\n"))
	}
	if len(onlyGot) > 0 {
		t.Errorf("%d series only pipewatch has:\n%s", len(onlyGot), strings.Join(first(onlyGot, 30), "\n"))
	}
	if shared < 100 {
		t.Errorf("only %d shared series: the exporter probably failed", shared)
	}
	t.Logf("%d shared series equal", shared)
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("... and %d more", len(s)-n))
	}
	return s
}

// runExporter starts the exporter against url with the collectors the
// scenario needs, waits until it has read the cluster info, and returns
// its metrics (without the go_, process_ and promhttp_ families of its
// own process).
func runExporter(t *testing.T, bin, url string, sc scenario) series {
	t.Helper()
	addr := freeAddr(t)
	args := []string{"--es.uri=" + url, "--web.listen-address=" + addr, "--es.all", "--log.level=error"}
	if sc.has(pIndices) {
		args = append(args, "--es.indices")
	}
	if sc.has(pSettings) {
		args = append(args, "--es.cluster_settings")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start exporter: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})

	// Wait (bounded) for the exporter process to listen and to have the
	// cluster name from its first GET /, which labels the index series.
	deadline := time.Now().Add(20 * time.Second)
	for {
		s, err := scrapeExporter("http://" + addr + "/metrics")
		if err == nil && s.ready() {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("exporter not ready: %v\n%s", err, logs.String())
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-t.Context().Done():
			t.Fatal(t.Context().Err())
		}
	}
}

// ready reports whether the exporter's cluster info poller has succeeded.
func (s series) ready() bool {
	for key, v := range s.values {
		if s.family[key] == "elasticsearch_clusterinfo_up" && v == 1 {
			for k := range s.values {
				if strings.Contains(k, `"unknown_cluster"`) {
					return false
				}
			}
			return true
		}
	}
	return false
}

func scrapeExporter(url string) (series, error) {
	resp, err := http.Get(url)
	if err != nil {
		return series{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return series{}, fmt.Errorf("status %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := (&parser).TextToMetricFamilies(resp.Body)
	if err != nil {
		return series{}, err
	}
	s := newSeries()
	for name, mf := range families {
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") || strings.HasPrefix(name, "promhttp_") {
			continue
		}
		s.types[name] = strings.ToLower(mf.GetType().String())
		for _, m := range mf.GetMetric() {
			b := labels.NewScratchBuilder(len(m.GetLabel()) + 1)
			b.Add(model.MetricNameLabel, name)
			for _, lp := range m.GetLabel() {
				if lp.GetValue() != "" {
					b.Add(lp.GetName(), lp.GetValue())
				}
			}
			b.Sort()
			s.add(nil, b.Labels(), value(mf.GetType(), m))
		}
	}
	return s, nil
}

func value(typ dto.MetricType, m *dto.Metric) float64 {
	switch typ {
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue()
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue()
	default:
		return m.GetUntyped().GetValue()
	}
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// numberValues replaces every number in a JSON document with a distinct
// integer, in the document's order of appearance after sorting object
// keys, and keeps strings, booleans and structure.
func numberValues(t testing.TB, b []byte) []byte {
	t.Helper()
	if len(bytes.TrimSpace(b)) == 0 {
		return b
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode fixture: %v", err)
	}
	n := 0
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(x)) {
				x[k] = walk(x[k])
			}
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		case json.Number:
			n++
			return json.Number(fmt.Sprint(n))
		}
		return v
	}
	out, err := json.Marshal(walk(v))
	if err != nil {
		t.Fatal(err)
	}
	return out
}
