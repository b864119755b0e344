package jvm

import (
	"bufio"
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pipewatch/pipewatch/collector"
)

// TestRealJVM starts real JVMs (testdata/java/PerfTarget.java, compiled
// with javac) under three collectors, reads their perf data from /tmp as
// in production, and checks the series against what jstat, which reads the
// same file, prints. It is skipped where no JDK is installed.
func TestRealJVM(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("HotSpot keeps perf data in /tmp/hsperfdata_<user> on Linux; other systems are not tested")
	}
	javac, err1 := exec.LookPath("javac")
	java, err2 := exec.LookPath("java")
	jstat, err3 := exec.LookPath("jstat")
	if err1 != nil || err2 != nil || err3 != nil {
		t.Skip("no JDK (java, javac and jstat) on PATH: the real-JVM test needs one, e.g. Debian's default-jdk-headless; the captured perf data is still tested")
	}
	classes := t.TempDir()
	if out, err := exec.Command(javac, "-d", classes, filepath.Join("testdata", "java", "PerfTarget.java")).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		gc, eden, old string
	}{
		{"-XX:+UseG1GC", "G1 Eden Space", "G1 Old Gen"},
		{"-XX:+UseParallelGC", "PS Eden Space", "PS Old Gen"},
		{"-XX:+UseSerialGC", "Eden Space", "Tenured Gen"},
	} {
		t.Run(strings.TrimPrefix(tc.gc, "-XX:+"), func(t *testing.T) {
			pid := startJVM(t, java, classes, tc.gc)
			cfg := DefaultHSPerfConfig
			cfg.Enabled = true
			h, err := NewHSPerf(&cfg, HSPerfOptions{})
			if err != nil {
				t.Fatal(err)
			}
			b := collector.NewBatch()
			if err := h.Collect(context.Background(), b); err != nil && !collector.IsPartial(err) {
				t.Fatal(err)
			}
			// Other JVMs of the machine may be there too, and files of
			// other users may be unreadable: look at ours only.
			mine := func(name string, more ...string) map[string]float64 {
				return samples(b, name, append([]string{"pid", pid, "main", "PerfTarget"}, more...)...)
			}
			if len(mine(MetricMemoryUsed, "area", AreaHeap)) != 1 {
				t.Fatalf("no heap usage for pid %s:\n%s", pid, render(t, b))
			}
			for _, pool := range []string{tc.eden, tc.old, "Metaspace"} {
				if len(mine(MetricPoolUsed, "pool", pool)) != 1 {
					t.Errorf("no pool %q for this collector:\n%s", pool, render(t, b))
				}
			}
			for _, name := range []string{MetricThreadsCurrent, MetricClassesLoaded, MetricStartTime, MetricCPUSeconds, MetricInfo} {
				if len(mine(name)) != 1 {
					t.Errorf("no %s", name)
				}
			}
			if v := sum(mine(MetricCPUSeconds)); v <= 0 {
				t.Errorf("process CPU = %v, want > 0", v)
			}

			// jstat -gc reports the same collections and the same old
			// generation occupancy (in KB) from the same counters.
			js := jstatGC(t, jstat, pid)
			young, full := js["YGC"], js["FGC"]
			counts := mine(MetricGCCount)
			if got := sum(counts) - js["CGC"]; got != young+full {
				t.Errorf("collections: %v (%v), jstat says YGC %v + FGC %v", got, counts, young, full)
			}
			if full < 1 {
				t.Errorf("jstat FGC = %v: System.gc() should have run a full collection", full)
			}
			oldUsed := sum(mine(MetricPoolUsed, "pool", tc.old)) / 1024
			if diff := oldUsed - js["OU"]; diff < -0.1 || diff > 0.1 {
				t.Errorf("old generation used = %.1f KB, jstat OU = %.1f KB", oldUsed, js["OU"])
			}
			gcSeconds := sum(mine(MetricGCSeconds))
			if diff := gcSeconds - js["GCT"]; diff < -0.002 || diff > 0.002 {
				t.Errorf("GC time = %.4f s, jstat GCT = %.3f s", gcSeconds, js["GCT"])
			}
		})
	}
}

// startJVM runs PerfTarget and returns its pid once it has printed ready;
// the JVM exits when the test ends and closes its standard input.
func startJVM(t *testing.T, java, classes, gc string) string {
	t.Helper()
	cmd := exec.Command(java, gc, "-Xmx64m", "-XX:+UsePerfData", "-cp", classes, "PerfTarget")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start java: %v", err)
	}
	t.Cleanup(func() {
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	ready := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err == nil && !strings.HasPrefix(line, "ready") {
			err = io.ErrUnexpectedEOF
		}
		ready <- err
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatalf("JVM did not get ready: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("JVM not ready after 60s")
	}
	return strconv.Itoa(cmd.Process.Pid)
}

// jstatGC runs jstat -gc on pid and returns its columns.
func jstatGC(t *testing.T, jstat, pid string) map[string]float64 {
	t.Helper()
	out, err := exec.Command(jstat, "-gc", pid).Output()
	if err != nil {
		t.Fatalf("jstat: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		t.Fatalf("jstat output:\n%s", out)
	}
	names, values := strings.Fields(lines[0]), strings.Fields(lines[1])
	m := map[string]float64{}
	for i, n := range names {
		if i < len(values) {
			v, err := strconv.ParseFloat(values[i], 64)
			if err == nil {
				m[n] = v
			}
		}
	}
	return m
}
