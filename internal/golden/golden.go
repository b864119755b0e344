// Package golden holds the golden-file helpers that collector tests share:
// Render formats a collected batch as stable, reviewable text, Check
// compares such text with a file under testdata/ (or rewrites the file when
// the tests run with -update), and Diff shows how two such texts differ:
//
//	golden.Check(t, "testdata/flink.golden", golden.Render(b))
//
//	go test ./collector/flink/ -update   # then review the diff of testdata/
//
// The package is for tests only: import it from _test.go files, never from
// a package that a binary links. Importing it registers the -update flag
// on the command line's flag set (flag.CommandLine), which is where `go
// test` passes it; that flag is the package's only state, and it is why a
// test package that imports golden must not define its own -update flag.
package golden

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

// update is set by the -update flag of the test binary.
var update = flag.Bool("update", false, "rewrite the golden files under testdata instead of comparing with them")

// maxDiffLines bounds the lines of a failure's diff.
const maxDiffLines = 40

// Check compares got with the golden file at path, relative to the test's
// package directory (such as "testdata/flink.golden"), and fails t with the
// lines that differ. With -update it instead writes got to path, creating
// its directory, and the test passes.
func Check(t testing.TB, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
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
		t.Errorf("output differs from %s (run with -update and review the diff):\n%s", path, Diff(string(want), got))
	}
}

// Diff lists the lines only in want (prefixed "- ") and then those only in
// got ("+ "), each in its order, at most 40 of them. Lines are compared as
// a set, which suits the sorted output of Render.
func Diff(want, got string) string {
	wantLines, gotLines := strings.Split(want, "\n"), strings.Split(got, "\n")
	inWant, inGot := map[string]bool{}, map[string]bool{}
	for _, l := range wantLines {
		inWant[l] = true
	}
	for _, l := range gotLines {
		inGot[l] = true
	}
	var out []string
	for _, l := range wantLines {
		if !inGot[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range gotLines {
		if !inWant[l] {
			out = append(out, "+ "+l)
		}
	}
	if len(out) > maxDiffLines {
		out = append(out[:maxDiffLines], fmt.Sprintf("... and %d more", len(out)-maxDiffLines))
	}
	return strings.Join(out, "\n")
}

// Render formats a batch as exposition-like text, sorted so that it does
// not depend on the order of collection: for each metric family in name
// order, its HELP and TYPE lines, then its samples as
// name{label="value", ...} value, sorted. With prefixes, only the families
// whose names start with one of them are rendered.
func Render(b *collector.Batch, prefixes ...string) string {
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
