package flink

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/internal/golden"
)

// newLargeFlink builds a cluster of jobs from the real captures: each job is
// the captured job with four vertices (a Kafka source, two operators and a
// sink) of parallelism 4, every subtask reporting the captured subtask's
// metrics, the source also the offsets of 16 partitions; the cluster has 10
// TaskManagers reporting the captured TaskManager's metrics.
func newLargeFlink(tb testing.TB, jobs int) *fakeFlink {
	f := newFixtureFlink(tb)
	var ov struct {
		Jobs []map[string]any `json:"jobs"`
	}
	if err := json.Unmarshal(f.overview, &ov); err != nil {
		tb.Fatal(err)
	}
	var detail map[string]any
	if err := json.Unmarshal(readTestdata(tb, "job_detail.json"), &detail); err != nil {
		tb.Fatal(err)
	}
	baseVertex := detail["vertices"].([]any)[0].(map[string]any)
	subtask := readValues(tb, "subtask_metrics_values.json")
	template := f.jobs[fixtureJob]

	f.jobs = map[string]*fakeJob{}
	var list []map[string]any
	for j := range jobs {
		jid := fmt.Sprintf("%032x", j+1)
		name := fmt.Sprintf("job-%02d", j)
		entry := maps.Clone(ov.Jobs[0])
		entry["jid"], entry["name"] = jid, name
		list = append(list, entry)

		d := maps.Clone(detail)
		d["jid"], d["name"] = jid, name
		fj := &fakeJob{metrics: template.metrics, checkpoints: template.checkpoints, subtasks: map[string][]map[string]string{}}
		var vertices []any
		for v, vname := range []string{"Source: Kafka", "Map", "Filter", "Sink: Elasticsearch"} {
			vid := fmt.Sprintf("%030x%02x", j+1, v)
			vx := maps.Clone(baseVertex)
			vx["id"], vx["name"], vx["parallelism"] = vid, vname, 4
			vertices = append(vertices, vx)
			for s := range 4 {
				st := maps.Clone(subtask)
				if v == 0 {
					st["Source__Kafka.pendingRecords"] = "10"
					st["Source__Kafka.KafkaSourceReader.KafkaConsumer.records-lag-max"] = "10"
					for p := s; p < 16; p += 4 {
						prefix := fmt.Sprintf("Source__Kafka.KafkaSourceReader.topic.events_%02d.partition.%d.", j, p)
						st[prefix+"currentOffset"] = fmt.Sprint(1000 * p)
						st[prefix+"committedOffset"] = fmt.Sprint(1000*p - 5)
					}
				}
				fj.subtasks[vid] = append(fj.subtasks[vid], st)
			}
		}
		d["vertices"] = vertices
		var err error
		if fj.detail, err = json.Marshal(d); err != nil {
			tb.Fatal(err)
		}
		f.jobs[jid] = fj
	}
	var err error
	if f.overview, err = json.Marshal(map[string]any{"jobs": list}); err != nil {
		tb.Fatal(err)
	}
	var tms struct {
		TaskManagers []map[string]any `json:"taskmanagers"`
	}
	if err := json.Unmarshal(f.taskmanagers, &tms); err != nil {
		tb.Fatal(err)
	}
	tmValues := f.tmMetrics[fixtureTM]
	f.tmMetrics = map[string]map[string]string{}
	var tmList []map[string]any
	for i := range 10 {
		id := fmt.Sprintf("10.0.0.%d:34457-%06x", i, i)
		tm := maps.Clone(tms.TaskManagers[0])
		tm["id"] = id
		tmList = append(tmList, tm)
		f.tmMetrics[id] = tmValues
	}
	if f.taskmanagers, err = json.Marshal(map[string]any{"taskmanagers": tmList}); err != nil {
		tb.Fatal(err)
	}
	return f
}

// BenchmarkCollect50Jobs measures one steady collection round of 50 jobs
// with 4 vertices each (200 vertex reads), 10 TaskManagers and the
// JobManager, against an in-process server (whose CPU time is included).
func BenchmarkCollect50Jobs(b *testing.B) {
	f := newLargeFlink(b, 50)
	srv := f.start(b)
	c := newCollector(b, srv.URL, nil)
	batch := collector.NewBatch()
	if err := c.Collect(context.Background(), batch); err != nil {
		b.Fatal(err)
	}
	samples := batch.Len()
	r0 := f.requests.Load()
	cpu0 := cpuTime(b)
	b.ReportAllocs()
	for b.Loop() {
		batch = collector.NewBatch()
		if err := c.Collect(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(f.requests.Load()-r0)/float64(b.N), "requests/op")
	b.ReportMetric(float64(samples), "samples/op")
	// CPU time of the whole process (collector and server) per round, which
	// other load on the machine does not inflate as it does wall time.
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkCollect50JobsCold measures a first round, which also lists the
// metrics of every vertex and component.
func BenchmarkCollect50JobsCold(b *testing.B) {
	f := newLargeFlink(b, 50)
	srv := f.start(b)
	b.ReportAllocs()
	for b.Loop() {
		c := newCollector(b, srv.URL, nil)
		if err := c.Collect(context.Background(), collector.NewBatch()); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime returns the user and system CPU time the process has used.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestLargeClusterRound(t *testing.T) {
	f := newLargeFlink(t, 50)
	srv := f.start(t)
	b, err := collect(t, newCollector(t, srv.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	got := golden.Render(b, "pipewatch_stream_job_topic_info", "flink_taskmanager_job_task_operator_KafkaSourceReader_topic_partition_currentOffset")
	if n := strings.Count(got, "pipewatch_stream_job_topic_info{"); n != 50 {
		t.Errorf("%d topic info series, want 50", n)
	}
	if n := strings.Count(got, "_currentOffset{"); n != 50*16 {
		t.Errorf("%d partition offsets, want %d", n, 50*16)
	}
}
