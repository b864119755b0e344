package kafka

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/pipewatch/pipewatch/demo"
)

// produceWith writes one record to a partition with an idempotent producer
// (kgo's default).
func (h *harness) produceWith(cl *kgo.Client, topic string, partition int32) {
	h.t.Helper()
	r := &kgo.Record{Topic: topic, Partition: partition, Value: []byte("v")}
	if err := cl.ProduceSync(context.Background(), r).FirstErr(); err != nil {
		h.t.Fatal(err)
	}
}

// near checks that a timestamp series is within a second after at (the
// producers' timers advance virtual time by a few milliseconds).
func (r result) near(t *testing.T, at time.Time, name string, kv ...string) {
	t.Helper()
	got, ok := r.get(name, kv...)
	want := float64(at.UnixMilli()) / 1000
	if !ok || got < want || got > want+1 {
		t.Errorf("%s%v = %v (present %v), want %v to %v", name, kv, got, ok, want, want+1)
	}
}

// TestTopicProducers checks kafka_topic_producers against idempotent
// producers: two writing one topic (one of them to both partitions, which
// counts once), one another topic, none a third; and that producers that
// stopped writing drop out after ProducerWindow while the newest write's
// time stays reported.
func TestTopicProducers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.Producers = true })
		// kfake lists only transactional producers; make it answer
		// like Kafka 2.8+.
		demo.TrackProducers(h.cluster)
		h.topic("orders", 2, nil)
		h.topic("payments", 1, nil)
		h.topic("idle", 1, nil)
		p1, p2, p3 := h.client(), h.client(), h.client()
		start := time.Now()
		h.produceWith(p1, "orders", 0)
		h.produceWith(p1, "orders", 1)
		h.produceWith(p2, "orders", 1)
		h.produceWith(p3, "payments", 0)

		r := h.mustCollect()
		r.want(t, 2, "kafka_topic_producers", "topic", "orders")
		r.want(t, 1, "kafka_topic_producers", "topic", "payments")
		r.want(t, 0, "kafka_topic_producers", "topic", "idle")
		r.near(t, start, "kafka_topic_producer_last_append_timestamp_seconds", "topic", "orders")
		r.absent(t, "kafka_topic_producer_last_append_timestamp_seconds", "topic", "idle")
		checkMetadata(t, r.batch)

		// p1 writes again after 4 minutes, the others never: two
		// metadata refreshes past the window, only p1 counts.
		time.Sleep(4 * time.Minute)
		h.produceWith(p1, "orders", 0)
		again := time.Now()
		time.Sleep(ProducerWindow - 4*time.Minute + 45*time.Second)
		synctest.Wait()
		r = h.mustCollect()
		r.want(t, 1, "kafka_topic_producers", "topic", "orders")
		r.want(t, 0, "kafka_topic_producers", "topic", "payments")
		r.near(t, again, "kafka_topic_producer_last_append_timestamp_seconds", "topic", "orders")
		r.near(t, start, "kafka_topic_producer_last_append_timestamp_seconds", "topic", "payments")
	})
}

// TestTopicProducersOff checks that without producers: true nothing is
// asked and no producer series is reported.
func TestTopicProducersOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		asked := 0
		h.cluster.ControlKey(61, func(kmsg.Request) (kmsg.Response, error, bool) {
			asked++
			return nil, nil, false
		})
		h.topic("orders", 1, nil)
		h.produce("orders", 0, 1)
		r := h.mustCollect()
		r.absent(t, "kafka_topic_producers")
		if _, ok := r.batch.Metadata("kafka_topic_producers"); ok {
			t.Error("kafka_topic_producers described while producers are off")
		}
		if asked != 0 {
			t.Errorf("DescribeProducers sent %d times while producers are off", asked)
		}
	})
}

// TestTopicProducersUnsupported checks that brokers older than Kafka 2.8,
// which lack DescribeProducers, yield no producer series and no error.
func TestTopicProducersUnsupported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.Producers = true }, kfake.MaxVersions(kversion.V2_7_0()))
		h.topic("orders", 1, nil)
		h.produce("orders", 0, 1)
		r := h.mustCollect()
		r.want(t, 1, "kafka_topic_partitions", "topic", "orders")
		r.absent(t, "kafka_topic_producers")
		r.absent(t, "kafka_topic_producer_last_append_timestamp_seconds")
	})
}
