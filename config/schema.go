package config

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/alecthomas/units"
	commoncfg "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/config/configerr"
)

// checker walks a YAML node tree alongside the Go type it will be decoded
// into and reports, with lines and field paths, everything that decoding
// would reject or silently ignore: unknown and repeated keys, values of the
// wrong kind, leaves that do not parse, and empty list entries. It exists
// because yaml.v3's KnownFields does not apply inside custom UnmarshalYAML
// methods, and because yaml.v3's own errors carry neither field paths nor,
// for errors from unmarshalers, lines.
type checker struct {
	report func(line int, path string, err error)
}

// obsoleteUnmarshaler is the yaml.v2-style interface that yaml.v3 still
// honours (model.Duration and config.Secret implement it).
type obsoleteUnmarshaler interface {
	UnmarshalYAML(unmarshal func(any) error) error
}

// check checks n against type t; path is n's field path. at is the line
// of the alias or merge key through which n was reached, or 0: problems in
// shared (anchored) content are reported where each use refers to it, so
// that every use gets its own line.
func (c *checker) check(n *yaml.Node, t reflect.Type, path string, at int) {
	if n != nil && n.Kind == yaml.AliasNode && at == 0 {
		at = n.Line
	}
	n = resolve(n)
	if n == nil || isNull(n) {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[yaml.Node]() || t.Kind() == reflect.Interface:
		return
	case t == reflect.TypeFor[commoncfg.Secret]():
		// Checked without decoding, and reported without the value.
		if n.Kind != yaml.ScalarNode {
			c.report(lineOf(n, at), path, fmt.Errorf("expected a string, got %s", describeNode(n)))
		}
		return
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		c.checkStruct(n, t, path, at)
		return
	case hasUnmarshaler(t):
		c.checkLeaf(n, t, path, at)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		c.report(lineOf(n, at), path, fmt.Errorf("expected a mapping, got %s", describeNode(n)))
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			c.report(lineOf(n, at), path, fmt.Errorf("expected a list, got %s", describeNode(n)))
			return
		}
		for i, e := range n.Content {
			elemPath := configerr.JoinPath(path, "["+strconv.Itoa(i)+"]")
			if r := resolve(e); r != nil && isNull(r) && isStruct(t.Elem()) {
				c.report(lineOf(e, at), elemPath, errors.New("must not be empty"))
				continue
			}
			c.check(e, t.Elem(), elemPath, at)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			c.report(lineOf(n, at), path, fmt.Errorf("expected a mapping, got %s", describeNode(n)))
			return
		}
		c.eachPair(n, path, at, func(p pair, at int) {
			keyPath := configerr.JoinPath(path, configerr.KeyPath(p.key.Value))
			c.checkLeaf(p.key, t.Key(), keyPath, at)
			c.check(p.value, t.Elem(), keyPath, at)
		})
	default:
		c.checkLeaf(n, t, path, at)
	}
}

// checkStruct checks the keys of mapping n against the fields of struct t.
func (c *checker) checkStruct(n *yaml.Node, t reflect.Type, path string, at int) {
	fields, inlineMap := structFields(t)
	c.eachPair(n, path, at, func(p pair, at int) {
		keyPath := configerr.JoinPath(path, configerr.KeyPath(p.key.Value))
		if ft, ok := fields[p.key.Value]; ok {
			c.check(p.value, ft, keyPath, at)
			return
		}
		if inlineMap != nil {
			c.check(p.value, inlineMap, keyPath, at)
			return
		}
		c.report(lineOf(p.key, at), keyPath, errors.New("unknown field"))
	})
}

// eachPair calls f for every key and value of mapping n, including those
// brought in by merge keys (<<) unless given explicitly, with the line
// through which each was reached; it reports keys that are not strings or
// are given twice, and merges of anything but mappings.
func (c *checker) eachPair(n *yaml.Node, path string, at int, f func(p pair, at int)) {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolve(n.Content[i])
		switch {
		case k == nil || k.Kind != yaml.ScalarNode:
			c.report(lineOf(n.Content[i], at), path, errors.New("keys must be strings"))
		case isMerge(k):
			for _, src := range mergeSources(n.Content[i+1]) {
				if src.Kind != yaml.MappingNode {
					c.report(lineOf(k, at), path, fmt.Errorf("merge (<<) expects a mapping or a list of mappings, got %s", describeNode(src)))
				}
			}
		default:
			if line, dup := seen[k.Value]; dup {
				c.report(lineOf(k, at), configerr.JoinPath(path, configerr.KeyPath(k.Value)), fmt.Errorf("already set at line %d", line))
				continue
			}
			seen[k.Value] = lineOf(k, at)
		}
	}
	for _, p := range pairs(n) {
		pat := at
		if p.merge != nil && pat == 0 {
			pat = p.merge.Line
		}
		f(p, pat)
	}
}

