package rules

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	promrules "github.com/prometheus/prometheus/rules"
)

// This file keeps the firing alerts on disk, so that a restart continues
// them instead of starting over. Prometheus restores only the `for` clock
// of alerts whose condition still holds after a restart (from the
// ALERTS_FOR_STATE series). That loses two things this adds:
//
//   - an alert that keep_firing_for holds (its condition already ended)
//     keeps firing until its keep-firing time is up, counted from when it
//     began before the restart;
//   - an alert whose condition ended while pipewatch was down is resolved
//     at the first evaluation, and its resolve is sent, instead of
//     vanishing without one.
//
// The file is rewritten (atomically: a temporary file, fsync, rename)
// whenever a group's set of firing alerts changes, by one writer goroutine
// that coalesces changes; values changing alone do not rewrite it.

// firingFileVersion is the format of the state file.
const firingFileVersion = 1

// savedAlert is a firing alert as the state file holds it.
type savedAlert struct {
	// Group is the group key (file and name); Rule the alert name and
	// RuleLabels its labels, as Prometheus matches rules across reloads.
	Group           string            `json:"group"`
	Rule            string            `json:"rule"`
	RuleLabels      string            `json:"rule_labels"`
	Labels          map[string]string `json:"labels"`
	Annotations     map[string]string `json:"annotations,omitempty"`
	Value           *float64          `json:"value,omitempty"`
	ActiveAt        time.Time         `json:"active_at"`
	FiredAt         time.Time         `json:"fired_at"`
	KeepFiringSince time.Time         `json:"keep_firing_since,omitzero"`
}

// firingFile is the state file's content.
type firingFile struct {
	Version int          `json:"version"`
	Alerts  []savedAlert `json:"alerts"`
}

// firingState holds the firing alerts of every group and writes them to
// path. The zero path keeps nothing.
type firingState struct {
	path   string
	logger *slog.Logger

	mu      sync.Mutex
	byGroup map[string][]savedAlert // what the file holds (or will)
	sigs    map[string]uint64       // signature of each group's last snapshot
	loaded  map[string][]savedAlert // read at start, until the group's first evaluation
	dirty   chan struct{}           // capacity 1: a write is due
}

// openFiringState reads path (a missing file is an empty state).
func openFiringState(path string, logger *slog.Logger) (*firingState, error) {
	s := &firingState{
		path:    path,
		logger:  logger,
		byGroup: map[string][]savedAlert{},
		sigs:    map[string]uint64{},
		loaded:  map[string][]savedAlert{},
		dirty:   make(chan struct{}, 1),
	}
	if path == "" {
		return s, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read alert state: %w", err)
	}
	var f firingFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("read alert state %s: %w", path, err)
	}
	if f.Version != firingFileVersion {
		return nil, fmt.Errorf("read alert state %s: version %d, want %d", path, f.Version, firingFileVersion)
	}
	for _, a := range f.Alerts {
		s.loaded[a.Group] = append(s.loaded[a.Group], a)
		s.byGroup[a.Group] = append(s.byGroup[a.Group], a)
	}
	return s, nil
}

// take returns the alerts loaded for group key, once.
func (s *firingState) take(key string) []savedAlert {
	s.mu.Lock()
	defer s.mu.Unlock()
	as := s.loaded[key]
	delete(s.loaded, key)
	return as
}

