// The graph pages: one module's data flow (#/module/<name>) and every
// module at once (#/graph). Both draw a FlowGraph with a side panel and
// list the hops as a table, worst first, so the stuck hop can also be read
// without the picture.

import { topology } from './api.js';
import { fill, h, healthPill, nextFrame } from './dom.js';
import { dur, num, rate } from './format.js';
import { FlowGraph, HEALTH_COLOR } from './graph.js';
import { Panel } from './panel.js';
import { hooks, href, markReady, navigate } from './state.js';

const RANK = { critical: 0, warn: 1, unknown: 2, ok: 3 };

function byHealth(a, b) {
  return (RANK[a.health] ?? 2) - (RANK[b.health] ?? 2) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function legend() {
  const kinds = [['producer', 'producer'], ['topic', 'topic'], ['group', 'consumer group'], ['job', 'stream job'], ['sink', 'sink']];
  return h('div', { class: 'legend' },
    kinds.map(([k, label]) => h('span', { class: 'lg' }, h('i', { class: 'shape s-' + k }), label)),
    h('span', { class: 'lg' }, h('i', { class: 'line' }), 'observed'),
    h('span', { class: 'lg' }, h('i', { class: 'line dashed' }), 'declared, not seen'),
    ['ok', 'warn', 'critical', 'unknown'].map((x) => h('span', { class: 'lg' }, h('i', { class: 'dot', style: 'background:' + HEALTH_COLOR[x] }), x)));
}

// GraphPage is a mounted graph page. mode is "module" or "all".
export class GraphPage {
  constructor(el, route, app, mode) {
    this.el = el;
    this.app = app;
    this.mode = mode;
    this.module = mode === 'module' ? route.path[1] || '' : '';
    this.navStart = route.t0;
    this.first = true;
    this.graph = null;
    this.sel = selFromRoute(route);

    this.head = h('div', { class: 'page-head' });
    this.warn = h('div', { class: 'warnbar', hidden: true });
    this.cyEl = h('div', { class: 'cy', tabindex: 0, 'aria-label': 'data-flow graph' });
    this.panelEl = h('aside', { class: 'panel', hidden: true });
    this.tableBox = h('div', { class: 'hops-box' });
    fill(el, h('section', { class: 'graph-page' }, this.head, legend(), this.warn,
      h('div', { class: 'graph-wrap' }, this.cyEl, this.panelEl), this.tableBox));

    this.flow = new FlowGraph(this.cyEl, {
      compound: mode === 'all',
      cacheKey: mode === 'all' ? 'all' : 'module.' + this.module,
      onSelect: (sel) => this.selectAndRoute(sel),
      onOpenModule: (m) => navigate(['module', m]),
    });
    this.panel = new Panel(this.panelEl, {
      range: (sec) => app.range(sec),
      alerts: () => app.alerts,
      select: (sel) => this.selectAndRoute(sel),
    });
    this.onResize = () => this.flow.resize();
    window.addEventListener('resize', this.onResize);
  }

  // selectAndRoute records a selection in the URL; update then shows it.
  selectAndRoute(sel) {
    const params = {};
    if (sel) params[sel.type] = sel.id;
    const path = this.mode === 'module' ? ['module', this.module] : ['graph'];
    const next = href(path, params);
    if (location.hash !== next) history.replaceState(null, '', next);
    this.applySelection(sel);
  }

  applySelection(sel) {
    this.sel = sel;
    this.flow.select(sel && sel.id);
    for (const tr of this.tableBox.querySelectorAll('tr.sel')) tr.classList.remove('sel');
    if (sel && sel.type === 'edge') {
      const tr = this.tableBox.querySelector(`tr[data-edge-id="${CSS.escape(sel.id)}"]`);
      if (tr) tr.classList.add('sel');
    }
    if (!sel || !this.graph || !this.panel.show(sel, this.graph)) this.panel.hide();
    this.flow.resize();
    if (sel) this.flow.reveal(sel.id);
  }

  // update follows a route change within the same page (a selection).
  update(route) {
    const sel = selFromRoute(route);
    if ((sel && sel.id) !== (this.sel && this.sel.id)) this.applySelection(sel);
  }

  async refresh() {
    const topo = await topology({ module: this.module, at: this.app.at() });
    if (this.dead) return;
    this.graph = indexGraph(topo);
    hooks.topology = { nodes: topo.nodes.length, edges: topo.edges.length };
    this.renderHead(topo);
    this.warn.hidden = !topo.warnings.length;
    this.warn.textContent = topo.warnings.length ? 'Partial data: ' + topo.warnings.join('; ') : '';
    // Cytoscape caches where its canvas is on the page; when the lines
    // above it change height (a worst hop appears), it must look again or
    // clicks land beside their target.
    const top = this.cyEl.getBoundingClientRect().top + window.scrollY;
    if (this.canvasTop !== undefined && top !== this.canvasTop) this.flow.resize();
    this.canvasTop = top;
    if (this.mode === 'module' && !topo.nodes.length) {
      this.flow.destroy();
      fill(this.cyEl, h('p', { class: 'empty' }, `No nodes in module "${this.module}" at this time.`));
    }
    // A selection from the URL opens the panel before the first layout,
    // so the graph is fitted to the room left beside it.
    if (this.first && this.sel && !this.panel.show(this.sel, this.graph)) this.panel.hide();
    const empty = this.cyEl.querySelector(':scope > .empty');
    if (empty && topo.nodes.length) empty.remove();
    const t0 = performance.now();
    const res = topo.nodes.length ? this.flow.setData(topo) : { layout: 'none', elements: 0 };
    hooks.cy = this.flow.cy;
    this.renderTable(topo);
    if (this.sel) {
      this.flow.select(this.sel.id);
      if (!this.first && !this.panel.show(this.sel, this.graph)) this.panel.hide();
    }
    if (this.first) {
      this.first = false;
      await nextFrame();
      markReady(this.mode === 'module' ? 'module' : 'graph', this.navStart, {
        layout: res.layout,
        elements: res.elements,
        nodes: topo.nodes.length,
        drawMs: Math.round(performance.now() - t0),
        phase: res.phase,
      });
    }
  }

  renderHead(topo) {
    if (this.mode === 'module') {
      const m = topo.modules.find((x) => x.name === this.module) || { name: this.module, health: 'unknown' };
      const worst = m.worst_hop ? this.graph.edgeByID.get(m.worst_hop) || this.graph.nodeByID.get(m.worst_hop) : null;
      fill(this.head, 
        h('div', { class: 'crumbs' }, h('a', { href: href([]) }, 'Modules'), ' / '),
        h('h2', { 'data-module-title': m.name }, m.name, ' ', healthPill(m.health)),
        h('p', { class: 'muted' },
          m.owner ? ['owner ', h('b', null, m.owner), ' · '] : null,
          `${topo.nodes.length} nodes, ${topo.edges.length} hops`,
          m.declared === false ? ' · inferred from names' : ''),
        m.health !== 'ok' && m.reason
          ? h('p', { class: 'worst h-text-' + m.health }, 'Worst hop: ',
            worst ? h('a', { href: '#', onclick: (ev) => { ev.preventDefault(); this.selectAndRoute({ type: this.graph.edgeByID.has(m.worst_hop) ? 'edge' : 'node', id: m.worst_hop }); } }, hopName(m.worst_hop, this.graph)) : m.worst_hop || '',
            ' — ', m.reason)
          : null,
      );
    } else {
      const counts = { critical: 0, warn: 0 };
      for (const m of topo.modules) if (m.health in counts) counts[m.health]++;
      fill(this.head, 
        h('h2', null, 'All flows'),
        h('p', { class: 'muted' }, `${topo.modules.length} modules, ${topo.nodes.length} nodes, ${topo.edges.length} hops · `,
          h('span', { class: 'h-text-critical' }, `${counts.critical} critical`), ' · ',
          h('span', { class: 'h-text-warn' }, `${counts.warn} warn`),
          ' · click a node for details, a module box to open it'),
      );
    }
  }

  renderTable(topo) {
    const g = this.graph;
    let edges = topo.edges.filter((e) => g.nodeByID.has(e.source) && g.nodeByID.has(e.target));
    const all = this.mode === 'module';
    if (!all) edges = edges.filter((e) => e.health === 'critical' || e.health === 'warn');
    edges.sort(byHealth);
    const shown = edges.slice(0, 500);
    const rows = shown.map((e) => {
      const s = g.nodeByID.get(e.source), t = g.nodeByID.get(e.target);
      const st = e.stats || {};
      return h('tr', {
        'data-edge-id': e.id, 'data-health': e.health, 'data-source': e.source, 'data-target': e.target,
        class: this.sel && this.sel.id === e.id ? 'sel' : null,
        onclick: () => this.selectAndRoute({ type: 'edge', id: e.id }),
      },
      h('td', null, healthPill(e.health)),
      all ? null : h('td', null, h('a', { href: href(['module', s.module], { edge: e.id }) }, s.module)),
      h('td', null, s.name, h('span', { class: 'muted' }, ' ' + s.kind)),
      h('td', null, t.name, h('span', { class: 'muted' }, ' ' + t.kind)),
      h('td', null, e.state),
      h('td', { class: 'num' }, st.rate !== undefined ? rate(st.rate) : ''),
      h('td', { class: 'num' }, st.lag !== undefined ? num(st.lag) : ''),
      h('td', { class: 'num' }, st.lag_seconds !== undefined ? dur(st.lag_seconds) : ''),
      h('td', null, e.reason || ''));
    });
    const title = all ? 'Hops' : `Problem hops (${edges.length})`;
    fill(this.tableBox, 
      h('h3', null, title),
      rows.length
        ? h('table', { class: 'hops' },
          h('thead', null, h('tr', null, h('th', null, 'health'), all ? null : h('th', null, 'module'), h('th', null, 'from'), h('th', null, 'to'),
            h('th', null, 'state'), h('th', { class: 'num' }, 'rate'), h('th', { class: 'num' }, 'lag'), h('th', { class: 'num' }, 'lag time'), h('th', null, 'reason'))),
          h('tbody', null, rows))
        : h('p', { class: 'muted' }, all ? 'no hops' : 'none: every hop is ok or not yet seen'),
      edges.length > shown.length ? h('p', { class: 'muted' }, `${edges.length - shown.length} more not shown`) : null);
  }

  unmount() {
    this.dead = true;
    window.removeEventListener('resize', this.onResize);
    this.flow.destroy();
    hooks.cy = null;
  }
}

function selFromRoute(route) {
  const p = route.params;
  if (p.get('edge')) return { type: 'edge', id: p.get('edge') };
  if (p.get('node')) return { type: 'node', id: p.get('node') };
  // Alert links name the hop, which is a node or an edge ID.
  if (p.get('hop')) return { type: p.get('hop').includes('->') ? 'edge' : 'node', id: p.get('hop') };
  return null;
}

function hopName(id, g) {
  const e = g.edgeByID.get(id);
  if (e) return `${(g.nodeByID.get(e.source) || { name: e.source }).name} → ${(g.nodeByID.get(e.target) || { name: e.target }).name}`;
  const n = g.nodeByID.get(id);
  return n ? n.name : id;
}

// indexGraph adds ID lookups to a topology.
export function indexGraph(topo) {
  return {
    ...topo,
    nodeByID: new Map(topo.nodes.map((n) => [n.id, n])),
    edgeByID: new Map(topo.edges.map((e) => [e.id, e])),
  };
}
