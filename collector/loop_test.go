package collector

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/tsdb/chunkenc"

	"github.com/pipewatch/pipewatch/storage"
)

// TestRoundsInOneMillisecondKeepTheirSamples runs two rounds of a target
// within one millisecond, as happens when the target's phase comes right
// after its first round (which runs at once): both rounds' samples must be
// stored, the second one millisecond after the first, not rejected as
// duplicates of the first's timestamp.
func TestRoundsInOneMillisecondKeepTheirSamples(t *testing.T) {
	st, err := storage.Open(t.TempDir(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.UnixMilli(1_700_000_000_000).Add(200 * time.Microsecond)
	m := NewManager(Options{
		Appender: func(ctx context.Context) Appender { return st.Appender(ctx) },
		Now:      func() time.Time { return now },
	})
	desc := NewDesc("kafka_consumergroup_lag", "Lag.", model.MetricTypeGauge, "consumergroup", "partition")
	round := 0
	l := newLoop(m, Target{Job: "kafka/prod", Instance: "host:1", Interval: time.Second, Timeout: time.Second,
		Collector: CollectorFunc(func(_ context.Context, b *Batch) error {
			round++
			b.Emit(desc, float64(round), "g", "0")
			return nil
		})})
	l.collectOnce(context.Background())
	now = now.Add(500 * time.Microsecond)
	l.collectOnce(context.Background())

	q, err := st.Queryable().Querier(math.MinInt64, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	got := map[string][]float64{}
	var lagTimes []int64
	set := q.Select(context.Background(), false, nil, labels.MustNewMatcher(labels.MatchRegexp, model.MetricNameLabel, "kafka_consumergroup_lag|up"))
	for set.Next() {
		name := set.At().Labels().Get(model.MetricNameLabel)
		it := set.At().Iterator(nil)
		for it.Next() == chunkenc.ValFloat {
			ts, v := it.At()
			got[name] = append(got[name], v)
			if name == "kafka_consumergroup_lag" {
				lagTimes = append(lagTimes, ts)
			}
		}
	}
	if err := set.Err(); err != nil {
		t.Fatal(err)
	}
	if lag := got["kafka_consumergroup_lag"]; len(lag) != 2 || lag[0] != 1 || lag[1] != 2 || lagTimes[1] != lagTimes[0]+1 {
		t.Errorf("lag %v at %v, want [1 2] one millisecond apart", lag, lagTimes)
	}
	if up := got["up"]; len(up) != 2 {
		t.Errorf("up %v, want a sample for each round", up)
	}
}
