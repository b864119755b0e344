package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/collector/connect"
)

// TestConnectTaskFailsWhileElasticsearchRejects collects the simulated
// worker before the cluster rejects writes, while it rejects and after:
// only while it rejects is the first connector's task 1 FAILED, with the
// trace of a rejected bulk request.
func TestConnectTaskFailsWhileElasticsearchRejects(t *testing.T) {
	p := newPlatform(t)
	s, clk := startSim(t, p)
	tr := newTraffic(p)
	// The first moments, by the traffic's resolution, at which the
	// cluster rejects and then accepts writes again.
	var rejecting, recovered time.Duration
	step := tr.day / cellsPerDay
	for e := time.Duration(0); e < tr.day && recovered == 0; e += step {
		over := overload(tr.esLoad(e)) > 0
		switch {
		case over && rejecting == 0:
			rejecting = e
		case !over && rejecting != 0:
			recovered = e
		}
	}
	if rejecting == 0 || recovered == 0 {
		t.Fatalf("the cluster never starts and stops rejecting in a day (from %v to %v)", rejecting, recovered)
	}

	cfg := connect.DefaultConfig
	cfg.Name, cfg.URL = "demo", s.URLs().KafkaConnect
	c, err := connect.New(&cfg, connect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	failed := match{"kafka_connect_task_status", map[string]string{"connector": "train-ticket-es-indexer", "task": "1", "status": "failed"}}
	failure := match{"kafka_connect_task_failure_info", map[string]string{"connector": "train-ticket-es-indexer", "task": "1"}}
	for _, tc := range []struct {
		name   string
		at     time.Duration
		failed bool
	}{
		{"before", time.Minute, false},
		{"rejecting", rejecting + step/2, true},
		{"recovered", recovered + step/2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk.set(start.Add(tc.at))
			b := collect(t, c)
			if _, n := sum(b, failed); (n == 1) != tc.failed {
				t.Errorf("at %v: %d failed task series, want the task failed: %v", tc.at, n, tc.failed)
			}
			count, _ := sum(b, match{"kafka_connect_connect_worker_metrics_connector_failed_task_count", nil})
			running, _ := sum(b, match{"kafka_connect_connect_worker_metrics_connector_running_task_count", nil})
			if want := map[bool]float64{false: 0, true: 1}[tc.failed]; count != want || running != 2*connectTasks-want {
				t.Errorf("at %v: %v failed and %v running tasks, want %v failed of %d", tc.at, count, running, want, 2*connectTasks)
			}
			var trace string
			b.Each(func(l labels.Labels, _ int64, _ float64) {
				if l.Get(model.MetricNameLabel) == failure.name && l.Get("connector") == "train-ticket-es-indexer" {
					trace = l.Get("trace")
				}
			})
			if tc.failed != strings.Contains(trace, "es_rejected_execution_exception") {
				t.Errorf("at %v: failure trace %q", tc.at, trace)
			}
		})
	}
}
