package ui

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The demo's stalling module and its consumer group (see package demo).
// STALL_MODULE and STALL_GROUP override them.
const (
	demoStallModule = "hotdog-clicks"
	demoStallGroup  = "hotdog-ctr-aggregator"
)

// TestEndToEnd builds pipewatch, starts it with the embedded demo on a
// free port of 127.0.0.1 and runs web/e2e/e2e.mjs in headless Chromium
// against it: the module map shows every module of the API, the stalling
// module opens, lag injected through POST /api/v1/demo/stall turns its hop
// critical in the open page within 10 s, the hop's panel
// opens from a click on the canvas, a Grafana URL set in the settings adds
// Explore links, the time picker reaches ?at=, and silences can be created
// and expired. Screenshots go to $ARTIFACTS_DIR (default
// test-artifacts/ui/ at the repository root).
//
// It needs node, web/node_modules (npm --prefix ui/web ci) and Debian's
// chromium ($CHROMIUM overrides /usr/bin/chromium): skipped without them,
// failed without them when CI=true.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: builds pipewatch and drives a browser")
	}
	node := requireTool(t, "node", "node")
	chromium := requireTool(t, "chromium", chromiumPath())
	requireFile(t, "playwright-core (npm --prefix ui/web ci)", filepath.Join("web", "node_modules", "playwright-core", "package.json"))
	goTool := requireTool(t, "go", "go")
	script := requireFile(t, "e2e script", filepath.Join("web", "e2e", "e2e.mjs"))

	artifacts := os.Getenv("ARTIFACTS_DIR")
	if artifacts == "" {
		artifacts = filepath.Join("..", "test-artifacts", "ui")
	}
	artifacts, err := filepath.Abs(artifacts)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 18*time.Minute)
	defer cancel()
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "pipewatch")
	build := exec.CommandContext(ctx, goTool, "build", "-o", bin, "github.com/pipewatch/pipewatch/cmd/pipewatch")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build pipewatch: %v\n%s", err, out)
	}

	addr := freeAddr(t)
	var logs lockedBuffer
	srv := exec.CommandContext(ctx, bin, "--demo", "--web.listen-address="+addr, "--storage.tsdb.path="+filepath.Join(tmp, "data"))
	srv.Stdout, srv.Stderr = &logs, &logs
	srv.Cancel = func() error { return srv.Process.Signal(os.Interrupt) }
	srv.WaitDelay = 15 * time.Second
	if err := srv.Start(); err != nil {
		t.Fatalf("start pipewatch: %v", err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- srv.Wait() }()
	defer func() {
		cancel()
		<-stopped
		if t.Failed() {
			t.Logf("pipewatch log (tail):\n%s", tail(logs.String(), 60))
		}
	}()
	base := "http://" + addr + "/"
	waitReady(t, base, stopped)

	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = "web"
	cmd.Env = append(os.Environ(),
		"BASE_URL="+base,
		"ARTIFACTS_DIR="+artifacts,
		"CHROMIUM="+chromium,
		"STALL_MODULE="+envOr("STALL_MODULE", demoStallModule),
		"STALL_GROUP="+envOr("STALL_GROUP", demoStallGroup),
	)
	out, err := cmd.CombinedOutput()
	t.Logf("e2e.mjs output:\n%s", out)
	if err != nil {
		t.Fatalf("e2e.mjs: %v (screenshots in %s)", err, artifacts)
	}
}

// waitReady polls /-/ready of the started pipewatch, at most 90 s.
func waitReady(t *testing.T, base string, stopped <-chan error) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(90 * time.Second)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		res, err := client.Get(base + "-/ready")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pipewatch not ready after 90 s: %v", err)
		}
		select {
		case err := <-stopped:
			t.Fatalf("pipewatch exited before it was ready: %v", err)
		case <-tick.C:
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// lockedBuffer collects a process's output from two pipes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
