package topology

import "time"

// producerObservation is what the Kafka collector said about a topic's
// producers: how many wrote within its active window (5 minutes) and when
// that count was written.
type producerObservation struct {
	count float64
	seen  time.Time
}

// observeProducers links topics that have active producers
// (kafka_topic_producers > 0, from a Kafka collector with producers: true)
// to their producers. The Kafka protocol counts producer ids but does not
// name the clients, so:
//
//   - when a module declares producers of the topic, their declared edges
//     become confirmed, and the declared producers observed;
//   - otherwise one observed producer node stands for all of them,
//     "producer:<cluster>/<topic>", named by their number ("3 producers"),
//     in the topic's module, with an observed edge to the topic.
//
// A topic without active producers keeps its declared producer edges as
// declared but not seen, and gets no producer node. The count is the
// "producers" stat of the producer edges and of the observed producer node
// (not of declared producers, which may write other topics too); the topic
// node gets it from figures. It runs after inferModules, so that the
// producer node joins its topic's module.
func (w *world) observeProducers() {
	if len(w.producers) == 0 {
		return
	}
	declared := map[string][]*Edge{} // producer edges by topic ID
	for _, e := range w.edges {
		if w.nodes[e.Source].Kind == KindProducer {
			declared[e.Target] = append(declared[e.Target], e)
		}
	}
	for topicID, obs := range w.producers {
		t := w.nodes[topicID]
		if t == nil || obs.count <= 0 {
			continue
		}
		if es := declared[topicID]; len(es) > 0 {
			for _, e := range es {
				p := w.nodes[e.Source]
				p.Observed = true
				w.observeEdge(p, t, "kafka_producers", obs.seen)
				addStat(&e.Stats, "producers", obs.count, false)
			}
			continue
		}
		id := nodeID(KindProducer, t.Cluster, t.Name)
		p := &Node{
			ID: id, Kind: KindProducer, Name: plural(obs.count, "producer"), Cluster: t.Cluster,
			Module: t.Module, Health: HealthUnknown, Observed: true, internal: t.internal,
		}
		addStat(&p.Stats, "producers", obs.count, false)
		w.nodes[id] = p
		w.observeEdge(p, t, "kafka_producers", obs.seen)
		addStat(&w.edges[edgeID(id, topicID)].Stats, "producers", obs.count, false)
	}
}
