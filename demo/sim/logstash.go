package sim

import (
	"net/http"
	"strconv"
	"time"

	"github.com/pipewatch/pipewatch/demo"
)

// The simulated Logstash node runs the pipeline of the demo's first live
// group named "logstash-": a Kafka input reading the group's module, the
// captured filters and an Elasticsearch output writing to the simulated
// cluster, whose rejects come back to it as bulk responses with status 429.
const (
	logstashGroupPrefix = "logstash-"
	logstashWorkers     = 10
	logstashBatch       = 125 // events per batch, and per bulk request
	logstashCores       = 4
	// logstashStarted is how long the node ran before the simulation
	// started.
	logstashStarted = 9 * time.Hour
)

// logstashJVM is the node's JVM (a 1 GiB heap, G1, as captured).
var logstashJVM = jvmModel{
	heapMax: 1073741822, youngMax: 250 << 20, survivor: 7340032,
	oldBase: 130 << 20, promoted: 1 << 20, youngPerOld: 200,
	idleAlloc: 1 << 20, allocPerRecord: 24 << 10, youngPause: 10, oldPause: 160,
	idleCPU: 0.03, cpuPerRecord: 0.0025, started: logstashStarted.Seconds(),
}

// logstashFilters are the captured pipeline's filters, by index, with the
// milliseconds each spends per event. The two drop filters match no event
// and keep their captured zeros (passes is false).
var logstashFilters = []struct {
	index  int
	millis float64
	passes bool
}{{0, 0.1, true}, {1, 1.2, true}, {2, 0, false}, {3, 0.17, true}, {4, 0.14, true}, {5, 0, false}}

// logstashNode serves the node's monitoring API.
type logstashNode struct {
	w        *world
	pipeline string
	topics   []*topicTraffic
	rejected periodic // bulk requests the cluster rejected
	stats    *template[logstashState]
}

// logstashState is the node at one moment.
type logstashState struct {
	events, rate       float64
	bulks, rejected    float64
	utilization        float64 // of the workers, 0 to 1
	backPressure       float64 // share of time inputs wait for the queue
	queued             float64
	lifetimeRate       float64
	jvm                jvmState
	cpuPercent, openFD float64
}

func newLogstashNode(w *world, modules []demo.Module) (*logstashNode, error) {
	n := &logstashNode{w: w, pipeline: "main"}
	if m, pipeline, ok := logstashPipeline(modules); ok {
		n.pipeline = pipeline
		n.topics = w.traffic.lookup(m.Topics)
	}
	t := w.traffic
	// A bulk request the cluster rejects comes back as 429 and is retried:
	// at the peak about half of them.
	n.rejected = tabulate(t.day, func(e time.Duration) float64 {
		return t.rate(n.topics, e) / logstashBatch * 0.5 * overload(t.esLoad(e))
	})
	var err error
	if n.stats, err = n.statsTemplate(); err != nil {
		return nil, err
	}
	return n, nil
}

// ServeHTTP answers GET /_node/stats, the logstash collector's request.
func (n *logstashNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || r.URL.Path != "/_node/stats" {
		http.NotFound(w, r)
		return
	}
	writeJSON(w, n.stats.document(n.state(n.w.moment())))
}

// state computes the node at moment m.
func (n *logstashNode) state(m moment) *logstashState {
	t := n.w.traffic
	s := &logstashState{
		events:   t.writtenBetween(n.topics, -logstashStarted, m.elapsed),
		rate:     t.rate(n.topics, m.elapsed),
		rejected: n.rejected.at(m.elapsed),
	}
	s.bulks = s.events / logstashBatch
	s.lifetimeRate = s.events / (logstashStarted.Seconds() + m.secs)
	over := overload(t.esLoad(m.elapsed))
	s.utilization = clamp(0.25*s.rate/max(s.lifetimeRate, 1e-9)+0.6*over+n.w.wander("logstash/util", m, 6, -0.03, 0.03), 0, 1)
	s.backPressure = clamp(over*1.2, 0, 1)
	s.queued = n.w.wander("logstash/queue", m, 3, 0, 1) * logstashBatch * (1 + 9*over)
	s.jvm = logstashJVM.at(m.secs, s.events-t.writtenBetween(n.topics, -logstashStarted, 0))
	s.cpuPercent = clamp(100*logstashJVM.cpuLoad(s.rate)/logstashCores+n.w.wander("logstash/cpu", m, 7, -2, 2), 0, 100)
	s.openFD = n.w.wander("logstash/fd", m, 60, 104, 118)
	return s
}

