import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMatchers } from '../src/alertsview.js';

test('parseMatchers reads the four operators, commas and escapes', () => {
  assert.deepEqual(parseMatchers('alertname="KafkaLag"\nmodule!="x", hop=~"group:.*" ,topic!~"a\\"b"'), [
    { name: 'alertname', value: 'KafkaLag', isRegex: false, isEqual: true },
    { name: 'module', value: 'x', isRegex: false, isEqual: false },
    { name: 'hop', value: 'group:.*', isRegex: true, isEqual: true },
    { name: 'topic', value: 'a"b', isRegex: true, isEqual: false },
  ]);
  assert.deepEqual(parseMatchers('hop="topic:demo/a,b->group:demo/g"'), [
    { name: 'hop', value: 'topic:demo/a,b->group:demo/g', isRegex: false, isEqual: true },
  ]);
});

test('parseMatchers rejects bad input', () => {
  for (const bad of ['', ' \n ', 'alertname=KafkaLag', '1x="a"', 'a=="b"', 'a="b" c="d"']) {
    assert.throws(() => parseMatchers(bad), /matcher/, JSON.stringify(bad));
  }
});
