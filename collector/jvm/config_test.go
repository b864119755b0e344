package jvm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// decodeFile decodes testdata/config/<file> into v (unknown keys are
// rejected by package config) and returns v's Validate error.
func decodeFile[T interface{ Validate() error }](t *testing.T, file string, v T) error {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "config", file))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
	return v.Validate()
}

func TestJolokiaConfig(t *testing.T) {
	for _, tc := range []struct {
		file    string
		wantErr []string
	}{
		{"jolokia.good.yml", nil},
		{"jolokia_bad.bad.yml", []string{"name: must be set", `url: scheme "app" must be http or https`,
			"collect_timeout: must not be greater than collect_interval", "body_size_limit: must be greater than 0"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var c JolokiaConfig
			err := decodeFile(t, tc.file, &c)
			checkErrors(t, err, tc.wantErr)
		})
	}
	var c JolokiaConfig
	if err := decodeFile(t, "jolokia.good.yml", &c); err != nil {
		t.Fatal(err)
	}
	c.SetDirectory("/etc/pipewatch")
	if c.BodySizeLimit != DefaultJolokiaConfig.BodySizeLimit || c.HTTP.BasicAuth.PasswordFile != "/etc/pipewatch/jolokia.pw" {
		t.Errorf("defaults or paths not applied: %+v", c)
	}
	if _, err := NewJolokia(&c, JolokiaOptions{}); err == nil || !strings.Contains(err.Error(), "password_file") {
		t.Errorf("NewJolokia with a missing password file: err = %v", err)
	}
}

func TestHSPerfConfig(t *testing.T) {
	for _, tc := range []struct {
		file    string
		wantErr []string
	}{
		{"hsperf.good.yml", nil},
		{"hsperf_disabled.good.yml", nil},
		{"hsperf_bad.bad.yml", []string{"dir: must be set", `labels.__reserved: label names starting with "__" are reserved`}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var c HSPerfConfig
			checkErrors(t, decodeFile(t, tc.file, &c), tc.wantErr)
		})
	}
	var c HSPerfConfig
	if err := decodeFile(t, "hsperf.good.yml", &c); err != nil || c.Dir != DefaultHSPerfDir {
		t.Errorf("dir = %q, err = %v; want the default %s", c.Dir, err, DefaultHSPerfDir)
	}
	c.Dir = "perf"
	c.SetDirectory("/etc/pipewatch")
	if c.Dir != "/etc/pipewatch/perf" {
		t.Errorf("relative dir became %q", c.Dir)
	}
}

func checkErrors(t *testing.T, err error, want []string) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}
