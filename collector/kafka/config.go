package kafka

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	commoncfg "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/config/configerr"
)

// DefaultConfig is the configuration of a Kafka cluster before the keys
// given in the file are applied. CollectInterval and CollectTimeout are zero
// so that package config can tell them unset and inherit the global values.
var DefaultConfig = Config{
	ClientID:         "pipewatch",
	MetadataInterval: model.Duration(30 * time.Second),
}

// The SASL mechanisms that SASLConfig.Mechanism accepts.
const (
	// SASLMechanismPlain sends the user name and password in the clear
	// (inside TLS, one hopes).
	SASLMechanismPlain = "PLAIN"
	// SASLMechanismScramSHA256 is SCRAM with SHA-256.
	SASLMechanismScramSHA256 = "SCRAM-SHA-256"
	// SASLMechanismScramSHA512 is SCRAM with SHA-512.
	SASLMechanismScramSHA512 = "SCRAM-SHA-512"
)

// Config configures the monitoring of one Kafka cluster. It is an element of
// the top-level kafka list in the configuration file.
type Config struct {
	// Name identifies the cluster; its series get job="kafka/<name>" and
	// cluster="<name>".
	Name string `yaml:"name"`
	// Brokers are the host:port seed addresses used to discover the cluster.
	Brokers []string `yaml:"brokers"`
	// ClientID is the client.id pipewatch presents to the brokers, for their
	// logs and quotas.
	ClientID string `yaml:"client_id,omitempty"`
	// CollectInterval is how often offsets and lag are collected; zero means
	// the global collect_interval, which package config fills in before
	// calling Validate.
	CollectInterval model.Duration `yaml:"collect_interval,omitempty"`
	// CollectTimeout bounds one collection; zero means the global
	// collect_timeout, capped at CollectInterval.
	CollectTimeout model.Duration `yaml:"collect_timeout,omitempty"`
	// MetadataInterval is how often topics, partitions and groups are
	// listed again; offsets are collected every CollectInterval regardless.
	MetadataInterval model.Duration `yaml:"metadata_interval,omitempty"`
	// TLS configures encrypted connections to the brokers.
	TLS TLSConfig `yaml:"tls,omitempty"`
	// SASL configures authentication to the brokers.
	SASL SASLConfig `yaml:"sasl,omitempty"`
	// StatusWindow is the shortest sliding window over which the consumer
	// status rules judge a group's commits; zero means DefaultStatusWindow.
	// The window actually used for a partition also grows to four times
	// the interval at which the group is seen to commit, so that jobs
	// that commit rarely (Flink checkpoints) are not called stalled
	// between two commits, and is at least DefaultStatusWindow until
	// that interval is known.
	StatusWindow model.Duration `yaml:"status_window,omitempty"`
	// LagExpiry is how long a group may leave a topic's committed offsets
	// unchanged, while data waits in it, no live member is assigned to it
	// and the group is busy elsewhere, before the group counts as having
	// stopped consuming that topic and its lag series are no longer
	// reported; zero means DefaultLagExpiry.
	LagExpiry model.Duration `yaml:"lag_expiry,omitempty"`
	// Probe configures the end-to-end probe; it is off unless enabled.
	Probe ProbeConfig `yaml:"probe,omitempty"`
	// Producers turns on kafka_topic_producers: every metadata_interval
	// the slow path asks the partition leaders which producers wrote to
	// each partition (DescribeProducers, KIP-664, Kafka 2.8 or later) and
	// counts, per topic, the distinct producer ids whose last write is
	// within ProducerWindow. Off by default: brokers remember every
	// idempotent producer (every producer of a Kafka 3.0+ client) for
	// producer.id.expiration.ms (a day) after its last write, per
	// partition, so on a cluster with many short-lived producers (batch
	// jobs, serverless functions, clients recreated per request) the
	// answer lists tens of thousands of producers per broker.
	Producers bool `yaml:"producers,omitempty"`
}

