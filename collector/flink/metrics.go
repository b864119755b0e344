package flink

import (
	"strings"

	"github.com/prometheus/common/model"

	"github.com/pipewatch/pipewatch/collector"
)

// agg selects which aggregate over a vertex's subtasks a metric reports.
type agg uint8

const (
	aggSum agg = iota // counts and rates: the vertex total
	aggMax            // ratios, usage and offsets: the worst (or owning) subtask
	aggMin            // watermarks and idle time: the slowest subtask
)

// spec describes one Flink metric: its id in the REST API, the aggregate
// over subtasks, and its help text.
type spec struct {
	id   string
	agg  agg
	help string
}

// jobMetricSpecs are the job metrics read from /jobs/:jobid/metrics. They are
// emitted as flink_jobmanager_job_<id>{job_id,job_name}, as Flink's
// Prometheus reporter names them.
var jobMetricSpecs = []spec{
	{"uptime", 0, "Time the job has been running without interruption, in milliseconds; -1 when it is not running."},
	{"downtime", 0, "Time the job has been failing or recovering, in milliseconds; 0 when it is running."},
	{"restartingTime", 0, "Time the job has been restarting, or the duration of the last restart, in milliseconds."},
	{"numRestarts", 0, "Number of restarts since the job was submitted."},
	{"fullRestarts", 0, "Number of full restarts since the job was submitted (deprecated by Flink; see numRestarts)."},
	{"numberOfCompletedCheckpoints", 0, "Number of successfully completed checkpoints."},
	{"numberOfFailedCheckpoints", 0, "Number of failed checkpoints."},
	{"numberOfInProgressCheckpoints", 0, "Number of checkpoints in progress."},
	{"totalNumberOfCheckpoints", 0, "Number of checkpoints triggered, completed, failed and in progress."},
	{"lastCheckpointDuration", 0, "Time the last completed checkpoint took, in milliseconds."},
	{"lastCheckpointSize", 0, "Checkpointed size of the last completed checkpoint, in bytes."},
	{"lastCheckpointFullSize", 0, "Full size of the last completed checkpoint, in bytes."},
	{"lastCheckpointProcessedData", 0, "Bytes processed during alignment by all subtasks in the last checkpoint."},
	{"lastCheckpointPersistedData", 0, "Bytes persisted during alignment by all subtasks in the last checkpoint."},
	{"lastCheckpointRestoreTimestamp", 0, "When the job last restored from a checkpoint, in milliseconds since the epoch."},
}

// taskMetricSpecs are the per-subtask metrics of a vertex, read aggregated
// over its subtasks. They are emitted as flink_taskmanager_job_task_<id>
// (dots become underscores) with job_id, job_name, task_id and task_name.
var taskMetricSpecs = []spec{
	{"numRecordsIn", aggSum, "Records the vertex received, summed over its subtasks."},
	{"numRecordsOut", aggSum, "Records the vertex emitted, summed over its subtasks."},
	{"numRecordsInPerSecond", aggSum, "Records the vertex receives per second, summed over its subtasks."},
	{"numRecordsOutPerSecond", aggSum, "Records the vertex emits per second, summed over its subtasks."},
	{"numBytesIn", aggSum, "Bytes the vertex read from its inputs, summed over its subtasks."},
	{"numBytesOut", aggSum, "Bytes the vertex emitted, summed over its subtasks."},
	{"numBytesInPerSecond", aggSum, "Bytes the vertex reads per second, summed over its subtasks."},
	{"numBytesOutPerSecond", aggSum, "Bytes the vertex emits per second, summed over its subtasks."},
	{"backPressuredTimeMsPerSecond", aggMax, "Milliseconds per second the most back-pressured subtask of the vertex was back-pressured (1000 = always)."},
	{"softBackPressuredTimeMsPerSecond", aggMax, "Milliseconds per second the most back-pressured subtask was softly back-pressured."},
	{"hardBackPressuredTimeMsPerSecond", aggMax, "Milliseconds per second the most back-pressured subtask was hard back-pressured."},
	{"busyTimeMsPerSecond", aggMax, "Milliseconds per second the busiest subtask of the vertex was busy."},
	{"idleTimeMsPerSecond", aggMin, "Milliseconds per second the least idle subtask of the vertex was idle."},
	{"buffers.inPoolUsage", aggMax, "Highest input buffer pool usage among the vertex's subtasks (0 to 1)."},
	{"buffers.outPoolUsage", aggMax, "Highest output buffer pool usage among the vertex's subtasks (0 to 1)."},
	{"buffers.inputQueueLength", aggSum, "Queued input buffers, summed over the vertex's subtasks."},
	{"buffers.outputQueueLength", aggSum, "Queued output buffers, summed over the vertex's subtasks."},
	{"currentInputWatermark", aggMin, "Lowest input watermark among the vertex's subtasks, in milliseconds since the epoch."},
	{"checkpointStartDelayNanos", aggMax, "Longest delay among the vertex's subtasks between a checkpoint's creation and its start, in nanoseconds."},
	{"checkpointAlignmentTime", aggMax, "Longest checkpoint alignment among the vertex's subtasks, in nanoseconds."},
}

