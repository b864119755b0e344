package storm

import (
	"strconv"
	"strings"

	"github.com/pipewatch/pipewatch/collector"
)

// The types below decode the parts of the Storm UI's REST responses that
// pipewatch uses. Numbers are decoded leniently (number): the UI sends
// latencies and capacity as strings ("0.048") and absent values as null.

// summary is GET /api/v1/topology/summary.
type summary struct {
	Topologies *[]topologySummary `json:"topologies"`
}

type topologySummary struct {
	ID                  string `json:"id"`
	Name                string `json:"name"`
	Status              string `json:"status"`
	Uptime              string `json:"uptime"`
	UptimeSeconds       number `json:"uptimeSeconds"`
	TasksTotal          number `json:"tasksTotal"`
	WorkersTotal        number `json:"workersTotal"`
	ExecutorsTotal      number `json:"executorsTotal"`
	ReplicationCount    number `json:"replicationCount"`
	RequestedMemOnHeap  number `json:"requestedMemOnHeap"`
	RequestedMemOffHeap number `json:"requestedMemOffHeap"`
	RequestedTotalMem   number `json:"requestedTotalMem"`
	RequestedCPU        number `json:"requestedCpu"`
	AssignedMemOnHeap   number `json:"assignedMemOnHeap"`
	AssignedMemOffHeap  number `json:"assignedMemOffHeap"`
	AssignedTotalMem    number `json:"assignedTotalMem"`
	AssignedCPU         number `json:"assignedCpu"`
}

// uptime returns uptimeSeconds, or, from UIs that only send the pretty
// form, the seconds of "1d 5h 30m 10s".
func (t *topologySummary) uptime() number {
	if t.UptimeSeconds.Set || t.Uptime == "" {
		return t.UptimeSeconds
	}
	var total float64
	for _, f := range strings.Fields(t.Uptime) {
		var m float64
		switch f[len(f)-1] {
		case 'd':
			m = 86400
		case 'h':
			m = 3600
		case 'm':
			m = 60
		case 's':
			m = 1
		default:
			return number{}
		}
		v, err := strconv.ParseFloat(f[:len(f)-1], 64)
		if err != nil {
			return number{}
		}
		total += v * m
	}
	return number{V: total, Set: true}
}

// detail is GET /api/v1/topology/:id.
type detail struct {
	TopologyStats []windowStats `json:"topologyStats"`
	Spouts        []spout       `json:"spouts"`
	Bolts         []bolt        `json:"bolts"`
}

type windowStats struct {
	Window          string `json:"window"`
	Emitted         number `json:"emitted"`
	Transferred     number `json:"transferred"`
	CompleteLatency number `json:"completeLatency"`
	Acked           number `json:"acked"`
	Failed          number `json:"failed"`
}

// component holds the fields spouts and bolts share, and those of either.
type component struct {
	Executors       number `json:"executors"`
	Tasks           number `json:"tasks"`
	Emitted         number `json:"emitted"`
	Transferred     number `json:"transferred"`
	Acked           number `json:"acked"`
	Failed          number `json:"failed"`
	CompleteLatency number `json:"completeLatency"`
	Capacity        number `json:"capacity"`
	ExecuteLatency  number `json:"executeLatency"`
	ProcessLatency  number `json:"processLatency"`
	Executed        number `json:"executed"`
	LastError       string `json:"lastError"`
	ErrorLapsedSecs number `json:"errorLapsedSecs"`
}

type spout struct {
	ID string `json:"spoutId"`
	component
}

type bolt struct {
	ID string `json:"boltId"`
	component
}

// spoutLag is one spout's entry in GET /api/v1/topology/:id/lag.
type spoutLag struct {
	SpoutID   string                                 `json:"spoutId"`
	SpoutType string                                 `json:"spoutType"`
	Result    map[string]map[string]partitionOffsets `json:"spoutLagResult"`
	ErrorInfo string                                 `json:"errorInfo"`
}

type partitionOffsets struct {
	Committed number `json:"consumerCommittedOffset"`
	LogHead   number `json:"logHeadOffset"`
	Lag       number `json:"lag"`
}

// topologyStatuses are a topology's states, emitted one-hot by
// storm_topology_status.
var topologyStatuses = []string{"ACTIVE", "INACTIVE", "REBALANCING", "KILLED"}

