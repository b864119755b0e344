import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dur, edgeLabel, num, rate } from '../src/format.js';

test('num', () => {
  const cases = [[0, '0'], [0.5, '0.5'], [7, '7'], [12.34, '12.3'], [950, '950'], [1000, '1k'], [1234, '1.23k'], [34567, '34.6k'], [5_600_000, '5.6M'], [-2500, '-2.5k'], [undefined, '–'], [NaN, '–']];
  for (const [v, want] of cases) assert.equal(num(v), want, `num(${v})`);
});

test('rate', () => {
  assert.equal(rate(1500), '1.5k/s');
  assert.equal(rate(undefined), '–');
});

test('dur', () => {
  const cases = [[0, '0s'], [0.25, '0.25s'], [45, '45s'], [60, '1m'], [725, '12m 5s'], [3600, '1h'], [12000, '3h 20m'], [190800, '2d 5h'], [-30, '-30s'], [undefined, '–']];
  for (const [v, want] of cases) assert.equal(dur(v), want, `dur(${v})`);
});

test('edgeLabel', () => {
  const cases = [
    [undefined, ''],
    [{}, ''],
    [{ rate: 35.4, lag: 31, lag_seconds: 4.97 }, '35.4/s · lag 31 · 5s'],
    [{ rate: 10, lag: 0, lag_seconds: 0 }, '10/s · lag 0'],
    [{ lag: 120000, lag_seconds: 600 }, 'lag 120k · 10m'],
  ];
  for (const [stats, want] of cases) assert.equal(edgeLabel(stats), want, JSON.stringify(stats));
});
