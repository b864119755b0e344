package storm

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/common/model"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/httpclient"
)

// maxReportedErrors is the number of failures a partial round's error spells
// out; the rest are counted.
const maxReportedErrors = 5

// maxErrorLabel bounds the length of a last-error label value, in bytes.
const maxErrorLabel = 512

// Options are a Collector's dependencies.
type Options struct {
	// Client performs the requests; nil means a client built from the
	// configuration's HTTP settings with httpclient.New. The Manager's
	// timeout applies through the request context.
	Client *http.Client
}

// Collector collects one Storm cluster through its UI's REST API.
type Collector struct {
	rest  *httpclient.Fetcher
	descs *descs
}

// New returns a Collector for the cluster cfg describes. It reads the files
// cfg's HTTP settings name (passwords, certificates) unless opts.Client is
// given.
func New(cfg *Config, opts Options) (*Collector, error) {
	rest, err := cfg.NewFetcher(opts.Client, cmp.Or(cfg.MaxConcurrentRequests, DefaultConfig.MaxConcurrentRequests))
	if err != nil {
		return nil, fmt.Errorf("storm %q: %w", cfg.Name, err)
	}
	return &Collector{rest: rest, descs: newDescs()}, nil
}

// Collect reads the topology summary, then every live topology's details
// and spout lag. Only a failure to read the summary fails the round; any
// other failure makes it partial, keeping what was read.
func (c *Collector) Collect(ctx context.Context, b *collector.Batch) error {
	var sum summary
	err := c.rest.GetJSON(ctx, "/api/v1/topology/summary", &sum)
	if err == nil && sum.Topologies == nil {
		err = errors.New("decode body of /api/v1/topology/summary: no topologies field")
	}
	if err != nil {
		return fmt.Errorf("list topologies: %w", err)
	}
	tops := make([]*topologyResult, len(*sum.Topologies))
	for i := range *sum.Topologies {
		tops[i] = &topologyResult{summary: (*sum.Topologies)[i]}
	}
	slices.SortFunc(tops, func(a, b *topologyResult) int {
		return cmp.Or(cmp.Compare(a.summary.Name, b.summary.Name), cmp.Compare(a.summary.ID, b.summary.ID))
	})

	errs := &collector.Errors{Max: maxReportedErrors}
	var wg sync.WaitGroup
	for _, t := range tops {
		if t.summary.Status == "KILLED" || t.summary.ID == "" {
			continue
		}
		id := url.PathEscape(t.summary.ID)
		fail := func(what string, err error) {
			errs.Add(fmt.Errorf("topology %q (%s): %s: %w", t.summary.Name, t.summary.ID, what, err))
		}
		wg.Go(func() {
			var d detail
			if err := c.rest.GetJSON(ctx, "/api/v1/topology/"+id+"?window=:all-time", &d); err != nil {
				fail("fetch details", err)
				return
			}
			t.detail = &d
		})
		wg.Go(func() {
			var raw json.RawMessage
			err := c.rest.GetJSON(ctx, "/api/v1/topology/"+id+"/lag", &raw)
			if httpclient.IsStatus(err, http.StatusNotFound) {
				return // a UI older than Storm 1.1 has no lag endpoint
			}
			if err != nil {
				fail("fetch lag", err)
				return
			}
			lags, err := parseLag(raw)
			if err != nil {
				fail("fetch lag", err)
				return
			}
			for _, l := range lags {
				if l.ErrorInfo != "" {
					fail(fmt.Sprintf("lag of spout %q", l.SpoutID), errors.New(collector.SanitizeLabelValue(l.ErrorInfo, maxErrorLabel)))
				}
			}
			t.lag = lags
		})
	}
	wg.Wait()

	for _, t := range tops {
		c.emit(b, t)
	}
	return errs.Partial()
}

type topologyResult struct {
	summary topologySummary
	detail  *detail
	lag     []spoutLag
}

