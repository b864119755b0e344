package rules

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/storage"
)

const restartRules = `
groups:
  - name: pipeline
    interval: 1h
    rules:
      - alert: LagHigh
        expr: lag > 10
        keep_firing_for: 10m
        labels: {severity: page}
        annotations: {summary: "lag is {{ $value }}"}
      - alert: Errors
        expr: errors > 0
        labels: {severity: warning}
      - alert: Quiet
        expr: errors > 100
`

// startProcess starts one pipewatch process for the restart tests: an
// Evaluator running on the shared storage and state file.
func startProcess(t *testing.T, st *storage.Storage, ruleFile, stateFile string) *harness {
	t.Helper()
	h := attachHarness(t, st, ruleFile, stateFile)
	h.run()
	return h
}

// eval appends samples at t and evaluates, returning the notifications as
// "alertname firing|resolved".
func (h *harness) eval(t time.Time, samples map[string]float64) []string {
	h.t.Helper()
	app := h.st.Appender(context.Background())
	for name, v := range samples {
		if _, err := app.Append(0, labels.FromStrings("__name__", name, "job", "demo"), t.UnixMilli(), v); err != nil {
			h.t.Fatal(err)
		}
	}
	if err := app.Commit(); err != nil {
		h.t.Fatal(err)
	}
	h.e.Evaluate(context.Background(), t)
	var out []string
	for _, a := range h.takeAlerts() {
		state := "firing"
		if a.Resolved(t) {
			state = "resolved"
		}
		out = append(out, a.Labels.Get("alertname")+" "+state)
	}
	slices.Sort(out)
	return out
}

