#!/bin/sh
# Captures the cgroup v1 files of the machine this runs on into
# sandbox-v1/: every readable regular file of the root cgroup of the cpu,
# cpuacct, memory, blkio, pids and devices hierarchies, plus the memory
# cgroups /process_api and /process_api/<first job> (renamed "job"), and
# /proc/1/net/dev. Task lists (tasks, cgroup.procs) are written empty.
set -eu
src=/sys/fs/cgroup
dst=sandbox-v1
rm -rf "$dst"
copydir() { # copydir <from> <to>
	mkdir -p "$2"
	for f in "$1"/*; do
		[ -f "$f" ] && [ -r "$f" ] || continue
		case "$(basename "$f")" in
		tasks | cgroup.procs) : >"$2/$(basename "$f")" ;;
		*) cat "$f" >"$2/$(basename "$f")" 2>/dev/null || rm -f "$2/$(basename "$f")" ;;
		esac
	done
}
for c in cpu cpuacct memory blkio pids devices; do
	copydir "$src/$c" "$dst/cgroup/$c"
done
job=$(cd "$src/memory/process_api" && for d in */; do echo "${d%/}"; break; done)
copydir "$src/memory/process_api" "$dst/cgroup/memory/process_api"
copydir "$src/memory/process_api/$job" "$dst/cgroup/memory/process_api/job"
mkdir -p "$dst/rootfs/proc/1/net"
cat /proc/1/net/dev >"$dst/rootfs/proc/1/net/dev"
