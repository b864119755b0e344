package spark

import (
	"math"
	"strings"

	"github.com/prometheus/common/model"

	"github.com/pipewatch/pipewatch/collector"
)

// The types below decode the parts of Spark's REST API (/api/v1) that
// pipewatch uses.

// application is an element of GET /api/v1/applications.
type application struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Attempts []attempt `json:"attempts"`
}

type attempt struct {
	AttemptID       string `json:"attemptId"`
	SparkUser       string `json:"sparkUser"`
	AppSparkVersion string `json:"appSparkVersion"`
	StartTimeEpoch  number `json:"startTimeEpoch"`
}

// latest returns the application's current attempt (Spark lists the newest
// first), or nil.
func (a *application) latest() *attempt {
	if len(a.Attempts) == 0 {
		return nil
	}
	return &a.Attempts[0]
}

// executor is an element of GET .../executors.
type executor struct {
	ID                string `json:"id"`
	RDDBlocks         number `json:"rddBlocks"`
	MemoryUsed        number `json:"memoryUsed"`
	DiskUsed          number `json:"diskUsed"`
	TotalCores        number `json:"totalCores"`
	MaxTasks          number `json:"maxTasks"`
	ActiveTasks       number `json:"activeTasks"`
	FailedTasks       number `json:"failedTasks"`
	CompletedTasks    number `json:"completedTasks"`
	TotalTasks        number `json:"totalTasks"`
	TotalDuration     number `json:"totalDuration"`
	TotalGCTime       number `json:"totalGCTime"`
	TotalInputBytes   number `json:"totalInputBytes"`
	TotalShuffleRead  number `json:"totalShuffleRead"`
	TotalShuffleWrite number `json:"totalShuffleWrite"`
	MaxMemory         number `json:"maxMemory"`
	MemoryMetrics     *struct {
		UsedOnHeapStorageMemory   number `json:"usedOnHeapStorageMemory"`
		UsedOffHeapStorageMemory  number `json:"usedOffHeapStorageMemory"`
		TotalOnHeapStorageMemory  number `json:"totalOnHeapStorageMemory"`
		TotalOffHeapStorageMemory number `json:"totalOffHeapStorageMemory"`
	} `json:"memoryMetrics"`
	PeakMemoryMetrics map[string]number `json:"peakMemoryMetrics"`
}

// statistics is GET .../streaming/statistics (Spark Streaming, DStreams).
type statistics struct {
	StartTime                   string `json:"startTime"`
	BatchDuration               number `json:"batchDuration"`
	NumReceivers                number `json:"numReceivers"`
	NumActiveReceivers          number `json:"numActiveReceivers"`
	NumInactiveReceivers        number `json:"numInactiveReceivers"`
	NumTotalCompletedBatches    number `json:"numTotalCompletedBatches"`
	NumRetainedCompletedBatches number `json:"numRetainedCompletedBatches"`
	NumActiveBatches            number `json:"numActiveBatches"`
	NumProcessedRecords         number `json:"numProcessedRecords"`
	NumReceivedRecords          number `json:"numReceivedRecords"`
	AvgInputRate                number `json:"avgInputRate"`
	AvgSchedulingDelay          number `json:"avgSchedulingDelay"`
	AvgProcessingTime           number `json:"avgProcessingTime"`
	AvgTotalDelay               number `json:"avgTotalDelay"`
}

// batch is an element of GET .../streaming/batches.
type batch struct {
	BatchID            int64  `json:"batchId"`
	Status             string `json:"status"`
	InputSize          number `json:"inputSize"`
	SchedulingDelay    number `json:"schedulingDelay"`
	ProcessingTime     number `json:"processingTime"`
	TotalDelay         number `json:"totalDelay"`
	NumFailedOutputOps int    `json:"numFailedOutputOps"`
	FirstFailureReason string `json:"firstFailureReason"`
}

// orNaN returns n's value, or NaN (package jvm's "not reported") if unset.
func orNaN(n number) float64 {
	if !n.Set {
		return math.NaN()
	}
	return n.V
}

// spec is one metric family read from a response, with the divisor that
// converts the response's unit (milliseconds) to the family's (seconds).
type spec[T any] struct {
	name, help string
	typ        model.MetricType
	div        float64
	get        func(*T) number
}

const (
	gauge   = model.MetricTypeGauge
	counter = model.MetricTypeCounter
)

