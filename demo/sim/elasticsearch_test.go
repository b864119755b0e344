package sim

import (
	"testing"
	"time"
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
