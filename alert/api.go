package alert

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/go-openapi/strfmt"
	"github.com/prometheus/alertmanager/api/v2/models"
	amlabels "github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/prometheus/model/labels"
)

// maxRequestBody bounds the bodies the API accepts.
const maxRequestBody = 10 << 20

// Handler serves the subset of Alertmanager's API v2 that amtool and
// Grafana use, under /api/v2/ (mount it at that prefix, unstripped):
//
//	GET    /api/v2/status          status, with the effective configuration
//	GET    /api/v2/receivers       receiver names
//	GET    /api/v2/alerts          alerts (filter, active, silenced, inhibited, unprocessed, receiver)
//	POST   /api/v2/alerts          hand over alerts, as Prometheus does
//	GET    /api/v2/alerts/groups   alert groups (same filters)
//	GET    /api/v2/silences        silences (filter)
//	POST   /api/v2/silences        create or update a silence
//	GET    /api/v2/silence/{id}    one silence
//	DELETE /api/v2/silence/{id}    expire a silence
//
// Bodies over 10 MiB are rejected with 413; errors are JSON strings, as
// Alertmanager sends them.
func (m *Manager) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v2/status", m.getStatus)
	mux.HandleFunc("GET /api/v2/receivers", m.getReceivers)
	mux.HandleFunc("GET /api/v2/alerts", m.getAlerts)
	mux.HandleFunc("POST /api/v2/alerts", m.postAlerts)
	mux.HandleFunc("GET /api/v2/alerts/groups", m.getAlertGroups)
	mux.HandleFunc("GET /api/v2/silences", m.getSilences)
	mux.HandleFunc("POST /api/v2/silences", m.postSilences)
	mux.HandleFunc("GET /api/v2/silence/{id}", m.getSilence)
	mux.HandleFunc("DELETE /api/v2/silence/{id}", m.deleteSilence)
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		b, _ = json.Marshal("encode response: " + err.Error())
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, err.Error())
}

func readBody(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Errorf("request body exceeds %d bytes", maxRequestBody))
			return false
		}
		writeError(w, http.StatusBadRequest, fmt.Errorf("read request body: %w", err))
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("decode request body: %w", err))
		return false
	}
	return true
}

func (m *Manager) getStatus(w http.ResponseWriter, _ *http.Request) {
	m.mu.RLock()
	text := m.confText
	m.mu.RUnlock()
	str := func(s string) *string { return &s }
	uptime := strfmt.DateTime(m.started)
	writeJSON(w, http.StatusOK, &models.AlertmanagerStatus{
		Cluster: &models.ClusterStatus{Status: str(models.ClusterStatusStatusDisabled), Peers: []*models.PeerStatus{}},
		Config:  &models.AlertmanagerConfig{Original: &text},
		Uptime:  &uptime,
		VersionInfo: &models.VersionInfo{
			Branch: str(""), BuildDate: str(""), BuildUser: str(""),
			GoVersion: str(runtime.Version()), Revision: str(""), Version: str(m.opts.Version),
		},
	})
}

func (m *Manager) getReceivers(w http.ResponseWriter, _ *http.Request) {
	m.mu.RLock()
	var names []string
	if m.conf != nil {
		for _, r := range m.conf.cfg.Receivers {
			if r != nil {
				names = append(names, r.Name)
			}
		}
	}
	m.mu.RUnlock()
	out := make([]*models.Receiver, 0, len(names))
	for _, n := range names {
		out = append(out, &models.Receiver{Name: &n})
	}
	writeJSON(w, http.StatusOK, out)
}

// alertQuery is the filter of GET /alerts and /alerts/groups.
type alertQuery struct {
	matchers                                 amlabels.Matchers
	active, silenced, inhibited, unprocessed bool
	receiver                                 *regexp.Regexp
}

func parseAlertQuery(r *http.Request) (*alertQuery, error) {
	q := r.URL.Query()
	flag := func(name string) (bool, error) {
		v := q.Get(name)
		if v == "" {
			return true, nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("parse %s: %w", name, err)
		}
		return b, nil
	}
	aq := &alertQuery{}
	var err error
	for name, dst := range map[string]*bool{"active": &aq.active, "silenced": &aq.silenced, "inhibited": &aq.inhibited, "unprocessed": &aq.unprocessed} {
		if *dst, err = flag(name); err != nil {
			return nil, err
		}
	}
	if aq.matchers, err = parseFilter(q["filter"]); err != nil {
		return nil, err
	}
	if rcv := q.Get("receiver"); rcv != "" {
		if aq.receiver, err = regexp.Compile("^(?:" + rcv + ")$"); err != nil {
			return nil, fmt.Errorf("compile receiver regular expression: %w", err)
		}
	}
	return aq, nil
}