// executorSpecs are the executor families of Spark's own Prometheus
// endpoint (/metrics/executors/prometheus, PrometheusResource).
var executorSpecs = []spec[executor]{
	{"metrics_executor_rddBlocks", "Number of RDD blocks the executor stores.", gauge, 1, func(e *executor) number { return e.RDDBlocks }},
	{"metrics_executor_memoryUsed_bytes", "Storage memory the executor uses.", gauge, 1, func(e *executor) number { return e.MemoryUsed }},
	{"metrics_executor_diskUsed_bytes", "Disk space the executor uses for storage.", gauge, 1, func(e *executor) number { return e.DiskUsed }},
	{"metrics_executor_totalCores", "Number of cores of the executor.", gauge, 1, func(e *executor) number { return e.TotalCores }},
	{"metrics_executor_maxTasks", "Number of tasks the executor can run at once.", gauge, 1, func(e *executor) number { return e.MaxTasks }},
	{"metrics_executor_activeTasks", "Number of tasks the executor is running.", gauge, 1, func(e *executor) number { return e.ActiveTasks }},
	{"metrics_executor_failedTasks_total", "Number of tasks that failed on the executor.", counter, 1, func(e *executor) number { return e.FailedTasks }},
	{"metrics_executor_completedTasks_total", "Number of tasks the executor completed.", counter, 1, func(e *executor) number { return e.CompletedTasks }},
	{"metrics_executor_totalTasks_total", "Number of tasks the executor ran.", counter, 1, func(e *executor) number { return e.TotalTasks }},
	{"metrics_executor_totalDuration_seconds_total", "Time the executor spent running tasks.", counter, 1000, func(e *executor) number { return e.TotalDuration }},
	{"metrics_executor_totalGCTime_seconds_total", "Time the executor's JVM spent in garbage collection while running tasks.", counter, 1000, func(e *executor) number { return e.TotalGCTime }},
	{"metrics_executor_totalInputBytes_bytes_total", "Bytes the executor's tasks read.", counter, 1, func(e *executor) number { return e.TotalInputBytes }},
	{"metrics_executor_totalShuffleRead_bytes_total", "Shuffle bytes the executor's tasks read.", counter, 1, func(e *executor) number { return e.TotalShuffleRead }},
	{"metrics_executor_totalShuffleWrite_bytes_total", "Shuffle bytes the executor's tasks wrote.", counter, 1, func(e *executor) number { return e.TotalShuffleWrite }},
	{"metrics_executor_maxMemory_bytes", "Storage memory available to the executor.", gauge, 1, func(e *executor) number { return e.MaxMemory }},
}

var memorySpecs = []spec[executor]{
	{"metrics_executor_usedOnHeapStorageMemory_bytes", "On-heap storage memory in use.", gauge, 1, func(e *executor) number { return e.MemoryMetrics.UsedOnHeapStorageMemory }},
	{"metrics_executor_usedOffHeapStorageMemory_bytes", "Off-heap storage memory in use.", gauge, 1, func(e *executor) number { return e.MemoryMetrics.UsedOffHeapStorageMemory }},
	{"metrics_executor_totalOnHeapStorageMemory_bytes", "Total on-heap storage memory.", gauge, 1, func(e *executor) number { return e.MemoryMetrics.TotalOnHeapStorageMemory }},
	{"metrics_executor_totalOffHeapStorageMemory_bytes", "Total off-heap storage memory.", gauge, 1, func(e *executor) number { return e.MemoryMetrics.TotalOffHeapStorageMemory }},
}

// peakMetricNames are the executor's peak memory and GC metrics, emitted as
// metrics_executor_<name>_bytes, or _total and _seconds_total for the
// garbage collection counts and times.
var peakMetricNames = []string{
	"JVMHeapMemory", "JVMOffHeapMemory", "OnHeapExecutionMemory", "OffHeapExecutionMemory",
	"OnHeapStorageMemory", "OffHeapStorageMemory", "OnHeapUnifiedMemory", "OffHeapUnifiedMemory",
	"DirectPoolMemory", "MappedPoolMemory", "ProcessTreeJVMVMemory", "ProcessTreeJVMRSSMemory",
	"ProcessTreePythonVMemory", "ProcessTreePythonRSSMemory", "ProcessTreeOtherVMemory", "ProcessTreeOtherRSSMemory",
	"MinorGCCount", "MajorGCCount", "ConcurrentGCCount", "MinorGCTime", "MajorGCTime", "ConcurrentGCTime",
}

func peakName(k string) string {
	switch {
	case strings.HasSuffix(k, "GCCount"):
		return "metrics_executor_" + k + "_total"
	case strings.HasSuffix(k, "GCTime"):
		return "metrics_executor_" + k + "_seconds_total"
	}
	return "metrics_executor_" + k + "_bytes"
}

// peakDiv is the divisor that converts a peak metric to its family's unit.
func peakDiv(k string) float64 {
	if strings.HasSuffix(k, "GCTime") {
		return 1000
	}
	return 1
}

