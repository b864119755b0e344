package sim

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/pipewatch/pipewatch/demo"
)

// The simulated Elasticsearch cluster: three nodes of Elasticsearch 8.10
// holding the indices of the ES-sink modules. See the package documentation
// for how its figures move.
const (
	esClusterName = "demo-logs"
	esVersion     = "8.10.4"
	esLucene      = "9.7.0"
	// esWriteThreads and esWriteQueueSize are the write thread pool of a
	// node with eight processors: 8 threads and Elasticsearch 8's queue of
	// 10,000 (thread_pool.write.queue_size).
	esWriteThreads   = 8
	esWriteQueueSize = 10000
	// esReplicas is the replica count of every index: each document is
	// indexed once on its primary and once on its replica.
	esReplicas = 1
	esCores    = 8
	// esOpsPerBulk is the average number of documents of a shard-level
	// bulk request, one task of the write thread pool.
	esOpsPerBulk = 25
	// esDocBytes is the average size of a stored document.
	esDocBytes = 430
	// esFSTotal and esFSUsed are the data path's size and what other files
	// took before the run.
	esFSTotal = 500 << 30
	esFSUsed  = 120 << 30
)

// esNodes are the cluster's nodes: name, address and share of the shards.
var esNodes = []struct {
	name, ip string
	share    float64
}{
	{"es-demo-1", "10.12.0.11", 0.36},
	{"es-demo-2", "10.12.0.12", 0.33},
	{"es-demo-3", "10.12.0.13", 0.31},
}

// esRoles are the roles of a node with the default roles of Elasticsearch 8.
var esRoles = []any{"data", "data_cold", "data_content", "data_frozen", "data_hot", "data_warm",
	"ingest", "master", "ml", "remote_cluster_client", "transform"}

// esJVM is the JVM of every node, sized as the captured node (a 1 GiB heap
// with a 273 MiB young generation): a young collection every 15 s or so at
// the daily mean, an old one every 40 young ones.
var esJVM = jvmModel{
	heapMax: 1037959168, youngMax: 286326784, survivor: 31989216,
	oldBase: 180 << 20, promoted: 6 << 20, youngPerOld: 40,
	idleAlloc: 2 << 20, allocPerRecord: 40 << 10,
	youngPause: 12, oldPause: 180,
	idleCPU: 0.05, cpuPerRecord: 0.008,
	started: 6 * 3600,
}

// esState is the cluster at the time of a request.
type esState struct {
	nodes []esNodeState
}

// esNodeState is one node at the time of a request.
type esNodeState struct {
	timestamp                      float64 // milliseconds since the epoch
	ops, opsRate                   float64 // index operations (primaries and replicas) so far, per second now
	indexMillis                    float64
	queries                        float64
	refreshes, merges, flushes     float64
	translogOps                    float64
	segments                       float64
	cpuPercent, osPercent          float64
	load1, load5, load15           float64
	writeQueue, writeActive        float64
	writeRejected, writeCompleted  float64
	storeBytes, fsFree             float64
	httpOpened                     float64
	transportCount, transportBytes float64
	jvm                            jvmState
}

// esCluster serves the simulated cluster.
type esCluster struct {
	w                    *world
	families             []*esFamily
	numIndices           int
	root, health         []byte
	settings             []byte
	allNodes, localNodes *template[esState]
	indices              *template[esIndicesState]
}

func newESCluster(w *world, modules []demo.Module) (*esCluster, error) {
	c := &esCluster{w: w, families: esFamilies(w.traffic, modules)}
	for _, f := range c.families {
		c.numIndices += f.indices()
	}
	var err error
	if c.root, err = esRoot(); err != nil {
		return nil, err
	}
	if c.health, err = esHealth(c.numIndices * esShardsPerIndex); err != nil {
		return nil, err
	}
	settings, err := fixture("elasticsearch/cluster_settings-8.10.4.json")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, settings); err != nil {
		return nil, fmt.Errorf("compact cluster settings: %w", err)
	}
	c.settings = buf.Bytes()
	if c.allNodes, err = esNodesStats(len(esNodes)); err != nil {
		return nil, err
	}
	if c.localNodes, err = esNodesStats(1); err != nil {
		return nil, err
	}
	if c.indices, err = esIndicesStats(c.families); err != nil {
		return nil, err
	}
	return c, nil
}

