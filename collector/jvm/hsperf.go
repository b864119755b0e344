package jvm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pipewatch/pipewatch/collector"
)

// maxPerfDataSize bounds the size of a perf-data file that is read. HotSpot's
// default is 32 KiB (-XX:PerfDataMemorySize); anything far larger is not a
// perf-data file.
const maxPerfDataSize = 4 << 20

// HSPerfOptions are the dependencies of an HSPerf collector.
type HSPerfOptions struct {
	// Logger receives debug messages about files that are skipped; nil
	// discards them.
	Logger *slog.Logger
	// ProcRoot is where the proc file system is mounted, "" meaning /proc.
	// It is used on Linux to skip files left behind by JVMs that died and to
	// read the CPU time of live ones.
	ProcRoot string
}

// HSPerf collects every local HotSpot JVM that publishes perf data (what
// jstat reads; no agent or JMX port needed). Each JVM's series carry
// pid="<pid>" and main="<main class or jar>" (the first word of the Java
// command line; its arguments are never exposed, as they may hold secrets).
//
// Files that cannot be read because they belong to another user are
// skipped silently, as are files of JVMs that are still starting or have
// exited; files that are not valid perf data make the round partial.
type HSPerf struct {
	dir      string
	procRoot string
	logger   *slog.Logger
	emitter  *Emitter
	stats    Stats
	buf      bytes.Buffer // reused between files
}

// NewHSPerf returns a collector for the JVMs whose perf-data files are in
// cfg.Dir (in its hsperfdata_<user> subdirectories). It does not check that
// the directory exists: JVMs may start later.
func NewHSPerf(cfg *HSPerfConfig, opts HSPerfOptions) (*HSPerf, error) {
	if cfg.Dir == "" {
		return nil, errors.New("hsperfdata: dir must be set")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ProcRoot == "" {
		opts.ProcRoot = "/proc"
	}
	return &HSPerf{
		dir:      cfg.Dir,
		procRoot: opts.ProcRoot,
		logger:   opts.Logger,
		emitter:  NewEmitter("pid", "main"),
		stats:    NewStats(),
	}, nil
}

// Collect reads the perf data of every live JVM once.
func (h *HSPerf) Collect(ctx context.Context, b *collector.Batch) error {
	userDirs, err := os.ReadDir(h.dir)
	if err != nil {
		return fmt.Errorf("list %s: %w", h.dir, err)
	}
	var errs []error
	for _, ud := range userDirs {
		if !ud.IsDir() || !strings.HasPrefix(ud.Name(), "hsperfdata_") {
			continue
		}
		udir := filepath.Join(h.dir, ud.Name())
		files, err := os.ReadDir(udir)
		if err != nil {
			if !errors.Is(err, fs.ErrPermission) && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("list %s: %w", udir, err))
			}
			continue
		}
		for _, f := range files {
			if err := ctx.Err(); err != nil {
				return err
			}
			pid, err := strconv.Atoi(f.Name())
			if err != nil || pid <= 0 || !f.Type().IsRegular() {
				continue
			}
			if !processAlive(h.procRoot, pid) {
				continue
			}
			if err := h.collectFile(b, filepath.Join(udir, f.Name()), pid); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return collector.Partial(errors.Join(errs...))
}

// collectFile emits the series of one JVM. Files that vanish or cannot be
// read for lack of permission are not errors.
func (h *HSPerf) collectFile(b *collector.Batch, path string, pid int) error {
	data, err := h.read(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission):
		h.logger.Debug("skip perf data file", "path", path, "err", err)
		return nil
	case err != nil:
		return fmt.Errorf("read %s: %w", path, err)
	}
	p, err := ParsePerfData(data)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if !p.Accessible {
		return nil // The JVM is still initialising the file.
	}
	h.stats.Reset()
	if err := perfStats(p, &h.stats); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if cpu, ok := processCPUSeconds(h.procRoot, pid); ok {
		h.stats.CPUSeconds = cpu
	}
	cmd, _ := p.Str("sun.rt.javaCommand")
	main, _, _ := strings.Cut(strings.TrimSpace(cmd), " ")
	h.emitter.Emit(b, &h.stats, strconv.Itoa(pid), main)
	return nil
}

// read returns the content of path in a buffer reused between files.
func (h *HSPerf) read(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h.buf.Reset()
	if _, err := h.buf.ReadFrom(io.LimitReader(f, maxPerfDataSize+1)); err != nil {
		return nil, err
	}
	if h.buf.Len() > maxPerfDataSize {
		return nil, fmt.Errorf("file exceeds %d bytes", maxPerfDataSize)
	}
	return h.buf.Bytes(), nil
}
