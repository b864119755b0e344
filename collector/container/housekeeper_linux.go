//go:build linux

package container

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	info "github.com/google/cadvisor/info/v1"
	"github.com/google/cadvisor/lib/container"
	"github.com/google/cadvisor/lib/container/common"
	"github.com/google/cadvisor/lib/container/libcontainer"
	"github.com/google/cadvisor/lib/fs"
	"github.com/google/cadvisor/lib/machine"
	"github.com/google/cadvisor/lib/utils/sysfs"
	"github.com/opencontainers/cgroups"
	"golang.org/x/sys/unix"
)

// New returns a Collector for cfg. It fails when cfg is invalid or
// disabled, when the machine cannot be described, or when no cgroup
// hierarchy is found at cfg.CgroupRoot (or mounted on this host).
// Housekeeping, which reads every cgroup each housekeeping interval until
// Close, starts with the first Collect: a Collector that is never run
// holds nothing but memory and needs no Close.
func New(cfg *Config, opts Options) (*Collector, error) {
	if cfg == nil || !cfg.Enabled {
		return nil, errors.New("create container collector: containers section is not enabled")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("create container collector: %w", err)
	}
	host, err := describeHost(cfg.HostRootfs)
	if err != nil {
		return nil, fmt.Errorf("create container collector: %w", err)
	}
	return start(cfg, opts, host)
}

// start returns a Collector for cfg on the described host, whose first
// Collect starts housekeeping.
func start(cfg *Config, opts Options, host *hostInfo) (*Collector, error) {
	c, err := newCollector(cfg, opts)
	if err != nil {
		return nil, fmt.Errorf("create container collector: %w", err)
	}
	hk, err := newHousekeeper(cfg, c, host)
	if err != nil {
		return nil, fmt.Errorf("create container collector: %w", err)
	}
	c.housekeep = func(ctx context.Context) { hk.run(ctx, c.publish) }
	return c, nil
}

// newHousekeeper returns the housekeeper of c, reading the hierarchies
// that cfg selects.
func newHousekeeper(cfg *Config, c *Collector, host *hostInfo) (*housekeeper, error) {
	t, err := findTree(cfg.CgroupRoot, c.kinds)
	if err != nil {
		return nil, err
	}
	var fs *fsUsage
	if c.kinds.has(kindDisk) {
		fs = &fsUsage{src: host.fs}
	}
	return &housekeeper{
		fs:  fs,
		cfg: *cfg,
		reader: fileReader{kept: keptFiles{
			limit:      keptFilesLimit(cfg.MaxOpenFiles),
			checkLinks: !t.cgroupfs,
			gauge:      c.metrics.openFiles,
		}},
		logger:   c.opts.Logger,
		host:     host,
		tree:     t,
		included: metricSet(c.kinds),
		lean:     c.kinds&^leanKinds == 0,
		interval: time.Duration(cfg.housekeepingInterval()),
		names:    newNamer(cfg),
		devices:  deviceNames{machine: host.machine},
		metrics:  c.metrics,
		cgroups:  map[string]*cgroup{},
	}, nil
}

// hostInfo describes the machine, as cAdvisor's spec reader and device
// naming need it. It implements info.MachineInfoFactory.
type hostInfo struct {
	machine *info.MachineInfo
	version info.VersionInfo
	// fs is where the root cgroup's file system usage is read.
	fs fsSource
}

// GetMachineInfo returns the machine description taken at start.
func (h *hostInfo) GetMachineInfo() (*info.MachineInfo, error) { return h.machine, nil }

// GetVersionInfo returns the kernel, OS and cAdvisor versions.
func (h *hostInfo) GetVersionInfo() (*info.VersionInfo, error) {
	v := h.version
	return &v, nil
}

// describeHost reads the machine description once, as cAdvisor does at
// start: cores, memory and swap capacity, block devices (for the device
// label), network devices and file systems.
func describeHost(rootfs string) (*hostInfo, error) {
	fsInfo, err := fs.NewFsInfo(fs.Context{})
	if err != nil {
		return nil, fmt.Errorf("list file systems: %w", err)
	}
	mi, err := machine.Info(sysfs.NewRealSysFs(), fsInfo, filepath.Clean(rootfs) == "/")
	if err != nil {
		return nil, fmt.Errorf("describe machine: %w", err)
	}
	return &hostInfo{
		fs:      hostFsSource,
		machine: mi,
		version: info.VersionInfo{
			KernelVersion:      machine.KernelVersion(),
			ContainerOsVersion: machine.ContainerOsVersion(),
			CadvisorVersion:    cadvisorVersion(),
		},
	}, nil
}

