package elasticsearch

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/units"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// loadConfig decodes a configuration file. Unknown keys are rejected by
// package config, whose schema check sees inside UnmarshalYAML.
func loadConfig(t *testing.T, path string) (*Config, error) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	c.SetDirectory("/etc/pipewatch")
	return &c, c.Validate()
}

func TestConfigFiles(t *testing.T) {
	for _, tc := range []struct {
		file    string
		wantErr []string
	}{
		{"full.good.yml", nil},
		{"minimal.good.yml", nil},
		{"bad_url.bad.yml", []string{"url: must not contain credentials"}},
		{"two_auth.bad.yml", []string{"api_key_file: must not be set together with basic_auth"}},
		{"bad_nodes.bad.yml", []string{`nodes: "../_cluster" is not a node specification`, "body_size_limit: must be greater than 0"}},
		{"bad_name.bad.yml", []string{`name: "logs cluster" must match`, "url: must not have a query", "collect_interval: must be at least 1s"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			_, err := loadConfig(t, filepath.Join("testdata", "config", tc.file))
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.wantErr)
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestConfigDefaultsAndPaths(t *testing.T) {
	c, err := loadConfig(t, filepath.Join("testdata", "config", "minimal.good.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Nodes != "_all" || !c.ClusterSettings || !c.JVMMetrics || c.Indices || c.BodySizeLimit != 10*units.MiB {
		t.Errorf("defaults not applied: %+v", c)
	}
	if c.HTTP.APIKeyFile != "/etc/pipewatch/es.key" {
		t.Errorf("api_key_file = %q, want it relative to the config directory", c.HTTP.APIKeyFile)
	}
	full, err := loadConfig(t, filepath.Join("testdata", "config", "full.good.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if full.Nodes != "_local" || full.ClusterSettings || full.JVMMetrics || !full.Indices ||
		full.CollectInterval != model.Duration(10*time.Second) || full.BodySizeLimit != 50*units.MiB {
		t.Errorf("keys not applied: %+v", full)
	}
	// The request paths follow the node selection and the URL's prefix.
	if _, err := New(full, Options{}); err == nil {
		t.Fatal("New read a password file that does not exist")
	}
	full.HTTP.BasicAuth.PasswordFile = ""
	full.HTTP.TLS.CAFile = ""
	col, err := New(full, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := col.urls[epNodes]; got != "https://es.example:9200/prefix/_nodes/_local/stats" {
		t.Errorf("nodes URL = %s", got)
	}
	if got := col.urls[epIndices]; got != "https://es.example:9200/prefix/_all/_stats?ignore_unavailable=true" {
		t.Errorf("indices URL = %s", got)
	}
	if col.urls[epSettings] != "" || col.jvm != nil {
		t.Error("cluster_settings or jvm_metrics not disabled")
	}
}
