package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/model"

	"github.com/pipewatch/pipewatch/collector"
)

func TestRender(t *testing.T) {
	b := collector.NewBatch()
	up := collector.NewDesc("b_up", "Whether b is up.", model.MetricTypeGauge, "node", "role")
	total := collector.NewDesc("a_total", "Events.", model.MetricTypeCounter)
	b.Emit(up, 1, "n2", "")
	b.Emit(up, 0, "n1", `quote"d`)
	b.Emit(total, 1.5e9)
	want := `# HELP a_total Events.
# TYPE a_total counter
a_total{} 1.5e+09
# HELP b_up Whether b is up.
# TYPE b_up gauge
b_up{node="n1", role="quote\"d"} 0
b_up{node="n2"} 1
`
	if got := Render(b); got != want {
		t.Errorf("Render =\n%s\nwant\n%s", got, want)
	}
	if got, want := Render(b, "b_"), want[strings.Index(want, "# HELP b_up"):]; got != want {
		t.Errorf("Render with prefix b_ =\n%s\nwant\n%s", got, want)
	}
}

// recorder is a testing.TB that records failures instead of reporting them.
type recorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
}

func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.golden")
	if err := os.WriteFile(path, []byte("a 1\nb 2\nc 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, got string
		wantMsg         []string // substrings of the failure; none means it passes
	}{
		{"same", path, "a 1\nb 2\nc 3\n", nil},
		{"differs", path, "a 1\nb 5\nc 3\nd 4\n", []string{"output differs from " + path, "- b 2\n+ b 5\n+ d 4"}},
		{"missing", path + ".none", "", []string{"run with -update to create it"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{TB: t}
			Check(r, tc.path, tc.got)
			if r.failed != (len(tc.wantMsg) > 0) {
				t.Fatalf("failed = %v (%s), want %v", r.failed, r.msg, !r.failed)
			}
			for _, w := range tc.wantMsg {
				if !strings.Contains(r.msg, w) {
					t.Errorf("failure %q does not contain %q", r.msg, w)
				}
			}
		})
	}
}

func TestDiffIsBounded(t *testing.T) {
	var got strings.Builder
	for i := range 100 {
		fmt.Fprintf(&got, "line %d\n", i)
	}
	d := Diff("", got.String())
	if n := strings.Count(d, "\n"); n != maxDiffLines || !strings.HasSuffix(d, "... and 60 more") {
		t.Errorf("diff has %d lines, ending %q", n+1, d[strings.LastIndex(d, "\n")+1:])
	}
}