// statisticsSpecs are the Spark Streaming statistics pipewatch emits as
// spark_streaming_*; delays and durations in seconds.
var statisticsSpecs = []spec[statistics]{
	{"spark_streaming_batch_duration_seconds", "Interval at which the streaming application starts batches.", gauge, 1000, func(s *statistics) number { return s.BatchDuration }},
	{"spark_streaming_receivers", "Number of the application's receivers.", gauge, 1, func(s *statistics) number { return s.NumReceivers }},
	{"spark_streaming_active_receivers", "Number of the application's receivers that are active.", gauge, 1, func(s *statistics) number { return s.NumActiveReceivers }},
	{"spark_streaming_inactive_receivers", "Number of the application's receivers that are inactive.", gauge, 1, func(s *statistics) number { return s.NumInactiveReceivers }},
	{"spark_streaming_completed_batches_total", "Number of batches completed since the application started.", counter, 1, func(s *statistics) number { return s.NumTotalCompletedBatches }},
	{"spark_streaming_retained_completed_batches", "Number of completed batches the UI retains (the base of the averages).", gauge, 1, func(s *statistics) number { return s.NumRetainedCompletedBatches }},
	{"spark_streaming_active_batches", "Number of batches queued or processing: above 1, batches wait for each other.", gauge, 1, func(s *statistics) number { return s.NumActiveBatches }},
	{"spark_streaming_processed_records_total", "Records processed since the application started.", counter, 1, func(s *statistics) number { return s.NumProcessedRecords }},
	{"spark_streaming_received_records_total", "Records received since the application started.", counter, 1, func(s *statistics) number { return s.NumReceivedRecords }},
	{"spark_streaming_avg_input_rate", "Average input rate over the retained batches, in records per second.", gauge, 1, func(s *statistics) number { return s.AvgInputRate }},
	{"spark_streaming_avg_scheduling_delay_seconds", "Average time retained batches waited before processing started.", gauge, 1000, func(s *statistics) number { return s.AvgSchedulingDelay }},
	{"spark_streaming_avg_processing_time_seconds", "Average time retained batches took to process.", gauge, 1000, func(s *statistics) number { return s.AvgProcessingTime }},
	{"spark_streaming_avg_total_delay_seconds", "Average scheduling delay plus processing time of the retained batches.", gauge, 1000, func(s *statistics) number { return s.AvgTotalDelay }},
}

// descs holds every description a Collector emits.
type descs struct {
	executor  map[string]*collector.Desc
	peak      map[string]*collector.Desc
	streaming map[string]*collector.Desc
	// structured holds the Structured Streaming families, by Spark's
	// gauge name (see structuredSpecs).
	structured map[string]*collector.Desc

	appInfo, appStart, streamingStart         *collector.Desc
	batches, failedBatches                    *collector.Desc
	lastScheduling, lastProcessing, lastTotal *collector.Desc
	lastRecords, lastFailure                  *collector.Desc
}

func newDescs() *descs {
	exec := []string{"application_id", "application_name", "executor_id"}
	app := []string{"application_id", "application_name"}
	with := func(extra ...string) []string { return append(append([]string{}, app...), extra...) }
	d := &descs{executor: map[string]*collector.Desc{}, peak: map[string]*collector.Desc{}, streaming: map[string]*collector.Desc{}, structured: newStructuredDescs()}
	for _, s := range append(append([]spec[executor]{}, executorSpecs...), memorySpecs...) {
		d.executor[s.name] = collector.NewDesc(s.name, s.help, s.typ, exec...)
	}
	for _, k := range peakMetricNames {
		typ, help := gauge, "Peak of the executor's "+k+" since it started, in bytes."
		switch {
		case strings.HasSuffix(k, "GCCount"):
			typ, help = counter, "Number of "+strings.TrimSuffix(k, "Count")+" collections of the executor's JVM."
		case strings.HasSuffix(k, "GCTime"):
			typ, help = counter, "Time the executor's JVM spent in "+strings.TrimSuffix(k, "Time")+" collections."
		}
		d.peak[k] = collector.NewDesc(peakName(k), help, typ, exec...)
	}
	for _, s := range statisticsSpecs {
		d.streaming[s.name] = collector.NewDesc(s.name, s.help, s.typ, app...)
	}
	d.appInfo = collector.NewDesc("spark_application_info",
		"A running Spark application's current attempt; the value is always 1.", gauge, with("attempt_id", "spark_user", "spark_version")...)
	d.appStart = collector.NewDesc("spark_application_start_time_seconds",
		"When the application's current attempt started, in seconds since the epoch.", gauge, app...)
	d.streamingStart = collector.NewDesc("spark_streaming_start_time_seconds",
		"When the application's streaming context started, in seconds since the epoch.", gauge, app...)
	d.batches = collector.NewDesc("spark_streaming_batches",
		"Number of retained batches in the state given by status (queued, processing, completed).", gauge, with("status")...)
	d.failedBatches = collector.NewDesc("spark_streaming_failed_batches",
		"Number of retained batches with a failed output operation.", gauge, app...)
	d.lastScheduling = collector.NewDesc("spark_streaming_last_completed_batch_scheduling_delay_seconds",
		"Time the last completed batch waited before processing started.", gauge, app...)
	d.lastProcessing = collector.NewDesc("spark_streaming_last_completed_batch_processing_time_seconds",
		"Time the last completed batch took to process.", gauge, app...)
	d.lastTotal = collector.NewDesc("spark_streaming_last_completed_batch_total_delay_seconds",
		"Scheduling delay plus processing time of the last completed batch.", gauge, app...)
	d.lastRecords = collector.NewDesc("spark_streaming_last_completed_batch_records",
		"Records in the last completed batch.", gauge, app...)
	d.lastFailure = collector.NewDesc("spark_streaming_last_batch_failure_info",
		"The failure reason of the newest retained batch with a failed output operation (first line, at most 512 bytes); the value is always 1.",
		gauge, with("reason")...)
	return d
}
