// Package storm collects an Apache Storm cluster through the REST API of its
// UI server: every topology's status, uptime and resources; emitted,
// transferred, acked and failed tuples and complete latency per time window;
// per spout and bolt the same counts plus process and execute latency,
// capacity and the last error; and the Kafka lag of each spout per topic and
// partition.
//
// # Requests
//
// One round reads /api/v1/topology/summary, then, for every topology that is
// not KILLED, /api/v1/topology/:id?window=:all-time and
// /api/v1/topology/:id/lag, concurrently (at most
// Config.MaxConcurrentRequests at a time). The lag endpoint runs Storm's
// Kafka monitor on the UI host and can be slow; a UI without it (before
// Storm 1.1) answers 404, which is not an error.
//
// # Names
//
// Families and labels are those of storm_exporter (the Python exporter of
// the Storm UI REST API, mlf4aiur/storm_exporter): storm_topology_* with
// topology_name and topology_id, storm_topology_stats_* with window (the UI's
// window id: "600", "10800", "86400", ":all-time"), storm_topology_spouts_*
// with spout_id and storm_topology_bolts_* with bolt_id, all gauges. Spout
// and bolt counts are read for the all-time window, so they only grow while
// the topology runs and rate() applies; latencies are all-time averages
// (the per-window topology stats give recent complete latency), and
// capacity is Storm's own last-10-minutes figure.
//
// pipewatch adds, in the same style: storm_topology_status{status} (one-hot
// over ACTIVE, INACTIVE, REBALANCING, KILLED); storm_topology_bolts_executed
// and _transferred; storm_topology_{spouts,bolts}_error_lapsed_seconds and
// _last_error_info{error} (the error's first 512 bytes, control characters
// replaced); storm_topology_spouts_{log_head_offset,committed_offset,lag}
// {spout_id,topic,partition} from the lag endpoint (committed offset and lag
// only once the spout has committed); and, for the topology,
// pipewatch_stream_job_topic_info{system="storm", job_name=<topology name>,
// component=<spout id>, topic, direction="in"}.
//
// JStorm is supported where its UI serves the same /api/v1 endpoints; its
// own UI pages are not read.
//
// # Errors
//
// Collect fails the round only when the topology summary cannot be read
// (network error, status other than 200, malformed or oversized body, or an
// answer without a topologies field). Any other failure (one topology's
// details or lag, a spout whose lag the UI could not compute) makes the
// round partial: what was read is kept and the error names what was not.
package storm
