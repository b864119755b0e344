// The key series of each kind of node and edge, as PromQL over the
// exporter-compatible metric names pipewatch stores.

// str quotes a label value for PromQL.
function str(v) {
  return JSON.stringify(String(v));
}

// re quotes a regular expression that matches any of the literal values.
function anyOf(values) {
  return str(values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'));
}

function sel(labels) {
  const parts = [];
  for (const [k, v] of Object.entries(labels)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) {
      if (v.length === 1) parts.push(`${k}=${str(v[0])}`);
      else if (v.length > 1) parts.push(`${k}=~${anyOf(v)}`);
    } else parts.push(`${k}=${str(v)}`);
  }
  return '{' + parts.join(',') + '}';
}

// Series units decide how values are formatted.
const RATE = 'rate', COUNT = 'count', SECONDS = 'seconds';

function topicIn(cluster, topics) {
  return `sum(rate(kafka_topic_partition_current_offset${sel({ cluster, topic: topics })}[1m]))`;
}

function groupSeries(cluster, group, topic) {
  const l = sel({ cluster, consumergroup: group, topic });
  return [
    { title: 'lag (records)', unit: COUNT, expr: `sum(kafka_consumergroup_lag${l})` },
    { title: 'lag (time)', unit: SECONDS, expr: `max(kafka_consumergroup_lag_seconds${l})` },
    { title: 'consumed', unit: RATE, expr: `sum(rate(kafka_consumergroup_current_offset${l}[1m]))` },
  ];
}

// neighbours lists the nodes on the other end of a node's edges.
function neighbours(id, graph, dir) {
  const out = [];
  for (const e of graph.edges) {
    const other = dir === 'in' ? (e.target === id ? e.source : null) : e.source === id ? e.target : null;
    if (other && graph.nodeByID.has(other)) out.push(graph.nodeByID.get(other));
  }
  return out;
}

// indexPattern turns an ES sink name ("hotel-search-*") into a regex.
function indexPattern(name) {
  return name.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
}

// nodeSeries returns the sparkline series of a node; graph has the nodes
// and edges of the current view and a nodeByID map.
export function nodeSeries(n, graph) {
  const c = n.cluster || undefined;
  switch (n.kind) {
    case 'topic':
      return [
        { title: 'produced into', unit: RATE, expr: topicIn(c, [n.name]) },
        { title: 'consumer lag, all groups (records)', unit: COUNT, expr: `sum(kafka_consumergroup_lag${sel({ cluster: c, topic: n.name })})` },
      ];
    case 'group':
      return [
        ...groupSeries(c, n.name),
        { title: 'members', unit: COUNT, expr: `max(kafka_consumergroup_members${sel({ cluster: c, consumergroup: n.name })})` },
      ];
    case 'producer': {
      const topics = neighbours(n.id, graph, 'out').filter((t) => t.kind === 'topic');
      if (!topics.length) return [];
      return [{ title: 'produced into ' + (topics.length === 1 ? topics[0].name : topics.length + ' topics'), unit: RATE, expr: topicIn(topics[0].cluster || undefined, topics.map((t) => t.name)) }];
    }
    case 'job': {
      const [system, ...rest] = n.name.split('/');
      const job = rest.join('/') || n.name;
      const out = [];
      const inputs = neighbours(n.id, graph, 'in').filter((t) => t.kind === 'topic');
      if (inputs.length) out.push({ title: 'input topics, produced', unit: RATE, expr: topicIn(inputs[0].cluster || undefined, inputs.map((t) => t.name)) });
      if (system === 'flink') out.push({ title: 'last checkpoint age', unit: SECONDS, expr: `max(flink_job_last_checkpoint_age_seconds${sel({ job_name: job })})` });
      out.push({ title: 'topics linked', unit: COUNT, expr: `count(pipewatch_stream_job_topic_info${sel({ system, job_name: job })})` });
      return out;
    }
    case 'sink': {
      const i = n.name.indexOf(':');
      const kind = i > 0 ? n.name.slice(0, i) : '';
      const name = i > 0 ? n.name.slice(i + 1) : n.name;
      const out = [];
      if (kind === 'es') {
        out.push({ title: 'indexed', unit: RATE, expr: `sum(rate(elasticsearch_index_stats_indexing_index_total{index=~${str(indexPattern(name))}}[1m]))` });
      }
      const writers = neighbours(n.id, graph, 'in').filter((g) => g.kind === 'group');
      if (writers.length) {
        out.push({ title: 'consumed by its writers', unit: RATE, expr: `sum(rate(kafka_consumergroup_current_offset${sel({ cluster: writers[0].cluster || undefined, consumergroup: writers.map((g) => g.name) })}[1m]))` });
      }
      return out;
    }
    default:
      return [];
  }
}

// edgeSeries returns the sparkline series of an edge.
export function edgeSeries(e, graph) {
  const s = graph.nodeByID.get(e.source);
  const t = graph.nodeByID.get(e.target);
  if (!s || !t) return [];
  if (s.kind === 'topic' && t.kind === 'group') {
    return [...groupSeries(t.cluster || s.cluster || undefined, t.name, s.name), { title: 'produced into ' + s.name, unit: RATE, expr: topicIn(s.cluster || undefined, [s.name]) }];
  }
  if (t.kind === 'topic') return [{ title: 'produced into ' + t.name, unit: RATE, expr: topicIn(t.cluster || undefined, [t.name]) }];
  if (s.kind === 'topic') return [{ title: 'produced into ' + s.name, unit: RATE, expr: topicIn(s.cluster || undefined, [s.name]) }];
  if (s.kind === 'group') return nodeSeries(s, graph).filter((x) => x.unit === RATE);
  return [];
}
