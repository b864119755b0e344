// Package grafana holds pipewatch's Grafana bundle: datasource and
// dashboard provisioning files (provisioning/) and the dashboards
// (dashboards/*.json). It has no Go code of its own; its tests check that
// the bundle is consistent and that every PromQL expression in it parses
// and uses only metric families pipewatch produces, found by reading the
// collectors' source and golden files (see knownFamilies), so a renamed or
// removed family fails here instead of leaving a panel empty.
package grafana

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/topology"
)

const (
	repoRoot = "../.."
	// minSchemaVersion is the dashboard schema of Grafana 11.0.
	minSchemaVersion = 39
	promType         = "prometheus"
	infinityType     = "yesoreyeram-infinity-datasource"
	promDSRef        = "${datasource}"
	infinityDSRef    = "${infinity}"
)

// dashboard is one dashboards/*.json file, decoded generically so that
// every field Grafana accepts is kept.
type dashboard struct {
	file string
	raw  map[string]any
}

func (d dashboard) str(key string) string { s, _ := d.raw[key].(string); return s }

// panels returns every panel, rows' nested panels included.
func (d dashboard) panels() []map[string]any {
	var out []map[string]any
	var walk func([]any)
	walk = func(ps []any) {
		for _, p := range ps {
			pm, ok := p.(map[string]any)
			if !ok {
				continue
			}
			out = append(out, pm)
			if nested, ok := pm["panels"].([]any); ok {
				walk(nested)
			}
		}
	}
	ps, _ := d.raw["panels"].([]any)
	walk(ps)
	return out
}

// variables returns the templating variables.
func (d dashboard) variables() []map[string]any {
	tpl, _ := d.raw["templating"].(map[string]any)
	list, _ := tpl["list"].([]any)
	var out []map[string]any
	for _, v := range list {
		if vm, ok := v.(map[string]any); ok {
			out = append(out, vm)
		}
	}
	return out
}

var (
	loadOnce   sync.Once
	loaded     []dashboard
	loadErr    error
	familyOnce sync.Once
	known      families
)

func loadDashboards(t *testing.T) []dashboard {
	t.Helper()
	loadOnce.Do(func() {
		files, err := filepath.Glob("dashboards/*.json")
		if err != nil || len(files) == 0 {
			loadErr = fmt.Errorf("no dashboards in dashboards/ (%v)", err)
			return
		}
		sort.Strings(files)
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				loadErr = err
				return
			}
			var raw map[string]any
			if err := json.Unmarshal(data, &raw); err != nil {
				loadErr = fmt.Errorf("%s: invalid JSON: %w", f, err)
				return
			}
			loaded = append(loaded, dashboard{file: filepath.Base(f), raw: raw})
		}
	})
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return loaded
}

func knownFamiliesOnce(t *testing.T) families {
	t.Helper()
	familyOnce.Do(func() { known = knownFamilies(t, repoRoot) })
	return known
}

// query is one PromQL expression of the bundle and where it is.
type query struct {
	where string // "file: panel title (refId)" or "file: variable name"
	expr  string
	// label is the label of label_values(expr, label), if any.
	label string
}

// labelValuesRE matches Grafana's label_values(selector, label) and
// label_values(label) variable queries; queryResultRE query_result(expr).
var (
	labelValuesRE = regexp.MustCompile(`(?s)^\s*label_values\(\s*(?:(.*),\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$`)
	queryResultRE = regexp.MustCompile(`(?s)^\s*query_result\((.*)\)\s*$`)
)

// queries returns every PromQL expression of d: Prometheus panel targets
// and query variables. Variable queries that are not PromQL
// (label_names(), metrics(re)) are skipped; label_values and query_result
// contribute their inner expression.
func (d dashboard) queries(t *testing.T) []query {
	t.Helper()
	var out []query
	for _, p := range d.panels() {
		title, _ := p["title"].(string)
		targets, _ := p["targets"].([]any)
		for _, tg := range targets {
			tm, _ := tg.(map[string]any)
			if dsType(tm["datasource"], p["datasource"]) != promType {
				continue
			}
			expr, _ := tm["expr"].(string)
			ref, _ := tm["refId"].(string)
			where := fmt.Sprintf("%s: panel %q (%s)", d.file, title, ref)
			if strings.TrimSpace(expr) == "" {
				t.Errorf("%s: empty expr", where)
				continue
			}
			out = append(out, query{where: where, expr: expr})
		}
	}
	for _, v := range d.variables() {
		if v["type"] != "query" {
			continue
		}
		name, _ := v["name"].(string)
		where := fmt.Sprintf("%s: variable %q", d.file, name)
		var q string
		switch qv := v["query"].(type) {
		case string:
			q = qv
		case map[string]any:
			q, _ = qv["query"].(string)
		}
		if m := labelValuesRE.FindStringSubmatch(q); m != nil {
			if strings.TrimSpace(m[1]) != "" {
				out = append(out, query{where: where, expr: m[1], label: m[2]})
			}
			continue
		}
		if m := queryResultRE.FindStringSubmatch(q); m != nil {
			out = append(out, query{where: where, expr: m[1]})
			continue
		}
		t.Errorf("%s: unsupported variable query %q (use label_values or query_result)", where, q)
	}
	return out
}

