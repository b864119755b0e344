package sim

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/pipewatch/pipewatch/demo"
)

// The simulated Spark driver runs the catalog's first member-less "spark-"
// job group as a Spark Streaming (DStream) application on YARN: 2 s
// batches over a direct Kafka stream of its module's topics, one task per
// partition, on two executors (sparkExecutorShares).
const (
	sparkJobPrefix   = "spark-"
	sparkBatch       = 2 * time.Second
	sparkCores       = 4
	sparkRecordBytes = 150
	sparkVersion     = "3.5.1"
	// sparkStarted is how long the application ran before the simulation
	// started.
	sparkStarted = 5 * time.Hour
)

// sparkExecutorShares are the shares of the tasks each executor runs.
var sparkExecutorShares = []float64{0.53, 0.47}

// sparkExecutorJVM is an executor's JVM, allocating heavily per record as
// Spark does.
var sparkExecutorJVM = jvmModel{
	heapMax: 1 << 30, youngMax: 300 << 20, survivor: 12 << 20,
	oldBase: 200 << 20, promoted: 3 << 20, youngPerOld: 60,
	idleAlloc: 1 << 20, allocPerRecord: 64 << 10, youngPause: 18, oldPause: 260,
	idleCPU: 0.03, cpuPerRecord: 0.002, started: sparkStarted.Seconds(),
}

// sparkDriverJVM is the driver's JVM, which runs no tasks.
var sparkDriverJVM = jvmModel{
	heapMax: 1 << 30, youngMax: 300 << 20, survivor: 12 << 20,
	oldBase: 150 << 20, promoted: 2 << 20, youngPerOld: 40,
	idleAlloc: 3 << 20, youngPause: 11, oldPause: 200,
	idleCPU: 0.05, started: sparkStarted.Seconds(),
}

// sparkDriver serves the driver's REST API (/api/v1).
type sparkDriver struct {
	w      *world
	id     string // application id; "" without a Spark job group
	name   string
	topics []*topicTraffic
	tasks  int // per batch: one per partition

	apps       []byte
	executors  *template[sparkState]
	statistics *template[sparkState]
	// batches lists the retained batches, newest first: processing starts
	// with the batch being processed.
	batches, processing *template[sparkState]
	metricsJSON         *template[sparkQueryState]
	mux                 *http.ServeMux
}

// sparkState is the application at one moment.
type sparkState struct {
	m          moment
	rate       float64
	batch      float64 // index of the newest batch (k ends k batch intervals into the run)
	processing bool    // the newest batch is being processed
	completed  float64 // batches completed since the application started
	processed  float64 // records of the completed batches since the application started
	received   float64 // records of every batch since the application started
	// recent are the newest completed batches, newest first.
	recent    [4]sparkBatchState
	current   sparkBatchState      // the batch being processed, if any
	executors []sparkExecutorState // the driver, then the executors
}

type sparkBatchState struct {
	index                float64
	input                float64
	scheduling, duration float64 // milliseconds
}

type sparkExecutorState struct {
	jvm                          jvmState
	active, completed, durations float64
	inputBytes, memoryUsed       float64
}

func newSparkDriver(w *world, modules []demo.Module) (*sparkDriver, error) {
	d := &sparkDriver{w: w}
	if m, g, ok := sparkJob(modules); ok {
		d.id = fmt.Sprintf("application_%d_0042", w.start.Add(-sparkStarted-3*24*time.Hour).UnixMilli())
		d.name = g
		d.topics = w.traffic.lookup(m.Topics)
	}
	for _, t := range d.topics {
		d.tasks += len(t.shares)
	}
	var err error
	if d.apps, err = d.appsJSON(); err != nil {
		return nil, err
	}
	if d.executors, err = d.executorsTemplate(); err != nil {
		return nil, err
	}
	if d.statistics, err = d.statisticsTemplate(); err != nil {
		return nil, err
	}
	if d.batches, err = d.batchesTemplate(false); err != nil {
		return nil, err
	}
	if d.processing, err = d.batchesTemplate(true); err != nil {
		return nil, err
	}
	if d.metricsJSON, err = d.metricsTemplate(); err != nil {
		return nil, err
	}
	d.routes()
	return d, nil
}

