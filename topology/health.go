package topology

import (
	"fmt"
	"math"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// figure is one health query: its result is stored under stat on the node
// or edge each sample belongs to.
type figure struct {
	stat string
	expr string
	// target finds the node or edge ID a sample belongs to.
	target func(l labels.Labels) string
}

func topicOf(l labels.Labels) string {
	return nodeID(KindTopic, l.Get("cluster"), l.Get("topic"))
}

func groupOf(l labels.Labels) string {
	return nodeID(KindGroup, l.Get("cluster"), l.Get("consumergroup"))
}

func consumeEdgeOf(l labels.Labels) string { return edgeID(topicOf(l), groupOf(l)) }

// figures is the explicit list of health figures read per build. Hops
// read the Kafka collector's per-topic sums (kafka_consumergroup_lag_sum,
// kafka_consumergroup_current_offset_sum), an eighth of the series of the
// per-partition families at 8 partitions a topic; only the time lag, a
// maximum, needs the partitions.
func figures() []figure {
	return []figure{
		{"in_rate", `sum by (cluster, topic) (rate(kafka_topic_partition_current_offset[1m]))`, topicOf},
		{"partitions", `max by (cluster, topic) (kafka_topic_partitions)`, topicOf},
		{"lag", `sum by (cluster, consumergroup, topic) (kafka_consumergroup_lag_sum)`, consumeEdgeOf},
		{"lag_before", `sum by (cluster, consumergroup, topic) (kafka_consumergroup_lag_sum offset 2m)`, consumeEdgeOf},
		{"lag_seconds", `max by (cluster, consumergroup, topic) (kafka_consumergroup_lag_seconds)`, consumeEdgeOf},
		{"rate", `sum by (cluster, consumergroup, topic) (rate(kafka_consumergroup_current_offset_sum[1m]))`, consumeEdgeOf},
		{"lag", `sum by (cluster, consumergroup) (kafka_consumergroup_lag_sum)`, groupOf},
		{"members", `max by (cluster, consumergroup) (kafka_consumergroup_members)`, groupOf},
	}
}

// Queries of annotate besides the figures.
const (
	statusExpr = `max by (cluster, consumergroup, status) (kafka_consumergroup_status) > 0`
	alertsExpr = `ALERTS{alertstate="firing"}`
)

// annotate sets every node's and edge's health, then every module's, from
// the results of figures() (figs, in that order), statusExpr and
// alertsExpr, as fetched by Build.
//
// Rules, in order (the first that applies sets the reason):
//  1. a consumer status of STOP, STALL or ERR makes the group and its
//     incoming edges critical; WARN or REWIND makes them warn;
//  2. lag in time at or above Thresholds.LagCritical is critical, at or
//     above LagWarn is warn ("lag 12m and rising" when it grew over the
//     last 2 minutes);
//  3. a firing alert attached to a node (by its consumergroup or topic
//     label) makes it critical when the alert's severity is critical or
//     page, warn otherwise;
//  4. an observed node or edge with none of the above is ok; a node or
//     edge that is only declared stays unknown ("declared but not seen").
func (b *Builder) annotate(w *world, figs [][]Sample, statuses, alerts []Sample) {
	for i, f := range figures() {
		for _, s := range figs[i] {
			id := f.target(s.Labels)
			if n, ok := w.nodes[id]; ok {
				setStat(&n.Stats, f.stat, s.Value)
			} else if e, ok := w.edges[id]; ok {
				setStat(&e.Stats, f.stat, s.Value)
			}
		}
	}
	for _, s := range statuses {
		if n, ok := w.nodes[groupOf(s.Labels)]; ok {
			n.Status = s.Labels.Get("status")
		}
	}

	for _, e := range w.edges {
		b.edgeHealth(w, e)
	}
	for _, n := range w.nodes {
		nodeHealth(n)
	}
	for _, a := range alerts {
		attachAlert(w, a.Labels)
	}
	// A group is as bad as the worst hop into it.
	for _, e := range w.edges {
		if n := w.nodes[e.Target]; n.Kind == KindGroup && e.Health.rank() > n.Health.rank() {
			n.Health, n.Reason = e.Health, e.Reason
		}
	}
	w.summarize()
}

func setStat(m *map[string]float64, k string, v float64) {
	if math.IsNaN(v) {
		return
	}
	if *m == nil {
		*m = map[string]float64{}
	}
	(*m)[k] = v
}

func (b *Builder) edgeHealth(w *world, e *Edge) {
	if e.State == EdgeDeclared {
		e.Health, e.Reason = HealthUnknown, "declared but not seen"
		return
	}
	e.Health = HealthOK
	target := w.nodes[e.Target]
	switch target.Status {
	case "STOP", "STALL", "ERR":
		e.Health, e.Reason = HealthCritical, "consumer "+target.Status
	case "WARN", "REWIND":
		e.Health, e.Reason = HealthWarn, "consumer "+target.Status
	}
	lagSec, ok := e.Stats["lag_seconds"]
	if !ok {
		return
	}
	lag := time.Duration(lagSec * float64(time.Second))
	h := HealthOK
	switch {
	case lag >= b.opts.Thresholds.LagCritical:
		h = HealthCritical
	case lag >= b.opts.Thresholds.LagWarn:
		h = HealthWarn
	}
	reason := "lag " + formatDuration(lag)
	if e.Stats["lag"] > e.Stats["lag_before"] && e.Stats["lag"] > 0 {
		reason += " and rising"
	}
	switch {
	case h.rank() > e.Health.rank():
		e.Health, e.Reason = h, reason
	case e.Health != HealthOK && h != HealthOK:
		e.Reason += ", " + reason
	}
}

func nodeHealth(n *Node) {
	switch {
	case !n.Observed:
		n.Health, n.Reason = HealthUnknown, "declared but not seen"
	case n.Status == "STOP" || n.Status == "STALL" || n.Status == "ERR":
		n.Health, n.Reason = HealthCritical, "consumer "+n.Status
	case n.Status == "WARN" || n.Status == "REWIND":
		n.Health, n.Reason = HealthWarn, "consumer "+n.Status
	default:
		n.Health = HealthOK
	}
}

// attachAlert attaches a firing alert to the nodes its labels name.
func attachAlert(w *world, l labels.Labels) {
	h := HealthWarn
	if sev := l.Get("severity"); sev == "critical" || sev == "page" {
		h = HealthCritical
	}
	name := l.Get("alertname")
	var ids []string
	cluster := l.Get("cluster")
	if g := l.Get("consumergroup"); g != "" {
		ids = append(ids, nodeID(KindGroup, cluster, g))
	} else if t := l.Get("topic"); t != "" {
		ids = append(ids, nodeID(KindTopic, cluster, t))
	}
	for _, id := range ids {
		n, ok := w.nodes[id]
		if !ok {
			continue
		}
		n.Alerts = append(n.Alerts, name)
		if h.rank() > n.Health.rank() {
			n.Health, n.Reason = h, "alert "+name
		}
	}
}

// summarize sets each module's health to its worst node or edge and names
// that hop; edges win ties, as they are where data gets stuck.
func (w *world) summarize() {
	for _, m := range w.modules {
		m.Health, m.WorstHop, m.Reason, m.Nodes = HealthUnknown, "", "", 0
	}
	worst := map[string]int{}
	consider := func(module, id string, h Health, reason string, edge bool) {
		m := w.modules[module]
		r := h.rank() * 2
		if edge {
			r++
		}
		if h == HealthUnknown {
			return
		}
		m.Health = worse(m.Health, h)
		if r > worst[module] && h != HealthOK {
			worst[module] = r
			m.WorstHop, m.Reason = id, reason
		}
	}
	for _, n := range w.sortedNodes() {
		if n.internal {
			continue
		}
		w.modules[n.Module].Nodes++
		consider(n.Module, n.ID, n.Health, n.Reason, false)
	}
	for _, e := range w.sortedEdges() {
		if t := w.nodes[e.Target]; t != nil && !t.internal && !w.nodes[e.Source].internal {
			consider(t.Module, e.ID, e.Health, e.Reason, true)
		}
	}
}

// formatDuration renders a lag compactly: 45s, 12m, 3h5m.
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	default:
		h := int(d.Hours())
		m := int(d.Minutes()) - 60*h
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	}
}
