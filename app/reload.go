package app

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pipewatch/pipewatch/alert"
	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/config"
	"github.com/pipewatch/pipewatch/rules"
	"github.com/pipewatch/pipewatch/topology"
)

type reloaderOptions struct {
	file    string
	manager *collector.Manager
	alerts  *alert.Manager
	rules   *rules.Evaluator
	env     buildEnv
	logger  *slog.Logger
	reg     prometheus.Registerer
}

// reloader re-reads the configuration file and applies it. An invalid file
// is reported (log, metric, error) and the running configuration is kept.
type reloader struct {
	opts reloaderOptions
	mu   sync.Mutex

	// modules are the declared modules of the running configuration.
	modules atomic.Pointer[[]topology.Module]
	// lastOK and loaded are the outcome of the last reload and when the
	// running configuration was loaded (unix nanoseconds).
	lastOK atomic.Bool
	loaded atomic.Int64

	lastSuccess     prometheus.Gauge
	lastSuccessTime prometheus.Gauge
	reloads         *prometheus.CounterVec
}

func newReloader(opts reloaderOptions) *reloader {
	r := &reloader{
		opts: opts,
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pipewatch_config_last_reload_successful",
			Help: "Whether the last configuration reload attempt was successful.",
		}),
		lastSuccessTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pipewatch_config_last_reload_success_timestamp_seconds",
			Help: "Timestamp of the last successful configuration reload.",
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pipewatch_config_reloads_total",
			Help: "Configuration reload attempts by result (success, failure).",
		}, []string{"result"}),
	}
	r.reloads.WithLabelValues("success")
	r.reloads.WithLabelValues("failure")
	opts.reg.MustRegister(r.lastSuccess, r.lastSuccessTime, r.reloads)
	r.lastOK.Store(true)
	r.loaded.Store(time.Now().UnixNano())
	return r
}

// lastReload reports whether the last reload succeeded and when the
// running configuration was loaded.
func (r *reloader) lastReload() (ok bool, loaded time.Time) {
	return r.lastOK.Load(), time.Unix(0, r.loaded.Load())
}

// reload loads the configuration file again and applies it.
func (r *reloader) reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	cfg, err := loadConfig(r.opts.file)
	if err == nil {
		err = r.applyLocked(cfg)
	}
	if err != nil {
		r.lastOK.Store(false)
		r.lastSuccess.Set(0)
		r.reloads.WithLabelValues("failure").Inc()
		r.opts.logger.Error("reload configuration; keeping the running one", "file", r.opts.file, "err", err)
		return err
	}
	r.lastOK.Store(true)
	r.loaded.Store(time.Now().UnixNano())
	r.reloads.WithLabelValues("success").Inc()
	r.opts.logger.Info("configuration reloaded", "file", r.opts.file)
	return nil
}

// applyTargets applies the targets and modules of the configuration that
// Run started with; rules and alerting were built from it already.
func (r *reloader) applyTargets(cfg *config.Config) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	targets, err := buildTargets(cfg, r.opts.env)
	if err != nil {
		return err
	}
	r.commitTargets(cfg, targets)
	return nil
}

// applyLocked applies a reloaded configuration: everything is built and
// checked before anything running changes.
func (r *reloader) applyLocked(cfg *config.Config) error {
	targets, err := buildTargets(cfg, r.opts.env)
	if err != nil {
		return err
	}
	alerting, err := r.opts.env.alerting(cfg)
	if err != nil {
		return err
	}
	if err := r.opts.rules.ApplyConfig(r.opts.env.rules(cfg)); err != nil {
		return fmt.Errorf("apply rules: %w", err)
	}
	if err := r.opts.alerts.ApplyConfig(alerting); err != nil {
		return fmt.Errorf("apply alerting configuration: %w", err)
	}
	r.commitTargets(cfg, targets)
	return nil
}

func (r *reloader) commitTargets(cfg *config.Config, targets []collector.Target) {
	r.opts.manager.ApplyTargets(targets)
	mods := declaredModules(cfg, r.opts.env.platform)
	r.modules.Store(&mods)
	r.lastSuccess.Set(1)
	r.lastSuccessTime.SetToCurrentTime()
}

// declaredModules returns the modules of the running configuration.
func (r *reloader) declaredModules() []topology.Module {
	if m := r.modules.Load(); m != nil {
		return *m
	}
	return nil
}

// revision fingerprints a component configuration so that a target restarts
// only when its own configuration changed. The hash never leaves the
// process and hides any secret in the input.
func revision(v any) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%#v", v))
	return hex.EncodeToString(sum[:8])
}
