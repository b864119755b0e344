package demo

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

const (
	// produceTick is how often producers write the records due since the
	// last tick. Records of one tick share batches, which keeps the logs
	// (about 120 bytes a record) and the request rate small.
	produceTick = time.Second
	// maxBufferedRecords bounds each producer's buffer; records beyond it
	// are dropped and counted, never queued.
	maxBufferedRecords = 4096
)

// producer is one producing service of a module, writing every topic of the
// module at its share of the module's diurnal rate.
type producer struct {
	p     *Platform
	spec  *moduleSpec
	name  string
	start time.Time
	cl    *kgo.Client
	rng   *rand.Rand
	seq   int64

	dropped, failed atomic.Int64
	errLog          logLimiter
	promise         func(*kgo.Record, error)
}

func newProducer(p *Platform, s *moduleSpec, name string, start time.Time) (*producer, error) {
	cl, err := kgo.NewClient(append(p.clientOpts(name),
		kgo.ProducerLinger(20*time.Millisecond),
		kgo.MaxBufferedRecords(maxBufferedRecords),
		kgo.RecordDeliveryTimeout(30*time.Second),
	)...)
	if err != nil {
		return nil, fmt.Errorf("create producer %q of module %q: %w", name, s.name, err)
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	pr := &producer{
		p: p, spec: s, name: name, start: start, cl: cl,
		rng:    rand.New(rand.NewPCG(h.Sum64(), uint64(start.UnixNano()))),
		errLog: logLimiter{every: 30 * time.Second},
	}
	pr.promise = pr.done
	return pr, nil
}

// run writes records every produceTick until ctx is done.
func (pr *producer) run(ctx context.Context) {
	// Spread the producers' ticks over the tick, as independent services are.
	sleep(ctx, time.Duration(pr.rng.Int64N(int64(produceTick))))
	t := time.NewTicker(produceTick)
	defer t.Stop()
	var (
		n     noise
		last  = time.Now()
		carry = make([]float64, len(pr.spec.topics))
		share = 1 / float64(len(pr.spec.producers))
		opts  = pr.p.opts
	)
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			dt := now.Sub(last).Seconds()
			last = now
			rate := pr.spec.rate * opts.RateScale * share *
				diurnal(now.Sub(pr.start), opts.DayLength, pr.spec.phase) * n.next(pr.rng)
			for i := range pr.spec.topics {
				t := &pr.spec.topics[i]
				want := rate*t.share*dt + carry[i]
				k := int(want)
				carry[i] = want - float64(k)
				for range k {
					pr.produce(ctx, t)
				}
			}
		}
	}
}

// produce writes one record to t without blocking.
func (pr *producer) produce(ctx context.Context, t *topicSpec) {
	now := time.Now()
	pr.seq++
	r := &kgo.Record{Topic: t.name, Timestamp: now, Value: pr.value(t, now)}
	if t.keyPrefix != "" {
		r.Key = strconv.AppendInt([]byte(t.keyPrefix), int64(pr.rng.IntN(t.keySpace)), 10)
	}
	pr.cl.TryProduce(ctx, r, pr.promise)
}

// value returns the JSON value of the next record of t.
func (pr *producer) value(t *topicSpec, ts time.Time) []byte {
	b := make([]byte, 0, 160)
	b = append(b, `{"ts":`...)
	b = strconv.AppendInt(b, ts.UnixMilli(), 10)
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, pr.seq, 10)
	for _, f := range t.fields {
		b = append(b, ',', '"')
		b = append(b, f.name...)
		b = append(b, '"', ':')
		b = f.gen(b, pr.rng)
	}
	return append(b, '}')
}

// done is the promise of every produced record: it counts and, rate
// limited, logs failures other than cancellation.
func (pr *producer) done(r *kgo.Record, err error) {
	if err == nil || isCancel(err) || errors.Is(err, context.DeadlineExceeded) {
		return
	}
	if errors.Is(err, kgo.ErrMaxBuffered) {
		pr.dropped.Add(1)
	} else {
		pr.failed.Add(1)
	}
	if pr.errLog.allow() {
		pr.p.log.Warn("produce record", "module", pr.spec.name, "producer", pr.name, "topic", r.Topic,
			"dropped_total", pr.dropped.Load(), "failed_total", pr.failed.Load(), "err", err)
	}
}
