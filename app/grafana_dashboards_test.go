package app

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/pipewatch/pipewatch/demo"
)

// The Grafana bundle's dashboards and the settings of its provisioned
// Prometheus datasource that Grafana's query interpolation depends on.
const (
	grafanaDashboards = "../deploy/grafana/dashboards"
	// grafanaScrapeInterval is the datasource's jsonData.timeInterval
	// (deploy/grafana/provisioning/datasources/pipewatch.yml): Grafana's
	// minimum step and the scrape interval of $__rate_interval.
	grafanaScrapeInterval = 5 * time.Second
	// grafanaRange and grafanaStep are the dashboards' time range (the
	// last 5 minutes) and the step of a panel a few hundred pixels wide.
	grafanaRange = 5 * time.Minute
	grafanaStep  = 15 * time.Second
	// grafanaStallCycle shortens the demo's stall cycle (10m by default)
	// and with it the windows of the demo's lag-breach forecast (3/10 and
	// 1/10 of the cycle), so that the stall the test injects gets an ETA
	// and a firing forecast alert within the test.
	grafanaStallCycle = time.Minute
	// grafanaDataDeadline bounds how long the test polls for panels that
	// are still empty. The slowest is the lag-breach forecast panel: its
	// first ETA comes about 80s after the start.
	grafanaDataDeadline = 110 * time.Second
)

// grafanaNoData is why a query of the dashboards returns no data from the
// demo: a reason and, for what depends on the host rather than the demo,
// the query (PromQL) that has series when the host has what the panel
// needs; the panel is then expected to have data after all.
type grafanaNoData struct {
	reason string
	unless string
}

// grafanaNoDemoData lists the queries (panel targets as "file: panel
// (refId)", variables as "file: $name") that return no data from the demo.
// The test fails if one of them returns data, so that the list stays
// honest.
var grafanaNoDemoData = func() map[string]grafanaNoData {
	cgroups := func(controller, family string) grafanaNoData {
		return grafanaNoData{
			reason: "the host has no cgroup below the root in the " + controller + " hierarchy",
			unless: family + `{id!="/"}`,
		}
	}
	return map[string]grafanaNoData{
		"jobs.json: Failed tasks (A)": {reason: "the demo's Kafka Connect task fails only while Elasticsearch rejects writes, " +
			"which starts some four minutes into a run (with the default one-hour day), after the test"},
		"jobs.json: Pipeline up and output errors (B)": {reason: "the demo's Logstash gets its rejections as whole bulk requests " +
			"answered 429 (bulk_requests.responses.429), and Logstash reports bulk_requests.with_errors only from the first " +
			"bulk response with item errors"},
		"kafka-lag.json: Lost offsets (records deleted before they were read) (A)": {reason: "the demo sizes retention so that " +
			"the stalling group's backlog survives the stall: no group's committed offset falls below the log start"},
		"containers-jvm.json: $container": {
			reason: "cgroups have a name label only with a Docker or containerd socket, which the host lacks",
			unless: `container_memory_working_set_bytes{name!=""}`,
		},
		"containers-jvm.json: CPU (top 10) (A)":                      cgroups("cpu", "container_cpu_usage_seconds_total"),
		"containers-jvm.json: CPU throttled (top 10) (A)":            cgroups("cpu", "container_cpu_cfs_periods_total"),
		"containers-jvm.json: Disk read/write (top 10) (A)":          cgroups("blkio", "container_fs_reads_bytes_total"),
		"containers-jvm.json: Disk read/write (top 10) (B)":          cgroups("blkio", "container_fs_writes_bytes_total"),
		"containers-jvm.json: Network receive/transmit (top 10) (A)": cgroups("network (a network namespace of its own)", "container_network_receive_bytes_total"),
		"containers-jvm.json: Network receive/transmit (top 10) (B)": cgroups("network (a network namespace of its own)", "container_network_transmit_bytes_total"),
		"containers-jvm.json: Memory working set of limit (top 10) (A)": {
			reason: "no cgroup below the root has a memory limit",
			unless: `container_spec_memory_limit_bytes{id!="/"} > 0`,
		},
	}
}()

