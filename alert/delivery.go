package alert

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/pipewatch/pipewatch/alert/notify"
)

// maxInflight bounds the concurrent attempts of one integration. Attempts
// for the same group never overlap, so notifications of a group arrive in
// the order they were queued.
const maxInflight = 4

// deliverer delivers the outbox entries of one integration: retries with
// exponential backoff and jitter (at least Retry-After when the peer asks),
// a total retry budget, a per-attempt timeout and a circuit breaker; what it
// gives up on goes to the receiver's fallback.
type deliverer struct {
	m    *Manager
	wake chan struct{}

	mu        sync.Mutex
	in        *integration
	queue     []*outboxEntry // by Seq
	inflight  map[string]bool
	failures  int // consecutive failed attempts
	openUntil time.Time
	probing   bool
	cancel    context.CancelFunc
	stopped   bool
}

func newDeliverer(m *Manager, in *integration) *deliverer {
	return &deliverer{m: m, in: in, wake: make(chan struct{}, 1), inflight: map[string]bool{}}
}

func (d *deliverer) integration() *integration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.in
}

func (d *deliverer) setIntegration(in *integration) {
	d.mu.Lock()
	d.in = in
	d.mu.Unlock()
	d.signal()
}

func (d *deliverer) signal() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *deliverer) enqueue(es ...*outboxEntry) {
	d.mu.Lock()
	for _, e := range es {
		i, _ := slices.BinarySearchFunc(d.queue, e.Seq, func(x *outboxEntry, seq uint64) int {
			switch {
			case x.Seq < seq:
				return -1
			case x.Seq > seq:
				return 1
			}
			return 0
		})
		d.queue = slices.Insert(d.queue, i, e)
	}
	n := len(d.queue)
	in := d.in
	d.mu.Unlock()
	d.m.metrics.queue.WithLabelValues(in.receiver, in.name).Set(float64(n))
	d.signal()
}

// remove takes e out of the queue. The caller holds d.mu.
func (d *deliverer) remove(e *outboxEntry) {
	if i := slices.Index(d.queue, e); i >= 0 {
		d.queue = slices.Delete(d.queue, i, i+1)
	}
	if !d.stopped {
		d.m.metrics.queue.WithLabelValues(d.in.receiver, d.in.name).Set(float64(len(d.queue)))
	}
}

// stop makes the deliverer stop; its in-flight attempts are cancelled.
func (d *deliverer) stop() {
	d.mu.Lock()
	d.stopped = true
	cancel := d.cancel
	d.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// drain empties the queue of a stopped deliverer and returns the
// sequence numbers it held.
func (d *deliverer) drain() []uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	seqs := make([]uint64, 0, len(d.queue))
	for _, e := range d.queue {
		seqs = append(seqs, e.Seq)
	}
	d.queue = nil
	return seqs
}

func (d *deliverer) run(ctx context.Context) {
	var attempts sync.WaitGroup
	defer attempts.Wait()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait := d.dispatch(ctx, &attempts)
		timer.Stop()
		if wait >= 0 {
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-timer.C:
		}
	}
}

// dispatch starts the attempts that are due and gives up on entries that
// must go to the fallback. It returns how long to wait before the next
// entry is due, or -1 when only a wake-up can make one due.
func (d *deliverer) dispatch(ctx context.Context, attempts *sync.WaitGroup) time.Duration {
	if ctx.Err() != nil {
		return -1
	}
	now := d.m.now()
	d.mu.Lock()
	in := d.in
	var launch, drop []*outboxEntry
	var next time.Time
	setNext := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	tripped := in.delivery.BreakerThreshold > 0 && d.failures >= in.delivery.BreakerThreshold
	open := tripped && now.Before(d.openUntil)
	seen := map[string]bool{}
	for _, e := range d.queue {
		if seen[e.GroupID] {
			continue // notifications of a group go in order
		}
		seen[e.GroupID] = true
		switch {
		case d.inflight[e.GroupID]:
			continue
		case open && in.fallback != "" && !e.Fallback:
			drop = append(drop, e)
			continue
		case open && !now.Before(e.Deadline):
			drop = append(drop, e)
			continue
		case open:
			setNext(d.openUntil)
			continue
		case e.NextAttempt.After(now):
			setNext(e.NextAttempt)
			continue
		case len(d.inflight) >= maxInflight:
			continue
		}
		if tripped { // half-open: one probe at a time
			if d.probing {
				continue
			}
			d.probing = true
		}
		d.inflight[e.GroupID] = true
		launch = append(launch, e)
	}
	d.mu.Unlock()

	for _, e := range drop {
		d.giveUp(e, errors.New("circuit breaker is open"))
	}
	for _, e := range launch {
		attempts.Add(1)
		go func() {
			defer attempts.Done()
			d.attempt(ctx, e)
		}()
	}
	switch {
	case len(drop) > 0:
		return 0
	case next.IsZero():
		return -1
	}
	return max(next.Sub(now), 0)
}

