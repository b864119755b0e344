package demo

import (
	"encoding/binary"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// producerIDExpiration is how long a partition remembers a producer after
// its last write: Kafka's producer.id.expiration.ms default (one day).
const producerIDExpiration = 24 * time.Hour

// TrackProducers makes c answer DescribeProducers (KIP-664, API key 61) as
// Kafka 2.8 and later brokers do: with every producer that has an id (every
// idempotent producer, which kgo and Kafka 3.0+ clients are by default)
// and wrote to the partition within the last day, with its epoch, last
// sequence number and last timestamp (the newest record timestamp of its
// last batch). kfake itself lists only producers inside an open
// transaction. c learns the producers from the record batches of the
// Produce requests it receives (batch headers only; the records are not
// read) and keeps one entry per producer and partition, forgotten a day
// after its last write, as Kafka forgets them. It must be called before
// any client produces.
func TrackProducers(c *kfake.Cluster) {
	t := &producerTracker{
		c:      c,
		names:  map[[16]byte]string{},
		states: map[string]map[int32]map[int64]producerEntry{},
	}
	c.ControlKey(int16(kmsg.Produce), t.observe)
	c.ControlKey(int16(kmsg.DescribeProducers), t.describe)
}

// producerEntry is what a partition remembers of one producer.
type producerEntry struct {
	epoch   int16
	lastSeq int32
	lastTS  int64 // unix ms
}

type producerTracker struct {
	c  *kfake.Cluster
	mu sync.Mutex
	// names resolves the topic IDs of Produce v13+.
	names  map[[16]byte]string
	states map[string]map[int32]map[int64]producerEntry // topic → partition → producer id
}

// observe records the producers of a Produce request's batches and lets
// the cluster handle the request as usual.
func (t *producerTracker) observe(kreq kmsg.Request) (kmsg.Response, error, bool) {
	req, ok := kreq.(*kmsg.ProduceRequest)
	if !ok {
		return nil, nil, false
	}
	for i := range req.Topics {
		rt := &req.Topics[i]
		topic := rt.Topic
		if topic == "" {
			topic = t.topicName(rt.TopicID)
		}
		if topic == "" {
			continue
		}
		for j := range rt.Partitions {
			rp := &rt.Partitions[j]
			t.record(topic, rp.Partition, rp.Records)
		}
	}
	return nil, nil, false
}

// topicName returns the name of a topic ID, asking the cluster the first
// time (the cluster serves such admin calls while a control function runs).
func (t *producerTracker) topicName(id [16]byte) string {
	t.mu.Lock()
	name, ok := t.names[id]
	t.mu.Unlock()
	if ok {
		return name
	}
	info := t.c.TopicIDInfo(id)
	if info == nil {
		return ""
	}
	t.mu.Lock()
	t.names[id] = info.Topic
	t.mu.Unlock()
	return info.Topic
}

// Offsets in a v2 record batch header (see kmsg.RecordBatch).
const (
	batchLengthAt     = 8
	batchMagicAt      = 16
	batchLastDeltaAt  = 23
	batchMaxTSAt      = 35
	batchProducerAt   = 43
	batchEpochAt      = 51
	batchFirstSeqAt   = 53
	batchHeaderLength = 61
)

// record remembers the producers of the record batches in records.
func (t *producerTracker) record(topic string, partition int32, records []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(records) >= batchHeaderLength {
		n := 12 + int(int32(binary.BigEndian.Uint32(records[batchLengthAt:])))
		if n < batchHeaderLength || n > len(records) || records[batchMagicAt] != 2 {
			return
		}
		b := records[:n]
		records = records[n:]
		pid := int64(binary.BigEndian.Uint64(b[batchProducerAt:]))
		if pid < 0 {
			continue // not idempotent: Kafka keeps no state either
		}
		parts := t.states[topic]
		if parts == nil {
			parts = map[int32]map[int64]producerEntry{}
			t.states[topic] = parts
		}
		pids := parts[partition]
		if pids == nil {
			pids = map[int64]producerEntry{}
			parts[partition] = pids
		}
		pids[pid] = producerEntry{
			epoch:   int16(binary.BigEndian.Uint16(b[batchEpochAt:])),
			lastSeq: int32(binary.BigEndian.Uint32(b[batchFirstSeqAt:])) + int32(binary.BigEndian.Uint32(b[batchLastDeltaAt:])),
			lastTS:  int64(binary.BigEndian.Uint64(b[batchMaxTSAt:])),
		}
	}
}

// describe answers a DescribeProducers request from what observe
// recorded, dropping producers that have not written for a day.
func (t *producerTracker) describe(kreq kmsg.Request) (kmsg.Response, error, bool) {
	t.c.KeepControl()
	req := kreq.(*kmsg.DescribeProducersRequest)
	resp := req.ResponseKind().(*kmsg.DescribeProducersResponse)
	expired := time.Now().Add(-producerIDExpiration).UnixMilli()
	for _, rt := range req.Topics {
		st := kmsg.NewDescribeProducersResponseTopic()
		st.Topic = rt.Topic
		info := t.c.PartitionInfos(rt.Topic) // an admin call: not under t.mu
		t.mu.Lock()
		parts := t.states[rt.Topic]
		for _, p := range rt.Partitions {
			sp := kmsg.NewDescribeProducersResponseTopicPartition()
			sp.Partition = p
			if int(p) >= len(info) || p < 0 {
				sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			pids := parts[p]
			for pid, e := range pids {
				if e.lastTS < expired {
					delete(pids, pid)
					continue
				}
				ap := kmsg.NewDescribeProducersResponseTopicPartitionActiveProducer()
				ap.ProducerID = pid
				ap.ProducerEpoch = int32(e.epoch)
				ap.LastSequence = e.lastSeq
				ap.LastTimestamp = e.lastTS
				ap.CoordinatorEpoch = -1
				ap.CurrentTxnStartOffset = -1
				sp.ActiveProducers = append(sp.ActiveProducers, ap)
			}
			st.Partitions = append(st.Partitions, sp)
		}
		t.mu.Unlock()
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil, true
}
