package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/connect"
	"github.com/pipewatch/pipewatch/collector/container"
	"github.com/pipewatch/pipewatch/collector/elasticsearch"
	"github.com/pipewatch/pipewatch/collector/flink"
	"github.com/pipewatch/pipewatch/collector/gather"
	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/collector/jvm"
	"github.com/pipewatch/pipewatch/collector/kafka"
	"github.com/pipewatch/pipewatch/collector/logstash"
	"github.com/pipewatch/pipewatch/collector/scrape"
	"github.com/pipewatch/pipewatch/collector/spark"
	"github.com/pipewatch/pipewatch/collector/storm"
	"github.com/pipewatch/pipewatch/config"
	"github.com/pipewatch/pipewatch/demo"
	"github.com/pipewatch/pipewatch/demo/sim"
)

// buildEnv is what target builders need besides the configuration.
type buildEnv struct {
	// platform is the running demo platform, or nil.
	platform *demo.Platform
	// demoSystems are the systems simulated around the demo platform
	// (Elasticsearch, Flink, Spark, Storm, Logstash), or nil.
	demoSystems *sim.Sim
	logger      *slog.Logger
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
		kafkaTargets,
		elasticsearchTargets,
		jolokiaTargets,
		hsperfTargets,
		containerTargets,
		flinkTargets,
		sparkTargets,
		stormTargets,
		logstashTargets,
		kafkaConnectTargets,
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
	return endpointTargets("scrape", cfg.Scrape,
		func(c *scrape.Config) endpoint {
			return endpoint{c.Name, c.URL, c.CollectInterval, c.CollectTimeout, c.Labels}
		},
		func(c *scrape.Config) (collector.Collector, error) {
			client, err := httpclient.New(c.HTTP, time.Duration(c.CollectTimeout))
			if err != nil {
				return nil, err
			}
			return scrape.New(c.URL, scrape.Options{Client: client, BodySizeLimit: int64(c.BodySizeLimit)}), nil
		})
}

// endpoint is what every URL-based target configuration has.
type endpoint struct {
	name, url         string
	interval, timeout model.Duration
	labels            map[string]string
}

// endpointTargets builds one target per configuration of a URL-based
// collector kind: job "<kind>/<name>", instance the URL's host.
func endpointTargets[C any](kind string, cfgs []*C, ep func(*C) endpoint, build func(*C) (collector.Collector, error)) ([]collector.Target, error) {
	var targets []collector.Target
	var errs []error
	for _, c := range cfgs {
		e := ep(c)
		u, err := url.Parse(e.url)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q: parse url: %w", kind, e.name, err))
			continue
		}
		col, err := build(c)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", kind, e.name, err))
			continue
		}
		targets = append(targets, collector.Target{
			Job:       kind + "/" + e.name,
			Instance:  u.Host,
			Labels:    labels.FromMap(e.labels),
			Interval:  time.Duration(e.interval),
			Timeout:   time.Duration(e.timeout),
			Collector: col,
			Revision:  revision(*c),
		})
	}
	return targets, errors.Join(errs...)
}

// httpConfig is the configuration of an HTTP collector kind: a pointer to
// a struct that embeds httpclient.TargetConfig.
type httpConfig[C any] interface {
	*C
	Target() *httpclient.TargetConfig
}

// httpTargets is endpointTargets for the kinds whose configuration embeds
// httpclient.TargetConfig.
func httpTargets[C any, P httpConfig[C]](kind string, cfgs []*C, build func(*C) (collector.Collector, error)) ([]collector.Target, error) {
	return endpointTargets(kind, cfgs, func(c *C) endpoint {
		t := P(c).Target()
		return endpoint{t.Name, t.URL, t.CollectInterval, t.CollectTimeout, t.Labels}
	}, build)
}

// demoSystemInterval is how often the simulated demo systems are
// collected.
const demoSystemInterval = 5 * time.Second

// withDemo returns cfgs and, when the demo runs, the configuration of its
// simulated system of the same kind: def (the kind's defaults) named
// "demo", at the URL url picks, collected every demoSystemInterval.
func withDemo[C any, P httpConfig[C]](cfgs []*C, env buildEnv, url func(sim.URLs) string, def C) []*C {
	if env.demoSystems == nil {
		return cfgs
	}
	t := P(&def).Target()
	*t = httpclient.DefaultTargetConfig
	t.Name = "demo"
	t.URL = url(env.demoSystems.URLs())
	t.CollectInterval = model.Duration(demoSystemInterval)
	t.CollectTimeout = model.Duration(demoSystemInterval - time.Second)
	return append(slices.Clone(cfgs), &def)
}

// elasticsearchTargets watches every configured cluster, and the demo's
// simulated cluster when the demo runs.
func elasticsearchTargets(cfg *config.Config, env buildEnv) ([]collector.Target, error) {
	demo := elasticsearch.DefaultConfig
	// The simulated cluster holds a few indices, one family per "es:" sink
	// of the catalog: per-index statistics are cheap and show those sinks
	// in the topology.
	demo.Indices = true
	cfgs := withDemo(cfg.Elasticsearch, env, func(u sim.URLs) string { return u.Elasticsearch }, demo)
	return httpTargets("elasticsearch", cfgs, func(c *elasticsearch.Config) (collector.Collector, error) {
		return elasticsearch.New(c, elasticsearch.Options{Logger: env.logger.With("target", "elasticsearch/"+c.Name)})
	})
}

func jolokiaTargets(cfg *config.Config, _ buildEnv) ([]collector.Target, error) {
	return httpTargets("jolokia", cfg.Jolokia, func(c *jvm.JolokiaConfig) (collector.Collector, error) {
		return jvm.NewJolokia(c, jvm.JolokiaOptions{})
	})
}

