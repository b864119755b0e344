package jvm

// NodeStatsJVM decodes the "jvm" object of the node stats APIs of
// Elasticsearch, OpenSearch and Logstash (GET /_nodes/stats,
// GET /_node/stats), which share one shape. Numbers a version does not
// report stay zero, except those that Fill must tell apart (pointers).
type NodeStatsJVM struct {
	// UptimeMillis is the JVM's uptime in milliseconds.
	UptimeMillis float64 `json:"uptime_in_millis"`
	// Mem holds heap, non-heap and pool usage.
	Mem NodeStatsMem `json:"mem"`
	// Threads is nil in versions that do not report threads.
	Threads *NodeStatsThreads `json:"threads"`
	// GC holds the collectors, keyed "young" and "old".
	GC struct {
		Collectors map[string]NodeStatsCollector `json:"collectors"`
	} `json:"gc"`
	// BufferPools are keyed "direct", "mapped", ...
	BufferPools map[string]NodeStatsBufferPool `json:"buffer_pools"`
	// Classes is nil in versions that do not report classes.
	Classes *NodeStatsClasses `json:"classes"`
}

// NodeStatsMem is the jvm.mem object of node stats.
type NodeStatsMem struct {
	// HeapUsed, HeapCommitted, HeapMax, NonHeapUsed and NonHeapCommitted
	// are in bytes.
	HeapUsed         float64 `json:"heap_used_in_bytes"`
	HeapCommitted    float64 `json:"heap_committed_in_bytes"`
	HeapMax          float64 `json:"heap_max_in_bytes"`
	NonHeapUsed      float64 `json:"non_heap_used_in_bytes"`
	NonHeapCommitted float64 `json:"non_heap_committed_in_bytes"`
	// Pools are keyed "young", "survivor" and "old".
	Pools map[string]NodeStatsPool `json:"pools"`
}

// NodeStatsPool is one memory pool of node stats. Committed is reported by
// Logstash only.
type NodeStatsPool struct {
	// Used, Max, PeakUsed and PeakMax are in bytes; Max is -1 when the
	// pool has no maximum.
	Used      float64  `json:"used_in_bytes"`
	Max       float64  `json:"max_in_bytes"`
	PeakUsed  float64  `json:"peak_used_in_bytes"`
	PeakMax   float64  `json:"peak_max_in_bytes"`
	Committed *float64 `json:"committed_in_bytes"`
}

// NodeStatsThreads is the jvm.threads object of node stats.
type NodeStatsThreads struct {
	// Count is the number of live threads, PeakCount its peak.
	Count     float64 `json:"count"`
	PeakCount float64 `json:"peak_count"`
}

// NodeStatsCollector is one garbage collector of node stats.
type NodeStatsCollector struct {
	// Count is the number of collections, TimeMillis their total time.
	Count      float64 `json:"collection_count"`
	TimeMillis float64 `json:"collection_time_in_millis"`
}

// NodeStatsBufferPool is one buffer pool of node stats.
type NodeStatsBufferPool struct {
	// Used is the memory the pool's buffers use, in bytes.
	Used float64 `json:"used_in_bytes"`
}

// NodeStatsClasses is the jvm.classes object of node stats.
type NodeStatsClasses struct {
	// CurrentLoaded counts classes loaded now; TotalLoaded and
	// TotalUnloaded count since the JVM started.
	CurrentLoaded float64 `json:"current_loaded_count"`
	TotalLoaded   float64 `json:"total_loaded_count"`
	TotalUnloaded float64 `json:"total_unloaded_count"`
}

// NodeStatsProcess decodes the "process" object of the same node stats
// APIs.
type NodeStatsProcess struct {
	// OpenFD and MaxFD are the open and maximum file descriptors.
	OpenFD float64 `json:"open_file_descriptors"`
	MaxFD  float64 `json:"max_file_descriptors"`
	// CPU is the process's CPU usage in percent and its CPU time.
	CPU struct {
		Percent     float64 `json:"percent"`
		TotalMillis float64 `json:"total_in_millis"`
	} `json:"cpu"`
	// Mem is the process's resident, shared and virtual memory in bytes.
	Mem struct {
		Resident     float64 `json:"resident_in_bytes"`
		Share        float64 `json:"share_in_bytes"`
		TotalVirtual float64 `json:"total_virtual_in_bytes"`
	} `json:"mem"`
}

// nodeStatsPools are the pools of node stats, in the order they are added
// to Stats.
var nodeStatsPools = [...]string{"young", "survivor", "old"}

// Fill sets s's heap, non-heap, pools (named young, survivor and old, as
// node stats name them), collectors, threads and classes from j. It
// appends to s.Pools and s.GC; call s.Reset first.
func (j *NodeStatsJVM) Fill(s *Stats) {
	s.Heap.Used, s.Heap.Committed, s.Heap.Max = j.Mem.HeapUsed, j.Mem.HeapCommitted, j.Mem.HeapMax
	s.NonHeap.Used, s.NonHeap.Committed = j.Mem.NonHeapUsed, j.Mem.NonHeapCommitted
	for _, name := range nodeStatsPools {
		p, ok := j.Mem.Pools[name]
		if !ok {
			continue
		}
		u := NewUsage()
		u.Used, u.Max = p.Used, p.Max
		if p.Committed != nil {
			u.Committed = *p.Committed
		}
		s.Pools = append(s.Pools, Pool{Name: name, Usage: u})
	}
	for name, g := range j.GC.Collectors {
		s.GC = append(s.GC, GC{Name: name, Count: g.Count, Seconds: g.TimeMillis / 1000})
	}
	if j.Threads != nil {
		s.ThreadsCurrent, s.ThreadsPeak = j.Threads.Count, j.Threads.PeakCount
	}
	if j.Classes != nil {
		s.ClassesLoaded = j.Classes.CurrentLoaded
		s.ClassesLoadedTotal = j.Classes.TotalLoaded
		s.ClassesUnloadedTotal = j.Classes.TotalUnloaded
	}
}

// Fill sets s's CPU time and file descriptors from p. A process section
// without CPU time (total_in_millis -1 or absent) leaves it unreported.
func (p *NodeStatsProcess) Fill(s *Stats) {
	if p.CPU.TotalMillis > 0 {
		s.CPUSeconds = p.CPU.TotalMillis / 1000
	}
	if p.MaxFD > 0 {
		s.OpenFDs, s.MaxFDs = p.OpenFD, p.MaxFD
	}
}