// TestGrafanaDashboardsAnswerFromTheDemo runs every query of the Grafana
// bundle the way Grafana runs it, against a pipewatch running the demo
// (with container collection on, as a user would configure it): template
// variables are filled from label_values()/query_result() answers of
// pipewatch's API, interval variables get Grafana's values for the
// provisioned datasource, range panels go to /api/v1/query_range, instant
// ones to /api/v1/query, and the Infinity (topology) queries to their URL.
// Every query must succeed, and every one not listed in grafanaNoDemoData
// must return data; it polls until they do, bounded by
// grafanaDataDeadline. To give the alert-only panels (the lag-breach
// forecast, firing alerts) data, it injects a stall through the demo's
// stall control, as a user of the demo would. A last pass with each
// variable on its first value instead of All (the dashboards' default)
// checks that real values, escaped as Grafana escapes them, still make
// valid queries.
func TestGrafanaDashboardsAnswerFromTheDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo platform in real time for about 80 seconds")
	}
	dashboards := loadGrafanaDashboards(t)
	cfg := writeFile(t, t.TempDir(), "pipewatch.yml", "containers: {enabled: true}\n")
	in := startApp(t, Options{Demo: true, ConfigFile: cfg, DemoOptions: demo.Options{StallCycle: grafanaStallCycle}})
	in.waitReady(t)
	started := time.Now()

	// A few collection rounds of every target, so that rates over
	// $__rate_interval have two samples.
	deadline := time.Now().Add(grafanaDataDeadline)
	for {
		n, ok := instantValue(t, in, "min(count_over_time(up[1m]))")
		if ok && n >= 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("targets did not complete 4 collection rounds within %v (min rounds %v)", grafanaDataDeadline, n)
		}
		time.Sleep(time.Second)
	}
	// An incident, as the demo's stall control injects it once the groups
	// have committed: the lag of the stalling group grows from now on, so
	// that the lag-breach forecast publishes an ETA and fires, which the
	// forecast panel and the firing-alerts table show, within the test
	// rather than after the first stall cycles.
	if code, body := in.do(t, http.MethodPost, demoStallPath+"?for=2m", nil); code != http.StatusOK {
		t.Fatalf("inject a stall: %d %s", code, body)
	}

	type outcome struct {
		data   bool
		detail string
		after  time.Duration // from the start until the first data
	}
	seen := map[string]*outcome{}
	var order []string
	record := func(key string, data bool, detail string) {
		o := seen[key]
		if o == nil {
			o = &outcome{}
			seen[key] = o
			order = append(order, key)
		}
		if data && !o.data {
			o.after = time.Since(started)
		}
		o.data = o.data || data
		if detail != "" {
			o.detail = detail
		}
	}
	// excused reports whether the query of key may lack data: it is
	// listed, and the host lacks what the listing says it lacks.
	excused := func(key string) (grafanaNoData, bool) {
		nd, listed := grafanaNoDemoData[key]
		if listed && nd.unless != "" {
			if n := instantCount(t, in, nd.unless); n > 0 {
				nd.reason = fmt.Sprintf("%s (but %s has %d series)", nd.reason, nd.unless, n)
				return nd, false
			}
		}
		return nd, listed
	}
	missing := func() []string {
		var out []string
		for _, k := range order {
			if _, ok := excused(k); !ok && !seen[k].data {
				out = append(out, k)
			}
		}
		return out
	}

	// Poll: a pass runs every query with every variable on All; panels of
	// series that need time (rates, the forecast, alerts) fill in over a
	// few passes.
	passes := 0
	for {
		passes++
		for _, d := range dashboards {
			for _, r := range d.run(t, in, time.Now(), false) {
				record(r.key, r.data, r.detail)
			}
		}
		if t.Failed() {
			return
		}
		if len(missing()) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Second)
	}

	// One pass with each variable on its first value: checks Grafana's
	// regex escaping of real values and the variables' chaining.
	firstWithData, firstChecked := 0, 0
	for _, d := range dashboards {
		for _, r := range d.run(t, in, time.Now(), true) {
			firstChecked++
			if r.data {
				firstWithData++
			}
		}
	}

	withData := 0
	var empty []string
	slowest := ""
	for _, k := range order {
		o := seen[k]
		if o.data && (slowest == "" || o.after > seen[slowest].after) {
			slowest = k
		}
		nd, ok := excused(k)
		_, listed := grafanaNoDemoData[k]
		switch {
		case o.data && ok:
			t.Errorf("%s returns data now (%s); remove it from grafanaNoDemoData (%q)", k, o.detail, nd.reason)
		case o.data:
			withData++
		case ok:
			empty = append(empty, fmt.Sprintf("%s: %s", k, nd.reason))
		case listed:
			t.Errorf("%s: no data: %s, although it is listed only as long as %s has none: %s", k, o.detail, nd.unless, nd.reason)
		default:
			t.Errorf("%s: no data from the demo: %s", k, o.detail)
		}
	}
	for k := range grafanaNoDemoData {
		if seen[k] == nil {
			t.Errorf("grafanaNoDemoData lists %q, which is no query of the dashboards", k)
		}
	}
	sort.Strings(empty)
	t.Logf("%d dashboards, %d queries (panel targets and variables) checked in %d passes over %v of demo: "+
		"%d with data, %d listed as empty in the demo:\n  %s",
		len(dashboards), len(order), passes, time.Since(started).Round(time.Second), withData, len(empty), strings.Join(empty, "\n  "))
	if slowest != "" {
		t.Logf("the last query to get data was %s, %v after the start", slowest, seen[slowest].after.Round(time.Second))
	}
	t.Logf("with each variable on its first value: %d queries succeeded, %d with data", firstChecked, firstWithData)
}

