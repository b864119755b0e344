package elasticsearch

import (
	"github.com/prometheus/common/model"

	"github.com/pipewatch/pipewatch/collector"
)

// indexMetric is a per-index series (labels cluster and index).
type indexMetric struct {
	desc  *collector.Desc
	value func(ix *indexStats) float64
}

// newIndexDescs returns the per-index families of /_all/_stats, named as
// elasticsearch_exporter 1.5 names them: elasticsearch_indices_*_primary
// and *_total for sizes of primaries and of all copies, and
// elasticsearch_index_stats_* for the activity of all copies.
func newIndexDescs() []indexMetric {
	var ms []indexMetric
	add := func(name, help string, typ model.MetricType, value func(ix *indexStats) float64) {
		ms = append(ms, indexMetric{collector.NewDesc("elasticsearch_"+name, help, typ, "cluster", "index"), value})
	}
	sec := func(v float64) float64 { return v / 1000 }

	// Sizes, for primaries and for all copies.
	both := func(name, suffixP, suffixT, help string, value func(s *indexShardStats) float64) {
		add(name+suffixP, help+", primary shards.", gauge, func(ix *indexStats) float64 { return value(&ix.Primaries) })
		add(name+suffixT, help+", all shards.", gauge, func(ix *indexStats) float64 { return value(&ix.Total) })
	}
	both("indices_docs", "_primary", "_total", "Documents", func(s *indexShardStats) float64 { return s.Docs.Count })
	both("indices_deleted_docs", "_primary", "_total", "Deleted documents", func(s *indexShardStats) float64 { return s.Docs.Deleted })
	both("indices_store_size_bytes", "_primary", "_total", "Size on disk", func(s *indexShardStats) float64 { return s.Store.Size })
	both("indices_segment_count", "_primary", "_total", "Segments", func(s *indexShardStats) float64 { return s.Segments.Count })
	both("indices_segment_memory_bytes", "_primary", "_total", "Memory used by segments", func(s *indexShardStats) float64 { return s.Segments.Memory })
	both("indices_segment_terms_memory", "_primary", "_total", "Memory used by terms, in bytes", func(s *indexShardStats) float64 { return s.Segments.TermsMemory })
	both("indices_segment_fields_memory_bytes", "_primary", "_total", "Memory used by stored fields", func(s *indexShardStats) float64 { return s.Segments.StoredFieldsMemory })
	both("indices_segment_term_vectors_memory", "_primary_bytes", "_total_bytes", "Memory used by term vectors", func(s *indexShardStats) float64 { return s.Segments.TermVectorsMemory })
	both("indices_segment_norms_memory_bytes", "_primary", "_total", "Memory used by norms", func(s *indexShardStats) float64 { return s.Segments.NormsMemory })
	both("indices_segment_points_memory_bytes", "_primary", "_total", "Memory used by points", func(s *indexShardStats) float64 { return s.Segments.PointsMemory })
	both("indices_segment_doc_values_memory_bytes", "_primary", "_total", "Memory used by doc values", func(s *indexShardStats) float64 { return s.Segments.DocValuesMemory })
	both("indices_segment_index_writer_memory_bytes", "_primary", "_total", "Memory used by index writers", func(s *indexShardStats) float64 { return s.Segments.IndexWriterMemory })
	both("indices_segment_version_map_memory_bytes", "_primary", "_total", "Memory used by version maps", func(s *indexShardStats) float64 { return s.Segments.VersionMapMemory })
	both("indices_segment_fixed_bit_set_memory_bytes", "_primary", "_total", "Memory used by fixed bit sets", func(s *indexShardStats) float64 { return s.Segments.FixedBitSetMemory })
	both("indices_completion_bytes", "_primary", "_total", "Memory used by completion suggesters", func(s *indexShardStats) float64 { return s.Completion.Size })

	// Activity of all copies.
	t := func(ix *indexStats) *indexShardStats { return &ix.Total }
	add("search_active_queries", "Queries running now on the index.", gauge, func(ix *indexStats) float64 { return t(ix).Search.QueryCurrent })
	add("index_stats_search_query_total", "Query phases of searches on the index.", counter, func(ix *indexStats) float64 { return t(ix).Search.QueryTotal })
	add("index_stats_search_query_time_seconds_total", "Time spent in query phases on the index.", counter, func(ix *indexStats) float64 { return sec(t(ix).Search.QueryTime) })
	add("index_stats_search_fetch_total", "Fetch phases of searches on the index.", counter, func(ix *indexStats) float64 { return t(ix).Search.FetchTotal })
	add("index_stats_search_fetch_time_seconds_total", "Time spent in fetch phases on the index.", counter, func(ix *indexStats) float64 { return sec(t(ix).Search.FetchTime) })
	add("index_stats_search_scroll_total", "Scroll requests on the index.", counter, func(ix *indexStats) float64 { return t(ix).Search.ScrollTotal })
	add("index_stats_search_scroll_time_seconds_total", "Time scroll contexts on the index were open.", counter, func(ix *indexStats) float64 { return sec(t(ix).Search.ScrollTime) })
	add("index_stats_search_scroll_current", "Scroll contexts open on the index.", gauge, func(ix *indexStats) float64 { return t(ix).Search.ScrollCurrent })
	add("index_stats_search_suggest_total", "Suggest requests on the index.", counter, func(ix *indexStats) float64 { return t(ix).Search.SuggestTotal })
	add("index_stats_search_suggest_time_seconds_total", "Time spent in suggest requests on the index.", counter, func(ix *indexStats) float64 { return sec(t(ix).Search.SuggestTime) })
	add("index_stats_indexing_index_total", "Documents indexed into the index.", counter, func(ix *indexStats) float64 { return t(ix).Indexing.IndexTotal })
	add("index_stats_indexing_index_time_seconds_total", "Time spent indexing into the index.", counter, func(ix *indexStats) float64 { return sec(t(ix).Indexing.IndexTime) })
	add("index_stats_index_current", "Documents being indexed into the index now.", gauge, func(ix *indexStats) float64 { return t(ix).Indexing.IndexCurrent })
	add("index_stats_indexing_delete_total", "Documents deleted from the index.", counter, func(ix *indexStats) float64 { return t(ix).Indexing.DeleteTotal })
	add("index_stats_indexing_delete_time_seconds_total", "Time spent deleting from the index.", counter, func(ix *indexStats) float64 { return sec(t(ix).Indexing.DeleteTime) })
	add("index_stats_indexing_noop_update_total", "Updates of the index that changed nothing.", counter, func(ix *indexStats) float64 { return t(ix).Indexing.NoopUpdateTot })
	add("index_stats_indexing_throttle_time_seconds_total", "Time indexing into the index was throttled.", counter, func(ix *indexStats) float64 { return sec(t(ix).Indexing.ThrottleTime) })
	add("index_stats_get_total", "Get requests on the index.", counter, func(ix *indexStats) float64 { return t(ix).Get.Total })
	add("index_stats_get_time_seconds_total", "Time spent in get requests on the index.", counter, func(ix *indexStats) float64 { return sec(t(ix).Get.Time) })
	add("index_stats_merge_total", "Merges of the index.", counter, func(ix *indexStats) float64 { return t(ix).Merges.Total })
	add("index_stats_merge_time_seconds_total", "Time spent merging the index.", counter, func(ix *indexStats) float64 { return sec(t(ix).Merges.TotalTime) })
	add("index_stats_merge_throttle_time_seconds_total", "Time merges of the index were throttled.", counter, func(ix *indexStats) float64 { return sec(t(ix).Merges.TotalThrottledTime) })
	add("index_stats_merge_stopped_time_seconds_total", "Time large merges of the index were stopped for smaller ones.", counter, func(ix *indexStats) float64 { return sec(t(ix).Merges.TotalStoppedTime) })
	add("index_stats_merge_auto_throttle_bytes_total", "Merge auto-throttle rate of the index, in bytes per second.", counter, func(ix *indexStats) float64 { return t(ix).Merges.TotalAutoThrottle })
	add("index_stats_refresh_total", "Refreshes of the index.", counter, func(ix *indexStats) float64 { return t(ix).Refresh.Total })
	add("index_stats_refresh_time_seconds_total", "Time spent refreshing the index.", counter, func(ix *indexStats) float64 { return sec(t(ix).Refresh.TotalTime) })
	add("index_stats_flush_total", "Flushes of the index.", counter, func(ix *indexStats) float64 { return t(ix).Flush.Total })
	add("index_stats_flush_time_seconds_total", "Time spent flushing the index.", counter, func(ix *indexStats) float64 { return sec(t(ix).Flush.TotalTime) })
	add("index_stats_warmer_total", "Warmer runs on the index.", counter, func(ix *indexStats) float64 { return t(ix).Warmer.Total })
	add("index_stats_warmer_time_seconds_total", "Time spent in warmers on the index.", counter, func(ix *indexStats) float64 { return sec(t(ix).Warmer.TotalTime) })
	add("index_stats_query_cache_memory_bytes_total", "Memory the index uses in the query cache.", counter, func(ix *indexStats) float64 { return t(ix).QueryCache.MemorySize })
	add("index_stats_query_cache_size", "Entries of the index in the query cache.", gauge, func(ix *indexStats) float64 { return t(ix).QueryCache.CacheSize })
	add("index_stats_query_cache_hits_total", "Query cache hits on the index.", counter, func(ix *indexStats) float64 { return t(ix).QueryCache.HitCount })
	add("index_stats_query_cache_misses_total", "Query cache misses on the index.", counter, func(ix *indexStats) float64 { return t(ix).QueryCache.MissCount })
	add("index_stats_query_cache_caches_total", "Entries of the index ever added to the query cache.", counter, func(ix *indexStats) float64 { return t(ix).QueryCache.CacheCount })
	add("index_stats_query_cache_evictions_total", "Query cache evictions of the index.", counter, func(ix *indexStats) float64 { return t(ix).QueryCache.Evictions })
	add("index_stats_request_cache_memory_bytes_total", "Memory the index uses in the request cache.", counter, func(ix *indexStats) float64 { return t(ix).RequestCache.MemorySize })
	add("index_stats_request_cache_hits_total", "Request cache hits on the index.", counter, func(ix *indexStats) float64 { return t(ix).RequestCache.HitCount })
	add("index_stats_request_cache_misses_total", "Request cache misses on the index.", counter, func(ix *indexStats) float64 { return t(ix).RequestCache.MissCount })
	add("index_stats_request_cache_evictions_total", "Request cache evictions of the index.", counter, func(ix *indexStats) float64 { return t(ix).RequestCache.Evictions })
	add("index_stats_fielddata_memory_bytes_total", "Memory the index uses in the field data cache.", counter, func(ix *indexStats) float64 { return t(ix).FieldData.MemorySize })
	add("index_stats_fielddata_evictions_total", "Field data cache evictions of the index.", counter, func(ix *indexStats) float64 { return t(ix).FieldData.Evictions })
	return ms
}

// emitIndices adds the series of every index; cluster is the cluster name
// from GET /.
func (c *Collector) emitIndices(b *collector.Batch, cluster string, resp *indicesStatsResponse) {
	for name, ix := range resp.Indices {
		for _, m := range c.indices {
			b.Emit(m.desc, m.value(ix), cluster, name)
		}
	}
}
