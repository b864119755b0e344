package kafka

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/pipewatch/pipewatch/collector"
)

// TestOffsetLag checks exact offset lag after producing and committing
// known counts, for a member-less group (as Flink and Spark commit), and
// that every family has HELP and TYPE.
func TestOffsetLag(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.topic("orders", 3, nil)
		h.produce("orders", 0, 10)
		h.produce("orders", 1, 5)
		h.commit("flink-orders", "orders", map[int32]int64{0: 4, 1: 5})
		r := h.mustCollect()
		r.want(t, 3, "kafka_brokers")
		r.want(t, 3, "kafka_topic_partitions", "topic", "orders")
		r.want(t, 10, "kafka_topic_partition_current_offset", "topic", "orders", "partition", "0")
		r.want(t, 5, "kafka_topic_partition_current_offset", "topic", "orders", "partition", "1")
		r.want(t, 0, "kafka_topic_partition_current_offset", "topic", "orders", "partition", "2")
		r.want(t, 0, "kafka_topic_partition_oldest_offset", "topic", "orders", "partition", "0")
		r.want(t, 1, "kafka_topic_info", "topic", "orders", "cleanup_policy", "delete")
		g := []string{"consumergroup", "flink-orders", "topic", "orders"}
		r.want(t, 4, "kafka_consumergroup_current_offset", append(g, "partition", "0")...)
		r.want(t, 5, "kafka_consumergroup_current_offset", append(g, "partition", "1")...)
		r.want(t, 6, "kafka_consumergroup_lag", append(g, "partition", "0")...)
		r.want(t, 0, "kafka_consumergroup_lag", append(g, "partition", "1")...)
		r.want(t, 0, "kafka_consumergroup_lag_seconds", append(g, "partition", "1")...)
		r.want(t, 6, "kafka_consumergroup_lag_sum", g...)
		r.want(t, 9, "kafka_consumergroup_current_offset_sum", g...)
		// Partition 2 has no commit: no offset, no lag, but counted.
		r.absent(t, "kafka_consumergroup_lag", append(g, "partition", "2")...)
		r.absent(t, "kafka_consumergroup_current_offset", append(g, "partition", "2")...)
		r.want(t, 1, "kafka_consumergroup_uncommitted_partitions", g...)
		// A member-less group: no members, yet lag and a status.
		r.want(t, 0, "kafka_consumergroup_members", "consumergroup", "flink-orders")
		r.want(t, 1, "kafka_consumergroup_state", "consumergroup", "flink-orders", "type", "classic", "state", "Empty")
		if s := r.status("flink-orders"); s != "OK" {
			t.Errorf("status = %q, want OK", s)
		}
		checkMetadata(t, r.batch)
	})
}

// checkMetadata fails if a sample's family has no HELP or TYPE.
func checkMetadata(t *testing.T, b *collector.Batch) {
	t.Helper()
	seen := map[string]bool{}
	b.Each(func(l labels.Labels, _ int64, _ float64) {
		name := l.Get("__name__")
		if seen[name] {
			return
		}
		seen[name] = true
		md, ok := b.Metadata(name)
		if !ok {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if base, cut := strings.CutSuffix(name, suffix); cut {
					md, ok = b.Metadata(base)
				}
			}
		}
		if !ok || md.Help == "" || md.Type == "" {
			t.Errorf("family %s has no HELP or TYPE: %+v", name, md)
		}
	})
}

