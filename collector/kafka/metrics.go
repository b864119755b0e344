package kafka

import (
	"strconv"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/collector"
)

// descs are the metric families the collector emits. Every family carries
// the cluster label first. Names and labels of the kafka_topic_* and
// kafka_consumergroup_* families that kafka_exporter also has are the same
// as kafka_exporter's, so its dashboards work unchanged.
type descs struct {
	brokers, topicPartitions, topicCurrentOffset, topicOldestOffset, topicInfo family
	groupCurrentOffset, groupCurrentOffsetSum, groupLag, groupLagSum           family
	groupLagSeconds, groupLostOffsets, groupUncommitted                        family
	groupMembers, groupState, groupStatus, partitionStatus, groupAssignment    family
	probeAvailability, probeSent, probeReceived, probeFailed, metadataAge      family
	topicProducers, topicProducerLast                                          family
	probeProduceLatency, probeE2ELatency                                       histogramDesc
}

// family is a metric family: its collector.Desc, for Batch.Emit, and its
// label names, so that the label sets of long-lived series can be built
// once and appended with Batch.Add round after round.
type family struct {
	*collector.Desc
	labelNames []string
}

func newFamily(name, help string, typ model.MetricType, labelNames ...string) family {
	return family{Desc: collector.NewDesc(name, help, typ, labelNames...), labelNames: labelNames}
}

// labels builds the label set of one series of f, as Batch.Emit would:
// empty values are dropped.
func (f family) labels(sb *labels.ScratchBuilder, values ...string) labels.Labels {
	sb.Reset()
	sb.Add(model.MetricNameLabel, f.Name())
	for i, v := range values {
		if v != "" {
			sb.Add(f.labelNames[i], v)
		}
	}
	sb.Sort()
	return sb.Labels()
}

// all returns every plain family, for describing them each round.
func (d *descs) all() []family {
	return []family{
		d.brokers, d.topicPartitions, d.topicCurrentOffset, d.topicOldestOffset, d.topicInfo,
		d.groupCurrentOffset, d.groupCurrentOffsetSum, d.groupLag, d.groupLagSum,
		d.groupLagSeconds, d.groupLostOffsets, d.groupUncommitted,
		d.groupMembers, d.groupState, d.groupStatus, d.partitionStatus, d.groupAssignment,
		d.metadataAge,
	}
}

// histogramDesc describes a classic histogram family with a cluster label.
// Its metadata is recorded under the family name, as Prometheus does, and
// its samples are the family's _bucket, _sum and _count series.
type histogramDesc struct {
	name string
	meta collector.Metadata
}

func newHistogramDesc(name, help string) histogramDesc {
	if !model.LegacyValidation.IsValidMetricName(name) {
		panic("kafka: invalid histogram name " + name)
	}
	return histogramDesc{name: name, meta: collector.Metadata{Type: model.MetricTypeHistogram, Help: help, Unit: "seconds"}}
}

// emit adds the samples of h to b.
func (d histogramDesc) emit(b *collector.Batch, sb *labels.ScratchBuilder, cluster string, h *histogram) {
	b.Describe(d.name, d.meta)
	series := func(suffix, le string, v float64) {
		sb.Reset()
		sb.Add(model.MetricNameLabel, d.name+suffix)
		sb.Add("cluster", cluster)
		if le != "" {
			sb.Add(model.BucketLabel, le)
		}
		sb.Sort()
		b.Add(sb.Labels(), v)
	}
	var cum uint64
	for i, ub := range probeBuckets {
		cum += h.counts[i]
		series("_bucket", strconv.FormatFloat(ub, 'g', -1, 64), float64(cum))
	}
	series("_bucket", "+Inf", float64(h.count))
	series("_sum", "", h.sum)
	series("_count", "", float64(h.count))
}

// probeBuckets are the upper bounds of the probe latency histograms, in
// seconds.
var probeBuckets = [...]float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// histogram is a classic cumulative histogram over probeBuckets.
type histogram struct {
	counts [len(probeBuckets)]uint64 // per bucket, not cumulative
	count  uint64
	sum    float64
}

func (h *histogram) observe(v float64) {
	for i, ub := range probeBuckets {
		if v <= ub {
			h.counts[i]++
			break
		}
	}
	h.count++
	h.sum += v
}

