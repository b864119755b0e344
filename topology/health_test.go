package topology_test

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/pipewatch/pipewatch/topology"
)

// ramp returns n values from start, each step more than the last.
func ramp(n int, start, step float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = start + float64(i)*step
	}
	return out
}

// every15s is the step of series read with rate over [1m] or [2m].
const every15s = 15 * time.Second

// minute5At15s is the number of 15-second samples up to minute 5.
const minute5At15s = 21

func TestForecastETAOnHops(t *testing.T) {
	for _, tc := range []struct {
		name string
		// group reads hotel-search-log; seed writes its series.
		group  string
		seed   func(p *platform)
		health topology.Health
		reason string
	}{
		{
			name:  "an ok hop with a forecast warns",
			group: "hotel-etl",
			seed: func(p *platform) {
				p.series(`kafka_consumergroup_current_offset{cluster="prod",consumergroup="hotel-etl",topic="hotel-search-log",partition="0"}`, 0, 500, 1000, 1400, 1800, 2100)
				p.series(`kafka_consumergroup_lag{cluster="prod",consumergroup="hotel-etl",topic="hotel-search-log",partition="0"}`, 0, 100, 200, 400, 600, 900)
				p.series(`kafka_consumergroup_lag_seconds{cluster="prod",consumergroup="hotel-etl",topic="hotel-search-log",partition="0"}`, 0, 5, 10, 20, 30, 45)
				p.series(`pipewatch_forecast_eta_seconds{job="kafka/prod",cluster="prod",consumergroup="hotel-etl",topic="hotel-search-log",rule="KafkaConsumerLagBreachForecast"}`, nan, nan, nan, nan, 300, 240)
			},
			health: topology.HealthWarn,
			reason: "lag 45s and rising, ETA to SLO 4m",
		},
		{
			name:  "the soonest of two forecasts counts",
			group: "hotel-etl",
			seed: func(p *platform) {
				p.series(`kafka_consumergroup_current_offset{cluster="prod",consumergroup="hotel-etl",topic="hotel-search-log",partition="0"}`, 0, 500, 1000, 1500, 2000, 2500)
				p.series(`kafka_consumergroup_lag_seconds{cluster="prod",consumergroup="hotel-etl",topic="hotel-search-log",partition="0"}`, 0, 0, 0, 0, 0, 0)
				p.series(`pipewatch_forecast_eta_seconds{cluster="prod",consumergroup="hotel-etl",topic="hotel-search-log",rule="A"}`, nan, nan, nan, nan, nan, 600)
				p.series(`pipewatch_forecast_eta_seconds{cluster="prod",consumergroup="hotel-etl",topic="hotel-search-log",rule="B"}`, nan, nan, nan, nan, nan, 90)
			},
			health: topology.HealthWarn,
			reason: "lag 0s, ETA to SLO 1m",
		},
		{
			name:  "a warned hop gets its lag and the ETA",
			group: "hotel-etl",
			seed: func(p *platform) {
				p.series(`kafka_consumergroup_current_offset{cluster="prod",consumergroup="hotel-etl",topic="hotel-search-log",partition="0"}`, 0, 500, 1000, 1400, 1800, 2100)
				p.series(`kafka_consumergroup_lag{cluster="prod",consumergroup="hotel-etl",topic="hotel-search-log",partition="0"}`, 0, 100, 200, 400, 600, 900)
				p.series(`kafka_consumergroup_lag_seconds{cluster="prod",consumergroup="hotel-etl",topic="hotel-search-log",partition="0"}`, 0, 5, 10, 20, 30, 56)
				p.series(`kafka_consumergroup_status{cluster="prod",consumergroup="hotel-etl",status="WARN"}`, 0, 0, 0, 1, 1, 1)
				p.series(`pipewatch_forecast_eta_seconds{cluster="prod",consumergroup="hotel-etl",topic="hotel-search-log"}`, nan, nan, nan, nan, 500, 440)
			},
			health: topology.HealthWarn,
			reason: "consumer WARN, lag 56s and rising, ETA to SLO 7m",
		},
		{
			name:  "a critical hop keeps its reason and gets the ETA",
			group: "hotel-flink",
			seed: func(p *platform) {
				p.series(`pipewatch_forecast_eta_seconds{cluster="prod",consumergroup="hotel-flink",topic="hotel-search-log",rule="KafkaConsumerLagBreachForecast"}`, nan, nan, nan, 0, 0, 0)
			},
			health: topology.HealthCritical,
			reason: "consumer STALL, lag 15m and rising, SLO reached",
		},
		{
			name:   "without a forecast nothing changes",
			group:  "hotel-indexer",
			seed:   func(*platform) {},
			health: topology.HealthOK,
		},
		{
			name:  "a forecast of another hop does not apply",
			group: "hotel-indexer",
			seed: func(p *platform) {
				p.series(`pipewatch_forecast_eta_seconds{cluster="other",consumergroup="hotel-indexer",topic="hotel-search-log"}`, 60, 60, 60, 60, 60, 60)
				p.series(`pipewatch_forecast_eta_seconds{rule="FreeSpaceLowSoon",device="sda"}`, 60, 60, 60, 60, 60, 60)
			},
			health: topology.HealthOK,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPlatform(t)
			seedHotel(p)
			tc.seed(p)
			g := p.build(nil, 5, "")
			id := "topic:prod/hotel-search-log->group:prod/" + tc.group
			e := edge(g, id)
			if e == nil {
				t.Fatalf("missing edge %s", id)
			}
			if e.Health != tc.health || e.Reason != tc.reason {
				t.Errorf("%s is %s %q, want %s %q", id, e.Health, e.Reason, tc.health, tc.reason)
			}
		})
	}
}

