package container

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	info "github.com/google/cadvisor/info/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/collector"
)

// kindSet is a set of metric kinds (Config.Metrics).
type kindSet uint8

const (
	kindCPU kindSet = 1 << iota
	kindPerCPU
	kindMemory
	kindDiskIO
	kindNetwork
	kindProcess
	kindPressure
	kindDisk
)

// kindBits maps Config.Metrics names to kinds.
var kindBits = map[string]kindSet{
	MetricsCPU:      kindCPU,
	MetricsPerCPU:   kindPerCPU,
	MetricsMemory:   kindMemory,
	MetricsDiskIO:   kindDiskIO,
	MetricsNetwork:  kindNetwork,
	MetricsProcess:  kindProcess,
	MetricsPressure: kindPressure,
	MetricsDisk:     kindDisk,
}

func parseKinds(names []string) kindSet {
	var k kindSet
	for _, n := range names {
		k |= kindBits[n]
	}
	return k
}

func (k kindSet) has(x kindSet) bool { return k&x != 0 }

// Label names of cAdvisor's exposition.
const (
	labelID    = "id"
	labelName  = "name"
	labelImage = "image"
	// containerLabelPrefix prefixes every container label exported.
	containerLabelPrefix = "container_label_"
)

// family is one metric family with cAdvisor's name, help text and type.
type family struct {
	name string
	help string
	typ  model.MetricType
	// extra are the family's label names after the container's labels.
	extra []string
}

func gauge(name, help string, extra ...string) *family {
	return &family{name: name, help: help, typ: model.MetricTypeGauge, extra: extra}
}

func counter(name, help string, extra ...string) *family {
	return &family{name: name, help: help, typ: model.MetricTypeCounter, extra: extra}
}

