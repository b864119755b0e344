package sim

import (
	"math"
	"testing"
	"time"
)

func TestPeriodic(t *testing.T) {
	const day = time.Hour
	constant := tabulate(day, func(time.Duration) float64 { return 2 })
	wave := tabulate(day, func(e time.Duration) float64 { return 1 + math.Sin(2*math.Pi*e.Seconds()/day.Seconds()) })
	tests := []struct {
		name string
		p    periodic
		at   time.Duration
		want float64
	}{
		{"before the start", constant, -time.Minute, 0},
		{"at the start", constant, 0, 0},
		{"within a cell", constant, 1250 * time.Millisecond, 2.5},
		{"a day", constant, day, 7200},
		{"days and a bit", constant, 3*day + time.Minute, 3*7200 + 120},
		{"a whole wave", wave, day, 3600},
		{"half a wave", wave, day / 2, 1800 + 3600/math.Pi},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.at(tt.at); math.Abs(got-tt.want) > 1e-6*math.Max(1, tt.want)+0.05 {
				t.Errorf("at(%v) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
	prev := 0.0
	for e := time.Duration(0); e < 2*day; e += 700 * time.Millisecond {
		v := wave.at(e)
		if v < prev {
			t.Fatalf("integral falls from %v to %v at %v", prev, v, e)
		}
		prev = v
	}
}

func TestLoadCurves(t *testing.T) {
	tests := []struct {
		load, overload, fill float64
	}{
		{0.5, 0, 0},
		{queueLoad, 0, 0},
		{(queueLoad + rejectLoad) / 2, 0, 0.5},
		{rejectLoad, 0, 1},
		{(rejectLoad + 1) / 2, 0.5, 1},
		{1, 1, 1},
		{1.2, 1, 1},
	}
	for _, tt := range tests {
		if got := overload(tt.load); math.Abs(got-tt.overload) > 1e-9 {
			t.Errorf("overload(%v) = %v, want %v", tt.load, got, tt.overload)
		}
		if got := queueFill(tt.load); math.Abs(got-tt.fill) > 1e-9 {
			t.Errorf("queueFill(%v) = %v, want %v", tt.load, got, tt.fill)
		}
	}
}

func TestTrafficFollowsThePlatform(t *testing.T) {
	p := newPlatform(t)
	tr := newTraffic(p)
	if len(tr.es) == 0 || tr.esPeak <= 0 {
		t.Fatalf("no Elasticsearch traffic: %d topics, peak %v", len(tr.es), tr.esPeak)
	}
	topic := tr.topics["nginx.access.log"]
	if topic == nil || len(topic.shares) != p.Partitions("nginx.access.log") {
		t.Fatalf("nginx.access.log: %+v", topic)
	}
	// A day's records are the day's mean rate times its length.
	mean := 0.0
	for i := range cellsPerDay {
		mean += p.TopicRate(topic.name, cellMid(tr.day, i)) / cellsPerDay
	}
	if got, want := tr.written([]*topicTraffic{topic}, tr.day), mean*tr.day.Seconds(); math.Abs(got-want) > 1e-6*want {
		t.Errorf("records in a day = %v, want %v", got, want)
	}
	sum := 0.0
	for i := range topic.shares {
		sum += topic.offset(i, tr.day)
	}
	if total := topic.written.at(tr.day); sum > total || sum < total-float64(len(topic.shares)) {
		t.Errorf("partition offsets add up to %v, want the %v records written", sum, total)
	}
	// What the systems handled before the run counts the previous day.
	if got, want := tr.writtenBetween(tr.es, -time.Minute, 0), tr.written(tr.es, tr.day)-tr.written(tr.es, tr.day-time.Minute); math.Abs(got-want) > 1e-6*want {
		t.Errorf("records in the minute before the run = %v, want %v", got, want)
	}
}

func TestWander(t *testing.T) {
	w := wanderer{seed: seed}
	prev := w.at("k", 0, 10)
	for i := 1; i < 10000; i++ {
		x := float64(i) / 10
		v := w.at("k", x, 10)
		if v < -1 || v > 1 {
			t.Fatalf("at(%v) = %v, out of [-1, 1]", x, v)
		}
		if math.Abs(v-prev) > 0.1 {
			t.Fatalf("at jumps from %v to %v at %v", prev, v, x)
		}
		prev = v
	}
	if w.at("k", 123.4, 10) != w.at("k", 123.4, 10) {
		t.Error("at is not a function of its arguments")
	}
	if w.at("k", 123.4, 10) == w.at("other", 123.4, 10) {
		t.Error("keys share their noise")
	}
}
