package promref

import (
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
)

const (
	// SampleInterval is the spacing of the samples of every generated series,
	// like a 15 s scrape interval.
	SampleInterval = 15 * time.Second
	// SampleOffset is how far past a whole multiple of SampleInterval (since
	// the Unix epoch) every generated sample lies. Evaluation times and range
	// boundaries on whole seconds therefore never coincide with a sample, so
	// the switch to left-open ranges in Prometheus 3.0 does not show.
	SampleOffset = 1234 * time.Millisecond
	// Span is the time range Dataset covers: Queries expects its end argument
	// to be Dataset's start plus Span.
	Span = 2 * time.Hour
	// DataTail is how long before start+Span Dataset's samples stop, so that
	// queries near the end of the range see series go stale and vanish.
	DataTail = 10 * time.Minute
)

// Sample is one float sample: T is a Unix timestamp in milliseconds.
type Sample struct {
	T int64
	V float64
}

// Series is one time series: its labels, including __name__, and its
// samples in strictly increasing time order.
type Series struct {
	Labels  labels.Labels
	Samples []Sample
}

// Dataset returns a small, deterministic and representative set of series
// covering [start, start+Span-DataTail], sorted by labels.
//
// It holds about 115 series with one sample every SampleInterval (about 50k
// samples in all):
//
//   - http_requests_total{job,instance,method,code}: counters for jobs "api"
//     (instances api-0..2:8080) and "web" (web-0..1:8080). api-1 restarts
//     (all its counters reset) 76 minutes before start+Span, web-1 restarts
//     at 87 and 37.5 minutes before it, and api-2 is decommissioned: its
//     series stop 32 minutes before it.
//   - request_duration_seconds_bucket{job,instance,le} with _sum and _count:
//     a classic histogram per instance with the usual 12 buckets from 0.005
//     to +Inf (le values in OpenMetrics form: "1.0", "+Inf"), resetting and
//     stopping together with the counters.
//   - process_resident_memory_bytes{job,instance}: gauges; web-1 has a gap
//     of eleven minutes (no samples from 70.5 to 59.5 minutes before the end).
//   - app_build_info{job,instance,version}: constant 1, for group_left joins.
//   - kafka_consumergroup_lag{consumergroup,topic,partition}: integer gauges
//     for groups "orders-enricher" and "billing" (random walks; billing's
//     partition 3 appears 65 minutes before the end) and "audit-sink"
//     (steadily growing, for deriv and predict_linear).
//   - stream_task_records_in_total and stream_task_backpressure_ratio
//     {job="flink",task="enrich-3"}: a counter starting from zero and a gauge
//     that exist only from 92.5 to 54 minutes before the end.
//   - pipewatch_special_value{kind}: constants 0, -0, -42.5, 1e300, 1e-300,
//     +Inf and -Inf (no NaN).
func Dataset(start time.Time) []Series {
	end := start.Add(Span)
	grid := sampleTimes(start, end.Add(-DataTail))
	before := func(d time.Duration) int64 { return end.Add(-d).UnixMilli() }
	all := window(grid, math.MinInt64, math.MaxInt64)

	type instance struct {
		job, name string
		resets    []int64
		stop      int64 // exclusive; math.MaxInt64 when it never stops
		reqRate   float64
		version   string
	}
	instances := []instance{
		{job: "api", name: "api-0:8080", stop: math.MaxInt64, reqRate: 40, version: "1.5.2"},
		{job: "api", name: "api-1:8080", resets: []int64{before(76 * time.Minute)}, stop: math.MaxInt64, reqRate: 35, version: "1.5.2"},
		{job: "api", name: "api-2:8080", stop: before(32 * time.Minute), reqRate: 20, version: "1.4.0"},
		{job: "web", name: "web-0:8080", stop: math.MaxInt64, reqRate: 15, version: "2.0.1"},
		{job: "web", name: "web-1:8080", resets: []int64{before(87 * time.Minute), before(37*time.Minute + 30*time.Second)}, stop: math.MaxInt64, reqRate: 12, version: "2.0.1"},
	}

	var out []Series
	add := func(lset labels.Labels, samples []Sample) {
		if len(samples) > 0 {
			out = append(out, Series{Labels: lset, Samples: samples})
		}
	}
	for _, in := range instances {
		ts := window(grid, math.MinInt64, in.stop)
		type route struct {
			method, code string
			share        float64
		}
		routes := []route{{"GET", "200", 0.7}, {"GET", "500", 0.01}, {"POST", "200", 0.28}, {"POST", "500", 0.01}}
		if in.job == "web" {
			routes = []route{{"GET", "200", 0.9}, {"GET", "404", 0.1}}
		}
		for _, rt := range routes {
			lset := labels.FromStrings(model.MetricNameLabel, "http_requests_total",
				"job", in.job, "instance", in.name, "method", rt.method, "code", rt.code)
			add(lset, counterSamples(newRNG(lset), ts, 1000*rt.share*in.reqRate, rt.share*in.reqRate*15, in.resets))
		}
		for _, s := range histogramSeries(in.job, in.name, ts, in.reqRate, in.resets) {
			add(s.Labels, s.Samples)
		}

		mem := labels.FromStrings(model.MetricNameLabel, "process_resident_memory_bytes", "job", in.job, "instance", in.name)
		memTimes := ts
		if in.name == "web-1:8080" {
			memTimes = slices.Concat(
				window(ts, math.MinInt64, before(70*time.Minute+30*time.Second)),
				window(ts, before(59*time.Minute+30*time.Second), math.MaxInt64))
		}
		add(mem, memorySamples(newRNG(mem), memTimes))

		info := labels.FromStrings(model.MetricNameLabel, "app_build_info", "job", in.job, "instance", in.name, "version", in.version)
		add(info, constSamples(ts, 1))
	}

	type group struct {
		name, topic string
		partitions  int
		growing     bool
	}
	for _, g := range []group{{"orders-enricher", "orders", 3, false}, {"billing", "payments", 4, false}, {"audit-sink", "orders", 3, true}} {
		for p := range g.partitions {
			lset := labels.FromStrings(model.MetricNameLabel, "kafka_consumergroup_lag",
				"consumergroup", g.name, "topic", g.topic, "partition", fmt.Sprint(p))
			ts := all
			if g.name == "billing" && p == 3 {
				ts = window(grid, before(65*time.Minute), math.MaxInt64)
			}
			add(lset, lagSamples(newRNG(lset), ts, g.growing))
		}
	}

	taskTimes := window(grid, before(92*time.Minute+30*time.Second), before(54*time.Minute))
	records := labels.FromStrings(model.MetricNameLabel, "stream_task_records_in_total", "job", "flink", "task", "enrich-3")
	add(records, counterSamples(newRNG(records), taskTimes, 0, 600, nil))
	pressure := labels.FromStrings(model.MetricNameLabel, "stream_task_backpressure_ratio", "job", "flink", "task", "enrich-3")
	r := newRNG(pressure)
	add(pressure, gaugeSamples(taskTimes, func(int) float64 { return math.Round(r.float64()*1000) / 1000 }))

	for _, sv := range []struct {
		kind string
		v    float64
	}{
		{"zero", 0}, {"negzero", math.Copysign(0, -1)}, {"negative", -42.5}, {"large", 1e300},
		{"small", 1e-300}, {"posinf", math.Inf(1)}, {"neginf", math.Inf(-1)},
	} {
		add(labels.FromStrings(model.MetricNameLabel, "pipewatch_special_value", "kind", sv.kind), constSamples(all, sv.v))
	}

	slices.SortFunc(out, func(a, b Series) int { return labels.Compare(a.Labels, b.Labels) })
	return out
}

