package topology

import (
	"fmt"
	"strings"
)

// NodeGraph is a graph in the shape of Grafana's Node Graph panel: one
// frame of nodes and one of edges, with the panel's field names. Serve it as
// JSON and read it with Grafana's Infinity datasource (root selectors
// "nodes" and "edges").
type NodeGraph struct {
	Nodes []NodeGraphNode `json:"nodes"`
	Edges []NodeGraphEdge `json:"edges"`
}

// NodeGraphNode is a row of the Node Graph panel's nodes frame. The arc__
// fields are the fractions of the node's circle drawn in each health colour.
type NodeGraphNode struct {
	ID            string  `json:"id"`
	Title         string  `json:"title"`
	Subtitle      string  `json:"subtitle"`
	MainStat      string  `json:"mainstat"`
	SecondaryStat string  `json:"secondarystat"`
	ArcOK         float64 `json:"arc__ok"`
	ArcWarn       float64 `json:"arc__warn"`
	ArcCritical   float64 `json:"arc__critical"`
	ArcUnknown    float64 `json:"arc__unknown"`
	Color         string  `json:"color"`
	Detail        string  `json:"detail__reason,omitempty"`
}

// NodeGraphEdge is a row of the Node Graph panel's edges frame.
type NodeGraphEdge struct {
	ID            string `json:"id"`
	Source        string `json:"source"`
	Target        string `json:"target"`
	MainStat      string `json:"mainstat"`
	SecondaryStat string `json:"secondarystat"`
	Color         string `json:"color"`
}

// HealthColor is the colour the UI and Grafana draw a health in.
func HealthColor(h Health) string {
	switch h {
	case HealthOK:
		return "#2da44e"
	case HealthWarn:
		return "#d4a72c"
	case HealthCritical:
		return "#cf222e"
	default:
		return "#8c959f"
	}
}

// ToNodeGraph converts a graph to Node Graph frames.
func ToNodeGraph(g *Graph) NodeGraph {
	out := NodeGraph{Nodes: []NodeGraphNode{}, Edges: []NodeGraphEdge{}}
	for _, n := range g.Nodes {
		ng := NodeGraphNode{
			ID:       n.ID,
			Title:    n.Name,
			Subtitle: strings.TrimSpace(string(n.Kind) + " · " + n.Module),
			Color:    HealthColor(n.Health),
			Detail:   n.Reason,
		}
		switch n.Health {
		case HealthOK:
			ng.ArcOK = 1
		case HealthWarn:
			ng.ArcWarn = 1
		case HealthCritical:
			ng.ArcCritical = 1
		default:
			ng.ArcUnknown = 1
		}
		switch n.Kind {
		case KindTopic:
			if r, ok := n.Stats["in_rate"]; ok {
				ng.MainStat = formatRate(r)
			}
			if r, ok := n.Stats["out_rate"]; ok && n.Reason == "" {
				ng.SecondaryStat = "out " + formatRate(r)
			}
		case KindSink:
			if r, ok := n.Stats["in_rate"]; ok {
				ng.MainStat = formatRate(r)
			}
		case KindGroup:
			if l, ok := n.Stats["lag"]; ok {
				ng.MainStat = fmt.Sprintf("lag %s", formatCount(l))
			}
			ng.SecondaryStat = n.Status
		}
		if ng.SecondaryStat == "" {
			ng.SecondaryStat = n.Reason
		}
		out.Nodes = append(out.Nodes, ng)
	}
	for _, e := range g.Edges {
		ne := NodeGraphEdge{ID: e.ID, Source: e.Source, Target: e.Target, Color: HealthColor(e.Health), SecondaryStat: e.Reason}
		if r, ok := e.Stats["rate"]; ok {
			ne.MainStat = formatRate(r)
		}
		if e.State == EdgeDeclared {
			ne.MainStat = "declared, not seen"
		}
		out.Edges = append(out.Edges, ne)
	}
	return out
}

func formatRate(r float64) string { return formatCount(r) + "/s" }

func formatCount(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.1fG", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}
