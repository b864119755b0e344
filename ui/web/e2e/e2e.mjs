// End-to-end test of the UI against a running pipewatch with the demo
// platform, in headless Chromium:
//
//   BASE_URL=http://127.0.0.1:9470/ ARTIFACTS_DIR=... node e2e/e2e.mjs
//
// 1. the module map shows every module the topology API lists;
// 2. the search narrows the map;
// 3. the stalling module opens and its consume hop is drawn and listed;
// 4. lag is injected through the demo's stall endpoint and the hop turns
//    critical in the open page, without a reload, within CRITICAL_WITHIN
//    seconds (default 10);
// 5. clicking the hop on the canvas opens its panel with sparklines;
// 6. the time picker shows the past (?at= reaches the API);
// 7. the alerts page lists alerts and a silence can be created and
//    expired (or it says clearly that alerting is not available).
// No page error or console error may occur. Screenshots go to
// ARTIFACTS_DIR. It exits non-zero with the reason on the first failure.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, timingsCount, waitReady } from './browser.mjs';

const base = (process.env.BASE_URL || '').replace(/\/?$/, '/');
const artifacts = process.env.ARTIFACTS_DIR || 'test-artifacts/ui';
const stallModule = process.env.STALL_MODULE || 'hotdog-clicks';
const stallGroup = process.env.STALL_GROUP || 'hotdog-ctr-aggregator';
const criticalWithin = Number(process.env.CRITICAL_WITHIN || 10) * 1000;
if (base === '/') {
  console.error('BASE_URL is required');
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });

const report = {};
const step = (name) => console.log(`--- ${name}`);

function fail(msg) {
  throw new Error(msg);
}

async function api(path, init) {
  const r = await fetch(base + path, init);
  const text = await r.text();
  return { status: r.status, text, json: () => JSON.parse(text) };
}