// metricSet translates kinds into cAdvisor's metric set, which decides the
// controllers read and the statistics converted.
func metricSet(k kindSet) container.MetricSet {
	ms := container.MetricSet{}
	for kind, mk := range map[kindSet]container.MetricKind{
		kindCPU:      container.CpuUsageMetrics,
		kindPerCPU:   container.PerCpuUsageMetrics,
		kindMemory:   container.MemoryUsageMetrics,
		kindDiskIO:   container.DiskIOMetrics,
		kindNetwork:  container.NetworkUsageMetrics,
		kindProcess:  container.ProcessMetrics,
		kindPressure: container.PressureMetrics,
		kindDisk:     container.DiskUsageMetrics,
	} {
		if k.has(kind) {
			ms[mk] = struct{}{}
		}
	}
	return ms
}

// tree is a set of cgroup hierarchies: on cgroup v1 one directory per
// controller, on v2 the single unified directory (key "").
type tree struct {
	mounts map[string]string
	v2     bool
	// cgroupfs is set when every hierarchy is a mounted cgroup file
	// system (not so for the synthetic trees of tests), whose removed
	// files fail to read through descriptors still open.
	cgroupfs bool
}

// v1Controllers are the cgroup v1 controllers read below a configured
// root, with the kind that needs them (0: always, for listing), the same
// choice cAdvisor's raw factory makes for the kinds supported here.
var v1Controllers = []struct {
	name string
	kind kindSet
}{
	{"cpu", kindCPU}, {"cpuacct", kindCPU}, {"memory", kindMemory},
	{"blkio", kindDiskIO}, {"pids", kindProcess}, {"devices", 0},
}

// findTree locates the hierarchies: the mounted ones, as cAdvisor's raw
// factory finds them, when root is empty, or those below root.
func findTree(root string, kinds kindSet) (tree, error) {
	hostV2 := cgroups.IsCgroup2UnifiedMode()
	if root == "" {
		mounts, err := libcontainer.GetCgroupSubsystems(metricSet(kinds))
		if err != nil {
			return tree{}, fmt.Errorf("find cgroup hierarchies: %w", err)
		}
		if len(mounts) == 0 {
			return tree{}, errors.New("find cgroup hierarchies: no supported cgroup controller is mounted")
		}
		return tree{mounts: mounts, v2: hostV2, cgroupfs: allCgroupfs(mounts, hostV2)}, nil
	}
	st, err := os.Stat(root)
	if err != nil {
		return tree{}, fmt.Errorf("open cgroup root: %w", err)
	}
	if !st.IsDir() {
		return tree{}, fmt.Errorf("open cgroup root: %s is not a directory", root)
	}
	_, err = os.Stat(filepath.Join(root, "cgroup.controllers"))
	v2 := err == nil
	if v2 != hostV2 {
		return tree{}, fmt.Errorf("open cgroup root: %s is a cgroup %s hierarchy but this host runs cgroup %s, and cAdvisor reads the files in the host's mode",
			root, cgroupVersion(v2), cgroupVersion(hostV2))
	}
	if err := checkCgroupfs(root, v2); err != nil {
		return tree{}, err
	}
	if v2 {
		mounts := map[string]string{"": root}
		return tree{mounts: mounts, v2: true, cgroupfs: allCgroupfs(mounts, true)}, nil
	}
	mounts := map[string]string{}
	for _, c := range v1Controllers {
		if c.kind != 0 && !kinds.has(c.kind) {
			continue
		}
		dir := filepath.Join(root, c.name)
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			if err := checkCgroupfs(dir, false); err != nil {
				return tree{}, err
			}
			mounts[c.name] = dir
		}
	}
	if len(mounts) == 0 {
		return tree{}, fmt.Errorf("open cgroup root: %s holds neither cgroup.controllers (v2) nor a supported controller directory (v1)", root)
	}
	return tree{mounts: mounts, cgroupfs: allCgroupfs(mounts, false)}, nil
}

// checkCgroupfs makes sure that dir is a mounted cgroup file system of the
// given version, since the lean reader, unlike runc's, does not check each
// file. The cgroup reader's test switch (cgroups.TestMode, which tests and
// benchmarks set to read synthetic trees) turns the check off, as it turns
// off runc's.
func checkCgroupfs(dir string, v2 bool) error {
	if cgroups.TestMode {
		return nil
	}
	ok, err := isCgroupfs(dir, v2)
	if err != nil {
		return fmt.Errorf("open cgroup root: %w", err)
	}
	if !ok {
		return fmt.Errorf("open cgroup root: %s is not a mounted cgroup %s file system", dir, cgroupVersion(v2))
	}
	return nil
}

