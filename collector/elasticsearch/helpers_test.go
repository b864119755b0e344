package elasticsearch

import (
	"context"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/collector"
)

// scenario is a set of real captured responses, one per endpoint, served as
// one cluster. Responses of different captures are combined where a
// version has no capture of an endpoint; testdata/README.md lists them.
type scenario struct {
	name  string
	files map[string]string // URL path → file under testdata/fixtures
}

const (
	pRoot     = "/"
	pHealth   = "/_cluster/health"
	pNodes    = "/_nodes/stats"
	pIndices  = "/_all/_stats"
	pSettings = "/_cluster/settings"
	pAlias    = "/_alias"
)

// scenarios covers every nodes stats, cluster health and indices stats
// capture and the cluster settings captures with distinct shapes.
var scenarios = []scenario{
	{"1.7.6", map[string]string{pRoot: "cluster_info/2.4.5.json", pHealth: "cluster_health/1.7.6.json", pNodes: "nodes_stats/1.7.6-inline.json", pIndices: "indices_stats/1.7.6.json"}},
	{"2.4.5", map[string]string{pRoot: "cluster_info/2.4.5.json", pHealth: "cluster_health/2.4.5.json", pNodes: "nodes_stats/2.4.5-inline.json", pIndices: "indices_stats/2.4.5.json"}},
	{"2.4.6", map[string]string{pRoot: "cluster_info/2.4.5.json", pHealth: "cluster_health/2.4.5-inline.json", pNodes: "nodes_stats/2.4.6.json"}},
	{"5.4.2", map[string]string{pRoot: "cluster_info/5.4.2.json", pHealth: "cluster_health/5.4.2.json", pNodes: "nodes_stats/5.4.2.json", pIndices: "indices_stats/5.4.2.json", pSettings: "cluster_settings/5.4.2.json"}},
	{"5.4.2-inline", map[string]string{pRoot: "cluster_info/5.4.2.json", pHealth: "cluster_health/5.4.2.json", pNodes: "nodes_stats/5.4.2-inline.json", pSettings: "cluster_settings/merge-5.4.2.json"}},
	{"5.5.2", map[string]string{pRoot: "cluster_info/5.4.2.json", pHealth: "cluster_health/5.5.2-inline.json", pNodes: "nodes_stats/5.5.2-inline.json", pIndices: "indices_stats/5.5.2-inline.json"}},
	{"5.6.16", map[string]string{pRoot: "cluster_info/5.4.2.json", pHealth: "cluster_health/5.6.16.json", pNodes: "nodes_stats/5.6.16.json"}},
	{"6.5.4", map[string]string{pRoot: "cluster_info/5.4.2.json", pHealth: "cluster_health/6.5.4.json", pNodes: "nodes_stats/6.5.4.json"}},
	{"6.8.8", map[string]string{pRoot: "cluster_info/7.13.1.json", pHealth: "cluster_health/6.8.8.json", pNodes: "nodes_stats/6.8.8.json"}},
	{"7.3.0", map[string]string{pRoot: "cluster_info/7.13.1.json", pHealth: "cluster_health/7.3.0.json", pNodes: "nodes_stats/7.3.0.json", pSettings: "cluster_settings/7.3.0.json"}},
	{"7.6.1", map[string]string{pRoot: "cluster_info/7.13.1.json", pHealth: "cluster_health/7.6.1.json", pNodes: "nodes_stats/7.6.1.json"}},
	{"7.6.2", map[string]string{pRoot: "cluster_info/7.13.1.json", pHealth: "cluster_health/7.6.2.json", pNodes: "nodes_stats/7.6.2.json"}},
	{"7.17", map[string]string{pRoot: "cluster_info/7.13.1.json", pHealth: "cluster_health/7.6.2.json", pNodes: "nodes_stats/7.6.2.json", pIndices: "indices_stats/7.17.3.json", pSettings: "cluster_settings/persistent-clustermaxshardspernode-7.17.5.json"}},
	{"8.9.1", map[string]string{pRoot: "cluster_info/7.13.1.json", pHealth: "cluster_health/7.6.2.json", pNodes: "nodes_stats/7.6.2.json", pSettings: "cluster_settings/8.9.1-watermark.json"}},
	{"8.10.4", map[string]string{pRoot: "cluster_info/7.13.1.json", pHealth: "cluster_health/7.6.2.json", pNodes: "nodes_stats/7.6.2.json", pSettings: "cluster_settings/8.10.4.json"}},
}

func (s scenario) has(path string) bool { _, ok := s.files[path]; return ok }

// config returns the configuration that collects what the scenario serves.
func (s scenario) config(url string) *Config {
	cfg := DefaultConfig
	cfg.Name = "test"
	cfg.URL = url
	cfg.Indices = s.has(pIndices)
	cfg.ClusterSettings = s.has(pSettings)
	return &cfg
}

// bodies reads the scenario's files, applying transform (if not nil) to
// each.
func (s scenario) bodies(t testing.TB, transform func(testing.TB, []byte) []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for path, file := range s.files {
		b, err := os.ReadFile(filepath.Join("testdata", "fixtures", file))
		if err != nil {
			t.Fatal(err)
		}
		if transform != nil {
			b = transform(t, b)
		}
		out[path] = b
	}
	if s.has(pIndices) {
		// elasticsearch_exporter fails its index stats without aliases.
		b, err := os.ReadFile(filepath.Join("testdata", "fixtures", "alias", "7.17.3.json"))
		if err != nil {
			t.Fatal(err)
		}
		out[pAlias] = b
	}
	return out
}

// replay serves bodies by URL path, ignoring query strings, like the
// Elasticsearch node they were captured from; other paths get 404.
func replay(t testing.TB, bodies map[string][]byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := bodies[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// series is a set of samples keyed by their label set in Prometheus
// notation, with the TYPE of each family.
type series struct {
	values map[string]float64
	family map[string]string // series key → metric name
	types  map[string]string // metric name → type
}

func newSeries() series {
	return series{values: map[string]float64{}, family: map[string]string{}, types: map[string]string{}}
}

// add records one sample.
func (s series) add(t testing.TB, l labels.Labels, v float64) {
	key := l.String()
	if _, dup := s.values[key]; dup && t != nil {
		t.Errorf("duplicate series %s", key)
	}
	s.values[key] = v
	s.family[key] = l.Get(model.MetricNameLabel)
}

// batchSeries converts a collected batch.
func batchSeries(t testing.TB, b *collector.Batch) series {
	t.Helper()
	s := newSeries()
	b.Each(func(l labels.Labels, _ int64, v float64) {
		s.add(t, l, v)
		name := l.Get(model.MetricNameLabel)
		if md, ok := b.Metadata(name); ok {
			s.types[name] = string(md.Type)
		} else {
			t.Errorf("no metadata for %s", name)
		}
	})
	return s
}

// collectOnce runs one round of a collector for cfg against url.
func collectOnce(t testing.TB, cfg *Config) (series, error) {
	t.Helper()
	c, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := collector.NewBatch()
	err = c.Collect(context.Background(), b)
	return batchSeries(t, b), err
}

// golden renders s as sorted "# TYPE" lines and samples.
func (s series) golden() string {
	var lines []string
	for _, name := range slices.Sorted(maps.Keys(s.types)) {
		lines = append(lines, fmt.Sprintf("# TYPE %s %s", name, s.types[name]))
	}
	for _, key := range slices.Sorted(maps.Keys(s.values)) {
		lines = append(lines, key+" "+formatValue(s.values[key]))
	}
	return strings.Join(lines, "\n") + "\n"
}

func formatValue(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
