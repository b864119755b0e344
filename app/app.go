// Package app wires pipewatch's components into one process: storage, the
// collector manager, the HTTP API and UI, the demo platform and
// configuration reloads, each an actor in a single oklog/run group.
//
// cmd/pipewatch parses flags and turns signals into a context and a reload
// channel; everything else starts here, so tests can run a whole pipewatch
// in-process with Run.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/oklog/run"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/pipewatch/pipewatch/alert"
	"github.com/pipewatch/pipewatch/api"
	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/config"
	"github.com/pipewatch/pipewatch/demo"
	"github.com/pipewatch/pipewatch/demo/sim"
	"github.com/pipewatch/pipewatch/rules"
	"github.com/pipewatch/pipewatch/storage"
	"github.com/pipewatch/pipewatch/topology"
	"github.com/pipewatch/pipewatch/ui"
)

// Options are the process-level settings, normally from command-line flags.
type Options struct {
	// ConfigFile is the YAML configuration; empty means defaults only.
	ConfigFile string
	// StoragePath is the TSDB directory.
	StoragePath string
	// Retention and RetentionSize bound the TSDB by age and bytes (0 = no
	// size limit).
	Retention     time.Duration
	RetentionSize int64
	// ListenAddress is where the HTTP server listens, e.g. ":9470".
	ListenAddress string
	// Listener, if set, is used instead of listening on ListenAddress
	// (tests pass a listener on 127.0.0.1:0).
	Listener net.Listener
	// ExternalURL is the URL pipewatch is reachable at, used in links of
	// notifications; empty means http://<hostname><ListenAddress>.
	ExternalURL string
	// WebConfigFile is an exporter-toolkit web configuration (TLS, basic
	// auth); empty means plain HTTP without authentication.
	WebConfigFile string
	// AdminUsers may call write endpoints; they must be basic-auth users of
	// WebConfigFile.
	AdminUsers []string
	// Demo starts the embedded demo platform and monitors it.
	Demo bool
	// DemoOptions tune the demo platform (tests shorten its cycles).
	DemoOptions demo.Options
	// Reload delivers reload requests (SIGHUP).
	Reload <-chan struct{}
	Logger *slog.Logger
	// Registry collects pipewatch's self-metrics; nil means a new one.
	Registry  *prometheus.Registry
	BuildInfo api.BuildInfo
}

