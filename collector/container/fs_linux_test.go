//go:build linux

package container

import (
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	info "github.com/google/cadvisor/info/v1"
	"github.com/prometheus/prometheus/model/labels"
	"golang.org/x/sys/unix"

	"github.com/pipewatch/pipewatch/collector"
)

// TestFsUsage reads the test file systems: block-device file systems
// only, the first mount of a device, mount points that exist, counters
// found by device name or by device number.
func TestFsUsage(t *testing.T) {
	u := &fsUsage{src: testFsSource}
	var r fileReader
	if err := u.refresh(&r); err != nil {
		t.Fatal(err)
	}
	var devices []string
	for _, m := range u.mounts {
		devices = append(devices, m.device+" on "+m.mountpoint)
	}
	want := []string{"/dev/loop0 on /no such dir", "/dev/mapper/vg-root on /dev", "/dev/vda1 on /", "/dev/vdc on /tmp"}
	if !slices.Equal(devices, want) {
		t.Fatalf("mounts %q, want %q", devices, want)
	}
	got := u.stats(&r)
	wantStats := []info.FsStats{
		{Device: "/dev/mapper/vg-root", Type: "vfs", Limit: 512 * 4096, Usage: 0, Available: 512 * 4000, HasInodes: true, Inodes: 100, InodesFree: 99,
			ReadsCompleted: 5, SectorsRead: 6, WritesCompleted: 7, SectorsWritten: 8, IoTime: 9, WeightedIoTime: 10},
		{Device: "/dev/vda1", Type: "vfs", Limit: 4096 << 20, Usage: 4096 * (1<<20 - 400_000), Available: 4096 * 350_000, HasInodes: true, Inodes: 65536, InodesFree: 60_000,
			ReadsCompleted: 10, ReadsMerged: 1, SectorsRead: 20, ReadTime: 3, WritesCompleted: 40, WritesMerged: 5, SectorsWritten: 60, WriteTime: 7, IoTime: 8, WeightedIoTime: 9},
		{Device: "/dev/vdc", Type: "vfs", Limit: 1 << 30, Usage: 1 << 29, Available: 1 << 29, HasInodes: true, Inodes: 1000, InodesFree: 10,
			ReadsCompleted: 11, ReadsMerged: 2, SectorsRead: 22, ReadTime: 4, WritesCompleted: 44, WritesMerged: 6, SectorsWritten: 66, WriteTime: 8, IoInProgress: 1, IoTime: 9, WeightedIoTime: 10},
	}
	if len(got) != len(wantStats) {
		t.Fatalf("%d file systems, want %d: %+v", len(got), len(wantStats), got)
	}
	for i := range got {
		if got[i] != wantStats[i] {
			t.Errorf("file system %d:\n got %+v\nwant %+v", i, got[i], wantStats[i])
		}
	}
}

// TestFsUsageStuckMount checks, in virtual time, that a statfs that does
// not return leaves its file system out after the timeout, that the next
// rounds skip it at once without starting another statfs, and that it is
// reported again once the statfs returns.
func TestFsUsageStuckMount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var calls atomic.Int32
		src := testFsSource
		src.statfs = func(path string, st *unix.Statfs_t) error {
			if path == "/tmp" {
				calls.Add(1)
				<-release
			}
			return testFsSource.statfs(path, st)
		}
		u := &fsUsage{src: src}
		var r fileReader
		if err := u.refresh(&r); err != nil {
			t.Fatal(err)
		}
		devices := func() []string {
			var out []string
			for _, fs := range u.stats(&r) {
				out = append(out, fs.Device)
			}
			return out
		}
		start := time.Now()
		if got := devices(); !slices.Equal(got, []string{"/dev/mapper/vg-root", "/dev/vda1"}) {
			t.Fatalf("with /tmp stuck: %q", got)
		}
		if d := time.Since(start); d != fsStatfsTimeout {
			t.Fatalf("first round waited %s, want the timeout %s", d, fsStatfsTimeout)
		}
		start = time.Now()
		if got := devices(); !slices.Equal(got, []string{"/dev/mapper/vg-root", "/dev/vda1"}) || time.Since(start) != 0 || calls.Load() != 1 {
			t.Fatalf("second round: %q after %s, %d statfs calls", got, time.Since(start), calls.Load())
		}
		close(release)
		synctest.Wait()
		if got := devices(); len(got) != 3 || calls.Load() != 2 {
			t.Fatalf("after the statfs returned: %q, %d calls", got, calls.Load())
		}
	})
}

