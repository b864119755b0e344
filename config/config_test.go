package config

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/units"
	commoncfg "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/collector/kafka"
	"github.com/pipewatch/pipewatch/collector/scrape"
)

// secretMarker starts every secret value in testdata, so tests can check
// that none leaks into messages or marshalled output.
const secretMarker = "s3cret"

func d(s string) model.Duration {
	v, err := model.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return v
}

// expectedErrors returns the "# error: " lines of a bad test file.
func expectedErrors(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if msg, ok := strings.CutPrefix(sc.Text(), "# error: "); ok {
			want = append(want, msg)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		t.Fatalf("%s has no '# error: ' lines", path)
	}
	return want
}

func TestLoadBad(t *testing.T) {
	files, err := filepath.Glob("testdata/*.bad.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad test files: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want := expectedErrors(t, path)
			cfg, err := LoadFile(path)
			if err == nil {
				t.Fatalf("LoadFile succeeded, want errors:\n%s", strings.Join(want, "\n"))
			}
			if cfg != nil {
				t.Errorf("LoadFile returned a configuration with its errors")
			}
			got := strings.Split(err.Error(), "\n")
			if !slices.Equal(got, want) {
				t.Errorf("errors:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
			}
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var cerr *Error
				if !errors.As(e, &cerr) || cerr.File == "" || cerr.Line == 0 {
					t.Errorf("error %q is not an *Error with file and line", e)
				}
			}
			if strings.Contains(err.Error(), secretMarker) {
				t.Errorf("error reveals a secret:\n%s", err)
			}
		})
	}
}

func TestLoadGood(t *testing.T) {
	files, err := filepath.Glob("testdata/*.good.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no good test files: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			cfg, err := LoadFile(path)
			if err != nil {
				t.Fatalf("LoadFile: %v", err)
			}
			// The String form is the effective configuration: loading it
			// again gives the same configuration (secrets aside, which
			// come back as the literal "<secret>").
			again, err := Load([]byte(cfg.String()), "roundtrip.yml")
			if err != nil {
				t.Fatalf("load String() output: %v\n%s", err, cfg)
			}
			redact(reflect.ValueOf(cfg))
			cfg.Files, again.Files = nil, nil
			if !reflect.DeepEqual(again, cfg) {
				t.Errorf("String() does not round-trip:\n got: %s\nwant: %s", again, cfg)
			}
		})
	}
}

func TestLoadEmpty(t *testing.T) {
	for _, data := range []string{"", "# only a comment\n", "~\n", "---\n"} {
		cfg, err := Load([]byte(data), "pipewatch.yml")
		if err != nil {
			t.Fatalf("Load(%q): %v", data, err)
		}
		want := DefaultConfig
		want.Files = []string{"pipewatch.yml"}
		if !reflect.DeepEqual(*cfg, want) {
			t.Errorf("Load(%q) = %+v, want %+v", data, *cfg, want)
		}
	}
}

