//go:build linux

package container

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	info "github.com/google/cadvisor/info/v1"
	infov2 "github.com/google/cadvisor/info/v2"
	cadvisormetrics "github.com/google/cadvisor/lib/metrics"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/container/cgrouptest"
)

// infoProvider feeds fixed container infos to cAdvisor's own Prometheus
// collector.
type infoProvider struct {
	containers map[string]*info.ContainerInfo
	version    info.VersionInfo
	machine    *info.MachineInfo
}

func (p *infoProvider) GetRequestedContainersInfo(string, infov2.RequestOptions) (map[string]*info.ContainerInfo, error) {
	return p.containers, nil
}
func (p *infoProvider) GetVersionInfo() (*info.VersionInfo, error) { return &p.version, nil }
func (p *infoProvider) GetMachineInfo() (*info.MachineInfo, error) { return p.machine, nil }

// cadvisorRender runs cAdvisor's collector (and its machine collector,
// when the snapshot has a machine description) over the snapshot and
// renders its output like render does ours.
func cadvisorRender(t *testing.T, s *snapshot, kinds kindSet, now time.Time) string {
	t.Helper()
	p := &infoProvider{containers: map[string]*info.ContainerInfo{}, version: s.version, machine: s.machine}
	for _, c := range s.containers {
		ci := *c.info
		ci.Stats = nil
		if c.stats != nil {
			ci.Stats = []*info.ContainerStats{c.stats}
		}
		p.containers[ci.Name] = &ci
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(cadvisormetrics.NewPrometheusCollector(p, nil, metricSet(kinds), clocktesting.NewFakeClock(now), infov2.RequestOptions{}))
	if s.machine != nil {
		// cAdvisor stamps these with the description's time; ours carry
		// the collection time (see emitter.machine).
		m := *s.machine
		m.Timestamp = time.Time{}
		p.machine = &m
		reg.MustRegister(cadvisormetrics.NewPrometheusMachineCollector(p, metricSet(kinds)))
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, mf := range mfs {
		lines = append(lines, fmt.Sprintf("# %s %s %s", mf.GetName(), strings.ToLower(mf.GetType().String()), mf.GetHelp()))
		for _, m := range mf.GetMetric() {
			b := labels.NewScratchBuilder(len(m.GetLabel()) + 1)
			b.Add(model.MetricNameLabel, mf.GetName())
			for _, lp := range m.GetLabel() {
				if lp.GetValue() != "" {
					b.Add(lp.GetName(), lp.GetValue())
				}
			}
			b.Sort()
			val := strconv.FormatFloat(metricValue(m), 'g', -1, 64)
			if masked[mf.GetName()] {
				val = "<masked>"
			}
			line := b.Labels().String() + " " + val
			if m.TimestampMs != nil {
				line += " @" + strconv.FormatInt(m.GetTimestampMs(), 10)
			}
			lines = append(lines, line)
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}

func metricValue(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	}
	return m.GetUntyped().GetValue()
}

// assertLikeCadvisor checks that our series and metadata equal those of
// cAdvisor's own collector for the same snapshot, series by series.
func assertLikeCadvisor(t *testing.T, s *snapshot, kinds kindSet) {
	t.Helper()
	now := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	e := emitter{kinds: kinds}
	b := collector.NewBatch()
	e.emit(b, s, now)
	ours, theirs := render(b), cadvisorRender(t, s, kinds, now)
	if ours == theirs {
		if n := strings.Count(ours, "\n"); n < 40 {
			t.Fatalf("only %d lines compared", n)
		}
		return
	}
	ol, tl := strings.Split(ours, "\n"), strings.Split(theirs, "\n")
	for i := 0; i < len(ol) && i < len(tl); i++ {
		if ol[i] != tl[i] {
			t.Fatalf("differs from cAdvisor's collector at line %d:\n  ours: %s\ncadvisor: %s", i+1, ol[i], tl[i])
		}
	}
	t.Fatalf("%d lines, cAdvisor's collector %d", len(ol), len(tl))
}

// TestEmitterMatchesCadvisorOnRealInfo feeds the real ContainerInfo that
// cAdvisor's manager produced on the sandbox (shared fixture) to our
// emitter and to cAdvisor's collector.
func TestEmitterMatchesCadvisorOnRealInfo(t *testing.T) {
	data, err := os.ReadFile("testdata/embedded-lib-v0.60.6-containerinfo.json")
	if err != nil {
		t.Fatal(err)
	}
	var byName map[string]*info.ContainerInfo
	if err := json.Unmarshal(data, &byName); err != nil {
		t.Fatal(err)
	}
	s := &snapshot{version: info.VersionInfo{KernelVersion: "6.18.44-fc", ContainerOsVersion: "Debian GNU/Linux 12 (bookworm)"}}
	for _, name := range slices.Sorted(mapsKeys(byName)) {
		c := byName[name]
		s.containers = append(s.containers, entry{info: c, stats: c.Stats[len(c.Stats)-1]}) // the latest sample
	}
	for _, k := range []struct {
		name  string
		kinds kindSet
	}{
		{"default kinds", parseKinds(DefaultConfig.Metrics)},
		{"all kinds", parseKinds(supportedMetrics)},
	} {
		t.Run(k.name, func(t *testing.T) { assertLikeCadvisor(t, s, k.kinds) })
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestEmitterMatchesCadvisorOnSyntheticTree reads a synthetic tree with
// every kind of figure (CPU quotas, block IO with CFQ's eight files, memory
// limits), names two cgroups as a runtime would (aliases, image, labels
// needing sanitising) and compares our series with cAdvisor's collector's.
func TestEmitterMatchesCadvisorOnSyntheticTree(t *testing.T) {
	skipUnlessV1Host(t)
	dir := t.TempDir()
	if _, err := cgrouptest.Write(dir, cgrouptest.Options{Version: cgrouptest.V1, Leaves: 3, BlkioCFQ: true}); err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig(dir)
		cfg.HostRootfs = "testdata/sandbox-v1/rootfs"
		c, err := newCollector(cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		hk, err := newHousekeeper(cfg, c, testHost())
		if err != nil {
			t.Fatal(err)
		}
		s := hk.round(context.Background())
		if s.fatal != nil || s.err != nil {
			t.Fatal(s.fatal, s.err)
		}
		for _, e := range s.containers {
			ci := e.info
			switch ci.Name {
			case "/pipewatch/ctr-0001":
				ci.Aliases = []string{"web-1", "0123"}
				ci.Spec.Image = "nginx:1.27"
				ci.Spec.Labels = map[string]string{"com.docker.compose.service": "web", "team": "a", "empty": ""}
			case "/pipewatch/ctr-0002":
				ci.Aliases = []string{"db-1"}
				ci.Spec.Labels = map[string]string{"team": "b"}
			}
		}
		for _, kinds := range []kindSet{parseKinds(DefaultConfig.Metrics), parseKinds(supportedMetrics)} {
			assertLikeCadvisor(t, s, kinds)
		}
	})
}

// TestFamiliesMatchUpstreamGolden checks every family we define against
// the golden exposition of cAdvisor's own tests (shared fixture): same
// HELP, same TYPE, and same label names besides the container's.
func TestFamiliesMatchUpstreamGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/upstream-golden-prometheus_metrics-SYNTHETIC.prom")
	if err != nil {
		t.Fatal(err)
	}
	type fam struct {
		help, typ string
		labels    map[string]bool
	}
	golden := map[string]*fam{}
	get := func(name string) *fam {
		if golden[name] == nil {
			golden[name] = &fam{labels: map[string]bool{}}
		}
		return golden[name]
	}
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "# HELP "):
			name, help, _ := strings.Cut(strings.TrimPrefix(line, "# HELP "), " ")
			get(name).help = help
		case strings.HasPrefix(line, "# TYPE "):
			name, typ, _ := strings.Cut(strings.TrimPrefix(line, "# TYPE "), " ")
			get(name).typ = typ
		case line != "" && !strings.HasPrefix(line, "#"):
			name, rest, _ := strings.Cut(line, "{")
			for _, pair := range strings.Split(strings.Split(rest, "}")[0], ",") {
				if k, _, ok := strings.Cut(pair, "="); ok {
					get(name).labels[k] = true
				}
			}
		}
	}
	base := map[string]bool{"id": true, "name": true, "image": true}
	checked := 0
	for _, f := range allFamilies() {
		g, ok := golden[f.name]
		if !ok {
			continue
		}
		checked++
		if g.help != f.help || g.typ != string(f.typ) {
			t.Errorf("%s: HELP %q TYPE %s, upstream %q %s", f.name, f.help, f.typ, g.help, g.typ)
		}
		want := []string{}
		for l := range g.labels {
			if !base[l] && !strings.HasPrefix(l, "container_label_") && !strings.HasPrefix(l, "container_env_") && l != "zone_name" {
				want = append(want, l)
			}
		}
		slices.Sort(want)
		got := slices.Sorted(slices.Values(f.extra))
		if !slices.Equal(got, want) {
			t.Errorf("%s: labels %v, upstream %v", f.name, got, want)
		}
	}
	if checked < 60 {
		t.Errorf("only %d families found upstream", checked)
	}
	// The synthetic golden enables every metric kind; make sure the kinds
	// we support are all present there.
	if _, ok := golden["container_memory_working_set_bytes"]; !ok {
		t.Fatal("upstream golden lacks container_memory_working_set_bytes")
	}
}

