// Package sim simulates the systems around the demo platform (package
// demo), so that `pipewatch --demo` shows Elasticsearch, stream job and JVM
// metrics next to the platform's Kafka. Each system is an HTTP server on its
// own listener of 127.0.0.1 that answers every request pipewatch's collector
// of that kind makes by default, with the shapes of real captured responses
// and values that follow the demo's traffic.
//
// # The systems
//
//   - Elasticsearch ([URLs].Elasticsearch): a green cluster "demo-logs" of
//     three Elasticsearch 8.10 nodes holding the indices of the modules
//     with an "es:" sink, answering /, /_cluster/health, /_nodes/stats,
//     /_cluster/settings and the per-index statistics of /_all/_stats
//     (which the collector reads with `indices: true`, as the demo's
//     target does). Each sink "es:<prefix>*" has two daily indices of
//     three primaries and one replica, "<prefix><yyyy.MM.dd>" for today
//     and yesterday in UTC by the simulation's clock (an "es:" sink
//     without "*" has one index of that name), so that the topology's
//     index families are the declared sinks. Today's index holds the
//     documents written since midnight and yesterday's those of its
//     day; their indexing totals count what was indexed since the run
//     started and add up to the nodes' for the first day of a run.
//   - Flink ([URLs].Flink): a JobManager and two TaskManagers running one
//     job per member-less "flink-" job group of the catalog, named after
//     the group. Each job has a Kafka source vertex, whose per-partition
//     offsets name the module's topics (so the topology links job and
//     topics), and a processing and sink vertex; the job checkpoints every
//     ten seconds.
//   - Spark ([URLs].Spark): the driver UI of the catalog's first "spark-"
//     job group, a Spark Streaming (DStream) application with 2 s batches
//     on two executors, which also runs one Structured Streaming query
//     over the same topics ("<group>-dedup", a deduplication within a
//     10-minute watermark, triggered every 10 s) whose gauges the metrics
//     servlet (/metrics/json/) serves.
//   - Storm ([URLs].Storm): a UI with one topology, the consumer of the live
//     group "price-cache-updater": a Kafka spout, a parsing bolt and a
//     writing bolt, with the spout's lag per partition.
//   - Logstash ([URLs].Logstash): a node running the pipeline of the live
//     group "logstash-nginx", from a Kafka input to an Elasticsearch output.
//   - Kafka Connect ([URLs].KafkaConnect): a worker of a two-worker cluster
//     running an Elasticsearch sink connector for each of the live groups
//     "train-ticket-es-indexer" and "cs-chat-es-indexer", named after the
//     group and consuming as it, with two tasks each, answering the
//     expanded connector listing and each connector's topics.
//
// # How values move
//
// Every value is a pure function of the time elapsed since New, through the
// platform's mean produce rates ([Platform].TopicRate, its diurnal curve
// without the producers' noise), so two requests at the same time answer
// the same and a request costs no more than rendering a pre-compiled
// response:
//
//   - Counters (documents indexed, records in and out, tuples acked, events,
//     batches, checkpoints, bulk requests) are integrals of the rates of
//     the topics a system handles. The rates repeat every simulated day,
//     so the integrals are tabulated over one day when the simulation is
//     built, and systems that ran before the demo started count the
//     previous day's traffic. Kafka offsets are the records written to
//     each partition; they follow the real offsets of the demo's cluster
//     closely but not exactly, since the real producers add noise.
//   - Each JVM allocates per second and per record handled, so its heap is
//     a sawtooth of young collections that runs faster at busy times, and
//     its collection counts and times, CPU time and uptime only grow.
//   - Gauges (CPU, latencies, queue lengths, memory) follow the load with
//     smooth deterministic noise keyed by the series, from a constant
//     seed rather than a shared random source, so every run looks the same
//     at the same point of its day.
//   - The Elasticsearch cluster is sized to strain near the daily peak of
//     the combined rate of the ES-sink modules: above 88% of that peak the
//     write thread pools' queues fill, and above 94% they are full and the
//     pools' rejected counters climb (to 24 rejects a second at the peak),
//     which the bundled ElasticsearchRejectsRising alert reports. With the
//     demo catalog that is about a fifth of each day, starting some four
//     minutes into a run with the default one-hour day. The Logstash node's
//     Elasticsearch output sees the same overload as bulk responses with
//     status 429, the Flink jobs' sources are back-pressured near their
//     own peaks, and a task of the first Kafka Connect connector is FAILED
//     (with the trace of a rejected bulk request) until the cluster
//     accepts writes again.
//
// # Responses
//
// The captured responses in testdata (see its README for their origin)
// are embedded and compiled once by New into templates: the fields that
// move become holes, filled from the state computed for each request, and
// everything else keeps the captured value. Objects are written with
// sorted keys. Flink's metric endpoints are answered from the captured
// metric lists with the moving values replaced, listing ids without get
// and aggregating over subtasks as Flink's handlers do.
//
// # Lifecycle
//
// New builds the systems and listens on their ports, so URLs are known
// before anything runs; Run serves until its context is cancelled and then
// closes the listeners. Memory is fixed after New: a few hundred
// kilobytes of templates and tables.
package sim
