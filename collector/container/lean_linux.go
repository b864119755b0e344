//go:build linux

package container

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/opencontainers/cgroups"
	"golang.org/x/sys/unix"
)

// leanKinds are the metric kinds the lean reader covers. With any other
// kind enabled, every cgroup is read by the full reader.
// The disk kind concerns the root cgroup only, which cAdvisor's reader
// reads anyway.
const leanKinds = kindCPU | kindMemory | kindDiskIO | kindNetwork | kindDisk

// leanManager is the cgroup manager cAdvisor's handler reads statistics
// through, reading only the files behind the statistics the cpu, memory
// and diskIO kinds export.
//
// cAdvisor's handler asks the cgroup manager (runc's
// github.com/opencontainers/cgroups) for all statistics of every
// controller: about 35 files per cgroup on cgroup v1 (memory alone reads
// 19: usage, maximum, failures and limit of memory, memory+swap, kernel and
// kernel TCP memory, plus the NUMA statistics) and over 20 on v2 (pids,
// hugetlb, rdma, misc, pressure), each through os.File (five system calls
// and several allocations per file). On a host with thousands of cgroups
// that is most of the cost, and most of it is never exported. This manager
// fills the same cgroups.Stats fields that cAdvisor's conversion turns
// into the exported statistics, with the same parsing rules as runc's
// reader (tests compare both readers series by series), reading each file
// into a reused buffer with one pread through a descriptor kept open from
// round to round (three system calls, open, read and close, once the
// reader's limit of kept descriptors is reached; see keptFiles), and
// leaves the other fields zero. cAdvisor's own conversion (libcontainer.Handler) then runs
// unchanged.
//
// Unlike runc's reader it does not check, file by file, that it reads a
// cgroup file system; New checks the hierarchies once instead.
type leanManager struct {
	// Manager is the full manager; everything but GetStats is its.
	cgroups.Manager
	paths map[string]string
	v2    bool
	r     *fileReader
	// files are the files read, kept open as r allows.
	files fileSet
	// Settings that change only when an administrator changes them, read
	// once per discovery (see refresh) rather than every round: the v1
	// memory hierarchy flag and the v1 block IO file group in use.
	hierarchy  int8 // -1 unknown, else 0 or 1
	blkioGroup int  // -1 unknown, else the index in blkioGroups
}

// release closes the files the manager keeps open.
func (m *leanManager) release() {
	m.files.release(&m.r.kept)
}

// refresh forgets the settings read once per discovery.
func (m *leanManager) refresh() {
	m.hierarchy, m.blkioGroup = -1, -1
}

