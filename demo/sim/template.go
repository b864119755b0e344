package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// A template is a JSON response compiled once from a captured fixture: the
// fixture's text with holes at the fields whose values move. Rendering it
// appends the text and, at each hole, the current value, so that a request
// costs no parsing and no reflection. A template is immutable and safe for
// concurrent use.
type template[S any] struct {
	text  []string  // literal runs around the holes; len(holes)+1 of them
	holes []fill[S] // in document order
}

// fill appends the JSON value of one hole, read from the state s.
type fill[S any] func(dst []byte, s *S) []byte

// render appends the document for state s to dst.
func (t *template[S]) render(dst []byte, s *S) []byte {
	for i, h := range t.holes {
		dst = append(dst, t.text[i]...)
		dst = h(dst, s)
	}
	return append(dst, t.text[len(t.holes)]...)
}

// document renders the document for state s into a new buffer, sized for
// the literal text and a number per hole.
func (t *template[S]) document(s *S) []byte {
	n := 0
	for _, s := range t.text {
		n += len(s)
	}
	return t.render(make([]byte, 0, n+16*len(t.holes)), s)
}

// A doc is a decoded fixture being turned into a template: the simulation
// replaces fields with fixed values (set) or binds them to values of its
// state (bind), then compiles it. Fields are addressed by paths of object
// keys and array indexes separated by dots ("nodes.0.jvm.mem"), so keys
// that contain dots cannot be addressed (nor need to be). The first
// addressing error is kept and reported by compile, so that building a
// template reads as a plain list of fields.
type doc[S any] struct {
	root  any
	fills []fill[S]
	err   error
}

// parseDoc decodes a fixture, keeping numbers as written.
func parseDoc[S any](data []byte) (*doc[S], error) {
	v, err := decodeJSON(data)
	if err != nil {
		return nil, err
	}
	return &doc[S]{root: v}, nil
}

// decodeJSON decodes data into maps, slices and json.Numbers.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode fixture: %w", err)
	}
	return v, nil
}

// get returns the value at path ("" is the root).
func (d *doc[S]) get(path string) any {
	if path == "" {
		return d.root
	}
	parent, key, ok := d.parent(path)
	if !ok {
		return nil
	}
	v, err := child(parent, key)
	if err != nil {
		d.fail(fmt.Errorf("path %q: %w", path, err))
	}
	return v
}

// set replaces, or adds to an existing object, the value at path ("" is
// the root). v is a value as decodeJSON returns them, or anything
// encoding/json marshals.
func (d *doc[S]) set(path string, v any) {
	if path == "" {
		d.root = v
		return
	}
	parent, key, ok := d.parent(path)
	if !ok {
		return
	}
	switch p := parent.(type) {
	case map[string]any:
		p[key] = v
	case []any:
		i, err := index(p, key)
		if err != nil {
			d.fail(fmt.Errorf("path %q: %w", path, err))
			return
		}
		p[i] = v
	default:
		d.fail(fmt.Errorf("path %q: parent is neither an object nor an array", path))
	}
}

// rename moves the value at path to the key to in the same object.
func (d *doc[S]) rename(path, to string) {
	parent, key, ok := d.parent(path)
	if !ok {
		return
	}
	obj, isObj := parent.(map[string]any)
	v, found := obj[key]
	if !isObj || !found {
		d.fail(fmt.Errorf("rename %q: no such object key", path))
		return
	}
	delete(obj, key)
	obj[to] = v
}

// bind makes the value at path a hole that f fills in at each rendering.
func (d *doc[S]) bind(path string, f fill[S]) { d.set(path, d.hole(f)) }

// hole returns a value that f fills in at each rendering, to place in the
// document where a path cannot reach (a key with dots) or in a structure
// the simulation builds.
func (d *doc[S]) hole(f fill[S]) any {
	d.fills = append(d.fills, f)
	return holeMarker(len(d.fills) - 1)
}

// parent returns the container holding the last element of path.
func (d *doc[S]) parent(path string) (any, string, bool) {
	dir, key := "", path
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		dir, key = path[:i], path[i+1:]
	}
	v := d.root
	if dir != "" {
		for elem := range strings.SplitSeq(dir, ".") {
			var err error
			if v, err = child(v, elem); err != nil {
				d.fail(fmt.Errorf("path %q: %w", path, err))
				return nil, "", false
			}
		}
	}
	return v, key, true
}