// The families exported, with cAdvisor v0.60's names, help texts and types
// (github.com/google/cadvisor/lib/metrics). The tests check them against
// cAdvisor's own collector.
var (
	famVersionInfo = gauge("cadvisor_version_info", "A metric with a constant '1' value labeled by kernel version, OS version, docker version, cadvisor version & cadvisor revision.",
		"kernelVersion", "osVersion", "dockerVersion", "cadvisorVersion", "cadvisorRevision")
	famScrapeError = gauge("container_scrape_error", "1 if there was an error while getting container metrics, 0 otherwise")

	famLastSeen     = gauge("container_last_seen", "Last time a container was seen by the exporter")
	famHealthState  = gauge("container_health_state", "The result of the container's health check")
	famCreationTime = gauge("container_creation_time_seconds", "Container creation time since unix epoch in seconds.")
	famStartTime    = gauge("container_start_time_seconds", "Start time of the container since unix epoch in seconds.")
	famCPUPeriod    = gauge("container_spec_cpu_period", "CPU period of the container.")
	famCPUQuota     = gauge("container_spec_cpu_quota", "CPU quota of the container.")
	famCPUShares    = gauge("container_spec_cpu_shares", "CPU share of the container.")
	famMemLimit     = gauge("container_spec_memory_limit_bytes", "Memory limit for the container.")
	famMemSwapLimit = gauge("container_spec_memory_swap_limit_bytes", "Memory swap limit for the container.")
	famMemResLimit  = gauge("container_spec_memory_reservation_limit_bytes", "Memory reservation limit for the container.")

	famCPUUser          = counter("container_cpu_user_seconds_total", "Cumulative user cpu time consumed in seconds.")
	famCPUSystem        = counter("container_cpu_system_seconds_total", "Cumulative system cpu time consumed in seconds.")
	famCPUUsage         = counter("container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.", "cpu")
	famCFSPeriods       = counter("container_cpu_cfs_periods_total", "Number of elapsed enforcement period intervals.")
	famCFSThrottled     = counter("container_cpu_cfs_throttled_periods_total", "Number of throttled period intervals.")
	famCFSThrottledTime = counter("container_cpu_cfs_throttled_seconds_total", "Total time duration the container has been throttled.")
	famCFSBurstPeriods  = counter("container_cpu_cfs_burst_periods_total", "Number of periods when burst occurs.")
	famCFSBurstTime     = counter("container_cpu_cfs_burst_seconds_total", "Total time duration the container has been bursted.")
	famMemCache         = gauge("container_memory_cache", "Number of bytes of page cache memory.")
	famMemRSS           = gauge("container_memory_rss", "Size of RSS in bytes.")
	famMemKernel        = gauge("container_memory_kernel_usage", "Size of kernel memory allocated in bytes.")
	famMemMappedFile    = gauge("container_memory_mapped_file", "Size of memory mapped files in bytes.")
	famMemSwap          = gauge("container_memory_swap", "Container swap usage in bytes.")
	famMemFailcnt       = counter("container_memory_failcnt", "Number of memory usage hits limits")
	famMemUsage         = gauge("container_memory_usage_bytes", "Current memory usage in bytes, including all memory regardless of when it was accessed")
	famMemMaxUsage      = gauge("container_memory_max_usage_bytes", "Maximum memory usage recorded in bytes")
	famMemWorkingSet    = gauge("container_memory_working_set_bytes", "Current working set in bytes.")
	famMemActiveFile    = gauge("container_memory_total_active_file_bytes", "Current total active file in bytes.")
	famMemInactiveFile  = gauge("container_memory_total_inactive_file_bytes", "Current total inactive file in bytes.")
	famMemFailures      = counter("container_memory_failures_total", "Cumulative count of memory allocation failures.", "failure_type", "scope")
	famMemEventsHigh    = counter("container_memory_events_high_total", "Cumulative count of memory.high throttle events for the container")
	famMemEventsMax     = counter("container_memory_events_max_total", "Cumulative count of memory.max limit hit events for the container")
	famMemFileDirty     = gauge("container_memory_file_dirty_bytes", "Number of bytes of file cache that has been modified but not yet written back to disk.")
	famMemFileWriteback = gauge("container_memory_file_writeback_bytes", "Number of bytes of file cache that is currently being written back to disk.")
	famMemPgscan        = counter("container_memory_pgscan_total", "Cumulative number of pages scanned by the page reclaim algorithm.")
	famMemPgsteal       = counter("container_memory_pgsteal_total", "Cumulative number of pages reclaimed by the page reclaim algorithm.")
	famMemRefaultFile   = counter("container_memory_workingset_refault_file_total", "Cumulative number of refaults of previously evicted file pages.")
	famMemRefaultAnon   = counter("container_memory_workingset_refault_anon_total", "Cumulative number of refaults of previously evicted anonymous pages.")
	famFsReadsBytes     = counter("container_fs_reads_bytes_total", "Cumulative count of bytes read", "device")
	famFsReads          = counter("container_fs_reads_total", "Cumulative count of reads completed", "device")
	famFsSectorReads    = counter("container_fs_sector_reads_total", "Cumulative count of sector reads completed", "device")
	famFsReadsMerged    = counter("container_fs_reads_merged_total", "Cumulative count of reads merged", "device")
	famFsReadSeconds    = counter("container_fs_read_seconds_total", "Cumulative count of seconds spent reading", "device")
	famFsWritesBytes    = counter("container_fs_writes_bytes_total", "Cumulative count of bytes written", "device")
	famFsWrites         = counter("container_fs_writes_total", "Cumulative count of writes completed", "device")
	famFsSectorWrites   = counter("container_fs_sector_writes_total", "Cumulative count of sector writes completed", "device")
	famFsWritesMerged   = counter("container_fs_writes_merged_total", "Cumulative count of writes merged", "device")
	famFsWriteSeconds   = counter("container_fs_write_seconds_total", "Cumulative count of seconds spent writing", "device")
	famFsIOCurrent      = gauge("container_fs_io_current", "Number of I/Os currently in progress", "device")
	famFsIOTime         = counter("container_fs_io_time_seconds_total", "Cumulative count of seconds spent doing I/Os", "device")
	famFsIOCostUsage    = counter("container_fs_io_cost_usage_seconds_total", "Cumulative IOCost usage in seconds", "device")
	famFsIOCostWait     = counter("container_fs_io_cost_wait_seconds_total", "Cumulative IOCost wait in seconds", "device")
	famFsIOCostIndebt   = counter("container_fs_io_cost_indebt_seconds_total", "Cumulative IOCost debt in seconds", "device")
	famFsIOCostIndelay  = counter("container_fs_io_cost_indelay_seconds_total", "Cumulative IOCost delay in seconds", "device")
	famFsIOTimeWeighted = counter("container_fs_io_time_weighted_seconds_total", "Cumulative weighted I/O time in seconds", "device")
	famFsInodesFree     = gauge("container_fs_inodes_free", "Number of available Inodes", "device")
	famFsInodesTotal    = gauge("container_fs_inodes_total", "Number of Inodes", "device")
	famFsLimit          = gauge("container_fs_limit_bytes", "Number of bytes that can be consumed by the container on this filesystem.", "device")
	famFsUsage          = gauge("container_fs_usage_bytes", "Number of bytes that are consumed by the container on this filesystem.", "device")
	famBlkioDeviceUsage = counter("container_blkio_device_usage_total", "Blkio Device bytes usage", "device", "major", "minor", "operation")
	famNetRxBytes       = counter("container_network_receive_bytes_total", "Cumulative count of bytes received", "interface")
	famNetRxPackets     = counter("container_network_receive_packets_total", "Cumulative count of packets received", "interface")
	famNetRxDropped     = counter("container_network_receive_packets_dropped_total", "Cumulative count of packets dropped while receiving", "interface")
	famNetRxErrors      = counter("container_network_receive_errors_total", "Cumulative count of errors encountered while receiving", "interface")
	famNetTxBytes       = counter("container_network_transmit_bytes_total", "Cumulative count of bytes transmitted", "interface")
	famNetTxPackets     = counter("container_network_transmit_packets_total", "Cumulative count of packets transmitted", "interface")
	famNetTxDropped     = counter("container_network_transmit_packets_dropped_total", "Cumulative count of packets dropped while transmitting", "interface")
	famNetTxErrors      = counter("container_network_transmit_errors_total", "Cumulative count of errors encountered while transmitting", "interface")
	famProcesses        = gauge("container_processes", "Number of processes running inside the container.")
	famFileDescriptors  = gauge("container_file_descriptors", "Number of open file descriptors for the container.")
	famSockets          = gauge("container_sockets", "Number of open sockets for the container.")
	famThreadsMax       = gauge("container_threads_max", "Maximum number of threads allowed inside the container, infinity if value is zero")
	famThreads          = gauge("container_threads", "Number of threads running inside the container")
	famUlimitsSoft      = gauge("container_ulimits_soft", "Soft ulimit values for the container root process. Unlimited if -1, except priority and nice", "ulimit")
	famPressureCPUFull  = counter("container_pressure_cpu_stalled_seconds_total", "Total time duration no tasks in the container could make progress due to CPU congestion.")
	famPressureCPUSome  = counter("container_pressure_cpu_waiting_seconds_total", "Total time duration tasks in the container have waited due to CPU congestion.")
	famPressureMemFull  = counter("container_pressure_memory_stalled_seconds_total", "Total time duration no tasks in the container could make progress due to memory congestion.")
	famPressureMemSome  = counter("container_pressure_memory_waiting_seconds_total", "Total time duration tasks in the container have waited due to memory congestion.")
	famPressureIOFull   = counter("container_pressure_io_stalled_seconds_total", "Total time duration no tasks in the container could make progress due to IO congestion.")
	famPressureIOSome   = counter("container_pressure_io_waiting_seconds_total", "Total time duration tasks in the container have waited due to IO congestion.")
)