// TestLagSecondsSteadyProducer checks the time lag against the truth on a
// steady producer (10 records/s) and a group 30 s behind, both when the
// collector watched from the start and when it starts late and learns the
// past from the brokers (ListOffsets by timestamp).
func TestLagSecondsSteadyProducer(t *testing.T) {
	for _, tt := range []struct {
		name       string
		startAfter time.Duration // when the collector starts collecting
	}{
		{"collector watched from the start", 0},
		{"collector started late", 3 * time.Minute},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const behind = 30 * time.Second
				h := newHarness(t, nil)
				h.topic("clicks", 1, nil)
				start := time.Now()
				var produced []time.Time // produced[i] is when offset i was written
				checked := 0
				for step := 1; time.Since(start) < tt.startAfter+2*time.Minute; step++ {
					h.produce("clicks", 0, 1)
					produced = append(produced, time.Now())
					time.Sleep(100 * time.Millisecond)
					if step%10 != 0 {
						continue
					}
					// The group has read every record older than 30 s.
					var c int64
					for c < int64(len(produced)) && time.Since(produced[c]) > behind {
						c++
					}
					h.commit("etl", "clicks", map[int32]int64{0: c})
					if time.Since(start) < tt.startAfter {
						continue
					}
					r := h.mustCollect()
					got, ok := r.get("kafka_consumergroup_lag_seconds", "consumergroup", "etl", "topic", "clicks", "partition", "0")
					truth := time.Since(produced[c]).Seconds()
					// The first round has no history yet; from the
					// second (with anchors, late) it must be right.
					if time.Since(start) < tt.startAfter+2*time.Second {
						continue
					}
					checked++
					if !ok || math.Abs(got-truth) > 1 {
						t.Fatalf("at %v: lag_seconds = %v (present %v), truth %v", time.Since(start), got, ok, truth)
					}
				}
				if checked < 100 {
					t.Errorf("checked only %d rounds", checked)
				}
			})
		})
	}
}

// TestKIP848Group checks that a consumer group of the new protocol is
// listed, described (members, assignments) and its lag reported, which
// kadm.Lag without group names would skip.
func TestKIP848Group(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.topic("events", 2, nil)
		h.produce("events", 0, 7)
		h.produce("events", 1, 3)
		cons := h.client(kgo.ConsumerGroup("next-gen"), kgo.ConsumeTopics("events"), kgo.ServerSideBalancer(),
			kgo.ClientID("svc-a"), kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		consumeAll(t, cons, 10)
		if err := cons.CommitUncommittedOffsets(context.Background()); err != nil {
			t.Fatal(err)
		}
		h.produce("events", 0, 2)
		// Answer the collector's listing of all topics last, as a busy
		// broker may: the group's assignment names topics by ID only, so
		// it can be read only after that listing.
		h.cluster.ControlKey(int16(kmsg.Metadata), func(req kmsg.Request) (kmsg.Response, error, bool) {
			h.cluster.KeepControl()
			if req.(*kmsg.MetadataRequest).Topics == nil {
				h.cluster.SleepControl(func() { time.Sleep(10 * time.Millisecond) })
			}
			return nil, nil, false
		})
		r := h.mustCollect()
		g := "next-gen"
		r.want(t, 1, "kafka_consumergroup_state", "consumergroup", g, "type", "consumer", "state", "Stable")
		r.want(t, 1, "kafka_consumergroup_members", "consumergroup", g)
		r.want(t, 2, "kafka_consumergroup_assignment", "consumergroup", g, "topic", "events", "client_id", "svc-a", "host", "pipe")
		r.want(t, 2, "kafka_consumergroup_lag", "consumergroup", g, "topic", "events", "partition", "0")
		r.want(t, 0, "kafka_consumergroup_lag", "consumergroup", g, "topic", "events", "partition", "1")
		r.want(t, 2, "kafka_consumergroup_lag_sum", "consumergroup", g, "topic", "events")
		if s := r.status(g); s != "OK" {
			t.Errorf("status = %q, want OK", s)
		}
	})
}

// consumeAll polls cl until it has read n records.
func consumeAll(t *testing.T, cl *kgo.Client, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for got := 0; got < n; {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %d of %d records: %v", got, n, err)
		}
		got += fs.NumRecords()
	}
}

