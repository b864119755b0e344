package scrape

import (
	"github.com/alecthomas/units"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/config/configerr"
)

// DefaultConfig is the configuration of a scrape target before the keys
// given in the file are applied. CollectInterval and CollectTimeout are zero
// so that package config can tell them unset and inherit the global values.
var DefaultConfig = Config{
	BodySizeLimit: httpclient.DefaultBodySizeLimit,
}

// Config configures one scrape target: an HTTP endpoint that serves the
// Prometheus text format or OpenMetrics. It is an element of the top-level
// scrape list in the configuration file.
type Config struct {
	// Name identifies the target; its series get job="scrape/<name>".
	Name string `yaml:"name"`
	// URL is the http or https address of the exposition.
	URL string `yaml:"url"`
	// CollectInterval is how often the target is scraped; zero means the
	// global collect_interval, which package config fills in before
	// calling Validate.
	CollectInterval model.Duration `yaml:"collect_interval,omitempty"`
	// CollectTimeout bounds one scrape; zero means the global
	// collect_timeout, capped at CollectInterval.
	CollectTimeout model.Duration `yaml:"collect_timeout,omitempty"`
	// Labels are added to every series of the target.
	Labels map[string]string `yaml:"labels,omitempty"`
	// BodySizeLimit is the largest accepted response body (after
	// decompression); a larger response fails the scrape.
	BodySizeLimit units.Base2Bytes `yaml:"body_size_limit,omitempty"`
	// HTTP configures authentication, TLS and headers; its keys are written
	// next to the target's own.
	HTTP httpclient.Config `yaml:",inline"`
}

// UnmarshalYAML applies DefaultConfig, then the keys of value.
func (c *Config) UnmarshalYAML(value *yaml.Node) error {
	*c = DefaultConfig
	type plain Config
	return value.Decode((*plain)(c))
}

// SetDirectory makes the relative file paths in c relative to dir, the
// directory of the configuration file c was read from.
func (c *Config) SetDirectory(dir string) {
	c.HTTP.SetDirectory(dir)
}

// Validate reports every problem with c, as httpclient.TargetConfig does
// for the targets that embed it, with the URL checked by configerr.CheckURL
// (an exposition's URL may carry a query): the name, the URL, the schedule
// (interval at least 1s, 0 < timeout <= interval), label names, the HTTP
// client settings and a non-positive body size limit. Errors carry field
// paths relative to the target (see package configerr).
//
// Config does not embed TargetConfig only because configurations are
// written as Config literals (in package config's tests), which would
// then have to name the embedded struct.
func (c Config) Validate() error {
	t := httpclient.TargetConfig{
		Name:            c.Name,
		URL:             c.URL,
		CollectInterval: c.CollectInterval,
		CollectTimeout:  c.CollectTimeout,
		Labels:          c.Labels,
		BodySizeLimit:   c.BodySizeLimit,
		HTTP:            c.HTTP,
	}
	return t.ValidateWith(configerr.CheckURL)
}
