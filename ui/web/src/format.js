// Number, duration and time formatting shared by every view.

const SI = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

// trim drops trailing zeros after a decimal point: 1.50 → 1.5, 2.00 → 2.
function trim(s) {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

// num formats a count compactly: 950, 1.2k, 34k, 5.6M.
export function num(v) {
  if (v === undefined || v === null || Number.isNaN(v)) return '–';
  const a = Math.abs(v);
  for (const [f, s] of SI) {
    if (a >= f) {
      const x = v / f;
      return trim(Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2)) + s;
    }
  }
  if (a === 0) return '0';
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return trim(v.toFixed(1));
  return trim(v.toPrecision(2));
}

// rate formats a per-second rate.
export function rate(v) {
  return v === undefined ? '–' : num(v) + '/s';
}

// dur formats seconds as 45s, 12m 5s, 3h 20m or 2d 4h.
export function dur(sec) {
  if (sec === undefined || sec === null || Number.isNaN(sec)) return '–';
  if (sec < 0) return '-' + dur(-sec);
  if (sec < 1) return sec === 0 ? '0s' : trim(sec.toFixed(2)) + 's';
  const s = Math.round(sec);
  if (s < 60) return s + 's';
  const m = Math.floor(s / 60);
  if (m < 60) return m + 'm' + (s % 60 ? ' ' + (s % 60) + 's' : '');
  const h = Math.floor(m / 60);
  if (h < 48) return h + 'h' + (m % 60 ? ' ' + (m % 60) + 'm' : '');
  const d = Math.floor(h / 24);
  return d + 'd' + (h % 24 ? ' ' + (h % 24) + 'h' : '');
}

// ago formats how long before now a time was.
export function ago(t, now = Date.now()) {
  const ms = now - new Date(t).getTime();
  return Number.isFinite(ms) ? dur(Math.max(0, ms / 1000)) + ' ago' : '';
}

// localTime formats a time for display in the viewer's zone.
export function localTime(t) {
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

// toLocalInput turns a Date into the value of an <input type=datetime-local>.
export function toLocalInput(d) {
  return localTime(d).replace(' ', 'T');
}

// edgeLabel is the text drawn on an edge: rate, lag in records and time.
export function edgeLabel(stats) {
  if (!stats) return '';
  const parts = [];
  if (stats.rate !== undefined) parts.push(rate(stats.rate));
  if (stats.lag !== undefined) parts.push('lag ' + num(stats.lag));
  if (stats.lag_seconds !== undefined && (stats.lag_seconds >= 1 || stats.lag > 0)) parts.push(dur(stats.lag_seconds));
  return parts.join(' · ');
}
