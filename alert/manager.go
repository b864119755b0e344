package alert

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/alert/notify"
)

// DefaultRetention is how long notification log entries and expired
// silences are kept when Options.Retention is zero.
const DefaultRetention = 120 * time.Hour

// Options are the dependencies of a Manager.
type Options struct {
	// Logger receives the manager's logs; nil discards them.
	Logger *slog.Logger
	// Registerer registers the self-metrics; nil registers none.
	Registerer prometheus.Registerer
	// Now returns the current time; nil means time.Now. It must advance
	// with real (or synctest) time, because the manager's timers do.
	Now func() time.Time
	// DataDir is the directory of the durable state (the file
	// alerts.db: alerts, notification log, silences, outbox); empty keeps
	// state in memory only.
	DataDir string
	// HTTPClient is the client of receivers without http_config; nil
	// means a client with a clone of http.DefaultTransport.
	HTTPClient *http.Client
	// ExternalURL is where users reach pipewatch; it appears in payloads
	// and templates (.ExternalURL).
	ExternalURL *url.URL
	// Retention is how long notification log entries and expired
	// silences are kept; zero means DefaultRetention.
	Retention time.Duration
	// Version is reported by GET /api/v2/status.
	Version string
}

// Manager receives alerts from the rule evaluator, groups and routes them,
// applies silences, inhibition and time intervals, deduplicates with the
// notification log and delivers notifications through a durable outbox.
// Its methods are safe for concurrent use.
type Manager struct {
	opts    Options
	logger  *slog.Logger
	metrics *metrics
	store   *store
	started time.Time

	inMu     sync.Mutex
	incoming []Alert
	wake     chan struct{}

	mu           sync.RWMutex
	conf         *compiled // nil: no alerting configuration
	confText     string
	integrations map[string][]*integration // by receiver name
	deliverers   map[string]*deliverer     // by integration key
	alerts       map[model.Fingerprint]*alertEntry
	groups       map[string]*group
	nflog        map[string]*nflogEntry
	silences     map[string]*silence
	runCtx       context.Context
	delivWG      sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// group is an aggregation group: the alerts one route takes that share
// the values of the route's group_by labels.
type group struct {
	id        string // route.id + ":" + labels
	key       string // Alertmanager's group key, for payloads
	route     *route
	labels    model.LabelSet
	alerts    map[model.Fingerprint]struct{}
	flushed   bool // has been flushed at least once
	nextFlush time.Time
	fast      bool // the next flush was brought forward by the fast path
}

// nflogEntry records what was last notified for one group and
// integration.
type nflogEntry struct {
	Firing    []model.Fingerprint `json:"firing"`
	Resolved  []model.Fingerprint `json:"resolved"`
	Timestamp time.Time           `json:"timestamp"`
	ExpiresAt time.Time           `json:"expiresAt"`
}

// outboxEntry is a notification waiting for delivery.
type outboxEntry struct {
	Seq          uint64              `json:"seq"`
	Integration  string              `json:"integration"`
	GroupID      string              `json:"groupID"`
	NflogKey     string              `json:"nflogKey,omitempty"`
	NflogStamp   time.Time           `json:"nflogStamp"`
	Notification notify.Notification `json:"notification"`
	Queued       time.Time           `json:"queued"`
	Attempts     int                 `json:"attempts"`
	NextAttempt  time.Time           `json:"nextAttempt"`
	Deadline     time.Time           `json:"deadline"`
	Fallback     bool                `json:"fallback,omitempty"`
	LastError    string              `json:"lastError,omitempty"`
}

// New builds a Manager from cfg (nil means no routing: alerts are kept and
// served by the API, but nothing is sent), opens the state in
// Options.DataDir and restores alerts, the notification log, silences and
// the outbox, so that the first dispatch after a restart continues where
// the previous process stopped. Notifications in the outbox for receivers
// that no longer exist are dropped with a warning.
func New(cfg *Config, opts Options) (*Manager, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = defaultHTTPClient()
	}
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	if opts.ExternalURL == nil {
		opts.ExternalURL = &url.URL{}
	}
	met, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("register alert metrics: %w", err)
	}
	m := &Manager{
		opts:         opts,
		logger:       opts.Logger,
		metrics:      met,
		started:      opts.Now(),
		wake:         make(chan struct{}, 1),
		integrations: map[string][]*integration{},
		deliverers:   map[string]*deliverer{},
		alerts:       map[model.Fingerprint]*alertEntry{},
		groups:       map[string]*group{},
		silences:     map[string]*silence{},
	}
	var conf *compiled
	var integs map[string][]*integration
	if cfg != nil {
		if conf, integs, err = m.build(cfg); err != nil {
			return nil, err
		}
	}
	st, err := openStore(opts.DataDir)
	if err != nil {
		return nil, err
	}
	m.store = st
	state, err := st.load()
	if err != nil {
		st.close()
		return nil, err
	}
	now := m.now()
	m.mu.Lock()
	m.nflog = state.nflog
	for _, s := range state.silences {
		if err := s.compile(); err != nil {
			m.logger.Warn("dropping stored silence that does not compile", "silence", s.ID, "err", err)
			continue
		}
		m.silences[s.ID] = s
	}
	for _, a := range state.alerts {
		m.alerts[a.fp] = a
	}
	m.setConfig(cfg, conf, integs, now)
	// Restored groups flush at once: due resolves go out, and the
	// notification log keeps what was already sent from being repeated.
	for _, g := range m.groups {
		g.flushed = true
		g.nextFlush = now
	}
	var orphans []uint64
	slices.SortFunc(state.outbox, func(a, b *outboxEntry) int { return cmp.Compare(a.Seq, b.Seq) })
	for _, e := range state.outbox {
		d, ok := m.deliverers[e.Integration]
		if !ok {
			m.logger.Warn("dropping queued notification for a receiver that no longer exists", "integration", e.Integration, "group", e.Notification.GroupKey)
			orphans = append(orphans, e.Seq)
			continue
		}
		d.enqueue(e)
	}
	m.updateSilenceMetrics(now)
	m.mu.Unlock()
	if err := st.deleteOutbox(orphans...); err != nil {
		m.logger.Warn("delete dropped notifications", "err", err)
	}
	return m, nil
}

