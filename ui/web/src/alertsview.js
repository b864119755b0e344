// The alerts page (#/alerts): firing alerts grouped by module, with links
// to the stuck hop, and silences — create from an alert, expire — through
// the Alertmanager API v2 that pipewatch serves under /api/v2.

import { alerts as fetchAlerts, createSilence, expireSilence, silences as fetchSilences } from './api.js';
import { fill, h, healthPill, nextFrame } from './dom.js';
import { ago, localTime } from './format.js';
import { href, loadSettings, markReady, saveSettings } from './state.js';

const DURATIONS = [['15m', 15], ['1h', 60], ['2h', 120], ['4h', 240], ['12h', 720], ['1d', 1440], ['7d', 10080]];

// parseMatchers reads one matcher per line or comma: name="value",
// name!="value", name=~"re", name!~"re".
export function parseMatchers(text) {
  const out = [];
  const re = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/;
  for (const part of splitMatchers(text)) {
    if (!part.trim()) continue;
    const m = re.exec(part);
    if (!m) throw new Error(`cannot read matcher ${part.trim()}: write name="value", name!="value", name=~"regex" or name!~"regex"`);
    out.push({ name: m[1], value: JSON.parse('"' + m[3] + '"'), isRegex: m[2].includes('~'), isEqual: !m[2].startsWith('!') });
  }
  if (!out.length) throw new Error('a silence needs at least one matcher');
  return out;
}

// splitMatchers splits on newlines and on commas outside quotes.
function splitMatchers(text) {
  const parts = [];
  let cur = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && quoted) { cur += c + (text[++i] ?? ''); continue; }
    if (c === '"') quoted = !quoted;
    if (!quoted && (c === ',' || c === '\n')) { parts.push(cur); cur = ''; continue; }
    cur += c;
  }
  parts.push(cur);
  return parts;
}

function matcherText(m) {
  const op = (m.isEqual === false ? '!' : '=') + (m.isRegex ? '~' : '');
  return `${m.name}${op === '!' ? '!=' : op}${JSON.stringify(m.value)}`;
}

// The labels that pick an alert out precisely enough for a silence.
const SILENCE_KEYS = ['alertname', 'module', 'hop', 'cluster', 'consumergroup', 'topic', 'job_name', 'instance'];

function defaultMatchers(a) {
  const l = a.labels || {};
  const keys = SILENCE_KEYS.filter((k) => l[k]);
  return (keys.length ? keys : Object.keys(l)).map((k) => `${k}=${JSON.stringify(l[k])}`).join('\n');
}

// AlertsPage is the mounted alerts page.
export class AlertsPage {
  constructor(el, route, app) {
    this.app = app;
    this.navStart = route.t0;
    this.first = true;
    this.silenceFor = route.params.get('silence') || '';
    this.alerts = [];
    this.filter = h('input', { type: 'search', class: 'search', placeholder: 'Filter by any label or text', 'aria-label': 'Filter alerts', oninput: () => this.renderAlerts() });
    this.msg = h('div', { class: 'msgbox', hidden: true });
    this.alertBox = h('div', { class: 'alert-groups' });
    this.formBox = h('div', { class: 'silence-form-box' });
    this.silBox = h('div', { class: 'silences' });
    this.note = h('p', { class: 'muted' });
    fill(el, h('section', { class: 'alerts-page' },
      h('div', { class: 'page-head' }, h('h2', null, 'Alerts'), this.note),
      this.msg, this.formBox,
      h('div', { class: 'toolbar' }, this.filter),
      this.alertBox,
      h('h3', null, 'Silences'), this.silBox));
  }

  update(route) {
    const s = route.params.get('silence') || '';
    if (s !== this.silenceFor) {
      this.silenceFor = s;
      this.renderForm();
    }
  }

  async refresh() {
    const at = this.app.at();
    this.note.textContent = at
      ? `Alertmanager keeps no history: this is the current state. Alerts firing at ${localTime(at)} show on the module views through the ALERTS series.`
      : 'Firing alerts, grouped by module. Silences stop their notifications.';
    const [a, s] = await Promise.allSettled([fetchAlerts(), fetchSilences()]);
    if (a.status === 'rejected') {
      this.showUnavailable(a.reason);
    } else {
      this.msg.hidden = true;
      this.alerts = Array.isArray(a.value) ? a.value : [];
      this.renderAlerts();
      if (this.first || this.silenceFor) this.renderForm();
    }
    if (s.status === 'fulfilled') this.renderSilences(Array.isArray(s.value) ? s.value : []);
    else if (a.status === 'fulfilled') fill(this.silBox, h('p', { class: 'error' }, 'cannot list silences: ' + s.reason.message));
    else fill(this.silBox);
    if (this.first) {
      this.first = false;
      await nextFrame();
      markReady('alerts', this.navStart, { alerts: this.alerts.length, available: a.status === 'fulfilled' });
    }
  }

