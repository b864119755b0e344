package alert

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

const webhookConfig = `
global: {resolve_timeout: 1h}
route:
  receiver: hook
  group_by: [job]
  group_wait: %s
  group_interval: 5m
  repeat_interval: 4h
  fast_path: %t
receivers:
- name: hook
  delivery: {min_backoff: 1s, max_backoff: 8s, retry_budget: 1m, breaker_threshold: 100}
  webhook_configs:
  - url: http://hook.test/
`

func newSynctestManager(t *testing.T, h http.Handler, cfgText string) *Manager {
	t.Helper()
	m, err := New(parseConfig(t, cfgText), Options{
		DataDir:    t.TempDir(),
		HTTPClient: &http.Client{Transport: handlerTransport{h}},
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	startManager(t, m)
	return m
}

func TestFastPath(t *testing.T) {
	tests := []struct {
		name     string
		fastPath bool
		// after the second alert joins at 10s: what has arrived at 11s and
		// at 5m+1s.
		at11s, at5m [][]string
	}{
		{"fast path sends the joining alert at once", true,
			[][]string{{"A:firing"}, {"A:firing", "B:firing"}},
			[][]string{{"A:firing"}, {"A:firing", "B:firing"}}},
		{"without fast path it waits for group_interval", false,
			[][]string{{"A:firing"}},
			[][]string{{"A:firing"}, {"A:firing", "B:firing"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHook()
				m := newSynctestManager(t, h, fmt.Sprintf(webhookConfig, "0s", tt.fastPath))
				m.Send(firing("A", "job", "x"))
				synctest.Wait()
				time.Sleep(10 * time.Second)
				m.Send(firing("B", "job", "x"))
				time.Sleep(time.Second)
				synctest.Wait()
				if got := payloads(h); !slices.EqualFunc(got, tt.at11s, slices.Equal) {
					t.Errorf("at 11s got %v, want %v", got, tt.at11s)
				}
				time.Sleep(5 * time.Minute)
				synctest.Wait()
				if got := payloads(h); !slices.EqualFunc(got, tt.at5m, slices.Equal) {
					t.Errorf("at 5m11s got %v, want %v", got, tt.at5m)
				}
			})
		})
	}
}

func payloads(h *hook) [][]string {
	var out [][]string
	for _, r := range h.received() {
		out = append(out, alertnames(r.msg))
	}
	return out
}

func TestFourAlertsJoinOneGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHook()
		m := newSynctestManager(t, h, fmt.Sprintf(webhookConfig, "0s", true))
		start := time.Now()
		for i, name := range []string{"A", "B", "C", "D"} {
			m.Send(firing(name, "job", "x"))
			synctest.Wait()
			time.Sleep(time.Duration(i) * 100 * time.Millisecond)
		}
		synctest.Wait()
		seen := map[string]time.Duration{}
		for _, r := range h.received() {
			for _, a := range r.msg.Alerts {
				if _, ok := seen[a.Labels["alertname"]]; !ok {
					seen[a.Labels["alertname"]] = r.at.Sub(start)
				}
			}
		}
		if len(seen) != 4 {
			t.Fatalf("alerts delivered: %v, want A, B, C and D", seen)
		}
		for name, d := range seen {
			if d > 2*time.Second {
				t.Errorf("alert %s arrived after %s, want within 2s", name, d)
			}
		}
	})
}

func TestGroupLifecycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHook()
		m := newSynctestManager(t, h, strings.Replace(fmt.Sprintf(webhookConfig, "30s", true), "resolve_timeout: 1h", "resolve_timeout: 24h", 1))
		m.Send(firing("A", "job", "x"), firing("B", "job", "x"), firing("C", "job", "y"))
		time.Sleep(29 * time.Second)
		synctest.Wait()
		if n := len(h.received()); n != 0 {
			t.Fatalf("%d notifications before group_wait, want 0", n)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		got := payloads(h)
		want := [][]string{{"A:firing", "B:firing"}, {"C:firing"}}
		slices.SortFunc(got, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("after group_wait got %v, want %v", got, want)
		}

		// A re-sent firing alert changes nothing: no notification at the
		// next group_interval.
		m.Send(firing("A", "job", "x"))
		time.Sleep(5 * time.Minute)
		synctest.Wait()
		if n := len(h.received()); n != 2 {
			t.Fatalf("%d notifications after an unchanged group_interval, want 2", n)
		}

		// A resolves: it is sent resolved at the next group_interval (not at
		// once), then leaves the group.
		m.Send(resolvedAlert("A", time.Now(), "job", "x"))
		synctest.Wait()
		if n := len(h.received()); n != 2 {
			t.Fatalf("resolve was sent at once; want it at group_interval")
		}
		time.Sleep(5 * time.Minute)
		synctest.Wait()
		all := h.received()
		if len(all) != 3 || !slices.Equal(alertnames(all[2].msg), []string{"A:resolved", "B:firing"}) {
			t.Fatalf("after the resolve got %v", payloads(h))
		}
		if all[2].msg.Status != "firing" || all[2].msg.GroupKey != `{}:{job="x"}` {
			t.Errorf("payload status %q group key %q", all[2].msg.Status, all[2].msg.GroupKey)
		}

		// After repeat_interval the unchanged group is sent again.
		time.Sleep(4 * time.Hour)
		synctest.Wait()
		var repeats int
		for _, r := range h.received()[3:] {
			if slices.Equal(alertnames(r.msg), []string{"B:firing"}) {
				repeats++
			}
		}
		if repeats == 0 {
			t.Errorf("no repeat after repeat_interval: %v", payloads(h))
		}
		keys := map[string]bool{}
		for _, r := range h.received() {
			if r.key == "" || keys[r.key] {
				t.Errorf("idempotency key %q missing or reused", r.key)
			}
			keys[r.key] = true
		}
	})
}

func TestResolveTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHook()
		m := newSynctestManager(t, h, strings.Replace(fmt.Sprintf(webhookConfig, "0s", true), "resolve_timeout: 1h", "resolve_timeout: 1m", 1))
		m.Send(firing("A", "job", "x")) // no EndsAt: resolves after resolve_timeout
		synctest.Wait()
		time.Sleep(5*time.Minute + time.Second)
		synctest.Wait()
		got := payloads(h)
		want := [][]string{{"A:firing"}, {"A:resolved"}}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("got %v, want %v", got, want)
		}
		m.mu.RLock()
		defer m.mu.RUnlock()
		if len(m.alerts) != 0 || len(m.groups) != 0 {
			t.Errorf("resolved alert kept: %d alerts, %d groups", len(m.alerts), len(m.groups))
		}
	})
}

func TestSilenceAndInhibition(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHook()
		cfg := fmt.Sprintf(webhookConfig, "0s", true) + `
inhibit_rules:
- source_matchers: [severity="critical"]
  target_matchers: [severity="warning"]
  equal: [job]
`
		m := newSynctestManager(t, h, cfg)
		id, err := m.SetSilence(Silence{
			Matchers:  []SilenceMatcher{{Name: "alertname", Value: "Noisy", IsEqual: true}},
			StartsAt:  time.Now(),
			EndsAt:    time.Now().Add(time.Hour),
			CreatedBy: "test",
			Comment:   "known",
		})
		if err != nil {
			t.Fatalf("SetSilence: %v", err)
		}
		m.Send(firing("Noisy", "job", "x"), firing("Down", "job", "y", "severity", "critical"), firing("Slow", "job", "y", "severity", "warning"))
		synctest.Wait()
		got := payloads(h)
		slices.SortFunc(got, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
		if want := [][]string{{"Down:firing"}}; !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("got %v, want %v (Noisy silenced, Slow inhibited)", got, want)
		}
		// Expiring the silence lets Noisy through at the next flush.
		if err := m.ExpireSilence(id); err != nil {
			t.Fatalf("ExpireSilence: %v", err)
		}
		time.Sleep(5*time.Minute + time.Second)
		synctest.Wait()
		var noisy bool
		for _, p := range payloads(h) {
			noisy = noisy || slices.Contains(p, "Noisy:firing")
		}
		if !noisy {
			t.Errorf("Noisy not sent after its silence expired: %v", payloads(h))
		}
	})
}

func TestRetryAfterAndBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHook()
		var attemptsAt []time.Duration
		start := time.Now()
		h.respond = func(n int) (int, http.Header) {
			attemptsAt = append(attemptsAt, time.Since(start))
			if n == 1 {
				return http.StatusTooManyRequests, http.Header{"Retry-After": {"30"}}
			}
			if n < 4 {
				return http.StatusBadGateway, nil
			}
			return http.StatusOK, nil
		}
		m := newSynctestManager(t, h, fmt.Sprintf(webhookConfig, "0s", true))
		m.Send(firing("A", "job", "x"))
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		if len(h.received()) != 1 {
			t.Fatalf("delivered %d, want 1 after retries (attempts at %v)", len(h.received()), attemptsAt)
		}
		if attemptsAt[1] < 30*time.Second {
			t.Errorf("second attempt at %s, want at least 30s (Retry-After)", attemptsAt[1])
		}
		// After the n-th failure the delay is min_backoff·2^(n-1) with
		// jitter from its upper half.
		if d := attemptsAt[2] - attemptsAt[1]; d < time.Second || d > 2*time.Second {
			t.Errorf("backoff before attempt 3 = %s, want in [1s, 2s]", d)
		}
		if d := attemptsAt[3] - attemptsAt[2]; d < 2*time.Second || d > 4*time.Second {
			t.Errorf("backoff before attempt 4 = %s, want in [2s, 4s]", d)
		}
		_ = m
	})
}

func TestRetryBudgetGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHook()
		h.respond = func(int) (int, http.Header) { return http.StatusInternalServerError, nil }
		m := newSynctestManager(t, h, fmt.Sprintf(webhookConfig, "0s", true))
		m.Send(firing("A", "job", "x"))
		time.Sleep(61 * time.Second)
		synctest.Wait()
		n := h.attempts()
		time.Sleep(3 * time.Minute) // no more attempts until the next flush at 5m
		synctest.Wait()
		if h.attempts() != n {
			t.Errorf("attempts went on after the budget: %d then %d", n, h.attempts())
		}
		if n < 6 || n > 16 {
			t.Errorf("%d attempts within a 1m budget with 1s..8s backoff", n)
		}
		// The notification log forgot the failure: the next flush retries.
		time.Sleep(time.Minute)
		synctest.Wait()
		if h.attempts() == n {
			t.Errorf("no new attempt at the next group_interval after giving up")
		}
		_ = m
	})
}

func TestCircuitBreakerAndFallback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		primary, backup := newHook(), newHook()
		primary.respond = func(int) (int, http.Header) { return http.StatusServiceUnavailable, nil }
		mux := http.NewServeMux()
		mux.Handle("primary.test/", primary)
		mux.Handle("backup.test/", backup)
		cfg := `
route: {receiver: primary, group_by: [alertname], group_wait: 0s}
receivers:
- name: primary
  fallback: backup
  delivery: {min_backoff: 1s, max_backoff: 1s, retry_budget: 1h, breaker_threshold: 3, breaker_cooldown: 1m}
  webhook_configs: [{url: "http://primary.test/"}]
- name: backup
  webhook_configs: [{url: "http://backup.test/"}]
`
		m := newSynctestManager(t, mux, cfg)
		m.Send(firing("A"), firing("B"))
		time.Sleep(10 * time.Second)
		synctest.Wait()
		got := payloads(backup)
		slices.SortFunc(got, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
		if want := [][]string{{"A:firing"}, {"B:firing"}}; !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("fallback got %v, want %v", got, want)
		}
		if n := primary.attempts(); n < 3 || n > 4 {
			t.Errorf("primary attempts = %d, want the breaker to open after 3", n)
		}
		for _, r := range backup.received() {
			if r.msg.Receiver != "backup" {
				t.Errorf("fallback payload receiver = %q", r.msg.Receiver)
			}
		}
	})
}
