//go:build linux

package container

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/cadvisor/lib/container/common"

	"github.com/pipewatch/pipewatch/collector/container/cgrouptest"
)

// assertSameSpecs compares leanSpec with cAdvisor's GetSpec for every
// cgroup but the root of the hierarchies below root ("" for the host's).
func assertSameSpecs(t *testing.T, root string) {
	t.Helper()
	tr, err := findTree(root, parseKinds(supportedMetrics))
	if err != nil {
		t.Fatal(err)
	}
	var l lister
	names, err := l.list(tr.mounts)
	if err != nil {
		t.Fatal(err)
	}
	host := testHost()
	var r fileReader
	n := 0
	for name := range names {
		paths := common.MakeCgroupPaths(tr.mounts, name)
		want, err := common.GetSpec(paths, host, false, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := leanSpec(&r, paths, tr.v2, host.machine); !reflect.DeepEqual(got, want) {
			t.Errorf("cgroup %s: lean spec\n%+v\ncAdvisor's\n%+v", name, got, want)
		}
		n++
	}
	if n == 0 && root != "" {
		t.Fatal("no cgroup compared")
	}
}

// damageSpecFiles writes unusual values into spec files of the synthetic
// tree in dir, keyed by path below dir ("" removes the file).
func damageSpecFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		p = filepath.Join(dir, p)
		var err error
		if content == "" {
			err = os.Remove(p)
		} else {
			err = os.WriteFile(p, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestLeanSpecMatchesCadvisorV1(t *testing.T) {
	t.Run("synthetic", func(t *testing.T) {
		dir := syntheticV1(t, cgrouptest.Options{Leaves: 6})
		damageSpecFiles(t, dir, map[string]string{
			"cpu/pipewatch/ctr-0000/cpu.cfs_quota_us":               "twelve\n",
			"cpu/pipewatch/ctr-0001/cpu.shares":                     "max\n",
			"cpu/pipewatch/ctr-0002/cpu.cfs_period_us":              "",
			"memory/pipewatch/ctr-0003/memory.memsw.limit_in_bytes": "",
			"memory/pipewatch/ctr-0004/memory.soft_limit_in_bytes":  "-1\n",
			"memory/pipewatch/ctr-0005/memory.limit_in_bytes":       " 4096 \n",
		})
		// A cgroup in one hierarchy only.
		if err := os.MkdirAll(filepath.Join(dir, "memory/only-memory"), 0o755); err != nil {
			t.Fatal(err)
		}
		assertSameSpecs(t, dir)
	})
	t.Run("host", func(t *testing.T) {
		skipUnlessV1Host(t)
		assertSameSpecs(t, "")
	})
}

// checkSpecV2 is TestCgroupV2's comparison of the spec readers.
func checkSpecV2(t *testing.T) {
	dir := t.TempDir()
	if _, err := cgrouptest.Write(dir, cgrouptest.Options{Version: cgrouptest.V2, Leaves: 6}); err != nil {
		t.Fatal(err)
	}
	damageSpecFiles(t, dir, map[string]string{
		"pipewatch/ctr-0000/cpu.max":               "max 100000\n",
		"pipewatch/ctr-0001/cpu.weight":            "0\n",
		"pipewatch/ctr-0002/cpu.max":               "50000\n",
		"pipewatch/ctr-0003/memory.swap.max":       "",
		"pipewatch/ctr-0004/cpu.weight":            "10000\n",
		"pipewatch/ctr-0005/cpuset.cpus.effective": "0-1\n",
	})
	assertSameSpecs(t, dir)
	assertSameSpecs(t, "")
}
