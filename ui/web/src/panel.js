// The side panel of a selected node or edge: its health and figures,
// sparklines of its key series with links to the query in the API and in
// Grafana Explore, its hops and its firing alerts.

import { queryRange, queryRangeURL } from './api.js';
import { fill, h, healthPill } from './dom.js';
import { ago, dur, num, rate } from './format.js';
import { grafanaExploreURL } from './links.js';
import { edgeSeries, nodeSeries } from './series.js';
import { formatValue, lastValue, sparkline } from './sparkline.js';
import { HEALTH_COLOR } from './graph.js';
import { href } from './state.js';

// The sparkline window and resolution.
const WINDOW_SEC = 30 * 60;
const STEP_SEC = 15;

const STAT_FORMAT = {
  in_rate: ['produced', rate],
  rate: ['consumed', rate],
  lag: ['lag (records)', num],
  lag_before: ['lag 2 min earlier', num],
  lag_seconds: ['lag (time)', dur],
  partitions: ['partitions', num],
  members: ['members', num],
};

function statRows(stats) {
  if (!stats) return [];
  return Object.keys(stats)
    .sort()
    .map((k) => {
      const [label, f] = STAT_FORMAT[k] || [k.replace(/_/g, ' '), num];
      return h('tr', null, h('th', null, label), h('td', null, f(stats[k])));
    });
}

// alertsFor returns the Alertmanager alerts that belong to a node or hop:
// those whose hop label names it, and those whose consumergroup or topic
// labels name the node, or the group and topic of a consume hop (in the
// same cluster, when both say one).
export function alertsFor(sel, item, alerts, graph) {
  if (!alerts) return [];
  const sameCluster = (l, n) => !l.cluster || !n.cluster || l.cluster === n.cluster;
  return alerts.filter((a) => {
    const l = a.labels || {};
    if (l.hop === item.id) return true;
    if (sel.type === 'node') {
      if (!sameCluster(l, item)) return false;
      if (item.kind === 'group') return l.consumergroup === item.name;
      if (item.kind === 'topic') return !l.consumergroup && l.topic === item.name;
      return false;
    }
    const s = graph.nodeByID.get(item.source), t = graph.nodeByID.get(item.target);
    if (!s || !t || s.kind !== 'topic' || t.kind !== 'group' || !sameCluster(l, t)) return false;
    return l.consumergroup === t.name && (!l.topic || l.topic === s.name);
  });
}

// Panel renders into an <aside>. ctx supplies the time range, the last
// Alertmanager alerts and navigation: {range(), alerts(), select(sel),
// moduleLink}.
export class Panel {
  constructor(el, ctx) {
    this.el = el;
    this.ctx = ctx;
    this.sel = null;
    this.token = 0;
  }

  // show renders sel ({type, id}) from graph; it hides the panel when the
  // element is not in the graph.
  show(sel, graph) {
    const same = this.sel && sel && this.sel.type === sel.type && this.sel.id === sel.id;
    this.sel = sel;
    const item = sel && (sel.type === 'edge' ? graph.edgeByID.get(sel.id) : graph.nodeByID.get(sel.id));
    if (!item) {
      this.hide();
      return false;
    }
    // A refresh of the same selection keeps the drawn sparklines and the
    // scroll position until the new series arrive.
    const oldSeries = same ? this.el.querySelector('.series') : null;
    const scroll = this.el.scrollTop;
    this.el.hidden = false;
    fill(this.el, ...this.render(sel, item, graph));
    if (oldSeries) {
      this.el.querySelector('.series').replaceWith(oldSeries);
      this.el.scrollTop = scroll;
    }
    this.loadSeries(sel.type === 'edge' ? edgeSeries(item, graph) : nodeSeries(item, graph));
    return true;
  }

  hide() {
    this.sel = null;
    this.token++;
    this.el.hidden = true;
    fill(this.el);
  }

