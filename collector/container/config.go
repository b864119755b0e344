package container

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/config/configerr"
)

// The metric kinds that Config.Metrics accepts. They are cAdvisor's names
// for the same groups (its --disable_metrics/--enable_metrics values), so
// that a cAdvisor command line translates one to one.
const (
	// MetricsCPU is cumulative CPU time (user, system, total) and CFS
	// quota enforcement: container_cpu_*_seconds_total and
	// container_cpu_cfs_*.
	MetricsCPU = "cpu"
	// MetricsPerCPU splits container_cpu_usage_seconds_total by CPU core
	// (cpu="cpu00", ...) instead of cpu="total". It has effect only with
	// MetricsCPU.
	MetricsPerCPU = "percpu"
	// MetricsMemory is memory usage, working set, cache, RSS, swap,
	// failures and the v2 memory.stat extras: container_memory_*.
	MetricsMemory = "memory"
	// MetricsDiskIO is block IO per device: container_fs_reads_bytes_total,
	// container_fs_writes_bytes_total, ... and
	// container_blkio_device_usage_total.
	MetricsDiskIO = "diskIO"
	// MetricsNetwork is interface counters: container_network_*. cAdvisor's
	// raw cgroup handler reads them only for the root cgroup ("/"), from
	// the host's network namespace.
	MetricsNetwork = "network"
	// MetricsProcess is processes, threads, file descriptors, sockets and
	// ulimits: container_processes, container_threads, ... It reads
	// /proc/<pid> for every process of every cgroup, so it is the most
	// expensive kind.
	MetricsProcess = "process"
	// MetricsPressure is pressure stall time (PSI, cgroup v2 only):
	// container_pressure_*_seconds_total.
	MetricsPressure = "pressure"
	// MetricsDisk is file system usage, which cAdvisor's raw handler
	// reports for the root cgroup only: the usage, size and inodes of the
	// host's block-device file systems (container_fs_usage_bytes,
	// container_fs_limit_bytes, container_fs_inodes_free,
	// container_fs_inodes_total, by device), and with MetricsDiskIO their
	// devices' /proc/diskstats counters in the container_fs_* IO families.
	MetricsDisk = "disk"
)

// supportedMetrics lists the metric kinds Config.Metrics accepts, in the
// order they are documented.
var supportedMetrics = []string{MetricsCPU, MetricsPerCPU, MetricsMemory, MetricsDiskIO, MetricsNetwork, MetricsProcess, MetricsPressure, MetricsDisk}

// DefaultConfig is the configuration of the containers section before the
// keys given in the file are applied. CollectInterval and CollectTimeout are
// zero so that package config can tell them unset and inherit the global
// values; HousekeepingInterval is zero so that it follows CollectInterval.
var DefaultConfig = Config{
	DiscoveryInterval:    model.Duration(time.Minute),
	Metrics:              []string{MetricsCPU, MetricsMemory, MetricsDiskIO, MetricsNetwork, MetricsDisk},
	CgroupPrefixes:       []string{""},
	MaxContainers:        5000,
	MaxOpenFiles:         32768,
	HostRootfs:           "/",
	DockerSocket:         "/var/run/docker.sock",
	ContainerdSocket:     "/run/containerd/containerd.sock",
	ContainerdNamespace:  "k8s.io",
	StoreContainerLabels: true,
}

