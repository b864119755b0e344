package topology

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// figure is one health query: its result is stored under stat on the node
// or edge each sample belongs to.
type figure struct {
	stat string
	expr string
	// target finds the node or edge ID a sample belongs to, or the
	// esClusterPrefix and an Elasticsearch cluster's name.
	target func(l labels.Labels) string
	// status, when set, names the label whose value becomes the target
	// node's Status; the value is then not stored and stat only names
	// the query.
	status string
	// sum adds up the values of samples with the same target (the
	// indices of one index family) instead of keeping the last.
	sum bool
}

func topicOf(l labels.Labels) string {
	return nodeID(KindTopic, l.Get("cluster"), l.Get("topic"))
}

func groupOf(l labels.Labels) string {
	return nodeID(KindGroup, l.Get("cluster"), l.Get("consumergroup"))
}

func consumeEdgeOf(l labels.Labels) string { return edgeID(topicOf(l), groupOf(l)) }

// jobOf returns the target of a job collector's series: the job node
// "job:<system>/<name>" named by label, as the stream_jobs observer names
// it.
func jobOf(system, label string) func(l labels.Labels) string {
	return func(l labels.Labels) string { return nodeID(KindJob, "", system+"/"+l.Get(label)) }
}

// indexSinkOf is the sink of a per-index series: its index family in its
// Elasticsearch cluster.
func indexSinkOf(l labels.Labels) string {
	return nodeID(KindSink, l.Get("cluster"), esSinkName(IndexFamily(l.Get("index"))))
}

// esClusterPrefix starts the targets of figures about a whole Elasticsearch
// cluster, which annotate keeps in world.esClusters.
const esClusterPrefix = "escluster\xff"

func esClusterOf(l labels.Labels) string { return esClusterPrefix + l.Get("cluster") }

// figures is the explicit list of health figures read per build. Hops
// read the Kafka collector's per-topic sums (kafka_consumergroup_lag_sum,
// kafka_consumergroup_current_offset_sum), an eighth of the series of the
// per-partition families at 8 partitions a topic; only the time lag, a
// maximum, needs the partitions. Job, sink and forecast figures read small
// families (one series per job, task, pool or index) aggregated in the
// query.
func figures() []figure {
	flink := jobOf("flink", "job_name")
	return []figure{
		{stat: "in_rate", expr: `sum by (cluster, topic) (rate(kafka_topic_partition_current_offset[1m]))`, target: topicOf},
		{stat: "partitions", expr: `max by (cluster, topic) (kafka_topic_partitions)`, target: topicOf},
		{stat: "producers", expr: `max by (cluster, topic) (kafka_topic_producers)`, target: topicOf},
		{stat: "lag", expr: `sum by (cluster, consumergroup, topic) (kafka_consumergroup_lag_sum)`, target: consumeEdgeOf},
		{stat: "lag_before", expr: `sum by (cluster, consumergroup, topic) (kafka_consumergroup_lag_sum offset 2m)`, target: consumeEdgeOf},
		{stat: "lag_seconds", expr: `max by (cluster, consumergroup, topic) (kafka_consumergroup_lag_seconds)`, target: consumeEdgeOf},
		{stat: "rate", expr: `sum by (cluster, consumergroup, topic) (rate(kafka_consumergroup_current_offset_sum[1m]))`, target: consumeEdgeOf},
		{stat: "lag", expr: `sum by (cluster, consumergroup) (kafka_consumergroup_lag_sum)`, target: groupOf},
		{stat: "members", expr: `max by (cluster, consumergroup) (kafka_consumergroup_members)`, target: groupOf},
		{stat: "status", expr: statusExpr, target: groupOf, status: "status"},
		{stat: "eta_seconds", expr: etaExpr, target: consumeEdgeOf},

		{stat: "job_state", expr: flinkStateExpr, target: flink, status: "state"},
		{stat: "restarts_10m", expr: `sum by (job_name) (increase(flink_jobmanager_job_numRestarts[10m]))`, target: flink},
		{stat: "failed_checkpoints_10m", expr: `sum by (job_name) (increase(flink_jobmanager_job_numberOfFailedCheckpoints[10m]))`, target: flink},
		{stat: "backpressure_ms", expr: `max by (job_name) (avg_over_time(flink_taskmanager_job_task_backPressuredTimeMsPerSecond[2m]))`, target: flink},
		{stat: "failed_rate", expr: `sum by (topology_name) (rate({__name__=~"storm_topology_(spouts|bolts)_failed"}[2m]))`, target: jobOf("storm", "topology_name")},
		{stat: "batch_processing_seconds", expr: `max by (application_name) (spark_streaming_avg_processing_time_seconds)`, target: jobOf("spark", "application_name")},
		{stat: "batch_interval_seconds", expr: `max by (application_name) (spark_streaming_batch_duration_seconds)`, target: jobOf("spark", "application_name")},
		{stat: "query_input_rate", expr: `sum by (application_name) (avg_over_time(spark_structured_streaming_input_rate[5m]))`, target: jobOf("spark", "application_name")},
		{stat: "query_processing_rate", expr: `sum by (application_name) (avg_over_time(spark_structured_streaming_processing_rate[5m]))`, target: jobOf("spark", "application_name")},
		{stat: "es_rejects", expr: `sum by (pipeline) (rate(logstash_stats_pipeline_plugin_bulk_requests_responses{code="429"}[1m]))`, target: jobOf("logstash", "pipeline")},

		{stat: "in_rate", expr: `sum by (cluster, index) (rate(elasticsearch_index_stats_indexing_index_total[1m]))`, target: indexSinkOf, sum: true},
		{stat: "es_write_rejects", expr: `sum by (cluster) (rate(elasticsearch_thread_pool_rejected_count{type=~"write|bulk|index"}[1m]))`, target: esClusterOf},
		{stat: "es_red", expr: `max by (cluster) (elasticsearch_cluster_health_status{color="red"})`, target: esClusterOf},
	}
}

