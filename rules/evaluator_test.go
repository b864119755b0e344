package rules

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	promrules "github.com/prometheus/prometheus/rules"

	"github.com/pipewatch/pipewatch/storage"
)

const triggerRules = `groups:
  - name: kafka
    interval: 1h
    min_interval: 1s
    rules:
      - alert: LagHigh
        expr: lag{job="kafka/a"} > 10
        annotations: {summary: "lag {{ $value }}"}
  - name: rec
    interval: 1h
    min_interval: 1s
    rules:
      - record: job:lag:sum
        expr: sum by (job) (lag)
  - name: chained
    interval: 1h
    min_interval: 1s
    rules:
      - alert: LagSumHigh
        expr: job:lag:sum > 10
  - name: es
    interval: 1h
    min_interval: 1s
    rules:
      - alert: Rejects
        expr: es_rejected > 0
`

// harness is an Evaluator running on a real temporary TSDB.
type harness struct {
	t      *testing.T
	st     *storage.Storage
	e      *Evaluator
	reg    *prometheus.Registry
	file   string
	mu     sync.Mutex
	alerts []Alert
	cancel context.CancelFunc
	done   chan error
}

func newHarness(t *testing.T, rulesYAML string) *harness {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "rules.yml")
	if err := os.WriteFile(file, []byte(rulesYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := storage.Open(filepath.Join(dir, "data"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return attachHarness(t, st, file, "")
}

// attachHarness returns a harness whose Evaluator reads ruleFile and runs on
// st (which close closes), keeping its firing alerts in stateFile if set.
func attachHarness(t *testing.T, st *storage.Storage, ruleFile, stateFile string) *harness {
	t.Helper()
	h := &harness{t: t, st: st, reg: prometheus.NewRegistry(), file: ruleFile}
	var err error
	h.e, err = New(Config{RuleFiles: []string{ruleFile}}, Options{
		Engine:     newTestEngine(),
		Queryable:  st.Queryable(),
		Appender:   func(ctx context.Context) Appender { return st.Appender(ctx) },
		Registerer: h.reg,
		StateFile:  stateFile,
		Notify: func(_ context.Context, alerts []Alert) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.alerts = append(h.alerts, alerts...)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) run() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.done = make(chan error, 1)
	go func() { h.done <- h.e.Run(ctx) }()
}

// stop ends Run (which writes pending alert state, as a clean shutdown
// does), if it runs.
func (h *harness) stop() {
	if h.cancel != nil {
		h.cancel()
		if err := <-h.done; err != nil {
			h.t.Errorf("Run: %v", err)
		}
		h.cancel = nil
	}
}

// close stops the evaluator and closes storage, inside the bubble.
func (h *harness) close() {
	h.stop()
	if err := h.st.Close(); err != nil {
		h.t.Error(err)
	}
}

// commit appends samples at now as a collection round of job and reports it.
func (h *harness) commit(job string, samples map[string]float64) {
	h.t.Helper()
	p := newParser()
	now := time.Now().UnixMilli()
	app := h.st.Appender(context.Background())
	for s, v := range samples {
		ls, err := p.ParseMetric(s)
		if err != nil {
			h.t.Fatal(err)
		}
		b := labels.NewBuilder(ls)
		b.Set("job", job)
		if _, err := app.Append(0, b.Labels(), now, v); err != nil {
			h.t.Fatal(err)
		}
	}
	if err := app.Commit(); err != nil {
		h.t.Fatal(err)
	}
	h.e.OnCommit(job, now)
}

// evaluations returns how often each group has been evaluated.
func (h *harness) evaluations() map[string]int {
	out := map[string]int{}
	for _, g := range h.e.RuleGroups() {
		key := promrules.GroupKey(g.File(), g.Name())
		out[g.Name()] = int(testutil.ToFloat64(h.e.promMetrics.IterationsScheduled.WithLabelValues(key)))
	}
	return out
}

func (h *harness) triggered(kind string) int {
	return int(testutil.ToFloat64(h.e.metrics.evaluations.WithLabelValues(kind)))
}

func (h *harness) takeAlerts() []Alert {
	h.mu.Lock()
	defer h.mu.Unlock()
	a := h.alerts
	h.alerts = nil
	return a
}

func TestIngestTriggersReadingGroups(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, triggerRules)
		defer h.close()
		h.run()
		synctest.Wait()
		if got := h.evaluations(); got["kafka"]+got["rec"]+got["chained"]+got["es"] != 0 {
			t.Fatalf("evaluated before any commit: %v", got)
		}

		start := time.Now()
		h.commit("kafka/a", map[string]float64{`lag{topic="t"}`: 20})
		// Nothing happens within the coalescing window...
		synctest.Wait()
		if got := h.evaluations()["kafka"]; got != 0 {
			t.Fatalf("kafka evaluated %d times before the coalescing window ended", got)
		}
		// ...and right after it, the groups reading lag evaluate, then the
		// group reading their recording rule; es does not.
		time.Sleep(DefaultCoalesceWindow)
		synctest.Wait()
		want := map[string]int{"kafka": 1, "rec": 1, "chained": 1, "es": 0}
		if got := h.evaluations(); !mapsEqual(got, want) {
			t.Fatalf("evaluations after one commit: %v, want %v", got, want)
		}
		if got := time.Since(start); got != DefaultCoalesceWindow {
			t.Errorf("evaluation %v after the commit, want %v", got, DefaultCoalesceWindow)
		}
		if got, want := h.triggered(triggerIngest), 2; got != want {
			t.Errorf("ingest-triggered evaluations = %d, want %d", got, want)
		}
		if got, want := h.triggered(triggerChain), 1; got != want {
			t.Errorf("chain-triggered evaluations = %d, want %d", got, want)
		}
		// The firing alert was notified at once, with its annotation.
		alerts := h.takeAlerts()
		if len(alerts) != 2 {
			t.Fatalf("notified %d alerts, want LagHigh and LagSumHigh: %v", len(alerts), alerts)
		}
		for _, a := range alerts {
			if !a.StartsAt.Equal(start.Add(DefaultCoalesceWindow).Truncate(time.Millisecond)) || !a.EndsAt.After(time.Now()) {
				t.Errorf("alert %s: StartsAt %v EndsAt %v, want firing since the evaluation", a.Labels, a.StartsAt, a.EndsAt)
			}
		}
		if got := alerts[0].Annotations.Get("summary") + alerts[1].Annotations.Get("summary"); !strings.Contains(got, "lag 20") {
			t.Errorf("annotations %q, want lag 20", got)
		}

		// A commit of another job wakes only the group reading it.
		h.commit("es/x", map[string]float64{`es_rejected{node="n"}`: 1})
		time.Sleep(DefaultCoalesceWindow)
		synctest.Wait()
		want = map[string]int{"kafka": 1, "rec": 1, "chained": 1, "es": 1}
		if got := h.evaluations(); !mapsEqual(got, want) {
			t.Fatalf("evaluations after an es commit: %v, want %v", got, want)
		}

		// A minute later the job's metric names are looked up again and
		// now include job:lag:sum{job="kafka/a"}, written by rec: the
		// commit still triggers chained only through rec, once.
		time.Sleep(time.Minute)
		h.commit("kafka/a", map[string]float64{`lag{topic="t"}`: 30})
		time.Sleep(2 * time.Second)
		synctest.Wait()
		want = map[string]int{"kafka": 2, "rec": 2, "chained": 2, "es": 1}
		if got := h.evaluations(); !mapsEqual(got, want) {
			t.Fatalf("evaluations after a second kafka commit: %v, want %v", got, want)
		}
	})
}

func TestIngestTriggerCoalesces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, triggerRules)
		defer h.close()
		h.run()

		// A burst of commits (50 instances of the job, as many collection
		// loops) within the coalescing window: one evaluation.
		for i := range 50 {
			h.commit("kafka/a", map[string]float64{fmt.Sprintf(`lag{topic="t", instance="i%d"}`, i): 1})
		}
		time.Sleep(DefaultCoalesceWindow)
		synctest.Wait()
		if got := h.evaluations()["kafka"]; got != 1 {
			t.Fatalf("kafka evaluated %d times for one burst, want 1", got)
		}

		// Commits within min_interval (1s) of that evaluation: one more
		// evaluation, when min_interval has passed, seeing the newest data.
		first := time.Now()
		for range 5 {
			time.Sleep(100 * time.Millisecond)
			h.commit("kafka/a", map[string]float64{`lag{topic="t", instance="i0"}`: 99})
		}
		synctest.Wait()
		if got := h.evaluations()["kafka"]; got != 1 {
			t.Fatalf("kafka evaluated %d times within min_interval, want 1", got)
		}
		time.Sleep(time.Second - time.Since(first))
		synctest.Wait()
		if got := h.evaluations()["kafka"]; got != 2 {
			t.Fatalf("kafka evaluated %d times after min_interval, want 2", got)
		}
		for _, r := range h.e.AlertingRules() {
			if r.Name() == "LagHigh" {
				for _, a := range r.ActiveAlerts() {
					if a.Labels.Get("instance") == "i0" && a.Value != 99 {
						t.Errorf("LagHigh alert %v, want value 99", a)
					}
				}
			}
		}
	})
}

