package logstash

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/collector/jvm"
)

// Options are a Collector's dependencies.
type Options struct {
	// Client performs the requests; nil means a client built from the
	// configuration's HTTP settings with httpclient.New. The Manager's
	// timeout applies through the request context.
	Client *http.Client
}

// Collector collects one Logstash node through its monitoring API.
type Collector struct {
	rest  *httpclient.Fetcher
	descs *descs
	jvm   *jvm.Emitter
}

// New returns a Collector for the node cfg describes. It reads the files
// cfg's HTTP settings name (passwords, certificates) unless opts.Client is
// given.
func New(cfg *Config, opts Options) (*Collector, error) {
	rest, err := cfg.NewFetcher(opts.Client, 1)
	if err != nil {
		return nil, fmt.Errorf("logstash %q: %w", cfg.Name, err)
	}
	return &Collector{rest: rest, descs: newDescs(), jvm: jvm.NewEmitter()}, nil
}

// Collect reads /_node/stats once. A response that cannot be read or has no
// pipelines field fails the round; a pipeline of an unexpected shape makes
// it partial, keeping the node's figures and the other pipelines.
func (c *Collector) Collect(ctx context.Context, b *collector.Batch) error {
	var ns nodeStats
	err := c.rest.GetJSON(ctx, "/_node/stats", &ns)
	if err == nil && ns.Pipelines == nil {
		err = errors.New("decode body of /_node/stats: no pipelines field")
	}
	if err != nil {
		return fmt.Errorf("fetch node stats: %w", err)
	}
	c.emitNode(b, &ns)
	var errs []error
	for _, id := range slices.Sorted(maps.Keys(*ns.Pipelines)) {
		var p pipeline
		if err := json.Unmarshal((*ns.Pipelines)[id], &p); err != nil {
			errs = append(errs, fmt.Errorf("decode stats of pipeline %q: %w", id, err))
			continue
		}
		c.emitPipeline(b, id, &p)
	}
	return collector.Partial(errors.Join(errs...))
}

// emit adds v to b if it was reported.
func emit(b *collector.Batch, d *collector.Desc, n number, lv ...string) {
	if n.Set {
		b.Emit(d, n.V, lv...)
	}
}

func (c *Collector) emitNode(b *collector.Batch, ns *nodeStats) {
	d := c.descs
	if ns.ID != "" || ns.Name != "" || ns.Version != "" {
		b.Emit(d.infoNode, 1, ns.Name, ns.Version, ns.HTTPAddress, ns.Host, ns.ID)
	}
	if ns.Status != "" {
		b.Emit(d.infoStatus, 1, ns.Status)
	}
	emit(b, d.infoWorkers, ns.Pipeline.Workers)
	emit(b, d.infoBatchSize, ns.Pipeline.BatchSize)
	emit(b, d.infoBatchDelay, ns.Pipeline.BatchDelay)

	j := &ns.JVM
	emit(b, d.jvmThreads, j.Threads.Count)
	emit(b, d.jvmThreadsPeak, j.Threads.PeakCount)
	emit(b, d.heapUsedPercent, j.Mem.HeapUsedPercent)
	emit(b, d.heapCommitted, j.Mem.HeapCommitted)
	emit(b, d.heapMax, j.Mem.HeapMax)
	emit(b, d.heapUsed, j.Mem.HeapUsed)
	emit(b, d.nonHeapCommitted, j.Mem.NonHeapCommitted)
	for _, name := range slices.Sorted(maps.Keys(j.Mem.Pools)) {
		p := j.Mem.Pools[name]
		emit(b, d.poolPeakUsed, p.PeakUsed, name)
		emit(b, d.poolUsed, p.Used, name)
		emit(b, d.poolPeakMax, p.PeakMax, name)
		emit(b, d.poolMax, p.Max, name)
		emit(b, d.poolCommitted, p.Committed, name)
	}
	emit(b, d.jvmUptime, j.UptimeInMillis)

	p := &ns.Process
	emit(b, d.openFDs, p.OpenFileDescriptors)
	emit(b, d.maxFDs, p.MaxFileDescriptors)
	emit(b, d.cpuPercent, p.CPU.Percent)
	emit(b, d.cpuMillis, p.CPU.TotalInMillis)
	emit(b, d.load1, p.CPU.LoadAverage["1m"])
	emit(b, d.load5, p.CPU.LoadAverage["5m"])
	emit(b, d.load15, p.CPU.LoadAverage["15m"])
	emit(b, d.memVirtual, p.Mem.TotalVirtual)

	emit(b, d.reloadSuccesses, ns.Reloads.Successes)
	emit(b, d.reloadFailures, ns.Reloads.Failures)
	emit(b, d.queueEvents, ns.Queue.EventsCount)
	emit(b, d.eventsIn, ns.Events.In)
	emit(b, d.eventsFiltered, ns.Events.Filtered)
	emit(b, d.eventsOut, ns.Events.Out)
	emit(b, d.eventsDuration, ns.Events.Duration)
	emit(b, d.eventsQueuePush, ns.Events.QueuePushDuration)
	for _, f := range flowNames {
		fl := ns.Flow[f]
		emit(b, d.nodeFlow[f][0], fl.Current)
		emit(b, d.nodeFlow[f][1], fl.Lifetime)
	}

	c.jvm.Emit(b, jvmStats(ns))
}