// The machine families of cAdvisor's machine collector
// (lib/metrics/prometheus_machine.go) with the metric kinds supported here
// (the CPU topology families need cAdvisor's cpu_topology kind), from the
// machine description read at start. Every series but machine_scrape_error
// carries the machine's identity.
var (
	famMachineScrapeError   = gauge("machine_scrape_error", "1 if there was an error while getting machine metrics, 0 otherwise.")
	famMachinePhysicalCores = gauge("machine_cpu_physical_cores", "Number of physical CPU cores.", machineLabels...)
	famMachineCores         = gauge("machine_cpu_cores", "Number of logical CPU cores.", machineLabels...)
	famMachineSockets       = gauge("machine_cpu_sockets", "Number of CPU sockets.", machineLabels...)
	famMachineBooks         = gauge("machine_cpu_books", "Number of CPU books.", machineLabels...)
	famMachineDrawers       = gauge("machine_cpu_drawers", "Number of CPU drawers.", machineLabels...)
	famMachineMemory        = gauge("machine_memory_bytes", "Amount of memory installed on the machine.", machineLabels...)
	famMachineSwap          = gauge("machine_swap_bytes", "Amount of swap memory available on the machine.", machineLabels...)
	famMachineDimmCount     = gauge("machine_dimm_count", "Number of RAM DIMM (all types memory modules) value labeled by dimm type.", append(machineLabels, "type")...)
	famMachineDimmCapacity  = gauge("machine_dimm_capacity_bytes", "Total RAM DIMM capacity (all types memory modules) value labeled by dimm type.", append(machineLabels, "type")...)
	famMachineNVMCapacity   = gauge("machine_nvm_capacity", "NVM capacity value labeled by NVM mode (memory mode or app direct mode).", append(machineLabels, "mode")...)
	famMachineNVMPower      = gauge("machine_nvm_avg_power_budget_watts", "NVM power budget.", machineLabels...)
)

// machineLabels are the label names of the machine's identity.
var machineLabels = []string{"machine_id", "system_uuid", "boot_id"}