// hsperfTargets reads the HotSpot performance data of the JVMs on this host.
func hsperfTargets(cfg *config.Config, env buildEnv) ([]collector.Target, error) {
	h := cfg.HSPerfData
	if h == nil || !h.Enabled {
		return nil, nil
	}
	col, err := jvm.NewHSPerf(h, jvm.HSPerfOptions{Logger: env.logger.With("target", "hsperfdata")})
	if err != nil {
		return nil, fmt.Errorf("hsperfdata: %w", err)
	}
	host, _ := os.Hostname()
	return []collector.Target{{
		Job:       "hsperfdata",
		Instance:  host,
		Labels:    labels.FromMap(h.Labels),
		Interval:  time.Duration(h.CollectInterval),
		Timeout:   time.Duration(h.CollectTimeout),
		Collector: col,
		Revision:  revision(*h),
	}}, nil
}

// flinkTargets watches every configured Flink cluster, and the demo's
// simulated JobManager when the demo runs.
func flinkTargets(cfg *config.Config, env buildEnv) ([]collector.Target, error) {
	cfgs := withDemo(cfg.Flink, env, func(u sim.URLs) string { return u.Flink }, flink.DefaultConfig)
	return httpTargets("flink", cfgs, func(c *flink.Config) (collector.Collector, error) { return flink.New(c, flink.Options{}) })
}

// sparkTargets watches every configured Spark UI, and the demo's
// simulated driver when the demo runs.
func sparkTargets(cfg *config.Config, env buildEnv) ([]collector.Target, error) {
	cfgs := withDemo(cfg.Spark, env, func(u sim.URLs) string { return u.Spark }, spark.DefaultConfig)
	return httpTargets("spark", cfgs, func(c *spark.Config) (collector.Collector, error) {
		return spark.New(c, spark.Options{Logger: env.logger.With("target", "spark/"+c.Name)})
	})
}

// stormTargets watches every configured Storm UI, and the demo's
// simulated UI when the demo runs.
func stormTargets(cfg *config.Config, env buildEnv) ([]collector.Target, error) {
	cfgs := withDemo(cfg.Storm, env, func(u sim.URLs) string { return u.Storm }, storm.DefaultConfig)
	return httpTargets("storm", cfgs, func(c *storm.Config) (collector.Collector, error) { return storm.New(c, storm.Options{}) })
}

// logstashTargets watches every configured Logstash node, and the demo's
// simulated node when the demo runs.
func logstashTargets(cfg *config.Config, env buildEnv) ([]collector.Target, error) {
	cfgs := withDemo(cfg.Logstash, env, func(u sim.URLs) string { return u.Logstash }, logstash.DefaultConfig)
	return httpTargets("logstash", cfgs, func(c *logstash.Config) (collector.Collector, error) { return logstash.New(c, logstash.Options{}) })
}

// kafkaConnectTargets watches every configured Kafka Connect cluster, and
// the demo's simulated worker when the demo runs.
func kafkaConnectTargets(cfg *config.Config, env buildEnv) ([]collector.Target, error) {
	cfgs := withDemo(cfg.KafkaConnect, env, func(u sim.URLs) string { return u.KafkaConnect }, connect.DefaultConfig)
	return httpTargets("kafka_connect", cfgs, func(c *connect.Config) (collector.Collector, error) { return connect.New(c, connect.Options{}) })
}

// containerTargets collects this host's cgroups (containers) with cAdvisor.
// The demo, when the configuration has no containers section, collects
// them too (the demo platform runs no containers of its own; the host's
// are what its container metrics show), and skips them with a warning
// where this host's cgroups cannot be read.
func containerTargets(cfg *config.Config, env buildEnv) ([]collector.Target, error) {
	cc := cfg.Containers
	demo := cc == nil && env.demoSystems != nil
	if demo {
		def := container.DefaultConfig
		def.Enabled = true
		def.Metrics = slices.Clone(def.Metrics)
		def.CollectInterval = model.Duration(demoSystemInterval)
		def.CollectTimeout = model.Duration(demoSystemInterval - time.Second)
		cc = &def
	}
	if cc == nil || !cc.Enabled {
		return nil, nil
	}
	col, err := container.New(cc, container.Options{Logger: env.logger.With("target", "containers/local")})
	if err != nil && demo {
		env.logger.Warn("demo: this host's containers are not collected", "err", err)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("containers: %w", err)
	}
	host, _ := os.Hostname()
	return []collector.Target{{
		Job:       "containers/local",
		Instance:  host,
		Interval:  time.Duration(cc.CollectInterval),
		Timeout:   time.Duration(cc.CollectTimeout),
		Collector: col,
		Revision:  revision(*cc),
	}}, nil
}

// kafkaTargets watches every configured Kafka cluster, and the demo
// platform's cluster (as "demo", with the end-to-end probe on) when it runs.
func kafkaTargets(cfg *config.Config, env buildEnv) ([]collector.Target, error) {
	kcs := cfg.Kafka
	if env.platform != nil {
		kcs = append(slices.Clone(kcs), kafka.DemoConfig("demo", env.platform.Brokers()))
	}
	var targets []collector.Target
	var errs []error
	for _, kc := range kcs {
		col, err := kafka.New(kc, kafka.Options{Logger: env.logger.With("target", "kafka/"+kc.Name)})
		if err != nil {
			errs = append(errs, fmt.Errorf("kafka %q: %w", kc.Name, err))
			continue
		}
		targets = append(targets, collector.Target{
			Job:       "kafka/" + kc.Name,
			Instance:  kc.Instance(),
			Interval:  time.Duration(kc.CollectInterval),
			Timeout:   time.Duration(kc.CollectTimeout),
			Collector: col,
			Revision:  revision(*kc),
		})
	}
	return targets, errors.Join(errs...)
}
