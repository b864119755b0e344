// The module map (#/): every module as a tile coloured by its health, worst
// first, with a search over module names, owners and the names of their
// topics, groups, jobs, producers and sinks.

import { topology } from './api.js';
import { fill, h, healthPill, nextFrame } from './dom.js';
import { dur, rate } from './format.js';
import { href, markReady, navigate } from './state.js';

const RANK = { critical: 0, warn: 1, unknown: 2, ok: 3 };
const KIND_WORDS = { producer: 'producer', topic: 'topic', group: 'group', job: 'job', sink: 'sink' };

// summarize adds per-module figures from the nodes and edges.
function summarize(topo) {
  const by = new Map(topo.modules.map((m) => [m.name, { ...m, kinds: {}, inRate: 0, hasRate: false, maxLag: undefined, names: [] }]));
  const moduleOf = new Map();
  for (const n of topo.nodes) {
    let m = by.get(n.module);
    if (!m) {
      // A node of a module the summary does not list still shows up.
      m = { name: n.module, health: 'unknown', nodes: 0, kinds: {}, inRate: 0, hasRate: false, names: [] };
      by.set(n.module, m);
    }
    moduleOf.set(n.id, m);
    m.kinds[n.kind] = (m.kinds[n.kind] || 0) + 1;
    m.names.push({ kind: n.kind, name: n.name, lower: (n.name || '').toLowerCase() });
    if (n.kind === 'topic' && n.stats && n.stats.in_rate !== undefined) {
      m.inRate += n.stats.in_rate;
      m.hasRate = true;
    }
  }
  for (const e of topo.edges) {
    const m = moduleOf.get(e.target);
    const l = e.stats && e.stats.lag_seconds;
    if (m && l !== undefined && (m.maxLag === undefined || l > m.maxLag)) m.maxLag = l;
  }
  return [...by.values()];
}

function tile(m, matched) {
  const kinds = Object.entries(KIND_WORDS)
    .filter(([k]) => m.kinds[k])
    .map(([k, w]) => `${m.kinds[k]} ${w}${m.kinds[k] > 1 ? 's' : ''}`)
    .join(' · ');
  return h('a', { class: 'tile h-' + (m.health || 'unknown'), href: href(['module', m.name]), 'data-module': m.name, 'data-health': m.health || 'unknown' },
    h('div', { class: 'tile-head' }, h('span', { class: 'tile-name' }, m.name), healthPill(m.health)),
    h('div', { class: 'muted' }, m.owner || (m.declared === false ? 'inferred from names' : 'no owner')),
    h('div', { class: 'tile-kinds' }, kinds || 'no nodes'),
    h('div', { class: 'tile-figs' },
      m.hasRate ? h('span', null, 'in ', h('b', null, rate(m.inRate))) : null,
      m.maxLag !== undefined ? h('span', null, 'max lag ', h('b', null, dur(m.maxLag))) : null),
    m.health !== 'ok' && m.reason ? h('div', { class: 'tile-reason' }, m.reason) : null,
    matched ? h('div', { class: 'tile-match' }, matched) : null);
}

// MapPage is the mounted module map.
export class MapPage {
  constructor(el, route, app) {
    this.app = app;
    this.navStart = route.t0;
    this.first = true;
    this.modules = [];
    this.filter = route.params.get('health') || '';
    this.sort = 'health';
    this.search = h('input', {
      type: 'search', class: 'search', placeholder: 'Search modules, owners, topics, groups, sinks…  ( / )',
      'aria-label': 'Search modules', value: route.params.get('q') || '',
      oninput: () => this.render(), onkeydown: (ev) => this.onKey(ev),
    });
    this.chips = h('div', { class: 'chips', role: 'group', 'aria-label': 'Filter by health' });
    this.sortSel = h('select', { 'aria-label': 'Sort', onchange: () => { this.sort = this.sortSel.value; this.render(); } },
      h('option', { value: 'health' }, 'worst first'), h('option', { value: 'name' }, 'by name'));
    this.summary = h('p', { class: 'muted summary' });
    this.warn = h('div', { class: 'warnbar', hidden: true });
    this.tiles = h('div', { class: 'tiles' });
    fill(el, h('section', { class: 'map-page' },
      h('div', { class: 'page-head' }, h('h2', null, 'Modules'), this.summary),
      h('div', { class: 'toolbar' }, this.search, this.chips, this.sortSel), this.warn, this.tiles));
    this.onSlash = (ev) => {
      if (ev.key === '/' && document.activeElement !== this.search && !/INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName)) {
        ev.preventDefault();
        this.search.focus();
      }
    };
    document.addEventListener('keydown', this.onSlash);
  }

  onKey(ev) {
    if (ev.key === 'Enter') {
      const first = this.tiles.querySelector('.tile');
      if (first) navigate(['module', first.dataset.module]);
    } else if (ev.key === 'Escape') {
      this.search.value = '';
      this.render();
    }
  }

  async refresh() {
    const topo = await topology({ at: this.app.at() });
    this.modules = summarize(topo);
    this.warn.hidden = !topo.warnings.length;
    this.warn.textContent = topo.warnings.length ? 'Partial data: ' + topo.warnings.join('; ') : '';
    this.render();
    if (this.first) {
      this.first = false;
      await nextFrame();
      markReady('map', this.navStart, { modules: this.modules.length, nodes: topo.nodes.length });
    }
  }

  render() {
    const q = this.search.value.trim().toLowerCase();
    const counts = { all: 0, critical: 0, warn: 0, ok: 0, unknown: 0 };
    const shown = [];
    for (const m of this.modules) {
      let matched = '';
      if (q) {
        const inName = m.name.toLowerCase().includes(q) || (m.owner || '').toLowerCase().includes(q);
        if (!inName) {
          const hits = m.names.filter((n) => n.lower.includes(q));
          if (!hits.length) continue;
          matched = 'matches ' + hits.slice(0, 3).map((n) => `${n.kind} ${n.name}`).join(', ') + (hits.length > 3 ? ` and ${hits.length - 3} more` : '');
        }
      }
      counts.all++;
      counts[m.health in counts ? m.health : 'unknown']++;
      if (this.filter && (m.health || 'unknown') !== this.filter) continue;
      shown.push([m, matched]);
    }
    shown.sort(([a], [b]) => (this.sort === 'health' ? (RANK[a.health] ?? 2) - (RANK[b.health] ?? 2) : 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    fill(this.tiles, ...shown.map(([m, matched]) => tile(m, matched)));
    if (!shown.length) {
      this.tiles.append(h('p', { class: 'empty' }, this.modules.length ? 'No module matches.' : 'No modules yet: pipewatch has not observed or been told about any pipeline module.'));
    }
    fill(this.chips, ...['', 'critical', 'warn', 'ok', 'unknown'].map((f) => h('button', {
      class: 'chip' + (this.filter === f ? ' on' : '') + (f ? ' c-' + f : ''),
      'aria-pressed': this.filter === f ? 'true' : 'false',
      onclick: () => { this.filter = this.filter === f ? '' : f; this.render(); },
    }, `${f || 'all'} ${f ? counts[f] : counts.all}`)));
    const total = this.modules.length;
    this.summary.textContent = `${total} module${total === 1 ? '' : 's'} · ${countBy(this.modules, 'critical')} critical · ${countBy(this.modules, 'warn')} warn`;
  }

  unmount() {
    document.removeEventListener('keydown', this.onSlash);
  }
}

function countBy(modules, health) {
  return modules.filter((m) => m.health === health).length;
}
