package kafka

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestProbe checks the end-to-end probe: it creates its topic with one
// partition per broker, round-trips a record per partition every interval
// and reports latencies and availability; when produce fails, availability
// drops to zero while the lag collection goes on.
func TestProbe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.Probe = ProbeConfig{Enabled: true, Timeout: dur(2 * time.Second)} })
		for range 5 {
			h.mustCollect()
			time.Sleep(time.Second)
		}
		r := h.mustCollect()
		r.want(t, 1, "kafka_probe_availability")
		r.want(t, 3, "kafka_topic_partitions", "topic", DefaultProbeTopic)
		sent, _ := r.get("kafka_probe_records_sent_total")
		received, _ := r.get("kafka_probe_records_received_total")
		// On a topic created a moment ago the first round may be late
		// (the client learns the new partitions' leaders); the others
		// must all be read back.
		if sent < 15 || received < sent-3 {
			t.Errorf("sent %v, received %v; want at least 15, all but the first round received", sent, received)
		}
		if n, _ := r.get("kafka_probe_end_to_end_latency_seconds_count"); n != received {
			t.Errorf("end-to-end latency count %v, want %v", n, received)
		}
		if n, _ := r.get("kafka_probe_produce_latency_seconds_bucket", "le", "+Inf"); n != sent {
			t.Errorf("produce latency +Inf bucket %v, want %v", n, sent)
		}
		checkMetadata(t, r.batch)
		md, err := h.adm.Metadata(context.Background(), DefaultProbeTopic)
		if err != nil || len(md.Topics[DefaultProbeTopic].Partitions) != 3 {
			t.Fatalf("probe topic: %v %v", md.Topics, err)
		}

		h.cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: DefaultProbeTopic, Err: kerr.UnknownServerError, Count: -1})
		for range 4 {
			time.Sleep(time.Second)
			r = h.mustCollect()
		}
		r.want(t, 0, "kafka_probe_availability")
		if failed, _ := r.get("kafka_probe_records_failed_total"); failed == 0 {
			t.Error("no failed probe records counted")
		}
	})
}
