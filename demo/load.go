package demo

import (
	"math"
	"math/rand/v2"
	"time"
)

// The compressed day: 1 + dayAmp*sin(2πx) + dayHarmonic*sin(4πx+1), x in
// days. Its mean over a day is 1 and it never drops below
// 1-dayAmp-dayHarmonic.
const (
	dayAmp      = 0.55
	dayHarmonic = 0.15
)

// diurnal returns the rate factor elapsed into a run whose day lasts day,
// for a module whose day is shifted by phase days. The day starts at its
// mean and rises first.
func diurnal(elapsed, day time.Duration, phase float64) float64 {
	x := elapsed.Seconds()/day.Seconds() + phase
	return 1 + dayAmp*math.Sin(2*math.Pi*x) + dayHarmonic*math.Sin(4*math.Pi*x+1)
}

// The noise is an AR(1) process in log space, stepped once per producer
// tick, with a stationary standard deviation of noiseSigma.
const (
	noiseRho   = 0.97
	noiseSigma = 0.12
)

// noise is slowly wandering multiplicative noise with mean 1.
type noise struct{ x float64 }

// next steps the noise and returns the new factor.
func (n *noise) next(r *rand.Rand) float64 {
	n.x = noiseRho*n.x + noiseSigma*math.Sqrt(1-noiseRho*noiseRho)*r.NormFloat64()
	return math.Exp(n.x - noiseSigma*noiseSigma/2)
}

// stallState is where the stalling consumer is in its cycle.
type stallState int

const (
	stateHealthy stallState = iota // keeps up, or catches up
	stateSlowing                   // capacity falls below the produce rate
	stateStalled                   // neither polls nor commits
)

func (s stallState) String() string {
	switch s {
	case stateHealthy:
		return "healthy"
	case stateSlowing:
		return "slowing"
	case stateStalled:
		return "stalled"
	}
	return "unknown"
}

// Shares of the stall cycle: healthy, then slowing, then stalled for the rest.
const (
	healthyShare = 0.4
	slowingShare = 0.4
	// slowingFloor is the capacity, as a share of the mean produce rate, at
	// the end of the slowing state.
	slowingFloor = 0.1
)

// stallPhase returns the state of the stall cycle elapsed into a run, how far
// into that state it is (in [0, 1)) and how long the state still lasts.
func stallPhase(elapsed, cycle time.Duration) (state stallState, progress float64, left time.Duration) {
	in := elapsed % cycle
	if in < 0 {
		in += cycle
	}
	healthy := time.Duration(float64(cycle) * healthyShare)
	slowing := time.Duration(float64(cycle) * slowingShare)
	switch {
	case in < healthy:
		return stateHealthy, float64(in) / float64(healthy), healthy - in
	case in < healthy+slowing:
		in -= healthy
		return stateSlowing, float64(in) / float64(slowing), slowing - in
	default:
		stalled := cycle - healthy - slowing
		in -= healthy + slowing
		return stateStalled, float64(in) / float64(stalled), stalled - in
	}
}

// slowingCapacity returns the consumer's capacity during the slowing state,
// as a share of the mean produce rate, progress into that state.
func slowingCapacity(progress float64) float64 {
	return 1 - (1-slowingFloor)*progress
}