// GetStats reads the statistics of the cpu, memory and diskIO kinds. The
// statistics returned are valid until the next call on any cgroup of the
// same reader: cAdvisor's handler converts them at once and keeps nothing
// of them, so one reused set saves thousands of allocations per round.
func (m *leanManager) GetStats() (*cgroups.Stats, error) {
	m.r.files = &m.files
	defer func() { m.r.files = nil }()
	st := m.r.stats()
	if m.v2 {
		return st, m.r.statsV2(m.paths[""], st)
	}
	// The controllers in the order runc's v1 manager reads them, which
	// decides the error reported when several fail.
	if p := m.paths["memory"]; p != "" {
		if err := m.r.memoryV1(p, st, &m.hierarchy); err != nil {
			return nil, err
		}
	}
	if p := m.paths["cpu"]; p != "" {
		if err := m.r.cpuV1(p, st); err != nil {
			return nil, err
		}
	}
	if p := m.paths["cpuacct"]; p != "" {
		if err := m.r.cpuacctV1(p, st); err != nil {
			return nil, err
		}
	}
	if p := m.paths["blkio"]; p != "" {
		if err := m.r.blkioV1(p, st, &m.blkioGroup); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// fileReader reads small files into one reused buffer, keeping the
// files of the cgroup being read open for the next rounds (see keptFiles).
// It is used by one goroutine (the housekeeper's).
type fileReader struct {
	buf []byte
	// st is the statistics set GetStats fills, reused from call to call.
	st cgroups.Stats
	// keys interns the keys of key-value files (memory.stat has dozens),
	// which are the same in every cgroup.
	keys map[string]string
	// files is the file set of the cgroup being read (set by GetStats);
	// nil reads without keeping anything open.
	files *fileSet
	kept  keptFiles
}

// stats returns the reused statistics set, emptied: its memory.stat map
// and block IO tables keep their storage.
func (r *fileReader) stats() *cgroups.Stats {
	m := r.st.MemoryStats.Stats
	if m == nil {
		m = map[string]uint64{}
	}
	clear(m)
	b := &r.st.BlkioStats
	r.st = cgroups.Stats{
		MemoryStats: cgroups.MemoryStats{Stats: m},
		BlkioStats: cgroups.BlkioStats{
			IoServiceBytesRecursive: b.IoServiceBytesRecursive[:0],
			IoServicedRecursive:     b.IoServicedRecursive[:0],
			IoQueuedRecursive:       b.IoQueuedRecursive[:0],
			IoServiceTimeRecursive:  b.IoServiceTimeRecursive[:0],
			IoWaitTimeRecursive:     b.IoWaitTimeRecursive[:0],
			IoMergedRecursive:       b.IoMergedRecursive[:0],
			IoTimeRecursive:         b.IoTimeRecursive[:0],
			SectorsRecursive:        b.SectorsRecursive[:0],
			IoCostUsage:             b.IoCostUsage[:0],
			IoCostWait:              b.IoCostWait[:0],
			IoCostIndebt:            b.IoCostIndebt[:0],
			IoCostIndelay:           b.IoCostIndelay[:0],
		},
	}
	return &r.st
}

// read returns the content of dir/name, valid until the next read. Errors
// are *os.PathError, so os.IsNotExist works on them.
//
// A file of the current file set that is kept open is read again from
// offset 0; if that fails (its cgroup was removed) or the file has lost
// its last link (see keptFiles.checkLinks), the descriptor is closed and
// the path opened again. A file opened is kept while the limit allows.
func (r *fileReader) read(dir, name string) ([]byte, error) {
	if r.files == nil {
		return r.readPath(filepath.Join(dir, name))
	}
	f := r.files.get(dir, name)
	if f.fd >= 0 {
		if !r.kept.checkLinks || !unlinked(f.fd) {
			if b, err := r.readFD(f.fd); err == nil {
				return b, nil
			}
		}
		r.kept.put(f.fd)
		f.fd = -1
	}
	fd, err := openFile(f.path)
	if err != nil {
		return nil, err
	}
	b, err := r.readFD(fd)
	switch {
	case err != nil:
		_ = unix.Close(fd)
		return nil, &os.PathError{Op: "read", Path: f.path, Err: err}
	case r.kept.take():
		f.fd = fd
	default:
		_ = unix.Close(fd)
	}
	return b, nil
}

// readPath reads a file without keeping it open.
func (r *fileReader) readPath(path string) ([]byte, error) {
	fd, err := openFile(path)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	b, err := r.readFD(fd)
	if err != nil {
		return nil, &os.PathError{Op: "read", Path: path, Err: err}
	}
	return b, nil
}

// openFile opens path for reading; errors are *os.PathError.
func openFile(path string) (int, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	for err == unix.EINTR {
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return fd, nil
}

// readFD reads the whole file open as fd, from offset 0, into the reused
// buffer.
func (r *fileReader) readFD(fd int) ([]byte, error) {
	if r.buf == nil {
		r.buf = make([]byte, 16<<10)
	}
	n := 0
	for {
		if n == len(r.buf) {
			r.buf = append(r.buf, make([]byte, len(r.buf))...)
		}
		m, err := unix.Pread(fd, r.buf[n:], int64(n))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if m == 0 {
			return r.buf[:n], nil
		}
		n += m
		// A cgroup file is produced in one read; stop at a short read
		// rather than paying for the read that returns end of file.
		if n < len(r.buf) {
			return r.buf[:n], nil
		}
	}
}

// parseErr describes a malformed file.
func parseErr(dir, name string, err error) error {
	return fmt.Errorf("parse %s: %w", filepath.Join(dir, name), err)
}

// uintValue reads a file holding one number, as runc's GetCgroupParamUint:
// "max" is the largest uint64 and negative numbers (kernel bugs) are 0.
func (r *fileReader) uintValue(dir, name string) (uint64, error) {
	b, err := r.read(dir, name)
	if err != nil {
		return 0, err
	}
	s := string(bytes.TrimSpace(b))
	if s == "max" {
		return math.MaxUint64, nil
	}
	v, err := parseUint(s)
	if err != nil {
		return v, parseErr(dir, name, err)
	}
	return v, nil
}

// parseUint is runc's ParseUint: negative values, which some kernels
// report for memory statistics, are 0.
func parseUint(s string) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err == nil {
		return v, nil
	}
	iv, ierr := strconv.ParseInt(s, 10, 64)
	if (ierr == nil || errorsIsRange(ierr)) && iv < 0 {
		return 0, nil
	}
	return v, err
}

func errorsIsRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// intern returns b as a string, without allocating for keys seen before.
func (r *fileReader) intern(b []byte) string {
	if s, ok := r.keys[string(b)]; ok {
		return s
	}
	if r.keys == nil || len(r.keys) > 4096 {
		r.keys = map[string]string{}
	}
	s := string(b)
	r.keys[s] = s
	return s
}

// cutLine returns the first line of data (without its newline) and the
// rest, nil when it was the last.
func cutLine(data []byte) (line, rest []byte) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return data[:i], data[i+1:]
	}
	return data, nil
}

