package grafana

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// family is a metric family pipewatch produces, with the label names known
// for it (empty when nothing says which labels it has) and where it was
// found.
type family struct {
	labels  map[string]bool
	sources map[string]bool
}

// families maps metric names to what is known about them.
type families map[string]*family

func (fs families) add(name, source string, labelNames ...string) {
	f := fs[name]
	if f == nil {
		f = &family{labels: map[string]bool{}, sources: map[string]bool{}}
		fs[name] = f
	}
	f.sources[source] = true
	for _, l := range labelNames {
		if labelNameRE.MatchString(l) && l != "__name__" {
			f.labels[l] = true
		}
	}
}

var (
	metricNameRE = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelNameRE  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// syntheticFamilies are series pipewatch writes without a collector
// declaring them: the Manager's per-target series (collector/manager.go)
// and the rule evaluator's alert series (rules/), as Prometheus names them.
var syntheticFamilies = map[string][]string{
	"up":                      nil,
	"scrape_duration_seconds": nil,
	"scrape_samples_scraped":  nil,
	"scrape_series_added":     nil,
	"ALERTS":                  nil,
	"ALERTS_FOR_STATE":        nil,
}

// histogramSuffixes are the series names of a classic histogram or summary
// family besides its own name.
var histogramSuffixes = []string{"_bucket", "_sum", "_count"}

// knownFamilies returns every metric family pipewatch produces, found in
// the repository rooted at root:
//
//  1. The collectors' source (root/collector/**/*.go, tests excluded):
//     collector.NewDesc("name", "help", type, "label"...) calls, the
//     collectors' helpers that wrap it (with a constant prefix or not),
//     {name, help} family literals, client_golang options and spec tables;
//     see scanGoSource for the exact rules. Names may be constants
//     (jvm.MetricMemoryUsed) or concatenations of constants.
//  2. The collectors' golden files (collector/**/testdata/*.golden and
//     testdata/golden/*.prom): pipewatch's own output for real captured
//     responses, which holds the families whose names are composed at run
//     time ("elasticsearch_"+name, Flink's metric ids, Connect's task
//     states). Their label names are recorded too.
//  3. pipewatch_* families declared anywhere else in the repository
//     (self-metrics on /metrics, which pipewatch stores by collecting its
//     own registry, and series the rule evaluator writes).
//  4. The synthetic series listed in syntheticFamilies.
func knownFamilies(t *testing.T, root string) families {
	t.Helper()
	fams := families{}
	for name, labels := range syntheticFamilies {
		fams.add(name, "synthetic", labels...)
	}
	collectorDir := filepath.Join(root, "collector")
	var goFiles, goldenFiles []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "bin", "data", "vendor":
				return filepath.SkipDir
			}
			return nil
		}
		inCollector := strings.HasPrefix(path, collectorDir+string(filepath.Separator))
		switch {
		case strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") &&
			!strings.Contains(path, string(filepath.Separator)+"testdata"+string(filepath.Separator)):
			goFiles = append(goFiles, path)
		case inCollector && isGoldenFile(path):
			goldenFiles = append(goldenFiles, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	for _, path := range goldenFiles {
		scanGolden(t, root, path, fams)
	}
	scanGoSource(t, root, goFiles, fams)
	return fams
}

// isGoldenFile reports whether path is one of the collectors' golden files
// of pipewatch's output (as opposed to captured inputs in testdata/).
func isGoldenFile(path string) bool {
	if !strings.Contains(path, string(filepath.Separator)+"testdata"+string(filepath.Separator)) {
		return false
	}
	if strings.HasSuffix(path, ".golden") {
		return true
	}
	return strings.HasSuffix(path, ".prom") && filepath.Base(filepath.Dir(path)) == "golden"
}

// scanGoSource parses the Go files and adds the families they declare.
// Families outside collector/ count only when they are pipewatch_*.
//
// A family is declared by:
//
//   - a call whose first argument is a constant name and whose callee
//     declares a family with it: collector.NewDesc, or a helper of the
//     collector's package (a function or a function literal) that passes
//     its first parameter, possibly with a constant prefix or suffix, to
//     such a callee or into a {name: ..., help: ...} literal (newFamily,
//     gauge, counter, newHistogramDesc, Elasticsearch's
//     def(name) = NewDesc("elasticsearch_"+name, ...)). Constant labels
//     passed after the help text are recorded. A helper whose name says
//     Histogram also declares the _bucket, _sum and _count series;
//   - a keyed literal {Namespace, Subsystem, Name, Help} (client_golang's
//     options; *HistogramOpts and *SummaryOpts add the series suffixes);
//   - an entry of a spec table, {"name", "help", ...} or
//     {"name", Metadata{Help: ...}}, when the name starts with the same
//     word as a family the same collector declares otherwise (so that
//     tables of configuration keys or partial names are not taken).
func scanGoSource(t *testing.T, root string, files []string, fams families) {
	t.Helper()
	fset := token.NewFileSet()
	type parsed struct {
		path string
		file *ast.File
	}
	var all []parsed
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
		all = append(all, parsed{path, f})
	}
	// String constants, by directory ("Name") and by package name
	// ("pkg.Name", for selectors from other packages), and top-level
	// functions by directory.
	consts := map[string]map[string]string{}
	qualified := map[string]string{}
	funcs := map[string]map[string]*ast.FuncDecl{}
	for _, p := range all {
		dir := filepath.Dir(p.path)
		if funcs[dir] == nil {
			funcs[dir] = map[string]*ast.FuncDecl{}
			consts[dir] = map[string]string{}
		}
		for _, d := range p.file.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
				funcs[dir][fd.Name.Name] = fd
			}
		}
	}
	for range 3 { // constants defined in terms of others resolve in a few passes
		for _, p := range all {
			dir := filepath.Dir(p.path)
			ev := evaluator{local: consts[dir], qualified: qualified}
			ast.Inspect(p.file, func(n ast.Node) bool {
				gd, ok := n.(*ast.GenDecl)
				if !ok || gd.Tok != token.CONST {
					return true
				}
				for _, spec := range gd.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if i >= len(vs.Values) {
							continue
						}
						if s, ok := ev.str(vs.Values[i]); ok {
							consts[dir][name.Name] = s
							qualified[p.file.Name.Name+"."+name.Name] = s
						}
					}
				}
				return true
			})
		}
	}

	collectorDir := filepath.Join(root, "collector") + string(filepath.Separator)
	// kindWords are the first words of the family names each collector kind
	// (collector/<kind>) declares, for the spec-table rule.
	kindWords := map[string]map[string]bool{}
	for name, f := range fams {
		for src := range f.sources {
			if kind := collectorKind(src); kind != "" {
				if kindWords[kind] == nil {
					kindWords[kind] = map[string]bool{}
				}
				kindWords[kind][firstWord(name)] = true
			}
		}
	}
	type specRow struct {
		name, rel string
	}
	var specRows []specRow
	for _, p := range all {
		dir := filepath.Dir(p.path)
		rel, _ := filepath.Rel(root, p.path)
		rel = filepath.ToSlash(rel)
		inCollector := strings.HasPrefix(p.path, collectorDir)
		ev := evaluator{local: consts[dir], qualified: qualified}
		hs := &helpers{ev: ev, funcs: funcs[dir], memo: map[ast.Node]*transform{}}
		add := func(name string, histogram bool, labels ...string) {
			if !metricNameRE.MatchString(name) || !strings.Contains(name, "_") {
				return
			}
			if !inCollector && !strings.HasPrefix(name, "pipewatch_") {
				return
			}
			fams.add(name, rel, labels...)
			if kind := collectorKind(rel); kind != "" {
				if kindWords[kind] == nil {
					kindWords[kind] = map[string]bool{}
				}
				kindWords[kind][firstWord(name)] = true
			}
			if histogram {
				// The series of a histogram have its labels plus le (or
				// quantile); with no label known for it, none is known for them.
				var seriesLabels []string
				if len(labels) > 0 {
					seriesLabels = append(slices.Clone(labels), "le", "quantile")
				}
				for _, s := range histogramSuffixes {
					fams.add(name+s, rel, seriesLabels...)
				}
			}
		}
		for _, decl := range p.file.Decls {
			// Function literals bound to names (def := func(name ...) ...)
			// are helpers within their enclosing function.
			scope := map[string]ast.Expr{}
			ast.Inspect(decl, func(n ast.Node) bool {
				if as, ok := n.(*ast.AssignStmt); ok && len(as.Lhs) == len(as.Rhs) {
					for i, lhs := range as.Lhs {
						if id, ok := lhs.(*ast.Ident); ok {
							switch as.Rhs[i].(type) {
							case *ast.FuncLit, *ast.Ident:
								scope[id.Name] = as.Rhs[i]
							}
						}
					}
				}
				return true
			})
			hs.scope = scope
			ast.Inspect(decl, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					if len(n.Args) < 2 {
						return true
					}
					name, ok := ev.str(n.Args[0])
					if !ok {
						return true
					}
					tr := hs.callee(n.Fun)
					if tr == nil {
						return true
					}
					var labels []string
					for _, a := range n.Args[2:] {
						if s, ok := ev.str(a); ok {
							labels = append(labels, s)
						}
					}
					add(tr.prefix+name+tr.suffix, strings.Contains(calleeName(n.Fun), "Histogram"), labels...)
				case *ast.CompositeLit:
					if len(n.Elts) == 0 {
						return true
					}
					if _, keyed := n.Elts[0].(*ast.KeyValueExpr); !keyed {
						if len(n.Elts) >= 2 && (ev.helpText(n.Elts[1]) || hasHelp(n.Elts[1])) {
							if name, ok := ev.str(n.Elts[0]); ok && inCollector {
								specRows = append(specRows, specRow{name, rel})
							}
						}
						return true
					}
					keys := keyedFields(n)
					if keys["name"] == nil || !hasHelp(n) {
						return true
					}
					name, ok := ev.str(keys["name"])
					if !ok {
						return true
					}
					for _, k := range []string{"subsystem", "namespace"} {
						if e := keys[k]; e != nil {
							if prefix, ok := ev.str(e); ok && prefix != "" {
								name = prefix + "_" + name
							}
						}
					}
					typ := calleeName(n.Type)
					add(name, strings.HasSuffix(typ, "HistogramOpts") || strings.HasSuffix(typ, "SummaryOpts"))
				case *ast.GenDecl:
					// Names written by other components (e.g. the rule
					// evaluator's pipewatch_forecast_eta_seconds) are string
					// constants.
					if n.Tok != token.CONST || inCollector {
						return true
					}
					for _, spec := range n.Specs {
						for _, v := range spec.(*ast.ValueSpec).Values {
							if s, ok := ev.str(v); ok && strings.HasPrefix(s, "pipewatch_") {
								add(s, false)
							}
						}
					}
				}
				return true
			})
		}
	}
	for _, r := range specRows {
		if metricNameRE.MatchString(r.name) && strings.Contains(r.name, "_") &&
			kindWords[collectorKind(r.rel)][firstWord(r.name)] {
			fams.add(r.name, r.rel)
		}
	}
}

