package topology

import (
	"cmp"
	"slices"
	"time"
)

// Kind is the kind of a node.
type Kind string

// The node kinds, in data-flow order.
const (
	KindProducer Kind = "producer"
	KindTopic    Kind = "topic"
	KindGroup    Kind = "group"
	KindJob      Kind = "job"
	KindSink     Kind = "sink"
)

// layer orders kinds left to right.
func (k Kind) layer() int {
	switch k {
	case KindProducer:
		return 0
	case KindTopic:
		return 1
	case KindGroup, KindJob:
		return 2
	default:
		return 3
	}
}

// Health is the state of a node, an edge or a module.
type Health string

// Health values, from best to worst.
const (
	HealthUnknown  Health = "unknown"
	HealthOK       Health = "ok"
	HealthWarn     Health = "warn"
	HealthCritical Health = "critical"
)

func (h Health) rank() int {
	switch h {
	case HealthOK:
		return 1
	case HealthWarn:
		return 2
	case HealthCritical:
		return 3
	default:
		return 0
	}
}

// worse returns the worse of a and b.
func worse(a, b Health) Health {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// EdgeState says where an edge is known from.
type EdgeState string

// Edge states.
const (
	// EdgeConfirmed is declared in a module and observed.
	EdgeConfirmed EdgeState = "confirmed"
	// EdgeObserved is observed but not declared.
	EdgeObserved EdgeState = "observed"
	// EdgeDeclared is declared but not observed (at the requested time).
	EdgeDeclared EdgeState = "declared"
)

// Node is one producer, topic, group, job or sink.
type Node struct {
	ID     string `json:"id"`
	Kind   Kind   `json:"kind"`
	Name   string `json:"name"`
	Module string `json:"module"`
	// Cluster is the Kafka cluster of topics and groups, and the
	// Elasticsearch cluster of "es:" sinks observed through per-index
	// series.
	Cluster string `json:"cluster,omitempty"`
	Health  Health `json:"health"`
	Reason  string `json:"reason,omitempty"`
	// Stats are the node's key figures (e.g. in_rate, lag, lag_seconds;
	// see annotate for the full list).
	Stats map[string]float64 `json:"stats,omitempty"`
	// Status is the consumer status of groups (OK, WARN, STALL, ...) and
	// the state of Flink jobs that are not running (FAILED, RESTARTING,
	// ...).
	Status string `json:"status,omitempty"`
	// Components are the parts of a job its collector reports, sorted:
	// Flink source vertices, Storm spouts, Kafka Connect connector
	// classes, Logstash input and output plugins (e.g. "kafka",
	// "elasticsearch").
	Components []string `json:"components,omitempty"`
	// Alerts are the names of firing alerts attached to the node.
	Alerts []string `json:"alerts,omitempty"`
	// Declared and Observed say where the node is known from.
	Declared bool `json:"declared"`
	Observed bool `json:"observed"`
	// internal marks Kafka-internal topics (names starting with "_", such
	// as __consumer_offsets, _schemas or pipewatch's probe topic), which
	// are left out of the graph with their edges.
	internal bool
}

// Edge is a flow of data between two nodes.
type Edge struct {
	ID     string    `json:"id"`
	Source string    `json:"source"`
	Target string    `json:"target"`
	State  EdgeState `json:"state"`
	Health Health    `json:"health"`
	Reason string    `json:"reason,omitempty"`
	// Sources name what observed the edge (e.g. "kafka_offsets").
	Sources []string `json:"sources,omitempty"`
	// LastSeen is when an observation of the edge was last written, at or
	// before the time the graph is built for (zero for declared edges).
	LastSeen time.Time          `json:"last_seen,omitzero"`
	Stats    map[string]float64 `json:"stats,omitempty"`
}

// ModuleSummary is the state of one module.
type ModuleSummary struct {
	Name   string `json:"name"`
	Owner  string `json:"owner,omitempty"`
	Health Health `json:"health"`
	// WorstHop is the ID of the module's worst node or edge, if not ok.
	WorstHop string `json:"worst_hop,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Nodes    int    `json:"nodes"`
	// Declared is false for modules inferred from names.
	Declared bool `json:"declared"`
}

// Graph is a module topology at one point in time.
type Graph struct {
	Nodes   []*Node         `json:"nodes"`
	Edges   []*Edge         `json:"edges"`
	Modules []ModuleSummary `json:"modules"`
}

// sort orders nodes by module, layer and name, edges by ID, and modules by
// name, so output is stable.
func (g *Graph) sort() {
	slices.SortFunc(g.Nodes, func(a, b *Node) int {
		return cmp.Or(cmp.Compare(a.Module, b.Module), cmp.Compare(a.Kind.layer(), b.Kind.layer()), cmp.Compare(a.ID, b.ID))
	})
	slices.SortFunc(g.Edges, func(a, b *Edge) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(g.Modules, func(a, b ModuleSummary) int { return cmp.Compare(a.Name, b.Name) })
}

// Module is a declared pipeline module.
type Module struct {
	Name      string
	Owner     string
	Aliases   []string
	Producers []string
	Topics    []string
	Groups    []string
	// Jobs are "<system>/<job name>" as the collectors name them, e.g.
	// "flink/audit-enrich", "logstash/main" (the pipeline id),
	// "spark/<application name>", so that they match observed jobs.
	Jobs []string
	// Sinks are "<kind>:<name>", e.g. "es:hotel-search-*". An "es:" sink
	// matches the observed index families of its name (see IndexFamily
	// and declaredNodes).
	Sinks []string
}

// Node IDs are "<kind>:<name>", with the cluster for Kafka objects:
// "topic:<cluster>/<topic>", "group:<cluster>/<group>".
func nodeID(kind Kind, cluster, name string) string {
	if cluster != "" {
		return string(kind) + ":" + cluster + "/" + name
	}
	return string(kind) + ":" + name
}

func edgeID(source, target string) string { return source + "->" + target }
