package elasticsearch

import (
	"errors"
	"regexp"

	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/config/configerr"
)

// DefaultConfig is the configuration of an Elasticsearch cluster before the
// keys given in the file are applied. CollectInterval and CollectTimeout are
// zero so that package config can tell them unset and inherit the global
// values.
var DefaultConfig = Config{
	TargetConfig:    httpclient.DefaultTargetConfig,
	Nodes:           "_all",
	ClusterSettings: true,
	JVMMetrics:      true,
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
	// TargetConfig holds the keys of every HTTP target: name (series get
	// job="elasticsearch/<name>"; their cluster label is the cluster_name
	// that Elasticsearch reports, as with elasticsearch_exporter), url (the
	// http or https address of one node, or of a load balancer in front of
	// the cluster, optionally with a path prefix), the schedule, labels,
	// body_size_limit (of each response, after decompression) and the HTTP
	// client settings (basic_auth, api_key_file, bearer_token_file, TLS and
	// headers).
	httpclient.TargetConfig `yaml:",inline"`
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
}

// UnmarshalYAML applies DefaultConfig, then the keys of value.
func (c *Config) UnmarshalYAML(value *yaml.Node) error {
	*c = DefaultConfig
	type plain Config
	return value.Decode((*plain)(c))
}

// nodesRE matches a node specification: names, IDs, attributes and
// wildcards separated by commas, without path or query characters.
var nodesRE = regexp.MustCompile(`^[A-Za-z0-9_.:*,-]+$`)

// Validate reports every problem with c: those of the target settings (see
// httpclient.TargetConfig.Validate; the URL must be a base address) and the
// node specification. Errors carry field paths relative to the target (see
// package configerr).
func (c Config) Validate() error {
	errs := []error{c.TargetConfig.Validate()}
	if !nodesRE.MatchString(c.Nodes) {
		errs = append(errs, configerr.Fieldf("nodes", "%q is not a node specification such as _all, _local or node names separated by commas", c.Nodes))
	}
	return errors.Join(errs...)
}