// dsType is the datasource type of a target (or of its panel, when the
// target has none).
func dsType(target, panel any) string {
	for _, ds := range []any{target, panel} {
		if m, ok := ds.(map[string]any); ok {
			if s, _ := m["type"].(string); s != "" {
				return s
			}
		}
	}
	return ""
}

// Grafana's variables, replaced by valid placeholders before parsing:
// interval variables by a duration, *_ms and *_s ones by a number, and
// dashboard variables by a word (they are used inside label matchers).
var (
	builtinVarRE = regexp.MustCompile(`\$\{?__(rate_interval|interval_ms|interval|range_ms|range_s|range)(?::[^}]*)?\}?`)
	userVarRE    = regexp.MustCompile(`\$\{([a-zA-Z0-9_]+)(?::[^}]*)?\}|\$([a-zA-Z0-9_]+)|\[\[([a-zA-Z0-9_]+)(?::[^\]]*)?\]\]`)
)

func substituteVariables(expr string) string {
	expr = builtinVarRE.ReplaceAllStringFunc(expr, func(m string) string {
		switch {
		case strings.Contains(m, "_ms"):
			return "300000"
		case strings.Contains(m, "range_s"):
			return "300"
		}
		return "5m"
	})
	return userVarRE.ReplaceAllString(expr, "placeholder")
}

// referencedVariables returns the names of dashboard variables s uses.
func referencedVariables(s string) []string {
	var out []string
	for _, m := range userVarRE.FindAllStringSubmatch(s, -1) {
		for _, g := range m[1:] {
			if g != "" && !strings.HasPrefix(g, "__") {
				out = append(out, g)
			}
		}
	}
	return out
}

func TestDashboardsAreConsistent(t *testing.T) {
	dashboards := loadDashboards(t)
	uids := map[string]string{}
	titles := map[string]string{}
	for _, d := range dashboards {
		t.Run(d.file, func(t *testing.T) {
			uid := d.str("uid")
			switch {
			case uid == "":
				t.Error("no uid")
			case len(uid) > 40:
				t.Errorf("uid %q is longer than Grafana's 40 characters", uid)
			case uids[uid] != "":
				t.Errorf("uid %q is also used by %s", uid, uids[uid])
			}
			uids[uid] = d.file
			title := d.str("title")
			if title == "" || titles[title] != "" {
				t.Errorf("title %q is empty or also used by %s", title, titles[title])
			}
			titles[title] = d.file
			if v, _ := d.raw["schemaVersion"].(float64); v < minSchemaVersion {
				t.Errorf("schemaVersion %v, want at least %d", d.raw["schemaVersion"], minSchemaVersion)
			}
			if id, ok := d.raw["id"]; ok && id != nil {
				t.Errorf("id is %v, want null so that provisioning assigns one", id)
			}

			vars := map[string]map[string]any{}
			for _, v := range d.variables() {
				name, _ := v["name"].(string)
				if name == "" || vars[name] != nil {
					t.Errorf("variable name %q is empty or repeated", name)
				}
				vars[name] = v
			}
			if ds := vars["datasource"]; ds == nil || ds["type"] != "datasource" || ds["query"] != promType {
				t.Errorf("no $datasource variable of type datasource for %s", promType)
			}

			ids := map[float64]string{}
			type rect struct{ x, y, w, h float64 }
			var rects []rect
			var rectTitles []string
			for _, p := range d.panels() {
				title, _ := p["title"].(string)
				id, ok := p["id"].(float64)
				if !ok {
					t.Errorf("panel %q has no numeric id", title)
				} else if ids[id] != "" {
					t.Errorf("panel id %v of %q is also used by %q", id, title, ids[id])
				}
				ids[id] = title
				if title == "" {
					t.Errorf("panel %v has no title", id)
				}
				gp, _ := p["gridPos"].(map[string]any)
				x, _ := gp["x"].(float64)
				y, _ := gp["y"].(float64)
				w, _ := gp["w"].(float64)
				h, _ := gp["h"].(float64)
				if w <= 0 || h <= 0 || x < 0 || y < 0 || x+w > 24 {
					t.Errorf("panel %q has gridPos %v outside the 24-column grid", title, gp)
				}
				for i, r := range rects {
					if x < r.x+r.w && r.x < x+w && y < r.y+r.h && r.y < y+h {
						t.Errorf("panel %q overlaps panel %q", title, rectTitles[i])
					}
				}
				rects = append(rects, rect{x, y, w, h})
				rectTitles = append(rectTitles, title)
				if p["type"] == "row" {
					continue
				}
				checkPanelDatasources(t, p, vars)
			}
			// Every variable a query, URL or title uses must exist.
			data, _ := json.Marshal(d.raw["panels"])
			tplData, _ := json.Marshal(d.raw["templating"])
			for _, name := range referencedVariables(string(data) + string(tplData)) {
				if vars[name] == nil {
					t.Errorf("$%s is used but not defined", name)
				}
			}
		})
	}
}

