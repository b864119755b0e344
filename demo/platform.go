package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Defaults of Options.
const (
	// DefaultStallCycle is the default length of the stall cycle.
	DefaultStallCycle = 10 * time.Minute
	// DefaultDayLength is the default period of the diurnal rate curve.
	DefaultDayLength = time.Hour
	// DefaultCommitInterval is how often live members commit by default
	// (Kafka's auto.commit.interval.ms).
	DefaultCommitInterval = 5 * time.Second
	// DefaultMaxLogBytes is the default bound of all partition logs together.
	DefaultMaxLogBytes = 24 << 20
	// MaxInjectedStall is the longest stall Platform.Stall accepts.
	MaxInjectedStall = 30 * time.Minute
)

// stallingCommitInterval is how often the stalling group commits at the
// most: every second, like a consumer with a short auto-commit interval,
// so that a watcher with a short status window tells a stall within
// seconds of it.
const stallingCommitInterval = time.Second

// ErrUnknownGroup is returned by Platform.Stall for a group that is not
// in the catalog.
var ErrUnknownGroup = errors.New("no such consumer group in the demo catalog")

const (
	numBrokers        = 3
	minRetention      = 10 * time.Minute
	retentionInterval = 10 * time.Second
	minSegmentBytes   = 16 << 10
	// stallWeight is how many times its rate the stalling module weighs
	// in the split of MaxLogBytes.
	stallWeight = 6
)

// Options configures a Platform. The zero value is the demo as `--demo`
// runs it.
type Options struct {
	// Logger receives the platform's logs; nil discards them.
	Logger *slog.Logger
	// StallCycle is the length of the stalling consumer's cycle (healthy
	// 50%, slowing 20%, stalled 30%); 0 means DefaultStallCycle. Tests use
	// a few seconds.
	StallCycle time.Duration
	// RateScale multiplies every producer's rate; 0 means 1.
	RateScale float64
	// DayLength is the period of the producers' diurnal rate curve; 0 means
	// DefaultDayLength.
	DayLength time.Duration
	// CommitInterval is how often live group members commit; member-less
	// jobs checkpoint and commit every two intervals. 0 means
	// DefaultCommitInterval.
	CommitInterval time.Duration
	// MaxLogBytes bounds the bytes kept in all partition logs together,
	// through per-partition retention.bytes; 0 means DefaultMaxLogBytes.
	// See the package documentation for the exact bound.
	MaxLogBytes int64
}

