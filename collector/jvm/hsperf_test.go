package jvm

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/internal/golden"
)

func readFixture(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "hsperfdata-g1-jdk17.bin"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParsePerfData(t *testing.T) {
	p, err := ParsePerfData(readFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Accessible || len(p.Counters) != 193 {
		t.Fatalf("accessible=%v counters=%d, want true and 193", p.Accessible, len(p.Counters))
	}
	for name, want := range map[string]int64{
		"sun.gc.collector.0.invocations":       229,
		"sun.gc.collector.0.time":              3423908292,
		"sun.os.hrt.frequency":                 1000000000,
		"sun.gc.generation.0.space.0.used":     139460608,
		"java.threads.live":                    8,
		"sun.gc.compressedclassspace.capacity": 786432,
	} {
		if got, ok := p.Int(name); !ok || got != want {
			t.Errorf("%s = %d, %v; want %d", name, got, ok, want)
		}
	}
	for name, want := range map[string]string{
		"sun.gc.policy.name":      "GarbageFirst",
		"sun.rt.javaCommand":      "GcChurn 25",
		"sun.gc.collector.0.name": "G1 young collection pauses",
	} {
		if got, ok := p.Str(name); !ok || got != want {
			t.Errorf("%s = %q, %v; want %q", name, got, ok, want)
		}
	}
	if c := p.Counters["sun.gc.collector.0.time"]; c.Units != UnitTicks {
		t.Errorf("units of a time counter = %d, want ticks", c.Units)
	}
}

func TestParsePerfDataRejectsCorruptFiles(t *testing.T) {
	good := readFixture(t)
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	for _, tc := range []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{"empty", nil, "shorter than the prologue"},
		{"prologue only", good[:prologueSize], "cannot fit"},
		{"truncated", good[:2000], "cannot fit"},
		{"entries beyond the data", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[24:], 32000); return b }), "beyond the data"},
		{"bad magic", mutate(func(b []byte) []byte { b[0] = 0; return b }), "bad magic"},
		{"bad byte order", mutate(func(b []byte) []byte { b[4] = 7; return b }), "bad byte order"},
		{"version 1", mutate(func(b []byte) []byte { b[5] = 1; return b }), "unsupported format version 1"},
		{"huge entry count", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[28:], 1<<30); return b }), "cannot fit"},
		{"entry longer than the file", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[prologueSize:], 1<<20); return b }), "inconsistent offsets"},
		{"name outside its entry", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[prologueSize+4:], 4000); return b }), "inconsistent offsets"},
		{"HTML instead of perf data", []byte(strings.Repeat("<html>", 10)), "bad magic"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePerfData(tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// FuzzParsePerfData checks that no input makes the parser panic.
func FuzzParsePerfData(f *testing.F) {
	good := readFixture(f)
	f.Add(good)
	f.Add(good[:1000])
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePerfData(b)
		if err == nil {
			s := NewStats()
			_ = perfStats(p, &s)
		}
	})
}

// perfDir lays the captured perf-data file out as a JVM of pid 16520 does
// under /tmp, and returns the directory to configure.
func perfDir(t *testing.T, data []byte) string {
	t.Helper()
	dir := t.TempDir()
	udir := filepath.Join(dir, "hsperfdata_app")
	if err := os.Mkdir(udir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(udir, "16520"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	// Things a real /tmp holds that are not perf data of a live JVM.
	if err := os.WriteFile(filepath.Join(udir, "16520.tmp"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(udir, "99999"), data, 0o600); err != nil { // Dead JVM.
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "not-hsperfdata"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func hsperfCollect(t *testing.T, dir string) (*collector.Batch, error) {
	t.Helper()
	cfg := DefaultHSPerfConfig
	cfg.Enabled, cfg.Dir = true, dir
	h, err := NewHSPerf(&cfg, HSPerfOptions{ProcRoot: filepath.Join("testdata", "proc")})
	if err != nil {
		t.Fatal(err)
	}
	b := collector.NewBatch()
	return b, h.Collect(context.Background(), b)
}

// TestHSPerfGolden collects the captured G1 JVM (its /proc stat captured
// from a real JVM too) and skips the dead JVM's file.
func TestHSPerfGolden(t *testing.T) {
	b, err := hsperfCollect(t, perfDir(t, readFixture(t)))
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/golden/hsperf-g1-jdk17.prom", render(t, b))
}

func TestHSPerfSkipsAndFailures(t *testing.T) {
	good := readFixture(t)
	initialising := bytes.Clone(good)
	initialising[7] = 0
	for _, tc := range []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{"JVM still initialising its file", initialising, ""},
		{"corrupt file", good[:100], "hsperfdata_app/16520: parse perf data"},
		{"foreign file", bytes.Repeat([]byte{0xca, 0xfe, 0xc0, 0xc0, 1, 2}, 10), "parse perf data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := hsperfCollect(t, perfDir(t, tc.data))
			if tc.wantErr == "" {
				if err != nil || b.Len() != 0 {
					t.Fatalf("err = %v, %d samples; want nothing", err, b.Len())
				}
				return
			}
			if !collector.IsPartial(err) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want a partial error containing %q", err, tc.wantErr)
			}
		})
	}
	t.Run("missing directory", func(t *testing.T) {
		_, err := hsperfCollect(t, filepath.Join(t.TempDir(), "nope"))
		if err == nil || collector.IsPartial(err) {
			t.Fatalf("err = %v, want a failed round", err)
		}
	})
}
