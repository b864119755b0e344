package elasticsearch

import (
	"bytes"

	"github.com/pipewatch/pipewatch/collector/jvm"
)

// The types below decode the parts of Elasticsearch's responses that are
// collected. Numbers are float64, which is what they become as samples;
// fields missing from a version's response stay zero, as with
// elasticsearch_exporter. Unknown fields are ignored.

// rootResponse is GET /.
type rootResponse struct {
	Name        string `json:"name"`
	ClusterName string `json:"cluster_name"`
	ClusterUUID string `json:"cluster_uuid"`
	Version     struct {
		Number        string `json:"number"`
		Distribution  string `json:"distribution"`
		BuildHash     string `json:"build_hash"`
		BuildDate     string `json:"build_date"`
		LuceneVersion string `json:"lucene_version"`
	} `json:"version"`
}

// healthResponse is GET /_cluster/health.
type healthResponse struct {
	ClusterName                 string  `json:"cluster_name"`
	Status                      string  `json:"status"`
	NumberOfNodes               float64 `json:"number_of_nodes"`
	NumberOfDataNodes           float64 `json:"number_of_data_nodes"`
	ActivePrimaryShards         float64 `json:"active_primary_shards"`
	ActiveShards                float64 `json:"active_shards"`
	RelocatingShards            float64 `json:"relocating_shards"`
	InitializingShards          float64 `json:"initializing_shards"`
	UnassignedShards            float64 `json:"unassigned_shards"`
	DelayedUnassignedShards     float64 `json:"delayed_unassigned_shards"`
	NumberOfPendingTasks        float64 `json:"number_of_pending_tasks"`
	NumberOfInFlightFetch       float64 `json:"number_of_in_flight_fetch"`
	TaskMaxWaitingInQueueMillis float64 `json:"task_max_waiting_in_queue_millis"`
}

// nodesStatsResponse is GET /_nodes/<nodes>/stats.
type nodesStatsResponse struct {
	ClusterName string                `json:"cluster_name"`
	Nodes       map[string]*nodeStats `json:"nodes"`
}

// nodeStats is one node of a nodes stats response.
type nodeStats struct {
	Name       string                `json:"name"`
	Host       string                `json:"host"`
	Roles      []string              `json:"roles"`
	Attributes map[string]string     `json:"attributes"`
	HTTP       nonEmpty              `json:"http"`
	Indices    nodeIndices           `json:"indices"`
	OS         nodeOS                `json:"os"`
	Process    jvm.NodeStatsProcess  `json:"process"`
	JVM        jvm.NodeStatsJVM      `json:"jvm"`
	ThreadPool map[string]threadPool `json:"thread_pool"`
	FS         struct {
		Data    []fsData `json:"data"`
		IOStats struct {
			Devices []ioDevice `json:"devices"`
		} `json:"io_stats"`
	} `json:"fs"`
	Transport struct {
		RxCount float64 `json:"rx_count"`
		RxSize  float64 `json:"rx_size_in_bytes"`
		TxCount float64 `json:"tx_count"`
		TxSize  float64 `json:"tx_size_in_bytes"`
	} `json:"transport"`
	Breakers map[string]breaker `json:"breakers"`
}

// nonEmpty records whether a JSON value is present and not null or {}.
type nonEmpty bool

// UnmarshalJSON implements json.Unmarshaler.
func (n *nonEmpty) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	empty := bytes.Equal(b, []byte("null"))
	if len(b) >= 2 && b[0] == '{' && len(bytes.TrimSpace(b[1:len(b)-1])) == 0 {
		empty = true
	}
	*n = nonEmpty(!empty)
	return nil
}