// Queries of annotate besides the plain figures.
const (
	statusExpr = `max by (cluster, consumergroup, status) (kafka_consumergroup_status) > 0`
	// etaExpr is the soonest predicted crossing of a hop's forecast rules
	// (rules' ETAMetric, e.g. from KafkaConsumerLagBreachForecast).
	etaExpr = `min by (cluster, consumergroup, topic) (pipewatch_forecast_eta_seconds{consumergroup!="",topic!=""})`
	// flinkStateExpr is the failure state of Flink jobs none of whose
	// instances (job ids of that name) runs.
	flinkStateExpr = `max by (job_name, state) (flink_job_state{state=~"FAILING|FAILED|RESTARTING|SUSPENDED"} == 1)` +
		` unless on (job_name) (flink_job_state{state="RUNNING"} == 1)`
	alertsExpr = `ALERTS{alertstate="firing"}`
)

// annotate sets every node's and edge's health, then every module's, from
// the results of figures() (figs, in that order) and alertsExpr, as fetched
// by Build. Topics get out_rate, the sum of their consumption hops' rates.
//
// Rules, in order (the first that applies sets the reason; later ones add
// to it or raise the health):
//  1. a consumer status of STOP, STALL or ERR makes the group and its
//     incoming edges critical; WARN or REWIND makes them warn;
//  2. lag in time at or above Thresholds.LagCritical is critical, at or
//     above LagWarn is warn ("lag 12m and rising" when it grew over the
//     last 2 minutes);
//  3. a forecast ETA of the hop (the soonest pipewatch_forecast_eta_seconds
//     of its cluster, consumergroup and topic, written by forecast rules
//     such as KafkaConsumerLagBreachForecast) is appended to the hop's
//     reason, after its lag ("consumer WARN, lag 56s and rising, ETA to
//     SLO 7m"; "SLO reached" at 0), and makes an ok hop warn;
//  4. Flink jobs: a job whose instances are all FAILING, FAILED,
//     RESTARTING or SUSPENDED is critical ("job FAILED"); 3 or more
//     restarts in the last 10 minutes are critical, 1 or 2 warn ("2
//     restarts in 10m"); failed checkpoints in the last 10 minutes warn
//     ("1 failed checkpoint in 10m"); back-pressure of its most
//     back-pressured task above 500 ms/s over the last 2 minutes warns
//     ("back-pressured 620ms/s");
//  5. Storm topologies failing tuples (spouts' and bolts' failed counts,
//     over 2 minutes) warn ("failing 3.5 tuples/s");
//  6. Spark Streaming applications whose average batch processing time
//     exceeds their batch interval warn ("batches take 2.6s, interval 2s"),
//     and so do those whose Structured Streaming queries process under
//     90% of the rows arriving, over 5 minutes ("queries process 580
//     rows/s of 1.0k arriving");
//  7. Logstash pipelines whose Elasticsearch outputs get bulk responses
//     429 warn ("ES bulk rejects 2.1/s");
//  8. "es:" sinks take the health of their Elasticsearch cluster's write
//     path: the cluster of their per-index series or, for sinks without
//     (declared only), the only Elasticsearch cluster when there is
//     exactly one; with several, such sinks stay unknown. A red cluster is
//     critical ("ES cluster logs red"); write, bulk or index thread pools
//     rejecting tasks (summed over the cluster's nodes over 1 minute)
//     warn ("ES write rejects 24/s"); otherwise the sink is ok;
//  9. a firing alert attached to a node (by its consumergroup or topic
//     label, or a job collector's job label and job name, see
//     attachAlert) makes it critical when the alert's severity is
//     critical or page, warn otherwise;
//  10. an observed node or edge with none of the above is ok; a node or
//     edge that is only declared stays unknown ("declared but not seen").
//
// Rules 4 to 7 match jobs by "job:<system>/<name>" as the stream_jobs and
// spark_streaming observers name them (Flink job_name, Storm
// topology_name, Spark application_name, Logstash pipeline); a job's
// reason lists its findings, worst first.
func (b *Builder) annotate(w *world, figs [][]Sample, alerts []Sample) {
	for i, f := range figures() {
		for _, s := range figs[i] {
			id := f.target(s.Labels)
			if n, ok := w.nodes[id]; ok {
				if f.status != "" {
					n.Status = s.Labels.Get(f.status)
				} else {
					addStat(&n.Stats, f.stat, s.Value, f.sum)
				}
			} else if e, ok := w.edges[id]; ok {
				addStat(&e.Stats, f.stat, s.Value, f.sum)
			} else if c, ok := strings.CutPrefix(id, esClusterPrefix); ok {
				st := w.esClusters[c]
				addStat(&st, f.stat, s.Value, f.sum)
				w.esClusters[c] = st
			}
		}
	}
	for _, e := range w.edges {
		if r, ok := e.Stats["rate"]; ok {
			if t := w.nodes[e.Source]; t.Kind == KindTopic {
				addStat(&t.Stats, "out_rate", r, true)
			}
		}
	}

	for _, e := range w.edges {
		b.edgeHealth(w, e)
	}
	for _, n := range w.nodes {
		nodeHealth(n)
		switch n.Kind {
		case KindJob:
			raise(n, jobFindings(n))
		case KindSink:
			w.sinkHealth(n)
		}
	}
	for _, a := range alerts {
		attachAlert(w, a.Labels)
	}
	// A group is as bad as the worst hop into it.
	for _, e := range w.edges {
		if n := w.nodes[e.Target]; n.Kind == KindGroup && e.Health.rank() > n.Health.rank() {
			n.Health, n.Reason = e.Health, e.Reason
		}
	}
	w.summarize()
}

