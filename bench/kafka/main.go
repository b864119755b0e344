// Command kafka measures the Kafka lag collector against a kfake cluster
// seeded with the scale profiles of ../shared/design/scale-profiles.md:
//
//	ctrip:   1,300 topics x 8 partitions, 300 groups
//	stretch: 5,000 topics x 8 partitions, 1,000 groups
//
// A tenth of the groups have live members (half of those use the KIP-848
// consumer protocol); the rest only commit offsets, as Flink, Spark and
// Storm jobs do. Every topic is read by one group, every fourth by a second
// one, and every partition holds a few records and lags by one or two.
//
// The cluster runs in a child process (this program started again with
// -serve), so that the figures are pipewatch's alone. For each profile the
// program prints the duration of one full fast-path round (committed
// offsets of all groups, end offsets of all partitions, lag, time lag and
// status computed and appended to a batch), the Go heap, and the CPU
// that collecting every second costs: the collector alone, and the whole
// ingest path (collector Manager into the embedded TSDB).
//
// It also runs ten rounds through a collector Manager whose storage keeps
// nothing (the batch is then reused between rounds, as in production, and
// the heap includes the Manager's series cache).
//
// With -producers N every partition is also written by N idempotent
// producers and the collector counts them (producers: true); the first
// round then includes the DescribeProducers requests of the first
// metadata refresh.
//
//	go run ./bench/kafka [-profiles ctrip,stretch] [-rounds 21] [-sustain 60s] [-producers 0] [-cpuprofile f] [-memprofile f]
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/kafka"
	"github.com/pipewatch/pipewatch/demo"
	"github.com/pipewatch/pipewatch/internal/benchutil"
	"github.com/pipewatch/pipewatch/storage"
)

// profile is a benchmark profile of scale-profiles.md.
type profile struct {
	name       string
	topics     int
	partitions int32
	groups     int
}

// profiles are the Kafka rows of the benchmark profiles.
func profiles() []profile {
	return []profile{
		{"small", 20, 4, 10},
		{"ctrip", 1300, 8, 300},
		{"stretch", 5000, 8, 1000},
	}
}

func main() { os.Exit(run()) }

// Profiling output files and the producers per partition, set by flags; a
// program-level setting like the flags themselves.
var (
	cpuProfile, memProfile string
	producers              int
)

func run() int {
	serve := flag.String("serve", "", "internal: run and seed the cluster of this profile, print its brokers, wait for stdin to close")
	flag.IntVar(&producers, "producers", 0, "when > 0: every partition is written by this many idempotent producers, the cluster answers DescribeProducers for them (demo.TrackProducers), and the collector runs with producers: true")
	names := flag.String("profiles", "ctrip,stretch", "profiles to measure, comma-separated (small, ctrip, stretch)")
	rounds := flag.Int("rounds", 21, "measured fast-path rounds per profile (after 2 warm-up rounds)")
	sustain := flag.Duration("sustain", time.Minute, "how long to collect every second through the Manager into the TSDB (0 skips)")
	sustainProfile := flag.String("sustain-profile", "ctrip", "profile of the sustained run")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the measured rounds of the first profile to this file")
	flag.StringVar(&memProfile, "memprofile", "", "write an allocation profile of the measured rounds of the first profile to this file")
	flag.Parse()
	if memProfile != "" {
		runtime.MemProfileRate = 64 << 10
	}

	if *serve != "" {
		if err := serveCluster(*serve); err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
			return 1
		}
		return 0
	}
	fmt.Printf("# kafka collector benchmark, %s, GOMAXPROCS=%d, %d CPUs\n", runtime.Version(), runtime.GOMAXPROCS(0), runtime.NumCPU())
	for _, name := range strings.Split(*names, ",") {
		p, ok := findProfile(name)
		if !ok {
			fmt.Fprintf(os.Stderr, "unknown profile %q\n", name)
			return 2
		}
		if err := measure(p, *rounds, *sustain, name == *sustainProfile); err != nil {
			fmt.Fprintf(os.Stderr, "profile %s: %v\n", name, err)
			return 1
		}
	}
	return 0
}

