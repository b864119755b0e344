package container

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the package's self-metrics, about housekeeping.
type metrics struct {
	duration prometheus.Histogram
	cgroups  prometheus.Gauge
	errors   prometheus.Counter
	// openFiles is the number of cgroup files kept open between rounds,
	// summed over the collectors sharing the registry.
	openFiles prometheus.Gauge
}

// newMetrics creates the self-metrics and registers them with reg (if not
// nil). When a collector built from an earlier configuration still has
// them registered (a reload builds the new collector before closing the
// old one), the registered ones are shared.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "pipewatch_container_housekeeping_duration_seconds",
			Help:    "Duration of cgroup housekeeping rounds (reading every cgroup).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		cgroups: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pipewatch_container_cgroups",
			Help: "Number of cgroups read by housekeeping.",
		}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pipewatch_container_read_errors_total",
			Help: "Cgroups whose statistics could not be read, summed over housekeeping rounds.",
		}),
		openFiles: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pipewatch_container_open_files",
			Help: "Cgroup files kept open between housekeeping rounds, to be read again without opening them.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	var errs [4]error
	m.duration, errs[0] = register(reg, m.duration)
	m.cgroups, errs[1] = register(reg, m.cgroups)
	m.errors, errs[2] = register(reg, m.errors)
	m.openFiles, errs[3] = register(reg, m.openFiles)
	if err := errors.Join(errs[:]...); err != nil {
		return nil, fmt.Errorf("register self-metrics: %w", err)
	}
	return m, nil
}

// register registers c, or returns the collector already registered in
// its place.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}
