// The controller side of topics over a real local metadata store: placement on registered
// brokers, the publisher's work done before a proposal resolves, and config updates computed
// one after the other so that concurrent ones are not lost.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, KafkaError } from '../../../src/broker/errors.js';
import { newPartition } from '../../../src/broker/metadata/image.js';
import { registration, storeContext, type StoreContext } from './context-helpers.js';

let dir: string;
let s: StoreContext;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'samsa-topics-'));
  s = await storeContext(dir);
});
after(() => rm(dir, { recursive: true, force: true }));

test('create: partitions on the registered broker, leading and in sync; the logs are open when it resolves', async () => {
  const topic = await s.broker.topics.create('placed', 3, -1, { 'retention.ms': '100' });
  assert.deepEqual(topic.partitions, [newPartition([1]), newPartition([1]), newPartition([1])]);
  assert.deepEqual(topic.configs, { 'retention.ms': '100' });
  assert.equal(s.broker.metadata.topic('placed'), topic);
  assert.deepEqual(s.replicas.opened.filter((p) => p.startsWith('placed-')), ['placed-0', 'placed-1', 'placed-2']);
});

test('a replication factor above the registered brokers is refused, naming how many there are', () => {
  assert.throws(
    () => s.broker.topics.validateCreate('wide', 1, 2, {}),
    (e) => e instanceof KafkaError && e.code === ErrorCode.INVALID_REPLICATION_FACTOR && /only 1 broker\(s\) are registered/.test(e.message),
  );
});

test('added partitions are placed like the first ones and opened', async () => {
  await s.broker.topics.create('grows', 1, 1, {});
  await s.broker.topics.addPartitions('grows', 3);
  assert.deepEqual(s.broker.metadata.topic('grows')!.partitions.map((p) => p.replicas), [[1], [1], [1]]);
  assert.deepEqual(s.replicas.opened.filter((p) => p.startsWith('grows-')), ['grows-0', 'grows-1', 'grows-2']);
});

test('concurrent config updates each start from the configs the one before committed', async () => {
  await s.broker.topics.create('cfg', 1, 1, {});
  const seen: (string | undefined)[] = [];
  const append = (value: string) =>
    s.broker.topics.updateConfigs('cfg', (current) => {
      seen.push(current?.['cleanup.policy']);
      return { 'cleanup.policy': current?.['cleanup.policy'] ? `${current['cleanup.policy']},${value}` : value };
    });
  await Promise.all([append('delete'), append('compact')]);
  assert.deepEqual(seen, [undefined, 'delete']);
  assert.deepEqual(s.broker.metadata.topic('cfg')!.configs, { 'cleanup.policy': 'delete,compact' });
  // No change asked for: nothing proposed.
  const image = s.broker.metadata;
  await s.broker.topics.updateConfigs('cfg', () => undefined);
  assert.equal(s.broker.metadata, image);
});

test('delete: the topic leaves the image and its logs are removed before it resolves', async () => {
  await s.broker.topics.create('doomed', 1, 1, {});
  await s.broker.topics.delete('doomed');
  assert.equal(s.broker.metadata.topic('doomed'), undefined);
  assert.deepEqual(s.replicas.deleted, ['doomed']);
});

test('replicas chosen by the request are used as given; otherwise partitions go round the registered brokers', async () => {
  const other = await mkdtemp(join(tmpdir(), 'samsa-topics-'));
  try {
    const two = await storeContext(other);
    await two.store.propose({ type: 'registerBroker', broker: registration(2) });
    // Placed round-robin, partition 1 lands on node 2: a single-node store cannot record that.
    await assert.rejects(two.broker.topics.create('placed', 2, 1, {}), (e) => e instanceof KafkaError && e.code === ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    const chosen = await two.broker.topics.create('chosen', 2, 1, {}, [[1], [1]]);
    assert.deepEqual(chosen.partitions.map((p) => [p.replicas, p.leader]), [[[1], 1], [[1], 1]]);
    await two.broker.topics.addPartitions('chosen', 3, [[1]]);
    assert.deepEqual(two.broker.metadata.topic('chosen')!.partitions.map((p) => p.replicas), [[1], [1], [1]]);
  } finally {
    await rm(other, { recursive: true, force: true });
  }
});
