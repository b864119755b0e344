package sim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/pipewatch/pipewatch/demo"
)

// The simulated Flink cluster: a JobManager and two TaskManagers of eight
// slots running one job per member-less "flink-" job group of the demo
// catalog.
const (
	flinkJobPrefix     = "flink-"
	flinkTaskManagers  = 2
	flinkSlotsPerTM    = 8
	flinkTaskManagerIP = "10.12.1.2"
)

// flinkJobManagerJVM is the JobManager's JVM (a 1 GiB heap, the parallel
// collector, as captured): it handles no records, so only time moves it.
var flinkJobManagerJVM = jvmModel{
	heapMax: 1047527424, youngMax: 349175808, survivor: 8 << 20,
	oldBase: 120 << 20, promoted: 1 << 20, youngPerOld: 30,
	idleAlloc: 1 << 20, youngPause: 15, oldPause: 140,
	idleCPU: 0.02, started: 6 * 3600,
}

// flinkTaskManagerJVM is a TaskManager's JVM (a 512 MiB heap, G1, as
// captured), allocating for every record its subtasks handle.
var flinkTaskManagerJVM = jvmModel{
	heapMax: 536870912, youngMax: 150 << 20, survivor: 8 << 20,
	oldBase: 90 << 20, promoted: 2 << 20, youngPerOld: 50,
	idleAlloc: 512 << 10, allocPerRecord: 16 << 10, youngPause: 9, oldPause: 95,
	idleCPU: 0.05, cpuPerRecord: 0.0015, started: 6 * 3600,
}

// flinkCluster serves the JobManager's REST API.
type flinkCluster struct {
	w            *world
	jobs         []*flinkJob
	byID         map[string]*flinkJob
	overview     *template[moment]
	taskmanagers *template[moment]
	details      map[string]*template[flinkJobState]
	checkpoints  *template[flinkJobState]
	jobMetrics   flinkMetrics
	jobManager   flinkMetrics
	taskManagers map[string]flinkMetrics
	tmIDs        []string
	mux          *http.ServeMux
}

func newFlinkCluster(w *world, modules []demo.Module) (*flinkCluster, error) {
	c := &flinkCluster{w: w, byID: map[string]*flinkJob{}, details: map[string]*template[flinkJobState]{}, taskManagers: map[string]flinkMetrics{}}
	subtask, err := loadFlinkMetrics("flink/subtask_metrics_values.json")
	if err != nil {
		return nil, err
	}
	for _, m := range modules {
		for _, g := range flinkJobGroups(m) {
			j := newFlinkJob(w.traffic, m, g, len(c.jobs), subtask)
			c.jobs = append(c.jobs, j)
			c.byID[j.id] = j
		}
	}
	if c.jobMetrics, err = loadFlinkMetrics("flink/job_metrics_values.json"); err != nil {
		return nil, err
	}
	if c.jobManager, err = loadFlinkMetrics("flink/jobmanager_metrics_values.json"); err != nil {
		return nil, err
	}
	tm, err := loadFlinkMetrics("flink/taskmanager_metrics_values.json")
	if err != nil {
		return nil, err
	}
	for i := range flinkTaskManagers {
		id := fmt.Sprintf("%s:%d-%06x", flinkTaskManagerIP, 34457+i, splitmix(seed+uint64(i))&0xffffff)
		c.tmIDs = append(c.tmIDs, id)
		c.taskManagers[id] = tm
	}
	if c.overview, err = c.overviewTemplate(); err != nil {
		return nil, err
	}
	if c.taskmanagers, err = c.taskManagersTemplate(); err != nil {
		return nil, err
	}
	if c.checkpoints, err = checkpointsTemplate(); err != nil {
		return nil, err
	}
	for _, j := range c.jobs {
		if c.details[j.id], err = c.detailTemplate(j); err != nil {
			return nil, err
		}
	}
	c.routes()
	return c, nil
}

