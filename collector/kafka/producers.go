package kafka

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// producerStats is what DescribeProducers said about one topic.
type producerStats struct {
	// active counts the distinct producer ids whose last write to any
	// partition of the topic is within ProducerWindow.
	active int
	// last is the newest last-write timestamp of any producer the
	// brokers listed, unix ms, or -1 when they listed none.
	last int64
}

// maxProducerPartitions bounds the partitions of one DescribeProducers
// round trip, and so the response held in memory at once: the slow path
// describes the topics in chunks of about this many partitions, one after
// the other, and keeps only the per-topic aggregates.
const maxProducerPartitions = 2000

// describeProducersKey is the API key of DescribeProducers.
const describeProducersKey = int16(kmsg.DescribeProducers)

// refreshProducers fills s.producers with the number of active producers
// of every topic of s. Topics whose partitions did not all answer keep
// prev's figures, if any. When no broker supports DescribeProducers
// (Kafka before 2.8) it logs that once and leaves s.producers nil, so no
// producer series are reported; that is not an error.
func (c *Collector) refreshProducers(ctx context.Context, s, prev *snapshot) error {
	carry := func() {
		if prev != nil {
			s.producers = prev.producers
		}
	}
	versions, err := c.adm.ApiVersions(ctx)
	if err != nil {
		carry()
		return fmt.Errorf("list producers: read api versions: %w", err)
	}
	answered, supported := 0, 0
	for _, v := range versions {
		if v.Err != nil {
			continue
		}
		answered++
		if _, ok := v.KeyMaxVersion(describeProducersKey); ok {
			supported++
		}
	}
	switch {
	case answered == 0:
		carry()
		return errors.New("list producers: no broker answered ApiVersions")
	case supported == 0:
		if !c.producersUnsupported {
			c.producersUnsupported = true
			c.logger.Warn("brokers do not support DescribeProducers (Kafka 2.8 or later is needed); kafka_topic_producers is not reported")
		}
		return nil
	}
	c.producersUnsupported = false

	now := s.at.UnixMilli()
	since := now - ProducerWindow.Milliseconds()
	s.producers = make(map[string]producerStats, len(s.topicNames))
	var errs []error
	for start := 0; start < len(s.topicNames); {
		end, parts := start, 0
		for end < len(s.topicNames) && (end == start || parts+int(s.topics[s.topicNames[end]].partitions) <= maxProducerPartitions) {
			parts += int(s.topics[s.topicNames[end]].partitions)
			end++
		}
		errs = append(errs, c.describeProducers(ctx, s, prev, s.topicNames[start:end], since)...)
		start = end
	}
	return joinLimited(errs)
}

// describeProducers describes the producers of topics, aggregating each
// topic's answer into s.producers as the broker shards are read.
func (c *Collector) describeProducers(ctx context.Context, s, prev *snapshot, topics []string, since int64) []error {
	req := kmsg.NewPtrDescribeProducersRequest()
	for _, name := range topics {
		rt := kmsg.NewDescribeProducersRequestTopic()
		rt.Topic = name
		n := s.topics[name].partitions
		rt.Partitions = make([]int32, n)
		for p := range n {
			rt.Partitions[p] = p
		}
		req.Topics = append(req.Topics, rt)
	}
	type agg struct {
		ids      map[int64]struct{} // active producer ids
		last     int64
		answered int32
	}
	aggs := make(map[string]*agg, len(topics))
	for _, name := range topics {
		aggs[name] = &agg{last: -1}
	}
	var errs []error
	for _, sh := range c.cl.RequestSharded(ctx, req) {
		if sh.Err != nil {
			errs = append(errs, fmt.Errorf("list producers on broker %d: %w", sh.Meta.NodeID, sh.Err))
			continue
		}
		for _, rt := range sh.Resp.(*kmsg.DescribeProducersResponse).Topics {
			a := aggs[rt.Topic]
			if a == nil {
				continue
			}
			for _, rp := range rt.Partitions {
				a.answered++
				if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
					// A deleted topic has no producers; it is
					// dropped with its other series.
					if !errors.Is(err, kerr.UnknownTopicOrPartition) {
						a.answered--
						errs = append(errs, fmt.Errorf("list producers of %s/%d: %w", rt.Topic, rp.Partition, err))
					}
					continue
				}
				for _, ap := range rp.ActiveProducers {
					a.last = max(a.last, ap.LastTimestamp)
					if ap.LastTimestamp >= since {
						if a.ids == nil {
							a.ids = map[int64]struct{}{}
						}
						a.ids[ap.ProducerID] = struct{}{}
					}
				}
			}
		}
	}
	for _, name := range topics {
		a := aggs[name]
		if a.answered < s.topics[name].partitions {
			// Some partition did not answer: its producers may be
			// missing, so keep the last complete figures if any.
			if ps, ok := prev.producersOf(name); ok {
				s.producers[name] = ps
				continue
			}
			if a.answered == 0 {
				continue
			}
		}
		s.producers[name] = producerStats{active: len(a.ids), last: a.last}
	}
	return errs
}

// producersOf returns the producer figures of topic in s, if any.
func (s *snapshot) producersOf(topic string) (producerStats, bool) {
	if s == nil || s.producers == nil {
		return producerStats{}, false
	}
	ps, ok := s.producers[topic]
	return ps, ok
}
