package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/config/configerr"
)

// LoadFile reads the configuration file at path and loads it as Load does.
func LoadFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	return Load(data, path)
}

// Load loads a configuration from data, the content of the file named
// filename, with the files it includes. The name is used in error messages
// and as the base of relative include patterns and relative file paths; it
// need not exist when nothing is included. An empty file gives
// DefaultConfig. On error, Load returns nil and every problem found, each
// an *Error (see the package documentation for the phases).
func Load(data []byte, filename string) (*Config, error) {
	l := &loader{
		seen:     map[string]bool{absPath(filename): true},
		lists:    map[string][]source{},
		sections: map[string]source{},
	}
	l.parse(filename, data, true)
	if len(l.errs) > 0 {
		return nil, joinSorted(l.errs)
	}
	cfg := DefaultConfig
	l.decode(&cfg)
	if len(l.errs) > 0 {
		return nil, joinSorted(l.errs)
	}
	cfg.inheritGlobal()
	l.locate(cfg.Validate())
	if len(l.errs) > 0 {
		return nil, joinSorted(l.errs)
	}
	return &cfg, nil
}

// loader holds the state of one Load call.
type loader struct {
	files []*file
	seen  map[string]bool // absolute paths of the files read
	errs  []*Error

	// lists holds, for each list section, where each entry of the merged
	// list came from; sections does the same for sections that are not
	// lists. They map Validate's field paths back to files and lines.
	lists    map[string][]source
	sections map[string]source
}

// file is one parsed configuration file.
type file struct {
	name  string
	order int
	root  *yaml.Node // top-level mapping; nil when the file is empty
}

// source is where a value of the merged configuration was read.
type source struct {
	file *file
	node *yaml.Node
	path string // field path within file, such as "kafka[0]"
}

// directorySetter is implemented by configurations that hold file paths.
type directorySetter interface {
	SetDirectory(dir string)
}

func (l *loader) add(f *file, line int, path string, err error) {
	l.errs = append(l.errs, &Error{File: f.name, Line: line, Field: path, Err: err, fileOrder: f.order})
}

// parse parses and checks one file, then the files it includes.
func (l *loader) parse(name string, data []byte, main bool) {
	f := &file{name: name, order: len(l.files)}
	l.files = append(l.files, f)
	root := l.parseYAML(f, data)
	if root == nil {
		return
	}
	f.root = root
	c := checker{report: func(line int, path string, err error) { l.add(f, line, path, err) }}
	c.check(root, reflect.TypeFor[Config](), "", 0)
	if root.Kind != yaml.MappingNode {
		return
	}
	if !main {
		fields, _ := structFields(reflect.TypeFor[Config]())
		for _, p := range pairs(root) {
			if t, ok := fields[p.key.Value]; ok && t.Kind() != reflect.Slice {
				l.add(f, lineOf(p.key, 0), p.key.Value, errors.New("may only be set in the main configuration file"))
			}
		}
	}
	l.include(f, root)
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// parseYAML returns the top-level node of the single document in data, or
// nil if the file is empty or does not parse.
func (l *loader) parseYAML(f *file, data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			l.addSyntaxError(f, data, err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		l.add(f, extra.Line, "", errors.New("found a second YAML document: a configuration file holds exactly one"))
		return nil
	case !errors.Is(err, io.EOF):
		l.addSyntaxError(f, data, err)
		return nil
	}
	root := resolve(&doc)
	if root == nil || isNull(root) {
		return nil
	}
	return root
}

// addSyntaxError records a YAML syntax error in data. The line in yaml.v3's
// message is often where the enclosing construct starts, and then 0-based,
// so the error is placed on the first line of the longest prefix of data
// that no longer parses instead: the line whose addition broke the file.
func (l *loader) addSyntaxError(f *file, data []byte, err error) {
	msg := err.Error()
	line := 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if n := brokenLine(data); n > 0 {
		line = n
	}
	l.add(f, line, "", fmt.Errorf("parse YAML: %s", strings.TrimPrefix(msg, "yaml: ")))
}

// brokenLine returns the 1-based number of the line after the longest
// prefix of whole lines of data that parses as YAML, or 0 if data parses.
// Each attempt stops at the first error, so this stays cheap for files of
// configuration size.
func brokenLine(data []byte) int {
	var starts []int // offsets where lines begin, after the first
	for i, b := range data {
		if b == '\n' && i+1 < len(data) {
			starts = append(starts, i+1)
		}
	}
	if parses(data) {
		return 0
	}
	for m := len(starts) - 1; m >= 0; m-- {
		if parses(data[:starts[m]]) {
			return m + 2
		}
	}
	return 1
}

// parses reports whether data is a valid YAML stream.
func parses(data []byte) bool {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		switch err := dec.Decode(&n); {
		case errors.Is(err, io.EOF):
			return true
		case err != nil:
			return false
		}
	}
}