// TestFailingGroupDoesNotHideOthers fails the offset fetch of one group
// and checks that the others are still reported, as a partial round.
func TestFailingGroupDoesNotHideOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.topic("t", 1, nil)
		h.produce("t", 0, 5)
		h.commit("good", "t", map[int32]int64{0: 1})
		h.commit("bad", "t", map[int32]int64{0: 2})
		h.cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetFetch}, Group: "bad", Err: kerr.CoordinatorNotAvailable, Count: -1})
		r := h.collect()
		if !collector.IsPartial(r.err) || !strings.Contains(r.err.Error(), `"bad"`) {
			t.Fatalf("err = %v, want a partial error naming group bad", r.err)
		}
		r.want(t, 4, "kafka_consumergroup_lag", "consumergroup", "good", "topic", "t", "partition", "0")
		r.absent(t, "kafka_consumergroup_lag", "consumergroup", "bad")
	})
}

// TestBrokerDown makes one broker refuse ListOffsets: the partitions it
// leads are missing, the rest is reported and the round is partial (up
// stays 1). With the whole cluster gone the round fails (up is 0).
func TestBrokerDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.topic("t", 6, nil)
		// kfake picks each partition's leader at random: one broker in
		// 243 clusters leads all six and nothing is left to answer. The
		// brokers lead two partitions each.
		for p := range int32(6) {
			if err := h.cluster.MoveTopicPartition("t", p, p%3); err != nil {
				t.Fatal(err)
			}
		}
		for p := range int32(6) {
			h.produce("t", p, 3)
		}
		h.commit("g", "t", map[int32]int64{0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1})
		h.mustCollect()

		down := h.cluster.LeaderFor("t", 0)
		h.cluster.ControlKey(int16(kmsg.ListOffsets), func(kmsg.Request) (kmsg.Response, error, bool) {
			h.cluster.KeepControl()
			if h.cluster.CurrentNode() == down {
				return nil, errors.New("broker down"), true
			}
			return nil, nil, false
		})
		r := h.collect()
		if !collector.IsPartial(r.err) {
			t.Fatalf("err = %v, want a partial error", r.err)
		}
		for p := range int32(6) {
			pl := string(rune('0' + p))
			if h.cluster.LeaderFor("t", p) == down {
				r.absent(t, "kafka_topic_partition_current_offset", "topic", "t", "partition", pl)
				r.absent(t, "kafka_consumergroup_lag", "topic", "t", "partition", pl)
			} else {
				r.want(t, 3, "kafka_topic_partition_current_offset", "topic", "t", "partition", pl)
				r.want(t, 2, "kafka_consumergroup_lag", "consumergroup", "g", "topic", "t", "partition", pl)
			}
		}

		h.cluster.Close()
		r = h.collect()
		if r.err == nil || collector.IsPartial(r.err) {
			t.Fatalf("err = %v, want a complete failure", r.err)
		}
	})
}

// TestDeletedTopicsAndGroups checks that a deleted topic and a deleted group
// vanish in the next round, before any metadata refresh.
func TestDeletedTopicsAndGroups(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.topic("keep", 1, nil)
		h.topic("drop", 1, nil)
		h.produce("keep", 0, 4)
		h.produce("drop", 0, 4)
		h.commit("g-keep", "keep", map[int32]int64{0: 1})
		h.commit("g-keep", "drop", map[int32]int64{0: 1})
		h.commit("g-drop", "keep", map[int32]int64{0: 2})
		r := h.mustCollect()
		r.want(t, 3, "kafka_consumergroup_lag", "consumergroup", "g-keep", "topic", "drop", "partition", "0")
		r.want(t, 2, "kafka_consumergroup_lag", "consumergroup", "g-drop", "topic", "keep", "partition", "0")

		if err := h.cluster.DeleteTopic("drop"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.adm.DeleteGroup(context.Background(), "g-drop"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		r = h.collect()
		if r.err != nil {
			t.Fatalf("collect: %v", r.err)
		}
		for s := range r.series {
			if strings.Contains(s, `"drop"`) || strings.Contains(s, `"g-drop"`) {
				t.Errorf("ghost series %s", s)
			}
		}
		r.want(t, 3, "kafka_consumergroup_lag", "consumergroup", "g-keep", "topic", "keep", "partition", "0")
	})
}

