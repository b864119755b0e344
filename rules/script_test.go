package rules

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	promrules "github.com/prometheus/prometheus/rules"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/storage"
)

// Rule test scripts (testdata/*.test.yml) use the format of
// `promtool test rules`: rule_files, evaluation_interval and tests, each
// with interval, input_series (series notation "0+10x5 _ stale"),
// alert_rule_test (firing alerts at eval_time, exp_labels without
// alertname, exp_annotations) and promql_expr_test (exp_samples). They
// are replayed against a real temporary TSDB through the Evaluator, every
// group evaluated at 0, evaluation_interval, 2×evaluation_interval, ...
//
// pipewatch's additions: rule_files may name built-in pack files
// ("pack:kafka.yml"); a sample may carry a tolerance; and
// notification_test lists the notifications the NotifyFunc receives from
// the evaluation at eval_time (exp_labels without alertname, resolved).

type scriptFile struct {
	RuleFiles          []string          `yaml:"rule_files"`
	EvaluationInterval model.Duration    `yaml:"evaluation_interval"`
	ExternalLabels     map[string]string `yaml:"external_labels"`
	Tests              []scriptTest      `yaml:"tests"`
}

type scriptTest struct {
	Name        string         `yaml:"name"`
	Interval    model.Duration `yaml:"interval"`
	InputSeries []scriptSeries `yaml:"input_series"`
	AlertTests  []alertTest    `yaml:"alert_rule_test"`
	ExprTests   []exprTest     `yaml:"promql_expr_test"`
	NotifyTests []notifyTest   `yaml:"notification_test"`
	// AllowRuleErrors names rules whose evaluation may fail.
	AllowRuleErrors []string `yaml:"allow_rule_errors"`
}

type scriptSeries struct {
	Series string `yaml:"series"`
	Values string `yaml:"values"`
}

type alertTest struct {
	EvalTime  model.Duration `yaml:"eval_time"`
	Alertname string         `yaml:"alertname"`
	ExpAlerts []struct {
		ExpLabels      map[string]string `yaml:"exp_labels"`
		ExpAnnotations map[string]string `yaml:"exp_annotations"`
	} `yaml:"exp_alerts"`
}

type exprTest struct {
	Expr       string         `yaml:"expr"`
	EvalTime   model.Duration `yaml:"eval_time"`
	ExpSamples []struct {
		Labels    string  `yaml:"labels"`
		Value     float64 `yaml:"value"`
		Tolerance float64 `yaml:"tolerance"`
	} `yaml:"exp_samples"`
}

type notifyTest struct {
	EvalTime         model.Duration `yaml:"eval_time"`
	ExpNotifications []struct {
		ExpLabels map[string]string `yaml:"exp_labels"`
		Resolved  bool              `yaml:"resolved"`
	} `yaml:"exp_notifications"`
}

func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.test.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test scripts: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var sf scriptFile
			dec := yaml.NewDecoder(strings.NewReader(string(b)))
			dec.KnownFields(true)
			if err := dec.Decode(&sf); err != nil {
				t.Fatalf("parse %s: %v", file, err)
			}
			for i, st := range sf.Tests {
				name := st.Name
				if name == "" {
					name = fmt.Sprintf("test%d", i)
				}
				t.Run(name, func(t *testing.T) { runScript(t, filepath.Dir(file), sf, st) })
			}
		})
	}
}

// newTestEngine returns a PromQL engine configured as the API's.
func newTestEngine() *promql.Engine {
	return promql.NewEngine(promql.EngineOpts{
		MaxSamples:               50_000_000,
		Timeout:                  time.Minute,
		LookbackDelta:            5 * time.Minute,
		NoStepSubqueryIntervalFn: func(int64) int64 { return time.Minute.Milliseconds() },
		EnableAtModifier:         true,
		EnableNegativeOffset:     true,
	})
}

