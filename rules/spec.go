package rules

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// File is one parsed rule file: Prometheus rule groups with pipewatch's
// extension keys parsed and checked.
type File struct {
	// Name is the file's path as given (or "pack:<file>" for the built-in
	// rule pack).
	Name string
	// Groups are the file's groups in file order.
	Groups []GroupSpec
}

// GroupSpec is one rule group as written: the Prometheus keys plus the
// pipewatch key min_interval.
type GroupSpec struct {
	// Name, Interval, QueryOffset, Limit and Labels are Prometheus's group
	// keys; a zero Interval means the evaluator's default.
	Name        string
	Interval    time.Duration
	QueryOffset *time.Duration
	Limit       int
	Labels      map[string]string
	// MinInterval is the pipewatch key min_interval: the minimum spacing
	// of evaluations triggered by ingest. Zero means "not set" (the
	// group's interval).
	MinInterval time.Duration
	// Line is the line of the group in its file.
	Line int
	// Rules are the group's rules in file order.
	Rules []RuleSpec

	// defs are the Prometheus rules the group expands into.
	defs []ruleDef
}

// RuleSpec is one rule as written: the Prometheus keys plus the pipewatch
// keys forecast, anomaly and recover (alerting rules only).
type RuleSpec struct {
	// Rule holds the Prometheus keys exactly as written.
	rulefmt.Rule
	// Forecast, if set, makes the rule a threshold-ETA forecast of expr.
	Forecast *ForecastSpec
	// Anomaly, if set, makes the rule an anomaly score of expr.
	Anomaly *AnomalySpec
	// Recover is the recovery condition: a PromQL expression that must
	// hold for a firing alert to resolve, or a number, the threshold that
	// replaces the one of expr's comparison while the alert fires. Empty
	// means none.
	Recover string
	// Line is the line of the rule in its file.
	Line int
}

// FileError is a problem in a rule file, located by line and, when known,
// column.
type FileError struct {
	File   string
	Line   int
	Column int
	Err    error
}

// Error returns the problem as "file:line:column: message".
func (e *FileError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Line, e.Column, e.Err)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

// Unwrap returns the problem.
func (e *FileError) Unwrap() error { return e.Err }

