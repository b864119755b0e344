package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipewatch/pipewatch/collector"
)

// Options are a Collector's dependencies.
type Options struct {
	// Logger receives the collector's logs; nil discards them. The
	// collector adds target="kafka/<name>".
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now. It stamps the
	// end-offset histories and drives the status window.
	Now func() time.Time
	// Dialer, if set, opens the connections to the brokers instead of the
	// system's dialer (tests pass kfake's VirtualNetwork.DialContext).
	// TLS, when enabled, is layered on top of it.
	Dialer DialFunc
}

// Collector collects the offsets, lag and consumer status of one Kafka
// cluster. Create it with New; it implements collector.Collector and
// io.Closer. Collect must not be called concurrently with itself; Close
// stops the collector's background goroutines and closes its clients.
type Collector struct {
	cfg    Config
	logger *slog.Logger
	now    func() time.Time
	dial   DialFunc
	kopts  []kgo.Opt
	d      *descs
	// cl and adm are created by the first Collect.
	cl  *kgo.Client
	adm *kadm.Client

	// Background goroutines (slow path, probe), started by the first
	// Collect and stopped by Close.
	bgCtx    context.Context
	bgCancel context.CancelFunc
	wg       sync.WaitGroup
	lifeMu   sync.Mutex
	started  bool
	closed   bool
	startErr error

	// The slow path publishes snapshots here.
	snapMu      sync.Mutex
	snap        *snapshot
	ready       chan struct{} // closed once the first snapshot is published
	readyOnce   sync.Once
	refreshSoon chan struct{}
	topicIDs    atomic.Value // map[[16]byte]string
	// producersUnsupported is set, by the slow path, once it has logged
	// that no broker supports DescribeProducers.
	producersUnsupported bool

	// History anchors: requested by the fast path, fetched by the slow
	// path, merged by the fast path.
	anchorMu     sync.Mutex
	anchorReq    map[topicPartition]anchorNeed
	anchors      []anchor
	anchorWanted chan struct{}

	probe *prober // nil unless the probe is enabled

	// Fast-path state, owned by Collect.
	round      uint64
	topics     map[string]*topicState
	groups     map[string]*groupState
	partLabels []string
	sb         labels.ScratchBuilder
}