// keyValues parses "key value" lines, as runc's ParseKeyValue, calling f
// for each.
func (r *fileReader) keyValues(data []byte, f func(k string, v uint64)) error {
	for len(data) > 0 {
		var line []byte
		line, data = cutLine(data)
		if len(line) == 0 {
			continue
		}
		k, v, ok := bytes.Cut(line, []byte{' '})
		if !ok || len(k) == 0 || len(v) == 0 {
			return fmt.Errorf("line %q is not in \"key value\" format", line)
		}
		n, err := parseUint(string(v))
		if err != nil {
			return err
		}
		f(r.intern(k), n)
	}
	return nil
}

// memoryV1 reads what cAdvisor converts of the v1 memory controller:
// memory.stat, usage, maximum usage and failure count, kernel memory usage
// and the hierarchy flag (which decides between the total_ and the local
// keys of memory.stat), which is read when *hierarchy is -1 and kept there.
// Like runc's reader, a cgroup without memory.stat has no memory
// statistics and is not an error.
func (r *fileReader) memoryV1(path string, st *cgroups.Stats, hierarchy *int8) error {
	const file = "memory.stat"
	b, err := r.read(path, file)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	ms := &st.MemoryStats
	if err := r.keyValues(b, func(k string, v uint64) { ms.Stats[k] = v }); err != nil {
		return parseErr(path, file, err)
	}
	ms.Cache = ms.Stats["cache"]
	if ms.Usage.Usage, err = r.uintValue(path, "memory.usage_in_bytes"); err != nil {
		return err
	}
	if ms.Usage.MaxUsage, err = r.uintValue(path, "memory.max_usage_in_bytes"); err != nil {
		return err
	}
	if ms.Usage.Failcnt, err = r.uintValue(path, "memory.failcnt"); err != nil {
		return err
	}
	// Kernel memory accounting is optional in the kernel.
	kmem, err := r.uintValue(path, "memory.kmem.usage_in_bytes")
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	ms.KernelUsage.Usage = kmem
	if *hierarchy < 0 {
		// Read once per discovery: not worth a kept descriptor.
		files := r.files
		r.files = nil
		h, err := r.uintValue(path, "memory.use_hierarchy")
		r.files = files
		if err != nil {
			return err
		}
		*hierarchy = 0
		if h == 1 {
			*hierarchy = 1
		}
	}
	ms.UseHierarchy = *hierarchy == 1
	return nil
}