// allFamilies lists every family this package can export.
func allFamilies() []*family {
	return []*family{
		famMachineScrapeError,
		famMachinePhysicalCores,
		famMachineCores,
		famMachineSockets,
		famMachineBooks,
		famMachineDrawers,
		famMachineMemory,
		famMachineSwap,
		famMachineDimmCount,
		famMachineDimmCapacity,
		famMachineNVMCapacity,
		famMachineNVMPower,
		famVersionInfo,
		famScrapeError,
		famLastSeen,
		famHealthState,
		famCreationTime,
		famStartTime,
		famCPUPeriod,
		famCPUQuota,
		famCPUShares,
		famMemLimit,
		famMemSwapLimit,
		famMemResLimit,
		famCPUUser,
		famCPUSystem,
		famCPUUsage,
		famCFSPeriods,
		famCFSThrottled,
		famCFSThrottledTime,
		famCFSBurstPeriods,
		famCFSBurstTime,
		famMemCache,
		famMemRSS,
		famMemKernel,
		famMemMappedFile,
		famMemSwap,
		famMemFailcnt,
		famMemUsage,
		famMemMaxUsage,
		famMemWorkingSet,
		famMemActiveFile,
		famMemInactiveFile,
		famMemFailures,
		famMemEventsHigh,
		famMemEventsMax,
		famMemFileDirty,
		famMemFileWriteback,
		famMemPgscan,
		famMemPgsteal,
		famMemRefaultFile,
		famMemRefaultAnon,
		famFsReadsBytes,
		famFsReads,
		famFsSectorReads,
		famFsReadsMerged,
		famFsReadSeconds,
		famFsWritesBytes,
		famFsWrites,
		famFsSectorWrites,
		famFsWritesMerged,
		famFsWriteSeconds,
		famFsIOCurrent,
		famFsIOTime,
		famFsIOCostUsage,
		famFsIOCostWait,
		famFsIOCostIndebt,
		famFsIOCostIndelay,
		famFsIOTimeWeighted,
		famFsInodesFree,
		famFsInodesTotal,
		famFsLimit,
		famFsUsage,
		famBlkioDeviceUsage,
		famNetRxBytes,
		famNetRxPackets,
		famNetRxDropped,
		famNetRxErrors,
		famNetTxBytes,
		famNetTxPackets,
		famNetTxDropped,
		famNetTxErrors,
		famProcesses,
		famFileDescriptors,
		famSockets,
		famThreadsMax,
		famThreads,
		famUlimitsSoft,
		famPressureCPUFull,
		famPressureCPUSome,
		famPressureMemFull,
		famPressureMemSome,
		famPressureIOFull,
		famPressureIOSome,
	}
}

// machine adds the machine families. cAdvisor stamps them with the time
// the description was taken, which it refreshes every few minutes; the
// description here is taken once at start, so they carry the collection
// time instead (a start-time stamp would soon be too old to store).
func (e *emitter) machine(m *info.MachineInfo) {
	e.add(famMachineScrapeError, 0)
	id := []string{m.MachineID, m.SystemUUID, m.BootID}
	add := func(f *family, v float64, extra ...string) {
		e.add(f, v, append(id[:3:3], extra...)...)
	}
	add(famMachinePhysicalCores, float64(m.NumPhysicalCores))
	add(famMachineCores, float64(m.NumCores))
	add(famMachineSockets, float64(m.NumSockets))
	add(famMachineBooks, float64(m.NumBooks))
	add(famMachineDrawers, float64(m.NumDrawers))
	add(famMachineMemory, float64(m.MemoryCapacity))
	add(famMachineSwap, float64(m.SwapCapacity))
	for _, typ := range slices.Sorted(maps.Keys(m.MemoryByType)) {
		add(famMachineDimmCount, float64(m.MemoryByType[typ].DimmCount), typ)
		add(famMachineDimmCapacity, float64(m.MemoryByType[typ].Capacity), typ)
	}
	add(famMachineNVMCapacity, float64(m.NVMInfo.MemoryModeCapacity), "memory_mode")
	add(famMachineNVMCapacity, float64(m.NVMInfo.AppDirectModeCapacity), "app_direct_mode")
	add(famMachineNVMPower, float64(m.NVMInfo.AvgPowerBudget))
}

// maxMemorySize is the limit above which cAdvisor reports a memory limit as
// 0 (unlimited); the kernel rounds "no limit" to just below 2^63.
const maxMemorySize = uint64(1 << 62)

func specMemory(v uint64) float64 {
	if v > maxMemorySize {
		return 0
	}
	return float64(v)
}

func nsToSeconds(v uint64) float64 { return float64(v) / float64(time.Second) }
func usToSeconds(v uint64) float64 { return float64(v) / 1e6 }