// ServeHTTP answers the requests of the elasticsearch collector: /,
// /_cluster/health, /_nodes/stats (or /_nodes/_all/stats and
// /_nodes/_local/stats; other node filters get every node),
// /_cluster/settings and, for its per-index statistics, /_all/_stats (or
// /_stats; query parameters are ignored).
func (c *esCluster) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch p := r.URL.Path; p {
	case "/":
		writeJSON(w, c.root)
	case "/_cluster/health":
		writeJSON(w, c.health)
	case "/_cluster/settings":
		writeJSON(w, c.settings)
	case "/_all/_stats", "/_stats":
		writeJSON(w, c.indices.document(c.indicesState(c.w.moment())))
	case "/_nodes/stats", "/_nodes/_all/stats", "/_nodes/_local/stats":
		t := c.allNodes
		if p == "/_nodes/_local/stats" {
			t = c.localNodes
		}
		s := c.state(c.w.moment())
		writeJSON(w, t.document(s))
	default:
		if !strings.HasPrefix(p, "/_nodes/") || !strings.HasSuffix(p, "/stats") {
			http.NotFound(w, r)
			return
		}
		s := c.state(c.w.moment())
		writeJSON(w, c.allNodes.document(s))
	}
}

// state computes every node at moment m.
func (c *esCluster) state(m moment) *esState {
	t := c.w.traffic
	docs, rate := t.written(t.es, m.elapsed), t.rate(t.es, m.elapsed)
	load := t.esLoad(m.elapsed)
	rejected := t.rejected.at(m.elapsed)
	fill := queueFill(load)
	s := &esState{nodes: make([]esNodeState, len(esNodes))}
	for i, n := range esNodes {
		key := n.name
		ns := &s.nodes[i]
		ns.timestamp = float64(m.now.UnixMilli())
		ns.ops = (1 + esReplicas) * docs * n.share
		ns.opsRate = (1 + esReplicas) * rate * n.share
		ns.indexMillis = ns.ops * 0.15
		ns.queries = ns.ops/40 + m.secs*0.5
		ns.refreshes = m.secs * float64(c.numIndices) // every index refreshed every second
		ns.merges = ns.ops / 9000
		ns.flushes = ns.ops / 60000
		ns.translogOps = ns.ops - 60000*float64(int64(ns.flushes))
		ns.segments = c.w.wander(key+"/segments", m, 90, 38, 62)
		ns.jvm = esJVM.at(m.secs, ns.ops)
		ns.cpuPercent = clamp(100*esJVM.cpuLoad(ns.opsRate)/esCores+c.w.wander(key+"/cpu", m, 7, -3, 3), 1, 100)
		ns.osPercent = clamp(ns.cpuPercent+c.w.wander(key+"/os", m, 11, 3, 9), 1, 100)
		ns.load1 = esCores * ns.osPercent / 100 * c.w.wander(key+"/load", m, 13, 0.9, 1.15)
		ns.load5 = esCores * ns.osPercent / 100
		ns.load15 = esCores * ns.osPercent / 100 * 0.95
		ns.writeRejected = rejected * n.share
		ns.writeCompleted = ns.ops / esOpsPerBulk
		ns.writeQueue = clamp(fill*esWriteQueueSize*c.w.wander(key+"/queue", m, 5, 0.96, 1.04), 0, esWriteQueueSize)
		if fill > 0 {
			ns.writeActive = esWriteThreads
		} else {
			ns.writeActive = clamp(esWriteThreads*load*0.7+c.w.wander(key+"/active", m, 3, -1, 1), 0, esWriteThreads)
			ns.writeQueue = c.w.wander(key+"/idlequeue", m, 4, 0, 3)
		}
		ns.storeBytes = ns.ops * esDocBytes
		ns.fsFree = esFSTotal - esFSUsed - ns.storeBytes
		ns.httpOpened = 16 + m.secs/30
		ns.transportCount = ns.ops / esOpsPerBulk * (1 + esReplicas)
		ns.transportBytes = ns.ops * esDocBytes * 1.3
	}
	return s
}

