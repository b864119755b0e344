package alert

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/common/model"
)

// Silence states, as the Alertmanager API names them.
const (
	SilenceActive  = "active"
	SilencePending = "pending"
	SilenceExpired = "expired"
)

// Silence mutes the alerts its matchers select between StartsAt and
// EndsAt.
type Silence struct {
	// ID identifies the silence; it is assigned when the silence is
	// created.
	ID string `json:"id"`
	// Matchers select the alerts; all must match.
	Matchers []SilenceMatcher `json:"matchers"`
	// StartsAt is when the silence begins.
	StartsAt time.Time `json:"startsAt"`
	// EndsAt is when it ends.
	EndsAt time.Time `json:"endsAt"`
	// UpdatedAt is when it was last changed.
	UpdatedAt time.Time `json:"updatedAt"`
	// CreatedBy names who created it.
	CreatedBy string `json:"createdBy"`
	// Comment says why.
	Comment string `json:"comment"`
	// Annotations are free-form key/value pairs.
	Annotations map[string]string `json:"annotations,omitempty"`
}

// SilenceMatcher is one matcher of a silence.
type SilenceMatcher struct {
	// Name is the label name.
	Name string `json:"name"`
	// Value is the value or regular expression.
	Value string `json:"value"`
	// IsRegex makes Value an anchored regular expression.
	IsRegex bool `json:"isRegex"`
	// IsEqual is false for negative matchers (!= and !~).
	IsEqual bool `json:"isEqual"`
}

// State returns the silence's state at now.
func (s *Silence) State(now time.Time) string {
	switch {
	case !s.EndsAt.After(now):
		return SilenceExpired
	case s.StartsAt.After(now):
		return SilencePending
	}
	return SilenceActive
}

// silence is a Silence with its compiled matchers.
type silence struct {
	Silence
	matchers labels.Matchers
}

func (s *silence) compile() error {
	s.matchers = s.matchers[:0]
	for _, m := range s.Matchers {
		t := labels.MatchEqual
		switch {
		case m.IsRegex && m.IsEqual:
			t = labels.MatchRegexp
		case m.IsRegex:
			t = labels.MatchNotRegexp
		case !m.IsEqual:
			t = labels.MatchNotEqual
		}
		lm, err := labels.NewMatcher(t, m.Name, m.Value)
		if err != nil {
			return fmt.Errorf("compile matcher %s: %w", m.Name, err)
		}
		s.matchers = append(s.matchers, lm)
	}
	return nil
}

func (s *silence) mutes(lset model.LabelSet, now time.Time) bool {
	return s.State(now) == SilenceActive && s.matchers.Matches(lset)
}

// validateSilence checks a silence as Alertmanager does.
func validateSilence(s *silence, now time.Time) error {
	var errs []error
	if len(s.Matchers) == 0 {
		errs = append(errs, errors.New("at least one matcher is required"))
	}
	for _, m := range s.Matchers {
		if !model.UTF8Validation.IsValidLabelName(m.Name) || m.Name == "" {
			errs = append(errs, fmt.Errorf("invalid label name %q", m.Name))
		}
	}
	if err := s.compile(); err != nil {
		errs = append(errs, err)
	} else if len(s.matchers) > 0 && !slices.ContainsFunc(s.matchers, func(m *labels.Matcher) bool { return !m.Matches("") }) {
		errs = append(errs, errors.New("at least one matcher must not match the empty string"))
	}
	switch {
	case s.StartsAt.IsZero() || s.EndsAt.IsZero():
		errs = append(errs, errors.New("startsAt and endsAt must be set"))
	case !s.EndsAt.After(s.StartsAt):
		errs = append(errs, errors.New("endsAt must be after startsAt"))
	case !s.EndsAt.After(now):
		errs = append(errs, errors.New("endsAt must be in the future"))
	}
	if strings.TrimSpace(s.CreatedBy) == "" {
		errs = append(errs, errors.New("createdBy must be set"))
	}
	if strings.TrimSpace(s.Comment) == "" {
		errs = append(errs, errors.New("comment must be set"))
	}
	return errors.Join(errs...)
}

