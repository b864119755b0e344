//go:build linux

package container

import (
	"os"
	"testing"

	"github.com/opencontainers/cgroups"
)

// TestMain lets the cgroup reader open files outside cgroupfs. The
// reader (github.com/opencontainers/cgroups, used by cAdvisor) refuses any
// file whose file system is not cgroupfs, as a safety check; TestMode is
// its switch for tests, and the only way to read the synthetic trees and
// captured files in testdata. Production code never sets it, so a
// configured cgroup_root must be a mounted cgroup file system.
func TestMain(m *testing.M) {
	cgroups.TestMode = true
	os.Exit(m.Run())
}

// cgroupsTestMode sets the cgroup reader's test switch for one test.
func cgroupsTestMode(t *testing.T, on bool) {
	t.Helper()
	old := cgroups.TestMode
	cgroups.TestMode = on
	t.Cleanup(func() { cgroups.TestMode = old })
}

func isV2Host() bool { return cgroups.IsCgroup2UnifiedMode() }