// addStat stores v under k in *m, or adds it to what is there with sum.
func addStat(m *map[string]float64, k string, v float64, sum bool) {
	if math.IsNaN(v) {
		return
	}
	if *m == nil {
		*m = map[string]float64{}
	}
	if sum {
		v += (*m)[k]
	}
	(*m)[k] = v
}

func (b *Builder) edgeHealth(w *world, e *Edge) {
	if e.State == EdgeDeclared {
		e.Health, e.Reason = HealthUnknown, "declared but not seen"
		return
	}
	e.Health = HealthOK
	target := w.nodes[e.Target]
	switch target.Status {
	case "STOP", "STALL", "ERR":
		e.Health, e.Reason = HealthCritical, "consumer "+target.Status
	case "WARN", "REWIND":
		e.Health, e.Reason = HealthWarn, "consumer "+target.Status
	}
	var lagReason string
	lagSaid := false
	if lagSec, ok := e.Stats["lag_seconds"]; ok {
		lag := time.Duration(lagSec * float64(time.Second))
		h := HealthOK
		switch {
		case lag >= b.opts.Thresholds.LagCritical:
			h = HealthCritical
		case lag >= b.opts.Thresholds.LagWarn:
			h = HealthWarn
		}
		lagReason = "lag " + formatDuration(lag)
		if e.Stats["lag"] > e.Stats["lag_before"] && e.Stats["lag"] > 0 {
			lagReason += " and rising"
		}
		switch {
		case h.rank() > e.Health.rank():
			e.Health, e.Reason, lagSaid = h, lagReason, true
		case e.Health != HealthOK && h != HealthOK:
			e.Reason, lagSaid = e.Reason+", "+lagReason, true
		}
	}
	if eta, ok := e.Stats["eta_seconds"]; ok {
		if e.Health == HealthOK {
			e.Health, e.Reason = HealthWarn, ""
		}
		if !lagSaid {
			e.Reason = joinReasons(e.Reason, lagReason)
		}
		e.Reason = joinReasons(e.Reason, formatETA(eta))
	}
}