func sameMatchers(a, b []SilenceMatcher) bool {
	if len(a) != len(b) {
		return false
	}
	key := func(m SilenceMatcher) string {
		return fmt.Sprintf("%s\x00%s\x00%t\x00%t", m.Name, m.Value, m.IsRegex, m.IsEqual)
	}
	as := make([]string, len(a))
	bs := make([]string, len(b))
	for i := range a {
		as[i], bs[i] = key(a[i]), key(b[i])
	}
	slices.Sort(as)
	slices.Sort(bs)
	return slices.Equal(as, bs)
}

// ErrSilenceNotFound is returned for silence IDs the manager does not
// know.
var ErrSilenceNotFound = errors.New("silence not found")

// SetSilence creates a silence (when s.ID is empty) or updates one, with
// Alertmanager's semantics: an update that keeps the matchers of a
// silence that has not expired changes it in place; any other update
// expires the old silence and creates a new one. A start time in the past
// becomes now. It returns the ID of the silence that now holds s.
func (m *Manager) SetSilence(s Silence) (string, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if s.StartsAt.Before(now) {
		s.StartsAt = now
	}
	s.UpdatedAt = now
	sil := &silence{Silence: s}
	if err := validateSilence(sil, now); err != nil {
		return "", fmt.Errorf("validate silence: %w", err)
	}
	var changed []*silence
	if s.ID != "" {
		old, ok := m.silences[s.ID]
		if !ok {
			return "", ErrSilenceNotFound
		}
		switch state := old.State(now); {
		case state == SilenceActive && sameMatchers(old.Matchers, s.Matchers):
			sil.StartsAt = old.StartsAt // an active silence keeps its start
			changed = append(changed, sil)
		case state == SilencePending && sameMatchers(old.Matchers, s.Matchers):
			changed = append(changed, sil)
		default:
			if state != SilenceExpired {
				exp := *old
				exp.EndsAt, exp.UpdatedAt = now, now
				if exp.StartsAt.After(now) {
					exp.StartsAt = now
				}
				changed = append(changed, &exp)
			}
			sil.ID = ""
		}
	}
	if sil.ID == "" {
		sil.ID = uuid.NewString()
		changed = append(changed, sil)
	}
	for _, c := range changed {
		if err := m.store.putSilence(c); err != nil {
			return "", fmt.Errorf("persist silence: %w", err)
		}
		m.silences[c.ID] = c
	}
	m.updateSilenceMetrics(now)
	return sil.ID, nil
}

// ExpireSilence ends a silence now. Expiring an expired silence is not an
// error.
func (m *Manager) ExpireSilence(id string) error {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.silences[id]
	if !ok {
		return ErrSilenceNotFound
	}
	if old.State(now) == SilenceExpired {
		return nil
	}
	exp := *old
	exp.EndsAt, exp.UpdatedAt = now, now
	if exp.StartsAt.After(now) {
		exp.StartsAt = now
	}
	if err := m.store.putSilence(&exp); err != nil {
		return fmt.Errorf("persist silence: %w", err)
	}
	m.silences[id] = &exp
	m.updateSilenceMetrics(now)
	return nil
}

// Silences returns all silences the manager keeps (expired ones until the
// retention passes), sorted by state (active, pending, expired) and end
// time, as Alertmanager lists them.
func (m *Manager) Silences() []Silence {
	now := m.now()
	m.mu.RLock()
	out := make([]Silence, 0, len(m.silences))
	for _, s := range m.silences {
		out = append(out, s.Silence)
	}
	m.mu.RUnlock()
	rank := map[string]int{SilenceActive: 0, SilencePending: 1, SilenceExpired: 2}
	slices.SortFunc(out, func(a, b Silence) int {
		if c := rank[a.State(now)] - rank[b.State(now)]; c != 0 {
			return c
		}
		if c := a.EndsAt.Compare(b.EndsAt); c != 0 {
			if a.State(now) == SilenceExpired {
				return -c
			}
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// silencedBy returns the IDs of the active silences that mute lset. The
// caller holds m.mu.
func (m *Manager) silencedBy(lset model.LabelSet, now time.Time) []string {
	var ids []string
	for id, s := range m.silences {
		if s.mutes(lset, now) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}