func findProfile(name string) (profile, bool) {
	for _, p := range profiles() {
		if p.name == name {
			return p, true
		}
	}
	return profile{}, false
}

// cluster is a running child process serving a seeded kfake cluster.
type cluster struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	brokers []string
	seeded  time.Duration
}

// startCluster starts this program with -serve and waits for its brokers.
func startCluster(p profile) (*cluster, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find executable: %w", err)
	}
	cmd := exec.Command(exe, "-serve", p.name, "-producers", strconv.Itoa(producers))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("pipe to cluster: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("pipe from cluster: %w", err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start cluster: %w", err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("read cluster brokers: %w", err)
	}
	brokers, ok := strings.CutPrefix(strings.TrimSpace(line), "ready ")
	if !ok {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("unexpected cluster output %q", line)
	}
	return &cluster{cmd: cmd, stdin: stdin, brokers: strings.Split(brokers, ","), seeded: time.Since(start)}, nil
}

// stop ends the child by closing its stdin and waits for it.
func (c *cluster) stop() {
	_ = c.stdin.Close()
	_ = c.cmd.Wait()
}

// measure prints the figures of one profile.
func measure(p profile, rounds int, sustain time.Duration, sustained bool) error {
	cl, err := startCluster(p)
	if err != nil {
		return err
	}
	defer cl.stop()
	fmt.Printf("\n## profile %s: %d topics x %d partitions = %d partitions, %d groups (cluster seeded in %v)\n",
		p.name, p.topics, p.partitions, p.topics*int(p.partitions), p.groups, cl.seeded.Round(time.Millisecond))

	cfg := &kafka.Config{
		Name:    p.name,
		Brokers: cl.brokers,
		// Retries may use the whole timeout: measure, do not cut short.
		CollectInterval:  model.Duration(10 * time.Second),
		CollectTimeout:   model.Duration(10 * time.Second),
		MetadataInterval: model.Duration(30 * time.Second),
		Producers:        producers > 0,
	}
	if err := directRounds(cfg, rounds); err != nil {
		return err
	}
	if err := managerRun(cfg, 10); err != nil {
		return err
	}
	if sustained && sustain > 0 {
		return sustainRun(cfg, sustain)
	}
	return nil
}

// directRounds runs rounds fast-path rounds of a new collector into one
// reused batch (as the Manager reuses its batch) and prints their
// duration, CPU and heap.
func directRounds(cfg *kafka.Config, rounds int) error {
	col, err := kafka.New(cfg, kafka.Options{})
	if err != nil {
		return err
	}
	defer col.Close()

	baseHeap := heapAfterGC()
	b := collector.NewBatch()
	collect := func() (time.Duration, *collector.Batch, error) {
		b.Reset()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		err := col.Collect(ctx, b)
		return time.Since(start), b, err
	}
	first, fb, err := collect()
	if err != nil {
		return fmt.Errorf("first round: %w", err)
	}
	topicsWithProducers := 0
	fb.Each(func(l labels.Labels, _ int64, v float64) {
		if l.Get(model.MetricNameLabel) == "kafka_topic_producers" && v > 0 {
			topicsWithProducers++
		}
	})
	if _, _, err := collect(); err != nil {
		return fmt.Errorf("warm-up round: %w", err)
	}

	var (
		durs    []time.Duration
		samples int
		peak    atomic.Uint64
		done    = make(chan struct{})
		wg      sync.WaitGroup
	)
	wg.Go(func() { samplePeakHeap(&peak, done) })
	stopProfiles := startProfiles()
	cpu0, alloc0 := benchutil.CPUTime(), allocated()
	for range rounds {
		d, b, err := collect()
		if err != nil {
			close(done)
			wg.Wait()
			return fmt.Errorf("round: %w", err)
		}
		durs = append(durs, d)
		samples = b.Len()
		time.Sleep(200 * time.Millisecond) // rounds are a second apart in production
	}
	cpuPerRound := (benchutil.CPUTime() - cpu0) / time.Duration(rounds)
	allocPerRound := (allocated() - alloc0) / uint64(rounds)
	stopProfiles()
	close(done)
	wg.Wait()
	liveHeap := heapAfterGC()

	slices.Sort(durs)
	fmt.Printf("first round (waits for the first metadata refresh): %v\n", first.Round(time.Millisecond))
	if cfg.Producers {
		fmt.Printf("producers: true; %d topics with active producers in the first round\n", topicsWithProducers)
	}
	fmt.Printf("fast-path round over %d rounds: median %v, p90 %v, max %v; %d samples per round\n",
		rounds, durs[len(durs)/2].Round(100*time.Microsecond), durs[len(durs)*9/10].Round(100*time.Microsecond),
		durs[len(durs)-1].Round(100*time.Microsecond), samples)
	fmt.Printf("collector CPU per round: %v (%.1f%% of one core at a 1s interval)\n",
		cpuPerRound.Round(100*time.Microsecond), 100*cpuPerRound.Seconds())
	fmt.Printf("Go heap: peak %.1f MB while collecting (sampled every 2ms), live %.1f MB after GC (%.1f MB before the collector started); %.1f MB allocated per round\n",
		mb(peak.Load()), mb(liveHeap), mb(baseHeap), mb(allocPerRound))
	return nil
}

