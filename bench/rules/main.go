// Command rules measures the cost of rule evaluation at the `ctrip` scale
// profile (shared/design/scale-profiles.md): 1,300 topics × 8 partitions
// consumed by 300 groups, a 13-node Elasticsearch cluster, 50 Flink jobs and
// 2,600 containers' series, with 40 minutes of history at a 10 s interval in
// a temporary TSDB, evaluated by 1,000 alerting rules and 100 forecast
// rules (Theil–Sen over 30 minutes, confirmed over 5, on a tenth of the groups
// falling behind).
//
// It prints two figures:
//
//   - round: one evaluation of every group (rules.Evaluator.Evaluate, up to
//     GOMAXPROCS groups at once) after a new collection round was appended;
//     wall time and CPU time per round;
//
//   - ingest: the real trigger path with Run and OnCommit: time from the
//     commits of a collection round to every group having evaluated it.
//
//     go run ./bench/rules [-rounds 20] [-pack]
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	promrules "github.com/prometheus/prometheus/rules"

	"github.com/pipewatch/pipewatch/api"
	"github.com/pipewatch/pipewatch/internal/benchutil"
	"github.com/pipewatch/pipewatch/rules"
	"github.com/pipewatch/pipewatch/storage"
)

func main() { os.Exit(run()) }

// Profile sizes (ctrip).
const (
	topics          = 1300
	partitions      = 8
	groups          = 300
	topicsPerGroup  = 4
	esNodes         = 13
	flinkJobs       = 50
	flinkTasks      = 4
	containers      = 2600
	containersPerSv = 26
	step            = 10 * time.Second
	history         = 40 * time.Minute
)

var esPools = []string{"bulk", "write", "index", "search", "get", "refresh", "management", "flush"}