func TestIntervalWithoutIngest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, triggerRules)
		defer h.close()
		h.run()
		time.Sleep(time.Hour - time.Millisecond)
		synctest.Wait()
		if got := h.triggered(triggerInterval); got != 0 {
			t.Fatalf("%d interval evaluations before the interval", got)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		want := map[string]int{"kafka": 1, "rec": 1, "chained": 1, "es": 1}
		if got := h.evaluations(); !mapsEqual(got, want) {
			t.Fatalf("evaluations after one interval: %v, want %v", got, want)
		}
		// An ingest-triggered evaluation restarts the interval.
		time.Sleep(30 * time.Minute)
		h.commit("es/x", map[string]float64{`es_rejected{node="n"}`: 1})
		time.Sleep(31 * time.Minute)
		synctest.Wait()
		want = map[string]int{"kafka": 2, "rec": 2, "chained": 2, "es": 2}
		if got := h.evaluations(); !mapsEqual(got, want) {
			t.Fatalf("evaluations after 61m: %v, want %v", got, want)
		}
		time.Sleep(30 * time.Minute)
		synctest.Wait()
		want = map[string]int{"kafka": 2, "rec": 2, "chained": 2, "es": 3}
		if got := h.evaluations(); !mapsEqual(got, want) {
			t.Fatalf("evaluations after 91m: %v, want %v", got, want)
		}
	})
}

