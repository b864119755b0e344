package ui

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// requireTool returns the path of a program the browser and build tests
// need. Where it is missing the test is skipped, except in CI (CI=true),
// where a missing tool fails it: CI must install what these tests use.
func requireTool(t *testing.T, what, path string) string {
	t.Helper()
	p, err := exec.LookPath(path)
	if err == nil {
		return p
	}
	missing(t, what+": "+err.Error())
	return ""
}

// requireFile is requireTool for a file or directory.
func requireFile(t *testing.T, what, path string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		missing(t, what+": "+err.Error())
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func missing(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI must provide it: apt-get install -y chromium; npm --prefix ui/web ci)", msg)
	}
	t.Skipf("skipped: %s", msg)
}

// chromiumPath is $CHROMIUM or Debian's /usr/bin/chromium.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}