  showUnavailable(err) {
    this.msg.hidden = false;
    const missing = err.status === 404;
    this.msg.className = 'msgbox ' + (missing ? 'info' : 'error');
    fill(this.msg, 
      h('b', null, missing ? 'Alerting is not available on this pipewatch.' : 'Cannot load alerts.'),
      h('p', null, missing
        ? 'The Alertmanager-compatible API (/api/v2/alerts) answered 404, so there is nothing to list or silence here. Alerts that fire still colour the topology: see the module views.'
        : err.message));
    fill(this.alertBox);
    fill(this.formBox);
  }

  renderAlerts() {
    const q = this.filter.value.trim().toLowerCase();
    const list = this.alerts.filter((a) => !q || JSON.stringify([a.labels, a.annotations]).toLowerCase().includes(q));
    const groups = new Map();
    for (const a of list) {
      const m = (a.labels && a.labels.module) || '';
      if (!groups.has(m)) groups.set(m, []);
      groups.get(m).push(a);
    }
    const names = [...groups.keys()].sort((x, y) => (x === '') - (y === '') || (x < y ? -1 : 1));
    if (!list.length) {
      fill(this.alertBox, h('p', { class: 'empty' }, this.alerts.length ? 'No alert matches the filter.' : 'No alerts are firing.'));
      return;
    }
    fill(this.alertBox, ...names.map((m) => h('div', { class: 'alert-group' },
      h('h3', null, m ? h('a', { href: href(['module', m]) }, m) : 'Not attached to a module', h('span', { class: 'muted' }, ` ${groups.get(m).length}`)),
      h('table', { class: 'alerts' },
        h('thead', null, h('tr', null, h('th', null, 'state'), h('th', null, 'alert'), h('th', null, 'labels'), h('th', null, 'since'), h('th', null, ''))),
        h('tbody', null, groups.get(m).map((a) => this.alertRow(a)))))));
  }

  alertRow(a) {
    const l = a.labels || {};
    const st = (a.status && a.status.state) || 'active';
    const sev = l.severity || '';
    const extra = Object.keys(l).filter((k) => k !== 'alertname' && k !== 'severity' && k !== 'module').sort();
    const summary = a.annotations && (a.annotations.summary || a.annotations.description);
    const silencedBy = (a.status && a.status.silencedBy) || [];
    return h('tr', { 'data-fingerprint': a.fingerprint, class: st !== 'active' ? 'suppressed' : null },
      h('td', null, st === 'active' ? healthPill(sev === 'critical' || sev === 'page' ? 'critical' : 'warn') : h('span', { class: 'pill h-unknown' }, st)),
      h('td', null, h('b', null, l.alertname || '(no name)'), sev ? h('span', { class: 'sev sev-' + sev }, ' ' + sev) : null,
        summary ? h('div', { class: 'muted' }, summary) : null),
      h('td', { class: 'labels' }, extra.map((k) => h('span', { class: 'label' }, `${k}=${l[k]}`))),
      h('td', { title: a.startsAt }, ago(a.startsAt)),
      h('td', { class: 'actions' },
        l.module ? h('a', { href: href(['module', l.module], l.hop ? { hop: l.hop } : {}) }, 'where') : null,
        a.generatorURL ? h('a', { href: a.generatorURL, target: '_blank', rel: 'noopener' }, 'source') : null,
        silencedBy.length ? h('span', { class: 'muted' }, 'silenced') : h('a', { href: href(['alerts'], { silence: a.fingerprint }) }, 'silence…')));
  }