func TestLoadFull(t *testing.T) {
	cfg, err := LoadFile("testdata/full.good.yml")
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Global: GlobalConfig{
			CollectInterval: d("10s"),
			CollectTimeout:  d("8s"),
			ExternalLabels:  map[string]string{"region": "eu-1", "replica": "a"},
		},
		Scrape: []*scrape.Config{
			{
				Name:            "app",
				URL:             "https://app.example.com:9100/metrics",
				CollectInterval: d("15s"),
				CollectTimeout:  d("10s"),
				Labels:          map[string]string{"team": "checkout"},
				BodySizeLimit:   20 * units.MiB,
				HTTP: httpclient.Config{
					BasicAuth: &httpclient.BasicAuth{Username: "scraper", Password: "s3cret-basic-pw"},
					TLS: httpclient.TLSConfig{
						CAFile:     "testdata/certs/ca.pem",
						CertFile:   "testdata/certs/client.pem",
						KeyFile:    "testdata/certs/client-key.pem",
						ServerName: "app.internal",
					},
					Headers: map[string]commoncfg.Secret{"X-Scope-OrgID": "s3cret-header-value"},
				},
			},
			{
				Name: "es-metrics", URL: "http://es:9200/_prometheus/metrics",
				CollectInterval: d("10s"), CollectTimeout: d("8s"), BodySizeLimit: 10 * units.MiB,
				HTTP: httpclient.Config{APIKeyFile: "testdata/secrets/es-api-key"},
			},
			{
				Name: "token", URL: "http://svc:8080/metrics",
				CollectInterval: d("10s"), CollectTimeout: d("8s"), BodySizeLimit: 10 * units.MiB,
				HTTP: httpclient.Config{BearerTokenFile: "/etc/pipewatch/token"},
			},
			{
				Name: "from-b", URL: "http://b:9100/metrics",
				CollectInterval: d("10s"), CollectTimeout: d("8s"), BodySizeLimit: 10 * units.MiB,
				HTTP: httpclient.Config{TLS: httpclient.TLSConfig{CAFile: "testdata/full.d/ca.pem"}},
			},
		},
		Kafka: []*kafka.Config{
			{
				Name:             "prod",
				Brokers:          []string{"kafka-1:9092", "kafka-2:9092", "[::1]:9093"},
				ClientID:         "pipewatch-eu",
				CollectInterval:  d("1s"),
				CollectTimeout:   d("1s"), // The global 8s, capped at the interval.
				MetadataInterval: d("1m"),
				TLS: kafka.TLSConfig{Enabled: true, TLSConfig: httpclient.TLSConfig{
					CAFile:             "/etc/kafka/ca.pem",
					CertFile:           "testdata/client.pem",
					KeyFile:            "testdata/client-key.pem",
					ServerName:         "kafka.internal",
					InsecureSkipVerify: true,
				}},
				SASL: kafka.SASLConfig{Mechanism: "SCRAM-SHA-512", Username: "pipewatch", Password: "s3cret-sasl-pw"},
			},
			{
				Name:             "staging",
				Brokers:          []string{"kafka-staging:9092"},
				ClientID:         "pipewatch",
				CollectInterval:  d("10s"),
				CollectTimeout:   d("2s"),
				MetadataInterval: d("30s"),
				SASL:             kafka.SASLConfig{Mechanism: "PLAIN", Username: "pipewatch", PasswordFile: "testdata/secrets/kafka-password"},
			},
			{
				Name:             "analytics",
				Brokers:          []string{"kafka-analytics:9092"},
				ClientID:         "pipewatch",
				CollectInterval:  d("10s"),
				CollectTimeout:   d("8s"),
				MetadataInterval: d("30s"),
				TLS:              kafka.TLSConfig{Enabled: true},
			},
		},
		Modules: []*ModuleConfig{
			{
				Name:      "hotdog",
				Owner:     "team-a",
				Aliases:   []string{"hd", "hot-dog"},
				Producers: []string{"hotdog-api"},
				Topics:    []string{"hotdog.events", "hotdog.clicks"},
				Groups:    []string{"hotdog-indexer"},
				Jobs:      []string{"hotdog-enricher"},
				Sinks:     []string{"es/logs/hotdog"},
			},
			{Name: "burger", Owner: "team-b"},
			{Name: "fries"},
		},
		Files: []string{
			"testdata/full.good.yml",
			"testdata/full.d/a.yml",
			"testdata/full.d/nested/c.yml",
			"testdata/full.d/b.yml",
		},
	}
	if !reflect.DeepEqual(cfg.Global, want.Global) {
		t.Errorf("Global = %+v, want %+v", cfg.Global, want.Global)
	}
	compareList(t, "scrape", cfg.Scrape, want.Scrape)
	compareList(t, "kafka", cfg.Kafka, want.Kafka)
	compareList(t, "modules", cfg.Modules, want.Modules)
	if cfg.Include != nil {
		t.Errorf("Include = %q, want it emptied after loading", cfg.Include)
	}
	if !slices.Equal(cfg.Files, want.Files) {
		t.Errorf("Files = %q, want %q", cfg.Files, want.Files)
	}
}

// redact replaces every non-empty secret reachable from v by "<secret>",
// as marshalling does.
func redact(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			redact(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				redact(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			redact(v.Index(i))
		}
	case reflect.Map:
		if v.Type().Elem() == reflect.TypeFor[commoncfg.Secret]() {
			for _, k := range v.MapKeys() {
				v.SetMapIndex(k, reflect.ValueOf(commoncfg.Secret("<secret>")))
			}
			return
		}
		for _, k := range v.MapKeys() {
			redact(v.MapIndex(k))
		}
	case reflect.String:
		if v.Type() == reflect.TypeFor[commoncfg.Secret]() && v.Len() > 0 && v.CanSet() {
			v.SetString("<secret>")
		}
	}
}

func compareList[T any](t *testing.T, name string, got, want []*T) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s has %d entries, want %d", name, len(got), len(want))
		return
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("%s[%d] =\n%+v\nwant\n%+v", name, i, *got[i], *want[i])
		}
	}
}

func TestErrorFormat(t *testing.T) {
	data := []byte(`global:
  collect_interval: 5s
kafka:
  - name: prod
    brokers: ["k:9092"]
    collect_interval: 500ms
`)
	_, err := Load(data, "pipewatch.yml")
	const want = "pipewatch.yml:6: kafka[0].collect_interval: must be at least 1s"
	if err == nil || err.Error() != want {
		t.Fatalf("Load error = %v, want %s", err, want)
	}
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("error %T is not an *Error", err)
	}
	if cerr.File != "pipewatch.yml" || cerr.Line != 6 || cerr.Field != "kafka[0].collect_interval" {
		t.Errorf("Error = {File: %q, Line: %d, Field: %q}", cerr.File, cerr.Line, cerr.Field)
	}
}