// isCgroupfs reports whether dir is on a cgroup file system of the given
// version.
func isCgroupfs(dir string, v2 bool) (bool, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return false, &os.PathError{Op: "statfs", Path: dir, Err: err}
	}
	want := int64(unix.CGROUP_SUPER_MAGIC)
	if v2 {
		want = unix.CGROUP2_SUPER_MAGIC
	}
	return int64(st.Type) == want, nil
}

// allCgroupfs reports whether every hierarchy is on a cgroup file system.
func allCgroupfs(mounts map[string]string, v2 bool) bool {
	for _, dir := range mounts {
		if ok, err := isCgroupfs(dir, v2); !ok || err != nil {
			return false
		}
	}
	return true
}

// cadvisorVersion is the version of the cAdvisor library built in, for
// cadvisor_version_info.
func cadvisorVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, d := range bi.Deps {
		if d.Path == "github.com/google/cadvisor/lib" {
			return d.Version
		}
	}
	return ""
}

func cgroupVersion(v2 bool) string {
	if v2 {
		return "v2"
	}
	return "v1"
}

// cgroup is one tracked cgroup with its cAdvisor handler.
type cgroup struct {
	ref     info.ContainerReference
	paths   map[string]string
	handler *libcontainer.Handler
	lean    *leanManager // the handler's manager, if the lean reader
	spec    info.ContainerSpec
	// info is ref and spec as of the last discovery, shared by the rounds.
	info *info.ContainerInfo
	// named is set once a runtime was asked for the container's name;
	// namedAt is when, for retrying unknown IDs.
	named   bool
	namedAt time.Time
	runtime bool // identified as a Docker or containerd container
}

// release closes the files the cgroup's reader keeps open; the
// housekeeper calls it when it stops tracking the cgroup.
func (cg *cgroup) release() {
	if cg.lean != nil {
		cg.lean.release()
	}
}

// housekeeper reads every cgroup on its own schedule.
type housekeeper struct {
	cfg      Config
	logger   *slog.Logger
	host     *hostInfo
	tree     tree
	included container.MetricSet
	// lean selects the lean reader (leanManager) for non-root cgroups.
	lean   bool
	reader fileReader
	lister lister
	// fs reads the root cgroup's file system usage (the disk kind); nil
	// without it.
	fs       *fsUsage
	devices  deviceNames
	interval time.Duration
	names    *namer
	metrics  *metrics

	cgroups    map[string]*cgroup
	order      []string // names of cgroups, sorted
	overCap    int      // cgroups skipped by max_containers
	discovered time.Time
	discErr    error  // error of the last discovery, if any
	lastErr    string // last partial error logged
}

