package kafka

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipewatch/pipewatch/collector"
)

// probeRetention is the retention.ms of a probe topic the probe creates:
// probe records are useless once read back.
const probeRetention = time.Hour

// prober runs the end-to-end probe of one cluster in its own goroutine and
// keeps the results for Collect to emit.
type prober struct {
	c        *Collector
	base     []kgo.Opt
	topic    string
	interval time.Duration
	timeout  time.Duration

	mu           sync.Mutex
	produce, e2e histogram
	sent         uint64
	received     uint64
	failed       uint64
	availability float64
	rounds       int
}

func newProber(c *Collector, base []kgo.Opt) *prober {
	return &prober{
		c:        c,
		base:     base,
		topic:    c.cfg.Probe.Topic,
		interval: time.Duration(c.cfg.Probe.Interval),
		timeout:  time.Duration(c.cfg.Probe.Timeout),
	}
}

// run probes every interval until ctx is done. It first makes sure the
// probe topic exists, retrying every interval while the cluster is down.
func (p *prober) run(ctx context.Context) {
	tick := time.NewTicker(p.interval)
	defer tick.Stop()
	// The probe has clients of its own: asking for its topic before it
	// exists must not leave "unknown topic" in the metadata cache of the
	// collector's client.
	admCl, err := kgo.NewClient(p.base...)
	if err != nil {
		p.c.logger.Warn("create kafka probe client", "err", err)
		return
	}
	defer admCl.Close()
	adm := kadm.NewClient(admCl)
	var (
		prod, cons *kgo.Client
		parts      []int32
		seq        uint64
	)
	defer func() {
		if prod != nil {
			prod.Close()
		}
		if cons != nil {
			cons.Close()
		}
	}()
	for {
		if prod == nil {
			var err error
			prod, cons, parts, err = p.setup(ctx, adm)
			if err != nil && ctx.Err() == nil {
				p.c.logger.Warn("set up kafka probe", "topic", p.topic, "err", err)
				p.record(nil, nil, 0, 1) // the cluster cannot even be probed
			}
		}
		if prod != nil {
			seq++
			p.round(ctx, prod, cons, parts, seq)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// setup creates the probe topic if missing (one partition per broker, so
// that with Kafka's leader placement every broker leads one) and returns a
// producer, and a consumer that reads every partition from the records
// written from now on.
func (p *prober) setup(ctx context.Context, adm *kadm.Client) (prod, cons *kgo.Client, parts []int32, err error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	from := time.Now().UnixMilli()
	md, err := adm.Metadata(ctx, p.topic)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("describe probe topic: %w", err)
	}
	td := md.Topics[p.topic]
	// A topic created now is read from its start; an existing one from
	// the records written from now on.
	startAt := kgo.NewOffset().AfterMilli(from)
	switch {
	case errors.Is(td.Err, kerr.UnknownTopicOrPartition):
		n := int32(max(len(md.Brokers), 1))
		retention := strconv.FormatInt(probeRetention.Milliseconds(), 10)
		resp, err := adm.CreateTopic(ctx, n, -1, map[string]*string{"retention.ms": &retention}, p.topic)
		if err == nil {
			err = resp.Err
		}
		if err != nil {
			// Created meanwhile by another pipewatch: the next try
			// finds it.
			return nil, nil, nil, fmt.Errorf("create probe topic: %w", err)
		}
		for i := range resp.NumPartitions {
			parts = append(parts, i)
		}
		startAt = kgo.NewOffset().AtStart()
		p.c.logger.Info("created kafka probe topic", "topic", p.topic, "partitions", resp.NumPartitions)
		p.c.requestRefresh()
	case td.Err != nil:
		return nil, nil, nil, fmt.Errorf("describe probe topic: %w", td.Err)
	default:
		parts = td.Partitions.Numbers()
	}
	start := map[int32]kgo.Offset{}
	for _, part := range parts {
		start[part] = startAt
	}
	prod, err = kgo.NewClient(append(slices.Clone(p.base),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(0),
		kgo.RecordDeliveryTimeout(p.timeout),
	)...)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("create probe producer: %w", err)
	}
	cons, err = kgo.NewClient(append(slices.Clone(p.base),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{p.topic: start}),
		kgo.FetchMaxWait(min(p.timeout/4, 500*time.Millisecond)),
	)...)
	if err != nil {
		prod.Close()
		return nil, nil, nil, fmt.Errorf("create probe consumer: %w", err)
	}
	return prod, cons, parts, nil
}

// round produces one record to every probe partition and reads them back,
// within the probe timeout.
func (p *prober) round(ctx context.Context, prod, cons *kgo.Client, parts []int32, seq uint64) {
	n := len(parts)
	type ack struct {
		partition int32
		latency   time.Duration
		err       error
	}
	acks := make(chan ack, n)
	start := time.Now()
	rctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	for _, part := range parts {
		var v [16]byte
		binary.BigEndian.PutUint64(v[:8], seq)
		binary.BigEndian.PutUint64(v[8:], uint64(start.UnixNano()))
		prod.Produce(rctx, &kgo.Record{Topic: p.topic, Partition: part, Value: v[:]}, func(_ *kgo.Record, err error) {
			acks <- ack{partition: part, latency: time.Since(start), err: err}
		})
	}
	acked := map[int32]time.Duration{}
	read := map[int32]time.Duration{}
	drain := func() {
		for {
			select {
			case a := <-acks:
				if a.err == nil {
					acked[a.partition] = a.latency
				}
			default:
				return
			}
		}
	}
	for len(read) < n && rctx.Err() == nil {
		fs := cons.PollFetches(rctx)
		if fs.IsClientClosed() {
			break
		}
		fs.EachRecord(func(r *kgo.Record) {
			if len(r.Value) == 16 && binary.BigEndian.Uint64(r.Value[:8]) == seq {
				read[r.Partition] = time.Since(start)
			}
		})
		drain()
	}
	// Acknowledgements may trail the records (the produce response can
	// come after a fetch that saw the data).
	for len(acked) < n && rctx.Err() == nil {
		select {
		case a := <-acks:
			if a.err == nil {
				acked[a.partition] = a.latency
			}
		case <-rctx.Done():
		}
	}
	drain()
	if ctx.Err() != nil {
		return // shutting down: not a failed round
	}
	if len(acked) < n || len(read) < n {
		p.c.logger.Debug("kafka probe round incomplete", "topic", p.topic, "records", n, "acknowledged", len(acked), "read", len(read))
	}
	p.record(acked, read, n, 0)
}

// record adds a probe round's results: acknowledgement and read-back
// latencies by partition out of n records. extraFailed counts records that
// could not even be sent.
func (p *prober) record(acked, read map[int32]time.Duration, n int, extraFailed int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ok := 0
	for part, lat := range acked {
		p.produce.observe(lat.Seconds())
		if _, r := read[part]; r {
			ok++
		}
	}
	for _, lat := range read {
		p.e2e.observe(lat.Seconds())
	}
	p.sent += uint64(n)
	p.received += uint64(len(read))
	p.failed += uint64(n-ok) + uint64(extraFailed)
	total := n + extraFailed
	if total > 0 {
		p.availability = float64(ok) / float64(total)
	}
	p.rounds++
}

// emit appends the probe series to b, once the first round has finished.
func (p *prober) emit(b *collector.Batch, sb *labels.ScratchBuilder) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rounds == 0 {
		return
	}
	d, cl := p.c.d, p.c.cfg.Name
	b.Emit(d.probeAvailability.Desc, p.availability, cl)
	b.Emit(d.probeSent.Desc, float64(p.sent), cl)
	b.Emit(d.probeReceived.Desc, float64(p.received), cl)
	b.Emit(d.probeFailed.Desc, float64(p.failed), cl)
	d.probeProduceLatency.emit(b, sb, cl, &p.produce)
	d.probeE2ELatency.emit(b, sb, cl, &p.e2e)
}
