// Dynamic broker configs through the metadata store: committed, then in effect; concurrent
// updates not lost; a value the broker config would refuse is refused before it is stored.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/broker/config.js';
import { brokerResource } from '../../../src/broker/dynamic-configs.js';
import { ErrorCode } from '../../../src/broker/errors.js';
import { LocalMetadataStore } from '../../../src/broker/metadata/local-store.js';
import { storeContext, type StoreContext } from './context-helpers.js';

let dir: string;
let s: StoreContext;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'samsa-dynamic-'));
  s = await storeContext(dir);
});
after(() => rm(dir, { recursive: true, force: true }));

test('an update is stored in the image, then in effect, and every log is told', async () => {
  await s.broker.dynamicConfigs.update('node', () => ({ 'log.retention.ms': '7000' }));
  assert.deepEqual(s.broker.metadata.brokerConfigs, { node: { 'log.retention.ms': '7000' }, clusterDefault: {} });
  assert.equal(s.broker.config.int('log.retention.ms'), 7000);
  assert.deepEqual(s.broker.dynamicConfigs.current('node'), { 'log.retention.ms': '7000' });
  assert.ok(s.replicas.calls.includes('broker configs'));
  assert.deepEqual((await LocalMetadataStore.load([dir], 1, null)).image.brokerConfigs, s.broker.metadata.brokerConfigs);
});

test('concurrent updates of both resources: neither is lost', async () => {
  await Promise.all([
    s.broker.dynamicConfigs.update('default', (current) => ({ ...current, 'log.segment.bytes': '30000' })),
    s.broker.dynamicConfigs.update('node', (current) => ({ ...current, 'log.cleaner.threads': '2' })),
    s.broker.dynamicConfigs.update('default', (current) => ({ ...current, 'log.retention.bytes': '1000' })),
  ]);
  assert.deepEqual(s.broker.metadata.brokerConfigs, {
    node: { 'log.retention.ms': '7000', 'log.cleaner.threads': '2' },
    clusterDefault: { 'log.segment.bytes': '30000', 'log.retention.bytes': '1000' },
  });
});

test('a value the broker config refuses is not stored', async () => {
  const image = s.broker.metadata;
  await assert.rejects(s.broker.dynamicConfigs.update('node', () => ({ 'log.retention.ms': 'soon' })), ConfigError);
  assert.equal(s.broker.metadata, image);
});

test('BROKER resource names: "" is the cluster default, this node\'s id its own, others refused', () => {
  assert.equal(brokerResource('', 1), 'default');
  assert.equal(brokerResource('1', 1), 'node');
  assert.deepEqual(brokerResource('2', 1), { code: ErrorCode.INVALID_REQUEST, message: 'Unexpected broker id, expected 1, but received 2' });
  assert.equal((brokerResource('x', 1) as { code: number }).code, ErrorCode.INVALID_REQUEST);
});
