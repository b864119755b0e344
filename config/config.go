// Package config loads pipewatch's configuration file: one strict YAML
// document plus optional included files, with defaults applied and every
// problem reported with the file, line and field it concerns.
//
// # Loading
//
// LoadFile and Load are the only entry points. Loading runs in phases, and
// each phase reports all of its problems (joined with errors.Join, sorted
// by file and line) before loading stops:
//
//  1. Every file is parsed and checked against the schema: YAML syntax,
//     unknown keys, keys given twice, values of the wrong type (a list where
//     a mapping belongs, "fast" for a duration) and empty list entries.
//     Included files are found and checked in this phase too.
//  2. The files are decoded into one Config: lists (scrape, kafka,
//     modules, ...) are appended in file order; sections that are not lists
//     (global) may only be set in the main file. Component defaults
//     (scrape.DefaultConfig, ...) are applied by their UnmarshalYAML
//     methods, and relative file paths are made relative to the directory
//     of the file that names them.
//  3. Targets inherit the global collect_interval when they set none, and
//     the global collect_timeout (capped at their interval) when they set
//     none; then Config.Validate checks the semantics: names, URLs,
//     brokers, schedules, SASL and TLS settings, unique names.
//
// The schema check of phase 1 walks the YAML node tree alongside the Go
// types itself instead of relying on yaml.v3's KnownFields, because that
// option does not reach node.Decode calls made inside custom UnmarshalYAML
// methods, which every component config has. Component types must
// therefore follow the `type plain` idiom: a struct decoded from a mapping
// has exactly its (yaml-tagged) fields as keys.
//
// # Errors
//
// Every error is an *Error whose message reads
//
//	pipewatch.yml:12: kafka[0].collect_interval: must be at least 1s
//
// with the file as it was given (or as the include pattern produced it),
// the line of the offending key or list entry, and the field path within
// that file (list indexes count entries of that file, not of the merged
// configuration). Component Validate methods report field paths with
// package configerr; config maps them back to lines. YAML syntax errors
// carry a line but no field path, because no tree exists yet. No message
// ever contains the value of a secret.
//
// # Includes
//
// The top-level include key lists glob patterns (filepath.Match syntax)
// relative to the directory of the file that contains them. Matches are
// loaded in lexical order, depth first; included files have the same
// schema and may include further files. A pattern that matches nothing is
// not an error; a file matched again (by another pattern, or a cycle) is
// loaded only once. After loading, Include is empty and Files lists every
// file read, so the String form of a Config is self-contained.
//
// # Files and secrets
//
// Files that a configuration names (password_file, ca_file, ...) are not
// checked for existence here: they are read when the component that needs
// them starts, so a configuration can be checked on a machine without the
// secrets. Secret values are github.com/prometheus/common/config.Secret and
// marshal as "<secret>" (as long as nothing sets that package's
// MarshalSecretValue, which pipewatch never does).
package config

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/alert"
	"github.com/pipewatch/pipewatch/collector/connect"
	"github.com/pipewatch/pipewatch/collector/container"
	"github.com/pipewatch/pipewatch/collector/elasticsearch"
	"github.com/pipewatch/pipewatch/collector/flink"
	"github.com/pipewatch/pipewatch/collector/jvm"
	"github.com/pipewatch/pipewatch/collector/kafka"
	"github.com/pipewatch/pipewatch/collector/logstash"
	"github.com/pipewatch/pipewatch/collector/scrape"
	"github.com/pipewatch/pipewatch/collector/spark"
	"github.com/pipewatch/pipewatch/collector/storm"
	"github.com/pipewatch/pipewatch/config/configerr"
	"github.com/pipewatch/pipewatch/rules"
)

// DefaultGlobalConfig is the global section of a file that does not set one.
var DefaultGlobalConfig = GlobalConfig{
	CollectInterval: model.Duration(5 * time.Second),
	CollectTimeout:  model.Duration(4 * time.Second),
}

// DefaultConfig is the configuration of an empty file.
var DefaultConfig = Config{
	Global: DefaultGlobalConfig,
}

