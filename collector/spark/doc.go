// Package spark collects the running Apache Spark applications behind one
// UI, through Spark's REST API (/api/v1): a driver's UI (port 4040, one
// application) or a history server (every incomplete application). For each
// application it reads the executors (tasks, failed tasks, GC time, memory)
// and, for Spark Streaming (DStream) applications, the streaming statistics
// (batch interval, input rate, scheduling delay, processing time, active
// batches) and the retained batches (failed batches, the last batch's
// delays); for Structured Streaming queries, it reads the driver's metrics
// servlet (input and processing rates, trigger latency, watermark, state).
//
// # Requests
//
// One round reads /api/v1/applications?status=running, then for every
// application (its latest attempt, where attempts have ids) /executors,
// /streaming/statistics and, for streaming applications,
// /streaming/batches, concurrently (at most Config.MaxConcurrentRequests at
// a time). An application that is not a streaming one answers 404 on the
// streaming endpoints, which is not an error.
//
// Structured Streaming queries are not part of Spark's REST API. When the
// application sets spark.sql.streaming.metricsEnabled=true, Spark registers
// a metrics source "spark.streaming.<query>" per query (the query's name,
// or its id when it has none) with the gauges inputRate-total,
// processingRate-total, latency, eventTime-watermark, states-rowsTotal and
// states-usedBytes (MetricsReporter), which the driver UI's metrics servlet
// serves as JSON at /metrics/json/ (on by default), named
// "<namespace>.driver.spark.streaming.<query>.<gauge>". So once per round,
// when at least one application runs, the collector also reads
// /metrics/json/ below the same base URL (a driver's UI, or the YARN
// proxy's address of one). A query belongs to the application whose id is
// its namespace (Spark's default spark.metrics.namespace), or, when the UI
// lists a single application, to that one whatever the namespace. A
// history server's own registry holds no such gauges, so it yields none. A
// 404 there (the servlet disabled in the metrics configuration) is not an
// error: it is logged once, at debug level, and the rest is collected.
//
// # Names
//
// Executor figures keep the names of Spark's own Prometheus endpoint
// (/metrics/executors/prometheus, Spark 3.1 and later):
// metrics_executor_failedTasks_total, metrics_executor_totalGCTime_seconds_total,
// metrics_executor_memoryUsed_bytes, metrics_executor_JVMHeapMemory_bytes,
// metrics_executor_MinorGCCount_total, ... with labels application_id,
// application_name and executor_id; times are converted to seconds as Spark
// does. Spark declares no types; counters (_total) are typed counter here,
// the rest gauge. Peak memory and GC figures are emitted only when the
// executor reports them (Spark emits zeros). The executors' GC counts and
// times also appear under package jvm's names
// (jvm_gc_collection_seconds_count{application_id,executor_id,gc="minor"|
// "major"|"concurrent"}); Spark reports only peaks of heap use, which are not
// current usage, so no jvm_memory_* series are derived.
//
// Spark's own streaming metrics (the StreamingSource of its metrics system)
// carry the application name inside the metric name, so pipewatch names
// them itself: spark_streaming_{batch_duration_seconds, receivers,
// active_receivers, inactive_receivers, completed_batches_total,
// retained_completed_batches, active_batches, processed_records_total,
// received_records_total, avg_input_rate, avg_scheduling_delay_seconds,
// avg_processing_time_seconds, avg_total_delay_seconds, start_time_seconds}
// from the statistics, and spark_streaming_batches{status},
// spark_streaming_failed_batches,
// spark_streaming_last_completed_batch_{scheduling_delay_seconds,
// processing_time_seconds,total_delay_seconds,records} and
// spark_streaming_last_batch_failure_info{reason} from the retained
// batches, all with application_id and application_name. Applications get
// spark_application_info{attempt_id,spark_user,spark_version} and
// spark_application_start_time_seconds.
//
// Structured Streaming queries get spark_structured_streaming_{input_rate,
// processing_rate} (rows per second of the last trigger),
// spark_structured_streaming_latency_seconds (the last trigger's duration),
// spark_structured_streaming_event_time_watermark_seconds (seconds since
// the epoch; absent while the query has no watermark, which Spark reports
// as 0), spark_structured_streaming_state_rows and
// spark_structured_streaming_state_used_bytes (summed over the query's
// stateful operators), all gauges with application_id, application_name
// and query_name. Spark reports 0 for every gauge until the query's first
// progress; values that are not numbers (NaN, errors) are skipped.
//
// Spark's REST API does not name the Kafka topics an application reads, so
// the topology learns nothing about topics from this collector.
//
// # Errors
//
// Collect fails the round only when the application list cannot be read
// (network error, status other than 200, malformed or oversized body). Any
// other failure (one application's executors, statistics or batches, or
// a metrics servlet that answers neither 200 nor 404, or with a malformed
// or oversized body) makes the round partial: what was read is kept and
// the error names what was not ("fetch structured streaming metrics: decode
// body of /metrics/json/: ...").
package spark
