package sim

import (
	"hash/fnv"
	"math"
	"strings"
	"time"
)

// cellsPerDay is the resolution at which rates are integrated over one
// simulated day: 1,440 cells, 2.5 s each with the default one-hour day.
const cellsPerDay = 1440

// The Elasticsearch cluster is sized so that the combined rate of the
// modules writing to it (the ES-sink modules) strains it near its daily
// peak: its write queue starts to fill above queueLoad of that peak and
// is full, so that the write thread pool rejects, above rejectLoad. With the
// demo catalog the cluster rejects for about a fifth of each day (twelve
// minutes an hour with the default day), starting a few minutes into a run.
const (
	queueLoad  = 0.88
	rejectLoad = 0.94
	// maxRejectRate is the cluster's write rejects per second at the daily
	// peak.
	maxRejectRate = 24.0
)

// traffic is the demo's traffic as the simulated systems see it: the mean
// produce rate of every topic and the records written since the start of
// the run, and the Elasticsearch cluster's load and rejects. Everything
// is a pure function of the time elapsed since the run started; the
// cumulative figures are integrals tabulated over one day when the
// simulation is built, since the demo's rates repeat every day.
type traffic struct {
	p        Platform
	day      time.Duration
	topics   map[string]*topicTraffic
	es       []*topicTraffic // topics of the modules with an "es:" sink
	esPeak   float64         // highest combined rate of es over a day
	rejected periodic        // the cluster's write rejects
}

// topicTraffic is one topic of the catalog.
type topicTraffic struct {
	name    string
	shares  []float64 // of the records, by partition; they add up to 1
	written periodic  // records written
}

// partitionSkew is how unevenly records spread over a topic's partitions.
const partitionSkew = 0.08

// newTopicTraffic tabulates the records written to topic.
func newTopicTraffic(p Platform, day time.Duration, topic string) *topicTraffic {
	tt := &topicTraffic{
		name:    topic,
		shares:  make([]float64, max(p.Partitions(topic), 1)),
		written: tabulate(day, func(e time.Duration) float64 { return p.TopicRate(topic, e) }),
	}
	h := fnv.New64a()
	h.Write([]byte(topic))
	sum := 0.0
	for i := range tt.shares {
		tt.shares[i] = 1 + partitionSkew*level(h.Sum64(), int64(i))
		sum += tt.shares[i]
	}
	for i := range tt.shares {
		tt.shares[i] /= sum
	}
	return tt
}

// offset returns the end offset of partition i elapsed into the run: the
// records written to it.
func (tt *topicTraffic) offset(i int, elapsed time.Duration) float64 {
	return math.Floor(tt.written.at(elapsed) * tt.shares[i])
}

// newTraffic tabulates the traffic of every topic of p's modules.
func newTraffic(p Platform) *traffic {
	t := &traffic{p: p, day: p.DayLength(), topics: map[string]*topicTraffic{}}
	for _, m := range p.Modules() {
		toES := false
		for _, s := range m.Sinks {
			toES = toES || strings.HasPrefix(s, "es:")
		}
		for _, name := range m.Topics {
			tt := newTopicTraffic(p, t.day, name)
			t.topics[name] = tt
			if toES {
				t.es = append(t.es, tt)
			}
		}
	}
	for i := range cellsPerDay {
		t.esPeak = max(t.esPeak, t.rate(t.es, cellMid(t.day, i)))
	}
	t.rejected = tabulate(t.day, func(e time.Duration) float64 {
		return maxRejectRate * overload(t.esLoad(e))
	})
	return t
}

// lookup returns the named topics that the catalog has.
func (t *traffic) lookup(names []string) []*topicTraffic {
	var out []*topicTraffic
	for _, n := range names {
		if tt := t.topics[n]; tt != nil {
			out = append(out, tt)
		}
	}
	return out
}

// rate returns the combined produce rate of topics, in records per second,
// elapsed into the run.
func (t *traffic) rate(topics []*topicTraffic, elapsed time.Duration) float64 {
	r := 0.0
	for _, tt := range topics {
		r += t.p.TopicRate(tt.name, elapsed)
	}
	return r
}

// written returns the records written to topics in the first elapsed of
// the run.
func (t *traffic) written(topics []*topicTraffic, elapsed time.Duration) float64 {
	n := 0.0
	for _, tt := range topics {
		n += tt.written.at(elapsed)
	}
	return n
}

// writtenBetween returns the records written to topics between from and
// to, which may lie before the run: the rates repeat every day, so the
// simulated systems can count what they handled before the simulation
// started.
func (t *traffic) writtenBetween(topics []*topicTraffic, from, to time.Duration) float64 {
	if from < 0 {
		shift := (-from/t.day + 1) * t.day
		from, to = from+shift, to+shift
	}
	return t.written(topics, to) - t.written(topics, from)
}

// esLoad returns the combined rate of the ES-sink modules as a share of its
// daily peak.
func (t *traffic) esLoad(elapsed time.Duration) float64 {
	if t.esPeak <= 0 {
		return 0
	}
	return t.rate(t.es, elapsed) / t.esPeak
}

// overload returns how far load is into the rejecting range, from 0 at
// rejectLoad to 1 at the peak.
func overload(load float64) float64 {
	return clamp((load-rejectLoad)/(1-rejectLoad), 0, 1)
}

// queueFill returns how full the write queue is at load: empty below
// queueLoad, then filling to full at rejectLoad.
func queueFill(load float64) float64 {
	x := clamp((load-queueLoad)/(rejectLoad-queueLoad), 0, 1)
	return x * x * (3 - 2*x)
}

// periodic is the integral of a rate that repeats every period, tabulated
// once over one period: cum[i] is the integral over the first i cells, each
// cell counting its midpoint rate. Between cell boundaries it is
// interpolated linearly, so it never decreases when the rate is never
// negative.
type periodic struct {
	period time.Duration
	cum    []float64 // cellsPerDay+1 entries
}

// tabulate integrates rate over one period of length day.
func tabulate(day time.Duration, rate func(time.Duration) float64) periodic {
	p := periodic{period: day, cum: make([]float64, cellsPerDay+1)}
	cell := day.Seconds() / cellsPerDay
	for i := range cellsPerDay {
		p.cum[i+1] = p.cum[i] + max(rate(cellMid(day, i)), 0)*cell
	}
	return p
}

// at returns the integral from 0 to elapsed (0 for elapsed before 0).
func (p periodic) at(elapsed time.Duration) float64 {
	if elapsed <= 0 || p.period <= 0 {
		return 0
	}
	days := math.Floor(float64(elapsed) / float64(p.period))
	x := (float64(elapsed)/float64(p.period) - days) * cellsPerDay
	i := min(int(x), cellsPerDay-1)
	return days*p.cum[cellsPerDay] + p.cum[i] + (p.cum[i+1]-p.cum[i])*(x-float64(i))
}

// cellMid returns the middle of cell i of a day.
func cellMid(day time.Duration, i int) time.Duration {
	return time.Duration((float64(i) + 0.5) * float64(day) / cellsPerDay)
}

func clamp(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }
