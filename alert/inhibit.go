package alert

import (
	"slices"
	"time"

	"github.com/prometheus/common/model"
)

// inhibitIndex holds, for every inhibit rule, the firing source alerts by
// the values of the rule's equal labels, so that checking a target is a
// map lookup.
type inhibitIndex struct {
	rules []*inhibitRule
	bySig []map[uint64][]sourceRef
}

type sourceRef struct {
	fp         model.Fingerprint
	alsoTarget bool // the source also matches the rule's target matchers
}

// buildInhibitIndex indexes the firing alerts. The caller holds m.mu.
func (m *Manager) buildInhibitIndex(now time.Time) *inhibitIndex {
	x := &inhibitIndex{}
	if m.conf == nil {
		return x
	}
	x.rules = m.conf.inhibit
	x.bySig = make([]map[uint64][]sourceRef, len(x.rules))
	for i, r := range x.rules {
		idx := map[uint64][]sourceRef{}
		for _, a := range m.alerts {
			if a.resolved(now) || !r.source.Matches(a.Labels) {
				continue
			}
			sig := equalSignature(a.Labels, r.equal)
			idx[sig] = append(idx[sig], sourceRef{fp: a.fp, alsoTarget: r.target.Matches(a.Labels)})
		}
		x.bySig[i] = idx
	}
	return x
}

func equalSignature(lset model.LabelSet, equal []model.LabelName) uint64 {
	m := make(map[string]string, len(equal))
	for _, n := range equal {
		m[string(n)] = string(lset[n])
	}
	return model.LabelsToSignature(m)
}

// inhibitedBy returns the fingerprints of the firing alerts that inhibit
// a, with Alertmanager's rule: an alert that matches both sides of a rule
// is only inhibited by sources that do not match the target side.
func (x *inhibitIndex) inhibitedBy(a *alertEntry) []string {
	var out []string
	for i, r := range x.rules {
		if !r.target.Matches(a.Labels) {
			continue
		}
		twoSided := r.source.Matches(a.Labels)
		for _, s := range x.bySig[i][equalSignature(a.Labels, r.equal)] {
			if s.fp == a.fp || (twoSided && s.alsoTarget) {
				continue
			}
			if id := s.fp.String(); !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	slices.Sort(out)
	return out
}
