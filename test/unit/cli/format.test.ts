import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFormat, parseTime } from '../../../src/cli/format.js';

const rec = { topic: 't', partition: 2, offset: 41n, timestamp: 1_700_000_000_000n, timestampType: 0, key: Buffer.from('k'), value: Buffer.from('hello'), headers: [{ key: 'a', value: Buffer.from('1') }, { key: 'b', value: null }] };

test('kcat-style formats', () => {
  assert.equal(compileFormat('%t/%p@%o %k=%s (%K,%S) [%h] %T 100%%\\n')(rec), 't/2@41 k=hello (1,5) [a=1,b=] 1700000000000 100%\n');
  assert.equal(compileFormat('%s')({ ...rec, key: null, value: null }), '');
  assert.equal(compileFormat('%K %S')({ ...rec, key: null, value: null }), '-1 -1');
  assert.throws(() => compileFormat('%z'), /unknown format token %z/);
});

test('times: ms, ISO dates, durations ago', () => {
  const now = Date.UTC(2024, 0, 1);
  assert.equal(parseTime('5m', now), now - 300_000);
  assert.equal(parseTime('2024-01-01T00:00:00Z', now), now);
  assert.equal(parseTime('1700000000000', now), 1700000000000);
});