// withDefaults validates o and fills in its defaults.
func (o Options) withDefaults() (Options, error) {
	var errs []error
	if o.StallCycle < 0 {
		errs = append(errs, fmt.Errorf("stall cycle %v is negative", o.StallCycle))
	}
	if o.RateScale < 0 {
		errs = append(errs, fmt.Errorf("rate scale %v is negative", o.RateScale))
	}
	if o.DayLength < 0 {
		errs = append(errs, fmt.Errorf("day length %v is negative", o.DayLength))
	}
	if o.CommitInterval < 0 {
		errs = append(errs, fmt.Errorf("commit interval %v is negative", o.CommitInterval))
	}
	if o.MaxLogBytes < 0 {
		errs = append(errs, fmt.Errorf("max log bytes %d is negative", o.MaxLogBytes))
	}
	if err := errors.Join(errs...); err != nil {
		return o, fmt.Errorf("validate demo options: %w", err)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.StallCycle == 0 {
		o.StallCycle = DefaultStallCycle
	}
	if o.RateScale == 0 {
		o.RateScale = 1
	}
	if o.DayLength == 0 {
		o.DayLength = DefaultDayLength
	}
	if o.CommitInterval == 0 {
		o.CommitInterval = DefaultCommitInterval
	}
	if o.MaxLogBytes == 0 {
		o.MaxLogBytes = DefaultMaxLogBytes
	}
	return o, nil
}

// Platform is the demo platform: an in-process Kafka cluster and the modules
// flowing through it. Create it with New and run it once with Run.
type Platform struct {
	opts    Options
	log     *slog.Logger
	specs   []moduleSpec
	cluster *kfake.Cluster
	brokers []string

	ran       atomic.Bool
	closeOnce sync.Once

	stallMu sync.Mutex
	// injected maps a group to the end of a stall injected with Stall.
	injected map[string]time.Time
}

// New starts the Kafka cluster on random ports of 127.0.0.1 and creates the
// topics of every module, with the retention settings that bound memory.
// Producers and consumers start only with Run. If Run is never called, the
// caller must Close the platform.
func New(opts Options) (*Platform, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &Platform{opts: opts, log: opts.Logger, specs: catalog(), injected: map[string]time.Time{}}

	retention := max(minRetention, 2*opts.StallCycle)
	retBytes := retentionBytes(p.specs, opts.MaxLogBytes)
	var partitions int64
	for _, s := range p.specs {
		for _, t := range s.topics {
			partitions += int64(t.partitions)
		}
	}

	p.cluster, err = kfake.NewCluster(
		kfake.NumBrokers(numBrokers),
		kfake.ClusterID("pipewatch-demo"),
		kfake.WithLogger(kfakeLogger{p.log}),
	)
	if err != nil {
		return nil, fmt.Errorf("start demo kafka cluster: %w", err)
	}
	// The producers are idempotent (kgo's default), so pipewatch can
	// observe them with DescribeProducers, as on Kafka 2.8 and later.
	TrackProducers(p.cluster)
	for _, s := range p.specs {
		for _, t := range s.topics {
			rb := retBytes[t.name]
			configs := map[string]string{
				"cleanup.policy":  "delete",
				"retention.ms":    strconv.FormatInt(retention.Milliseconds(), 10),
				"retention.bytes": strconv.FormatInt(rb, 10),
				"segment.bytes":   strconv.FormatInt(max(rb/4, minSegmentBytes), 10),
			}
			if err := p.cluster.CreateTopic(t.name, t.partitions, configs); err != nil {
				p.cluster.Close()
				return nil, fmt.Errorf("create topic %q: %w", t.name, err)
			}
		}
	}
	p.brokers = p.cluster.ListenAddrs()
	p.log.Info("demo kafka cluster started", "brokers", p.brokers, "modules", len(p.specs),
		"partitions", partitions, "retention", retention, "max_log_bytes", opts.MaxLogBytes)
	return p, nil
}

// retentionBytes splits maxBytes over the topics of specs in proportion to
// their record rates, the stalling module's weighted stallWeight times so it
// keeps its backlog, and returns each topic's retention.bytes, which Kafka
// (and kfake) apply per partition.
func retentionBytes(specs []moduleSpec, maxBytes int64) map[string]int64 {
	weight := func(s *moduleSpec, t *topicSpec) float64 {
		w := s.rate * t.share
		for _, g := range s.groups {
			if g.stalls {
				return w * stallWeight
			}
		}
		return w
	}
	var total float64
	for i := range specs {
		for j := range specs[i].topics {
			total += weight(&specs[i], &specs[i].topics[j])
		}
	}
	rb := make(map[string]int64)
	for i := range specs {
		for j := range specs[i].topics {
			t := &specs[i].topics[j]
			rb[t.name] = int64(float64(maxBytes) * weight(&specs[i], t) / total / float64(t.partitions))
		}
	}
	return rb
}

// Brokers returns the seed broker addresses ("127.0.0.1:port") of the
// platform's cluster. They are valid from New until the platform is closed.
func (p *Platform) Brokers() []string {
	return append([]string(nil), p.brokers...)
}

// Modules returns the declared modules, in catalog order. The result is a
// copy the caller may keep and modify.
func (p *Platform) Modules() []Module {
	ms := make([]Module, len(p.specs))
	for i := range p.specs {
		ms[i] = p.specs[i].module()
	}
	return ms
}

// Run runs every producer and consumer until ctx is cancelled, then closes
// all clients (live group members leave their groups) and the cluster, and
// returns nil. Run owns the platform's cleanup: after Run returns the
// platform is closed. It returns an error, after the same cleanup, only if a
// client cannot be created, and errors if called more than once.
func (p *Platform) Run(ctx context.Context) error {
	if p.ran.Swap(true) {
		return errors.New("demo platform: run called more than once")
	}
	defer p.Close()

	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		clients []*kgo.Client
		workers []func(context.Context)
		errs    []error
	)
	closeClients := func() {
		var wg sync.WaitGroup
		for _, cl := range clients {
			wg.Go(cl.Close)
		}
		wg.Wait()
	}
	for i := range p.specs {
		s := &p.specs[i]
		for _, name := range s.producers {
			pr, err := newProducer(p, s, name, start)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			clients = append(clients, pr.cl)
			workers = append(workers, pr.run)
		}
		for _, g := range s.groups {
			if g.job {
				j, err := newJob(p, s, g)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				clients = append(clients, j.cl)
				workers = append(workers, j.run)
				continue
			}
			for m := range max(g.members, 1) {
				c, err := newMember(p, s, g, m, start)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				clients = append(clients, c.cl)
				workers = append(workers, c.run)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		closeClients()
		return fmt.Errorf("start demo clients: %w", err)
	}
	workers = append(workers, p.retain)

	p.log.Info("demo platform running", "producers", countProducers(p.specs), "clients", len(clients),
		"stall_cycle", p.opts.StallCycle, "rate_scale", p.opts.RateScale)
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() { w(ctx) })
	}
	wg.Wait()
	closeClients()
	p.log.Info("demo platform stopped", "uptime", time.Since(start).Round(time.Second))
	return nil
}