var nan = math.NaN()

// flinkJob writes the topic info that makes the Flink job name a node.
func flinkJob(p *platform, name string) {
	p.series(fmt.Sprintf(`pipewatch_stream_job_topic_info{system="flink",job_name=%q,component="Source: in",topic="hotel-search-log",direction="in"}`, name), 1, 1, 1, 1, 1, 1)
}

func TestJobHealth(t *testing.T) {
	for _, tc := range []struct {
		name   string
		id     string
		seed   func(p *platform)
		health topology.Health
		reason string
	}{
		{
			name: "flink job restarted long ago",
			id:   "job:flink/enrich",
			seed: func(p *platform) {
				flinkJob(p, "enrich")
				p.series(`flink_jobmanager_job_numRestarts{job_id="a",job_name="enrich"}`, 1, 1, 1, 1, 1, 1)
				p.series(`flink_job_state{job_id="a",job_name="enrich",state="RUNNING"}`, 1, 1, 1, 1, 1, 1)
			},
			health: topology.HealthOK,
		},
		{
			name: "flink job restarting",
			id:   "job:flink/enrich",
			seed: func(p *platform) {
				flinkJob(p, "enrich")
				p.series(`flink_jobmanager_job_numRestarts{job_id="a",job_name="enrich"}`, 0, 0, 0, 0, 1, 2)
			},
			health: topology.HealthWarn,
			reason: "2 restarts in 10m",
		},
		{
			name: "flink job in a restart loop",
			id:   "job:flink/enrich",
			seed: func(p *platform) {
				flinkJob(p, "enrich")
				p.series(`flink_jobmanager_job_numRestarts{job_id="a",job_name="enrich"}`, 0, 1, 2, 3, 4, 5)
			},
			health: topology.HealthCritical,
			reason: "5 restarts in 10m",
		},
		{
			name: "flink job failed",
			id:   "job:flink/enrich",
			seed: func(p *platform) {
				flinkJob(p, "enrich")
				p.series(`flink_job_state{job_id="a",job_name="enrich",state="RUNNING"}`, 1, 1, 1, 0, 0, 0)
				p.series(`flink_job_state{job_id="a",job_name="enrich",state="FAILED"}`, 0, 0, 0, 1, 1, 1)
			},
			health: topology.HealthCritical,
			reason: "job FAILED",
		},
		{
			name: "flink job failed and resubmitted",
			id:   "job:flink/enrich",
			seed: func(p *platform) {
				flinkJob(p, "enrich")
				p.series(`flink_job_state{job_id="a",job_name="enrich",state="FAILED"}`, 0, 0, 0, 1, 1, 1)
				p.series(`flink_job_state{job_id="b",job_name="enrich",state="RUNNING"}`, nan, nan, nan, 1, 1, 1)
			},
			health: topology.HealthOK,
		},
		{
			name: "flink checkpoints failing",
			id:   "job:flink/enrich",
			seed: func(p *platform) {
				flinkJob(p, "enrich")
				p.series(`flink_jobmanager_job_numberOfFailedCheckpoints{job_id="a",job_name="enrich"}`, 0, 0, 0, 0, 1, 1)
			},
			health: topology.HealthWarn,
			reason: "1 failed checkpoint in 10m",
		},
		{
			name: "flink job back-pressured",
			id:   "job:flink/enrich",
			seed: func(p *platform) {
				flinkJob(p, "enrich")
				p.series(`flink_taskmanager_job_task_backPressuredTimeMsPerSecond{job_id="a",job_name="enrich",task_name="Source: in"}`, 0, 0, 0, 650, 700, 750)
				p.series(`flink_taskmanager_job_task_backPressuredTimeMsPerSecond{job_id="a",job_name="enrich",task_name="Sink"}`, 0, 0, 0, 0, 0, 0)
			},
			health: topology.HealthWarn,
			reason: "back-pressured 725ms/s",
		},
		{
			name: "flink back-pressure below high",
			id:   "job:flink/enrich",
			seed: func(p *platform) {
				flinkJob(p, "enrich")
				p.series(`flink_taskmanager_job_task_backPressuredTimeMsPerSecond{job_id="a",job_name="enrich",task_name="Source: in"}`, 0, 0, 0, 300, 400, 450)
			},
			health: topology.HealthOK,
		},
		{
			name: "flink findings are listed worst first",
			id:   "job:flink/enrich",
			seed: func(p *platform) {
				flinkJob(p, "enrich")
				p.series(`flink_taskmanager_job_task_backPressuredTimeMsPerSecond{job_id="a",job_name="enrich",task_name="Source: in"}`, 800, 800, 800, 800, 800, 800)
				p.series(`flink_jobmanager_job_numRestarts{job_id="a",job_name="enrich"}`, 0, 0, 0, 0, 0, 1)
				p.series(`flink_job_state{job_id="a",job_name="enrich",state="RESTARTING"}`, 0, 0, 0, 0, 0, 1)
			},
			health: topology.HealthCritical,
			reason: "job RESTARTING, 1 restart in 10m, back-pressured 800ms/s",
		},
		{
			name: "storm topology failing tuples",
			id:   "job:storm/price-cache",
			seed: func(p *platform) {
				p.series(`pipewatch_stream_job_topic_info{system="storm",job_name="price-cache",component="kafka-spout",topic="hotel-search-log",direction="in"}`, 1, 1, 1, 1, 1, 1)
				p.seriesEvery(every15s, `storm_topology_spouts_failed{topology_id="pc-1",topology_name="price-cache",spout_id="kafka-spout"}`, ramp(minute5At15s, 0, 15)...)
				p.seriesEvery(every15s, `storm_topology_bolts_failed{topology_id="pc-1",topology_name="price-cache",bolt_id="writer"}`, ramp(minute5At15s, 0, 30)...)
			},
			health: topology.HealthWarn,
			reason: "failing 3 tuples/s",
		},
		{
			name: "storm topology failing none",
			id:   "job:storm/price-cache",
			seed: func(p *platform) {
				p.series(`pipewatch_stream_job_topic_info{system="storm",job_name="price-cache",component="kafka-spout",topic="hotel-search-log",direction="in"}`, 1, 1, 1, 1, 1, 1)
				p.seriesEvery(every15s, `storm_topology_spouts_failed{topology_id="pc-1",topology_name="price-cache",spout_id="kafka-spout"}`, ramp(minute5At15s, 7, 0)...)
			},
			health: topology.HealthOK,
		},
		{
			name: "spark batches slower than the interval",
			id:   "job:spark/nginx-abuse",
			seed: func(p *platform) {
				p.series(`spark_streaming_batch_duration_seconds{application_id="app-1",application_name="nginx-abuse"}`, 2, 2, 2, 2, 2, 2)
				p.series(`spark_streaming_avg_processing_time_seconds{application_id="app-1",application_name="nginx-abuse"}`, 1.1, 1.2, 1.5, 2.1, 2.4, 2.6)
			},
			health: topology.HealthWarn,
			reason: "batches take 2.6s, interval 2s",
		},
		{
			name: "spark batches within the interval",
			id:   "job:spark/nginx-abuse",
			seed: func(p *platform) {
				p.series(`spark_streaming_batch_duration_seconds{application_id="app-1",application_name="nginx-abuse"}`, 2, 2, 2, 2, 2, 2)
				p.series(`spark_streaming_avg_processing_time_seconds{application_id="app-1",application_name="nginx-abuse"}`, 1.1, 1.2, 1.2, 1.1, 1.3, 1.2)
			},
			health: topology.HealthOK,
		},
		{
			name: "spark structured streaming query falling behind",
			id:   "job:spark/click-dedup",
			seed: func(p *platform) {
				p.series(`spark_structured_streaming_input_rate{application_id="app-2",application_name="click-dedup",query_name="dedup"}`, 1000, 1000, 1000, 1000, 1000, 1000)
				p.series(`spark_structured_streaming_processing_rate{application_id="app-2",application_name="click-dedup",query_name="dedup"}`, 900, 700, 600, 600, 500, 500)
			},
			health: topology.HealthWarn,
			reason: "queries process 580 rows/s of 1.0k arriving",
		},
		{
			name: "spark structured streaming query keeping up",
			id:   "job:spark/click-dedup",
			seed: func(p *platform) {
				p.series(`spark_structured_streaming_input_rate{application_id="app-2",application_name="click-dedup",query_name="dedup"}`, 1000, 1000, 1000, 1000, 1000, 1000)
				p.series(`spark_structured_streaming_processing_rate{application_id="app-2",application_name="click-dedup",query_name="dedup"}`, 1400, 1300, 1200, 1250, 1300, 1200)
			},
			health: topology.HealthOK,
		},
		{
			name: "logstash output rejected by elasticsearch",
			id:   "job:logstash/nginx",
			seed: func(p *platform) {
				logstashPipeline(p)
				p.seriesEvery(every15s, `logstash_stats_pipeline_plugin_bulk_requests_responses{pipeline="nginx",plugin_type="output",plugin="elasticsearch",plugin_id="es-out",code="429"}`, ramp(minute5At15s, 0, 30)...)
				p.seriesEvery(every15s, `logstash_stats_pipeline_plugin_bulk_requests_responses{pipeline="nginx",plugin_type="output",plugin="elasticsearch",plugin_id="es-out",code="200"}`, ramp(minute5At15s, 0, 300)...)
			},
			health: topology.HealthWarn,
			reason: "ES bulk rejects 2/s",
		},
		{
			name: "logstash pipeline writing fine",
			id:   "job:logstash/nginx",
			seed: func(p *platform) {
				logstashPipeline(p)
				p.seriesEvery(every15s, `logstash_stats_pipeline_plugin_bulk_requests_responses{pipeline="nginx",plugin_type="output",plugin="elasticsearch",plugin_id="es-out",code="200"}`, ramp(minute5At15s, 0, 300)...)
			},
			health: topology.HealthOK,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPlatform(t)
			seedHotel(p)
			tc.seed(p)
			g := p.build(nil, 5, "")
			n := node(g, tc.id)
			if n == nil {
				t.Fatalf("missing node %s", tc.id)
			}
			if n.Health != tc.health || n.Reason != tc.reason {
				t.Errorf("%s is %s %q, want %s %q (stats %v)", tc.id, n.Health, n.Reason, tc.health, tc.reason, n.Stats)
			}
		})
	}
}