// TestEmitterReusesLabelSets emits the same round twice, then a round in
// which a container got a name and another disappeared.
func TestEmitterReusesLabelSets(t *testing.T) {
	data, err := os.ReadFile("testdata/embedded-lib-v0.60.6-containerinfo.json")
	if err != nil {
		t.Fatal(err)
	}
	var byName map[string]*info.ContainerInfo
	if err := json.Unmarshal(data, &byName); err != nil {
		t.Fatal(err)
	}
	s := &snapshot{}
	for _, name := range slices.Sorted(mapsKeys(byName)) {
		c := byName[name]
		s.containers = append(s.containers, entry{info: c, stats: c.Stats[0]})
	}
	now := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	e := emitter{kinds: parseKinds(supportedMetrics)}
	emitOnce := func(s *snapshot) (string, *collector.Batch) {
		b := collector.NewBatch()
		e.emit(b, s, now)
		return render(b), b
	}
	first, _ := emitOnce(s)
	second, _ := emitOnce(s)
	if first != second {
		t.Fatal("the second round differs")
	}
	if n := len(e.caches); n != len(s.containers) {
		t.Fatalf("%d caches for %d containers", n, len(s.containers))
	}

	// A container is named and another one goes away.
	named := *s.containers[1].info
	named.Aliases = []string{"web-1"}
	next := &snapshot{containers: []entry{{info: &named, stats: s.containers[1].stats}}}
	out, _ := emitOnce(next)
	if !strings.Contains(out, `id="`+named.Name+`", name="web-1"}`) || strings.Contains(out, `id="/"`) {
		t.Fatalf("after renaming:\n%s", out)
	}
	if len(e.caches) != 1 {
		t.Fatalf("%d caches left, want 1", len(e.caches))
	}
}