// Defaults that apply when the corresponding Config field is zero.
const (
	// DefaultStatusWindow is the default shortest status window.
	DefaultStatusWindow = 30 * time.Second
	// DefaultLagExpiry is the default LagExpiry.
	DefaultLagExpiry = 30 * time.Minute
	// DefaultProbeTopic is the topic the probe writes to when
	// ProbeConfig.Topic is empty.
	DefaultProbeTopic = "_pipewatch_probe"
	// DefaultProbeTimeout bounds one probe record's round trip when
	// ProbeConfig.Timeout is zero.
	DefaultProbeTimeout = 5 * time.Second
	// ProducerWindow is how recently a producer must have written to a
	// topic to count in kafka_topic_producers. It is five minutes, the
	// staleness lookback of PromQL: a producer counts as long as a series
	// it fed would still be current, and one that writes at least every
	// few minutes (any streaming producer; kgo and the Java client
	// send a batch at least every linger.ms while records come) never
	// drops out between two writes.
	ProducerWindow = 5 * time.Minute
)

// ProbeConfig configures the end-to-end probe: every interval it produces
// one timestamped record to each partition of the probe topic (which it
// creates with one partition per broker if missing, so that every broker
// leads one) and reads them back, measuring the produce acknowledgement
// and the end-to-end latency. A failing probe with healthy consumers points
// at Kafka; healthy probes with lagging consumers point at the consumers.
type ProbeConfig struct {
	// Enabled turns the probe on.
	Enabled bool `yaml:"enabled,omitempty"`
	// Topic is the probe topic; empty means DefaultProbeTopic.
	Topic string `yaml:"topic,omitempty"`
	// Interval is how often a probe round runs; zero means the cluster's
	// collect_interval.
	Interval model.Duration `yaml:"interval,omitempty"`
	// Timeout is how long a probe record may take to be acknowledged and
	// read back before it counts as failed; zero means DefaultProbeTimeout.
	Timeout model.Duration `yaml:"timeout,omitempty"`
}

// topicRE matches legal Kafka topic names.
var topicRE = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)

// Validate reports probe settings given while the probe is disabled, an
// illegal topic name, an interval under 1s and a negative timeout. Errors
// carry field paths relative to the probe mapping.
func (c ProbeConfig) Validate() error {
	if !c.Enabled {
		if c != (ProbeConfig{}) {
			return configerr.Fieldf("enabled", "must be true when other probe settings are given")
		}
		return nil
	}
	var errs []error
	if c.Topic != "" && (!topicRE.MatchString(c.Topic) || c.Topic == "." || c.Topic == "..") {
		errs = append(errs, configerr.Fieldf("topic", "%q is not a valid topic name", c.Topic))
	}
	if c.Interval != 0 && c.Interval < configerr.MinInterval {
		errs = append(errs, configerr.Fieldf("interval", "must be at least %s", configerr.MinInterval))
	}
	if c.Timeout < 0 {
		errs = append(errs, configerr.Fieldf("timeout", "must not be negative"))
	}
	return errors.Join(errs...)
}

// TLSConfig configures TLS to the brokers. Unlike an HTTP URL, a broker
// address does not say whether to use TLS, so it must be enabled
// explicitly; the other keys are those of httpclient.TLSConfig.
type TLSConfig struct {
	// Enabled turns TLS on.
	Enabled bool `yaml:"enabled,omitempty"`
	// TLSConfig holds the certificate authorities, client certificate and
	// server name.
	httpclient.TLSConfig `yaml:",inline"`
}

// Validate reports TLS settings given while TLS is not enabled, which would
// silently have no effect, and the problems httpclient.TLSConfig.Validate
// finds. Errors carry field paths relative to the tls mapping.
func (c TLSConfig) Validate() error {
	if !c.Enabled && c.TLSConfig != (httpclient.TLSConfig{}) {
		return configerr.Fieldf("enabled", "must be true when other tls settings are given")
	}
	return c.TLSConfig.Validate()
}

// Build returns the tls.Config for connections to the brokers, or nil when
// TLS is not enabled. It reads the files the configuration names.
func (c TLSConfig) Build() (*tls.Config, error) {
	if !c.Enabled {
		return nil, nil
	}
	return c.TLSConfig.Build()
}