// cpuV1 reads the CFS throttling figures of cpu.stat (runc's v1 reader
// knows only these three).
func (r *fileReader) cpuV1(path string, st *cgroups.Stats) error {
	const file = "cpu.stat"
	b, err := r.read(path, file)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	t := &st.CpuStats.ThrottlingData
	err = r.keyValues(b, func(k string, v uint64) {
		switch k {
		case "nr_periods":
			t.Periods = v
		case "nr_throttled":
			t.ThrottledPeriods = v
		case "throttled_time":
			t.ThrottledTime = v
		}
	})
	if err != nil {
		return parseErr(path, file, err)
	}
	return nil
}

// cpuacctV1 reads the total, user and system CPU time (not the per-CPU
// figures, which only the percpu kind exports).
func (r *fileReader) cpuacctV1(path string, st *cgroups.Stats) error {
	const file = "cpuacct.stat"
	b, err := r.read(path, file)
	if err != nil {
		// As runc's reader: a cgroup without a cpuacct directory has no
		// CPU usage (runc checks the directory first; not finding the file
		// in a missing directory is the same answer, one call cheaper).
		if os.IsNotExist(err) && !cgroups.PathExists(path) {
			return nil
		}
		return err
	}
	// "user <ticks>\nsystem <ticks>\n", in USER_HZ (100 on Linux) ticks.
	var fields [4][]byte
	if n := splitFields(b, isSpace, fields[:]); n < 4 || string(fields[0]) != "user" || string(fields[2]) != "system" {
		return parseErr(path, file, fmt.Errorf("malformed %q", b))
	}
	user, err := strconv.ParseUint(string(fields[1]), 10, 64)
	if err != nil {
		return parseErr(path, file, err)
	}
	system, err := strconv.ParseUint(string(fields[3]), 10, 64)
	if err != nil {
		return parseErr(path, file, err)
	}
	total, err := r.uintValue(path, "cpuacct.usage")
	if err != nil {
		return err
	}
	// The same integer arithmetic as runc's reader, overflow included.
	const nsPerSecond, ticksPerSecond = 1_000_000_000, 100
	u := &st.CpuStats.CpuUsage
	u.TotalUsage = total
	u.UsageInUsermode = user * nsPerSecond / ticksPerSecond
	u.UsageInKernelmode = system * nsPerSecond / ticksPerSecond
	return nil
}