// emitter turns housekeeping rounds into samples. It is used by one
// goroutine at a time (the Manager never runs Collect concurrently).
type emitter struct {
	kinds kindSet

	sb    labels.ScratchBuilder
	base  []labels.Label // the current container's labels
	ts    int64          // the current container's stats timestamp, ms
	batch *collector.Batch
	// described marks the families whose metadata this round recorded.
	described map[*family]bool

	// The label sets of every container's series, kept from round to
	// round: a container emits the same series in the same order every
	// round, so its label sets are built once. The collector Manager keeps
	// the label sets of the first round a series appears in anyway, so the
	// cache shares their memory instead of adding to it.
	caches map[string]*labelCache
	cur    *labelCache // the current container's, nil outside containers
	pos    int         // the next slot of cur
	round  uint64
}

// labelCache holds the label sets of one container's series, by position.
type labelCache struct {
	base  []labels.Label
	slots []labelSlot
	round uint64 // the last round the container was seen in
}

type labelSlot struct {
	fam   *family
	extra [4]string
	lset  labels.Labels
}

// emit adds every series of s to b. now is the collection time.
func (e *emitter) emit(b *collector.Batch, s *snapshot, now time.Time) {
	e.batch = b
	if e.described == nil {
		e.described = map[*family]bool{}
	}
	clear(e.described)
	e.round++
	if e.caches == nil {
		e.caches = map[string]*labelCache{}
	}
	e.cur = nil
	e.base = e.base[:0]
	e.ts = 0
	v := s.version
	e.add(famVersionInfo, 1, v.KernelVersion, v.ContainerOsVersion, v.DockerVersion, v.CadvisorVersion, v.CadvisorRevision)
	e.add(famScrapeError, 0)
	if s.machine != nil {
		e.machine(s.machine)
	}
	nowMs := now.UnixMilli()
	for _, c := range s.containers {
		e.setContainer(c.info)
		e.spec(&c.info.Spec)
		e.ts = nowMs
		e.add(famLastSeen, float64(now.Unix()))
		if c.stats == nil {
			continue
		}
		e.ts = c.stats.Timestamp.UnixMilli()
		e.stats(&c.info.Spec, c.stats)
	}
	for name, lc := range e.caches {
		if lc.round != e.round {
			delete(e.caches, name)
		}
	}
	e.cur = nil
	e.batch = nil
}

// setContainer computes the labels every series of c carries, as cAdvisor's
// DefaultContainerLabels does: id, name (the first alias), image and one
// container_label_<key> per container label, with invalid characters of
// label names replaced by "_" (the first of colliding names wins, in key
// order).
func (e *emitter) setContainer(c *info.ContainerInfo) {
	e.setBase(c)
	lc := e.caches[c.Name]
	if lc == nil {
		lc = &labelCache{}
		e.caches[c.Name] = lc
	}
	if !slices.Equal(lc.base, e.base) {
		lc.base = append(lc.base[:0], e.base...)
		lc.slots = lc.slots[:0]
	}
	lc.round = e.round
	e.cur, e.pos = lc, 0
}

// setBase computes the container's labels into e.base.
func (e *emitter) setBase(c *info.ContainerInfo) {
	e.base = append(e.base[:0], labels.Label{Name: labelID, Value: c.Name})
	if len(c.Aliases) > 0 && c.Aliases[0] != "" {
		e.base = append(e.base, labels.Label{Name: labelName, Value: c.Aliases[0]})
	}
	if c.Spec.Image != "" {
		e.base = append(e.base, labels.Label{Name: labelImage, Value: c.Spec.Image})
	}
	if len(c.Spec.Labels) == 0 {
		return
	}
	keys := make([]string, 0, len(c.Spec.Labels))
	for k := range c.Spec.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := c.Spec.Labels[k]
		if v == "" {
			continue
		}
		name := sanitizeLabelName(containerLabelPrefix + k)
		if slices.ContainsFunc(e.base, func(l labels.Label) bool { return l.Name == name }) {
			continue
		}
		e.base = append(e.base, labels.Label{Name: name, Value: v})
	}
}

// sanitizeLabelName replaces every character outside [a-zA-Z0-9_] with "_".
func sanitizeLabelName(s string) string {
	valid := func(r rune) bool {
		return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
	}
	if strings.IndexFunc(s, func(r rune) bool { return !valid(r) }) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if valid(r) {
			return r
		}
		return '_'
	}, s)
}

// add adds one sample of f for the current container (or none, before the
// first container) with the given values of f's extra labels. Samples of
// statistics carry the container's stats timestamp; ts 0 means the round's.
func (e *emitter) add(f *family, v float64, extra ...string) {
	lset := e.labels(f, extra)
	if e.ts != 0 {
		e.batch.AddAt(lset, e.ts, v)
	} else {
		e.batch.Add(lset, v)
	}
	if !e.described[f] {
		e.described[f] = true
		e.batch.Describe(f.name, collector.Metadata{Type: f.typ, Help: f.help})
	}
}

