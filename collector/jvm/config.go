package jvm

import (
	"errors"
	"path/filepath"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/config/configerr"
)

// DefaultJolokiaConfig is the configuration of a Jolokia target before the
// keys given in the file are applied. CollectInterval and CollectTimeout are
// zero so that package config can tell them unset and inherit the global
// values.
var DefaultJolokiaConfig = JolokiaConfig{
	TargetConfig: httpclient.DefaultTargetConfig,
}

// JolokiaConfig configures one JVM reached through a Jolokia agent (HTTP and
// JSON in front of JMX). It is an element of the top-level jolokia list in
// the configuration file:
//
//	jolokia: [{name: app, url: "http://app:8778/jolokia/"}]
//
// Its keys are those of every HTTP target (see httpclient.TargetConfig):
// name (series get job="jolokia/<name>"), url, the schedule, labels,
// body_size_limit and the HTTP client settings. The URL is the agent's
// base URL, to which bulk read requests are POSTed; unlike the base
// address of a REST API it may carry a query.
type JolokiaConfig struct {
	httpclient.TargetConfig `yaml:",inline"`
}

// UnmarshalYAML applies DefaultJolokiaConfig, then the keys of value.
func (c *JolokiaConfig) UnmarshalYAML(value *yaml.Node) error {
	*c = DefaultJolokiaConfig
	type plain JolokiaConfig
	return value.Decode((*plain)(c))
}

// Validate reports every problem with c: those of the target settings (see
// httpclient.TargetConfig.ValidateWith), with the URL checked by
// configerr.CheckURL. Errors carry field paths relative to the target (see
// package configerr).
func (c JolokiaConfig) Validate() error {
	return c.ValidateWith(configerr.CheckURL)
}

// DefaultHSPerfDir is where HotSpot keeps perf-data files on Linux, whatever
// java.io.tmpdir says.
const DefaultHSPerfDir = "/tmp"

// DefaultHSPerfConfig is the configuration of local JVM discovery before the
// keys given in the file are applied.
var DefaultHSPerfConfig = HSPerfConfig{
	Dir: DefaultHSPerfDir,
}

// HSPerfConfig configures the collection of local JVMs from their HotSpot
// perf-data files. It is the top-level hsperfdata mapping of the
// configuration file:
//
//	hsperfdata: {enabled: true, dir: /tmp}
//
// All JVMs found form one target (job="hsperfdata"); each JVM's series carry
// pid and main labels. pipewatch must run as the JVMs' user (or root) to
// read their files, and JVMs in containers are only seen if their /tmp is
// shared with pipewatch's.
type HSPerfConfig struct {
	// Enabled turns the collection on.
	Enabled bool `yaml:"enabled"`
	// Dir holds the hsperfdata_<user> directories; default /tmp.
	Dir string `yaml:"dir,omitempty"`
	// CollectInterval is how often the files are read; zero means the
	// global collect_interval, which package config fills in before
	// calling Validate.
	CollectInterval model.Duration `yaml:"collect_interval,omitempty"`
	// CollectTimeout bounds one collection; zero means the global
	// collect_timeout, capped at CollectInterval.
	CollectTimeout model.Duration `yaml:"collect_timeout,omitempty"`
	// Labels are added to every series of the target.
	Labels map[string]string `yaml:"labels,omitempty"`
}

// UnmarshalYAML applies DefaultHSPerfConfig, then the keys of value.
func (c *HSPerfConfig) UnmarshalYAML(value *yaml.Node) error {
	*c = DefaultHSPerfConfig
	type plain HSPerfConfig
	return value.Decode((*plain)(c))
}

// SetDirectory makes a relative Dir relative to dir, the directory of the
// configuration file c was read from.
func (c *HSPerfConfig) SetDirectory(dir string) {
	if c.Dir != "" && dir != "" && !filepath.IsAbs(c.Dir) {
		c.Dir = filepath.Join(dir, c.Dir)
	}
}

// Validate reports every problem with c: an empty dir, the schedule and
// label names. A disabled configuration is not checked further.
func (c HSPerfConfig) Validate() error {
	if !c.Enabled {
		return nil
	}
	var errs []error
	if c.Dir == "" {
		errs = append(errs, configerr.Fieldf("dir", "must be set"))
	}
	errs = append(errs,
		configerr.CheckSchedule(c.CollectInterval, c.CollectTimeout),
		configerr.Field("labels", configerr.CheckLabels(c.Labels)),
	)
	return errors.Join(errs...)
}