func (m *Manager) now() time.Time { return m.opts.Now() }

// build compiles cfg and builds its receivers.
func (m *Manager) build(cfg *Config) (*compiled, map[string][]*integration, error) {
	conf, err := compileConfig(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("validate alerting configuration: %w", err)
	}
	tmpl, err := buildTemplate(cfg, m.opts)
	if err != nil {
		return nil, nil, err
	}
	integs, err := buildIntegrations(conf, m.opts, tmpl)
	if err != nil {
		return nil, nil, fmt.Errorf("build receivers: %w", err)
	}
	return conf, integs, nil
}

// setConfig installs a compiled configuration: receivers and their
// deliverers, and the groups of all alerts under the new routing tree.
// Groups that had notified under the old tree are due at once. The caller
// holds m.mu.
func (m *Manager) setConfig(cfg *Config, conf *compiled, integs map[string][]*integration, now time.Time) []*deliverer {
	m.conf = conf
	m.confText = ""
	if cfg != nil {
		if b, err := yaml.Marshal(cfg); err == nil {
			m.confText = string(b)
		}
	}
	m.integrations = integs
	keep := map[string]bool{}
	for _, list := range integs {
		for _, in := range list {
			keep[in.key] = true
			if d, ok := m.deliverers[in.key]; ok {
				d.setIntegration(in)
				continue
			}
			d := newDeliverer(m, in)
			m.deliverers[in.key] = d
			m.metrics.initIntegration(in.receiver, in.name)
			if m.runCtx != nil {
				m.startDeliverer(d)
			}
		}
	}
	var removed []*deliverer
	for key, d := range m.deliverers {
		if !keep[key] {
			removed = append(removed, d)
			delete(m.deliverers, key)
			d.stop()
			in := d.integration()
			m.metrics.deleteIntegration(in.receiver, in.name)
		}
	}
	old := m.groups
	m.groups = map[string]*group{}
	if conf == nil {
		return removed
	}
	fps := make([]model.Fingerprint, 0, len(m.alerts))
	for fp := range m.alerts {
		fps = append(fps, fp)
	}
	slices.Sort(fps)
	for _, fp := range fps {
		a := m.alerts[fp]
		for _, r := range conf.root.match(a.Labels) {
			g, created := m.groupFor(r, a.Labels, now)
			if created {
				// Existing groups are evaluated at once under the new
				// configuration (receivers may have changed); the
				// notification log keeps unchanged ones quiet.
				if og, ok := old[g.id]; ok && og.flushed {
					g.flushed, g.nextFlush = true, now
				}
			}
			g.alerts[fp] = struct{}{}
		}
	}
	m.metrics.groups.Set(float64(len(m.groups)))
	return removed
}