// labels returns the label set of a series of f with the given extra
// label values, from the current container's cache when the series is the
// one emitted at the same position last round.
func (e *emitter) labels(f *family, extra []string) labels.Labels {
	lc := e.cur
	if lc == nil || len(extra) > 4 {
		return e.build(f, extra)
	}
	var key [4]string
	copy(key[:], extra)
	if e.pos < len(lc.slots) {
		if s := &lc.slots[e.pos]; s.fam == f && s.extra == key {
			e.pos++
			return s.lset
		}
	}
	lset := e.build(f, extra)
	slot := labelSlot{fam: f, extra: key, lset: lset}
	if e.pos < len(lc.slots) {
		lc.slots[e.pos] = slot
	} else {
		lc.slots = append(lc.slots, slot)
	}
	e.pos++
	return lset
}

// build makes the label set of a series of f for the current container.
func (e *emitter) build(f *family, extra []string) labels.Labels {
	e.sb.Reset()
	e.sb.Add(model.MetricNameLabel, f.name)
	for _, l := range e.base {
		e.sb.Add(l.Name, l.Value)
	}
	for i, val := range extra {
		if val != "" {
			e.sb.Add(f.extra[i], val)
		}
	}
	e.sb.Sort()
	return e.sb.Labels()
}

// spec adds the series cAdvisor derives from the container spec. They
// carry no timestamp of their own.
func (e *emitter) spec(s *info.ContainerSpec) {
	e.ts = 0
	e.add(famCreationTime, float64(s.CreationTime.Unix()))
	start := s.CreationTime
	if !s.StartTime.IsZero() {
		start = s.StartTime
	}
	e.add(famStartTime, float64(start.Unix()))
	if s.HasCpu {
		e.add(famCPUPeriod, float64(s.Cpu.Period))
		if s.Cpu.Quota != 0 {
			e.add(famCPUQuota, float64(s.Cpu.Quota))
		}
		e.add(famCPUShares, float64(s.Cpu.Limit))
	}
	if s.HasMemory {
		e.add(famMemLimit, specMemory(s.Memory.Limit))
		e.add(famMemSwapLimit, specMemory(s.Memory.SwapLimit))
		e.add(famMemResLimit, specMemory(s.Memory.Reservation))
	}
}

// stats adds the series of one statistics sample.
func (e *emitter) stats(spec *info.ContainerSpec, s *info.ContainerStats) {
	e.add(famHealthState, healthState(s.Health.Status))
	if e.kinds.has(kindCPU) && s.Cpu != nil {
		e.cpu(spec, s.Cpu)
	}
	if e.kinds.has(kindMemory) && s.Memory != nil {
		e.memory(s.Memory)
	}
	if e.kinds.has(kindDisk) {
		// File system usage, which only the root cgroup has.
		for i := range s.Filesystem {
			fs := &s.Filesystem[i]
			e.add(famFsInodesFree, float64(fs.InodesFree), fs.Device)
			e.add(famFsInodesTotal, float64(fs.Inodes), fs.Device)
			e.add(famFsLimit, float64(fs.Limit), fs.Device)
			e.add(famFsUsage, float64(fs.Usage), fs.Device)
		}
	}
	if e.kinds.has(kindDiskIO) {
		if s.DiskIo != nil {
			e.diskIO(s.DiskIo, s.Filesystem)
		}
		for i := range s.Filesystem {
			fs := &s.Filesystem[i]
			e.add(famFsIOTimeWeighted, float64(fs.WeightedIoTime)/float64(time.Second), fs.Device)
		}
	}
	if e.kinds.has(kindNetwork) && s.Network != nil {
		e.network(s.Network.Interfaces)
	}
	if e.kinds.has(kindProcess) && s.Processes != nil {
		e.processes(s.Processes)
	}
	if e.kinds.has(kindPressure) {
		if s.Cpu != nil {
			e.add(famPressureCPUFull, usToSeconds(s.Cpu.PSI.Full.Total))
			e.add(famPressureCPUSome, usToSeconds(s.Cpu.PSI.Some.Total))
		}
		if s.Memory != nil {
			e.add(famPressureMemFull, usToSeconds(s.Memory.PSI.Full.Total))
			e.add(famPressureMemSome, usToSeconds(s.Memory.PSI.Some.Total))
		}
		if s.DiskIo != nil {
			e.add(famPressureIOFull, usToSeconds(s.DiskIo.PSI.Full.Total))
			e.add(famPressureIOSome, usToSeconds(s.DiskIo.PSI.Some.Total))
		}
	}
}

// healthState is 1 for a healthy container, -1 for one without a health
// check (every raw cgroup) and 0 otherwise.
func healthState(status string) float64 {
	switch status {
	case "healthy":
		return 1
	case "":
		return -1
	}
	return 0
}

