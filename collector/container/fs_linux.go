//go:build linux

package container

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	info "github.com/google/cadvisor/info/v1"
	"golang.org/x/sys/unix"
)

// File system usage of the root cgroup.
//
// cAdvisor's raw handler reports, for the root cgroup only, the usage of
// the host's file systems (its "disk" metric kind): every mounted file
// system its plugins handle, one per device, with statfs figures and the
// device's /proc/diskstats counters. This does the same for the file
// systems of cAdvisor's VFS plugin (ext2/3/4, xfs and the other block
// device file systems it names; pseudo file systems are not), which are
// the block-device file systems a host has; the plugins for btrfs, zfs,
// overlay, tmpfs and NFS are not reproduced.
//
// A statfs can hang on a broken mount. Like cAdvisor, each statfs runs in
// its own goroutine and is given up after a timeout (the file system is
// then left out of the round); unlike cAdvisor, which starts another
// goroutine every time, a mount whose statfs has not returned is skipped
// until it does, so a stuck mount holds one goroutine and costs the
// rounds nothing.

// fsStatfsTimeout is how long a round waits for the statfs of one file
// system (cAdvisor's value).
const fsStatfsTimeout = 2 * time.Second

// fsSource says where the file systems and their counters are read; the
// host's are /proc/self/mountinfo, /proc/diskstats and unix.Statfs.
type fsSource struct {
	mountinfo string
	diskstats string
	statfs    func(path string, st *unix.Statfs_t) error
}

// hostFsSource is the running host's.
var hostFsSource = fsSource{mountinfo: "/proc/self/mountinfo", diskstats: "/proc/diskstats", statfs: unix.Statfs}

// fsMount is one mounted file system reported.
type fsMount struct {
	device       string // the mount source, cAdvisor's device label
	mountpoint   string
	major, minor uint64
	// busy is set while a statfs of the mount point runs.
	busy atomic.Bool
}

// fsUsage reads the file systems' usage for the root cgroup.
type fsUsage struct {
	src    fsSource
	mounts []*fsMount // sorted by device
}

// vfsTypes are the file system types of cAdvisor's VFS plugin besides
// ext*.
var vfsTypes = []string{"xfs", "squashfs", "f2fs", "jfs", "reiserfs", "hfs", "hfsplus",
	"ntfs", "vfat", "fat", "msdos", "exfat", "udf", "iso9660"}

