package rules

import (
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// admitAll queues one waiter per cost behind slots held slots, in the order
// of costs (a millisecond apart), then frees the held slots and returns the
// costs in the order they were admitted and how many ran at once at most.
// Each admitted waiter runs for a second.
func admitAll(t *testing.T, slots int, costs []time.Duration) (order []time.Duration, most int) {
	t.Helper()
	a := newAdmission(slots)
	for range slots {
		a.acquire(0)
	}
	var (
		mu      sync.Mutex
		running int
		wg      sync.WaitGroup
	)
	for i, c := range costs {
		wg.Go(func() {
			time.Sleep(time.Duration(i) * time.Millisecond)
			a.acquire(c)
			mu.Lock()
			order = append(order, c)
			running++
			most = max(most, running)
			mu.Unlock()
			time.Sleep(time.Second)
			mu.Lock()
			running--
			mu.Unlock()
			a.release()
		})
	}
	time.Sleep(time.Second) // every waiter queued
	synctest.Wait()
	for range slots {
		a.release()
	}
	wg.Wait()
	if a.free != slots || len(a.waiting) != 0 {
		t.Errorf("after all released: %d free, %d waiting; want %d, 0", a.free, len(a.waiting), slots)
	}
	return order, most
}

// TestAdmissionCostliestFirst checks that waiting evaluations are admitted
// costliest first, ties in arrival order.
func TestAdmissionCostliestFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		order, _ := admitAll(t, 1, []time.Duration{5, 40, 10, 40, 1, 30})
		if want := []time.Duration{40, 40, 30, 10, 5, 1}; !slices.Equal(order, want) {
			t.Errorf("admitted in cost order %v, want %v", order, want)
		}
	})
}

// TestAdmissionBound checks that no more evaluations run at once than
// there are slots, and that every waiter is admitted.
func TestAdmissionBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		order, most := admitAll(t, 2, []time.Duration{5, 40, 10, 40, 1, 30, 7})
		if most != 2 {
			t.Errorf("%d evaluations ran at once with 2 slots, want 2", most)
		}
		if len(order) != 7 {
			t.Errorf("%d of 7 waiters admitted", len(order))
		}
	})
}