// grafanaDashboard is the part of a dashboard JSON model that decides
// which queries Grafana sends.
type grafanaDashboard struct {
	file       string
	Panels     []grafanaPanel `json:"panels"`
	Templating struct {
		List []grafanaVariable `json:"list"`
	} `json:"templating"`
}

type grafanaDatasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type grafanaPanel struct {
	Type       string             `json:"type"`
	Title      string             `json:"title"`
	Datasource *grafanaDatasource `json:"datasource"`
	Interval   string             `json:"interval"`
	Targets    []grafanaTarget    `json:"targets"`
	Panels     []grafanaPanel     `json:"panels"` // a collapsed row's
}

type grafanaTarget struct {
	RefID      string             `json:"refId"`
	Datasource *grafanaDatasource `json:"datasource"`
	Hide       bool               `json:"hide"`
	// Prometheus.
	Expr     string `json:"expr"`
	Instant  bool   `json:"instant"`
	Range    *bool  `json:"range"`
	Interval string `json:"interval"`
	// Infinity.
	URL          string `json:"url"`
	RootSelector string `json:"root_selector"`
}

type grafanaVariable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Multi      bool            `json:"multi"`
	IncludeAll bool            `json:"includeAll"`
	AllValue   string          `json:"allValue"`
	Regex      string          `json:"regex"`
	Current    struct {
		Value json.RawMessage `json:"value"`
	} `json:"current"`
}

func loadGrafanaDashboards(t *testing.T) []grafanaDashboard {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(grafanaDashboards, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards in %s (%v)", grafanaDashboards, err)
	}
	var out []grafanaDashboard
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d := grafanaDashboard{file: filepath.Base(f)}
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, d)
	}
	return out
}

// grafanaResult is the outcome of one query: whether it returned data,
// and what it returned or why not.
type grafanaResult struct {
	key    string
	data   bool
	detail string
}

// grafanaVars are the resolved template variables of a dashboard.
type grafanaVars struct {
	defs   map[string]grafanaVariable
	values map[string][]string // selected values; nil with All
	all    map[string][]string // every value of a query variable
}

