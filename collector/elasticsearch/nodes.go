package elasticsearch

import (
	"github.com/prometheus/common/model"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/jvm"
)

// nodeLabels are the labels of every per-node series, in the order of
// nodeLabelValues.
var nodeLabels = []string{"cluster", "host", "name", "es_master_node", "es_data_node", "es_ingest_node", "es_client_node"}

// withNodeLabels returns the node labels followed by extra.
func withNodeLabels(extra ...string) []string {
	return append(append(make([]string, 0, len(nodeLabels)+len(extra)), nodeLabels...), extra...)
}

// nodeMetric is a per-node series: its family, the value it takes from a
// node, and the value of the family's extra label (area, pool, cache, ...)
// if it has one.
type nodeMetric struct {
	desc  *collector.Desc
	value func(n *nodeStats) float64
	extra string
}

// perKeyMetric is a series emitted once per key of a per-node map (thread
// pools, breakers, collectors) or element of a list (data paths).
type perKeyMetric[T any] struct {
	desc  *collector.Desc
	value func(v *T) float64
}

// nodeDescs holds the per-node families. It is built once per collector.
type nodeDescs struct {
	metrics    []nodeMetric
	roles      *collector.Desc
	gc         []perKeyMetric[jvm.NodeStatsCollector]
	breakers   []perKeyMetric[breaker]
	threadPool []perKeyMetric[threadPool]
	fsData     []perKeyMetric[fsData]
	ioDevice   []perKeyMetric[ioDevice]
}

const (
	gauge   = model.MetricTypeGauge
	counter = model.MetricTypeCounter
)