func (d *doc[S]) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// child returns the element key of an object or array.
func child(v any, key string) (any, error) {
	switch c := v.(type) {
	case map[string]any:
		e, ok := c[key]
		if !ok {
			return nil, fmt.Errorf("no key %q", key)
		}
		return e, nil
	case []any:
		i, err := index(c, key)
		if err != nil {
			return nil, err
		}
		return c[i], nil
	}
	return nil, fmt.Errorf("%q is below a value that is neither an object nor an array", key)
}

func index(a []any, key string) (int, error) {
	i, err := strconv.Atoi(key)
	if err != nil || i < 0 || i >= len(a) {
		return 0, fmt.Errorf("no index %q in an array of %d", key, len(a))
	}
	return i, nil
}

// clone returns a deep copy of a decoded JSON value.
func clone(v any) any {
	switch c := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(c))
		for k, e := range c {
			m[k] = clone(e)
		}
		return m
	case []any:
		a := make([]any, len(c))
		for i, e := range c {
			a[i] = clone(e)
		}
		return a
	}
	return v
}

// The marker of hole i is a string no fixture holds: a NUL and the hole's
// number, which encoding/json writes as "\u0000<i>".
func holeMarker(i int) string { return "\x00" + strconv.Itoa(i) }

const markerPrefix = `"\u0000`

// compile encodes the document (objects with sorted keys, as
// encoding/json writes them) and cuts it at the holes.
func (d *doc[S]) compile() (*template[S], error) {
	if d.err != nil {
		return nil, d.err
	}
	encoded, err := json.Marshal(d.root)
	if err != nil {
		return nil, fmt.Errorf("encode template: %w", err)
	}
	t := &template[S]{}
	used := make([]bool, len(d.fills))
	rest := string(encoded)
	for {
		i := strings.Index(rest, markerPrefix)
		if i < 0 {
			break
		}
		digits := rest[i+len(markerPrefix):]
		end := strings.IndexByte(digits, '"')
		n, err := strconv.Atoi(digits[:max(end, 0)])
		if end < 0 || err != nil || n >= len(used) || used[n] {
			return nil, errors.New("compile template: the fixture holds a string that looks like a hole")
		}
		used[n] = true
		t.text = append(t.text, rest[:i])
		t.holes = append(t.holes, d.fills[n])
		rest = digits[end+1:]
	}
	t.text = append(t.text, rest)
	if len(t.holes) != len(d.fills) {
		return nil, fmt.Errorf("compile template: %d of %d holes were overwritten", len(d.fills)-len(t.holes), len(d.fills))
	}
	return t, nil
}

// staticJSON encodes a document without holes.
func staticJSON[S any](d *doc[S]) ([]byte, error) {
	t, err := d.compile()
	if err != nil {
		return nil, err
	}
	return t.render(nil, nil), nil
}

// integer fills a hole with f's value rounded to an integer.
func integer[S any](f func(*S) float64) fill[S] {
	return func(dst []byte, s *S) []byte { return appendInt(dst, f(s)) }
}

// decimal fills a hole with f's value with prec decimals.
func decimal[S any](f func(*S) float64, prec int) fill[S] {
	return func(dst []byte, s *S) []byte { return appendDecimal(dst, f(s), prec) }
}

// quotedDecimal fills a hole with f's value with prec decimals, as a JSON
// string (as the Storm UI sends latencies).
func quotedDecimal[S any](f func(*S) float64, prec int) fill[S] {
	return func(dst []byte, s *S) []byte {
		dst = append(dst, '"')
		return append(appendDecimal(dst, f(s), prec), '"')
	}
}

// str fills a hole with f's value as a JSON string. The simulation's
// strings (timestamps, durations, names) need no escaping but quotes and
// backslashes, which are escaped anyway.
func str[S any](f func(*S) string) fill[S] {
	return func(dst []byte, s *S) []byte { return appendString(dst, f(s)) }
}

func appendInt(dst []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	return strconv.AppendInt(dst, int64(math.Round(v)), 10)
}

func appendDecimal(dst []byte, v float64, prec int) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	return strconv.AppendFloat(dst, v, 'f', prec, 64)
}

func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := range len(s) {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = fmt.Appendf(dst, `\u%04x`, c)
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