// The metric families of the storm_exporter (mlf4aiur/storm_exporter, the
// Python exporter of the Storm UI REST API). Each spec names a family and
// reads its value.
type summarySpec struct {
	name, help string
	get        func(*topologySummary) number
}

var summarySpecs = []summarySpec{
	{"storm_topology_uptime_seconds", "Shows how long the topology is running in seconds.", (*topologySummary).uptime},
	{"storm_topology_tasks_total", "Total number of tasks for this topology.", func(t *topologySummary) number { return t.TasksTotal }},
	{"storm_topology_workers_total", "Number of workers used for this topology.", func(t *topologySummary) number { return t.WorkersTotal }},
	{"storm_topology_executors_total", "Number of executors used for this topology.", func(t *topologySummary) number { return t.ExecutorsTotal }},
	{"storm_topology_replication_count", "Number of nimbus hosts on which this topology code is replicated.", func(t *topologySummary) number { return t.ReplicationCount }},
	{"storm_topology_requested_mem_on_heap", "Requested On-Heap Memory by User (MB).", func(t *topologySummary) number { return t.RequestedMemOnHeap }},
	{"storm_topology_requested_mem_off_heap", "Requested Off-Heap Memory by User (MB).", func(t *topologySummary) number { return t.RequestedMemOffHeap }},
	{"storm_topology_requested_total_mem", "Requested Total Memory by User (MB).", func(t *topologySummary) number { return t.RequestedTotalMem }},
	{"storm_topology_requested_cpu", "Requested CPU by User (%).", func(t *topologySummary) number { return t.RequestedCPU }},
	{"storm_topology_assigned_mem_on_heap", "Assigned On-Heap Memory by Scheduler (MB).", func(t *topologySummary) number { return t.AssignedMemOnHeap }},
	{"storm_topology_assigned_mem_off_heap", "Assigned Off-Heap Memory by Scheduler (MB).", func(t *topologySummary) number { return t.AssignedMemOffHeap }},
	{"storm_topology_assigned_total_mem", "Assigned Total Memory by Scheduler (MB).", func(t *topologySummary) number { return t.AssignedTotalMem }},
	{"storm_topology_assigned_cpu", "Assigned CPU by Scheduler (%).", func(t *topologySummary) number { return t.AssignedCPU }},
}

type statsSpec struct {
	name, help string
	get        func(*windowStats) number
}

var statsSpecs = []statsSpec{
	{"storm_topology_stats_transferred", "Number messages transferred in given window.", func(w *windowStats) number { return w.Transferred }},
	{"storm_topology_stats_emitted", "Number of messages emitted in given window.", func(w *windowStats) number { return w.Emitted }},
	{"storm_topology_stats_complete_latency", "Total latency for processing the message, in milliseconds.", func(w *windowStats) number { return w.CompleteLatency }},
	{"storm_topology_stats_acked", "Number of messages acked in given window.", func(w *windowStats) number { return w.Acked }},
	{"storm_topology_stats_failed", "Number of messages failed in given window.", func(w *windowStats) number { return w.Failed }},
}

type componentSpec struct {
	name, help string
	get        func(*component) number
}

var spoutSpecs = []componentSpec{
	{"storm_topology_spouts_executors", "Number of executors for the spout.", func(c *component) number { return c.Executors }},
	{"storm_topology_spouts_emitted", "Number of messages emitted since the topology started.", func(c *component) number { return c.Emitted }},
	{"storm_topology_spouts_complete_latency", "Total latency for processing the message, in milliseconds, since the topology started.", func(c *component) number { return c.CompleteLatency }},
	{"storm_topology_spouts_transferred", "Total number of messages transferred since the topology started.", func(c *component) number { return c.Transferred }},
	{"storm_topology_spouts_tasks", "Total number of tasks for the spout.", func(c *component) number { return c.Tasks }},
	{"storm_topology_spouts_acked", "Number of messages acked since the topology started.", func(c *component) number { return c.Acked }},
	{"storm_topology_spouts_failed", "Number of messages failed since the topology started.", func(c *component) number { return c.Failed }},
}

