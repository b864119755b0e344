package rules

import (
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestAdmissionCostliestFirst checks that waiting evaluations are admitted
// costliest first (ties in arrival order) and that no more than the slots
// run at once.
func TestAdmissionCostliestFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := newAdmission(2)
		a.acquire(0)
		a.acquire(0) // both slots taken
		var (
			mu      sync.Mutex
			order   []time.Duration
			running int
			most    int
			wg      sync.WaitGroup
		)
		costs := []time.Duration{5, 40, 10, 40, 1, 30}
		for i, c := range costs {
			wg.Go(func() {
				// Arrive in the order of costs, so ties are decided by
				// arrival.
				time.Sleep(time.Duration(i) * time.Millisecond)
				a.acquire(c * time.Millisecond)
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
		a.release()
		a.release()
		wg.Wait()
		want := []time.Duration{40, 40, 30, 10, 5, 1}
		if !slices.Equal(order, want) {
			t.Errorf("admitted in cost order %v, want %v", order, want)
		}
		if most > 2 {
			t.Errorf("%d evaluations ran at once with 2 slots", most)
		}
		if a.free != 2 || len(a.waiting) != 0 {
			t.Errorf("after all released: %d free, %d waiting; want 2, 0", a.free, len(a.waiting))
		}
	})
}
