// Package topology builds the live data-flow graph of a pipeline platform:
// for every module, producers → topics → consumer groups and jobs → sinks,
// each node and edge annotated with its health, so the person on call sees
// at a glance which hop is stuck.
//
// The graph comes from two kinds of knowledge, merged by Build:
//
//   - Observed: what the collectors stored — a group's committed offsets
//     and assignments link it to the topics it reads; job, connector and
//     pipeline series link jobs to topics and sinks. Observations are read
//     with PromQL through a QueryFunc at the requested time, so the same
//     code answers "now" and "at 03:12 last night". Every observed edge
//     names the sources that saw it (Edge.Sources) and when its
//     observation was last written (Edge.LastSeen).
//   - Declared: modules from the configuration (and the demo platform),
//     with owners, aliases, producers, jobs and sinks that no API shows.
//
// # Discovery
//
// observers lists what makes nodes and edges, one query each:
//
//   - Kafka topics (kafka_topic_partitions), and groups linked to the
//     topics they read by committed offsets and live assignments.
//   - Producers, from kafka_topic_producers (a Kafka collector with
//     producers: true counts the producer ids that wrote to a topic in
//     the last 5 minutes; the protocol does not name the clients). A
//     topic with active producers confirms the edges from the producers
//     a module declares for it; with none declared, one observed node
//     "producer:<cluster>/<topic>", named "3 producers", stands for them
//     (see observeProducers). Without the series, producers are declared
//     only.
//   - Stream jobs, "job:<system>/<job name>", from
//     pipewatch_stream_job_topic_info: Flink sources, Storm spouts and
//     Kafka Connect connectors name the topics they read or write, which
//     links them; the component label (vertex, spout, connector class,
//     plugin) becomes the node's Components. Logstash pipelines
//     ("job:logstash/<pipeline id>") report their input and output plugins
//     but no topics, which node stats do not show, so they are linked only
//     by declaring the job in a module.
//   - Spark Streaming applications ("job:spark/<application name>") from
//     spark_streaming_batch_duration_seconds (DStreams) or
//     spark_structured_streaming_input_rate (Structured Streaming
//     queries); the Spark API names no topics either.
//   - Elasticsearch index families: with a collector's per-index series
//     (indices: true), every index family (IndexFamily: the index name
//     without date and rollover suffixes, "hotel-search-*") of a cluster is
//     a sink "sink:<cluster>/es:<family>". Declared "es:" sinks claim the
//     families they match ("es:hotel-search-*", "es:hotel-search", an
//     index name, or a glob such as "es:hotel-*"); which job or group writes
//     an index is not stored, so edges into sinks are declared.
//
// Declared jobs are named like observed ones, "<system>/<job name>"
// ("flink/audit-enrich", "logstash/main"), so that they match.
//
// Merge rules: declared never hides observed; every edge is "confirmed"
// (declared and observed), "observed" (observed only) or "declared"
// (declared but not seen, shown as such). Nodes no declaration claims are
// put into a module inferred from their name (see inferModule; a job's
// name without its system, a sink's index family without wildcard).
//
// # Health
//
// Every node and edge is "ok", "warn", "critical" or "unknown", with a
// reason ("lag 12m and rising, ETA to SLO 4m"). The worst hop of a module is
// named on the module. figures lists the queries health is computed from,
// and annotate the rules, numbered: consumer status and time lag of hops,
// the lag forecast's ETA to the SLO, Flink restarts, failed checkpoints,
// back-pressure and failed states, Storm failed tuples, Spark batches
// slower than their interval, Logstash bulk rejects, the Elasticsearch
// write path (thread-pool rejects, red cluster) of "es:" sinks, and firing
// alerts. Besides health, nodes and edges carry their figures as Stats:
// topics in_rate and out_rate (produced and consumed, summed over groups)
// and producers (active producers, with a Kafka collector's producers:
// true; also on producer edges and observed producer nodes),
// hops lag, lag_seconds, rate and eta_seconds, sinks in_rate (documents
// indexed into the family) and es_write_rejects, jobs the figures of their
// rules.
package topology