// Run starts pipewatch and blocks until ctx is cancelled or a component
// fails. It returns nil after a clean shutdown.
func Run(ctx context.Context, opts Options) error {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	reg := opts.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	if err := checkAdminUsers(opts.WebConfigFile, opts.AdminUsers); err != nil {
		return err
	}

	cfg, err := loadConfig(opts.ConfigFile)
	if err != nil {
		return err
	}

	listener := opts.Listener
	if listener == nil {
		listener, err = net.Listen("tcp", opts.ListenAddress)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", opts.ListenAddress, err)
		}
	}
	defer listener.Close()

	st, err := storage.Open(opts.StoragePath, storage.Options{
		Logger:     logger.With("component", "storage"),
		Registerer: reg,
		Retention:  opts.Retention,
		MaxBytes:   opts.RetentionSize,
	})
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			logger.Error("close storage", "err", err)
		}
	}()

	var platform *demo.Platform
	var demoSystems *sim.Sim
	if opts.Demo {
		dopts := opts.DemoOptions
		dopts.Logger = logger.With("component", "demo")
		platform, err = demo.New(dopts)
		if err != nil {
			return fmt.Errorf("start demo platform: %w", err)
		}
		// Run owns the platform once started; Close covers an early return.
		defer platform.Close()
		demoSystems, err = sim.New(sim.Options{Platform: platform, Logger: logger.With("component", "demo-systems")})
		if err != nil {
			return fmt.Errorf("start simulated demo systems: %w", err)
		}
		defer demoSystems.Close()
	}

	env := buildEnv{
		platform:     platform,
		demoSystems:  demoSystems,
		logger:       logger,
		self:         reg,
		selfInstance: selfInstance(listener.Addr()),
	}
	engine := api.NewEngine(logger.With("component", "promql"), reg)
	// Alerts from rule evaluation go to alerting, which exists below; the
	// evaluator does not run before the run group starts.
	var alerts *alert.Manager
	var placer *placer
	// Rules, the topology and the query API read instant selectors from
	// the latest committed samples where they can (see
	// storage.LatestQueryable).
	latest := st.LatestQueryable(api.DefaultLookbackDelta)
	evaluator, err := rules.New(env.rules(cfg), rules.Options{
		Engine:    engine,
		Queryable: latest,
		Appender:  func(ctx context.Context) rules.Appender { return st.Appender(ctx) },
		Notify: func(ctx context.Context, as []rules.Alert) {
			out := make([]alert.Alert, len(as))
			for i, a := range as {
				out[i] = alert.Alert(a)
			}
			placer.place(ctx, out)
			alerts.Send(out...)
		},
		Logger:     logger.With("component", "rules"),
		Registerer: reg,
		StateFile:  filepath.Join(opts.StoragePath, "rules", "firing.json"),
	})
	if err != nil {
		return fmt.Errorf("load rules: %w", err)
	}

	manager := collector.NewManager(collector.Options{
		Appender:   func(ctx context.Context) collector.Appender { return st.Appender(ctx) },
		Logger:     logger.With("component", "collector"),
		Registerer: reg,
		OnCommit:   evaluator.OnCommit,
	})

	externalURL, err := externalURL(opts.ExternalURL, listener.Addr())
	if err != nil {
		return err
	}
	alertingCfg, err := env.alerting(cfg)
	if err != nil {
		return err
	}
	alerts, err = alert.New(alertingCfg, alert.Options{
		Logger:      logger.With("component", "alert"),
		Registerer:  reg,
		DataDir:     filepath.Join(opts.StoragePath, "alerting"),
		ExternalURL: externalURL,
		Version:     opts.BuildInfo.Version,
	})
	if err != nil {
		return fmt.Errorf("start alerting: %w", err)
	}

	reloader := newReloader(reloaderOptions{
		file:    opts.ConfigFile,
		manager: manager,
		alerts:  alerts,
		rules:   evaluator,
		env:     env,
		logger:  logger.With("component", "config"),
		reg:     reg,
	})
	if err := reloader.applyTargets(cfg); err != nil {
		_ = alerts.Close()
		return err
	}

	topo := topology.NewBuilder(topology.Options{
		Query:   api.TopologyQuery(engine, latest),
		Modules: reloader.declaredModules,
		Logger:  logger.With("component", "topology"),
	})
	placer = newPlacer(topo, externalURL)

	var ready atomic.Bool
	handler := api.New(api.Options{
		Storage:    st,
		Queryable:  latest,
		Engine:     engine,
		Metadata:   manager.Metadata,
		Ready:      ready.Load,
		Reload:     reloader.reload,
		LastReload: reloader.lastReload,
		Alerts:     alerts.Handler(),
		Rules:      func() api.RuleSource { return evaluator },
		Demo:       demoHandler(platform, logger.With("component", "demo")),
		Topology:   topo,
		AdminUsers: opts.AdminUsers,
		UI:         ui.Handler(),
		Logger:     logger.With("component", "api"),
		Gatherer:   reg,
		Registerer: reg,
		BuildInfo:  opts.BuildInfo,
		Retention:  opts.Retention.String(),
	})

	var g run.Group
	{ // Termination by the caller.
		ctx, cancel := context.WithCancel(ctx)
		g.Add(func() error { <-ctx.Done(); return nil }, func(error) { cancel() })
	}
	{ // Collection.
		ctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error { return manager.Run(ctx) }, func(error) { cancel() })
	}
	{ // Rule evaluation, driven by ingest.
		ctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error { return evaluator.Run(ctx) }, func(error) { cancel() })
	}
	{ // Alert delivery.
		ctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error { return alerts.Run(ctx) }, func(error) { cancel() })
	}
	{ // Readiness: storage is open; wait for the first round.
		ctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error {
			select {
			case <-manager.FirstRoundDone():
				ready.Store(true)
				logger.Info("pipewatch is ready")
			case <-ctx.Done():
			}
			<-ctx.Done()
			return nil
		}, func(error) { cancel() })
	}
	{ // Reloads.
		ctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error {
			for {
				select {
				case <-ctx.Done():
					return nil
				case <-opts.Reload:
					_ = reloader.reload() // logged and counted by the reloader
				}
			}
		}, func(error) { cancel() })
	}
	if platform != nil {
		ctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error { return platform.Run(ctx) }, func(error) { cancel() })
	}
	if demoSystems != nil {
		ctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error { return demoSystems.Run(ctx) }, func(error) { cancel() })
	}
	{ // HTTP server.
		server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
		webConfig := opts.WebConfigFile
		flags := &web.FlagConfig{WebConfigFile: &webConfig}
		weblog := logger.With("component", "web")
		g.Add(func() error {
			weblog.Info("listening", "address", listener.Addr().String())
			if err := web.Serve(listener, server, flags, weblog); !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("serve http: %w", err)
			}
			return nil
		}, func(error) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = server.Shutdown(ctx)
		})
	}
	logger.Info("starting pipewatch", "version", opts.BuildInfo.Version, "storage", opts.StoragePath, "demo", opts.Demo)
	err = g.Run()
	logger.Info("pipewatch stopped")
	return err
}

// loadConfig loads the configuration file, or the defaults when there is none.
func loadConfig(file string) (*config.Config, error) {
	if file == "" {
		return config.Load(nil, "")
	}
	return config.LoadFile(file)
}

// selfInstance is the instance label of pipewatch's own target: its listen
// address, with "localhost" for an unspecified (all-interfaces) host.
func selfInstance(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// externalURL parses the configured external URL, or derives one from the
// host name and the listen port.
func externalURL(configured string, addr net.Addr) (*url.URL, error) {
	if configured == "" {
		host, _ := os.Hostname()
		if host == "" {
			host = "localhost"
		}
		_, port, _ := net.SplitHostPort(addr.String())
		configured = "http://" + net.JoinHostPort(host, port)
	}
	u, err := url.Parse(configured)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid external URL %q: want http(s)://host[:port][/path]", configured)
	}
	return u, nil
}

// rules is the rule evaluator's part of cfg. Relative rule file globs are
// relative to the main configuration file. With the demo platform and no
// rule_pack section, the demo's lag forecast (demo.Platform.RuleFile)
// stands in for the pack's, which is tuned for real time.
func (env buildEnv) rules(cfg *config.Config) rules.Config {
	rc := rules.Config{Pack: rules.DefaultPackConfig}
	if cfg.RulePack != nil {
		rc.Pack = *cfg.RulePack
	} else if env.platform != nil {
		rc.Pack.Disable = []string{demoReplacedPackGroup}
		rc.Inline = []rules.InlineFile{{Name: demo.RuleFileName, Content: env.platform.RuleFile()}}
	}
	dir := ""
	if len(cfg.Files) > 0 {
		dir = filepath.Dir(cfg.Files[0])
	}
	for _, f := range cfg.RuleFiles {
		if !filepath.IsAbs(f) && dir != "" {
			f = filepath.Join(dir, f)
		}
		rc.RuleFiles = append(rc.RuleFiles, f)
	}
	return rc
}
