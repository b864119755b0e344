package sim

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// flinkMetrics is the metric list of a Flink component (the JobManager, a
// TaskManager, a job or a subtask) as captured: the ids in the order Flink
// listed them and their values, which the simulation overrides where they
// move. It is immutable once built.
type flinkMetrics struct {
	ids    []string
	values map[string]string
}

// loadFlinkMetrics reads a captured metric values answer
// ([{"id":...,"value":...}]).
func loadFlinkMetrics(name string) (flinkMetrics, error) {
	b, err := fixture(name)
	if err != nil {
		return flinkMetrics{}, err
	}
	var vals []struct {
		ID    string `json:"id"`
		Value string `json:"value"`
	}
	if err := json.Unmarshal(b, &vals); err != nil {
		return flinkMetrics{}, fmt.Errorf("decode %s: %w", name, err)
	}
	m := flinkMetrics{values: make(map[string]string, len(vals))}
	for _, v := range vals {
		m.add(v.ID, v.Value)
	}
	return m, nil
}

// add adds or replaces a metric.
func (m *flinkMetrics) add(id, value string) {
	if _, ok := m.values[id]; !ok {
		m.ids = append(m.ids, id)
	}
	m.values[id] = value
}

// renamed returns a copy of m in which ids starting with from+"." start
// with to+"." instead (an operator's metrics moved to another operator).
func (m flinkMetrics) renamed(from, to string) flinkMetrics {
	out := flinkMetrics{values: make(map[string]string, len(m.ids))}
	for _, id := range m.ids {
		v := m.values[id]
		if rest, ok := strings.CutPrefix(id, from+"."); ok {
			id = to + "." + rest
		}
		out.add(id, v)
	}
	return out
}

// with returns a copy of m with the metrics of extra added.
func (m flinkMetrics) with(extra flinkMetrics) flinkMetrics {
	out := flinkMetrics{values: make(map[string]string, len(m.ids)+len(extra.ids))}
	for _, id := range m.ids {
		out.add(id, m.values[id])
	}
	for _, id := range extra.ids {
		out.add(id, extra.values[id])
	}
	return out
}

// current returns m's values at one moment: the captured ones with the
// moving ones replaced.
func (m flinkMetrics) current(moving map[string]float64) map[string]string {
	vals := make(map[string]string, len(m.values))
	for id, v := range m.values {
		vals[id] = v
	}
	for id, v := range moving {
		if _, ok := vals[id]; ok {
			vals[id] = flinkNumber(v)
		}
	}
	return vals
}

// flinkNumber formats v the way Flink's REST API sends gauge values: as a
// string, integral values without a fraction.
func flinkNumber(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// serveFlinkValues answers GET .../metrics of a component: without get
// the list of metric ids, with get the values of those of the listed ids
// the component has, as Flink's handlers do.
func serveFlinkValues(w http.ResponseWriter, r *http.Request, ids []string, vals map[string]string) {
	type idOnly struct {
		ID string `json:"id"`
	}
	type value struct {
		ID    string `json:"id"`
		Value string `json:"value"`
	}
	get := r.URL.Query().Get("get")
	if get == "" {
		out := make([]idOnly, len(ids))
		for i, id := range ids {
			out[i] = idOnly{id}
		}
		writeValue(w, out)
		return
	}
	out := []value{}
	for id := range strings.SplitSeq(get, ",") {
		if v, ok := vals[id]; ok {
			out = append(out, value{id, v})
		}
	}
	writeValue(w, out)
}

// serveFlinkAggregates answers GET /jobs/:jid/vertices/:vid/subtasks/metrics
// for a vertex whose subtasks have the given values: without get the ids
// any subtask has, with get the min, max and sum (as agg asks) over the
// subtasks that have each requested id. Values that are not numbers are
// left out, as Flink does.
func serveFlinkAggregates(w http.ResponseWriter, r *http.Request, ids []string, subtasks []map[string]string) {
	type idOnly struct {
		ID string `json:"id"`
	}
	type aggregate struct {
		ID  string   `json:"id"`
		Min *float64 `json:"min,omitempty"`
		Max *float64 `json:"max,omitempty"`
		Sum *float64 `json:"sum,omitempty"`
	}
	q := r.URL.Query()
	get := q.Get("get")
	if get == "" {
		out := make([]idOnly, len(ids))
		for i, id := range ids {
			out[i] = idOnly{id}
		}
		writeValue(w, out)
		return
	}
	aggs := q.Get("agg")
	if aggs == "" {
		aggs = "min,max,sum,avg"
	}
	out := []aggregate{}
	for id := range strings.SplitSeq(get, ",") {
		mn, mx, sum, n := math.Inf(1), math.Inf(-1), 0.0, 0
		for _, st := range subtasks {
			v, err := strconv.ParseFloat(st[id], 64)
			if err != nil || math.IsNaN(v) {
				continue
			}
			mn, mx, sum, n = min(mn, v), max(mx, v), sum+v, n+1
		}
		if n == 0 {
			continue
		}
		a := aggregate{ID: id}
		if strings.Contains(aggs, "min") {
			a.Min = &mn
		}
		if strings.Contains(aggs, "max") {
			a.Max = &mx
		}
		if strings.Contains(aggs, "sum") {
			a.Sum = &sum
		}
		out = append(out, a)
	}
	writeValue(w, out)
}

// writeValue writes v as JSON.
func writeValue(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, b)
}