// ApplyConfig replaces the configuration (a reload). Receivers are
// rebuilt; notifications queued for receivers that no longer exist are
// dropped; alerts are regrouped under the new routing tree and groups
// that had notified are evaluated at once, the notification log keeping
// unchanged groups from notifying again.
func (m *Manager) ApplyConfig(cfg *Config) error {
	var conf *compiled
	var integs map[string][]*integration
	if cfg != nil {
		var err error
		if conf, integs, err = m.build(cfg); err != nil {
			return err
		}
	}
	m.mu.Lock()
	removed := m.setConfig(cfg, conf, integs, m.now())
	m.mu.Unlock()
	for _, d := range removed {
		seqs := d.drain()
		if len(seqs) > 0 {
			in := d.integration()
			m.logger.Warn("dropping queued notifications of a removed receiver", "receiver", in.receiver, "integration", in.name, "count", len(seqs))
		}
		if err := m.store.deleteOutbox(seqs...); err != nil {
			m.logger.Warn("delete dropped notifications", "err", err)
		}
	}
	m.signal()
	return nil
}

// Send hands alerts over from the rule evaluator. It never blocks: the
// alerts are queued and the dispatcher takes them at once. A new firing
// alert is notified without waiting for group_interval (see
// Route.FastPath); state is durable once the dispatcher has committed it,
// milliseconds later.
func (m *Manager) Send(alerts ...Alert) {
	if len(alerts) == 0 {
		return
	}
	m.inMu.Lock()
	m.incoming = append(m.incoming, alerts...)
	m.inMu.Unlock()
	m.signal()
}

func (m *Manager) signal() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Run dispatches alerts and delivers notifications until ctx is
// cancelled; then it waits for in-flight deliveries to stop, closes the
// state database and returns nil. Notifications not yet delivered stay in
// the outbox for the next start.
func (m *Manager) Run(ctx context.Context) error {
	m.mu.Lock()
	m.runCtx = ctx
	for _, d := range m.deliverers {
		m.startDeliverer(d)
	}
	m.mu.Unlock()
	defer func() {
		m.delivWG.Wait()
		if err := m.Close(); err != nil {
			m.logger.Warn("close alert state", "err", err)
		}
	}()

	gc := time.NewTicker(time.Minute)
	defer gc.Stop()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := m.now()
		next := m.step(now)
		timer.Stop()
		if !next.IsZero() {
			timer.Reset(max(next.Sub(now), 0))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-m.wake:
		case <-timer.C:
		case <-gc.C:
			m.gc(m.now())
		}
	}
}

// Close closes the state database. Run calls it when it returns; call it
// directly only for a Manager whose Run is never called.
func (m *Manager) Close() error {
	m.closeOnce.Do(func() { m.closeErr = m.store.close() })
	return m.closeErr
}

func (m *Manager) startDeliverer(d *deliverer) {
	ctx, cancel := context.WithCancel(m.runCtx)
	d.mu.Lock()
	d.cancel = cancel
	d.mu.Unlock()
	m.delivWG.Add(1)
	go func() {
		defer m.delivWG.Done()
		d.run(ctx)
	}()
}