const forecastRules = `groups:
  - name: lag-forecast
    interval: 1m
    min_interval: 5s
    rules:
      - alert: LagBreachSoon
        expr: kafka_consumergroup_lag_sum
        forecast: {method: theil_sen, threshold: 10000, horizon: 10m, window: 5m, confirm_window: 1m}
        labels: {severity: warning}
        annotations:
          summary: "{{ $labels.consumergroup }} reaches {{ $threshold }} in {{ $eta | humanizeDuration }}"
`

// TestForecastEndToEnd collects a steadily growing lag every 5s into a real
// TSDB and checks the ETA series, the alert and its notification.
func TestForecastEndToEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, forecastRules)
		defer h.close()
		h.run()
		// 20 messages/s: 10000 is reached after 500s.
		start := time.Now()
		var firstAlert time.Duration
		for i := 0; i < 100; i++ {
			h.commit("kafka/prod", map[string]float64{
				`kafka_consumergroup_lag_sum{consumergroup="g1", topic="t"}`: 20 * 5 * float64(i),
				`kafka_consumergroup_lag_sum{consumergroup="g2", topic="t"}`: 1000,
			})
			time.Sleep(5 * time.Second)
			synctest.Wait()
			if firstAlert == 0 && len(h.takeAlerts()) > 0 {
				firstAlert = time.Since(start)
			}
		}
		// The forecast needs half its windows of data (2.5m) and then
		// predicts the crossing at 500s once it is within 10m.
		if firstAlert < 150*time.Second || firstAlert > 160*time.Second {
			t.Errorf("first alert after %v, want when the 5m window is half full (150s)", firstAlert)
		}

		q, err := h.st.Queryable().Querier(0, time.Now().UnixMilli())
		if err != nil {
			t.Fatal(err)
		}
		defer q.Close()
		ss := q.Select(context.Background(), false, nil, labels.MustNewMatcher(labels.MatchEqual, model.MetricNameLabel, ETAMetric))
		n := 0
		for ss.Next() {
			s := ss.At()
			n++
			if got := s.Labels().String(); got != `{__name__="pipewatch_forecast_eta_seconds", consumergroup="g1", job="kafka/prod", rule="LagBreachSoon", topic="t"}` {
				t.Errorf("ETA series %s", got)
			}
			it := s.Iterator(nil)
			var lastT int64
			var lastV float64
			for it.Next() != 0 {
				lastT, lastV = it.At()
			}
			// At the last evaluation the lag is 9900, 5s before the breach.
			if !value.IsStaleNaN(lastV) && (lastV < 0 || lastV > 6) {
				t.Errorf("last ETA %v at %v, want about 5s", lastV, time.UnixMilli(lastT).Sub(start))
			}
		}
		if n != 1 {
			t.Errorf("%d ETA series, want 1 (g2 is flat)", n)
		}

		var summary string
		for _, r := range h.e.AlertingRules() {
			for _, a := range r.ActiveAlerts() {
				summary = a.Annotations.Get("summary")
			}
		}
		if !strings.HasPrefix(summary, "g1 reaches 10000 in ") {
			t.Errorf("summary %q", summary)
		}
	})
}

