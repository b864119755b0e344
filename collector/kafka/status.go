package kafka

import (
	"math"
	"slices"
)

// status is the health of a consumer group on one partition, or of a whole
// group (its worst partition). The values are ordered from best to worst.
type status uint8

// The statuses, best first. Their names are the values of the status label.
const (
	statusOK status = iota
	statusWarn
	statusRewind
	statusStall
	statusStop
	statusErr
	numStatuses
)

// statusNames are the status label values, indexed by status.
var statusNames = [numStatuses]string{"OK", "WARN", "REWIND", "STALL", "STOP", "ERR"}

// String returns the status label value.
func (s status) String() string { return statusNames[s] }

// The numbered rules of evaluate, in the order they are tried; the first
// that matches decides. Tests refer to them by number.
const (
	// ruleLost (1, ERR): the committed offset is below the log start
	// offset, so records the group never read were deleted by retention.
	ruleLost = 1 + iota
	// ruleCaughtUp (2, OK): the lag is zero now.
	ruleCaughtUp
	// ruleRewind (3, REWIND): the committed offset went backwards within
	// the window.
	ruleRewind
	// ruleRecentZero (4, OK): the lag was zero at some observation within
	// the window, so the group keeps catching up.
	ruleRecentZero
	// ruleStall (5, STALL): lagging, the committed offset has not moved
	// for longer than the window, and a live member is assigned the
	// partition: the consumer is there but makes no progress.
	ruleStall
	// ruleStop (6, STOP): lagging, the committed offset has not moved for
	// longer than the window, no live member has the partition, and new
	// records arrived within the window: the consumer is gone.
	ruleStop
	// ruleIdle (7, OK): as rule 6 but no record arrived within the window:
	// an idle topic is never reported as stopped.
	ruleIdle
	// ruleWarn (8, WARN): the window holds at least warnMinCommits commits
	// and the lag grew from each to the next.
	ruleWarn
	// ruleOK (9, OK): none of the above.
	ruleOK
)

const (
	// commitCap is the number of commits kept per partition.
	commitCap = 10
	// warnMinCommits is how many commits within the window rule 8 needs,
	// so that a lag that merely fluctuates is not taken for growth.
	warnMinCommits = 5
	// cadenceFactor times the group's usual commit interval is the
	// shortest window: a group is not judged between two regular commits.
	cadenceFactor = 4
)

// commitPoint is one observed change of a committed offset.
type commitPoint struct {
	t   int64 // unix ms at which the new offset was first seen
	off int64 // the committed offset
	lag int64 // the lag in records when it was first seen
}

// commitRing holds the last commitCap commits of a partition, oldest first.
// Since OffsetFetch does not say when an offset was committed, a commit is
// an observed change of the committed offset; a group committing the same
// offset again is indistinguishable from one not committing.
type commitRing struct {
	pts     [commitCap]commitPoint
	head, n int
}

func (r *commitRing) push(p commitPoint) {
	r.pts[(r.head+r.n)%commitCap] = p
	if r.n < commitCap {
		r.n++
	} else {
		r.head = (r.head + 1) % commitCap
	}
}

// at returns the i-th commit, oldest first.
func (r *commitRing) at(i int) commitPoint { return r.pts[(r.head+i)%commitCap] }

func (r *commitRing) last() (commitPoint, bool) {
	if r.n == 0 {
		return commitPoint{}, false
	}
	return r.at(r.n - 1), true
}

// partitionFacts is everything evaluate needs to judge one group on one
// partition at time now. All times are unix milliseconds.
type partitionFacts struct {
	now       int64
	commits   *commitRing
	committed int64
	end       int64
	// logStart is the partition's log start offset, or -1 if unknown.
	logStart int64
	// lastZeroLag is the last observation at which the lag was zero, or
	// math.MinInt64 if none was.
	lastZeroLag int64
	// endChangedAt is when the end offset last moved.
	endChangedAt int64
	// live is true when a live member of the group is assigned the
	// partition (or the group has members whose assignment is unknown).
	live bool
	// groupCommits holds the times at which the group's committed offset
	// changed on any of its partitions (offsets and lags unused); nil if
	// unknown.
	groupCommits *commitRing
	// minWindow is the configured status window in milliseconds.
	minWindow int64
}

// window returns the sliding window for f: the configured minimum, or
// cadenceFactor times the group's usual commit interval if that is longer.
// The usual interval is the median interval between the partition's
// observed commits, or between the group's commits on any partition,
// whichever is longer (a partition that only now receives data after an
// idle spell has no cadence of its own, but the group has). While neither
// is known (fewer than two commits observed), the window is at least
// DefaultStatusWindow: a group is not judged before its cadence is known.
func (f *partitionFacts) window() int64 {
	part, partOK := medianGap(f.commits)
	group, groupOK := medianGap(f.groupCommits)
	if !partOK && !groupOK {
		return max(f.minWindow, DefaultStatusWindow.Milliseconds())
	}
	return max(f.minWindow, cadenceFactor*part, cadenceFactor*group)
}

// medianGap returns the median interval between the commits of r, if r
// (which may be nil) holds at least two.
func medianGap(r *commitRing) (int64, bool) {
	if r == nil || r.n < 2 {
		return 0, false
	}
	var buf [commitCap]int64
	gaps := buf[:0]
	for i := 1; i < r.n; i++ {
		gaps = append(gaps, r.at(i).t-r.at(i-1).t)
	}
	slices.Sort(gaps)
	return gaps[len(gaps)/2], true
}

// evaluate applies the numbered rules to f and returns the status and the
// number of the rule that decided it. It is a pure function of f.
func evaluate(f *partitionFacts) (status, int) {
	if f.logStart >= 0 && f.committed < f.logStart {
		return statusErr, ruleLost
	}
	lag := f.end - f.committed
	if lag <= 0 {
		return statusOK, ruleCaughtUp
	}
	w := f.window()
	since := f.now - w
	r := f.commits
	for i := 1; i < r.n; i++ {
		if c := r.at(i); c.t >= since && c.off < r.at(i-1).off {
			return statusRewind, ruleRewind
		}
	}
	if f.lastZeroLag != math.MinInt64 && f.lastZeroLag >= since {
		return statusOK, ruleRecentZero
	}
	if last, ok := r.last(); ok && last.t < since {
		switch {
		case f.live:
			return statusStall, ruleStall
		case f.endChangedAt >= since:
			return statusStop, ruleStop
		default:
			return statusOK, ruleIdle
		}
	}
	// Rule 8: the lag grew from each commit in the window to the next.
	var inWindow int
	growing := true
	for i := 0; i < r.n; i++ {
		c := r.at(i)
		if c.t < since {
			continue
		}
		if inWindow > 0 && c.lag <= r.at(i-1).lag {
			growing = false
		}
		inWindow++
	}
	if growing && inWindow >= warnMinCommits {
		return statusWarn, ruleWarn
	}
	return statusOK, ruleOK
}
