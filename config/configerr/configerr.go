// Package configerr is the small leaf package that component configurations
// use to report validation errors with the place they refer to.
//
// Component packages (collector/scrape, collector/kafka, collector/httpclient,
// ...) cannot import package config, because config imports them. Their
// Validate methods instead return errors built with Field, Index and Key,
// which record a field path made of YAML key names relative to the value
// being validated ("sasl.password", "brokers[2]", "labels.team"). A parent
// prefixes the path with its own field name by wrapping the child's error in
// Field again, so the error that reaches package config carries the full
// path from the file's top level ("kafka[0].sasl.password"), which config
// maps back to a file and line.
//
// Field paths use YAML key names, never Go field names, and fields that are
// inlined into their parent's mapping (`yaml:",inline"`) add no path element.
// Several problems are reported together with errors.Join; Field distributes
// its prefix over every joined error, and Split flattens such a tree back
// into one FieldError per problem.
//
// The package also holds the checks that every component shares (names,
// collection intervals, label names, target URLs), so that they read the
// same everywhere.
package configerr

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// FieldError is a configuration error located at a field path. The path is
// relative to the value whose Validate method returned it.
type FieldError struct {
	// Field is the path of YAML keys and list indexes, such as
	// "sasl.password" or "brokers[2]"; it is empty when the error is about
	// the value itself.
	Field string
	// Err is what is wrong with the field.
	Err error
}

// Error returns the path and the problem, as in "sasl.password: must be set".
func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Err.Error()
	}
	return e.Field + ": " + e.Err.Error()
}

// Unwrap returns the underlying problem.
func (e *FieldError) Unwrap() error { return e.Err }

// Field locates err at the named field. A nil err gives nil, so Validate
// methods can append the result unconditionally and errors.Join drops it.
// Paths already carried by err (FieldErrors, also inside errors.Join) are
// prefixed with name, so every joined problem keeps its own place.
func Field(name string, err error) error {
	if err == nil {
		return nil
	}
	parts := Split(err)
	out := make([]error, len(parts))
	for i, p := range parts {
		out[i] = &FieldError{Field: JoinPath(name, p.Field), Err: p.Err}
	}
	if len(out) == 1 {
		return out[0]
	}
	return errors.Join(out...)
}

// Fieldf returns a new error located at the named field, formatted as by
// fmt.Errorf (so %w wraps).
func Fieldf(name, format string, args ...any) error {
	return Field(name, fmt.Errorf(format, args...))
}

// Index locates err at element i of a list, as in "brokers[2]".
func Index(i int, err error) error {
	return Field("["+strconv.Itoa(i)+"]", err)
}

// Key locates err at the entry of a map with the given key. Keys that are
// plain identifiers become ".key"; any other key is quoted, as in
// `headers["X-Token"]`.
func Key(key string, err error) error {
	return Field(KeyPath(key), err)
}

// KeyPath returns the path element that Key uses for a map key: the key
// itself if it is a plain identifier, else the quoted key in brackets.
func KeyPath(key string) string {
	if identRE.MatchString(key) {
		return key
	}
	return "[" + strconv.Quote(key) + "]"
}

// JoinPath appends the path child to the path parent: index and quoted-key
// elements ("[2]") attach directly, names after a dot.
func JoinPath(parent, child string) string {
	switch {
	case child == "":
		return parent
	case parent == "":
		return child
	case strings.HasPrefix(child, "["):
		return parent + child
	default:
		return parent + "." + child
	}
}

// Split flattens err into one FieldError per problem. It descends into
// errors.Join trees and into FieldErrors (whose paths it joins); any other
// error is a single problem at the empty path. A nil err gives nil.
func Split(err error) []*FieldError {
	var out []*FieldError
	split(&out, "", err)
	return out
}