// waitFor polls fn (async, returns a truthy value when done) every
// `every` ms for at most `ms`.
async function waitFor(what, ms, fn, every = 500) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) fail(`timed out after ${ms / 1000}s waiting for ${what}${last ? ': ' + last.message : ''}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

const b = await launch();
const { page } = b;
try {
  step('topology API has the demo modules and the stalling hop');
  // The hop must also show consumption (rate > 0): the collector then has
  // seen the group commit more than once, so it knows the group's commit
  // cadence and judges a stall by it (until then its status window is the
  // 30 s default, and an injected stall would take that long to show).
  const consumeEdge = await waitFor(`an observed, consuming, not critical hop into group ${stallGroup}`, 120_000, async () => {
    const r = await api('api/v1/topology?module=' + encodeURIComponent(stallModule));
    if (r.status !== 200) return null;
    const d = r.json().data;
    const e = d.edges.find((x) => x.target.endsWith('/' + stallGroup) && x.source.startsWith('topic:') && x.state !== 'declared');
    return e && e.health !== 'critical' && (e.stats?.rate ?? 0) > 0 ? e : null;
  });
  const all = (await api('api/v1/topology')).json().data;
  const apiModules = all.modules.map((m) => m.name).sort();
  report.modules = apiModules.length;
  if (!apiModules.includes(stallModule)) fail(`the API lists no module ${stallModule}: ${apiModules.join(', ')}`);

  step('module map shows every module');
  await page.goto(base + '#/', { waitUntil: 'commit' });
  const mapReady = await waitReady(page, 'map');
  report.mapReadyMs = mapReady.at;
  const tiles = (await page.$$eval('[data-module]', (els) => els.map((e) => e.dataset.module))).sort();
  const missing = apiModules.filter((m) => !tiles.includes(m));
  const extra = tiles.filter((m) => !apiModules.includes(m));
  if (missing.length || extra.length) fail(`module map differs from the API: missing ${JSON.stringify(missing)}, extra ${JSON.stringify(extra)}`);
  await page.screenshot({ path: join(artifacts, 'module-map.png') });

  step('search narrows the map');
  await page.fill('input.search', stallModule);
  const found = await page.$$eval('[data-module]', (els) => els.map((e) => e.dataset.module));
  if (!found.includes(stallModule) || found.length >= tiles.length) fail(`searching "${stallModule}" shows ${JSON.stringify(found)}`);
  await page.fill('input.search', '');

  step(`open module ${stallModule}`);
  let n = await timingsCount(page);
  await page.click(`[data-module="${stallModule}"]`);
  const modReady = await waitReady(page, 'module', n);
  report.moduleReadyMs = modReady.ms;
  await page.waitForSelector(`[data-module-title="${stallModule}"]`);
  const row = `tr[data-edge-id="${consumeEdge.id.replace(/["\\]/g, '\\$&')}"]`;
  await page.waitForSelector(row);
  const drawn = await page.evaluate((id) => {
    const cy = window.pipewatch.cy;
    return !!cy && cy.getElementById(id).length === 1;
  }, consumeEdge.id);
  if (!drawn) fail(`hop ${consumeEdge.id} is not drawn`);

  step('inject lag and see the hop turn critical');
  // The fastest live refresh, so the page adds at most a second.
  await page.selectOption('#refresh', '1');
  const stall = await api(`api/v1/demo/stall?group=${encodeURIComponent(stallGroup)}&for=2m`, { method: 'POST' });
  if (stall.status !== 200) fail(`POST /api/v1/demo/stall answered ${stall.status}: ${stall.text.trim()}`);
  const injectedAt = Date.now();
  try {
    await page.waitForFunction(([sel, id]) => {
      const tr = document.querySelector(sel);
      const cy = window.pipewatch.cy;
      return tr && tr.dataset.health === 'critical' && cy && cy.getElementById(id).data('health') === 'critical';
    }, [row, consumeEdge.id], { timeout: criticalWithin, polling: 100 });
  } catch {
    const now = await api('api/v1/topology?module=' + encodeURIComponent(stallModule));
    const e = now.status === 200 ? now.json().data.edges.find((x) => x.id === consumeEdge.id) : null;
    await page.screenshot({ path: join(artifacts, 'module-not-critical.png') });
    fail(`hop ${consumeEdge.id} did not turn critical in the page within ${criticalWithin / 1000}s of the injection; the API now says ${JSON.stringify(e && { health: e.health, reason: e.reason, stats: e.stats })}`);
  }
  report.criticalAfterMs = Date.now() - injectedAt;
  console.log(`hop turned critical ${report.criticalAfterMs} ms after the injection`);

  step('click the hop on the canvas and see its panel');
  const pt = await page.evaluate((id) => {
    const cy = window.pipewatch.cy;
    const e = cy.getElementById(id);
    const p = e.renderedMidpoint();
    const r = cy.container().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  }, consumeEdge.id);
  await page.mouse.click(pt.x, pt.y);
  await page.waitForSelector('aside.panel:not([hidden]) .pill.h-critical');
  await page.waitForSelector('aside.panel .serie svg.spark', { timeout: 15_000 });
  const sel = await page.evaluate(() => location.hash);
  if (!sel.includes('edge=')) fail(`the clicked hop is not in the URL: ${sel}`);
  await page.screenshot({ path: join(artifacts, 'module-critical.png') });

  step('a Grafana URL in the settings adds Explore links to the panel');
  const moduleHash = await page.evaluate(() => location.hash);
  n = await timingsCount(page);
  await page.evaluate(() => { location.hash = '#/settings'; });
  await waitReady(page, 'settings', n);
  await page.fill('input[name=grafanaURL]', 'http://grafana.example:3000/');
  await page.click('form.settings button[type=submit]');
  await page.waitForSelector('.form-out.ok');
  n = await timingsCount(page);
  await page.evaluate((h) => { location.hash = h; }, moduleHash);
  await waitReady(page, 'module', n);
  const explore = await page.waitForSelector('aside.panel a[href^="http://grafana.example:3000/explore?"]', { timeout: 15_000 });
  const href = await explore.getAttribute('href');
  const panes = JSON.parse(new URL(href).searchParams.get('panes'));
  if (!Object.values(panes)[0].queries[0].expr.includes(stallGroup)) fail('the Explore link does not query the hop: ' + href);

  step('time picker shows the past');
  const past = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const req = page.waitForRequest((r) => r.url().includes('api/v1/topology') && r.url().includes('at='), { timeout: 10_000 });
  await page.evaluate((at) => {
    const u = new URL(location.href);
    const [path, q] = u.hash.split('?');
    const p = new URLSearchParams(q || '');
    p.set('at', at);
    location.hash = path + '?' + p;
  }, past);
  await req;
  await page.waitForSelector('body.past');
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('showing'));
  await page.click('#live');
  await page.waitForFunction(() => !document.body.classList.contains('past'));

  step('alerts page');
  n = await timingsCount(page);
  await page.evaluate(() => { location.hash = '#/alerts'; });
  const alertsReady = await waitReady(page, 'alerts', n);
  report.alertsAvailable = alertsReady.available;
  if (!alertsReady.available) {
    const msg = await page.textContent('.msgbox');
    if (!/not available|Cannot load alerts/.test(msg)) fail('alerts page shows no clear message: ' + msg);
  } else {
    const marker = 'e2e-' + Date.now();
    await page.evaluate(() => { location.hash = '#/alerts?silence=none'; });
    await page.waitForSelector('form.silence-form');
    await page.fill('form.silence-form textarea', `alertname="${marker}"`);
    await page.fill('form.silence-form input[name=createdBy]', 'e2e');
    await page.fill('form.silence-form input[name=comment]', 'end-to-end test');
    await page.click('form.silence-form button[type=submit]');
    await page.waitForSelector('.form-out.ok, .form-out.error');
    const out = await page.textContent('.form-out');
    if (!out.startsWith('Silence created')) fail('creating a silence: ' + out);
    const id = out.replace(/^Silence created:?\s*/, '').replace(/\.$/, '');
    await page.waitForSelector(`tr[data-silence-id="${id}"]`);
    page.once('dialog', (d) => d.accept());
    await page.click(`tr[data-silence-id="${id}"] button`);
    await waitFor('the silence to expire', 10_000, async () => {
      const r = await api('api/v2/silence/' + id);
      return r.status === 200 && r.json().status.state === 'expired';
    }, 200);
    report.silence = 'created and expired';
  }
  await page.screenshot({ path: join(artifacts, 'alerts.png') });

  if (b.problems.length) fail('the page reported errors:\n' + b.problems.join('\n'));
  console.log(JSON.stringify(report));
  console.log('e2e: ok');
} catch (e) {
  try {
    await page.screenshot({ path: join(artifacts, 'failure.png') });
  } catch {
    // The browser may be gone.
  }
  console.error('e2e: FAIL: ' + e.message);
  if (b.problems.length) console.error('page problems:\n' + b.problems.join('\n'));
  process.exitCode = 1;
} finally {
  await b.close();
}