  render(sel, item, graph) {
    const close = h('button', { class: 'close', title: 'Close', 'aria-label': 'Close', onclick: () => this.ctx.select(null) }, '×');
    const parts = [close];
    if (sel.type === 'node') {
      parts.push(
        h('div', { class: 'kind' }, item.kind + (item.cluster ? ' · cluster ' + item.cluster : '')),
        h('h3', { class: 'name' }, item.name || item.id),
        h('p', null, healthPill(item.health), ' ', item.reason || ''),
      );
      if (item.status) parts.push(h('p', null, 'consumer status ', h('b', null, item.status)));
      parts.push(h('p', { class: 'muted' }, sourceText(item.declared, item.observed), ' · module ', h('a', { href: href(['module', item.module], { node: item.id }) }, item.module)));
    } else {
      const s = graph.nodeByID.get(item.source), t = graph.nodeByID.get(item.target);
      parts.push(
        h('div', { class: 'kind' }, 'hop · ' + (item.state || 'observed')),
        h('h3', { class: 'name' }, nodeLink(s, item.source, this.ctx), ' → ', nodeLink(t, item.target, this.ctx)),
        h('p', null, healthPill(item.health), ' ', item.reason || ''),
      );
      if (item.sources && item.sources.length) parts.push(h('p', { class: 'muted' }, 'seen by ' + item.sources.join(', ')));
    }
    const rows = statRows(item.stats);
    if (rows.length) parts.push(h('table', { class: 'stats' }, rows));

    parts.push(this.renderAlerts(sel, item, graph));
    parts.push(h('h4', null, 'Series, last 30 min'), h('div', { class: 'series' }, h('p', { class: 'muted' }, 'loading…')));

    if (sel.type === 'node') {
      const hops = graph.edges.filter((e) => e.source === item.id || e.target === item.id);
      if (hops.length) {
        parts.push(
          h('h4', null, 'Hops'),
          h('ul', { class: 'hoplist' }, hops.map((e) => {
            const other = e.source === item.id ? e.target : e.source;
            const o = graph.nodeByID.get(other);
            return h('li', null,
              h('span', { class: 'dot', style: 'background:' + (HEALTH_COLOR[e.health] || HEALTH_COLOR.unknown) }),
              e.source === item.id ? '→ ' : '← ',
              h('a', { href: '#', onclick: (ev) => { ev.preventDefault(); this.ctx.select({ type: 'edge', id: e.id }); } }, o ? o.name : other),
              e.reason ? h('span', { class: 'muted' }, ' ' + e.reason) : null);
          })),
        );
      }
    }
    return parts;
  }

  renderAlerts(sel, item, graph) {
    const box = h('div', { class: 'alerts' }, h('h4', null, 'Firing alerts'));
    const am = this.ctx.alerts();
    const matched = am.list ? alertsFor(sel, item, am.list, graph) : [];
    const names = new Set(matched.map((a) => a.labels.alertname));
    const fromGraph = (item.alerts || []).filter((n) => !names.has(n));
    if (!matched.length && !fromGraph.length) {
      box.append(h('p', { class: 'muted' }, 'none'));
    }
    for (const a of matched) {
      const state = (a.status && a.status.state) || 'active';
      box.append(h('div', { class: 'alert-item' },
        h('b', null, a.labels.alertname), ' ',
        a.labels.severity ? h('span', { class: 'sev sev-' + a.labels.severity }, a.labels.severity) : null, ' ',
        state !== 'active' ? h('span', { class: 'pill h-unknown' }, state) : null,
        h('div', { class: 'muted' }, (a.annotations && (a.annotations.summary || a.annotations.description)) || ''),
        h('div', { class: 'muted' }, 'since ', ago(a.startsAt), ' · ',
          h('a', { href: href(['alerts'], { silence: a.fingerprint }) }, 'silence…'))));
    }
    for (const n of fromGraph) box.append(h('div', { class: 'alert-item' }, h('b', null, n), h('span', { class: 'muted' }, ' (ALERTS series)')));
    if (am.error && am.error.status !== 404) box.append(h('p', { class: 'muted' }, 'alert details unavailable: ' + am.error.message));
    return box;
  }

  async loadSeries(defs) {
    const token = ++this.token;
    const { start, end } = this.ctx.range(WINDOW_SEC);
    const results = await Promise.all(defs.map((d) => queryRange(d.expr, start, end, STEP_SEC).then((r) => ({ r }), (err) => ({ err }))));
    if (token !== this.token) return;
    const box = this.el.querySelector('.series');
    if (!box) return;
    if (!defs.length) {
      fill(box, h('p', { class: 'muted' }, 'no series for this kind of node'));
      return;
    }
    fill(box, ...defs.map((d, i) => {
      const { r, err } = results[i];
      const explore = grafanaExploreURL(d.expr, start, end);
      return h('div', { class: 'serie' },
        h('div', { class: 'serie-head' },
          h('span', null, d.title),
          h('b', null, err ? '' : formatValue(lastValue(r), d.unit))),
        err ? h('p', { class: 'error' }, err.message) : sparkline(r, start.getTime() / 1000, end.getTime() / 1000),
        h('div', { class: 'serie-links' },
          h('code', { class: 'promql', title: 'PromQL' }, d.expr),
          h('a', { href: queryRangeURL(d.expr, start, end, STEP_SEC), target: '_blank', rel: 'noopener' }, 'API'),
          explore
            ? h('a', { href: explore, target: '_blank', rel: 'noopener' }, 'Explore')
            : h('a', { href: href(['settings']), title: 'Set the Grafana URL to link to Explore' }, 'Grafana…')));
    }));
  }
}

function sourceText(declared, observed) {
  if (declared && observed) return 'declared and observed';
  if (observed) return 'observed';
  if (declared) return 'declared, not seen';
  return '';
}

function nodeLink(n, id, ctx) {
  return h('a', { href: '#', onclick: (ev) => { ev.preventDefault(); ctx.select({ type: 'node', id }); } }, n ? n.name : id);
}
