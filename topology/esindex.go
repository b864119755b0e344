package topology

import (
	"path"
	"slices"
	"strings"
)

// IndexFamily returns the family of an Elasticsearch index: the name
// without its date and rollover suffixes, followed by the separator before
// them and "*", which is how sinks are declared ("es:hotel-search-*"):
//
//	hotel-search-2026.12.07         → hotel-search-*
//	hotel-search-000012             → hotel-search-*
//	hotel-search-2026.12.07-000003  → hotel-search-*
//	nginx_access_20261207           → nginx_access_*
//	.ds-logs-nginx-2026.12.07-000001 → logs-nginx-*  (a data stream's backing index)
//	products                        → products       (nothing to strip)
//
// A suffix is a separator ('-', '_' or '.') followed by either a run of at
// least 4 digits (a year, yyyyMMdd, a rollover generation, an epoch) or a
// date of a 4-digit year and one to three 1- or 2-digit parts (month, day,
// hour) joined by separators (2026.12.07, 2026-12-07, 2026.12). Suffixes
// are stripped from the end until none is left; a name that would become
// empty keeps its last suffix. The ".ds-" prefix of data stream backing
// indices is dropped. Other names starting with "." are system indices;
// their family starts with "." too, and the topology leaves them out.
func IndexFamily(index string) string {
	name := strings.TrimPrefix(index, ".ds-")
	stripped := name != index
	sep := byte('-')
	for {
		n := dateSuffix(name)
		if n == 0 || n >= len(name) {
			break
		}
		sep = name[len(name)-n]
		name = name[:len(name)-n]
		stripped = true
	}
	if !stripped {
		return index
	}
	return name + string(sep) + "*"
}

func isIndexSep(c byte) bool { return c == '-' || c == '_' || c == '.' }

// dateSuffix returns the length of the date or rollover suffix at the end
// of name, its leading separator included, or 0 without one.
func dateSuffix(name string) int {
	// Up to four runs of digits, each preceded by a separator, from the end:
	// start[k] is where run k (0 = last) begins, after its separator.
	var start, length [4]int
	end := len(name)
	runs := 0
	for runs < 4 {
		i := end
		for i > 0 && name[i-1] >= '0' && name[i-1] <= '9' {
			i--
		}
		if i == end || i == 0 || !isIndexSep(name[i-1]) {
			break
		}
		start[runs], length[runs] = i, end-i
		runs++
		end = i - 1
	}
	// The longest date: a 4-digit year followed by 1 to 3 short parts.
	for k := runs - 1; k >= 1; k-- {
		if length[k] != 4 {
			continue
		}
		short := true
		for j := range k {
			short = short && length[j] <= 2
		}
		if short {
			return len(name) - start[k] + 1
		}
	}
	if runs > 0 && length[0] >= 4 {
		return length[0] + 1
	}
	return 0
}

// esSinkName is the sink name of an index family.
func esSinkName(family string) string { return "es:" + family }

// esSinksMatching returns the observed "es:" sinks a declared "es:" sink
// names, decl being the part after "es:": the family decl is, the family
// of the index decl names, the family whose base name decl is
// ("hotel-search" for "hotel-search-*"), or the families the glob decl
// matches ("hotel-*"). The sinks are sorted by name (see declare), so a
// glob only looks at the families that start with its literal prefix.
func (w *world) esSinksMatching(decl string) []*Node {
	var out []*Node
	add := func(n *Node) {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	exact := []string{decl, IndexFamily(decl)}
	if !strings.Contains(decl, "*") {
		exact = append(exact, decl+"-*", decl+"_*")
	}
	for _, name := range exact {
		for _, n := range w.byName[nameKey(KindSink, esSinkName(name))] {
			if n.Observed {
				add(n)
			}
		}
	}
	star := strings.IndexByte(decl, '*')
	if star < 0 {
		return out
	}
	prefix := esSinkName(decl[:star])
	from, _ := slices.BinarySearchFunc(w.esSinks, prefix, func(n *Node, p string) int { return strings.Compare(n.Name, p) })
	for _, n := range w.esSinks[from:] {
		if !strings.HasPrefix(n.Name, prefix) {
			break
		}
		if ok, err := path.Match(decl, strings.TrimPrefix(n.Name, "es:")); ok && err == nil {
			add(n)
		}
	}
	return out
}
