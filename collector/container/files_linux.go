//go:build linux

package container

import (
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Open cgroup files.
//
// Opening and closing a cgroup file costs more than reading it: on a host
// with thousands of cgroups, open and close were half of a housekeeping
// round. The lean reader therefore keeps the files it reads open from
// round to round, up to a limit, and reads them again with pread at
// offset 0: cgroup files (cgroup v1 and v2 alike, kernfs seq_files)
// produce their content anew whenever they are read from offset 0, so a
// kept descriptor gives the same figures a fresh open would.
//
// A kept descriptor outlives nothing it should not:
//
//   - When a cgroup is removed, reading its open files fails (ENODEV);
//     the reader then closes the descriptor and opens the path again,
//     which fails as a read of a removed cgroup always did (or succeeds
//     for a cgroup created again under the same name).
//   - When housekeeping stops tracking a cgroup (gone at a discovery,
//     found removed in a round, over max_containers), its descriptors are
//     closed at once (cgroup.release); when housekeeping stops, all are.
//   - On a file system other than cgroupfs (synthetic trees of tests and
//     benchmarks on tmpfs), a removed file stays readable through an open
//     descriptor; there each kept read is checked with fstat, and a file
//     without links is treated as a removed cgroup's.
//
// The limit, min(Config.MaxOpenFiles, RLIMIT_NOFILE soft limit / 2),
// leaves at least half of the process's descriptors for everything else,
// and bounds the kernel memory the open files hold (about a page each
// for the seq_file buffer: some 150 MB for the default 32,768). The
// policy is "keep the first files opened": every file is read once per
// round, in the same order, so a least-recently-used policy would evict
// each file just before it is read again; with a fixed set, the cgroups
// read first (in name order) are the ones read through kept descriptors,
// and descriptors freed by removed cgroups go to the next files opened.

// keptFilesLimit is the reader's limit for this process:
// min(configured, RLIMIT_NOFILE soft limit / 2).
func keptFilesLimit(configured int) int {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	return int(min(rl.Cur/2, uint64(max(configured, 0))))
}

// keptFiles accounts for the descriptors one reader keeps open.
type keptFiles struct {
	// limit is the most descriptors kept; 0 keeps none.
	limit int
	// held is the number kept now.
	held int
	// checkLinks makes every read through a kept descriptor check that
	// the file still has a link (file systems that are not cgroupfs).
	checkLinks bool
	// gauge, when set, follows held (shared by the collectors of one
	// registry, hence Add rather than Set).
	gauge interface{ Add(float64) }
}

// take reserves a slot for one more kept descriptor.
func (k *keptFiles) take() bool {
	if k.held >= k.limit {
		return false
	}
	k.held++
	if k.gauge != nil {
		k.gauge.Add(1)
	}
	return true
}

// put closes a kept descriptor and frees its slot.
func (k *keptFiles) put(fd int) {
	_ = unix.Close(fd)
	k.held--
	if k.gauge != nil {
		k.gauge.Add(-1)
	}
}

// cgroupFile is one file a lean manager reads, with its path joined once
// and, when kept, its descriptor.
type cgroupFile struct {
	dir, name string
	path      string
	fd        int // -1 when not kept
}

// fileSet is the files of one cgroup the lean reader has read.
type fileSet struct {
	files []cgroupFile
}

// get returns the entry for dir/name, adding one without a descriptor
// the first time. dir and name come from the same few strings every
// round, so the linear search over about ten entries is cheap.
func (s *fileSet) get(dir, name string) *cgroupFile {
	for i := range s.files {
		if f := &s.files[i]; f.name == name && f.dir == dir {
			return f
		}
	}
	s.files = append(s.files, cgroupFile{dir: dir, name: name, path: filepath.Join(dir, name), fd: -1})
	return &s.files[len(s.files)-1]
}

// release closes every kept descriptor of the set.
func (s *fileSet) release(k *keptFiles) {
	for i := range s.files {
		if f := &s.files[i]; f.fd >= 0 {
			k.put(f.fd)
			f.fd = -1
		}
	}
}

// held is the number of descriptors the set keeps.
func (s *fileSet) held() int {
	n := 0
	for _, f := range s.files {
		if f.fd >= 0 {
			n++
		}
	}
	return n
}

// unlinked reports whether the file open as fd has no link any more,
// which on ordinary file systems is what removing it (or its cgroup
// directory) leaves; an fstat failure counts as unlinked.
func unlinked(fd int) bool {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return true
	}
	return st.Nlink == 0
}
