package kafka

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
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
	// Password is the SASL password; exactly one of Password and
	// PasswordFile must be set when SASL is enabled.
	Password commoncfg.Secret `yaml:"password,omitempty"`
	// PasswordFile is a file whose content (surrounding white space
	// trimmed) is the password. It is read by ReadPassword, not checked by
	// Validate.
	PasswordFile string `yaml:"password_file,omitempty"`
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
	case c.Password == "" && c.PasswordFile == "":
		errs = append(errs, configerr.Fieldf("password", "must be set, or password_file"))
	}
	return errors.Join(errs...)
}

// ReadPassword returns the password, reading PasswordFile if it is set.
func (c SASLConfig) ReadPassword() (string, error) {
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
// 0 < timeout <= interval), a metadata interval under 1s, and the TLS and
// SASL settings. Errors carry field paths relative to the cluster (see
// package configerr).
func (c Config) Validate() error {
	errs := []error{
		configerr.CheckName(c.Name),
		configerr.CheckSchedule(c.CollectInterval, c.CollectTimeout),
		configerr.Field("tls", c.TLS.Validate()),
		configerr.Field("sasl", c.SASL.Validate()),
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
