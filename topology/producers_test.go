package topology_test

import (
	"math"
	"testing"

	"github.com/pipewatch/pipewatch/topology"
)

// TestObservedProducers checks the producer edges kafka_topic_producers
// makes: declared producers of a topic with active producers are
// confirmed, a topic whose producers nobody declared gets one observed
// producer node, and a topic without active producers (a count of 0, or no
// series) keeps declared edges declared and gets no producer node.
func TestObservedProducers(t *testing.T) {
	nan := math.NaN()
	const (
		declared = "producer:hotel-search-api->topic:prod/hotel-search-log"
		observed = "producer:prod/orders-events->topic:prod/orders-events"
	)
	for _, tc := range []struct {
		name string
		// kafka_topic_producers of hotel-search-log (declared
		// producer) and orders-events (none declared), per minute.
		hotel, orders []float64
		minute        int
		// Want: the declared edge's state, the observed producer
		// node's name ("" if absent) and the topics' producer stat
		// (-1 if absent).
		declaredState           topology.EdgeState
		observedName            string
		hotelStat, ordersStat   float64
		declaredNodeObserved    bool
		declaredEdgeStatPresent bool
	}{
		{
			name: "no producer series: declared only", hotel: nil, orders: nil, minute: 2,
			declaredState: topology.EdgeDeclared, hotelStat: -1, ordersStat: -1,
		},
		{
			name:  "active producers confirm the declared edge and add an observed node",
			hotel: []float64{2, 2, 2}, orders: []float64{3, 3, 3}, minute: 2,
			declaredState: topology.EdgeConfirmed, observedName: "3 producers", hotelStat: 2, ordersStat: 3,
			declaredNodeObserved: true, declaredEdgeStatPresent: true,
		},
		{
			name: "one producer", hotel: []float64{2, 2, 2}, orders: []float64{1, 1, 1}, minute: 2,
			declaredState: topology.EdgeConfirmed, observedName: "1 producer", hotelStat: 2, ordersStat: 1,
			declaredNodeObserved: true, declaredEdgeStatPresent: true,
		},
		{
			name: "producers that stopped: declared again, no observed node", hotel: []float64{2, 2, 0}, orders: []float64{3, 3, 0}, minute: 2,
			declaredState: topology.EdgeDeclared, hotelStat: 0, ordersStat: 0,
		},
		{
			name: "time travel: active at minute 1", hotel: []float64{2, 2, 0}, orders: []float64{3, 3, 0}, minute: 1,
			declaredState: topology.EdgeConfirmed, observedName: "3 producers", hotelStat: 2, ordersStat: 3,
			declaredNodeObserved: true, declaredEdgeStatPresent: true,
		},
		{
			name: "series gone for longer than the lookback", hotel: []float64{2, nan, nan, nan, nan, nan, nan, nan}, orders: []float64{3}, minute: 7,
			declaredState: topology.EdgeDeclared, hotelStat: -1, ordersStat: -1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPlatform(t)
			seedHotel(p)
			if tc.hotel != nil {
				p.series(`kafka_topic_producers{cluster="prod",topic="hotel-search-log"}`, tc.hotel...)
			}
			if tc.orders != nil {
				p.series(`kafka_topic_producers{cluster="prod",topic="orders-events"}`, tc.orders...)
			}
			g := p.build([]topology.Module{hotelModule()}, tc.minute, "")

			e := edge(g, declared)
			if e == nil || e.State != tc.declaredState {
				t.Fatalf("edge %s = %+v, want state %s", declared, e, tc.declaredState)
			}
			if _, ok := e.Stats["producers"]; ok != tc.declaredEdgeStatPresent {
				t.Errorf("edge %s stats %v", declared, e.Stats)
			}
			if n := node(g, "producer:hotel-search-api"); n.Observed != tc.declaredNodeObserved ||
				(n.Health == topology.HealthOK) != tc.declaredNodeObserved {
				t.Errorf("declared producer = %+v", n)
			}
			if e.State == topology.EdgeConfirmed && (e.LastSeen.IsZero() || e.Health != topology.HealthOK) {
				t.Errorf("confirmed edge = %+v", e)
			}

			n := node(g, "producer:prod/orders-events")
			switch {
			case tc.observedName == "" && n != nil:
				t.Errorf("unexpected producer node %+v", n)
			case tc.observedName != "" && n == nil:
				t.Errorf("missing producer node")
			case n != nil:
				if n.Name != tc.observedName || n.Kind != topology.KindProducer || n.Module != "orders" || n.Cluster != "prod" ||
					!n.Observed || n.Declared || n.Health != topology.HealthOK || n.Stats["producers"] != tc.ordersStat {
					t.Errorf("producer node = %+v", n)
				}
				oe := edge(g, observed)
				if oe == nil || oe.State != topology.EdgeObserved || oe.Health != topology.HealthOK ||
					oe.Stats["producers"] != tc.ordersStat || !oe.LastSeen.Equal(p.at(tc.minute)) {
					t.Errorf("edge %s = %+v", observed, oe)
				}
				// The module view shows the producer with its topic.
				mg := p.build([]topology.Module{hotelModule()}, tc.minute, "orders")
				if node(mg, n.ID) == nil || edge(mg, observed) == nil {
					t.Errorf("module orders lacks the producer: %v", mg.Nodes)
				}
			}
			for id, want := range map[string]float64{"topic:prod/hotel-search-log": tc.hotelStat, "topic:prod/orders-events": tc.ordersStat} {
				got, ok := node(g, id).Stats["producers"]
				if !ok {
					got = -1
				}
				if got != want {
					t.Errorf("%s producers stat = %v, want %v", id, got, want)
				}
			}
		})
	}
}