// jvmStats maps the node's JVM and process sections onto package jvm's
// names; pools and collectors keep Logstash's names (young, survivor, old).
func jvmStats(ns *nodeStats) *jvm.Stats {
	s := jvm.NewStats()
	m := &ns.JVM.Mem
	s.Heap.Used, s.Heap.Committed, s.Heap.Max = orNaN(m.HeapUsed), orNaN(m.HeapCommitted), orNaN(m.HeapMax)
	s.NonHeap.Used, s.NonHeap.Committed = orNaN(m.NonHeapUsed), orNaN(m.NonHeapCommitted)
	for _, name := range slices.Sorted(maps.Keys(m.Pools)) {
		p := m.Pools[name]
		u := jvm.NewUsage()
		u.Used, u.Committed, u.Max = orNaN(p.Used), orNaN(p.Committed), orNaN(p.Max)
		s.Pools = append(s.Pools, jvm.Pool{Name: name, Usage: u})
	}
	for _, name := range slices.Sorted(maps.Keys(ns.JVM.GC.Collectors)) {
		g := ns.JVM.GC.Collectors[name]
		secs := orNaN(g.Millis)
		s.GC = append(s.GC, jvm.GC{Name: name, Count: orNaN(g.Count), Seconds: secs / 1000})
	}
	s.ThreadsCurrent, s.ThreadsPeak = orNaN(ns.JVM.Threads.Count), orNaN(ns.JVM.Threads.PeakCount)
	s.CPUSeconds = orNaN(ns.Process.CPU.TotalInMillis) / 1000
	s.OpenFDs, s.MaxFDs = orNaN(ns.Process.OpenFileDescriptors), orNaN(ns.Process.MaxFileDescriptors)
	return &s
}

