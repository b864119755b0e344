package storm

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/alecthomas/units"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/config/configerr"
)

// DefaultConfig is the configuration of a Storm cluster before the keys
// given in the file are applied. CollectInterval and CollectTimeout are zero
// so that package config can tell them unset and inherit the global values.
var DefaultConfig = Config{
	BodySizeLimit:         10 * units.MiB,
	MaxConcurrentRequests: 8,
}

// Config configures the monitoring of one Storm (or JStorm) cluster through
// the REST API of its UI server. It is an element of the top-level storm list
// in the configuration file:
//
//	storm: [{name: st, url: "http://storm-ui:8080"}]
type Config struct {
	// Name identifies the target; its series get job="storm/<name>".
	Name string `yaml:"name"`
	// URL is the http or https base address of the UI server's REST API; a path
	// prefix, as behind a proxy, is kept.
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
	// BodySizeLimit is the largest accepted response body; a larger
	// response fails the request it answers.
	BodySizeLimit units.Base2Bytes `yaml:"body_size_limit,omitempty"`
	// MaxConcurrentRequests bounds the requests one collection has in
	// flight at once.
	MaxConcurrentRequests int `yaml:"max_concurrent_requests,omitempty"`
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
func (c *Config) SetDirectory(dir string) { c.HTTP.SetDirectory(dir) }

// Validate reports every problem with c: the name, the URL (http or https,
// with a host and without credentials, which belong in basic_auth), the
// schedule (interval at least 1s, 0 < timeout <= interval), label names, a
// non-positive body size limit or request concurrency, and the HTTP client
// settings. Errors carry field paths relative to the target (see package
// configerr).
func (c Config) Validate() error {
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
	if c.MaxConcurrentRequests < 1 {
		errs = append(errs, configerr.Fieldf("max_concurrent_requests", "must be at least 1"))
	}
	return errors.Join(errs...)
}

// checkURL validates a target URL. Messages never repeat the URL, which may
// hold credentials.
func checkURL(s string) error {
	if s == "" {
		return errors.New("must be set")
	}
	u, err := url.Parse(s)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fmt.Errorf("parse URL: %w", err)
	}
	switch {
	case u.User != nil:
		return errors.New("must not contain credentials: use basic_auth")
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("scheme %q must be http or https", u.Scheme)
	case u.Host == "":
		return errors.New("must have a host")
	case u.RawQuery != "" || u.Fragment != "":
		return errors.New("must not have a query or fragment: it is a base address")
	}
	return nil
}
