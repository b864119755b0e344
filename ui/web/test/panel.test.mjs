import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertsFor } from '../src/panel.js';

const topic = { id: 'topic:demo/clicks', kind: 'topic', name: 'clicks', cluster: 'demo' };
const group = { id: 'group:demo/agg', kind: 'group', name: 'agg', cluster: 'demo' };
const other = { id: 'group:prod/agg', kind: 'group', name: 'agg', cluster: 'prod' };
const edge = { id: 'topic:demo/clicks->group:demo/agg', source: topic.id, target: group.id };
const graph = { nodeByID: new Map([topic, group, other].map((n) => [n.id, n])) };

const alerts = [
  { fingerprint: 'hop', labels: { alertname: 'Stalled', hop: edge.id, consumergroup: 'agg', cluster: 'demo' } },
  { fingerprint: 'group', labels: { alertname: 'Lag', consumergroup: 'agg' } },
  { fingerprint: 'group-topic', labels: { alertname: 'Lag', consumergroup: 'agg', topic: 'clicks', cluster: 'demo' } },
  { fingerprint: 'other-cluster', labels: { alertname: 'Lag', consumergroup: 'agg', cluster: 'prod' } },
  { fingerprint: 'topic', labels: { alertname: 'Idle', topic: 'clicks' } },
  { fingerprint: 'node-hop', labels: { alertname: 'X', hop: group.id } },
  { fingerprint: 'unrelated', labels: { alertname: 'Y', module: 'm' } },
];

test('alertsFor', () => {
  const cases = [
    ['node', group, ['hop', 'group', 'group-topic', 'node-hop']],
    ['node', other, ['group', 'other-cluster']],
    ['node', topic, ['topic']],
    ['edge', edge, ['hop', 'group', 'group-topic']],
  ];
  for (const [type, item, want] of cases) {
    assert.deepEqual(alertsFor({ type, id: item.id }, item, alerts, graph).map((a) => a.fingerprint), want, item.id);
  }
  assert.deepEqual(alertsFor({ type: 'node' }, group, null, graph), []);
});
