// Package connect collects a Kafka Connect cluster through the REST API of
// any of its workers: every connector's state, class and type, its tasks'
// states and workers, the error of failed connectors and tasks, and the
// topics each connector reads or writes.
//
// # Requests
//
// One round reads /connectors?expand=status&expand=info, then
// /connectors/:name/topics for each connector (KIP-558, Kafka 2.5 and
// later), concurrently (at most Config.MaxConcurrentRequests at a time).
// Workers older than Kafka 2.3 ignore expand and list names only; their
// connectors' /status and configuration are then read one by one. Where
// the topics endpoint is missing (404) or topic tracking is disabled (403),
// a sink's configured topics (the topics key) stand in; a source's topics
// are then unknown.
//
// # Names
//
// Names follow what the Prometheus JMX exporter makes of Connect's MBeans
// with the widely used rules of Confluent's jmx-monitoring-stacks
// (kafka_connect.yml), so their dashboards apply:
// kafka_connect_connector_metrics{connector} with one series per attribute
// (status="running", connector_class=..., connector_type="sink"), and
// kafka_connect_connect_worker_metrics_connector_{running,paused,failed,
// unassigned,restarting,total}_task_count{connector}, plus
// kafka_connect_connect_worker_metrics_connector_count and _task_count with
// connector="aggregate". The JMX figures are per worker and the REST
// figures are the cluster's, so dashboards that sum over workers show the
// same totals.
//
// pipewatch adds kafka_connect_task_status{connector,task,worker_id,status}
// (status lowercased as the MBeans report it), and, for connectors and tasks
// in the FAILED state, kafka_connect_connector_failure_info and
// kafka_connect_task_failure_info{trace} whose trace label is the stack
// trace's first line and its root cause ("... | caused by: ..."), control
// characters replaced and cut to 512 bytes on a character boundary, so the
// reason a task died is one query away without blowing up the index. For the
// topology it emits pipewatch_stream_job_topic_info{system="kafka_connect",
// job_name=<connector>, component=<connector class>, topic, direction}:
// direction "in" with consumergroup (consumer.override.group.id, or the
// default connect-<connector>) for sinks, "out" for sources.
//
// # Errors
//
// Collect fails the round only when the connector list cannot be read
// (network error, status other than 200, malformed or oversized body, or an
// answer that is neither an object nor a list). Any other failure (one
// connector's status, configuration or topics) makes the round partial:
// what was read is kept and the error names what was not.
package connect
