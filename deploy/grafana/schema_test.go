package grafana

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	sdkdashboard "github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// requiredWithDefault are fields the schema marks as required that
// Grafana fills in with a default when a dashboard omits them (the
// dashboards omit them, as Grafana's own exports often do); their absence
// is logged, not an error. Anything else the strict decoding reports (a
// field the schema does not have, a value of the wrong type, another
// missing field) fails.
var requiredWithDefault = []struct {
	path *regexp.Regexp
	why  string
}{
	{regexp.MustCompile(`^links\[\d+\]\.tooltip$`), `a dashboard link's tooltip defaults to ""`},
	{regexp.MustCompile(`^panels\[\d+\]\.options\.frameIndex$`), "a table shows its first frame (0) by default"},
	{regexp.MustCompile(`^panels\[\d+\]\.options\.legend\.calcs$`), "a legend shows no calculations ([]) by default"},
}

const missingRequired = "required field is missing from input"

// TestDashboardsMatchGrafanaSchema decodes every dashboard strictly into
// the Dashboard type of the Grafana Foundation SDK, which is generated
// from Grafana's published dashboard schema (and the panel options and
// query schemas of the built-in plugins, Prometheus queries included; the
// Infinity plugin's queries have no schema there and are decoded as
// free-form): a field the schema does not have, a value of the wrong type
// or a missing required field fails, naming its path, except the required
// fields of requiredWithDefault.
func TestDashboardsMatchGrafanaSchema(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	files, err := filepath.Glob("dashboards/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards in dashboards/ (%v)", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			// The classic (v1) dashboard JSON is what the bundle ships
			// and what file provisioning loads; dashboardv2 is a
			// different resource format.
			//lint:ignore SA1019 the v1 schema is the one these dashboards use
			var d sdkdashboard.Dashboard
			err = d.UnmarshalJSONStrict(data)
			var errs cog.BuildErrors
			if err != nil && !errors.As(err, &errs) {
				t.Fatalf("does not decode as a Grafana dashboard: %v", err)
			}
		next:
			for _, e := range errs {
				if e.Message == missingRequired {
					for _, r := range requiredWithDefault {
						if r.path.MatchString(e.Path) {
							t.Logf("%s: %s (%s)", e.Path, e.Message, r.why)
							continue next
						}
					}
				}
				t.Errorf("does not match Grafana's dashboard schema: %v", e)
			}
		})
	}
}