// blkioTables are the v1 block IO files, in the groups runc tries in
// order: BFQ with debug statistics, BFQ, CFQ, throttling recursive,
// throttling. The first group whose first file exists and is not empty is
// read entirely; a later file missing fails the read.
var blkioGroups = [][]struct {
	file  string
	table func(*cgroups.BlkioStats) *[]cgroups.BlkioStatEntry
}{
	{
		{"blkio.bfq.sectors_recursive", func(b *cgroups.BlkioStats) *[]cgroups.BlkioStatEntry { return &b.SectorsRecursive }},
		{"blkio.bfq.io_service_time_recursive", func(b *cgroups.BlkioStats) *[]cgroups.BlkioStatEntry { return &b.IoServiceTimeRecursive }},
		{"blkio.bfq.io_wait_time_recursive", func(b *cgroups.BlkioStats) *[]cgroups.BlkioStatEntry { return &b.IoWaitTimeRecursive }},
		{"blkio.bfq.io_merged_recursive", func(b *cgroups.BlkioStats) *[]cgroups.BlkioStatEntry { return &b.IoMergedRecursive }},
		{"blkio.bfq.io_queued_recursive", func(b *cgroups.BlkioStats) *[]cgroups.BlkioStatEntry { return &b.IoQueuedRecursive }},
		{"blkio.bfq.time_recursive", func(b *cgroups.BlkioStats) *[]cgroups.BlkioStatEntry { return &b.IoTimeRecursive }},
		{"blkio.bfq.io_serviced_recursive", func(b *cgroups.BlkioStats) *[]cgroups.BlkioStatEntry { return &b.IoServicedRecursive }},
		{"blkio.bfq.io_service_bytes_recursive", func(b *cgroups.BlkioStats) *[]cgroups.BlkioStatEntry { return &b.IoServiceBytesRecursive }},
	},
	{
		{"blkio.bfq.io_serviced_recursive", func(b *cgroups.BlkioStats) *[]cgroups.BlkioStatEntry { return &b.IoServicedRecursive }},
		{"blkio.bfq.io_service_bytes_recursive", func(b *cgroups.BlkioStats) *[]cgroups.BlkioStatEntry { return &b.IoServiceBytesRecursive }},
	},
	{
		{"blkio.sectors_recursive", func(b *cgroups.BlkioStats) *[]cgroups.BlkioStatEntry { return &b.SectorsRecursive }},
		{"blkio.io_service_time_recursive", func(b *cgroups.BlkioStats) *[]cgroups.BlkioStatEntry { return &b.IoServiceTimeRecursive }},
		{"blkio.io_wait_time_recursive", func(b *cgroups.BlkioStats) *[]cgroups.BlkioStatEntry { return &b.IoWaitTimeRecursive }},
		{"blkio.io_merged_recursive", func(b *cgroups.BlkioStats) *[]cgroups.BlkioStatEntry { return &b.IoMergedRecursive }},
		{"blkio.io_queued_recursive", func(b *cgroups.BlkioStats) *[]cgroups.BlkioStatEntry { return &b.IoQueuedRecursive }},
		{"blkio.time_recursive", func(b *cgroups.BlkioStats) *[]cgroups.BlkioStatEntry { return &b.IoTimeRecursive }},
		{"blkio.io_serviced_recursive", func(b *cgroups.BlkioStats) *[]cgroups.BlkioStatEntry { return &b.IoServicedRecursive }},
		{"blkio.io_service_bytes_recursive", func(b *cgroups.BlkioStats) *[]cgroups.BlkioStatEntry { return &b.IoServiceBytesRecursive }},
	},
	{
		{"blkio.throttle.io_serviced_recursive", func(b *cgroups.BlkioStats) *[]cgroups.BlkioStatEntry { return &b.IoServicedRecursive }},
		{"blkio.throttle.io_service_bytes_recursive", func(b *cgroups.BlkioStats) *[]cgroups.BlkioStatEntry { return &b.IoServiceBytesRecursive }},
	},
	{
		{"blkio.throttle.io_serviced", func(b *cgroups.BlkioStats) *[]cgroups.BlkioStatEntry { return &b.IoServicedRecursive }},
		{"blkio.throttle.io_service_bytes", func(b *cgroups.BlkioStats) *[]cgroups.BlkioStatEntry { return &b.IoServiceBytesRecursive }},
	},
}

// blkioV1 reads the block IO statistics as runc's v1 reader does. The
// group found is kept in *group and tried first next time; when its first
// file has no statistics any more, the search starts over.
func (r *fileReader) blkioV1(path string, st *cgroups.Stats, group *int) error {
	if *group >= 0 {
		found, err := r.blkioGroup(path, st, *group)
		if found {
			return err
		}
	}
	for g := range blkioGroups {
		found, err := r.blkioGroup(path, st, g)
		if found {
			*group = g
			return err
		}
	}
	*group = -1
	return nil
}

