// Package kafka collects consumer lag, in offsets and in seconds, and a
// Burrow-style consumer status from Kafka clusters, with franz-go (kgo and
// kadm) and without ZooKeeper.
//
// # Types and wiring
//
// A Config (one entry of the kafka list in the configuration file) becomes
// a Collector with New(cfg, Options). Options carry the logger, the clock
// and, for tests, the dialer. The Collector implements collector.Collector
// (Collect) and io.Closer (Close): the Manager calls Collect every
// collect_interval and Close when the target stops. Zero settings take
// their defaults, so a Config with a Name and Brokers is enough; DemoConfig
// is the configuration of the embedded demo platform's cluster.
//
// The collector adds cluster="<name>" to every series itself; the Manager
// adds job="kafka/<name>" and instance (Config.Instance, the seed brokers).
//
// # Two paths
//
// The fast path is Collect itself. Every round it sends two batched,
// concurrent requests, split by kgo per broker: OffsetFetch for all
// committed offsets of every known group (many groups per request, one per
// coordinator) and ListOffsets for the end offset of every known partition
// (one per partition leader). Both requests are built once per metadata
// snapshot. It then updates the per-partition histories and commit windows,
// computes lag, time lag and status, and appends everything to the batch.
// On the ctrip profile (10,400 partitions, 300 groups) a round takes some
// 30-60 ms and 30 ms of CPU; see bench/kafka.
//
// The slow path is a goroutine the collector owns: the first Collect
// starts it and waits for its first result; Close stops it. (The Collector
// interface has no Run method, and the work must not hold up a fast round.)
// Every metadata_interval (30s by default) it lists topics (partitions and
// internal flags, bypassing the client's metadata cache), log start offsets
// and cleanup.policy, and lists groups of every type with ListGroups v5:
// classic groups and KIP-848 consumer groups alike (kadm.Lag without group
// names would skip the latter). Classic groups are described with
// DescribeGroups, consumer groups with ConsumerGroupDescribe (topic IDs in
// their assignments are resolved to names); streams groups are fetched but
// not described; share groups keep no consumer offsets and are skipped. The
// fast path asks for an early refresh (at most one per collect_interval)
// when it sees a topic, partition or group the snapshot does not know or no
// longer exists. The snapshot is published whole; the fast path never
// blocks on it after the first round.
//
// # Metrics
//
// kafka_exporter's names and labels, so that its dashboards work:
// kafka_brokers, kafka_topic_partitions{topic},
// kafka_topic_partition_current_offset{topic,partition},
// kafka_topic_partition_oldest_offset{topic,partition},
// kafka_consumergroup_current_offset{consumergroup,topic,partition},
// kafka_consumergroup_current_offset_sum{consumergroup,topic},
// kafka_consumergroup_lag{consumergroup,topic,partition},
// kafka_consumergroup_lag_sum{consumergroup,topic} and
// kafka_consumergroup_members{consumergroup}. pipewatch's own:
// kafka_consumergroup_lag_seconds, kafka_consumergroup_status{status} (one
// series per status, 1 for the current one),
// kafka_consumergroup_partition_status{topic,partition,status} (only while
// not OK), kafka_consumergroup_state{type,state},
// kafka_consumergroup_assignment{topic,client_id,host} (partitions
// assigned), kafka_consumergroup_lost_offsets,
// kafka_consumergroup_uncommitted_partitions, kafka_topic_info{cleanup_policy},
// pipewatch_kafka_metadata_age_seconds, with the probe kafka_probe_*, and
// with producers: true kafka_topic_producers{topic} and
// kafka_topic_producer_last_append_timestamp_seconds{topic}.
// Every family has HELP and TYPE.
//
// # Producers
//
// The Kafka protocol names no producer clients, but brokers from 2.8 on
// list, per partition, the producer ids that wrote to it with their last
// write (DescribeProducers, KIP-664), and since Kafka 3.0 every producer is
// idempotent, and so has an id, by default. With Config.Producers the slow
// path sends DescribeProducers for every known topic at the end of each
// topic refresh, at most 2,000 partitions per request, one request after
// the other, and keeps per topic only the number of distinct producer ids
// whose last write is within ProducerWindow (5m) and the newest last
// write. A broker remembers a producer id for producer.id.expiration.ms (a
// day) after its last write, which is why the option is off by default: a
// cluster with many short-lived producers answers with every one of them.
// When no broker supports the request (ApiVersions, asked each refresh),
// the collector logs that once and reports no producer series; other
// failures are part of the snapshot's error (a partial round), and a topic
// whose partitions did not all answer keeps its previous figures.
//
// # Time lag and its accuracy
//
// For each partition the fast path keeps a bounded history (24 points) of
// (end offset, time) observations. The time lag of a group is how long ago
// the oldest record it has not read was appended: the time at which the end
// offset passed the committed offset, interpolated linearly between the two
// history points around it, subtracted from the round's time, never
// negative and 0 when caught up. The true time lies between those two
// points, so recent lags are exact to within one collect_interval (and to
// a few milliseconds on a steady producer); where the history was thinned,
// the points removed were those the straight line predicted best, keeping
// errors to a few percent of the lag (about 5% on a rate that jumps by up
// to 1000x every five minutes, see TestHistoryThinningAccuracy). Idle
// periods keep both of their ends, so a burst after an hour of silence is
// not dated half an hour back.
//
// When a group is behind the oldest point (at start-up, or after falling
// far behind), the slow path asks the brokers, once per partition, for the
// offsets at fixed ages from 10 s to 7 days (ListOffsets by timestamp,
// i.e. by record timestamps): each answer above the log start is an exact
// (end offset, time) point. Beyond the oldest point the time is
// extrapolated back at the history's mean rate, by at most the history's
// span, so the reported lag is at most twice the covered span; with no rate
// at all it is the age of the oldest point, a lower bound.
//
// # Consumer status
//
// Since OffsetFetch does not say when an offset was committed, a commit is
// an observed change of a committed offset; the last ten are kept per
// partition. The window is status_window (30s by default) or four times the
// median interval between the group's observed commits, whichever is
// longer, so that a Flink job checkpointing every minute is judged over
// four minutes. The interval is the partition's own or, if longer, the
// group's on any partition (so a partition that wakes after an idle spell
// is judged by the group's cadence); while neither is known the window is
// at least 30s. evaluate applies numbered rules, first match wins (see
// status.go): 1 ERR when the committed offset is below the log start
// (records lost to retention); 2 OK when the lag is zero; 3 REWIND when the
// offset went backwards within the window; 4 OK when the lag was zero at
// some observation within the window; 5 STALL when lagging without progress
// for longer than the window while a live member holds the partition; 6
// STOP when the same happens with no live member and new records arrived
// within the window; 7 OK for the same on an idle topic (an idle topic is
// never STOP); 8 WARN when the lag grew at each of at least five commits
// within the window; 9 OK. A group's status is its worst partition's, in
// the order OK < WARN < REWIND < STALL < STOP < ERR.
//
// # Edge cases
//
//   - A committed offset below the log start: ERR, current_offset and
//     lost_offsets (log start minus committed) are reported, lag and
//     lag_seconds are not (they would be fake).
//   - Compacted topics (cleanup.policy=compact without delete): compaction
//     removes only superseded records, so it is never taken for data loss;
//     offset lag counts compacted-away offsets too (kafka_topic_info says
//     which topics are compacted).
//   - Deleted topics and groups: UNKNOWN_TOPIC_OR_PARTITION and
//     GROUP_ID_NOT_FOUND drop them in the same round, with no series left
//     behind, and trigger a metadata refresh; their state is forgotten.
//   - Added partitions: reported at the next metadata refresh, at once when
//     a group commits to one.
//   - Offsets reset backwards: REWIND for one window.
//   - Groups that stopped consuming a topic: when a group's offsets on a
//     topic have not moved for lag_expiry (30m by default) while records
//     wait, no live member holds the topic and the group is busy elsewhere
//     (live members, or commits on other topics), its series for that
//     topic are no longer reported. A group that stopped altogether keeps
//     its series: that is STOP.
//   - Partitions of a consumed topic without a commit: no offset or lag
//     series, counted in uncommitted_partitions.
//   - Brokers down: requests are bounded by the round's timeout (kgo
//     retries for at most collect_timeout); partitions and groups that
//     answered are reported and Collect returns a collector.PartialError
//     naming what failed, so up stays 1. When no partition answers at all,
//     or the first metadata cannot be read, Collect returns a plain error
//     and up is 0.
//
// # End-to-end probe
//
// With probe.enabled, a goroutine (started and stopped like the slow path)
// produces one timestamped record to every partition of the probe topic
// every probe interval, with acks=all, and reads them back with a consumer
// of its own. It creates the topic if missing with one partition per
// broker, so that each broker leads one. kafka_probe_produce_latency_seconds
// and kafka_probe_end_to_end_latency_seconds are histograms;
// kafka_probe_availability is the share of the last round's records that
// came back within probe.timeout. A failing probe with healthy consumers
// points at Kafka, a healthy probe with lagging consumers at the consumers.
//
// # Security
//
// TLS (CA, client certificate, server name, skip-verify) and SASL PLAIN,
// SCRAM-SHA-256 and SCRAM-SHA-512, with the password inline, from a file or
// from an environment variable. Passwords are read by New and never logged
// or put in errors.
package kafka