func newNodeDescs() *nodeDescs {
	d := &nodeDescs{}
	def := func(name, help string, typ model.MetricType, extraLabels ...string) *collector.Desc {
		return collector.NewDesc("elasticsearch_"+name, help, typ, withNodeLabels(extraLabels...)...)
	}
	add := func(name, help string, typ model.MetricType, value func(n *nodeStats) float64) {
		d.metrics = append(d.metrics, nodeMetric{desc: def(name, help, typ), value: value})
	}
	addExtra := func(desc *collector.Desc, extra string, value func(n *nodeStats) float64) {
		d.metrics = append(d.metrics, nodeMetric{desc: desc, value: value, extra: extra})
	}
	ms := func(v float64) float64 { return v / 1000 }

	// Operating system.
	add("os_load1", "One-minute load average of the node's host.", gauge, func(n *nodeStats) float64 { return n.OS.CPU.LoadAvg.Load1 })
	add("os_load5", "Five-minute load average of the node's host.", gauge, func(n *nodeStats) float64 { return n.OS.CPU.LoadAvg.Load5 })
	add("os_load15", "Fifteen-minute load average of the node's host.", gauge, func(n *nodeStats) float64 { return n.OS.CPU.LoadAvg.Load15 })
	add("os_cpu_percent", "CPU usage of the node's host, in percent.", gauge, func(n *nodeStats) float64 { return n.OS.CPU.Percent })
	add("os_mem_free_bytes", "Free physical memory of the node's host.", gauge, func(n *nodeStats) float64 { return n.OS.Mem.Free })
	add("os_mem_used_bytes", "Used physical memory of the node's host.", gauge, func(n *nodeStats) float64 { return n.OS.Mem.Used })
	add("os_mem_actual_free_bytes", "Free physical memory of the node's host, including caches (old versions only).", gauge, func(n *nodeStats) float64 { return n.OS.Mem.ActualFree })
	add("os_mem_actual_used_bytes", "Used physical memory of the node's host, excluding caches (old versions only).", gauge, func(n *nodeStats) float64 { return n.OS.Mem.ActualUsed })

	// Caches.
	add("indices_fielddata_memory_size_bytes", "Memory used by the field data cache.", gauge, func(n *nodeStats) float64 { return n.Indices.FieldData.MemorySize })
	add("indices_fielddata_evictions", "Evictions from the field data cache.", counter, func(n *nodeStats) float64 { return n.Indices.FieldData.Evictions })
	add("indices_completion_size_in_bytes", "Memory used by completion suggesters.", counter, func(n *nodeStats) float64 { return n.Indices.Completion.Size })
	add("indices_filter_cache_memory_size_bytes", "Memory used by the filter cache (1.x only).", gauge, func(n *nodeStats) float64 { return n.Indices.FilterCache.MemorySize })
	add("indices_filter_cache_evictions", "Evictions from the filter cache (1.x only).", counter, func(n *nodeStats) float64 { return n.Indices.FilterCache.Evictions })
	add("indices_query_cache_memory_size_bytes", "Memory used by the query cache.", gauge, func(n *nodeStats) float64 { return n.Indices.QueryCache.MemorySize })
	add("indices_query_cache_evictions", "Evictions from the query cache.", counter, func(n *nodeStats) float64 { return n.Indices.QueryCache.Evictions })
	add("indices_query_cache_total", "Lookups in the query cache.", counter, func(n *nodeStats) float64 { return n.Indices.QueryCache.TotalCount })
	add("indices_query_cache_cache_size", "Entries in the query cache.", gauge, func(n *nodeStats) float64 { return n.Indices.QueryCache.CacheSize })
	add("indices_query_cache_cache_total", "Entries ever added to the query cache.", counter, func(n *nodeStats) float64 { return n.Indices.QueryCache.CacheCount })
	addExtra(def("indices_query_cache_count", "Query cache hits.", counter, "cache"), "hit", func(n *nodeStats) float64 { return n.Indices.QueryCache.HitCount })
	addExtra(def("indices_query_miss_count", "Query cache misses.", counter, "cache"), "miss", func(n *nodeStats) float64 { return n.Indices.QueryCache.MissCount })
	add("indices_request_cache_memory_size_bytes", "Memory used by the request cache.", gauge, func(n *nodeStats) float64 { return n.Indices.RequestCache.MemorySize })
	add("indices_request_cache_evictions", "Evictions from the request cache.", counter, func(n *nodeStats) float64 { return n.Indices.RequestCache.Evictions })
	addExtra(def("indices_request_cache_count", "Request cache hits.", counter, "cache"), "hit", func(n *nodeStats) float64 { return n.Indices.RequestCache.HitCount })
	addExtra(def("indices_request_miss_count", "Request cache misses.", counter, "cache"), "miss", func(n *nodeStats) float64 { return n.Indices.RequestCache.MissCount })

	// Translog, get, refresh.
	add("indices_translog_operations", "Operations in the translog.", counter, func(n *nodeStats) float64 { return n.Indices.Translog.Operations })
	add("indices_translog_size_in_bytes", "Size of the translog.", counter, func(n *nodeStats) float64 { return n.Indices.Translog.Size })
	add("indices_get_time_seconds", "Time spent in get requests.", counter, func(n *nodeStats) float64 { return ms(n.Indices.Get.Time) })
	add("indices_get_total", "Get requests.", counter, func(n *nodeStats) float64 { return n.Indices.Get.Total })
	add("indices_get_missing_time_seconds", "Time spent in get requests for missing documents.", counter, func(n *nodeStats) float64 { return ms(n.Indices.Get.MissingTime) })
	add("indices_get_missing_total", "Get requests for missing documents.", counter, func(n *nodeStats) float64 { return n.Indices.Get.MissingTotal })
	add("indices_get_exists_time_seconds", "Time spent in get requests for existing documents.", counter, func(n *nodeStats) float64 { return ms(n.Indices.Get.ExistsTime) })
	add("indices_get_exists_total", "Get requests for existing documents.", counter, func(n *nodeStats) float64 { return n.Indices.Get.ExistsTotal })
	add("indices_refresh_time_seconds_total", "Time spent refreshing.", counter, func(n *nodeStats) float64 { return ms(n.Indices.Refresh.TotalTime) })
	add("indices_refresh_total", "Refreshes.", counter, func(n *nodeStats) float64 { return n.Indices.Refresh.Total })

	// Search.
	add("indices_search_query_time_seconds", "Time spent in the query phase of searches.", counter, func(n *nodeStats) float64 { return ms(n.Indices.Search.QueryTime) })
	add("indices_search_query_total", "Query phases of searches.", counter, func(n *nodeStats) float64 { return n.Indices.Search.QueryTotal })
	add("indices_search_fetch_time_seconds", "Time spent in the fetch phase of searches.", counter, func(n *nodeStats) float64 { return ms(n.Indices.Search.FetchTime) })
	add("indices_search_fetch_total", "Fetch phases of searches.", counter, func(n *nodeStats) float64 { return n.Indices.Search.FetchTotal })
	add("indices_search_suggest_total", "Suggest requests.", counter, func(n *nodeStats) float64 { return n.Indices.Search.SuggestTotal })
	add("indices_search_suggest_time_seconds", "Time spent in suggest requests.", counter, func(n *nodeStats) float64 { return ms(n.Indices.Search.SuggestTime) })
	add("indices_search_scroll_total", "Scroll requests.", counter, func(n *nodeStats) float64 { return n.Indices.Search.ScrollTotal })
	add("indices_search_scroll_time_seconds", "Time scroll contexts were held open.", counter, func(n *nodeStats) float64 { return ms(n.Indices.Search.ScrollTime) })

	// Documents, store, segments.
	add("indices_docs", "Documents on the node.", gauge, func(n *nodeStats) float64 { return n.Indices.Docs.Count })
	add("indices_docs_deleted", "Deleted documents on the node not yet merged away.", gauge, func(n *nodeStats) float64 { return n.Indices.Docs.Deleted })
	add("indices_store_size_bytes", "Size of the node's shards on disk.", gauge, func(n *nodeStats) float64 { return n.Indices.Store.Size })
	add("indices_store_throttle_time_seconds_total", "Time the store was throttled.", counter, func(n *nodeStats) float64 { return ms(n.Indices.Store.ThrottleTime) })
	add("indices_segments_memory_bytes", "Memory used by segments.", gauge, func(n *nodeStats) float64 { return n.Indices.Segments.Memory })
	add("indices_segments_count", "Segments on the node.", gauge, func(n *nodeStats) float64 { return n.Indices.Segments.Count })
	add("indices_segments_terms_memory_in_bytes", "Memory used by terms.", gauge, func(n *nodeStats) float64 { return n.Indices.Segments.TermsMemory })
	add("indices_segments_index_writer_memory_in_bytes", "Memory used by index writers.", gauge, func(n *nodeStats) float64 { return n.Indices.Segments.IndexWriterMemory })
	add("indices_segments_norms_memory_in_bytes", "Memory used by norms.", gauge, func(n *nodeStats) float64 { return n.Indices.Segments.NormsMemory })
	add("indices_segments_stored_fields_memory_in_bytes", "Memory used by stored fields.", gauge, func(n *nodeStats) float64 { return n.Indices.Segments.StoredFieldsMemory })
	add("indices_segments_doc_values_memory_in_bytes", "Memory used by doc values.", gauge, func(n *nodeStats) float64 { return n.Indices.Segments.DocValuesMemory })
	add("indices_segments_fixed_bit_set_memory_in_bytes", "Memory used by fixed bit sets.", gauge, func(n *nodeStats) float64 { return n.Indices.Segments.FixedBitSetMemory })
	add("indices_segments_term_vectors_memory_in_bytes", "Memory used by term vectors.", gauge, func(n *nodeStats) float64 { return n.Indices.Segments.TermVectorsMemory })
	add("indices_segments_points_memory_in_bytes", "Memory used by points.", gauge, func(n *nodeStats) float64 { return n.Indices.Segments.PointsMemory })
	add("indices_segments_version_map_memory_in_bytes", "Memory used by version maps.", gauge, func(n *nodeStats) float64 { return n.Indices.Segments.VersionMapMemory })

	// Flush, warmer, indexing, merges.
	add("indices_flush_total", "Flushes.", counter, func(n *nodeStats) float64 { return n.Indices.Flush.Total })
	add("indices_flush_time_seconds", "Time spent flushing.", counter, func(n *nodeStats) float64 { return ms(n.Indices.Flush.TotalTime) })
	add("indices_warmer_total", "Warmer runs.", counter, func(n *nodeStats) float64 { return n.Indices.Warmer.Total })
	add("indices_warmer_time_seconds_total", "Time spent in warmers.", counter, func(n *nodeStats) float64 { return ms(n.Indices.Warmer.TotalTime) })
	add("indices_indexing_index_time_seconds_total", "Time spent indexing documents.", counter, func(n *nodeStats) float64 { return ms(n.Indices.Indexing.IndexTime) })
	add("indices_indexing_index_total", "Documents indexed.", counter, func(n *nodeStats) float64 { return n.Indices.Indexing.IndexTotal })
	add("indices_indexing_delete_time_seconds_total", "Time spent deleting documents.", counter, func(n *nodeStats) float64 { return ms(n.Indices.Indexing.DeleteTime) })
	add("indices_indexing_delete_total", "Documents deleted.", counter, func(n *nodeStats) float64 { return n.Indices.Indexing.DeleteTotal })
	add("indices_indexing_is_throttled", "Whether indexing is throttled (1) or not (0).", gauge, func(n *nodeStats) float64 { return boolValue(n.Indices.Indexing.IsThrottled) })
	add("indices_indexing_throttle_time_seconds_total", "Time indexing was throttled.", counter, func(n *nodeStats) float64 { return ms(n.Indices.Indexing.ThrottleTime) })
	add("indices_merges_total", "Merges.", counter, func(n *nodeStats) float64 { return n.Indices.Merges.Total })
	add("indices_merges_current", "Merges running now.", gauge, func(n *nodeStats) float64 { return n.Indices.Merges.Current })
	add("indices_merges_current_size_in_bytes", "Size of the merges running now.", gauge, func(n *nodeStats) float64 { return n.Indices.Merges.CurrentSize })
	add("indices_merges_docs_total", "Documents merged.", counter, func(n *nodeStats) float64 { return n.Indices.Merges.TotalDocs })
	add("indices_merges_total_size_bytes_total", "Bytes merged.", counter, func(n *nodeStats) float64 { return n.Indices.Merges.TotalSize })
	add("indices_merges_total_time_seconds_total", "Time spent merging.", counter, func(n *nodeStats) float64 { return ms(n.Indices.Merges.TotalTime) })
	add("indices_merges_total_throttled_time_seconds_total", "Time merges were throttled.", counter, func(n *nodeStats) float64 { return ms(n.Indices.Merges.TotalThrottledTime) })

	// JVM. The exporter names areas "heap" and "non-heap", emits the young,
	// survivor and old pools and the direct and mapped buffer pools whether
	// or not the node reports them, and labels the uptime type="mapped".
	used := def("jvm_memory_used_bytes", "JVM memory used, by area.", gauge, "area")
	committed := def("jvm_memory_committed_bytes", "JVM memory committed, by area.", gauge, "area")
	addExtra(used, "heap", func(n *nodeStats) float64 { return n.JVM.Mem.HeapUsed })
	addExtra(used, "non-heap", func(n *nodeStats) float64 { return n.JVM.Mem.NonHeapUsed })
	addExtra(def("jvm_memory_max_bytes", "JVM maximum heap size.", gauge, "area"), "heap", func(n *nodeStats) float64 { return n.JVM.Mem.HeapMax })
	addExtra(committed, "heap", func(n *nodeStats) float64 { return n.JVM.Mem.HeapCommitted })
	addExtra(committed, "non-heap", func(n *nodeStats) float64 { return n.JVM.Mem.NonHeapCommitted })
	poolUsed := def("jvm_memory_pool_used_bytes", "JVM memory pool usage.", gauge, "pool")
	poolMax := def("jvm_memory_pool_max_bytes", "JVM memory pool maximum size.", counter, "pool")
	poolPeakUsed := def("jvm_memory_pool_peak_used_bytes", "JVM memory pool peak usage.", counter, "pool")
	poolPeakMax := def("jvm_memory_pool_peak_max_bytes", "JVM memory pool peak maximum size.", counter, "pool")
	for _, pool := range []string{"young", "survivor", "old"} {
		addExtra(poolUsed, pool, func(n *nodeStats) float64 { return n.JVM.Mem.Pools[pool].Used })
		addExtra(poolMax, pool, func(n *nodeStats) float64 { return n.JVM.Mem.Pools[pool].Max })
		addExtra(poolPeakUsed, pool, func(n *nodeStats) float64 { return n.JVM.Mem.Pools[pool].PeakUsed })
		addExtra(poolPeakMax, pool, func(n *nodeStats) float64 { return n.JVM.Mem.Pools[pool].PeakMax })
	}
	buffer := def("jvm_buffer_pool_used_bytes", "JVM buffer pool usage.", gauge, "type")
	for _, typ := range []string{"direct", "mapped"} {
		addExtra(buffer, typ, func(n *nodeStats) float64 { return n.JVM.BufferPools[typ].Used })
	}
	addExtra(def("jvm_uptime_seconds", "JVM uptime.", gauge, "type"), "mapped", func(n *nodeStats) float64 { return ms(n.JVM.UptimeMillis) })

	// Process and transport.
	add("process_cpu_percent", "CPU usage of the node's process, in percent.", gauge, func(n *nodeStats) float64 { return n.Process.CPU.Percent })
	add("process_mem_resident_size_bytes", "Resident memory of the node's process.", gauge, func(n *nodeStats) float64 { return n.Process.Mem.Resident })
	add("process_mem_share_size_bytes", "Shared memory of the node's process.", gauge, func(n *nodeStats) float64 { return n.Process.Mem.Share })
	add("process_mem_virtual_size_bytes", "Virtual memory of the node's process.", gauge, func(n *nodeStats) float64 { return n.Process.Mem.TotalVirtual })
	add("process_open_files_count", "Open file descriptors of the node's process.", gauge, func(n *nodeStats) float64 { return n.Process.OpenFD })
	add("process_max_files_descriptors", "Maximum file descriptors of the node's process.", gauge, func(n *nodeStats) float64 { return n.Process.MaxFD })
	add("process_cpu_seconds_total", "CPU time of the node's process.", counter, func(n *nodeStats) float64 { return ms(n.Process.CPU.TotalMillis) })
	add("transport_rx_packets_total", "Packets received by the transport layer.", counter, func(n *nodeStats) float64 { return n.Transport.RxCount })
	add("transport_rx_size_bytes_total", "Bytes received by the transport layer.", counter, func(n *nodeStats) float64 { return n.Transport.RxSize })
	add("transport_tx_packets_total", "Packets sent by the transport layer.", counter, func(n *nodeStats) float64 { return n.Transport.TxCount })
	add("transport_tx_size_bytes_total", "Bytes sent by the transport layer.", counter, func(n *nodeStats) float64 { return n.Transport.TxSize })

	d.roles = collector.NewDesc("elasticsearch_nodes_roles", "Roles of the node, one series of value 1 per role.", gauge, "cluster", "host", "name", "role")

	d.gc = []perKeyMetric[jvm.NodeStatsCollector]{
		{def("jvm_gc_collection_seconds_count", "JVM garbage collections.", counter, "gc"), func(g *jvm.NodeStatsCollector) float64 { return g.Count }},
		{def("jvm_gc_collection_seconds_sum", "Time spent in JVM garbage collections.", counter, "gc"), func(g *jvm.NodeStatsCollector) float64 { return ms(g.TimeMillis) }},
	}
	d.breakers = []perKeyMetric[breaker]{
		{def("breakers_estimated_size_bytes", "Memory a circuit breaker estimates in use.", gauge, "breaker"), func(b *breaker) float64 { return b.EstimatedSize }},
		{def("breakers_limit_size_bytes", "Limit of a circuit breaker.", gauge, "breaker"), func(b *breaker) float64 { return b.LimitSize }},
		{def("breakers_tripped", "Times a circuit breaker tripped.", counter, "breaker"), func(b *breaker) float64 { return b.Tripped }},
		{def("breakers_overhead", "Overhead factor of a circuit breaker.", counter, "breaker"), func(b *breaker) float64 { return b.Overhead }},
	}
	d.threadPool = []perKeyMetric[threadPool]{
		{def("thread_pool_completed_count", "Tasks a thread pool completed.", counter, "type"), func(p *threadPool) float64 { return p.Completed }},
		{def("thread_pool_rejected_count", "Tasks a thread pool rejected because its queue was full.", counter, "type"), func(p *threadPool) float64 { return p.Rejected }},
		{def("thread_pool_active_count", "Threads of a thread pool running a task.", gauge, "type"), func(p *threadPool) float64 { return p.Active }},
		{def("thread_pool_largest_count", "Largest number of threads a thread pool had.", gauge, "type"), func(p *threadPool) float64 { return p.Largest }},
		{def("thread_pool_queue_count", "Tasks waiting in a thread pool's queue.", gauge, "type"), func(p *threadPool) float64 { return p.Queue }},
		{def("thread_pool_threads_count", "Threads of a thread pool.", gauge, "type"), func(p *threadPool) float64 { return p.Threads }},
	}
	d.fsData = []perKeyMetric[fsData]{
		{def("filesystem_data_available_bytes", "Space available to Elasticsearch on a data path.", gauge, "mount", "path"), func(f *fsData) float64 { return f.Available }},
		{def("filesystem_data_free_bytes", "Free space on a data path.", gauge, "mount", "path"), func(f *fsData) float64 { return f.Free }},
		{def("filesystem_data_size_bytes", "Size of a data path's file system.", gauge, "mount", "path"), func(f *fsData) float64 { return f.Total }},
	}
	d.ioDevice = []perKeyMetric[ioDevice]{
		{def("filesystem_io_stats_device_operations_count", "Disk operations of a device holding a data path (Linux).", counter, "device"), func(v *ioDevice) float64 { return v.Operations }},
		{def("filesystem_io_stats_device_read_operations_count", "Disk reads of a device holding a data path.", counter, "device"), func(v *ioDevice) float64 { return v.ReadOperations }},
		{def("filesystem_io_stats_device_write_operations_count", "Disk writes of a device holding a data path.", counter, "device"), func(v *ioDevice) float64 { return v.WriteOperations }},
		{def("filesystem_io_stats_device_read_size_kilobytes_sum", "Kilobytes read from a device holding a data path.", counter, "device"), func(v *ioDevice) float64 { return v.ReadKilobytes }},
		{def("filesystem_io_stats_device_write_size_kilobytes_sum", "Kilobytes written to a device holding a data path.", counter, "device"), func(v *ioDevice) float64 { return v.WriteKilobytes }},
	}
	return d
}