// formatETA renders a forecast's time to its threshold.
func formatETA(sec float64) string {
	if sec <= 0 {
		return "SLO reached"
	}
	return "ETA to SLO " + formatDuration(time.Duration(sec*float64(time.Second)))
}

func joinReasons(a, b string) string {
	if a == "" {
		return b
	}
	return a + ", " + b
}

// finding is one reason for a node's health.
type finding struct {
	health Health
	reason string
}

// raise makes n as bad as its worst finding, with all findings, worst
// first, as the reason.
func raise(n *Node, fs []finding) {
	if len(fs) == 0 {
		return
	}
	slices.SortStableFunc(fs, func(a, b finding) int { return b.health.rank() - a.health.rank() })
	if fs[0].health.rank() <= n.Health.rank() {
		return
	}
	reasons := make([]string, len(fs))
	for i, f := range fs {
		reasons[i] = f.reason
	}
	n.Health, n.Reason = fs[0].health, strings.Join(reasons, ", ")
}

// jobFindings applies rules 4 to 7 of annotate to a job node.
func jobFindings(n *Node) []finding {
	var fs []finding
	warn := func(r string) { fs = append(fs, finding{HealthWarn, r}) }
	st := n.Stats
	if n.Status != "" {
		fs = append(fs, finding{HealthCritical, "job " + n.Status})
	}
	switch r := math.Round(st["restarts_10m"]); {
	case r >= 3:
		fs = append(fs, finding{HealthCritical, plural(r, "restart") + " in 10m"})
	case r >= 1:
		warn(plural(r, "restart") + " in 10m")
	}
	if c := math.Round(st["failed_checkpoints_10m"]); c >= 1 {
		warn(plural(c, "failed checkpoint") + " in 10m")
	}
	if bp := st["backpressure_ms"]; bp > 500 {
		warn(fmt.Sprintf("back-pressured %.0fms/s", bp))
	}
	if f := st["failed_rate"]; f > 0 {
		warn("failing " + formatNum(f) + " tuples/s")
	}
	proc, okP := st["batch_processing_seconds"]
	interval, okI := st["batch_interval_seconds"]
	if okP && okI && proc > interval {
		warn("batches take " + formatNum(proc) + "s, interval " + formatNum(interval) + "s")
	}
	// Structured Streaming queries falling behind (the pack's
	// SparkStructuredStreamingFallingBehind, without its 10m hold).
	in, okIn := st["query_input_rate"]
	done, okDone := st["query_processing_rate"]
	if okIn && okDone && in > 0 && done < 0.9*in {
		warn("queries process " + formatNum(done) + " rows/s of " + formatNum(in) + " arriving")
	}
	if r := st["es_rejects"]; r > 0 {
		warn("ES bulk rejects " + formatNum(r) + "/s")
	}
	return fs
}

// sinkHealth applies rule 8 of annotate to a sink node.
func (w *world) sinkHealth(n *Node) {
	if !strings.HasPrefix(n.Name, "es:") {
		return
	}
	cluster := n.Cluster
	if cluster == "" {
		if len(w.esClusters) != 1 {
			return
		}
		for c := range w.esClusters {
			cluster = c
		}
	}
	st, ok := w.esClusters[cluster]
	if !ok {
		return
	}
	var fs []finding
	if st["es_red"] == 1 {
		fs = append(fs, finding{HealthCritical, "ES cluster " + cluster + " red"})
	}
	if r, ok := st["es_write_rejects"]; ok {
		addStat(&n.Stats, "es_write_rejects", r, false)
		if r > 0 {
			fs = append(fs, finding{HealthWarn, "ES write rejects " + formatNum(r) + "/s"})
		}
	}
	if len(fs) == 0 {
		n.Health, n.Reason = HealthOK, ""
		return
	}
	raise(n, fs)
}