// step takes the alerts handed over, flushes the groups that are due,
// commits all changes in one transaction and hands the new notifications
// to the deliverers. It returns when the next group is due (zero: none).
func (m *Manager) step(now time.Time) time.Time {
	m.inMu.Lock()
	in := m.incoming
	m.incoming = nil
	m.inMu.Unlock()

	b := &batch{putNflog: map[string]*nflogEntry{}}
	put := map[model.Fingerprint]*alertEntry{}
	m.mu.Lock()
	for _, a := range in {
		m.ingest(a, now, put)
	}
	var idx *inhibitIndex
	var next time.Time
	for _, g := range m.sortedGroups() {
		if !g.nextFlush.After(now) {
			if idx == nil {
				idx = m.buildInhibitIndex(now)
			}
			m.flush(g, now, idx, b, put)
		}
		if g2, ok := m.groups[g.id]; ok && (next.IsZero() || g2.nextFlush.Before(next)) {
			next = g2.nextFlush
		}
	}
	for fp, a := range put {
		if _, kept := m.alerts[fp]; kept {
			b.putAlerts = append(b.putAlerts, a)
		}
	}
	m.metrics.groups.Set(float64(len(m.groups)))
	if len(in) > 0 || idx != nil {
		m.updateAlertMetrics(now, idx)
	}
	m.mu.Unlock()

	if !b.empty() {
		if err := m.store.commit(b); err != nil {
			m.logger.Error("commit alert state: notifications are sent but may not survive a restart", "err", err)
			for _, e := range b.outbox {
				if e.Seq == 0 {
					e.Seq = m.store.seq.Add(1) | 1<<63
					e.Notification.IdempotencyKey = idempotencyKey(e)
				}
			}
		}
	}
	m.handOver(b.outbox)
	return next
}

func (m *Manager) sortedGroups() []*group {
	gs := make([]*group, 0, len(m.groups))
	for _, g := range m.groups {
		gs = append(gs, g)
	}
	slices.SortFunc(gs, func(a, b *group) int { return cmp.Compare(a.id, b.id) })
	return gs
}

// ingest merges one handed-over alert into the state and its groups. The
// caller holds m.mu.
func (m *Manager) ingest(a Alert, now time.Time, put map[model.Fingerprint]*alertEntry) {
	resolveTimeout := DefaultGlobalConfig.ResolveTimeout
	if m.conf != nil {
		resolveTimeout = model.Duration(m.conf.resolveTimeout)
	}
	e, err := newEntry(a, now, time.Duration(resolveTimeout))
	if err != nil {
		m.metrics.invalid.Inc()
		m.logger.Debug("dropping invalid alert", "err", err)
		return
	}
	m.metrics.received.Inc()
	fp := e.fp
	old := m.alerts[fp]
	newFiring := !e.resolved(now) && (old == nil || old.resolved(now))
	if old != nil && overlaps(old, e) {
		e = merge(old, e, now)
		e.fp = fp
	}
	m.alerts[fp] = e
	put[fp] = e
	if m.conf == nil {
		return
	}
	for _, r := range m.conf.root.match(e.Labels) {
		g, _ := m.groupFor(r, e.Labels, now)
		_, member := g.alerts[fp]
		g.alerts[fp] = struct{}{}
		if (newFiring || !member && !e.resolved(now)) && g.flushed && r.fastPath && g.nextFlush.After(now) {
			g.nextFlush = now
			g.fast = true
		}
	}
}

// groupFor returns the group of route r for an alert with labels lset,
// creating it (due after group_wait) if needed. The caller holds m.mu.
func (m *Manager) groupFor(r *route, lset model.LabelSet, now time.Time) (*group, bool) {
	gl := r.groupLabels(lset)
	id := r.id + ":" + gl.String()
	if g, ok := m.groups[id]; ok {
		return g, false
	}
	g := &group{
		id:        id,
		key:       r.key + ":" + gl.String(),
		route:     r,
		labels:    gl,
		alerts:    map[model.Fingerprint]struct{}{},
		nextFlush: now.Add(r.groupWait),
	}
	m.groups[id] = g
	return g, true
}