// refresh lists the mounted file systems again; mounts already known keep
// their state (a statfs still running).
func (u *fsUsage) refresh(r *fileReader) error {
	data, err := r.readPath(u.src.mountinfo)
	if err != nil {
		return err
	}
	known := map[string]*fsMount{}
	for _, m := range u.mounts {
		known[m.device] = m
	}
	seen := map[string]bool{}
	var mounts []*fsMount
	for line := range strings.Lines(string(data)) {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPEROPTIONS
		fields := strings.Fields(line)
		sep := slices.Index(fields, "-")
		if sep < 6 || len(fields) < sep+3 {
			continue
		}
		fsType, source := fields[sep+1], unescapeMount(fields[sep+2])
		if !strings.HasPrefix(fsType, "ext") && !slices.Contains(vfsTypes, fsType) {
			continue
		}
		// As cAdvisor: the first mount of a device (bind mounts and
		// later mounts of the same device are not reported again).
		if seen[source] {
			continue
		}
		seen[source] = true
		majS, minS, _ := strings.Cut(fields[2], ":")
		major, err1 := strconv.ParseUint(majS, 10, 64)
		minor, err2 := strconv.ParseUint(minS, 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		m := known[source]
		if m == nil {
			m = &fsMount{device: source}
		}
		m.mountpoint, m.major, m.minor = unescapeMount(fields[4]), major, minor
		mounts = append(mounts, m)
	}
	slices.SortFunc(mounts, func(a, b *fsMount) int { return cmp.Compare(a.device, b.device) })
	u.mounts = mounts
	return nil
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// stats returns the usage of every file system whose statfs answers in
// time, with its device's counters, as cAdvisor's raw handler fills
// info.ContainerStats.Filesystem.
func (u *fsUsage) stats(r *fileReader) []info.FsStats {
	if len(u.mounts) == 0 {
		return nil
	}
	disks := u.diskStats(r)
	out := make([]info.FsStats, 0, len(u.mounts))
	for _, m := range u.mounts {
		st, ok := u.statfs(m)
		if !ok {
			continue
		}
		bsize := uint64(st.Frsize)
		capacity := bsize * st.Blocks
		fs := info.FsStats{
			Device:     m.device,
			Type:       "vfs",
			Limit:      capacity,
			Usage:      capacity - bsize*st.Bfree,
			Available:  bsize * st.Bavail,
			HasInodes:  true,
			Inodes:     st.Files,
			InodesFree: st.Ffree,
		}
		d, ok := disks[m.device]
		if !ok {
			for _, c := range disks {
				if c.major == m.major && c.minor == m.minor {
					d = c
					break
				}
			}
		}
		fs.ReadsCompleted, fs.ReadsMerged, fs.SectorsRead, fs.ReadTime = d.v[0], d.v[1], d.v[2], d.v[3]
		fs.WritesCompleted, fs.WritesMerged, fs.SectorsWritten, fs.WriteTime = d.v[4], d.v[5], d.v[6], d.v[7]
		fs.IoInProgress, fs.IoTime, fs.WeightedIoTime = d.v[8], d.v[9], d.v[10]
		out = append(out, fs)
	}
	return out
}

// statfs runs statfs on m's mount point, waiting at most fsStatfsTimeout;
// ok is false when the mount point is gone, statfs failed or did not
// answer in time, or an earlier statfs still runs.
func (u *fsUsage) statfs(m *fsMount) (st unix.Statfs_t, ok bool) {
	if !exists(m.mountpoint) || !m.busy.CompareAndSwap(false, true) {
		return st, false
	}
	type result struct {
		st  unix.Statfs_t
		err error
	}
	done := make(chan result, 1)
	statfs, path := u.src.statfs, m.mountpoint
	go func() {
		var res result
		res.err = statfs(path, &res.st)
		m.busy.Store(false)
		done <- res
	}()
	t := time.NewTimer(fsStatfsTimeout)
	defer t.Stop()
	select {
	case res := <-done:
		return res.st, res.err == nil
	case <-t.C:
		return st, false
	}
}

// diskCounters are the eleven counters of one /proc/diskstats line.
type diskCounters struct {
	major, minor uint64
	v            [11]uint64
}

// diskDevice matches the device names whose counters cAdvisor reads.
var diskDevice = regexp.MustCompile(`^(?:(?:s|v|xv)d[a-z]+\d*|dm-\d+)$`)

// diskStats reads /proc/diskstats by device path ("/dev/vda"). Unlike
// cAdvisor, which then reports no file system at all, a malformed line
// only leaves its device's counters zero.
func (u *fsUsage) diskStats(r *fileReader) map[string]diskCounters {
	out := map[string]diskCounters{}
	data, err := r.readPath(u.src.diskstats)
	if err != nil {
		return out
	}
	for len(data) > 0 {
		var line []byte
		line, data = cutLine(data)
		var f [14][]byte
		if splitFields(line, isSpace, f[:]) < 14 || !diskDevice.Match(f[2]) {
			continue
		}
		var c diskCounters
		var err error
		if c.major, err = strconv.ParseUint(string(f[0]), 10, 64); err != nil {
			continue
		}
		if c.minor, err = strconv.ParseUint(string(f[1]), 10, 64); err != nil {
			continue
		}
		bad := false
		for i := range c.v {
			if c.v[i], err = strconv.ParseUint(string(f[3+i]), 10, 64); err != nil {
				bad = true
			}
		}
		if !bad {
			out["/dev/"+string(f[2])] = c
		}
	}
	return out
}
