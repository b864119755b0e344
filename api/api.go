// Package api serves pipewatch's HTTP interface: the Prometheus HTTP API v1
// (so Grafana and other Prometheus clients use pipewatch as a Prometheus
// datasource), metric metadata from the collectors, the lifecycle endpoints
// /-/healthy, /-/ready and /-/reload, pipewatch's own /metrics, and the web
// UI handler it is given.
//
// Query results come from the same PromQL engine and storage as
// Prometheus's, through Prometheus's own API handler (see promapi.go), so
// they match a Prometheus server's on the same data. /api/v1/metadata is
// answered from the collectors' HELP and TYPE instead, because
// Prometheus's handler only knows scrape targets.
package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	promstorage "github.com/prometheus/prometheus/storage"
	v1 "github.com/prometheus/prometheus/web/api/v1"

	"github.com/pipewatch/pipewatch/collector"
)

// BuildInfo describes the running binary for /api/v1/status/buildinfo.
type BuildInfo struct {
	Version   string
	Revision  string
	Branch    string
	BuildUser string
	BuildDate string
}

// Storage is what the API reads from: a queryable TSDB with status and
// administration methods.
type Storage interface {
	Queryable() promstorage.SampleAndChunkQueryable
	Dir() string
	v1.TSDBAdminStats
}

// Options are the API's dependencies.
type Options struct {
	Storage Storage
	// Queryable is what the query API reads from; nil means
	// Storage.Queryable(). pipewatch passes storage.LatestQueryable.
	Queryable promstorage.SampleAndChunkQueryable
	Engine    *promql.Engine
	// Parser parses PromQL for format_query and parse_query; nil means the
	// default parser.
	Parser parser.Parser
	// Metadata returns the collectors' metric metadata by metric name.
	Metadata func() map[string][]collector.Metadata
	// Rules returns the rule source for /api/v1/rules and /api/v1/alerts;
	// nil, or a nil result, means no rules.
	Rules func() RuleSource
	// Ready reports whether storage is open and the first collection round
	// has finished; until then /-/ready and the query API answer 503.
	Ready func() bool
	// Reload re-reads the configuration. Its error is returned to the
	// client, so it must not contain secrets.
	Reload func() error
	// LastReload reports whether the last configuration reload succeeded
	// and when the running configuration was loaded, for
	// /api/v1/status/runtimeinfo; nil means it was loaded at start and
	// never reloaded.
	LastReload func() (ok bool, loaded time.Time)
	// AdminUsers, if not empty, are the only basic-auth users allowed to
	// call write endpoints such as /-/reload. The password has already been
	// checked by the web server (exporter-toolkit).
	AdminUsers []string
	// Alerts serves the Alertmanager API v2 under /api/v2/ (alerts,
	// silences, status); nil answers 404 there. Its write requests are
	// limited to AdminUsers like /-/reload.
	Alerts http.Handler
	// Demo serves /api/v1/demo/ (the demo platform's controls and its
	// webhook receiver) when pipewatch runs with --demo; nil otherwise.
	Demo http.Handler
	// Topology builds /api/v1/topology; nil answers 404 there.
	Topology TopologySource
	// UI serves everything not handled by the API; nil means 404.
	UI http.Handler

	Logger     *slog.Logger
	Gatherer   prometheus.Gatherer
	Registerer prometheus.Registerer
	BuildInfo  BuildInfo
	// Retention is shown in /api/v1/status/runtimeinfo.
	Retention string
	// LookbackDelta is the PromQL lookback delta; 0 means 5m.
	LookbackDelta time.Duration
}

// API is pipewatch's HTTP handler.
type API struct {
	opts Options
	mux  *http.ServeMux
}

