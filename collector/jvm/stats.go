package jvm

import (
	"math"

	"github.com/prometheus/common/model"

	"github.com/pipewatch/pipewatch/collector"
)

// Usage is the memory usage of a memory area or pool, in bytes, as the JVM's
// java.lang.management.MemoryUsage reports it. A NaN field was not reported
// by the source and is not emitted; a Max of -1 means the JVM defines no
// maximum and is emitted as -1, as JMX exporters do.
type Usage struct {
	// Init is the size the JVM requested from the OS at startup.
	Init float64
	// Used is the memory in use.
	Used float64
	// Committed is the memory guaranteed to the JVM.
	Committed float64
	// Max is the most the area or pool may grow to.
	Max float64
}

// NewUsage returns a Usage with every field unknown (NaN).
func NewUsage() Usage {
	nan := math.NaN()
	return Usage{Init: nan, Used: nan, Committed: nan, Max: nan}
}

// Pool is one memory pool ("G1 Eden Space", "Metaspace", "old", ...).
type Pool struct {
	// Name is the pool name, emitted as the pool label.
	Name string
	Usage
}

// GC is one garbage collector's cumulative activity.
type GC struct {
	// Name is the collector name, emitted as the gc label.
	Name string
	// Count is the number of collections; NaN if unknown.
	Count float64
	// Seconds is the total time spent collecting; NaN if unknown.
	Seconds float64
}

// Info describes the JVM implementation; empty fields are not emitted as
// labels, and a zero Info emits no jvm_info series.
type Info struct {
	// Runtime is the VM name, such as "OpenJDK 64-Bit Server VM".
	Runtime string
	// Vendor is the VM vendor.
	Vendor string
	// Version is the VM version.
	Version string
}

// Stats is one JVM's numbers in source-independent form. Collectors fill a
// Stats from what their source reports (Jolokia, hsperfdata, the JVM section
// of Elasticsearch, Flink, Spark or Logstash responses) and give it to an
// Emitter. Every number that is NaN is treated as not reported and skipped,
// so start from NewStats (or call Reset), never from the zero value, whose
// zeros would be emitted as real values.
type Stats struct {
	// Heap and NonHeap are the two memory areas (area="heap|nonheap").
	Heap    Usage
	NonHeap Usage
	// Pools are the memory pools, emitted with their names as pool label.
	Pools []Pool
	// GC are the garbage collectors, emitted with their names as gc label.
	GC []GC

	// ThreadsCurrent, ThreadsDaemon and ThreadsPeak count live threads;
	// ThreadsStarted counts threads started since the JVM started.
	ThreadsCurrent float64
	ThreadsDaemon  float64
	ThreadsPeak    float64
	ThreadsStarted float64

	// ClassesLoaded counts classes loaded now; ClassesLoadedTotal and
	// ClassesUnloadedTotal count since the JVM started.
	ClassesLoaded        float64
	ClassesLoadedTotal   float64
	ClassesUnloadedTotal float64

	// CPUSeconds is the CPU time (user and system) the JVM process used.
	CPUSeconds float64
	// StartTimeSeconds is when the JVM started, in seconds since the epoch.
	StartTimeSeconds float64
	// OpenFDs and MaxFDs are the process's open and maximum file descriptors.
	OpenFDs float64
	MaxFDs  float64

	// Info is the JVM's implementation and version, emitted as jvm_info.
	Info Info
}

// NewStats returns a Stats in which nothing is reported yet.
func NewStats() Stats {
	var s Stats
	s.Reset()
	return s
}

// Reset marks every number of s as not reported and empties its pools and
// collectors, keeping their capacity for reuse.
func (s *Stats) Reset() {
	nan := math.NaN()
	pools, gcs := s.Pools[:0], s.GC[:0]
	*s = Stats{
		Heap: NewUsage(), NonHeap: NewUsage(), Pools: pools, GC: gcs,
		ThreadsCurrent: nan, ThreadsDaemon: nan, ThreadsPeak: nan, ThreadsStarted: nan,
		ClassesLoaded: nan, ClassesLoadedTotal: nan, ClassesUnloadedTotal: nan,
		CPUSeconds: nan, StartTimeSeconds: nan, OpenFDs: nan, MaxFDs: nan,
	}
}