// Stall injects a stall into group, a live group or a job group of the
// catalog: from now on, for d, its consumers neither poll nor commit, as in
// the stalled state of the stall cycle. Live members stay in the group and
// keep heartbeating and the producers keep writing, so the lag grows at the
// produce rate while the committed offsets stand still. A call replaces
// any earlier injected stall of the group; d = 0 ends it at once (the
// consumers resume within a second). It returns the time at which the
// stall ends. It is how tests and demonstrations cause a stall on demand instead of
// waiting for the cycle; d must be between 0 and MaxInjectedStall.
func (p *Platform) Stall(group string, d time.Duration) (until time.Time, err error) {
	if d < 0 || d > MaxInjectedStall {
		return time.Time{}, fmt.Errorf("stall of group %q: duration %v is not between 0 and %v", group, d, MaxInjectedStall)
	}
	if !p.hasGroup(group) {
		return time.Time{}, fmt.Errorf("stall of group %q: %w", group, ErrUnknownGroup)
	}
	until = time.Now().Add(d)
	p.stallMu.Lock()
	if d == 0 {
		delete(p.injected, group)
	} else {
		p.injected[group] = until
	}
	p.stallMu.Unlock()
	p.log.Info("stall injected", "group", group, "for", d)
	return until, nil
}

// injectedStall returns the end of the stall injected into group, or the
// zero time if there is none.
func (p *Platform) injectedStall(group string) time.Time {
	p.stallMu.Lock()
	defer p.stallMu.Unlock()
	return p.injected[group]
}

func (p *Platform) hasGroup(group string) bool {
	for _, s := range p.specs {
		for _, g := range s.groups {
			if g.name == group {
				return true
			}
		}
	}
	return false
}

// Close shuts the cluster down. Run closes the platform itself; Close is
// for a platform whose Run was never called. It is safe to call more than
// once and after Run.
func (p *Platform) Close() {
	p.closeOnce.Do(p.cluster.Close)
}

// retain applies the topics' retention every retentionInterval until ctx is
// done, because kfake otherwise applies it only hourly.
func (p *Platform) retain(ctx context.Context) {
	t := time.NewTicker(retentionInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.cluster.ApplyRetention()
		}
	}
}

func countProducers(specs []moduleSpec) int {
	n := 0
	for _, s := range specs {
		n += len(s.producers)
	}
	return n
}

// clientOpts are the options of every client of the platform. Client
// metrics (KIP-714) are off: kfake accepts them, and pushing gzipped
// telemetry from every client was a fifth of all the demo's allocations.
func (p *Platform) clientOpts(clientID string) []kgo.Opt {
	return []kgo.Opt{
		kgo.SeedBrokers(p.brokers...),
		kgo.ClientID(clientID),
		kgo.DisableClientMetrics(),
	}
}

// isCancel reports whether err only says that the work was cancelled or the
// client closed, which is never worth logging as an error.
func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, kgo.ErrClientClosed)
}

// logLimiter lets one message through per interval; it is safe for
// concurrent use.
type logLimiter struct {
	every time.Duration
	next  atomic.Int64 // unix nanoseconds
}

func (l *logLimiter) allow() bool {
	now := time.Now().UnixNano()
	next := l.next.Load()
	return now >= next && l.next.CompareAndSwap(next, now+int64(l.every))
}

// kfakeLogger adapts the cluster's logs to slog: its errors become warnings
// and its warnings debug messages (they are mostly disconnecting clients);
// its info and debug chatter, one line per request, is dropped.
type kfakeLogger struct{ l *slog.Logger }

func (k kfakeLogger) Logf(level kfake.LogLevel, format string, args ...any) {
	var lvl slog.Level
	switch level {
	case kfake.LogLevelError:
		lvl = slog.LevelWarn
	case kfake.LogLevelWarn:
		lvl = slog.LevelDebug
	default:
		return
	}
	if !k.l.Enabled(context.Background(), lvl) {
		return
	}
	k.l.Log(context.Background(), lvl, "demo kafka broker", "detail", fmt.Sprintf(format, args...))
}