// statsTemplate is GET /_node/stats: the captured 8.15 node with its main
// pipeline renamed after the group and its generator input made the Kafka
// input of the group's module.
func (n *logstashNode) statsTemplate() (*template[logstashState], error) {
	d, err := loadDoc[logstashState]("logstash/node_stats-8.15.0.json")
	if err != nil {
		return nil, err
	}
	d.set("host", "logstash-"+n.pipeline+"-1")
	d.set("name", "logstash-"+n.pipeline+"-1")
	d.set("pipeline.workers", logstashWorkers)
	d.rename("pipelines.main", n.pipeline)
	p := "pipelines." + n.pipeline + "."

	num := func(f func(*logstashState) float64) fill[logstashState] { return integer(f) }
	dec := func(f func(*logstashState) float64) fill[logstashState] { return decimal(f, 3) }
	events := func(s *logstashState) float64 { return s.events }
	for _, prefix := range []string{"", p} {
		d.bind(prefix+"events.in", num(events))
		d.bind(prefix+"events.filtered", num(events))
		d.bind(prefix+"events.out", num(events))
		d.bind(prefix+"events.duration_in_millis", num(func(s *logstashState) float64 { return s.events * 5.5 }))
		d.bind(prefix+"events.queue_push_duration_in_millis", num(func(s *logstashState) float64 { return s.events * 0.05 }))
		for _, f := range []string{"input_throughput", "filter_throughput", "output_throughput"} {
			d.bind(prefix+"flow."+f+".current", dec(func(s *logstashState) float64 { return s.rate }))
			d.bind(prefix+"flow."+f+".lifetime", dec(func(s *logstashState) float64 { return s.lifetimeRate }))
		}
		d.bind(prefix+"flow.queue_backpressure.current", dec(func(s *logstashState) float64 { return s.backPressure }))
		d.set(prefix+"flow.queue_backpressure.lifetime", 0.06)
		d.bind(prefix+"flow.worker_concurrency.current", dec(func(s *logstashState) float64 { return s.utilization * logstashWorkers }))
		d.set(prefix+"flow.worker_concurrency.lifetime", 2.9)
	}
	d.bind(p+"flow.worker_utilization.current", dec(func(s *logstashState) float64 { return 100 * s.utilization }))
	d.set(p+"flow.worker_utilization.lifetime", 29.0)
	d.bind(p+"queue.events_count", num(func(s *logstashState) float64 { return s.queued }))
	d.bind("queue.events_count", num(func(s *logstashState) float64 { return s.queued }))

	in := p + "plugins.inputs.1."
	d.set(in+"name", "kafka")
	d.bind(in+"events.out", num(events))
	d.bind(in+"events.queue_push_duration_in_millis", num(func(s *logstashState) float64 { return s.events * 0.05 }))
	d.bind(in+"flow.throughput.current", dec(func(s *logstashState) float64 { return s.rate }))
	d.bind(in+"flow.throughput.lifetime", dec(func(s *logstashState) float64 { return s.lifetimeRate }))
	for _, f := range logstashFilters {
		if !f.passes {
			continue
		}
		fp := p + "plugins.filters." + strconv.Itoa(f.index) + "."
		ms := f.millis
		d.bind(fp+"events.in", num(events))
		d.bind(fp+"events.out", num(events))
		d.bind(fp+"events.duration_in_millis", num(func(s *logstashState) float64 { return s.events * ms }))
		d.set(fp+"flow.worker_millis_per_event", map[string]any{
			"current":  d.hole(dec(func(*logstashState) float64 { return ms })),
			"lifetime": ms,
		})
		d.bind(fp+"flow.worker_utilization.current", dec(func(s *logstashState) float64 { return s.rate * ms / 10 / logstashWorkers }))
	}

	out := p + "plugins.outputs.0."
	ok := func(s *logstashState) float64 { return s.bulks - s.rejected }
	d.bind(out+"events.in", num(events))
	d.bind(out+"events.out", num(events))
	d.bind(out+"events.duration_in_millis", num(func(s *logstashState) float64 { return s.events * 3.9 }))
	d.bind(out+"bulk_requests.successes", num(ok))
	d.bind(out+"bulk_requests.responses.200", num(ok))
	d.bind(out+"bulk_requests.responses.429", num(func(s *logstashState) float64 { return s.rejected }))
	d.bind(out+"documents.successes", num(events))
	d.bind(out+"flow.worker_utilization.current", dec(func(s *logstashState) float64 { return 100 * s.utilization }))

	d.bind("jvm.mem.heap_used_in_bytes", num(func(s *logstashState) float64 { return s.jvm.heapUsed }))
	d.bind("jvm.mem.heap_used_percent", num(func(s *logstashState) float64 { return 100 * s.jvm.heapUsed / logstashJVM.heapMax }))
	d.bind("jvm.mem.pools.young.used_in_bytes", num(func(s *logstashState) float64 { return s.jvm.young }))
	d.bind("jvm.mem.pools.survivor.used_in_bytes", num(func(s *logstashState) float64 { return s.jvm.survivor }))
	d.bind("jvm.mem.pools.old.used_in_bytes", num(func(s *logstashState) float64 { return s.jvm.old }))
	d.set("jvm.mem.pools.old.peak_used_in_bytes", logstashJVM.peakOld())
	d.set("jvm.mem.pools.young.peak_used_in_bytes", logstashJVM.youngMax)
	d.bind("jvm.gc.collectors.young.collection_count", num(func(s *logstashState) float64 { return s.jvm.youngGCs }))
	d.bind("jvm.gc.collectors.young.collection_time_in_millis", num(func(s *logstashState) float64 { return s.jvm.youngMillis }))
	d.bind("jvm.gc.collectors.old.collection_count", num(func(s *logstashState) float64 { return s.jvm.oldGCs }))
	d.bind("jvm.gc.collectors.old.collection_time_in_millis", num(func(s *logstashState) float64 { return s.jvm.oldMillis }))
	d.bind("jvm.uptime_in_millis", num(func(s *logstashState) float64 { return s.jvm.uptimeMillis }))
	d.bind("process.cpu.total_in_millis", num(func(s *logstashState) float64 { return s.jvm.cpuSeconds * 1000 }))
	d.bind("process.cpu.percent", num(func(s *logstashState) float64 { return s.cpuPercent }))
	d.bind("process.open_file_descriptors", num(func(s *logstashState) float64 { return s.openFD }))
	return d.compile()
}
