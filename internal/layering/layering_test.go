package layering

import (
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const module = "github.com/pipewatch/pipewatch"

// rule forbids packages matching pkg to import packages matching deny,
// unless the import also matches allow.
type rule struct {
	pkg, deny, allow string
	why              string
}

func rules() []rule {
	ours := regexp.QuoteMeta(module)
	return []rule{
		{pkg: `^` + ours + `/storage$`, deny: `^` + ours + `/`, why: "storage is the bottom layer"},
		{pkg: `^` + ours + `/collector$`, deny: `^` + ours + `/`, why: "collector talks to storage through its own Appender interface"},
		{pkg: `^` + ours + `/collector/`, deny: `^` + ours + `/`, allow: `^` + ours + `/(collector(/httpclient|/jvm)?|config/configerr)$`,
			why: "a collector kind may import only the collector framework, the shared HTTP client, the JVM helpers and config errors"},
		{pkg: `^` + ours + `/collector/`, deny: `^github\.com/prometheus/prometheus/(tsdb|storage|promql|rules|web)`,
			why: "collectors never touch the TSDB or PromQL"},
		{pkg: `^` + ours + `/ui$`, deny: `^` + ours + `/`, why: "the UI talks to the API over HTTP only"},
		{pkg: `^` + ours + `/config`, deny: `^` + ours + `/(api|app|storage|demo|ui)`, why: "config holds component configuration only"},
		{pkg: `^` + ours + `/api$`, deny: `^` + ours + `/(app|cmd|demo|ui|config|collector/)`, why: "api serves storage, rules, alerts and topology"},
		{pkg: `^` + ours + `/demo$`, deny: `^` + ours + `/(api|app|storage|ui)`, why: "the demo platform is a data source, not a server component"},
		{pkg: `^` + ours + `/rules/forecast$`, deny: `^` + ours + `/`, why: "forecast numerics are pure and depend on gonum only"},
		{pkg: `.`, deny: `^` + ours + `/cmd/`, why: "nothing imports cmd"},
		{pkg: `^` + ours + `/(?:[^cb]|c[^m]|cm[^d]|b[^e])`, deny: `^` + ours + `/app$`, why: "only cmd (and the bench programs) import app"},
	}
}

func TestImportsFollowTheArchitecture(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	imports := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		imports[fields[0]] = fields[1:]
	}
	if len(imports) < 5 {
		t.Fatalf("go list found only %d packages", len(imports))
	}
	for _, r := range rules() {
		pkgRe, denyRe := regexp.MustCompile(r.pkg), regexp.MustCompile(r.deny)
		var allowRe *regexp.Regexp
		if r.allow != "" {
			allowRe = regexp.MustCompile(r.allow)
		}
		for pkg, imps := range imports {
			if !pkgRe.MatchString(pkg) {
				continue
			}
			for _, imp := range imps {
				if imp == pkg || !denyRe.MatchString(imp) || (allowRe != nil && allowRe.MatchString(imp)) {
					continue
				}
				t.Errorf("%s imports %s: %s", pkg, imp, r.why)
			}
		}
	}
}