// New returns the API handler for opts.
func New(opts Options) *API {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Parser == nil {
		opts.Parser = parser.NewParser(parser.Options{})
	}
	if opts.Gatherer == nil {
		opts.Gatherer = prometheus.NewRegistry()
	}
	if opts.Queryable == nil {
		opts.Queryable = opts.Storage.Queryable()
	}
	a := &API{opts: opts, mux: http.NewServeMux()}
	prom := newPromAPI(promAPIOptions{
		engine:     opts.Engine,
		queryable:  opts.Queryable,
		admin:      opts.Storage,
		dbDir:      opts.Storage.Dir(),
		logger:     opts.Logger,
		gatherer:   opts.Gatherer,
		registerer: opts.Registerer,
		ready:      opts.Ready,
		rules:      opts.Rules,
		buildInfo:  opts.BuildInfo,
		startTime:  time.Now(),
		lastReload: opts.LastReload,
		retention:  opts.Retention,
		lookback:   opts.LookbackDelta,
		parser:     opts.Parser,
	})
	a.mux.Handle("/api/v1/", http.StripPrefix("/api/v1", prom))
	a.mux.HandleFunc("GET /api/v1/metadata", a.metadata)
	a.mux.HandleFunc("GET /api/v1/topology", a.topology)
	a.mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("pipewatch is Healthy.\n"))
	})
	a.mux.HandleFunc("GET /-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if opts.Ready != nil && !opts.Ready() {
			http.Error(w, "pipewatch is not ready: storage opening or first collection round not finished", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("pipewatch is Ready.\n"))
	})
	a.mux.HandleFunc("POST /-/reload", a.admin(a.reload))
	if opts.Demo != nil {
		a.mux.Handle("/api/v1/demo/", opts.Demo)
		// The demo's controls change what runs: admin users only, like
		// /-/reload. Its webhook receiver stays open to pipewatch itself.
		a.mux.Handle("POST /api/v1/demo/stall", a.admin(opts.Demo.ServeHTTP))
	}
	if opts.Alerts != nil {
		a.mux.Handle("/api/v2/", a.adminWrites(opts.Alerts))
	}
	a.mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{}))
	if opts.UI != nil {
		a.mux.Handle("/", opts.UI)
	}
	return a
}

// ServeHTTP implements http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// admin restricts h to the configured admin users, if any.
func (a *API) admin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if len(a.opts.AdminUsers) > 0 {
			user, _, ok := r.BasicAuth()
			if !ok || !slices.Contains(a.opts.AdminUsers, user) {
				http.Error(w, "forbidden: this endpoint needs an admin user", http.StatusForbidden)
				return
			}
		}
		h(w, r)
	}
}

// adminWrites limits h's non-read requests to the admin users.
func (a *API) adminWrites(h http.Handler) http.Handler {
	guarded := a.admin(h.ServeHTTP)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			h.ServeHTTP(w, r)
			return
		}
		guarded(w, r)
	})
}

func (a *API) reload(w http.ResponseWriter, _ *http.Request) {
	if a.opts.Reload == nil {
		http.Error(w, "reload is not available", http.StatusNotImplemented)
		return
	}
	if err := a.opts.Reload(); err != nil {
		http.Error(w, "reload configuration: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("configuration reloaded\n"))
}

// metadata serves /api/v1/metadata with the parameters Prometheus accepts:
// metric, limit and limit_per_metric.
func (a *API) metadata(w http.ResponseWriter, r *http.Request) {
	limit, err := optionalInt(r, "limit")
	if err != nil {
		respondError(w, http.StatusBadRequest, "bad_data", err)
		return
	}
	perMetric, err := optionalInt(r, "limit_per_metric")
	if err != nil {
		respondError(w, http.StatusBadRequest, "bad_data", err)
		return
	}
	all := map[string][]collector.Metadata{}
	if a.opts.Metadata != nil {
		all = a.opts.Metadata()
	}
	metric := r.FormValue("metric")
	names := make([]string, 0, len(all))
	for name := range all {
		if metric == "" || name == metric {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	out := map[string][]collector.Metadata{}
	for _, name := range names {
		if limit > 0 && len(out) >= limit {
			break
		}
		mds := all[name]
		if perMetric > 0 && len(mds) > perMetric {
			mds = mds[:perMetric]
		}
		out[name] = mds
	}
	respond(w, out)
}

func optionalInt(r *http.Request, name string) (int, error) {
	s := r.FormValue(name)
	if s == "" {
		return -1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errors.New("invalid " + name + ": " + strconv.Quote(s))
	}
	return n, nil
}

func respond(w http.ResponseWriter, data any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": data})
}

func respondError(w http.ResponseWriter, code int, typ string, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": "error", "errorType": typ, "error": err.Error()})
}
