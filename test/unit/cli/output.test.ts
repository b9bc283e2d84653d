import { test } from 'node:test';
import assert from 'node:assert/strict';
import { table, toYaml, toJson } from '../../../src/cli/output.js';

test('table, json and yaml output', () => {
  const rows = [{ a: 'x', n: 1n }, { a: 'longer', n: 1234n }];
  assert.equal(table(rows, [{ header: 'NAME', get: (r) => r.a }, { header: 'N', get: (r) => r.n, align: 'right' }]), 'NAME       N\nx          1\nlonger  1234\n');
  assert.equal(toJson({ big: 2n ** 70n, small: 5n }, false), '{"big":"1180591620717411303424","small":5}');
  assert.equal(toYaml([{ name: 't', partitions: [0, 1], cfg: {}, v: null, s: '1.5', t: 'true' }]), '- name: t\n  partitions:\n  - 0\n  - 1\n  cfg: {}\n  v: null\n  s: "1.5"\n  t: "true"\n');
});