func (c *Collector) emitPipeline(b *collector.Batch, id string, p *pipeline) {
	d := c.descs
	b.Emit(d.pipeUp, pipelineUp(p), id)
	emit(b, d.pipeEventsOut, p.Events.Out, id)
	emit(b, d.pipeEventsFiltered, p.Events.Filtered, id)
	emit(b, d.pipeEventsIn, p.Events.In, id)
	emit(b, d.pipeEventsDuration, p.Events.Duration, id)
	emit(b, d.pipeEventsQueuePush, p.Events.QueuePushDuration, id)
	emit(b, d.pipeReloadSuccesses, p.Reloads.Successes, id)
	emit(b, d.pipeReloadFailures, p.Reloads.Failures, id)
	if t, ok := parseTime(p.Reloads.LastSuccessTimestamp); ok {
		b.Emit(d.pipeReloadLastSuccess, float64(t.Unix()), id)
	}
	if t, ok := parseTime(p.Reloads.LastFailureTimestamp); ok {
		b.Emit(d.pipeReloadLastFailure, float64(t.Unix()), id)
	}
	if q := p.Queue; q != nil {
		emit(b, d.pipeQueueEvents, q.EventsCount, id)
		emit(b, d.pipeQueueSize, q.QueueSizeInBytes, id)
		emit(b, d.pipeQueueMaxSize, q.MaxQueueSizeInBytes, id)
	}
	for _, f := range flowNames {
		fl, ok := p.Flow[f]
		if !ok {
			continue
		}
		emit(b, d.pipeFlow[f][0], fl.Current, id)
		emit(b, d.pipeFlow[f][1], fl.Lifetime, id)
	}
	if q := p.DeadLetterQueue; q != nil {
		emit(b, d.dlqMaxSize, q.MaxQueueSizeInBytes, id)
		emit(b, d.dlqSize, q.QueueSizeInBytes, id)
		emit(b, d.dlqDropped, q.DroppedEvents, id)
		emit(b, d.dlqExpired, q.ExpiredEvents, id)
	}

	c.emitTopology(b, id, p)
	for _, pl := range p.Plugins.Inputs {
		emit(b, d.pluginEventsOut, pl.Events.Out, "input", pl.Name, pl.ID, id)
		emit(b, d.pluginQueuePush, pl.Events.QueuePushDuration, "input", pl.Name, pl.ID, id)
	}
	for _, pl := range p.Plugins.Codecs {
		emit(b, d.pluginEventsIn, pl.Encode.WritesIn, "codec:encode", pl.Name, pl.ID, id)
		emit(b, d.pluginDuration, pl.Encode.Duration, "codec:encode", pl.Name, pl.ID, id)
		emit(b, d.pluginEventsIn, pl.Decode.WritesIn, "codec:decode", pl.Name, pl.ID, id)
		emit(b, d.pluginEventsOut, pl.Decode.Out, "codec:decode", pl.Name, pl.ID, id)
		emit(b, d.pluginDuration, pl.Decode.Duration, "codec:decode", pl.Name, pl.ID, id)
	}
	for _, pl := range p.Plugins.Filters {
		emit(b, d.pluginEventsIn, pl.Events.In, "filter", pl.Name, pl.ID, id)
		emit(b, d.pluginEventsOut, pl.Events.Out, "filter", pl.Name, pl.ID, id)
		emit(b, d.pluginDuration, pl.Events.Duration, "filter", pl.Name, pl.ID, id)
	}
	for _, pl := range p.Plugins.Outputs {
		emit(b, d.pluginEventsIn, pl.Events.In, "output", pl.Name, pl.ID, id)
		emit(b, d.pluginEventsOut, pl.Events.Out, "output", pl.Name, pl.ID, id)
		emit(b, d.pluginDuration, pl.Events.Duration, "output", pl.Name, pl.ID, id)
		for _, code := range slices.Sorted(maps.Keys(pl.BulkRequests.Responses)) {
			emit(b, d.pluginBulkResponses, pl.BulkRequests.Responses[code], "output", pl.Name, pl.ID, code, id)
		}
		emit(b, d.pluginBulkErrors, pl.BulkRequests.WithErrors, "output", pl.Name, pl.ID, id)
		emit(b, d.pluginBulkFailures, pl.BulkRequests.Failures, "output", pl.Name, pl.ID, id)
		emit(b, d.pluginDocsSuccesses, pl.Documents.Successes, "output", pl.Name, pl.ID, id)
		emit(b, d.pluginDocsNonRetryable, pl.Documents.NonRetryableFailures, "output", pl.Name, pl.ID, id)
	}
}

// emitTopology adds pipewatch_stream_job_topic_info for the pipeline's named
// input (direction "in") and output ("out") plugins, so that the topology
// shows the pipeline as a job with its plugins. Node stats name neither the
// topics a Kafka input reads nor the indices an Elasticsearch output
// writes, so the series have no topic and link the job to nothing.
// Logstash's own pipelines (ids starting with ".", such as
// .monitoring-logstash) carry no data of the platform and are left out.
func (c *Collector) emitTopology(b *collector.Batch, id string, p *pipeline) {
	if strings.HasPrefix(id, ".") {
		return
	}
	for _, dir := range []struct {
		plugins   []plugin
		direction string
	}{{p.Plugins.Inputs, "in"}, {p.Plugins.Outputs, "out"}} {
		for _, pl := range dir.plugins {
			if pl.Name != "" {
				b.Emit(c.descs.topicInfo, 1, "logstash", id, pl.Name, pl.ID, dir.direction)
			}
		}
	}
}

// pipelineUp is 1 unless the pipeline's last reload failed: a failure
// without a later success. Without reload timestamps (older versions) the
// pipeline counts as up, as the exporter decides.
func pipelineUp(p *pipeline) float64 {
	failure, okF := parseTime(p.Reloads.LastFailureTimestamp)
	if !okF {
		return 1
	}
	success, okS := parseTime(p.Reloads.LastSuccessTimestamp)
	if !okS || success.Before(failure) {
		return 0
	}
	return 1
}