// TestApplyConfig reloads changed rules: unchanged groups keep running,
// changed ones keep their alert state, removed ones mark their series stale.
func TestApplyConfig(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, triggerRules)
		defer h.close()
		h.run()
		h.commit("kafka/a", map[string]float64{`lag{topic="t"}`: 20})
		time.Sleep(DefaultCoalesceWindow)
		synctest.Wait()
		before := map[string]*promrules.Group{}
		for _, g := range h.e.RuleGroups() {
			before[g.Name()] = g
		}

		// Change kafka (new annotation), drop rec and chained, keep es.
		changed := strings.Replace(triggerRules, `summary: "lag {{ $value }}"`, `summary: "lag is {{ $value }}"`, 1)
		changed = changed[:strings.Index(changed, "  - name: rec")] + changed[strings.Index(changed, "  - name: es"):]
		if err := os.WriteFile(h.file, []byte(changed), 0o600); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		if err := h.e.ApplyConfig(Config{RuleFiles: []string{h.file}}); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, g := range h.e.RuleGroups() {
			names = append(names, g.Name())
			switch g.Name() {
			case "es":
				if g != before["es"] {
					t.Error("unchanged group es was replaced")
				}
			case "kafka":
				if g == before["kafka"] {
					t.Error("changed group kafka was not replaced")
				}
				for _, r := range g.AlertingRules() {
					if a := r.ActiveAlerts(); len(a) != 1 || a[0].State != promrules.StateFiring {
						t.Errorf("LagHigh after reload: %v, want its firing alert", a)
					}
				}
			}
		}
		if !slices.Equal(names, []string{"es", "kafka"}) {
			t.Errorf("groups after reload %v", names)
		}
		// The recording rule's series ends with a staleness marker.
		q, err := h.st.Queryable().Querier(0, time.Now().UnixMilli())
		if err != nil {
			t.Fatal(err)
		}
		defer q.Close()
		ss := q.Select(context.Background(), false, nil, labels.MustNewMatcher(labels.MatchEqual, model.MetricNameLabel, "job:lag:sum"))
		if !ss.Next() {
			t.Fatal("no job:lag:sum series")
		}
		it := ss.At().Iterator(nil)
		var last float64
		for it.Next() != 0 {
			_, last = it.At()
		}
		if !value.IsStaleNaN(last) {
			t.Errorf("job:lag:sum ends with %v, want a staleness marker", last)
		}

		// A broken file changes nothing.
		if err := os.WriteFile(h.file, []byte("groups: [{name: x, rules: [{alert: A, expr: 'sum('}]}]"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := h.e.ApplyConfig(Config{RuleFiles: []string{h.file}}); err == nil {
			t.Error("ApplyConfig of a broken file succeeded")
		}
		if got := len(h.e.RuleGroups()); got != 2 {
			t.Errorf("%d groups after a failed reload, want 2", got)
		}
	})
}

