package ui

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestAssetsCurrent rebuilds the web app from web/ with the locked
// dependencies (npm ci, then the build script) into a temporary folder
// and fails when the result differs from the committed dist/, which is
// what the binary embeds. Fix a failure with:
//
//	cd ui/web && npm ci && npm run build
func TestAssetsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: runs npm ci")
	}
	npm := requireTool(t, "npm", "npm")
	node := requireTool(t, "node", "node")
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()

	work := filepath.Join(t.TempDir(), "web")
	if err := os.CopyFS(filepath.Join(work, "src"), os.DirFS(filepath.Join("web", "src"))); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"package.json", "package-lock.json", "build.mjs"} {
		b, err := os.ReadFile(filepath.Join("web", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(name string, args ...string) {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = work
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	// Install scripts are not needed: esbuild's binary comes in its
	// platform package.
	run(npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error")
	out := filepath.Join(filepath.Dir(work), "dist")
	run(node, "build.mjs", out)

	want := listFiles(t, out)
	got := listFiles(t, "dist")
	if !slices.Equal(got, want) {
		t.Errorf("dist/ has files %v, a fresh build has %v; rebuild: cd ui/web && npm ci && npm run build", got, want)
	}
	for _, f := range want {
		a, errA := os.ReadFile(filepath.Join("dist", f))
		b, errB := os.ReadFile(filepath.Join(out, f))
		if errA != nil || errB != nil {
			continue // reported above
		}
		if !bytes.Equal(a, b) {
			t.Errorf("dist/%s is stale (%d bytes, a fresh build has %d); rebuild: cd ui/web && npm ci && npm run build", f, len(a), len(b))
		}
	}
}

func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}