// discard is a storage transaction that keeps nothing.
type discard struct{}

func (discard) Append(ref uint64, _ labels.Labels, _ int64, _ float64) (uint64, error) {
	return ref, nil
}
func (discard) Commit() error   { return nil }
func (discard) Rollback() error { return nil }

// managerRun runs a new collector for rounds rounds through a collector
// Manager, every second, into a storage that keeps nothing: the collection
// path of pipewatch with its batch reused between rounds, as in
// production. It prints the round durations and the Go heap, which here
// includes the Manager's series cache.
func managerRun(cfg *kafka.Config, rounds int) error {
	base := heapAfterGC()
	tcfg := *cfg
	tcfg.CollectInterval = model.Duration(time.Second)
	tcfg.CollectTimeout = model.Duration(time.Second)
	col, err := kafka.New(&tcfg, kafka.Options{})
	if err != nil {
		return err
	}
	var (
		mu   sync.Mutex
		durs []time.Duration
		done = make(chan struct{})
	)
	timed := collector.CollectorFunc(func(ctx context.Context, b *collector.Batch) error {
		start := time.Now()
		err := col.Collect(ctx, b)
		mu.Lock()
		durs = append(durs, time.Since(start))
		n := len(durs)
		mu.Unlock()
		if n == rounds+2 {
			close(done)
		}
		return err
	})
	m := collector.NewManager(collector.Options{
		Appender: func(context.Context) collector.Appender { return discard{} },
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	m.ApplyTargets([]collector.Target{{
		Job: "kafka/" + cfg.Name, Instance: cfg.Instance(), Interval: time.Second, Timeout: time.Second, Collector: timed,
	}})
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan struct{})
	go func() { _ = m.Run(ctx); close(runDone) }()
	var peak atomic.Uint64
	sampleDone := make(chan struct{})
	var wg sync.WaitGroup
	<-m.FirstRoundDone()
	wg.Go(func() { samplePeakHeap(&peak, sampleDone) })
	select {
	case <-done:
	case <-time.After(time.Duration(rounds+30) * time.Second):
	}
	close(sampleDone)
	wg.Wait()
	live := heapAfterGC()
	cancel()
	<-runDone
	_ = col.Close()
	mu.Lock()
	defer mu.Unlock()
	measured := slices.Clone(durs[min(2, len(durs)):])
	if len(measured) == 0 {
		return errors.New("manager run: no rounds")
	}
	slices.Sort(measured)
	fmt.Printf("through the Manager (batch reused, storage discarding), %d rounds at 1s: median %v, max %v; Go heap peak %.1f MB, live %.1f MB after GC, both incl. the Manager's series cache (%.1f MB before)\n",
		len(measured), measured[len(measured)/2].Round(100*time.Microsecond), measured[len(measured)-1].Round(100*time.Microsecond), mb(peak.Load()), mb(live), mb(base))
	return nil
}

// sustainRun collects every second through a collector Manager into a
// temporary TSDB for d and prints the CPU used, as a share of one core.
func sustainRun(cfg *kafka.Config, d time.Duration) error {
	dir, err := os.MkdirTemp("", "pipewatch-bench-kafka")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := storage.Open(dir, storage.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	tcfg := *cfg
	tcfg.CollectInterval = model.Duration(time.Second)
	tcfg.CollectTimeout = model.Duration(time.Second)
	col, err := kafka.New(&tcfg, kafka.Options{Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return err
	}
	var commits atomic.Int64
	m := collector.NewManager(collector.Options{
		Appender: func(ctx context.Context) collector.Appender { return st.Appender(ctx) },
		OnCommit: func(string, int64) { commits.Add(1) },
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	m.ApplyTargets([]collector.Target{{
		Job: "kafka/" + cfg.Name, Instance: cfg.Instance(),
		Interval: time.Second, Timeout: time.Second, Collector: col,
	}})
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan struct{})
	go func() { _ = m.Run(ctx); close(runDone) }()
	select {
	case <-m.FirstRoundDone():
	case <-time.After(30 * time.Second):
		cancel()
		<-runDone
		return errors.New("sustained run: no first round within 30s")
	}
	time.Sleep(3 * time.Second) // past the first metadata refresh
	c0, n0, w0 := benchutil.CPUTime(), commits.Load(), time.Now()
	time.Sleep(d)
	c1, n1, w1 := benchutil.CPUTime(), commits.Load(), time.Now()
	cancel()
	<-runDone
	cpu := c1 - c0
	wall := w1.Sub(w0)
	fmt.Printf("sustained 1s interval for %v (Manager + TSDB, %d series): %d rounds committed, CPU %.1f%% of one core\n",
		wall.Round(time.Second), st.NumSeries(), n1-n0, 100*cpu.Seconds()/wall.Seconds())
	return nil
}

// startProfiles starts the profiles the flags ask for, once, and returns
// the function that writes them.
func startProfiles() (stop func()) {
	if cpuProfile == "" && memProfile == "" {
		return func() {}
	}
	var f *os.File
	if cpuProfile != "" {
		var err error
		if f, err = os.Create(cpuProfile); err == nil {
			_ = pprof.StartCPUProfile(f)
		}
	}
	cpu, mem := cpuProfile, memProfile
	cpuProfile, memProfile = "", ""
	return func() {
		if cpu != "" && f != nil {
			pprof.StopCPUProfile()
			_ = f.Close()
		}
		if mem != "" {
			runtime.GC() // so that the in-use figures are the live heap
			if mf, err := os.Create(mem); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(mf, 0)
				_ = mf.Close()
			}
		}
	}
}

// samplePeakHeap records the largest heap object size seen until done.
func samplePeakHeap(peak *atomic.Uint64, done <-chan struct{}) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		metrics.Read(s)
		if v := s[0].Value.Uint64(); v > peak.Load() {
			peak.Store(v)
		}
	}
}

func heapAfterGC() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// allocated returns the bytes allocated on the heap so far.
func allocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

// cpuTime returns the user plus system CPU time of this process.

// serveCluster runs a kfake cluster seeded with profile name until stdin
// closes: topics with a few records per partition, groups' committed
// offsets (written with kadm, not by consuming), and live members for a
// tenth of the groups.
func serveCluster(name string) error {
	p, ok := findProfile(name)
	if !ok {
		return fmt.Errorf("unknown profile %q", name)
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.ClusterID("bench-"+name))
	if err != nil {
		return err
	}
	defer c.Close()
	if producers > 0 {
		demo.TrackProducers(c)
	}
	topics := make([]string, p.topics)
	for i := range topics {
		topics[i] = fmt.Sprintf("app-%04d.events", i)
		if err := c.CreateTopic(topics[i], p.partitions, nil); err != nil {
			return err
		}
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.MaxBufferedRecords(1<<20))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx := context.Background()
	const records = 3
	var produceErr atomic.Value
	for _, t := range topics {
		for part := range p.partitions {
			for range records {
				cl.Produce(ctx, &kgo.Record{Topic: t, Partition: part, Value: []byte(`{"ts":0}`)}, func(_ *kgo.Record, err error) {
					if err != nil {
						produceErr.Store(err)
					}
				})
			}
		}
	}
	if err := cl.Flush(ctx); err != nil {
		return err
	}
	// With -producers N, N-1 more producers (clients, so producer ids)
	// write one record to every partition.
	for range producers - 1 {
		pcl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...),
			kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.MaxBufferedRecords(1<<20))
		if err != nil {
			return err
		}
		for _, t := range topics {
			for part := range p.partitions {
				pcl.Produce(ctx, &kgo.Record{Topic: t, Partition: part, Value: []byte(`{"ts":0}`)}, func(_ *kgo.Record, err error) {
					if err != nil {
						produceErr.Store(err)
					}
				})
			}
		}
		err = pcl.Flush(ctx)
		pcl.Close()
		if err != nil {
			return err
		}
	}
	if err, _ := produceErr.Load().(error); err != nil {
		return fmt.Errorf("produce: %w", err)
	}

	// Topics per group: topic j is read by group j%G, every fourth also by
	// group (j+1)%G.
	groupTopics := make([][]string, p.groups)
	for j, t := range topics {
		g := j % p.groups
		groupTopics[g] = append(groupTopics[g], t)
		if j%4 == 0 {
			groupTopics[(g+1)%p.groups] = append(groupTopics[(g+1)%p.groups], t)
		}
	}
	adm := kadm.NewClient(cl)
	var members []*kgo.Client
	defer func() {
		for _, m := range members {
			m.Close()
		}
	}()
	for g, ts := range groupTopics {
		group := fmt.Sprintf("group-%04d", g)
		if g%10 == 0 { // live members, half of them KIP-848
			opts := []kgo.Opt{
				kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(ts...),
				kgo.ClientID("member-" + strconv.Itoa(g)), kgo.DisableAutoCommit(),
				kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			}
			if g%20 == 0 {
				opts = append(opts, kgo.ServerSideBalancer())
			}
			m, err := kgo.NewClient(opts...)
			if err != nil {
				return err
			}
			members = append(members, m)
			go func() {
				for {
					fs := m.PollFetches(ctx)
					if fs.IsClientClosed() {
						return
					}
					if fs.NumRecords() > 0 {
						_ = m.CommitUncommittedOffsets(ctx)
					}
				}
			}()
			continue
		}
		os := kadm.Offsets{}
		for _, t := range ts {
			for part := range p.partitions {
				os.Add(kadm.Offset{Topic: t, Partition: part, At: int64(1 + (g+int(part))%2), LeaderEpoch: -1})
			}
		}
		if err := adm.CommitAllOffsets(ctx, group, os); err != nil {
			return fmt.Errorf("commit offsets of %s: %w", group, err)
		}
	}
	// Wait until the live groups have read and committed their records.
	deadline := time.Now().Add(2 * time.Minute)
	for g := 0; g < p.groups; g += 10 {
		group := fmt.Sprintf("group-%04d", g)
		for time.Now().Before(deadline) {
			if os, err := adm.FetchOffsets(ctx, group); err == nil && len(os) > 0 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	fmt.Println("ready " + strings.Join(c.ListenAddrs(), ","))
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}