// TestStrictInsideUnmarshalers shows why the package checks keys itself:
// yaml.v3's KnownFields does not reach into custom UnmarshalYAML methods,
// which every component configuration has.
func TestStrictInsideUnmarshalers(t *testing.T) {
	data := []byte("kafka:\n  - name: prod\n    brokers: [k:9092]\n    brokerz: [x]\n")

	var plain struct {
		Kafka []*kafka.Config `yaml:"kafka"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&plain); err != nil {
		t.Logf("yaml.v3 now rejects unknown keys inside custom unmarshalers (%v); the schema check is still correct", err)
	}

	_, err := Load(data, "pipewatch.yml")
	const want = "pipewatch.yml:4: kafka[0].brokerz: unknown field"
	if err == nil || err.Error() != want {
		t.Fatalf("Load error = %v, want %s", err, want)
	}
}

func TestSecretsNotRevealed(t *testing.T) {
	cfg, err := LoadFile("testdata/full.good.yml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{"String": cfg.String(), "yaml.Marshal": string(out)} {
		if strings.Contains(s, secretMarker) {
			t.Errorf("%s reveals a secret:\n%s", name, s)
		}
		if strings.Count(s, "<secret>") != 3 {
			t.Errorf("%s has %d redacted secrets, want 3:\n%s", name, strings.Count(s, "<secret>"), s)
		}
	}

	// Secrets in the wrong shape or next to other mistakes stay hidden.
	for _, data := range []string{
		"kafka:\n  - name: a\n    brokers: [k:9092]\n    sasl: {mechanism: PLAIN, username: u, password: [s3cret-pw]}\n",
		"kafka:\n  - name: a\n    brokers: [k:9092]\n    sasl: {mechanism: NOPE, password: s3cret-pw, password_file: f}\n",
		"scrape:\n  - name: a\n    url: http://u:s3cret-pw@h/x\n    basic_auth: {password: s3cret-pw}\n    headers: {X-Token: {v: s3cret-pw}}\n",
		"scrape:\n  - name: a\n    url: ftp://u:s3cret-pw@h/x\n",
	} {
		_, err := Load([]byte(data), "pipewatch.yml")
		if err == nil {
			t.Fatalf("Load(%q) succeeded", data)
		}
		if strings.Contains(err.Error(), secretMarker) {
			t.Errorf("error reveals a secret:\n%s", err)
		}
	}
}

func TestInheritGlobal(t *testing.T) {
	tests := []struct {
		name                  string
		data                  string
		interval, timeout     string // of kafka[0]
		globalInt, globalTout string
	}{
		{"defaults", "kafka: [{name: a, brokers: [k:1]}]", "5s", "4s", "5s", "4s"},
		{"short target interval caps inherited timeout", "kafka: [{name: a, brokers: [k:1], collect_interval: 2s}]", "2s", "2s", "5s", "4s"},
		{"global timeout follows a short global interval", "global: {collect_interval: 2s}\nkafka: [{name: a, brokers: [k:1]}]", "2s", "2s", "2s", "2s"},
		{"explicit target values win", "global: {collect_interval: 1m, collect_timeout: 30s}\nkafka: [{name: a, brokers: [k:1], collect_interval: 10s, collect_timeout: 3s}]", "10s", "3s", "1m", "30s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load([]byte(tt.data), "pipewatch.yml")
			if err != nil {
				t.Fatal(err)
			}
			k := cfg.Kafka[0]
			if k.CollectInterval != d(tt.interval) || k.CollectTimeout != d(tt.timeout) {
				t.Errorf("kafka[0] interval/timeout = %s/%s, want %s/%s", k.CollectInterval, k.CollectTimeout, tt.interval, tt.timeout)
			}
			if g := cfg.Global; g.CollectInterval != d(tt.globalInt) || g.CollectTimeout != d(tt.globalTout) {
				t.Errorf("global interval/timeout = %s/%s, want %s/%s", g.CollectInterval, g.CollectTimeout, tt.globalInt, tt.globalTout)
			}
		})
	}
}

func TestLoadFileMissing(t *testing.T) {
	_, err := LoadFile("testdata/does-not-exist.yml")
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("LoadFile error = %v, want one wrapping os.ErrNotExist", err)
	}
}

func TestIncludeAbsolutePattern(t *testing.T) {
	dir := t.TempDir()
	inc := filepath.Join(dir, "extra.yml")
	if err := os.WriteFile(inc, []byte("kafka:\n  - name: b\n    brokers: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load([]byte("include: ["+inc+"]\n"), "pipewatch.yml")
	want := inc + ":3: kafka[0].brokers: must not be empty"
	if err == nil || err.Error() != want {
		t.Fatalf("Load error = %v, want %s", err, want)
	}
}

func TestDefaultsAreNotShared(t *testing.T) {
	a, err := Load([]byte("global: {external_labels: {a: b}}"), "a.yml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(nil, "b.yml")
	if err != nil {
		t.Fatal(err)
	}
	if a.Global.ExternalLabels["a"] != "b" {
		t.Errorf("external labels = %v, want a=b", a.Global.ExternalLabels)
	}
	if b.Global.ExternalLabels != nil || DefaultGlobalConfig.ExternalLabels != nil {
		t.Errorf("external labels of one load leaked into another: %v", b.Global.ExternalLabels)
	}
	if DefaultGlobalConfig.CollectInterval != model.Duration(5*time.Second) {
		t.Errorf("DefaultGlobalConfig changed: %+v", DefaultGlobalConfig)
	}
}