// logstashPipeline writes what the Logstash collector emits for the
// topology for a pipeline "nginx" with a Kafka input and an Elasticsearch
// output.
func logstashPipeline(p *platform) {
	p.series(`pipewatch_stream_job_topic_info{system="logstash",job_name="nginx",component="kafka",plugin_id="kafka-in",direction="in"}`, 1, 1, 1, 1, 1, 1)
	p.series(`pipewatch_stream_job_topic_info{system="logstash",job_name="nginx",component="elasticsearch",plugin_id="es-out",direction="out"}`, 1, 1, 1, 1, 1, 1)
}

func TestJobsWithoutTopics(t *testing.T) {
	p := newPlatform(t)
	seedHotel(p)
	logstashPipeline(p)
	p.series(`spark_streaming_batch_duration_seconds{application_id="app-1",application_name="nginx-abuse-detect"}`, 2, 2)
	p.series(`spark_structured_streaming_input_rate{application_id="app-2",application_name="click-dedup",query_name="dedup"}`, 10, 10)
	nginx := topology.Module{Name: "nginx-access", Topics: []string{"nginx.access.log"}, Jobs: []string{"logstash/nginx"}, Sinks: []string{"es:nginx-access-*"}}

	for _, tc := range []struct {
		name   string
		mods   []topology.Module
		id     string
		module string
		edges  map[string]topology.EdgeState
	}{
		{
			name: "logstash pipeline alone, with its plugins", id: "job:logstash/nginx", module: "nginx",
			edges: map[string]topology.EdgeState{},
		},
		{
			name: "spark application alone", id: "job:spark/nginx-abuse-detect", module: "nginx-abuse-detect",
			edges: map[string]topology.EdgeState{},
		},
		{
			name: "spark application running only structured streaming queries", id: "job:spark/click-dedup", module: "click-dedup",
			edges: map[string]topology.EdgeState{},
		},
		{
			name: "logstash pipeline declared in a module", mods: []topology.Module{nginx}, id: "job:logstash/nginx", module: "nginx-access",
			edges: map[string]topology.EdgeState{
				"topic:nginx.access.log->job:logstash/nginx": topology.EdgeDeclared,
				"job:logstash/nginx->sink:es:nginx-access-*": topology.EdgeDeclared,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := p.build(tc.mods, 1, "")
			n := node(g, tc.id)
			if n == nil {
				t.Fatalf("missing node %s", tc.id)
			}
			if !n.Observed || n.Module != tc.module || n.Health != topology.HealthOK {
				t.Errorf("%s: observed %v module %q health %s; want observed in %q, ok", tc.id, n.Observed, n.Module, n.Health, tc.module)
			}
			for _, e := range g.Edges {
				if (e.Source == tc.id || e.Target == tc.id) && tc.edges[e.ID] != e.State {
					t.Errorf("edge %s %s, want %q", e.ID, e.State, tc.edges[e.ID])
				}
			}
			for id := range tc.edges {
				if edge(g, id) == nil {
					t.Errorf("missing edge %s", id)
				}
			}
		})
	}
	g := p.build(nil, 1, "")
	if n := node(g, "job:logstash/nginx"); !slices.Equal(n.Components, []string{"elasticsearch", "kafka"}) {
		t.Errorf("logstash job components = %q", n.Components)
	}
}

