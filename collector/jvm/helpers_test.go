package jvm

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/collector"
)

// render returns the batch as sorted "# TYPE" lines and samples.
func render(t *testing.T, b *collector.Batch) string {
	t.Helper()
	types := map[string]string{}
	var lines []string
	seen := map[string]bool{}
	b.Each(func(l labels.Labels, _ int64, v float64) {
		key := l.String()
		if seen[key] {
			t.Errorf("duplicate series %s", key)
		}
		seen[key] = true
		lines = append(lines, key+" "+strconv.FormatFloat(v, 'g', -1, 64))
		name := l.Get(model.MetricNameLabel)
		md, ok := b.Metadata(name)
		if !ok {
			t.Errorf("no metadata for %s", name)
		}
		types[name] = string(md.Type)
	})
	slices.Sort(lines)
	var head []string
	for _, name := range slices.Sorted(maps.Keys(types)) {
		head = append(head, fmt.Sprintf("# TYPE %s %s", name, types[name]))
	}
	return strings.Join(append(head, lines...), "\n") + "\n"
}

// samples returns the values of the batch's series named name whose
// labels include match (name=value pairs), keyed by the label set.
func samples(b *collector.Batch, name string, match ...string) map[string]float64 {
	out := map[string]float64{}
	b.Each(func(l labels.Labels, _ int64, v float64) {
		if l.Get(model.MetricNameLabel) != name {
			return
		}
		for i := 0; i+1 < len(match); i += 2 {
			if l.Get(match[i]) != match[i+1] {
				return
			}
		}
		out[l.String()] = v
	})
	return out
}

func sum(m map[string]float64) float64 {
	var s float64
	for _, v := range m {
		s += v
	}
	return s
}