// run resolves d's variables and runs its queries at now. With first,
// each query variable is set to its first value (if it has one) instead
// of All. Failed requests are test errors; empty answers are results
// without data.
func (d grafanaDashboard) run(t *testing.T, in *instance, now time.Time, first bool) []grafanaResult {
	t.Helper()
	tr := grafanaSpanAt(now)
	vars := grafanaVars{defs: map[string]grafanaVariable{}, values: map[string][]string{}, all: map[string][]string{}}
	var out []grafanaResult
	for _, v := range d.Templating.List {
		vars.defs[v.Name] = v
		key := fmt.Sprintf("%s: $%s", d.file, v.Name)
		switch v.Type {
		case "datasource", "constant", "custom", "interval":
			continue
		case "textbox":
			var s string
			_ = json.Unmarshal(v.Query, &s)
			vars.values[v.Name] = []string{s}
			continue
		case "query":
		default:
			t.Errorf("%s: variable type %q is not handled by this test", key, v.Type)
			continue
		}
		values, err := vars.queryVariable(in, v, tr)
		if err != nil {
			t.Errorf("%s: %v", key, err)
			vars.values[v.Name] = nil // All, so that the queries using it still run
			continue
		}
		vars.all[v.Name] = values
		switch {
		case first && len(values) > 0:
			vars.values[v.Name] = values[:1]
		case v.IncludeAll:
			vars.values[v.Name] = nil // All
		case len(values) > 0:
			vars.values[v.Name] = values[:1] // Grafana selects the first
		}
		out = append(out, grafanaResult{key, len(values) > 0, fmt.Sprintf("%d values %q", len(values), firstN(values, 5))})
	}

	var walk func([]grafanaPanel)
	walk = func(ps []grafanaPanel) {
		for _, p := range ps {
			walk(p.Panels)
			for _, tg := range p.Targets {
				if tg.Hide {
					continue
				}
				key := fmt.Sprintf("%s: %s (%s)", d.file, p.Title, tg.RefID)
				ds := tg.Datasource
				if ds == nil {
					ds = p.Datasource
				}
				if ds == nil {
					t.Errorf("%s: no datasource", key)
					continue
				}
				var r grafanaResult
				var err error
				switch ds.Type {
				case "prometheus":
					r, err = vars.promTarget(in, p, tg, tr)
				case "yesoreyeram-infinity-datasource":
					r, err = vars.infinityTarget(in, tg, tr)
				default:
					err = fmt.Errorf("datasource type %q is not handled by this test", ds.Type)
				}
				if err != nil {
					t.Errorf("%s: %v", key, err)
					continue
				}
				r.key = key
				out = append(out, r)
			}
		}
	}
	walk(d.Panels)
	return out
}

func firstN(s []string, n int) []string { return s[:min(n, len(s))] }

// grafanaSpan is a dashboard's time range.
type grafanaSpan struct {
	from, to time.Time
}

func grafanaSpanAt(now time.Time) grafanaSpan {
	return grafanaSpan{from: now.Add(-grafanaRange), to: now}
}

// Grafana's template variable syntaxes: $name, ${name}, ${name:format} and
// the deprecated [[name]] (with its format).
var grafanaVarRE = regexp.MustCompile(`\$([a-zA-Z0-9_]+)|\$\{([a-zA-Z0-9_.]+)(?::([^}]*))?\}|\[\[([a-zA-Z0-9_]+)(?::([^\]]*))?\]\]`)

// interpolate replaces the variables of s as Grafana does before sending
// a query: the built-in time variables from tr and interval, the
// dashboard's variables by their selected values, formatted for a PromQL
// regex matcher (promql) or raw (for URLs).
func (vars grafanaVars) interpolate(s string, tr grafanaSpan, interval time.Duration, promql bool) (string, error) {
	var errs []string
	out := grafanaVarRE.ReplaceAllStringFunc(s, func(m string) string {
		sm := grafanaVarRE.FindStringSubmatch(m)
		name, format := sm[1]+sm[2]+sm[4], sm[3]+sm[5]
		rng := tr.to.Sub(tr.from)
		switch name {
		case "__interval":
			return model.Duration(interval).String()
		case "__interval_ms":
			return strconv.FormatInt(interval.Milliseconds(), 10)
		case "__rate_interval":
			// max($__interval + scrape interval, 4 * scrape interval).
			return model.Duration(max(interval+grafanaScrapeInterval, 4*grafanaScrapeInterval)).String()
		case "__range":
			return model.Duration(rng).String()
		case "__range_s":
			return strconv.FormatInt(int64(rng.Seconds()), 10)
		case "__range_ms":
			return strconv.FormatInt(rng.Milliseconds(), 10)
		case "__from", "__to":
			at := tr.from
			if name == "__to" {
				at = tr.to
			}
			switch format {
			case "", "date:milliseconds":
				return strconv.FormatInt(at.UnixMilli(), 10)
			case "date:seconds":
				return strconv.FormatInt(at.Unix(), 10)
			}
			errs = append(errs, fmt.Sprintf("format %q of $%s is not handled by this test", format, name))
			return m
		}
		v, ok := vars.defs[name]
		if !ok {
			errs = append(errs, fmt.Sprintf("$%s is not a variable of the dashboard", name))
			return m
		}
		if v.Type == "datasource" {
			return m // datasource references, resolved by Grafana itself
		}
		selected, isSet := vars.values[name]
		switch {
		case isSet && selected == nil && v.AllValue != "":
			return v.AllValue // Grafana does not escape a custom all value
		case isSet && selected == nil:
			selected = vars.all[name]
		case !isSet:
			errs = append(errs, fmt.Sprintf("$%s is used before it is resolved", name))
			return m
		}
		if !promql || format == "raw" {
			return strings.Join(selected, ",")
		}
		return grafanaPromValue(selected, v.Multi || v.IncludeAll)
	})
	if len(errs) > 0 {
		return "", fmt.Errorf("interpolate %q: %s", s, strings.Join(errs, "; "))
	}
	return out, nil
}