// routes registers the endpoints the flink collector reads.
func (c *flinkCluster) routes() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jobs/overview", func(w http.ResponseWriter, r *http.Request) {
		m := c.w.moment()
		writeJSON(w, c.overview.document(&m))
	})
	mux.HandleFunc("GET /jobs/{jid}", c.job(func(w http.ResponseWriter, r *http.Request, j *flinkJob, s *flinkJobState) {
		writeJSON(w, c.details[j.id].document(s))
	}))
	mux.HandleFunc("GET /jobs/{jid}/metrics", c.job(func(w http.ResponseWriter, r *http.Request, j *flinkJob, s *flinkJobState) {
		serveFlinkValues(w, r, c.jobMetrics.ids, c.jobMetrics.current(j.jobMetrics(s)))
	}))
	mux.HandleFunc("GET /jobs/{jid}/checkpoints", c.job(func(w http.ResponseWriter, r *http.Request, j *flinkJob, s *flinkJobState) {
		writeJSON(w, c.checkpoints.document(s))
	}))
	mux.HandleFunc("GET /jobs/{jid}/vertices/{vid}/subtasks/metrics", c.job(func(w http.ResponseWriter, r *http.Request, j *flinkJob, s *flinkJobState) {
		for _, v := range []*flinkVertex{&j.source, &j.sink} {
			if v.id == r.PathValue("vid") {
				serveFlinkAggregates(w, r, v.ids, j.subtaskValues(c.w, s, v))
				return
			}
		}
		http.NotFound(w, r)
	}))
	mux.HandleFunc("GET /jobmanager/metrics", func(w http.ResponseWriter, r *http.Request) {
		serveFlinkValues(w, r, c.jobManager.ids, c.jobManager.current(c.jobManagerMetrics(c.w.moment())))
	})
	mux.HandleFunc("GET /taskmanagers", func(w http.ResponseWriter, r *http.Request) {
		m := c.w.moment()
		writeJSON(w, c.taskmanagers.document(&m))
	})
	mux.HandleFunc("GET /taskmanagers/{tmid}/metrics", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("tmid")
		tm, ok := c.taskManagers[id]
		if !ok {
			http.NotFound(w, r)
			return
		}
		serveFlinkValues(w, r, tm.ids, tm.current(c.taskManagerMetrics(id, c.w.moment())))
	})
	c.mux = mux
}

// job wraps a handler of one job's endpoints: it finds the job and
// computes its state.
func (c *flinkCluster) job(h func(http.ResponseWriter, *http.Request, *flinkJob, *flinkJobState)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		j := c.byID[r.PathValue("jid")]
		if j == nil {
			http.NotFound(w, r)
			return
		}
		h(w, r, j, j.state(c.w, c.w.moment()))
	}
}

// ServeHTTP answers the requests of the flink collector.
func (c *flinkCluster) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.mux.ServeHTTP(w, r) }

// usedSlots returns the slots the jobs take on TaskManager i: one per
// subtask of the widest vertex, shared by the job's vertices, spread over
// the TaskManagers in turn.
func (c *flinkCluster) usedSlots(i int) int {
	used := 0
	for k := range len(c.jobs) * flinkParallelism {
		if k%flinkTaskManagers == i {
			used++
		}
	}
	return used
}

// jobManagerMetrics returns the JobManager's moving metrics.
func (c *flinkCluster) jobManagerMetrics(m moment) map[string]float64 {
	free := 0
	for i := range flinkTaskManagers {
		free += flinkSlotsPerTM - c.usedSlots(i)
	}
	vals := jvmMetrics(flinkJobManagerJVM.at(m.secs, 0), "PS_Scavenge", "PS_MarkSweep")
	vals["Status.JVM.CPU.Load"] = flinkJobManagerJVM.cpuLoad(0) / 4
	vals["taskSlotsAvailable"] = float64(free)
	vals["taskSlotsTotal"] = flinkSlotsPerTM * flinkTaskManagers
	vals["numRegisteredTaskManagers"] = flinkTaskManagers
	vals["numRunningJobs"] = float64(len(c.jobs))
	return vals
}

