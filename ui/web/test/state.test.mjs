import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoute } from '../src/state.js';

test('parseRoute', () => {
  const cases = [
    ['', [], 'map', {}],
    ['#/', [], 'map', {}],
    ['#/alerts', ['alerts'], 'alerts', {}],
    ['#/module/hotel-search-log?at=2026-01-02T03%3A04%3A05Z&edge=a-%3Eb', ['module', 'hotel-search-log'], 'module', { at: '2026-01-02T03:04:05Z', edge: 'a->b' }],
    ['#/module/a%2Fb', ['module', 'a/b'], 'module', {}],
  ];
  for (const [hash, path, view, params] of cases) {
    const r = parseRoute(hash);
    assert.deepEqual(r.path, path, hash);
    assert.equal(r.view, view, hash);
    assert.deepEqual(Object.fromEntries(r.params), params, hash);
  }
});
