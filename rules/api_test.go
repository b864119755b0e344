package rules_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/api"
	"github.com/pipewatch/pipewatch/rules"
	"github.com/pipewatch/pipewatch/storage"
)

// TestHTTPAPI serves the Evaluator through pipewatch's real HTTP API and
// checks /api/v1/rules and /api/v1/alerts, as Grafana and promtool read
// them.
func TestHTTPAPI(t *testing.T) {
	dir := t.TempDir()
	st, err := storage.Open(filepath.Join(dir, "data"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	file := filepath.Join(dir, "rules.yml")
	if err := os.WriteFile(file, []byte(`groups:
  - name: lag
    interval: 30s
    min_interval: 1s
    rules:
      - alert: LagBreachSoon
        expr: lag
        forecast: {method: ols, threshold: 1000, horizon: 15m, window: 10m}
        labels: {severity: warning}
        annotations: {summary: "in {{ $eta }}s"}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	engine := api.NewEngine(nil, nil)
	e, err := rules.New(rules.Config{RuleFiles: []string{file}, Pack: rules.PackConfig{Enabled: true, Disable: []string{"pipewatch-spark"}}}, rules.Options{
		Engine:    engine,
		Queryable: st.Queryable(),
		Appender:  func(ctx context.Context) rules.Appender { return st.Appender(ctx) },
	})
	if err != nil {
		t.Fatal(err)
	}

	// lag grows 1.5/s to 900: 1000 is 66.7s after the last sample.
	now := time.Now().Truncate(time.Second)
	app := st.Appender(context.Background())
	for i := 0; i <= 600; i += 10 {
		at := now.Add(time.Duration(i-600) * time.Second)
		if _, err := app.Append(0, labels.FromStrings("__name__", "lag", "job", "kafka/x"), at.UnixMilli(), float64(i)*1.5); err != nil {
			t.Fatal(err)
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	e.Evaluate(context.Background(), now)

	srv := httptest.NewServer(api.New(api.Options{
		Storage: st,
		Engine:  engine,
		Rules:   func() api.RuleSource { return e },
	}))
	defer srv.Close()

	var rulesResp struct {
		Status string `json:"status"`
		Data   struct {
			Groups []struct {
				Name  string `json:"name"`
				File  string `json:"file"`
				Rules []struct {
					Name   string `json:"name"`
					Query  string `json:"query"`
					Type   string `json:"type"`
					Health string `json:"health"`
					State  string `json:"state"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	get(t, srv.URL+"/api/v1/rules", &rulesResp)
	if rulesResp.Status != "success" {
		t.Fatalf("rules status %q", rulesResp.Status)
	}
	files := map[string]bool{}
	var found bool
	for _, g := range rulesResp.Data.Groups {
		files[g.File] = true
		if g.Name == "pipewatch-spark" {
			t.Error("disabled pack group pipewatch-spark is listed")
		}
		if g.Name != "lag" {
			continue
		}
		found = true
		if len(g.Rules) != 2 {
			t.Fatalf("group lag has %d rules, want the ETA recording rule and the alert", len(g.Rules))
		}
		rec, alert := g.Rules[0], g.Rules[1]
		if rec.Type != "recording" || rec.Name != rules.ETAMetric || rec.Health != "ok" {
			t.Errorf("first rule %+v, want the healthy ETA recording rule", rec)
		}
		if alert.Type != "alerting" || alert.Name != "LagBreachSoon" || alert.State != "firing" ||
			alert.Query != `pipewatch_forecast_eta_seconds{rule="LagBreachSoon"} <= 900` {
			t.Errorf("second rule %+v, want the firing forecast alert", alert)
		}
	}
	if !found || !files["pack:kafka.yml"] || !files[file] {
		t.Errorf("groups from files %v, want %s and the pack", files, file)
	}

	var alertsResp struct {
		Status string `json:"status"`
		Data   struct {
			Alerts []struct {
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
				State       string            `json:"state"`
				Value       string            `json:"value"`
			} `json:"alerts"`
		} `json:"data"`
	}
	get(t, srv.URL+"/api/v1/alerts", &alertsResp)
	if len(alertsResp.Data.Alerts) != 1 {
		t.Fatalf("alerts %+v, want one", alertsResp.Data.Alerts)
	}
	a := alertsResp.Data.Alerts[0]
	if a.State != "firing" || a.Labels["rule"] != "LagBreachSoon" || a.Labels["job"] != "kafka/x" ||
		a.Value != "6.6667e+01" || a.Annotations["summary"] != "in 66.667s" {
		t.Errorf("alert %+v", a)
	}
}

func get(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", url, resp.Status, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, b)
	}
}