func parseTime(s *string) (time.Time, bool) {
	if s == nil || *s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	return t, err == nil
}

// descs holds every description a Collector emits.
type descs struct {
	infoNode, infoStatus, infoWorkers, infoBatchSize, infoBatchDelay *collector.Desc

	jvmThreads, jvmThreadsPeak                                           *collector.Desc
	heapUsedPercent, heapCommitted, heapMax, heapUsed, nonHeapCommitted  *collector.Desc
	poolPeakUsed, poolUsed, poolPeakMax, poolMax, poolCommitted          *collector.Desc
	jvmUptime                                                            *collector.Desc
	openFDs, maxFDs, cpuPercent, cpuMillis, load1, load5, load15         *collector.Desc
	memVirtual, reloadSuccesses, reloadFailures, queueEvents             *collector.Desc
	eventsIn, eventsFiltered, eventsOut, eventsDuration, eventsQueuePush *collector.Desc
	nodeFlow                                                             map[string][2]*collector.Desc

	pipeUp, pipeEventsOut, pipeEventsFiltered, pipeEventsIn          *collector.Desc
	pipeEventsDuration, pipeEventsQueuePush                          *collector.Desc
	pipeReloadSuccesses, pipeReloadFailures                          *collector.Desc
	pipeReloadLastSuccess, pipeReloadLastFailure                     *collector.Desc
	pipeQueueEvents, pipeQueueSize, pipeQueueMaxSize                 *collector.Desc
	pipeFlow                                                         map[string][2]*collector.Desc
	dlqMaxSize, dlqSize, dlqDropped, dlqExpired                      *collector.Desc
	pluginEventsIn, pluginEventsOut, pluginDuration, pluginQueuePush *collector.Desc
	pluginDocsSuccesses, pluginDocsNonRetryable                      *collector.Desc
	pluginBulkErrors, pluginBulkFailures, pluginBulkResponses        *collector.Desc
	topicInfo                                                        *collector.Desc
}

// flowNames are the flow metrics collected, by their key in the stats and
// their name in the exporter's families.
var flowNames = []string{"input_throughput", "filter_throughput", "output_throughput", "queue_backpressure", "worker_concurrency", "worker_utilization"}

var flowShort = map[string]string{
	"input_throughput": "input", "filter_throughput": "filter", "output_throughput": "output",
	"queue_backpressure": "queue_backpressure", "worker_concurrency": "worker_concurrency", "worker_utilization": "worker_utilization",
}

var flowHelp = map[string]string{
	"input_throughput":   "events per second received by inputs",
	"filter_throughput":  "events per second passed through filters",
	"output_throughput":  "events per second sent by outputs",
	"queue_backpressure": "workers (on average) blocked pushing to the queue: input back-pressure",
	"worker_concurrency": "workers (on average) busy processing events",
	"worker_utilization": "percentage of worker capacity in use",
}