// routes registers the endpoints the spark collector reads, with and
// without the attempt id, and the metrics servlet.
func (d *sparkDriver) routes() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/applications", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, d.apps) })
	mux.HandleFunc("GET /metrics/json/{$}", d.metrics)
	for _, base := range []string{"/api/v1/applications/{app}/{attempt}", "/api/v1/applications/{app}"} {
		mux.HandleFunc("GET "+base+"/executors", d.app(func(s *sparkState) []byte { return d.executors.document(s) }))
		mux.HandleFunc("GET "+base+"/streaming/statistics", d.app(func(s *sparkState) []byte { return d.statistics.document(s) }))
		mux.HandleFunc("GET "+base+"/streaming/batches", d.app(func(s *sparkState) []byte {
			if s.processing {
				return d.processing.document(s)
			}
			return d.batches.document(s)
		}))
	}
	d.mux = mux
}

// app wraps a handler of the application's endpoints.
func (d *sparkDriver) app(render func(*sparkState) []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if d.id == "" || r.PathValue("app") != d.id || (r.PathValue("attempt") != "" && r.PathValue("attempt") != "1") {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, render(d.state(d.w.moment())))
	}
}

// ServeHTTP answers the requests of the spark collector.
func (d *sparkDriver) ServeHTTP(w http.ResponseWriter, r *http.Request) { d.mux.ServeHTTP(w, r) }

// batchState returns batch k, which holds the records of the k-th batch
// interval of the run.
func (d *sparkDriver) batchState(k float64) sparkBatchState {
	t := d.w.traffic
	end := time.Duration(k * float64(sparkBatch))
	b := sparkBatchState{index: k, input: math.Round(t.written(d.topics, end) - t.written(d.topics, end-sparkBatch))}
	b.scheduling = d.w.draw(d.name+"/scheduling", k, 2, 15)
	b.duration = 120 + 0.9*b.input + d.w.draw(d.name+"/processing", k, 0, 80)
	return b
}

// state computes the application at moment m.
func (d *sparkDriver) state(m moment) *sparkState {
	t := d.w.traffic
	s := &sparkState{m: m, rate: t.rate(d.topics, m.elapsed)}
	s.batch = math.Floor(m.secs / sparkBatch.Seconds())
	newest := d.batchState(s.batch)
	sinceBatch := (m.secs - s.batch*sparkBatch.Seconds()) * 1000
	s.processing = s.batch >= 1 && sinceBatch < newest.scheduling+newest.duration
	lastDone := s.batch
	if s.processing {
		s.current = newest
		lastDone--
	}
	for i := range s.recent {
		s.recent[i] = d.batchState(lastDone - float64(i))
	}
	before := math.Floor(sparkStarted.Seconds() / sparkBatch.Seconds())
	s.completed = before + max(lastDone, 0)
	doneAt := time.Duration(max(lastDone, 0) * float64(sparkBatch))
	s.processed = t.writtenBetween(d.topics, -sparkStarted, doneAt)
	s.received = t.writtenBetween(d.topics, -sparkStarted, time.Duration(s.batch*float64(sparkBatch)))

	s.executors = make([]sparkExecutorState, 1+len(sparkExecutorShares))
	s.executors[0] = sparkExecutorState{jvm: sparkDriverJVM.at(m.secs, 0), memoryUsed: 79283}
	for i, share := range sparkExecutorShares {
		e := &s.executors[i+1]
		e.jvm = sparkExecutorJVM.at(m.secs, s.processed*share)
		e.completed = math.Floor(s.completed * float64(d.tasks) * share)
		if s.processing {
			e.active = float64(min(int(math.Ceil(float64(d.tasks)*share)), sparkCores))
		}
		e.durations = e.completed * (60 + 0.9*s.rate*sparkBatch.Seconds()/float64(max(d.tasks, 1)))
		e.inputBytes = s.processed * share * sparkRecordBytes
		e.memoryUsed = math.Round(d.w.wander(fmt.Sprintf("%s/executor%d/memory", d.name, i+1), m, 30, 2e6, 9e6))
	}
	return s
}