// grafanaPromValue formats variable values the way Grafana's Prometheus
// datasource does (interpolateQueryExpr): a variable that is neither
// multi-value nor has All is only escaped for a string literal; otherwise
// each value is regex-escaped and several are joined as (a|b).
func grafanaPromValue(values []string, regex bool) string {
	if !regex {
		return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(strings.Join(values, ","))
	}
	esc := make([]string, len(values))
	for i, v := range values {
		esc[i] = grafanaRegexEscape(v)
	}
	if len(esc) == 1 {
		return esc[0]
	}
	return "(" + strings.Join(esc, "|") + ")"
}

// grafanaRegexEscape is Grafana's prometheusSpecialRegexEscape: a regex
// escape doubled for the PromQL string literal it ends up in.
func grafanaRegexEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\\\`)
		case strings.ContainsRune(`$^*{}[]'+?.()|`, r):
			b.WriteString(`\\`)
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Grafana's Prometheus variable queries.
var (
	grafanaLabelValuesRE = regexp.MustCompile(`(?s)^\s*label_values\(\s*(?:(.*),\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$`)
	grafanaQueryResultRE = regexp.MustCompile(`(?s)^\s*query_result\((.*)\)\s*$`)
)

// queryVariable returns the values of a query variable the way Grafana's
// Prometheus datasource finds them: label_values(selector, label) from
// /api/v1/series (the datasource does not declare a Prometheus version,
// so Grafana uses the series endpoint), cross-checked against
// /api/v1/label/<label>/values with match[]; label_values(label) from the
// latter without match[]; query_result(expr) from an instant query, one
// value per series in Prometheus's text format.
func (vars grafanaVars) queryVariable(in *instance, v grafanaVariable, tr grafanaSpan) ([]string, error) {
	var q string
	if err := json.Unmarshal(v.Query, &q); err != nil {
		var obj struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &obj); err != nil {
			return nil, fmt.Errorf("decode query %s: %w", v.Query, err)
		}
		q = obj.Query
	}
	span := url.Values{
		"start": {strconv.FormatInt(tr.from.Unix(), 10)},
		"end":   {strconv.FormatInt(tr.to.Unix(), 10)},
	}
	var values []string
	switch m := grafanaLabelValuesRE.FindStringSubmatch(q); {
	case m != nil:
		label := m[2]
		if strings.TrimSpace(m[1]) == "" {
			var data []string
			if err := grafanaAPI(in, "/api/v1/label/"+label+"/values", span, &data); err != nil {
				return nil, err
			}
			values = data
			break
		}
		sel, err := vars.interpolate(m[1], tr, grafanaStep, true)
		if err != nil {
			return nil, err
		}
		form := url.Values{"match[]": {sel}, "start": span["start"], "end": span["end"]}
		var series []map[string]string
		if err := grafanaAPI(in, "/api/v1/series", form, &series); err != nil {
			return nil, err
		}
		for _, s := range series {
			if val, ok := s[label]; ok && !slices.Contains(values, val) {
				values = append(values, val)
			}
		}
		slices.Sort(values)
		var fromLabels []string
		if err := grafanaAPI(in, "/api/v1/label/"+label+"/values", form, &fromLabels); err != nil {
			return nil, err
		}
		if !slices.Equal(values, fromLabels) {
			return nil, fmt.Errorf("label_values(%s, %s): /api/v1/series gives %q, /api/v1/label/%s/values gives %q",
				sel, label, values, label, fromLabels)
		}
	default:
		m := grafanaQueryResultRE.FindStringSubmatch(q)
		if m == nil {
			return nil, fmt.Errorf("query %q is not label_values() or query_result()", q)
		}
		expr, err := vars.interpolate(m[1], tr, grafanaStep, true)
		if err != nil {
			return nil, err
		}
		var res struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  []any             `json:"value"`
			} `json:"result"`
		}
		form := url.Values{"query": {expr}, "time": {strconv.FormatInt(tr.to.Unix(), 10)}}
		if err := grafanaAPI(in, "/api/v1/query", form, &res); err != nil {
			return nil, err
		}
		for _, r := range res.Result {
			ls := model.LabelSet{}
			for k, v := range r.Metric {
				ls[model.LabelName(k)] = model.LabelValue(v)
			}
			values = append(values, fmt.Sprintf("%s %v", ls, r.Value[1]))
		}
	}
	if v.Regex != "" {
		re, err := regexp.Compile(strings.Trim(v.Regex, "/"))
		if err != nil {
			return nil, fmt.Errorf("regex %q: %w", v.Regex, err)
		}
		var kept []string
		for _, val := range values {
			if sm := re.FindStringSubmatch(val); sm != nil {
				if len(sm) > 1 {
					val = sm[1]
				}
				kept = append(kept, val)
			}
		}
		values = kept
	}
	return values, nil
}

