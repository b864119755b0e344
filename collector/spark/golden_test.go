package spark

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/collector"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// render formats a batch as sorted exposition-like text: each family's
// HELP and TYPE, then its samples. With prefixes, only the families whose
// names start with one of them are rendered.
func render(b *collector.Batch, prefixes ...string) string {
	families := map[string][]string{}
	b.Each(func(l labels.Labels, _ int64, v float64) {
		name := l.Get(model.MetricNameLabel)
		if len(prefixes) > 0 && !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(name, p) }) {
			return
		}
		families[name] = append(families[name], formatSeries(l)+" "+strconv.FormatFloat(v, 'g', -1, 64))
	})
	var sb strings.Builder
	for _, name := range slices.Sorted(maps.Keys(families)) {
		md, _ := b.Metadata(name)
		fmt.Fprintf(&sb, "# HELP %s %s\n# TYPE %s %s\n", name, md.Help, name, md.Type)
		lines := families[name]
		slices.Sort(lines)
		for _, l := range lines {
			sb.WriteString(l)
			sb.WriteByte('\n')
		}
	}
	return sb.String()
}

// formatSeries writes l as name{label="value", ...}.
func formatSeries(l labels.Labels) string {
	var sb strings.Builder
	sb.WriteString(l.Get(model.MetricNameLabel))
	sb.WriteByte('{')
	first := true
	l.Range(func(lb labels.Label) {
		if lb.Name == model.MetricNameLabel {
			return
		}
		if !first {
			sb.WriteString(", ")
		}
		first = false
		fmt.Fprintf(&sb, "%s=%q", lb.Name, lb.Value)
	})
	sb.WriteByte('}')
	return sb.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update and review the diff):\n%s", path, diffLines(string(want), got))
	}
}

// diffLines lists the lines only in want (-) and only in got (+).
func diffLines(want, got string) string {
	w, g := map[string]bool{}, map[string]bool{}
	for _, l := range strings.Split(want, "\n") {
		w[l] = true
	}
	for _, l := range strings.Split(got, "\n") {
		g[l] = true
	}
	var sb strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			sb.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !w[l] {
			sb.WriteString("+ " + l + "\n")
		}
	}
	return sb.String()
}