func (d *deliverer) attempt(ctx context.Context, e *outboxEntry) {
	in := d.integration()
	actx, cancel := context.WithTimeout(ctx, time.Duration(in.delivery.Timeout))
	start := time.Now()
	err := in.notifier.Notify(actx, &e.Notification)
	cancel()
	d.m.metrics.requestTime.WithLabelValues(in.receiver, in.name).Observe(time.Since(start).Seconds())
	if err != nil && ctx.Err() != nil {
		// Shutting down or removed: the entry stays in the outbox.
		d.mu.Lock()
		delete(d.inflight, e.GroupID)
		d.probing = false
		d.mu.Unlock()
		return
	}
	d.finish(e, err)
}

// finish records the result of an attempt.
func (d *deliverer) finish(e *outboxEntry, err error) {
	now := d.m.now()
	d.mu.Lock()
	delete(d.inflight, e.GroupID)
	d.probing = false
	in := d.in
	if err == nil {
		d.failures = 0
		d.openUntil = time.Time{}
		d.remove(e)
		d.mu.Unlock()
		d.m.metrics.sent.WithLabelValues(in.receiver, in.name).Inc()
		d.m.metrics.latency.WithLabelValues(in.receiver, in.name).Observe(now.Sub(e.Queued).Seconds())
		d.m.metrics.breaker.WithLabelValues(in.receiver, in.name).Set(0)
		if err := d.m.store.deleteOutbox(e.Seq); err != nil {
			d.m.logger.Warn("delete delivered notification from the outbox", "receiver", in.receiver, "integration", in.name, "err", err)
		}
		d.signal()
		return
	}
	d.failures++
	e.Attempts++
	e.LastError = err.Error()
	if in.delivery.BreakerThreshold > 0 && d.failures >= in.delivery.BreakerThreshold {
		d.openUntil = now.Add(time.Duration(in.delivery.BreakerCooldown))
		d.m.metrics.breaker.WithLabelValues(in.receiver, in.name).Set(1)
	}
	delay := backoff(in.delivery, e.Attempts)
	if ra := notify.RetryAfterOf(err); ra > delay {
		delay = ra
	}
	permanent := notify.IsPermanent(err)
	exhausted := now.Add(delay).After(e.Deadline)
	if !permanent && !exhausted {
		e.NextAttempt = now.Add(delay)
		if perr := d.m.store.putOutbox(e); perr != nil {
			d.m.logger.Warn("update queued notification", "receiver", in.receiver, "integration", in.name, "err", perr)
		}
	}
	d.mu.Unlock()
	d.m.logger.Warn("notification attempt failed", "receiver", in.receiver, "integration", in.name, "group", e.Notification.GroupKey, "attempt", e.Attempts, "retry_in", delay, "err", err)
	if permanent || exhausted {
		d.giveUp(e, err)
	} else {
		d.m.metrics.retried.WithLabelValues(in.receiver, in.name).Inc()
	}
	d.signal()
}

// giveUp drops e after a permanent error, a spent retry budget or an open
// circuit: it goes to the fallback receiver if there is one, else the
// notification log forgets it so that the group's next flush tries again.
func (d *deliverer) giveUp(e *outboxEntry, reason error) {
	d.mu.Lock()
	d.remove(e)
	in := d.in
	d.mu.Unlock()
	d.m.metrics.failed.WithLabelValues(in.receiver, in.name).Inc()
	d.m.logger.Error("giving up on notification", "receiver", in.receiver, "integration", in.name, "group", e.Notification.GroupKey, "attempts", e.Attempts, "fallback", in.fallback, "err", reason)
	handed := false
	if in.fallback != "" && !e.Fallback {
		handed = d.m.enqueueFallback(in.fallback, e)
		if handed {
			d.m.metrics.fallbacks.WithLabelValues(in.receiver, in.name).Inc()
		}
	}
	if !handed {
		d.m.forgetNotified(e)
	}
	if err := d.m.store.deleteOutbox(e.Seq); err != nil {
		d.m.logger.Warn("delete failed notification from the outbox", "receiver", in.receiver, "integration", in.name, "err", err)
	}
}

// backoff returns the delay before retry number attempt (1 = first
// retry): MinBackoff doubled per earlier failure, capped at MaxBackoff,
// with jitter drawn from its upper half.
func backoff(c DeliveryConfig, attempt int) time.Duration {
	b := time.Duration(c.MinBackoff)
	maxB := time.Duration(c.MaxBackoff)
	for i := 1; i < attempt && b < maxB; i++ {
		b *= 2
	}
	b = min(b, maxB)
	if b < 2 {
		return b
	}
	return b/2 + rand.N(b/2+1)
}
