package topology_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/pipewatch/pipewatch/api"
	"github.com/pipewatch/pipewatch/storage"
	"github.com/pipewatch/pipewatch/topology"
)

// platform is a real temporary TSDB with a PromQL engine over it.
type platform struct {
	t      *testing.T
	st     *storage.Storage
	engine *promql.Engine
	start  time.Time
}

func newPlatform(t *testing.T) *platform {
	t.Helper()
	st, err := storage.Open(t.TempDir(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return &platform{
		t:      t,
		st:     st,
		engine: promql.NewEngine(promql.EngineOpts{MaxSamples: 1e7, Timeout: time.Minute, LookbackDelta: 5 * time.Minute}),
		start:  time.Now().Add(-time.Hour).Truncate(time.Minute),
	}
}

// series writes one series: values at one-minute steps from p.start
// (NaN = no sample). Like the Kafka collector, it writes the per-topic sum
// next to a group's per-partition offsets and lag (the seeds have one
// partition per topic, so the sum is the partition's value).
func (p *platform) series(selector string, values ...float64) {
	p.t.Helper()
	p.seriesEvery(time.Minute, selector, values...)
}

// seriesEvery is series with values at steps of step: rates over [1m]
// need more than one sample a minute.
func (p *platform) seriesEvery(step time.Duration, selector string, values ...float64) {
	p.t.Helper()
	lset, err := parser.NewParser(parser.Options{}).ParseMetric(selector)
	if err != nil {
		p.t.Fatal(err)
	}
	lsets := []labels.Labels{lset}
	switch name := lset.Get(model.MetricNameLabel); name {
	case "kafka_consumergroup_current_offset", "kafka_consumergroup_lag":
		lsets = append(lsets, labels.NewBuilder(lset).Set(model.MetricNameLabel, name+"_sum").Del("partition").Labels())
	}
	app := p.st.Appender(context.Background())
	for i, v := range values {
		if math.IsNaN(v) {
			continue
		}
		for _, l := range lsets {
			if _, err := app.Append(0, l, p.start.Add(time.Duration(i)*step).UnixMilli(), v); err != nil {
				p.t.Fatal(err)
			}
		}
	}
	if err := app.Commit(); err != nil {
		p.t.Fatal(err)
	}
}

func (p *platform) at(minute int) time.Time { return p.start.Add(time.Duration(minute) * time.Minute) }

// query evaluates instant queries with the engine, as pipewatch does.
func (p *platform) query(ctx context.Context, expr string, at time.Time) ([]topology.Sample, error) {
	return api.TopologyQuery(p.engine, p.st.Queryable())(ctx, expr, at)
}

func (p *platform) build(mods []topology.Module, minute int, module string) *topology.Graph {
	p.t.Helper()
	b := topology.NewBuilder(topology.Options{Query: p.query, Modules: func() []topology.Module { return mods }})
	g, err := b.Build(context.Background(), p.at(minute), module)
	if err != nil {
		p.t.Fatal(err)
	}
	return g
}

func node(g *topology.Graph, id string) *topology.Node {
	for _, n := range g.Nodes {
		if n.ID == id {
			return n
		}
	}
	return nil
}

func edge(g *topology.Graph, id string) *topology.Edge {
	for _, e := range g.Edges {
		if e.ID == id {
			return e
		}
	}
	return nil
}

func module(g *topology.Graph, name string) *topology.ModuleSummary {
	for i := range g.Modules {
		if g.Modules[i].Name == name {
			return &g.Modules[i]
		}
	}
	return nil
}

// seedHotel writes a small platform: topic hotel-search-log read by a live
// group (hotel-indexer) and a member-less job group (hotel-flink), and an
// undeclared pair orders-events / orders-consumer.
func seedHotel(p *platform) {
	p.series(`kafka_topic_partitions{cluster="prod",topic="hotel-search-log"}`, 8, 8, 8, 8, 8, 8)
	p.series(`kafka_topic_partition_current_offset{cluster="prod",topic="hotel-search-log",partition="0"}`, 0, 600, 1200, 1800, 2400, 3000)
	p.series(`kafka_consumergroup_current_offset{cluster="prod",consumergroup="hotel-indexer",topic="hotel-search-log",partition="0"}`, 0, 600, 1200, 1800, 2400, 3000)
	p.series(`kafka_consumergroup_current_offset{cluster="prod",consumergroup="hotel-flink",topic="hotel-search-log",partition="0"}`, 0, 600, 600, 600, 600, 600)
	p.series(`kafka_consumergroup_lag{cluster="prod",consumergroup="hotel-indexer",topic="hotel-search-log",partition="0"}`, 0, 0, 0, 0, 0, 0)
	p.series(`kafka_consumergroup_lag{cluster="prod",consumergroup="hotel-flink",topic="hotel-search-log",partition="0"}`, 0, 0, 600, 1200, 1800, 2400)
	p.series(`kafka_consumergroup_lag_seconds{cluster="prod",consumergroup="hotel-indexer",topic="hotel-search-log",partition="0"}`, 0, 0, 0, 0, 0, 0)
	p.series(`kafka_consumergroup_lag_seconds{cluster="prod",consumergroup="hotel-flink",topic="hotel-search-log",partition="0"}`, 0, 0, 60, 120, 700, 900)
	p.series(`kafka_consumergroup_status{cluster="prod",consumergroup="hotel-flink",status="OK"}`, 1, 1, 1, 0, 0, 0)
	p.series(`kafka_consumergroup_status{cluster="prod",consumergroup="hotel-flink",status="STALL"}`, 0, 0, 0, 1, 1, 1)
	p.series(`kafka_consumergroup_current_offset{cluster="prod",consumergroup="orders-consumer",topic="orders-events",partition="0"}`, 5, 5, 5, 5, 5, 5)
	p.series(`kafka_consumergroup_lag_seconds{cluster="prod",consumergroup="orders-consumer",topic="orders-events",partition="0"}`, 0, 0, 0, 0, 0, 0)
}

func hotelModule() topology.Module {
	return topology.Module{
		Name: "hotel-search", Owner: "team-hotel",
		Producers: []string{"hotel-search-api"},
		Topics:    []string{"hotel-search-log", "hotel-search-missing"},
		Groups:    []string{"hotel-indexer"},
		Jobs:      []string{"hotel-enrich-flink"},
		Sinks:     []string{"es:hotel-search-*"},
	}
}

func TestMergeObservedAndDeclared(t *testing.T) {
	p := newPlatform(t)
	seedHotel(p)
	g := p.build([]topology.Module{hotelModule()}, 1, "")

	for _, tc := range []struct {
		id               string
		module           string
		declared, observ bool
		health           topology.Health
	}{
		{"producer:hotel-search-api", "hotel-search", true, false, topology.HealthUnknown},
		{"topic:prod/hotel-search-log", "hotel-search", true, true, topology.HealthOK},
		{"topic:hotel-search-missing", "hotel-search", true, false, topology.HealthUnknown},
		{"group:prod/hotel-indexer", "hotel-search", true, true, topology.HealthOK},
		// Observed only: joins the module of the topic it reads.
		{"group:prod/hotel-flink", "hotel-search", false, true, topology.HealthOK},
		{"job:hotel-enrich-flink", "hotel-search", true, false, topology.HealthUnknown},
		{"sink:es:hotel-search-*", "hotel-search", true, false, topology.HealthUnknown},
		// Nothing declared: module inferred from the names.
		{"topic:prod/orders-events", "orders", false, true, topology.HealthOK},
		{"group:prod/orders-consumer", "orders", false, true, topology.HealthOK},
	} {
		n := node(g, tc.id)
		if n == nil {
			t.Errorf("missing node %s", tc.id)
			continue
		}
		if n.Module != tc.module || n.Declared != tc.declared || n.Observed != tc.observ || n.Health != tc.health {
			t.Errorf("%s: module %q declared %v observed %v health %s; want %q %v %v %s",
				tc.id, n.Module, n.Declared, n.Observed, n.Health, tc.module, tc.declared, tc.observ, tc.health)
		}
	}
	for id, want := range map[string]topology.EdgeState{
		"topic:prod/hotel-search-log->group:prod/hotel-indexer":  topology.EdgeConfirmed,
		"topic:prod/hotel-search-log->group:prod/hotel-flink":    topology.EdgeObserved,
		"producer:hotel-search-api->topic:prod/hotel-search-log": topology.EdgeDeclared,
		"group:prod/hotel-indexer->sink:es:hotel-search-*":       topology.EdgeDeclared,
		"topic:hotel-search-missing->job:hotel-enrich-flink":     topology.EdgeDeclared,
		"topic:prod/orders-events->group:prod/orders-consumer":   topology.EdgeObserved,
	} {
		e := edge(g, id)
		if e == nil {
			t.Errorf("missing edge %s", id)
			continue
		}
		if e.State != want {
			t.Errorf("edge %s state %s, want %s", id, e.State, want)
		}
	}
	// The indexer was seen reading one topic of a two-topic module, so no
	// declared edge from the other topic is invented.
	if e := edge(g, "topic:hotel-search-missing->group:prod/hotel-indexer"); e != nil {
		t.Errorf("invented edge %s", e.ID)
	}
	if m := module(g, "hotel-search"); m == nil || !m.Declared || m.Owner != "team-hotel" {
		t.Errorf("module summary = %+v", m)
	}
	if m := module(g, "orders"); m == nil || m.Declared {
		t.Errorf("inferred module summary = %+v", m)
	}
}

func TestHealthAndTimeTravel(t *testing.T) {
	p := newPlatform(t)
	seedHotel(p)
	mods := []topology.Module{hotelModule()}
	flink := "topic:prod/hotel-search-log->group:prod/hotel-flink"

	before := p.build(mods, 1, "hotel-search")
	if e := edge(before, flink); e.Health != topology.HealthOK {
		t.Errorf("at minute 1 %s is %s (%s), want ok", flink, e.Health, e.Reason)
	}
	if m := module(before, "hotel-search"); m.Health != topology.HealthOK || m.WorstHop != "" {
		t.Errorf("at minute 1 module = %+v", m)
	}

	after := p.build(mods, 5, "hotel-search")
	e := edge(after, flink)
	if e.Health != topology.HealthCritical || e.Reason != "consumer STALL, lag 15m and rising" {
		t.Errorf("at minute 5 %s is %s %q", flink, e.Health, e.Reason)
	}
	if e.Stats["lag"] != 2400 || e.Stats["lag_seconds"] != 900 {
		t.Errorf("stats = %v", e.Stats)
	}
	if n := node(after, "group:prod/hotel-flink"); n.Status != "STALL" || n.Health != topology.HealthCritical {
		t.Errorf("group = %+v", n)
	}
	if m := module(after, "hotel-search"); m.Health != topology.HealthCritical || m.WorstHop != flink {
		t.Errorf("module = %+v, want worst hop %s", m, flink)
	}
	// The module filter keeps only the module's nodes.
	for _, n := range after.Nodes {
		if n.Module != "hotel-search" {
			t.Errorf("module view has %s of module %s", n.ID, n.Module)
		}
	}

	// Lag alone (no status) warns below the critical threshold.
	mid := p.build(mods, 3, "hotel-search")
	if e := edge(mid, flink); e.Health != topology.HealthCritical {
		t.Errorf("at minute 3 (STALL) %s is %s", flink, e.Health)
	}
	two := p.build(mods, 2, "hotel-search")
	if e := edge(two, flink); e.Health != topology.HealthWarn || e.Reason != "lag 1m and rising" {
		t.Errorf("at minute 2 %s is %s %q", flink, e.Health, e.Reason)
	}
}

func TestFiringAlertsAttachToNodes(t *testing.T) {
	p := newPlatform(t)
	seedHotel(p)
	p.series(`ALERTS{alertname="ConsumerLagHigh",alertstate="firing",severity="critical",cluster="prod",consumergroup="hotel-indexer"}`, 1, 1)
	g := p.build(nil, 1, "")
	n := node(g, "group:prod/hotel-indexer")
	if n.Health != topology.HealthCritical || len(n.Alerts) != 1 || n.Alerts[0] != "ConsumerLagHigh" {
		t.Errorf("group = %+v", n)
	}
}

func TestPartialObservationsStillBuild(t *testing.T) {
	p := newPlatform(t)
	seedHotel(p)
	failing := func(ctx context.Context, expr string, at time.Time) ([]topology.Sample, error) {
		if strings.Contains(expr, "kafka_consumergroup_assignment") {
			return nil, errors.New("storage unavailable")
		}
		return p.query(ctx, expr, at)
	}
	b := topology.NewBuilder(topology.Options{Query: failing})
	g, err := b.Build(context.Background(), p.at(1), "")
	if err == nil || !strings.Contains(err.Error(), "kafka_assignment") {
		t.Errorf("err = %v, want it to name the failed source", err)
	}
	if g == nil || node(g, "group:prod/hotel-indexer") == nil {
		t.Fatal("no partial graph")
	}
}

func TestNodeGraphFrames(t *testing.T) {
	p := newPlatform(t)
	seedHotel(p)
	g := p.build([]topology.Module{hotelModule()}, 5, "hotel-search")
	ng := topology.ToNodeGraph(g)
	b, err := json.Marshal(ng)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"arc__critical":1`, `"mainstat":"lag 2.4k"`, `"secondarystat":"STALL"`, `"mainstat":"declared, not seen"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("node graph lacks %s", want)
		}
	}
	if len(ng.Nodes) != len(g.Nodes) || len(ng.Edges) != len(g.Edges) {
		t.Errorf("frames have %d/%d rows, graph %d/%d", len(ng.Nodes), len(ng.Edges), len(g.Nodes), len(g.Edges))
	}
}

