// Package flink collects an Apache Flink cluster through the REST API of its
// JobManager: jobs and their state, restarts, uptime and checkpoints;
// records, bytes, back-pressure and busy time per vertex; Kafka source
// offsets per topic and partition; and the JobManager's and TaskManagers'
// JVM, memory and slots.
//
// # Requests
//
// One round reads /jobs/overview, /jobmanager/metrics and /taskmanagers (with
// /taskmanagers/:id/metrics for each TaskManager) and, for every job that is
// not FINISHED, FAILED, CANCELED or SUSPENDED, /jobs/:id, /jobs/:id/metrics
// and /jobs/:id/checkpoints, then for each of its vertices
// /jobs/:id/vertices/:vid/subtasks/metrics aggregated over the subtasks.
// Requests run concurrently, at most Config.MaxConcurrentRequests at a time.
// Which metrics a vertex or component has is listed once and reused for
// two minutes (and listed again when it was empty or a read comes back
// empty), so a steady round costs one metrics read per vertex and component
// plus three requests per job. Long id lists are split over several reads
// to stay under the 4 KiB request line Flink's server accepts.
//
// # Names
//
// Flink's own metrics keep the names Flink's Prometheus reporter gives them
// (flink_jobmanager_job_numRestarts, flink_taskmanager_job_task_numRecordsIn,
// flink_taskmanager_job_task_operator_KafkaSourceReader_topic_partition_currentOffset,
// flink_taskmanager_Status_JVM_Memory_Heap_Used, ...), all gauges as the
// reporter declares them, with its label names: job_id and job_name on job
// metrics; task_id and task_name (the vertex) on task metrics; and
// operator_name, topic and partition on operator metrics; tm_id on
// TaskManager metrics. They differ from the reporter in three ways:
//
//   - Task and operator metrics are per vertex, not per subtask: counts and
//     rates are summed over the subtasks, back-pressure, busy time and
//     buffer usage are the worst subtask's (max), watermarks and idle time
//     the slowest subtask's (min), partition offsets the owning subtask's.
//     There is no subtask_index label, and isBackPressured (a boolean Flink
//     cannot aggregate) is not collected: backPressuredTimeMsPerSecond says
//     more (over 100 is what Flink's UI calls low, over 500 high).
//   - job_name and task_name are the names as Flink reports them, not with
//     the reporter's character filtering. operator_name, and the topic of
//     Kafka offsets, come from metric ids, in which Flink has replaced
//     spaces, dots, colons and commas by underscores: a topic "app.events"
//     is reported as topic="app_events".
//   - There is no host label; the target's instance identifies the cluster.
//
// pipewatch adds flink_job_state{state} (one-hot over Flink's job states),
// flink_job_tasks{state}, flink_job_last_checkpoint_age_seconds (by the
// JobManager's clock), flink_taskmanager_slots and flink_taskmanager_slots_free
// {tm_id}, and, for the topology, pipewatch_stream_job_topic_info{system=
// "flink", job_name, component=<vertex name>, topic, direction="in"} for every
// topic a Kafka source reports offsets of. The JobManager's and
// TaskManagers' JVM figures are also emitted under package jvm's names
// (jvm_memory_bytes_used, jvm_gc_collection_seconds_count, ...) with labels
// component ("jobmanager" or "taskmanager") and tm_id.
//
// # Errors
//
// Collect fails the round only when the job list cannot be read (network
// error, status other than 200, malformed or oversized body, or an answer
// without a jobs field). Any other failure (one job's details, a vertex's
// metrics, a TaskManager) makes the round partial: what was read is kept and
// the error names what was not.
package flink
