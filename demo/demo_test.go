package demo

import (
	"context"
	"log/slog"
	"math"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestStallPhase(t *testing.T) {
	const cycle = 10 * time.Second
	tests := []struct {
		name     string
		elapsed  time.Duration
		state    stallState
		progress float64
		left     time.Duration
	}{
		{"start is healthy", 0, stateHealthy, 0, 4 * time.Second},
		{"mid healthy", 2 * time.Second, stateHealthy, 0.5, 2 * time.Second},
		{"slowing starts at forty percent", 4 * time.Second, stateSlowing, 0, 4 * time.Second},
		{"mid slowing", 6 * time.Second, stateSlowing, 0.5, 2 * time.Second},
		{"stalled at eighty percent", 8 * time.Second, stateStalled, 0, 2 * time.Second},
		{"end of stall", 9900 * time.Millisecond, stateStalled, 0.95, 100 * time.Millisecond},
		{"next cycle is healthy again", 10 * time.Second, stateHealthy, 0, 4 * time.Second},
		{"cycles repeat", 36 * time.Second, stateSlowing, 0.5, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state, progress, left := stallPhase(tt.elapsed, cycle)
			if state != tt.state || math.Abs(progress-tt.progress) > 0.001 || left != tt.left {
				t.Errorf("stallPhase(%v) = %v, %.4f, %v; want %v, %.4f, %v",
					tt.elapsed, state, progress, left, tt.state, tt.progress, tt.left)
			}
		})
	}
	if got := slowingCapacity(0); got != 1 {
		t.Errorf("slowingCapacity(0) = %v, want 1", got)
	}
	if got := slowingCapacity(1); math.Abs(got-slowingFloor) > 1e-9 {
		t.Errorf("slowingCapacity(1) = %v, want %v", got, slowingFloor)
	}
}

func TestDiurnal(t *testing.T) {
	const day = time.Hour
	lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
	const steps = 3600
	for i := range steps {
		f := diurnal(time.Duration(i)*day/steps, day, 0.03)
		lo, hi, sum = min(lo, f), max(hi, f), sum+f
	}
	if mean := sum / steps; math.Abs(mean-1) > 0.01 {
		t.Errorf("mean over a day = %.3f, want 1", mean)
	}
	if lo < 0.25 || hi > 1.75 || hi-lo < 1 {
		t.Errorf("day ranges over [%.2f, %.2f], want a wide range within [0.25, 1.75]", lo, hi)
	}
	if f := diurnal(0, day, 0); math.Abs(f-(1+dayHarmonic*math.Sin(1))) > 1e-9 {
		t.Errorf("day starts at %.3f, want its mean plus the harmonic", f)
	}
}

