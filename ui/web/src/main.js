// pipewatch web UI: the header (navigation, time picker, live refresh),
// the hash router that mounts one page at a time, and the refresh loop.
//
// Pages: #/ module map · #/module/<name> one module's data flow ·
// #/graph every module · #/alerts alerts and silences · #/settings.
// Every page takes ?at=<RFC 3339> to show the past; graph pages take
// ?node=<id>, ?edge=<id> or ?hop=<id> to open a node's or hop's panel.

import './style.css';
import { alerts as fetchAlerts } from './api.js';
import { AlertsPage } from './alertsview.js';
import { fill, h } from './dom.js';
import { localTime, toLocalInput } from './format.js';
import { GraphPage } from './graphpage.js';
import { MapPage } from './mapview.js';
import { SettingsPage } from './settingsview.js';
import { REFRESH_CHOICES, hooks, href, loadSettings, navigate, parseRoute, saveSettings } from './state.js';

const PAGES = {
  map: (el, r, app) => new MapPage(el, r, app),
  module: (el, r, app) => new GraphPage(el, r, app, 'module'),
  graph: (el, r, app) => new GraphPage(el, r, app, 'all'),
  alerts: (el, r, app) => new AlertsPage(el, r, app),
  settings: (el, r, app) => new SettingsPage(el, r, app),
};

const view = document.getElementById('view');
const statusEl = document.getElementById('status');
const atInput = document.getElementById('at');
const liveBtn = document.getElementById('live');
const refreshSel = document.getElementById('refresh');
const alertCount = document.getElementById('alert-count');
const pageError = document.getElementById('page-error');

let page = null;
let pageKey = '';
let pageAt = '';
let timer = 0;
let seq = 0;
let lastOK = 0;

// app is what pages use of the shell.
const app = {
  // at is the time shown (RFC 3339) or "" for live.
  at: () => parseRoute().params.get('at') || '',
  // range is the window of sec seconds ending at the shown time.
  range(sec) {
    const at = app.at();
    const end = at ? new Date(at) : new Date();
    return { start: new Date(end.getTime() - sec * 1000), end };
  },
  // alerts holds the last Alertmanager alerts (list) or the error.
  alerts: { list: null, error: null },
  refreshNow: () => tick(),
  settingsChanged: () => setupRefresh(),
};
hooks.app = app;

window.addEventListener('error', (ev) => hooks.errors.push(String(ev.message)));
window.addEventListener('unhandledrejection', (ev) => hooks.errors.push(String(ev.reason && ev.reason.message ? ev.reason.message : ev.reason)));

function setStatus(text, kind) {
  statusEl.textContent = text;
  statusEl.className = 'status ' + (kind || '');
}

async function loadAlerts() {
  try {
    const list = await fetchAlerts();
    app.alerts = { list: Array.isArray(list) ? list : [], error: null };
    const active = app.alerts.list.filter((a) => !a.status || a.status.state === 'active').length;
    alertCount.textContent = active ? String(active) : '';
    alertCount.hidden = !active;
  } catch (e) {
    app.alerts = { list: null, error: e };
    alertCount.hidden = true;
  }
}

// tick refreshes the page (and the alerts), then schedules the next tick
// while live.
async function tick() {
  clearTimeout(timer);
  const my = ++seq;
  const current = page;
  if (!current) return;
  const at = app.at();
  try {
    // The panel shows alert details, so alerts load first on the first
    // tick of a page and alongside the page afterwards.
    const firstAlerts = app.alerts.list === null && app.alerts.error === null;
    if (firstAlerts) await loadAlerts();
    await Promise.all([current.refresh(), at || firstAlerts ? null : loadAlerts()]);
    lastOK = Date.now();
    pageError.hidden = true;
    if (my === seq) setStatus(at ? `showing ${localTime(at)}` : `live · every ${loadSettings().refresh} s · updated ${localTime(lastOK).slice(11)}`, at ? 'past' : 'live');
  } catch (e) {
    if (my === seq) {
      setStatus('update failed' + (lastOK ? ` · last update ${localTime(lastOK).slice(11)}` : ''), 'error');
      pageError.hidden = false;
      pageError.textContent = 'Cannot load this page: ' + e.message + (at ? '' : `. Retrying every ${loadSettings().refresh} s.`);
    }
    hooks.lastError = e.message;
  }
  if (my !== seq || page !== current || at) return;
  timer = setTimeout(() => {
    if (document.hidden) return; // visibilitychange resumes
    tick();
  }, loadSettings().refresh * 1000);
}

document.addEventListener('visibilitychange', () => {
  if (!document.hidden && !app.at()) tick();
});

function route() {
  const r = parseRoute();
  r.t0 = page ? performance.now() : 0; // first page: since navigation start
  const factory = PAGES[r.view];
  if (!factory) {
    navigate([]);
    return;
  }
  const key = r.view === 'module' ? 'module:' + (r.path[1] || '') : r.view;
  const at = r.params.get('at') || '';
  syncTime(at);
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('on', a.dataset.nav === r.view);
  if (page && key === pageKey) {
    if (page.update) page.update(r);
    if (at !== pageAt) {
      pageAt = at;
      tick();
    }
    return;
  }
  if (page) page.unmount();
  clearTimeout(timer);
  pageKey = key;
  pageAt = at;
  hooks.view = r.view;
  pageError.hidden = true;
  page = factory(view, r, app);
  tick();
}

// The time picker.

function syncTime(at) {
  atInput.value = at ? toLocalInput(new Date(at)) : '';
  liveBtn.classList.toggle('on', !at);
  liveBtn.setAttribute('aria-pressed', at ? 'false' : 'true');
  document.body.classList.toggle('past', !!at);
}

function setAt(date) {
  const r = parseRoute();
  const params = Object.fromEntries(r.params);
  if (date) params.at = date.toISOString().replace(/\.\d{3}Z$/, 'Z');
  else delete params.at;
  location.hash = href(r.path, params, false);
}

atInput.addEventListener('change', () => {
  if (!atInput.value) return setAt(null);
  const d = new Date(atInput.value);
  if (!Number.isNaN(d.getTime())) setAt(d.getTime() >= Date.now() ? null : d);
});
liveBtn.addEventListener('click', () => setAt(null));
for (const b of document.querySelectorAll('[data-shift]')) {
  b.addEventListener('click', () => {
    const at = app.at();
    const base = at ? new Date(at) : new Date();
    const d = new Date(base.getTime() + Number(b.dataset.shift) * 1000);
    setAt(d.getTime() >= Date.now() ? null : d);
  });
}

function setupRefresh() {
  const s = loadSettings();
  fill(refreshSel, ...REFRESH_CHOICES.map((r) => h('option', { value: r, selected: r === s.refresh ? true : null }, `every ${r} s`)));
}
refreshSel.addEventListener('change', () => {
  saveSettings({ refresh: Number(refreshSel.value) });
  tick();
});
setupRefresh();

window.pipewatch = hooks;
window.addEventListener('hashchange', route);
route();
