package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/elasticsearch"
	"github.com/pipewatch/pipewatch/topology"
)

// TestWriteRejectsFollowThePeak collects the simulated cluster and the
// Logstash node that writes to it for a minute at the busiest and the
// quietest time of the simulated day: at the peak the write queues are
// full and rejects climb, in the trough the queues are empty and rejects
// stand still.
func TestWriteRejectsFollowThePeak(t *testing.T) {
	p := newPlatform(t)
	s, clk := startSim(t, p)
	tr := newTraffic(p)
	var peak, trough time.Duration
	for i := range cellsPerDay {
		e := cellMid(tr.day, i)
		if tr.esLoad(e) > tr.esLoad(peak) {
			peak = e
		}
		if tr.esLoad(e) < tr.esLoad(trough) || trough == 0 {
			trough = e
		}
	}
	sys := map[string]system{}
	for _, x := range systems() {
		sys[x.name] = x
	}
	es := sys["elasticsearch"].collect(t, s.URLs().Elasticsearch, clk.now)
	ls := sys["logstash"].collect(t, s.URLs().Logstash, clk.now)
	rejected := match{"elasticsearch_thread_pool_rejected_count", map[string]string{"type": "write"}}
	queued := match{"elasticsearch_thread_pool_queue_count", map[string]string{"type": "write"}}
	tooMany := match{"logstash_stats_pipeline_plugin_bulk_requests_responses", map[string]string{"code": "429"}}

	tests := []struct {
		name       string
		at         time.Duration
		rejecting  bool
		queueAbove float64 // the write queues together hold more than this
		queueBelow float64 // and less than this
	}{
		{"peak", peak, true, 0.95 * 3 * esWriteQueueSize, 3*esWriteQueueSize + 1},
		{"trough", trough, false, -1, 3 * 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.set(start.Add(tt.at))
			esBefore, lsBefore := collect(t, es), collect(t, ls)
			clk.set(start.Add(tt.at + time.Minute))
			esAfter, lsAfter := collect(t, es), collect(t, ls)

			r0, n := sum(esBefore, rejected)
			r1, _ := sum(esAfter, rejected)
			if n != len(esNodes) {
				t.Fatalf("%d nodes report write rejects, want %d", n, len(esNodes))
			}
			if rising := r1 > r0; rising != tt.rejecting {
				t.Errorf("write rejects went from %v to %v in a minute; want rising %v", r0, r1, tt.rejecting)
			}
			if q, _ := sum(esAfter, queued); q <= tt.queueAbove || q >= tt.queueBelow {
				t.Errorf("write queues hold %v, want between %v and %v", q, tt.queueAbove, tt.queueBelow)
			}
			l0, _ := sum(lsBefore, tooMany)
			l1, _ := sum(lsAfter, tooMany)
			if rising := l1 > l0; rising != tt.rejecting {
				t.Errorf("Logstash's 429 responses went from %v to %v in a minute; want rising %v", l0, l1, tt.rejecting)
			}
		})
	}
}