// esRoot is GET /: the 7.13.1 capture (whose shape 8.x keeps) with the
// simulated cluster's name and an 8.10 version.
func esRoot() ([]byte, error) {
	d, err := loadDoc[struct{}]("elasticsearch/cluster_info-7.13.1.json")
	if err != nil {
		return nil, err
	}
	d.set("name", esNodes[0].name)
	d.set("cluster_name", esClusterName)
	d.set("cluster_uuid", esID(100))
	d.set("version.number", esVersion)
	d.set("version.build_hash", "")
	d.set("version.build_date", "")
	d.set("version.lucene_version", esLucene)
	d.set("version.minimum_wire_compatibility_version", "7.17.0")
	d.set("version.minimum_index_compatibility_version", "7.0.0")
	return staticJSON(d)
}

// esHealth is GET /_cluster/health: the 7.6.2 capture for a green cluster
// of three nodes holding the ES-sink modules' indices, with primaries
// primary shards.
func esHealth(primaries int) ([]byte, error) {
	d, err := loadDoc[struct{}]("elasticsearch/cluster_health-7.6.2.json")
	if err != nil {
		return nil, err
	}
	for path, v := range map[string]any{
		"cluster_name": esClusterName, "status": "green",
		"number_of_nodes": len(esNodes), "number_of_data_nodes": len(esNodes),
		"active_primary_shards": primaries, "active_shards": primaries * (1 + esReplicas),
		"unassigned_shards": 0, "task_max_waiting_in_queue_millis": 0, "active_shards_percent_as_number": 100,
	} {
		d.set(path, v)
	}
	return staticJSON(d)
}

// esNodesStats is GET /_nodes/stats for the first n nodes: the 7.6.2
// capture of one node (the newest nodes stats capture; the fields read
// are unchanged in 8.x) repeated per node, with 8.x's default roles and
// the moving fields bound to the node's state.
func esNodesStats(n int) (*template[esState], error) {
	d, err := loadDoc[esState]("elasticsearch/nodes_stats-7.6.2.json")
	if err != nil {
		return nil, err
	}
	proto := d.get("nodes.rL7RmAMrSGGg9L7msPEPoQ")
	nodes := map[string]any{}
	ids := make([]string, n)
	for i := range n {
		ids[i] = esID(i)
		nodes[ids[i]] = clone(proto)
	}
	d.set("nodes", nodes)
	d.set("cluster_name", esClusterName)
	d.set("_nodes.total", n)
	d.set("_nodes.successful", n)
	for i, id := range ids {
		bindESNode(d, "nodes."+id+".", i)
	}
	return d.compile()
}

