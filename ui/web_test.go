package ui

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestWebUnit runs the web app's unit tests (web/test/*.test.mjs: number
// and duration formatting, silence matchers, the PromQL of the node
// panels, the layered layout and module packing, routes) with node's test
// runner.
func TestWebUnit(t *testing.T) {
	node := requireTool(t, "node", "node")
	requireFile(t, "dagre (npm --prefix ui/web ci)", filepath.Join("web", "node_modules", "@dagrejs", "dagre", "package.json"))
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "test/")
	cmd.Dir = "web"
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
