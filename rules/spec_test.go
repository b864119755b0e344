package rules

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestCheckFiles(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []string // one line per problem, "FILE" stands for the path
	}{
		{
			name: "plain prometheus file",
			content: `groups:
  - name: g
    interval: 10s
    query_offset: 1s
    limit: 10
    labels: {team: a}
    rules:
      - record: a:b
        expr: sum(x)
      - alert: A
        expr: a:b > 1
        for: 1m
        keep_firing_for: 2m
        labels: {severity: page}
        annotations: {summary: "{{ $value }}"}
`,
		},
		{
			name:    "empty file",
			content: "",
		},
		{
			name: "extensions",
			content: `groups:
  - name: g
    interval: 30s
    min_interval: 1s
    rules:
      - alert: F
        expr: sum by (g) (lag)
        forecast: {threshold: 10, horizon: 5m, method: holt, holt: {phi: 0.9}, confirm_window: 5m}
        recover: 600
        annotations: {summary: "{{ $eta | humanizeDuration }} to {{ $threshold }} ({{ $horizon }})"}
      - alert: S
        expr: rate(x[5m])
        anomaly: {period: 1d, history: 7, window: 5m, confirm_window: 30m}
        recover: x < 1
        annotations: {summary: "{{ $score }} > {{ $threshold }}"}
`,
		},
		{
			name: "yaml syntax",
			content: `groups:
  - name: g
    rules: [
`,
			want: []string{"FILE:3: did not find expected node content"},
		},
		{
			name: "unknown keys",
			content: `groups:
  - name: g
    colour: blue
    rules:
      - alert: A
        expr: x
        forcast: {threshold: 1}
other: 1
`,
			want: []string{
				`FILE:3:5: unknown field "colour" in rule group (want one of name, interval, query_offset, limit, rules, labels, min_interval)`,
				`FILE:7:9: unknown field "forcast" in rule (want one of record, alert, expr, for, keep_firing_for, labels, annotations, forecast, anomaly, recover)`,
				`FILE:8:1: unknown field "other" in rule file (want groups)`,
			},
		},
		{
			name: "prometheus checks",
			content: `groups:
  - name: g
    rules:
      - alert: A
        expr: sum(x
      - record: r
        expr: x
        for: 1m
      - alert: B
        expr: x
        annotations: {summary: "{{ .Nope "}
  - name: g
    rules: []
`,
			want: []string{
				`FILE:5:15: group "g", rule 1, "A": could not parse expression: 1:6: parse error: unclosed left parenthesis`,
				`FILE:6:17: group "g", rule 2, "r": invalid field 'for' in recording rule`,
				`FILE:9: group "g", rule 3, "B": annotation "summary": template: __alert_B:1: unclosed action`,
				`FILE:12:5: group name "g" is repeated in the same file (first at line 2)`,
			},
		},
		{
			name: "bad extensions",
			content: `groups:
  - name: g
    interval: 10s
    min_interval: 1m
    rules:
      - record: r
        expr: x
        recover: "1"
      - alert: F
        expr: x
        forecast: {method: magic, horizon: -1m, window: 5m, confirm_window: 10m, foo: 1}
      - alert: G
        expr: x
        forecast: {threshold: 1, horizon: 1m}
        anomaly: {method: ewma}
      - alert: H
        expr: rate(x[1m])
        recover: 5
      - alert: I
        expr: x == 1
        recover: 5
      - record: pipewatch_forecast_eta_seconds
        expr: x
`,
			want: []string{
				`FILE:4:19: group "g": min_interval 1m must not exceed interval 10s`,
				`FILE:8:18: group "g", rule 1, "r": recover is only allowed in alerting rules`,
				`FILE:11:19: group "g", rule 2, "F": forecast: not a valid duration string: "-1m"`,
				`FILE:11:82: group "g", rule 2, "F": forecast: unknown field "foo" (want one of method, threshold, direction, horizon, window, confirm_window, step, min_samples, min_span, coverage, holt, fire_on)`,
				`FILE:15:18: group "g", rule 3, "G": anomaly: half_life must be set for method ewma`,
				`FILE:15:18: group "g", rule 3, "G": forecast and anomaly must not both be set`,
				`FILE:22:9: group "g", rule 6, "pipewatch_forecast_eta_seconds": recording rule name pipewatch_forecast_eta_seconds is reserved for forecast and anomaly rules`,
			},
		},
		{
			name: "bad forecast values",
			content: `groups:
  - name: g
    rules:
      - alert: F
        expr: x
        forecast: {method: magic, horizon: 0s, window: 5m, confirm_window: 10m}
`,
			want: []string{
				`FILE:6:19: group "g", rule 1, "F": forecast: method "magic" must be ols, theil_sen or holt`,
				`FILE:6:19: group "g", rule 1, "F": forecast: threshold must be set`,
				`FILE:6:19: group "g", rule 1, "F": forecast: horizon must be set and greater than 0`,
				`FILE:6:19: group "g", rule 1, "F": forecast: confirm_window 10m must be shorter than window 5m`,
			},
		},
		{
			name: "recover needs a comparison",
			content: `groups:
  - name: g
    rules:
      - alert: H
        expr: rate(x[1m])
        recover: 5
      - alert: I
        expr: x == 1
        recover: 5
      - alert: J
        expr: x > 1
        recover: sum(
`,
			want: []string{
				"FILE:4: group \"g\", rule 1, \"H\": recover: a recovery threshold needs an expr of the form `<vector> <, <=, > or >= <number>`; give a recovery expression instead",
				"FILE:7: group \"g\", rule 2, \"I\": recover: a recovery threshold needs an expr of the form `<vector> <, <=, > or >= <number>`; give a recovery expression instead",
				`FILE:10: group "g", rule 3, "J": recover: parse recovery expression: 1:5: parse error: unclosed left parenthesis`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "rules.yml")
			if err := os.WriteFile(file, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			err := CheckFiles(file)
			var got []string
			if err != nil {
				for _, e := range splitJoined(err) {
					var fe *FileError
					if !errors.As(e, &fe) {
						t.Errorf("error %v is no *FileError", e)
					}
					got = append(got, strings.ReplaceAll(e.Error(), file, "FILE"))
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("CheckFiles:\ngot:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestCheckFilesMissing(t *testing.T) {
	err := CheckFiles(filepath.Join(t.TempDir(), "nope.yml"))
	if err == nil || !strings.Contains(err.Error(), "nope.yml: read rule file:") {
		t.Fatalf("got %v", err)
	}
}

// TestPack checks that every built-in file loads, every expression parses
// (CheckFiles's checks) and every alert documents itself.
func TestPack(t *testing.T) {
	files, err := loadPack(PackConfig{Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(PackFiles()) {
		t.Fatalf("loaded %d of %d pack files", len(files), len(PackFiles()))
	}
	groups := 0
	for _, f := range files {
		for _, g := range f.Groups {
			groups++
			if !strings.HasPrefix(g.Name, "pipewatch-") {
				t.Errorf("%s: group %s: pack group names start with pipewatch-", f.Name, g.Name)
			}
			for _, r := range g.Rules {
				if r.Alert == "" {
					continue
				}
				if r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
					t.Errorf("%s: alert %s needs a severity label and summary and description annotations", f.Name, r.Alert)
				}
			}
		}
	}
	if got := len(PackGroups()); got != groups {
		t.Errorf("PackGroups() has %d groups, want %d", got, groups)
	}
	readme, err := os.ReadFile("pack/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range PackGroups() {
		if !strings.Contains(string(readme), name) {
			t.Errorf("pack/README.md does not document group %s", name)
		}
	}
	for _, f := range files {
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				if r.Alert != "" && !strings.Contains(string(readme), r.Alert) {
					t.Errorf("pack/README.md does not document alert %s", r.Alert)
				}
			}
		}
	}
}

func TestPackConfig(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       PackConfig
		wantErr    string
	}{
		{name: "empty", yaml: "{}", want: PackConfig{Enabled: true}},
		{name: "off", yaml: "enabled: false", want: PackConfig{}},
		{name: "disable", yaml: "disable: [pipewatch-spark]", want: PackConfig{Enabled: true, Disable: []string{"pipewatch-spark"}}},
		{name: "unknown group", yaml: "disable: [pipewatch-spark, spark]", want: PackConfig{Enabled: true, Disable: []string{"pipewatch-spark", "spark"}},
			wantErr: `disable[1]: no built-in rule group "spark" (have pipewatch-containers, pipewatch-elasticsearch, pipewatch-flink, pipewatch-jvm, pipewatch-kafka, pipewatch-kafka-forecast, pipewatch-spark, pipewatch-storm, pipewatch-targets)`},
		{name: "twice", yaml: "disable: [pipewatch-jvm, pipewatch-jvm]", want: PackConfig{Enabled: true, Disable: []string{"pipewatch-jvm", "pipewatch-jvm"}},
			wantErr: `disable[1]: group "pipewatch-jvm" is listed twice`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c PackConfig
			if err := yaml.Unmarshal([]byte(tc.yaml), &c); err != nil {
				t.Fatal(err)
			}
			if c.Enabled != tc.want.Enabled || strings.Join(c.Disable, ",") != strings.Join(tc.want.Disable, ",") {
				t.Errorf("got %+v, want %+v", c, tc.want)
			}
			err := c.Validate()
			if got := errString(err); got != tc.wantErr {
				t.Errorf("Validate() = %q, want %q", got, tc.wantErr)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