// Metric names emitted by an Emitter. They are those of the Prometheus Java
// client's hotspot exports, which the JMX exporter serves and which JVM
// dashboards query.
const (
	MetricMemoryUsed           = "jvm_memory_bytes_used"
	MetricMemoryCommitted      = "jvm_memory_bytes_committed"
	MetricMemoryMax            = "jvm_memory_bytes_max"
	MetricMemoryInit           = "jvm_memory_bytes_init"
	MetricPoolUsed             = "jvm_memory_pool_bytes_used"
	MetricPoolCommitted        = "jvm_memory_pool_bytes_committed"
	MetricPoolMax              = "jvm_memory_pool_bytes_max"
	MetricPoolInit             = "jvm_memory_pool_bytes_init"
	MetricGCCount              = "jvm_gc_collection_seconds_count"
	MetricGCSeconds            = "jvm_gc_collection_seconds_sum"
	MetricThreadsCurrent       = "jvm_threads_current"
	MetricThreadsDaemon        = "jvm_threads_daemon"
	MetricThreadsPeak          = "jvm_threads_peak"
	MetricThreadsStarted       = "jvm_threads_started_total"
	MetricClassesLoaded        = "jvm_classes_loaded"
	MetricClassesLoadedTotal   = "jvm_classes_loaded_total"
	MetricClassesUnloadedTotal = "jvm_classes_unloaded_total"
	MetricInfo                 = "jvm_info"
	MetricCPUSeconds           = "process_cpu_seconds_total"
	MetricStartTime            = "process_start_time_seconds"
	MetricOpenFDs              = "process_open_fds"
	MetricMaxFDs               = "process_max_fds"
)

// The values of the area label.
const (
	AreaHeap    = "heap"
	AreaNonHeap = "nonheap"
)

// Emitter turns Stats into samples. The label names given to NewEmitter
// identify the JVM within its target (for example cluster and node name for
// an Elasticsearch node, nothing for a Jolokia target that is one JVM); they
// come first, before the metric's own label (area, pool or gc), which they
// must not repeat.
//
// An Emitter keeps a scratch buffer, so one Emitter must not be used by two
// goroutines at once; a collector normally owns one.
type Emitter struct {
	n       int
	scratch []string

	memUsed, memCommitted, memMax, memInit     *collector.Desc
	poolUsed, poolCommitted, poolMax, poolInit *collector.Desc
	gcCount, gcSeconds                         *collector.Desc
	threads, daemon, peak, started             *collector.Desc
	classes, classesTotal, unloaded            *collector.Desc
	info                                       *collector.Desc
	cpu, start, openFDs, maxFDs                *collector.Desc
}

// NewEmitter returns an Emitter whose series carry the given identifying
// label names. It panics if a label name is invalid, like collector.NewDesc.
func NewEmitter(labelNames ...string) *Emitter {
	with := func(extra ...string) []string {
		return append(append(make([]string, 0, len(labelNames)+len(extra)), labelNames...), extra...)
	}
	gauge, counter := model.MetricTypeGauge, model.MetricTypeCounter
	area, pool, gc := with("area"), with("pool"), with("gc")
	plain := with()
	return &Emitter{
		n:       len(labelNames),
		scratch: make([]string, 0, len(labelNames)+3),

		memUsed:      collector.NewDesc(MetricMemoryUsed, "Used bytes of a JVM memory area (heap or nonheap).", gauge, area...),
		memCommitted: collector.NewDesc(MetricMemoryCommitted, "Committed bytes of a JVM memory area.", gauge, area...),
		memMax:       collector.NewDesc(MetricMemoryMax, "Maximum bytes of a JVM memory area; -1 if undefined.", gauge, area...),
		memInit:      collector.NewDesc(MetricMemoryInit, "Initial bytes of a JVM memory area.", gauge, area...),

		poolUsed:      collector.NewDesc(MetricPoolUsed, "Used bytes of a JVM memory pool.", gauge, pool...),
		poolCommitted: collector.NewDesc(MetricPoolCommitted, "Committed bytes of a JVM memory pool.", gauge, pool...),
		poolMax:       collector.NewDesc(MetricPoolMax, "Maximum bytes of a JVM memory pool; -1 if undefined.", gauge, pool...),
		poolInit:      collector.NewDesc(MetricPoolInit, "Initial bytes of a JVM memory pool.", gauge, pool...),

		gcCount:   collector.NewDesc(MetricGCCount, "Number of collections of a JVM garbage collector.", counter, gc...),
		gcSeconds: collector.NewDesc(MetricGCSeconds, "Time spent in a JVM garbage collector, in seconds.", counter, gc...),

		threads: collector.NewDesc(MetricThreadsCurrent, "Current number of live JVM threads, daemon and non-daemon.", gauge, plain...),
		daemon:  collector.NewDesc(MetricThreadsDaemon, "Current number of live JVM daemon threads.", gauge, plain...),
		peak:    collector.NewDesc(MetricThreadsPeak, "Peak number of live JVM threads since the JVM started.", gauge, plain...),
		started: collector.NewDesc(MetricThreadsStarted, "Number of JVM threads started since the JVM started.", counter, plain...),

		classes:      collector.NewDesc(MetricClassesLoaded, "Number of classes currently loaded in the JVM.", gauge, plain...),
		classesTotal: collector.NewDesc(MetricClassesLoadedTotal, "Number of classes loaded since the JVM started.", counter, plain...),
		unloaded:     collector.NewDesc(MetricClassesUnloadedTotal, "Number of classes unloaded since the JVM started.", counter, plain...),

		info: collector.NewDesc(MetricInfo, "JVM runtime, vendor and version; the value is always 1.", gauge, with("runtime", "vendor", "version")...),

		cpu:     collector.NewDesc(MetricCPUSeconds, "User and system CPU time of the JVM process, in seconds.", counter, plain...),
		start:   collector.NewDesc(MetricStartTime, "Start time of the JVM process, in seconds since the Unix epoch.", gauge, plain...),
		openFDs: collector.NewDesc(MetricOpenFDs, "Open file descriptors of the JVM process.", gauge, plain...),
		maxFDs:  collector.NewDesc(MetricMaxFDs, "Maximum number of open file descriptors of the JVM process.", gauge, plain...),
	}
}

