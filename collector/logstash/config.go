package logstash

import (
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/collector/httpclient"
)

// DefaultConfig is the configuration of a Logstash node before the keys
// given in the file are applied. CollectInterval and CollectTimeout are zero
// so that package config can tell them unset and inherit the global values.
var DefaultConfig = Config{
	TargetConfig: httpclient.DefaultTargetConfig,
}

// Config configures the monitoring of one Logstash node through its
// monitoring API. It is an element of the top-level logstash list in the
// configuration file:
//
//	logstash: [{name: ls, url: "http://logstash:9600"}]
//
// Its keys are those of every HTTP target (see httpclient.TargetConfig):
// name (series get job="logstash/<name>"), url, the schedule, labels,
// body_size_limit and the HTTP client settings. The URL is the base address
// of the node's monitoring API, on api.http.port (9600 by default); a path
// prefix, as behind a proxy, is kept.
//
// Validate and SetDirectory are those of httpclient.TargetConfig; the URL
// must be a base address.
type Config struct {
	httpclient.TargetConfig `yaml:",inline"`
}

// UnmarshalYAML applies DefaultConfig, then the keys of value.
func (c *Config) UnmarshalYAML(value *yaml.Node) error {
	*c = DefaultConfig
	type plain Config
	return value.Decode((*plain)(c))
}