// TestIndexFamiliesFollowTheSinks collects the simulated cluster with
// per-index statistics: every module with an "es:" sink has a daily index
// for today and yesterday whose family is the sink, the indices' indexing
// totals add up to the nodes', today's counters grow, and at midnight
// today's index becomes yesterday's and a new one starts.
func TestIndexFamiliesFollowTheSinks(t *testing.T) {
	p := newPlatform(t)
	s, clk := startSim(t, p)
	cfg := elasticsearch.DefaultConfig
	cfg.Name, cfg.URL, cfg.Indices = "demo", s.URLs().Elasticsearch, true
	c, err := elasticsearch.New(&cfg, elasticsearch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// sinks are the declared "es:" sinks, by family.
	sinks := map[string]string{}
	for _, m := range p.Modules() {
		for _, sink := range m.Sinks {
			if family, ok := strings.CutPrefix(sink, "es:"); ok {
				sinks[family] = m.Name
			}
		}
	}
	if len(sinks) == 0 {
		t.Fatal("the demo catalog has no es: sinks")
	}
	docs := func(index string) match {
		return match{"elasticsearch_indices_docs_primary", map[string]string{"cluster": esClusterName, "index": index}}
	}
	indexed := func(index string) match {
		return match{"elasticsearch_index_stats_indexing_index_total", map[string]string{"cluster": esClusterName, "index": index}}
	}
	get := func(t *testing.T, b *collector.Batch, m match) float64 {
		t.Helper()
		v, n := sum(b, m)
		if n != 1 {
			t.Fatalf("%d series %s%v, want 1", n, m.name, m.labels)
		}
		return v
	}

	t.Run("families", func(t *testing.T) {
		clk.set(start.Add(10 * time.Minute))
		first := collect(t, c)
		indices := map[string]bool{}
		for _, m := range []match{{"elasticsearch_indices_docs_primary", nil}, {"elasticsearch_index_stats_indexing_index_total", nil}} {
			first.Each(func(l labels.Labels, _ int64, _ float64) {
				if l.Get(model.MetricNameLabel) == m.name {
					indices[l.Get("index")] = true
				}
			})
		}
		for index := range indices {
			if _, ok := sinks[topology.IndexFamily(index)]; !ok {
				t.Errorf("index %q is of family %q, which no module declares", index, topology.IndexFamily(index))
			}
		}
		if want := 2 * len(sinks); len(indices) != want {
			t.Errorf("%d indices, want %d: %v", len(indices), want, indices)
		}
		today, yesterday := start.Format(esDateLayout), start.AddDate(0, 0, -1).Format(esDateLayout)
		clk.set(start.Add(13 * time.Minute))
		second := collect(t, c)
		for family, module := range sinks {
			prefix := strings.TrimSuffix(family, "*")
			for _, index := range []string{prefix + today, prefix + yesterday} {
				if !indices[index] {
					t.Errorf("module %s: no index %s", module, index)
				}
			}
			for _, m := range []match{docs(prefix + today), indexed(prefix + today)} {
				if before, after := get(t, first, m), get(t, second, m); after <= before {
					t.Errorf("module %s: %s%v went from %v to %v in 3 minutes, want it to grow", module, m.name, m.labels, before, after)
				}
			}
			if d := get(t, second, docs(prefix+yesterday)); d <= 0 {
				t.Errorf("module %s: yesterday's index holds %v documents", module, d)
			}
		}
		// The run started today, so only today's indices have indexed, as
		// much as the nodes.
		nodes, _ := sum(second, match{"elasticsearch_indices_indexing_index_total", nil})
		perIndex, _ := sum(second, match{"elasticsearch_index_stats_indexing_index_total", nil})
		if diff := nodes - perIndex; diff < -float64(len(indices)) || diff > float64(len(indices)) {
			t.Errorf("the nodes indexed %v documents, the indices %v", nodes, perIndex)
		}
	})

	t.Run("midnight", func(t *testing.T) {
		day := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)
		before, after := day.Format(esDateLayout), day.AddDate(0, 0, 1).Format(esDateLayout)
		clk.set(day.Add(24*time.Hour - 2*time.Minute))
		late := collect(t, c)
		clk.set(day.Add(24*time.Hour + 2*time.Minute))
		early := collect(t, c)
		for family, module := range sinks {
			prefix := strings.TrimSuffix(family, "*")
			closed, opened := get(t, late, docs(prefix+before)), get(t, early, docs(prefix+before))
			if opened <= closed {
				t.Errorf("module %s: %s went from %v to %v documents over midnight, want it to grow", module, prefix+before, closed, opened)
			}
			if fresh := get(t, early, docs(prefix+after)); fresh <= 0 || fresh >= opened {
				t.Errorf("module %s: the new index %s holds %v documents two minutes after midnight, the old one %v", module, prefix+after, fresh, opened)
			}
		}
	})
}