// Config is pipewatch's whole configuration, merged from the main file and
// its includes. Its String method and yaml.Marshal give the effective
// configuration with secrets replaced by "<secret>".
type Config struct {
	// Global holds the defaults that targets inherit.
	Global GlobalConfig `yaml:"global"`
	// Scrape lists endpoints that serve Prometheus metrics.
	Scrape []*scrape.Config `yaml:"scrape,omitempty"`
	// Kafka lists the Kafka clusters to watch.
	Kafka []*kafka.Config `yaml:"kafka,omitempty"`
	// Elasticsearch lists the Elasticsearch (or OpenSearch) clusters.
	Elasticsearch []*elasticsearch.Config `yaml:"elasticsearch,omitempty"`
	// Jolokia lists JVMs read through a Jolokia agent.
	Jolokia []*jvm.JolokiaConfig `yaml:"jolokia,omitempty"`
	// Containers collects this host's cgroups with cAdvisor's library.
	Containers *container.Config `yaml:"containers,omitempty"`
	// HSPerfData reads the HotSpot performance data of local JVMs.
	HSPerfData *jvm.HSPerfConfig `yaml:"hsperfdata,omitempty"`
	// Flink lists Flink clusters (JobManager REST).
	Flink []*flink.Config `yaml:"flink,omitempty"`
	// Spark lists Spark drivers or history servers (REST).
	Spark []*spark.Config `yaml:"spark,omitempty"`
	// Storm lists Storm or JStorm UI servers (REST).
	Storm []*storm.Config `yaml:"storm,omitempty"`
	// Logstash lists Logstash nodes (monitoring API).
	Logstash []*logstash.Config `yaml:"logstash,omitempty"`
	// KafkaConnect lists Kafka Connect workers (REST).
	KafkaConnect []*connect.Config `yaml:"kafka_connect,omitempty"`
	// RuleFiles are globs of Prometheus rule files (with pipewatch's
	// forecast, anomaly and recover extensions), relative to the file that
	// names them.
	RuleFiles []string `yaml:"rule_files,omitempty"`
	// RulePack switches the built-in pipeline rule pack (on by default) and
	// its groups.
	RulePack *rules.PackConfig `yaml:"rule_pack,omitempty"`
	// Alerting routes alerts to receivers, in Alertmanager's configuration
	// format (with pipewatch's extensions, see package alert).
	Alerting *alert.Config `yaml:"alerting,omitempty"`
	// Modules declares the pipelines ("modules") and the producers, topics,
	// consumer groups, jobs and sinks they are made of.
	Modules []*ModuleConfig `yaml:"modules,omitempty"`
	// Include lists glob patterns of further files to load. It is emptied
	// once they are loaded.
	Include []string `yaml:"include,omitempty"`

	// Files lists the files that were read: the main file first, then the
	// included ones in the order they were loaded.
	Files []string `yaml:"-"`
}

// String returns the configuration as YAML, with secrets replaced by
// "<secret>".
func (c *Config) String() string {
	b, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Sprintf("<marshal configuration: %s>", err)
	}
	return string(b)
}

// Validate reports every semantic problem of c, with field paths from the
// top level (see package configerr): the global section, each target and
// module, and names that are used twice within one kind. It expects the
// inherited collection intervals and timeouts to be filled in, as Load
// does; it does not modify c.
func (c *Config) Validate() error {
	errs := []error{configerr.Field("global", c.Global.Validate())}
	errs = append(errs, validateList("scrape", c.Scrape, func(s *scrape.Config) string { return s.Name }, (*scrape.Config).Validate))
	errs = append(errs, validateList("kafka", c.Kafka, func(k *kafka.Config) string { return k.Name }, (*kafka.Config).Validate))
	errs = append(errs, validateList("elasticsearch", c.Elasticsearch, func(e *elasticsearch.Config) string { return e.Name }, (*elasticsearch.Config).Validate))
	errs = append(errs, validateList("jolokia", c.Jolokia, func(j *jvm.JolokiaConfig) string { return j.Name }, (*jvm.JolokiaConfig).Validate))
	if c.HSPerfData != nil {
		errs = append(errs, configerr.Field("hsperfdata", c.HSPerfData.Validate()))
	}
	if c.Containers != nil {
		errs = append(errs, configerr.Field("containers", c.Containers.Validate()))
	}
	errs = append(errs, validateList("flink", c.Flink, func(x *flink.Config) string { return x.Name }, (*flink.Config).Validate))
	errs = append(errs, validateList("spark", c.Spark, func(x *spark.Config) string { return x.Name }, (*spark.Config).Validate))
	errs = append(errs, validateList("storm", c.Storm, func(x *storm.Config) string { return x.Name }, (*storm.Config).Validate))
	errs = append(errs, validateList("logstash", c.Logstash, func(x *logstash.Config) string { return x.Name }, (*logstash.Config).Validate))
	errs = append(errs, validateList("kafka_connect", c.KafkaConnect, func(x *connect.Config) string { return x.Name }, (*connect.Config).Validate))
	errs = append(errs, validateList("modules", c.Modules, func(m *ModuleConfig) string { return m.Name }, (*ModuleConfig).Validate))
	errs = append(errs, c.checkModuleAliases())
	if c.Alerting != nil {
		errs = append(errs, configerr.Field("alerting", c.Alerting.Validate()))
	}
	if c.RulePack != nil {
		errs = append(errs, configerr.Field("rule_pack", c.RulePack.Validate()))
	}
	return errors.Join(errs...)
}