// grafanaInterval is Grafana's $__interval and step for a panel target:
// the range over the data points a panel shows (grafanaStep here), at
// least the target's, the panel's or the datasource's minimum interval.
func grafanaInterval(p grafanaPanel, tg grafanaTarget) (time.Duration, error) {
	iv := max(grafanaStep, grafanaScrapeInterval)
	for _, s := range []string{tg.Interval, p.Interval} {
		if s == "" {
			continue
		}
		d, err := model.ParseDuration(strings.TrimPrefix(s, ">"))
		if err != nil {
			return 0, fmt.Errorf("min interval %q: %w", s, err)
		}
		iv = max(iv, time.Duration(d))
		break
	}
	return iv, nil
}

// promTarget runs a Prometheus panel target: a range query over the
// dashboard's range (start and end aligned to the step, as Grafana does)
// unless the target is instant-only, and an instant query at the range's
// end if the target is instant.
func (vars grafanaVars) promTarget(in *instance, p grafanaPanel, tg grafanaTarget, tr grafanaSpan) (grafanaResult, error) {
	step, err := grafanaInterval(p, tg)
	if err != nil {
		return grafanaResult{}, err
	}
	expr, err := vars.interpolate(tg.Expr, tr, step, true)
	if err != nil {
		return grafanaResult{}, err
	}
	rangeQuery := tg.Range == nil && !tg.Instant || tg.Range != nil && *tg.Range
	var res grafanaResult
	var details []string
	if rangeQuery {
		s := int64(step.Seconds())
		form := url.Values{
			"query": {expr},
			"start": {strconv.FormatInt(tr.from.Unix()/s*s, 10)},
			"end":   {strconv.FormatInt(tr.to.Unix()/s*s, 10)},
			"step":  {strconv.FormatInt(s, 10)},
		}
		var data struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Values [][]any `json:"values"`
			} `json:"result"`
		}
		if err := grafanaAPI(in, "/api/v1/query_range", form, &data); err != nil {
			return grafanaResult{}, fmt.Errorf("query_range %s: %w", expr, err)
		}
		points := 0
		for _, r := range data.Result {
			points += len(r.Values)
		}
		res.data = points > 0
		details = append(details, fmt.Sprintf("query_range %s: %d series, %d points", expr, len(data.Result), points))
	}
	if tg.Instant {
		form := url.Values{"query": {expr}, "time": {strconv.FormatInt(tr.to.Unix(), 10)}}
		var data struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		}
		if err := grafanaAPI(in, "/api/v1/query", form, &data); err != nil {
			return grafanaResult{}, fmt.Errorf("query %s: %w", expr, err)
		}
		n := 1 // a scalar or string
		if data.ResultType == "vector" || data.ResultType == "matrix" {
			var rs []json.RawMessage
			if err := json.Unmarshal(data.Result, &rs); err != nil {
				return grafanaResult{}, fmt.Errorf("query %s: decode result: %w", expr, err)
			}
			n = len(rs)
		}
		res.data = res.data || n > 0
		details = append(details, fmt.Sprintf("query %s: %d series", expr, n))
	}
	res.detail = strings.Join(details, "; ")
	return res, nil
}