// SASLConfig configures SASL authentication. The zero value means no SASL.
type SASLConfig struct {
	// Mechanism is one of PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512; empty
	// disables SASL.
	Mechanism string `yaml:"mechanism,omitempty"`
	// Username is the SASL user name.
	Username string `yaml:"username,omitempty"`
	// Password is the SASL password; exactly one of Password,
	// PasswordFile and PasswordEnv must be set when SASL is enabled.
	Password commoncfg.Secret `yaml:"password,omitempty"`
	// PasswordFile is a file whose content (surrounding white space
	// trimmed) is the password. It is read by ReadPassword, not checked by
	// Validate.
	PasswordFile string `yaml:"password_file,omitempty"`
	// PasswordEnv is the name of an environment variable that holds the
	// password. It is read by ReadPassword, not checked by Validate.
	PasswordEnv string `yaml:"password_env,omitempty"`
}

// Enabled reports whether SASL authentication is configured.
func (c SASLConfig) Enabled() bool { return c.Mechanism != "" }

// Validate reports an unknown mechanism, settings given without a
// mechanism, a missing user name, and a password given both or neither
// inline and as a file. Errors carry field paths relative to the sasl
// mapping and never contain the password.
func (c SASLConfig) Validate() error {
	if c.Mechanism == "" {
		if c != (SASLConfig{}) {
			return configerr.Fieldf("mechanism", "must be set when other sasl settings are given")
		}
		return nil
	}
	var errs []error
	switch c.Mechanism {
	case SASLMechanismPlain, SASLMechanismScramSHA256, SASLMechanismScramSHA512:
	default:
		errs = append(errs, configerr.Fieldf("mechanism", "%q is not one of %s, %s, %s",
			c.Mechanism, SASLMechanismPlain, SASLMechanismScramSHA256, SASLMechanismScramSHA512))
	}
	if c.Username == "" {
		errs = append(errs, configerr.Fieldf("username", "must be set"))
	}
	switch {
	case c.Password != "" && c.PasswordFile != "":
		errs = append(errs, configerr.Fieldf("password_file", "must not be set together with password"))
	case c.PasswordEnv != "" && (c.Password != "" || c.PasswordFile != ""):
		errs = append(errs, configerr.Fieldf("password_env", "must not be set together with password or password_file"))
	case c.Password == "" && c.PasswordFile == "" && c.PasswordEnv == "":
		// The wording predates password_env; config's golden files rely on it.
		errs = append(errs, configerr.Fieldf("password", "must be set, or password_file"))
	}
	if c.PasswordEnv != "" && !envRE.MatchString(c.PasswordEnv) {
		errs = append(errs, configerr.Fieldf("password_env", "%q is not a valid environment variable name", c.PasswordEnv))
	}
	return errors.Join(errs...)
}

var envRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ReadPassword returns the password: Password, the content of
// PasswordFile or the value of the environment variable PasswordEnv,
// whichever is set. Errors never contain the password.
func (c SASLConfig) ReadPassword() (string, error) {
	if c.PasswordEnv != "" {
		p, ok := os.LookupEnv(c.PasswordEnv)
		if !ok || strings.TrimSpace(p) == "" {
			return "", fmt.Errorf("read sasl password_env: variable %s is unset or empty", c.PasswordEnv)
		}
		return p, nil
	}
	if c.PasswordFile == "" {
		return string(c.Password), nil
	}
	b, err := os.ReadFile(c.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("read sasl password_file: %w", err)
	}
	p := strings.TrimSpace(string(b))
	if p == "" {
		return "", fmt.Errorf("read sasl password_file: file %s is empty", c.PasswordFile)
	}
	return p, nil
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
	c.TLS.SetDirectory(dir)
	if c.SASL.PasswordFile != "" && !filepath.IsAbs(c.SASL.PasswordFile) && dir != "" {
		c.SASL.PasswordFile = filepath.Join(dir, c.SASL.PasswordFile)
	}
}