func split(out *[]*FieldError, path string, err error) {
	if err == nil {
		return
	}
	if fe, ok := err.(*FieldError); ok {
		split(out, JoinPath(path, fe.Field), fe.Err)
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok && isList(err, j.Unwrap()) {
		for _, e := range j.Unwrap() {
			split(out, path, e)
		}
		return
	}
	*out = append(*out, &FieldError{Field: path, Err: err})
}

// isList reports whether err is a list of problems in the errors.Join sense:
// its message is exactly its parts' messages, one per line. Errors from
// fmt.Errorf with several %w verbs also unwrap to a slice, but their message
// is one sentence that must stay whole.
func isList(err error, parts []error) bool {
	msgs := make([]string, 0, len(parts))
	for _, p := range parts {
		if p != nil {
			msgs = append(msgs, p.Error())
		}
	}
	return err.Error() == strings.Join(msgs, "\n")
}

var (
	identRE     = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	nameRE      = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
	labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// MinInterval is the shortest collection interval a target may have.
const MinInterval = model.Duration(time.Second)

// CheckName validates the name of a target or module: it must be set and
// match ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$, because it becomes part of the job
// label ("kafka/<name>") and of URLs. Errors are located at "name".
func CheckName(name string) error {
	switch {
	case name == "":
		return Fieldf("name", "must be set")
	case !nameRE.MatchString(name):
		return Fieldf("name", "%q must match %s", name, nameRE)
	}
	return nil
}

// CheckSchedule validates a target's collection interval and timeout: the
// interval must be at least MinInterval and the timeout must be positive and
// at most the interval. Errors are located at "collect_interval" and
// "collect_timeout".
func CheckSchedule(interval, timeout model.Duration) error {
	if interval < MinInterval {
		return Fieldf("collect_interval", "must be at least %s", MinInterval)
	}
	switch {
	case timeout <= 0:
		return Fieldf("collect_timeout", "must be greater than 0s")
	case timeout > interval:
		return Fieldf("collect_timeout", "must not be greater than collect_interval (%s)", interval)
	}
	return nil
}

// CheckLabels validates a set of extra labels: every name must be a valid
// Prometheus label name and must not start with "__", which Prometheus
// reserves for internal use. Errors are located at the offending key.
func CheckLabels(labels map[string]string) error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(labels)) {
		switch {
		case !labelNameRE.MatchString(name):
			errs = append(errs, Key(name, fmt.Errorf("%q is not a valid label name", name)))
		case strings.HasPrefix(name, "__"):
			errs = append(errs, Key(name, fmt.Errorf("label names starting with \"__\" are reserved")))
		}
	}
	return errors.Join(errs...)
}

// CheckURL validates the URL of an HTTP target: it must be set, parse, use
// the http or https scheme, name a host and carry no credentials (they
// belong in basic_auth). Messages never repeat the URL, which may hold
// credentials. Callers locate the error at their URL field, as in
// Field("url", CheckURL(c.URL)).
func CheckURL(s string) error {
	if s == "" {
		return errors.New("must be set")
	}
	u, err := url.Parse(s)
	if err != nil {
		if uerr, ok := errors.AsType[*url.Error](err); ok {
			err = uerr.Err
		}
		return fmt.Errorf("parse URL: %w", err)
	}
	switch {
	case u.User != nil:
		return errors.New("must not contain credentials: use basic_auth")
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("scheme %q must be http or https", u.Scheme)
	case u.Host == "":
		return errors.New("must have a host")
	}
	return nil
}

// CheckBaseURL is CheckURL for the base address of a REST API, to which
// the collector appends its own paths and queries: it must in addition
// have no query and no fragment. A path prefix, as behind a proxy, is
// allowed.
func CheckBaseURL(s string) error {
	if err := CheckURL(s); err != nil {
		return err
	}
	if u, _ := url.Parse(s); u.RawQuery != "" || u.Fragment != "" {
		return errors.New("must not have a query or fragment: it is a base address")
	}
	return nil
}
