package rules

import (
	"container/heap"
	"sync"
	"time"
)

// admission bounds how many group evaluations run at once. When groups
// wait for a slot, the one whose previous evaluation took longest is
// admitted first (longest-processing-time-first): a round of triggered
// groups then ends close to total cost / slots, instead of waiting for an
// expensive group that happened to queue last.
type admission struct {
	mu      sync.Mutex
	free    int
	waiting waitQueue
	seq     uint64 // arrival order, to break ties first come first served
}

func newAdmission(slots int) *admission {
	return &admission{free: slots}
}

// acquire blocks until the caller may evaluate; cost is what the caller's
// previous evaluation took (0 when unknown).
func (a *admission) acquire(cost time.Duration) {
	a.mu.Lock()
	if a.free > 0 && len(a.waiting) == 0 {
		a.free--
		a.mu.Unlock()
		return
	}
	w := &waiter{cost: cost, seq: a.seq, ready: make(chan struct{})}
	a.seq++
	heap.Push(&a.waiting, w)
	a.mu.Unlock()
	<-w.ready
}

// release gives the caller's slot to the costliest waiter, or frees it.
func (a *admission) release() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.waiting) == 0 {
		a.free++
		return
	}
	close(heap.Pop(&a.waiting).(*waiter).ready)
}

// waiter is a group evaluation waiting for a slot.
type waiter struct {
	cost  time.Duration
	seq   uint64
	ready chan struct{}
}

// waitQueue is a heap of waiters, costliest first.
type waitQueue []*waiter

func (q waitQueue) Len() int { return len(q) }
func (q waitQueue) Less(i, j int) bool {
	if q[i].cost != q[j].cost {
		return q[i].cost > q[j].cost
	}
	return q[i].seq < q[j].seq
}
func (q waitQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *waitQueue) Push(x any)   { *q = append(*q, x.(*waiter)) }
func (q *waitQueue) Pop() any {
	old := *q
	w := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return w
}
