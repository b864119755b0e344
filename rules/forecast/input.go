package forecast

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"
)

// ErrInsufficientData is returned by FitTrend when fewer usable samples than
// required remain after the input rules (I1–I4) are applied. ETA and the
// anomaly scorers report the same condition as a status instead.
var ErrInsufficientData = errors.New("insufficient data")

// Never is the duration reported for a crossing that is not predicted within
// the horizon. It compares greater than every horizon.
const Never = time.Duration(math.MaxInt64)

// usable reports whether a value takes part in a computation (rule I1).
func usable(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// checkLengths verifies that timestamps and values pair up.
func checkLengths(ts []int64, vs []float64) error {
	if len(ts) != len(vs) {
		return fmt.Errorf("pair samples: %d timestamps but %d values", len(ts), len(vs))
	}
	return nil
}

// lastUsable returns the index of the last usable sample, or -1 (rule I1).
func lastUsable(vs []float64) int {
	for i := len(vs) - 1; i >= 0; i-- {
		if usable(vs[i]) {
			return i
		}
	}
	return -1
}

// windowStart returns the first index whose timestamp lies after
// end−window (rule I3); window ≤ 0 selects everything.
func windowStart(ts []int64, end int64, window time.Duration) int {
	if window <= 0 {
		return 0
	}
	from := end - window.Milliseconds()
	return sort.Search(len(ts), func(i int) bool { return ts[i] > from })
}

// cursor walks the usable samples of a range in time order, skipping values
// rule I1 excludes and timestamps rule I2 excludes.
type cursor struct {
	ts   []int64
	vs   []float64
	i    int
	end  int
	last int64
}

// newCursor returns a cursor over ts[from:to] and vs[from:to].
func newCursor(ts []int64, vs []float64, from, to int) cursor {
	return cursor{ts: ts, vs: vs, i: from, end: to, last: math.MinInt64}
}

// next returns the next usable sample and false once the range is exhausted.
func (c *cursor) next() (int64, float64, bool) {
	for c.i < c.end {
		t, v := c.ts[c.i], c.vs[c.i]
		c.i++
		if !usable(v) || t <= c.last {
			continue
		}
		c.last = t
		return t, v, true
	}
	return 0, 0, false
}
