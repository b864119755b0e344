package sim

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/connect"
	"github.com/pipewatch/pipewatch/collector/elasticsearch"
	"github.com/pipewatch/pipewatch/collector/flink"
	"github.com/pipewatch/pipewatch/collector/logstash"
	"github.com/pipewatch/pipewatch/collector/spark"
	"github.com/pipewatch/pipewatch/collector/storm"
	"github.com/pipewatch/pipewatch/demo"
	"github.com/pipewatch/pipewatch/internal/golden"
)

// clock is the tests' settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// start is the simulated start of every test's run.
var start = time.Date(2025, 3, 14, 8, 0, 0, 0, time.UTC)

// newPlatform returns a demo platform that is never run: the simulation
// reads only its catalog and rates.
func newPlatform(t *testing.T) *demo.Platform {
	t.Helper()
	p, err := demo.New(demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// startSim runs a simulation of p whose clock starts at start.
func startSim(t *testing.T, p Platform) (*Sim, *clock) {
	t.Helper()
	c := &clock{t: start}
	s, err := New(Options{Platform: p, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return s, c
}

// system is one simulated system and the collector that reads it.
type system struct {
	name    string
	url     func(URLs) string
	collect func(t *testing.T, url string, now func() time.Time) collector.Collector
	// series must exist after a collection.
	series []match
	// counters must grow between two collections some minutes apart.
	counters []match
	// still is set for a system that serves states only, which change
	// with the load's phases rather than from one second to the next.
	still bool
}

// match selects the series named name with the given labels.
type match struct {
	name   string
	labels map[string]string
}

func systems() []system {
	return []system{
		{
			name: "elasticsearch",
			url:  func(u URLs) string { return u.Elasticsearch },
			collect: func(t *testing.T, url string, _ func() time.Time) collector.Collector {
				cfg := elasticsearch.DefaultConfig
				cfg.Name, cfg.URL = "demo", url
				cfg.Indices = true // as the app collects the demo's cluster
				c, err := elasticsearch.New(&cfg, elasticsearch.Options{})
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
			series: []match{
				{"elasticsearch_version", map[string]string{"version": esVersion, "cluster": esClusterName}},
				{"elasticsearch_cluster_health_status", map[string]string{"color": "green"}},
				{"elasticsearch_cluster_health_number_of_nodes", nil},
				{"elasticsearch_thread_pool_rejected_count", map[string]string{"type": "write", "name": "es-demo-1"}},
				{"elasticsearch_thread_pool_queue_count", map[string]string{"type": "write"}},
				{"elasticsearch_jvm_memory_used_bytes", map[string]string{"area": "heap"}},
				{"jvm_memory_bytes_used", map[string]string{"area": "heap", "name": "es-demo-3"}},
				{"jvm_gc_collection_seconds_count", map[string]string{"name": "es-demo-2"}},
				{"elasticsearch_clustersettings_stats_max_shards_per_node", nil},
			},
			counters: []match{
				{"elasticsearch_indices_indexing_index_total", map[string]string{"name": "es-demo-1"}},
				{"elasticsearch_indices_docs", map[string]string{"name": "es-demo-2"}},
				{"elasticsearch_thread_pool_completed_count", map[string]string{"type": "write", "name": "es-demo-3"}},
				{"elasticsearch_index_stats_indexing_index_total", map[string]string{"index": "hotel-search-" + start.Format(esDateLayout)}},
				{"elasticsearch_indices_docs_primary", map[string]string{"index": "nginx-access-" + start.Format(esDateLayout)}},
				{"elasticsearch_jvm_gc_collection_seconds_count", map[string]string{"gc": "young", "name": "es-demo-1"}},
				{"elasticsearch_process_cpu_seconds_total", map[string]string{"name": "es-demo-1"}},
			},
		},
		{
			name: "flink",
			url:  func(u URLs) string { return u.Flink },
			collect: func(t *testing.T, url string, now func() time.Time) collector.Collector {
				cfg := flink.DefaultConfig
				cfg.Name, cfg.URL = "demo", url
				c, err := flink.New(&cfg, flink.Options{Now: now})
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
			series: []match{
				{"flink_job_state", map[string]string{"job_name": "flink-ad-billing", "state": "RUNNING"}},
				{"flink_job_last_checkpoint_age_seconds", map[string]string{"job_name": "flink-car-geofence"}},
				{"flink_taskmanager_job_task_backPressuredTimeMsPerSecond", map[string]string{"job_name": "flink-ad-billing"}},
				{"flink_taskmanager_job_task_operator_KafkaSourceReader_topic_partition_currentOffset",
					map[string]string{"job_name": "flink-car-geofence", "topic": "car_gps_track", "partition": "5"}},
				{"pipewatch_stream_job_topic_info", map[string]string{"system": "flink", "job_name": "flink-ad-billing", "topic": "ad_click"}},
				{"pipewatch_stream_job_topic_info", map[string]string{"system": "flink", "job_name": "flink-risk-features", "topic": "risk_control_decisions"}},
				{"flink_taskmanager_slots_free", nil},
				{"jvm_memory_bytes_used", map[string]string{"area": "heap", "component": "jobmanager"}},
				{"jvm_memory_bytes_used", map[string]string{"area": "heap", "component": "taskmanager"}},
			},
			counters: []match{
				{"flink_jobmanager_job_numberOfCompletedCheckpoints", map[string]string{"job_name": "flink-session-window"}},
				{"flink_jobmanager_job_uptime", map[string]string{"job_name": "flink-session-window"}},
				{"flink_taskmanager_job_task_numRecordsOut", map[string]string{"job_name": "flink-hotel-search-sessionize", "task_name": "Source: Kafka -> Map -> Filter"}},
				{"flink_taskmanager_job_task_numRecordsIn", map[string]string{"job_name": "flink-hotel-search-sessionize", "task_name": "KeyedProcess -> Sink: hdfs:/logs/hotel/search"}},
				{"flink_taskmanager_job_task_operator_KafkaSourceReader_topic_partition_committedOffset",
					map[string]string{"job_name": "flink-payment-risk-score", "topic": "payment_audit", "partition": "0"}},
				{"jvm_gc_collection_seconds_count", map[string]string{"component": "taskmanager", "gc": "G1 Young Generation"}},
			},
		},
		{
			name: "spark",
			url:  func(u URLs) string { return u.Spark },
			collect: func(t *testing.T, url string, _ func() time.Time) collector.Collector {
				cfg := spark.DefaultConfig
				cfg.Name, cfg.URL = "demo", url
				c, err := spark.New(&cfg, spark.Options{})
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
			series: []match{
				{"spark_application_info", map[string]string{"application_name": "spark-flight-order-etl", "spark_version": sparkVersion}},
				{"spark_streaming_batch_duration_seconds", nil},
				{"spark_streaming_avg_input_rate", nil},
				{"spark_streaming_last_completed_batch_records", nil},
				{"metrics_executor_memoryUsed_bytes", map[string]string{"executor_id": "2"}},
				{"spark_structured_streaming_input_rate", map[string]string{"query_name": "spark-flight-order-etl-dedup"}},
				{"spark_structured_streaming_processing_rate", map[string]string{"query_name": "spark-flight-order-etl-dedup"}},
				{"spark_structured_streaming_latency_seconds", map[string]string{"query_name": "spark-flight-order-etl-dedup"}},
				{"spark_structured_streaming_event_time_watermark_seconds", map[string]string{"query_name": "spark-flight-order-etl-dedup"}},
				{"spark_structured_streaming_state_rows", map[string]string{"query_name": "spark-flight-order-etl-dedup"}},
				{"spark_structured_streaming_state_used_bytes", map[string]string{"query_name": "spark-flight-order-etl-dedup"}},
			},
			counters: []match{
				{"spark_streaming_completed_batches_total", nil},
				{"spark_streaming_processed_records_total", nil},
				{"metrics_executor_completedTasks_total", map[string]string{"executor_id": "1"}},
				{"metrics_executor_totalInputBytes_bytes_total", map[string]string{"executor_id": "2"}},
				{"jvm_gc_collection_seconds_count", map[string]string{"executor_id": "1", "gc": "minor"}},
			},
		},
		{
			name: "storm",
			url:  func(u URLs) string { return u.Storm },
			collect: func(t *testing.T, url string, _ func() time.Time) collector.Collector {
				cfg := storm.DefaultConfig
				cfg.Name, cfg.URL = "demo", url
				c, err := storm.New(&cfg, storm.Options{})
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
			series: []match{
				{"storm_topology_status", map[string]string{"topology_name": stormGroup, "status": "ACTIVE"}},
				{"storm_topology_spouts_failed", map[string]string{"spout_id": stormSpout}},
				{"storm_topology_bolts_failed", map[string]string{"bolt_id": stormWriter}},
				{"storm_topology_bolts_capacity", map[string]string{"bolt_id": stormWriter}},
				{"storm_topology_spouts_lag", map[string]string{"topic": "hotel.price.change", "partition": "3"}},
				{"pipewatch_stream_job_topic_info", map[string]string{"system": "storm", "job_name": stormGroup, "topic": "hotel.price.change"}},
			},
			counters: []match{
				{"storm_topology_spouts_acked", map[string]string{"spout_id": stormSpout}},
				{"storm_topology_bolts_executed", map[string]string{"bolt_id": stormParser}},
				{"storm_topology_stats_acked", map[string]string{"window": ":all-time"}},
				{"storm_topology_uptime_seconds", nil},
				{"storm_topology_spouts_log_head_offset", map[string]string{"topic": "hotel.price.change", "partition": "0"}},
			},
		},
		{
			name: "logstash",
			url:  func(u URLs) string { return u.Logstash },
			collect: func(t *testing.T, url string, _ func() time.Time) collector.Collector {
				cfg := logstash.DefaultConfig
				cfg.Name, cfg.URL = "demo", url
				c, err := logstash.New(&cfg, logstash.Options{})
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
			series: []match{
				{"logstash_stats_pipeline_up", map[string]string{"pipeline": "nginx"}},
				{"logstash_stats_pipeline_plugin_bulk_requests_responses", map[string]string{"pipeline": "nginx", "code": "429"}},
				{"pipewatch_stream_job_topic_info", map[string]string{"system": "logstash", "job_name": "nginx", "component": "kafka", "direction": "in"}},
				{"pipewatch_stream_job_topic_info", map[string]string{"system": "logstash", "job_name": "nginx", "component": "elasticsearch", "direction": "out"}},
				{"jvm_memory_bytes_used", map[string]string{"area": "heap"}},
			},
			counters: []match{
				{"logstash_stats_events_in", nil},
				{"logstash_stats_pipeline_events_out", map[string]string{"pipeline": "nginx"}},
				{"logstash_stats_pipeline_plugin_events_out", map[string]string{"pipeline": "nginx", "plugin": "kafka"}},
				{"logstash_stats_pipeline_plugin_documents_successes", map[string]string{"pipeline": "nginx"}},
				{"logstash_stats_pipeline_plugin_bulk_requests_responses", map[string]string{"pipeline": "nginx", "code": "200"}},
				{"jvm_gc_collection_seconds_count", map[string]string{"gc": "young"}},
			},
		},
		{
			name: "kafka_connect",
			url:  func(u URLs) string { return u.KafkaConnect },
			collect: func(t *testing.T, url string, _ func() time.Time) collector.Collector {
				cfg := connect.DefaultConfig
				cfg.Name, cfg.URL = "demo", url
				c, err := connect.New(&cfg, connect.Options{})
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
			series: []match{
				{"kafka_connect_connector_metrics", map[string]string{"connector": "train-ticket-es-indexer", "status": "running"}},
				{"kafka_connect_connector_metrics", map[string]string{"connector": "cs-chat-es-indexer", "connector_type": "sink"}},
				{"kafka_connect_task_status", map[string]string{"connector": "cs-chat-es-indexer", "task": "1", "status": "running"}},
				{"kafka_connect_connect_worker_metrics_connector_running_task_count", map[string]string{"connector": "cs-chat-es-indexer"}},
				{"kafka_connect_connect_worker_metrics_connector_failed_task_count", map[string]string{"connector": "train-ticket-es-indexer"}},
				{"kafka_connect_connect_worker_metrics_connector_count", nil},
				{"pipewatch_stream_job_topic_info", map[string]string{"system": "kafka_connect", "job_name": "train-ticket-es-indexer",
					"topic": "train.ticket.query", "direction": "in", "consumergroup": "train-ticket-es-indexer"}},
				{"pipewatch_stream_job_topic_info", map[string]string{"system": "kafka_connect", "job_name": "cs-chat-es-indexer", "topic": "cs.chat.messages"}},
			},
			still: true,
		},
	}
}

// collect runs c once and requires a complete round.
func collect(t *testing.T, c collector.Collector) *collector.Batch {
	t.Helper()
	b := collector.NewBatch()
	if err := c.Collect(context.Background(), b); err != nil {
		t.Fatalf("collect: %v", err)
	}
	if b.Len() == 0 {
		t.Fatal("collect: no series")
	}
	return b
}

// values returns the values of the series m selects.
func values(b *collector.Batch, m match) []float64 {
	var out []float64
	b.Each(func(l labels.Labels, _ int64, v float64) {
		if l.Get(model.MetricNameLabel) != m.name {
			return
		}
		for k, want := range m.labels {
			if l.Get(k) != want {
				return
			}
		}
		out = append(out, v)
	})
	return out
}

// sum returns the sum of the series m selects, and how many there are.
func sum(b *collector.Batch, m match) (float64, int) {
	vs := values(b, m)
	s := 0.0
	for _, v := range vs {
		s += v
	}
	return s, len(vs)
}

func TestCollectorsReadTheSimulation(t *testing.T) {
	s, clk := startSim(t, newPlatform(t))
	for _, sys := range systems() {
		t.Run(sys.name, func(t *testing.T) {
			c := sys.collect(t, sys.url(s.URLs()), clk.now)
			clk.set(start.Add(10 * time.Minute))
			first := collect(t, c)
			for _, m := range append(append([]match(nil), sys.series...), sys.counters...) {
				if _, n := sum(first, m); n == 0 {
					t.Errorf("no series %s%v", m.name, m.labels)
				}
			}
			clk.set(start.Add(13 * time.Minute))
			second := collect(t, c)
			for _, m := range sys.counters {
				before, _ := sum(first, m)
				after, n := sum(second, m)
				if n == 0 || after <= before {
					t.Errorf("%s%v went from %v to %v in 3 minutes, want it to grow", m.name, m.labels, before, after)
				}
			}
		})
	}
}

// TestValuesAreAFunctionOfTime collects two simulations of the same
// platform started at the same time: at the same moment they answer the
// same, and every system has moved a few seconds later.
func TestValuesAreAFunctionOfTime(t *testing.T) {
	p := newPlatform(t)
	a, clkA := startSim(t, p)
	b, clkB := startSim(t, p)
	for _, sys := range systems() {
		t.Run(sys.name, func(t *testing.T) {
			ca := sys.collect(t, sys.url(a.URLs()), clkA.now)
			cb := sys.collect(t, sys.url(b.URLs()), clkB.now)
			var first string
			for i, at := range []time.Duration{7*time.Minute + 300*time.Millisecond, 7*time.Minute + 5300*time.Millisecond} {
				clkA.set(start.Add(at))
				clkB.set(start.Add(at))
				ga, gb := golden.Render(collect(t, ca)), golden.Render(collect(t, cb))
				if ga != gb {
					t.Fatalf("two simulations answer differently at %v:\n%s", at, golden.Diff(ga, gb))
				}
				if i == 0 {
					first = ga
				} else if ga == first && !sys.still {
					t.Errorf("nothing moved in 5 s")
				}
			}
		})
	}
}

func TestNewNeedsAPlatform(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Error("New without a platform succeeded")
	}
}

func TestRunServesUntilCancelled(t *testing.T) {
	s, err := New(Options{Platform: newPlatform(t)})
	if err != nil {
		t.Fatal(err)
	}
	urls := s.URLs()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	paths := []string{
		urls.Elasticsearch + "/_cluster/health",
		urls.Flink + "/jobs/overview",
		urls.Spark + "/api/v1/applications?status=running",
		urls.Storm + "/api/v1/topology/summary",
		urls.Logstash + "/_node/stats",
		urls.KafkaConnect + "/connectors?expand=status&expand=info",
	}
	for _, u := range paths {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") == "" {
			t.Errorf("GET %s: %s, content type %q", u, resp.Status, resp.Header.Get("Content-Type"))
		}
	}
	for _, u := range []string{urls.Elasticsearch + "/_cat/indices", urls.Flink + "/jobs/nope/metrics"} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %s, want 404", u, resp.Status)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := s.Run(context.Background()); err == nil {
		t.Error("a second Run succeeded")
	}
	client := &http.Client{Timeout: time.Second}
	if resp, err := client.Get(paths[0]); err == nil {
		resp.Body.Close()
		t.Errorf("GET after Run returned: %s, want a connection error", resp.Status)
	}
}

// BenchmarkResponses measures the heaviest response of each system,
// rendered through its handler.
func BenchmarkResponses(b *testing.B) {
	p, err := demo.New(demo.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	clk := &clock{t: start.Add(10 * time.Minute)}
	w := &world{now: clk.now, start: start, traffic: newTraffic(p), noise: wanderer{seed: seed}}
	es, err := newESCluster(w, p.Modules())
	if err != nil {
		b.Fatal(err)
	}
	fl, err := newFlinkCluster(w, p.Modules())
	if err != nil {
		b.Fatal(err)
	}
	ls, err := newLogstashNode(w, p.Modules())
	if err != nil {
		b.Fatal(err)
	}
	j := fl.jobs[0]
	for _, bc := range []struct {
		name    string
		handler http.Handler
		target  string
	}{
		{"elasticsearch nodes stats", es, "/_nodes/stats"},
		{"elasticsearch indices stats", es, "/_all/_stats?ignore_unavailable=true"},
		{"flink source subtasks", fl, "/jobs/" + j.id + "/vertices/" + j.source.id + "/subtasks/metrics?agg=min,max,sum&get=" + strings.Join(j.source.ids, ",")},
		{"logstash node stats", ls, "/_node/stats"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				bc.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, bc.target, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", bc.target, rec.Code)
				}
			}
		})
	}
}