// validateList validates the items of one list section and reports names
// used more than once.
func validateList[T any](section string, items []*T, name func(*T) string, validate func(*T) error) error {
	var errs []error
	first := make(map[string]int, len(items))
	for i, item := range items {
		if item == nil {
			errs = append(errs, configerr.Field(section, configerr.Index(i, errors.New("must not be empty"))))
			continue
		}
		errs = append(errs, configerr.Field(section, configerr.Index(i, validate(item))))
		n := name(item)
		if n == "" {
			continue
		}
		if j, ok := first[n]; ok {
			dup := &duplicateError{name: n, first: fmt.Sprintf("%s[%d].name", section, j)}
			errs = append(errs, configerr.Field(section, configerr.Index(i, configerr.Field("name", dup))))
			continue
		}
		first[n] = i
	}
	return errors.Join(errs...)
}

// checkModuleAliases reports aliases that collide with a module name or
// another alias: modules are looked up by either.
func (c *Config) checkModuleAliases() error {
	var errs []error
	names := make(map[string]string, len(c.Modules))
	for i, m := range c.Modules {
		if m != nil && m.Name != "" {
			if _, ok := names[m.Name]; !ok {
				names[m.Name] = fmt.Sprintf("modules[%d].name", i)
			}
		}
	}
	for i, m := range c.Modules {
		if m == nil {
			continue
		}
		for j, a := range m.Aliases {
			path := fmt.Sprintf("modules[%d].aliases[%d]", i, j)
			if first, ok := names[a]; ok && a != "" {
				errs = append(errs, &configerr.FieldError{Field: path, Err: &duplicateError{name: a, first: first}})
				continue
			}
			names[a] = path
		}
	}
	return errors.Join(errs...)
}

// duplicateError reports a name used twice. Load replaces the path of the
// first use by its file and line.
type duplicateError struct {
	name  string
	first string // Field path, or file:line once located.
}

func (e *duplicateError) Error() string {
	return fmt.Sprintf("duplicate name %q (first used at %s)", e.name, e.first)
}

// inheritGlobal fills in the collection intervals and timeouts that
// targets leave unset. While the global schedule is invalid (which
// Validate reports), targets inherit DefaultGlobalConfig's instead, so that
// their own errors are only about values they set.
func (c *Config) inheritGlobal() {
	g := c.Global
	if configerr.CheckSchedule(g.CollectInterval, g.CollectTimeout) != nil {
		g = DefaultGlobalConfig
	}
	for _, s := range c.Scrape {
		if s != nil {
			g.inherit(&s.CollectInterval, &s.CollectTimeout)
		}
	}
	for _, k := range c.Kafka {
		if k != nil {
			g.inherit(&k.CollectInterval, &k.CollectTimeout)
		}
	}
	for _, e := range c.Elasticsearch {
		if e != nil {
			g.inherit(&e.CollectInterval, &e.CollectTimeout)
		}
	}
	for _, j := range c.Jolokia {
		if j != nil {
			g.inherit(&j.CollectInterval, &j.CollectTimeout)
		}
	}
	if h := c.HSPerfData; h != nil {
		g.inherit(&h.CollectInterval, &h.CollectTimeout)
	}
	if cc := c.Containers; cc != nil {
		g.inherit(&cc.CollectInterval, &cc.CollectTimeout)
	}
	for _, x := range c.Flink {
		if x != nil {
			g.inherit(&x.CollectInterval, &x.CollectTimeout)
		}
	}
	for _, x := range c.Spark {
		if x != nil {
			g.inherit(&x.CollectInterval, &x.CollectTimeout)
		}
	}
	for _, x := range c.Storm {
		if x != nil {
			g.inherit(&x.CollectInterval, &x.CollectTimeout)
		}
	}
	for _, x := range c.Logstash {
		if x != nil {
			g.inherit(&x.CollectInterval, &x.CollectTimeout)
		}
	}
	for _, x := range c.KafkaConnect {
		if x != nil {
			g.inherit(&x.CollectInterval, &x.CollectTimeout)
		}
	}
}

