package httpclient

import (
	"bytes"
	"strings"
	"testing"

	"github.com/alecthomas/units"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/config/configerr"
)

// component is a configuration that embeds TargetConfig as the collector
// packages do.
type component struct {
	TargetConfig `yaml:",inline"`
	Extra        int `yaml:"extra,omitempty"`
}

func (c *component) UnmarshalYAML(value *yaml.Node) error {
	*c = component{TargetConfig: DefaultTargetConfig, Extra: 3}
	type plain component
	return value.Decode((*plain)(c))
}

func TestTargetConfigInline(t *testing.T) {
	in := `
name: rt
url: https://gw/flink/
collect_interval: 15s
labels: {team: a}
body_size_limit: 1MiB
basic_auth: {username: u, password_file: pw}
extra: 5
`
	dec := yaml.NewDecoder(strings.NewReader(in))
	dec.KnownFields(true)
	var c component
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	c.SetDirectory("/etc/pipewatch")
	if c.Name != "rt" || c.URL != "https://gw/flink/" || c.CollectInterval != model.Duration(15e9) ||
		c.Labels["team"] != "a" || c.BodySizeLimit != units.MiB || c.Extra != 5 ||
		c.HTTP.BasicAuth == nil || c.HTTP.BasicAuth.PasswordFile != "/etc/pipewatch/pw" {
		t.Errorf("decoded %+v", c)
	}

	var defaults component
	if err := yaml.Unmarshal([]byte(`{name: x, url: "http://h"}`), &defaults); err != nil {
		t.Fatal(err)
	}
	if defaults.BodySizeLimit != DefaultBodySizeLimit || defaults.Extra != 3 {
		t.Errorf("defaults not applied: %+v", defaults)
	}

	var out bytes.Buffer
	if err := yaml.NewEncoder(&out).Encode(&c); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"\nurl:", "\nbasic_auth:", "\nextra: 5"} {
		if !strings.Contains("\n"+out.String(), key) {
			t.Errorf("marshalled configuration has no top-level %q:\n%s", key, out.String())
		}
	}
}

func TestTargetConfigValidate(t *testing.T) {
	valid := TargetConfig{
		Name: "rt", URL: "http://jm:8081", BodySizeLimit: units.MiB,
		CollectInterval: model.Duration(5e9), CollectTimeout: model.Duration(4e9),
	}
	for _, tc := range []struct {
		name     string
		edit     func(*TargetConfig)
		checkURL func(string) error
		want     []string // path|message per problem
	}{
		{"valid", func(*TargetConfig) {}, nil, nil},
		{"everything wrong", func(c *TargetConfig) {
			*c = TargetConfig{URL: "ftp://x", Labels: map[string]string{"__a": "b"}, HTTP: Config{BearerTokenFile: "t", APIKeyFile: "k"}}
		}, nil, []string{
			"name|must be set",
			`url|scheme "ftp" must be http or https`,
			"collect_interval|must be at least 1s",
			`labels.__a|label names starting with "__" are reserved`,
			"api_key_file|must not be set together with bearer_token_file: use one authentication method",
			"body_size_limit|must be greater than 0",
		}},
		{"query in a base address", func(c *TargetConfig) { c.URL = "http://jm/?x=1" }, nil,
			[]string{"url|must not have a query or fragment: it is a base address"}},
		{"query in an endpoint", func(c *TargetConfig) { c.URL = "http://app:8778/jolokia?x=1" }, configerr.CheckURL, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := valid
			tc.edit(&c)
			var err error
			if tc.checkURL == nil {
				err = c.Validate()
			} else {
				err = c.ValidateWith(tc.checkURL)
			}
			var got []string
			for _, fe := range configerr.Split(err) {
				got = append(got, fe.Field+"|"+fe.Err.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("Validate =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
