package flink

import (
	"strings"
	"testing"

	"github.com/alecthomas/units"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		yaml    string
		wantErr []string // substrings of Validate's error; none means valid
	}{
		{"minimal", `{name: rt, url: "http://jobmanager:8081"}`, nil},
		{"proxy path and auth", `{name: rt, url: "https://gw/flink/", basic_auth: {username: u, password: p}, max_concurrent_requests: 2}`, nil},
		{"no name or url", `{}`, []string{"name: must be set", "url: must be set"}},
		{"bad scheme", `{name: rt, url: "ftp://jobmanager"}`, []string{`url: scheme "ftp" must be http or https`}},
		{"credentials in url", `{name: rt, url: "http://u:p@jobmanager"}`, []string{"url: must not contain credentials"}},
		{"query in url", `{name: rt, url: "http://jobmanager/?x=1"}`, []string{"url: must not have a query"}},
		{"bad limits", `{name: rt, url: "http://jm", body_size_limit: 0, max_concurrent_requests: 0}`,
			[]string{"body_size_limit: must be greater than 0", "max_concurrent_requests: must be at least 1"}},
		{"bad label", `{name: rt, url: "http://jm", labels: {"1x": y}}`, []string{"not a valid label name"}},
		{"two auth methods", `{name: rt, url: "http://jm", basic_auth: {username: u}, bearer_token_file: t}`, []string{"bearer_token_file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Config
			if err := yaml.Unmarshal([]byte(tc.yaml), &c); err != nil {
				t.Fatal(err)
			}
			// Package config fills in the inherited schedule.
			c.CollectInterval, c.CollectTimeout = model.Duration(5e9), model.Duration(4e9)
			err := c.Validate()
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted %s", tc.yaml)
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "u:p") {
				t.Errorf("error repeats the credentials: %v", err)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	var c Config
	if err := yaml.Unmarshal([]byte(`{name: rt, url: "http://jm"}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.BodySizeLimit != 10*units.MiB || c.MaxConcurrentRequests != 8 {
		t.Errorf("defaults not applied: %+v", c)
	}
	c.SetDirectory("/etc/pipewatch")
}
