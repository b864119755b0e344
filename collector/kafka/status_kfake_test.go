package kafka

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestStatusAgainstKafka drives every status rule end to end: real groups
// on a kfake cluster, the collector collecting every (virtual) second.
func TestStatusAgainstKafka(t *testing.T) {
	t.Run("STALL: a live member stops making progress, then recovers", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, nil)
			h.topic("clicks", 1, nil)
			h.produce("clicks", 0, 10)
			cons := h.client(kgo.ConsumerGroup("aggregator"), kgo.ConsumeTopics("clicks"), kgo.DisableAutoCommit(),
				kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
			consumeAll(t, cons, 10)
			commit(t, cons)
			seen := map[string]bool{}
			for sec := range 60 {
				h.produce("clicks", 0, 5) // the member neither polls nor commits
				time.Sleep(time.Second)
				r := h.mustCollect()
				s := r.status("aggregator")
				seen[s] = true
				if sec < 25 && s != "OK" {
					t.Fatalf("second %d: status %s before the window passed", sec, s)
				}
				if sec > 35 && s != "STALL" {
					t.Fatalf("second %d: status %s, want STALL; members %v", sec, s, r.dump("kafka_consumergroup_members"))
				}
				if sec > 35 {
					r.want(t, 1, "kafka_consumergroup_partition_status", "consumergroup", "aggregator", "topic", "clicks", "partition", "0", "status", "STALL")
				}
			}
			consumeAll(t, cons, 300)
			commit(t, cons)
			time.Sleep(time.Second)
			if s := h.mustCollect().status("aggregator"); s != "OK" {
				t.Errorf("after catching up: status %s, want OK", s)
			}
		})
	})
	t.Run("STOP: a member-less job stops while data keeps coming", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, nil)
			h.topic("orders", 1, nil)
			h.produce("orders", 0, 10)
			h.commit("flink-job", "orders", map[int32]int64{0: 5})
			for sec := range 60 {
				h.produce("orders", 0, 1)
				time.Sleep(time.Second)
				s := h.mustCollect().status("flink-job")
				if sec > 35 && s != "STOP" {
					t.Fatalf("second %d: status %s, want STOP", sec, s)
				}
			}
		})
	})
	t.Run("idle topic: a lagging job on a topic without new data is never STOP", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, nil)
			h.topic("quiet", 1, nil)
			h.produce("quiet", 0, 10)
			h.commit("nightly", "quiet", map[int32]int64{0: 5})
			for range 300 {
				time.Sleep(time.Second)
				if s := h.mustCollect().status("nightly"); s != "OK" {
					t.Fatalf("status %s, want OK", s)
				}
			}
		})
	})
	t.Run("WARN: lag grows at every commit", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, nil)
			h.topic("logs", 1, nil)
			var committed int64
			var last string
			h.commit("slow-indexer", "logs", map[int32]int64{0: 0})
			for sec := 1; sec <= 40; sec++ {
				h.produce("logs", 0, 4) // 4 records/s in, 2/s consumed
				if sec%5 == 0 {
					committed += 10
					h.commit("slow-indexer", "logs", map[int32]int64{0: committed})
				}
				time.Sleep(time.Second)
				last = h.mustCollect().status("slow-indexer")
			}
			if last != "WARN" {
				t.Errorf("status %s, want WARN", last)
			}
		})
	})
	t.Run("REWIND: offsets reset backwards", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, nil)
			h.topic("t", 1, nil)
			h.produce("t", 0, 100)
			h.commit("g", "t", map[int32]int64{0: 90})
			h.mustCollect()
			time.Sleep(time.Second)
			h.commit("g", "t", map[int32]int64{0: 10})
			r := h.mustCollect()
			if s := r.status("g"); s != "REWIND" {
				t.Errorf("status %s, want REWIND", s)
			}
			r.want(t, 90, "kafka_consumergroup_lag", "consumergroup", "g", "topic", "t", "partition", "0")
			// Progress after the window clears it.
			for i := range 40 {
				time.Sleep(time.Second)
				h.commit("g", "t", map[int32]int64{0: int64(11 + i)})
				r = h.mustCollect()
			}
			if s := r.status("g"); s != "OK" {
				t.Errorf("status %s after the window, want OK", s)
			}
		})
	})
	t.Run("ERR: commit older than the log start (data lost to retention)", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.MetadataInterval = dur(2 * time.Second) })
			h.topic("t", 1, nil)
			h.produce("t", 0, 30)
			h.commit("late", "t", map[int32]int64{0: 5})
			h.mustCollect()
			if err := h.cluster.DeleteRecords("t", 0, 20); err != nil {
				t.Fatal(err)
			}
			time.Sleep(3 * time.Second) // a metadata refresh learns the log start
			r := h.mustCollect()
			g := []string{"consumergroup", "late", "topic", "t", "partition", "0"}
			r.want(t, 20, "kafka_topic_partition_oldest_offset", "topic", "t", "partition", "0")
			r.want(t, 15, "kafka_consumergroup_lost_offsets", g...)
			r.want(t, 5, "kafka_consumergroup_current_offset", g...)
			r.absent(t, "kafka_consumergroup_lag", g...)
			r.absent(t, "kafka_consumergroup_lag_seconds", g...)
			if s := r.status("late"); s != "ERR" {
				t.Errorf("status %s, want ERR", s)
			}
		})
	})
}

// commit commits a group member's consumed offsets.
func commit(t *testing.T, cl *kgo.Client) {
	t.Helper()
	if err := cl.CommitUncommittedOffsets(context.Background()); err != nil {
		t.Fatal(err)
	}
}