func TestCatalog(t *testing.T) {
	p, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if len(p.Brokers()) != numBrokers {
		t.Errorf("got %d brokers, want %d", len(p.Brokers()), numBrokers)
	}

	mods := p.Modules()
	if len(mods) < 12 {
		t.Errorf("got %d modules, want at least 12", len(mods))
	}
	seen := map[string]string{}
	unique := func(kind, name, module string) {
		t.Helper()
		if prev, ok := seen[kind+" "+name]; ok {
			t.Errorf("%s %q declared by %s and %s", kind, name, prev, module)
		}
		seen[kind+" "+name] = module
	}
	var stalling, jobs int
	var rate float64
	for _, m := range mods {
		unique("module", m.Name, m.Name)
		if m.Owner == "" || m.Description == "" || len(m.Producers) == 0 || len(m.Sinks) == 0 {
			t.Errorf("module %q lacks an owner, description, producer or sink: %+v", m.Name, m)
		}
		if n := len(m.Topics); n < 1 || n > 2 {
			t.Errorf("module %q has %d topics, want 1 or 2", m.Name, n)
		}
		if len(m.Groups) == 0 {
			t.Errorf("module %q has no group", m.Name)
		}
		for _, topic := range m.Topics {
			unique("topic", topic, m.Name)
		}
		for _, g := range m.Groups {
			unique("group", g, m.Name)
		}
		for _, s := range m.Sinks {
			if kind, name, ok := strings.Cut(s, ":"); !ok || name == "" ||
				!slices.Contains([]string{"es", "hbase", "hdfs", "redis"}, kind) {
				t.Errorf("module %q has malformed sink %q", m.Name, s)
			}
		}
		for _, g := range m.JobGroups {
			if !slices.Contains(m.Groups, g) {
				t.Errorf("module %q: job group %q is not among its groups", m.Name, g)
			}
			jobs++
		}
		if m.StallingGroup != "" {
			stalling++
			if m.Name != stallModule || !slices.Contains(m.Groups, m.StallingGroup) || slices.Contains(m.JobGroups, m.StallingGroup) {
				t.Errorf("module %q: stalling group %q must be a live group of %q", m.Name, m.StallingGroup, stallModule)
			}
		}
	}
	if stalling != 1 || jobs < 3 {
		t.Errorf("got %d stalling groups and %d job groups, want 1 and at least 3", stalling, jobs)
	}
	for _, s := range p.specs {
		rate += s.rate
		for _, tp := range s.topics {
			if s.name == stallModule {
				if tp.partitions != 1 {
					t.Errorf("topic %q of the stalling module has %d partitions, want 1", tp.name, tp.partitions)
				}
			} else if tp.partitions < 4 || tp.partitions > 8 {
				t.Errorf("topic %q has %d partitions, want 4 to 8", tp.name, tp.partitions)
			}
		}
	}
	if rate < 500 || rate > 2000 {
		t.Errorf("mean catalog rate %.0f records/s, want 500 to 2,000", rate)
	}

	// Modules returns copies.
	mods[0].Topics[0] = "changed"
	if p.Modules()[0].Topics[0] == "changed" {
		t.Error("Modules shares its slices with the platform")
	}
}