// checkPanelDatasources checks that a panel's queries go to the
// $datasource (Prometheus) or $infinity (topology) variable and that its
// refIds are unique.
func checkPanelDatasources(t *testing.T, p map[string]any, vars map[string]map[string]any) {
	t.Helper()
	title, _ := p["title"].(string)
	targets, _ := p["targets"].([]any)
	if len(targets) == 0 && p["type"] != "text" {
		t.Errorf("panel %q has no targets", title)
	}
	refs := map[string]bool{}
	for _, tg := range targets {
		tm, _ := tg.(map[string]any)
		ref, _ := tm["refId"].(string)
		if ref == "" || refs[ref] {
			t.Errorf("panel %q: refId %q is empty or repeated", title, ref)
		}
		refs[ref] = true
		for _, ds := range []any{tm["datasource"], p["datasource"]} {
			m, _ := ds.(map[string]any)
			typ, _ := m["type"].(string)
			uid, _ := m["uid"].(string)
			switch {
			case typ == promType && uid == promDSRef:
			case typ == infinityType && uid == infinityDSRef:
				if vars["infinity"] == nil || vars["infinity"]["query"] != infinityType {
					t.Errorf("panel %q uses %s but there is no $infinity datasource variable", title, infinityDSRef)
				}
			default:
				t.Errorf("panel %q: datasource %v, want {type %s, uid %s} or {type %s, uid %s}",
					title, ds, promType, promDSRef, infinityType, infinityDSRef)
			}
		}
	}
}

func TestPromQLParsesAndUsesKnownFamilies(t *testing.T) {
	fams := knownFamiliesOnce(t)
	p := parser.NewParser(parser.Options{})
	var unknown []string
	var badLabels []string
	n := 0
	for _, d := range loadDashboards(t) {
		for _, q := range d.queries(t) {
			n++
			expr, err := p.ParseExpr(substituteVariables(q.expr))
			if err != nil {
				t.Errorf("%s: %q does not parse: %v", q.where, q.expr, err)
				continue
			}
			for _, name := range metricNames(expr) {
				if fams[name] == nil {
					unknown = append(unknown, fmt.Sprintf("%s (%s)", name, q.where))
				}
			}
			badLabels = append(badLabels, unknownLabels(expr, q, fams)...)
		}
	}
	if n == 0 {
		t.Fatal("the dashboards have no PromQL expressions")
	}
	if len(unknown) > 0 {
		t.Errorf("%d uses of metric names no collector produces (families are read from collector/**/*.go and "+
			"the collectors' golden files):\n  %s", len(unknown), strings.Join(unknown, "\n  "))
	}
	if len(badLabels) > 0 {
		t.Errorf("%d uses of labels the family is not known to have:\n  %s", len(badLabels), strings.Join(badLabels, "\n  "))
	}
}