// restartFiles writes rules to a rule file in a temporary directory and
// opens a storage there, closed when the test ends; stateFile is where the
// processes keep their firing alerts.
func restartFiles(t *testing.T, rules string) (ruleFile, stateFile string, st *storage.Storage) {
	t.Helper()
	dir := t.TempDir()
	ruleFile = filepath.Join(dir, "rules.yml")
	if err := os.WriteFile(ruleFile, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := storage.Open(filepath.Join(dir, "data"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return ruleFile, filepath.Join(dir, "rules-state.json"), st
}

// TestFiringAlertsSurviveRestart checks that firing alerts continue across
// a restart: one that keep_firing_for holds keeps firing until its time is
// up (counted from before the restart), and one whose condition ended
// while the process was down is resolved, with a resolve sent, at the
// first evaluation.
func TestFiringAlertsSurviveRestart(t *testing.T) {
	ruleFile, stateFile, st := restartFiles(t, restartRules)
	t0 := time.Now().Truncate(time.Minute).Add(-30 * time.Minute)
	check := func(step string, got []string, want ...string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s: notifications %q, want %q", step, got, want)
		}
	}

	first := startProcess(t, st, ruleFile, stateFile)
	check("both start firing", first.eval(t0, map[string]float64{"lag": 50, "errors": 3}), "Errors firing", "LagHigh firing")
	// The lag is gone, but keep_firing_for holds LagHigh from t0+1m.
	check("lag gone", first.eval(t0.Add(time.Minute), map[string]float64{"lag": 0, "errors": 3}))
	first.stop()
	b, err := os.ReadFile(stateFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"keep_firing_since"`) || !strings.Contains(string(b), `"Errors"`) {
		t.Fatalf("state file lacks the firing alerts: %s", b)
	}

	// Restarted 2 minutes later; errors ended while it was down.
	second := startProcess(t, st, ruleFile, stateFile)
	check("after restart", second.eval(t0.Add(3*time.Minute), map[string]float64{"lag": 0, "errors": 0}),
		"Errors resolved", "LagHigh firing")
	active := map[string]string{}
	for _, r := range second.e.AlertingRules() {
		for _, a := range r.ActiveAlerts() {
			active[r.Name()] = a.State.String() + " since " + a.ActiveAt.Sub(t0).String() + " " + a.Annotations.Get("summary")
		}
	}
	if got := active["LagHigh"]; got != "firing since 0s lag is 50" {
		t.Errorf("LagHigh after restart: %q, want it firing since t0 with its annotation", got)
	}
	// keep_firing_for ends 10 minutes after the lag went (t0+1m), not
	// 10 minutes after the restart. (Both are re-sent: a minute has passed,
	// the resend delay.)
	check("keep-firing continues", second.eval(t0.Add(10*time.Minute), map[string]float64{"lag": 0, "errors": 0}),
		"Errors resolved", "LagHigh firing")
	check("keep-firing ends", second.eval(t0.Add(11*time.Minute), map[string]float64{"lag": 0, "errors": 0}), "LagHigh resolved")
	second.stop()

	// Nothing fires any more: the next start restores nothing.
	third := startProcess(t, st, ruleFile, stateFile)
	check("nothing left", third.eval(t0.Add(12*time.Minute), map[string]float64{"lag": 0, "errors": 0}))
	third.stop()
}

// TestFiringStateDropsRemovedRules checks that alerts saved for a group
// the rule files no longer have are not kept, and that a corrupt state file
// is a clear error.
func TestFiringStateDropsRemovedRules(t *testing.T) {
	ruleFile, stateFile, st := restartFiles(t, restartRules)
	saved := `{"version":1,"alerts":[{"group":"gone.yml;old","rule":"Old","rule_labels":"{}","labels":{"alertname":"Old"},"active_at":"2026-12-07T00:00:00Z","fired_at":"2026-12-07T00:00:00Z"}]}`
	if err := os.WriteFile(stateFile, []byte(saved), 0o600); err != nil {
		t.Fatal(err)
	}
	startProcess(t, st, ruleFile, stateFile).stop()
	b, err := os.ReadFile(stateFile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "Old") {
		t.Errorf("state of a removed group kept: %s", b)
	}

	if err := os.WriteFile(stateFile, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = New(Config{RuleFiles: []string{ruleFile}}, Options{
		Engine: newTestEngine(), Queryable: st.Queryable(), StateFile: stateFile,
		Appender: func(ctx context.Context) Appender { return st.Appender(ctx) },
	})
	if err == nil || !strings.Contains(err.Error(), stateFile) {
		t.Errorf("corrupt state file: error %v, want one naming %s", err, stateFile)
	}
}

// TestTemplatedLabelsSurviveRestart checks that an alert whose rule labels
// are templates is restored too: its saved label set is the expanded one,
// and the first evaluation after the restart finds it firing since before
// the restart (not pending again), while one whose expanded labels changed
// while the process was down is resolved and the new label set pends.
func TestTemplatedLabelsSurviveRestart(t *testing.T) {
	const templated = `
groups:
  - name: pipeline
    interval: 1h
    rules:
      - alert: Backlog
        expr: backlog > 10
        for: 5m
        labels: {severity: '{{ if gt $value 100.0 }}page{{ else }}ticket{{ end }}'}
`
	ruleFile, stateFile, st := restartFiles(t, templated)
	t0 := time.Now().Truncate(time.Minute).Add(-30 * time.Minute)
	states := func(h *harness) []string {
		var out []string
		for _, r := range h.e.AlertingRules() {
			for _, a := range r.ActiveAlerts() {
				out = append(out, a.Labels.Get("severity")+" "+a.State.String()+" since "+a.ActiveAt.Sub(t0).String())
			}
		}
		slices.Sort(out)
		return out
	}

	first := startProcess(t, st, ruleFile, stateFile)
	first.eval(t0, map[string]float64{"backlog": 50})
	if got := first.eval(t0.Add(5*time.Minute), map[string]float64{"backlog": 50}); !slices.Equal(got, []string{"Backlog firing"}) {
		t.Fatalf("first process: notifications %q, want Backlog firing", got)
	}
	first.stop()

	second := startProcess(t, st, ruleFile, stateFile)
	second.eval(t0.Add(7*time.Minute), map[string]float64{"backlog": 50})
	if got, want := states(second), []string{"ticket firing since 0s"}; !slices.Equal(got, want) {
		t.Errorf("after restart: alerts %q, want %q", got, want)
	}
	second.stop()

	// Down again; the backlog grew past 100, so the expanded severity
	// changed: the saved ticket alert resolves and a page alert pends.
	third := startProcess(t, st, ruleFile, stateFile)
	if got := third.eval(t0.Add(9*time.Minute), map[string]float64{"backlog": 500}); !slices.Equal(got, []string{"Backlog resolved"}) {
		t.Errorf("severity changed while down: notifications %q, want the ticket alert resolved", got)
	}
	if got, want := states(third), []string{"page pending since 9m0s"}; !slices.Equal(got, want) {
		t.Errorf("severity changed while down: alerts %q, want %q", got, want)
	}
	third.stop()
}
