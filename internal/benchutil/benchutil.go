// Package benchutil holds the measuring helpers the benchmark programs
// under bench/ share: process CPU time and percentiles of durations.
package benchutil

import (
	"math"
	"slices"
	"syscall"
	"time"
)

// CPUTime returns the CPU time (user and system) the process has used so
// far, garbage collection and every goroutine included; 0 if the system
// does not tell.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Percentile returns the p-th percentile (nearest rank, 0 < p <= 100) of
// ds, rounded to 0.1 ms; ds is not modified. It returns 0 for no values.
func Percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(float64(p)/100*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)].Round(100 * time.Microsecond)
}