// infinityTarget runs an Infinity query: a GET of its URL relative to the
// datasource's (pipewatch's) URL; it has data if its root selector (a
// dotted path into the JSON) is a non-empty array.
func (vars grafanaVars) infinityTarget(in *instance, tg grafanaTarget, tr grafanaSpan) (grafanaResult, error) {
	u, err := vars.interpolate(tg.URL, tr, grafanaStep, false)
	if err != nil {
		return grafanaResult{}, err
	}
	resp, err := in.client.Get(in.base + u)
	if err != nil {
		return grafanaResult{}, fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return grafanaResult{}, fmt.Errorf("GET %s: %s: %.300s", u, resp.Status, body)
	}
	var node any
	if err := json.Unmarshal(body, &node); err != nil {
		return grafanaResult{}, fmt.Errorf("GET %s: decode: %w", u, err)
	}
	if m, _ := node.(map[string]any); m["status"] != "success" {
		return grafanaResult{}, fmt.Errorf("GET %s: status %v: %.300s", u, m["status"], body)
	}
	for _, part := range strings.Split(tg.RootSelector, ".") {
		m, _ := node.(map[string]any)
		node = m[part]
	}
	rows, _ := node.([]any)
	return grafanaResult{data: len(rows) > 0, detail: fmt.Sprintf("GET %s: %d rows at %s", u, len(rows), tg.RootSelector)}, nil
}

// grafanaAPI sends form to a Prometheus API endpoint and decodes the data
// of a successful answer into data. Anything but 200 with status success
// is an error. Like Grafana with the provisioned datasource's httpMethod
// POST, it POSTs, except to /api/v1/label/<name>/values, which Prometheus
// serves for GET only and Grafana always GETs.
func grafanaAPI(in *instance, path string, form url.Values, data any) error {
	method := http.MethodPost
	var resp *http.Response
	var err error
	if strings.HasPrefix(path, "/api/v1/label/") {
		method = http.MethodGet
		resp, err = in.client.Get(in.base + path + "?" + form.Encode())
	} else {
		resp, err = in.client.PostForm(in.base+path, form)
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var env struct {
		Status   string          `json:"status"`
		Error    string          `json:"error"`
		Warnings []string        `json:"warnings"`
		Data     json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("%s %s: %s: decode %.300s: %w", method, path, resp.Status, body, err)
	}
	if resp.StatusCode != http.StatusOK || env.Status != "success" || env.Error != "" {
		return fmt.Errorf("%s %s: %s: status %q, error %q", method, path, resp.Status, env.Status, env.Error)
	}
	if err := json.Unmarshal(env.Data, data); err != nil {
		return fmt.Errorf("%s %s: decode data: %w", method, path, err)
	}
	return nil
}

// instantValue returns the value of a query's single sample, if it has
// one.
func instantValue(t *testing.T, in *instance, q string) (float64, bool) {
	t.Helper()
	var data struct {
		Result []struct {
			Value []any `json:"value"`
		} `json:"result"`
	}
	if err := grafanaAPI(in, "/api/v1/query", url.Values{"query": {q}}, &data); err != nil {
		t.Fatal(err)
	}
	if len(data.Result) != 1 || len(data.Result[0].Value) != 2 {
		return math.NaN(), false
	}
	s, _ := data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}