func (e *emitter) cpu(spec *info.ContainerSpec, c *info.CpuStats) {
	e.add(famCPUUser, nsToSeconds(c.Usage.User))
	e.add(famCPUSystem, nsToSeconds(c.Usage.System))
	// As in cAdvisor: the total when per-CPU figures are absent (and only
	// if non-zero), otherwise every CPU with a non-zero figure.
	if len(c.Usage.PerCpu) == 0 {
		if c.Usage.Total > 0 {
			e.add(famCPUUsage, nsToSeconds(c.Usage.Total), "total")
		}
	}
	for i, v := range c.Usage.PerCpu {
		if v > 0 {
			e.add(famCPUUsage, nsToSeconds(v), cpuName(i))
		}
	}
	if spec.Cpu.Quota != 0 {
		e.add(famCFSPeriods, float64(c.CFS.Periods))
		e.add(famCFSThrottled, float64(c.CFS.ThrottledPeriods))
		e.add(famCFSThrottledTime, nsToSeconds(c.CFS.ThrottledTime))
		e.add(famCFSBurstPeriods, float64(c.CFS.BurstsPeriods))
		e.add(famCFSBurstTime, nsToSeconds(c.CFS.BurstTime))
	}
}

// cpuName is cAdvisor's name of CPU i: cpu00, cpu01, ..., cpu100.
func cpuName(i int) string {
	if i < 10 {
		return "cpu0" + strconv.Itoa(i)
	}
	return "cpu" + strconv.Itoa(i)
}

func (e *emitter) memory(m *info.MemoryStats) {
	e.add(famMemCache, float64(m.Cache))
	e.add(famMemRSS, float64(m.RSS))
	e.add(famMemKernel, float64(m.KernelUsage))
	e.add(famMemMappedFile, float64(m.MappedFile))
	e.add(famMemSwap, float64(m.Swap))
	e.add(famMemFailcnt, float64(m.Failcnt))
	e.add(famMemUsage, float64(m.Usage))
	e.add(famMemMaxUsage, float64(m.MaxUsage))
	e.add(famMemWorkingSet, float64(m.WorkingSet))
	e.add(famMemActiveFile, float64(m.TotalActiveFile))
	e.add(famMemInactiveFile, float64(m.TotalInactiveFile))
	e.add(famMemFailures, float64(m.ContainerData.Pgfault), "pgfault", "container")
	e.add(famMemFailures, float64(m.ContainerData.Pgmajfault), "pgmajfault", "container")
	e.add(famMemFailures, float64(m.HierarchicalData.Pgfault), "pgfault", "hierarchy")
	e.add(famMemFailures, float64(m.HierarchicalData.Pgmajfault), "pgmajfault", "hierarchy")
	e.add(famMemEventsHigh, float64(m.Events.High))
	e.add(famMemEventsMax, float64(m.Events.Max))
	e.add(famMemFileDirty, float64(m.FileDirty))
	e.add(famMemFileWriteback, float64(m.FileWriteback))
	e.add(famMemPgscan, float64(m.Pgscan))
	e.add(famMemPgsteal, float64(m.Pgsteal))
	e.add(famMemRefaultFile, float64(m.WorkingsetRefaultFile))
	e.add(famMemRefaultAnon, float64(m.WorkingsetRefaultAnon))
}

// perDisk adds one sample of f per device of stats, with the value of the
// given operation ("Read", "Write", "Total", "Count"; 0 when absent).
func (e *emitter) perDisk(f *family, stats []info.PerDiskStats, op string, conv func(uint64) float64) {
	for i := range stats {
		e.add(f, conv(stats[i].Stats[op]), stats[i].Device)
	}
}

func asFloat(v uint64) float64 { return float64(v) }