func TestESIndexSinks(t *testing.T) {
	p := newPlatform(t)
	seedHotel(p)
	for _, ix := range []struct {
		cluster, index string
		perStep        float64
	}{
		{"logs", "hotel-search-2026.12.06", 0},
		{"logs", "hotel-search-2026.12.07", 150},
		{"logs", "hotel-search-000012", 30},
		{"logs", "products", 15},
		{"logs", ".kibana_1", 0},
		{"logs", ".ds-logs-nginx-default-2026.12.07-000001", 0},
		{"archive", "hotel-search-2026.11", 0},
	} {
		p.seriesEvery(every15s, fmt.Sprintf(`elasticsearch_indices_docs_primary{cluster=%q,index=%q}`, ix.cluster, ix.index), ramp(minute5At15s, 100, ix.perStep)...)
		p.seriesEvery(every15s, fmt.Sprintf(`elasticsearch_index_stats_indexing_index_total{cluster=%q,index=%q}`, ix.cluster, ix.index), ramp(minute5At15s, 100, ix.perStep)...)
	}
	logs, archive := "sink:logs/es:hotel-search-*", "sink:archive/es:hotel-search-*"

	for _, tc := range []struct {
		name  string
		sinks []string
		// claimed are the observed sinks the declaration claims; without
		// any, the declared-only sink "sink:<declared>" is made.
		claimed []string
	}{
		{"family pattern", []string{"es:hotel-search-*"}, []string{logs, archive}},
		{"base name", []string{"es:hotel-search"}, []string{logs, archive}},
		{"one concrete index", []string{"es:hotel-search-2026.12.08"}, []string{logs, archive}},
		{"wider glob", []string{"es:hotel-*"}, []string{logs, archive}},
		{"glob with a star inside", []string{"es:*-search-*"}, []string{logs, archive}},
		{"glob matching another family only", []string{"es:prod*"}, []string{"sink:logs/es:products"}},
		{"data stream", []string{"es:logs-nginx-default"}, []string{"sink:logs/es:logs-nginx-default-*"}},
		{"nothing observed", []string{"es:flight-orders-*"}, nil},
		{"not elasticsearch", []string{"hdfs:/logs/hotel"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mod := hotelModule()
			mod.Sinks = tc.sinks
			g := p.build([]topology.Module{mod}, 5, "")
			for _, id := range tc.claimed {
				n := node(g, id)
				if n == nil || !n.Observed || !n.Declared || n.Module != "hotel-search" {
					t.Errorf("sink %s = %+v, want it observed and claimed by hotel-search", id, n)
				}
				if e := edge(g, "group:prod/hotel-indexer->"+id); e == nil || e.State != topology.EdgeDeclared {
					t.Errorf("edge from the indexer to %s = %+v", id, e)
				}
			}
			declaredOnly := node(g, "sink:"+tc.sinks[0])
			if (declaredOnly != nil) != (len(tc.claimed) == 0) {
				t.Errorf("declared-only sink %s = %+v with %d observed claimed", tc.sinks[0], declaredOnly, len(tc.claimed))
			}
		})
	}

	g := p.build(nil, 5, "")
	for _, tc := range []struct {
		id     string
		module string
		inRate float64
	}{
		{logs, "hotel-search", 12}, // 10/s + 2/s over the family's indices
		{archive, "hotel-search", 0},
		{"sink:logs/es:products", "products", 1},
		{"sink:logs/es:logs-nginx-default-*", "logs-nginx-default", 0},
	} {
		n := node(g, tc.id)
		if n == nil {
			t.Errorf("missing sink %s", tc.id)
			continue
		}
		if n.Module != tc.module || math.Abs(n.Stats["in_rate"]-tc.inRate) > 1e-9 {
			t.Errorf("sink %s in module %q with in_rate %v, want %q, %v", tc.id, n.Module, n.Stats["in_rate"], tc.module, tc.inRate)
		}
	}
	for _, n := range g.Nodes {
		if n.Name == "es:.kibana_1" {
			t.Errorf("system index as sink %s", n.ID)
		}
	}
}

