package container

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// load decodes a section, fills in the global schedule (5s/4s) when unset
// and validates it. (Unknown keys are package config's to report: yaml.v3's
// KnownFields does not reach into UnmarshalYAML methods.)
func load(t *testing.T, path string) (*Config, error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	if c.CollectInterval == 0 {
		c.CollectInterval = model.Duration(5 * time.Second)
	}
	if c.CollectTimeout == 0 {
		c.CollectTimeout = model.Duration(4 * time.Second)
	}
	return &c, c.Validate()
}

func TestConfigFiles(t *testing.T) {
	bad := map[string][]string{
		"metrics.bad.yml":            {`metrics[1]: unknown metric kind "gpu"`, `metrics[2]: metric kind "cpu" is listed twice`},
		"intervals.bad.yml":          {"housekeeping_interval: must not be greater than collect_interval (5s)", "discovery_interval: must be greater than 0s"},
		"short_housekeeping.bad.yml": {"housekeeping_interval: must be at least 100ms"},
		"prefixes.bad.yml":           {`cgroup_prefixes[0]: "docker" must start with "/"`, "max_containers: must be greater than 0", "max_open_files: must not be negative"},
		"empty_lists.bad.yml":        {"metrics: must list at least one metric kind", "cgroup_prefixes: must list at least one prefix"},
		"paths.bad.yml":              {"host_rootfs: must be set", "containerd_namespace: must be set when containerd_socket is"},
	}
	files, err := filepath.Glob("testdata/config/*.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			_, err := load(t, path)
			if strings.HasSuffix(name, ".good.yml") {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			want, ok := bad[name]
			if !ok {
				t.Fatalf("no expected errors listed for %s", name)
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	c, err := load(t, "testdata/config/minimal.good.yml")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Metrics, []string{"cpu", "memory", "diskIO", "network", "disk"}) || !slices.Equal(c.CgroupPrefixes, []string{""}) ||
		c.MaxContainers != 5000 || c.MaxOpenFiles != 32768 || c.HostRootfs != "/" || !c.StoreContainerLabels || c.DockerOnly ||
		c.DockerSocket != "/var/run/docker.sock" || c.ContainerdNamespace != "k8s.io" {
		t.Errorf("defaults = %+v", c)
	}
	if got := c.housekeepingInterval(); got != c.CollectInterval {
		t.Errorf("housekeeping interval %s, want the collect interval", got)
	}
	// Decoding must not share the defaults' slices.
	c.Metrics[0] = "changed"
	if DefaultConfig.Metrics[0] != "cpu" {
		t.Fatal("decoding shared DefaultConfig.Metrics")
	}
	full, err := load(t, "testdata/config/full.good.yml")
	if err != nil {
		t.Fatal(err)
	}
	if full.housekeepingInterval() != model.Duration(5*time.Second) || full.StoreContainerLabels || full.ContainerdSocket != "" || full.MaxOpenFiles != 10000 {
		t.Errorf("full = %+v", full)
	}
}

func TestConfigSetDirectory(t *testing.T) {
	c := Config{CgroupRoot: "cgroup", HostRootfs: "/", DockerSocket: "run/docker.sock"}
	c.SetDirectory("/etc/pipewatch")
	if c.CgroupRoot != "/etc/pipewatch/cgroup" || c.HostRootfs != "/" || c.DockerSocket != "/etc/pipewatch/run/docker.sock" || c.ContainerdSocket != "" {
		t.Errorf("after SetDirectory: %+v", c)
	}
}