// collectorKind returns "collector/<kind>" for a slash-separated path
// below collector/<kind>/, or "".
func collectorKind(rel string) string {
	parts := strings.Split(filepath.ToSlash(rel), "/")
	if len(parts) < 3 || parts[0] != "collector" {
		return ""
	}
	return parts[0] + "/" + parts[1]
}

func firstWord(name string) string {
	w, _, _ := strings.Cut(name, "_")
	return w
}

// transform is what a family-declaring callee does to the name it is
// given: the declared family is prefix + name + suffix.
type transform struct{ prefix, suffix string }

// helpers resolves which callees of one package declare families.
type helpers struct {
	ev    evaluator
	funcs map[string]*ast.FuncDecl
	// scope holds the function literals and aliases of the enclosing
	// top-level declaration.
	scope map[string]ast.Expr
	memo  map[ast.Node]*transform
}

// callee returns the transform of a callee that declares a family with its
// first argument, or nil.
func (h *helpers) callee(fun ast.Expr) *transform {
	if calleeName(fun) == "NewDesc" {
		return &transform{}
	}
	id, ok := fun.(*ast.Ident)
	if !ok {
		return nil
	}
	for range 4 { // follow aliases (d := newFamily)
		e, ok := h.scope[id.Name]
		if !ok {
			break
		}
		switch e := e.(type) {
		case *ast.FuncLit:
			return h.function(e, e.Type, e.Body)
		case *ast.Ident:
			if e.Name == id.Name {
				return nil
			}
			id = e
			continue
		}
		break
	}
	if fd := h.funcs[id.Name]; fd != nil && fd.Body != nil {
		return h.function(fd, fd.Type, fd.Body)
	}
	return nil
}

