// Package cgrouptest writes synthetic cgroup hierarchies into a directory,
// laid out like the kernel's cgroup v1 and v2 file systems, for tests and
// benchmarks of package container (Config.CgroupRoot points at them).
//
// The files follow the formats of the kernel's cgroup interface files
// (Documentation/admin-guide/cgroup-v1 and cgroup-v2.rst); the cgroup v1
// key sets of memory.stat and memory.numa_stat are those of the real
// sandbox files captured in package container's testdata. Values are
// deterministic functions of the cgroup's index and of Options.Round, so
// that golden files are stable and successive rounds look like moving
// counters.
//
// A tree holds the root cgroup "/", a parent "/pipewatch" with Options.Leaves
// leaf cgroups "/pipewatch/ctr-0000", "/pipewatch/ctr-0001", ..., and, when
// Options.DockerIDs is set, a parent "/system.slice" with one
// "/system.slice/docker-<id>.scope" per ID. Leaves with an odd index have a
// CPU quota (and so CFS throttling figures); leaves with an even index have
// a memory limit. Every cgroup does block IO on two devices, 253:0 and
// 253:16; on cgroup v1 the block IO files are those of the sandbox's kernel
// (BFQ and throttling statistics) unless Options.BlkioCFQ asks for an old
// kernel's.
package cgrouptest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Version selects the cgroup file system layout.
type Version int

// The layouts Write can produce.
const (
	// V1 is one hierarchy per controller: <dir>/cpu, <dir>/cpuacct,
	// <dir>/memory, <dir>/blkio, <dir>/pids and <dir>/devices.
	V1 Version = 1
	// V2 is the unified hierarchy: <dir> holds cgroup.controllers and every
	// controller's files.
	V2 Version = 2
)

// Options shape a synthetic tree.
type Options struct {
	// Version is the layout; zero means V1.
	Version Version
	// Leaves is the number of leaf cgroups below /pipewatch.
	Leaves int
	// DockerIDs are 64-hex container IDs that get Docker-style cgroups.
	DockerIDs []string
	// Round shifts every counter, for rewriting a tree as time passes.
	Round int
	// BlkioCFQ writes, on cgroup v1, the eight statistics files of the CFQ
	// IO scheduler of kernels before 5.0 instead of the two of BFQ that the
	// sandbox's 6.x kernel has (both with the throttling files).
	BlkioCFQ bool
}

// Names returns the names of the cgroups Write creates for opts, root
// first, parents before their children.
func Names(opts Options) []string {
	names := []string{"/", "/pipewatch"}
	for i := range opts.Leaves {
		names = append(names, fmt.Sprintf("/pipewatch/ctr-%04d", i))
	}
	if len(opts.DockerIDs) > 0 {
		names = append(names, "/system.slice")
		for _, id := range opts.DockerIDs {
			names = append(names, "/system.slice/docker-"+id+".scope")
		}
	}
	return names
}

// Write creates (or rewrites) the tree described by opts in dir and
// returns the names of its cgroups (see Names).
func Write(dir string, opts Options) ([]string, error) {
	names := Names(opts)
	for i, name := range names {
		v := values(i, opts.Round)
		var err error
		if opts.Version == V2 {
			err = writeV2(filepath.Join(dir, name), v)
		} else {
			err = writeV1(dir, name, v, opts.BlkioCFQ)
		}
		if err != nil {
			return nil, fmt.Errorf("write cgroup %s: %w", name, err)
		}
	}
	return names, nil
}

// vals are the figures of one cgroup in one round.
type vals struct {
	i                          int
	user, system               uint64 // ns
	percpu                     [2]uint64
	quota                      int64 // µs, -1 for none
	shares                     uint64
	periods, throttled         uint64
	throttledNs                uint64
	usage, maxUsage, limit     uint64 // bytes; limit 0 for none
	cache, rss, mapped         uint64
	activeFile, inactiveFile   uint64
	pgfault, pgmajfault        uint64
	failcnt                    uint64
	readBytes, writeBytes      [2]uint64
	reads, writes              [2]uint64
	pids                       uint64
	pressureSome, pressureFull uint64 // µs
}

// noLimit is what cgroup v1 reports for "no memory limit".
const noLimit = uint64(9223372036854771712)

