package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"time"

	remoteapi "github.com/prometheus/client_golang/exp/api/remote"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/route"
	promconfig "github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/rules"
	"github.com/prometheus/prometheus/scrape"
	promstorage "github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/util/notifications"
	v1 "github.com/prometheus/prometheus/web/api/v1"
)

// This file is the one adapter between pipewatch and Prometheus's
// web/api/v1 package, whose NewAPI takes dozens of positional arguments that
// change between releases. Everything pipewatch does not have (scrape
// pools, Alertmanager discovery, remote read) is answered with empty lists.

// promAPIOptions is what the Prometheus API handler needs from pipewatch.
type promAPIOptions struct {
	engine     *promql.Engine
	queryable  promstorage.SampleAndChunkQueryable
	admin      v1.TSDBAdminStats
	dbDir      string
	logger     *slog.Logger
	gatherer   prometheus.Gatherer
	registerer prometheus.Registerer
	ready      func() bool
	rules      func() RuleSource
	buildInfo  BuildInfo
	startTime  time.Time
	lastReload func() (ok bool, loaded time.Time)
	retention  string
	lookback   time.Duration
	parser     parser.Parser
}

// RuleSource lists rule groups and alerting rules for /api/v1/rules and
// /api/v1/alerts.
type RuleSource interface {
	RuleGroups() []*rules.Group
	AlertingRules() []*rules.AlertingRule
}

type noRules struct{}

func (noRules) RuleGroups() []*rules.Group           { return nil }
func (noRules) AlertingRules() []*rules.AlertingRule { return nil }

// noExemplars is an exemplar store that has none: pipewatch's collectors do
// not produce exemplars, and query_exemplars answers an empty list.
type noExemplars struct{}

func (noExemplars) ExemplarQuerier(context.Context) (promstorage.ExemplarQuerier, error) {
	return noExemplars{}, nil
}

func (noExemplars) Select(int64, int64, ...[]*labels.Matcher) ([]exemplar.QueryResult, error) {
	return []exemplar.QueryResult{}, nil
}

type noTargets struct{}

func (noTargets) ScrapePools() []string                                     { return nil }
func (noTargets) TargetsActive() map[string][]*scrape.Target                { return nil }
func (noTargets) TargetsDropped() map[string][]*scrape.Target               { return nil }
func (noTargets) TargetsDroppedCounts() map[string]int                      { return nil }
func (noTargets) ScrapePoolConfig(string) (*promconfig.ScrapeConfig, error) { return nil, nil }
func (noTargets) Alertmanagers() []*url.URL                                 { return nil }
func (noTargets) DroppedAlertmanagers() []*url.URL                          { return nil }

// newPromAPI returns the Prometheus HTTP API v1 handler, mounted at
// /api/v1 by the caller.
func newPromAPI(o promAPIOptions) http.Handler {
	rulesRetriever := func(context.Context) v1.RulesRetriever {
		if o.rules != nil {
			if rs := o.rules(); rs != nil {
				return rs
			}
		}
		return noRules{}
	}
	readyWrap := func(f http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if o.ready != nil && !o.ready() {
				http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
				return
			}
			f(w, r)
		}
	}
	runtimeInfo := func() (v1.RuntimeInfo, error) {
		cwd, _ := os.Getwd()
		host, _ := os.Hostname()
		reloadOK, loaded := true, o.startTime
		if o.lastReload != nil {
			reloadOK, loaded = o.lastReload()
		}
		return v1.RuntimeInfo{
			StartTime:           o.startTime,
			CWD:                 cwd,
			Hostname:            host,
			ServerTime:          time.Now(),
			ReloadConfigSuccess: reloadOK,
			LastConfigTime:      loaded,
			GoroutineCount:      runtime.NumGoroutine(),
			GOMAXPROCS:          runtime.GOMAXPROCS(0),
			GOGC:                os.Getenv("GOGC"),
			GODEBUG:             os.Getenv("GODEBUG"),
			StorageRetention:    o.retention,
		}, nil
	}
	api := v1.NewAPI(
		o.engine,
		o.queryable,
		nil, nil, // no remote-write or OTLP ingestion
		noExemplars{},
		func(context.Context) v1.ScrapePoolsRetriever { return noTargets{} },
		func(context.Context) v1.TargetRetriever { return noTargets{} },
		func(context.Context) v1.AlertmanagerRetriever { return noTargets{} },
		func() promconfig.Config { return promconfig.Config{} },
		map[string]string{},
		v1.GlobalURLOptions{},
		readyWrap,
		o.admin,
		o.dbDir,
		false,    // admin endpoints off
		false, 0, // no metadata search
		o.logger,
		rulesRetriever,
		0, 0, 0, // no remote read
		false, // not an agent
		nil,   // no CORS
		runtimeInfo,
		&v1.PrometheusVersion{
			Version:   o.buildInfo.Version,
			Revision:  o.buildInfo.Revision,
			Branch:    o.buildInfo.Branch,
			BuildUser: o.buildInfo.BuildUser,
			BuildDate: o.buildInfo.BuildDate,
			GoVersion: runtime.Version(),
		},
		func() []notifications.Notification { return nil },
		func() (<-chan notifications.Notification, func(), bool) { return nil, func() {}, false },
		o.gatherer,
		o.registerer,
		nil,   // default stats renderer
		false, // remote-write receiver off
		remoteapi.MessageTypes{},
		false, false, false, // OTLP off
		false, // no start-timestamp zero ingestion
		o.lookback,
		false, // no type-and-unit labels
		false, // no metadata appending
		nil,   // default error codes
		nil,   // no feature registry: buildinfo has no features map
		v1.OpenAPIOptions{},
		o.parser,
	)
	router := route.New()
	api.Register(router)
	return router
}
