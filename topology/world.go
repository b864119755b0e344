package topology

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// world is the graph under construction.
type world struct {
	nodes map[string]*Node
	edges map[string]*Edge
	// byName finds observed Kafka nodes by kind and bare name, across
	// clusters, so declarations (which name no cluster) can claim them.
	byName  map[string][]*Node
	modules map[string]*ModuleSummary
	// aliases maps module aliases to module names.
	aliases map[string]string
	// esSinks are the observed "es:" sinks (index families), which
	// declared "es:" sinks match by pattern.
	esSinks []*Node
	// esClusters holds the figures of each Elasticsearch cluster (by its
	// cluster label) that sinks take their health from.
	esClusters map[string]map[string]float64
	// producers holds, by topic node ID, the Kafka collector's count of
	// the topic's active producers and when it was written.
	producers map[string]producerObservation
}

func newWorld() *world {
	return &world{
		nodes:      map[string]*Node{},
		edges:      map[string]*Edge{},
		byName:     map[string][]*Node{},
		modules:    map[string]*ModuleSummary{},
		aliases:    map[string]string{},
		esClusters: map[string]map[string]float64{},
		producers:  map[string]producerObservation{},
	}
}

func nameKey(kind Kind, name string) string { return string(kind) + "\xff" + name }

func (w *world) node(kind Kind, cluster, name string) *Node {
	id := nodeID(kind, cluster, name)
	n, ok := w.nodes[id]
	if !ok {
		n = &Node{ID: id, Kind: kind, Name: name, Cluster: cluster, Health: HealthUnknown}
		w.nodes[id] = n
		w.byName[nameKey(kind, name)] = append(w.byName[nameKey(kind, name)], n)
	}
	return n
}

func (w *world) observeNode(kind Kind, cluster, name string) *Node {
	n := w.node(kind, cluster, name)
	if kind == KindTopic && strings.HasPrefix(name, "_") {
		n.internal = true
	}
	n.Observed = true
	return n
}

// observeJob returns the observed node of a stream job, "job:<system>/<name>",
// with component (if any) added to its components.
func (w *world) observeJob(system, name, component string) *Node {
	n := w.observeNode(KindJob, "", system+"/"+name)
	if component != "" {
		if i, found := slices.BinarySearch(n.Components, component); !found {
			n.Components = slices.Insert(n.Components, i, component)
		}
	}
	return n
}

// observeIndex returns the observed sink of an Elasticsearch index's family
// in cluster, or nil for system indices (names starting with ".").
func (w *world) observeIndex(cluster, index string) *Node {
	fam := IndexFamily(index)
	if fam == "" || fam[0] == '.' {
		return nil
	}
	id := nodeID(KindSink, cluster, esSinkName(fam))
	if n, ok := w.nodes[id]; ok {
		return n
	}
	n := w.observeNode(KindSink, cluster, esSinkName(fam))
	w.esSinks = append(w.esSinks, n)
	return n
}

func (w *world) edge(from, to *Node) *Edge {
	id := edgeID(from.ID, to.ID)
	e, ok := w.edges[id]
	if !ok {
		e = &Edge{ID: id, Source: from.ID, Target: to.ID, Health: HealthUnknown}
		w.edges[id] = e
	}
	return e
}

func (w *world) observeEdge(from, to *Node, source string, seen time.Time) {
	e := w.edge(from, to)
	if !slices.Contains(e.Sources, source) {
		e.Sources = append(e.Sources, source)
	}
	if seen.After(e.LastSeen) {
		e.LastSeen = seen
	}
	switch e.State {
	case "", EdgeObserved:
		e.State = EdgeObserved
	case EdgeDeclared:
		e.State = EdgeConfirmed
	}
}

func (w *world) declareEdge(from, to *Node) {
	e := w.edge(from, to)
	switch e.State {
	case "":
		e.State = EdgeDeclared
	case EdgeObserved:
		e.State = EdgeConfirmed
	}
}

// topicsNamed returns the observed topics a job's topic name refers to, in
// any cluster. Flink writes topic names with dots replaced by underscores,
// so that spelling matches too. With no observed topic of that name, a
// topic node without cluster is created.
func (w *world) topicsNamed(name string) []*Node {
	var out []*Node
	for _, n := range w.nodes {
		if n.Kind == KindTopic && n.Observed && n.Cluster != "" &&
			(n.Name == name || strings.ReplaceAll(n.Name, ".", "_") == name) {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		out = append(out, w.observeNode(KindTopic, "", name))
	}
	return out
}

// declaredNodes returns the nodes a declaration of kind/name refers to: the
// observed ones of that name in any cluster, or a new declared-only node.
// An "es:" sink refers to the observed index families it matches (see
// esSinksMatching), in any Elasticsearch cluster.
func (w *world) declaredNodes(kind Kind, name string) []*Node {
	var out []*Node
	if decl, ok := strings.CutPrefix(name, "es:"); ok && kind == KindSink {
		out = w.esSinksMatching(decl)
	} else {
		for _, n := range w.byName[nameKey(kind, name)] {
			if n.Observed {
				out = append(out, n)
			}
		}
	}
	if len(out) == 0 {
		out = []*Node{w.node(kind, "", name)}
	}
	return out
}

// declare merges declared modules into the observed graph. A node already
// claimed by an earlier module keeps that module. Declared edges follow the
// data-flow layers of a module: producers → topics → groups and jobs →
// sinks; a topic → consumer edge is declared only when it is unambiguous
// (the module has one topic, or the consumer was not observed reading any
// topic), so that a flat module list never invents hops the platform
// contradicts.
func (w *world) declare(mods []Module) {
	slices.SortFunc(w.esSinks, func(a, b *Node) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID))
	})
	// Consumers observed reading a topic, before declarations add edges.
	reads := map[string]bool{}
	for _, e := range w.edges {
		if e.State != EdgeDeclared {
			reads[e.Target] = true
		}
	}
	for _, m := range mods {
		if _, ok := w.modules[m.Name]; ok {
			continue
		}
		w.modules[m.Name] = &ModuleSummary{Name: m.Name, Owner: m.Owner, Declared: true}
		for _, a := range m.Aliases {
			w.aliases[a] = m.Name
		}
		claim := func(kind Kind, names []string) []*Node {
			var out []*Node
			for _, name := range names {
				for _, n := range w.declaredNodes(kind, name) {
					n.Declared = true
					if n.Module == "" {
						n.Module = m.Name
					}
					out = append(out, n)
				}
			}
			return out
		}
		producers := claim(KindProducer, m.Producers)
		topics := claim(KindTopic, m.Topics)
		consumers := append(claim(KindGroup, m.Groups), claim(KindJob, m.Jobs)...)
		sinks := claim(KindSink, m.Sinks)
		for _, p := range producers {
			for _, t := range topics {
				w.declareEdge(p, t)
			}
		}
		for _, c := range consumers {
			unambiguous := len(m.Topics) == 1 || !reads[c.ID]
			for _, t := range topics {
				if _, seen := w.edges[edgeID(t.ID, c.ID)]; unambiguous || seen {
					w.declareEdge(t, c)
				}
			}
			for _, s := range sinks {
				w.declareEdge(c, s)
			}
		}
	}
}

