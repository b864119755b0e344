// FlowGraph draws a topology graph with Cytoscape.js: nodes shaped by kind
// and coloured by health, edges labelled with rate and lag. Live updates
// change data in place; the layout is only recomputed when the set of
// nodes changes, and is cached in localStorage.

import cytoscape from 'cytoscape';
import { NODE_SIZE, byModule, cachedPositions, layered, storePositions } from './layout.js';
import { edgeLabel, rate } from './format.js';

// HEALTH_COLOR are the colours of the health states (also in style.css).
export const HEALTH_COLOR = { ok: '#1a7f37', warn: '#bf8700', critical: '#cf222e', unknown: '#8c959f' };
const HEALTH_FILL = { ok: '#ffffff', warn: '#fff8e1', critical: '#ffebe9', unknown: '#f6f8fa' };

const SHAPE = { producer: 'round-rectangle', topic: 'rectangle', group: 'ellipse', job: 'hexagon', sink: 'barrel' };

// Above this many elements the graph trades detail for speed while
// panning and zooming.
const LARGE = 600;

function style(large) {
  const s = [
    {
      selector: 'node',
      style: {
        'z-index-compare': 'manual',
        'z-index': 2,
        'text-events': 'yes',
        label: 'data(label)',
        'font-size': 11,
        'font-family': 'system-ui, sans-serif',
        color: '#1d2330',
        'text-valign': 'bottom',
        'text-halign': 'center',
        'text-margin-y': 4,
        'text-wrap': 'ellipsis',
        'text-max-width': 150,
        'min-zoomed-font-size': large ? 9 : 0,
        width: 'data(w)',
        height: 'data(h)',
        shape: 'data(shape)',
        'background-color': 'data(fill)',
        'border-width': 3,
        'border-color': 'data(color)',
      },
    },
    {
      selector: 'node.declared-only',
      style: { 'border-style': 'dashed' },
    },
    {
      // Module boxes of the all-modules graph: plain nodes drawn behind
      // their members (compound nodes cost seconds on thousands of nodes).
      selector: 'node.module-box',
      style: {
        label: 'data(label)',
        shape: 'round-rectangle',
        'text-valign': 'top',
        'text-halign': 'center',
        'text-margin-y': -3,
        'font-size': 14,
        'font-weight': 'bold',
        'text-max-width': 600,
        'min-zoomed-font-size': 0,
        'background-color': 'data(fill)',
        'background-opacity': 0.35,
        'border-width': 2,
        'border-color': 'data(color)',
        'z-index': 0,
      },
    },
    {
      selector: 'edge',
      style: {
        'z-index-compare': 'manual',
        'z-index': 1,
        // A click on the rate/lag label selects the hop.
        'text-events': 'yes',
        width: 2,
        'curve-style': large ? 'straight' : 'bezier',
        'line-color': 'data(color)',
        'target-arrow-color': 'data(color)',
        'target-arrow-shape': 'triangle',
        'arrow-scale': 0.9,
        label: 'data(label)',
        'font-size': 10,
        'font-family': 'system-ui, sans-serif',
        'text-background-color': '#ffffff',
        'text-background-opacity': 0.9,
        'text-background-padding': 2,
        'min-zoomed-font-size': large ? 9 : 0,
      },
    },
    { selector: 'edge[state = "declared"]', style: { 'line-style': 'dashed', 'line-dash-pattern': [6, 4] } },
    { selector: 'edge[state = "observed"]', style: { 'line-style': 'solid' } },
    { selector: 'edge[health = "critical"]', style: { width: 5, 'font-weight': 'bold', color: HEALTH_COLOR.critical } },
    { selector: 'edge[health = "warn"]', style: { width: 3.5 } },
    {
      selector: ':selected',
      style: { 'overlay-color': '#0969da', 'overlay-opacity': 0.18, 'overlay-padding': 6 },
    },
    { selector: '.faded', style: { opacity: 0.25 } },
  ];
  return s;
}

function nodeData(n) {
  const [w, h] = NODE_SIZE[n.kind] || [34, 34];
  const health = n.health || 'unknown';
  const d = {
    id: n.id,
    label: n.name || n.id,
    kind: n.kind,
    health,
    color: HEALTH_COLOR[health] || HEALTH_COLOR.unknown,
    fill: HEALTH_FILL[health] || HEALTH_FILL.unknown,
    shape: SHAPE[n.kind] || 'ellipse',
    w,
    h,
  };
  if (n.module) d.module = n.module;
  return d;
}

