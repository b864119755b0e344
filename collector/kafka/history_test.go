package kafka

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestHistorySteadyRateIsExact(t *testing.T) {
	var h endHistory
	// 10 records/s observed every second for 10 minutes.
	for sec := int64(0); sec <= 600; sec++ {
		h.observe(10*sec, sec*1000)
	}
	if h.n > historyCap {
		t.Fatalf("n = %d > %d", h.n, historyCap)
	}
	now := int64(600_000)
	for _, behind := range []float64{0.5, 1, 7.3, 30, 120, 599} {
		c := int64(10 * (600 - behind))
		got, extrapolated, ok := h.lagSeconds(c, now)
		// The record at c was produced when the end passed c, c/10 + 0.1 s.
		want := 600 - (float64(c)/10 + 0.1)
		if !ok || extrapolated || math.Abs(got-want) > 0.01 {
			t.Errorf("%vs behind: lag = %v (extrapolated %v, ok %v), want %v", behind, got, extrapolated, ok, want)
		}
	}
	if got, _, _ := h.lagSeconds(6000, now); got != 0 {
		t.Errorf("caught up: lag = %v, want 0", got)
	}
	if got, _, _ := h.lagSeconds(9000, now); got != 0 {
		t.Errorf("ahead of the end: lag = %v, want 0", got)
	}
}

func TestHistoryKeepsIdlePlateaus(t *testing.T) {
	var h endHistory
	// A burst of 100 records in 10 s, an hour of silence, another burst.
	sec := int64(0)
	for ; sec <= 10; sec++ {
		h.observe(10*sec, sec*1000)
	}
	for ; sec <= 3610; sec++ {
		h.observe(100, sec*1000)
	}
	for i := int64(1); i <= 10; i++ {
		h.observe(100+10*i, (3610+i)*1000)
	}
	now := int64(3620_000)
	// Offset 150 was written in the second burst, about 5 s ago, not
	// half an hour ago as a straight line over the silence would say.
	got, _, _ := h.lagSeconds(150, now)
	if got < 4 || got > 6 {
		t.Errorf("lag of offset 150 = %v s, want about 5", got)
	}
	// Offset 50 was written in the first burst, an hour ago.
	if got, _, _ := h.lagSeconds(50, now); got < 3614 || got > 3616 {
		t.Errorf("lag of offset 50 = %v s, want about 3615", got)
	}
}

func TestHistoryThinningAccuracy(t *testing.T) {
	// A rate that changes every 5 minutes between 1 and 1,000 records/s,
	// observed every second for 6 hours; the exact history is kept aside.
	rng := rand.New(rand.NewPCG(1, 2))
	var h endHistory
	type pt struct{ off, t int64 }
	var exact []pt
	off, rate := int64(0), 10.0
	const secs = 6 * 3600
	for sec := int64(0); sec <= secs; sec++ {
		if sec%300 == 0 {
			rate = math.Pow(10, 3*rng.Float64())
		}
		h.observe(off, sec*1000)
		exact = append(exact, pt{off, sec * 1000})
		off += int64(rate)
	}
	now := int64(secs * 1000)
	var worstRel float64
	for i := 0; i < 2000; i++ {
		k := 1 + rng.IntN(len(exact)-2)
		if exact[k].off == exact[k-1].off {
			continue
		}
		c := exact[k-1].off // written between exact[k-1].t and exact[k].t
		got, _, ok := h.lagSeconds(c, now)
		if !ok {
			t.Fatalf("no estimate for offset %d", c)
		}
		age := float64(now-exact[k].t) / 1000
		truthLo, truthHi := age, age+1
		var errSecs float64
		switch {
		case got < truthLo:
			errSecs = truthLo - got
		case got > truthHi:
			errSecs = got - truthHi
		}
		if age >= 60 {
			worstRel = max(worstRel, errSecs/age)
		} else if errSecs > 1 {
			t.Errorf("offset %d, %v s old: estimate %v s off by %v s", c, age, got, errSecs)
		}
	}
	t.Logf("worst error relative to age (ages >= 60 s): %.1f%%", 100*worstRel)
	if worstRel > 0.25 {
		t.Errorf("worst relative error %.1f%% exceeds 25%%", 100*worstRel)
	}
}

func TestHistoryExtrapolationIsBounded(t *testing.T) {
	var h endHistory
	for sec := int64(0); sec <= 10; sec++ {
		h.observe(1000+100*sec, sec*1000)
	}
	now := int64(10_000)
	// 100 records/s: offset 500 is 5 s before the oldest point.
	if got, extrapolated, _ := h.lagSeconds(500, now); !extrapolated || math.Abs(got-15) > 0.01 {
		t.Errorf("lag of 500 = %v (extrapolated %v), want 15", got, extrapolated)
	}
	// Offset 0 would be 10 s before it, but extrapolation stops at the
	// history's span (10 s): at most 20 s.
	if got, _, _ := h.lagSeconds(0, now); got != 20 {
		t.Errorf("lag of 0 = %v, want the bound 20", got)
	}
	// With a single point there is no rate: the lag is a lower bound.
	var one endHistory
	one.observe(100, 5000)
	if got, extrapolated, _ := one.lagSeconds(10, 8000); !extrapolated || got != 3 {
		t.Errorf("single point: lag = %v (extrapolated %v), want 3", got, extrapolated)
	}
}

func TestHistoryNeverNegative(t *testing.T) {
	var h endHistory
	h.observe(0, 10_000)
	h.observe(100, 20_000)
	// A clock that went backwards must not give a negative lag.
	if got, _, _ := h.lagSeconds(50, 5_000); got != 0 {
		t.Errorf("lag = %v, want 0", got)
	}
	var empty endHistory
	if _, _, ok := empty.lagSeconds(0, 0); ok {
		t.Error("empty history gave an estimate")
	}
}

func TestHistoryRestartsWhenTheEndGoesBack(t *testing.T) {
	var h endHistory
	h.observe(100, 1000)
	h.observe(200, 2000)
	h.observe(5, 3000) // topic recreated
	if h.n != 1 || h.pts[0] != (offsetTime{5, 3000}) {
		t.Errorf("history = %v, want only {5 3000}", h.pts[:h.n])
	}
}

func TestHistoryAnchors(t *testing.T) {
	var h endHistory
	h.observe(1000, 100_000)
	h.observe(1100, 101_000)
	h.anchor(700, 70_000)  // older and behind: kept
	h.anchor(800, 90_000)  // newer than the oldest point now: ignored
	h.anchor(2000, 10_000) // ahead of the oldest point: ignored
	h.anchor(400, 40_000)
	want := []offsetTime{{400, 40_000}, {700, 70_000}, {1000, 100_000}, {1100, 101_000}}
	if h.n != len(want) {
		t.Fatalf("history = %v, want %v", h.pts[:h.n], want)
	}
	for i, p := range want {
		if h.pts[i] != p {
			t.Errorf("pts[%d] = %v, want %v", i, h.pts[i], p)
		}
	}
	// Offset 550 lies halfway between the anchors: about 55 s old at 110 s.
	if got, extrapolated, _ := h.lagSeconds(550, 110_000); extrapolated || math.Abs(got-55) > 0.1 {
		t.Errorf("lag = %v (extrapolated %v), want 55", got, extrapolated)
	}
}