func TestStreamJobsLinkToTopics(t *testing.T) {
	p := newPlatform(t)
	seedHotel(p)
	p.series(`kafka_topic_partitions{cluster="prod",topic="pay.audit"}`, 4, 4)
	// Flink reports topic names with dots replaced by underscores.
	p.series(`pipewatch_stream_job_topic_info{system="flink",job_name="audit-enrich",component="Source: audit",topic="pay_audit",direction="in"}`, 1, 1)
	p.series(`pipewatch_stream_job_topic_info{system="kafka_connect",job_name="es-sink",topic="hotel-search-log",direction="in",consumergroup="connect-es-sink"}`, 1, 1)
	g := p.build(nil, 1, "")
	for _, id := range []string{
		"topic:prod/pay.audit->job:flink/audit-enrich",
		"topic:prod/hotel-search-log->job:kafka_connect/es-sink",
	} {
		if e := edge(g, id); e == nil || e.State != topology.EdgeObserved {
			t.Errorf("edge %s = %+v", id, e)
		}
	}
	if n := node(g, "job:flink/audit-enrich"); n == nil || n.Module != "pay.audit" {
		t.Errorf("job node = %+v, want it in the module of the topic it reads", n)
	}
}

func TestInternalTopicsAreLeftOut(t *testing.T) {
	p := newPlatform(t)
	seedHotel(p)
	p.series(`kafka_topic_partitions{cluster="prod",topic="__consumer_offsets"}`, 50, 50)
	p.series(`kafka_consumergroup_current_offset{cluster="prod",consumergroup="probe",topic="_pipewatch_probe",partition="0"}`, 1, 1)
	g := p.build(nil, 1, "")
	for _, n := range g.Nodes {
		if strings.HasPrefix(n.Name, "_") {
			t.Errorf("internal topic node %s in the graph", n.ID)
		}
	}
	for _, m := range g.Modules {
		if strings.HasPrefix(m.Name, "_") {
			t.Errorf("module %s made of internal topics", m.Name)
		}
	}
}

