import { test } from 'node:test';
import assert from 'node:assert/strict';
import { edgeSeries, nodeSeries } from '../src/series.js';

function graph(nodes, edges) {
  return { nodes, edges, nodeByID: new Map(nodes.map((n) => [n.id, n])) };
}

const topic = { id: 'topic:demo/hotel.search.log', kind: 'topic', name: 'hotel.search.log', cluster: 'demo' };
const group = { id: 'group:demo/idx', kind: 'group', name: 'idx', cluster: 'demo' };
const prod = { id: 'producer:api', kind: 'producer', name: 'api' };
const topic2 = { id: 'topic:demo/a"b', kind: 'topic', name: 'a"b', cluster: 'demo' };
const sink = { id: 'sink:es:hotel-search-*', kind: 'sink', name: 'es:hotel-search-*' };
const job = { id: 'job:flink/sessionize', kind: 'job', name: 'flink/sessionize' };
const g = graph([topic, group, prod, topic2, sink, job], [
  { id: 'p1', source: prod.id, target: topic.id },
  { id: 'p2', source: prod.id, target: topic2.id },
  { id: 'c1', source: topic.id, target: group.id },
  { id: 's1', source: group.id, target: sink.id },
  { id: 'j1', source: topic.id, target: job.id },
]);

test('node series', () => {
  const cases = [
    [topic, ['sum(rate(kafka_topic_partition_current_offset{cluster="demo",topic="hotel.search.log"}[1m]))', 'sum(kafka_consumergroup_lag{cluster="demo",topic="hotel.search.log"})']],
    [group, ['sum(kafka_consumergroup_lag{cluster="demo",consumergroup="idx"})', 'max(kafka_consumergroup_lag_seconds{cluster="demo",consumergroup="idx"})',
      'sum(rate(kafka_consumergroup_current_offset{cluster="demo",consumergroup="idx"}[1m]))', 'max(kafka_consumergroup_members{cluster="demo",consumergroup="idx"})']],
    [prod, ['sum(rate(kafka_topic_partition_current_offset{cluster="demo",topic=~"hotel\\\\.search\\\\.log|a\\"b"}[1m]))']],
    [sink, ['sum(rate(elasticsearch_index_stats_indexing_index_total{index=~"hotel-search-.*"}[1m]))', 'sum(rate(kafka_consumergroup_current_offset{cluster="demo",consumergroup="idx"}[1m]))']],
    [job, ['sum(rate(kafka_topic_partition_current_offset{cluster="demo",topic="hotel.search.log"}[1m]))', 'max(flink_job_last_checkpoint_age_seconds{job_name="sessionize"})', 'count(pipewatch_stream_job_topic_info{system="flink",job_name="sessionize"})']],
  ];
  for (const [n, want] of cases) assert.deepEqual(nodeSeries(n, g).map((s) => s.expr), want, n.id);
});

test('edge series', () => {
  const exprs = edgeSeries({ source: topic.id, target: group.id }, g).map((s) => s.expr);
  assert.equal(exprs[0], 'sum(kafka_consumergroup_lag{cluster="demo",consumergroup="idx",topic="hotel.search.log"})');
  assert.equal(exprs.length, 4);
  assert.deepEqual(edgeSeries({ source: prod.id, target: topic2.id }, g).map((s) => s.expr), ['sum(rate(kafka_topic_partition_current_offset{cluster="demo",topic="a\\"b"}[1m]))']);
  assert.deepEqual(edgeSeries({ source: 'missing', target: topic.id }, g), []);
});