function edgeData(e, topicRate) {
  const health = e.health || 'unknown';
  let label = edgeLabel(e.stats);
  // A producer edge has no stats of its own; when it is the topic's only
  // writer its rate is the topic's.
  if (!label && topicRate.has(e.target)) label = topicRate.get(e.target);
  return {
    id: e.id,
    source: e.source,
    target: e.target,
    state: e.state || 'observed',
    health,
    label,
    color: HEALTH_COLOR[health] || HEALTH_COLOR.unknown,
  };
}

// topicRates maps each topic written by exactly one producer edge to its
// in-rate label.
function topicRates(nodes, edges) {
  const byID = new Map(nodes.map((n) => [n.id, n]));
  const writers = new Map();
  for (const e of edges) {
    const t = byID.get(e.target);
    const s = byID.get(e.source);
    if (t && s && t.kind === 'topic' && s.kind === 'producer') writers.set(e.target, (writers.get(e.target) || 0) + 1);
  }
  const out = new Map();
  for (const [id, count] of writers) {
    const r = byID.get(id).stats && byID.get(id).stats.in_rate;
    if (count === 1 && r !== undefined) out.set(id, rate(r));
  }
  return out;
}

// FlowGraph is one Cytoscape instance in a container.
export class FlowGraph {
  // opts: compound (draw a box around each module's nodes), cacheKey (layout cache
  // name), onSelect({type, id} | null), onOpenModule(name).
  constructor(container, opts) {
    this.container = container;
    this.opts = opts;
    this.cy = null;
    this.signature = '';
  }

  // setData shows a topology. It returns how the layout was obtained:
  // "kept" (same nodes as before), "cached" or "computed", and the number
  // of elements drawn.
  setData(topo) {
    const ids = new Set(topo.nodes.map((n) => n.id));
    const edges = topo.edges.filter((e) => ids.has(e.source) && ids.has(e.target));
    const signature = topo.nodes.map((n) => n.id).join('\n') + '\n--\n' + edges.map((e) => e.id).join('\n');
    const rates = topicRates(topo.nodes, edges);
    const compound = !!this.opts.compound;
    const modules = compound ? moduleHealth(topo) : null;
    if (this.cy && signature === this.signature) {
      this.cy.batch(() => {
        for (const n of topo.nodes) this.cy.getElementById(n.id).data(nodeData(n));
        for (const e of edges) this.cy.getElementById(e.id).data(edgeData(e, rates));
        if (modules) for (const [name, d] of modules) this.cy.getElementById('module:' + name).data(d);
      });
      this.markDeclared(topo.nodes);
      return { layout: 'kept', elements: this.cy.elements().length };
    }
    const phase = {};
    let t = performance.now();
    const lap = (name) => { const n = performance.now(); phase[name] = Math.round(n - t); t = n; };
    let layout = 'cached';
    let pos = cachedPositions(this.opts.cacheKey, topo.nodes);
    if (!pos) {
      layout = 'computed';
      pos = compound ? byModule(topo.nodes, edges) : layered(topo.nodes, edges).pos;
      storePositions(this.opts.cacheKey, pos);
    }
    lap('layout');
    const els = [];
    if (modules) {
      for (const [name, box] of moduleBoxes(topo.nodes, pos)) {
        const d = modules.get(name);
        if (d) els.push({ group: 'nodes', data: { ...d, w: box.w, h: box.h }, position: { x: box.x, y: box.y }, classes: 'module-box' });
      }
    }
    for (const n of topo.nodes) els.push({ group: 'nodes', data: nodeData(n), position: { ...pos.get(n.id) }, classes: n.declared && !n.observed ? 'declared-only' : '' });
    for (const e of edges) els.push({ group: 'edges', data: edgeData(e, rates) });
    const large = els.length > LARGE;
    if (!this.cy || this.large !== large) {
      if (this.cy) this.cy.destroy();
      this.large = large;
      this.cy = this.create(large);
    }
    lap('create');
    this.cy.batch(() => {
      this.cy.elements().remove();
      this.cy.add(els);
    });
    lap('add');
    this.cy.resize();
    this.fitTo(pos, compound ? 40 : 0);
    lap('fit');
    this.signature = signature;
    return { layout, elements: els.length, phase };
  }

  // fitTo sets the viewport to show every position. It works from the
  // known positions rather than cy.fit(), which measures every label and
  // takes seconds on thousands of nodes.
  fitTo(pos, extra) {
    let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
    for (const p of pos.values()) {
      x1 = Math.min(x1, p.x); x2 = Math.max(x2, p.x);
      y1 = Math.min(y1, p.y); y2 = Math.max(y2, p.y);
    }
    if (!Number.isFinite(x1)) return;
    // Room for node bodies and the labels under them.
    x1 -= 80 + extra; x2 += 80 + extra; y1 -= 30 + extra; y2 += 40 + extra;
    const w = this.cy.width() || this.container.clientWidth || 800;
    const h = this.cy.height() || this.container.clientHeight || 600;
    const pad = 20;
    let zoom = Math.min((w - 2 * pad) / (x2 - x1), (h - 2 * pad) / (y2 - y1));
    zoom = Math.max(this.cy.minZoom(), Math.min(1.4, zoom));
    this.cy.viewport({ zoom, pan: { x: w / 2 - zoom * (x1 + x2) / 2, y: h / 2 - zoom * (y1 + y2) / 2 } });
  }

