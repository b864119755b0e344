// Package logstash collects a Logstash node through its monitoring API
// (GET /_node/stats, one request per round): events in, filtered and out,
// flow rates and back-pressure, the persistent and dead-letter queues,
// reloads, per-plugin events and timings, the Elasticsearch output's bulk
// responses, failures and rejects, and the node's JVM and process.
//
// # Names
//
// Families and labels are those of logstash-exporter (kuskoman/logstash-exporter,
// the exporter whose dashboards users have): logstash_info_* for the node,
// logstash_stats_* for node-wide figures and logstash_stats_pipeline_* with
// a pipeline label (plus plugin_type, plugin and plugin_id for plugins, and
// code for the Elasticsearch output's bulk responses, where code="429"
// counts writes the cluster rejected). The exporter's hostname label is not
// added: the target's instance identifies the node. Types are the
// exporter's. pipewatch adds, in the same style, the worker_utilization flow
// (logstash_stats_flow_worker_utilization_* and
// logstash_stats_pipeline_flow_worker_utilization_*) and
// logstash_stats_pipeline_plugin_bulk_requests_failures (bulk requests that
// got no response). Figures a Logstash version does not report are not
// emitted (the exporter emits them as 0).
//
// The node's JVM figures are also emitted under package jvm's names
// (jvm_memory_bytes_used{area}, jvm_memory_pool_bytes_used{pool},
// jvm_gc_collection_seconds_count{gc}, process_cpu_seconds_total, ...), with
// Logstash's pool and collector names (young, survivor, old).
//
// For the topology it emits pipewatch_stream_job_topic_info{system=
// "logstash", job_name=<pipeline id>, component=<plugin name>, plugin_id,
// direction} for every named input (direction "in") and output ("out")
// plugin, so that each pipeline appears as the job "logstash/<pipeline id>"
// with its plugins (the stream job collectors' family; see package
// topology). Node stats name neither the Kafka topics a kafka input reads
// nor the indices an elasticsearch output writes (a plugin's stats are its
// id, name, events, flow and, for elasticsearch outputs, bulk responses and
// documents), so the series carry no topic and nothing links the job to
// topics or sinks: declare the pipeline's job in a module ("jobs:
// [logstash/<pipeline id>]") to link it. Plugin ids are never read as
// topic or index names, even when set by hand. Logstash's own pipelines
// (ids starting with ".", such as .monitoring-logstash) are left out.
//
// # Errors
//
// Collect fails the round when the stats cannot be read (network error,
// status other than 200, malformed or oversized body, or an answer without a
// pipelines field). A pipeline whose stats have an unexpected shape makes
// the round partial: the node's figures and the other pipelines are kept.
package logstash
