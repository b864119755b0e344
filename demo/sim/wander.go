package sim

import (
	"hash/fnv"
	"math"
)

// wanderer makes gauges wander: smooth noise that is a pure function of a
// seed, a key naming the quantity and the time, so that every value of the
// simulation is determined by the clock alone and needs neither state nor
// locks. It is value noise: pseudo-random levels at every multiple of a
// period, blended with a smoothstep in between.
type wanderer struct{ seed uint64 }

// at returns noise in [-1, 1] for key at t seconds, moving from one random
// level to the next every period seconds.
func (w wanderer) at(key string, t, period float64) float64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	k := h.Sum64() ^ w.seed
	x := t / period
	i := math.Floor(x)
	f := x - i
	a, b := level(k, int64(i)), level(k, int64(i)+1)
	return a + (b-a)*f*f*(3-2*f)
}

// level is the pseudo-random level in [-1, 1] of lattice point i.
func level(key uint64, i int64) float64 {
	return float64(splitmix(key^uint64(i)*0x9e3779b97f4a7c15)>>11)/(1<<52) - 1
}

// splitmix is the finaliser of the SplitMix64 generator, a good 64-bit
// mixing function.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// between maps noise n in [-1, 1] onto [lo, hi].
func between(n, lo, hi float64) float64 { return lo + (hi-lo)*(n+1)/2 }
