//go:build linux

package container

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/container/cgrouptest"
)

// syntheticV1 writes a synthetic cgroup v1 tree with the given leaves.
func syntheticV1(t *testing.T, opts cgrouptest.Options) string {
	t.Helper()
	skipUnlessV1Host(t)
	dir := t.TempDir()
	opts.Version = cgrouptest.V1
	if _, err := cgrouptest.Write(dir, opts); err != nil {
		t.Fatal(err)
	}
	return dir
}

// ids returns the sorted ids of the cgroups that have a CPU usage series.
func ids(b *collector.Batch) []string {
	var out []string
	b.Each(func(l labels.Labels, _ int64, _ float64) {
		if l.Get(model.MetricNameLabel) == "container_memory_usage_bytes" {
			out = append(out, l.Get("id"))
		}
	})
	slices.Sort(out)
	return out
}

func TestNewRejects(t *testing.T) {
	skipUnlessV1Host(t)
	v2 := t.TempDir()
	if _, err := cgrouptest.Write(v2, cgrouptest.Options{Version: cgrouptest.V2, Leaves: 1}); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	disabled := testConfig("")
	disabled.Enabled = false
	invalid := testConfig("")
	invalid.Metrics = []string{"gpu"}
	for _, tc := range []struct {
		name string
		cfg  *Config
		want string
	}{
		{"nil config", nil, "not enabled"},
		{"disabled", disabled, "not enabled"},
		{"invalid", invalid, `unknown metric kind "gpu"`},
		{"missing root", testConfig(filepath.Join(empty, "nope")), "open cgroup root"},
		{"root is a file", testConfig(file), "is not a directory"},
		{"no controllers", testConfig(empty), "holds neither cgroup.controllers"},
		{"v2 tree on a v1 host", testConfig(v2), "is a cgroup v2 hierarchy but this host runs cgroup v1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c *Collector
			var err error
			if tc.cfg == nil || !tc.cfg.Enabled || tc.cfg.Validate() != nil {
				c, err = New(tc.cfg, Options{})
			} else {
				c, err = start(tc.cfg, Options{}, testHost())
			}
			if err == nil {
				c.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

// TestCgroupfsCheck makes sure a configured root must be a cgroup file
// system outside tests (the cgroup reader's test switch is on in this
// package's tests, see TestMain).
func TestCgroupfsCheck(t *testing.T) {
	dir := t.TempDir()
	if err := checkCgroupfs(dir, false); err != nil {
		t.Fatalf("with the test switch on: %v", err)
	}
	cgroupsTestMode(t, false)
	err := checkCgroupfs(dir, false)
	if err == nil || !strings.Contains(err.Error(), "is not a mounted cgroup v1 file system") {
		t.Fatalf("error = %v", err)
	}
	if !isV2Host() {
		if err := checkCgroupfs("/sys/fs/cgroup/memory", false); err != nil {
			t.Fatalf("real hierarchy: %v", err)
		}
	}
}

func TestMalformedFiles(t *testing.T) {
	for _, tc := range []struct {
		name    string
		metrics []string
		// break damages the tree; breakAll every cgroup's files.
		file    string
		content string
		all     bool
		partial bool
		want    string
	}{
		{"lean: garbage memory.stat", nil, "memory/pipewatch/ctr-0001/memory.stat", "cache twelve\n", false, true, `cgroup "/pipewatch/ctr-0001"`},
		{"lean: garbage cpuacct.stat", nil, "cpuacct/pipewatch/ctr-0000/cpuacct.stat", "user\n", false, true, "cpuacct.stat"},
		{"lean: missing memory.usage_in_bytes", nil, "memory/pipewatch/ctr-0001/memory.usage_in_bytes", "", false, true, "memory.usage_in_bytes"},
		{"lean: bad blkio line", nil, "blkio/pipewatch/ctr-0000/blkio.bfq.io_service_bytes_recursive", "253:0 Read x\n", false, true, "blkio"},
		{"full: garbage memory.stat", supportedMetrics, "memory/pipewatch/ctr-0001/memory.stat", "cache twelve\n", false, true, `cgroup "/pipewatch/ctr-0001"`},
		{"every cgroup unreadable", nil, "memory.stat", "x y\n", true, false, "read 4 of 4 cgroups"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := syntheticV1(t, cgrouptest.Options{Leaves: 2})
			damage := func(path string) {
				if tc.content == "" {
					if err := os.Remove(path); err != nil {
						t.Fatal(err)
					}
					return
				}
				if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tc.all {
				err := filepath.Walk(filepath.Join(dir, "memory"), func(p string, info os.FileInfo, err error) error {
					if err == nil && info.Name() == tc.file {
						damage(p)
					}
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			} else {
				damage(filepath.Join(dir, tc.file))
			}
			cfg := testConfig(dir)
			cfg.Metrics = []string{MetricsCPU, MetricsMemory, MetricsDiskIO, MetricsNetwork}
			if tc.metrics != nil {
				cfg.Metrics = tc.metrics
			}
			cfg.HostRootfs = "testdata/sandbox-v1/rootfs"
			reg := prometheus.NewRegistry()
			c := startTest(t, cfg, Options{Registerer: reg})
			b, err := collect(t, c)
			if err == nil {
				t.Fatal("no error")
			}
			if collector.IsPartial(err) != tc.partial {
				t.Fatalf("partial = %v, want %v: %v", collector.IsPartial(err), tc.partial, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
			if tc.partial {
				// The three other cgroups are still there.
				if got := ids(b); len(got) != 3 {
					t.Fatalf("%v collected", got)
				}
				if n := testutil.ToFloat64(c.metrics.errors); n != 1 {
					t.Fatalf("read errors = %v, want 1", n)
				}
			} else if b.Len() != 0 {
				t.Fatalf("%d samples from a failed round", b.Len())
			}
		})
	}
}

// TestHousekeepingSchedule checks, in virtual time, that statistics are
// read every housekeeping interval whether or not anyone collects, that
// new cgroups appear at the next discovery and removed ones disappear at
// once, and that Close stops housekeeping (the bubble would report a
// leaked goroutine otherwise).
func TestHousekeepingSchedule(t *testing.T) {
	dir := syntheticV1(t, cgrouptest.Options{Leaves: 2})
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig(dir)
		cfg.HousekeepingInterval = 0 // = collect_interval, 5s
		cfg.DiscoveryInterval = 30e9
		reg := prometheus.NewRegistry()
		c, err := start(cfg, Options{Registerer: reg}, testHost())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		rounds := func() uint64 {
			synctest.Wait()
			return histogramCount(t, reg)
		}
		b, err := collect(t, c)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(b); !slices.Equal(got, []string{"/", "/pipewatch", "/pipewatch/ctr-0000", "/pipewatch/ctr-0001"}) {
			t.Fatalf("ids = %v", got)
		}
		first := b.Len()
		// Two intervals later, without any Collect, two more rounds ran.
		time.Sleep(10*time.Second + time.Millisecond)
		if n := rounds(); n != 3 {
			t.Fatalf("%d rounds after 10s, want 3", n)
		}
		// Collect does not read cgroups: no round is added by it.
		for range 3 {
			if _, err := collect(t, c); err != nil {
				t.Fatal(err)
			}
		}
		if n := rounds(); n != 3 {
			t.Fatalf("collecting ran housekeeping: %d rounds", n)
		}

		// A new cgroup is found at the next discovery (30s after the
		// first), a removed one is dropped at the next round.
		if _, err := cgrouptest.Write(dir, cgrouptest.Options{Version: cgrouptest.V1, Leaves: 3}); err != nil {
			t.Fatal(err)
		}
		for _, ctrl := range []string{"cpu", "cpuacct", "memory", "blkio", "pids", "devices"} {
			if err := os.RemoveAll(filepath.Join(dir, ctrl, "pipewatch/ctr-0000")); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		b, err = collect(t, c)
		if err != nil {
			t.Fatalf("a removed cgroup is not an error: %v", err)
		}
		if got := ids(b); !slices.Equal(got, []string{"/", "/pipewatch", "/pipewatch/ctr-0001"}) {
			t.Fatalf("after removal: ids = %v", got)
		}
		time.Sleep(20 * time.Second)
		synctest.Wait()
		b, err = collect(t, c)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(b); !slices.Equal(got, []string{"/", "/pipewatch", "/pipewatch/ctr-0001", "/pipewatch/ctr-0002"}) {
			t.Fatalf("after discovery: ids = %v", got)
		}
		if b.Len() != first {
			t.Fatalf("%d samples, first round had %d for as many cgroups", b.Len(), first)
		}

		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if _, err := collect(t, c); err == nil || !strings.Contains(err.Error(), "collector is closed") {
			t.Fatalf("Collect after Close: %v", err)
		}
		n := rounds()
		time.Sleep(time.Minute)
		if m := rounds(); m != n {
			t.Fatalf("housekeeping ran after Close: %d rounds, then %d", n, m)
		}
	})
}

func histogramCount(t *testing.T, reg *prometheus.Registry) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "pipewatch_container_housekeeping_duration_seconds" {
			return mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	return 0
}

func TestCollectWaitsForFirstRound(t *testing.T) {
	// A collector whose housekeeping never started: Collect waits, bounded
	// by its context, and never reads cgroups itself.
	c, err := newCollector(testConfig(""), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = c.Collect(ctx, collector.NewBatch())
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "wait for the first cgroup housekeeping round") {
		t.Fatalf("error = %v", err)
	}
}

func TestCollectFailsWhenHousekeepingIsStuck(t *testing.T) {
	dir := syntheticV1(t, cgrouptest.Options{Leaves: 1})
	synctest.Test(t, func(t *testing.T) {
		var skew time.Duration
		c := startTest(t, testConfig(dir), Options{Now: func() time.Time { return time.Now().Add(skew) }})
		if _, err := collect(t, c); err != nil {
			t.Fatal(err)
		}
		// As if the last round finished 20s ago (3 intervals + timeout
		// is 19s).
		skew = 20 * time.Second
		_, err := collect(t, c)
		if err == nil || collector.IsPartial(err) || !strings.Contains(err.Error(), "latest housekeeping round finished") {
			t.Fatalf("error = %v", err)
		}
	})
}

func TestSelection(t *testing.T) {
	dir := syntheticV1(t, cgrouptest.Options{Leaves: 3, DockerIDs: []string{strings.Repeat("ab", 32)}})
	for _, tc := range []struct {
		name     string
		prefixes []string
		max      int
		docker   bool
		want     []string
		partial  string
	}{
		{"everything", []string{""}, 100, false, []string{"/", "/pipewatch", "/pipewatch/ctr-0000", "/pipewatch/ctr-0001", "/pipewatch/ctr-0002", "/system.slice", "/system.slice/docker-" + strings.Repeat("ab", 32) + ".scope"}, ""},
		{"prefix", []string{"/system.slice"}, 100, false, []string{"/", "/system.slice", "/system.slice/docker-" + strings.Repeat("ab", 32) + ".scope"}, ""},
		{"max containers", []string{""}, 3, false, []string{"/", "/pipewatch", "/pipewatch/ctr-0000"}, "4 cgroups not collected: over max_containers (3)"},
		{"docker only without a docker socket", []string{""}, 100, true, []string{"/"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(dir)
			cfg.CgroupPrefixes = tc.prefixes
			cfg.MaxContainers = tc.max
			cfg.DockerOnly = tc.docker
			c := startTest(t, cfg, Options{})
			b, err := collect(t, c)
			if tc.partial == "" && err != nil {
				t.Fatal(err)
			}
			if tc.partial != "" && (!collector.IsPartial(err) || !strings.Contains(err.Error(), tc.partial)) {
				t.Fatalf("error = %v, want partial %q", err, tc.partial)
			}
			if got := ids(b); !slices.Equal(got, tc.want) {
				t.Fatalf("ids = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSelfMetricsShared builds two collectors on one registry, as a reload
// does before closing the old one.
func TestSelfMetricsShared(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, err := newCollector(testConfig(""), Options{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	b, err := newCollector(testConfig(""), Options{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	if a.metrics.duration != b.metrics.duration {
		t.Fatal("the second collector did not reuse the registered metrics")
	}
}

// TestUnusedCollectorHoldsNothing: a collector that is never collected
// (like one built for a target whose configuration did not change, which
// the Manager drops) starts no goroutine, so it needs no Close; the bubble
// would report a goroutine left behind.
func TestUnusedCollectorHoldsNothing(t *testing.T) {
	dir := syntheticV1(t, cgrouptest.Options{Leaves: 1})
	synctest.Test(t, func(t *testing.T) {
		if _, err := start(testConfig(dir), Options{}, testHost()); err != nil {
			t.Fatal(err)
		}
		c, err := start(testConfig(dir), Options{}, testHost())
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := collect(t, c); err == nil || !strings.Contains(err.Error(), "collector is closed") {
			t.Fatalf("Collect after Close: %v", err)
		}
	})
}
