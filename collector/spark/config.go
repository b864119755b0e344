package spark

import (
	"errors"

	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/config/configerr"
)

// DefaultConfig is the configuration of a Spark application UI before the keys
// given in the file are applied. CollectInterval and CollectTimeout are zero
// so that package config can tell them unset and inherit the global values.
var DefaultConfig = Config{
	TargetConfig:          httpclient.DefaultTargetConfig,
	MaxConcurrentRequests: 8,
}

// Config configures the monitoring of the Spark applications behind one UI:
// a driver's UI (port 4040) or a history server. It is an element of the
// top-level spark list in the configuration file:
//
//	spark: [{name: ss, url: "http://driver:4040"}]
//
// Its keys are those of every HTTP target (see httpclient.TargetConfig):
// name (series get job="spark/<name>"), url, the schedule, labels,
// body_size_limit and the HTTP client settings; max_concurrent_requests is
// its own. The URL is the base address of the Spark UI, below which /api/v1
// is read; a path prefix, as behind a proxy, is kept.
type Config struct {
	httpclient.TargetConfig `yaml:",inline"`
	// MaxConcurrentRequests bounds the requests one collection has in
	// flight at once.
	MaxConcurrentRequests int `yaml:"max_concurrent_requests,omitempty"`
}

// UnmarshalYAML applies DefaultConfig, then the keys of value.
func (c *Config) UnmarshalYAML(value *yaml.Node) error {
	*c = DefaultConfig
	type plain Config
	return value.Decode((*plain)(c))
}

// Validate reports every problem with c: those of the target settings (see
// httpclient.TargetConfig.Validate; the URL must be a base address) and a
// request concurrency below 1. Errors carry field paths relative to the
// target (see package configerr).
func (c Config) Validate() error {
	errs := []error{c.TargetConfig.Validate()}
	if c.MaxConcurrentRequests < 1 {
		errs = append(errs, configerr.Fieldf("max_concurrent_requests", "must be at least 1"))
	}
	return errors.Join(errs...)
}