// flush evaluates group g: for every integration of its receiver it
// decides with the notification log whether to notify, and queues the
// notification. Resolved alerts leave the group afterwards; alerts in no
// group are forgotten. The caller holds m.mu.
func (m *Manager) flush(g *group, now time.Time, idx *inhibitIndex, b *batch, put map[model.Fingerprint]*alertEntry) {
	m.metrics.flushes.Inc()
	if g.fast {
		m.metrics.fastFlushes.Inc()
		g.fast = false
	}
	g.flushed = true
	integs := m.integrations[g.route.receiver]
	interval := g.route.groupInterval
	for _, in := range integs {
		if in.resend > 0 && in.resend < interval {
			interval = in.resend
		}
	}
	g.nextFlush = now.Add(interval)

	alerts := make([]*alertEntry, 0, len(g.alerts))
	for fp := range g.alerts {
		if a, ok := m.alerts[fp]; ok {
			alerts = append(alerts, a)
		} else {
			delete(g.alerts, fp)
		}
	}
	slices.SortFunc(alerts, func(a, b *alertEntry) int { return compareLabels(a.Labels, b.Labels) })

	if !m.conf.muted(g.route, now) && len(integs) > 0 {
		var visible []*alertEntry
		var firing, resolved []model.Fingerprint
		for _, a := range alerts {
			if len(m.silencedBy(a.Labels, now)) > 0 || len(idx.inhibitedBy(a)) > 0 {
				continue
			}
			visible = append(visible, a)
			if a.resolved(now) {
				resolved = append(resolved, a.fp)
			} else {
				firing = append(firing, a.fp)
			}
		}
		for _, in := range integs {
			key := g.id + "\x00" + in.key
			repeat := g.route.repeatInterval
			if in.resend > 0 && in.resend < repeat {
				repeat = in.resend
			}
			if !needsUpdate(m.nflog[key], firing, resolved, in.sendResolved, repeat, now) {
				continue
			}
			ne := &nflogEntry{Firing: firing, Resolved: resolved, Timestamp: now, ExpiresAt: now.Add(max(m.opts.Retention, repeat))}
			m.nflog[key] = ne
			b.putNflog[key] = ne
			var send []notify.Alert
			for _, a := range visible {
				na := a.notifyAlert(now)
				if na.Status == notify.StatusResolved && !in.sendResolved {
					continue
				}
				send = append(send, na)
			}
			if len(send) == 0 {
				continue
			}
			b.outbox = append(b.outbox, &outboxEntry{
				Integration: in.key,
				GroupID:     g.id,
				NflogKey:    key,
				NflogStamp:  now,
				Notification: notify.Notification{
					Receiver:    in.receiver,
					GroupKey:    g.key,
					GroupLabels: labelMap(g.labels),
					Alerts:      send,
					ExternalURL: m.opts.ExternalURL.String(),
					Created:     now,
				},
				Queued:      now,
				NextAttempt: now,
				Deadline:    now.Add(time.Duration(in.delivery.RetryBudget)),
			})
			m.metrics.notifications.WithLabelValues(in.receiver, in.name).Inc()
		}
	}

	for _, a := range alerts {
		if !a.resolved(now) {
			continue
		}
		delete(g.alerts, a.fp)
		if !m.inAnyGroup(a) {
			delete(m.alerts, a.fp)
			delete(put, a.fp)
			b.delAlerts = append(b.delAlerts, a.fp)
		}
	}
	if len(g.alerts) == 0 {
		delete(m.groups, g.id)
	}
}

// inAnyGroup reports whether a group still holds a. The caller holds m.mu.
func (m *Manager) inAnyGroup(a *alertEntry) bool {
	if m.conf == nil {
		return false
	}
	for _, r := range m.conf.root.match(a.Labels) {
		if g, ok := m.groups[r.id+":"+r.groupLabels(a.Labels).String()]; ok {
			if _, in := g.alerts[a.fp]; in {
				return true
			}
		}
	}
	return false
}

// needsUpdate decides, as Alertmanager's dedup stage does, whether a group
// whose visible alerts are firing and resolved must be notified given the
// last notification e.
func needsUpdate(e *nflogEntry, firing, resolved []model.Fingerprint, sendResolved bool, repeat time.Duration, now time.Time) bool {
	if e == nil {
		return len(firing) > 0
	}
	if !subset(firing, e.Firing) {
		return true
	}
	if len(firing) == 0 {
		return len(e.Firing) > 0
	}
	if sendResolved && !subset(resolved, e.Resolved) {
		return true
	}
	return !e.Timestamp.After(now.Add(-repeat))
}

func subset(xs, of []model.Fingerprint) bool {
	for _, x := range xs {
		if !slices.Contains(of, x) {
			return false
		}
	}
	return true
}

// muted reports whether route r is muted at now by its time intervals.
func (c *compiled) muted(r *route, now time.Time) bool {
	contains := func(name string) bool {
		for _, ti := range c.intervals[name] {
			if ti.ContainsTime(now) {
				return true
			}
		}
		return false
	}
	if slices.ContainsFunc(r.mute, contains) {
		return true
	}
	return len(r.active) > 0 && !slices.ContainsFunc(r.active, contains)
}

