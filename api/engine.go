package api

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/promql"
)

// DefaultLookbackDelta is how far back an instant vector selector looks for
// a sample, as in Prometheus.
const DefaultLookbackDelta = 5 * time.Minute

// DefaultSubqueryStep is the step of a subquery without one, Prometheus's
// default evaluation interval.
const DefaultSubqueryStep = time.Minute

// NewEngine returns a PromQL engine configured like a Prometheus server's
// defaults, so that query results match Prometheus's: 5m lookback, 1m
// default subquery step, @ modifier and negative offsets enabled.
// reg may be nil.
func NewEngine(logger *slog.Logger, reg prometheus.Registerer) *promql.Engine {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return promql.NewEngine(promql.EngineOpts{
		Logger:                   logger,
		Reg:                      reg,
		MaxSamples:               50_000_000,
		Timeout:                  2 * time.Minute,
		LookbackDelta:            DefaultLookbackDelta,
		NoStepSubqueryIntervalFn: func(int64) int64 { return DefaultSubqueryStep.Milliseconds() },
		EnableAtModifier:         true,
		EnableNegativeOffset:     true,
	})
}
