// Measures the UI in headless Chromium and prints the figures:
//
//   node e2e/perf.mjs <base URL> [runs]
//
//  1. module map interactive: a fresh browser profile opens #/; the time
//     from navigation start until the tiles for every module are painted
//     (the app's "map" ready mark), then how long a search takes to
//     filter the tiles;
//  2. one module's view: from the click on a module's tile until its graph
//     is laid out and painted, for `runs` modules, first visit (layout
//     computed) and second visit (layout cached);
//  3. the full graph (#/graph): once with an empty layout cache, then
//     `runs` reloads with the cached layout, from navigation start until
//     every node is painted.
//
// bench/ui runs it against a synthetic 2,000-node topology.

import { launch, timingsCount, waitReady } from './browser.mjs';

const base = process.argv[2];
const runs = Number(process.argv[3] || 5);
if (!base) {
  console.error('usage: node e2e/perf.mjs <base URL> [runs]');
  process.exit(2);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
}

const fmt = (ms) => `${Math.round(ms)} ms`;
const results = {};

async function mapFigures() {
  const ready = [], search = [];
  let info;
  for (let i = 0; i < runs; i++) {
    const b = await launch();
    try {
      await b.page.goto(base + '#/', { waitUntil: 'commit' });
      const entry = await waitReady(b.page, 'map');
      info = entry;
      ready.push(entry.at);
      // Interactive: the search filters the tiles at once.
      const ms = await b.page.evaluate(async () => {
        const input = document.querySelector('input.search');
        const t0 = performance.now();
        input.value = 'zzz-no-such-module';
        input.dispatchEvent(new Event('input'));
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        const t1 = performance.now();
        input.value = '';
        input.dispatchEvent(new Event('input'));
        return t1 - t0;
      });
      search.push(ms);
      if (b.problems.length) throw new Error(b.problems.join('\n'));
    } finally {
      await b.close();
    }
  }
  results.map = { modules: info.modules, nodes: info.nodes, ready_ms: ready, search_ms: search };
  console.log(`module map (${info.modules} modules, ${info.nodes} nodes): interactive ${fmt(median(ready))} median, ${fmt(Math.max(...ready))} max after navigation start; search repaints in ${fmt(median(search))} median`);
}

async function moduleFigures() {
  const b = await launch();
  try {
    await b.page.goto(base + '#/', { waitUntil: 'commit' });
    await waitReady(b.page, 'map');
    const names = await b.page.$$eval('[data-module]', (els) => els.map((e) => e.dataset.module));
    // Spread the sample over the list; critical modules sort first.
    const pick = [];
    for (let i = 0; i < runs && i < names.length; i++) pick.push(names[Math.floor((i * names.length) / runs)]);
    const first = [], second = [];
    let nodes = [];
    for (const pass of [first, second]) {
      for (const name of pick) {
        if ((await b.page.evaluate(() => location.hash)) !== '#/') {
          const n0 = await timingsCount(b.page);
          await b.page.evaluate(() => { location.hash = '#/'; });
          await waitReady(b.page, 'map', n0);
        }
        const n1 = await timingsCount(b.page);
        await b.page.click(`[data-module="${name}"]`);
        const entry = await waitReady(b.page, 'module', n1);
        pass.push(entry.ms);
        if (pass === first) nodes.push(entry.nodes);
      }
    }
    if (b.problems.length) throw new Error(b.problems.join('\n'));
    results.module = { modules: pick, nodes, first_ms: first, cached_ms: second };
    console.log(`one module's view (${Math.min(...nodes)}–${Math.max(...nodes)} nodes): ${fmt(median(first))} median, ${fmt(Math.max(...first))} max from click to painted (layout computed); ${fmt(median(second))} median, ${fmt(Math.max(...second))} max with the layout cached`);
  } finally {
    await b.close();
  }
}

async function graphFigures() {
  const b = await launch();
  try {
    await b.page.goto(base + '#/graph', { waitUntil: 'commit' });
    const cold = await waitReady(b.page, 'graph', 0, 120_000);
    if (cold.layout !== 'computed') throw new Error('expected an empty layout cache, got ' + cold.layout);
    const cached = [];
    let last;
    for (let i = 0; i < runs; i++) {
      await b.page.reload({ waitUntil: 'commit' });
      last = await waitReady(b.page, 'graph', 0, 60_000);
      if (last.layout !== 'cached') throw new Error('expected the cached layout, got ' + last.layout);
      cached.push(last.at);
    }
    if (b.problems.length) throw new Error(b.problems.join('\n'));
    results.graph = { nodes: cold.nodes, elements: cold.elements, computed_ms: cold.at, computed_draw_ms: cold.drawMs, cached_ms: cached, cached_draw_ms: last.drawMs };
    console.log(`full graph (${cold.nodes} nodes, ${cold.elements} elements): ${fmt(median(cached))} median, ${fmt(Math.max(...cached))} max after navigation start with the cached layout (layout + draw ${fmt(last.drawMs)}); ${fmt(cold.at)} with the layout computed (layout + draw ${fmt(cold.drawMs)})`);
  } finally {
    await b.close();
  }
}

await mapFigures();
await moduleFigures();
await graphFigures();
console.log(JSON.stringify(results));
