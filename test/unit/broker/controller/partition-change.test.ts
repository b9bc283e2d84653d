// The controller's decisions on broker liveness: a dead leader is replaced by the first live ISR
// member (leader epoch bumped), a dead follower leaves the ISR, a partition with no live ISR
// member goes offline without unclean election, and comes back when its last ISR member does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterLivenessChange, livenessChanges } from '../../../../src/broker/controller/partition-change.js';
import { newPartition, MetadataImage } from '../../../../src/broker/metadata/image.js';
import { registration } from '../context-helpers.js';

const live = (...ids: number[]) => new Set(ids);

test('a dead leader: the first live ISR member leads, both epochs bumped', () => {
  const p = newPartition([1, 2, 3]);
  assert.deepEqual(afterLivenessChange(p, live(2, 3)), { replicas: [1, 2, 3], isr: [2, 3], leader: 2, leaderEpoch: 1, partitionEpoch: 1 });
});

test('a dead follower leaves the ISR: the partition epoch moves, the leader epoch does not', () => {
  const p = { ...newPartition([1, 2, 3]), leaderEpoch: 4, partitionEpoch: 9 };
  assert.deepEqual(afterLivenessChange(p, live(1, 3)), { replicas: [1, 2, 3], isr: [1, 3], leader: 1, leaderEpoch: 4, partitionEpoch: 10 });
});

test('a replica outside the ISR is never elected (unclean election off): offline, keeping its last ISR member', () => {
  const p = { replicas: [1, 2, 3], isr: [1], leader: 1, leaderEpoch: 2, partitionEpoch: 5 };
  const offline = afterLivenessChange(p, live(2, 3))!;
  assert.deepEqual(offline, { replicas: [1, 2, 3], isr: [1], leader: -1, leaderEpoch: 3, partitionEpoch: 6 });
  assert.equal(afterLivenessChange(offline, live(2, 3)), undefined, 'stays offline, unchanged');
  assert.deepEqual(afterLivenessChange(offline, live(1, 2, 3)), { replicas: [1, 2, 3], isr: [1], leader: 1, leaderEpoch: 4, partitionEpoch: 7 });
});

test('nothing changes while the leader and ISR are alive', () => {
  assert.equal(afterLivenessChange(newPartition([1, 2]), live(1, 2, 3)), undefined);
});

test('every partition of the image that a dead broker touches, and only those', () => {
  const image = new MetadataImage({
    clusterId: 'c',
    controllerId: 1,
    brokers: [registration(1), registration(3)],
    topics: [{ name: 't', topicId: 'id', internal: false, configs: {}, partitions: [newPartition([1, 3]), newPartition([2, 1]), newPartition([3, 1])] }],
  });
  assert.deepEqual(livenessChanges(image).map((c) => [c.topic, c.index, c.registration.leader, c.registration.isr]), [['t', 1, 1, [1]]]);
});
