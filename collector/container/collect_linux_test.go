//go:build linux

package container

import (
	"testing"
	"testing/synctest"

	"github.com/opencontainers/cgroups"

	"github.com/pipewatch/pipewatch/collector/container/cgrouptest"
)

func skipUnlessV1Host(t *testing.T) {
	t.Helper()
	if cgroups.IsCgroup2UnifiedMode() {
		t.Skip("this host runs cgroup v2; cgroup v1 files are read in the host's mode (the v2 variant is TestCgroupV2)")
	}
}

// TestCollectSandboxV1Golden reads the real cgroup v1 files captured on the
// sandbox (testdata/sandbox-v1) and compares every series with the golden
// file.
func TestCollectSandboxV1Golden(t *testing.T) {
	skipUnlessV1Host(t)
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig("testdata/sandbox-v1/cgroup")
		cfg.HostRootfs = "testdata/sandbox-v1/rootfs"
		c := startTest(t, cfg, Options{})
		b, err := collect(t, c)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "sandbox-v1.golden", render(b))
	})
}

// TestCollectSyntheticV1Golden reads a synthetic cgroup v1 tree with block
// IO, CPU quotas and memory limits, which the sandbox lacks.
func TestCollectSyntheticV1Golden(t *testing.T) {
	skipUnlessV1Host(t)
	dir := t.TempDir()
	if _, err := cgrouptest.Write(dir, cgrouptest.Options{Version: cgrouptest.V1, Leaves: 3}); err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig(dir)
		cfg.HostRootfs = "testdata/sandbox-v1/rootfs"
		c := startTest(t, cfg, Options{})
		b, err := collect(t, c)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "synthetic-v1.golden", render(b))
	})
}
