package grafana

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// upstreamListFile holds the metric names that widely used upstream
// dashboards select (elasticsearch_exporter's own dashboard, cAdvisor
// dashboards), one list per dashboard with the collector expected to
// produce them and where the list was read; see the file's header.
const upstreamListFile = "testdata/upstream_dashboards.txt"

// upstreamAttribution are the "# key: value" comments every list must
// have, so that a list can be read again from its source.
var upstreamAttribution = []string{"source", "path", "commit", "licence"}

var commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// upstreamList is one dashboard's list in upstreamListFile.
type upstreamList struct {
	name string
	// collector is the collector, "collector/<kind>", expected to produce
	// the names.
	collector   string
	attribution map[string]string
	names       []string
}

const nodeExporterReason = "node_exporter's host metric, which the dashboard reads beside the exporter's: " +
	"pipewatch has no host collector (a node_exporter added as a scrape target, collector/scrape, fills these panels)"

// upstreamNotProduced are names the upstream lists hold that pipewatch
// deliberately does not produce, with the reason.
var upstreamNotProduced = map[string]string{
	"node_memory_MemTotal_bytes":     nodeExporterReason,
	"node_memory_MemFree_bytes":      nodeExporterReason,
	"node_memory_MemAvailable_bytes": nodeExporterReason,
	"node_cpu_seconds_total":         nodeExporterReason,
}

// upstreamOmissions are names the upstream lists hold that pipewatch's
// collectors do not produce although nothing says they should not: gaps
// reported for a collector change, listed so that this test fails only for
// a new gap. Remove an entry once its collector produces the name (the
// test says so).
var upstreamOmissions = map[string]string{}

// TestUpstreamDashboardNames checks that the metric names of widely used
// upstream dashboards (testdata/upstream_dashboards.txt) are families the
// expected collector produces, found as for pipewatch's own dashboards
// (knownFamilies), so that those dashboards render from pipewatch
// unchanged. A name not produced must be listed in upstreamNotProduced or
// upstreamOmissions with the reason.
func TestUpstreamDashboardNames(t *testing.T) {
	lists := readUpstreamLists(t, upstreamListFile)
	fams := knownFamiliesOnce(t)
	listed := map[string]bool{}
	for _, l := range lists {
		t.Run(l.name, func(t *testing.T) {
			produced, notProduced := 0, 0
			for _, name := range l.names {
				listed[name] = true
				reason, excepted := upstreamNotProduced[name]
				if !excepted {
					reason, excepted = upstreamOmissions[name]
				}
				kinds := producers(fams, name)
				switch {
				case kinds[l.collector] && excepted:
					t.Errorf("%s is produced by %s now; remove it from the names not produced (%q)", name, l.collector, reason)
				case kinds[l.collector]:
					produced++
				case excepted:
					notProduced++
					t.Logf("not produced: %s: %s", name, reason)
				case len(kinds) > 0:
					t.Errorf("%s is produced by %s, not by %s", name, strings.Join(sortedKeys(kinds), ", "), l.collector)
				default:
					t.Errorf("%s: no collector produces it (families are read from collector/**/*.go and the collectors' "+
						"golden files); produce it in %s, or list it in upstreamNotProduced or upstreamOmissions with the reason",
						name, l.collector)
				}
			}
			t.Logf("%s %s at %s: %d names, %d produced by %s, %d listed as not produced",
				l.attribution["source"], l.attribution["path"], l.attribution["commit"],
				len(l.names), produced, l.collector, notProduced)
		})
	}
	for _, m := range []map[string]string{upstreamNotProduced, upstreamOmissions} {
		for _, name := range sortedKeys(m) {
			if !listed[name] {
				t.Errorf("%s is listed as not produced, but no list in %s holds it; remove it", name, upstreamListFile)
			}
		}
	}
	for name := range upstreamOmissions {
		if _, ok := upstreamNotProduced[name]; ok {
			t.Errorf("%s is both in upstreamNotProduced and upstreamOmissions", name)
		}
	}
}

// producers returns the collectors ("collector/<kind>") whose source or
// golden files declare the family name.
func producers(fams families, name string) map[string]bool {
	out := map[string]bool{}
	if f := fams[name]; f != nil {
		for src := range f.sources {
			if kind := collectorKind(src); kind != "" {
				out[kind] = true
			}
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// readUpstreamLists parses upstreamListFile: "[name] collector/<kind>"
// starts a list, "# key: value" comments give its attribution, other "#"
// lines are comments, and every other line is one metric name.
func readUpstreamLists(t *testing.T, path string) []*upstreamList {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lists []*upstreamList
	var cur *upstreamList
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case strings.HasPrefix(line, "["):
			name, collector, ok := strings.Cut(line[1:], "]")
			collector = strings.TrimSpace(collector)
			if !ok || name == "" || collectorKind(collector+"/x") != collector {
				t.Fatalf("%s:%d: %q: want \"[name] collector/<kind>\"", path, n, line)
			}
			if fi, err := os.Stat(filepath.Join(repoRoot, collector)); err != nil || !fi.IsDir() {
				t.Fatalf("%s:%d: %s is not a collector directory", path, n, collector)
			}
			cur = &upstreamList{name: name, collector: collector, attribution: map[string]string{}}
			lists = append(lists, cur)
			seen = map[string]bool{}
		case strings.HasPrefix(line, "#"):
			key, value, ok := strings.Cut(strings.TrimSpace(line[1:]), ":")
			if ok && cur != nil && slices.Contains(upstreamAttribution, key) {
				cur.attribution[key] = strings.TrimSpace(value)
			}
		case cur == nil:
			t.Fatalf("%s:%d: name %q before the first [list] line", path, n, line)
		case !metricNameRE.MatchString(line):
			t.Fatalf("%s:%d: %q is not a metric name", path, n, line)
		case seen[line]:
			t.Errorf("%s:%d: %s is listed twice in [%s]", path, n, line, cur.name)
		default:
			seen[line] = true
			cur.names = append(cur.names, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if len(lists) == 0 {
		t.Fatalf("%s has no lists", path)
	}
	for _, l := range lists {
		for _, key := range upstreamAttribution {
			if l.attribution[key] == "" {
				t.Errorf("[%s] has no \"# %s:\" line", l.name, key)
			}
		}
		if c := l.attribution["commit"]; c != "" && !commitRE.MatchString(c) {
			t.Errorf("[%s]: commit %q is not a full 40-digit commit id", l.name, c)
		}
		if len(l.names) == 0 {
			t.Errorf("[%s] lists no names", l.name)
		}
	}
	return lists
}
