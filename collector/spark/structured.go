package spark

import (
	"cmp"
	"encoding/json"
	"math"
	"slices"
	"strings"

	"github.com/pipewatch/pipewatch/collector"
)

// metricsServletPath is where a driver's UI serves its metrics registry as
// JSON (Spark's MetricsServlet, on by default).
const metricsServletPath = "/metrics/json/"

// structuredSeparator separates the metrics namespace (the application id
// unless spark.metrics.namespace says otherwise) from the query name and
// the gauge in the name of a Structured Streaming gauge:
// "<namespace>.driver.spark.streaming.<query>.<gauge>".
const structuredSeparator = ".driver.spark.streaming."

// maxQueryLabel bounds the length of a query name label value, in bytes.
const maxQueryLabel = 256

// metricsServlet is GET /metrics/json/: the driver's Dropwizard registry.
// Only the gauges are read; each is decoded on its own, so that a gauge
// pipewatch does not read (some report strings or errors) cannot fail the
// rest.
type metricsServlet struct {
	Gauges map[string]json.RawMessage `json:"gauges"`
}

// servletGauge is one element of the servlet's gauges.
type servletGauge struct {
	Value number `json:"value"`
}

// streamingQuery holds the gauges of one Structured Streaming query, as
// Spark's MetricsReporter registers them (source "spark.streaming.<name>",
// spark.sql.streaming.metricsEnabled=true).
type streamingQuery struct {
	namespace, name string
	values          map[string]number // by Spark's gauge name
}

// structuredQueries returns the Structured Streaming queries in the
// servlet's gauges, sorted by namespace and name. Gauges that are not a
// query's, or whose value is not a number, are skipped.
func (m *metricsServlet) structuredQueries() []*streamingQuery {
	byKey := map[[2]string]*streamingQuery{}
	for key, raw := range m.Gauges {
		ns, rest, ok := strings.Cut(key, structuredSeparator)
		if !ok || ns == "" {
			continue
		}
		i := strings.LastIndexByte(rest, '.')
		if i <= 0 {
			continue
		}
		name, gauge := rest[:i], rest[i+1:]
		if _, known := structuredSpecs[gauge]; !known {
			continue
		}
		var g servletGauge
		if err := json.Unmarshal(raw, &g); err != nil || !g.Value.Set {
			continue
		}
		q := byKey[[2]string{ns, name}]
		if q == nil {
			q = &streamingQuery{namespace: ns, name: name, values: map[string]number{}}
			byKey[[2]string{ns, name}] = q
		}
		q.values[gauge] = g.Value
	}
	qs := make([]*streamingQuery, 0, len(byKey))
	for _, q := range byKey {
		qs = append(qs, q)
	}
	slices.SortFunc(qs, func(a, b *streamingQuery) int {
		return cmp.Or(cmp.Compare(a.namespace, b.namespace), cmp.Compare(a.name, b.name))
	})
	return qs
}

// structuredSpec is one gauge of Spark's MetricsReporter and the family it
// becomes.
type structuredSpec struct {
	name, help string
	div        float64
	// zeroUnset says that Spark's 0 means "not reported" (no watermark).
	zeroUnset bool
}

// structuredSpecs are the gauges of Spark's MetricsReporter
// (sql/core/.../execution/streaming/MetricsReporter.scala), by Spark's
// name, emitted as spark_structured_streaming_*. Spark reports 0 for every
// gauge until the query's first progress.
var structuredSpecs = map[string]structuredSpec{
	"inputRate-total": {"spark_structured_streaming_input_rate",
		"Rows per second the query's last trigger read from its sources (inputRowsPerSecond of its last progress).", 1, false},
	"processingRate-total": {"spark_structured_streaming_processing_rate",
		"Rows per second the query's last trigger processed (processedRowsPerSecond of its last progress); below the input rate, the query falls behind.", 1, false},
	"latency": {"spark_structured_streaming_latency_seconds",
		"Duration of the query's last trigger (triggerExecution of its last progress).", 1000, false},
	"eventTime-watermark": {"spark_structured_streaming_event_time_watermark_seconds",
		"The query's event-time watermark, in seconds since the epoch; absent while the query has none.", 1000, true},
	"states-rowsTotal": {"spark_structured_streaming_state_rows",
		"Rows held in the state of the query's stateful operators.", 1, false},
	"states-usedBytes": {"spark_structured_streaming_state_used_bytes",
		"Memory the state of the query's stateful operators uses.", 1, false},
}

// structuredGauges lists the keys of structuredSpecs in a fixed order.
var structuredGauges = slices.Sorted(func(yield func(string) bool) {
	for k := range structuredSpecs {
		if !yield(k) {
			return
		}
	}
})

func newStructuredDescs() map[string]*collector.Desc {
	d := map[string]*collector.Desc{}
	for k, s := range structuredSpecs {
		d[k] = collector.NewDesc(s.name, s.help, gauge, "application_id", "application_name", "query_name")
	}
	return d
}

// emitQuery adds the gauges of q, a query of the application id (name).
// Values that are not finite are skipped.
func (c *Collector) emitQuery(b *collector.Batch, id, name string, q *streamingQuery) {
	query := collector.SanitizeLabelValue(q.name, maxQueryLabel)
	for _, g := range structuredGauges {
		v, ok := q.values[g]
		s := structuredSpecs[g]
		if !ok || math.IsNaN(v.V) || math.IsInf(v.V, 0) || (s.zeroUnset && v.V == 0) {
			continue
		}
		b.Emit(c.descs.structured[g], v.V/s.div, id, name, query)
	}
}

// assignQueries returns the queries of each application, by id. A query
// belongs to the application whose id is its metrics namespace (Spark's
// default), or, when the UI lists a single application (a driver's UI),
// to that one whatever its namespace (spark.metrics.namespace set to
// something else). Queries of no listed application are dropped.
func assignQueries(apps []application, qs []*streamingQuery) map[string][]*streamingQuery {
	out := map[string][]*streamingQuery{}
	ids := map[string]bool{}
	for _, a := range apps {
		ids[a.ID] = true
	}
	for _, q := range qs {
		switch {
		case ids[q.namespace]:
			out[q.namespace] = append(out[q.namespace], q)
		case len(apps) == 1:
			out[apps[0].ID] = append(out[apps[0].ID], q)
		}
	}
	return out
}