// Config configures container metrics: the top-level containers section of
// the configuration file (a single section, not a list, since one pipewatch
// watches the cgroups of the host it runs on).
//
// Its keys mirror the cAdvisor flags they replace: housekeeping_interval,
// docker_only, raw_cgroup_prefix_whitelist (cgroup_prefixes),
// store_container_labels, the docker and containerd endpoints and the
// enabled metric kinds.
type Config struct {
	// Enabled turns container metrics on. The section has no effect
	// without it.
	Enabled bool `yaml:"enabled"`
	// CollectInterval is how often the latest statistics are written to
	// storage; zero means the global collect_interval, which package config
	// fills in before calling Validate.
	CollectInterval model.Duration `yaml:"collect_interval,omitempty"`
	// CollectTimeout bounds one collection; zero means the global
	// collect_timeout, capped at CollectInterval.
	CollectTimeout model.Duration `yaml:"collect_timeout,omitempty"`
	// HousekeepingInterval is how often every cgroup's statistics are read,
	// independently of collection (cAdvisor's --housekeeping_interval).
	// Zero means CollectInterval, so that every collection writes fresh
	// statistics.
	HousekeepingInterval model.Duration `yaml:"housekeeping_interval,omitempty"`
	// DiscoveryInterval is how often the cgroup hierarchy is listed again
	// to find new cgroups (removed ones are dropped at the next
	// housekeeping round), and how often limits (the container spec) and
	// container names are refreshed; cAdvisor's global housekeeping
	// interval, one minute, by default. Listing and reading the limits of
	// thousands of cgroups costs about what two housekeeping rounds do.
	// Discovery happens at most once per housekeeping round.
	DiscoveryInterval model.Duration `yaml:"discovery_interval,omitempty"`
	// CgroupRoot is the directory holding the cgroup hierarchies to read.
	// Empty means the hierarchies mounted on this host, found the way
	// cAdvisor finds them (/proc/self/mountinfo). Set it when the host's
	// /sys/fs/cgroup is mounted elsewhere, for instance at
	// /host/sys/fs/cgroup in a container. A cgroup v1 root holds one
	// directory per controller (cpu, cpuacct, memory, blkio, pids, ...); a
	// cgroup v2 root holds cgroup.controllers. It must be of the cgroup
	// version this host runs, because cAdvisor interprets the files
	// according to the host's mode.
	CgroupRoot string `yaml:"cgroup_root,omitempty"`
	// HostRootfs is where the host's root file system, and so its /proc, is
	// visible: "/" normally, "/rootfs" when running in a container with the
	// host's root mounted there (cAdvisor's convention). Network and
	// process statistics are read from <host_rootfs>/proc.
	HostRootfs string `yaml:"host_rootfs,omitempty"`
	// Metrics are the metric kinds to read and export: cpu, percpu, memory,
	// diskIO, network, process, pressure, disk (cAdvisor's names).
	Metrics []string `yaml:"metrics,omitempty"`
	// CgroupPrefixes limits the cgroups collected to those whose name (path
	// below the hierarchy root, such as "/system.slice/x.service") starts
	// with one of these prefixes; the root cgroup "/" is always collected.
	// The default [""] collects every cgroup (cAdvisor's
	// --raw_cgroup_prefix_whitelist).
	CgroupPrefixes []string `yaml:"cgroup_prefixes,omitempty"`
	// MaxContainers caps the number of cgroups tracked, to bound memory and
	// series. Cgroups beyond the cap (in name order) are skipped and the
	// round is reported as partial.
	MaxContainers int `yaml:"max_containers,omitempty"`
	// MaxOpenFiles caps the cgroup files kept open from one housekeeping
	// round to the next (re-reading a kept file skips its open and close,
	// which cost more than the read); the cap in effect is also at most
	// half the process's RLIMIT_NOFILE. Each kept file holds a few KiB of
	// kernel memory. 0 keeps none. About ten files per cgroup are read.
	MaxOpenFiles int `yaml:"max_open_files"`
	// DockerOnly keeps only the root cgroup and cgroups identified as
	// Docker or containerd containers (cAdvisor's --docker_only).
	DockerOnly bool `yaml:"docker_only,omitempty"`
	// DockerSocket is the Docker Engine API socket used to name Docker
	// containers (labels name, image, container_label_*). When it does not
	// exist, containers keep their cgroup path only. Empty disables Docker
	// names.
	DockerSocket string `yaml:"docker_socket,omitempty"`
	// ContainerdSocket is the containerd API socket used to name containerd
	// containers. When it does not exist, containers keep their cgroup path
	// only. Empty disables containerd names.
	ContainerdSocket string `yaml:"containerd_socket,omitempty"`
	// ContainerdNamespace is the containerd namespace containers are looked
	// up in ("k8s.io" for Kubernetes).
	ContainerdNamespace string `yaml:"containerd_namespace,omitempty"`
	// StoreContainerLabels exports every label of a named container as a
	// container_label_<name> label, as cAdvisor does by default. Turn it off
	// when containers carry many or high-cardinality labels.
	StoreContainerLabels bool `yaml:"store_container_labels"`
}

// UnmarshalYAML applies DefaultConfig, then the keys of value.
func (c *Config) UnmarshalYAML(value *yaml.Node) error {
	*c = DefaultConfig
	// The defaults' slices must not be shared between configurations.
	c.Metrics = slices.Clone(DefaultConfig.Metrics)
	c.CgroupPrefixes = slices.Clone(DefaultConfig.CgroupPrefixes)
	type plain Config
	return value.Decode((*plain)(c))
}

