package container

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	info "github.com/google/cadvisor/info/v1"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pipewatch/pipewatch/collector"
)

// Options are the Collector's dependencies.
type Options struct {
	// Logger receives housekeeping problems; nil discards them.
	Logger *slog.Logger
	// Registerer receives the pipewatch_container_* self-metrics
	// (housekeeping duration, cgroups read, read errors); nil means none.
	Registerer prometheus.Registerer
	// Now returns the current time, for container_last_seen and the
	// staleness check; nil means time.Now. Housekeeping itself always runs
	// on the real clock.
	Now func() time.Time
}

// snapshot is the outcome of one housekeeping round. It is immutable once
// published.
type snapshot struct {
	// at is when the round finished.
	at time.Time
	// containers are the cgroups read, sorted by name.
	containers []entry
	version    info.VersionInfo
	// machine is the machine description taken at start, for the
	// machine families; nil exports none.
	machine *info.MachineInfo
	// err is what went wrong for some cgroups (the round is partial).
	err error
	// fatal is set when the round could not read the hierarchy at all.
	fatal error
}

// entry is one cgroup of a round: its identity and spec, shared by the
// rounds between two discoveries (its Stats field is not used), and the
// statistics read in the round, nil when they could not be read.
type entry struct {
	info  *info.ContainerInfo
	stats *info.ContainerStats
}

// Collector exports the statistics of the latest housekeeping round. It
// implements collector.Collector and io.Closer. Like every collector, it
// expects one Collect at a time (the Manager never overlaps them); Close
// may be called at any time.
type Collector struct {
	opts  Options
	kinds kindSet
	// stale is how old the latest round may be before Collect fails.
	stale time.Duration

	latest atomic.Pointer[snapshot]
	ready  chan struct{} // closed when the first round is published
	once   sync.Once

	// housekeep runs housekeeping until its context is done; nil when the
	// collector has none (tests). It is started by the first Collect.
	housekeep func(ctx context.Context)
	mu        sync.Mutex
	started   bool
	closed    bool
	cancel    context.CancelFunc
	done      chan struct{} // closed when started housekeeping has stopped

	emitter emitter
	metrics *metrics
}

// newCollector returns a Collector for cfg that has not started
// housekeeping yet.
func newCollector(cfg *Config, opts Options) (*Collector, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	kinds := parseKinds(cfg.Metrics)
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	return &Collector{
		opts:    opts,
		kinds:   kinds,
		stale:   3*time.Duration(cfg.housekeepingInterval()) + time.Duration(cfg.CollectTimeout),
		ready:   make(chan struct{}),
		done:    make(chan struct{}),
		emitter: emitter{kinds: kinds},
		metrics: m,
	}, nil
}

// publish makes s the latest round.
func (c *Collector) publish(s *snapshot) {
	c.latest.Store(s)
	c.once.Do(func() { close(c.ready) })
}

// start starts housekeeping unless it runs already; it reports false
// once the collector is closed.
func (c *Collector) start() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	if !c.started && c.housekeep != nil {
		c.started = true
		ctx, cancel := context.WithCancel(context.Background())
		c.cancel = cancel
		go func() {
			defer close(c.done)
			c.housekeep(ctx)
		}()
	}
	return true
}

// Collect adds the latest housekeeping round to b. The first Collect
// starts housekeeping, so that a collector that is never run holds no
// goroutine; it never reads cgroups itself, and before the first round has
// finished it waits for it, as long as ctx allows. A round in which some
// cgroups could not be read gives a *collector.PartialError with the
// others; a round that could not read the hierarchy at all, or a latest
// round older than three housekeeping intervals (housekeeping is stuck),
// gives an error.
func (c *Collector) Collect(ctx context.Context, b *collector.Batch) error {
	errClosed := errors.New("collect container metrics: collector is closed")
	if !c.start() {
		return errClosed
	}
	select {
	case <-c.ready:
	case <-c.done:
		return errClosed
	case <-ctx.Done():
		return fmt.Errorf("wait for the first cgroup housekeeping round: %w", ctx.Err())
	}
	s := c.latest.Load()
	if s.fatal != nil {
		return fmt.Errorf("read cgroups: %w", s.fatal)
	}
	now := c.opts.Now()
	if age := now.Sub(s.at); age > c.stale {
		return fmt.Errorf("read cgroups: latest housekeeping round finished %s ago", age.Round(time.Millisecond))
	}
	c.emitter.emit(b, s, now)
	return collector.Partial(s.err)
}

// Close stops housekeeping, if it started, and waits for it to finish.
// Collect fails after Close. It is safe to call more than once.
func (c *Collector) Close() error {
	c.mu.Lock()
	c.closed = true
	started := c.started
	if started {
		c.cancel()
	}
	c.mu.Unlock()
	if started {
		<-c.done
	}
	return nil
}