// operatorMetricSpecs are the per-operator metrics of a vertex's subtasks,
// found in the REST API as <operator>.<id>. They are emitted as
// flink_taskmanager_job_task_operator_<id> (dots and dashes become
// underscores) with the task labels and operator_name.
var operatorMetricSpecs = []spec{
	{"numRecordsIn", aggSum, "Records the operator received, summed over the vertex's subtasks."},
	{"numRecordsOut", aggSum, "Records the operator emitted, summed over the vertex's subtasks."},
	{"numRecordsInPerSecond", aggSum, "Records the operator receives per second, summed over the vertex's subtasks."},
	{"numRecordsOutPerSecond", aggSum, "Records the operator emits per second, summed over the vertex's subtasks."},
	{"numRecordsInErrors", aggSum, "Records the source operator failed to read, summed over the vertex's subtasks."},
	{"numLateRecordsDropped", aggSum, "Records the operator dropped because they arrived late, summed over the vertex's subtasks."},
	{"pendingRecords", aggSum, "Records the source has not fetched yet (for a Kafka source: its lag), summed over the vertex's subtasks."},
	{"currentInputWatermark", aggMin, "Lowest input watermark of the operator among the vertex's subtasks, in milliseconds since the epoch."},
	{"currentOutputWatermark", aggMin, "Lowest output watermark of the operator among the vertex's subtasks, in milliseconds since the epoch."},
	{"currentEmitEventTimeLag", aggMax, "Longest time between a record's event time and its emission by the source, in milliseconds."},
	{"currentFetchEventTimeLag", aggMax, "Longest time between a record's event time and its fetch by the source, in milliseconds."},
	{"sourceIdleTime", aggMin, "Shortest time the source has not processed any record, in milliseconds."},
	{"KafkaSourceReader.commitsSucceeded", aggSum, "Successful offset commits of the Kafka source to Kafka, summed over the vertex's subtasks."},
	{"KafkaSourceReader.commitsFailed", aggSum, "Failed offset commits of the Kafka source to Kafka, summed over the vertex's subtasks."},
	{"KafkaSourceReader.KafkaConsumer.records-lag-max", aggMax, "Largest partition lag in records seen by the Kafka source's consumer."},
	{"KafkaConsumer.records-lag-max", aggMax, "Largest partition lag in records seen by the (legacy) Flink Kafka consumer."},
	{"KafkaSourceReader.KafkaConsumer.records-consumed-rate", aggSum, "Records per second the Kafka source's consumers fetch, summed over the vertex's subtasks."},
	{"KafkaConsumer.records-consumed-rate", aggSum, "Records per second the (legacy) Flink Kafka consumers fetch, summed over the vertex's subtasks."},
}

// kafkaPartitionSpecs are the per-partition offsets of Kafka sources, found
// as <operator>.<group>.topic.<topic>.partition.<p>.<metric>; the key is
// "<group>.<metric>". They are emitted as
// flink_taskmanager_job_task_operator_<group>_topic_partition_<metric> with
// topic and partition labels, as the Prometheus reporter turns these
// key-value groups into labels.
var kafkaPartitionSpecs = []spec{
	{"KafkaSourceReader.currentOffset", aggMax, "Offset the Kafka source has consumed up to in the partition."},
	{"KafkaSourceReader.committedOffset", aggMax, "Offset the Kafka source last committed to Kafka for the partition."},
	{"KafkaConsumer.currentOffsets", aggMax, "Offset the (legacy) Flink Kafka consumer has consumed up to in the partition."},
	{"KafkaConsumer.committedOffsets", aggMax, "Offset the (legacy) Flink Kafka consumer last committed for the partition."},
}