// blkioGroup reads group g if its first file has statistics; found
// reports whether it had.
func (r *fileReader) blkioGroup(path string, st *cgroups.Stats, g int) (found bool, err error) {
	for i, f := range blkioGroups[g] {
		table := f.table(&st.BlkioStats)
		*table = (*table)[:0]
		err := r.blkioFile(path, f.file, table)
		if err != nil || len(*table) == 0 {
			if i == 0 {
				return false, nil
			}
			return true, err
		}
	}
	return true, nil
}

// blkioFile parses "major:minor [op] value" lines, skipping the "Total"
// line, appending the entries to *table; a missing file gives no entries
// and no error.
func (r *fileReader) blkioFile(dir, name string, table *[]cgroups.BlkioStatEntry) error {
	b, err := r.read(dir, name)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	isSep := func(c byte) bool { return c == ' ' || c == ':' || c == '\n' }
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i+1], b[i+1:]
		} else {
			b = nil
		}
		var fields [4][]byte
		n := splitFields(line, isSep, fields[:])
		if n < 3 {
			if n == 2 && string(fields[0]) == "Total" {
				continue
			}
			if n == 0 {
				continue
			}
			return parseErr(dir, name, fmt.Errorf("malformed line %q", line))
		}
		major, err := strconv.ParseUint(string(fields[0]), 10, 64)
		if err != nil {
			return parseErr(dir, name, err)
		}
		minor, err := strconv.ParseUint(string(fields[1]), 10, 64)
		if err != nil {
			return parseErr(dir, name, err)
		}
		op, valueField := "", 2
		if n == 4 {
			op, valueField = r.intern(fields[2]), 3
		}
		v, err := strconv.ParseUint(string(fields[valueField]), 10, 64)
		if err != nil {
			return parseErr(dir, name, err)
		}
		*table = append(*table, cgroups.BlkioStatEntry{Major: major, Minor: minor, Op: op, Value: v})
	}
	return nil
}

// splitFields stores the first len(out) fields of b, separated by runs of
// bytes for which isSep is true, in out, and returns the number of fields
// in b (which may be more), as strings.FieldsFunc counts them.
func splitFields(b []byte, isSep func(byte) bool, out [][]byte) int {
	n := 0
	for {
		var f []byte
		if f, b = nextField(b, isSep); len(f) == 0 {
			return n
		}
		if n < len(out) {
			out[n] = f
		}
		n++
	}
}

// nextField returns the first field of b (empty when there is none) and
// what follows it.
func nextField(b []byte, isSep func(byte) bool) (field, rest []byte) {
	i := 0
	for i < len(b) && isSep(b[i]) {
		i++
	}
	j := i
	for j < len(b) && !isSep(b[j]) {
		j++
	}
	return b[i:j], b[j:]
}

// isSpace reports whether c is ASCII white space, as strings.Fields
// splits (the kernel writes no other).
func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}

