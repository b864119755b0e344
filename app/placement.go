package app

import (
	"context"
	"net/url"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/alert"
	"github.com/pipewatch/pipewatch/topology"
)

// placer gives alerts their place in the pipeline: an alert whose labels
// name a topology node (its consumergroup, or else its topic) gets the
// labels module and hop (the node's ID), and an annotation module_url
// linking to the module's view in the UI, so whoever is paged sees where
// data is stuck without searching. The graph is rebuilt at most every
// maxAge.
type placer struct {
	builder  *topology.Builder
	external *url.URL
	maxAge   time.Duration

	mu    sync.Mutex
	built time.Time
	// nodes maps "consumergroup\xff<name>" and "topic\xff<name>" to nodes.
	nodes map[string]*topology.Node
}

func newPlacer(b *topology.Builder, external *url.URL) *placer {
	return &placer{builder: b, external: external, maxAge: 30 * time.Second}
}

// place adds module and hop to the alerts it can place.
func (p *placer) place(ctx context.Context, alerts []alert.Alert) {
	nodes := p.graph(ctx)
	for i, a := range alerts {
		if a.Labels.Has("module") {
			continue
		}
		n := nodes["consumergroup\xff"+a.Labels.Get("consumergroup")]
		if n == nil {
			n = nodes["topic\xff"+a.Labels.Get("topic")]
		}
		if n == nil || n.Module == "" {
			continue
		}
		lb := labels.NewBuilder(a.Labels)
		lb.Set("module", n.Module)
		lb.Set("hop", n.ID)
		alerts[i].Labels = lb.Labels()
		ab := labels.NewBuilder(a.Annotations)
		u := *p.external
		u.Path = "/"
		u.Fragment = "/module/" + n.Module
		ab.Set("module_url", u.String())
		alerts[i].Annotations = ab.Labels()
	}
}

func (p *placer) graph(ctx context.Context) map[string]*topology.Node {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.nodes != nil && time.Since(p.built) < p.maxAge {
		return p.nodes
	}
	g, _ := p.builder.Build(ctx, time.Now(), "") // a partial graph still places what it can
	if g == nil {
		return p.nodes
	}
	nodes := map[string]*topology.Node{}
	for _, n := range g.Nodes {
		switch n.Kind {
		case topology.KindGroup:
			nodes["consumergroup\xff"+n.Name] = n
		case topology.KindTopic:
			nodes["topic\xff"+n.Name] = n
		}
	}
	p.nodes, p.built = nodes, time.Now()
	return nodes
}