// checkLeaf decodes n into a fresh value of type t and reports the error
// that decoding gives, if any.
func (c *checker) checkLeaf(n *yaml.Node, t reflect.Type, path string, at int) {
	err := n.Decode(reflect.New(t).Interface())
	if err == nil {
		return
	}
	var terr *yaml.TypeError
	switch {
	case n.Kind != yaml.ScalarNode:
		err = fmt.Errorf("expected %s, got %s", describeType(t), describeNode(n))
	case errors.As(err, &terr) || knownType(t):
		// Library messages for known types ("units: unknown unit  apples
		// in 10 apples") say less than an example of a good value.
		err = fmt.Errorf("expected %s, got %q", describeType(t), n.Value)
	}
	c.report(lineOf(n, at), path, err)
}

// lineOf returns the line to report a problem with n at: at if n was
// reached through an alias or merge key, else n's own line.
func lineOf(n *yaml.Node, at int) int {
	if at > 0 {
		return at
	}
	return n.Line
}

// structFields returns the YAML keys of struct t and their types, following
// yaml.v3's rules (lowercased field names by default, inlined structs), and
// the value type of an inlined map, which accepts any other key.
func structFields(t reflect.Type) (fields map[string]reflect.Type, inlineMap reflect.Type) {
	fields = map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if !strings.Contains(","+opts+",", ",inline,") {
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			fields[name] = f.Type
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch ft.Kind() {
		case reflect.Struct:
			sub, subMap := structFields(ft)
			for k, v := range sub {
				fields[k] = v
			}
			if subMap != nil {
				inlineMap = subMap
			}
		case reflect.Map:
			inlineMap = ft.Elem()
		}
	}
	return fields, inlineMap
}

func hasUnmarshaler(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return p.Implements(reflect.TypeFor[yaml.Unmarshaler]()) ||
		p.Implements(reflect.TypeFor[obsoleteUnmarshaler]()) ||
		p.Implements(reflect.TypeFor[encoding.TextUnmarshaler]())
}

func isStruct(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct
}

// resolve follows aliases to the node they refer to and unwraps documents.
func resolve(n *yaml.Node) *yaml.Node {
	for depth := 0; n != nil && depth < 100; depth++ {
		switch {
		case n.Kind == yaml.AliasNode:
			n = n.Alias
		case n.Kind == yaml.DocumentNode && len(n.Content) == 1:
			n = n.Content[0]
		default:
			return n
		}
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge"
}

// mergeSources returns the mappings that a merge key's value refers to.
func mergeSources(v *yaml.Node) []*yaml.Node {
	v = resolve(v)
	if v.Kind != yaml.SequenceNode {
		return []*yaml.Node{v}
	}
	out := make([]*yaml.Node, 0, len(v.Content))
	for _, e := range v.Content {
		out = append(out, resolve(e))
	}
	return out
}

// pair is one key and value of a mapping. merge is the merge key (<<)
// through which the pair was brought in, or nil for a key given explicitly.
type pair struct {
	key, value, merge *yaml.Node
}

// pairs returns the key/value pairs of mapping n, explicit ones first, then
// merged ones that no earlier pair overrides. Keys that are not strings are
// skipped (the schema check reports them).
func pairs(n *yaml.Node) []pair {
	var out []pair
	seen := map[string]bool{}
	var merges []int
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolve(n.Content[i])
		switch {
		case k == nil || k.Kind != yaml.ScalarNode:
		case isMerge(k):
			merges = append(merges, i)
		case !seen[k.Value]:
			seen[k.Value] = true
			out = append(out, pair{key: k, value: n.Content[i+1]})
		}
	}
	for _, i := range merges {
		for _, src := range mergeSources(n.Content[i+1]) {
			if src.Kind != yaml.MappingNode {
				continue
			}
			for _, p := range pairs(src) {
				if !seen[p.key.Value] {
					seen[p.key.Value] = true
					out = append(out, pair{key: p.key, value: p.value, merge: n.Content[i]})
				}
			}
		}
	}
	return out
}

// lookup returns the pair of key in mapping n, if any.
func lookup(n *yaml.Node, key string) (pair, bool) {
	for _, p := range pairs(n) {
		if p.key.Value == key {
			return p, true
		}
	}
	return pair{}, false
}

// knownType reports whether describeType has a specific description of t.
func knownType(t reflect.Type) bool {
	return t == reflect.TypeFor[model.Duration]() || t == reflect.TypeFor[units.Base2Bytes]()
}

// describeType names what a value of type t looks like in YAML.
func describeType(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[model.Duration]():
		return "a duration such as 30s or 1m"
	case reflect.TypeFor[units.Base2Bytes]():
		return "a size such as 512KiB or 10MiB"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return t.String()
}

// describeNode names the kind of n without revealing its value.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.ShortTag() {
	case "!!str":
		return "a string"
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	}
	return "a scalar"
}