func run() int {
	rounds := flag.Int("rounds", 20, "measured evaluation rounds")
	pack := flag.Bool("pack", false, "also load the built-in rule pack")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the measured rounds to this file")
	memProfile := flag.String("memprofile", "", "write an allocation profile after the measured rounds to this file")
	flag.Parse()

	dir, err := os.MkdirTemp("", "pipewatch-bench-rules")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	st, err := storage.Open(filepath.Join(dir, "data"), storage.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer st.Close()

	w := newWorld()
	now := time.Now().Truncate(step)
	fill := time.Now()
	for t := now.Add(-history); !t.After(now); t = t.Add(step) {
		if err := w.appendRound(st, t); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	fmt.Printf("profile ctrip: %d series, %d samples each (%v at %v), written in %v\n",
		st.NumSeries(), int(history/step)+1, history, step, time.Since(fill).Round(time.Millisecond))

	ruleFile := filepath.Join(dir, "rules.yml")
	nAlert, nForecast, err := writeRules(ruleFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cfg := rules.Config{RuleFiles: []string{ruleFile}, Pack: rules.PackConfig{Enabled: *pack}}
	var notified int
	e, err := rules.New(cfg, rules.Options{
		Engine:    api.NewEngine(nil, nil),
		Queryable: st.LatestQueryable(api.DefaultLookbackDelta),
		Appender:  func(ctx context.Context) rules.Appender { return st.Appender(ctx) },
		Notify:    func(_ context.Context, alerts []rules.Alert) { notified += len(alerts) },
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	nGroups, nRules := 0, 0
	for _, g := range e.RuleGroups() {
		nGroups++
		nRules += len(g.Rules())
	}
	fmt.Printf("rules: %d alerting + %d forecast rules in the file (%d Prometheus rules in %d groups%s), GOMAXPROCS=%d\n",
		nAlert, nForecast, nRules, nGroups, map[bool]string{true: ", pack included", false: ""}[*pack], runtime.GOMAXPROCS(0))

	// Rounds driven by Evaluate, each after a new collection round.
	ctx := context.Background()
	e.Evaluate(ctx, now) // warm-up: first evaluation restores `for` state
	var walls, cpus []time.Duration
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	if *memProfile != "" {
		// The base the measured rounds' allocations are read against
		// (go tool pprof -diff_base FILE.base FILE).
		if err := writeHeapProfile(*memProfile + ".base"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	t := now
	for range *rounds {
		t = t.Add(step)
		if err := w.appendRound(st, t); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		c0 := benchutil.CPUTime()
		w0 := time.Now()
		e.Evaluate(ctx, t)
		walls = append(walls, time.Since(w0))
		cpus = append(cpus, benchutil.CPUTime()-c0)
	}
	runtime.ReadMemStats(&ms1)
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if *memProfile != "" {
		if err := writeHeapProfile(*memProfile); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	firing := 0
	for _, r := range e.AlertingRules() {
		firing += len(r.ActiveAlerts())
	}
	for _, g := range e.RuleGroups() {
		for _, r := range g.Rules() {
			if r.Name() == rules.ETAMetric && r.LastError() != nil {
				fmt.Fprintln(os.Stderr, "forecast rule failed:", r.LastError())
				return 1
			}
		}
	}
	etas := w.countETA(st, t)
	fmt.Printf("round (Evaluate after each collection round, %d rounds): wall p50 %v p90 %v max %v; CPU p50 %v per round\n",
		*rounds, benchutil.Percentile(walls, 50), benchutil.Percentile(walls, 90), benchutil.Percentile(walls, 100), benchutil.Percentile(cpus, 50))
	fmt.Printf("  allocated %.1f MB per round (appending the round included), %d GC cycles in %d rounds, heap %.0f MB\n",
		float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(*rounds)/1e6, ms1.NumGC-ms0.NumGC, *rounds, float64(ms1.HeapAlloc)/1e6)
	fmt.Printf("  state: %d active alerts, %d ETA series, %d notifications sent\n", firing, etas, notified)
	gs := e.RuleGroups()
	slices.SortFunc(gs, func(a, b *promrules.Group) int { return cmp.Compare(b.GetEvaluationTime(), a.GetEvaluationTime()) })
	var slow []string
	for _, g := range gs[:min(5, len(gs))] {
		var worst promrules.Rule
		for _, r := range g.Rules() {
			if worst == nil || r.GetEvaluationDuration() > worst.GetEvaluationDuration() {
				worst = r
			}
		}
		slow = append(slow, fmt.Sprintf("%s %v (%s %v)", g.Name(), g.GetEvaluationTime().Round(100*time.Microsecond),
			worst.Name(), worst.GetEvaluationDuration().Round(100*time.Microsecond)))
	}
	fmt.Printf("  slowest groups (last round): %s\n", strings.Join(slow, ", "))

	// The ingest-driven path: Run, commits, wait for every group.
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.Run(rctx) }()
	defer func() { cancel(); <-done }()
	var lat []time.Duration
	for range 10 {
		time.Sleep(1100 * time.Millisecond) // past min_interval (1s)
		t = t.Add(step)
		if err := w.appendRound(st, t); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		start := time.Now()
		for _, job := range w.jobs {
			e.OnCommit(job, t.UnixMilli())
		}
		// Bounded polling: the evaluations run in the Evaluator's own
		// goroutines.
		deadline := start.Add(30 * time.Second)
		for !allEvaluated(e, t) && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		lat = append(lat, time.Since(start))
	}
	fmt.Printf("ingest (OnCommit of every job → every group of the file evaluated, 10 rounds): p50 %v max %v (includes the %v coalescing window)\n",
		benchutil.Percentile(lat, 50), benchutil.Percentile(lat, 100), rules.DefaultCoalesceWindow)
	return 0
}

// writeHeapProfile writes the allocation profile to file.
func writeHeapProfile(file string) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// allEvaluated reports whether every group of the benchmark's file (the
// pack's groups may read metrics no job writes) has evaluated data of t.
func allEvaluated(e *rules.Evaluator, t time.Time) bool {
	for _, g := range e.RuleGroups() {
		if strings.HasPrefix(g.File(), "pack:") {
			continue
		}
		if g.GetLastEvalTimestamp().Before(t.Truncate(time.Millisecond)) {
			return false
		}
	}
	return true
}

// series is one synthetic series and how it moves.
type series struct {
	lset  labels.Labels
	v     float64
	delta func(r *rand.Rand) float64
}

// world holds the synthetic series of the profile.
type world struct {
	rnd   *rand.Rand
	byJob map[string][]*series
	jobs  []string
	refs  map[*series]uint64
}

func newWorld() *world {
	w := &world{rnd: rand.New(rand.NewPCG(1, 2)), byJob: map[string][]*series{}, refs: map[*series]uint64{}}
	add := func(job string, v float64, delta func(r *rand.Rand) float64, kv ...string) {
		b := labels.NewBuilder(labels.FromStrings(kv...))
		b.Set("job", job)
		b.Set("instance", strings.SplitN(job, "/", 2)[1]+":1")
		w.byJob[job] = append(w.byJob[job], &series{lset: b.Labels(), v: v, delta: delta})
	}
	walk := func(scale float64) func(r *rand.Rand) float64 {
		return func(r *rand.Rand) float64 { return (r.Float64() - 0.5) * scale }
	}
	grow := func(rate float64) func(r *rand.Rand) float64 {
		return func(r *rand.Rand) float64 { return rate * (0.8 + 0.4*r.Float64()) }
	}
	counter := func(rate float64) func(r *rand.Rand) float64 {
		return func(r *rand.Rand) float64 { return rate * r.Float64() }
	}
	const kafka = "kafka/ctrip"
	for tp := range topics {
		for p := range partitions {
			add(kafka, 1e6, counter(1000), "__name__", "kafka_topic_partition_current_offset", "cluster", "ctrip",
				"topic", fmt.Sprintf("topic-%04d", tp), "partition", fmt.Sprint(p))
			add(kafka, 0, func(*rand.Rand) float64 { return 0 }, "__name__", "kafka_topic_partition_oldest_offset", "cluster", "ctrip",
				"topic", fmt.Sprintf("topic-%04d", tp), "partition", fmt.Sprint(p))
		}
	}
	for g := range groups {
		cg := fmt.Sprintf("g%03d", g)
		for k := range topicsPerGroup {
			topic := fmt.Sprintf("topic-%04d", g*topicsPerGroup+k)
			// Every tenth group falls behind steadily: forecasts fire.
			lagMove := walk(200)
			if g%10 == 0 {
				lagMove = grow(400)
			}
			for p := range partitions {
				add(kafka, 1000, lagMove, "__name__", "kafka_consumergroup_lag", "cluster", "ctrip", "consumergroup", cg, "topic", topic, "partition", fmt.Sprint(p))
				add(kafka, 1000, counter(1000), "__name__", "kafka_consumergroup_current_offset", "cluster", "ctrip", "consumergroup", cg, "topic", topic, "partition", fmt.Sprint(p))
				add(kafka, 2, walk(1), "__name__", "kafka_consumergroup_lag_seconds", "cluster", "ctrip", "consumergroup", cg, "topic", topic, "partition", fmt.Sprint(p))
			}
			add(kafka, 8000, lagMove, "__name__", "kafka_consumergroup_lag_sum", "cluster", "ctrip", "consumergroup", cg, "topic", topic)
		}
		for _, s := range []string{"OK", "WARN", "ERR", "STOP", "STALL", "REWIND"} {
			v := 0.0
			if s == "OK" {
				v = 1
			}
			add(kafka, v, func(*rand.Rand) float64 { return 0 }, "__name__", "kafka_consumergroup_status", "cluster", "ctrip", "consumergroup", cg, "status", s)
		}
		add(kafka, float64(g%3), func(*rand.Rand) float64 { return 0 }, "__name__", "kafka_consumergroup_members", "cluster", "ctrip", "consumergroup", cg)
	}
	const es = "elasticsearch/logs"
	for n := range esNodes {
		for _, pool := range esPools {
			add(es, 0, counter(0.2), "__name__", "elasticsearch_thread_pool_rejected_count", "cluster", "logs", "name", fmt.Sprintf("node%02d", n), "type", pool)
			add(es, 0, walk(2), "__name__", "elasticsearch_thread_pool_queue_count", "cluster", "logs", "name", fmt.Sprintf("node%02d", n), "type", pool)
		}
	}
	for _, c := range []string{"green", "yellow", "red"} {
		v := 0.0
		if c == "green" {
			v = 1
		}
		add(es, v, func(*rand.Rand) float64 { return 0 }, "__name__", "elasticsearch_cluster_health_status", "cluster", "logs", "color", c)
	}
	const flink = "flink/rt"
	for j := range flinkJobs {
		name := fmt.Sprintf("job%02d", j)
		add(flink, 0, func(*rand.Rand) float64 { return 0 }, "__name__", "flink_jobmanager_job_numRestarts", "job_name", name)
		add(flink, 0, func(*rand.Rand) float64 { return 0 }, "__name__", "flink_jobmanager_job_numberOfFailedCheckpoints", "job_name", name)
		for k := range flinkTasks {
			add(flink, 100, walk(50), "__name__", "flink_taskmanager_job_task_backPressuredTimeMsPerSecond", "job_name", name, "task_name", fmt.Sprintf("task%d", k))
		}
	}
	const cont = "containers/local"
	for c := range containers {
		id := fmt.Sprintf("/kubepods/pod%04d", c)
		name := fmt.Sprintf("svc%03d-%d", c/containersPerSv, c%containersPerSv)
		for _, m := range []struct {
			name string
			v    float64
			d    func(*rand.Rand) float64
		}{
			{"container_cpu_usage_seconds_total", 0, counter(5)},
			{"container_cpu_cfs_periods_total", 0, counter(100)},
			{"container_cpu_cfs_throttled_periods_total", 0, counter(10)},
			{"container_memory_working_set_bytes", 1e9, walk(1e7)},
			{"container_spec_memory_limit_bytes", 2e9, func(*rand.Rand) float64 { return 0 }},
		} {
			add(cont, m.v, m.d, "__name__", m.name, "id", id, "name", name)
		}
	}
	for job := range w.byJob {
		w.jobs = append(w.jobs, job)
	}
	slices.Sort(w.jobs)
	for _, job := range w.jobs {
		add(job, 1, func(*rand.Rand) float64 { return 0 }, "__name__", "up")
	}
	return w
}

// appendRound appends one sample per series at t and commits per job, as
// the collector Manager does.
func (w *world) appendRound(st *storage.Storage, t time.Time) error {
	for _, job := range w.jobs {
		app := st.Appender(context.Background())
		for _, s := range w.byJob[job] {
			s.v = max(s.v+s.delta(w.rnd), 0)
			ref, err := app.Append(w.refs[s], s.lset, t.UnixMilli(), s.v)
			if err != nil {
				_ = app.Rollback()
				return fmt.Errorf("append %s: %w", s.lset, err)
			}
			w.refs[s] = ref
		}
		if err := app.Commit(); err != nil {
			return fmt.Errorf("commit round of %s: %w", job, err)
		}
	}
	return nil
}

// countETA counts the ETA series written at t.
func (w *world) countETA(st *storage.Storage, t time.Time) int {
	q, err := st.Queryable().Querier(t.UnixMilli(), t.UnixMilli())
	if err != nil {
		return -1
	}
	defer q.Close()
	ss := q.Select(context.Background(), false, nil, labels.MustNewMatcher(labels.MatchEqual, "__name__", rules.ETAMetric))
	n := 0
	for ss.Next() {
		n++
	}
	return n
}

// writeRules writes the benchmark's rule file: 1,000 alerting rules in 20
// groups of 50 and 100 forecast rules in 5 groups of 20, and returns the
// two counts.
func writeRules(file string) (alerting, forecasts int, err error) {
	var rs []string
	for g := range groups {
		rs = append(rs, fmt.Sprintf(`      - alert: LagHigh%03d
        expr: kafka_consumergroup_lag_sum{consumergroup="g%03d"} > 100000
        for: 2m
        labels: {severity: warning}
        annotations: {summary: "lag {{ $labels.topic }} {{ $value }}"}`, g, g))
	}
	for g := range groups {
		rs = append(rs, fmt.Sprintf(`      - alert: LagSeconds%03d
        expr: max without (partition) (kafka_consumergroup_lag_seconds{consumergroup="g%03d"}) > 300
        for: 1m
        labels: {severity: warning}`, g, g))
	}
	for g := range 150 {
		rs = append(rs, fmt.Sprintf(`      - alert: Stalled%03d
        expr: kafka_consumergroup_status{consumergroup="g%03d", status="STALL"} == 1
        labels: {severity: critical}`, g, g))
	}
	for s := range 100 {
		rs = append(rs, fmt.Sprintf(`      - alert: MemoryNearLimit%03d
        expr: container_memory_working_set_bytes{name=~"svc%03d-.*"} / container_spec_memory_limit_bytes{name=~"svc%03d-.*"} > 0.9
        for: 5m
        labels: {severity: warning}`, s, s, s))
	}
	i := 0
	for n := range esNodes {
		for _, pool := range esPools {
			if i == 100 {
				break
			}
			rs = append(rs, fmt.Sprintf(`      - alert: Rejects%03d
        expr: rate(elasticsearch_thread_pool_rejected_count{name="node%02d", type=%q}[5m]) > 0.5
        for: 1m
        labels: {severity: warning}`, i, n, pool))
			i++
		}
	}
	for j := range flinkJobs {
		rs = append(rs, fmt.Sprintf(`      - alert: FlinkRestarts%02d
        expr: increase(flink_jobmanager_job_numRestarts{job_name="job%02d"}[10m]) > 0
        labels: {severity: warning}`, j, j))
	}
	alerting = len(rs)
	var b strings.Builder
	b.WriteString("groups:\n")
	for k := 0; k < len(rs); k += 50 {
		fmt.Fprintf(&b, "  - name: alerts-%02d\n    interval: 30s\n    min_interval: 1s\n    rules:\n", k/50)
		for _, r := range rs[k:min(k+50, len(rs))] {
			b.WriteString(r + "\n")
		}
	}
	for k := range 100 {
		if k%20 == 0 {
			fmt.Fprintf(&b, "  - name: forecasts-%d\n    interval: 30s\n    min_interval: 1s\n    rules:\n", k/20)
		}
		fmt.Fprintf(&b, `      - alert: LagForecast%03d
        expr: kafka_consumergroup_lag_sum{consumergroup=~"g%03d|g%03d|g%03d"}
        forecast: {method: theil_sen, threshold: 130000, horizon: 15m, window: 30m, confirm_window: 5m}
        labels: {severity: warning}
        annotations: {summary: "{{ $labels.consumergroup }} reaches 130000 in {{ $eta | humanizeDuration }}"}
`, k, 3*k, 3*k+1, 3*k+2)
		forecasts++
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		return 0, 0, fmt.Errorf("write rule file: %w", err)
	}
	return alerting, forecasts, nil
}
