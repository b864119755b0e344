package kafka

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/config/configerr"
)

// TestConfigFiles decodes every testdata/*.yml as one cluster and checks
// that *.good.yml validate and *.bad.yml fail with the errors listed in
// their "# error:" comments, in order.
func TestConfigFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var cfg Config
			if err := yaml.Unmarshal(data, &cfg); err != nil {
				t.Fatalf("decode: %v", err)
			}
			var want []string
			for _, line := range strings.Split(string(data), "\n") {
				if e, ok := strings.CutPrefix(line, "# error: "); ok {
					want = append(want, e)
				}
			}
			var got []string
			for _, fe := range configerr.Split(cfg.Validate()) {
				got = append(got, fe.Error())
			}
			if strings.HasSuffix(file, ".good.yml") != (len(want) == 0) {
				t.Fatalf("a .good.yml file must list no errors, a .bad.yml file some")
			}
			if !slices.Equal(got, want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	data, err := os.ReadFile("testdata/full.good.yml")
	if err != nil {
		t.Fatal(err)
	}
	var full Config
	if err := yaml.Unmarshal(data, &full); err != nil {
		t.Fatal(err)
	}
	if full.StatusWindow != model.Duration(45*time.Second) || full.LagExpiry != model.Duration(time.Hour) ||
		full.Probe != (ProbeConfig{Enabled: true, Topic: "pipewatch.probe", Interval: model.Duration(5 * time.Second), Timeout: model.Duration(3 * time.Second)}) ||
		full.SASL.PasswordEnv != "KAFKA_PASSWORD" || !full.Producers {
		t.Errorf("full config decoded as %+v", full)
	}

	// A Config built in code needs only a name and brokers.
	minimal := (&Config{Name: "demo", Brokers: []string{"127.0.0.1:9092"}}).withDefaults()
	if err := minimal.Validate(); err != nil {
		t.Fatalf("minimal config: %v", err)
	}
	if minimal.ClientID != "pipewatch" || minimal.CollectInterval != model.Duration(5*time.Second) ||
		minimal.CollectTimeout != minimal.CollectInterval || minimal.MetadataInterval != model.Duration(30*time.Second) ||
		minimal.StatusWindow != model.Duration(DefaultStatusWindow) || minimal.LagExpiry != model.Duration(DefaultLagExpiry) ||
		minimal.Probe.Enabled || minimal.Producers {
		t.Errorf("minimal config with defaults: %+v", minimal)
	}

	demo := DemoConfig("demo", []string{"127.0.0.1:9092"})
	if err := demo.Validate(); err != nil {
		t.Fatalf("demo config: %v", err)
	}
	d := demo.withDefaults()
	if !d.Probe.Enabled || d.Probe.Topic != DefaultProbeTopic || d.Probe.Interval != d.CollectInterval ||
		d.Probe.Timeout != model.Duration(DefaultProbeTimeout) || d.CollectInterval != model.Duration(time.Second) || !d.Producers {
		t.Errorf("demo config with defaults: %+v", d)
	}
	if got := demo.Instance(); got != "127.0.0.1:9092" {
		t.Errorf("Instance() = %q", got)
	}
}

func TestReadPassword(t *testing.T) {
	t.Setenv("PIPEWATCH_TEST_KAFKA_PW", "s3cret-env-pw")
	pw, err := SASLConfig{Mechanism: "PLAIN", Username: "u", PasswordEnv: "PIPEWATCH_TEST_KAFKA_PW"}.ReadPassword()
	if err != nil || pw != "s3cret-env-pw" {
		t.Errorf("ReadPassword from env = %q, %v", pw, err)
	}
	file := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(file, []byte("  s3cret-file-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pw, err = SASLConfig{Mechanism: "PLAIN", Username: "u", PasswordFile: file}.ReadPassword()
	if err != nil || pw != "s3cret-file-pw" {
		t.Errorf("ReadPassword from file = %q, %v", pw, err)
	}
	_, err = SASLConfig{Mechanism: "PLAIN", Username: "u", PasswordEnv: "PIPEWATCH_TEST_KAFKA_UNSET"}.ReadPassword()
	if err == nil || !strings.Contains(err.Error(), "PIPEWATCH_TEST_KAFKA_UNSET") {
		t.Errorf("unset variable: err = %v", err)
	}
}

func TestNew(t *testing.T) {
	t.Setenv("PIPEWATCH_TEST_KAFKA_PW", "s3cret-env-pw")
	tests := []struct {
		name    string
		cfg     *Config
		wantErr string
	}{
		{"name and brokers are enough", &Config{Name: "demo", Brokers: []string{"127.0.0.1:1"}, CollectInterval: model.Duration(time.Second)}, ""},
		{"sasl from the environment", &Config{Name: "a", Brokers: []string{"127.0.0.1:1"},
			SASL: SASLConfig{Mechanism: SASLMechanismScramSHA256, Username: "u", PasswordEnv: "PIPEWATCH_TEST_KAFKA_PW"}}, ""},
		{"no configuration", nil, "no configuration"},
		{"invalid configuration", &Config{Name: "a"}, "brokers: must not be empty"},
		{"missing password variable", &Config{Name: "a", Brokers: []string{"127.0.0.1:1"},
			SASL: SASLConfig{Mechanism: SASLMechanismPlain, Username: "u", PasswordEnv: "PIPEWATCH_TEST_KAFKA_UNSET"}}, "PIPEWATCH_TEST_KAFKA_UNSET"},
		{"missing CA file", &Config{Name: "a", Brokers: []string{"127.0.0.1:1"},
			TLS: TLSConfig{Enabled: true, TLSConfig: tlsWithCA("testdata/no-such-ca.pem")}}, "no-such-ca.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg, Options{})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if err := c.Close(); err != nil {
					t.Error(err)
				}
				if err := c.Close(); err != nil {
					t.Errorf("second Close: %v", err)
				}
				if err := c.Collect(context.Background(), collector.NewBatch()); err == nil {
					t.Error("Collect after Close succeeded")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error reveals a secret: %v", err)
			}
		})
	}
}

func tlsWithCA(file string) httpclient.TLSConfig { return httpclient.TLSConfig{CAFile: file} }
