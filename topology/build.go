package topology

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// Sample is one element of an instant-query result.
type Sample struct {
	Labels labels.Labels
	Value  float64
}

// QueryFunc evaluates a PromQL instant query at a time.
type QueryFunc func(ctx context.Context, expr string, at time.Time) ([]Sample, error)

// Thresholds decide the health of consumption hops.
type Thresholds struct {
	// LagWarn and LagCritical are consumer lag in time above which a hop
	// is warn or critical.
	LagWarn, LagCritical time.Duration
}

// DefaultThresholds are used for zero Options.Thresholds.
var DefaultThresholds = Thresholds{LagWarn: time.Minute, LagCritical: 10 * time.Minute}

// Options are the Builder's dependencies.
type Options struct {
	// Query reads observations and health figures from storage. Required.
	Query QueryFunc
	// Modules returns the declared modules; nil means none.
	Modules    func() []Module
	Thresholds Thresholds
	Logger     *slog.Logger
}

// Builder builds annotated topology graphs. It is safe for concurrent use.
type Builder struct {
	opts Options
}

// NewBuilder returns a Builder.
func NewBuilder(opts Options) *Builder {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Modules == nil {
		opts.Modules = func() []Module { return nil }
	}
	if opts.Thresholds == (Thresholds{}) {
		opts.Thresholds = DefaultThresholds
	}
	return &Builder{opts: opts}
}

// Build returns the graph at time at. With a module name, it returns that
// module's nodes and the edges touching them (with their other ends, which
// may belong to neighbouring modules); the module list always covers all
// modules. Queries that fail are logged and skipped, so a partial graph is
// still returned; the error reports them.
//
// All queries of a build are independent: they run at once, at most
// GOMAXPROCS at a time, and their results are applied in order —
// observations, declarations, inferred modules, then health.
func (b *Builder) Build(ctx context.Context, at time.Time, module string) (*Graph, error) {
	obs, figs := observers(), figures()
	// Each distinct expression is evaluated once: slot[i] is the index of
	// query i (observers, figures, then alerts) in exprs.
	var exprs, names []string
	index := map[string]int{}
	slot := make([]int, 0, len(obs)+len(figs)+1)
	add := func(expr, name string) {
		i, ok := index[expr]
		if !ok {
			i = len(exprs)
			index[expr] = i
			exprs, names = append(exprs, expr), append(names, name)
		}
		slot = append(slot, i)
	}
	for _, o := range obs {
		add(o.expr, o.name)
	}
	for _, f := range figs {
		add(f.expr, f.stat)
	}
	add(alertsExpr, "alerts")
	results, qerrs := b.fetch(ctx, exprs, at)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var errs []string
	for i, err := range qerrs {
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", names[i], err))
		}
	}
	result := func(i int) []Sample { return results[slot[i]] }

	w := newWorld()
	for i, o := range obs {
		for _, s := range result(i) {
			o.observe(w, s)
		}
	}
	w.declare(b.opts.Modules())
	w.inferModules()
	w.observeProducers()
	figResults := make([][]Sample, len(figs))
	for i := range figs {
		figResults[i] = result(len(obs) + i)
	}
	b.annotate(w, figResults, result(len(obs)+len(figs)))
	g := w.graph(module)
	g.sort()
	if len(errs) > 0 {
		b.opts.Logger.Warn("build topology from partial observations", "err", strings.Join(errs, "; "))
		return g, fmt.Errorf("build topology: %s", strings.Join(errs, "; "))
	}
	return g, nil
}

// fetch evaluates exprs at time at, at most GOMAXPROCS at once, and returns
// each one's result and error at its index.
func (b *Builder) fetch(ctx context.Context, exprs []string, at time.Time) ([][]Sample, []error) {
	results, errs := make([][]Sample, len(exprs)), make([]error, len(exprs))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, expr := range exprs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i], errs[i] = b.opts.Query(ctx, expr, at)
		})
	}
	wg.Wait()
	return results, errs
}

// observer turns the result of one query into nodes and edges. Observers
// of edges query timestamp(...): the value of each sample is when its
// series was last written, at or before the build's time, which the edge
// keeps as LastSeen.
type observer struct {
	name    string
	expr    string
	observe func(w *world, s Sample)
}

// seenAt turns a timestamp() sample value (Unix seconds) into a time.
func seenAt(v float64) time.Time { return time.UnixMilli(int64(math.Round(v * 1000))).UTC() }

