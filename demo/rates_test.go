package demo

import (
	"math"
	"testing"
	"time"
)

func TestRates(t *testing.T) {
	p, err := New(Options{RateScale: 2, DayLength: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.DayLength() != 10*time.Minute {
		t.Errorf("DayLength() = %v, want 10m", p.DayLength())
	}
	tests := []struct {
		name       string
		topics     []string
		partitions []int
		rate       float64 // the module's mean rate at RateScale 1
		phase      float64
	}{
		{"one topic", []string{"nginx.access.log"}, []int{8}, 200, 0},
		{"two topics", []string{"flight.order.events", "flight.order.status"}, []int{6, 4}, 60, -0.03},
		{"not in the catalog", []string{"no.such.topic"}, []int{0}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, elapsed := range []time.Duration{0, 150 * time.Second, 10*time.Minute + 150*time.Second} {
				sum := 0.0
				for _, topic := range tt.topics {
					sum += p.TopicRate(topic, elapsed)
				}
				want := 2 * tt.rate * diurnal(elapsed, 10*time.Minute, tt.phase)
				if math.Abs(sum-want) > 1e-9 {
					t.Errorf("rate %v into the run = %v, want %v", elapsed, sum, want)
				}
			}
			for i, topic := range tt.topics {
				if got := p.Partitions(topic); got != tt.partitions[i] {
					t.Errorf("Partitions(%q) = %d, want %d", topic, got, tt.partitions[i])
				}
			}
		})
	}
}