// TestFsUsageErrors checks that a file system whose statfs fails is left
// out and that a missing mount table is an error.
func TestFsUsageErrors(t *testing.T) {
	src := testFsSource
	src.statfs = func(path string, st *unix.Statfs_t) error {
		if path == "/" {
			return errors.New("boom")
		}
		return testFsSource.statfs(path, st)
	}
	u := &fsUsage{src: src}
	var r fileReader
	if err := u.refresh(&r); err != nil {
		t.Fatal(err)
	}
	for _, fs := range u.stats(&r) {
		if fs.Device == "/dev/vda1" {
			t.Fatal("file system with a failed statfs reported")
		}
	}
	u.src.mountinfo = "testdata/fs/missing"
	if err := u.refresh(&r); err == nil {
		t.Fatal("no error for a missing mount table")
	}
}

// TestFsOnWholeDisk checks that a file system on a device that also has
// block IO entries (a file system on a whole disk) does not give the same
// series twice.
func TestFsOnWholeDisk(t *testing.T) {
	e := emitter{kinds: parseKinds([]string{MetricsDiskIO, MetricsDisk})}
	s := &snapshot{containers: []entry{{
		info: &info.ContainerInfo{ContainerReference: info.ContainerReference{Name: "/"}},
		stats: &info.ContainerStats{
			Timestamp: time.Unix(1, 0),
			DiskIo: &info.DiskIoStats{IoServiced: []info.PerDiskStats{
				{Device: "/dev/vda", Major: 253, Minor: 0, Stats: map[string]uint64{"Read": 1, "Write": 2}},
			}},
			Filesystem: []info.FsStats{{Device: "/dev/vda", ReadsCompleted: 7}, {Device: "/dev/vdb1", ReadsCompleted: 8}},
		},
	}}}
	b := collector.NewBatch()
	e.emit(b, s, time.Unix(2, 0))
	out := render(b)
	for _, want := range []string{
		`{__name__="container_fs_reads_total", device="/dev/vda", id="/"} 1 @1000`,
		`{__name__="container_fs_reads_total", device="/dev/vdb1", id="/"} 8 @1000`,
		`{__name__="container_fs_usage_bytes", device="/dev/vda", id="/"} 0 @1000`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no line %s in\n%s", want, out)
		}
	}
	seen := map[string]bool{}
	b.Each(func(l labels.Labels, _ int64, _ float64) {
		if seen[l.String()] {
			t.Errorf("series %s twice", l)
		}
		seen[l.String()] = true
	})
}

// TestFsUsageOnHost reads this machine's file systems.
func TestFsUsageOnHost(t *testing.T) {
	u := &fsUsage{src: hostFsSource}
	var r fileReader
	if err := u.refresh(&r); err != nil {
		t.Fatal(err)
	}
	if len(u.mounts) == 0 {
		t.Skip("no block-device file system mounted")
	}
	fss := u.stats(&r)
	if len(fss) == 0 {
		t.Fatalf("no usage for %d file systems", len(u.mounts))
	}
	for _, fs := range fss {
		if fs.Limit == 0 || fs.Usage > fs.Limit || fs.Inodes == 0 && fs.InodesFree > 0 {
			t.Errorf("%+v", fs)
		}
	}
}