// nodeRoles are the roles that elasticsearch_exporter 1.5 reports, in the
// order of its es_*_node labels; other roles (ml, data_hot, ...) count as
// absent, as they do for the exporter.
var nodeRoles = [...]string{"master", "data", "ingest", "client"}

// roles returns whether the node has each of nodeRoles. Nodes of 5.x and
// later list their roles; older ones set node attributes, and are
// master-, data- and ingest-eligible unless an attribute says "false". A
// node without HTTP statistics is not a client node.
func roles(n *nodeStats) [len(nodeRoles)]bool {
	r := [len(nodeRoles)]bool{false, false, false, true}
	if len(n.Roles) > 0 {
		for _, role := range n.Roles {
			for i, known := range nodeRoles {
				if role == known {
					r[i] = true
				}
			}
		}
	} else {
		for i, known := range nodeRoles {
			if v, ok := n.Attributes[known]; ok {
				r[i] = v != "false"
			}
		}
	}
	if !n.HTTP {
		r[3] = false
	}
	return r
}

// emitNodes adds the series of every node of a nodes stats response.
func (c *Collector) emitNodes(b *collector.Batch, resp *nodesStatsResponse) {
	d := c.nodes
	lv := make([]string, len(nodeLabels), len(nodeLabels)+2)
	for _, n := range resp.Nodes {
		r := roles(n)
		lv = append(lv[:0], resp.ClusterName, n.Host, n.Name,
			boolLabel(r[0]), boolLabel(r[1]), boolLabel(r[2]), boolLabel(r[3]))
		for i, enabled := range r {
			if enabled {
				b.Emit(d.roles, 1, resp.ClusterName, n.Host, n.Name, nodeRoles[i])
			}
		}
		for i := range d.metrics {
			m := &d.metrics[i]
			if m.extra == "" {
				b.Emit(m.desc, m.value(n), lv...)
			} else {
				b.Emit(m.desc, m.value(n), append(lv, m.extra)...)
			}
		}
		for name, g := range n.JVM.GC.Collectors {
			for _, m := range d.gc {
				b.Emit(m.desc, m.value(&g), append(lv, name)...)
			}
		}
		for name, br := range n.Breakers {
			for _, m := range d.breakers {
				b.Emit(m.desc, m.value(&br), append(lv, name)...)
			}
		}
		for name, p := range n.ThreadPool {
			for _, m := range d.threadPool {
				b.Emit(m.desc, m.value(&p), append(lv, name)...)
			}
		}
		for i := range n.FS.Data {
			f := &n.FS.Data[i]
			for _, m := range d.fsData {
				b.Emit(m.desc, m.value(f), append(lv, f.Mount, f.Path)...)
			}
		}
		for i := range n.FS.IOStats.Devices {
			dev := &n.FS.IOStats.Devices[i]
			for _, m := range d.ioDevice {
				b.Emit(m.desc, m.value(dev), append(lv, dev.Name)...)
			}
		}
		if c.jvm != nil {
			c.emitNodeJVM(b, resp.ClusterName, n)
		}
	}
}

// emitNodeJVM adds the node's JVM under the shared jvm_* names.
func (c *Collector) emitNodeJVM(b *collector.Batch, cluster string, n *nodeStats) {
	s := &c.jvmStats
	s.Reset()
	n.JVM.Fill(s)
	n.Process.Fill(s)
	c.jvm.Emit(b, s, cluster, n.Name)
}

func boolValue(v bool) float64 {
	if v {
		return 1
	}
	return 0
}

func boolLabel(v bool) string {
	if v {
		return "true"
	}
	return "false"
}