// SetDirectory makes the relative paths in c relative to dir, the
// directory of the configuration file c was read from.
func (c *Config) SetDirectory(dir string) {
	for _, p := range []*string{&c.CgroupRoot, &c.HostRootfs, &c.DockerSocket, &c.ContainerdSocket} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
}

// Validate reports every problem with c. A disabled section is not
// checked beyond its key names, so that it can be kept in a file half
// written. Otherwise: the schedule (interval at least 1s, 0 < timeout <=
// interval), a housekeeping interval of at least 100ms and at most the
// collect interval (so that every collection can see fresh statistics), a
// positive discovery interval, known and
// unique metric kinds, at least one cgroup prefix, each starting with "/"
// (or empty), a positive max_containers, a max_open_files that is not
// negative, and absolute paths. Errors carry
// field paths relative to the section (see package configerr).
func (c Config) Validate() error {
	if !c.Enabled {
		return nil
	}
	errs := []error{configerr.CheckSchedule(c.CollectInterval, c.CollectTimeout)}
	switch {
	case c.HousekeepingInterval < 0:
		errs = append(errs, configerr.Fieldf("housekeeping_interval", "must not be negative"))
	case c.HousekeepingInterval != 0 && c.HousekeepingInterval < model.Duration(100*time.Millisecond):
		errs = append(errs, configerr.Fieldf("housekeeping_interval", "must be at least 100ms"))
	case c.HousekeepingInterval > c.CollectInterval && c.CollectInterval > 0:
		errs = append(errs, configerr.Fieldf("housekeeping_interval", "must not be greater than collect_interval (%s)", c.CollectInterval))
	}
	if c.DiscoveryInterval <= 0 {
		errs = append(errs, configerr.Fieldf("discovery_interval", "must be greater than 0s"))
	}
	errs = append(errs, configerr.Field("metrics", checkMetrics(c.Metrics)))
	errs = append(errs, configerr.Field("cgroup_prefixes", checkPrefixes(c.CgroupPrefixes)))
	if c.MaxContainers <= 0 {
		errs = append(errs, configerr.Fieldf("max_containers", "must be greater than 0"))
	}
	if c.MaxOpenFiles < 0 {
		errs = append(errs, configerr.Fieldf("max_open_files", "must not be negative"))
	}
	if c.HostRootfs == "" {
		errs = append(errs, configerr.Fieldf("host_rootfs", "must be set"))
	}
	for _, p := range []struct{ field, path string }{
		{"cgroup_root", c.CgroupRoot},
		{"host_rootfs", c.HostRootfs},
		{"docker_socket", c.DockerSocket},
		{"containerd_socket", c.ContainerdSocket},
	} {
		if p.path != "" && !filepath.IsAbs(p.path) {
			errs = append(errs, configerr.Fieldf(p.field, "%q must be an absolute path", p.path))
		}
	}
	if c.ContainerdSocket != "" && c.ContainerdNamespace == "" {
		errs = append(errs, configerr.Fieldf("containerd_namespace", "must be set when containerd_socket is"))
	}
	return errors.Join(errs...)
}

// housekeepingInterval is the effective housekeeping interval.
func (c Config) housekeepingInterval() model.Duration {
	if c.HousekeepingInterval == 0 {
		return c.CollectInterval
	}
	return c.HousekeepingInterval
}

func checkMetrics(kinds []string) error {
	if len(kinds) == 0 {
		return errors.New("must list at least one metric kind")
	}
	var errs []error
	seen := map[string]bool{}
	for i, k := range kinds {
		switch {
		case !slices.Contains(supportedMetrics, k):
			errs = append(errs, configerr.Index(i, fmt.Errorf("unknown metric kind %q (supported: %s)", k, strings.Join(supportedMetrics, ", "))))
		case seen[k]:
			errs = append(errs, configerr.Index(i, fmt.Errorf("metric kind %q is listed twice", k)))
		}
		seen[k] = true
	}
	return errors.Join(errs...)
}

func checkPrefixes(prefixes []string) error {
	if len(prefixes) == 0 {
		return errors.New(`must list at least one prefix ("" collects every cgroup)`)
	}
	var errs []error
	for i, p := range prefixes {
		if p != "" && !strings.HasPrefix(p, "/") {
			errs = append(errs, configerr.Index(i, fmt.Errorf("%q must start with \"/\"", p)))
		}
	}
	return errors.Join(errs...)
}
