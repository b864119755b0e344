package promref

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

const (
	// RelativeTolerance is how far apart, relative to the larger magnitude,
	// two sample values may be and still count as equal in Compare. It
	// absorbs the summation-order differences (e.g. Kahan summation in
	// Prometheus 3.x) between PromQL engines.
	RelativeTolerance = 1e-9
	// maxReported is how many differences a Compare error lists.
	maxReported = 5
)

// Compare compares two Prometheus HTTP API v1 query responses, want from
// the reference and got from the server under test, and returns an error
// listing the first differences, or nil when they agree. The order of
// series does not matter; use CompareOrdered for sort, sort_desc, topk and
// bottomk.
//
// The responses agree when they have the same status; for errors, the same
// errorType (messages are free to differ); for successes, the same
// resultType and:
//
//   - vector and matrix: the same set of series (label sets), each with the
//     same timestamps, and values equal within RelativeTolerance; "NaN",
//     "+Inf" and "-Inf" must match exactly. An empty result must be [] on
//     both sides: null is always a difference.
//   - scalar: the same timestamp and a value equal as above.
//   - string: the same timestamp and string.
//
// Native histogram values are compared as decoded JSON. Warnings and infos
// are ignored: the two engines annotate differently.
func Compare(want, got []byte) error { return compare(want, got, false) }

// CompareOrdered is Compare that also requires the series of a vector
// result to come in the same order. Matrix results are always compared
// without regard to order: Prometheus sorts them by labels anyway.
func CompareOrdered(want, got []byte) error { return compare(want, got, true) }

// apiResponse is the envelope of a query response.
type apiResponse struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      *struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

// apiSeries is one element of a vector or matrix result.
type apiSeries struct {
	Metric     map[string]string `json:"metric"`
	Value      json.RawMessage   `json:"value"`
	Values     []json.RawMessage `json:"values"`
	Histogram  json.RawMessage   `json:"histogram"`
	Histograms []json.RawMessage `json:"histograms"`
}

// point is a decoded [timestamp, "value"] pair; T is in milliseconds.
type point struct {
	T int64
	V string
}

// diffs collects the differences found by a comparison.
type diffs struct {
	list  []string
	total int
}

func (d *diffs) addf(format string, args ...any) {
	d.total++
	if len(d.list) < maxReported {
		d.list = append(d.list, fmt.Sprintf(format, args...))
	}
}

func (d *diffs) err() error {
	if d.total == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d difference(s) between want (reference) and got", d.total)
	if d.total > len(d.list) {
		fmt.Fprintf(&b, ", first %d", len(d.list))
	}
	b.WriteString(":")
	for _, s := range d.list {
		b.WriteString("\n  ")
		b.WriteString(s)
	}
	return fmt.Errorf("%s", b.String())
}

func compare(wantBody, gotBody []byte, ordered bool) error {
	var want, got apiResponse
	if err := json.Unmarshal(wantBody, &want); err != nil {
		return fmt.Errorf("decode want: %w: %s", err, abbreviate(wantBody, 200))
	}
	if err := json.Unmarshal(gotBody, &got); err != nil {
		return fmt.Errorf("decode got: %w: %s", err, abbreviate(gotBody, 200))
	}
	var d diffs
	switch {
	case want.Status != got.Status:
		d.addf("status: want %q, got %q (want error %q, got error %q)", want.Status, got.Status, want.Error, got.Error)
	case want.Status != "success":
		if want.ErrorType != got.ErrorType {
			d.addf("errorType: want %q (%s), got %q (%s)", want.ErrorType, want.Error, got.ErrorType, got.Error)
		}
	case want.Data == nil || got.Data == nil:
		d.addf("data: want present %t, got present %t", want.Data != nil, got.Data != nil)
	case want.Data.ResultType != got.Data.ResultType:
		d.addf("resultType: want %q, got %q", want.Data.ResultType, got.Data.ResultType)
	default:
		if err := compareResult(&d, want.Data.ResultType, want.Data.Result, got.Data.Result, ordered); err != nil {
			return err
		}
	}
	return d.err()
}

