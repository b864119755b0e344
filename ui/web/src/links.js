// Links out of the UI: Grafana Explore for a PromQL expression.

import { loadSettings } from './state.js';

// grafanaExploreURL opens expr in Grafana Explore over [start, end] (Date),
// or returns "" when no Grafana base URL is configured. The URL uses the
// "panes" form of Grafana 10 and later.
export function grafanaExploreURL(expr, start, end) {
  const s = loadSettings();
  const base = (s.grafanaURL || '').trim().replace(/\/+$/, '');
  if (!base) return '';
  const uid = (s.grafanaDatasource || '').trim();
  const ds = uid ? { type: 'prometheus', uid } : undefined;
  const panes = {
    pw: {
      datasource: uid || undefined,
      queries: [{ refId: 'A', expr, range: true, datasource: ds }],
      range: { from: String(start.getTime()), to: String(end.getTime()) },
    },
  };
  return `${base}/explore?schemaVersion=1&orgId=1&panes=${encodeURIComponent(JSON.stringify(panes))}`;
}
