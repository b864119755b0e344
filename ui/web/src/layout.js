// Layered left-to-right layout of topology graphs (dagre), and the layout
// cache in localStorage that lets a large graph open without laying it out
// again.

import dagre from '@dagrejs/dagre';

// Node box sizes by kind, in graph units; the graph view draws the same.
export const NODE_SIZE = {
  producer: [44, 30],
  topic: [54, 26],
  group: [34, 34],
  job: [38, 34],
  sink: [40, 34],
};

function size(kind) {
  return NODE_SIZE[kind] || [34, 34];
}

// Label space under each node, so names do not overlap their neighbours.
const LABEL_H = 16;

// layered lays out one connected set of nodes left to right: producers,
// then topics, then groups and jobs, then sinks, as the edges lead.
// It returns a Map from node ID to {x, y} (centre) and the bounding box.
export function layered(nodes, edges, { ranksep = 170, nodesep = 26, edgeLabels = true } = {}) {
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: 'LR', ranksep, nodesep, edgesep: 12, marginx: 0, marginy: 0, ranker: 'network-simplex' });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set();
  for (const n of nodes) {
    const [w, ht] = size(n.kind);
    g.setNode(n.id, { width: Math.max(w, 90), height: ht + LABEL_H });
    ids.add(n.id);
  }
  for (const e of edges) {
    if (!ids.has(e.source) || !ids.has(e.target) || e.source === e.target) continue;
    // Edge labels take room between ranks; dagre reserves it when the
    // edge has a size.
    g.setEdge(e.source, e.target, edgeLabels ? { width: 10, height: 12, labelpos: 'c', minlen: 1 } : { minlen: 1 });
  }
  dagre.layout(g);
  const pos = new Map();
  let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
  for (const id of ids) {
    const n = g.node(id);
    pos.set(id, { x: n.x, y: n.y - LABEL_H / 2 });
    x1 = Math.min(x1, n.x - n.width / 2);
    x2 = Math.max(x2, n.x + n.width / 2);
    y1 = Math.min(y1, n.y - n.height / 2);
    y2 = Math.max(y2, n.y + n.height / 2);
  }
  if (!ids.size) x1 = y1 = x2 = y2 = 0;
  return { pos, box: { x1, y1, x2, y2, w: x2 - x1, h: y2 - y1 } };
}

// byModule lays out every module on its own and packs the modules in rows
// (shelves), largest first, so that a graph of hundreds of modules stays
// readable and takes time linear in the number of modules.
export function byModule(nodes, edges) {
  const groups = new Map();
  for (const n of nodes) {
    const m = n.module || '';
    if (!groups.has(m)) groups.set(m, { nodes: [], edges: [] });
    groups.get(m).nodes.push(n);
  }
  const moduleOf = new Map(nodes.map((n) => [n.id, n.module || '']));
  for (const e of edges) {
    const m = moduleOf.get(e.source);
    if (m !== undefined && m === moduleOf.get(e.target)) groups.get(m).edges.push(e);
  }
  const laid = [];
  for (const [name, g] of groups) {
    const r = layered(g.nodes, g.edges, { ranksep: 120, nodesep: 18, edgeLabels: false });
    laid.push({ name, ...r });
  }
  const pad = 60;
  const area = laid.reduce((a, l) => a + (l.box.w + pad) * (l.box.h + pad), 0);
  const widest = laid.reduce((a, l) => Math.max(a, l.box.w + pad), 0);
  const rowWidth = Math.max(widest, Math.sqrt(area) * 1.6);
  // Tallest first packs shelves tightly; names break ties so the layout
  // is the same on every run.
  laid.sort((a, b) => b.box.h - a.box.h || (a.name < b.name ? -1 : 1));
  const pos = new Map();
  let x = 0, y = 0, rowH = 0;
  for (const l of laid) {
    if (x > 0 && x + l.box.w > rowWidth) {
      x = 0;
      y += rowH + pad;
      rowH = 0;
    }
    for (const [id, p] of l.pos) pos.set(id, { x: x + p.x - l.box.x1, y: y + p.y - l.box.y1 });
    x += l.box.w + pad;
    rowH = Math.max(rowH, l.box.h);
  }
  return pos;
}

const CACHE_PREFIX = 'pipewatch.layout.';

// cachedPositions returns the cached positions of key when they cover
// every node, or null.
export function cachedPositions(key, nodes) {
  let stored;
  try {
    stored = JSON.parse(localStorage.getItem(CACHE_PREFIX + key) || 'null');
  } catch {
    return null;
  }
  if (!stored || typeof stored !== 'object') return null;
  const pos = new Map();
  for (const n of nodes) {
    const p = stored[n.id];
    if (!Array.isArray(p)) return null;
    pos.set(n.id, { x: p[0], y: p[1] });
  }
  return pos;
}

// storePositions caches positions under key. When storage is full, the
// other cached layouts are dropped and the write is tried once more.
export function storePositions(key, pos) {
  const obj = {};
  for (const [id, p] of pos) obj[id] = [Math.round(p.x), Math.round(p.y)];
  const text = JSON.stringify(obj);
  try {
    localStorage.setItem(CACHE_PREFIX + key, text);
  } catch {
    clearLayouts();
    try {
      localStorage.setItem(CACHE_PREFIX + key, text);
    } catch {
      // Storage disabled: the layout is simply computed next time.
    }
  }
}

// clearLayouts drops every cached layout.
export function clearLayouts() {
  for (let i = localStorage.length - 1; i >= 0; i--) {
    const k = localStorage.key(i);
    if (k && k.startsWith(CACHE_PREFIX)) localStorage.removeItem(k);
  }
}
