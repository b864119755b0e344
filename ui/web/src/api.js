// Calls to pipewatch's HTTP API. Every URL is relative, so the UI also
// works behind a reverse proxy that serves pipewatch under a path prefix.

// APIError is a failed call, with the HTTP status (0 for network errors).
export class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function request(url, init) {
  let r;
  try {
    r = await fetch(url, init);
  } catch (e) {
    throw new APIError(0, 'pipewatch is not reachable: ' + e.message);
  }
  const text = await r.text();
  let body;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (!r.ok) {
    let msg = typeof body === 'string' ? body : body && (body.error || body.message);
    // An HTML error page says nothing a person needs here.
    msg = msg && !/^\s*</.test(String(msg)) ? String(msg).trim().slice(0, 300) : '';
    throw new APIError(r.status, `${r.status} ${r.statusText || 'error'} from ${url.split('?')[0]}${msg ? ': ' + msg : ''}`);
  }
  return body;
}

// promData unwraps a Prometheus-style {status, data} answer.
async function promData(url) {
  const body = await request(url);
  if (!body || body.status !== 'success') throw new APIError(200, (body && body.error) || 'unexpected answer from ' + url);
  return body;
}

// topology fetches the graph, for one module or all, now or at a past time.
export async function topology({ module, at } = {}) {
  const q = new URLSearchParams();
  if (module) q.set('module', module);
  if (at) q.set('at', at);
  const body = await promData('api/v1/topology' + (q.size ? '?' + q : ''));
  const data = body.data || {};
  return {
    nodes: data.nodes || [],
    edges: data.edges || [],
    modules: data.modules || [],
    warnings: body.warnings || [],
  };
}

// queryRange evaluates expr over [start, end] (Date) with step seconds.
export async function queryRange(expr, start, end, step) {
  const q = new URLSearchParams({
    query: expr,
    start: (start.getTime() / 1000).toFixed(3),
    end: (end.getTime() / 1000).toFixed(3),
    step: String(step),
  });
  const body = await promData('api/v1/query_range?' + q);
  return body.data.result || [];
}

// queryRangeURL is the API link that shows the raw answer of a range query.
export function queryRangeURL(expr, start, end, step) {
  const q = new URLSearchParams({
    query: expr,
    start: (start.getTime() / 1000).toFixed(0),
    end: (end.getTime() / 1000).toFixed(0),
    step: String(step),
  });
  return new URL('api/v1/query_range?' + q, location.href).href;
}

// alerts lists the alerts of the Alertmanager-compatible API v2.
export function alerts() {
  return request('api/v2/alerts?active=true&silenced=true&inhibited=true');
}

// silences lists all silences.
export function silences() {
  return request('api/v2/silences');
}

// createSilence posts a silence and returns its ID.
export async function createSilence(s) {
  const body = await request('api/v2/silences', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(s),
  });
  return body && body.silenceID;
}

// expireSilence expires the silence with the given ID.
export function expireSilence(id) {
  return request('api/v2/silence/' + encodeURIComponent(id), { method: 'DELETE' });
}
