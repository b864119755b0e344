//go:build linux

package container

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	info "github.com/google/cadvisor/info/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"golang.org/x/sys/unix"

	"github.com/pipewatch/pipewatch/collector"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testHost is a fixed machine description, so that device names, the root
// cgroup's limits and cadvisor_version_info do not depend on the machine
// the tests run on.
func testHost() *hostInfo {
	return &hostInfo{
		machine: &info.MachineInfo{
			Timestamp:        time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC),
			MachineID:        "machine-id-test",
			SystemUUID:       "system-uuid-test",
			BootID:           "boot-id-test",
			NumCores:         2,
			NumPhysicalCores: 1,
			NumSockets:       1,
			MemoryCapacity:   8 << 30,
			SwapCapacity:     1 << 30,
			MemoryByType: map[string]*info.MemoryInfo{
				"Unbuffered-DDR4":  {Capacity: 4 << 30, DimmCount: 1},
				"Non-volatile-RAM": {Capacity: 4 << 30, DimmCount: 1},
			},
			NVMInfo: info.NVMInfo{MemoryModeCapacity: 1 << 30, AppDirectModeCapacity: 2 << 30, AvgPowerBudget: 15},
			DiskMap: map[string]info.DiskInfo{
				"253:0":  {Name: "vda", Major: 253, Minor: 0},
				"253:16": {Name: "vdb", Major: 253, Minor: 16},
			},
			NetworkDevices: []info.NetInfo{{Name: "eth0"}},
		},
		version: info.VersionInfo{KernelVersion: "6.18.44-test", ContainerOsVersion: "Test OS", CadvisorVersion: "v0.60.6"},
		fs:      testFsSource,
	}
}

// testFsSource lists the file systems of testdata/fs (/ on /dev/vda1, /tmp
// on /dev/vdc, /dev on /dev/mapper/vg-root, and mounts that are not
// reported) with fixed statfs figures.
var testFsSource = fsSource{
	mountinfo: "testdata/fs/mountinfo",
	diskstats: "testdata/fs/diskstats",
	statfs: func(path string, st *unix.Statfs_t) error {
		switch path {
		case "/":
			*st = unix.Statfs_t{Frsize: 4096, Blocks: 1 << 20, Bfree: 400_000, Bavail: 350_000, Files: 65536, Ffree: 60_000}
		case "/dev":
			*st = unix.Statfs_t{Frsize: 512, Blocks: 4096, Bfree: 4096, Bavail: 4000, Files: 100, Ffree: 99}
		case "/tmp":
			*st = unix.Statfs_t{Frsize: 1024, Blocks: 1 << 20, Bfree: 1 << 19, Bavail: 1 << 19, Files: 1000, Ffree: 10}
		default:
			return unix.ENOENT
		}
		return nil
	},
}

// testConfig is an enabled configuration with every metric kind, reading
// the hierarchies below root (the host's when root is empty).
func testConfig(root string) *Config {
	cfg := DefaultConfig
	cfg.Enabled = true
	cfg.CollectInterval = 5e9
	cfg.CollectTimeout = 4e9
	cfg.CgroupRoot = root
	cfg.Metrics = slices.Clone(supportedMetrics)
	cfg.CgroupPrefixes = []string{""}
	cfg.DockerSocket = ""
	cfg.ContainerdSocket = ""
	return &cfg
}

// startTest starts a collector on the fixed test host and closes it when
// the test ends.
func startTest(t *testing.T, cfg *Config, opts Options) *Collector {
	t.Helper()
	c, err := start(cfg, opts, testHost())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// collect runs one Collect and returns the batch and its error.
func collect(t *testing.T, c *Collector) (*collector.Batch, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := collector.NewBatch()
	err := c.Collect(ctx, b)
	return b, err
}

// masked are families whose values depend on the machine (boot time and
// directory times), not on the cgroup files.
var masked = map[string]bool{
	"container_creation_time_seconds": true,
	"container_start_time_seconds":    true,
}

// render prints a batch as sorted lines "series value [@timestamp]", with
// the metadata of each family first ("# name type help").
func render(b *collector.Batch) string {
	var lines []string
	families := map[string]bool{}
	b.Each(func(l labels.Labels, ts int64, v float64) {
		name := l.Get(model.MetricNameLabel)
		families[name] = true
		val := strconv.FormatFloat(v, 'g', -1, 64)
		if masked[name] {
			val = "<masked>"
		}
		line := l.String() + " " + val
		if ts != 0 {
			line += " @" + strconv.FormatInt(ts, 10)
		}
		lines = append(lines, line)
	})
	for name := range families {
		md, _ := b.Metadata(name)
		lines = append(lines, fmt.Sprintf("# %s %s %s", name, md.Type, md.Help))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}

// golden compares got with testdata/<name>, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s\n(run with -update to accept)", path, i+1, g, w)
			}
		}
	}
}