// addYAMLError records an error from yaml.v3 at the line its message names.
func (l *loader) addYAMLError(f *file, err error) {
	msgs := []string{err.Error()}
	var terr *yaml.TypeError
	if errors.As(err, &terr) {
		msgs = terr.Errors
	}
	for _, msg := range msgs {
		line := 0
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		l.add(f, line, "", fmt.Errorf("parse YAML: %s", strings.TrimPrefix(msg, "yaml: ")))
	}
}

// include loads the files that the include patterns of f match.
func (l *loader) include(f *file, root *yaml.Node) {
	p, _ := lookup(root, "include")
	inc := resolve(p.value)
	if inc == nil || inc.Kind != yaml.SequenceNode {
		return // Absent, or reported by the schema check.
	}
	for i, p := range inc.Content {
		p = resolve(p)
		path := "include[" + strconv.Itoa(i) + "]"
		if p.Kind != yaml.ScalarNode {
			continue // Reported by the schema check.
		}
		if isNull(p) || p.Value == "" {
			l.add(f, p.Line, path, errors.New("must not be empty"))
			continue
		}
		pattern := p.Value
		if !filepath.IsAbs(pattern) {
			pattern = filepath.Join(filepath.Dir(f.name), pattern)
		}
		matches, err := filepath.Glob(pattern)
		if err != nil {
			l.add(f, p.Line, path, fmt.Errorf("match %q: %w", p.Value, err))
			continue
		}
		for _, m := range matches {
			abs := absPath(m)
			if l.seen[abs] {
				continue
			}
			l.seen[abs] = true
			data, err := os.ReadFile(m)
			if err != nil {
				l.add(f, p.Line, path, fmt.Errorf("read included file: %w", err))
				continue
			}
			l.parse(m, data, false)
		}
	}
}

// decode decodes every file into cfg in load order, appending lists, and
// records where each value came from.
func (l *loader) decode(cfg *Config) {
	cv := reflect.ValueOf(cfg).Elem()
	index := map[string]int{}
	for i := range cv.NumField() {
		name, _, _ := strings.Cut(cv.Type().Field(i).Tag.Get("yaml"), ",")
		index[name] = i
	}
	for _, f := range l.files {
		cfg.Files = append(cfg.Files, f.name)
		if f.root == nil || f.root.Kind != yaml.MappingNode {
			continue
		}
		dir := filepath.Dir(f.name)
		for _, p := range pairs(f.root) {
			key := p.key.Value
			i, ok := index[key]
			val := resolve(p.value)
			if !ok || key == "include" || isNull(val) {
				continue
			}
			fv := cv.Field(i)
			if fv.Kind() != reflect.Slice {
				if err := val.Decode(fv.Addr().Interface()); err != nil {
					l.addDecodeError(f, val, key, err)
					continue
				}
				setDirectory(fv.Addr(), dir)
				l.sections[key] = source{file: f, node: val, path: key}
				continue
			}
			for j, item := range val.Content {
				path := key + "[" + strconv.Itoa(j) + "]"
				ev := reflect.New(fv.Type().Elem())
				if err := item.Decode(ev.Interface()); err != nil {
					l.addDecodeError(f, item, path, err)
					continue
				}
				setDirectory(ev, dir)
				fv.Set(reflect.Append(fv, ev.Elem()))
				l.lists[key] = append(l.lists[key], source{file: f, node: item, path: path})
			}
		}
	}
}

// addDecodeError records an error that decoding node (at path) returned.
// The schema check catches what yaml.v3 itself rejects, so these come from
// component unmarshalers, which may locate them with package configerr.
func (l *loader) addDecodeError(f *file, node *yaml.Node, path string, err error) {
	var terr *yaml.TypeError
	if errors.As(err, &terr) {
		l.addYAMLError(f, err)
		return
	}
	for _, fe := range configerr.Split(err) {
		line, field := descend(node, path, fe.Field)
		l.add(f, line, field, fe.Err)
	}
}