  renderForm() {
    if (!this.silenceFor) {
      fill(this.formBox);
      return;
    }
    const a = this.alerts.find((x) => x.fingerprint === this.silenceFor);
    if (this.formBox.dataset.for === this.silenceFor && this.formBox.firstChild) return;
    this.formBox.dataset.for = this.silenceFor;
    const s = loadSettings();
    const matchers = h('textarea', { rows: 4, name: 'matchers', spellcheck: 'false' }, a ? defaultMatchers(a) : '');
    const duration = h('select', { name: 'duration' }, DURATIONS.map(([label, min]) => h('option', { value: min, selected: min === 120 ? true : null }, label)));
    const author = h('input', { name: 'createdBy', value: s.silenceAuthor || '', placeholder: 'your name', required: true });
    const comment = h('input', { name: 'comment', placeholder: 'why, e.g. ticket or deploy', required: true });
    const out = h('p', { class: 'form-out' });
    const form = h('form', { class: 'silence-form', onsubmit: async (ev) => {
      ev.preventDefault();
      let ms;
      try {
        ms = parseMatchers(matchers.value);
      } catch (e) {
        out.className = 'form-out error';
        out.textContent = e.message;
        return;
      }
      saveSettings({ silenceAuthor: author.value.trim() });
      const now = new Date();
      try {
        const id = await createSilence({
          matchers: ms,
          startsAt: now.toISOString(),
          endsAt: new Date(now.getTime() + Number(duration.value) * 60000).toISOString(),
          createdBy: author.value.trim(),
          comment: comment.value.trim(),
        });
        out.className = 'form-out ok';
        out.textContent = 'Silence created' + (id ? ': ' + id : '') + '.';
        history.replaceState(null, '', href(['alerts']));
        this.silenceFor = '';
        setTimeout(() => this.app.refreshNow(), 0);
      } catch (e) {
        out.className = 'form-out error';
        out.textContent = e.status === 403 ? 'Not allowed: creating silences needs an admin user (' + e.message + ')' : 'Cannot create the silence: ' + e.message;
      }
    } },
    h('h3', null, 'New silence', a ? ` for ${a.labels.alertname}` : ''),
    a ? null : h('p', { class: 'muted' }, 'The alert is no longer firing; the matchers can still be written by hand.'),
    h('label', null, 'Matchers (one per line)', matchers),
    h('div', { class: 'row' },
      h('label', null, 'Duration ', duration),
      h('label', null, 'Created by ', author),
      h('label', { class: 'grow' }, 'Comment ', comment)),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Create silence'),
      h('a', { href: href(['alerts']), class: 'button' }, 'Cancel')),
    out);
    fill(this.formBox, form);
    if (!a) return;
    comment.focus();
  }

  renderSilences(list) {
    const order = { active: 0, pending: 1, expired: 2 };
    list.sort((x, y) => (order[x.status && x.status.state] ?? 3) - (order[y.status && y.status.state] ?? 3) || (x.endsAt < y.endsAt ? 1 : -1));
    const live = list.filter((s) => s.status && s.status.state !== 'expired');
    const expired = list.filter((s) => !s.status || s.status.state === 'expired').slice(0, 20);
    const table = (rows, expire) => h('table', { class: 'silences' },
      h('thead', null, h('tr', null, h('th', null, 'state'), h('th', null, 'matchers'), h('th', null, 'by'), h('th', null, 'comment'), h('th', null, 'ends'), h('th', null, ''))),
      h('tbody', null, rows.map((s) => h('tr', { 'data-silence-id': s.id },
        h('td', null, (s.status && s.status.state) || ''),
        h('td', { class: 'labels' }, (s.matchers || []).map((m) => h('span', { class: 'label' }, matcherText(m)))),
        h('td', null, s.createdBy || ''),
        h('td', null, s.comment || ''),
        h('td', { title: s.endsAt }, localTime(s.endsAt)),
        h('td', null, expire ? h('button', { onclick: () => this.expire(s) }, 'Expire') : null)))));
    fill(this.silBox, 
      live.length ? table(live, true) : h('p', { class: 'muted' }, 'No active or pending silences.'),
      expired.length ? h('details', null, h('summary', null, `Expired (${expired.length} most recent)`), table(expired, false)) : null);
  }

  async expire(s) {
    if (!confirm(`Expire the silence ${s.id}?\n${(s.matchers || []).map(matcherText).join(', ')}`)) return;
    try {
      await expireSilence(s.id);
      this.app.refreshNow();
    } catch (e) {
      alert(e.status === 403 ? 'Not allowed: expiring silences needs an admin user.' : 'Cannot expire the silence: ' + e.message);
    }
  }

  unmount() {}
}
