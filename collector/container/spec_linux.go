//go:build linux

package container

import (
	"bytes"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	info "github.com/google/cadvisor/info/v1"
	"github.com/google/cadvisor/lib/utils"
	"golang.org/x/sys/unix"
)

// leanSpec reads the spec of a cgroup as cAdvisor's common.GetSpec does
// for a non-root cgroup (no network, no file system), with the same
// files, rules and results, through the lean reader: GetSpec reads six
// files per cgroup with os.ReadFile (eight system calls each) at every
// discovery, this reads them with three, and stats with one system call
// and no allocation. Unreadable or malformed files give zero values, as
// there (cAdvisor also logs them; this does not). Tests compare both on
// synthetic v1 and v2 trees and on the host.
func leanSpec(r *fileReader, paths map[string]string, v2 bool, mi *info.MachineInfo) info.ContainerSpec {
	var spec info.ContainerSpec

	// The creation time is the oldest modification time of the cgroup's
	// directories and of a file that is rarely modified in each, but not
	// before boot.
	now := time.Now()
	lowest, found := now, false
	older := func(p string) (exists bool) {
		var st unix.Stat_t
		if err := unix.Stat(p, &st); err != nil {
			return err != unix.ENOENT
		}
		if t := time.Unix(st.Mtim.Unix()); t.Before(lowest) {
			lowest, found = t, true
		}
		return true
	}
	stamp := "cgroup.clone_children"
	if v2 {
		stamp = "cgroup.events"
	}
	for _, dir := range paths {
		if !older(dir) {
			continue
		}
		older(filepath.Join(dir, stamp))
	}
	if lowest.Before(bootTime) {
		lowest, found = bootTime, true
	}
	if found {
		spec.CreationTime = lowest
	}

	controller := func(name string) (string, bool) {
		if v2 {
			p, ok := paths[""]
			return p, ok
		}
		p, ok := paths[name]
		return p, ok
	}
	str := func(dir, name string) string {
		b, err := r.readPath(filepath.Join(dir, name))
		if err != nil {
			return ""
		}
		return string(bytes.TrimSpace(b))
	}
	num := func(dir, name string) uint64 { return parseSpecUint(str(dir, name)) }

	if dir, ok := controller("cpu"); ok && exists(dir) {
		spec.HasCpu = true
		if v2 {
			// cpu.weight [1, 10000] to shares [2, 262144].
			if w := num(dir, "cpu.weight"); w >= 1 && w <= 10000 {
				spec.Cpu.Limit = 2 + ((w-1)*262142)/9999
			}
			if quota, period, ok := strings.Cut(str(dir, "cpu.max"), " "); ok {
				if quota != "max" {
					spec.Cpu.Quota = parseSpecUint(quota)
				}
				spec.Cpu.Period = parseSpecUint(period)
			}
		} else {
			spec.Cpu.Limit = num(dir, "cpu.shares")
			spec.Cpu.Period = num(dir, "cpu.cfs_period_us")
			if q := str(dir, "cpu.cfs_quota_us"); q != "" && q != "-1" {
				if v, err := strconv.ParseUint(q, 10, 64); err == nil {
					spec.Cpu.Quota = v
				}
			}
		}
	}
	if dir, ok := controller("cpuset"); ok && exists(dir) {
		spec.HasCpu = true
		file := "cpuset.cpus"
		if v2 {
			file = "cpuset.cpus.effective"
		}
		spec.Cpu.Mask = utils.FixCpuMask(str(dir, file), mi.NumCores)
	}
	if dir, ok := controller("memory"); ok {
		if v2 {
			if exists(filepath.Join(dir, "memory.max")) {
				spec.HasMemory = true
				spec.Memory.Reservation = num(dir, "memory.min")
				spec.Memory.Limit = num(dir, "memory.max")
				spec.Memory.SwapLimit = num(dir, "memory.swap.max")
			}
		} else if exists(dir) {
			spec.HasMemory = true
			spec.Memory.Limit = num(dir, "memory.limit_in_bytes")
			spec.Memory.SwapLimit = num(dir, "memory.memsw.limit_in_bytes")
			spec.Memory.Reservation = num(dir, "memory.soft_limit_in_bytes")
		}
	}
	// Like cAdvisor, hugetlb is looked up by name even on v2.
	if dir, ok := paths["hugetlb"]; ok && exists(dir) {
		spec.HasHugetlb = true
	}
	if dir, ok := controller("pids"); ok && exists(dir) {
		spec.HasProcesses = true
		spec.Processes.Limit = num(dir, "pids.max")
	}
	io := "blkio"
	if v2 {
		io = "io"
	}
	if dir, ok := controller(io); ok && exists(dir) {
		spec.HasDiskIo = true
	}
	return spec
}

// parseSpecUint is cAdvisor's reading of a spec value: "max" is the
// largest uint64, empty or malformed is 0.
func parseSpecUint(s string) uint64 {
	if s == "max" {
		return math.MaxUint64
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0
	}
	return v
}

// exists reports whether path exists, as cAdvisor's utils.FileExists.
func exists(path string) bool {
	var st unix.Stat_t
	return unix.Stat(path, &st) == nil
}

// bootTime is when the machine booted, to the minute, computed at start
// as cAdvisor computes the earliest creation time it reports.
var bootTime = func() time.Time {
	now := time.Now()
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return now
	}
	return now.Add(-time.Duration(si.Uptime) * time.Second).Truncate(time.Minute)
}()