// observers is the explicit list of what links nodes, one entry per source.
func observers() []observer {
	return []observer{
		{
			name: "kafka_topics",
			expr: `max by (cluster, topic) (kafka_topic_partitions)`,
			observe: func(w *world, s Sample) {
				l := s.Labels
				w.observeNode(KindTopic, l.Get("cluster"), l.Get("topic"))
			},
		},
		{
			// The Kafka collector's producer count (producers: true)
			// and when it was written: a topic with active producers
			// gets an observed producer edge (see observeProducers).
			name: "kafka_producers",
			expr: `max by (cluster, topic) (kafka_topic_producers)`,
			observe: func(w *world, s Sample) {
				l := s.Labels
				t := w.observeNode(KindTopic, l.Get("cluster"), l.Get("topic"))
				w.producers[t.ID] = producerObservation{count: s.Value, seen: w.producers[t.ID].seen}
			},
		},
		{
			name: "kafka_producers_seen",
			expr: `max by (cluster, topic) (timestamp(kafka_topic_producers))`,
			observe: func(w *world, s Sample) {
				l := s.Labels
				t := w.observeNode(KindTopic, l.Get("cluster"), l.Get("topic"))
				w.producers[t.ID] = producerObservation{count: w.producers[t.ID].count, seen: seenAt(s.Value)}
			},
		},
		{
			// Committed offsets link a group to the topics it consumes,
			// member-less groups (Flink, Spark) included; the per-topic
			// sums say so with an eighth of the partitions' series.
			name: "kafka_offsets",
			expr: `max by (cluster, consumergroup, topic) (timestamp(kafka_consumergroup_current_offset_sum))`,
			observe: func(w *world, s Sample) {
				l := s.Labels
				c := l.Get("cluster")
				t := w.observeNode(KindTopic, c, l.Get("topic"))
				g := w.observeNode(KindGroup, c, l.Get("consumergroup"))
				w.observeEdge(t, g, "kafka_offsets", seenAt(s.Value))
			},
		},
		{
			// Live members' assignments link groups to topics before
			// their first commit.
			name: "kafka_assignment",
			expr: `max by (cluster, consumergroup, topic) (timestamp(kafka_consumergroup_assignment))`,
			observe: func(w *world, s Sample) {
				l := s.Labels
				c := l.Get("cluster")
				t := w.observeNode(KindTopic, c, l.Get("topic"))
				g := w.observeNode(KindGroup, c, l.Get("consumergroup"))
				w.observeEdge(t, g, "kafka_assignment", seenAt(s.Value))
			},
		},
		{
			// Stream jobs (Flink sources, Storm spouts, Kafka Connect
			// connectors) report the topics they read and write, and
			// the component that does; Logstash pipelines report their
			// input and output plugins without topics, which the node
			// stats do not name: the job appears with its plugins as
			// components, linked to nothing.
			name: "stream_jobs",
			expr: `max by (system, job_name, component, topic, direction, consumergroup) (timestamp(pipewatch_stream_job_topic_info))`,
			observe: func(w *world, s Sample) {
				l := s.Labels
				name := l.Get("job_name")
				if name == "" {
					return
				}
				j := w.observeJob(l.Get("system"), name, l.Get("component"))
				topic := l.Get("topic")
				if topic == "" {
					return
				}
				for _, t := range w.topicsNamed(topic) {
					if l.Get("direction") == "out" {
						w.observeEdge(j, t, "stream_jobs", seenAt(s.Value))
					} else {
						w.observeEdge(t, j, "stream_jobs", seenAt(s.Value))
					}
				}
			},
		},
		{
			// Spark Streaming applications (DStreams, or Structured
			// Streaming queries), whose Kafka topics the Spark API does
			// not name: the job appears linked to nothing, unless a
			// module declares it.
			name: "spark_streaming",
			expr: `max by (application_name) (spark_streaming_batch_duration_seconds) or max by (application_name) (spark_structured_streaming_input_rate)`,
			observe: func(w *world, s Sample) {
				l := s.Labels
				if name := l.Get("application_name"); name != "" {
					w.observeJob("spark", name, "")
				}
			},
		},
		{
			// Elasticsearch per-index series (a collector with
			// indices: true) make one sink per index family and
			// cluster, "es:<family>" (see IndexFamily); declared "es:"
			// sinks claim them. Who writes an index is not stored, so
			// the sinks are linked by declarations only.
			name: "es_indices",
			expr: `max by (cluster, index) (elasticsearch_indices_docs_primary)`,
			observe: func(w *world, s Sample) {
				l := s.Labels
				w.observeIndex(l.Get("cluster"), l.Get("index"))
			},
		},
	}
}
