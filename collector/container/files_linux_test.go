//go:build linux

package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"golang.org/x/sys/unix"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/container/cgrouptest"
)

// openBelow counts this process's descriptors open on files below dir.
func openBelow(t *testing.T, dir string) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err == nil && strings.HasPrefix(target, dir+"/") {
			n++
		}
	}
	return n
}

// testHousekeeper returns a housekeeper on the synthetic tree in dir with
// the default metric kinds (the lean reader), keeping at most limit files
// open, and releases its files when the test ends.
func testHousekeeper(t *testing.T, dir string, limit int, reg prometheus.Registerer) *housekeeper {
	t.Helper()
	cfg := testConfig(dir)
	cfg.Metrics = []string{MetricsCPU, MetricsMemory, MetricsDiskIO, MetricsNetwork}
	c, err := newCollector(cfg, Options{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	h, err := newHousekeeper(cfg, c, testHost())
	if err != nil {
		t.Fatal(err)
	}
	if !h.lean || h.tree.cgroupfs || !h.reader.kept.checkLinks {
		t.Fatalf("lean %v, cgroupfs %v, checkLinks %v", h.lean, h.tree.cgroupfs, h.reader.kept.checkLinks)
	}
	h.reader.kept.limit = limit
	t.Cleanup(h.release)
	return h
}

// roundOf runs one round and renders its series.
func roundOf(t *testing.T, h *housekeeper, c *emitter) string {
	t.Helper()
	s := h.round(context.Background())
	if s.fatal != nil || s.err != nil {
		t.Fatalf("round: %v %v", s.fatal, s.err)
	}
	b := collector.NewBatch()
	c.emit(b, s, s.at)
	// Timestamps differ from round to round; values must not.
	var lines []string
	for _, l := range strings.Split(render(b), "\n") {
		if i := strings.LastIndex(l, " @"); i >= 0 {
			l = l[:i]
		}
		if !strings.HasPrefix(l, "{__name__=\"container_last_seen\"") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// held sums the descriptors the cgroups' file sets keep.
func held(h *housekeeper) int {
	n := 0
	for _, cg := range h.cgroups {
		if cg.lean != nil {
			n += cg.lean.files.held()
		}
	}
	return n
}

// TestKeptFilesReadFresh checks that files read through kept descriptors
// give what a fresh reader reads after the files changed, in place or
// replaced by a new file.
func TestKeptFilesReadFresh(t *testing.T) {
	dir := syntheticV1(t, cgrouptest.Options{Leaves: 3})
	em := &emitter{kinds: parseKinds([]string{MetricsCPU, MetricsMemory, MetricsDiskIO, MetricsNetwork})}
	kept := testHousekeeper(t, dir, 1000, nil)
	first := roundOf(t, kept, em)
	if n := held(kept); n == 0 || n != kept.reader.kept.held || n != openBelow(t, dir) {
		t.Fatalf("held %d, accounted %d, open %d", n, kept.reader.kept.held, openBelow(t, dir))
	}
	// Round 1 rewrites every file in place (same inodes)...
	if _, err := cgrouptest.Write(dir, cgrouptest.Options{Version: cgrouptest.V1, Leaves: 3, Round: 1}); err != nil {
		t.Fatal(err)
	}
	// ...and one file is replaced by a new one with other figures.
	usage := filepath.Join(dir, "memory/pipewatch/ctr-0001/memory.usage_in_bytes")
	if err := os.Remove(usage); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(usage, []byte("123456789\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := roundOf(t, kept, em)
	fresh := testHousekeeper(t, dir, 0, nil)
	want := roundOf(t, fresh, em)
	if got == first {
		t.Fatal("second round read the same figures as the first")
	}
	if got != want {
		t.Fatalf("kept descriptors read\n%s\nwant (fresh reader)\n%s", got, want)
	}
	if !strings.Contains(got, `{__name__="container_memory_usage_bytes", id="/pipewatch/ctr-0001"} 1.23456789e+08`) {
		t.Fatal("the replaced file was not read")
	}
	if fresh.reader.kept.held != 0 {
		t.Fatalf("reader with limit 0 keeps %d files", fresh.reader.kept.held)
	}
}

// TestKeptFilesLimit checks that no more descriptors are kept than the
// limit, that every file is still read, and that descriptors freed by a
// removed cgroup go to files read later.
func TestKeptFilesLimit(t *testing.T) {
	dir := syntheticV1(t, cgrouptest.Options{Leaves: 4})
	em := &emitter{kinds: parseKinds([]string{MetricsCPU, MetricsMemory, MetricsDiskIO, MetricsNetwork})}
	u := testHousekeeper(t, dir, 1000, nil)
	unlimited := roundOf(t, u, em)
	per := u.cgroups["/pipewatch"].lean.files.held()
	all := openBelow(t, dir)
	// The parent's files and half of the first leaf's.
	limit := per + per/2
	reg := prometheus.NewRegistry()
	h := testHousekeeper(t, dir, limit, reg)
	for range 3 {
		if got := roundOf(t, h, em); got != unlimited {
			t.Fatal("a reader at its limit reads other figures")
		}
		if h.reader.kept.held != limit || held(h) != limit || openBelow(t, dir) != all+limit {
			t.Fatalf("held %d, in sets %d, open %d (limit %d)", h.reader.kept.held, held(h), openBelow(t, dir)-all, limit)
		}
		if g := testutil.ToFloat64(h.metrics.openFiles); g != float64(limit) {
			t.Fatalf("pipewatch_container_open_files = %v", g)
		}
	}
	// The first cgroups read keep their files ("/" is read by cAdvisor's
	// reader, "/pipewatch" is the first lean one).
	if n := h.cgroups["/pipewatch"].lean.files.held(); n != per {
		t.Fatalf("first cgroup keeps %d of %d files", n, per)
	}
	if n := h.cgroups["/pipewatch/ctr-0000"].lean.files.held(); n != per/2 {
		t.Fatalf("second cgroup keeps %d files, want %d", n, per/2)
	}
	if h.cgroups["/pipewatch/ctr-0001"].lean.files.held() != 0 {
		t.Fatal("a cgroup read after the limit was reached keeps files")
	}
	// Removing a cgroup frees its descriptors for the files read next.
	removeCgroup(t, dir, "pipewatch/ctr-0000")
	roundOf(t, h, em)
	if h.reader.kept.held != limit || held(h) != limit {
		t.Fatalf("after removal: held %d, in sets %d", h.reader.kept.held, held(h))
	}
	if n := h.cgroups["/pipewatch/ctr-0001"].lean.files.held(); n != per/2 {
		t.Fatalf("the next cgroup keeps %d files, want the %d freed", n, per/2)
	}
}

func removeCgroup(t *testing.T, dir, name string) {
	t.Helper()
	for _, ctrl := range []string{"cpu", "cpuacct", "memory", "blkio", "pids", "devices"} {
		if err := os.RemoveAll(filepath.Join(dir, ctrl, name)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestKeptFilesReleased checks that a cgroup's descriptors are closed when
// it is found removed in a round, when a discovery no longer lists it, and
// that all are when housekeeping stops.
func TestKeptFilesReleased(t *testing.T) {
	dir := syntheticV1(t, cgrouptest.Options{Leaves: 3})
	em := &emitter{kinds: parseKinds([]string{MetricsCPU, MetricsMemory, MetricsDiskIO, MetricsNetwork})}
	h := testHousekeeper(t, dir, 1000, nil)
	roundOf(t, h, em)
	total := openBelow(t, dir)
	per := h.cgroups["/pipewatch/ctr-0000"].lean.files.held()
	if per == 0 || total != h.reader.kept.held {
		t.Fatalf("%d open, %d accounted, %d for one cgroup", total, h.reader.kept.held, per)
	}

	// Removed between discoveries: dropped, and its files closed, in the
	// next round.
	cgDir := filepath.Join(dir, "memory/pipewatch/ctr-0000")
	removeCgroup(t, dir, "pipewatch/ctr-0000")
	roundOf(t, h, em)
	if _, ok := h.cgroups["/pipewatch/ctr-0000"]; ok {
		t.Fatal("removed cgroup still tracked")
	}
	if n := openBelow(t, cgDir); n != 0 {
		t.Fatalf("%d descriptors of the removed cgroup still open", n)
	}
	if n := openBelow(t, dir); n != total-per || n != h.reader.kept.held {
		t.Fatalf("%d open, %d accounted, want %d", n, h.reader.kept.held, total-per)
	}

	// Not listed by a discovery (here: over max_containers): closed.
	h.cfg.MaxContainers = 3 // "/", "/pipewatch", "/pipewatch/ctr-0001"
	h.discovered = time.Time{}
	if s := h.round(context.Background()); s.fatal != nil || !strings.Contains(fmt.Sprint(s.err), "over max_containers") {
		t.Fatalf("round: %v %v", s.fatal, s.err)
	}
	if _, ok := h.cgroups["/pipewatch/ctr-0002"]; ok {
		t.Fatal("cgroup over max_containers still tracked")
	}
	if n := openBelow(t, filepath.Join(dir, "memory/pipewatch/ctr-0002")); n != 0 {
		t.Fatalf("%d descriptors of an untracked cgroup still open", n)
	}
	if n := openBelow(t, dir); n != h.reader.kept.held || n != held(h) {
		t.Fatalf("%d open, %d accounted, %d in sets", n, h.reader.kept.held, held(h))
	}

	h.release()
	if n := openBelow(t, dir); n != 0 || h.reader.kept.held != 0 {
		t.Fatalf("after release: %d open, %d accounted", n, h.reader.kept.held)
	}
}

// TestKeptFilesClosedWithCollector checks that closing a running
// collector closes its files.
func TestKeptFilesClosedWithCollector(t *testing.T) {
	dir := syntheticV1(t, cgrouptest.Options{Leaves: 2})
	cfg := testConfig(dir)
	cfg.Metrics = []string{MetricsCPU, MetricsMemory, MetricsDiskIO, MetricsNetwork}
	reg := prometheus.NewRegistry()
	c := startTest(t, cfg, Options{Registerer: reg})
	if _, err := collect(t, c); err != nil {
		t.Fatal(err)
	}
	if n := openBelow(t, dir); n == 0 || float64(n) != testutil.ToFloat64(c.metrics.openFiles) {
		t.Fatalf("%d open, gauge %v", n, testutil.ToFloat64(c.metrics.openFiles))
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if n := openBelow(t, dir); n != 0 {
		t.Fatalf("%d files open after Close", n)
	}
	if g := testutil.ToFloat64(c.metrics.openFiles); g != 0 {
		t.Fatalf("pipewatch_container_open_files = %v after Close", g)
	}
}

// TestKeptFilesOnCgroupfs checks the kernel behaviour the kept
// descriptors rely on, on a real cgroup v1 memory hierarchy: reading from
// offset 0 again gives the current content, and once the cgroup is
// removed the read fails and the reader reports it as missing, keeping
// nothing open; a cgroup made again under the same name is read afresh.
func TestKeptFilesOnCgroupfs(t *testing.T) {
	skipUnlessV1Host(t)
	base := "/sys/fs/cgroup/memory"
	if ok, err := isCgroupfs(base, false); err != nil || !ok {
		t.Skipf("%s is not a cgroup v1 file system", base)
	}
	dir, err := os.MkdirTemp(base, "pipewatch-test-")
	if err != nil {
		t.Skipf("cannot make a cgroup: %v", err)
	}
	t.Cleanup(func() { _ = os.Remove(dir) })
	r := &fileReader{kept: keptFiles{limit: 10}}
	var set fileSet
	read := func() (string, error) {
		r.files = &set
		defer func() { r.files = nil }()
		b, err := r.read(dir, "memory.limit_in_bytes")
		return strings.TrimSpace(string(b)), err
	}
	setLimit := func(v string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "memory.limit_in_bytes"), []byte(v), 0); err != nil {
			t.Fatal(err)
		}
	}
	setLimit("104857600")
	if v, err := read(); err != nil || v != "104857600" || r.kept.held != 1 {
		t.Fatalf("first read: %q %v, held %d", v, err, r.kept.held)
	}
	setLimit("209715200")
	if v, err := read(); err != nil || v != "209715200" || r.kept.held != 1 {
		t.Fatalf("read through the kept descriptor: %q %v, held %d", v, err, r.kept.held)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	// The kernel fails reads of a removed cgroup's open files.
	var buf [64]byte
	if _, err := unix.Pread(set.files[0].fd, buf[:], 0); !errors.Is(err, unix.ENODEV) {
		t.Fatalf("pread of a removed cgroup's file: %v, want ENODEV", err)
	}
	if _, err := read(); !os.IsNotExist(err) {
		t.Fatalf("read of a removed cgroup: %v, want not exist", err)
	}
	if r.kept.held != 0 || set.held() != 0 {
		t.Fatalf("removed cgroup: %d kept", r.kept.held)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	setLimit("104857600")
	if v, err := read(); err != nil || v != "104857600" || r.kept.held != 1 {
		t.Fatalf("cgroup made again: %q %v, held %d", v, err, r.kept.held)
	}
	set.release(&r.kept)
	if r.kept.held != 0 {
		t.Fatalf("%d kept after release", r.kept.held)
	}
}
