// The coordinators' metadata publisher: a partition of an internal topic led here loads its
// shard (again at a higher leader epoch); leadership moving away unloads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChange, type MetadataChange } from '../../../../src/broker/metadata/changes.js';
import { CoordinatorMetadataPublisher, type CoordinatorLeadership } from '../../../../src/broker/metadata/coordinator-publisher.js';
import type { MetadataImage, PartitionRegistration } from '../../../../src/broker/metadata/image.js';
import { createLogger } from '../../../../src/util/logger.js';
import { registration, singleNodeImage, topicImage } from '../context-helpers.js';

const NODE = 1;

function recordingCoordinator(): CoordinatorLeadership & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    onElection: (p, epoch) => void calls.push(`elect ${p}@${epoch}`),
    onResignation: (p, epoch) => {
      calls.push(`resign ${p}@${epoch ?? '-'}`);
      return Promise.resolve();
    },
  };
}

function setup() {
  const offsets = recordingCoordinator();
  const txn = recordingCoordinator();
  const publisher = new CoordinatorMetadataPublisher(NODE, [{ topic: '__consumer_offsets', coordinator: offsets }, { topic: '__transaction_state', coordinator: txn }], createLogger('silent'));
  let image = singleNodeImage(NODE).with({ brokers: [registration(1), registration(2), registration(3)] });
  const commit = async (change: MetadataChange): Promise<MetadataImage> => {
    const previous = image;
    image = applyChange(image, change);
    await publisher.publish(image, previous);
    return image;
  };
  const lead = (name: string, index: number, leader: number, leaderEpoch: number): MetadataChange => {
    const reg: PartitionRegistration = { replicas: [1, 2, 3], isr: [1, 2, 3], leader, leaderEpoch, partitionEpoch: leaderEpoch };
    return { type: 'changePartitions', name, partitions: [{ index, registration: reg }] };
  };
  return { offsets, txn, commit, lead };
}

const placed = (name: string, leaders: number[]) => ({ ...topicImage(name, 0), internal: true, partitions: leaders.map((leader) => ({ replicas: [1, 2, 3], isr: [1, 2, 3], leader, leaderEpoch: 0, partitionEpoch: 0 })) });

test('a created internal topic: the partitions led here are elected at their leader epoch, the others not', async () => {
  const { offsets, txn, commit } = setup();
  await commit({ type: 'createTopic', topic: placed('__consumer_offsets', [1, 2, 3, 1]) });
  assert.deepEqual(offsets.calls, ['elect 0@0', 'elect 3@0']);
  assert.deepEqual(txn.calls, []);
  await commit({ type: 'createTopic', topic: placed('__transaction_state', [2, 1]) });
  assert.deepEqual(txn.calls, ['elect 1@0']);
});

test('leadership moving here elects; moving away resigns at the new epoch; a higher epoch here re-elects', async () => {
  const { offsets, commit, lead } = setup();
  await commit({ type: 'createTopic', topic: placed('__consumer_offsets', [2, 1]) });
  offsets.calls.length = 0;
  await commit(lead('__consumer_offsets', 0, 1, 1));
  await commit(lead('__consumer_offsets', 1, 3, 1));
  await commit(lead('__consumer_offsets', 0, 1, 2));
  assert.deepEqual(offsets.calls, ['elect 0@1', 'resign 1@1', 'elect 0@2']);
});

test('an ISR change with the same leader and epoch, or another broker\'s leadership change, is nothing to the coordinator', async () => {
  const { offsets, commit } = setup();
  await commit({ type: 'createTopic', topic: placed('__consumer_offsets', [1, 2]) });
  offsets.calls.length = 0;
  await commit({ type: 'alterPartition', topic: '__consumer_offsets', partition: 0, leaderEpoch: 0, partitionEpoch: 0, isr: [1, 2] });
  await commit({ type: 'changePartitions', name: '__consumer_offsets', partitions: [{ index: 1, registration: { replicas: [1, 2, 3], isr: [3], leader: 3, leaderEpoch: 1, partitionEpoch: 1 } }] });
  assert.deepEqual(offsets.calls, []);
});

test('losing the leader without a new epoch, or the topic going away, resigns whatever is loaded', async () => {
  const { offsets, commit } = setup();
  await commit({ type: 'createTopic', topic: placed('__consumer_offsets', [1, 1]) });
  offsets.calls.length = 0;
  await commit({ type: 'changePartitions', name: '__consumer_offsets', partitions: [{ index: 0, registration: { replicas: [1, 2, 3], isr: [1], leader: -1, leaderEpoch: 0, partitionEpoch: 1 } }] });
  assert.deepEqual(offsets.calls.splice(0), ['resign 0@-']);
  await commit({ type: 'deleteTopic', name: '__consumer_offsets' });
  assert.deepEqual(offsets.calls, ['resign 1@-']);
});

test('a slow resignation does not hold up the next image', async () => {
  const calls: string[] = [];
  const stuck: CoordinatorLeadership = { onElection: (p, e) => void calls.push(`elect ${p}@${e}`), onResignation: () => new Promise<void>(() => undefined) };
  const publisher = new CoordinatorMetadataPublisher(NODE, [{ topic: '__consumer_offsets', coordinator: stuck }], createLogger('silent'));
  const base = singleNodeImage(NODE);
  const led = applyChange(base, { type: 'createTopic', topic: placed('__consumer_offsets', [1]) });
  const moved = applyChange(led, { type: 'changePartitions', name: '__consumer_offsets', partitions: [{ index: 0, registration: { replicas: [1, 2, 3], isr: [2], leader: 2, leaderEpoch: 1, partitionEpoch: 1 } }] });
  await publisher.publish(led, base);
  await publisher.publish(moved, led);
  assert.deepEqual(calls, ['elect 0@0']);
});
