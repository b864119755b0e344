package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/gather"
	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/collector/scrape"
	"github.com/pipewatch/pipewatch/config"
	"github.com/pipewatch/pipewatch/demo"
)

// buildEnv is what target builders need besides the configuration.
type buildEnv struct {
	// platform is the running demo platform, or nil.
	platform *demo.Platform
	logger   *slog.Logger
	// self is pipewatch's own registry and selfInstance its address.
	self         prometheus.Gatherer
	selfInstance string
}

// targetBuilder turns one section of the configuration into targets.
type targetBuilder func(cfg *config.Config, env buildEnv) ([]collector.Target, error)

// targetBuilders is the explicit list of collector families.
func targetBuilders() []targetBuilder {
	return []targetBuilder{
		selfTargets,
		scrapeTargets,
	}
}

// buildTargets builds every target of cfg (and of the demo platform, if
// running). All configuration problems are reported together.
func buildTargets(cfg *config.Config, env buildEnv) ([]collector.Target, error) {
	var targets []collector.Target
	var errs []error
	for _, build := range targetBuilders() {
		ts, err := build(cfg, env)
		targets = append(targets, ts...)
		errs = append(errs, err)
	}
	return targets, errors.Join(errs...)
}

// selfTargets collects pipewatch's own registry, like a Prometheus server
// scraping itself, so its self-metrics are stored and usable in rules.
func selfTargets(cfg *config.Config, env buildEnv) ([]collector.Target, error) {
	return []collector.Target{{
		Job:       "pipewatch",
		Instance:  env.selfInstance,
		Interval:  time.Duration(cfg.Global.CollectInterval),
		Timeout:   time.Duration(cfg.Global.CollectTimeout),
		Collector: gather.New(env.self),
		Revision:  revision(cfg.Global),
	}}, nil
}

func scrapeTargets(cfg *config.Config, _ buildEnv) ([]collector.Target, error) {
	var targets []collector.Target
	var errs []error
	for _, sc := range cfg.Scrape {
		timeout := time.Duration(sc.CollectTimeout)
		client, err := httpclient.New(sc.HTTP, timeout)
		if err != nil {
			errs = append(errs, fmt.Errorf("scrape %q: %w", sc.Name, err))
			continue
		}
		u, err := url.Parse(sc.URL)
		if err != nil {
			errs = append(errs, fmt.Errorf("scrape %q: parse url: %w", sc.Name, err))
			continue
		}
		targets = append(targets, collector.Target{
			Job:      "scrape/" + sc.Name,
			Instance: u.Host,
			Labels:   labels.FromMap(sc.Labels),
			Interval: time.Duration(sc.CollectInterval),
			Timeout:  timeout,
			Collector: scrape.New(sc.URL, scrape.Options{
				Client:        client,
				BodySizeLimit: int64(sc.BodySizeLimit),
			}),
			Revision: revision(sc),
		})
	}
	return targets, errors.Join(errs...)
}
