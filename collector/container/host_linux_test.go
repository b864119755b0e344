//go:build linux

package container

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/collector"
)

// TestCollectHostCgroups collects this machine's real cgroups with the
// default configuration and the real machine description, and compares
// the families, their metadata and their label names with what cAdvisor's
// own manager and collector exported on this sandbox (shared fixture).
func TestCollectHostCgroups(t *testing.T) {
	cfg := testConfig("")
	cfg.Metrics = []string{MetricsCPU, MetricsMemory, MetricsDiskIO, MetricsNetwork, MetricsProcess}
	c, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b, err := collect(t, c)
	if err != nil {
		t.Fatal(err)
	}

	type fam struct {
		meta   string
		labels map[string]bool
	}
	ours := map[string]*fam{}
	ids := map[string]bool{}
	var rootCPU, rootWorkingSet float64
	b.Each(func(l labels.Labels, _ int64, v float64) {
		name := l.Get(model.MetricNameLabel)
		f := ours[name]
		if f == nil {
			md, _ := b.Metadata(name)
			f = &fam{meta: string(md.Type) + " " + md.Help, labels: map[string]bool{}}
			ours[name] = f
		}
		l.Range(func(l labels.Label) {
			if l.Name != model.MetricNameLabel {
				f.labels[l.Name] = true
			}
		})
		id := l.Get("id")
		ids[id] = true
		switch {
		case name == "container_cpu_usage_seconds_total" && id == "/":
			rootCPU = v
		case name == "container_memory_working_set_bytes" && id == "/":
			rootWorkingSet = v
		}
	})
	if rootCPU <= 0 || rootWorkingSet <= 0 {
		t.Errorf("root cgroup: CPU %v s, working set %v bytes", rootCPU, rootWorkingSet)
	}
	// Every cgroup below the memory hierarchy is collected.
	if entries, err := os.ReadDir("/sys/fs/cgroup/memory"); err == nil {
		for _, e := range entries {
			if e.IsDir() && !ids["/"+e.Name()] {
				t.Errorf("cgroup /%s not collected", e.Name())
			}
		}
	}

	// The fixture's families, metadata and label names.
	data, err := os.ReadFile("testdata/embedded-lib-v0.60.6-cgroupv1-sandbox.prom")
	if err != nil {
		t.Fatal(err)
	}
	theirs := map[string]*fam{}
	help := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "# HELP "):
			name, h, _ := strings.Cut(strings.TrimPrefix(line, "# HELP "), " ")
			help[name] = h
		case strings.HasPrefix(line, "# TYPE "):
			name, typ, _ := strings.Cut(strings.TrimPrefix(line, "# TYPE "), " ")
			theirs[name] = &fam{meta: typ + " " + help[name], labels: map[string]bool{}}
		case line != "" && !strings.HasPrefix(line, "#"):
			name, rest, _ := strings.Cut(line, "{")
			// Labels with empty values are dropped by a scrape.
			for _, pair := range strings.Split(strings.Split(rest, "}")[0], ",") {
				if k, v, ok := strings.Cut(pair, "="); ok && v != `""` {
					theirs[name].labels[k] = true
				}
			}
		}
	}
	// Families of cAdvisor's cpuLoad kind (netlink task statistics) are
	// not supported.
	unsupported := map[string]bool{"container_cpu_load_average_10s": true, "container_cpu_load_d_average_10s": true, "container_tasks_state": true}
	for name, want := range theirs {
		if unsupported[name] {
			continue
		}
		got, ok := ours[name]
		if !ok {
			t.Errorf("family %s missing", name)
			continue
		}
		if got.meta != want.meta {
			t.Errorf("%s: %q, cAdvisor %q", name, got.meta, want.meta)
		}
		if g, w := slices.Sorted(mapsKeys(got.labels)), slices.Sorted(mapsKeys(want.labels)); !slices.Equal(g, w) {
			t.Errorf("%s: labels %v, cAdvisor %v", name, g, w)
		}
	}
	for name := range ours {
		// The machine families come from cAdvisor's machine collector,
		// which the fixture's run did not register; they are compared
		// with it below.
		if theirs[name] == nil && !strings.HasPrefix(name, "container_fs_") && !strings.HasPrefix(name, "container_blkio_") && !strings.HasPrefix(name, "machine_") {
			// Block IO families appear only for cgroups with block IO
			// statistics, which the fixture's run had none of.
			t.Errorf("family %s not in cAdvisor's output", name)
		}
	}

	// The machine families of the real machine description, as cAdvisor's
	// machine collector exports them.
	for _, name := range []string{"machine_cpu_cores", "machine_memory_bytes"} {
		if ours[name] == nil {
			t.Errorf("family %s missing", name)
		}
	}
	s := c.latest.Load()
	if s.machine == nil || s.machine.NumCores <= 0 || s.machine.MemoryCapacity == 0 {
		t.Fatalf("machine description %+v", s.machine)
	}
	m := &snapshot{version: s.version, machine: s.machine}
	now := time.Now()
	e := emitter{kinds: c.kinds}
	mb := collector.NewBatch()
	e.emit(mb, m, now)
	if got, want := render(mb), cadvisorRender(t, m, c.kinds, now); got != want {
		t.Errorf("machine families\n%s\ncAdvisor's machine collector\n%s", got, want)
	}
}
