import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byModule, layered } from '../src/layout.js';

function moduleGraph(m, topics = 2) {
  const nodes = [{ id: `producer:${m}`, kind: 'producer', module: m }];
  const edges = [];
  for (let t = 0; t < topics; t++) {
    nodes.push({ id: `topic:${m}.${t}`, kind: 'topic', module: m });
    edges.push({ source: `producer:${m}`, target: `topic:${m}.${t}` });
    edges.push({ source: `topic:${m}.${t}`, target: `group:${m}` });
  }
  nodes.push({ id: `group:${m}`, kind: 'group', module: m }, { id: `sink:${m}`, kind: 'sink', module: m });
  edges.push({ source: `group:${m}`, target: `sink:${m}` });
  // An edge to a node that is not in the graph is ignored.
  edges.push({ source: `group:${m}`, target: 'sink:elsewhere' });
  return { nodes, edges };
}

test('layered puts producers, topics, groups and sinks left to right', () => {
  const { nodes, edges } = moduleGraph('m', 3);
  const { pos } = layered(nodes, edges);
  const x = (id) => pos.get(id).x;
  assert.ok(x('producer:m') < x('topic:m.0'));
  for (let t = 0; t < 3; t++) assert.ok(x(`topic:m.${t}`) < x('group:m'));
  assert.ok(x('group:m') < x('sink:m'));
  const ys = [0, 1, 2].map((t) => pos.get(`topic:m.${t}`).y);
  assert.equal(new Set(ys).size, 3, 'topics in one column do not overlap');
});

test('byModule packs modules without overlap, the same way every time', () => {
  const nodes = [], edges = [];
  for (let i = 0; i < 40; i++) {
    const g = moduleGraph('mod' + i, 1 + (i % 3));
    nodes.push(...g.nodes);
    edges.push(...g.edges);
  }
  const pos = byModule(nodes, edges);
  assert.equal(pos.size, nodes.length);
  const boxes = new Map();
  for (const n of nodes) {
    const p = pos.get(n.id);
    const b = boxes.get(n.module) || { x1: Infinity, y1: Infinity, x2: -Infinity, y2: -Infinity };
    boxes.set(n.module, { x1: Math.min(b.x1, p.x), y1: Math.min(b.y1, p.y), x2: Math.max(b.x2, p.x), y2: Math.max(b.y2, p.y) });
  }
  const list = [...boxes.values()];
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const a = list[i], b = list[j];
      const apart = a.x2 < b.x1 || b.x2 < a.x1 || a.y2 < b.y1 || b.y2 < a.y1;
      assert.ok(apart, `modules ${i} and ${j} overlap`);
    }
  }
  assert.deepEqual([...byModule(nodes, edges)], [...pos]);
});
