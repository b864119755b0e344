package alert

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/alertmanager/matcher/parse"
	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/alertmanager/timeinterval"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/config/configerr"
)

// compiled is a validated configuration in the form the manager uses.
type compiled struct {
	cfg            *Config
	root           *route
	inhibit        []*inhibitRule
	intervals      map[string][]timeinterval.TimeInterval
	receivers      map[string]*Receiver
	resolveTimeout time.Duration
}

// route is a compiled Route with its settings inherited.
type route struct {
	id             string // unique among routes; stable while matchers stay
	key            string // Alertmanager's route key, for group keys
	receiver       string
	matchers       labels.Matchers
	groupBy        []model.LabelName
	groupByAll     bool
	groupWait      time.Duration
	groupInterval  time.Duration
	repeatInterval time.Duration
	fastPath       bool
	cont           bool
	mute, active   []string
	routes         []*route
}

// match returns the routes that take an alert with labels lset, as
// Alertmanager's routing does: the deepest matching routes, first match
// among siblings unless continue is set.
func (r *route) match(lset model.LabelSet) []*route {
	if !r.matchers.Matches(lset) {
		return nil
	}
	var all []*route
	for _, c := range r.routes {
		m := c.match(lset)
		all = append(all, m...)
		if m != nil && !c.cont {
			break
		}
	}
	if len(all) == 0 {
		all = append(all, r)
	}
	return all
}

// groupLabels returns the labels of lset that the route groups by.
func (r *route) groupLabels(lset model.LabelSet) model.LabelSet {
	if r.groupByAll {
		return lset.Clone()
	}
	out := make(model.LabelSet, len(r.groupBy))
	for _, n := range r.groupBy {
		if v, ok := lset[n]; ok {
			out[n] = v
		}
	}
	return out
}

// inhibitRule is a compiled InhibitRule.
type inhibitRule struct {
	source, target labels.Matchers
	equal          []model.LabelName
}

