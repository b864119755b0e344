package app

import (
	"context"
	"time"

	"github.com/prometheus/prometheus/promql"
	promstorage "github.com/prometheus/prometheus/storage"

	"github.com/pipewatch/pipewatch/config"
	"github.com/pipewatch/pipewatch/demo"
	"github.com/pipewatch/pipewatch/topology"
)

// engineQuery adapts the PromQL engine to topology's QueryFunc.
func engineQuery(engine *promql.Engine, q promstorage.Queryable) topology.QueryFunc {
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

// declaredModules lists the modules of the configuration, then those of the
// demo platform.
func declaredModules(cfg *config.Config, platform *demo.Platform) []topology.Module {
	var out []topology.Module
	for _, m := range cfg.Modules {
		out = append(out, topology.Module{
			Name: m.Name, Owner: m.Owner, Aliases: m.Aliases, Producers: m.Producers,
			Topics: m.Topics, Groups: m.Groups, Jobs: m.Jobs, Sinks: m.Sinks,
		})
	}
	if platform != nil {
		for _, m := range platform.Modules() {
			out = append(out, topology.Module{
				Name: m.Name, Owner: m.Owner, Producers: m.Producers,
				Topics: m.Topics, Groups: m.Groups, Sinks: m.Sinks,
			})
		}
	}
	return out
}