func newDescs() *descs {
	const (
		gauge   = model.MetricTypeGauge
		counter = model.MetricTypeCounter
	)
	d := newFamily
	return &descs{
		brokers:            d("kafka_brokers", "Number of brokers in the Kafka cluster.", gauge, "cluster"),
		topicPartitions:    d("kafka_topic_partitions", "Number of partitions of the topic.", gauge, "cluster", "topic"),
		topicCurrentOffset: d("kafka_topic_partition_current_offset", "Latest (end) offset of the topic partition: the offset the next record will get.", gauge, "cluster", "topic", "partition"),
		topicOldestOffset:  d("kafka_topic_partition_oldest_offset", "Oldest (log start) offset of the topic partition, refreshed every metadata_interval.", gauge, "cluster", "topic", "partition"),
		topicProducers:     d("kafka_topic_producers", "Distinct producers (producer ids) whose last write to any partition of the topic is within the last 5 minutes, as the partition leaders list them (DescribeProducers, Kafka 2.8 or later; idempotent and transactional producers only, which every Kafka 3.0+ client is by default). Refreshed every metadata_interval; only with producers: true.", gauge, "cluster", "topic"),
		topicProducerLast:  d("kafka_topic_producer_last_append_timestamp_seconds", "Newest last-write timestamp of any producer the partition leaders still remember for the topic (a day by default, producer.id.expiration.ms), in Unix seconds: the record timestamp of the producer's last batch. Refreshed every metadata_interval; only with producers: true.", gauge, "cluster", "topic"),
		topicInfo:          d("kafka_topic_info", "Topic configuration that changes how its lag reads, as labels; the value is always 1. With cleanup_policy compact, offset lag counts compacted-away records too.", gauge, "cluster", "topic", "cleanup_policy"),

		groupCurrentOffset:    d("kafka_consumergroup_current_offset", "Committed offset of the consumer group on the partition: the next offset it will read.", gauge, "cluster", "consumergroup", "topic", "partition"),
		groupCurrentOffsetSum: d("kafka_consumergroup_current_offset_sum", "Sum of the consumer group's committed offsets over the topic's partitions.", gauge, "cluster", "consumergroup", "topic"),
		groupLag:              d("kafka_consumergroup_lag", "Records the consumer group has yet to read on the partition: end offset minus committed offset, never negative. Not reported when the committed offset was deleted by retention (see kafka_consumergroup_lost_offsets).", gauge, "cluster", "consumergroup", "topic", "partition"),
		groupLagSum:           d("kafka_consumergroup_lag_sum", "Sum of the consumer group's lag over the topic's partitions.", gauge, "cluster", "consumergroup", "topic"),
		groupLagSeconds:       d("kafka_consumergroup_lag_seconds", "Estimated age of the oldest record the consumer group has not read on the partition, in seconds; 0 when caught up. Interpolated from the partition's end-offset history, so it is off by at most the interval between the two history points around the committed offset.", gauge, "cluster", "consumergroup", "topic", "partition"),
		groupLostOffsets:      d("kafka_consumergroup_lost_offsets", "Records deleted by retention before the consumer group read them: log start offset minus committed offset, reported instead of a lag while the committed offset is below the log start.", gauge, "cluster", "consumergroup", "topic", "partition"),
		groupUncommitted:      d("kafka_consumergroup_uncommitted_partitions", "Partitions of a topic the consumer group reads or is assigned on which it has no committed offset; they have no lag series.", gauge, "cluster", "consumergroup", "topic"),
		groupMembers:          d("kafka_consumergroup_members", "Number of members of the consumer group; 0 for groups that only commit offsets (Flink, Spark, Storm).", gauge, "cluster", "consumergroup"),
		groupState:            d("kafka_consumergroup_state", "State of the consumer group as the coordinator reports it (Stable, Empty, PreparingRebalance, ...), with its protocol type (classic, consumer, streams); the value is always 1.", gauge, "cluster", "consumergroup", "type", "state"),
		groupStatus:           d("kafka_consumergroup_status", "Consumer group status from Burrow-style rules over a sliding window of commits: 1 for the group's current status (its worst partition), 0 for the others. OK, WARN (lag grew at every commit), REWIND (offset went backwards), STALL (a live member makes no progress while lagging), STOP (no progress and no member while new data arrives), ERR (unread records were deleted).", gauge, "cluster", "consumergroup", "status"),
		partitionStatus:       d("kafka_consumergroup_partition_status", "Status of the consumer group on one partition, reported only while it is not OK; the value is always 1.", gauge, "cluster", "consumergroup", "topic", "partition", "status"),
		groupAssignment:       d("kafka_consumergroup_assignment", "Number of the topic's partitions assigned to the consumer group's members with this client id on this host.", gauge, "cluster", "consumergroup", "topic", "client_id", "host"),

		probeAvailability:   d("kafka_probe_availability", "Fraction of the last probe round's records (one per probe-topic partition) that were acknowledged and read back within the probe timeout.", gauge, "cluster"),
		probeSent:           d("kafka_probe_records_sent_total", "Probe records produced.", counter, "cluster"),
		probeReceived:       d("kafka_probe_records_received_total", "Probe records read back.", counter, "cluster"),
		probeFailed:         d("kafka_probe_records_failed_total", "Probe records not acknowledged or not read back within the probe timeout.", counter, "cluster"),
		probeProduceLatency: newHistogramDesc("kafka_probe_produce_latency_seconds", "Time from producing a probe record to its acknowledgement by all in-sync replicas."),
		probeE2ELatency:     newHistogramDesc("kafka_probe_end_to_end_latency_seconds", "Time from producing a probe record to reading it back."),

		metadataAge: d("pipewatch_kafka_metadata_age_seconds", "Seconds since the collector last listed the cluster's topics, groups and log start offsets.", gauge, "cluster"),
	}
}