// Emit adds the reported numbers of s to b. labelValues are the values of
// the label names given to NewEmitter, in that order; it panics if their
// number differs.
func (e *Emitter) Emit(b *collector.Batch, s *Stats, labelValues ...string) {
	if len(labelValues) != e.n {
		panic("jvm: Emit got a wrong number of label values")
	}
	e.usage(b, e.memUsed, e.memCommitted, e.memMax, e.memInit, &s.Heap, labelValues, AreaHeap)
	e.usage(b, e.memUsed, e.memCommitted, e.memMax, e.memInit, &s.NonHeap, labelValues, AreaNonHeap)
	for i := range s.Pools {
		p := &s.Pools[i]
		e.usage(b, e.poolUsed, e.poolCommitted, e.poolMax, e.poolInit, &p.Usage, labelValues, p.Name)
	}
	for _, gc := range s.GC {
		e.gauge(b, e.gcCount, gc.Count, labelValues, gc.Name)
		e.gauge(b, e.gcSeconds, gc.Seconds, labelValues, gc.Name)
	}
	e.gauge(b, e.threads, s.ThreadsCurrent, labelValues)
	e.gauge(b, e.daemon, s.ThreadsDaemon, labelValues)
	e.gauge(b, e.peak, s.ThreadsPeak, labelValues)
	e.gauge(b, e.started, s.ThreadsStarted, labelValues)
	e.gauge(b, e.classes, s.ClassesLoaded, labelValues)
	e.gauge(b, e.classesTotal, s.ClassesLoadedTotal, labelValues)
	e.gauge(b, e.unloaded, s.ClassesUnloadedTotal, labelValues)
	e.gauge(b, e.cpu, s.CPUSeconds, labelValues)
	e.gauge(b, e.start, s.StartTimeSeconds, labelValues)
	e.gauge(b, e.openFDs, s.OpenFDs, labelValues)
	e.gauge(b, e.maxFDs, s.MaxFDs, labelValues)
	if s.Info != (Info{}) {
		e.gauge(b, e.info, 1, labelValues, s.Info.Runtime, s.Info.Vendor, s.Info.Version)
	}
}

func (e *Emitter) usage(b *collector.Batch, used, committed, maxd, initd *collector.Desc, u *Usage, lv []string, extra string) {
	e.gauge(b, used, u.Used, lv, extra)
	e.gauge(b, committed, u.Committed, lv, extra)
	e.gauge(b, maxd, u.Max, lv, extra)
	e.gauge(b, initd, u.Init, lv, extra)
}

// gauge emits v unless it is NaN (not reported).
func (e *Emitter) gauge(b *collector.Batch, d *collector.Desc, v float64, lv []string, extra ...string) {
	if math.IsNaN(v) {
		return
	}
	e.scratch = append(append(e.scratch[:0], lv...), extra...)
	b.Emit(d, v, e.scratch...)
}
