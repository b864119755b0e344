package sim

import (
	"strings"
	"time"

	"github.com/pipewatch/pipewatch/demo"
)

// esShardsPerIndex is the primary shard count of every simulated index.
const esShardsPerIndex = 3

// esDateLayout is the date suffix of daily indices, as Logstash's and
// Beats' default index names carry it.
const esDateLayout = "2006.01.02"

// An esFamily is the indices of one "es:" sink of the catalog, e.g.
// "es:hotel-search-*": when the sink's name ends with "*", a daily index
// for today and one for yesterday, named with the date of the simulated
// clock in UTC ("hotel-search-2026.12.07"); otherwise one index of that
// name. The documents of a module with several "es:" sinks are split
// evenly among them, so the families together index what the cluster's
// nodes index.
type esFamily struct {
	name  string // the index name, or its prefix for a daily family
	daily bool
	feeds []esFeed
}

// esFeed is one module writing to a family: its topics and its share of
// their records.
type esFeed struct {
	topics []*topicTraffic
	weight float64
}

// esFamilies returns the families of the modules' "es:" sinks, in catalog
// order.
func esFamilies(t *traffic, modules []demo.Module) []*esFamily {
	var out []*esFamily
	byName := map[string]*esFamily{}
	for _, m := range modules {
		var sinks []string
		for _, s := range m.Sinks {
			if name, ok := strings.CutPrefix(s, "es:"); ok && name != "" {
				sinks = append(sinks, name)
			}
		}
		topics := t.lookup(m.Topics)
		for _, s := range sinks {
			name, daily := strings.CutSuffix(s, "*")
			f := byName[s]
			if f == nil {
				f = &esFamily{name: name, daily: daily}
				byName[s] = f
				out = append(out, f)
			}
			f.feeds = append(f.feeds, esFeed{topics: topics, weight: 1 / float64(len(sinks))})
		}
	}
	return out
}

// indices returns the number of indices of f.
func (f *esFamily) indices() int {
	if f.daily {
		return 2
	}
	return 1
}

// written returns the records f's modules wrote in the first elapsed of
// the run.
func (f *esFamily) written(t *traffic, elapsed time.Duration) float64 {
	n := 0.0
	for _, fd := range f.feeds {
		n += fd.weight * t.written(fd.topics, elapsed)
	}
	return n
}

// between returns the records f's modules wrote between from and to,
// which may lie before the run (see traffic.writtenBetween).
func (f *esFamily) between(t *traffic, from, to time.Duration) float64 {
	n := 0.0
	for _, fd := range f.feeds {
		n += fd.weight * t.writtenBetween(fd.topics, from, to)
	}
	return n
}

// esIndicesState is the cluster's indices at the time of a request: one
// entry per index, in the order of esFamilies (today's index of a daily
// family before yesterday's), and their sums.
type esIndicesState struct {
	ix  []esIndexState
	all esIndexState
}

// esIndexState is one index (or the sum of all) as its primary shards see
// it; its replicas double every figure.
type esIndexState struct {
	name      string
	docs      float64 // documents stored, including those written before the run
	ops       float64 // documents indexed since the run started (the nodes' counters)
	refreshes float64
}

// indicesState computes the indices at moment m. A daily index holds the
// records written on its day (UTC) and has indexed those written on its
// day since the run started; indices of earlier days are not kept, so the
// indices' indexing totals add up to the nodes' until the run is older
// than yesterday's index.
func (c *esCluster) indicesState(m moment) *esIndicesState {
	t := c.w.traffic
	s := &esIndicesState{ix: make([]esIndexState, 0, c.numIndices)}
	now := m.now.UTC()
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	today := midnight.Sub(c.w.start) // may be before the run
	yesterday := today - 24*time.Hour
	todayName, yesterdayName := midnight.Format(esDateLayout), midnight.AddDate(0, 0, -1).Format(esDateLayout)
	// since returns the seconds of the run spent in [from, to].
	since := func(from, to time.Duration) float64 {
		return max(to-max(from, 0), 0).Seconds()
	}
	for _, f := range c.families {
		if !f.daily {
			n := f.written(t, m.elapsed)
			s.ix = append(s.ix, esIndexState{name: f.name, docs: n, ops: n, refreshes: esShardsPerIndex * m.secs})
			continue
		}
		s.ix = append(s.ix,
			esIndexState{
				name:      f.name + todayName,
				docs:      f.between(t, today, m.elapsed),
				ops:       f.written(t, m.elapsed) - f.written(t, today),
				refreshes: esShardsPerIndex * since(today, m.elapsed),
			},
			esIndexState{
				name:      f.name + yesterdayName,
				docs:      f.between(t, yesterday, today),
				ops:       f.written(t, today) - f.written(t, yesterday),
				refreshes: esShardsPerIndex * since(yesterday, min(today, m.elapsed)),
			})
	}
	for _, ix := range s.ix {
		s.all.docs += ix.docs
		s.all.ops += ix.ops
		s.all.refreshes += ix.refreshes
	}
	return s
}

