// etcd's keys and a broker's image: every broker derives the same image from the same keys
// (its own dynamic configs aside), the difference between two images replays onto the first to
// give the second, and the controller's key writes for a change commit exactly that change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChange, type MetadataChange } from '../../../../src/broker/metadata/changes.js';
import { diffImages, encodeBroker, encodeTopic, EtcdKeys, imageFromKeys, writesForChange } from '../../../../src/broker/metadata/etcd-codec.js';
import { newPartition, type MetadataImage } from '../../../../src/broker/metadata/image.js';
import { ErrorCode, KafkaError } from '../../../../src/broker/errors.js';
import { registration, topicImage } from '../context-helpers.js';

const keys = new EtcdKeys('/c1');

const view = (i: MetadataImage) => JSON.stringify({
  clusterId: i.clusterId,
  controllerId: i.controllerId,
  brokers: [...i.brokers.values()].sort((a, b) => a.id - b.id),
  topics: [...i.topics.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
  brokerConfigs: i.brokerConfigs,
});

function clusterKeys(): Map<string, string> {
  const t = { ...topicImage('orders', 2), topicId: 'orders-id', partitions: [newPartition([1, 2]), newPartition([2, 1])] };
  return new Map([
    [keys.clusterId, 'cid'],
    [keys.controller, '2'],
    [keys.broker(1), encodeBroker(registration(1, 'h1', 9092, 'a'))],
    [keys.broker(2), encodeBroker(registration(2, 'h2', 9092, 'b'))],
    [keys.topic('orders'), encodeTopic(t)],
    [keys.brokerConfigs(1), JSON.stringify({ 'log.retention.ms': '1' })],
    [keys.brokerConfigs(null), JSON.stringify({ 'log.retention.ms': '2' })],
    [keys.proposal('1-5-1'), '{}'],
    ['/c1/brokers/3', 'not json'],
    ['/other/topics/x', encodeTopic(topicImage('x', 1))],
  ]);
}

test('the image of the keys: brokers, controller, topics, this node\'s and the default configs; foreign and bad keys skipped', () => {
  const one = imageFromKeys(clusterKeys(), keys, 1);
  assert.equal(one.clusterId, 'cid');
  assert.equal(one.controllerId, 2);
  assert.deepEqual([...one.brokers.keys()].sort(), [1, 2]);
  assert.equal(one.broker(2)!.rack, 'b');
  assert.deepEqual([...one.topics.keys()], ['orders']);
  assert.deepEqual(one.partition('orders', 1)!.replicas, [2, 1]);
  assert.deepEqual(one.brokerConfigs, { node: { 'log.retention.ms': '1' }, clusterDefault: { 'log.retention.ms': '2' } });
  const two = imageFromKeys(clusterKeys(), keys, 2);
  assert.deepEqual(two.brokerConfigs.node, {});
  assert.equal(view(one.with({ brokerConfigs: two.brokerConfigs })), view(two));
  assert.equal(imageFromKeys(new Map(), keys, 1).controllerId, -1);
});

test('the difference of two images replays onto the first to give the second', () => {
  const prev = imageFromKeys(clusterKeys(), keys, 1);
  const orders = prev.topic('orders')!;
  const cases: [string, (kvs: Map<string, string>) => void][] = [
    ['broker gone, controller moved', (kvs) => (kvs.delete(keys.broker(2)), kvs.set(keys.controller, '1'))],
    ['broker registered again elsewhere', (kvs) => kvs.set(keys.broker(2), encodeBroker(registration(2, 'h9', 1, null)))],
    ['no controller', (kvs) => kvs.delete(keys.controller)],
    ['topic recreated under a new id, another created', (kvs) => {
      kvs.set(keys.topic('orders'), encodeTopic({ ...orders, topicId: 'new-id' }));
      kvs.set(keys.topic('audit'), encodeTopic(topicImage('audit', 1)));
    }],
    ['topic deleted', (kvs) => kvs.delete(keys.topic('orders'))],
    ['configs, a leader change and a new partition at once', (kvs) => kvs.set(keys.topic('orders'), encodeTopic({
      ...orders,
      configs: { 'cleanup.policy': 'compact' },
      partitions: [{ ...orders.partitions[0]!, leader: 2, isr: [2], leaderEpoch: 1, partitionEpoch: 1 }, orders.partitions[1]!, newPartition([1, 2])],
    }))],
    ['dynamic configs', (kvs) => kvs.set(keys.brokerConfigs(null), '{}')],
  ];
  for (const [name, edit] of cases) {
    const kvs = clusterKeys();
    edit(kvs);
    const next = imageFromKeys(kvs, keys, 1);
    const changes = diffImages(prev, next);
    assert.ok(changes.length > 0, name);
    assert.equal(view(changes.reduce(applyChange, prev)), view(next), name);
  }
  assert.deepEqual(diffImages(prev, imageFromKeys(clusterKeys(), keys, 1)), []);
});

test('the controller\'s writes for a proposed change commit that change as the proposer sees it', () => {
  const proposals: [number, MetadataChange][] = [
    [1, { type: 'createTopic', topic: topicImage('audit', 3) }],
    [1, { type: 'deleteTopic', name: 'orders' }],
    [2, { type: 'addPartitions', name: 'orders', partitions: [newPartition([1, 2])] }],
    [2, { type: 'setTopicConfigs', name: 'orders', configs: { 'retention.ms': '7' } }],
    [2, { type: 'setBrokerConfigs', configs: { node: { 'log.segment.bytes': '1000' }, clusterDefault: {} } }],
    [1, { type: 'changePartitions', name: 'orders', partitions: [{ index: 1, registration: { ...newPartition([2, 1]), isr: [2], partitionEpoch: 1 } }] }],
  ];
  for (const [nodeId, change] of proposals) {
    const kvs = clusterKeys();
    const expected = applyChange(imageFromKeys(kvs, keys, nodeId), change);
    const writes = writesForChange(kvs, keys, nodeId, change);
    assert.ok(writes.length > 0, change.type);
    for (const w of writes) {
      assert.ok(w.key.startsWith('/c1/topics/') || w.key.startsWith('/c1/configs/'), w.key);
      if (w.value === null) kvs.delete(w.key);
      else kvs.set(w.key, w.value);
    }
    assert.equal(view(imageFromKeys(kvs, keys, nodeId)), view(expected), change.type);
  }
  // Node 2's dynamic configs are its own key: node 1 does not see them as its node configs.
  const kvs = clusterKeys();
  for (const w of writesForChange(kvs, keys, 2, proposals[4]![1])) kvs.set(w.key, w.value!);
  assert.deepEqual(imageFromKeys(kvs, keys, 1).brokerConfigs.node, { 'log.retention.ms': '1' });
});

test('a change that does not fit is refused with Kafka\'s error and writes nothing', () => {
  assert.throws(() => writesForChange(clusterKeys(), keys, 1, { type: 'createTopic', topic: topicImage('orders', 1) }), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.TOPIC_ALREADY_EXISTS);
  assert.throws(() => writesForChange(clusterKeys(), keys, 1, { type: 'deleteTopic', name: 'nope' }), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  // Placed on a broker that died after the proposer looked.
  const onDead = { ...topicImage('late', 1), partitions: [newPartition([1, 3])] };
  assert.throws(() => writesForChange(clusterKeys(), keys, 1, { type: 'createTopic', topic: onDead }), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.INVALID_REPLICA_ASSIGNMENT && /Broker 3/.test(e.message));
  assert.throws(() => writesForChange(clusterKeys(), keys, 1, { type: 'addPartitions', name: 'orders', partitions: [newPartition([3])] }), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.INVALID_REPLICA_ASSIGNMENT);
});