// Large returns n deterministic series with one sample every
// SampleInterval over [start, start+d], for benchmarks. Unlike Dataset it has
// no tail gap. Even-numbered series are counters named bench_requests_total
// (one in ten of them resets once), odd-numbered ones gauges named
// bench_queue_depth; all carry job="bench-0".."bench-9", zone="zone-0".."zone-2"
// and a unique instance label, so `sum by (job)` over either name groups
// n/20 series.
func Large(n int, start time.Time, d time.Duration) []Series {
	grid := sampleTimes(start, start.Add(d))
	out := make([]Series, 0, n)
	for i := range n {
		name := "bench_requests_total"
		if i%2 == 1 {
			name = "bench_queue_depth"
		}
		lset := labels.FromStrings(model.MetricNameLabel, name,
			"job", fmt.Sprintf("bench-%d", i/2%10), "zone", fmt.Sprintf("zone-%d", i%3), "instance", fmt.Sprintf("host-%05d:9100", i))
		r := newRNG(lset)
		var samples []Sample
		if i%2 == 0 {
			var resets []int64
			if i%20 == 0 && len(grid) > 2 {
				resets = []int64{grid[1+r.intn(len(grid)-1)]}
			}
			samples = counterSamples(r, grid, float64(r.intn(100000)), 1+r.float64()*100, resets)
		} else {
			samples = lagSamples(r, grid, false)
		}
		out = append(out, Series{Labels: lset, Samples: samples})
	}
	return out
}

// sampleTimes returns the sample timestamps (ms) in [from, to]: SampleOffset
// past every multiple of SampleInterval.
func sampleTimes(from, to time.Time) []int64 {
	t := from.Truncate(SampleInterval).Add(SampleOffset)
	if t.Before(from) {
		t = t.Add(SampleInterval)
	}
	var ts []int64
	for ; !t.After(to); t = t.Add(SampleInterval) {
		ts = append(ts, t.UnixMilli())
	}
	return ts
}

// window returns the timestamps in ts that lie in [from, to).
func window(ts []int64, from, to int64) []int64 {
	lo, _ := slices.BinarySearch(ts, from)
	hi, _ := slices.BinarySearch(ts, to)
	return ts[lo:hi]
}

