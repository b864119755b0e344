package flink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/units"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/internal/golden"
)

// fixedNow is the clock of the tests: an hour after the fixture's capture.
var fixedNow = time.UnixMilli(1651462493209).Add(time.Hour)

func newCollector(t testing.TB, url string, mod func(*Config)) *Collector {
	t.Helper()
	cfg := DefaultConfig
	cfg.Name = "test"
	cfg.URL = url
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(&cfg, Options{Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func collect(t testing.TB, c *Collector) (*collector.Batch, error) {
	t.Helper()
	b := collector.NewBatch()
	err := c.Collect(context.Background(), b)
	return b, err
}

func TestCollectGolden(t *testing.T) {
	f := newFixtureFlink(t)
	srv := f.start(t)
	b, err := collect(t, newCollector(t, srv.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/flink.golden", golden.Render(b))
}

func TestCollectKafkaSourceGolden(t *testing.T) {
	var subtasks []map[string]string
	if err := json.Unmarshal(readTestdata(t, "kafka_source_subtasks.SYNTHETIC.json"), &subtasks); err != nil {
		t.Fatal(err)
	}
	f := newFixtureFlink(t)
	f.jobs[fixtureJob].subtasks[fixtureSource] = subtasks
	f.jobs[fixtureJob].subtasks[fixtureSink] = nil
	f.jmMetrics, f.tmMetrics, f.taskmanagers = nil, nil, []byte(`{"taskmanagers":[]}`)
	srv := f.start(t)
	b, err := collect(t, newCollector(t, srv.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/kafka.golden", golden.Render(b, "flink_taskmanager_job_task", "pipewatch_"))
}

func TestCollectRejectsBadJobList(t *testing.T) {
	big := `{"jobs":[` + strings.Repeat(`{"jid":"x","name":"y","state":"FINISHED"},`, 100) + `{}]}`
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		limit   int64
		wantErr string
	}{
		{"malformed", http.StatusOK, `{"jobs":[{"jid":`, 0, "decode body of /jobs/overview"},
		{"html", http.StatusOK, `<html>Flink</html>`, 0, "decode body of /jobs/overview"},
		{"no jobs field", http.StatusOK, `{"errors":["Not found."]}`, 0, "no jobs field"},
		{"unauthorized", http.StatusUnauthorized, ``, 0, "401 Unauthorized"},
		{"forbidden", http.StatusForbidden, ``, 0, "403 Forbidden"},
		{"server error", http.StatusInternalServerError, `{"errors":["Internal server error."]}`, 0, "500 Internal Server Error"},
		{"oversized", http.StatusOK, big, 1000, "body exceeds the size limit"},
		{"wrong type", http.StatusOK, `{"jobs":{"jid":"x"}}`, 0, "decode body of /jobs/overview"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixtureFlink(t)
			f.setOverride("/jobs/overview", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			srv := f.start(t)
			c := newCollector(t, srv.URL, func(c *Config) { c.BodySizeLimit = units.Base2Bytes(tc.limit) })
			b, err := collect(t, c)
			if err == nil || collector.IsPartial(err) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want a full failure containing %q", err, tc.wantErr)
			}
			if b.Len() != 0 {
				t.Errorf("a failed round added %d samples", b.Len())
			}
		})
	}
}

func TestCollectHonoursContextOnHangingServer(t *testing.T) {
	f := newFixtureFlink(t)
	release := make(chan struct{})
	f.setOverride("/jobs/overview", func(http.ResponseWriter, *http.Request) { <-release })
	srv := f.start(t)
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := newCollector(t, srv.URL, nil).Collect(ctx, collector.NewBatch())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
}

func TestCollectKeepsTheRestWhenPartsFail(t *testing.T) {
	jobPath := "/jobs/" + fixtureJob
	for _, tc := range []struct {
		name     string
		path     string
		status   int
		body     string
		wantErr  string
		want     string // a series that must still be there
		wantGone string // a series that must be missing
	}{
		{"job details", jobPath, 500, "", `job "State machine job" (` + fixtureJob + `): fetch details`,
			`flink_jobmanager_job_numRestarts{job_id="` + fixtureJob + `", job_name="State machine job"}`,
			"flink_taskmanager_job_task_numRecordsOut{"},
		{"job details without vertices", jobPath, 200, `{"jid":"x"}`, "no vertices field",
			"flink_job_last_checkpoint_age_seconds{", "flink_taskmanager_job_task_numRecordsOut{"},
		{"job metrics", jobPath + "/metrics", 503, "", "fetch job metrics",
			"flink_taskmanager_job_task_numRecordsOut{", "flink_jobmanager_job_numRestarts{"},
		{"checkpoints", jobPath + "/checkpoints", 404, "", "fetch checkpoints",
			"flink_jobmanager_job_numRestarts{", "flink_job_last_checkpoint_age_seconds{"},
		{"vertex metrics", jobPath + "/vertices/" + fixtureSource + "/subtasks/metrics", 200, `[{"id":`,
			`fetch metrics of vertex "Source: Custom Source"`, "flink_jobmanager_job_numRestarts{", "flink_taskmanager_job_task_numRecordsOut{"},
		{"taskmanagers", "/taskmanagers", 500, "", "list taskmanagers",
			"flink_jobmanager_Status_JVM_Memory_Heap_Used", "flink_taskmanager_Status_JVM_Memory_Heap_Used"},
		{"taskmanager metrics", "/taskmanagers/" + fixtureTM + "/metrics", 500, "", "taskmanager " + fixtureTM + ": list metrics",
			`flink_taskmanager_slots{tm_id="` + fixtureTM + `"}`, "flink_taskmanager_Status_JVM_Memory_Heap_Used"},
		{"jobmanager metrics", "/jobmanager/metrics", 401, "", "jobmanager: list metrics: get /jobmanager/metrics: server returned HTTP status 401",
			"flink_taskmanager_Status_JVM_Memory_Heap_Used", "flink_jobmanager_Status_JVM_Memory_Heap_Used"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixtureFlink(t)
			f.setOverride(tc.path, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			srv := f.start(t)
			b, err := collect(t, newCollector(t, srv.URL, nil))
			if !collector.IsPartial(err) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want a partial error containing %q", err, tc.wantErr)
			}
			got := golden.Render(b)
			if !strings.Contains(got, tc.want) {
				t.Errorf("missing %s", tc.want)
			}
			if strings.Contains(got, tc.wantGone) {
				t.Errorf("unexpected %s", tc.wantGone)
			}
			if !strings.Contains(got, `flink_job_state{job_id="`+fixtureJob+`", job_name="State machine job", state="RUNNING"} 1`) {
				t.Errorf("the job's state is missing")
			}
		})
	}
}

func TestCollectSkipsDetailsOfFinishedJobs(t *testing.T) {
	f := newFixtureFlink(t)
	f.overview = []byte(strings.Replace(string(f.overview), `"RUNNING"`, `"FINISHED"`, 1))
	f.setOverride("/jobs/"+fixtureJob, func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("details of a finished job were requested")
		w.WriteHeader(500)
	})
	srv := f.start(t)
	b, err := collect(t, newCollector(t, srv.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := golden.Render(b); !strings.Contains(got, `state="FINISHED"} 1`) {
		t.Errorf("the finished state is missing:\n%s", got)
	}
}

func TestMetricListsAreCachedAndRefreshed(t *testing.T) {
	f := newFixtureFlink(t)
	srv := f.start(t)
	now := fixedNow
	cfg := DefaultConfig
	cfg.Name, cfg.URL = "test", srv.URL
	c, err := New(&cfg, Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	round := func() (lists, requests int64) {
		l0, r0 := f.lists.Load(), f.requests.Load()
		if err := c.Collect(context.Background(), collector.NewBatch()); err != nil {
			t.Fatal(err)
		}
		return f.lists.Load() - l0, f.requests.Load() - r0
	}
	// The first round lists the JobManager, the TaskManager and both
	// vertices.
	if lists, _ := round(); lists != 4 {
		t.Errorf("first round listed %d times, want 4", lists)
	}
	// The sink vertex has no metrics yet, so it is listed every round; the
	// others are cached. The steady round: overview, taskmanagers, JM and TM
	// reads, job details, metrics and checkpoints, one source-vertex read and
	// the sink's listing.
	lists, requests := round()
	if lists != 1 || requests != 9 {
		t.Errorf("second round: %d listings and %d requests, want 1 and 9", lists, requests)
	}
	now = now.Add(idRefresh)
	if lists, _ := round(); lists != 4 {
		t.Errorf("after %s: %d listings, want 4", idRefresh, lists)
	}
}

func TestVanishedMetricInvalidatesTheList(t *testing.T) {
	f := newFixtureFlink(t)
	srv := f.start(t)
	c := newCollector(t, srv.URL, nil)
	if _, err := collect(t, c); err != nil {
		t.Fatal(err)
	}
	// A subtask restarts and has not registered its metrics again: Flink
	// answers nothing for the cached ids, and the list is read again next
	// round.
	src := f.jobs[fixtureJob].subtasks[fixtureSource][0]
	delete(src, "numRecordsOut")
	b, err := collect(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(golden.Render(b), "flink_taskmanager_job_task_numRecordsIn{") {
		t.Errorf("values were reported although Flink answered none")
	}
	lists := f.lists.Load()
	b, err = collect(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if f.lists.Load() == lists {
		t.Errorf("the vertex was not listed again")
	}
	if !strings.Contains(golden.Render(b), "flink_taskmanager_job_task_numRecordsIn{") {
		t.Errorf("metrics did not come back after listing again")
	}
}

func TestChunkQueries(t *testing.T) {
	var ids []string
	for i := range 300 {
		ids = append(ids, fmt.Sprintf("Source__orders.KafkaSourceReader.topic.app_events.partition.%d.currentOffset", i))
	}
	qs := chunkQueries(ids)
	if len(qs) < 2 {
		t.Fatalf("got %d queries, want several", len(qs))
	}
	var back []string
	for _, q := range qs {
		if len(q) > maxQueryLen {
			t.Errorf("query of %d bytes exceeds %d", len(q), maxQueryLen)
		}
		back = append(back, strings.Split(strings.TrimPrefix(q, "?get="), ",")...)
	}
	if !slices.Equal(back, ids) {
		t.Errorf("queries do not ask for every id once")
	}
}

func TestClassifyVertex(t *testing.T) {
	d := newDescs()
	for _, tc := range []struct {
		id                         string
		ok                         bool
		name, op, topic, partition string
	}{
		{"numRecordsIn", true, "flink_taskmanager_job_task_numRecordsIn", "", "", ""},
		{"buffers.inPoolUsage", true, "flink_taskmanager_job_task_buffers_inPoolUsage", "", "", ""},
		{"Shuffle.Netty.Input.numBytesInLocal", false, "", "", "", ""},
		{"isBackPressured", false, "", "", "", ""},
		{"Source__Custom_Source.numRecordsOut", true, "flink_taskmanager_job_task_operator_numRecordsOut", "Source__Custom_Source", "", ""},
		{"op.KafkaSourceReader.KafkaConsumer.records-lag-max", true, "flink_taskmanager_job_task_operator_KafkaSourceReader_KafkaConsumer_records_lag_max", "op", "", ""},
		{"op.KafkaSourceReader.topic.t_1.partition.3.currentOffset", true, "flink_taskmanager_job_task_operator_KafkaSourceReader_topic_partition_currentOffset", "op", "t_1", "3"},
		{"op.KafkaSourceReader.topic.a.b.partition.0.committedOffset", true, "flink_taskmanager_job_task_operator_KafkaSourceReader_topic_partition_committedOffset", "op", "a.b", "0"},
		{"op.KafkaConsumer.topic.t.partition.9.currentOffsets", true, "flink_taskmanager_job_task_operator_KafkaConsumer_topic_partition_currentOffsets", "op", "t", "9"},
		{"op.KafkaSourceReader.topic.t.partition.9.somethingElse", false, "", "", "", ""},
		{".numRecordsOut", false, "", "", "", ""},
	} {
		t.Run(tc.id, func(t *testing.T) {
			m, ok := d.classifyVertex(tc.id)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if m.desc.Name() != tc.name || m.operator != tc.op || m.topic != tc.topic || m.partition != tc.partition {
				t.Errorf("got %s op=%q topic=%q partition=%q", m.desc.Name(), m.operator, m.topic, m.partition)
			}
		})
	}
}

func TestNewRejectsBadURL(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "http://", "::"} {
		cfg := DefaultConfig
		cfg.Name, cfg.URL = "x", u
		if _, err := New(&cfg, Options{Client: http.DefaultClient}); err == nil {
			t.Errorf("New accepted URL %q", u)
		}
	}
}