// metricNames returns the metric names expr selects.
func metricNames(expr parser.Expr) []string {
	var out []string
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			if name := selectorName(vs); name != "" {
				out = append(out, name)
			}
		}
		return nil
	})
	return out
}

func selectorName(vs *parser.VectorSelector) string {
	if vs.Name != "" {
		return vs.Name
	}
	for _, m := range vs.LabelMatchers {
		if m.Name == "__name__" && m.Type == labels.MatchEqual {
			return m.Value
		}
	}
	return ""
}

// alwaysLabels are the labels every stored series has: the Manager adds
// job and instance to every target's series.
var alwaysLabels = map[string]bool{"job": true, "instance": true, "__name__": true}

// extraLabels are labels a family has in production that the golden files
// cannot show: containers get name and image (and container_label_*) only
// when a Docker or containerd socket is present (collector/container).
var extraLabels = map[string][]string{"container_": {"name", "image"}}

// hasLabel reports whether the family may carry label l. Families nothing
// says the labels of (synthetic series, self-metrics) accept any label.
func hasLabel(fams families, name, l string) bool {
	f := fams[name]
	if f == nil || len(f.labels) == 0 || alwaysLabels[l] || f.labels[l] {
		return true
	}
	for prefix, ls := range extraLabels {
		if strings.HasPrefix(name, prefix) && (slices.Contains(ls, l) || strings.HasPrefix(l, "container_label_")) {
			return true
		}
	}
	return false
}

// unknownLabels checks the labels expr matches on and groups by against
// the labels known for the families it reads.
func unknownLabels(expr parser.Expr, q query, fams families) []string {
	var out []string
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.VectorSelector:
			name := selectorName(n)
			for _, m := range n.LabelMatchers {
				if !hasLabel(fams, name, m.Name) {
					out = append(out, fmt.Sprintf("%s{%s} (%s)", name, m.Name, q.where))
				}
			}
		case *parser.AggregateExpr:
			if n.Without {
				return nil
			}
			names := metricNames(n.Expr)
			for _, l := range n.Grouping {
				found := len(names) == 0
				for _, name := range names {
					found = found || hasLabel(fams, name, l)
				}
				if !found {
					out = append(out, fmt.Sprintf("by (%s) over %v (%s)", l, names, q.where))
				}
			}
		}
		return nil
	})
	if q.label != "" {
		for _, name := range metricNames(expr) {
			if !hasLabel(fams, name, q.label) {
				out = append(out, fmt.Sprintf("label_values(%s, %s) (%s)", name, q.label, q.where))
			}
		}
	}
	return out
}

// TestKnownFamiliesCoverTheCollectors guards the source scan itself: each
// collector kind must contribute families, and the families the dashboards
// are built around must be found, so that a change in how the collectors
// declare families shows up here rather than as a wall of unknown names.
func TestKnownFamiliesCoverTheCollectors(t *testing.T) {
	fams := knownFamiliesOnce(t)
	kinds := []string{"kafka", "elasticsearch", "flink", "spark", "storm", "logstash", "connect", "jvm", "container"}
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			prefix := filepath.Join("collector", kind) + string(filepath.Separator)
			count := 0
			for _, f := range fams {
				for src := range f.sources {
					if strings.HasPrefix(src, prefix) && strings.HasSuffix(src, ".go") {
						count++
						break
					}
				}
			}
			if count == 0 {
				t.Errorf("no family declared in %s*.go was found; has the way families are declared changed?", prefix)
			}
		})
	}
	for _, name := range []string{
		"kafka_consumergroup_lag", "kafka_consumergroup_lag_sum", "kafka_consumergroup_lag_seconds",
		"kafka_consumergroup_status", "kafka_topic_partition_current_offset", "kafka_consumergroup_members",
		"elasticsearch_cluster_health_status", "elasticsearch_thread_pool_rejected_count",
		"elasticsearch_indices_indexing_index_total", "flink_jobmanager_job_numRestarts",
		"flink_jobmanager_job_numberOfFailedCheckpoints", "flink_taskmanager_job_task_backPressuredTimeMsPerSecond",
		"container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
		"container_cpu_cfs_throttled_periods_total", "container_fs_reads_bytes_total",
		"container_network_receive_bytes_total", "jvm_memory_bytes_used", "jvm_gc_collection_seconds_sum",
		"jvm_gc_collection_seconds_count", "pipewatch_collector_errors_total", "up", "ALERTS",
	} {
		if fams[name] == nil {
			t.Errorf("family %s not found", name)
		}
	}
	if testing.Verbose() {
		t.Logf("%d families known", len(fams.names()))
	}
}

