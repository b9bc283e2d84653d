// KIP-455 reassignment decisions: replicas widen to target + removing, complete once every adding
// replica is in sync (leader replaced if removed), cancel reverts, and bad targets are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cancelReassignment, completeReassignment, reassign, reassignmentCompletions, startReassignment } from '../../../../src/broker/controller/reassignment.js';
import { newPartition, MetadataImage } from '../../../../src/broker/metadata/image.js';
import { ErrorCode } from '../../../../src/protocol/error-codes.js';
import { registration } from '../context-helpers.js';

test('starting: replicas are the target followed by the removing ones; adding and removing recorded', () => {
  const p = newPartition([1, 2, 3]);
  assert.deepEqual(startReassignment(p, [4, 2, 3]), {
    replicas: [4, 2, 3, 1], isr: [1, 2, 3], leader: 1, leaderEpoch: 0, partitionEpoch: 1, addingReplicas: [4], removingReplicas: [1],
  });
});

test('completion waits for every adding replica in the ISR, then drops the removed leader (epoch bumped)', () => {
  const moving = startReassignment(newPartition([1, 2, 3]), [4, 2, 3])!;
  assert.equal(completeReassignment(moving), undefined, 'replica 4 not yet in sync');
  const caughtUp = { ...moving, isr: [1, 2, 3, 4], partitionEpoch: 2 };
  assert.deepEqual(completeReassignment(caughtUp), { replicas: [4, 2, 3], isr: [2, 3, 4], leader: 2, leaderEpoch: 1, partitionEpoch: 3 });
});

test('only removals or a reorder complete at once', () => {
  assert.deepEqual(startReassignment(newPartition([1, 2, 3]), [2, 3]), { replicas: [2, 3], isr: [2, 3], leader: 2, leaderEpoch: 1, partitionEpoch: 2 });
  assert.equal(startReassignment(newPartition([1, 2]), [1, 2]), undefined, 'the same replicas: nothing to do');
});

test('cancel reverts to the original replicas; a new target replaces one in progress from the original', () => {
  const p = newPartition([1, 2, 3]);
  const moving = startReassignment(p, [4, 5, 6])!;
  assert.deepEqual(moving.replicas, [4, 5, 6, 1, 2, 3]);
  assert.deepEqual(cancelReassignment(moving), { replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 0, partitionEpoch: 2 });
  assert.equal(cancelReassignment(p), undefined);
  const retargeted = startReassignment(moving, [1, 2, 4])!;
  assert.deepEqual([retargeted.replicas, retargeted.addingReplicas, retargeted.removingReplicas], [[1, 2, 4, 3], [4], [3]]);
});

test('requests: Kafka error codes for unknown partitions, bad targets and cancels of nothing', () => {
  const image = new MetadataImage({
    clusterId: 'c', controllerId: 1, brokers: [1, 2, 3].map((id) => registration(id)),
    topics: [{ name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', internal: false, configs: {}, partitions: [newPartition([1, 2])] }],
  });
  assert.equal(reassign(image, 'nope', 0, [1]).code, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(reassign(image, 't', 1, [1]).code, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(reassign(image, 't', 0, []).code, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  assert.equal(reassign(image, 't', 0, [1, 1]).code, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  assert.equal(reassign(image, 't', 0, [1, 9]).code, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  assert.equal(reassign(image, 't', 0, null).code, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);
  const ok = reassign(image, 't', 0, [2, 3]);
  assert.equal(ok.code, ErrorCode.NONE);
  assert.deepEqual(ok.registration?.addingReplicas, [3]);
  const moving = new MetadataImage({ ...image, brokers: [...image.brokers.values()], topics: [{ ...image.topic('t')!, partitions: [{ ...ok.registration!, isr: [1, 2, 3] }] }] });
  assert.deepEqual(reassignmentCompletions(moving).map((c) => c.registration.replicas), [[2, 3]]);
});