// compileConfig validates c and compiles it; every problem is reported
// with its field path.
func compileConfig(c *Config) (*compiled, error) {
	out := &compiled{
		cfg:            c,
		intervals:      map[string][]timeinterval.TimeInterval{},
		receivers:      map[string]*Receiver{},
		resolveTimeout: time.Duration(c.Global.ResolveTimeout),
	}
	var errs []error
	if c.Global.ResolveTimeout <= 0 {
		errs = append(errs, configerr.Fieldf("global.resolve_timeout", "must be greater than 0s"))
	}
	if c.Global.HTTPConfig != nil {
		errs = append(errs, configerr.Field("global.http_config", c.Global.HTTPConfig.Validate()))
	}
	errs = append(errs, configerr.Field("global.delivery", c.Global.Delivery.validate()))
	errs = append(errs, configerr.Field("templates", checkTemplateGlobs(c.Templates)))

	// Receivers.
	first := map[string]int{}
	for i, r := range c.Receivers {
		if r == nil {
			errs = append(errs, configerr.Field("receivers", configerr.Index(i, errors.New("must not be empty"))))
			continue
		}
		errs = append(errs, configerr.Field("receivers", configerr.Index(i, validateReceiver(r))))
		if j, ok := first[r.Name]; ok && r.Name != "" {
			errs = append(errs, configerr.Field("receivers", configerr.Index(i, configerr.Fieldf("name", "duplicate name %q (first used at receivers[%d].name)", r.Name, j))))
			continue
		}
		first[r.Name] = i
		out.receivers[r.Name] = r
	}
	for i, r := range c.Receivers {
		if r == nil || r.Fallback == "" {
			continue
		}
		switch _, ok := out.receivers[r.Fallback]; {
		case !ok:
			errs = append(errs, configerr.Field("receivers", configerr.Index(i, configerr.Fieldf("fallback", "unknown receiver %q", r.Fallback))))
		case r.Fallback == r.Name:
			errs = append(errs, configerr.Field("receivers", configerr.Index(i, configerr.Fieldf("fallback", "must name another receiver"))))
		}
	}

	// Time intervals.
	compileIntervals := func(section string, list []*TimeInterval) {
		for i, ti := range list {
			if ti == nil {
				errs = append(errs, configerr.Field(section, configerr.Index(i, errors.New("must not be empty"))))
				continue
			}
			var ierrs []error
			if ti.Name == "" {
				ierrs = append(ierrs, configerr.Fieldf("name", "must be set"))
			} else if _, dup := out.intervals[ti.Name]; dup {
				ierrs = append(ierrs, configerr.Fieldf("name", "duplicate time interval name %q", ti.Name))
			}
			var specs []timeinterval.TimeInterval
			for j, spec := range ti.TimeIntervals {
				t, err := compileInterval(spec)
				if err != nil {
					ierrs = append(ierrs, configerr.Field("time_intervals", configerr.Index(j, err)))
					continue
				}
				specs = append(specs, t)
			}
			errs = append(errs, configerr.Field(section, configerr.Index(i, errors.Join(ierrs...))))
			if ti.Name != "" {
				if _, dup := out.intervals[ti.Name]; !dup {
					out.intervals[ti.Name] = specs
				}
			}
		}
	}
	compileIntervals("time_intervals", c.TimeIntervals)
	compileIntervals("mute_time_intervals", c.MuteTimeIntervals)

	// Routes.
	if c.Route == nil {
		errs = append(errs, configerr.Fieldf("route", "must be set"))
	} else {
		var rerrs []error
		if c.Route.Receiver == "" {
			rerrs = append(rerrs, configerr.Fieldf("receiver", "must be set on the root route"))
		}
		if len(c.Route.Matchers) > 0 || len(c.Route.Match) > 0 || len(c.Route.MatchRE) > 0 {
			rerrs = append(rerrs, configerr.Fieldf("matchers", "must not be set on the root route: it matches every alert"))
		}
		if c.Route.Continue {
			rerrs = append(rerrs, configerr.Fieldf("continue", "must not be set on the root route"))
		}
		if len(c.Route.MuteTimeIntervals) > 0 || len(c.Route.ActiveTimeIntervals) > 0 {
			rerrs = append(rerrs, configerr.Fieldf("mute_time_intervals", "must not be set on the root route"))
		}
		parent := &route{
			key:            "",
			groupWait:      DefaultGroupWait,
			groupInterval:  DefaultGroupInterval,
			repeatInterval: DefaultRepeatInterval,
			fastPath:       true,
		}
		root, err := out.compileRoute(c.Route, parent, nil, 0)
		rerrs = append(rerrs, err)
		errs = append(errs, configerr.Field("route", errors.Join(rerrs...)))
		out.root = root
	}

	// Inhibit rules.
	for i, ir := range c.InhibitRules {
		if ir == nil {
			errs = append(errs, configerr.Field("inhibit_rules", configerr.Index(i, errors.New("must not be empty"))))
			continue
		}
		r, err := compileInhibitRule(ir)
		errs = append(errs, configerr.Field("inhibit_rules", configerr.Index(i, err)))
		if err == nil {
			out.inhibit = append(out.inhibit, r)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// compileRoute compiles r (the index-th child of parent, or the root) and
// its children.
func (c *compiled) compileRoute(r *Route, parent *route, siblings []*Route, index int) (*route, error) {
	var errs []error
	out := &route{
		receiver:       parent.receiver,
		groupBy:        parent.groupBy,
		groupByAll:     parent.groupByAll,
		groupWait:      parent.groupWait,
		groupInterval:  parent.groupInterval,
		repeatInterval: parent.repeatInterval,
		fastPath:       parent.fastPath,
		cont:           r.Continue,
		mute:           r.MuteTimeIntervals,
		active:         r.ActiveTimeIntervals,
	}
	if r.Receiver != "" {
		if _, ok := c.receivers[r.Receiver]; !ok {
			errs = append(errs, configerr.Fieldf("receiver", "unknown receiver %q", r.Receiver))
		}
		out.receiver = r.Receiver
	}
	if r.GroupBy != nil {
		if err := checkGroupBy(r.GroupBy); err != nil {
			errs = append(errs, configerr.Field("group_by", err))
		}
		out.groupBy = nil
		out.groupByAll = false
		for _, l := range r.GroupBy {
			if l == "..." {
				out.groupByAll = true
				continue
			}
			out.groupBy = append(out.groupBy, model.LabelName(l))
		}
		slices.Sort(out.groupBy)
	}
	for _, d := range []struct {
		name string
		v    *model.Duration
		dst  *time.Duration
	}{{"group_wait", r.GroupWait, &out.groupWait}, {"group_interval", r.GroupInterval, &out.groupInterval}, {"repeat_interval", r.RepeatInterval, &out.repeatInterval}} {
		if d.v == nil {
			continue
		}
		if d.name != "group_wait" {
			if err := checkDuration(d.v, d.name); err != nil {
				errs = append(errs, err)
				continue
			}
		} else if *d.v < 0 {
			errs = append(errs, configerr.Fieldf(d.name, "must not be negative"))
			continue
		}
		*d.dst = time.Duration(*d.v)
	}
	if r.FastPath != nil {
		out.fastPath = *r.FastPath
	}
	ms, err := matchersFromMaps(r.Match, r.MatchRE)
	errs = append(errs, err)
	pm, err := parseMatcherList(r.Matchers)
	errs = append(errs, configerr.Field("matchers", err))
	out.matchers = append(ms, pm...)
	for key, names := range map[string][]string{"mute_time_intervals": r.MuteTimeIntervals, "active_time_intervals": r.ActiveTimeIntervals} {
		for i, n := range names {
			if _, ok := c.intervals[n]; !ok {
				errs = append(errs, configerr.Field(key, configerr.Index(i, fmt.Errorf("unknown time interval %q", n))))
			}
		}
	}

	// Keys, as Alertmanager builds them: the parent's key, "/", and the
	// route's matchers; the id adds the index when siblings share a key.
	own := sortedMatchers(out.matchers).String()
	if siblings == nil {
		out.key, out.id = own, own
	} else {
		out.key, out.id = parent.key+"/"+own, parent.id+"/"+own
	}
	dups := 0
	for _, s := range siblings {
		sm, _ := matchersFromMaps(s.Match, s.MatchRE)
		pm, _ := parseMatcherList(s.Matchers)
		if sortedMatchers(append(sm, pm...)).String() == own {
			dups++
		}
	}
	if dups > 1 {
		out.id += "/" + strconv.Itoa(index)
	}

	for i, child := range r.Routes {
		if child == nil {
			errs = append(errs, configerr.Field("routes", configerr.Index(i, errors.New("must not be empty"))))
			continue
		}
		cr, err := c.compileRoute(child, out, r.Routes, i)
		errs = append(errs, configerr.Field("routes", configerr.Index(i, err)))
		if cr != nil {
			out.routes = append(out.routes, cr)
		}
	}
	return out, errors.Join(errs...)
}

func sortedMatchers(ms labels.Matchers) labels.Matchers {
	out := slices.Clone(ms)
	slices.SortStableFunc(out, func(a, b *labels.Matcher) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		if c := int(a.Type) - int(b.Type); c != 0 {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	})
	return out
}

func compileInhibitRule(ir *InhibitRule) (*inhibitRule, error) {
	var errs []error
	src, err := matchersFromMapsAt("source_match", "source_match_re", ir.SourceMatch, ir.SourceMatchRE)
	errs = append(errs, err)
	sm, err := parseMatcherList(ir.SourceMatchers)
	errs = append(errs, configerr.Field("source_matchers", err))
	tgt, err := matchersFromMapsAt("target_match", "target_match_re", ir.TargetMatch, ir.TargetMatchRE)
	errs = append(errs, err)
	tm, err := parseMatcherList(ir.TargetMatchers)
	errs = append(errs, configerr.Field("target_matchers", err))
	out := &inhibitRule{source: append(src, sm...), target: append(tgt, tm...)}
	for i, l := range ir.Equal {
		errs = append(errs, configerr.Field("equal", configerr.Index(i, checkLabelName(l))))
		out.equal = append(out.equal, model.LabelName(l))
	}
	return out, errors.Join(errs...)
}

// parseMatcher parses one matcher expression (or a {...} list) with
// Alertmanager's UTF-8 matcher parser, falling back to its classic parser
// as Alertmanager does by default.
func parseMatchers(s string) (labels.Matchers, error) {
	ms, err := parse.Matchers(s)
	if err == nil {
		return ms, nil
	}
	if classic, cerr := labels.ParseMatchers(s); cerr == nil {
		return classic, nil
	}
	return nil, err
}

func parseMatcherList(list []string) (labels.Matchers, error) {
	var out labels.Matchers
	var errs []error
	for i, s := range list {
		ms, err := parseMatchers(s)
		if err != nil {
			errs = append(errs, configerr.Index(i, fmt.Errorf("parse matcher: %w", err)))
			continue
		}
		out = append(out, ms...)
	}
	return out, errors.Join(errs...)
}

func matchersFromMaps(match, matchRE map[string]string) (labels.Matchers, error) {
	return matchersFromMapsAt("match", "match_re", match, matchRE)
}

func matchersFromMapsAt(matchKey, reKey string, match, matchRE map[string]string) (labels.Matchers, error) {
	var out labels.Matchers
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(match)) {
		if err := checkLabelName(k); err != nil {
			errs = append(errs, configerr.Field(matchKey, configerr.Key(k, err)))
			continue
		}
		m, err := labels.NewMatcher(labels.MatchEqual, k, match[k])
		if err != nil {
			errs = append(errs, configerr.Field(matchKey, configerr.Key(k, err)))
			continue
		}
		out = append(out, m)
	}
	for _, k := range slices.Sorted(maps.Keys(matchRE)) {
		if err := checkLabelName(k); err != nil {
			errs = append(errs, configerr.Field(reKey, configerr.Key(k, err)))
			continue
		}
		m, err := labels.NewMatcher(labels.MatchRegexp, k, matchRE[k])
		if err != nil {
			errs = append(errs, configerr.Field(reKey, configerr.Key(k, fmt.Errorf("compile regular expression: %w", err))))
			continue
		}
		out = append(out, m)
	}
	return out, errors.Join(errs...)
}

// compileInterval turns a TimeIntervalSpec into Alertmanager's
// timeinterval.TimeInterval, using its parsers for every field.
func compileInterval(spec TimeIntervalSpec) (timeinterval.TimeInterval, error) {
	var t timeinterval.TimeInterval
	b, err := yaml.Marshal(spec)
	if err != nil {
		return t, fmt.Errorf("encode time interval: %w", err)
	}
	if err := yaml.Unmarshal(b, &t); err != nil {
		var terr *yaml.TypeError
		if errors.As(err, &terr) && len(terr.Errors) > 0 {
			return t, errors.New(strings.Join(terr.Errors, "; "))
		}
		return t, err
	}
	return t, nil
}