func values(i, round int) vals {
	n := uint64(i + 1)
	r := uint64(round)
	v := vals{
		i:            i,
		user:         n*1_500_000_000 + r*70_000_000,
		system:       n*500_000_000 + r*30_000_000,
		quota:        -1,
		shares:       1024,
		usage:        n*8<<20 + r*4096,
		cache:        n * 2 << 20,
		rss:          n * 5 << 20,
		mapped:       n * 1 << 20,
		activeFile:   n * 1 << 20,
		inactiveFile: n * 512 << 10,
		pgfault:      n*1000 + r*10,
		pgmajfault:   n * 3,
		pids:         n % 7,
		pressureSome: n*1000 + r,
		pressureFull: n * 400,
	}
	v.percpu = [2]uint64{v.user/2 + v.system/2, v.user - v.user/2 + v.system - v.system/2}
	v.maxUsage = v.usage + n*1<<20
	if i%2 == 1 {
		v.quota = 50_000
		v.shares = 512
		v.periods = n*100 + r
		v.throttled = n*7 + r/2
		v.throttledNs = n * 25_000_000
	}
	if i%2 == 0 && i > 0 {
		v.limit = 512 << 20
		v.failcnt = n % 3
	}
	for d := range 2 {
		m := uint64(d + 1)
		v.readBytes[d] = n*m*40960 + r*4096
		v.writeBytes[d] = n*m*81920 + r*8192
		v.reads[d] = n*m*10 + r
		v.writes[d] = n*m*20 + r*2
	}
	return v
}

// devices are the block devices every cgroup does IO on.
var devices = [2]string{"253:0", "253:16"}

type files map[string]string