func TestESSinkHealth(t *testing.T) {
	// writeRejects seeds the write pool's rejected count of a node of
	// cluster rising by perSec.
	writeRejects := func(p *platform, cluster, node string, perSec float64) {
		p.seriesEvery(every15s, fmt.Sprintf(`elasticsearch_thread_pool_rejected_count{cluster=%q,name=%q,type="write"}`, cluster, node), ramp(minute5At15s, 40, 15*perSec)...)
		p.seriesEvery(every15s, fmt.Sprintf(`elasticsearch_thread_pool_rejected_count{cluster=%q,name=%q,type="search"}`, cluster, node), ramp(minute5At15s, 0, 150)...)
	}
	color := func(p *platform, cluster, c string) {
		for _, col := range []string{"green", "yellow", "red"} {
			v := 0.0
			if col == c {
				v = 1
			}
			p.series(fmt.Sprintf(`elasticsearch_cluster_health_status{cluster=%q,color=%q}`, cluster, col), v, v, v, v, v, v)
		}
	}
	index := func(p *platform, cluster, index string) {
		p.series(fmt.Sprintf(`elasticsearch_indices_docs_primary{cluster=%q,index=%q}`, cluster, index), 1, 1, 1, 1, 1, 1)
	}
	for _, tc := range []struct {
		name   string
		seed   func(p *platform)
		id     string
		health topology.Health
		reason string
	}{
		{
			name: "one cluster rejecting writes",
			seed: func(p *platform) {
				color(p, "logs", "green")
				writeRejects(p, "logs", "es-1", 20)
				writeRejects(p, "logs", "es-2", 4)
			},
			id: "sink:es:hotel-search-*", health: topology.HealthWarn, reason: "ES write rejects 24/s",
		},
		{
			name: "one cluster red",
			seed: func(p *platform) {
				color(p, "logs", "red")
				writeRejects(p, "logs", "es-1", 0)
			},
			id: "sink:es:hotel-search-*", health: topology.HealthCritical, reason: "ES cluster logs red",
		},
		{
			name: "one cluster red and rejecting",
			seed: func(p *platform) {
				color(p, "logs", "red")
				writeRejects(p, "logs", "es-1", 0.5)
			},
			id: "sink:es:hotel-search-*", health: topology.HealthCritical, reason: "ES cluster logs red, ES write rejects 0.5/s",
		},
		{
			name: "one healthy cluster",
			seed: func(p *platform) {
				color(p, "logs", "yellow")
				writeRejects(p, "logs", "es-1", 0)
			},
			id: "sink:es:hotel-search-*", health: topology.HealthOK,
		},
		{
			name: "several clusters and no index evidence",
			seed: func(p *platform) {
				color(p, "logs", "green")
				color(p, "metrics", "red")
				writeRejects(p, "logs", "es-1", 5)
			},
			id: "sink:es:hotel-search-*", health: topology.HealthUnknown, reason: "declared but not seen",
		},
		{
			name: "several clusters, the sink's indices on a healthy one",
			seed: func(p *platform) {
				color(p, "logs", "green")
				color(p, "metrics", "red")
				writeRejects(p, "logs", "es-1", 0)
				writeRejects(p, "metrics", "es-9", 5)
				index(p, "logs", "hotel-search-2026.12.07")
			},
			id: "sink:logs/es:hotel-search-*", health: topology.HealthOK,
		},
		{
			name: "several clusters, the sink's indices on a rejecting one",
			seed: func(p *platform) {
				color(p, "logs", "green")
				color(p, "metrics", "green")
				writeRejects(p, "logs", "es-1", 0)
				writeRejects(p, "metrics", "es-9", 6.53)
				index(p, "metrics", "hotel-search-2026.12.07")
			},
			id: "sink:metrics/es:hotel-search-*", health: topology.HealthWarn, reason: "ES write rejects 6.5/s",
		},
		{
			name: "no elasticsearch at all",
			seed: func(*platform) {},
			id:   "sink:es:hotel-search-*", health: topology.HealthUnknown, reason: "declared but not seen",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPlatform(t)
			seedHotel(p)
			tc.seed(p)
			// At minute 1, before hotel-flink stalls, the sink is the
			// module's only trouble.
			g := p.build([]topology.Module{hotelModule()}, 1, "")
			n := node(g, tc.id)
			if n == nil {
				t.Fatalf("missing node %s", tc.id)
			}
			if n.Health != tc.health || n.Reason != tc.reason {
				t.Errorf("%s is %s %q, want %s %q (stats %v)", tc.id, n.Health, n.Reason, tc.health, tc.reason, n.Stats)
			}
			if m := module(g, "hotel-search"); tc.health == topology.HealthWarn && (m.Health != topology.HealthWarn || m.WorstHop != tc.id) {
				t.Errorf("module = %+v, want the sink as worst hop", m)
			}
		})
	}
}

