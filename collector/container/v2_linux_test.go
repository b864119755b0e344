//go:build linux

package container

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"

	"github.com/opencontainers/cgroups"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"golang.org/x/sys/unix"

	"github.com/pipewatch/pipewatch/collector/container/cgrouptest"
)

// childEnv marks the child process TestCgroupV2 starts.
const childEnv = "PIPEWATCH_CGROUP2_CHILD"

// TestCgroupV2 runs the cgroup v2 checks. cAdvisor reads cgroup files in
// the mode of the host (it asks whether /sys/fs/cgroup is a cgroup2 file
// system), so on a cgroup v1 host the v2 checks run in a child process
// that has its own mount namespace with the kernel's cgroup2 file system
// mounted on /sys/fs/cgroup: a real v2 host as far as the process can
// tell, without changing anything outside it. That needs root; without it
// the test is skipped.
func TestCgroupV2(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("running as the child")
	}
	if cgroups.IsCgroup2UnifiedMode() {
		checkV2(t)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("this host runs cgroup v1 and mounting cgroup2 in a private mount namespace needs root")
	}
	args := []string{"-test.run=^TestCgroupV2Child$", "-test.v"}
	if *update {
		args = append(args, "-update")
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	out, err := cmd.CombinedOutput()
	if strings.Contains(string(out), "--- SKIP: TestCgroupV2Child") {
		t.Skipf("child skipped:\n%s", out)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS: TestCgroupV2Child") {
		t.Fatalf("child failed (%v):\n%s", err, out)
	}
	t.Logf("child:\n%s", out)
}

// TestCgroupV2Child is TestCgroupV2's child process.
func TestCgroupV2Child(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("started by TestCgroupV2 only")
	}
	if err := unix.Mount("none", "/sys/fs/cgroup", "cgroup2", 0, ""); err != nil {
		t.Skipf("cannot mount cgroup2 on /sys/fs/cgroup in a private mount namespace: %v", err)
	}
	if !cgroups.IsCgroup2UnifiedMode() {
		t.Fatal("/sys/fs/cgroup is not seen as cgroup2 after mounting it")
	}
	checkV2(t)
}

// checkV2 runs on a cgroup v2 host (real or namespaced).
func checkV2(t *testing.T) {
	dir := t.TempDir()
	if _, err := cgrouptest.Write(dir, cgrouptest.Options{Version: cgrouptest.V2, Leaves: 3}); err != nil {
		t.Fatal(err)
	}
	cfg := func() *Config {
		cfg := testConfig(dir)
		cfg.HostRootfs = "testdata/sandbox-v1/rootfs"
		return cfg
	}
	t.Run("synthetic golden", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := startTest(t, cfg(), Options{})
			b, err := collect(t, c)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "synthetic-v2.golden", render(b))
		})
	})
	t.Run("lean reader matches cAdvisor's", func(t *testing.T) {
		assertSameSeries(t, cfg())
	})
	t.Run("lean spec matches cAdvisor's", checkSpecV2)
	t.Run("emitter matches cAdvisor's collector", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			cfg := cfg()
			c, err := newCollector(cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			hk, err := newHousekeeper(cfg, c, testHost())
			if err != nil {
				t.Fatal(err)
			}
			s := hk.round(context.Background())
			if s.fatal != nil || s.err != nil {
				t.Fatal(s.fatal, s.err)
			}
			assertLikeCadvisor(t, s, c.kinds)
		})
	})
	t.Run("real cgroup2 hierarchy", func(t *testing.T) {
		cfg := testConfig("")
		c, err := New(cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		b, err := collect(t, c)
		if err != nil {
			t.Fatal(err)
		}
		var cpu float64
		b.Each(func(l labels.Labels, _ int64, v float64) {
			if l.Get(model.MetricNameLabel) == "container_cpu_usage_seconds_total" && l.Get("id") == "/" {
				cpu = v
			}
		})
		if cpu <= 0 {
			t.Fatalf("no CPU usage for the root cgroup in:\n%s", render(b))
		}
	})
}
