package configerr

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

func TestField(t *testing.T) {
	base := errors.New("must be set")
	tests := []struct {
		name string
		err  error
		want []string // "path|message" per problem
	}{
		{"nil stays nil", Field("a", nil), nil},
		{"plain error", Field("name", base), []string{"name|must be set"}},
		{"nested", Field("kafka", Index(2, Field("sasl", Field("password", base)))), []string{"kafka[2].sasl.password|must be set"}},
		{"joined errors keep their own paths", Field("tls", errors.Join(Field("cert_file", base), nil, Fieldf("key_file", "bad %d", 1))),
			[]string{"tls.cert_file|must be set", "tls.key_file|bad 1"}},
		{"map keys", Field("headers", errors.Join(Key("X-Token", base), Key("plain_key", base))),
			[]string{`headers["X-Token"]|must be set`, "headers.plain_key|must be set"}},
		{"multi-%w errors are one problem", Field("url", fmt.Errorf("parse %w and %w", base, base)),
			[]string{"url|parse must be set and must be set"}},
		{"empty field adds no element", Field("", Field("name", base)), []string{"name|must be set"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, fe := range Split(tt.err) {
				got = append(got, fe.Field+"|"+fe.Err.Error())
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Split = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFieldErrorUnwraps(t *testing.T) {
	base := errors.New("boom")
	err := Field("a", Field("b", base))
	if !errors.Is(err, base) {
		t.Errorf("errors.Is(%v, base) = false", err)
	}
	if got := err.Error(); got != "a.b: boom" {
		t.Errorf("Error() = %q", got)
	}
}

func TestCheckSchedule(t *testing.T) {
	s := func(d time.Duration) model.Duration { return model.Duration(d) }
	tests := []struct {
		interval, timeout time.Duration
		want              string
	}{
		{time.Second, time.Second, ""},
		{5 * time.Second, 4 * time.Second, ""},
		{999 * time.Millisecond, 500 * time.Millisecond, "collect_interval: must be at least 1s"},
		{5 * time.Second, 0, "collect_timeout: must be greater than 0s"},
		{5 * time.Second, 6 * time.Second, "collect_timeout: must not be greater than collect_interval (5s)"},
	}
	for _, tt := range tests {
		err := CheckSchedule(s(tt.interval), s(tt.timeout))
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("CheckSchedule(%s, %s) = %q, want %q", tt.interval, tt.timeout, got, tt.want)
		}
	}
}

func TestCheckNameAndLabels(t *testing.T) {
	for name, want := range map[string]string{
		"prod":       "",
		"a.b_c-1":    "",
		"":           "name: must be set",
		"-x":         `name: "-x" must match ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`,
		"with space": `name: "with space" must match ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`,
	} {
		got := ""
		if err := CheckName(name); err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("CheckName(%q) = %q, want %q", name, got, want)
		}
	}
	err := CheckLabels(map[string]string{"ok": "1", "__x": "2", "a-b": "3"})
	want := "__x: label names starting with \"__\" are reserved\n[\"a-b\"]: \"a-b\" is not a valid label name"
	if err == nil || err.Error() != want {
		t.Errorf("CheckLabels = %v, want %s", err, want)
	}
}

func TestCheckURL(t *testing.T) {
	for _, tc := range []struct {
		name     string
		url      string
		want     string // CheckURL's message; "" for valid
		wantBase string // CheckBaseURL's message
	}{
		{"plain", "http://host:8080", "", ""},
		{"path prefix", "https://gw/flink/", "", ""},
		{"empty", "", "must be set", "must be set"},
		{"credentials", "http://u:s3cret@host", "must not contain credentials: use basic_auth", "must not contain credentials: use basic_auth"},
		{"scheme", "ftp://host", `scheme "ftp" must be http or https`, `scheme "ftp" must be http or https`},
		{"no scheme", "host:80/x", `scheme "host" must be http or https`, `scheme "host" must be http or https`},
		{"no host", "http:///metrics", "must have a host", "must have a host"},
		{"unparsable", "http://a b/", `parse URL: invalid character " " in host name`, `parse URL: invalid character " " in host name`},
		{"query", "http://host/metrics?x=1", "", "must not have a query or fragment: it is a base address"},
		{"fragment", "http://host/#top", "", "must not have a query or fragment: it is a base address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range []struct {
				check func(string) error
				want  string
			}{{CheckURL, tc.want}, {CheckBaseURL, tc.wantBase}} {
				got := ""
				if err := c.check(tc.url); err != nil {
					got = err.Error()
				}
				if got != c.want {
					t.Errorf("check(%q) = %q, want %q", tc.url, got, c.want)
				}
				if strings.Contains(got, "s3cret") {
					t.Errorf("error repeats the credentials: %s", got)
				}
			}
		})
	}
}