// New returns a Collector for the cluster cfg describes. Zero settings take
// their defaults (see Config), so a Config with a Name and Brokers is
// enough. New validates the configuration and reads the TLS files and the
// SASL password; it starts nothing and connects to nothing, so a collector
// that is never used needs no Close. The first Collect creates the Kafka
// client and starts the background work.
func New(cfg *Config, opts Options) (*Collector, error) {
	if cfg == nil {
		return nil, errors.New("create kafka collector: no configuration")
	}
	full := cfg.withDefaults()
	if err := full.Validate(); err != nil {
		return nil, fmt.Errorf("validate kafka cluster %q: %w", cfg.Name, err)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("target", "kafka/"+full.Name)
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	kopts, err := clientOpts(&full, opts.Dialer, logger)
	if err != nil {
		return nil, fmt.Errorf("configure kafka cluster %q: %w", full.Name, err)
	}
	c := &Collector{
		cfg:          full,
		logger:       logger,
		now:          now,
		dial:         opts.Dialer,
		kopts:        kopts,
		d:            newDescs(),
		ready:        make(chan struct{}),
		refreshSoon:  make(chan struct{}, 1),
		anchorWanted: make(chan struct{}, 1),
		topics:       map[string]*topicState{},
		groups:       map[string]*groupState{},
	}
	c.bgCtx, c.bgCancel = context.WithCancel(context.Background())
	if full.Probe.Enabled {
		c.probe = newProber(c, kopts)
	}
	return c, nil
}

// errClosed is returned by Collect after Close.
var errClosed = errors.New("kafka collector is closed")

// start creates the Kafka client and starts the background goroutines,
// once. They are created here rather than in New because a kgo client runs
// goroutines of its own, and a configuration reload builds collectors for
// unchanged targets too, which are then dropped without being closed.
func (c *Collector) start() error {
	c.lifeMu.Lock()
	defer c.lifeMu.Unlock()
	switch {
	case c.closed:
		return errClosed
	case c.started:
		return c.startErr
	}
	c.started = true
	cl, err := kgo.NewClient(c.kopts...)
	if err != nil {
		c.startErr = fmt.Errorf("create client for kafka cluster %q: %w", c.cfg.Name, err)
		return c.startErr
	}
	c.cl = cl
	c.adm = kadm.NewClient(cl)
	c.adm.SetTimeoutMillis(int32(time.Duration(c.cfg.CollectTimeout).Milliseconds()))
	c.wg.Go(func() { c.metadataLoop(c.bgCtx) })
	if c.probe != nil {
		c.wg.Go(func() { c.probe.run(c.bgCtx) })
	}
	return nil
}

// Close stops the slow path and the probe and closes the Kafka clients. It
// is safe to call more than once.
func (c *Collector) Close() error {
	c.lifeMu.Lock()
	if c.closed {
		c.lifeMu.Unlock()
		return nil
	}
	c.closed = true
	c.lifeMu.Unlock()
	c.bgCancel()
	c.wg.Wait()
	if c.cl != nil {
		c.cl.Close()
	}
	return nil
}

// currentSnapshot returns the latest published snapshot.
func (c *Collector) currentSnapshot() *snapshot {
	c.snapMu.Lock()
	defer c.snapMu.Unlock()
	return c.snap
}

// Collect runs one fast-path round: committed offsets of every group and
// end offsets of every partition, fetched concurrently and batched per
// broker, then lag, time lag and status, appended to b together with the
// latest slow-path data. The first call starts the slow path and waits
// (within ctx) for its first result.
//
// It returns a *collector.PartialError when some brokers, groups or
// partitions failed but the rest was collected, and a plain error when
// nothing could be (no metadata, or no end offsets at all).
func (c *Collector) Collect(ctx context.Context, b *collector.Batch) error {
	if err := c.start(); err != nil {
		return err
	}
	select {
	case <-c.ready:
	case <-ctx.Done():
		return fmt.Errorf("wait for first metadata of kafka cluster %q: %w", c.cfg.Name, ctx.Err())
	}
	snap := c.currentSnapshot()
	if snap.fatal {
		return fmt.Errorf("read metadata of kafka cluster %q: %w", c.cfg.Name, snap.err)
	}
	c.round++
	now := c.now()
	nowMs := now.UnixMilli()
	c.mergeAnchors(snap)

	for _, f := range c.d.all() {
		b.Describe(f.Name(), f.Metadata())
	}
	if snap.producers != nil {
		b.Describe(c.d.topicProducers.Name(), c.d.topicProducers.Metadata())
		b.Describe(c.d.topicProducerLast.Name(), c.d.topicProducerLast.Metadata())
	}
	r := &round{c: c, b: b, snap: snap, now: nowMs, expiry: time.Duration(c.cfg.LagExpiry).Milliseconds()}
	r.errs.Max = maxRoundErrors
	rctx, cancel := requestContext(ctx)
	defer cancel()
	var (
		wg      sync.WaitGroup
		okParts int
		fetched []kgo.ResponseShard
	)
	wg.Go(func() { okParts = r.listEnds(rctx) })
	if len(snap.groupNames) > 0 {
		wg.Go(func() { fetched = c.cl.RequestSharded(rctx, snap.offsetsReq) })
	}
	wg.Wait()
	if okParts == 0 && len(snap.topicNames) > 0 {
		if err := r.err(); err != nil {
			return fmt.Errorf("list end offsets: no partition answered: %w", err)
		}
	}
	r.topics()
	r.groups(fetched)
	c.sweep(snap)
	c.requestAnchors(snap)

	cl := c.cfg.Name
	b.Emit(c.d.brokers.Desc, float64(snap.brokers), cl)
	b.Emit(c.d.metadataAge.Desc, max(now.Sub(snap.at), 0).Seconds(), cl)
	if c.probe != nil {
		c.probe.emit(b, &c.sb)
	}
	return collector.Partial(errors.Join(snap.err, r.err()))
}

// requestContext bounds the fast path's requests to nine tenths of the
// time ctx leaves, so that a hanging broker still leaves time to report
// what the others answered.
func requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, time.Until(dl)*9/10)
}