func plural(n float64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%.0f %ss", n, word)
}

// formatNum renders a figure compactly: 0.05, 2.6, 24, 1.2k.
func formatNum(v float64) string {
	if v >= 10 {
		return formatCount(v)
	}
	prec := 2
	if v >= 1 {
		prec = 1
	}
	s := strconv.FormatFloat(v, 'f', prec, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

func nodeHealth(n *Node) {
	switch {
	case !n.Observed:
		n.Health, n.Reason = HealthUnknown, "declared but not seen"
	case n.Status == "STOP" || n.Status == "STALL" || n.Status == "ERR":
		n.Health, n.Reason = HealthCritical, "consumer "+n.Status
	case n.Status == "WARN" || n.Status == "REWIND":
		n.Health, n.Reason = HealthWarn, "consumer "+n.Status
	default:
		n.Health = HealthOK
	}
}

// jobNameLabel is the label that names a job in the series of the
// collector of kind system (the first part of their job label).
func jobNameLabel(system string) string {
	switch system {
	case "flink":
		return "job_name"
	case "storm":
		return "topology_name"
	case "spark":
		return "application_name"
	case "logstash":
		return "pipeline"
	case "kafka_connect":
		return "connector"
	}
	return ""
}

// attachAlert attaches a firing alert to the nodes its labels name: its
// consumer group, else its topic, else the job its job-collector labels
// name (job="flink/<target>" and job_name, and likewise for Storm, Spark,
// Logstash and Kafka Connect).
func attachAlert(w *world, l labels.Labels) {
	h := HealthWarn
	if sev := l.Get("severity"); sev == "critical" || sev == "page" {
		h = HealthCritical
	}
	name := l.Get("alertname")
	var ids []string
	cluster := l.Get("cluster")
	if g := l.Get("consumergroup"); g != "" {
		ids = append(ids, nodeID(KindGroup, cluster, g))
	} else if t := l.Get("topic"); t != "" {
		ids = append(ids, nodeID(KindTopic, cluster, t))
	} else if system, _, ok := strings.Cut(l.Get("job"), "/"); ok && jobNameLabel(system) != "" {
		if name := l.Get(jobNameLabel(system)); name != "" {
			ids = append(ids, nodeID(KindJob, "", system+"/"+name))
		}
	}
	for _, id := range ids {
		n, ok := w.nodes[id]
		if !ok {
			continue
		}
		n.Alerts = append(n.Alerts, name)
		if h.rank() > n.Health.rank() {
			n.Health, n.Reason = h, "alert "+name
		}
	}
}

// summarize sets each module's health to its worst node or edge and names
// that hop; edges win ties, as they are where data gets stuck.
func (w *world) summarize() {
	for _, m := range w.modules {
		m.Health, m.WorstHop, m.Reason, m.Nodes = HealthUnknown, "", "", 0
	}
	worst := map[string]int{}
	consider := func(module, id string, h Health, reason string, edge bool) {
		m := w.modules[module]
		r := h.rank() * 2
		if edge {
			r++
		}
		if h == HealthUnknown {
			return
		}
		m.Health = worse(m.Health, h)
		if r > worst[module] && h != HealthOK {
			worst[module] = r
			m.WorstHop, m.Reason = id, reason
		}
	}
	for _, n := range w.sortedNodes() {
		if n.internal {
			continue
		}
		w.modules[n.Module].Nodes++
		consider(n.Module, n.ID, n.Health, n.Reason, false)
	}
	for _, e := range w.sortedEdges() {
		if t := w.nodes[e.Target]; t != nil && !t.internal && !w.nodes[e.Source].internal {
			consider(t.Module, e.ID, e.Health, e.Reason, true)
		}
	}
}

// formatDuration renders a lag compactly: 45s, 12m, 3h5m.
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	default:
		h := int(d.Hours())
		m := int(d.Minutes()) - 60*h
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	}
}