func TestTopicOutRate(t *testing.T) {
	p := newPlatform(t)
	p.series(`kafka_topic_partitions{cluster="prod",topic="clicks"}`, 4, 4, 4, 4, 4, 4)
	p.seriesEvery(every15s, `kafka_topic_partition_current_offset{cluster="prod",topic="clicks",partition="0"}`, ramp(minute5At15s, 0, 150)...)
	p.seriesEvery(every15s, `kafka_consumergroup_current_offset{cluster="prod",consumergroup="clicks-a",topic="clicks",partition="0"}`, ramp(minute5At15s, 0, 150)...)
	p.seriesEvery(every15s, `kafka_consumergroup_current_offset{cluster="prod",consumergroup="clicks-b",topic="clicks",partition="0"}`, ramp(minute5At15s, 0, 75)...)
	g := p.build(nil, 5, "")
	n := node(g, "topic:prod/clicks")
	if n == nil {
		t.Fatal("missing topic")
	}
	for stat, want := range map[string]float64{"in_rate": 10, "out_rate": 15} {
		if got, ok := n.Stats[stat]; !ok || math.Abs(got-want) > 1e-9 {
			t.Errorf("topic %s = %v, want %v (stats %v)", stat, got, want, n.Stats)
		}
	}
	ng := topology.ToNodeGraph(g)
	for _, row := range ng.Nodes {
		if row.ID == n.ID && (row.MainStat != "10/s" || row.SecondaryStat != "out 15/s") {
			t.Errorf("node graph row = %+v", row)
		}
	}
}