// statsV2 reads cpu.stat, memory.stat, memory.current, memory.peak,
// memory.swap.current and io.stat of a cgroup v2 directory, filling the
// fields as runc's v2 reader does. Missing files of a controller that is
// not enabled leave its statistics zero, as there.
func (r *fileReader) statsV2(dir string, st *cgroups.Stats) error {
	if err := r.memoryV2(dir, st); err != nil && !os.IsNotExist(err) {
		return err
	}
	if err := r.ioV2(dir, st); err != nil && !os.IsNotExist(err) {
		return err
	}
	if err := r.cpuV2(dir, st); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

func (r *fileReader) memoryV2(dir string, st *cgroups.Stats) error {
	const file = "memory.stat"
	b, err := r.read(dir, file)
	if err != nil {
		return err
	}
	ms := &st.MemoryStats
	if err := r.keyValues(b, func(k string, v uint64) { ms.Stats[k] = v }); err != nil {
		return parseErr(dir, file, err)
	}
	ms.Cache = ms.Stats["file"]
	ms.UseHierarchy = true
	if ms.Usage.Usage, err = r.uintValue(dir, "memory.current"); err != nil {
		return err
	}
	// memory.peak exists since Linux 5.19.
	if ms.Usage.MaxUsage, err = r.uintValue(dir, "memory.peak"); err != nil && !os.IsNotExist(err) {
		return err
	}
	// Without swap accounting there is no memory.swap.current. Like v1,
	// the swap usage reported is memory+swap.
	swap, err := r.uintValue(dir, "memory.swap.current")
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	ms.SwapUsage.Usage = swap + ms.Usage.Usage
	ms.SwapOnlyUsage.Usage = swap
	return nil
}

// ioV2 maps io.stat to the v1 tables as runc does: rbytes and wbytes to
// the bytes serviced, rios and wios to the IOs serviced, cost.* to the
// IOCost tables.
func (r *fileReader) ioV2(dir string, st *cgroups.Stats) error {
	const file = "io.stat"
	data, err := r.read(dir, file)
	if err != nil {
		return err
	}
	b := &st.BlkioStats
	for len(data) > 0 {
		var line []byte
		line, data = cutLine(data)
		dev, rest := nextField(line, isSpace)
		if len(dev) == 0 {
			continue
		}
		if bytes.Count(dev, []byte{':'}) != 1 {
			continue
		}
		maj, min, _ := bytes.Cut(dev, []byte{':'})
		major, err := strconv.ParseUint(string(maj), 10, 64)
		if err != nil {
			return parseErr(dir, file, err)
		}
		minor, err := strconv.ParseUint(string(min), 10, 64)
		if err != nil {
			return parseErr(dir, file, err)
		}
		for {
			var item []byte
			if item, rest = nextField(rest, isSpace); len(item) == 0 {
				break
			}
			k, val, ok := bytes.Cut(item, []byte{'='})
			if !ok {
				continue
			}
			var table *[]cgroups.BlkioStatEntry
			op := "Count"
			switch string(k) {
			case "rbytes":
				op, table = "Read", &b.IoServiceBytesRecursive
			case "wbytes":
				op, table = "Write", &b.IoServiceBytesRecursive
			case "rios":
				op, table = "Read", &b.IoServicedRecursive
			case "wios":
				op, table = "Write", &b.IoServicedRecursive
			case "cost.usage":
				table = &b.IoCostUsage
			case "cost.wait":
				table = &b.IoCostWait
			case "cost.indebt":
				table = &b.IoCostIndebt
			case "cost.indelay":
				table = &b.IoCostIndelay
			default:
				continue
			}
			v, err := strconv.ParseUint(string(val), 10, 64)
			if err != nil {
				return parseErr(dir, file, err)
			}
			*table = append(*table, cgroups.BlkioStatEntry{Major: major, Minor: minor, Op: op, Value: v})
		}
	}
	return nil
}

// cpuV2 reads cpu.stat, which exists whether or not the cpu controller is
// enabled.
func (r *fileReader) cpuV2(dir string, st *cgroups.Stats) error {
	const file = "cpu.stat"
	b, err := r.read(dir, file)
	if err != nil {
		return err
	}
	c := &st.CpuStats
	err = r.keyValues(b, func(k string, v uint64) {
		switch k {
		case "usage_usec":
			c.CpuUsage.TotalUsage = v * 1000
		case "user_usec":
			c.CpuUsage.UsageInUsermode = v * 1000
		case "system_usec":
			c.CpuUsage.UsageInKernelmode = v * 1000
		case "nr_periods":
			c.ThrottlingData.Periods = v
		case "nr_throttled":
			c.ThrottlingData.ThrottledPeriods = v
		case "throttled_usec":
			c.ThrottlingData.ThrottledTime = v * 1000
		case "nr_bursts":
			c.BurstData.BurstsPeriods = v
		case "burst_usec":
			c.BurstData.BurstTime = v * 1000
		}
	})
	if err != nil {
		return parseErr(dir, file, err)
	}
	return nil
}
