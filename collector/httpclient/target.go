package httpclient

import (
	"errors"
	"net/http"

	"github.com/alecthomas/units"
	"github.com/prometheus/common/model"

	"github.com/pipewatch/pipewatch/config/configerr"
)

// DefaultTargetConfig is the TargetConfig of a target before the keys given
// in the file are applied: only the body size limit is set. CollectInterval
// and CollectTimeout are zero so that package config can tell them unset and
// inherit the global values. Component defaults start from it, as in
// Config{TargetConfig: httpclient.DefaultTargetConfig, ...}.
var DefaultTargetConfig = TargetConfig{
	BodySizeLimit: DefaultBodySizeLimit,
}

// TargetConfig is what the configurations of HTTP targets (Flink, Spark,
// Storm, Logstash, Kafka Connect, Elasticsearch, Jolokia, ...) share: the
// target's name and URL, its schedule and extra labels, the body size limit
// and the HTTP client settings. A component's Config embeds it with
// `yaml:",inline"`, so that its keys sit next to the component's own:
//
//	type Config struct {
//		httpclient.TargetConfig `yaml:",inline"`
//		MaxConcurrentRequests int `yaml:"max_concurrent_requests,omitempty"`
//	}
//
// The fields are then promoted (cfg.Name, cfg.URL, cfg.HTTP), and so are
// SetDirectory and Validate unless the component declares its own; a
// component that adds settings declares Validate and calls
// c.TargetConfig.Validate (or ValidateWith) first.
type TargetConfig struct {
	// Name identifies the target; its series get job="<kind>/<name>".
	Name string `yaml:"name"`
	// URL is the http or https address of the target. For REST APIs it is a
	// base address (optionally with a path prefix, as behind a proxy) to
	// which the collector appends its own paths.
	URL string `yaml:"url"`
	// CollectInterval is how often the target is collected; zero means the
	// global collect_interval, which package config fills in before calling
	// Validate.
	CollectInterval model.Duration `yaml:"collect_interval,omitempty"`
	// CollectTimeout bounds one collection; zero means the global
	// collect_timeout, capped at CollectInterval.
	CollectTimeout model.Duration `yaml:"collect_timeout,omitempty"`
	// Labels are added to every series of the target.
	Labels map[string]string `yaml:"labels,omitempty"`
	// BodySizeLimit is the largest accepted response body (after
	// decompression); a larger response fails the request it answers.
	BodySizeLimit units.Base2Bytes `yaml:"body_size_limit,omitempty"`
	// HTTP configures authentication, TLS and headers; its keys are written
	// next to the target's own.
	HTTP Config `yaml:",inline"`
}

// Target returns t. It is promoted, like the fields, to the configurations
// that embed TargetConfig, so that code handling every HTTP collector kind
// alike can ask any of them for its target settings.
func (t *TargetConfig) Target() *TargetConfig { return t }

// SetDirectory makes the relative file paths in c relative to dir, the
// directory of the configuration file c was read from.
func (c *TargetConfig) SetDirectory(dir string) { c.HTTP.SetDirectory(dir) }

// NewFetcher returns a Fetcher for the REST API whose base address is
// c.URL, with c's body size limit and at most concurrency requests in
// flight. client performs the requests; nil means a client built from
// c.HTTP by New, which reads the files that names (passwords, keys,
// certificates).
func (c TargetConfig) NewFetcher(client *http.Client, concurrency int) (*Fetcher, error) {
	if client == nil {
		var err error
		if client, err = New(c.HTTP, 0); err != nil {
			return nil, err
		}
	}
	return NewFetcher(c.URL, client, int64(c.BodySizeLimit), concurrency)
}

// Validate reports every problem with c, with URL a base address (see
// configerr.CheckBaseURL): see ValidateWith.
func (c TargetConfig) Validate() error {
	return c.ValidateWith(configerr.CheckBaseURL)
}

// ValidateWith reports every problem with c, checking the URL with
// checkURL (configerr.CheckBaseURL or configerr.CheckURL): the name, the
// URL, the schedule (interval at least 1s, 0 < timeout <= interval), label
// names, the HTTP client settings and a non-positive body size limit, in
// this order. Errors carry field paths relative to the target (see package
// configerr).
func (c TargetConfig) ValidateWith(checkURL func(string) error) error {
	errs := []error{
		configerr.CheckName(c.Name),
		configerr.Field("url", checkURL(c.URL)),
		configerr.CheckSchedule(c.CollectInterval, c.CollectTimeout),
		configerr.Field("labels", configerr.CheckLabels(c.Labels)),
		c.HTTP.Validate(),
	}
	if c.BodySizeLimit <= 0 {
		errs = append(errs, configerr.Fieldf("body_size_limit", "must be greater than 0"))
	}
	return errors.Join(errs...)
}