// record notes g's firing alerts after an evaluation and asks for a write
// when they changed.
func (s *firingState) record(g *group) {
	if s.path == "" {
		return
	}
	sig := firingSignature(g)
	s.mu.Lock()
	old, ok := s.sigs[g.key]
	s.mu.Unlock()
	if ok && old == sig {
		return
	}
	var snap []savedAlert
	for _, r := range g.prom.Rules() {
		if ar, ok := r.(*promrules.AlertingRule); ok {
			ruleLabels := ar.Labels().String()
			ar.ForEachActiveAlert(func(a *promrules.Alert) {
				if a.State == promrules.StateFiring {
					snap = append(snap, saveAlert(g.key, ar.Name(), ruleLabels, a))
				}
			})
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sigs[g.key] = sig
	if len(snap) == 0 {
		delete(s.byGroup, g.key)
	} else {
		s.byGroup[g.key] = snap
	}
	s.markDirty()
}

// firingSignature sums a hash of each firing alert's identity and times
// (order-independent: alerts come in map order). The group's evaluations
// run one at a time, so it does not change while record reads it.
func firingSignature(g *group) uint64 {
	var sig uint64
	for i, r := range g.prom.Rules() {
		if ar, ok := r.(*promrules.AlertingRule); ok {
			ar.ForEachActiveAlert(func(a *promrules.Alert) {
				if a.State == promrules.StateFiring {
					sig += mix(a.Labels.Hash() ^ uint64(i) ^ mix(uint64(a.FiredAt.UnixNano())^mix(uint64(a.KeepFiringSince.UnixNano()))))
				}
			})
		}
	}
	return sig
}

// retain drops the alerts of groups for which keep is false: groups a
// reload removed, and groups saved before a restart that the rule files no
// longer have.
func (s *firingState) retain(keep func(key string) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for key := range s.byGroup {
		if !keep(key) {
			delete(s.byGroup, key)
			delete(s.sigs, key)
			delete(s.loaded, key)
			s.markDirty()
		}
	}
}

// markDirty asks the writer for a write; the caller holds s.mu.
func (s *firingState) markDirty() {
	select {
	case s.dirty <- struct{}{}:
	default:
	}
}

// run writes the state whenever it changed, until ctx ends, then once more
// if a change is pending.
func (s *firingState) run(ctx context.Context) {
	if s.path == "" {
		return
	}
	for {
		select {
		case <-ctx.Done():
			select {
			case <-s.dirty:
				s.flush()
			default:
			}
			return
		case <-s.dirty:
			s.flush()
		}
	}
}

// flush writes the current state, logging a failure (the next change
// retries).
func (s *firingState) flush() {
	s.mu.Lock()
	f := firingFile{Version: firingFileVersion, Alerts: []savedAlert{}}
	keys := make([]string, 0, len(s.byGroup))
	for k := range s.byGroup {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		f.Alerts = append(f.Alerts, s.byGroup[k]...)
	}
	s.mu.Unlock()
	if err := writeFileAtomic(s.path, f); err != nil {
		s.logger.Error("write alert state; firing alerts may not continue across a restart", "file", s.path, "err", err)
	}
}

// writeFileAtomic writes v as JSON to path through a synced temporary file
// and a rename, then syncs the directory.
func writeFileAtomic(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// saveAlert returns a's record.
func saveAlert(key, rule, ruleLabels string, a *promrules.Alert) savedAlert {
	s := savedAlert{
		Group:           key,
		Rule:            rule,
		RuleLabels:      ruleLabels,
		Labels:          a.Labels.Map(),
		ActiveAt:        a.ActiveAt,
		FiredAt:         a.FiredAt,
		KeepFiringSince: a.KeepFiringSince,
	}
	if a.Annotations.Len() > 0 {
		s.Annotations = a.Annotations.Map()
	}
	if !math.IsNaN(a.Value) && !math.IsInf(a.Value, 0) {
		v := a.Value
		s.Value = &v
	}
	return s
}

// restoreFiring puts the alerts saved for g back into its rules, as firing,
// before g's first evaluation at ts. That evaluation then keeps them firing
// (their condition holds, or keep_firing_for holds them) or resolves them,
// sending the resolve. Alerts of rules that no longer exist are dropped.
//
// The saved label set is the one the rule produced, templates in its rule
// labels already expanded. The donor expands them again for the saved
// sample and value; an alert whose expansion does not give back the saved
// set (a template that reads something other than the sample's labels and
// value) is not restored.
func (e *Evaluator) restoreFiring(ctx context.Context, g *group, ts time.Time) {
	saved := e.state.take(g.key)
	if len(saved) == 0 {
		return
	}
	var (
		donors   []promrules.Rule
		restored int
	)
	for _, r := range g.prom.Rules() {
		ar, ok := r.(*promrules.AlertingRule)
		if !ok {
			continue
		}
		ruleLabels := ar.Labels().String()
		byLabels := map[string]savedAlert{}
		var vec promql.Vector
		for _, s := range saved {
			if s.Rule != ar.Name() || s.RuleLabels != ruleLabels {
				continue
			}
			lset := labels.FromMap(s.Labels)
			byLabels[lset.String()] = s
			v := 0.0
			if s.Value != nil {
				v = *s.Value
			}
			vec = append(vec, promql.Sample{Metric: lset, T: ts.UnixMilli(), F: v})
		}
		if len(vec) == 0 {
			continue
		}
		// A donor rule with the same name and labels but no `for` fires
		// the saved label sets at once; its alerts then get their saved
		// times and annotations and are copied into the real rule the way
		// Prometheus carries alerts across a reload.
		donor := promrules.NewAlertingRule(ar.Name(), ar.Query(), 0, ar.KeepFiringFor(), ar.Labels(), ar.Annotations(),
			e.opts.ExternalLabels, e.opts.ExternalURL, true, e.logger)
		query := func(context.Context, string, time.Time) (promql.Vector, error) { return vec, nil }
		if _, err := donor.Eval(ctx, 0, ts, query, nil, 0); err != nil {
			e.logger.Warn("restore firing alerts", "group", g.prom.Name(), "alert", ar.Name(), "err", err)
			continue
		}
		donor.ForEachActiveAlert(func(a *promrules.Alert) {
			s, ok := byLabels[a.Labels.String()]
			if !ok {
				return
			}
			a.ActiveAt, a.FiredAt, a.KeepFiringSince = s.ActiveAt, s.FiredAt, s.KeepFiringSince
			a.Annotations = labels.FromMap(s.Annotations)
			restored++
		})
		donors = append(donors, donor)
	}
	if len(donors) == 0 {
		return
	}
	from := promrules.NewGroup(promrules.GroupOptions{
		Name:     g.prom.Name(),
		File:     g.prom.File(),
		Interval: g.interval,
		Rules:    donors,
		Opts:     g.mopts,
	})
	g.prom.CopyState(from)
	e.logger.Info("restored firing alerts", "group", g.prom.Name(), "alerts", restored)
}

// mix is a 64-bit finaliser (splitmix64), spreading the bits of a hash.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