// compareResult compares two results of type resultType. It returns an
// error only when a result cannot be decoded.
func compareResult(d *diffs, resultType string, want, got json.RawMessage, ordered bool) error {
	switch resultType {
	case "scalar", "string":
		wp, err := decodePoint(want)
		if err != nil {
			return fmt.Errorf("decode want %s: %w", resultType, err)
		}
		gp, err := decodePoint(got)
		if err != nil {
			return fmt.Errorf("decode got %s: %w", resultType, err)
		}
		switch {
		case wp.T != gp.T:
			d.addf("%s: want timestamp %s, got %s", resultType, formatMillis(wp.T), formatMillis(gp.T))
		case resultType == "string" && wp.V != gp.V:
			d.addf("string: want %q, got %q", wp.V, gp.V)
		case resultType == "scalar" && !valuesEqual(wp.V, gp.V):
			d.addf("scalar at %s: want %s, got %s", formatMillis(wp.T), wp.V, gp.V)
		}
		return nil
	case "vector", "matrix":
	default:
		if !jsonEqual(want, got) {
			d.addf("%s result: want %s, got %s", resultType, abbreviate(want, 200), abbreviate(got, 200))
		}
		return nil
	}

	wantNull, gotNull := isNull(want), isNull(got)
	if wantNull {
		d.addf("want: %s result is null, not []", resultType)
	}
	if gotNull {
		d.addf("got: %s result is null, not []", resultType)
	}
	if wantNull || gotNull {
		return nil
	}
	var ws, gs []apiSeries
	if err := json.Unmarshal(want, &ws); err != nil {
		return fmt.Errorf("decode want %s: %w", resultType, err)
	}
	if err := json.Unmarshal(got, &gs); err != nil {
		return fmt.Errorf("decode got %s: %w", resultType, err)
	}
	wantKeys, wantByKey := indexSeries(d, "want", ws)
	gotKeys, gotByKey := indexSeries(d, "got", gs)

	for _, k := range sortedKeys(wantByKey) {
		w := wantByKey[k]
		g, ok := gotByKey[k]
		if !ok {
			d.addf("series %s: missing from got (want %s)", k, summarize(w))
			continue
		}
		if err := compareSeries(d, k, w, g); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(gotByKey) {
		if _, ok := wantByKey[k]; !ok {
			d.addf("series %s: unexpected in got (got %s)", k, summarize(gotByKey[k]))
		}
	}
	if ordered && resultType == "vector" && d.total == 0 {
		for i := range wantKeys {
			if wantKeys[i] != gotKeys[i] {
				d.addf("order: position %d: want %s, got %s", i, wantKeys[i], gotKeys[i])
				break
			}
		}
	}
	return nil
}

// indexSeries returns the label-set keys of series in order and the series
// by key, noting duplicates as differences.
func indexSeries(d *diffs, side string, series []apiSeries) ([]string, map[string]*apiSeries) {
	keys := make([]string, len(series))
	byKey := make(map[string]*apiSeries, len(series))
	for i := range series {
		k := labels.FromMap(series[i].Metric).String()
		keys[i] = k
		if _, dup := byKey[k]; dup {
			d.addf("%s: series %s appears twice", side, k)
		}
		byKey[k] = &series[i]
	}
	return keys, byKey
}

// compareSeries compares the samples of one series present on both sides.
func compareSeries(d *diffs, key string, w, g *apiSeries) error {
	if w.Histogram != nil || g.Histogram != nil || len(w.Histograms) > 0 || len(g.Histograms) > 0 {
		if !jsonEqual(w.Histogram, g.Histogram) || !slices.EqualFunc(w.Histograms, g.Histograms, jsonEqual) {
			d.addf("series %s: histogram samples differ: want %s, got %s", key, summarize(w), summarize(g))
		}
	}
	wp, err := seriesPoints(w)
	if err != nil {
		return fmt.Errorf("decode want series %s: %w", key, err)
	}
	gp, err := seriesPoints(g)
	if err != nil {
		return fmt.Errorf("decode got series %s: %w", key, err)
	}
	i, j := 0, 0
	for i < len(wp) || j < len(gp) {
		switch {
		case j == len(gp) || (i < len(wp) && wp[i].T < gp[j].T):
			d.addf("series %s at %s: missing from got (want %s)", key, formatMillis(wp[i].T), wp[i].V)
			i++
		case i == len(wp) || gp[j].T < wp[i].T:
			d.addf("series %s at %s: unexpected in got (got %s)", key, formatMillis(gp[j].T), gp[j].V)
			j++
		default:
			if !valuesEqual(wp[i].V, gp[j].V) {
				d.addf("series %s at %s: want %s, got %s", key, formatMillis(wp[i].T), wp[i].V, gp[j].V)
			}
			i++
			j++
		}
	}
	return nil
}

// seriesPoints decodes the float samples of a vector or matrix element.
func seriesPoints(s *apiSeries) ([]point, error) {
	raw := s.Values
	if s.Value != nil {
		raw = append([]json.RawMessage{s.Value}, raw...)
	}
	out := make([]point, len(raw))
	for i, r := range raw {
		p, err := decodePoint(r)
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// decodePoint decodes a [timestamp, "value"] pair.
func decodePoint(raw json.RawMessage) (point, error) {
	var pair []json.RawMessage
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return point{}, fmt.Errorf("decode sample %s: want [timestamp, \"value\"]", abbreviate(raw, 80))
	}
	var ts json.Number
	if err := json.Unmarshal(pair[0], &ts); err != nil {
		return point{}, fmt.Errorf("decode timestamp of sample %s: %w", abbreviate(raw, 80), err)
	}
	t, err := parseMillis(ts.String())
	if err != nil {
		return point{}, fmt.Errorf("decode timestamp of sample %s: %w", abbreviate(raw, 80), err)
	}
	var v string
	if err := json.Unmarshal(pair[1], &v); err != nil {
		return point{}, fmt.Errorf("decode value of sample %s: %w", abbreviate(raw, 80), err)
	}
	return point{T: t, V: v}, nil
}

// parseMillis converts a JSON number of Unix seconds to milliseconds,
// exactly for the plain decimals Prometheus writes.
func parseMillis(s string) (int64, error) {
	intPart, frac, hasFrac := strings.Cut(s, ".")
	if !strings.ContainsAny(s, "eE") && len(frac) <= 3 {
		sec, err := strconv.ParseInt(intPart, 10, 64)
		if err == nil {
			ms := int64(0)
			if hasFrac {
				ms, err = strconv.ParseInt((frac + "000")[:3], 10, 64)
			}
			if err == nil {
				if strings.HasPrefix(intPart, "-") {
					return sec*1000 - ms, nil
				}
				return sec*1000 + ms, nil
			}
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, err
	}
	return int64(math.Round(f * 1000)), nil
}

// valuesEqual reports whether two sample values agree: equal strings, both
// NaN, or finite numbers within RelativeTolerance. Infinities must match
// exactly.
func valuesEqual(want, got string) bool {
	if want == got {
		return true
	}
	w, err1 := strconv.ParseFloat(want, 64)
	g, err2 := strconv.ParseFloat(got, 64)
	switch {
	case err1 != nil || err2 != nil:
		return false
	case math.IsNaN(w) || math.IsNaN(g):
		return math.IsNaN(w) && math.IsNaN(g)
	case math.IsInf(w, 0) || math.IsInf(g, 0):
		return w == g
	}
	return math.Abs(w-g) <= RelativeTolerance*math.Max(math.Abs(w), math.Abs(g))
}

// isNull reports whether raw is JSON null (or absent).
func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// jsonEqual reports whether two JSON texts decode to equal values.
func jsonEqual(a, b json.RawMessage) bool {
	if isNull(a) || isNull(b) {
		return isNull(a) == isNull(b)
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(va, vb)
}

// summarize describes a series' samples briefly for a difference message.
func summarize(s *apiSeries) string {
	switch {
	case s.Value != nil:
		return string(s.Value)
	case s.Histogram != nil:
		return abbreviate(s.Histogram, 80)
	}
	n := len(s.Values) + len(s.Histograms)
	if len(s.Values) > 0 {
		return fmt.Sprintf("%d samples from %s", n, s.Values[0])
	}
	return fmt.Sprintf("%d samples", n)
}

// formatMillis formats a millisecond timestamp as Unix seconds and UTC time.
func formatMillis(ms int64) string {
	return fmt.Sprintf("%s (%s)", strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64),
		time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z"))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