// function returns the transform of a helper: a function whose first
// parameter reaches a family-declaring call or a {name, help} literal,
// possibly with constants around it.
func (h *helpers) function(key ast.Node, typ *ast.FuncType, body *ast.BlockStmt) *transform {
	if tr, seen := h.memo[key]; seen {
		return tr
	}
	h.memo[key] = nil // guards recursion
	if typ.Params == nil || len(typ.Params.List) == 0 || len(typ.Params.List[0].Names) == 0 {
		return nil
	}
	param := typ.Params.List[0].Names[0].Name
	var found *transform
	ast.Inspect(body, func(n ast.Node) bool {
		if found != nil {
			return false
		}
		switch n := n.(type) {
		case *ast.CallExpr:
			if len(n.Args) == 0 {
				return true
			}
			if p, s, ok := h.paramForm(n.Args[0], param); ok {
				if tr := h.callee(n.Fun); tr != nil {
					found = &transform{tr.prefix + p, s + tr.suffix}
				}
			}
		case *ast.CompositeLit:
			keys := keyedFields(n)
			if keys["name"] != nil && hasHelp(n) {
				if p, s, ok := h.paramForm(keys["name"], param); ok {
					found = &transform{p, s}
				}
			}
		}
		return true
	})
	h.memo[key] = found
	return found
}

