package promref

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
)

// validateSeries checks what promtool's backfill needs: a metric name,
// unique label sets and strictly increasing, non-negative timestamps.
func validateSeries(series []Series) error {
	seen := make(map[string]struct{}, len(series))
	for _, s := range series {
		if s.Labels.Get(model.MetricNameLabel) == "" {
			return fmt.Errorf("validate series %s: no metric name", s.Labels)
		}
		key := s.Labels.String()
		if _, dup := seen[key]; dup {
			return fmt.Errorf("validate series %s: label set given twice", key)
		}
		seen[key] = struct{}{}
		for i, p := range s.Samples {
			if p.T < 0 {
				return fmt.Errorf("validate series %s: negative timestamp %d", key, p.T)
			}
			if i > 0 && p.T <= s.Samples[i-1].T {
				return fmt.Errorf("validate series %s: timestamp %d not after %d", key, p.T, s.Samples[i-1].T)
			}
		}
	}
	return nil
}

// metricFamily is the OpenMetrics family a series belongs to.
type metricFamily struct {
	name, typ string
}

// writeOpenMetrics writes series as OpenMetrics text with explicit
// timestamps, one family after the other with its # TYPE line, ending with
// # EOF. Counters are series named *_total, histograms are the *_bucket
// series with an le label plus the matching _sum and _count; everything
// else is a gauge.
func writeOpenMetrics(w io.Writer, series []Series) error {
	histograms := map[string]bool{}
	for _, s := range series {
		name := s.Labels.Get(model.MetricNameLabel)
		if base, ok := strings.CutSuffix(name, "_bucket"); ok && s.Labels.Has("le") {
			histograms[base] = true
		}
	}
	familyOf := func(name string) metricFamily {
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(name, suffix); ok && histograms[base] {
				return metricFamily{base, "histogram"}
			}
		}
		if base, ok := strings.CutSuffix(name, "_total"); ok {
			return metricFamily{base, "counter"}
		}
		return metricFamily{name, "gauge"}
	}

	type entry struct {
		fam metricFamily
		s   *Series
	}
	entries := make([]entry, len(series))
	for i := range series {
		entries[i] = entry{familyOf(series[i].Labels.Get(model.MetricNameLabel)), &series[i]}
	}
	slices.SortStableFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.fam.name, b.fam.name), cmp.Compare(a.fam.typ, b.fam.typ),
			labels.Compare(a.s.Labels, b.s.Labels))
	})

	bw := bufio.NewWriterSize(w, 1<<16)
	var last metricFamily
	var line []byte
	for i, e := range entries {
		if i == 0 || e.fam != last {
			fmt.Fprintf(bw, "# TYPE %s %s\n", e.fam.name, e.fam.typ)
			last = e.fam
		}
		prefix := openMetricsSeries(e.s.Labels)
		for _, p := range e.s.Samples {
			line = append(line[:0], prefix...)
			line = append(line, ' ')
			line = strconv.AppendFloat(line, p.V, 'g', -1, 64)
			line = append(line, ' ')
			line = appendOpenMetricsTimestamp(line, p.T)
			line = append(line, '\n')
			bw.Write(line)
		}
	}
	bw.WriteString("# EOF\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write openmetrics: %w", err)
	}
	return nil
}

// openMetricsSeries returns `name{label="value",...}` for lset.
func openMetricsSeries(lset labels.Labels) string {
	var b strings.Builder
	b.WriteString(lset.Get(model.MetricNameLabel))
	first := true
	lset.Range(func(l labels.Label) {
		if l.Name == model.MetricNameLabel {
			return
		}
		if first {
			b.WriteByte('{')
			first = false
		} else {
			b.WriteByte(',')
		}
		b.WriteString(l.Name)
		b.WriteString(`="`)
		v := l.Value
		if strings.ContainsAny(v, "\\\"\n") {
			v = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v)
		}
		b.WriteString(v)
		b.WriteByte('"')
	})
	if !first {
		b.WriteByte('}')
	}
	return b.String()
}

// appendOpenMetricsTimestamp appends the millisecond timestamp ms as
// seconds. Prometheus's OpenMetrics parser converts with int64(seconds*1000),
// which truncates, so when the plain decimal would come out one millisecond
// short a half millisecond is added to land safely inside the right one.
func appendOpenMetricsTimestamp(dst []byte, ms int64) []byte {
	start := len(dst)
	dst = fmt.Appendf(dst, "%d.%03d", ms/1000, ms%1000)
	if f, err := strconv.ParseFloat(string(dst[start:]), 64); err == nil && int64(f*1000) == ms {
		return dst
	}
	return append(dst, '5')
}