func newDescs() *descs {
	g, c := model.MetricTypeGauge, model.MetricTypeCounter
	n := func(name, help string, typ model.MetricType, labels ...string) *collector.Desc {
		return collector.NewDesc(name, help, typ, labels...)
	}
	pl := []string{"plugin_type", "plugin", "plugin_id", "pipeline"}
	d := &descs{
		infoNode:       n("logstash_info_node", "A metric with a constant '1' value labeled by node name, version, host, http_address, and id of the logstash instance.", g, "name", "version", "http_address", "host", "id"),
		infoStatus:     n("logstash_info_status", "A metric with a constant '1' value labeled by status.", g, "status"),
		infoWorkers:    n("logstash_info_pipeline_workers", "Number of worker threads that will process pipeline events.", g),
		infoBatchSize:  n("logstash_info_pipeline_batch_size", "Number of events to retrieve from the input queue before sending to the filter and output stages.", g),
		infoBatchDelay: n("logstash_info_pipeline_batch_delay", "Amount of time to wait for events to fill the batch before sending to the filter and output stages.", g),

		jvmThreads:       n("logstash_stats_jvm_threads_count", "Number of live threads including both daemon and non-daemon threads.", g),
		jvmThreadsPeak:   n("logstash_stats_jvm_threads_peak_count", "Peak live thread count since the Java virtual machine started or peak was reset.", g),
		heapUsedPercent:  n("logstash_stats_jvm_mem_heap_used_percent", "Percentage of the heap memory that is used.", g),
		heapCommitted:    n("logstash_stats_jvm_mem_heap_committed_bytes", "Amount of heap memory in bytes that is committed for the Java virtual machine to use.", g),
		heapMax:          n("logstash_stats_jvm_mem_heap_max_bytes", "Maximum amount of heap memory in bytes that can be used for memory management.", g),
		heapUsed:         n("logstash_stats_jvm_mem_heap_used_bytes", "Amount of used heap memory in bytes.", g),
		nonHeapCommitted: n("logstash_stats_jvm_mem_non_heap_committed_bytes", "Amount of non-heap memory in bytes that is committed for the Java virtual machine to use.", g),
		poolPeakUsed:     n("logstash_stats_jvm_mem_pool_peak_used_bytes", "Peak used bytes of a given JVM memory pool.", g, "pool"),
		poolUsed:         n("logstash_stats_jvm_mem_pool_used_bytes", "Currently used bytes of a given JVM memory pool.", g, "pool"),
		poolPeakMax:      n("logstash_stats_jvm_mem_pool_peak_max_bytes", "Highest value of bytes that were used in a given JVM memory pool.", g, "pool"),
		poolMax:          n("logstash_stats_jvm_mem_pool_max_bytes", "Maximum amount of bytes that can be used in a given JVM memory pool.", g, "pool"),
		poolCommitted:    n("logstash_stats_jvm_mem_pool_committed_bytes", "Amount of bytes that are committed for the Java virtual machine to use in a given JVM memory pool.", g, "pool"),
		jvmUptime:        n("logstash_stats_jvm_uptime_millis", "Uptime of the JVM in milliseconds.", g),
		openFDs:          n("logstash_stats_process_open_file_descriptors", "Number of currently open file descriptors.", g),
		maxFDs:           n("logstash_stats_process_max_file_descriptors", "Limit of open file descriptors.", g),
		cpuPercent:       n("logstash_stats_process_cpu_percent", "CPU usage of the process.", g),
		cpuMillis:        n("logstash_stats_process_cpu_total_millis", "Total CPU time used by the process.", c),
		load1:            n("logstash_stats_process_cpu_load_average_1m", "Total 1m system load average.", g),
		load5:            n("logstash_stats_process_cpu_load_average_5m", "Total 5m system load average.", g),
		load15:           n("logstash_stats_process_cpu_load_average_15m", "Total 15m system load average.", g),
		memVirtual:       n("logstash_stats_process_mem_total_virtual", "Total virtual memory used by the process.", g),
		reloadSuccesses:  n("logstash_stats_reload_successes", "Number of successful reloads.", c),
		reloadFailures:   n("logstash_stats_reload_failures", "Number of failed reloads.", c),
		queueEvents:      n("logstash_stats_queue_events_count", "Number of events in the queue.", g),
		eventsIn:         n("logstash_stats_events_in", "Number of events received.", g),
		eventsFiltered:   n("logstash_stats_events_filtered", "Number of events filtered out.", g),
		eventsOut:        n("logstash_stats_events_out", "Number of events out.", g),
		eventsDuration:   n("logstash_stats_events_duration_millis", "Duration of events processing in milliseconds.", g),
		eventsQueuePush:  n("logstash_stats_events_queue_push_duration_millis", "Duration of events push to queue in milliseconds.", g),
		nodeFlow:         map[string][2]*collector.Desc{},

		pipeUp:                n("logstash_stats_pipeline_up", "Whether the pipeline is up or not.", g, "pipeline"),
		pipeEventsOut:         n("logstash_stats_pipeline_events_out", "Number of events that have been processed by this pipeline.", c, "pipeline"),
		pipeEventsFiltered:    n("logstash_stats_pipeline_events_filtered", "Number of events that have been filtered out by this pipeline.", c, "pipeline"),
		pipeEventsIn:          n("logstash_stats_pipeline_events_in", "Number of events that have been inputted into this pipeline.", c, "pipeline"),
		pipeEventsDuration:    n("logstash_stats_pipeline_events_duration", "Time needed to process event.", g, "pipeline"),
		pipeEventsQueuePush:   n("logstash_stats_pipeline_events_queue_push_duration", "Time needed to push event to queue.", g, "pipeline"),
		pipeReloadSuccesses:   n("logstash_stats_pipeline_reloads_successes", "Number of successful pipeline reloads.", c, "pipeline"),
		pipeReloadFailures:    n("logstash_stats_pipeline_reloads_failures", "Number of failed pipeline reloads.", c, "pipeline"),
		pipeReloadLastSuccess: n("logstash_stats_pipeline_reloads_last_success_timestamp", "Timestamp of last successful pipeline reload.", g, "pipeline"),
		pipeReloadLastFailure: n("logstash_stats_pipeline_reloads_last_failure_timestamp", "Timestamp of last failed pipeline reload.", g, "pipeline"),
		pipeQueueEvents:       n("logstash_stats_pipeline_queue_events_count", "Number of events in the queue.", g, "pipeline"),
		pipeQueueSize:         n("logstash_stats_pipeline_queue_events_queue_size", "Current size of the queue in bytes (the persistent queue's disk use).", g, "pipeline"),
		pipeQueueMaxSize:      n("logstash_stats_pipeline_queue_max_size_in_bytes", "Maximum size of given queue in bytes.", g, "pipeline"),
		pipeFlow:              map[string][2]*collector.Desc{},
		dlqMaxSize:            n("logstash_stats_pipeline_dead_letter_queue_max_size_in_bytes", "Maximum size of the dead letter queue in bytes.", g, "pipeline"),
		dlqSize:               n("logstash_stats_pipeline_dead_letter_queue_size_in_bytes", "Current size of the dead letter queue in bytes.", g, "pipeline"),
		dlqDropped:            n("logstash_stats_pipeline_dead_letter_queue_dropped_events", "Number of events dropped by the dead letter queue.", c, "pipeline"),
		dlqExpired:            n("logstash_stats_pipeline_dead_letter_queue_expired_events", "Number of events expired in the dead letter queue.", c, "pipeline"),

		pluginEventsIn:         n("logstash_stats_pipeline_plugin_events_in", "Number of events received this pipeline.", c, pl...),
		pluginEventsOut:        n("logstash_stats_pipeline_plugin_events_out", "Number of events output by this pipeline.", c, pl...),
		pluginDuration:         n("logstash_stats_pipeline_plugin_events_duration", "Time spent processing events in this plugin.", c, pl...),
		pluginQueuePush:        n("logstash_stats_pipeline_plugin_events_queue_push_duration", "Time spent pushing events into the input queue.", g, pl...),
		pluginDocsSuccesses:    n("logstash_stats_pipeline_plugin_documents_successes", "Number of successful bulk requests.", c, pl...),
		pluginDocsNonRetryable: n("logstash_stats_pipeline_plugin_documents_non_retryable_failures", "Number of output events with non-retryable failures.", c, pl...),
		pluginBulkErrors:       n("logstash_stats_pipeline_plugin_bulk_requests_errors", "Number of bulk request errors.", c, pl...),
		pluginBulkFailures:     n("logstash_stats_pipeline_plugin_bulk_requests_failures", "Number of bulk requests that failed without a response (connection errors).", c, pl...),
		pluginBulkResponses: n("logstash_stats_pipeline_plugin_bulk_requests_responses", "Bulk request HTTP response counts by code (429: the cluster rejected the writes).", c,
			"plugin_type", "plugin", "plugin_id", "code", "pipeline"),
		topicInfo: n("pipewatch_stream_job_topic_info",
			"A stream job reads (direction=\"in\") or writes (\"out\") a Kafka topic; for a Logstash pipeline (job_name), one series per input and output plugin (component, plugin_id), without topic, which node stats do not name. The value is always 1.", g,
			"system", "job_name", "component", "plugin_id", "direction"),
	}
	for _, f := range flowNames {
		short, help := flowShort[f], flowHelp[f]
		d.nodeFlow[f] = [2]*collector.Desc{
			n("logstash_stats_flow_"+short+"_current", "Current "+help+".", g),
			n("logstash_stats_flow_"+short+"_lifetime", "Lifetime "+help+".", g),
		}
		d.pipeFlow[f] = [2]*collector.Desc{
			n("logstash_stats_pipeline_flow_"+short+"_current", "Current "+help+" in the pipeline.", g, "pipeline"),
			n("logstash_stats_pipeline_flow_"+short+"_lifetime", "Lifetime "+help+" in the pipeline.", c, "pipeline"),
		}
	}
	return d
}