// diskIO adds the block IO series. cAdvisor also folds in per-filesystem
// figures, which exist only with its "disk" kind; that kind is not
// supported, so only the per-device cgroup figures are exported.
// diskIO adds the block IO series of d and, as cAdvisor does, the
// counters of the file systems' devices (fss, the root cgroup's) to the
// families that have them. cAdvisor divides the millisecond times of
// /proc/diskstats by 10^9 as if they were nanoseconds; so does this, so
// that the series are the same.
//
// A file system on a whole disk has the device name of the disk's block
// IO entry; cAdvisor then exports the same series twice (and its registry
// fails the scrape), this exports the block IO one only.
func (e *emitter) diskIO(d *info.DiskIoStats, fss []info.FsStats) {
	pair := func(f *family, stats []info.PerDiskStats, op string, conv func(uint64) float64, v func(*info.FsStats) uint64) {
		e.perDisk(f, stats, op, conv)
	next:
		for i := range fss {
			for j := range stats {
				if stats[j].Device == fss[i].Device {
					continue next
				}
			}
			e.add(f, conv(v(&fss[i])), fss[i].Device)
		}
	}
	e.perDisk(famFsReadsBytes, d.IoServiceBytes, "Read", asFloat)
	pair(famFsReads, d.IoServiced, "Read", asFloat, func(fs *info.FsStats) uint64 { return fs.ReadsCompleted })
	pair(famFsSectorReads, d.Sectors, "Read", asFloat, func(fs *info.FsStats) uint64 { return fs.SectorsRead })
	pair(famFsReadsMerged, d.IoMerged, "Read", asFloat, func(fs *info.FsStats) uint64 { return fs.ReadsMerged })
	pair(famFsReadSeconds, d.IoServiceTime, "Read", nsToSeconds, func(fs *info.FsStats) uint64 { return fs.ReadTime })
	e.perDisk(famFsWritesBytes, d.IoServiceBytes, "Write", asFloat)
	pair(famFsWrites, d.IoServiced, "Write", asFloat, func(fs *info.FsStats) uint64 { return fs.WritesCompleted })
	pair(famFsSectorWrites, d.Sectors, "Write", asFloat, func(fs *info.FsStats) uint64 { return fs.SectorsWritten })
	pair(famFsWritesMerged, d.IoMerged, "Write", asFloat, func(fs *info.FsStats) uint64 { return fs.WritesMerged })
	pair(famFsWriteSeconds, d.IoServiceTime, "Write", nsToSeconds, func(fs *info.FsStats) uint64 { return fs.WriteTime })
	pair(famFsIOCurrent, d.IoQueued, "Total", asFloat, func(fs *info.FsStats) uint64 { return fs.IoInProgress })
	pair(famFsIOTime, d.IoServiceTime, "Total", nsToSeconds, func(fs *info.FsStats) uint64 { return fs.IoTime })
	e.perDisk(famFsIOCostUsage, d.IoCostUsage, "Count", usToSeconds)
	e.perDisk(famFsIOCostWait, d.IoCostWait, "Count", usToSeconds)
	e.perDisk(famFsIOCostIndebt, d.IoCostIndebt, "Count", usToSeconds)
	e.perDisk(famFsIOCostIndelay, d.IoCostIndelay, "Count", usToSeconds)
	for i := range d.IoServiceBytes {
		ds := &d.IoServiceBytes[i]
		major, minor := strconv.FormatUint(ds.Major, 10), strconv.FormatUint(ds.Minor, 10)
		// In a stable order, so that the label cache finds its slots.
		for _, op := range blkioOps {
			if v, ok := ds.Stats[op]; ok {
				e.add(famBlkioDeviceUsage, float64(v), ds.Device, major, minor, op)
			}
		}
		if len(ds.Stats) > countKnownOps(ds.Stats) {
			for _, op := range slices.Sorted(maps.Keys(ds.Stats)) {
				if !slices.Contains(blkioOps, op) {
					e.add(famBlkioDeviceUsage, float64(ds.Stats[op]), ds.Device, major, minor, op)
				}
			}
		}
	}
}

// blkioOps are the operations of the kernel's block IO statistics.
var blkioOps = []string{"Async", "Discard", "Read", "Sync", "Total", "Write", "Count"}

func countKnownOps(stats map[string]uint64) int {
	n := 0
	for _, op := range blkioOps {
		if _, ok := stats[op]; ok {
			n++
		}
	}
	return n
}

func (e *emitter) network(ifaces []info.InterfaceStats) {
	for i := range ifaces {
		n := &ifaces[i]
		e.add(famNetRxBytes, float64(n.RxBytes), n.Name)
		e.add(famNetRxPackets, float64(n.RxPackets), n.Name)
		e.add(famNetRxDropped, float64(n.RxDropped), n.Name)
		e.add(famNetRxErrors, float64(n.RxErrors), n.Name)
		e.add(famNetTxBytes, float64(n.TxBytes), n.Name)
		e.add(famNetTxPackets, float64(n.TxPackets), n.Name)
		e.add(famNetTxDropped, float64(n.TxDropped), n.Name)
		e.add(famNetTxErrors, float64(n.TxErrors), n.Name)
	}
}

func (e *emitter) processes(p *info.ProcessStats) {
	e.add(famProcesses, float64(p.ProcessCount))
	e.add(famFileDescriptors, float64(p.FdCount))
	e.add(famSockets, float64(p.SocketCount))
	e.add(famThreadsMax, float64(p.ThreadsMax))
	e.add(famThreads, float64(p.ThreadsCurrent))
	for _, u := range p.Ulimits {
		e.add(famUlimitsSoft, float64(u.SoftLimit), u.Name)
	}
}