func TestRetentionBytes(t *testing.T) {
	specs := catalog()
	const budget = 32 << 20
	rb := retentionBytes(specs, budget)
	var sum int64
	perRecord := map[string]float64{} // retained bytes per record/s of one partition
	for _, s := range specs {
		for _, tp := range s.topics {
			if rb[tp.name] <= 0 {
				t.Errorf("topic %q gets retention.bytes %d", tp.name, rb[tp.name])
			}
			sum += rb[tp.name] * int64(tp.partitions)
			perRecord[tp.name] = float64(rb[tp.name]) * float64(tp.partitions) / (s.rate * tp.share)
		}
	}
	if sum > budget || sum < budget*99/100 {
		t.Errorf("retention.bytes over all partitions sum to %d, want just under %d", sum, budget)
	}
	// Every topic keeps about the same time span, the stalling one
	// stallWeight times as much.
	base := perRecord["nginx.access.log"]
	for topic, v := range perRecord {
		want := base
		if topic == "hotdog.clicks" {
			want *= stallWeight
		}
		if math.Abs(v/want-1) > 0.01 {
			t.Errorf("topic %q retains %.0f bytes per record/s, want %.0f", topic, v, want)
		}
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"negative stall cycle", Options{StallCycle: -time.Second}, "stall cycle"},
		{"negative rate scale", Options{RateScale: -1}, "rate scale"},
		{"negative day length", Options{DayLength: -time.Hour}, "day length"},
		{"negative commit interval", Options{CommitInterval: -time.Second}, "commit interval"},
		{"negative max log bytes", Options{MaxLogBytes: -1}, "max log bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(tt.opts)
			if err == nil {
				p.Close()
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

// TestPlatform runs the platform with a short stall cycle and checks, with
// an admin client against its brokers, everything pipewatch will watch.
func TestPlatform(t *testing.T) {
	const cycle = 10 * time.Second
	p, err := New(Options{
		Logger:         slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo})),
		StallCycle:     cycle,
		CommitInterval: 250 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 55*time.Second)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- p.Run(ctx) }()

	cl, err := kgo.NewClient(kgo.SeedBrokers(p.Brokers()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)

	var topics, groups, jobs, live []string
	var stallGroup string
	for _, m := range p.Modules() {
		topics = append(topics, m.Topics...)
		groups = append(groups, m.Groups...)
		jobs = append(jobs, m.JobGroups...)
		for _, g := range m.Groups {
			if !slices.Contains(m.JobGroups, g) {
				live = append(live, g)
			}
		}
		if m.StallingGroup != "" {
			stallGroup = m.StallingGroup
		}
	}

	// Every topic exists with its declared partitions.
	details, err := adm.ListTopics(ctx, topics...)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.specs {
		for _, tp := range s.topics {
			if d, ok := details[tp.name]; !ok || d.Err != nil || len(d.Partitions) != int(tp.partitions) {
				t.Errorf("topic %q: got %+v, want %d partitions", tp.name, d, tp.partitions)
			}
		}
	}

	var (
		pending    = map[string]bool{} // conditions not met yet
		stall      stallWatch
		start      = time.Now()
		tick       = time.NewTicker(200 * time.Millisecond)
		checkUntil = time.Now().Add(50 * time.Second)
	)
	defer tick.Stop()
	for _, topic := range topics {
		pending["records in "+topic] = true
	}
	for _, g := range groups {
		pending["commits of "+g] = true
	}
	for _, g := range live {
		pending["members of "+g] = true
	}
	pending["stall of "+stallGroup] = true
	pending["recovery of "+stallGroup] = true

	for len(pending) > 0 {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("run context done, still pending: %v", slices.Sorted(mapKeys(pending)))
		}
		if time.Now().After(checkUntil) {
			t.Fatalf("after %v still pending: %v; stall watch %+v", time.Since(start).Round(time.Second), slices.Sorted(mapKeys(pending)), stall)
		}

		ends, err := adm.ListEndOffsets(ctx, topics...)
		if err != nil {
			t.Fatal(err)
		}
		ends.Each(func(o kadm.ListedOffset) {
			if o.Err == nil && o.Offset > 0 {
				delete(pending, "records in "+o.Topic)
			}
		})

		for g, r := range adm.FetchManyOffsets(ctx, groups...) {
			committed := false
			r.Fetched.Each(func(o kadm.OffsetResponse) { committed = committed || (o.Err == nil && o.At > 0) })
			if committed {
				delete(pending, "commits of "+g)
			}
		}

		described, err := adm.DescribeGroups(ctx, groups...)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range jobs {
			if n := len(described[g].Members); n != 0 {
				t.Fatalf("member-less job group %q has %d members", g, n)
			}
		}
		for _, g := range live {
			if len(described[g].Members) > 0 {
				delete(pending, "members of "+g)
			}
		}

		lags, err := adm.Lag(ctx, stallGroup)
		if err != nil {
			t.Fatal(err)
		}
		l := lags[stallGroup]
		if l.Error() != nil {
			continue
		}
		switch stall.observe(time.Now(), l.Lag, cycle) {
		case "stall":
			t.Logf("stall seen after %v: commits frozen for %v, lag %d", time.Since(start).Round(100*time.Millisecond), stall.frozenFor, stall.peak)
			delete(pending, "stall of "+stallGroup)
		case "recovered":
			t.Logf("recovery seen after %v: lag %d after a peak of %d", time.Since(start).Round(100*time.Millisecond), stall.lag, stall.peak)
			delete(pending, "recovery of "+stallGroup)
		}
	}
	if d := time.Since(start); d > 3*cycle {
		t.Errorf("checks took %v, want under %v", d, 3*cycle)
	}

	// Run returns nil promptly on cancel and closes the cluster.
	cancel()
	stopped := time.Now()
	select {
	case err := <-runErr:
		if err != nil {
			t.Errorf("Run returned %v after cancel, want nil", err)
		}
		if d := time.Since(stopped); d > 5*time.Second {
			t.Errorf("Run took %v to return after cancel", d)
		}
		t.Logf("Run returned %v after cancel", time.Since(stopped).Round(time.Millisecond))
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return within 15s of cancel")
	}
	if err := p.Run(t.Context()); err == nil {
		t.Error("a second Run succeeded")
	}
}

