package rules

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/config/configerr"
)

// DefaultEvaluationInterval is the interval of a rule group that sets none
// when Config.EvaluationInterval is zero, as Prometheus's default
// evaluation_interval.
const DefaultEvaluationInterval = time.Minute

// Config is what the Evaluator evaluates: the rule files of the top-level
// rule_files key, the built-in rule pack (rule_pack) and the default group
// interval.
type Config struct {
	// RuleFiles are paths or glob patterns (filepath.Match syntax) of rule
	// files; relative paths are taken as given (the caller resolves them
	// against the configuration file's directory). A pattern that matches
	// nothing is not an error; a literal path that does not exist is.
	RuleFiles []string
	// Pack selects the built-in rule pack groups.
	Pack PackConfig
	// Inline are rule files given by their content rather than a path,
	// such as the demo platform's; they load after RuleFiles.
	Inline []InlineFile
	// EvaluationInterval is the interval of groups that set none; zero
	// means DefaultEvaluationInterval.
	EvaluationInterval time.Duration
}

// InlineFile is a rule file held in memory.
type InlineFile struct {
	// Name stands for the file's path in the API, in errors and in the
	// ALERTS_FOR_STATE restore, e.g. "demo:forecast.yml".
	Name string
	// Content is the file in the Prometheus rule-file format, with
	// pipewatch's forecast and anomaly extensions.
	Content []byte
}

// DefaultPackConfig is the rule_pack section when the file sets none: every
// built-in group enabled.
var DefaultPackConfig = PackConfig{Enabled: true}

// PackConfig is the top-level rule_pack section of the configuration file:
//
//	rule_pack: {enabled: true, disable: [pipewatch-spark]}
type PackConfig struct {
	// Enabled turns the whole built-in pack on or off.
	Enabled bool `yaml:"enabled"`
	// Disable names built-in groups (see PackGroups) to leave out.
	Disable []string `yaml:"disable,omitempty"`
}

// UnmarshalYAML applies DefaultPackConfig, then the keys of value.
func (c *PackConfig) UnmarshalYAML(value *yaml.Node) error {
	*c = DefaultPackConfig
	type plain PackConfig
	return value.Decode((*plain)(c))
}

// Validate reports names in Disable that are no built-in group, and
// repeated names, with field paths relative to the section.
func (c PackConfig) Validate() error {
	groups := PackGroups()
	var errs []error
	for i, name := range c.Disable {
		switch {
		case !slices.Contains(groups, name):
			errs = append(errs, configerr.Field("disable", configerr.Index(i,
				fmt.Errorf("no built-in rule group %q (have %s)", name, strings.Join(groups, ", ")))))
		case slices.Index(c.Disable, name) < i:
			errs = append(errs, configerr.Field("disable", configerr.Index(i, fmt.Errorf("group %q is listed twice", name))))
		}
	}
	return errors.Join(errs...)
}

// expandFiles expands the glob patterns of Config.RuleFiles into file names,
// in pattern order, each file once.
func expandFiles(patterns []string) ([]string, error) {
	var (
		out  []string
		seen = map[string]bool{}
		errs []error
	)
	for _, pat := range patterns {
		matches, err := filepath.Glob(pat)
		if err != nil {
			errs = append(errs, fmt.Errorf("expand rule file pattern %q: %w", pat, err))
			continue
		}
		if len(matches) == 0 && !strings.ContainsAny(pat, "*?[") {
			errs = append(errs, fmt.Errorf("rule file %q does not exist", pat))
			continue
		}
		for _, m := range matches {
			if !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	return out, errors.Join(errs...)
}