// esIndexFields are the moving fields of an index's primaries, from its
// state; an index's total is (1+esReplicas) times its primaries.
var esIndexFields = []struct {
	path  string
	value func(x *esIndexState) float64
}{
	{"docs.count", func(x *esIndexState) float64 { return x.docs }},
	{"store.size_in_bytes", func(x *esIndexState) float64 { return x.docs * esDocBytes }},
	{"store.total_data_set_size_in_bytes", func(x *esIndexState) float64 { return x.docs * esDocBytes }},
	{"indexing.index_total", func(x *esIndexState) float64 { return x.ops }},
	{"indexing.index_time_in_millis", func(x *esIndexState) float64 { return x.ops * 0.15 }},
	{"search.query_total", func(x *esIndexState) float64 { return x.docs / 40 }},
	{"search.query_time_in_millis", func(x *esIndexState) float64 { return x.docs / 40 * 1.6 }},
	{"search.fetch_total", func(x *esIndexState) float64 { return x.docs / 40 }},
	{"search.fetch_time_in_millis", func(x *esIndexState) float64 { return x.docs / 40 * 0.4 }},
	{"refresh.total", func(x *esIndexState) float64 { return x.refreshes }},
	{"refresh.total_time_in_millis", func(x *esIndexState) float64 { return x.refreshes * 4 }},
	{"merges.total", func(x *esIndexState) float64 { return x.ops / 9000 }},
	{"merges.total_docs", func(x *esIndexState) float64 { return x.ops / 9000 * 3000 }},
	{"flush.total", func(x *esIndexState) float64 { return x.ops / 60000 }},
	{"translog.operations", func(x *esIndexState) float64 { return x.ops - 60000*float64(int64(x.ops/60000)) }},
	{"segments.count", func(x *esIndexState) float64 {
		return esShardsPerIndex * min(3+x.docs/1e6, 40)
	}},
}

// esIndicesStats is GET /_all/_stats: the 7.17.3 capture (the newest;
// the fields read are unchanged in 8.x) with its indices replaced by one
// copy of its index "foo_1" per simulated index. The names of daily
// indices change at midnight, so they are holes too: the index keys of the
// compiled template are holes that write the quoted name.
func esIndicesStats(families []*esFamily) (*template[esIndicesState], error) {
	d, err := loadDoc[esIndicesState]("elasticsearch/indices_stats-7.17.3.json")
	if err != nil {
		return nil, err
	}
	proto := d.get("indices.foo_1")
	indices := map[string]any{}
	d.set("indices", indices)
	n := 0
	for _, f := range families {
		n += f.indices()
	}
	shards := n * esShardsPerIndex * (1 + esReplicas)
	d.set("_shards", map[string]any{"total": shards, "successful": shards, "failed": 0})
	bindESIndex(d, "_all.", func(s *esIndicesState) *esIndexState { return &s.all })
	for i := range n {
		// A hole marker is a string without dots, so the paths below
		// reach into the index through it.
		key := d.hole(str(func(s *esIndicesState) string { return s.ix[i].name })).(string)
		indices[key] = clone(proto)
		prefix := "indices." + key + "."
		d.set(prefix+"uuid", esID(200+i))
		for part, copies := range map[string]int{"primaries": 1, "total": 1 + esReplicas} {
			d.set(prefix+part+".shard_stats.total_count", esShardsPerIndex*copies)
		}
		bindESIndex(d, prefix, func(s *esIndicesState) *esIndexState { return &s.ix[i] })
	}
	return d.compile()
}

// bindESIndex binds the moving fields of the primaries and total of the
// index (or sum) at prefix, which ix picks from the state.
func bindESIndex(d *doc[esIndicesState], prefix string, ix func(*esIndicesState) *esIndexState) {
	for part, copies := range map[string]float64{"primaries": 1, "total": 1 + esReplicas} {
		for _, f := range esIndexFields {
			d.bind(prefix+part+"."+f.path, integer(func(s *esIndicesState) float64 { return copies * f.value(ix(s)) }))
		}
	}
}
