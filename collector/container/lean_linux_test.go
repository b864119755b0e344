//go:build linux

package container

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/container/cgrouptest"
)

// readWith runs one housekeeping round with the lean or the full reader
// and renders the series of the default metric kinds.
func readWith(t *testing.T, cfg *Config, lean bool) string {
	t.Helper()
	c, err := newCollector(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	hk, err := newHousekeeper(cfg, c, testHost())
	if err != nil {
		t.Fatal(err)
	}
	hk.lean = lean
	defer hk.release()
	s := hk.round(context.Background())
	if s.fatal != nil || s.err != nil {
		t.Fatalf("round: %v %v", s.fatal, s.err)
	}
	b := collector.NewBatch()
	c.emitter.emit(b, s, time.Now())
	return render(b)
}

// assertSameSeries checks that the lean reader produces exactly the series
// of cAdvisor's full reader (same names, labels, values, timestamps).
func assertSameSeries(t *testing.T, cfg *Config) {
	t.Helper()
	cfg.Metrics = []string{MetricsCPU, MetricsMemory, MetricsDiskIO, MetricsNetwork}
	var full, lean string
	synctest.Test(t, func(t *testing.T) {
		full = readWith(t, cfg, false)
		lean = readWith(t, cfg, true)
	})
	if full != lean {
		fl, ll := strings.Split(full, "\n"), strings.Split(lean, "\n")
		for i := 0; i < len(fl) && i < len(ll); i++ {
			if fl[i] != ll[i] {
				t.Fatalf("lean reader differs from cAdvisor's at line %d:\n full: %s\n lean: %s", i+1, fl[i], ll[i])
			}
		}
		t.Fatalf("lean reader gives %d lines, cAdvisor's %d", len(ll), len(fl))
	}
	if n := strings.Count(full, "\n"); n < 50 {
		t.Fatalf("only %d lines compared", n)
	}
}

func TestLeanReaderMatchesCadvisorV1(t *testing.T) {
	skipUnlessV1Host(t)
	t.Run("sandbox files", func(t *testing.T) {
		cfg := testConfig("testdata/sandbox-v1/cgroup")
		cfg.HostRootfs = "testdata/sandbox-v1/rootfs"
		assertSameSeries(t, cfg)
	})
	for _, cfq := range []bool{false, true} {
		t.Run(fmt.Sprintf("synthetic cfq=%v", cfq), func(t *testing.T) {
			dir := t.TempDir()
			if _, err := cgrouptest.Write(dir, cgrouptest.Options{Version: cgrouptest.V1, Leaves: 4, BlkioCFQ: cfq}); err != nil {
				t.Fatal(err)
			}
			cfg := testConfig(dir)
			cfg.HostRootfs = "testdata/sandbox-v1/rootfs"
			assertSameSeries(t, cfg)
		})
	}
}

// TestLeanReaderMatchesCadvisorOnHost compares both readers on this
// machine's live cgroups. Counters move between the two reads, so only
// the series (names and labels) are compared, and the values of the spec.
func TestLeanReaderMatchesCadvisorOnHost(t *testing.T) {
	cfg := testConfig("")
	cfg.Metrics = []string{MetricsCPU, MetricsMemory, MetricsDiskIO, MetricsNetwork}
	seriesOf := func(out string) map[string]string {
		m := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if strings.HasPrefix(line, "#") {
				m[line] = ""
				continue
			}
			i := strings.LastIndex(line, "} ")
			m[line[:i+1]] = line[i+2:]
		}
		return m
	}
	full, lean := seriesOf(readWith(t, cfg, false)), seriesOf(readWith(t, cfg, true))
	for s, v := range full {
		lv, ok := lean[s]
		switch {
		case !ok:
			t.Errorf("lean reader lacks %s", s)
		case strings.Contains(s, "container_spec_") && lv != v:
			t.Errorf("%s: lean %s, full %s", s, lv, v)
		}
	}
	for s := range lean {
		if _, ok := full[s]; !ok {
			t.Errorf("lean reader has extra %s", s)
		}
	}
	if len(full) < 20 {
		t.Fatalf("only %d series compared", len(full))
	}
}