func TestFiringAlertsAttachToJobs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		alert  string
		id     string
		health topology.Health
	}{
		{"flink", `ALERTS{alertname="FlinkJobRestarting",alertstate="firing",severity="warning",job="flink/rt",job_name="enrich"}`, "job:flink/enrich", topology.HealthWarn},
		{"storm", `ALERTS{alertname="StormTuplesFailing",alertstate="firing",severity="critical",job="storm/st",topology_name="price-cache"}`, "job:storm/price-cache", topology.HealthCritical},
		{"spark", `ALERTS{alertname="SparkStreamingFallingBehind",alertstate="firing",severity="warning",job="spark/ss",application_name="nginx-abuse"}`, "job:spark/nginx-abuse", topology.HealthWarn},
		{"another collector's label is not a job", `ALERTS{alertname="X",alertstate="firing",severity="critical",job="elasticsearch/logs",job_name="enrich"}`, "job:flink/enrich", topology.HealthOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPlatform(t)
			seedHotel(p)
			flinkJob(p, "enrich")
			p.series(`pipewatch_stream_job_topic_info{system="storm",job_name="price-cache",component="kafka-spout",topic="hotel-search-log",direction="in"}`, 1, 1)
			p.series(`spark_streaming_batch_duration_seconds{application_id="app-1",application_name="nginx-abuse"}`, 2, 2)
			p.series(tc.alert, 1, 1)
			g := p.build(nil, 1, "")
			n := node(g, tc.id)
			if n == nil {
				t.Fatalf("missing node %s", tc.id)
			}
			if n.Health != tc.health || (tc.health != topology.HealthOK) != (len(n.Alerts) == 1) {
				t.Errorf("%s is %s %q with alerts %v, want %s", tc.id, n.Health, n.Reason, n.Alerts, tc.health)
			}
		})
	}
}