// openTestStorage opens a real TSDB in a temporary directory.
func openTestStorage(t testing.TB) *storage.Storage {
	t.Helper()
	st, err := storage.Open(t.TempDir(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

type sentNotification struct {
	at    int64
	alert Alert
}

func runScript(t *testing.T, dir string, sf scriptFile, st scriptTest) {
	st2 := openTestStorage(t)
	p := newParser()

	interval := time.Duration(st.Interval)
	if interval == 0 {
		interval = time.Minute
	}
	app := st2.Appender(context.Background())
	for _, s := range st.InputSeries {
		lset, vals, err := p.ParseSeriesDesc(s.Series + " " + s.Values)
		if err != nil {
			t.Fatalf("parse input series %q: %v", s.Series, err)
		}
		for i, v := range vals {
			if v.Omitted {
				continue
			}
			if _, err := app.Append(0, lset, int64(i)*interval.Milliseconds(), v.Value); err != nil {
				t.Fatalf("append %s: %v", lset, err)
			}
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}

	cfg := Config{EvaluationInterval: time.Duration(sf.EvaluationInterval)}
	var packFiles []string
	for _, f := range sf.RuleFiles {
		if strings.HasPrefix(f, packPrefix) {
			packFiles = append(packFiles, f)
			continue
		}
		cfg.RuleFiles = append(cfg.RuleFiles, filepath.Join(dir, f))
	}
	if len(packFiles) > 0 {
		cfg.Pack.Enabled = true
		all, err := loadPack(PackConfig{Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range all {
			if slices.Contains(packFiles, f.Name) {
				continue
			}
			for _, g := range f.Groups {
				cfg.Pack.Disable = append(cfg.Pack.Disable, g.Name)
			}
		}
	}

	var (
		mu   sync.Mutex
		sent []sentNotification
		now  int64
	)
	engine := newTestEngine()
	e, err := newEvaluator(cfg, Options{
		Engine:         engine,
		Queryable:      st2.Queryable(),
		Appender:       func(ctx context.Context) Appender { return st2.Appender(ctx) },
		ExternalLabels: labels.FromMap(sf.ExternalLabels),
		Notify: func(_ context.Context, alerts []Alert) {
			mu.Lock()
			defer mu.Unlock()
			for _, a := range alerts {
				sent = append(sent, sentNotification{at: now, alert: a})
			}
		},
	}, false)
	if err != nil {
		t.Fatalf("load rules: %v", err)
	}

	evalInterval := time.Duration(sf.EvaluationInterval)
	if evalInterval == 0 {
		evalInterval = time.Minute
	}
	var maxT time.Duration
	for _, a := range st.AlertTests {
		maxT = max(maxT, time.Duration(a.EvalTime))
	}
	for _, x := range st.ExprTests {
		maxT = max(maxT, time.Duration(x.EvalTime))
	}
	for _, n := range st.NotifyTests {
		maxT = max(maxT, time.Duration(n.EvalTime))
	}
	check := func(d time.Duration) {
		for _, at := range st.AlertTests {
			if time.Duration(at.EvalTime) == d {
				checkAlerts(t, e, at)
			}
		}
		for _, xt := range st.ExprTests {
			if time.Duration(xt.EvalTime) == d {
				checkExpr(t, engine, st2, xt)
			}
		}
		for _, nt := range st.NotifyTests {
			if time.Duration(nt.EvalTime) == d {
				mu.Lock()
				var got []sentNotification
				for _, s := range sent {
					if s.at == d.Milliseconds() {
						got = append(got, s)
					}
				}
				mu.Unlock()
				checkNotifications(t, nt, got)
			}
		}
	}
	for _, d := range evalTimes(st) {
		if d%evalInterval != 0 {
			t.Fatalf("eval_time %v is not a multiple of evaluation_interval %v", model.Duration(d), model.Duration(evalInterval))
		}
	}
	for d := time.Duration(0); d <= maxT; d += evalInterval {
		mu.Lock()
		now = d.Milliseconds()
		mu.Unlock()
		e.evaluateInOrder(context.Background(), time.UnixMilli(d.Milliseconds()))
		for _, g := range e.RuleGroups() {
			for _, r := range g.Rules() {
				if r.Health() == promrules.HealthBad && !slices.Contains(st.AllowRuleErrors, r.Name()) {
					t.Errorf("at %v: rule %s: %v", model.Duration(d), r.Name(), r.LastError())
				}
			}
		}
		check(d)
	}
}

func evalTimes(st scriptTest) []time.Duration {
	var out []time.Duration
	for _, a := range st.AlertTests {
		out = append(out, time.Duration(a.EvalTime))
	}
	for _, x := range st.ExprTests {
		out = append(out, time.Duration(x.EvalTime))
	}
	for _, n := range st.NotifyTests {
		out = append(out, time.Duration(n.EvalTime))
	}
	return out
}

// labelsWithout renders ls without alertname, sorted.
func labelsWithout(ls labels.Labels, drop string) string {
	return labels.NewBuilder(ls).Del(drop).Labels().String()
}

func checkAlerts(t *testing.T, e *Evaluator, at alertTest) {
	t.Helper()
	var got []string
	for _, r := range e.AlertingRules() {
		if r.Name() != at.Alertname {
			continue
		}
		for _, a := range r.ActiveAlerts() {
			if a.State != promrules.StateFiring {
				continue
			}
			got = append(got, labelsWithout(a.Labels, labels.AlertName)+" "+a.Annotations.String())
		}
	}
	var want []string
	for _, a := range at.ExpAlerts {
		want = append(want, labels.FromMap(a.ExpLabels).String()+" "+labels.FromMap(a.ExpAnnotations).String())
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("at %v, alert %s:\n got  %q\n want %q", at.EvalTime, at.Alertname, got, want)
	}
}

func checkExpr(t *testing.T, engine *promql.Engine, st *storage.Storage, xt exprTest) {
	t.Helper()
	q, err := engine.NewInstantQuery(context.Background(), st.Queryable(), nil, xt.Expr, time.UnixMilli(time.Duration(xt.EvalTime).Milliseconds()))
	if err != nil {
		t.Fatalf("expr %q: %v", xt.Expr, err)
	}
	defer q.Close()
	res := q.Exec(context.Background())
	if res.Err != nil {
		t.Fatalf("expr %q: %v", xt.Expr, res.Err)
	}
	vec, err := res.Vector()
	if err != nil {
		t.Fatalf("expr %q: %v", xt.Expr, err)
	}
	got := map[string]float64{}
	for _, s := range vec {
		got[s.Metric.String()] = s.F
	}
	p := newParser()
	want := map[string]bool{}
	for _, s := range xt.ExpSamples {
		ls, err := p.ParseMetric(s.Labels)
		if err != nil {
			t.Fatalf("expr %q: parse labels %q: %v", xt.Expr, s.Labels, err)
		}
		key := ls.String()
		want[key] = true
		v, ok := got[key]
		switch {
		case !ok:
			t.Errorf("at %v, %s: missing %s (got %v)", xt.EvalTime, xt.Expr, key, got)
		case !closeTo(v, s.Value, s.Tolerance):
			t.Errorf("at %v, %s: %s = %v, want %v ± %v", xt.EvalTime, xt.Expr, key, v, s.Value, s.Tolerance)
		}
	}
	for k, v := range got {
		if !want[k] {
			t.Errorf("at %v, %s: unexpected %s = %v", xt.EvalTime, xt.Expr, k, v)
		}
	}
}

func closeTo(got, want, tol float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	if tol == 0 {
		tol = 1e-9 * max(1, math.Abs(want))
	}
	return math.Abs(got-want) <= tol
}

func checkNotifications(t *testing.T, nt notifyTest, got []sentNotification) {
	t.Helper()
	at := time.UnixMilli(time.Duration(nt.EvalTime).Milliseconds())
	var g, w []string
	for _, s := range got {
		g = append(g, fmt.Sprintf("%s resolved=%v", labelsWithout(s.alert.Labels, labels.AlertName), s.alert.Resolved(at)))
	}
	for _, n := range nt.ExpNotifications {
		w = append(w, fmt.Sprintf("%s resolved=%v", labels.FromMap(n.ExpLabels), n.Resolved))
	}
	sort.Strings(g)
	sort.Strings(w)
	if !slices.Equal(g, w) {
		t.Errorf("at %v, notifications:\n got  %q\n want %q", nt.EvalTime, g, w)
	}
}