// bindESNode sets the static fields of node i at prefix and binds its
// moving ones.
func bindESNode(d *doc[esState], prefix string, i int) {
	node := esNodes[i]
	d.set(prefix+"name", node.name)
	d.set(prefix+"host", node.ip)
	d.set(prefix+"ip", node.ip+":9300")
	d.set(prefix+"transport_address", node.ip+":9300")
	d.set(prefix+"roles", slices.Clone(esRoles))
	d.set(prefix+"fs.total.total_in_bytes", esFSTotal)
	d.set(prefix+"fs.data.0.total_in_bytes", esFSTotal)
	d.set(prefix+"fs.data.0.path", "/usr/share/elasticsearch/data")
	d.set(prefix+"thread_pool.write.threads", esWriteThreads)
	d.set(prefix+"thread_pool.write.largest", esWriteThreads)
	d.set(prefix+"thread_pool.search.threads", 13)
	d.set(prefix+"thread_pool.search.largest", 13)
	d.set(prefix+"indices.merges.total_auto_throttle_in_bytes", 20<<20)

	f := func(v func(*esNodeState) float64) fill[esState] {
		return integer(func(s *esState) float64 { return v(&s.nodes[i]) })
	}
	for path, v := range map[string]func(*esNodeState) float64{
		"timestamp":                                         func(n *esNodeState) float64 { return n.timestamp },
		"os.timestamp":                                      func(n *esNodeState) float64 { return n.timestamp },
		"process.timestamp":                                 func(n *esNodeState) float64 { return n.timestamp },
		"jvm.timestamp":                                     func(n *esNodeState) float64 { return n.timestamp },
		"fs.timestamp":                                      func(n *esNodeState) float64 { return n.timestamp },
		"indices.docs.count":                                func(n *esNodeState) float64 { return 5 + n.ops },
		"indices.store.size_in_bytes":                       func(n *esNodeState) float64 { return 20484 + n.storeBytes },
		"indices.indexing.index_total":                      func(n *esNodeState) float64 { return 5 + n.ops },
		"indices.indexing.index_time_in_millis":             func(n *esNodeState) float64 { return 18 + n.indexMillis },
		"indices.indexing.index_current":                    func(n *esNodeState) float64 { return n.writeActive },
		"indices.search.query_total":                        func(n *esNodeState) float64 { return n.queries },
		"indices.search.query_time_in_millis":               func(n *esNodeState) float64 { return n.queries * 4 },
		"indices.search.fetch_total":                        func(n *esNodeState) float64 { return n.queries * 0.8 },
		"indices.search.fetch_time_in_millis":               func(n *esNodeState) float64 { return n.queries * 0.8 },
		"indices.merges.total":                              func(n *esNodeState) float64 { return n.merges },
		"indices.merges.total_docs":                         func(n *esNodeState) float64 { return n.merges * 9000 },
		"indices.merges.total_size_in_bytes":                func(n *esNodeState) float64 { return n.merges * 9000 * esDocBytes },
		"indices.merges.total_time_in_millis":               func(n *esNodeState) float64 { return n.merges * 350 },
		"indices.refresh.total":                             func(n *esNodeState) float64 { return 17 + n.refreshes },
		"indices.refresh.total_time_in_millis":              func(n *esNodeState) float64 { return 98 + n.refreshes*6 },
		"indices.refresh.external_total":                    func(n *esNodeState) float64 { return 17 + n.refreshes },
		"indices.refresh.external_total_time_in_millis":     func(n *esNodeState) float64 { return 100 + n.refreshes*6 },
		"indices.flush.total":                               func(n *esNodeState) float64 { return n.flushes },
		"indices.flush.periodic":                            func(n *esNodeState) float64 { return n.flushes },
		"indices.flush.total_time_in_millis":                func(n *esNodeState) float64 { return n.flushes * 120 },
		"indices.segments.count":                            func(n *esNodeState) float64 { return n.segments },
		"indices.translog.operations":                       func(n *esNodeState) float64 { return n.translogOps },
		"indices.translog.size_in_bytes":                    func(n *esNodeState) float64 { return n.translogOps * esDocBytes },
		"indices.translog.uncommitted_operations":           func(n *esNodeState) float64 { return n.translogOps },
		"indices.translog.uncommitted_size_in_bytes":        func(n *esNodeState) float64 { return n.translogOps * esDocBytes },
		"os.cpu.percent":                                    func(n *esNodeState) float64 { return n.osPercent },
		"process.cpu.percent":                               func(n *esNodeState) float64 { return n.cpuPercent },
		"process.cpu.total_in_millis":                       func(n *esNodeState) float64 { return n.jvm.cpuSeconds * 1000 },
		"jvm.uptime_in_millis":                              func(n *esNodeState) float64 { return n.jvm.uptimeMillis },
		"jvm.mem.heap_used_in_bytes":                        func(n *esNodeState) float64 { return n.jvm.heapUsed },
		"jvm.mem.heap_used_percent":                         func(n *esNodeState) float64 { return 100 * n.jvm.heapUsed / esJVM.heapMax },
		"jvm.mem.pools.young.used_in_bytes":                 func(n *esNodeState) float64 { return n.jvm.young },
		"jvm.mem.pools.survivor.used_in_bytes":              func(n *esNodeState) float64 { return n.jvm.survivor },
		"jvm.mem.pools.old.used_in_bytes":                   func(n *esNodeState) float64 { return n.jvm.old },
		"jvm.mem.pools.old.peak_used_in_bytes":              func(*esNodeState) float64 { return esJVM.peakOld() },
		"jvm.gc.collectors.young.collection_count":          func(n *esNodeState) float64 { return n.jvm.youngGCs },
		"jvm.gc.collectors.young.collection_time_in_millis": func(n *esNodeState) float64 { return n.jvm.youngMillis },
		"jvm.gc.collectors.old.collection_count":            func(n *esNodeState) float64 { return n.jvm.oldGCs },
		"jvm.gc.collectors.old.collection_time_in_millis":   func(n *esNodeState) float64 { return n.jvm.oldMillis },
		"thread_pool.write.queue":                           func(n *esNodeState) float64 { return n.writeQueue },
		"thread_pool.write.active":                          func(n *esNodeState) float64 { return n.writeActive },
		"thread_pool.write.rejected":                        func(n *esNodeState) float64 { return n.writeRejected },
		"thread_pool.write.completed":                       func(n *esNodeState) float64 { return 9 + n.writeCompleted },
		"thread_pool.search.completed":                      func(n *esNodeState) float64 { return n.queries * 2 },
		"thread_pool.refresh.completed":                     func(n *esNodeState) float64 { return 47 + n.refreshes },
		"fs.total.free_in_bytes":                            func(n *esNodeState) float64 { return n.fsFree },
		"fs.total.available_in_bytes":                       func(n *esNodeState) float64 { return n.fsFree },
		"fs.data.0.free_in_bytes":                           func(n *esNodeState) float64 { return n.fsFree },
		"fs.data.0.available_in_bytes":                      func(n *esNodeState) float64 { return n.fsFree },
		"transport.rx_count":                                func(n *esNodeState) float64 { return n.transportCount },
		"transport.tx_count":                                func(n *esNodeState) float64 { return n.transportCount },
		"transport.rx_size_in_bytes":                        func(n *esNodeState) float64 { return n.transportBytes },
		"transport.tx_size_in_bytes":                        func(n *esNodeState) float64 { return n.transportBytes },
		"http.total_opened":                                 func(n *esNodeState) float64 { return n.httpOpened },
		"breakers.parent.estimated_size_in_bytes":           func(n *esNodeState) float64 { return n.jvm.heapUsed },
	} {
		d.bind(prefix+path, f(v))
	}
	for path, v := range map[string]func(*esNodeState) float64{
		"os.cpu.load_average.1m":  func(n *esNodeState) float64 { return n.load1 },
		"os.cpu.load_average.5m":  func(n *esNodeState) float64 { return n.load5 },
		"os.cpu.load_average.15m": func(n *esNodeState) float64 { return n.load15 },
	} {
		d.bind(prefix+path, decimal(func(s *esState) float64 { return v(&s.nodes[i]) }, 2))
	}
}

// esID returns a node or cluster id, 22 characters of URL-safe base64 as
// Elasticsearch's, derived from i.
func esID(i int) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], splitmix(seed+uint64(i)))
	binary.BigEndian.PutUint64(b[8:], splitmix(seed^uint64(i)<<32))
	return base64.RawURLEncoding.EncodeToString(b[:])
}
