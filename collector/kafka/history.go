package kafka

import "sort"

// historyCap is the number of (end offset, time) points kept per
// partition: 24 points of 16 bytes, under 400 bytes a partition.
const historyCap = 24

// offsetTime says that a partition's end offset was off at unix millisecond t.
type offsetTime struct {
	off int64
	t   int64
}

// endHistory is the bounded history of one partition's end offset, from
// which the time at which any offset was produced is estimated.
//
// Points are in time order with non-decreasing offsets. A new point is
// added only when the end offset moved; while it stands still only
// lastSeen advances, and when it moves again the end of that plateau is
// kept as a point of its own, so that an idle period is never smeared over
// the records written after it. When the history is full, the interior
// point whose removal changes the estimate least relative to its age is
// dropped: recent points stay dense, old ones thin out where the produce
// rate was steady and stay where it was not.
//
// The zero value is an empty history. Methods are pure and not safe for
// concurrent use.
type endHistory struct {
	pts [historyCap]offsetTime
	n   int
	// lastSeen is the time of the latest observation (>= pts[n-1].t).
	lastSeen int64
}

// observe records that the end offset was off at t. An offset lower than
// the last one (the partition was truncated or the topic recreated) starts
// the history again; observations older than the last one are ignored.
func (h *endHistory) observe(off, t int64) {
	if h.n == 0 {
		h.pts[0] = offsetTime{off, t}
		h.n, h.lastSeen = 1, t
		return
	}
	last := h.pts[h.n-1]
	switch {
	case off < last.off:
		*h = endHistory{}
		h.observe(off, t)
	case t <= h.lastSeen:
	case off == last.off:
		h.lastSeen = t
	default:
		if h.lastSeen > last.t {
			h.add(offsetTime{last.off, h.lastSeen}, t)
		}
		h.add(offsetTime{off, t}, t)
		h.lastSeen = t
	}
}

// anchor adds a point older than all others, learned from the broker
// (ListOffsets by timestamp: off is the first offset at or after time t).
// It is ignored unless it is older and not ahead of the oldest point.
func (h *endHistory) anchor(off, t int64) {
	if h.n == 0 || t >= h.pts[0].t || off > h.pts[0].off {
		return
	}
	if h.n == historyCap {
		h.thin(h.lastSeen)
	}
	copy(h.pts[1:h.n+1], h.pts[:h.n])
	h.pts[0] = offsetTime{off, t}
	h.n++
}

// oldest returns the oldest point; ok is false for an empty history.
func (h *endHistory) oldest() (offsetTime, bool) {
	if h.n == 0 {
		return offsetTime{}, false
	}
	return h.pts[0], true
}

// changedAt returns when the end offset last moved (the time of the newest
// point) and whether the history holds anything.
func (h *endHistory) changedAt() (int64, bool) {
	if h.n == 0 {
		return 0, false
	}
	return h.pts[h.n-1].t, true
}

func (h *endHistory) add(p offsetTime, now int64) {
	if h.n == historyCap {
		h.thin(now)
	}
	h.pts[h.n] = p
	h.n++
}

// thin removes the interior point with the smallest interpolation error
// relative to its age at now. The oldest and newest points always stay.
func (h *endHistory) thin(now int64) {
	best, bestScore := -1, 0.0
	for i := 1; i < h.n-1; i++ {
		score := h.removalError(i) / float64(max(now-h.pts[i].t, 1))
		if best < 0 || score < bestScore {
			best, bestScore = i, score
		}
	}
	if best < 0 {
		best = h.n - 2
	}
	copy(h.pts[best:h.n-1], h.pts[best+1:h.n])
	h.n--
}

// removalError is how far off, in milliseconds, the time of point i would
// be estimated from its neighbours if it were removed.
func (h *endHistory) removalError(i int) float64 {
	a, p, b := h.pts[i-1], h.pts[i], h.pts[i+1]
	if b.off == a.off {
		return 0 // inside a plateau: only its ends matter
	}
	est := float64(a.t) + float64(p.off-a.off)/float64(b.off-a.off)*float64(b.t-a.t)
	if d := float64(p.t) - est; d > 0 {
		return d
	} else {
		return -d
	}
}

// producedAt estimates the unix millisecond at which the record at offset c
// was appended, that is when the end offset first passed c. ok is false
// when c is at or past the newest end offset (nothing to wait for) or the
// history is empty.
//
// Inside the history the time is interpolated linearly between the two
// points around c, so the true time lies between them. Before the oldest
// point it is extrapolated back at the mean rate of the whole history, by
// at most the history's span (extrapolated is then true); with no rate to
// go by it is the time of the oldest point, a lower bound of the lag.
func (h *endHistory) producedAt(c int64) (t int64, extrapolated, ok bool) {
	if h.n == 0 || c >= h.pts[h.n-1].off {
		return 0, false, false
	}
	j := sort.Search(h.n, func(i int) bool { return h.pts[i].off > c })
	if j > 0 {
		a, b := h.pts[j-1], h.pts[j]
		frac := float64(c+1-a.off) / float64(b.off-a.off)
		return a.t + int64(frac*float64(b.t-a.t)), false, true
	}
	first := h.pts[0]
	span := h.lastSeen - first.t
	rise := h.pts[h.n-1].off - first.off
	if span <= 0 || rise <= 0 {
		return first.t, true, true
	}
	back := float64(first.off-c) / float64(rise) * float64(span)
	return first.t - int64(min(back, float64(span))), true, true
}

// lagSeconds is the time lag of a consumer whose next offset is c, at the
// observation time now: how long ago the oldest record it has not consumed
// was produced. It is never negative and zero when the consumer is caught
// up; ok is false only when the history is empty.
func (h *endHistory) lagSeconds(c, now int64) (secs float64, extrapolated, ok bool) {
	if h.n == 0 {
		return 0, false, false
	}
	t, extrapolated, ok := h.producedAt(c)
	if !ok {
		return 0, false, true
	}
	return float64(max(now-t, 0)) / 1000, extrapolated, true
}
