import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveCluster, parseKeyValues, UsageError, producerOptions, consumerOptions } from '../../../src/cli/settings.js';

test('brokers: -b, then SAMSA_BROKERS, then the profile, then localhost', () => {
  const dir = dirname(fileURLToPath(import.meta.url));
  const env = { SAMSA_CONFIG: join(dir, 'no-such-profiles.json') };
  assert.deepEqual(resolveCluster({ brokers: 'a:1,b:2' }, env).brokers, ['a:1', 'b:2']);
  assert.deepEqual(resolveCluster({}, { ...env, SAMSA_BROKERS: 'c:3' }).brokers, ['c:3']);
  assert.deepEqual(resolveCluster({}, env).brokers, ['localhost:9092']);
  assert.throws(() => resolveCluster({ profile: 'x' }, env), /no profile "x"/);
  const r = resolveCluster({ set: ['acks=all', 'linger.ms=20', 'auto.offset.reset=earliest', 'partition.assignment.strategy=cooperative-sticky'] }, env);
  assert.deepEqual(producerOptions(r), { acks: -1, lingerMs: 20 });
  assert.deepEqual(consumerOptions(r), { autoOffsetReset: 'earliest', assignors: ['cooperative-sticky'] });
  assert.deepEqual(parseKeyValues(['a=b=c'], 'x'), { a: 'b=c' });
  assert.throws(() => parseKeyValues(['nokey'], '-X'), UsageError);
});
