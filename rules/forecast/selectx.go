package forecast

import "math"

// madScale converts a median absolute deviation into a consistent estimate
// of the standard deviation of normally distributed data: 1/Φ⁻¹(3/4).
const madScale = 1.4826

// meanADScale converts a mean absolute deviation into a consistent estimate
// of the standard deviation of normally distributed data: √(π/2).
const meanADScale = 1.2533

// Median returns the median of the non-NaN values in xs (the mean of the two
// middle values when their count is even) and NaN when there are none. It
// reorders xs in place and allocates nothing; pass a copy to keep the order.
func Median(xs []float64) float64 {
	n := compactNaN(xs)
	if n == 0 {
		return math.NaN()
	}
	return medianInPlace(xs[:n])
}

// MAD returns the median absolute deviation of the non-NaN values in xs
// around their median, together with that median, both NaN when xs holds no
// values. It is not scaled: multiply by 1.4826 for a standard-deviation
// estimate under normal noise. Like Median it reorders and overwrites xs.
func MAD(xs []float64) (mad, median float64) {
	n := compactNaN(xs)
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	xs = xs[:n]
	median = medianInPlace(xs)
	for i, x := range xs {
		xs[i] = math.Abs(x - median)
	}
	return medianInPlace(xs), median
}

// compactNaN moves the non-NaN values of xs to its front and returns their
// count.
func compactNaN(xs []float64) int {
	n := 0
	for _, x := range xs {
		if !math.IsNaN(x) {
			xs[n] = x
			n++
		}
	}
	return n
}

// medianInPlace returns the median of xs (len ≥ 1, no NaN), reordering xs.
func medianInPlace(xs []float64) float64 {
	n := len(xs)
	k := n / 2
	hi := selectK(xs, k)
	if n%2 == 1 {
		return hi
	}
	// After selection every element left of k is ≤ xs[k]; the lower middle
	// value is the largest of them.
	lo := xs[0]
	for _, x := range xs[1:k] {
		if x > lo {
			lo = x
		}
	}
	return lo + (hi-lo)/2
}

// selectK reorders xs so that xs[k] holds the k-th smallest value (0-based),
// smaller-or-equal values before it and greater-or-equal values after it, and
// returns that value. It is an iterative quickselect with a median-of-three
// pivot and an insertion sort for short ranges.
func selectK(xs []float64, k int) float64 {
	lo, hi := 0, len(xs)-1
	for hi-lo > 16 {
		mid := lo + (hi-lo)/2
		// Order xs[lo], xs[mid], xs[hi] and use the middle one as pivot.
		if xs[mid] < xs[lo] {
			xs[mid], xs[lo] = xs[lo], xs[mid]
		}
		if xs[hi] < xs[lo] {
			xs[hi], xs[lo] = xs[lo], xs[hi]
		}
		if xs[hi] < xs[mid] {
			xs[hi], xs[mid] = xs[mid], xs[hi]
		}
		pivot := xs[mid]
		i, j := lo, hi
		for i <= j {
			for xs[i] < pivot {
				i++
			}
			for xs[j] > pivot {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return xs[k]
		}
	}
	for i := lo + 1; i <= hi; i++ {
		for j := i; j > lo && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
	return xs[k]
}
