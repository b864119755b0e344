package benchutil

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		name string
		ds   []time.Duration
		p    int
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value", ms(7), 90, 7 * time.Millisecond},
		{"median of odd count", ms(5, 1, 3), 50, 3 * time.Millisecond},
		{"median of even count is the lower", ms(4, 1, 3, 2), 50, 2 * time.Millisecond},
		{"p90 of ten", ms(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), 90, 9 * time.Millisecond},
		{"max", ms(2, 9, 4), 100, 9 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.ds, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %d) = %v, want %v", tt.ds, tt.p, got, tt.want)
			}
		})
	}
	in := ms(3, 1, 2)
	Percentile(in, 50)
	if in[0] != 3*time.Millisecond {
		t.Error("Percentile sorted its input")
	}
}

func TestCPUTimeGrows(t *testing.T) {
	before := CPUTime()
	deadline := time.Now().Add(2 * time.Second)
	for CPUTime() <= before && time.Now().Before(deadline) {
		// Spin: a busy loop is what uses CPU time.
	}
	if CPUTime() <= before {
		t.Errorf("CPU time did not grow while spinning (%v)", before)
	}
}