// counterSamples returns an integer counter that starts at about initial,
// grows by meanInc per sample on average and restarts from zero at each of
// the reset times.
func counterSamples(r *rng, ts []int64, initial, meanInc float64, resets []int64) []Sample {
	out := make([]Sample, 0, len(ts))
	v := math.Round(initial)
	next := 0
	for _, t := range ts {
		if next < len(resets) && t >= resets[next] {
			v = 0
			next++
		}
		v += math.Floor(meanInc*(0.5+r.float64()) + r.float64())
		out = append(out, Sample{T: t, V: v})
	}
	return out
}

// histogramBuckets are the upper bounds of request_duration_seconds, the
// client libraries' defaults, spelled as OpenMetrics spells them.
func histogramBuckets() []string {
	return []string{"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "+Inf"}
}

// histogramSeries returns the _bucket, _sum and _count series of one
// instance's request_duration_seconds histogram, observing about rate
// requests a second with log-normal latencies.
func histogramSeries(job, instance string, ts []int64, rate float64, resets []int64) []Series {
	les := histogramBuckets()
	bounds := make([]float64, len(les))
	for i, le := range les {
		bounds[i], _ = strconv.ParseFloat(le, 64) // the constants above all parse; "+Inf" too
	}
	base := labels.FromStrings("job", job, "instance", instance)
	r := newRNG(base)
	mu := math.Log(0.08) // median latency 80 ms; "web" is slower
	if job == "web" {
		mu = math.Log(0.3)
	}
	counts := make([]float64, len(les))
	var sum, count float64
	buckets := make([][]Sample, len(les))
	var sums, totals []Sample
	next := 0
	for _, t := range ts {
		if next < len(resets) && t >= resets[next] {
			clear(counts)
			sum, count = 0, 0
			next++
		}
		n := int(rate * 15 * (0.5 + r.float64()))
		for range n {
			latency := math.Exp(mu + 0.9*r.norm())
			sum += latency
			count++
			for i, b := range bounds {
				if latency <= b {
					counts[i]++
				}
			}
		}
		for i := range les {
			buckets[i] = append(buckets[i], Sample{T: t, V: counts[i]})
		}
		sums = append(sums, Sample{T: t, V: sum})
		totals = append(totals, Sample{T: t, V: count})
	}
	with := func(name string, extra ...string) labels.Labels {
		b := labels.NewBuilder(base)
		b.Set(model.MetricNameLabel, name)
		for i := 0; i+1 < len(extra); i += 2 {
			b.Set(extra[i], extra[i+1])
		}
		return b.Labels()
	}
	out := make([]Series, 0, len(les)+2)
	for i, le := range les {
		out = append(out, Series{Labels: with("request_duration_seconds_bucket", "le", le), Samples: buckets[i]})
	}
	out = append(out,
		Series{Labels: with("request_duration_seconds_sum"), Samples: sums},
		Series{Labels: with("request_duration_seconds_count"), Samples: totals})
	return out
}

// memorySamples returns a resident-memory gauge: whole 4 KiB pages around a
// per-series base with a slow wave and noise.
func memorySamples(r *rng, ts []int64) []Sample {
	base := 150e6 + r.float64()*200e6
	phase := r.float64() * 2 * math.Pi
	return gaugeSamples(ts, func(k int) float64 {
		v := base + 30e6*math.Sin(phase+2*math.Pi*float64(k)/240) + 2e6*r.norm()
		return math.Round(v/4096) * 4096
	})
}

// lagSamples returns a non-negative integer consumer-lag gauge: a random
// walk, or a steadily growing series when growing is set.
func lagSamples(r *rng, ts []int64, growing bool) []Sample {
	v := math.Round(50 + r.float64()*800)
	return gaugeSamples(ts, func(int) float64 {
		if growing {
			v += math.Round(8 + 4*r.norm())
		} else {
			v += math.Round(25 * r.norm())
		}
		v = max(v, 0)
		return v
	})
}

// constSamples returns the value v at every time in ts.
func constSamples(ts []int64, v float64) []Sample {
	return gaugeSamples(ts, func(int) float64 { return v })
}

// gaugeSamples returns value(k) at the k-th time in ts.
func gaugeSamples(ts []int64, value func(k int) float64) []Sample {
	out := make([]Sample, len(ts))
	for k, t := range ts {
		out[k] = Sample{T: t, V: value(k)}
	}
	return out
}

// rng is a small deterministic pseudo-random generator (SplitMix64), so the
// generated data depends on nothing but this file.
type rng struct{ state uint64 }

// newRNG returns a generator seeded from a label set, so each series' values
// do not depend on the order in which series are generated.
func newRNG(seed labels.Labels) *rng {
	h := fnv.New64a()
	h.Write([]byte(seed.String()))
	return &rng{state: h.Sum64()}
}

func (r *rng) uint64() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// float64 returns a number in [0, 1).
func (r *rng) float64() float64 { return float64(r.uint64()>>11) / (1 << 53) }

// intn returns a number in [0, n); n must be positive.
func (r *rng) intn(n int) int { return int(r.uint64() % uint64(n)) }

// norm returns a standard normally distributed number (Box–Muller).
func (r *rng) norm() float64 {
	u1 := 1 - r.float64()
	u2 := r.float64()
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}
