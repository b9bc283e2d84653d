// The reassignment records replayed: reassignPartition widens the replicas (errors as KafkaErrors
// with Kafka's codes), the AlterPartition that brings the adding replica in sync completes it,
// a cancel reverts, and a stored partition without the new fields still decodes as none in progress.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChange } from '../../../../src/broker/metadata/changes.js';
import { newPartition, MetadataImage } from '../../../../src/broker/metadata/image.js';
import { ErrorCode } from '../../../../src/protocol/error-codes.js';
import { inReassignment } from '../../../../src/broker/controller/reassignment.js';
import { registration } from '../context-helpers.js';

const image = new MetadataImage({
  clusterId: 'c', controllerId: 1, brokers: [1, 2, 3, 4].map((id) => registration(id)),
  topics: [{ name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', internal: false, configs: {}, partitions: [newPartition([1, 2, 3])] }],
});

test('reassign then the ISR change that completes it', () => {
  const moving = applyChange(image, { type: 'reassignPartition', topic: 't', partition: 0, target: [4, 2, 3] });
  const p = moving.partition('t', 0)!;
  assert.deepEqual([p.replicas, p.addingReplicas, p.removingReplicas], [[4, 2, 3, 1], [4], [1]]);
  const done = applyChange(moving, { type: 'alterPartition', topic: 't', partition: 0, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, isr: [1, 2, 3, 4] });
  const q = done.partition('t', 0)!;
  assert.deepEqual([q.replicas, q.isr, q.leader, q.leaderEpoch, inReassignment(q)], [[4, 2, 3], [2, 3, 4], 2, 1, false]);
});

test('cancel reverts; refusals carry the Kafka error code', () => {
  const moving = applyChange(image, { type: 'reassignPartition', topic: 't', partition: 0, target: [4, 2, 3] });
  // As Kafka's PartitionReassignmentRevert: the replicas minus the adding ones, in their current order; the leader stays.
  const reverted = applyChange(moving, { type: 'reassignPartition', topic: 't', partition: 0, target: null }).partition('t', 0)!;
  assert.deepEqual([reverted.replicas, reverted.leader, inReassignment(reverted)], [[2, 3, 1], 1, false]);
  assert.throws(() => applyChange(image, { type: 'reassignPartition', topic: 't', partition: 0, target: null }), (e: { code?: number }) => e.code === ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);
  assert.throws(() => applyChange(image, { type: 'reassignPartition', topic: 't', partition: 0, target: [9] }), (e: { code?: number }) => e.code === ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  assert.throws(() => applyChange(image, { type: 'reassignPartition', topic: 't', partition: 5, target: [1] }), (e: { code?: number }) => e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});