// taskManagerMetrics returns the moving metrics of TaskManager id, which
// runs its share of every job's subtasks.
func (c *flinkCluster) taskManagerMetrics(id string, m moment) map[string]float64 {
	t := c.w.traffic
	records, rate := 0.0, 0.0
	for _, j := range c.jobs {
		// Both vertices handle every record, half of them on each TaskManager.
		records += 2 * t.written(j.topics, m.elapsed) / flinkTaskManagers
		rate += 2 * t.rate(j.topics, m.elapsed) / flinkTaskManagers
	}
	vals := jvmMetrics(flinkTaskManagerJVM.at(m.secs, records), "G1_Young_Generation", "G1_Old_Generation")
	vals["Status.JVM.CPU.Load"] = flinkTaskManagerJVM.cpuLoad(rate) / 8
	used := c.w.wander(id+"/netty", m, 8, 2, 60)
	vals["Status.Shuffle.Netty.UsedMemorySegments"] = used
	vals["Status.Shuffle.Netty.AvailableMemorySegments"] = 4096 - used
	vals["Status.Network.AvailableMemorySegments"] = 4096 - used
	vals["Status.Shuffle.Netty.UsedMemory"] = used * flinkBufferBytes
	vals["Status.Shuffle.Netty.AvailableMemory"] = (4096 - used) * flinkBufferBytes
	return vals
}

// jvmMetrics returns a JVM's Status.JVM.* metrics, with the names of its
// young and old garbage collectors.
func jvmMetrics(s jvmState, young, old string) map[string]float64 {
	return map[string]float64{
		"Status.JVM.Memory.Heap.Used":                     s.heapUsed,
		"Status.JVM.GarbageCollector." + young + ".Count": s.youngGCs,
		"Status.JVM.GarbageCollector." + young + ".Time":  s.youngMillis,
		"Status.JVM.GarbageCollector." + old + ".Count":   s.oldGCs,
		"Status.JVM.GarbageCollector." + old + ".Time":    s.oldMillis,
		"Status.JVM.CPU.Time":                             s.cpuSeconds * 1e9,
	}
}

// overviewTemplate is GET /jobs/overview: the captured job repeated for
// every job, running, with four tasks.
func (c *flinkCluster) overviewTemplate() (*template[moment], error) {
	d, err := loadDoc[moment]("flink/jobs_overview.json")
	if err != nil {
		return nil, err
	}
	proto := d.get("jobs.0")
	jobs := make([]any, len(c.jobs))
	for i := range c.jobs {
		jobs[i] = clone(proto)
	}
	d.set("jobs", jobs)
	tasks := flinkParallelism * 2
	for i, j := range c.jobs {
		p := "jobs." + strconv.Itoa(i) + "."
		start := c.w.start.UnixMilli() - int64(j.started*1000)
		d.set(p+"jid", j.id)
		d.set(p+"name", j.name)
		d.set(p+"start-time", start)
		d.set(p+"last-modification", start+1300)
		d.set(p+"tasks.total", tasks)
		d.set(p+"tasks.running", tasks)
		d.bind(p+"duration", integer(func(m *moment) float64 { return (j.started + m.secs) * 1000 }))
	}
	return d.compile()
}

// taskManagersTemplate is GET /taskmanagers: the captured TaskManager
// repeated, with the slots the jobs take.
func (c *flinkCluster) taskManagersTemplate() (*template[moment], error) {
	d, err := loadDoc[moment]("flink/taskmanagers.json")
	if err != nil {
		return nil, err
	}
	proto := d.get("taskmanagers.0")
	tms := make([]any, len(c.tmIDs))
	for i := range c.tmIDs {
		tms[i] = clone(proto)
	}
	d.set("taskmanagers", tms)
	for i, id := range c.tmIDs {
		p := "taskmanagers." + strconv.Itoa(i) + "."
		addr, _, _ := strings.Cut(id, "-")
		d.set(p+"id", id)
		d.set(p+"path", fmt.Sprintf("akka.tcp://flink@%s/user/rpc/taskmanager_%d", addr, i))
		d.set(p+"slotsNumber", flinkSlotsPerTM)
		d.set(p+"freeSlots", flinkSlotsPerTM-c.usedSlots(i))
		d.bind(p+"timeSinceLastHeartbeat", integer(func(m *moment) float64 {
			return float64(m.now.UnixMilli()) - c.w.wander(id+"/heartbeat", *m, 3, 200, 9800)
		}))
	}
	return d.compile()
}

