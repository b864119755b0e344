// Command pipewatch watches real-time data pipelines (producers → Kafka →
// stream jobs → sinks), stores what it collects in an embedded Prometheus
// TSDB and serves it to Grafana and its own UI.
//
// Usage:
//
//	pipewatch [flags]              run the server
//	pipewatch check config FILE    validate a configuration file
//	pipewatch check rules FILE     validate rule files
//	pipewatch version              print version information
//
// main only parses flags and turns signals into a context and reload
// requests; the process itself is wired in package app.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/units"
	"github.com/prometheus/common/model"

	"github.com/pipewatch/pipewatch/api"
	"github.com/pipewatch/pipewatch/app"
	"github.com/pipewatch/pipewatch/config"
	"github.com/pipewatch/pipewatch/rules"
)

// Set by the linker (see Makefile).
var (
	version  = "dev"
	revision = "unknown"
	branch   = "unknown"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run executes the command line args and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "version":
			fmt.Fprintf(stdout, "pipewatch, version %s (branch: %s, revision: %s)\n  go version: %s\n", version, branch, revision, runtime.Version())
			return 0
		case "check":
			return check(args[1:], stdout, stderr)
		}
	}
	return serve(args, stderr)
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func serve(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("pipewatch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		configFile    = fs.String("config.file", "", "pipewatch configuration file (YAML); empty runs on defaults")
		storagePath   = fs.String("storage.tsdb.path", "data/", "directory of the embedded TSDB")
		retentionStr  = fs.String("storage.tsdb.retention.time", "15d", "how long to keep samples")
		retentionSize = fs.String("storage.tsdb.retention.size", "0", "maximum bytes of persisted blocks (e.g. 512MB); 0 means no limit")
		listenAddress = fs.String("web.listen-address", ":9470", "address of the HTTP server (API, UI, /metrics)")
		externalURL   = fs.String("web.external-url", "", "URL under which pipewatch is reachable, used in alert links; default http://<hostname>:<port>")
		webConfigFile = fs.String("web.config.file", "", "exporter-toolkit web configuration file for TLS and basic authentication")
		demoFlag      = fs.Bool("demo", false, "start the embedded demo platform and monitor it, in addition to the configuration")
		logLevel      = fs.String("log.level", "info", "log level: debug, info, warn, error")
		logFormat     = fs.String("log.format", "logfmt", "log format: logfmt or json")
		adminUsers    stringList
	)
	fs.Var(&adminUsers, "web.admin-user", "basic-auth user allowed to call write endpoints such as /-/reload (repeatable); needs --web.config.file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pipewatch: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	logger, err := newLogger(stderr, *logLevel, *logFormat)
	if err != nil {
		fmt.Fprintf(stderr, "pipewatch: %v\n", err)
		return 2
	}
	retention, err := model.ParseDuration(*retentionStr)
	if err != nil || retention <= 0 {
		fmt.Fprintf(stderr, "pipewatch: invalid --storage.tsdb.retention.time %q: must be a positive duration such as 15d\n", *retentionStr)
		return 2
	}
	size, err := units.ParseBase2Bytes(*retentionSize)
	if err != nil || size < 0 {
		fmt.Fprintf(stderr, "pipewatch: invalid --storage.tsdb.retention.size %q: must be a size such as 512MB\n", *retentionSize)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	reload := make(chan struct{}, 1)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default: // a reload is already pending
			}
		}
	}()

	err = app.Run(ctx, app.Options{
		ConfigFile:    *configFile,
		StoragePath:   *storagePath,
		Retention:     time.Duration(retention),
		RetentionSize: int64(size),
		ListenAddress: *listenAddress,
		WebConfigFile: *webConfigFile,
		ExternalURL:   *externalURL,
		AdminUsers:    adminUsers,
		Demo:          *demoFlag,
		Reload:        reload,
		Logger:        logger,
		BuildInfo:     api.BuildInfo{Version: version, Revision: revision, Branch: branch},
	})
	if err != nil {
		logger.Error("pipewatch failed", "err", err)
		return 1
	}
	return 0
}

func check(args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 || (args[0] != "config" && args[0] != "rules") {
		fmt.Fprintln(stderr, "usage: pipewatch check config FILE...\n       pipewatch check rules FILE...")
		return 2
	}
	load := func(file string) error { _, err := config.LoadFile(file); return err }
	if args[0] == "rules" {
		load = func(file string) error { return rules.CheckFiles(file) }
	}
	code := 0
	for _, file := range args[1:] {
		if err := load(file); err != nil {
			fmt.Fprintf(stderr, "%s: FAILED:\n%v\n", file, err)
			code = 1
			continue
		}
		fmt.Fprintf(stdout, "%s: SUCCESS\n", file)
	}
	return code
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("invalid --log.level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "logfmt":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("invalid --log.format %q: use logfmt or json", format)
}
