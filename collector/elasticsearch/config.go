package elasticsearch

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"

	"github.com/alecthomas/units"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/config/configerr"
)

// DefaultConfig is the configuration of an Elasticsearch cluster before the
// keys given in the file are applied. CollectInterval and CollectTimeout are
// zero so that package config can tell them unset and inherit the global
// values.
var DefaultConfig = Config{
	Nodes:           "_all",
	ClusterSettings: true,
	JVMMetrics:      true,
	BodySizeLimit:   10 * units.MiB,
}

// Config configures the monitoring of one Elasticsearch (or OpenSearch)
// cluster. It is an element of the top-level elasticsearch list in the
// configuration file:
//
//	elasticsearch:
//	  - name: logs
//	    url: https://es:9200
//	    basic_auth: {username: monitor, password_file: /etc/pipewatch/es.pw}
//	    tls: {ca_file: /etc/pipewatch/es-ca.pem}
//	    indices: true
type Config struct {
	// Name identifies the cluster; its series get job="elasticsearch/<name>".
	// The cluster label of the series is the cluster_name that
	// Elasticsearch reports, as with elasticsearch_exporter.
	Name string `yaml:"name"`
	// URL is the http or https address of one node (or of a load balancer
	// in front of the cluster), optionally with a path prefix.
	URL string `yaml:"url"`
	// CollectInterval is how often the cluster is collected; zero means the
	// global collect_interval, which package config fills in before calling
	// Validate.
	CollectInterval model.Duration `yaml:"collect_interval,omitempty"`
	// CollectTimeout bounds one collection; zero means the global
	// collect_timeout, capped at CollectInterval.
	CollectTimeout model.Duration `yaml:"collect_timeout,omitempty"`
	// Labels are added to every series of the target.
	Labels map[string]string `yaml:"labels,omitempty"`
	// Nodes selects the nodes whose statistics are collected, in
	// Elasticsearch's node specification syntax: "_all" (the default, every
	// node of the cluster, like the exporter's --es.all) or "_local" (only
	// the node the URL reaches, the exporter's default) or a list of node
	// names or attributes.
	Nodes string `yaml:"nodes,omitempty"`
	// Indices adds per-index statistics from /_all/_stats (the exporter's
	// --es.indices): about 90 series per index, so enable it on clusters
	// with a moderate number of indices.
	Indices bool `yaml:"indices,omitempty"`
	// ClusterSettings adds shard allocation, max_shards_per_node and disk
	// watermark settings from /_cluster/settings (the exporter's
	// --es.cluster_settings). Default true.
	ClusterSettings bool `yaml:"cluster_settings"`
	// JVMMetrics adds each node's JVM under the jvm_* names shared with the
	// other JVM collectors (labels cluster and name), besides the
	// exporter's elasticsearch_jvm_* series. Default true.
	JVMMetrics bool `yaml:"jvm_metrics"`
	// BodySizeLimit is the largest accepted response body of each request
	// (after decompression); a larger response fails that request.
	BodySizeLimit units.Base2Bytes `yaml:"body_size_limit,omitempty"`
	// HTTP configures authentication (basic_auth, api_key_file,
	// bearer_token_file), TLS and headers; its keys are written next to the
	// target's own.
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

// nodesRE matches a node specification: names, IDs, attributes and
// wildcards separated by commas, without path or query characters.
var nodesRE = regexp.MustCompile(`^[A-Za-z0-9_.:*,-]+$`)

// Validate reports every problem with c: the name, the URL (http or https,
// with a host and without credentials, which belong in basic_auth), the
// schedule (interval at least 1s, 0 < timeout <= interval), label names,
// the node specification, a non-positive body size limit and the HTTP
// client settings. Errors carry field paths relative to the target (see
// package configerr).
func (c Config) Validate() error {
	errs := []error{
		configerr.CheckName(c.Name),
		configerr.Field("url", checkURL(c.URL)),
		configerr.CheckSchedule(c.CollectInterval, c.CollectTimeout),
		configerr.Field("labels", configerr.CheckLabels(c.Labels)),
		c.HTTP.Validate(),
	}
	if !nodesRE.MatchString(c.Nodes) {
		errs = append(errs, configerr.Fieldf("nodes", "%q is not a node specification such as _all, _local or node names separated by commas", c.Nodes))
	}
	if c.BodySizeLimit <= 0 {
		errs = append(errs, configerr.Fieldf("body_size_limit", "must be greater than 0"))
	}
	return errors.Join(errs...)
}

// checkURL validates the cluster URL. Messages never repeat the URL, which
// may hold credentials.
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
		return errors.New("must not have a query or fragment")
	}
	return nil
}
