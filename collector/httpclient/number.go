package httpclient

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Number is a JSON value that REST APIs send as a number, as a string
// ("0.003", "NaN", "Infinity"), as a boolean or as null, as the Java
// services that pipewatch watches often do. Set is false for null, for
// strings that are not numbers, and for absent fields.
type Number struct {
	// V is the value; it is 0 unless Set.
	V float64
	// Set says whether the field held a value.
	Set bool
}

// UnmarshalJSON implements json.Unmarshaler. Strings and booleans are
// parsed as by ParseValue; any other JSON value that is not a number is an
// error.
func (n *Number) UnmarshalJSON(b []byte) error {
	*n = Number{}
	switch {
	case len(b) == 0 || string(b) == "null":
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		n.V, n.Set = ParseValue(s)
		return nil
	case string(b) == "true", string(b) == "false":
		n.V, n.Set = ParseValue(string(b))
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("parse number %.20q: %w", b, err)
	}
	n.V, n.Set = v, true
	return nil
}

// ParseValue parses a value that a REST API reports as a string: a number
// (including NaN and Infinity as Java prints them, and surrounding white
// space) or a boolean, which is 1 or 0. Other strings (paths, state names,
// "N/A") are not values: ok is false.
func ParseValue(s string) (v float64, ok bool) {
	switch s {
	case "true":
		return 1, true
	case "false":
		return 0, true
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, false
	}
	return v, true
}