// TestEdgesKnowWhenTheyWereSeen: an observed edge carries the time its
// observation was last written at or before the build's time; an edge
// whose commits stopped keeps the time of the last one (while it is within
// the lookback); a declared-only edge has none.
func TestEdgesKnowWhenTheyWereSeen(t *testing.T) {
	p := newPlatform(t)
	seedHotel(p)
	nan := math.NaN()
	p.series(`kafka_consumergroup_current_offset{cluster="prod",consumergroup="audit-archiver",topic="pay.audit",partition="0"}`, 1, 2, 3, nan, nan, nan)
	g := p.build([]topology.Module{hotelModule()}, 5, "")
	for _, tc := range []struct {
		edge string
		want time.Time
	}{
		{"topic:prod/hotel-search-log->group:prod/hotel-indexer", p.at(5)},
		{"topic:prod/pay.audit->group:prod/audit-archiver", p.at(2)},
		{"producer:hotel-search-api->topic:prod/hotel-search-log", time.Time{}},
	} {
		e := edge(g, tc.edge)
		if e == nil {
			t.Errorf("no edge %s", tc.edge)
			continue
		}
		if !e.LastSeen.Equal(tc.want) {
			t.Errorf("edge %s last seen %v, want %v", tc.edge, e.LastSeen, tc.want)
		}
	}
}
