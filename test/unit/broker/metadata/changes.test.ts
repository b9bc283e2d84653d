// Replaying committed changes onto an image: each change makes a new image and leaves the one
// before as it was; a change that does not fit is refused with Kafka's error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChange, type MetadataChange } from '../../../../src/broker/metadata/changes.js';
import { newPartition } from '../../../../src/broker/metadata/image.js';
import { ErrorCode, KafkaError } from '../../../../src/broker/errors.js';
import { registration, singleNodeImage, topicImage } from '../context-helpers.js';

test('changes replay onto a new image and leave the one before unchanged', () => {
  const before = singleNodeImage(1);
  const t = topicImage('t', 2);
  const created = applyChange(before, { type: 'createTopic', topic: t });
  assert.equal(before.topic('t'), undefined);
  assert.equal(created.topicById(t.topicId)!.partitions.length, 2);

  const grown = applyChange(created, { type: 'addPartitions', name: 't', partitions: [newPartition([1])] });
  assert.equal(grown.topic('t')!.partitions.length, 3);
  assert.equal(created.topic('t')!.partitions.length, 2);
  assert.equal(grown.topic('t')!.topicId, t.topicId);

  const configured = applyChange(grown, { type: 'setTopicConfigs', name: 't', configs: { 'retention.ms': '5' } });
  assert.deepEqual(configured.topic('t')!.configs, { 'retention.ms': '5' });
  assert.deepEqual(grown.topic('t')!.configs, {});

  const brokerConfigs = applyChange(configured, { type: 'setBrokerConfigs', configs: { node: { 'log.retention.ms': '9' }, clusterDefault: {} } });
  assert.deepEqual(brokerConfigs.brokerConfigs.node, { 'log.retention.ms': '9' });
  assert.deepEqual(configured.brokerConfigs.node, {});

  const moved = applyChange(brokerConfigs, { type: 'registerBroker', broker: registration(1, 'elsewhere', 1234) });
  assert.deepEqual([...moved.brokers.keys()], [1]);
  assert.equal(moved.endpoint(1, 'PLAINTEXT')!.host, 'elsewhere');

  const deleted = applyChange(moved, { type: 'deleteTopic', name: 't' });
  assert.equal(deleted.topic('t'), undefined);
  assert.equal(deleted.topicById(t.topicId), undefined);
  assert.ok(moved.topic('t'));
});

test('a change that does not fit the image is refused with Kafka\'s error', () => {
  const image = applyChange(singleNodeImage(1), { type: 'createTopic', topic: topicImage('t', 1) });
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e instanceof KafkaError ? e.code : -1;
    }
    return ErrorCode.NONE;
  };
  assert.equal(code(() => applyChange(image, { type: 'createTopic', topic: topicImage('t', 1) })), ErrorCode.TOPIC_ALREADY_EXISTS);
  assert.equal(code(() => applyChange(image, { type: 'createTopic', topic: { ...topicImage('u', 1), topicId: image.topic('t')!.topicId } })), ErrorCode.INVALID_REQUEST);
  assert.equal(code(() => applyChange(image, { type: 'deleteTopic', name: 'u' })), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(code(() => applyChange(image, { type: 'addPartitions', name: 'u', partitions: [] })), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(code(() => applyChange(image, { type: 'setTopicConfigs', name: 'u', configs: {} })), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

test('cluster changes: a broker leaves, the controller moves, a partition\'s registration changes', () => {
  const two = applyChange(singleNodeImage(1, [topicImage('t', 2)]), { type: 'registerBroker', broker: registration(2) });
  const gone = applyChange(two, { type: 'unregisterBroker', id: 1 });
  assert.deepEqual([...gone.brokers.keys()], [2]);
  assert.equal(applyChange(gone, { type: 'setController', id: 2 }).controllerId, 2);
  const moved = { replicas: [1, 2], isr: [2], leader: 2, leaderEpoch: 1, partitionEpoch: 1 };
  const changed = applyChange(gone, { type: 'changePartitions', name: 't', partitions: [{ index: 1, registration: moved }] });
  assert.deepEqual(changed.partition('t', 1), moved);
  assert.deepEqual(changed.partition('t', 0), gone.partition('t', 0));
  assert.throws(() => applyChange(gone, { type: 'changePartitions', name: 't', partitions: [{ index: 2, registration: moved }] }), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

test("AlterPartition: the leader's ISR on the registration it saw, refused when stale", () => {
  const t = { ...topicImage('t', 1), partitions: [{ replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 4, partitionEpoch: 9 }] };
  const image = applyChange(singleNodeImage(1), { type: 'createTopic', topic: t });
  const change: Extract<MetadataChange, { type: 'alterPartition' }> = { type: 'alterPartition', topic: 't', partition: 0, leaderEpoch: 4, partitionEpoch: 9, isr: [1, 2] };
  const shrunk = applyChange(image, change);
  assert.deepEqual(shrunk.partition('t', 0), { replicas: [1, 2, 3], isr: [1, 2], leader: 1, leaderEpoch: 4, partitionEpoch: 10 });
  const refused = (c: Partial<typeof change>, code: number) => assert.throws(() => applyChange(shrunk, { ...change, partitionEpoch: 10, ...c }), (e: unknown) => e instanceof KafkaError && e.code === code);
  assert.throws(() => applyChange(shrunk, change), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.INVALID_UPDATE_VERSION, 'based on partition epoch 9, now 10');
  refused({ leaderEpoch: 3 }, ErrorCode.FENCED_LEADER_EPOCH);
  refused({ leaderEpoch: 5 }, ErrorCode.UNKNOWN_LEADER_EPOCH);
  refused({ isr: [2, 3] }, ErrorCode.INVALID_REQUEST);
  refused({ isr: [1, 4] }, ErrorCode.INVALID_REQUEST);
  refused({ partition: 1 }, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  // KIP-903: broker 3 is not registered (only 1 is), so it may not join the ISR; once registered it may.
  refused({ isr: [1, 2, 3] }, ErrorCode.INELIGIBLE_REPLICA);
  const registered = applyChange(shrunk, { type: 'registerBroker', broker: { id: 3, endpoints: [], rack: null } });
  assert.deepEqual(applyChange(registered, { ...change, partitionEpoch: 10, isr: [1, 2, 3] }).partition('t', 0)?.isr, [1, 2, 3]);
});
