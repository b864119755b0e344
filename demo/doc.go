// Package demo is the embedded demo platform behind `pipewatch --demo`: an
// in-process Kafka cluster carrying a small but realistic log pipeline, so
// that a fresh pipewatch has something real to watch.
//
// # The cluster
//
// [New] starts a three-broker [kfake] cluster that speaks the real Kafka
// protocol on random free ports of 127.0.0.1 ([Platform.Brokers]) and
// creates the topics of every module. Nothing else runs until
// [Platform.Run], which starts the producers and consumers, blocks until its
// context is cancelled, then closes every client and the cluster.
//
// # The pipeline
//
// The platform declares a catalog of modules ([Platform.Modules]), the
// log-flow modules of a Qunar/Ctrip-like travel platform: hotel search logs,
// flight orders, payment audit, ad impressions, nginx access logs and so on.
// A module has an owning team, one or two producers, one or two topics of 4
// to 8 partitions (the stalling module's one), one or more consumer groups and the sinks those groups
// write to ("es:hotel-search-*", "hbase:flight_orders", "redis:session",
// ...). Sinks are names only; nothing is written anywhere. Within a module
// every producer writes every topic and every group reads every topic, so a
// topology may connect them all to all.
//
// Producers write small JSON values ({"ts":<unix ms>,"seq":...,...}) whose
// record timestamp is the produce time. They are idempotent (kgo's
// default), and the cluster answers DescribeProducers for them as Kafka 2.8
// and later do ([TrackProducers]; kfake alone lists only producers inside
// a transaction), so pipewatch observes which topics are being written. Each module's rate follows a
// compressed day: a sinusoid plus a second harmonic with a period of
// [Options.DayLength] (one hour by default, starting at the daily mean and
// rising), times slowly wandering multiplicative noise. The whole catalog
// averages about 1,150 records/s at [Options.RateScale] 1, between roughly
// 370 and 1,700 records/s over a day, written once a second per producer.
//
// Consumer groups come in two kinds:
//
//   - Live groups, whose members are ordinary consumer-group clients
//     (JoinGroup, heartbeats, assignments) that poll and commit every
//     [Options.CommitInterval]. Two of them run two members.
//   - Member-less job groups ([Module.JobGroups]), the way Flink and Spark
//     Structured Streaming use Kafka: a direct client reads all partitions
//     without joining any group, and every checkpoint (twice the commit
//     interval) it commits its positions with kadm CommitOffsets. Such a
//     group has committed offsets and lag but never any member.
//
// # The stall cycle
//
// One module, "hotdog-clicks" (the click stream of the app's hot-deals
// feed, aggregated into click-through rates in Redis by the live group
// "hotdog-ctr-aggregator", [Module.StallingGroup]), misbehaves on purpose.
// Its consumer repeats a cycle of [Options.StallCycle] (ten minutes by
// default), measured from the start of Run:
//
//   - healthy, the first 40% (4 min): it keeps up; at the start of each
//     cycle after the first it catches up with the backlog of the stall
//     within seconds;
//   - slowing, the next 40% (4 min): its processing capacity falls linearly
//     from the producer's mean rate to a tenth of it, so lag creeps up,
//     long enough for a forecast to see the trend before the stall;
//   - stalled, the last 20% (2 min): it neither polls nor commits, while its
//     member stays in the group and keeps heartbeating and the producer
//     keeps writing, so lag grows at the produce rate and the committed
//     offsets stand still (what pipewatch reports as STALL).
//
// # The systems around it
//
// Package demo/sim simulates what surrounds the pipeline on HTTP endpoints
// of 127.0.0.1, which `pipewatch --demo` collects next to the cluster: an
// Elasticsearch cluster holding the ES-sink modules' daily indices (named
// after their "es:" sinks, so the topology shows each sink as an observed
// index family), a Flink
// cluster running the "flink-" job groups, a Spark Streaming driver, a Storm
// topology and a Logstash node. They replay the shapes of real captured
// responses with values that follow the platform's rates
// ([Platform.TopicRate]): counters grow with the traffic, JVM heaps saw
// with their garbage collections, and the Elasticsearch write thread pools
// fill up and reject writes near the daily peak.
//
// # Memory
//
// kfake keeps every partition log in memory (segment files of an in-memory
// file system) and by default deletes nothing for a week. It does honour
// the topic configs retention.ms and retention.bytes, but only when
// retention runs: when its cleaner ticker fires (log.cleaner.backoff.ms, an
// hour by default) or when [kfake.Cluster.ApplyRetention] is called; and it
// frees memory only a whole segment at a time. The platform therefore gives
// every topic
//
//   - retention.bytes (per partition, as in Kafka) from a split of
//     [Options.MaxLogBytes] (24 MiB by default) over all topics in
//     proportion to their record rates, the stalling module's counted six
//     times, so every topic keeps about the same time span (some two
//     minutes at the default rates, at about 120 bytes a record) and
//     "hotdog-clicks" six times that (up to retention.ms), so its backlog
//     survives the stall;
//   - segment.bytes of a quarter of its retention.bytes (at least 16 KiB),
//     so that trimming frees memory in small steps;
//   - retention.ms of ten minutes, or twice the stall cycle if longer;
//
// and Run calls ApplyRetention every ten seconds. The partition logs thus
// never hold much more than MaxLogBytes plus one segment per partition,
// however long the demo runs; raising RateScale shortens the retained span
// instead of growing memory. The in-memory files grow by doubling and are
// freed a segment at a time, so they take up to about twice the log bytes:
// with the defaults the logs level off near 21 MiB, the live heap near 60
// MiB and the process RSS (Go heap with GOGC=100, clients and cluster
// together) near 130 MB. Everything else is bounded by construction:
// producers use TryProduce with at most 4,096 buffered records each and drop
// (and count) records rather than queue without end, consumers fetch at most
// 1 MiB per request, and committed offsets are one per group and partition.
// With a much longer StallCycle or a larger RateScale, raise MaxLogBytes so
// the stalled backlog is not trimmed before it is consumed.
package demo
