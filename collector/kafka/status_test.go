package kafka

import (
	"math"
	"testing"
)

// s converts seconds to the milliseconds the rules work in.
func s(sec float64) int64 { return int64(sec * 1000) }

// ring builds a commit ring from (time in s, offset, lag) triples.
func ring(pts ...[3]float64) *commitRing {
	r := &commitRing{}
	for _, p := range pts {
		r.push(commitPoint{t: s(p[0]), off: int64(p[1]), lag: int64(p[2])})
	}
	return r
}

func TestEvaluateRules(t *testing.T) {
	never := int64(math.MinInt64)
	tests := []struct {
		name     string
		f        partitionFacts
		want     status
		wantRule int
	}{
		{
			name: "rule 1: committed offset below the log start is ERR",
			f:    partitionFacts{now: s(10), commits: ring([3]float64{0, 5, 15}), committed: 5, end: 20, logStart: 10, lastZeroLag: never},
			want: statusErr, wantRule: ruleLost,
		},
		{
			name: "rule 1 needs a known log start",
			f:    partitionFacts{now: s(10), commits: ring([3]float64{9, 0, 20}), committed: 0, end: 20, logStart: -1, lastZeroLag: never, minWindow: s(30)},
			want: statusOK, wantRule: ruleOK,
		},
		{
			name: "rule 2: no lag is OK",
			f:    partitionFacts{now: s(10), commits: ring([3]float64{0, 20, 0}), committed: 20, end: 20, logStart: 0, lastZeroLag: s(10)},
			want: statusOK, wantRule: ruleCaughtUp,
		},
		{
			name: "rule 2 wins over a rewind",
			f:    partitionFacts{now: s(10), commits: ring([3]float64{0, 30, 0}, [3]float64{5, 20, 0}), committed: 20, end: 20, logStart: 0, lastZeroLag: s(10)},
			want: statusOK, wantRule: ruleCaughtUp,
		},
		{
			name: "rule 3: offset went backwards within the window is REWIND",
			f:    partitionFacts{now: s(10), commits: ring([3]float64{0, 100, 20}, [3]float64{5, 50, 70}), committed: 50, end: 120, logStart: 0, lastZeroLag: s(1), minWindow: s(30)},
			want: statusRewind, wantRule: ruleRewind,
		},
		{
			name: "rule 3 forgets a rewind older than the window",
			f: partitionFacts{now: s(55), commits: ring([3]float64{0, 100, 1}, [3]float64{5, 50, 60}, [3]float64{40, 60, 50}, [3]float64{45, 70, 40}, [3]float64{50, 80, 30}),
				committed: 80, end: 110, logStart: 0, lastZeroLag: never, minWindow: s(30)},
			want: statusOK, wantRule: ruleOK,
		},
		{
			name: "rule 4: lag zero at some point in the window is OK",
			f:    partitionFacts{now: s(100), commits: ring([3]float64{10, 50, 0}), committed: 50, end: 60, logStart: 0, lastZeroLag: s(80), endChangedAt: s(99), minWindow: s(30)},
			want: statusOK, wantRule: ruleRecentZero,
		},
		{
			name: "rule 5: live member, no progress for longer than the window is STALL",
			f:    partitionFacts{now: s(40), commits: ring([3]float64{0, 50, 10}), committed: 50, end: 100, logStart: 0, lastZeroLag: never, endChangedAt: s(39), live: true, minWindow: s(30)},
			want: statusStall, wantRule: ruleStall,
		},
		{
			name: "rule 5 also on an idle topic",
			f:    partitionFacts{now: s(400), commits: ring([3]float64{0, 50, 10}), committed: 50, end: 100, logStart: 0, lastZeroLag: never, endChangedAt: s(10), live: true, minWindow: s(30)},
			want: statusStall, wantRule: ruleStall,
		},
		{
			name: "rule 6: no member, no progress, new data is STOP",
			f:    partitionFacts{now: s(40), commits: ring([3]float64{0, 50, 10}), committed: 50, end: 100, logStart: 0, lastZeroLag: never, endChangedAt: s(39), minWindow: s(30)},
			want: statusStop, wantRule: ruleStop,
		},
		{
			name: "rule 7: an idle topic is never STOP",
			f:    partitionFacts{now: s(400), commits: ring([3]float64{0, 50, 50}), committed: 50, end: 100, logStart: 0, lastZeroLag: never, endChangedAt: s(0), minWindow: s(30)},
			want: statusOK, wantRule: ruleIdle,
		},
		{
			name: "no progress within the window is not yet a stall",
			f:    partitionFacts{now: s(20), commits: ring([3]float64{0, 50, 10}), committed: 50, end: 100, logStart: 0, lastZeroLag: never, endChangedAt: s(19), live: true, minWindow: s(30)},
			want: statusOK, wantRule: ruleOK,
		},
		{
			name: "the window grows to four commit intervals",
			f: partitionFacts{now: s(280), commits: ring([3]float64{0, 10, 5}, [3]float64{60, 20, 5}, [3]float64{120, 30, 5}, [3]float64{180, 40, 5}),
				committed: 40, end: 50, logStart: 0, lastZeroLag: never, endChangedAt: s(279), minWindow: s(30)},
			want: statusOK, wantRule: ruleOK,
		},
		{
			name: "a rare committer is STOP after four of its intervals",
			f: partitionFacts{now: s(430), commits: ring([3]float64{0, 10, 5}, [3]float64{60, 20, 5}, [3]float64{120, 30, 5}, [3]float64{180, 40, 5}),
				committed: 40, end: 50, logStart: 0, lastZeroLag: never, endChangedAt: s(429), minWindow: s(30)},
			want: statusStop, wantRule: ruleStop,
		},
		{
			// A checkpointing job (commits every 10 s) on a partition that
			// only now gets data: its first commit is 6 s old, longer than
			// a 5 s minimum window, but the group's cadence says wait.
			name: "a partition without a cadence of its own follows the group's",
			f: partitionFacts{now: s(106), commits: ring([3]float64{100, 114, 28}),
				committed: 114, end: 301, logStart: 0, lastZeroLag: never, endChangedAt: s(105), minWindow: s(5),
				groupCommits: ring([3]float64{70, 0, 0}, [3]float64{80, 0, 0}, [3]float64{90, 0, 0}, [3]float64{100, 0, 0})},
			want: statusOK, wantRule: ruleOK,
		},
		{
			name: "the group's cadence does not hide a stopped job",
			f: partitionFacts{now: s(141), commits: ring([3]float64{100, 114, 28}),
				committed: 114, end: 901, logStart: 0, lastZeroLag: never, endChangedAt: s(140), minWindow: s(5),
				groupCommits: ring([3]float64{70, 0, 0}, [3]float64{80, 0, 0}, [3]float64{90, 0, 0}, [3]float64{100, 0, 0})},
			want: statusStop, wantRule: ruleStop,
		},
		{
			name: "with no cadence known the window is at least the default",
			f: partitionFacts{now: s(20), commits: ring([3]float64{0, 50, 10}), committed: 50, end: 100, logStart: 0,
				lastZeroLag: never, endChangedAt: s(19), minWindow: s(5), groupCommits: ring([3]float64{0, 0, 0})},
			want: statusOK, wantRule: ruleOK,
		},
		{
			name: "with no cadence known a stall shows after the default window",
			f: partitionFacts{now: s(31), commits: ring([3]float64{0, 50, 10}), committed: 50, end: 100, logStart: 0,
				lastZeroLag: never, endChangedAt: s(30), live: true, minWindow: s(5), groupCommits: ring([3]float64{0, 0, 0})},
			want: statusStall, wantRule: ruleStall,
		},
		{
			name: "rule 8: lag grew at each of five commits in the window is WARN",
			f: partitionFacts{now: s(22), commits: ring([3]float64{0, 10, 5}, [3]float64{5, 20, 8}, [3]float64{10, 30, 12}, [3]float64{15, 40, 15}, [3]float64{20, 50, 20}),
				committed: 50, end: 80, logStart: 0, lastZeroLag: never, endChangedAt: s(21), minWindow: s(30)},
			want: statusWarn, wantRule: ruleWarn,
		},
		{
			name: "rule 8 ignores commits before the window",
			f: partitionFacts{now: s(100), commits: ring([3]float64{0, 10, 50}, [3]float64{75, 20, 8}, [3]float64{80, 30, 12}, [3]float64{85, 40, 15}, [3]float64{90, 50, 20}, [3]float64{95, 60, 25}),
				committed: 60, end: 85, logStart: 0, lastZeroLag: never, endChangedAt: s(99), minWindow: s(30)},
			want: statusWarn, wantRule: ruleWarn,
		},
		{
			name: "a fluctuating lag is OK",
			f: partitionFacts{now: s(22), commits: ring([3]float64{0, 10, 5}, [3]float64{5, 20, 8}, [3]float64{10, 30, 6}, [3]float64{15, 40, 9}, [3]float64{20, 50, 12}),
				committed: 50, end: 62, logStart: 0, lastZeroLag: never, endChangedAt: s(21), minWindow: s(30)},
			want: statusOK, wantRule: ruleOK,
		},
		{
			name: "four growing commits are too few for WARN",
			f: partitionFacts{now: s(17), commits: ring([3]float64{0, 10, 5}, [3]float64{5, 20, 8}, [3]float64{10, 30, 12}, [3]float64{15, 40, 15}),
				committed: 40, end: 55, logStart: 0, lastZeroLag: never, endChangedAt: s(16), minWindow: s(30)},
			want: statusOK, wantRule: ruleOK,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rule := evaluate(&tt.f)
			if got != tt.want || rule != tt.wantRule {
				t.Errorf("evaluate = %s by rule %d, want %s by rule %d", got, rule, tt.want, tt.wantRule)
			}
		})
	}
}

func TestCommitRingKeepsNewest(t *testing.T) {
	r := &commitRing{}
	for i := range 2 * commitCap {
		r.push(commitPoint{t: int64(i), off: int64(i)})
	}
	if r.n != commitCap {
		t.Fatalf("n = %d, want %d", r.n, commitCap)
	}
	for i := range commitCap {
		if got := r.at(i).off; got != int64(commitCap+i) {
			t.Errorf("at(%d) = %d, want %d", i, got, commitCap+i)
		}
	}
	if last, _ := r.last(); last.off != 2*commitCap-1 {
		t.Errorf("last = %d", last.off)
	}
}

func TestStatusOrderAndNames(t *testing.T) {
	want := []string{"OK", "WARN", "REWIND", "STALL", "STOP", "ERR"}
	for i, name := range want {
		if got := status(i).String(); got != name {
			t.Errorf("status(%d) = %s, want %s", i, got, name)
		}
	}
}