// emit adds what was read of one topology to b.
func (c *Collector) emit(b *collector.Batch, t *topologyResult) {
	d := c.descs
	name, id := t.summary.Name, t.summary.ID
	for _, s := range summarySpecs {
		if n := s.get(&t.summary); n.Set {
			b.Emit(d.summary[s.name], n.V, name, id)
		}
	}
	known := false
	for _, st := range topologyStatuses {
		v := 0.0
		if st == t.summary.Status {
			v, known = 1, true
		}
		b.Emit(d.status, v, name, id, st)
	}
	if !known && t.summary.Status != "" {
		b.Emit(d.status, 1, name, id, t.summary.Status)
	}

	if t.detail != nil {
		for _, ws := range t.detail.TopologyStats {
			for _, s := range statsSpecs {
				if n := s.get(&ws); n.Set {
					b.Emit(d.stats[s.name], n.V, name, id, ws.Window)
				}
			}
		}
		for _, sp := range t.detail.Spouts {
			for _, s := range spoutSpecs {
				if n := s.get(&sp.component); n.Set {
					b.Emit(d.spouts[s.name], n.V, name, id, sp.ID)
				}
			}
			c.emitError(b, d.spoutError, d.spoutErrorAge, name, id, sp.ID, &sp.component)
		}
		for _, bo := range t.detail.Bolts {
			for _, s := range boltSpecs {
				if n := s.get(&bo.component); n.Set {
					b.Emit(d.bolts[s.name], n.V, name, id, bo.ID)
				}
			}
			c.emitError(b, d.boltError, d.boltErrorAge, name, id, bo.ID, &bo.component)
		}
	}

	topics := map[[2]string]bool{}
	for _, l := range t.lag {
		for _, topic := range slices.Sorted(maps.Keys(l.Result)) {
			for _, p := range slices.Sorted(maps.Keys(l.Result[topic])) {
				o := l.Result[topic][p]
				if o.LogHead.Set {
					b.Emit(d.logHead, o.LogHead.V, name, id, l.SpoutID, topic, p)
				}
				// A committed offset of -1 means the spout has not
				// committed yet: there is no lag to report.
				if o.Committed.Set && o.Committed.V >= 0 {
					b.Emit(d.committed, o.Committed.V, name, id, l.SpoutID, topic, p)
					if o.Lag.Set {
						b.Emit(d.lag, o.Lag.V, name, id, l.SpoutID, topic, p)
					}
				}
			}
			topics[[2]string{l.SpoutID, topic}] = true
		}
	}
	for _, k := range slices.SortedFunc(maps.Keys(topics), func(a, b [2]string) int { return slices.Compare(a[:], b[:]) }) {
		b.Emit(d.topicInfo, 1, "storm", name, k[0], k[1], "in", "")
	}
}

func (c *Collector) emitError(b *collector.Batch, info, age *collector.Desc, name, id, comp string, co *component) {
	if co.ErrorLapsedSecs.Set {
		b.Emit(age, co.ErrorLapsedSecs.V, name, id, comp)
	}
	if co.LastError != "" {
		b.Emit(info, 1, name, id, comp, collector.SanitizeLabelValue(co.LastError, maxErrorLabel))
	}
}

// parseLag decodes the answer of /api/v1/topology/:id/lag: an object keyed
// by spout id (Storm 1.1 and later) or a list of the same entries (early
// versions).
func parseLag(raw json.RawMessage) ([]spoutLag, error) {
	var entries []spoutLag
	switch t := strings.TrimSpace(string(raw)); {
	case strings.HasPrefix(t, "{"):
		var m map[string]spoutLag
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("decode lag: %w", err)
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			l := m[k]
			if l.SpoutID == "" {
				l.SpoutID = k
			}
			entries = append(entries, l)
		}
	case strings.HasPrefix(t, "["):
		if err := json.Unmarshal(raw, &entries); err != nil {
			return nil, fmt.Errorf("decode lag: %w", err)
		}
	default:
		return nil, errors.New("decode lag: want an object or a list")
	}
	return entries, nil
}

// gauge is the type of every Storm metric, as the exporter declares them.
const gauge = model.MetricTypeGauge
