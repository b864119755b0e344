// Sparklines: a range-query result drawn as a small SVG line.

import { svg } from './dom.js';
import { dur, num, rate } from './format.js';

// formatValue formats a series value by unit.
export function formatValue(v, unit) {
  if (v === undefined || Number.isNaN(v)) return '–';
  if (unit === 'rate') return rate(v);
  if (unit === 'seconds') return dur(v);
  return num(v);
}

const W = 240, H = 40;

// sparkline draws the series of a range-query result over [start, end]
// (seconds). The first series is drawn in colour, any others in grey.
export function sparkline(result, start, end, color = '#0969da') {
  const series = result.map((s) => s.values.map(([t, v]) => [Number(t), Number(v)]).filter(([, v]) => Number.isFinite(v)));
  let lo = Infinity, hi = -Infinity;
  for (const pts of series) for (const [, v] of pts) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const root = svg('svg', { class: 'spark', viewBox: `0 0 ${W} ${H}`, width: W, height: H, preserveAspectRatio: 'none' });
  if (!Number.isFinite(lo)) {
    root.append(svg('line', { x1: 0, y1: H - 1, x2: W, y2: H - 1, stroke: '#d0d7de', 'stroke-dasharray': '3 3' }));
    return root;
  }
  if (lo > 0 && hi / lo > 1.2) lo = Math.min(lo, 0);
  if (hi === lo) { hi = lo + 1; lo = lo - (lo === 0 ? 0 : 1); }
  const x = (t) => ((t - start) / (end - start || 1)) * W;
  const y = (v) => H - 2 - ((v - lo) / (hi - lo)) * (H - 4);
  series.forEach((pts, i) => {
    if (!pts.length) return;
    // Break the line where samples are missing (gaps over 2.5 steps).
    const step = pts.length > 1 ? (pts[pts.length - 1][0] - pts[0][0]) / (pts.length - 1) : 1;
    let d = '';
    let prev = null;
    for (const [t, v] of pts) {
      d += (prev === null || t - prev > step * 2.5 ? 'M' : 'L') + x(t).toFixed(1) + ',' + y(v).toFixed(1);
      prev = t;
    }
    const c = i === 0 ? color : '#8c959f';
    if (i === 0 && series.length === 1) {
      const first = pts[0], last = pts[pts.length - 1];
      root.append(svg('path', { d: d + `L${x(last[0]).toFixed(1)},${H}L${x(first[0]).toFixed(1)},${H}Z`, fill: c, 'fill-opacity': 0.12, stroke: 'none' }));
    }
    root.append(svg('path', { d, fill: 'none', stroke: c, 'stroke-width': 1.5, 'vector-effect': 'non-scaling-stroke' }));
  });
  return root;
}

// lastValue is the newest value of the first series.
export function lastValue(result) {
  const s = result[0];
  if (!s || !s.values.length) return undefined;
  return Number(s.values[s.values.length - 1][1]);
}

// peak is the largest value of all series.
export function peak(result) {
  let hi;
  for (const s of result) for (const [, v] of s.values) { const n = Number(v); if (Number.isFinite(n) && (hi === undefined || n > hi)) hi = n; }
  return hi;
}