// datasourceFile and providerFile are the provisioning files.
type datasourceFile struct {
	APIVersion  int `yaml:"apiVersion"`
	Datasources []struct {
		Name     string         `yaml:"name"`
		UID      string         `yaml:"uid"`
		Type     string         `yaml:"type"`
		Access   string         `yaml:"access"`
		URL      string         `yaml:"url"`
		JSONData map[string]any `yaml:"jsonData"`
	} `yaml:"datasources"`
}

type providerFile struct {
	APIVersion int `yaml:"apiVersion"`
	Providers  []struct {
		Name    string `yaml:"name"`
		Type    string `yaml:"type"`
		Folder  string `yaml:"folder"`
		Options struct {
			Path string `yaml:"path"`
		} `yaml:"options"`
	} `yaml:"providers"`
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestProvisioning(t *testing.T) {
	var ds datasourceFile
	readYAML(t, "provisioning/datasources/pipewatch.yml", &ds)
	if ds.APIVersion != 1 {
		t.Errorf("datasources apiVersion %d, want 1", ds.APIVersion)
	}
	byType := map[string]string{} // type -> name
	for _, d := range ds.Datasources {
		if d.Name == "" || d.UID == "" || d.UID != d.Name {
			t.Errorf("datasource %q/%q: name and uid must be set and equal, so dashboards find it by either", d.Name, d.UID)
		}
		if d.Access != "proxy" {
			t.Errorf("datasource %q: access %q, want proxy", d.Name, d.Access)
		}
		u, err := url.Parse(d.URL)
		if err != nil || u.Scheme == "" || u.Host == "" {
			t.Errorf("datasource %q: url %q is not absolute", d.Name, d.URL)
		}
		byType[d.Type] = d.Name
	}
	if byType[promType] == "" {
		t.Fatalf("no %s datasource", promType)
	}
	if byType[infinityType] == "" {
		t.Fatalf("no %s datasource", infinityType)
	}
	for _, d := range ds.Datasources {
		if d.URL != "http://localhost:9470" {
			t.Errorf("datasource %q: url %q, want pipewatch's default http://localhost:9470", d.Name, d.URL)
		}
	}
	// The dashboards' datasource variables default to the provisioned ones.
	for _, d := range loadDashboards(t) {
		for _, v := range d.variables() {
			if v["type"] != "datasource" {
				continue
			}
			cur, _ := v["current"].(map[string]any)
			want := byType[fmt.Sprint(v["query"])]
			if want == "" || cur["value"] != want {
				t.Errorf("%s: variable %v defaults to %v, want the provisioned %s datasource %q",
					d.file, v["name"], cur["value"], v["query"], want)
			}
		}
	}

	var pf providerFile
	readYAML(t, "provisioning/dashboards/pipewatch.yml", &pf)
	if pf.APIVersion != 1 || len(pf.Providers) != 1 {
		t.Fatalf("dashboard provider file: apiVersion %d with %d providers, want 1 and 1", pf.APIVersion, len(pf.Providers))
	}
	if p := pf.Providers[0]; p.Type != "file" || !filepath.IsAbs(p.Options.Path) || p.Folder == "" {
		t.Errorf("provider %+v: want type file, a folder and an absolute options.path", p)
	}
}

// TestNodeGraphQueries checks the overview's Infinity queries against the
// topology API: the URL, the root selectors of the response envelope
// ({"status":"success","data":{"nodes":[...],"edges":[...]}}), the Node
// Graph formats, and the columns against topology.NodeGraph's JSON fields.
func TestNodeGraphQueries(t *testing.T) {
	nodeFields := jsonFields(reflect.TypeFor[topology.NodeGraphNode]())
	edgeFields := jsonFields(reflect.TypeFor[topology.NodeGraphEdge]())
	graphFields := jsonFields(reflect.TypeFor[topology.NodeGraph]())
	moduleFields := jsonFields(reflect.TypeFor[topology.ModuleSummary]())
	rawNodeFields := jsonFields(reflect.TypeFor[topology.Node]())
	for _, f := range []string{"nodes", "edges"} {
		if !graphFields[f] {
			t.Fatalf("topology.NodeGraph has no %q field; update the root selectors", f)
		}
	}
	want := map[string]struct {
		format string
		fields map[string]bool
	}{
		"data.nodes": {"node-graph-nodes", nodeFields},
		"data.edges": {"node-graph-edges", edgeFields},
	}
	found := map[string]bool{}
	for _, d := range loadDashboards(t) {
		for _, p := range d.panels() {
			title, _ := p["title"].(string)
			targets, _ := p["targets"].([]any)
			for _, tg := range targets {
				tm, _ := tg.(map[string]any)
				if dsType(tm["datasource"], p["datasource"]) != infinityType {
					continue
				}
				where := fmt.Sprintf("%s: panel %q (%v)", d.file, title, tm["refId"])
				raw, _ := tm["url"].(string)
				u, err := url.Parse(raw)
				if err != nil || u.Path != "/api/v1/topology" || u.Host != "" {
					t.Errorf("%s: url %q, want a path /api/v1/topology relative to the datasource URL", where, raw)
					continue
				}
				if tm["type"] != "json" || tm["source"] != "url" {
					t.Errorf("%s: want type json from source url", where)
				}
				root, _ := tm["root_selector"].(string)
				format, _ := tm["format"].(string)
				var fields map[string]bool
				if p["type"] != "nodeGraph" && u.Query().Get("format") != "" {
					t.Errorf("%s: url %q asks for format %q; root %q is in the plain topology JSON",
						where, raw, u.Query().Get("format"), root)
				}
				switch {
				case p["type"] == "nodeGraph":
					w, ok := want[root]
					if !ok || format != w.format || u.Query().Get("format") != "nodegraph" {
						t.Errorf("%s: root %q format %q url %q; want data.nodes/node-graph-nodes or "+
							"data.edges/node-graph-edges with format=nodegraph", where, root, format, raw)
						continue
					}
					found[root] = true
					fields = w.fields
				case root == "data.modules":
					fields = moduleFields
				case root == "data.nodes":
					fields = rawNodeFields
				default:
					t.Errorf("%s: unexpected root selector %q", where, root)
					continue
				}
				cols, _ := tm["columns"].([]any)
				for _, c := range cols {
					cm, _ := c.(map[string]any)
					sel, _ := cm["selector"].(string)
					if !fields[strings.SplitN(sel, ".", 2)[0]] {
						t.Errorf("%s: column %q is not a field of the topology API's JSON", where, sel)
					}
				}
			}
		}
	}
	for root := range want {
		if !found[root] {
			t.Errorf("no Node Graph query with root selector %s", root)
		}
	}
	for _, f := range []string{"id", "title"} {
		if !nodeFields[f] {
			t.Errorf("topology.NodeGraphNode lacks %q, which Grafana's Node Graph requires", f)
		}
	}
	for _, f := range []string{"id", "source", "target"} {
		if !edgeFields[f] {
			t.Errorf("topology.NodeGraphEdge lacks %q, which Grafana's Node Graph requires", f)
		}
	}
}

// jsonFields returns the JSON field names of a struct type.
func jsonFields(typ reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		if name != "-" {
			out[name] = true
		}
	}
	return out
}

