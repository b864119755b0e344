//go:build linux

package container

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/cadvisor/lib/container"
	"github.com/google/cadvisor/lib/container/common"

	"github.com/pipewatch/pipewatch/collector/container/cgrouptest"
)

// TestListerMatchesCadvisor compares the lister with cAdvisor's
// ListContainers on synthetic v1 and v2 trees (with a file and a symbolic
// link to a directory, which are not cgroups, and a hierarchy that does
// not exist) and on this host's hierarchies.
func TestListerMatchesCadvisor(t *testing.T) {
	synthetic := func(v cgrouptest.Version) map[string]string {
		dir := t.TempDir()
		if _, err := cgrouptest.Write(dir, cgrouptest.Options{Version: v, Leaves: 5, DockerIDs: []string{strings.Repeat("ab", 32)}}); err != nil {
			t.Fatal(err)
		}
		mounts := map[string]string{"": dir, "missing": filepath.Join(dir, "missing")}
		if v == cgrouptest.V1 {
			mounts = map[string]string{"missing": filepath.Join(dir, "missing")}
			for _, c := range []string{"cpu", "cpuacct", "memory", "blkio", "devices"} {
				mounts[c] = filepath.Join(dir, c)
			}
			// A cgroup in one hierarchy only.
			if err := os.MkdirAll(filepath.Join(dir, "memory/only-memory/child"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Symlink(t.TempDir(), filepath.Join(dir, "link")); err != nil {
			t.Fatal(err)
		}
		return mounts
	}
	for _, tc := range []struct {
		name   string
		mounts func(t *testing.T) map[string]string
	}{
		{"synthetic v1", func(*testing.T) map[string]string { return synthetic(cgrouptest.V1) }},
		{"synthetic v2", func(*testing.T) map[string]string { return synthetic(cgrouptest.V2) }},
		{"host", func(t *testing.T) map[string]string {
			tr, err := findTree("", parseKinds(supportedMetrics))
			if err != nil {
				t.Skipf("no cgroup hierarchy: %v", err)
			}
			return tr.mounts
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mounts := tc.mounts(t)
			refs, err := common.ListContainers("/", mounts, container.ListRecursive)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, r := range refs {
				want = append(want, r.Name)
			}
			slices.Sort(want)
			var l lister
			found, err := l.list(mounts)
			if err != nil {
				t.Fatal(err)
			}
			got := slices.Sorted(maps.Keys(found))
			if !slices.Equal(got, want) {
				t.Fatalf("lister found\n%q\ncAdvisor\n%q", got, want)
			}
			if len(want) == 0 && tc.name != "host" {
				t.Fatal("nothing listed")
			}
		})
	}
}
