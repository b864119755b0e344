// Settings kept in localStorage, the hash router, and the hooks that the
// end-to-end and performance scripts read.

const SETTINGS_KEY = 'pipewatch.settings';

// REFRESH_CHOICES are the live refresh intervals offered, in seconds; the
// issue asks for live refresh every 5 s or faster.
export const REFRESH_CHOICES = [1, 2, 5];

const DEFAULTS = {
  grafanaURL: '',
  grafanaDatasource: 'pipewatch',
  refresh: 5,
  silenceAuthor: '',
};

// loadSettings returns the stored settings merged over the defaults.
export function loadSettings() {
  try {
    const s = JSON.parse(localStorage.getItem(SETTINGS_KEY) || '{}');
    const out = { ...DEFAULTS, ...s };
    if (!REFRESH_CHOICES.includes(out.refresh)) out.refresh = DEFAULTS.refresh;
    return out;
  } catch {
    return { ...DEFAULTS };
  }
}

// saveSettings stores changed settings and returns the result.
export function saveSettings(patch) {
  const s = { ...loadSettings(), ...patch };
  try {
    localStorage.setItem(SETTINGS_KEY, JSON.stringify(s));
  } catch {
    // Storage full or disabled: the settings last for this page only.
  }
  return s;
}

// parseRoute splits location.hash ("#/module/x?at=...&node=...") into
// path segments and parameters.
export function parseRoute(hash = location.hash) {
  const raw = hash.replace(/^#\/?/, '');
  const qi = raw.indexOf('?');
  const path = (qi < 0 ? raw : raw.slice(0, qi)).split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(qi < 0 ? '' : raw.slice(qi + 1));
  return { path, params, view: path[0] || 'map' };
}

// href builds a hash link; the time (at) of the current route is kept
// unless params says otherwise.
export function href(path, params = {}, keepAt = true) {
  const cur = parseRoute();
  const q = new URLSearchParams();
  if (keepAt && cur.params.get('at') && !('at' in params)) q.set('at', cur.params.get('at'));
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const p = path.map(encodeURIComponent).join('/');
  return '#/' + p + (q.size ? '?' + q : '');
}

// navigate changes the route.
export function navigate(path, params, keepAt) {
  location.hash = href(path, params, keepAt);
}

// hooks is what the browser tests read: timings of views becoming ready
// and the current graph. It is plain data; the app never reads it back.
export const hooks = { timings: [], cy: null, view: '', errors: [] };

// markReady records that a view finished rendering, with how long it took
// since its navigation started.
export function markReady(view, since, extra = {}) {
  const t = performance.now();
  const entry = { view, ms: Math.round((t - since) * 10) / 10, at: Math.round(t * 10) / 10, ...extra };
  hooks.timings.push(entry);
  if (hooks.timings.length > 200) hooks.timings.shift();
  document.dispatchEvent(new CustomEvent('pipewatch:ready', { detail: entry }));
  return entry;
}
