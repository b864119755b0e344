// Package container collects per-cgroup (per-container) CPU, memory, block
// IO, network, process and pressure metrics, and for the root cgroup the
// usage of the host's block-device file systems, with cAdvisor's metric names,
// label names, help texts and types, so that dashboards built for cAdvisor
// work unchanged.
//
// # Use
//
// The containers section of the configuration is one Config. When it is
// enabled, New(cfg, Options) returns a Collector, which implements
// collector.Collector and io.Closer: the app runs it as one target and the
// Manager closes it when the target stops. Every series carries id, the
// cgroup's path below the hierarchy root ("/", "/system.slice/x.service"),
// like cAdvisor's raw containers; the Manager adds job and instance.
//
// Besides the container families, every collection exports cAdvisor's
// machine families (machine_cpu_cores, machine_memory_bytes, ...,
// machine_scrape_error) from the machine description read once at start,
// as cAdvisor's machine collector does without its cpu_topology kind.
//
// # How statistics are read
//
// The statistics come from cAdvisor's library (github.com/google/cadvisor/lib):
// the cgroup hierarchies are found as cAdvisor's raw cgroup factory finds
// them (or below Config.CgroupRoot), every cgroup gets cAdvisor's
// libcontainer handler, which converts the cgroup v1 or v2 files into
// info.ContainerStats in the host's cgroup mode, and limits come from
// cAdvisor's spec reader. The info types are named through cAdvisor's
// public API package, github.com/google/cadvisor/info/v1 (since 0.60 type
// aliases of lib/model), as other cAdvisor users name them; that package
// is all this collector takes from cAdvisor's root module. Every cgroup is collected (cAdvisor's raw prefix
// whitelist [""]), optionally narrowed by Config.CgroupPrefixes.
//
// With the default metric kinds (cpu, memory, diskIO, network) the
// handler of every cgroup but the root reads through a lean cgroup manager
// (leanManager): cAdvisor's handler would ask runc's cgroup library for all
// statistics of every controller, about 35 files per cgroup on cgroup v1,
// of which a third feed the exported series; the lean manager reads only
// those, with the same parsing rules, and cAdvisor's conversion runs
// unchanged on the result. Tests compare both readers series by series on
// real captured v1 files, on synthetic v1 and v2 trees and on the live
// host. The other kinds (percpu, process, pressure) use cAdvisor's reader
// for every cgroup, at about four times the cost.
//
// The lean reader keeps the cgroup files it reads open from round to
// round and reads them again from offset 0 (cgroup files produce fresh
// content on every such read), up to Config.MaxOpenFiles (32,768 by
// default) and half of RLIMIT_NOFILE, which saves the open and close
// that cost more than the read. A cgroup's descriptors are closed as soon as housekeeping stops
// tracking it, and all of them when housekeeping stops; the number kept
// is the self-metric pipewatch_container_open_files.
//
// # Schedule
//
// Reading happens on the collector's own schedule, never because of a
// collection: the first Collect starts one housekeeping goroutine (so that
// a collector built but never run, such as one built for a target whose
// configuration did not change, holds none) that reads every cgroup each
// Config.HousekeepingInterval and lists the hierarchy again (and
// refreshes limits and names) each Config.DiscoveryInterval; a cgroup that
// disappears is dropped at the next round. Collect only turns the latest
// finished round into samples (waiting, bounded by its context, for the
// very first round); statistics samples carry the time the cgroup was
// read, as cAdvisor's exposition does. Close stops the goroutine and waits
// for it.
//
// cAdvisor's manager (lib/manager) is deliberately not used: its Stop
// leaves one housekeeping goroutine per container running (they poll their
// cgroups forever after Stop, so every configuration reload would leak a
// full set), its per-container interval is a process-wide flag variable,
// and its raw factory is registered in a process-wide list that can only be
// cleared for everyone. The housekeeping here runs the same per-cgroup
// handler code with one goroutine that Close stops, and touches no
// process-wide state (but for cAdvisor's containerd client, which the
// library keeps per process; see newNamer).
//
// # Names
//
// When the Docker Engine socket (Config.DockerSocket) or the containerd
// socket (Config.ContainerdSocket) exists, cgroups whose last path element
// holds a 64-hex container ID also get cAdvisor's name and image labels and
// a container_label_<key> label per container label; when neither socket
// exists, naming is a no-op.
//
// # Platforms, flags and tests
//
// Collection needs Linux cgroups; on other systems New returns an error
// (the package still builds, so configurations can be checked anywhere).
// A configured cgroup root must be a mounted cgroup file system of the
// host's cgroup version; tests and benchmarks read synthetic trees in
// ordinary directories by setting the cgroup library's test switch
// (cgroups.TestMode), which production code never sets.
//
// The cAdvisor packages used register a few flags on the process-wide
// flag.CommandLine when imported (boot_id_file, container_hints,
// containerd, containerd-namespace, containerd_env_metadata_whitelist,
// machine_id_file, referenced_reset_interval). pipewatch parses its own
// flag.FlagSet and never flag.CommandLine, so these flags are neither shown
// nor settable on pipewatch's command line; this package neither reads nor
// writes them, and every setting comes from Config. The libraries' own
// rare log lines (klog, logrus) go to their default output, stderr; the
// collector's go to Options.Logger.
package container