// Keys a rule file may hold. Extension keys are pipewatch's own; every
// other key is Prometheus's.
var (
	fileKeys       = []string{"groups"}
	groupKeys      = []string{"name", "interval", "query_offset", "limit", "rules", "labels"}
	groupExtKeys   = []string{"min_interval"}
	ruleKeys       = []string{"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
	ruleExtKeys    = []string{"forecast", "anomaly", "recover"}
	yamlLineErrRE  = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	wrappedPosRE   = regexp.MustCompile(`^(\d+):(\d+): (?:\d+:\d+: )?`)
	namePrefixesRE = regexp.MustCompile(`^pipewatch_(forecast|anomaly)_`)
)

// CheckFiles parses and checks rule files as `pipewatch check rules` does:
// YAML syntax, unknown keys, Prometheus's checks (names, expressions,
// labels, annotation templates, durations) and pipewatch's extension keys.
// It returns every problem found, each a *FileError naming file and line,
// joined with errors.Join; nil means every file would load.
func CheckFiles(files ...string) error {
	_, err := LoadFiles(files...)
	return err
}

// LoadFiles parses and checks rule files (see CheckFiles) and returns them
// in the order given. Paths are used as given; glob patterns are expanded
// by Evaluator.ApplyConfig, not here.
func LoadFiles(files ...string) ([]File, error) {
	p := newParser()
	var (
		out  []File
		errs []error
	)
	for _, name := range files {
		content, err := os.ReadFile(name)
		if err != nil {
			errs = append(errs, &FileError{File: name, Err: fmt.Errorf("read rule file: %w", err)})
			continue
		}
		f, err := parseFile(name, content, p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, f)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// loadInline parses and checks in-memory rule files, like LoadFiles.
func loadInline(files []InlineFile) ([]File, error) {
	p := newParser()
	var (
		out  []File
		errs []error
	)
	for _, in := range files {
		f, err := parseFile(in.Name, in.Content, p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, f)
	}
	return out, errors.Join(errs...)
}

// newParser returns the PromQL parser rules are parsed with, configured as
// the HTTP API's.
func newParser() parser.Parser { return parser.NewParser(parser.Options{}) }

// fileParser collects the problems of one file.
type fileParser struct {
	name string
	p    parser.Parser
	errs []error
}

func (fp *fileParser) errorf(line, col int, format string, args ...any) {
	fp.errs = append(fp.errs, &FileError{File: fp.name, Line: line, Column: col, Err: fmt.Errorf(format, args...)})
}

// decodeErr turns a yaml.v3 decoding error into located file errors.
func (fp *fileParser) decodeErr(node *yaml.Node, prefix string, err error) {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		for _, msg := range te.Errors {
			line := node.Line
			if m := yamlLineErrRE.FindStringSubmatch(msg); m != nil {
				line, _ = strconv.Atoi(m[1])
				msg = m[2]
			}
			fp.errorf(line, 0, "%s%s", prefix, msg)
		}
		return
	}
	fp.errorf(node.Line, node.Column, "%s%v", prefix, err)
}

// parseFile parses the rule file content; name locates errors.
func parseFile(name string, content []byte, p parser.Parser) (File, error) {
	fp := &fileParser{name: name, p: p}
	f := File{Name: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(content, &doc); err != nil {
		msg := err.Error()
		if m := yamlLineErrRE.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			return f, &FileError{File: name, Line: line, Err: errors.New(m[2])}
		}
		return f, &FileError{File: name, Err: err}
	}
	if len(doc.Content) == 0 {
		return f, nil // an empty file has no groups, as in Prometheus
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return f, &FileError{File: name, Line: root.Line, Column: root.Column, Err: errors.New("rule file must be a mapping with a groups key")}
	}
	var groupsNode *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value == "groups" {
			groupsNode = v
			continue
		}
		fp.errorf(k.Line, k.Column, "unknown field %q in rule file (want %s)", k.Value, strings.Join(fileKeys, ", "))
	}
	if groupsNode != nil && groupsNode.Kind != yaml.SequenceNode && !isNull(groupsNode) {
		fp.errorf(groupsNode.Line, groupsNode.Column, "groups must be a list")
		groupsNode = nil
	}
	seen := map[string]int{}
	if groupsNode != nil {
		for _, gn := range groupsNode.Content {
			g, ok := fp.parseGroup(gn)
			if g.Name != "" {
				if first, dup := seen[g.Name]; dup {
					fp.errorf(gn.Line, gn.Column, "group name %q is repeated in the same file (first at line %d)", g.Name, first)
				}
				seen[g.Name] = gn.Line
			}
			if ok {
				f.Groups = append(f.Groups, g)
			}
		}
	}
	if len(fp.errs) > 0 {
		sortErrors(fp.errs)
		return File{}, errors.Join(fp.errs...)
	}
	return f, nil
}

// sortErrors orders located errors by line and column.
func sortErrors(errs []error) {
	pos := func(err error) (int, int) {
		var fe *FileError
		if errors.As(err, &fe) {
			return fe.Line, fe.Column
		}
		return math.MaxInt, 0
	}
	slices.SortStableFunc(errs, func(a, b error) int {
		la, ca := pos(a)
		lb, cb := pos(b)
		if la != lb {
			return cmp.Compare(la, lb)
		}
		return cmp.Compare(ca, cb)
	})
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// split separates a mapping node's pairs into a node holding the keys in
// std and a map of the keys in ext; unknown keys are reported.
func (fp *fileParser) split(n *yaml.Node, what string, std, ext []string) (*yaml.Node, map[string]*yaml.Node) {
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
	exts := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case contains(std, k.Value):
			out.Content = append(out.Content, k, v)
		case contains(ext, k.Value):
			exts[k.Value] = v
		default:
			all := append(append([]string{}, std...), ext...)
			fp.errorf(k.Line, k.Column, "unknown field %q in %s (want one of %s)", k.Value, what, strings.Join(all, ", "))
		}
	}
	return out, exts
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseGroup parses one group; ok is false when it is unusable.
func (fp *fileParser) parseGroup(gn *yaml.Node) (GroupSpec, bool) {
	if gn.Kind != yaml.MappingNode {
		fp.errorf(gn.Line, gn.Column, "rule group must be a mapping")
		return GroupSpec{}, false
	}
	std, exts := fp.split(gn, "rule group", groupKeys, groupExtKeys)
	var raw struct {
		Name        string            `yaml:"name"`
		Interval    model.Duration    `yaml:"interval"`
		QueryOffset *model.Duration   `yaml:"query_offset"`
		Limit       int               `yaml:"limit"`
		Labels      map[string]string `yaml:"labels"`
		Rules       []yaml.Node       `yaml:"rules"`
	}
	nerr := len(fp.errs)
	if err := std.Decode(&raw); err != nil {
		fp.decodeErr(gn, "", err)
		return GroupSpec{}, false
	}
	g := GroupSpec{
		Name:     raw.Name,
		Interval: time.Duration(raw.Interval),
		Limit:    raw.Limit,
		Labels:   raw.Labels,
		Line:     gn.Line,
	}
	if raw.QueryOffset != nil {
		d := time.Duration(*raw.QueryOffset)
		g.QueryOffset = &d
	}
	prefix := fmt.Sprintf("group %q: ", g.Name)
	if g.Name == "" {
		fp.errorf(gn.Line, gn.Column, "group name must not be empty")
	}
	if g.Limit < 0 {
		fp.errorf(gn.Line, gn.Column, "%slimit must not be negative", prefix)
	}
	for k, v := range g.Labels {
		if !model.UTF8Validation.IsValidLabelName(k) || k == model.MetricNameLabel {
			fp.errorf(gn.Line, gn.Column, "%sinvalid label name: %s", prefix, k)
		}
		if !model.LabelValue(v).IsValid() {
			fp.errorf(gn.Line, gn.Column, "%sinvalid label value: %s", prefix, v)
		}
	}
	if n, ok := exts["min_interval"]; ok {
		var d model.Duration
		if err := n.Decode(&d); err != nil {
			fp.decodeErr(n, prefix+"min_interval: ", err)
		} else {
			g.MinInterval = time.Duration(d)
			switch {
			case g.MinInterval <= 0:
				fp.errorf(n.Line, n.Column, "%smin_interval must be greater than 0", prefix)
			case g.Interval > 0 && g.MinInterval > g.Interval:
				fp.errorf(n.Line, n.Column, "%smin_interval %v must not exceed interval %v", prefix, model.Duration(g.MinInterval), model.Duration(g.Interval))
			}
		}
	}
	for i := range raw.Rules {
		r, ok := fp.parseRule(g, i, &raw.Rules[i])
		if ok {
			g.Rules = append(g.Rules, r)
		}
	}
	if len(fp.errs) > nerr {
		return GroupSpec{Name: g.Name}, false
	}
	defs, err := expandGroup(g, fp.p)
	if err != nil {
		for _, e := range splitJoined(err) {
			var fe *FileError
			if errors.As(e, &fe) {
				fe.File = fp.name
				fp.errs = append(fp.errs, fe)
				continue
			}
			fp.errorf(gn.Line, gn.Column, "%s%v", prefix, e)
		}
		return GroupSpec{Name: g.Name}, false
	}
	g.defs = defs
	return g, true
}

// splitJoined flattens an errors.Join tree one level.
func splitJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// parseRule parses the i-th rule of g.
func (fp *fileParser) parseRule(g GroupSpec, i int, rn *yaml.Node) (RuleSpec, bool) {
	if rn.Kind != yaml.MappingNode {
		fp.errorf(rn.Line, rn.Column, "group %q, rule %d: rule must be a mapping", g.Name, i+1)
		return RuleSpec{}, false
	}
	std, exts := fp.split(rn, "rule", ruleKeys, ruleExtKeys)
	r := RuleSpec{Line: rn.Line}
	var node rulefmt.RuleNode
	nerr := len(fp.errs)
	if err := std.Decode(&r.Rule); err != nil {
		fp.decodeErr(rn, fmt.Sprintf("group %q, rule %d: ", g.Name, i+1), err)
		return RuleSpec{}, false
	}
	if err := std.Decode(&node); err != nil {
		fp.decodeErr(rn, fmt.Sprintf("group %q, rule %d: ", g.Name, i+1), err)
		return RuleSpec{}, false
	}
	name := r.Alert
	if name == "" {
		name = r.Record
	}
	prefix := fmt.Sprintf("group %q, rule %d, %q: ", g.Name, i+1, name)
	extErr := func(n *yaml.Node, format string, args ...any) {
		fp.errorf(n.Line, n.Column, "%s"+format, append([]any{prefix}, args...)...)
	}

	if n, ok := exts["forecast"]; ok {
		r.Forecast = &ForecastSpec{}
		if fp.decodeStrict(n, prefix+"forecast: ", forecastKeys, r.Forecast) {
			for _, err := range r.Forecast.validate() {
				extErr(n, "forecast: %v", err)
			}
		}
	}
	if n, ok := exts["anomaly"]; ok {
		r.Anomaly = &AnomalySpec{}
		if fp.decodeStrict(n, prefix+"anomaly: ", anomalyKeys, r.Anomaly) {
			for _, err := range r.Anomaly.validate() {
				extErr(n, "anomaly: %v", err)
			}
		}
	}
	if n, ok := exts["recover"]; ok {
		if n.Kind != yaml.ScalarNode || strings.TrimSpace(n.Value) == "" {
			extErr(n, "recover must be a PromQL expression or a number")
		} else {
			r.Recover = n.Value
		}
	}
	for k, n := range exts {
		if r.Record != "" {
			extErr(n, "%s is only allowed in alerting rules", k)
		}
	}
	if r.Forecast != nil && r.Anomaly != nil {
		extErr(exts["anomaly"], "forecast and anomaly must not both be set")
	}
	if r.Record != "" && namePrefixesRE.MatchString(r.Record) {
		fp.errorf(rn.Line, rn.Column, "%srecording rule name %s is reserved for forecast and anomaly rules", prefix, r.Record)
	}

	// Prometheus's own checks, with the template variables pipewatch
	// defines for forecast and anomaly rules declared.
	check := r.Rule
	if vars := templateVars(r); vars != "" {
		check.Labels = withVars(r.Labels, vars)
		check.Annotations = withVars(r.Annotations, vars)
	}
	for _, we := range check.Validate(node, model.UTF8Validation, fp.p) {
		line, col := rn.Line, 0
		if m := wrappedPosRE.FindStringSubmatch(we.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
			col, _ = strconv.Atoi(m[2])
		}
		msg := we.Error()
		if inner := errors.Unwrap(&we); inner != nil {
			msg = inner.Error()
		}
		fp.errorf(line, col, "%s%s", prefix, msg)
	}
	return r, len(fp.errs) == nerr
}

// decodeStrict decodes the mapping n into v, reporting keys outside known.
func (fp *fileParser) decodeStrict(n *yaml.Node, prefix string, known []string, v any) bool {
	if n.Kind != yaml.MappingNode {
		fp.errorf(n.Line, n.Column, "%smust be a mapping", prefix)
		return false
	}
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !contains(known, k.Value) {
			fp.errorf(k.Line, k.Column, "%sunknown field %q (want one of %s)", prefix, k.Value, strings.Join(known, ", "))
			ok = false
		}
	}
	if err := n.Decode(v); err != nil {
		fp.decodeErr(n, prefix, err)
		return false
	}
	return ok
}

// withVars returns m with every value that uses one of pipewatch's template
// variables prefixed by their definitions.
func withVars(m map[string]string, vars string) map[string]string {
	if len(m) == 0 {
		return m
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if usesVars(v) {
			v = vars + v
		}
		out[k] = v
	}
	return out
}

// usesVars reports whether a template refers to a variable pipewatch
// defines ($eta, $threshold, $horizon, $score).
func usesVars(s string) bool {
	for _, v := range []string{"$eta", "$threshold", "$horizon", "$score"} {
		if strings.Contains(s, v) {
			return true
		}
	}
	return false
}