  markDeclared(nodes) {
    this.cy.batch(() => {
      for (const n of nodes) {
        const el = this.cy.getElementById(n.id);
        if (n.declared && !n.observed) el.addClass('declared-only');
        else el.removeClass('declared-only');
      }
    });
  }

  create(large) {
    const cy = cytoscape({
      container: this.container,
      style: style(large),
      minZoom: 0.03,
      maxZoom: 4,
      boxSelectionEnabled: false,
      selectionType: 'single',
      autoungrabify: large,
      textureOnViewport: large,
      hideEdgesOnViewport: large,
      motionBlur: false,
      pixelRatio: large ? 1 : 'auto',
    });
    cy.on('tap', (ev) => {
      const t = ev.target;
      if (t === cy) {
        this.opts.onSelect && this.opts.onSelect(null);
      } else if (t.hasClass('module-box')) {
        this.opts.onOpenModule && this.opts.onOpenModule(t.data('module'));
      } else {
        this.opts.onSelect && this.opts.onSelect({ type: t.isEdge() ? 'edge' : 'node', id: t.id() });
      }
    });
    cy.on('dbltap', 'node', (ev) => {
      const m = ev.target.data('module');
      if (m && this.opts.compound && this.opts.onOpenModule) this.opts.onOpenModule(m);
    });
    return cy;
  }

  // select highlights one element (null clears) without firing onSelect.
  select(id) {
    if (!this.cy) return;
    this.cy.batch(() => {
      this.cy.$(':selected').unselect();
      if (id) this.cy.getElementById(id).select();
    });
  }

  // reveal pans to an element when it is outside the visible area, e.g.
  // behind the side panel that its selection opened.
  reveal(id) {
    if (!this.cy || !id) return;
    const el = this.cy.getElementById(id);
    if (!el.length) return;
    const bb = el.renderedBoundingBox({ includeLabels: false });
    const w = this.cy.width(), h = this.cy.height();
    if (bb.x1 < 0 || bb.x2 > w || bb.y1 < 0 || bb.y2 > h) this.cy.animate({ center: { eles: el }, duration: 200 });
  }

  resize() {
    if (this.cy) this.cy.resize();
  }

  destroy() {
    if (this.cy) this.cy.destroy();
    this.cy = null;
    this.signature = '';
  }
}

// moduleBoxes returns the centre and size of each module's box around its
// nodes and their labels.
function moduleBoxes(nodes, pos) {
  const boxes = new Map();
  for (const n of nodes) {
    const p = pos.get(n.id);
    if (!p || !n.module) continue;
    const [w, h] = NODE_SIZE[n.kind] || [34, 34];
    const hw = Math.max(w / 2, 50), top = h / 2, bottom = h / 2 + 18;
    let b = boxes.get(n.module);
    if (!b) boxes.set(n.module, (b = { x1: Infinity, y1: Infinity, x2: -Infinity, y2: -Infinity }));
    b.x1 = Math.min(b.x1, p.x - hw); b.x2 = Math.max(b.x2, p.x + hw);
    b.y1 = Math.min(b.y1, p.y - top); b.y2 = Math.max(b.y2, p.y + bottom);
  }
  const pad = 12;
  const out = new Map();
  for (const [m, b] of boxes) {
    out.set(m, { x: (b.x1 + b.x2) / 2, y: (b.y1 + b.y2) / 2, w: b.x2 - b.x1 + 2 * pad, h: b.y2 - b.y1 + 2 * pad });
  }
  return out;
}

// moduleHealth returns the data of the module boxes of the all-modules
// graph, without their geometry.
function moduleHealth(topo) {
  const out = new Map();
  const byName = new Map(topo.modules.map((m) => [m.name, m]));
  for (const n of topo.nodes) {
    if (!n.module || out.has(n.module)) continue;
    const m = byName.get(n.module);
    const health = (m && m.health) || 'unknown';
    out.set(n.module, {
      id: 'module:' + n.module,
      module: n.module,
      kind: 'module',
      shape: 'round-rectangle',
      label: n.module,
      health,
      color: HEALTH_COLOR[health] || HEALTH_COLOR.unknown,
      fill: HEALTH_FILL[health] || HEALTH_FILL.unknown,
    });
  }
  return out;
}