// stallWatch follows the stalling group's lag and commits: it reports
// "stall" once the commits stood still for a sixth of the cycle while lag
// grew, and then "recovered" once lag fell back to at most a quarter of its
// peak with commits moving again.
type stallWatch struct {
	committed   int64 // sum of committed offsets
	changedAt   time.Time
	frozenFor   time.Duration
	lag, peak   int64
	stalled     bool
	recovered   bool
	lagAtFreeze int64
}

func (w *stallWatch) observe(now time.Time, l kadm.GroupLag, cycle time.Duration) string {
	var committed int64
	for _, ps := range l {
		for _, pl := range ps {
			if pl.Commit.At > 0 {
				committed += pl.Commit.At
			}
		}
	}
	w.lag = l.Total()
	w.peak = max(w.peak, w.lag)
	if committed != w.committed || w.changedAt.IsZero() {
		w.committed, w.changedAt, w.lagAtFreeze = committed, now, w.lag
		if w.stalled && !w.recovered && w.peak >= 50 && w.lag <= w.peak/4 {
			w.recovered = true
			return "recovered"
		}
		return ""
	}
	w.frozenFor = now.Sub(w.changedAt)
	if !w.stalled && committed > 0 && w.frozenFor >= cycle/6 && w.lag > w.lagAtFreeze {
		w.stalled = true
		return "stall"
	}
	return ""
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestSoak runs the platform at its default settings for the duration in
// PIPEWATCH_DEMO_SOAK (e.g. "60s") and reports CPU, RSS and log bytes. It is
// skipped unless that variable is set.
func TestSoak(t *testing.T) {
	v := os.Getenv("PIPEWATCH_DEMO_SOAK")
	if v == "" {
		t.Skip("set PIPEWATCH_DEMO_SOAK=<duration> to run")
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(Options{Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	runErr := make(chan error, 1)
	go func() { runErr <- p.Run(ctx) }()

	cl, err := kgo.NewClient(kgo.SeedBrokers(p.Brokers()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	var topics []string
	for _, m := range p.Modules() {
		topics = append(topics, m.Topics...)
	}
	endSum := func() int64 {
		ends, err := adm.ListEndOffsets(ctx, topics...)
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		ends.Each(func(o kadm.ListedOffset) { n += o.Offset })
		return n
	}

	every := min(d, time.Minute)
	if v := os.Getenv("PIPEWATCH_DEMO_SOAK_EVERY"); v != "" {
		if every, err = time.ParseDuration(v); err != nil {
			t.Fatal(err)
		}
	}
	sleep(ctx, 10*time.Second) // warm up: groups join, clients connect
	cpu0, wall0, rec0 := cpuTime(t), time.Now(), endSum()
	for left := d; left > 0; left -= every {
		sleep(ctx, min(left, every))
		var logBytes int64 // once per partition, not per replica as DescribeLogDirs counts
		for _, topic := range topics {
			for _, pi := range p.cluster.PartitionInfos(topic) {
				logBytes += pi.NumBytes
			}
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		cpu, wall := cpuTime(t)-cpu0, time.Since(wall0)
		t.Logf("after %v: cpu %.1f%% of one core, %.0f records/s, rss %s, heap in use %.1f MiB, log bytes %.1f MiB",
			wall.Round(time.Second), 100*cpu.Seconds()/wall.Seconds(), float64(endSum()-rec0)/wall.Seconds(),
			rss(), float64(ms.HeapInuse)/(1<<20), float64(logBytes)/(1<<20))
	}
	if path := os.Getenv("PIPEWATCH_DEMO_SOAK_HEAP"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		if err := pprof.WriteHeapProfile(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	cancel()
	if err := <-runErr; err != nil {
		t.Fatal(err)
	}
}

func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func rss() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