type nodeIndices struct {
	Docs struct {
		Count   float64 `json:"count"`
		Deleted float64 `json:"deleted"`
	} `json:"docs"`
	Store struct {
		Size         float64 `json:"size_in_bytes"`
		ThrottleTime float64 `json:"throttle_time_in_millis"`
	} `json:"store"`
	Indexing struct {
		IndexTotal   float64 `json:"index_total"`
		IndexTime    float64 `json:"index_time_in_millis"`
		DeleteTotal  float64 `json:"delete_total"`
		DeleteTime   float64 `json:"delete_time_in_millis"`
		IsThrottled  bool    `json:"is_throttled"`
		ThrottleTime float64 `json:"throttle_time_in_millis"`
	} `json:"indexing"`
	Get struct {
		Total        float64 `json:"total"`
		Time         float64 `json:"time_in_millis"`
		ExistsTotal  float64 `json:"exists_total"`
		ExistsTime   float64 `json:"exists_time_in_millis"`
		MissingTotal float64 `json:"missing_total"`
		MissingTime  float64 `json:"missing_time_in_millis"`
	} `json:"get"`
	Search struct {
		QueryTotal   float64 `json:"query_total"`
		QueryTime    float64 `json:"query_time_in_millis"`
		FetchTotal   float64 `json:"fetch_total"`
		FetchTime    float64 `json:"fetch_time_in_millis"`
		ScrollTotal  float64 `json:"scroll_total"`
		ScrollTime   float64 `json:"scroll_time_in_millis"`
		SuggestTotal float64 `json:"suggest_total"`
		SuggestTime  float64 `json:"suggest_time_in_millis"`
	} `json:"search"`
	Merges struct {
		Current            float64 `json:"current"`
		CurrentSize        float64 `json:"current_size_in_bytes"`
		Total              float64 `json:"total"`
		TotalTime          float64 `json:"total_time_in_millis"`
		TotalDocs          float64 `json:"total_docs"`
		TotalSize          float64 `json:"total_size_in_bytes"`
		TotalThrottledTime float64 `json:"total_throttled_time_in_millis"`
	} `json:"merges"`
	Refresh  totalTime `json:"refresh"`
	Flush    totalTime `json:"flush"`
	Warmer   totalTime `json:"warmer"`
	Translog struct {
		Operations float64 `json:"operations"`
		Size       float64 `json:"size_in_bytes"`
	} `json:"translog"`
	QueryCache struct {
		MemorySize float64 `json:"memory_size_in_bytes"`
		Evictions  float64 `json:"evictions"`
		TotalCount float64 `json:"total_count"`
		HitCount   float64 `json:"hit_count"`
		MissCount  float64 `json:"miss_count"`
		CacheSize  float64 `json:"cache_size"`
		CacheCount float64 `json:"cache_count"`
	} `json:"query_cache"`
	RequestCache struct {
		MemorySize float64 `json:"memory_size_in_bytes"`
		Evictions  float64 `json:"evictions"`
		HitCount   float64 `json:"hit_count"`
		MissCount  float64 `json:"miss_count"`
	} `json:"request_cache"`
	FilterCache memoryEvictions `json:"filter_cache"`
	FieldData   memoryEvictions `json:"fielddata"`
	Completion  struct {
		Size float64 `json:"size_in_bytes"`
	} `json:"completion"`
	Segments segments `json:"segments"`
}

type totalTime struct {
	Total     float64 `json:"total"`
	TotalTime float64 `json:"total_time_in_millis"`
}

type memoryEvictions struct {
	MemorySize float64 `json:"memory_size_in_bytes"`
	Evictions  float64 `json:"evictions"`
}

type segments struct {
	Count              float64 `json:"count"`
	Memory             float64 `json:"memory_in_bytes"`
	TermsMemory        float64 `json:"terms_memory_in_bytes"`
	StoredFieldsMemory float64 `json:"stored_fields_memory_in_bytes"`
	TermVectorsMemory  float64 `json:"term_vectors_memory_in_bytes"`
	NormsMemory        float64 `json:"norms_memory_in_bytes"`
	PointsMemory       float64 `json:"points_memory_in_bytes"`
	DocValuesMemory    float64 `json:"doc_values_memory_in_bytes"`
	IndexWriterMemory  float64 `json:"index_writer_memory_in_bytes"`
	VersionMapMemory   float64 `json:"version_map_memory_in_bytes"`
	FixedBitSetMemory  float64 `json:"fixed_bit_set_memory_in_bytes"`
}

type nodeOS struct {
	CPU struct {
		Percent float64 `json:"percent"`
		LoadAvg struct {
			Load1  float64 `json:"1m"`
			Load5  float64 `json:"5m"`
			Load15 float64 `json:"15m"`
		} `json:"load_average"`
	} `json:"cpu"`
	Mem struct {
		Free       float64 `json:"free_in_bytes"`
		Used       float64 `json:"used_in_bytes"`
		ActualFree float64 `json:"actual_free_in_bytes"`
		ActualUsed float64 `json:"actual_used_in_bytes"`
	} `json:"mem"`
}

type threadPool struct {
	Threads   float64 `json:"threads"`
	Queue     float64 `json:"queue"`
	Active    float64 `json:"active"`
	Rejected  float64 `json:"rejected"`
	Largest   float64 `json:"largest"`
	Completed float64 `json:"completed"`
}