// jobStates are the states of a Flink job (JobStatus), emitted one-hot by
// flink_job_state.
var jobStates = []string{
	"INITIALIZING", "CREATED", "RUNNING", "FAILING", "FAILED", "CANCELLING",
	"CANCELED", "FINISHED", "RESTARTING", "SUSPENDED", "RECONCILING",
}

// terminalStates are the job states in which nothing but the state is
// collected: the job's tasks and metrics are gone.
var terminalStates = map[string]bool{"FINISHED": true, "FAILED": true, "CANCELED": true, "SUSPENDED": true}

// Label names.
var (
	jobLabels      = []string{"job_id", "job_name"}
	taskLabels     = []string{"job_id", "job_name", "task_id", "task_name"}
	operatorLabels = []string{"job_id", "job_name", "task_id", "task_name", "operator_name"}
	kafkaLabels    = []string{"job_id", "job_name", "task_id", "task_name", "operator_name", "topic", "partition"}
)

// metricName turns a Flink metric id into the Prometheus metric name the
// reporter would use under prefix: every character outside [a-zA-Z0-9_:]
// becomes an underscore.
func metricName(prefix, id string) string {
	var sb strings.Builder
	sb.Grow(len(prefix) + len(id))
	sb.WriteString(prefix)
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == ':':
			sb.WriteRune(r)
		default:
			sb.WriteByte('_')
		}
	}
	return sb.String()
}

// metricDesc is one Flink metric bound to its description.
type metricDesc struct {
	spec
	desc *collector.Desc
}

// descs holds every description a Collector emits. Component metrics of
// the JobManager and TaskManagers, whose names are only known from the
// cluster, are described on first sight (see Collector.componentDesc).
type descs struct {
	job      []metricDesc
	task     map[string]metricDesc // by id
	operator map[string]metricDesc // by id after the operator name
	kafka    map[string]metricDesc // by "<group>.<metric>"

	jobState      *collector.Desc
	jobTasks      *collector.Desc
	checkpointAge *collector.Desc
	slots         *collector.Desc
	slotsFree     *collector.Desc
	topicInfo     *collector.Desc
}

func newDescs() *descs {
	g := model.MetricTypeGauge
	d := &descs{
		task:     make(map[string]metricDesc, len(taskMetricSpecs)),
		operator: make(map[string]metricDesc, len(operatorMetricSpecs)),
		kafka:    make(map[string]metricDesc, len(kafkaPartitionSpecs)),
	}
	for _, s := range jobMetricSpecs {
		d.job = append(d.job, metricDesc{s, collector.NewDesc(metricName("flink_jobmanager_job_", s.id), s.help, g, jobLabels...)})
	}
	for _, s := range taskMetricSpecs {
		d.task[s.id] = metricDesc{s, collector.NewDesc(metricName("flink_taskmanager_job_task_", s.id), s.help, g, taskLabels...)}
	}
	for _, s := range operatorMetricSpecs {
		d.operator[s.id] = metricDesc{s, collector.NewDesc(metricName("flink_taskmanager_job_task_operator_", s.id), s.help, g, operatorLabels...)}
	}
	for _, s := range kafkaPartitionSpecs {
		group, metric, _ := strings.Cut(s.id, ".")
		name := metricName("flink_taskmanager_job_task_operator_", group+"_topic_partition_"+metric)
		d.kafka[s.id] = metricDesc{s, collector.NewDesc(name, s.help, g, kafkaLabels...)}
	}
	d.jobState = collector.NewDesc("flink_job_state",
		"Whether the job is in the state given by the state label (1) or not (0).", g, "job_id", "job_name", "state")
	d.jobTasks = collector.NewDesc("flink_job_tasks",
		"Number of the job's tasks in the state given by the state label.", g, "job_id", "job_name", "state")
	d.checkpointAge = collector.NewDesc("flink_job_last_checkpoint_age_seconds",
		"Seconds since the job's last completed checkpoint was acknowledged, by the JobManager's clock.", g, jobLabels...)
	d.slots = collector.NewDesc("flink_taskmanager_slots",
		"Number of task slots the TaskManager offers.", g, "tm_id")
	d.slotsFree = collector.NewDesc("flink_taskmanager_slots_free",
		"Number of the TaskManager's task slots that are free.", g, "tm_id")
	d.topicInfo = collector.NewDesc("pipewatch_stream_job_topic_info",
		"A stream job reads (direction=\"in\") or writes (\"out\") a Kafka topic; the value is always 1.", g,
		"system", "job_name", "component", "topic", "direction", "consumergroup")
	return d
}
