package kafka

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipewatch/pipewatch/collector"
)

// harness is a kfake cluster on a virtual network, a client to set it up
// and a collector watching it. Create it inside a synctest bubble.
type harness struct {
	t       *testing.T
	vn      *kfake.VirtualNetwork
	cluster *kfake.Cluster
	cl      *kgo.Client
	adm     *kadm.Client
	col     *Collector
	cfg     *Config
}

// newHarness starts a three-broker cluster and a collector with a 1s
// interval; mod may change the collector's configuration.
func newHarness(t *testing.T, mod func(*Config), opts ...kfake.Opt) *harness {
	t.Helper()
	h := &harness{t: t, vn: new(kfake.VirtualNetwork)}
	var err error
	h.cluster, err = kfake.NewCluster(append([]kfake.Opt{
		kfake.NumBrokers(3), kfake.Ports(9092, 9093, 9094), kfake.ListenFn(h.vn.Listen),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.cluster.Close)
	h.cl = h.client()
	h.adm = kadm.NewClient(h.cl)
	h.cfg = &Config{
		Name:             "test",
		Brokers:          h.cluster.ListenAddrs(),
		CollectInterval:  dur(time.Second),
		MetadataInterval: dur(30 * time.Second),
	}
	if mod != nil {
		mod(h.cfg)
	}
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	h.col, err = New(h.cfg, Options{Dialer: h.vn.DialContext, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.col.Close() })
	return h
}

// client returns a new client of the cluster that produces to the
// partition a record names; it is closed when the test ends.
func (h *harness) client(opts ...kgo.Opt) *kgo.Client {
	h.t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(h.cluster.ListenAddrs()...),
		kgo.Dialer(h.vn.DialContext),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
	}, opts...)...)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(cl.Close)
	return cl
}

func dur(d time.Duration) model.Duration { return model.Duration(d) }

// topic creates a topic.
func (h *harness) topic(name string, partitions int32, configs map[string]string) {
	h.t.Helper()
	if err := h.cluster.CreateTopic(name, partitions, configs); err != nil {
		h.t.Fatal(err)
	}
}

// produce writes n records to a partition.
func (h *harness) produce(topic string, partition int32, n int) {
	h.t.Helper()
	rs := make([]*kgo.Record, n)
	for i := range rs {
		rs[i] = &kgo.Record{Topic: topic, Partition: partition, Value: []byte("v")}
	}
	if err := h.cl.ProduceSync(context.Background(), rs...).FirstErr(); err != nil {
		h.t.Fatal(err)
	}
}

// commit commits offsets for a group without members, as Flink does.
func (h *harness) commit(group, topic string, offsets map[int32]int64) {
	h.t.Helper()
	os := kadm.Offsets{}
	for p, o := range offsets {
		os.Add(kadm.Offset{Topic: topic, Partition: p, At: o, LeaderEpoch: -1})
	}
	if err := h.adm.CommitAllOffsets(context.Background(), group, os); err != nil {
		h.t.Fatal(err)
	}
}

// result is one collected round.
type result struct {
	series map[string]float64
	batch  *collector.Batch
	err    error
}

// collect runs one round with a timeout of one interval.
func (h *harness) collect() result {
	h.t.Helper()
	b := collector.NewBatch()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := h.col.Collect(ctx, b)
	r := result{series: map[string]float64{}, batch: b, err: err}
	b.Each(func(l labels.Labels, _ int64, v float64) {
		r.series[seriesKey(l)] = v
	})
	return r
}

// mustCollect runs one round and fails the test on any error.
func (h *harness) mustCollect() result {
	h.t.Helper()
	r := h.collect()
	if r.err != nil {
		h.t.Fatalf("collect: %v", r.err)
	}
	return r
}

// get returns the value of the series name{labels...}; labels are
// name=value pairs, cluster="test" implied.
func (r result) get(name string, kv ...string) (float64, bool) {
	l := labels.NewBuilder(labels.FromStrings("__name__", name, "cluster", "test"))
	for i := 0; i+1 < len(kv); i += 2 {
		l.Set(kv[i], kv[i+1])
	}
	v, ok := r.series[seriesKey(l.Labels())]
	return v, ok
}

// seriesKey formats l as name{label="value", ...}.
func seriesKey(l labels.Labels) string {
	name := l.Get("__name__")
	return name + labels.NewBuilder(l).Del("__name__").Labels().String()
}

// want checks that a series has a value.
func (r result) want(t *testing.T, v float64, name string, kv ...string) {
	t.Helper()
	got, ok := r.get(name, kv...)
	switch {
	case !ok:
		t.Errorf("%s%v missing; have:\n%s", name, kv, r.dump(name))
	case got != v:
		t.Errorf("%s%v = %v, want %v", name, kv, got, v)
	}
}

// absent checks that no series of name matches all given label pairs.
func (r result) absent(t *testing.T, name string, kv ...string) {
	t.Helper()
	for s := range r.series {
		if r.matches(s, name, kv) {
			t.Errorf("unexpected series %s", s)
		}
	}
}

func (r result) matches(s, name string, kv []string) bool {
	if !strings.HasPrefix(s, name+"{") {
		return false
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if !strings.Contains(s, fmt.Sprintf("%s=%q", kv[i], kv[i+1])) {
			return false
		}
	}
	return true
}

// status returns the group's current status ("" if none is reported).
func (r result) status(group string) string {
	for _, s := range statusNames {
		if v, _ := r.get("kafka_consumergroup_status", "consumergroup", group, "status", s); v == 1 {
			return s
		}
	}
	return ""
}

// dump lists the series of a family, sorted.
func (r result) dump(name string) string {
	var out []string
	for s, v := range r.series {
		if strings.HasPrefix(s, name+"{") {
			out = append(out, fmt.Sprintf("%s %v", s, v))
		}
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}