// run reads all cgroups at once and then every interval, publishing each
// round, until ctx is cancelled.
func (h *housekeeper) run(ctx context.Context, publish func(*snapshot)) {
	ticker := time.NewTicker(h.interval)
	defer ticker.Stop()
	defer h.release()
	for {
		publish(h.round(ctx))
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// release closes every file kept open.
func (h *housekeeper) release() {
	for _, cg := range h.cgroups {
		cg.release()
	}
}

// round lists the hierarchy again when discovery is due, then reads the
// statistics of every cgroup.
func (h *housekeeper) round(ctx context.Context) *snapshot {
	start := time.Now()
	s := h.readAll(ctx)
	h.metrics.duration.Observe(time.Since(start).Seconds())
	h.metrics.cgroups.Set(float64(len(s.containers)))
	return s
}

// readAll is one round: discovery when due, then every cgroup's
// statistics.
func (h *housekeeper) readAll(ctx context.Context) *snapshot {
	if time.Since(h.discovered) >= time.Duration(h.cfg.DiscoveryInterval) {
		h.discErr = h.discover(ctx)
		h.discovered = time.Now()
		if h.discErr != nil && len(h.cgroups) == 0 {
			h.logChange(h.discErr)
			return &snapshot{at: time.Now(), version: h.host.version, fatal: h.discErr}
		}
	}
	s := &snapshot{version: h.host.version, machine: h.host.machine, containers: make([]entry, 0, len(h.order))}
	var failed []error
	nFailed := 0
	kept := h.order[:0]
	for _, name := range h.order {
		cg := h.cgroups[name]
		st, err := h.stats(cg)
		if err != nil {
			if name != "/" && !common.CgroupExists(cg.paths) {
				// Removed since the last discovery: not an error.
				cg.release()
				delete(h.cgroups, name)
				continue
			}
			nFailed++
			if len(failed) < 3 {
				failed = append(failed, fmt.Errorf("cgroup %q: %w", name, err))
			}
		}
		if err == nil && name != "/" && nothingRead(st) && !common.CgroupExists(cg.paths) {
			// Removed since the last discovery: the readers report a
			// missing cgroup as one without statistics.
			cg.release()
			delete(h.cgroups, name)
			continue
		}
		kept = append(kept, name)
		s.containers = append(s.containers, entry{info: cg.info, stats: st})
	}
	h.order = kept
	h.metrics.errors.Add(float64(nFailed))
	var errs []error
	if nFailed > 0 {
		err := fmt.Errorf("read %d of %d cgroups: %w", nFailed, len(h.order), errors.Join(failed...))
		if nFailed == len(h.order) {
			h.logChange(err)
			return &snapshot{at: time.Now(), version: h.host.version, fatal: err}
		}
		errs = append(errs, err)
	}
	if h.overCap > 0 {
		errs = append(errs, fmt.Errorf("%d cgroups not collected: over max_containers (%d)", h.overCap, h.cfg.MaxContainers))
	}
	if h.discErr != nil {
		errs = append(errs, h.discErr)
	}
	s.err = errors.Join(errs...)
	h.logChange(s.err)
	s.at = time.Now()
	return s
}

// nothingRead reports whether st holds no CPU, memory or block IO figure,
// which is what reading a removed cgroup gives.
func nothingRead(st *info.ContainerStats) bool {
	return st.Cpu.Usage.Total == 0 && st.Memory.Usage == 0 && (st.DiskIo == nil || len(st.DiskIo.IoServiceBytes) == 0)
}

// logChange logs a round's problems when they differ from the previous
// round's, so that a lasting problem is logged once, not every round.
func (h *housekeeper) logChange(err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if msg == h.lastErr {
		return
	}
	h.lastErr = msg
	if err != nil {
		h.logger.Warn("cgroup housekeeping incomplete", "err", err)
	} else {
		h.logger.Info("cgroup housekeeping complete again")
	}
}

// stats reads one cgroup's statistics with cAdvisor's handler and names
// its block devices from the machine description.
func (h *housekeeper) stats(cg *cgroup) (*info.ContainerStats, error) {
	st, err := cg.handler.GetStats()
	if err != nil {
		return nil, err
	}
	if h.fs != nil && cg.ref.Name == "/" {
		st.Filesystem = h.fs.stats(&h.reader)
	}
	if d := st.DiskIo; d != nil {
		common.AssignDeviceNamesToDiskStats(&h.devices, d)
		// cAdvisor lists devices in map order; a stable order lets the
		// emitter reuse label sets from round to round.
		for _, list := range [][]info.PerDiskStats{d.IoServiceBytes, d.IoServiced, d.IoQueued, d.Sectors,
			d.IoServiceTime, d.IoWaitTime, d.IoMerged, d.IoTime, d.IoCostUsage, d.IoCostWait, d.IoCostIndebt, d.IoCostIndelay} {
			slices.SortFunc(list, func(a, b info.PerDiskStats) int {
				return cmp.Or(cmp.Compare(a.Major, b.Major), cmp.Compare(a.Minor, b.Minor))
			})
		}
	}
	return st, nil
}

// deviceNames names block devices from the machine description, as
// cAdvisor does, remembering the answers.
type deviceNames struct {
	machine *info.MachineInfo
	names   map[[2]uint64]string
}

// DeviceName implements common.DeviceNamer.
func (d *deviceNames) DeviceName(major, minor uint64) (string, bool) {
	key := [2]uint64{major, minor}
	if name, ok := d.names[key]; ok {
		return name, name != ""
	}
	name, _ := (*common.MachineInfoNamer)(d.machine).DeviceName(major, minor)
	if d.names == nil {
		d.names = map[[2]uint64]string{}
	}
	d.names[key] = name
	return name, name != ""
}

// discover lists the hierarchy, starts tracking new cgroups, forgets
// removed ones, refreshes every spec and names new runtime containers.
func (h *housekeeper) discover(ctx context.Context) error {
	found, err := h.lister.list(h.tree.mounts)
	if err != nil {
		return fmt.Errorf("list cgroups: %w", err)
	}
	names := make([]string, 0, len(found)+1)
	names = append(names, "/")
	for name := range found {
		if h.wanted(name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	h.overCap = 0
	if len(names) > h.cfg.MaxContainers {
		h.overCap = len(names) - h.cfg.MaxContainers
		names = names[:h.cfg.MaxContainers]
	}
	current := make(map[string]*cgroup, len(names))
	var errs []error
	for _, name := range names {
		cg, ok := h.cgroups[name]
		if !ok {
			if cg, err = h.newCgroup(name); err != nil {
				errs = append(errs, fmt.Errorf("track cgroup %q: %w", name, err))
				continue
			}
		}
		if err := h.readSpec(cg); err != nil {
			errs = append(errs, fmt.Errorf("read spec of cgroup %q: %w", name, err))
		}
		current[name] = cg
	}
	for name, cg := range h.cgroups {
		if current[name] != cg {
			cg.release()
		}
	}
	h.cgroups = current
	if err := h.names.resolve(ctx, h.cgroups); err != nil {
		errs = append(errs, err)
	}
	if h.fs != nil {
		if err := h.fs.refresh(&h.reader); err != nil {
			errs = append(errs, fmt.Errorf("list file systems: %w", err))
		}
	}
	// What the rounds until the next discovery share; earlier rounds keep
	// the previous one.
	for _, cg := range h.cgroups {
		cg.info = &info.ContainerInfo{ContainerReference: cg.ref, Spec: cg.spec}
	}
	h.order = h.order[:0]
	for _, name := range names {
		cg, ok := h.cgroups[name]
		if !ok {
			continue
		}
		if h.cfg.DockerOnly && name != "/" && !cg.runtime {
			continue
		}
		h.order = append(h.order, name)
	}
	if len(errs) > 3 {
		errs = append(errs[:3], fmt.Errorf("and %d more", len(errs)-3))
	}
	return errors.Join(errs...)
}

// wanted reports whether a cgroup matches the configured prefixes.
func (h *housekeeper) wanted(name string) bool {
	for _, p := range h.cfg.CgroupPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// newCgroup builds the handler of one cgroup the way cAdvisor's raw
// factory does: the cgroup's directory in every hierarchy, a cgroup
// manager over them, and for the root cgroup pid 1 (for network and
// process statistics of the host) and no pids controller.
func (h *housekeeper) newCgroup(name string) (*cgroup, error) {
	paths := common.MakeCgroupPaths(h.tree.mounts, name)
	mgr, err := libcontainer.NewCgroupManager(name, paths)
	if err != nil {
		return nil, err
	}
	// The root cgroup, whose statistics come with special cases (the
	// host's network, v2's root without memory.current), is always read
	// in full.
	if h.lean && name != "/" {
		mgr = &leanManager{Manager: mgr, paths: paths, v2: h.tree.v2, r: &h.reader, hierarchy: -1, blkioGroup: -1}
	}
	pid := 0
	if name == "/" {
		pid = 1
		delete(paths, "pids")
	}
	cg := &cgroup{
		ref:     info.ContainerReference{Name: name},
		paths:   paths,
		handler: libcontainer.NewHandler(mgr, h.cfg.HostRootfs, pid, h.included),
	}
	cg.lean, _ = mgr.(*leanManager)
	return cg, nil
}

// readSpec reads the limits of a cgroup with cAdvisor's spec reader (or
// its lean equivalent, leanSpec, for the cgroups the lean reader reads); the
// root cgroup gets the machine's memory and swap as limits and the host's
// network devices, as in cAdvisor's raw handler.
func (h *housekeeper) readSpec(cg *cgroup) error {
	if cg.lean != nil {
		cg.lean.refresh()
	}
	isRoot := cg.ref.Name == "/"
	var spec info.ContainerSpec
	if cg.lean != nil {
		spec = leanSpec(&h.reader, cg.paths, h.tree.v2, h.host.machine)
	} else {
		var err error
		if spec, err = common.GetSpec(cg.paths, h.host, false, isRoot); err != nil {
			return err
		}
	}
	if isRoot {
		mi := h.host.machine
		spec.HasNetwork = len(mi.NetworkDevices) != 0
		spec.HasMemory = true
		spec.Memory.Limit = mi.MemoryCapacity
		spec.Memory.SwapLimit = mi.SwapCapacity
	}
	spec.Image, spec.Labels = cg.spec.Image, cg.spec.Labels
	cg.spec = spec
	return nil
}