// handOver gives committed notifications to their deliverers.
func (m *Manager) handOver(entries []*outboxEntry) {
	if len(entries) == 0 {
		return
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, e := range entries {
		if d, ok := m.deliverers[e.Integration]; ok {
			d.enqueue(e)
		}
	}
}

// gc forgets expired notification log entries, silences expired longer
// than the retention, and resolved alerts that no group holds.
func (m *Manager) gc(now time.Time) {
	b := &batch{}
	var silences []string
	m.mu.Lock()
	for k, e := range m.nflog {
		if !e.ExpiresAt.After(now) {
			delete(m.nflog, k)
			b.delNflog = append(b.delNflog, k)
		}
	}
	for id, s := range m.silences {
		if s.State(now) == SilenceExpired && s.EndsAt.Add(m.opts.Retention).Before(now) {
			delete(m.silences, id)
			silences = append(silences, id)
		}
	}
	for fp, a := range m.alerts {
		if a.resolved(now) && !m.inAnyGroup(a) {
			delete(m.alerts, fp)
			b.delAlerts = append(b.delAlerts, fp)
		}
	}
	m.updateSilenceMetrics(now)
	m.mu.Unlock()
	if err := m.store.commit(b); err != nil {
		m.logger.Warn("garbage-collect alert state", "err", err)
	}
	if err := m.store.deleteSilences(silences); err != nil {
		m.logger.Warn("garbage-collect silences", "err", err)
	}
}

// forgetNotified removes the notification log entry that e recorded, if
// no later flush replaced it, so that the group's next flush notifies
// again (a failed notification is retried at the next group_interval, as
// in Alertmanager).
func (m *Manager) forgetNotified(e *outboxEntry) {
	if e.NflogKey == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ne, ok := m.nflog[e.NflogKey]
	if !ok || !ne.Timestamp.Equal(e.NflogStamp) {
		return
	}
	delete(m.nflog, e.NflogKey)
	if err := m.store.commit(&batch{delNflog: []string{e.NflogKey}}); err != nil {
		m.logger.Warn("forget failed notification", "err", err)
	}
}

// enqueueFallback queues a copy of e for every integration of the
// fallback receiver; it reports whether there was any.
func (m *Manager) enqueueFallback(fallback string, e *outboxEntry) bool {
	now := m.now()
	m.mu.RLock()
	fbs := m.integrations[fallback]
	m.mu.RUnlock()
	if len(fbs) == 0 {
		return false
	}
	b := &batch{}
	for _, f := range fbs {
		n := e.Notification
		n.Receiver = f.receiver
		n.IdempotencyKey = ""
		b.outbox = append(b.outbox, &outboxEntry{
			Integration:  f.key,
			GroupID:      e.GroupID,
			Notification: n,
			Queued:       now,
			NextAttempt:  now,
			Deadline:     now.Add(time.Duration(f.delivery.RetryBudget)),
			Fallback:     true,
		})
		m.metrics.notifications.WithLabelValues(f.receiver, f.name).Inc()
	}
	if err := m.store.commit(b); err != nil {
		m.logger.Error("queue fallback notification", "err", err)
		for _, ne := range b.outbox {
			ne.Seq = m.store.seq.Add(1) | 1<<63
			ne.Notification.IdempotencyKey = idempotencyKey(ne)
		}
	}
	m.handOver(b.outbox)
	return true
}

func (m *Manager) updateSilenceMetrics(now time.Time) {
	counts := map[string]int{SilenceActive: 0, SilencePending: 0, SilenceExpired: 0}
	for _, s := range m.silences {
		counts[s.State(now)]++
	}
	for st, n := range counts {
		m.metrics.silences.WithLabelValues(st).Set(float64(n))
	}
}

// updateAlertMetrics counts alerts by state. The caller holds m.mu.
func (m *Manager) updateAlertMetrics(now time.Time, idx *inhibitIndex) {
	if idx == nil {
		idx = m.buildInhibitIndex(now)
	}
	counts := map[string]int{"active": 0, "suppressed": 0, "resolved": 0}
	for _, a := range m.alerts {
		switch {
		case a.resolved(now):
			counts["resolved"]++
		case len(m.silencedBy(a.Labels, now)) > 0 || len(idx.inhibitedBy(a)) > 0:
			counts["suppressed"]++
		default:
			counts["active"]++
		}
	}
	for st, n := range counts {
		m.metrics.alerts.WithLabelValues(st).Set(float64(n))
	}
}