// paramForm reports whether e is param with constant strings before and
// after it ("elasticsearch_" + name), and returns them.
func (h *helpers) paramForm(e ast.Expr, param string) (prefix, suffix string, ok bool) {
	var operands []ast.Expr
	var flatten func(ast.Expr)
	flatten = func(e ast.Expr) {
		if b, ok := e.(*ast.BinaryExpr); ok && b.Op == token.ADD {
			flatten(b.X)
			flatten(b.Y)
			return
		}
		if p, ok := e.(*ast.ParenExpr); ok {
			flatten(p.X)
			return
		}
		operands = append(operands, e)
	}
	flatten(e)
	seen := false
	for _, o := range operands {
		if id, isIdent := o.(*ast.Ident); isIdent && id.Name == param {
			if seen {
				return "", "", false
			}
			seen = true
			continue
		}
		s, isConst := h.ev.str(o)
		if !isConst {
			return "", "", false
		}
		if seen {
			suffix += s
		} else {
			prefix += s
		}
	}
	return prefix, suffix, seen
}

// keyedFields returns the keyed fields of a composite literal by lowercase
// key.
func keyedFields(cl *ast.CompositeLit) map[string]ast.Expr {
	keys := map[string]ast.Expr{}
	for _, e := range cl.Elts {
		if kv, ok := e.(*ast.KeyValueExpr); ok {
			if id, ok := kv.Key.(*ast.Ident); ok {
				keys[strings.ToLower(id.Name)] = kv.Value
			}
		}
	}
	return keys
}

// hasHelp reports whether e is a composite literal with a Help (or help)
// field, directly or in a composite literal field (Metadata{Help: ...}).
func hasHelp(e ast.Expr) bool {
	if u, ok := e.(*ast.UnaryExpr); ok {
		e = u.X
	}
	cl, ok := e.(*ast.CompositeLit)
	if !ok {
		return false
	}
	keys := keyedFields(cl)
	if keys["help"] != nil {
		return true
	}
	for _, v := range keys {
		if inner, ok := v.(*ast.CompositeLit); ok && keyedFields(inner)["help"] != nil {
			return true
		}
	}
	for _, el := range cl.Elts {
		if inner, ok := el.(*ast.CompositeLit); ok && keyedFields(inner)["help"] != nil {
			return true
		}
	}
	return false
}