var boltSpecs = []componentSpec{
	{"storm_topology_bolts_process_latency", "Average time of the bolt to ack a message after it was received, in milliseconds.", func(c *component) number { return c.ProcessLatency }},
	{"storm_topology_bolts_capacity", "This value indicates number of messages executed * average execute latency / time window (the last 10 minutes); near 1 the bolt is saturated.", func(c *component) number { return c.Capacity }},
	{"storm_topology_bolts_execute_latency", "Average time to run the execute method of the bolt, in milliseconds.", func(c *component) number { return c.ExecuteLatency }},
	{"storm_topology_bolts_executors", "Number of executor tasks in the bolt component.", func(c *component) number { return c.Executors }},
	{"storm_topology_bolts_tasks", "Number of instances of bolt.", func(c *component) number { return c.Tasks }},
	{"storm_topology_bolts_acked", "Number of tuples acked by the bolt since the topology started.", func(c *component) number { return c.Acked }},
	{"storm_topology_bolts_failed", "Number of tuples failed by the bolt since the topology started.", func(c *component) number { return c.Failed }},
	{"storm_topology_bolts_emitted", "Number of tuples emitted by the bolt since the topology started.", func(c *component) number { return c.Emitted }},
	{"storm_topology_bolts_executed", "Number of tuples executed by the bolt since the topology started.", func(c *component) number { return c.Executed }},
	{"storm_topology_bolts_transferred", "Number of tuples the bolt transferred since the topology started.", func(c *component) number { return c.Transferred }},
}

// descs holds every description a Collector emits.
type descs struct {
	summary, stats, spouts, bolts map[string]*collector.Desc

	status                    *collector.Desc
	spoutError, spoutErrorAge *collector.Desc
	boltError, boltErrorAge   *collector.Desc
	logHead, committed, lag   *collector.Desc
	topicInfo                 *collector.Desc
}

func newDescs() *descs {
	d := &descs{
		summary: map[string]*collector.Desc{}, stats: map[string]*collector.Desc{},
		spouts: map[string]*collector.Desc{}, bolts: map[string]*collector.Desc{},
	}
	topo := []string{"topology_name", "topology_id"}
	with := func(extra ...string) []string { return append(append([]string{}, topo...), extra...) }
	for _, s := range summarySpecs {
		d.summary[s.name] = collector.NewDesc(s.name, s.help, gauge, topo...)
	}
	for _, s := range statsSpecs {
		d.stats[s.name] = collector.NewDesc(s.name, s.help, gauge, with("window")...)
	}
	for _, s := range spoutSpecs {
		d.spouts[s.name] = collector.NewDesc(s.name, s.help, gauge, with("spout_id")...)
	}
	for _, s := range boltSpecs {
		d.bolts[s.name] = collector.NewDesc(s.name, s.help, gauge, with("bolt_id")...)
	}
	d.status = collector.NewDesc("storm_topology_status",
		"Whether the topology is in the status given by the status label (1) or not (0).", gauge, with("status")...)
	d.spoutError = collector.NewDesc("storm_topology_spouts_last_error_info",
		"The last error the spout reported (first 512 bytes); the value is always 1.", gauge, with("spout_id", "error")...)
	d.spoutErrorAge = collector.NewDesc("storm_topology_spouts_error_lapsed_seconds",
		"Seconds since the spout last reported an error.", gauge, with("spout_id")...)
	d.boltError = collector.NewDesc("storm_topology_bolts_last_error_info",
		"The last error the bolt reported (first 512 bytes); the value is always 1.", gauge, with("bolt_id", "error")...)
	d.boltErrorAge = collector.NewDesc("storm_topology_bolts_error_lapsed_seconds",
		"Seconds since the bolt last reported an error.", gauge, with("bolt_id")...)
	d.logHead = collector.NewDesc("storm_topology_spouts_log_head_offset",
		"Latest offset of the Kafka partition the spout reads.", gauge, with("spout_id", "topic", "partition")...)
	d.committed = collector.NewDesc("storm_topology_spouts_committed_offset",
		"Offset the spout last committed for the Kafka partition.", gauge, with("spout_id", "topic", "partition")...)
	d.lag = collector.NewDesc("storm_topology_spouts_lag",
		"Messages of the Kafka partition the spout has not committed yet.", gauge, with("spout_id", "topic", "partition")...)
	d.topicInfo = collector.NewDesc("pipewatch_stream_job_topic_info",
		"A stream job reads (direction=\"in\") or writes (\"out\") a Kafka topic; the value is always 1.", gauge,
		"system", "job_name", "component", "topic", "direction", "consumergroup")
	return d
}