// appsJSON is GET /api/v1/applications?status=running: the captured YARN
// application with the simulated one's id, name and start, or no
// application at all without a Spark job group.
func (d *sparkDriver) appsJSON() ([]byte, error) {
	if d.id == "" {
		return []byte("[]"), nil
	}
	doc, err := loadDoc[struct{}]("spark/running_app_list_json_expectation.json")
	if err != nil {
		return nil, err
	}
	start := d.w.start.Add(-sparkStarted)
	doc.set("0.id", d.id)
	doc.set("0.name", d.name)
	doc.set("0.attempts.0.startTime", sparkTime(start))
	doc.set("0.attempts.0.startTimeEpoch", start.UnixMilli())
	doc.set("0.attempts.0.appSparkVersion", sparkVersion)
	return staticJSON(doc)
}

// executorsTemplate is GET .../executors: the captured driver and
// executor (Spark 3, with peak memory and GC figures), the executor
// repeated. Their task counters were placeholders upstream; the
// simulation sets them all.
func (d *sparkDriver) executorsTemplate() (*template[sparkState], error) {
	doc, err := loadDoc[sparkState]("spark/executor_metrics.json")
	if err != nil {
		return nil, err
	}
	driver, executor := doc.get("0"), doc.get("1")
	list := []any{driver}
	for range sparkExecutorShares {
		list = append(list, clone(executor))
	}
	doc.set("", list)
	for i := range list {
		p := strconv.Itoa(i) + "."
		host := fmt.Sprintf("10.12.2.%d:%d", 20+i, 33870+i)
		doc.set(p+"hostPort", host)
		if i > 0 {
			doc.set(p+"id", strconv.Itoa(i))
			doc.set(p+"totalCores", sparkCores)
			doc.set(p+"maxTasks", sparkCores)
		}
		for _, field := range []string{"rddBlocks", "diskUsed", "failedTasks", "totalShuffleRead", "totalShuffleWrite"} {
			doc.set(p+field, 0)
		}
		e := func(v func(*sparkExecutorState) float64) fill[sparkState] {
			return integer(func(s *sparkState) float64 { return v(&s.executors[i]) })
		}
		for field, v := range map[string]func(*sparkExecutorState) float64{
			"memoryUsed":                            func(e *sparkExecutorState) float64 { return e.memoryUsed },
			"activeTasks":                           func(e *sparkExecutorState) float64 { return e.active },
			"completedTasks":                        func(e *sparkExecutorState) float64 { return e.completed },
			"totalTasks":                            func(e *sparkExecutorState) float64 { return e.completed + e.active },
			"totalDuration":                         func(e *sparkExecutorState) float64 { return e.durations },
			"totalGCTime":                           func(e *sparkExecutorState) float64 { return e.jvm.youngMillis + e.jvm.oldMillis },
			"totalInputBytes":                       func(e *sparkExecutorState) float64 { return e.inputBytes },
			"peakMemoryMetrics.MinorGCCount":        func(e *sparkExecutorState) float64 { return e.jvm.youngGCs },
			"peakMemoryMetrics.MinorGCTime":         func(e *sparkExecutorState) float64 { return e.jvm.youngMillis },
			"peakMemoryMetrics.MajorGCCount":        func(e *sparkExecutorState) float64 { return e.jvm.oldGCs },
			"peakMemoryMetrics.MajorGCTime":         func(e *sparkExecutorState) float64 { return e.jvm.oldMillis },
			"memoryMetrics.usedOnHeapStorageMemory": func(e *sparkExecutorState) float64 { return e.memoryUsed },
		} {
			doc.bind(p+field, e(v))
		}
	}
	return doc.compile()
}