// TestInlineFiles: rule files given by content load after the files on
// disk, under their own name, and a broken one fails the whole config with
// that name in the error.
func TestInlineFiles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, triggerRules)
		defer h.close()
		inline := InlineFile{Name: "demo:extra.yml", Content: []byte(`
groups:
  - name: extra
    rules:
      - record: job:lag:max
        expr: max by (job) (lag)
`)}
		if err := h.e.ApplyConfig(Config{RuleFiles: []string{h.file}, Inline: []InlineFile{inline}}); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, g := range h.e.RuleGroups() {
			got = append(got, g.File()+"/"+g.Name())
		}
		if !slices.Contains(got, "demo:extra.yml/extra") || !slices.Contains(got, h.file+"/kafka") {
			t.Errorf("groups %v, want the inline group next to the file's", got)
		}

		broken := InlineFile{Name: "demo:broken.yml", Content: []byte("groups: [{name: x, rules: [{alert: A, expr: 'sum('}]}]")}
		err := h.e.ApplyConfig(Config{RuleFiles: []string{h.file}, Inline: []InlineFile{broken}})
		if err == nil || !strings.Contains(err.Error(), "demo:broken.yml") {
			t.Errorf("ApplyConfig of a broken inline file: %v, want an error naming it", err)
		}
		if len(h.e.RuleGroups()) != len(got) {
			t.Errorf("a failed ApplyConfig changed the groups")
		}
	})
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestSteadyCommitsDoNotLockInADelay: with commits min_interval apart,
// once one evaluation has had to wait, later ones must not keep waiting as
// long (spacing counts from the triggering commits, not from delayed
// evaluation starts).
func TestSteadyCommitsDoNotLockInADelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, triggerRules)
		defer h.close()
		h.run()
		t0 := time.Now()
		at := func(d time.Duration) { time.Sleep(time.Until(t0.Add(d))) }
		h.commit("kafka/a", map[string]float64{`lag{topic="t"}`: 1})
		// 900 ms later: this evaluation waits for min_interval (1s) and
		// runs at t0+1s+coalescing window.
		at(900 * time.Millisecond)
		h.commit("kafka/a", map[string]float64{`lag{topic="t"}`: 2})
		at(1900 * time.Millisecond)
		synctest.Wait()
		base := h.evaluations()["kafka"]
		// From then on commits come every second, as a 1 s collector's do:
		// each is evaluated within the coalescing window.
		for i := range 4 {
			at(time.Duration(1900+1000*i) * time.Millisecond)
			h.commit("kafka/a", map[string]float64{`lag{topic="t"}`: float64(3 + i)})
			time.Sleep(DefaultCoalesceWindow)
			synctest.Wait()
			if got := h.evaluations()["kafka"]; got != base+i+1 {
				t.Fatalf("commit %d: kafka evaluated %d times %v after the commit, want %d: the evaluation was delayed",
					i, got, DefaultCoalesceWindow, base+i+1)
			}
		}
	})
}