// evaluator folds string constant expressions.
type evaluator struct {
	local, qualified map[string]string
}

// str returns the value of e if it is a string constant expression.
func (ev evaluator) str(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.Ident:
		s, ok := ev.local[e.Name]
		return s, ok
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok {
			s, ok := ev.qualified[x.Name+"."+e.Sel.Name]
			return s, ok
		}
	case *ast.ParenExpr:
		return ev.str(e.X)
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		l, ok1 := ev.str(e.X)
		r, ok2 := ev.str(e.Y)
		return l + r, ok1 && ok2
	}
	return "", false
}

// helpText reports whether e looks like a help text: a string literal with
// a space, or a concatenation containing one.
func (ev evaluator) helpText(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.BasicLit:
		s, ok := ev.str(e)
		return ok && strings.Contains(s, " ")
	case *ast.BinaryExpr:
		return e.Op == token.ADD && (ev.helpText(e.X) || ev.helpText(e.Y))
	case *ast.ParenExpr:
		return ev.helpText(e.X)
	}
	return false
}

// calleeName is the last identifier of a function or type expression.
func calleeName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	case *ast.IndexExpr:
		return calleeName(e.X)
	}
	return ""
}

// scanGolden adds the families and label names of a golden file: text
// exposition lines (name{l="v"} value), pipewatch's label-set form
// ({__name__="name", l="v"} value) and "# TYPE name" / "# HELP name" /
// "# name type help" comments.
func scanGolden(t *testing.T, root, path string, fams families) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rel, _ := filepath.Rel(root, path)
	rel = filepath.ToSlash(rel)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			fields := strings.Fields(line)
			switch {
			case len(fields) >= 3 && (fields[1] == "TYPE" || fields[1] == "HELP"):
				fams.add(fields[2], rel)
			case len(fields) >= 3 && metricNameRE.MatchString(fields[1]) && isMetricType(fields[2]):
				fams.add(fields[1], rel)
			}
			continue
		}
		name, labels, ok := parseSeries(line)
		if ok && name != "" {
			fams.add(name, rel, labels...)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
}

func isMetricType(s string) bool {
	switch s {
	case "counter", "gauge", "histogram", "summary", "untyped", "unknown", "info", "stateset", "gaugehistogram":
		return true
	}
	return false
}

// parseSeries splits a series line into its name and label names. Label
// values are read as quoted strings, so commas and braces inside them do
// not confuse it.
func parseSeries(line string) (name string, labelNames []string, ok bool) {
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		return "", nil, false
	}
	name = line[:i]
	if name != "" && !metricNameRE.MatchString(name) {
		return "", nil, false
	}
	if line[i] != '{' {
		return name, nil, true
	}
	rest := line[i+1:]
	for {
		rest = strings.TrimLeft(rest, " ,")
		if rest == "" {
			return "", nil, false
		}
		if rest[0] == '}' {
			return name, labelNames, true
		}
		eq := strings.IndexByte(rest, '=')
		if eq < 0 || eq+1 >= len(rest) || rest[eq+1] != '"' {
			return "", nil, false
		}
		label := strings.TrimSpace(rest[:eq])
		// Find the closing quote, skipping escaped characters.
		j := eq + 2
		for j < len(rest) && rest[j] != '"' {
			if rest[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(rest) {
			return "", nil, false
		}
		value, err := strconv.Unquote(rest[eq+1 : j+1])
		if err != nil {
			value = rest[eq+2 : j]
		}
		if label == "__name__" {
			name = value
		} else {
			labelNames = append(labelNames, label)
		}
		rest = rest[j+1:]
	}
}

// names returns the sorted family names, for messages.
func (fs families) names() []string {
	out := make([]string, 0, len(fs))
	for n := range fs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