// inferModules puts every node no declaration claimed into a module:
// consumers and sinks follow the topic they are linked to; topics (and
// what is left) get a module named after them with common suffixes
// stripped (see inferModule), or the declared module with that alias.
func (w *world) inferModules() {
	// Topics first, so consumers can follow them.
	ids := make([]string, 0, len(w.nodes))
	for id := range w.nodes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		n := w.nodes[id]
		if n.Module == "" && n.Kind == KindTopic {
			n.Module = w.moduleFor(n.Name)
		}
	}
	// The sources of each node's incoming edges, in edge ID order.
	sources := map[string][]string{}
	for _, e := range w.sortedEdges() {
		sources[e.Target] = append(sources[e.Target], e.Source)
	}
	for _, id := range ids {
		n := w.nodes[id]
		if n.Module != "" {
			continue
		}
		for _, src := range sources[n.ID] {
			if m := w.nodes[src].Module; m != "" {
				n.Module = m
				break
			}
		}
		if n.Module == "" {
			n.Module = w.moduleFor(baseName(n))
		}
	}
	for _, n := range w.nodes {
		// What only belongs with internal topics is internal too.
		if strings.HasPrefix(n.Module, "_") {
			n.internal = true
			continue
		}
		if _, ok := w.modules[n.Module]; !ok {
			w.modules[n.Module] = &ModuleSummary{Name: n.Module}
		}
	}
}

// baseName is the part of a node's name a module is inferred from: a job's
// name without its system ("flink/audit-enrich" → "audit-enrich"), an
// "es:" sink's index family without kind and wildcard ("es:hotel-search-*"
// → "hotel-search"), or the whole name.
func baseName(n *Node) string {
	switch n.Kind {
	case KindJob:
		if _, name, ok := strings.Cut(n.Name, "/"); ok && name != "" {
			return name
		}
	case KindSink:
		if fam, ok := strings.CutPrefix(n.Name, "es:"); ok {
			if base := strings.TrimRight(fam, "*-_."); base != "" {
				return base
			}
		}
	}
	return n.Name
}

func (w *world) moduleFor(name string) string {
	m := inferModule(name)
	if real, ok := w.aliases[m]; ok {
		return real
	}
	if real, ok := w.aliases[name]; ok {
		return real
	}
	return m
}

// inferModule derives a module name from a topic or group name: the name
// without a trailing environment or role suffix such as "-log", "-events",
// "-topic", "-consumer", "-group", "-indexer", "-prod".
func inferModule(name string) string {
	suffixes := []string{"-topic", "-log", "-logs", "-events", "-event", "-stream", "-consumer", "-consumers",
		"-group", "-indexer", "-sink", "-etl", "-job", "-prod", "-online"}
	for {
		trimmed := false
		for _, s := range suffixes {
			if len(name) > len(s) && strings.HasSuffix(name, s) {
				name = strings.TrimSuffix(name, s)
				trimmed = true
			}
		}
		if !trimmed {
			return name
		}
	}
}

func (w *world) sortedNodes() []*Node {
	out := make([]*Node, 0, len(w.nodes))
	for _, n := range w.nodes {
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b *Node) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func (w *world) sortedEdges() []*Edge {
	out := make([]*Edge, 0, len(w.edges))
	for _, e := range w.edges {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *Edge) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// graph returns the nodes and edges of one module (or all with ""), and
// every module's summary.
func (w *world) graph(module string) *Graph {
	g := &Graph{Nodes: []*Node{}, Edges: []*Edge{}}
	in := map[string]bool{}
	for _, n := range w.nodes {
		if !n.internal && (module == "" || n.Module == module) {
			in[n.ID] = true
		}
	}
	for _, e := range w.edges {
		if w.nodes[e.Source].internal || w.nodes[e.Target].internal {
			continue
		}
		if in[e.Source] || in[e.Target] {
			g.Edges = append(g.Edges, e)
			in[e.Source], in[e.Target] = true, true
		}
	}
	for id := range in {
		g.Nodes = append(g.Nodes, w.nodes[id])
	}
	for _, m := range w.modules {
		if m.Nodes > 0 || m.Declared {
			g.Modules = append(g.Modules, *m)
		}
	}
	return g
}