// TestPartitionsAdded checks that added partitions are reported without
// waiting for the metadata interval: a commit on an unknown partition
// triggers an early metadata refresh.
func TestPartitionsAdded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.topic("grow", 2, nil)
		h.commit("g", "grow", map[int32]int64{0: 0, 1: 0})
		r := h.mustCollect()
		r.want(t, 2, "kafka_topic_partitions", "topic", "grow")
		if _, err := h.adm.CreatePartitions(context.Background(), 2, "grow"); err != nil {
			t.Fatal(err)
		}
		h.produce("grow", 3, 5)
		h.commit("g", "grow", map[int32]int64{3: 1})
		time.Sleep(time.Second)
		h.mustCollect()             // sees the commit on partition 3
		time.Sleep(6 * time.Second) // the refresh, and the client's 5s metadata cache
		r = h.mustCollect()
		r.want(t, 4, "kafka_topic_partitions", "topic", "grow")
		r.want(t, 5, "kafka_topic_partition_current_offset", "topic", "grow", "partition", "3")
		r.want(t, 4, "kafka_consumergroup_lag", "consumergroup", "g", "topic", "grow", "partition", "3")
		r.want(t, 1, "kafka_consumergroup_uncommitted_partitions", "consumergroup", "g", "topic", "grow")
	})
}

// TestCompactedTopic checks a compacted topic: offsets (not record counts)
// give the lag, compaction does not look like data loss, and the policy is
// reported.
func TestCompactedTopic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.topic("profiles", 1, map[string]string{"cleanup.policy": "compact", "segment.bytes": "1024"})
		for i := range 40 {
			key := []byte{byte('a' + i%4)}
			if err := h.cl.ProduceSync(context.Background(), &kgo.Record{Topic: "profiles", Key: key, Value: make([]byte, 100)}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		h.commit("g", "profiles", map[int32]int64{0: 10})
		h.cluster.Compact()
		r := h.mustCollect()
		r.want(t, 1, "kafka_topic_info", "topic", "profiles", "cleanup_policy", "compact")
		r.want(t, 40, "kafka_topic_partition_current_offset", "topic", "profiles", "partition", "0")
		r.want(t, 30, "kafka_consumergroup_lag", "consumergroup", "g", "topic", "profiles", "partition", "0")
		r.absent(t, "kafka_consumergroup_lost_offsets")
		if s := r.status("g"); s == "ERR" {
			t.Errorf("status = %s: compaction taken for data loss", s)
		}
	})
}

// TestLagExpiry checks that a group that stopped consuming one topic while
// busy on another stops reporting lag for it after lag_expiry, while a
// group that stopped altogether keeps its series (and is STOP).
func TestLagExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.LagExpiry = dur(2 * time.Minute) })
		h.topic("a", 1, nil)
		h.topic("b", 1, nil)
		var off int64
		for i := range 200 {
			h.produce("a", 0, 1)
			h.produce("b", 0, 1)
			off++
			h.commit("busy", "a", map[int32]int64{0: off}) // keeps up on a
			if i == 0 {
				h.commit("busy", "b", map[int32]int64{0: 1}) // then never again on b
				h.commit("gone", "a", map[int32]int64{0: 1}) // then never again at all
			}
			time.Sleep(time.Second)
			r := h.mustCollect()
			_, hasB := r.get("kafka_consumergroup_lag", "consumergroup", "busy", "topic", "b", "partition", "0")
			switch {
			case i < 110 && !hasB:
				t.Fatalf("round %d: lag of busy on b expired early", i)
			case i > 125 && hasB:
				t.Fatalf("round %d: lag of busy on b did not expire", i)
			}
			if i > 125 {
				r.want(t, 0, "kafka_consumergroup_lag", "consumergroup", "busy", "topic", "a", "partition", "0")
				r.want(t, float64(off-1), "kafka_consumergroup_lag", "consumergroup", "gone", "topic", "a", "partition", "0")
				if s := r.status("gone"); s != "STOP" {
					t.Fatalf("round %d: status of gone = %q, want STOP", i, s)
				}
			}
		}
	})
}