// detailTemplate is GET /jobs/:jid of job j: the captured job with j's
// ids, names and two vertices.
func (c *flinkCluster) detailTemplate(j *flinkJob) (*template[flinkJobState], error) {
	d, err := loadDoc[flinkJobState]("flink/job_detail.json")
	if err != nil {
		return nil, err
	}
	start := c.w.start.UnixMilli() - int64(j.started*1000)
	d.set("jid", j.id)
	d.set("name", j.name)
	d.set("start-time", start)
	d.set("plan.jid", j.id)
	d.set("plan.name", j.name)
	for state, v := range map[string]any{"INITIALIZING": start, "CREATED": start + 94, "RUNNING": start + 1205, "RESTARTING": 0} {
		d.set("timestamps."+state, v)
	}
	d.bind("now", integer(func(s *flinkJobState) float64 { return float64(s.m.now.UnixMilli()) }))
	d.bind("duration", integer(func(s *flinkJobState) float64 { return s.uptimeMillis }))
	d.set("status-counts.RUNNING", 2)
	// Vertices and plan nodes: the capture lists the sink first in the plan
	// and the source first among the vertices.
	for i, v := range []*flinkVertex{&j.source, &j.sink} {
		p := "vertices." + strconv.Itoa(i) + "."
		d.set(p+"id", v.id)
		d.set(p+"name", v.name)
		d.set(p+"parallelism", flinkParallelism)
		d.set(p+"tasks.RUNNING", flinkParallelism)
		d.set(p+"start-time", start+1253)
		d.bind(p+"duration", integer(func(s *flinkJobState) float64 { return s.uptimeMillis - 1253 }))
		out := i == 0
		records := func(s *flinkJobState) float64 { return s.read }
		none := func(*flinkJobState) float64 { return 0 }
		bytes := func(s *flinkJobState) float64 { return s.read * flinkRecordBytes }
		if out {
			d.bind(p+"metrics.write-records", integer(records))
			d.bind(p+"metrics.write-bytes", integer(bytes))
			d.bind(p+"metrics.read-records", integer(none))
			d.bind(p+"metrics.read-bytes", integer(none))
		} else {
			d.bind(p+"metrics.read-records", integer(records))
			d.bind(p+"metrics.read-bytes", integer(bytes))
			d.bind(p+"metrics.write-records", integer(none))
			d.bind(p+"metrics.write-bytes", integer(none))
		}
		n := "plan.nodes." + strconv.Itoa(1-i) + "."
		d.set(n+"id", v.id)
		d.set(n+"parallelism", flinkParallelism)
		d.set(n+"description", v.name)
	}
	d.set("plan.nodes.0.inputs.0.id", j.source.id)
	return d.compile()
}

// checkpointsTemplate is GET /jobs/:jid/checkpoints, shaped after Flink's
// CheckpointingStatistics.
func checkpointsTemplate() (*template[flinkJobState], error) {
	d, err := loadDoc[flinkJobState]("flink/checkpoints.SYNTHETIC.json")
	if err != nil {
		return nil, err
	}
	count := func(s *flinkJobState) float64 { return s.checkpoints }
	d.bind("counts.total", integer(func(s *flinkJobState) float64 { return s.checkpoints + s.inProgress }))
	d.bind("counts.completed", integer(count))
	d.bind("counts.in_progress", integer(func(s *flinkJobState) float64 { return s.inProgress }))
	d.bind("latest.completed.id", integer(count))
	d.bind("latest.completed.trigger_timestamp", integer(func(s *flinkJobState) float64 { return s.lastTrigger }))
	d.bind("latest.completed.latest_ack_timestamp", integer(func(s *flinkJobState) float64 { return s.lastAck }))
	d.bind("latest.completed.end_to_end_duration", integer(func(s *flinkJobState) float64 { return s.checkpointMillis }))
	d.bind("latest.completed.checkpointed_size", integer(func(s *flinkJobState) float64 { return s.checkpointBytes }))
	d.bind("latest.completed.state_size", integer(func(s *flinkJobState) float64 { return s.checkpointBytes }))
	d.set("latest.completed.num_subtasks", 2*flinkParallelism)
	d.set("latest.completed.num_acknowledged_subtasks", 2*flinkParallelism)
	return d.compile()
}
