package alert

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/config/configerr"
)

func TestGoodConfig(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "alerting.good.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c Config
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("decode: %v", err)
	}
	c.SetDirectory("/etc/pipewatch")
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	conf, err := compileConfig(&c)
	if err != nil {
		t.Fatal(err)
	}
	// Globals reach the receivers.
	if e := c.Receivers[0].EmailConfigs[0]; e.From != "pipewatch@example.org" || e.Smarthost != "smtp.example.org:587" || e.AuthPassword != "s3cret" || e.RequireTLS == nil || !*e.RequireTLS {
		t.Errorf("email globals not applied: %+v", e)
	}
	if s := c.Receivers[2].SlackConfigs[0]; s.APIURL == "" {
		t.Error("slack_api_url not applied")
	}
	if c.Templates[0] != "/etc/pipewatch/templates/*.tmpl" {
		t.Errorf("templates = %v", c.Templates)
	}
	// Inheritance and keys.
	chat := conf.root.routes[1]
	if chat.fastPath || !chat.groupByAll || chat.groupInterval != time.Minute || chat.receiver != "chat" {
		t.Errorf("chat route = %+v", chat)
	}
	if conf.root.key != "{}" || conf.root.routes[0].key != `{}/{severity="page"}` {
		t.Errorf("route keys %q %q", conf.root.key, conf.root.routes[0].key)
	}
	// The secrets are hidden when the configuration is printed.
	out, err := yaml.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"s3cret", "SECxyz", "access_token=abc", "0123456789abcdef0123456789abcdef"} {
		if strings.Contains(string(out), secret) {
			t.Errorf("printed configuration reveals %q", secret)
		}
	}
}

func TestRouting(t *testing.T) {
	c := parseConfig(t, `
route:
  receiver: default
  routes:
  - {matchers: [team="a"], receiver: a, continue: true}
  - {matchers: [team="a", severity="page"], receiver: pager}
  - {matchers: [team="a"], receiver: a2}
receivers: [{name: default}, {name: a}, {name: pager}, {name: a2}]
`)
	conf, err := compileConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		labels map[string]string
		want   string
	}{
		{map[string]string{"team": "b"}, "default"},
		{map[string]string{"team": "a"}, "a,a2"},
		{map[string]string{"team": "a", "severity": "page"}, "a,pager"},
	}
	for _, tt := range tests {
		var got []string
		for _, r := range conf.root.match(toLabelSet(labelsFromMap(tt.labels))) {
			got = append(got, r.receiver)
		}
		if strings.Join(got, ",") != tt.want {
			t.Errorf("%v routes to %v, want %s", tt.labels, got, tt.want)
		}
	}
}

func TestBadConfig(t *testing.T) {
	base := "receivers: [{name: r, webhook_configs: [{url: 'http://h/'}]}]\n"
	tests := []struct {
		name, text string
		want       []string // field|message
	}{
		{"no route", base, []string{"route|must be set"}},
		{"root without receiver", base + "route: {group_by: [job]}\n", []string{"route.receiver|must be set on the root route"}},
		{"root with matchers", base + "route: {receiver: r, matchers: ['a=b']}\n", []string{"route.matchers|must not be set on the root route: it matches every alert"}},
		{"unknown receiver", base + "route: {receiver: r, routes: [{receiver: nope}]}\n", []string{`route.routes[0].receiver|unknown receiver "nope"`}},
		{"bad matcher", base + "route: {receiver: r, routes: [{matchers: ['a=~\"(\"']}]}\n", []string{"route.routes[0].matchers[0]|parse matcher: "}},
		{"bad group_by", base + "route: {receiver: r, group_by: ['', '...']}\n", []string{`route.group_by[0]|"" is not a valid label name`, `route.group_by[1]|"..." must be the only entry`}},
		{"zero group_interval", base + "route: {receiver: r, group_interval: 0s}\n", []string{"route.group_interval|must be greater than 0s"}},
		{"unknown time interval", base + "route: {receiver: r, routes: [{mute_time_intervals: [x]}]}\n", []string{`route.routes[0].mute_time_intervals[0]|unknown time interval "x"`}},
		{"bad time interval", base + "route: {receiver: r}\ntime_intervals: [{name: t, time_intervals: [{weekdays: [funday]}]}]\n", []string{"time_intervals[0].time_intervals[0]|"}},
		{"duplicate receiver", "route: {receiver: r}\nreceivers: [{name: r}, {name: r}]\n", []string{`receivers[1].name|duplicate name "r" (first used at receivers[0].name)`}},
		{"bad fallback", "route: {receiver: r}\nreceivers: [{name: r, fallback: r}, {name: s, fallback: x}]\n", []string{"receivers[0].fallback|must name another receiver", `receivers[1].fallback|unknown receiver "x"`}},
		{"webhook without url", "route: {receiver: r}\nreceivers: [{name: r, webhook_configs: [{max_alerts: 1}]}]\n", []string{"receivers[0].webhook_configs[0].url|must be set (or url_file)"}},
		{"slack without url", "route: {receiver: r}\nreceivers: [{name: r, slack_configs: [{channel: x}]}]\n", []string{"receivers[0].slack_configs[0].api_url|must be set (or api_url_file)"}},
		{"email without smarthost", "route: {receiver: r}\nreceivers: [{name: r, email_configs: [{to: a@b.c, from: x@y.z}]}]\n", []string{"receivers[0].email_configs[0].smarthost|must be set (or global.smtp_smarthost)"}},
		{"dingtalk type", "route: {receiver: r}\nreceivers: [{name: r, dingtalk_configs: [{url: 'http://d/', message_type: card}]}]\n", []string{`receivers[0].dingtalk_configs[0].message_type|"card" must be markdown or text`}},
		{"delivery", base + "route: {receiver: r}\nglobal: {delivery: {min_backoff: 1m, max_backoff: 1s}}\n", []string{"global.delivery.max_backoff|must not be less than min_backoff (1m)"}},
		{"inhibit equal", base + "route: {receiver: r}\ninhibit_rules: [{source_matchers: [a=b], equal: ['']}]\n", []string{`inhibit_rules[0].equal[0]|"" is not a valid label name`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := parseConfig(t, tt.text).Validate()
			if err == nil {
				t.Fatal("Validate accepted the configuration")
			}
			var got []string
			for _, fe := range configerr.Split(err) {
				got = append(got, fe.Field+"|"+fe.Err.Error())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("errors %q, want %q", got, tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("error %q, want prefix %q", got[i], tt.want[i])
				}
			}
		})
	}
}
