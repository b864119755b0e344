package jvm

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"

	"github.com/alecthomas/units"
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
	BodySizeLimit: 10 * units.MiB,
}

// JolokiaConfig configures one JVM reached through a Jolokia agent (HTTP and
// JSON in front of JMX). It is an element of the top-level jolokia list in
// the configuration file:
//
//	jolokia: [{name: app, url: "http://app:8778/jolokia/"}]
type JolokiaConfig struct {
	// Name identifies the JVM; its series get job="jolokia/<name>".
	Name string `yaml:"name"`
	// URL is the agent's base URL, to which bulk read requests are POSTed.
	URL string `yaml:"url"`
	// CollectInterval is how often the JVM is read; zero means the global
	// collect_interval, which package config fills in before calling
	// Validate.
	CollectInterval model.Duration `yaml:"collect_interval,omitempty"`
	// CollectTimeout bounds one collection; zero means the global
	// collect_timeout, capped at CollectInterval.
	CollectTimeout model.Duration `yaml:"collect_timeout,omitempty"`
	// Labels are added to every series of the target.
	Labels map[string]string `yaml:"labels,omitempty"`
	// BodySizeLimit is the largest accepted response body; a larger
	// response fails the round.
	BodySizeLimit units.Base2Bytes `yaml:"body_size_limit,omitempty"`
	// HTTP configures authentication, TLS and headers; its keys are written
	// next to the target's own.
	HTTP httpclient.Config `yaml:",inline"`
}

// UnmarshalYAML applies DefaultJolokiaConfig, then the keys of value.
func (c *JolokiaConfig) UnmarshalYAML(value *yaml.Node) error {
	*c = DefaultJolokiaConfig
	type plain JolokiaConfig
	return value.Decode((*plain)(c))
}

// SetDirectory makes the relative file paths in c relative to dir, the
// directory of the configuration file c was read from.
func (c *JolokiaConfig) SetDirectory(dir string) { c.HTTP.SetDirectory(dir) }

// Validate reports every problem with c: the name, the URL (http or https,
// with a host and without credentials, which belong in basic_auth), the
// schedule (interval at least 1s, 0 < timeout <= interval), label names, a
// non-positive body size limit and the HTTP client settings. Errors carry
// field paths relative to the target (see package configerr).
func (c JolokiaConfig) Validate() error {
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
	}
	return nil
}