// statisticsTemplate is GET .../streaming/statistics.
func (d *sparkDriver) statisticsTemplate() (*template[sparkState], error) {
	doc, err := loadDoc[sparkState]("spark/streaming_statistics.json")
	if err != nil {
		return nil, err
	}
	doc.set("startTime", sparkTime(d.w.start.Add(-sparkStarted)))
	doc.set("batchDuration", sparkBatch.Milliseconds())
	// A direct Kafka stream has no receivers.
	doc.set("numReceivers", 0)
	doc.set("numActiveReceivers", 0)
	doc.set("numInactiveReceivers", 0)
	avg := func(f func(b *sparkBatchState) float64) func(*sparkState) float64 {
		return func(s *sparkState) float64 {
			sum := 0.0
			for i := range s.recent {
				sum += f(&s.recent[i])
			}
			return sum / float64(len(s.recent))
		}
	}
	for field, v := range map[string]func(*sparkState) float64{
		"numTotalCompletedBatches":    func(s *sparkState) float64 { return s.completed },
		"numRetainedCompletedBatches": func(s *sparkState) float64 { return min(s.completed, 1000) },
		"numActiveBatches": func(s *sparkState) float64 {
			if s.processing {
				return 1
			}
			return 0
		},
		"numProcessedRecords": func(s *sparkState) float64 { return s.processed },
		"numReceivedRecords":  func(s *sparkState) float64 { return s.received },
		"avgSchedulingDelay":  avg(func(b *sparkBatchState) float64 { return b.scheduling }),
		"avgProcessingTime":   avg(func(b *sparkBatchState) float64 { return b.duration }),
		"avgTotalDelay":       avg(func(b *sparkBatchState) float64 { return b.scheduling + b.duration }),
	} {
		doc.bind(field, integer(v))
	}
	doc.bind("avgInputRate", decimal(func(s *sparkState) float64 { return s.rate }, 1))
	return doc.compile()
}

// batchesTemplate is GET .../streaming/batches: four completed batches,
// after the batch being processed if processing. The captured list's
// failed batch is not repeated.
func (d *sparkDriver) batchesTemplate(processing bool) (*template[sparkState], error) {
	doc, err := loadDoc[sparkState]("spark/streaming_batches.SYNTHETIC.json")
	if err != nil {
		return nil, err
	}
	running, completed := doc.get("1"), doc.get("2")
	var list []any
	if processing {
		list = append(list, running)
	}
	for range 4 {
		list = append(list, clone(completed))
	}
	doc.set("", list)
	bindBatch := func(p string, b func(*sparkState) *sparkBatchState) {
		doc.bind(p+"batchId", integer(func(s *sparkState) float64 { return d.batchMillis(b(s).index) }))
		doc.bind(p+"batchTime", str(func(s *sparkState) string {
			return sparkTime(time.UnixMilli(int64(d.batchMillis(b(s).index))))
		}))
		doc.bind(p+"inputSize", integer(func(s *sparkState) float64 { return b(s).input }))
		doc.bind(p+"schedulingDelay", integer(func(s *sparkState) float64 { return b(s).scheduling }))
	}
	i := 0
	if processing {
		bindBatch("0.", func(s *sparkState) *sparkBatchState { return &s.current })
		i = 1
	}
	for k := range 4 {
		p := strconv.Itoa(i+k) + "."
		bindBatch(p, func(s *sparkState) *sparkBatchState { return &s.recent[k] })
		doc.bind(p+"processingTime", integer(func(s *sparkState) float64 { return s.recent[k].duration }))
		doc.bind(p+"totalDelay", integer(func(s *sparkState) float64 { return s.recent[k].scheduling + s.recent[k].duration }))
	}
	return doc.compile()
}

// batchMillis returns the time of batch k, the end of its interval, in
// milliseconds since the epoch.
func (d *sparkDriver) batchMillis(k float64) float64 {
	return float64(d.w.start.UnixMilli()) + k*float64(sparkBatch.Milliseconds())
}

// sparkTime formats t as Spark's REST API does ("2018-10-18T19:43:24.866GMT").
func sparkTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000") + "GMT" }