var clientIDRE = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// Validate reports every problem with c: the name, brokers that are not
// host:port, the client id, the schedule (interval at least 1s,
// 0 < timeout <= interval), a metadata interval under 1s, a negative
// status window or lag expiry, and the TLS, SASL and probe settings. Errors carry field paths relative to the cluster (see
// package configerr).
func (c Config) Validate() error {
	errs := []error{
		configerr.CheckName(c.Name),
		configerr.CheckSchedule(c.CollectInterval, c.CollectTimeout),
		configerr.Field("tls", c.TLS.Validate()),
		configerr.Field("sasl", c.SASL.Validate()),
		configerr.Field("probe", c.Probe.Validate()),
	}
	if len(c.Brokers) == 0 {
		errs = append(errs, configerr.Fieldf("brokers", "must not be empty"))
	}
	for i, b := range c.Brokers {
		errs = append(errs, configerr.Field("brokers", configerr.Index(i, checkBroker(b))))
	}
	if !clientIDRE.MatchString(c.ClientID) {
		errs = append(errs, configerr.Fieldf("client_id", "%q must match %s", c.ClientID, clientIDRE))
	}
	if c.MetadataInterval < configerr.MinInterval {
		errs = append(errs, configerr.Fieldf("metadata_interval", "must be at least %s", configerr.MinInterval))
	}
	if c.StatusWindow < 0 {
		errs = append(errs, configerr.Fieldf("status_window", "must not be negative"))
	}
	if c.LagExpiry < 0 {
		errs = append(errs, configerr.Fieldf("lag_expiry", "must not be negative"))
	}
	return errors.Join(errs...)
}

func checkBroker(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		var aerr *net.AddrError
		if errors.As(err, &aerr) {
			return fmt.Errorf("%q is not host:port: %s", addr, aerr.Err)
		}
		return fmt.Errorf("%q is not host:port: %w", addr, err)
	}
	if host == "" {
		return fmt.Errorf("%q has no host", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q has no valid port", addr)
	}
	return nil
}

// DemoConfig returns the configuration with which pipewatch watches the
// embedded demo platform's cluster: collection every second, metadata every
// ten seconds (the demo's groups come and go as it starts), a status window
// of five seconds (the demo's stalling group commits every second, so a
// stall shows within seconds; groups that commit less often still get four
// times their commit interval), the end-to-end probe on and active
// producers listed (the demo's producers are idempotent). The app still
// adds the cluster's brokers.
func DemoConfig(name string, brokers []string) *Config {
	c := DefaultConfig
	c.Name = name
	c.Brokers = slices.Clone(brokers)
	c.CollectInterval = model.Duration(time.Second)
	c.CollectTimeout = model.Duration(time.Second)
	c.MetadataInterval = model.Duration(10 * time.Second)
	c.StatusWindow = model.Duration(5 * time.Second)
	c.Probe = ProbeConfig{Enabled: true}
	c.Producers = true
	return &c
}

// Instance returns the instance label of the cluster's target: its seed
// brokers joined by commas.
func (c *Config) Instance() string { return strings.Join(c.Brokers, ",") }

// withDefaults returns a copy of c with every zero setting that has a
// default filled in, so that a Config built in code (like the demo's) needs
// only a name and brokers.
func (c *Config) withDefaults() Config {
	out := *c
	out.Brokers = slices.Clone(c.Brokers)
	if out.ClientID == "" {
		out.ClientID = DefaultConfig.ClientID
	}
	if out.CollectInterval == 0 {
		out.CollectInterval = model.Duration(5 * time.Second)
	}
	if out.CollectTimeout == 0 {
		out.CollectTimeout = out.CollectInterval
	}
	if out.MetadataInterval == 0 {
		out.MetadataInterval = DefaultConfig.MetadataInterval
	}
	if out.StatusWindow == 0 {
		out.StatusWindow = model.Duration(DefaultStatusWindow)
	}
	if out.LagExpiry == 0 {
		out.LagExpiry = model.Duration(DefaultLagExpiry)
	}
	if out.Probe.Enabled {
		if out.Probe.Topic == "" {
			out.Probe.Topic = DefaultProbeTopic
		}
		if out.Probe.Interval == 0 {
			out.Probe.Interval = out.CollectInterval
		}
		if out.Probe.Timeout == 0 {
			out.Probe.Timeout = model.Duration(DefaultProbeTimeout)
		}
	}
	return out
}
