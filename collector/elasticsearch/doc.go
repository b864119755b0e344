// Package elasticsearch collects Elasticsearch (1.x to 8.x) and OpenSearch
// clusters under the metric names and labels of elasticsearch_exporter
// 1.5 (the version Debian packages as prometheus-elasticsearch-exporter),
// so that dashboards and alerts written for the exporter work unchanged.
//
// # Requests
//
// Every round a Collector sends, concurrently:
//
//   - GET / for elasticsearch_version{version, cluster, cluster_uuid, ...};
//   - GET /_cluster/health for elasticsearch_cluster_health_* (shards,
//     nodes, pending tasks) and elasticsearch_cluster_health_status{color};
//   - GET /_nodes/stats (or /_nodes/<nodes>/stats) for the per-node series:
//     thread pools (elasticsearch_thread_pool_{rejected,queue,active,
//     threads,largest,completed}_count{type}, with whatever pool names the
//     version has: bulk and index up to 5.x, write from 6.x, search, get,
//     refresh, ...), indexing, search, get, merge, refresh, flush and cache
//     totals and times, documents, store and segments, JVM heap, pools,
//     buffer pools and GC, circuit breakers, data path disk space and I/O,
//     process, OS and transport figures, and elasticsearch_nodes_roles;
//   - with Config.Indices, GET /_all/_stats for the per-index
//     elasticsearch_indices_*_{primary,total} and elasticsearch_index_stats_*
//     series;
//   - with Config.ClusterSettings, GET /_cluster/settings?include_defaults=true
//     for shard allocation, max_shards_per_node and, under the names of newer
//     exporter releases, the disk watermarks
//     (elasticsearch_clustersettings_allocation_watermark_{low,high,flood_stage}_{bytes,ratio}
//     and elasticsearch_clustersettings_allocation_threshold_enabled).
//
// Per-node series carry cluster (the cluster_name of the response), host,
// name and the exporter's es_{master,data,ingest,client}_node labels; the
// per-index series carry cluster and index. With Config.JVMMetrics each
// node's JVM is also emitted under the jvm_* names shared with the other
// JVM collectors (see package collector/jvm), labelled cluster and name.
//
// # Compatibility
//
// Values follow the exporter's rules, including its quirks, and a test runs
// the Debian binary against the same captured responses and requires every
// series both produce to be equal: fields a version does not report are 0;
// node roles other than master, data, ingest and client (ml, data_hot,
// OpenSearch's cluster_manager, ...) count as absent; elasticsearch_jvm_*
// areas are "heap" and "non-heap"; elasticsearch_jvm_uptime_seconds carries
// type="mapped"; the young, survivor and old pools and the direct and
// mapped buffer pools are always emitted. The exporter's self-metrics
// (*_total_scrapes, *_json_parse_failures, elasticsearch_scrape_*, build
// info, its cluster info poller) and the series that need /_cat/shards or
// /_alias are not produced. OpenSearch is accepted as it keeps the 7.10
// response shapes.
//
// # Failures
//
// The Manager adds up and scrape_duration_seconds. Collect returns an error
// (up becomes 0) when no request succeeded or the context ended, and a
// *collector.PartialError when some did: what answered is emitted, and
// elasticsearch_cluster_health_up, elasticsearch_node_stats_up,
// elasticsearch_index_stats_up and elasticsearch_clustersettings_stats_up
// say which parts are missing. A request fails on a transport error, a
// status other than 200, a body over Config.BodySizeLimit, JSON that does
// not parse or lacks the fields that identify the response; a field of an
// unexpected type only makes the round partial.
package elasticsearch
