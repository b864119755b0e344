package sim

import "time"

// world is what every simulated system reads: the clock and the demo's
// traffic.
type world struct {
	now     func() time.Time
	start   time.Time
	traffic *traffic
	noise   wanderer
}

// moment is the time of one request.
type moment struct {
	now     time.Time
	elapsed time.Duration // since the simulation started, never negative
	secs    float64       // elapsed in seconds
}

// moment returns the time of the request being answered.
func (w *world) moment() moment {
	now := w.now()
	e := max(now.Sub(w.start), 0)
	return moment{now: now, elapsed: e, secs: e.Seconds()}
}

// wander returns key's noise at m, in [lo, hi], moving over about period
// seconds.
func (w *world) wander(key string, m moment, period, lo, hi float64) float64 {
	return between(w.noise.at(key, m.secs, period), lo, hi)
}

// draw returns a pseudo-random value in [lo, hi] for item i of key (a
// checkpoint, a batch): the same at every request, independent of the
// neighbouring items'.
func (w *world) draw(key string, i, lo, hi float64) float64 {
	return between(w.noise.at(key, i, 1), lo, hi)
}