func (f files) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, content := range f {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func writeV1(root, name string, v vals, cfq bool) error {
	limit := noLimit
	if v.limit != 0 {
		limit = v.limit
	}
	procs := files{"cgroup.procs": "", "tasks": "", "cgroup.clone_children": "0\n", "notify_on_release": "0\n"}
	ctrl := map[string]files{
		"cpu": {
			"cpu.shares":        fmt.Sprintf("%d\n", v.shares),
			"cpu.cfs_period_us": "100000\n",
			"cpu.cfs_quota_us":  fmt.Sprintf("%d\n", v.quota),
			"cpu.stat": fmt.Sprintf("nr_periods %d\nnr_throttled %d\nthrottled_time %d\nnr_bursts 0\nburst_time 0\n",
				v.periods, v.throttled, v.throttledNs),
		},
		"cpuacct": {
			"cpuacct.usage":             fmt.Sprintf("%d\n", v.user+v.system),
			"cpuacct.usage_user":        fmt.Sprintf("%d\n", v.user),
			"cpuacct.usage_sys":         fmt.Sprintf("%d\n", v.system),
			"cpuacct.stat":              fmt.Sprintf("user %d\nsystem %d\n", v.user/10_000_000, v.system/10_000_000),
			"cpuacct.usage_percpu":      fmt.Sprintf("%d %d \n", v.percpu[0], v.percpu[1]),
			"cpuacct.usage_percpu_user": fmt.Sprintf("%d %d \n", v.user/2, v.user-v.user/2),
			"cpuacct.usage_percpu_sys":  fmt.Sprintf("%d %d \n", v.system/2, v.system-v.system/2),
			"cpuacct.usage_all":         fmt.Sprintf("cpu user system\n0 %d %d\n1 %d %d\n", v.user/2, v.system/2, v.user-v.user/2, v.system-v.system/2),
		},
		"memory": {
			"memory.stat":                        memoryStatV1(v, limit),
			"memory.usage_in_bytes":              fmt.Sprintf("%d\n", v.usage),
			"memory.max_usage_in_bytes":          fmt.Sprintf("%d\n", v.maxUsage),
			"memory.limit_in_bytes":              fmt.Sprintf("%d\n", limit),
			"memory.soft_limit_in_bytes":         fmt.Sprintf("%d\n", noLimit),
			"memory.failcnt":                     fmt.Sprintf("%d\n", v.failcnt),
			"memory.memsw.usage_in_bytes":        fmt.Sprintf("%d\n", v.usage),
			"memory.memsw.max_usage_in_bytes":    fmt.Sprintf("%d\n", v.maxUsage),
			"memory.memsw.limit_in_bytes":        fmt.Sprintf("%d\n", noLimit),
			"memory.memsw.failcnt":               "0\n",
			"memory.kmem.usage_in_bytes":         fmt.Sprintf("%d\n", v.usage/16),
			"memory.kmem.max_usage_in_bytes":     fmt.Sprintf("%d\n", v.maxUsage/16),
			"memory.kmem.limit_in_bytes":         fmt.Sprintf("%d\n", noLimit),
			"memory.kmem.failcnt":                "0\n",
			"memory.kmem.tcp.usage_in_bytes":     "0\n",
			"memory.kmem.tcp.max_usage_in_bytes": "0\n",
			"memory.kmem.tcp.limit_in_bytes":     fmt.Sprintf("%d\n", noLimit),
			"memory.kmem.tcp.failcnt":            "0\n",
			"memory.use_hierarchy":               "1\n",
			"memory.numa_stat":                   numaStatV1(v),
		},
		"blkio":   blkioV1(v, cfq),
		"pids":    {"pids.current": fmt.Sprintf("%d\n", v.pids), "pids.max": "max\n"},
		"devices": {"devices.list": "a *:* rwm\n"},
	}
	for c, f := range ctrl {
		for k, val := range procs {
			f[k] = val
		}
		if err := f.write(filepath.Join(root, c, name)); err != nil {
			return err
		}
	}
	return nil
}

// memoryStatV1 uses the keys of the sandbox's real cgroup v1 memory.stat.
func memoryStatV1(v vals, limit uint64) string {
	var b strings.Builder
	kv := func(k string, x uint64) { fmt.Fprintf(&b, "%s %d\n", k, x) }
	for _, prefix := range []string{"", "total_"} {
		kv(prefix+"cache", v.cache)
		kv(prefix+"rss", v.rss)
		kv(prefix+"rss_huge", 0)
		kv(prefix+"shmem", 0)
		kv(prefix+"mapped_file", v.mapped)
		kv(prefix+"dirty", 4096)
		kv(prefix+"writeback", 0)
		kv(prefix+"swap", 0)
		kv(prefix+"pgpgin", v.pgfault*2)
		kv(prefix+"pgpgout", v.pgfault)
		kv(prefix+"pgfault", v.pgfault)
		kv(prefix+"pgmajfault", v.pgmajfault)
		kv(prefix+"inactive_anon", 0)
		kv(prefix+"active_anon", v.rss)
		kv(prefix+"inactive_file", v.inactiveFile)
		kv(prefix+"active_file", v.activeFile)
		kv(prefix+"unevictable", 0)
		if prefix == "" {
			kv("hierarchical_memory_limit", limit)
			kv("hierarchical_memsw_limit", noLimit)
		}
	}
	return b.String()
}

// numaStatV1 is memory.numa_stat of a single-node machine.
func numaStatV1(v vals) string {
	pages := func(x uint64) uint64 { return x / 4096 }
	total, file, anon := pages(v.cache+v.rss), pages(v.cache), pages(v.rss)
	var b strings.Builder
	for _, prefix := range []string{"", "hierarchical_"} {
		fmt.Fprintf(&b, "%stotal=%d N0=%d\n%sfile=%d N0=%d\n%sanon=%d N0=%d\n%sunevictable=0 N0=0\n",
			prefix, total, total, prefix, file, file, prefix, anon, anon, prefix)
	}
	return b.String()
}

// blkioV1 writes the block IO statistics: the throttling files, which
// every v1 kernel has, and either BFQ's two statistics files (as on the
// sandbox's 6.x kernel) or CFQ's eight (kernels before 5.0), which
// cAdvisor's reader prefers to the throttling ones.
func blkioV1(v vals, cfq bool) files {
	ops := func(read, write [2]uint64) string {
		var b strings.Builder
		var total uint64
		for d, dev := range devices {
			fmt.Fprintf(&b, "%s Read %d\n%s Write %d\n%s Sync %d\n%s Async %d\n%s Discard 0\n%s Total %d\n",
				dev, read[d], dev, write[d], dev, write[d], dev, read[d], dev, dev, read[d]+write[d])
			total += read[d] + write[d]
		}
		fmt.Fprintf(&b, "Total %d\n", total)
		return b.String()
	}
	plain := func(x [2]uint64) string {
		return fmt.Sprintf("%s %d\n%s %d\n", devices[0], x[0], devices[1], x[1])
	}
	scale := func(x [2]uint64, k uint64) [2]uint64 { return [2]uint64{x[0] * k, x[1] * k} }
	f := files{
		"blkio.throttle.io_service_bytes_recursive": ops(v.readBytes, v.writeBytes),
		"blkio.throttle.io_serviced_recursive":      ops(v.reads, v.writes),
		"blkio.throttle.io_service_bytes":           ops(v.readBytes, v.writeBytes),
		"blkio.throttle.io_serviced":                ops(v.reads, v.writes),
	}
	if !cfq {
		f["blkio.bfq.io_service_bytes_recursive"] = ops(v.readBytes, v.writeBytes)
		f["blkio.bfq.io_serviced_recursive"] = ops(v.reads, v.writes)
		return f
	}
	f["blkio.io_service_bytes_recursive"] = ops(v.readBytes, v.writeBytes)
	f["blkio.io_serviced_recursive"] = ops(v.reads, v.writes)
	f["blkio.io_service_time_recursive"] = ops(scale(v.reads, 150_000), scale(v.writes, 250_000))
	f["blkio.io_wait_time_recursive"] = ops(scale(v.reads, 50_000), scale(v.writes, 70_000))
	f["blkio.io_merged_recursive"] = ops(scale(v.reads, 0), [2]uint64{v.writes[0] / 4, v.writes[1] / 4})
	f["blkio.io_queued_recursive"] = ops([2]uint64{}, [2]uint64{v.pids % 2, 0})
	f["blkio.sectors_recursive"] = plain([2]uint64{(v.readBytes[0] + v.writeBytes[0]) / 512, (v.readBytes[1] + v.writeBytes[1]) / 512})
	f["blkio.time_recursive"] = plain(scale(v.reads, 3))
	return f
}

func writeV2(dir string, v vals) error {
	cpuMax := "max 100000\n"
	if v.quota > 0 {
		cpuMax = fmt.Sprintf("%d 100000\n", v.quota)
	}
	memMax := "max\n"
	if v.limit != 0 {
		memMax = fmt.Sprintf("%d\n", v.limit)
	}
	psi := func(some, full uint64) string {
		return fmt.Sprintf("some avg10=0.12 avg60=0.05 avg300=0.01 total=%d\nfull avg10=0.00 avg60=0.01 avg300=0.00 total=%d\n", some, full)
	}
	var io strings.Builder
	for d, dev := range devices {
		fmt.Fprintf(&io, "%s rbytes=%d wbytes=%d rios=%d wios=%d dbytes=0 dios=0\n",
			dev, v.readBytes[d], v.writeBytes[d], v.reads[d], v.writes[d])
	}
	return files{
		"cgroup.controllers":     "cpuset cpu io memory pids\n",
		"cgroup.subtree_control": "cpu io memory pids\n",
		"cgroup.events":          "populated 1\nfrozen 0\n",
		"cgroup.procs":           "",
		"cpu.weight":             fmt.Sprintf("%d\n", 1+(v.shares-2)*9999/262142),
		"cpu.max":                cpuMax,
		"cpu.stat": fmt.Sprintf("usage_usec %d\nuser_usec %d\nsystem_usec %d\nnr_periods %d\nnr_throttled %d\nthrottled_usec %d\nnr_bursts 0\nburst_usec 0\n",
			(v.user+v.system)/1000, v.user/1000, v.system/1000, v.periods, v.throttled, v.throttledNs/1000),
		"cpu.pressure":          psi(v.pressureSome, v.pressureFull),
		"cpuset.cpus.effective": "0-1\n",
		"memory.current":        fmt.Sprintf("%d\n", v.usage),
		"memory.peak":           fmt.Sprintf("%d\n", v.maxUsage),
		"memory.max":            memMax,
		"memory.min":            "0\n",
		"memory.swap.current":   "0\n",
		"memory.swap.max":       "max\n",
		"memory.stat":           memoryStatV2(v),
		"memory.events":         fmt.Sprintf("low 0\nhigh %d\nmax %d\noom 0\noom_kill 0\noom_group_kill 0\n", v.failcnt*5, v.failcnt),
		"memory.pressure":       psi(v.pressureSome/2, v.pressureFull/2),
		"io.stat":               io.String(),
		"io.pressure":           psi(v.pressureSome/3, v.pressureFull/3),
		"pids.current":          fmt.Sprintf("%d\n", v.pids),
		"pids.max":              "max\n",
	}.write(dir)
}

// memoryStatV2 uses the keys the kernel documents for cgroup v2
// memory.stat (a subset of a 6.x kernel's).
func memoryStatV2(v vals) string {
	var b strings.Builder
	kv := func(k string, x uint64) { fmt.Fprintf(&b, "%s %d\n", k, x) }
	kv("anon", v.rss)
	kv("file", v.cache)
	kv("kernel", v.usage/16)
	kv("kernel_stack", 65536)
	kv("pagetables", 131072)
	kv("sock", 0)
	kv("shmem", 0)
	kv("file_mapped", v.mapped)
	kv("file_dirty", 4096)
	kv("file_writeback", 0)
	kv("anon_thp", 0)
	kv("inactive_anon", 0)
	kv("active_anon", v.rss)
	kv("inactive_file", v.inactiveFile)
	kv("active_file", v.activeFile)
	kv("unevictable", 0)
	kv("slab_reclaimable", 8192)
	kv("slab_unreclaimable", 16384)
	kv("slab", 24576)
	kv("workingset_refault_anon", v.pgmajfault)
	kv("workingset_refault_file", v.pgmajfault*2)
	kv("workingset_activate_anon", 0)
	kv("workingset_activate_file", 0)
	kv("pgscan", v.pgfault/10)
	kv("pgsteal", v.pgfault/20)
	kv("pgfault", v.pgfault)
	kv("pgmajfault", v.pgmajfault)
	return b.String()
}
