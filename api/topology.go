package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/prometheus/promql"
	promstorage "github.com/prometheus/prometheus/storage"

	"github.com/pipewatch/pipewatch/topology"
)

// TopologySource builds the topology graph, e.g. *topology.Builder.
type TopologySource interface {
	Build(ctx context.Context, at time.Time, module string) (*topology.Graph, error)
}

// topology serves /api/v1/topology: ?module= limits the graph to one
// module, ?at= (RFC 3339 or Unix seconds) builds it at a past time, and
// ?format=nodegraph returns Grafana Node Graph frames instead. A graph
// built from partial observations is still returned, with the problem in
// the response's warnings.
func (a *API) topology(w http.ResponseWriter, r *http.Request) {
	if a.opts.Topology == nil {
		respondError(w, http.StatusNotFound, "not_found", errors.New("topology is not available"))
		return
	}
	at := time.Now()
	if s := r.FormValue("at"); s != "" {
		t, err := parseTime(s)
		if err != nil {
			respondError(w, http.StatusBadRequest, "bad_data", fmt.Errorf("invalid parameter \"at\": %w", err))
			return
		}
		at = t
	}
	g, err := a.opts.Topology.Build(r.Context(), at, r.FormValue("module"))
	if g == nil {
		respondError(w, http.StatusInternalServerError, "execution", err)
		return
	}
	var data any = g
	if r.FormValue("format") == "nodegraph" {
		data = topology.ToNodeGraph(g)
	}
	body := map[string]any{"status": "success", "data": data}
	if err != nil {
		body["warnings"] = []string{err.Error()}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

// parseTime accepts RFC 3339 or Unix seconds (with fractions), as the
// Prometheus API does.
func parseTime(s string) (time.Time, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("cannot parse %q to a valid timestamp", s)
	}
	return t, nil
}

// TopologyQuery adapts the PromQL engine over q to topology.QueryFunc, the
// instant queries with which a topology.Builder reads storage.
func TopologyQuery(engine *promql.Engine, q promstorage.Queryable) topology.QueryFunc {
	return func(ctx context.Context, expr string, at time.Time) ([]topology.Sample, error) {
		qry, err := engine.NewInstantQuery(ctx, q, nil, expr, at)
		if err != nil {
			return nil, err
		}
		defer qry.Close()
		res := qry.Exec(ctx)
		if res.Err != nil {
			return nil, res.Err
		}
		vec, err := res.Vector()
		if err != nil {
			return nil, err
		}
		out := make([]topology.Sample, len(vec))
		for i, s := range vec {
			out[i] = topology.Sample{Labels: s.Metric, Value: s.F}
		}
		return out, nil
	}
}