func TestSubstituteVariables(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`rate(x{a=~"$cluster"}[$__rate_interval])`, `rate(x{a=~"placeholder"}[5m])`},
		{`increase(x{a="${module:regex}"}[${__range}])`, `increase(x{a="placeholder"}[5m])`},
		{`x{a="[[old]]"} > $__range_s`, `x{a="placeholder"} > 300`},
		{`x[$__interval] * $__interval_ms`, `x[5m] * 300000`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := substituteVariables(tc.in); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseSeries(t *testing.T) {
	for _, tc := range []struct {
		line   string
		name   string
		labels []string
	}{
		{`up 1`, "up", nil},
		{`kafka_x{cluster="a", topic="b,}c"} 2`, "kafka_x", []string{"cluster", "topic"}},
		{`{__name__="container_cpu", cpu="total", id="/"} 2 @946684800000`, "container_cpu", []string{"cpu", "id"}},
		{`x{trace="a \"quoted\" b"} 1`, "x", []string{"trace"}},
	} {
		t.Run(tc.line, func(t *testing.T) {
			name, labels, ok := parseSeries(tc.line)
			if !ok || name != tc.name || !slices.Equal(labels, tc.labels) {
				t.Errorf("got %q %v %v, want %q %v", name, labels, ok, tc.name, tc.labels)
			}
		})
	}
}
