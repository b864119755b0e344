// Package jvm collects Java virtual machines and gives every collector of a
// JVM-based system (Elasticsearch, Flink, Spark, Logstash, ...) one way to
// publish JVM figures under the same names.
//
// # Names
//
// Stats holds one JVM's heap and non-heap usage, memory pools, garbage
// collectors, threads, classes, CPU time, file descriptors and version.
// An Emitter turns a Stats into samples named as the Prometheus Java
// client's hotspot exports (which the JMX exporter serves and JVM dashboards
// query): jvm_memory_bytes_{used,committed,max,init}{area="heap|nonheap"},
// jvm_memory_pool_bytes_*{pool}, jvm_gc_collection_seconds_{count,sum}{gc},
// jvm_threads_{current,daemon,peak}, jvm_threads_started_total,
// jvm_classes_loaded, jvm_classes_{loaded,unloaded}_total, jvm_info, and
// process_{cpu_seconds_total,start_time_seconds,open_fds,max_fds}. A
// collector that watches many JVMs per target passes identifying label
// names to NewEmitter (Elasticsearch uses cluster and name). Numbers a
// source does not report are NaN in Stats and are not emitted: start from
// NewStats or Reset. NodeStatsJVM and NodeStatsProcess decode the jvm and
// process objects that the node stats APIs of Elasticsearch, OpenSearch and
// Logstash share, and Fill a Stats from them.
//
// # Sources
//
// Jolokia reads a JVM through a Jolokia agent with one bulk POST per round
// (java.lang Memory, MemoryPool, GarbageCollector, Threading and
// OperatingSystem MBeans). Pool and collector labels are the MXBean names
// ("G1 Eden Space", "G1 Young Generation").
//
// HSPerf reads the HotSpot perf-data files (hsperfdata_<user>/<pid>) of
// every local JVM, as jstat does: no agent, no JMX port, no attach. Heap
// pools are named as the MXBeans of the same collector name them (G1,
// Parallel, Serial and CMS are known; others keep the perf-data names),
// collectors keep the perf-data names ("G1 young collection pauses"), and
// CPU time comes from /proc on Linux. Non-heap areas other than Metaspace
// and the compressed class space are not in perf data and are not emitted.
// ParsePerfData decodes the file format itself.
//
// Configuration types follow package collector/scrape: JolokiaConfig is an
// element of the top-level jolokia list and HSPerfConfig is the top-level
// hsperfdata mapping.
package jvm