type fsData struct {
	Path      string  `json:"path"`
	Mount     string  `json:"mount"`
	Total     float64 `json:"total_in_bytes"`
	Free      float64 `json:"free_in_bytes"`
	Available float64 `json:"available_in_bytes"`
}

type ioDevice struct {
	Name            string  `json:"device_name"`
	Operations      float64 `json:"operations"`
	ReadOperations  float64 `json:"read_operations"`
	WriteOperations float64 `json:"write_operations"`
	ReadKilobytes   float64 `json:"read_kilobytes"`
	WriteKilobytes  float64 `json:"write_kilobytes"`
}

type breaker struct {
	EstimatedSize float64 `json:"estimated_size_in_bytes"`
	LimitSize     float64 `json:"limit_size_in_bytes"`
	Overhead      float64 `json:"overhead"`
	Tripped       float64 `json:"tripped"`
}

// indicesStatsResponse is GET /_all/_stats.
type indicesStatsResponse struct {
	Indices map[string]*indexStats `json:"indices"`
}

type indexStats struct {
	Primaries indexShardStats `json:"primaries"`
	Total     indexShardStats `json:"total"`
}

// indexShardStats is the primaries or total section of an index.
type indexShardStats struct {
	Docs struct {
		Count   float64 `json:"count"`
		Deleted float64 `json:"deleted"`
	} `json:"docs"`
	Store struct {
		Size float64 `json:"size_in_bytes"`
	} `json:"store"`
	Indexing struct {
		IndexTotal    float64 `json:"index_total"`
		IndexTime     float64 `json:"index_time_in_millis"`
		IndexCurrent  float64 `json:"index_current"`
		DeleteTotal   float64 `json:"delete_total"`
		DeleteTime    float64 `json:"delete_time_in_millis"`
		NoopUpdateTot float64 `json:"noop_update_total"`
		ThrottleTime  float64 `json:"throttle_time_in_millis"`
	} `json:"indexing"`
	Get struct {
		Total float64 `json:"total"`
		Time  float64 `json:"time_in_millis"`
	} `json:"get"`
	Search struct {
		QueryTotal    float64 `json:"query_total"`
		QueryTime     float64 `json:"query_time_in_millis"`
		QueryCurrent  float64 `json:"query_current"`
		FetchTotal    float64 `json:"fetch_total"`
		FetchTime     float64 `json:"fetch_time_in_millis"`
		ScrollTotal   float64 `json:"scroll_total"`
		ScrollTime    float64 `json:"scroll_time_in_millis"`
		ScrollCurrent float64 `json:"scroll_current"`
		SuggestTotal  float64 `json:"suggest_total"`
		SuggestTime   float64 `json:"suggest_time_in_millis"`
	} `json:"search"`
	Merges struct {
		Total              float64 `json:"total"`
		TotalTime          float64 `json:"total_time_in_millis"`
		TotalThrottledTime float64 `json:"total_throttled_time_in_millis"`
		TotalStoppedTime   float64 `json:"total_stopped_time_in_millis"`
		TotalAutoThrottle  float64 `json:"total_auto_throttle_in_bytes"`
	} `json:"merges"`
	Refresh    totalTime `json:"refresh"`
	Flush      totalTime `json:"flush"`
	Warmer     totalTime `json:"warmer"`
	QueryCache struct {
		MemorySize float64 `json:"memory_size_in_bytes"`
		Evictions  float64 `json:"evictions"`
		HitCount   float64 `json:"hit_count"`
		MissCount  float64 `json:"miss_count"`
		CacheSize  float64 `json:"cache_size"`
		CacheCount float64 `json:"cache_count"`
	} `json:"query_cache"`
	RequestCache struct {
		MemorySize float64 `json:"memory_size_in_bytes"`
		Evictions  float64 `json:"evictions"`
		HitCount   float64 `json:"hit_count"`
		MissCount  float64 `json:"miss_count"`
	} `json:"request_cache"`
	FieldData  memoryEvictions `json:"fielddata"`
	Completion struct {
		Size float64 `json:"size_in_bytes"`
	} `json:"completion"`
	Segments segments `json:"segments"`
}

// settingsResponse is GET /_cluster/settings?include_defaults=true. The
// sections are decoded generically because settings come nested or flat
// ("cluster.routing.allocation.enable") and a key can hold a value in one
// version and an object in another.
type settingsResponse struct {
	Defaults   map[string]any `json:"defaults"`
	Persistent map[string]any `json:"persistent"`
	Transient  map[string]any `json:"transient"`
}