// setDirectory calls SetDirectory on the first value along the pointer
// chain v that implements it.
func setDirectory(v reflect.Value, dir string) {
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		if ds, ok := v.Interface().(directorySetter); ok {
			ds.SetDirectory(dir)
			return
		}
		v = v.Elem()
	}
}

// locate records the problems that Validate found at the files and lines
// their field paths lead to.
func (l *loader) locate(err error) {
	for _, fe := range configerr.Split(err) {
		if dup, ok := errors.AsType[*duplicateError](fe.Err); ok {
			f, line, _ := l.position(dup.first)
			dup.first = f.name + ":" + strconv.Itoa(line)
		}
		f, line, field := l.position(fe.Field)
		l.add(f, line, field, fe.Err)
	}
}

// position maps a field path of the merged configuration to the file and
// line it was read from and to the field path within that file.
func (l *loader) position(path string) (f *file, line int, field string) {
	elems := splitPath(path)
	main := l.files[0]
	if main.root != nil {
		line = main.root.Line
	}
	if len(elems) == 0 {
		return main, line, path
	}
	if src, ok := l.sections[elems[0].name]; ok {
		line, field = descend(src.node, src.path, joinElems(elems[1:]))
		return src.file, line, field
	}
	srcs := l.lists[elems[0].name]
	if len(elems) > 1 && elems[1].isIndex && elems[1].index < len(srcs) {
		src := srcs[elems[1].index]
		line, field = descend(src.node, src.path, joinElems(elems[2:]))
		return src.file, line, field
	}
	return main, line, path
}

// descend follows the field path rel from node, whose own path is base, and
// returns the line of the deepest node that exists (the key's line for a
// mapping entry) and the full field path. As in the schema check, content
// reached through an alias or merge key is reported at that alias or key.
func descend(node *yaml.Node, base, rel string) (line int, path string) {
	at := 0
	line = node.Line
	for _, e := range splitPath(rel) {
		if node.Kind == yaml.AliasNode && at == 0 {
			at = node.Line
		}
		n := resolve(node)
		if n == nil {
			break
		}
		if e.isIndex {
			if n.Kind != yaml.SequenceNode || e.index >= len(n.Content) {
				break
			}
			node = n.Content[e.index]
			line = lineOf(node, at)
			continue
		}
		if n.Kind != yaml.MappingNode {
			break
		}
		p, ok := lookup(n, e.name)
		if !ok {
			break
		}
		if p.merge != nil && at == 0 {
			at = p.merge.Line
		}
		node, line = p.value, lineOf(p.key, at)
	}
	return line, configerr.JoinPath(base, rel)
}

// pathElem is one element of a field path: a name, a quoted map key or a
// list index.
type pathElem struct {
	raw     string // as written in the path: name, ["key"] or [3]
	name    string
	index   int
	isIndex bool
}

// splitPath splits a field path written by package configerr.
func splitPath(p string) []pathElem {
	var out []pathElem
	for p != "" {
		switch p[0] {
		case '.':
			p = p[1:]
		case '[':
			if q, err := strconv.QuotedPrefix(p[1:]); err == nil && strings.HasPrefix(p[1+len(q):], "]") {
				name, _ := strconv.Unquote(q)
				out = append(out, pathElem{raw: p[:len(q)+2], name: name})
				p = p[len(q)+2:]
				continue
			}
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return append(out, pathElem{raw: p, name: p})
			}
			i, err := strconv.Atoi(p[1:end])
			out = append(out, pathElem{raw: p[:end+1], name: p[1:end], index: i, isIndex: err == nil && i >= 0})
			p = p[end+1:]
		default:
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				end = len(p)
			}
			out = append(out, pathElem{raw: p[:end], name: p[:end]})
			p = p[end:]
		}
	}
	return out
}

func joinElems(elems []pathElem) string {
	var p string
	for _, e := range elems {
		p = configerr.JoinPath(p, e.raw)
	}
	return p
}

// absPath returns the absolute form of path, or path itself if the working
// directory is unknown; it identifies files already loaded.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return filepath.Clean(path)
}
