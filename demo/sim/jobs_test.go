package sim

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
)

// TestJobsAreWhatTheSystemsRun collects every simulated system and checks
// that Jobs names exactly the jobs the collectors report, as the topology
// names them, each in the module whose topics it reads.
func TestJobsAreWhatTheSystemsRun(t *testing.T) {
	p := newPlatform(t)
	s, clk := startSim(t, p)
	clk.set(start.Add(10 * time.Minute))
	reported := map[string]bool{}
	for _, sys := range systems() {
		b := collect(t, sys.collect(t, sys.url(s.URLs()), clk.now))
		b.Each(func(l labels.Labels, _ int64, _ float64) {
			switch l.Get(model.MetricNameLabel) {
			case "pipewatch_stream_job_topic_info":
				reported[l.Get("system")+"/"+l.Get("job_name")] = true
			case "spark_streaming_batch_duration_seconds":
				reported["spark/"+l.Get("application_name")] = true
			}
		})
	}

	declared := map[string]bool{}
	modules := p.Modules()
	for name, jobs := range Jobs(modules) {
		for _, j := range jobs {
			declared[j] = true
			system, job, _ := strings.Cut(j, "/")
			var groups []string
			for _, m := range modules {
				if m.Name == name {
					groups = m.Groups
				}
			}
			// Each job is named after a group of its module, or, for
			// Logstash, the group is named after the pipeline.
			if !slices.ContainsFunc(groups, func(g string) bool { return g == job || g == system+"-"+job }) {
				t.Errorf("job %s declared in module %s, which has no group for it (%v)", j, name, groups)
			}
		}
	}
	if got, want := slices.Sorted(maps.Keys(declared)), slices.Sorted(maps.Keys(reported)); !slices.Equal(got, want) {
		t.Errorf("Jobs declares %v, the collectors report %v", got, want)
	}
}
