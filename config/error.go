package config

import (
	"cmp"
	"errors"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem in a configuration file, located at a line and a
// field path. Load and LoadFile return every problem they find as *Error
// values joined with errors.Join.
type Error struct {
	// File is the file's name as given to Load, or as an include pattern
	// produced it.
	File string
	// Line is the 1-based line of the offending key or list entry; 0 when
	// unknown.
	Line int
	// Field is the path of the offending field within File, such as
	// "kafka[0].sasl.mechanism"; empty when the problem is not about one
	// field (YAML syntax errors).
	Field string
	// Err is the problem.
	Err error

	fileOrder int // position of File in load order, for sorting
}

// Error returns the problem as "file:line: field: problem".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the problem.
func (e *Error) Unwrap() error { return e.Err }

// joinSorted joins errs in file load order and line order, keeping the
// order of discovery for problems on the same line.
func joinSorted(errs []*Error) error {
	slices.SortStableFunc(errs, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.fileOrder, b.fileOrder), cmp.Compare(a.Line, b.Line))
	})
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return errors.Join(out...)
}