// GlobalConfig holds the settings that apply to every target unless the
// target overrides them.
type GlobalConfig struct {
	// CollectInterval is how often targets are collected.
	CollectInterval model.Duration `yaml:"collect_interval"`
	// CollectTimeout bounds one collection; when unset it is the default
	// (4s) or CollectInterval, whichever is shorter.
	CollectTimeout model.Duration `yaml:"collect_timeout"`
	// ExternalLabels are added to series and alerts leaving pipewatch
	// (remote_write, notifications), to tell instances apart.
	ExternalLabels map[string]string `yaml:"external_labels,omitempty"`
}

// UnmarshalYAML applies DefaultGlobalConfig, then the keys of value. An
// unset collect_timeout becomes the default timeout or the collect_interval
// given, whichever is shorter.
func (c *GlobalConfig) UnmarshalYAML(value *yaml.Node) error {
	*c = DefaultGlobalConfig
	c.CollectTimeout = 0
	type plain GlobalConfig
	if err := value.Decode((*plain)(c)); err != nil {
		return err
	}
	if c.CollectTimeout == 0 {
		c.CollectTimeout = min(DefaultGlobalConfig.CollectTimeout, c.CollectInterval)
	}
	return nil
}

// Validate reports an invalid schedule (interval at least 1s,
// 0 < timeout <= interval) or invalid external label names.
func (c GlobalConfig) Validate() error {
	return errors.Join(
		configerr.CheckSchedule(c.CollectInterval, c.CollectTimeout),
		configerr.Field("external_labels", configerr.CheckLabels(c.ExternalLabels)),
	)
}

// inherit fills in a target's unset interval and timeout: the global
// interval, and the global timeout capped at the target's interval (so a
// target collected every second does not need to set a timeout).
func (c GlobalConfig) inherit(interval, timeout *model.Duration) {
	if *interval == 0 {
		*interval = c.CollectInterval
	}
	if *timeout == 0 {
		*timeout = min(c.CollectTimeout, *interval)
	}
}

// ModuleConfig declares one pipeline ("module"): who owns it and which
// producers, topics, consumer groups, stream jobs and sinks belong to it.
// The topology view merges these declarations with what discovery finds,
// and alerts are routed to the owner of the module they concern.
type ModuleConfig struct {
	// Name identifies the module.
	Name string `yaml:"name"`
	// Owner is the team or person responsible, used for routing alerts.
	Owner string `yaml:"owner,omitempty"`
	// Aliases are other names the module is known by; they share one
	// namespace with module names.
	Aliases []string `yaml:"aliases,omitempty"`
	// Producers are the applications that write the module's topics.
	Producers []string `yaml:"producers,omitempty"`
	// Topics are the Kafka topics of the module.
	Topics []string `yaml:"topics,omitempty"`
	// Groups are the Kafka consumer groups of the module.
	Groups []string `yaml:"groups,omitempty"`
	// Jobs are the stream-processing jobs (Flink, Spark, Storm, ...), as
	// "<system>/<job name>" (e.g. "flink/hotel-enrich", "logstash/nginx"),
	// the way the job collectors name them, so declared and observed jobs
	// match.
	Jobs []string `yaml:"jobs,omitempty"`
	// Sinks are where the module's data lands (Elasticsearch indices, ...).
	Sinks []string `yaml:"sinks,omitempty"`
}

// Validate reports an invalid name and empty entries in the member lists.
// Errors carry field paths relative to the module.
func (m ModuleConfig) Validate() error {
	errs := []error{configerr.CheckName(m.Name)}
	for _, l := range []struct {
		field string
		items []string
	}{
		{"aliases", m.Aliases}, {"producers", m.Producers}, {"topics", m.Topics},
		{"groups", m.Groups}, {"jobs", m.Jobs}, {"sinks", m.Sinks},
	} {
		for i, s := range l.items {
			if s == "" {
				errs = append(errs, configerr.Field(l.field, configerr.Index(i, errors.New("must not be empty"))))
			}
		}
	}
	return errors.Join(errs...)
}