func parseFilter(filters []string) (amlabels.Matchers, error) {
	var out amlabels.Matchers
	for _, f := range filters {
		ms, err := parseMatchers(f)
		if err != nil {
			return nil, fmt.Errorf("parse filter %q: %w", f, err)
		}
		out = append(out, ms...)
	}
	return out, nil
}

// gettable converts an alert for the API and reports whether it passes
// the query. The caller holds m.mu.
func (m *Manager) gettable(a *alertEntry, now time.Time, idx *inhibitIndex, q *alertQuery) (*models.GettableAlert, bool) {
	if a.resolved(now) || !q.matchers.Matches(a.Labels) {
		return nil, false
	}
	var receivers []string
	if m.conf != nil {
		for _, r := range m.conf.root.match(a.Labels) {
			if !slices.Contains(receivers, r.receiver) {
				receivers = append(receivers, r.receiver)
			}
		}
	}
	if q.receiver != nil && !slices.ContainsFunc(receivers, q.receiver.MatchString) {
		return nil, false
	}
	silencedBy := m.silencedBy(a.Labels, now)
	inhibitedBy := idx.inhibitedBy(a)
	state := string(models.AlertStatusStateActive)
	switch {
	case m.conf == nil:
		state = string(models.AlertStatusStateUnprocessed)
	case len(silencedBy) > 0 || len(inhibitedBy) > 0:
		state = string(models.AlertStatusStateSuppressed)
	}
	switch {
	case !q.active && state == string(models.AlertStatusStateActive),
		!q.unprocessed && state == string(models.AlertStatusStateUnprocessed),
		!q.silenced && len(silencedBy) > 0,
		!q.inhibited && len(inhibitedBy) > 0:
		return nil, false
	}
	fp := a.fp.String()
	starts, ends, updated := strfmt.DateTime(a.StartsAt), strfmt.DateTime(a.EndsAt), strfmt.DateTime(a.UpdatedAt)
	refs := make([]*models.ReceiverReference, 0, len(receivers))
	for _, r := range receivers {
		refs = append(refs, &models.ReceiverReference{Name: &r})
	}
	return &models.GettableAlert{
		Alert: models.Alert{
			Labels:       models.LabelSet(labelMap(a.Labels)),
			GeneratorURL: strfmt.URI(a.GeneratorURL),
		},
		Annotations: models.LabelSet(labelMap(a.Annotations)),
		StartsAt:    &starts,
		EndsAt:      &ends,
		UpdatedAt:   &updated,
		Fingerprint: &fp,
		Receivers:   refs,
		Status: &models.AlertStatus{
			State:       &state,
			SilencedBy:  nonNil(silencedBy),
			InhibitedBy: nonNil(inhibitedBy),
			MutedBy:     []string{},
		},
	}, true
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (m *Manager) getAlerts(w http.ResponseWriter, r *http.Request) {
	q, err := parseAlertQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	now := m.now()
	m.mu.RLock()
	idx := m.buildInhibitIndex(now)
	out := models.GettableAlerts{}
	for _, a := range m.alerts {
		if ga, ok := m.gettable(a, now, idx, q); ok {
			out = append(out, ga)
		}
	}
	m.mu.RUnlock()
	slices.SortFunc(out, func(a, b *models.GettableAlert) int { return cmp.Compare(*a.Fingerprint, *b.Fingerprint) })
	writeJSON(w, http.StatusOK, out)
}

func (m *Manager) getAlertGroups(w http.ResponseWriter, r *http.Request) {
	q, err := parseAlertQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	now := m.now()
	m.mu.RLock()
	idx := m.buildInhibitIndex(now)
	out := models.AlertGroups{}
	for _, g := range m.sortedGroups() {
		if q.receiver != nil && !q.receiver.MatchString(g.route.receiver) {
			continue
		}
		ag := &models.AlertGroup{
			Labels:      models.LabelSet(labelMap(g.labels)),
			Receiver:    &models.ReceiverReference{Name: &g.route.receiver},
			RouteLabels: models.LabelSet{},
			Alerts:      []*models.GettableAlert{},
		}
		for _, fp := range slices.Sorted(maps.Keys(g.alerts)) {
			if a, ok := m.alerts[fp]; ok {
				if ga, ok := m.gettable(a, now, idx, q); ok {
					ag.Alerts = append(ag.Alerts, ga)
				}
			}
		}
		if len(ag.Alerts) > 0 {
			out = append(out, ag)
		}
	}
	m.mu.RUnlock()
	writeJSON(w, http.StatusOK, out)
}

func (m *Manager) postAlerts(w http.ResponseWriter, r *http.Request) {
	var in models.PostableAlerts
	if !readBody(w, r, &in) {
		return
	}
	var alerts []Alert
	var errs []error
	for i, pa := range in {
		if pa == nil {
			errs = append(errs, fmt.Errorf("alert %d: must not be null", i))
			continue
		}
		if err := pa.Validate(strfmt.Default); err != nil {
			errs = append(errs, fmt.Errorf("alert %d: %w", i, err))
			continue
		}
		if len(pa.Labels) == 0 {
			errs = append(errs, fmt.Errorf("alert %d: labels must not be empty", i))
			continue
		}
		if err := toLabelSet(labels.FromMap(pa.Labels)).Validate(); err != nil {
			errs = append(errs, fmt.Errorf("alert %d: %w", i, err))
			continue
		}
		alerts = append(alerts, Alert{
			Labels:       labels.FromMap(pa.Labels),
			Annotations:  labels.FromMap(pa.Annotations),
			StartsAt:     time.Time(pa.StartsAt),
			EndsAt:       time.Time(pa.EndsAt),
			GeneratorURL: string(pa.GeneratorURL),
		})
	}
	m.Send(alerts...)
	if err := errors.Join(errs...); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func gettableSilence(s Silence, now time.Time) *models.GettableSilence {
	state := s.State(now)
	starts, ends, updated := strfmt.DateTime(s.StartsAt), strfmt.DateTime(s.EndsAt), strfmt.DateTime(s.UpdatedAt)
	ms := make(models.Matchers, 0, len(s.Matchers))
	for _, sm := range s.Matchers {
		ms = append(ms, &models.Matcher{Name: &sm.Name, Value: &sm.Value, IsRegex: &sm.IsRegex, IsEqual: &sm.IsEqual})
	}
	return &models.GettableSilence{
		ID:        &s.ID,
		Status:    &models.SilenceStatus{State: &state},
		UpdatedAt: &updated,
		Silence: models.Silence{
			Matchers:    ms,
			StartsAt:    &starts,
			EndsAt:      &ends,
			CreatedBy:   &s.CreatedBy,
			Comment:     &s.Comment,
			Annotations: models.LabelSet(s.Annotations),
		},
	}
}

// silenceMatchesFilter applies Alertmanager's silence filter: every
// filter matcher must match the pattern the silence has for its label.
func silenceMatchesFilter(s Silence, filter amlabels.Matchers) bool {
	pats := map[string]string{}
	for _, m := range s.Matchers {
		pats[m.Name] = m.Value
	}
	for _, f := range filter {
		v, ok := pats[f.Name]
		if f.Value == "" && (ok == (f.Type == amlabels.MatchNotEqual || f.Type == amlabels.MatchNotRegexp)) {
			continue
		}
		if !f.Matches(v) {
			return false
		}
	}
	return true
}

func (m *Manager) getSilences(w http.ResponseWriter, r *http.Request) {
	filter, err := parseFilter(r.URL.Query()["filter"])
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	now := m.now()
	out := models.GettableSilences{}
	for _, s := range m.Silences() {
		if silenceMatchesFilter(s, filter) {
			out = append(out, gettableSilence(s, now))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (m *Manager) postSilences(w http.ResponseWriter, r *http.Request) {
	var ps models.PostableSilence
	if !readBody(w, r, &ps) {
		return
	}
	if err := ps.Validate(strfmt.Default); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("validate silence: %w", err))
		return
	}
	s := Silence{
		ID:          ps.ID,
		StartsAt:    time.Time(*ps.StartsAt),
		EndsAt:      time.Time(*ps.EndsAt),
		CreatedBy:   *ps.CreatedBy,
		Comment:     *ps.Comment,
		Annotations: map[string]string(ps.Annotations),
	}
	for _, pm := range ps.Matchers {
		eq := true
		if pm.IsEqual != nil {
			eq = *pm.IsEqual
		}
		s.Matchers = append(s.Matchers, SilenceMatcher{Name: *pm.Name, Value: *pm.Value, IsRegex: *pm.IsRegex, IsEqual: eq})
	}
	id, err := m.SetSilence(s)
	switch {
	case errors.Is(err, ErrSilenceNotFound):
		writeError(w, http.StatusNotFound, err)
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"silenceID": id})
}

func (m *Manager) getSilence(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	m.mu.RLock()
	s, ok := m.silences[id]
	m.mu.RUnlock()
	if !ok {
		writeError(w, http.StatusNotFound, ErrSilenceNotFound)
		return
	}
	writeJSON(w, http.StatusOK, gettableSilence(s.Silence, m.now()))
}

func (m *Manager) deleteSilence(w http.ResponseWriter, r *http.Request) {
	err := m.ExpireSilence(r.PathValue("id"))
	switch {
	case errors.Is(err, ErrSilenceNotFound):
		writeError(w, http.StatusNotFound, err)
	case err != nil:
		writeError(w, http.StatusInternalServerError, err)
	default:
		w.WriteHeader(http.StatusOK)
	}
}
