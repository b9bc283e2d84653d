// Operator-asked elections (ElectLeaders): preferred moves leadership to the first replica when
// it is alive and in sync, unclean gives a leaderless partition any live replica; each refusal
// is Kafka's error code. Also through applyChange, as the controller commits it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { electedRegistration, ElectionType } from '../../../../src/broker/controller/preferred-election.js';
import { applyChange } from '../../../../src/broker/metadata/changes.js';
import { MetadataImage } from '../../../../src/broker/metadata/image.js';
import { ErrorCode, KafkaError } from '../../../../src/broker/errors.js';

const live = (...ids: number[]) => new Set(ids);
const p = (leader: number, isr: number[], replicas = [1, 2, 3]) => ({ replicas, isr, leader, leaderEpoch: 3, partitionEpoch: 7 });
const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as KafkaError).code;
  }
  return ErrorCode.NONE;
};

test('preferred: the first replica leads again, both epochs bumped', () => {
  assert.deepEqual(electedRegistration(p(2, [2, 3, 1]), live(1, 2, 3), ElectionType.PREFERRED, 't-0'), { replicas: [1, 2, 3], isr: [2, 3, 1], leader: 1, leaderEpoch: 4, partitionEpoch: 8 });
});

test('preferred: not needed when it leads, not available when dead or out of the ISR', () => {
  assert.equal(code(() => electedRegistration(p(1, [1, 2]), live(1, 2, 3), 0, 't-0')), ErrorCode.ELECTION_NOT_NEEDED);
  assert.equal(code(() => electedRegistration(p(2, [2, 3]), live(1, 2, 3), 0, 't-0')), ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);
  assert.equal(code(() => electedRegistration(p(2, [1, 2]), live(2, 3), 0, 't-0')), ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);
});

test('unclean: a live leader needs none; a live ISR member first, else any live replica alone in the ISR; none alive is ELIGIBLE_LEADERS_NOT_AVAILABLE', () => {
  assert.equal(code(() => electedRegistration(p(2, [2]), live(1, 2), 1, 't-0')), ErrorCode.ELECTION_NOT_NEEDED);
  assert.deepEqual(electedRegistration(p(-1, [1]), live(2, 3), 1, 't-0'), { replicas: [1, 2, 3], isr: [2], leader: 2, leaderEpoch: 4, partitionEpoch: 8 });
  assert.equal(electedRegistration(p(-1, [3, 1]), live(2, 3), 1, 't-0').leader, 3);
  assert.equal(code(() => electedRegistration(p(-1, [1]), live(4), 1, 't-0')), ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE);
  assert.equal(code(() => electedRegistration(p(-1, [1]), live(1), 7, 't-0')), ErrorCode.INVALID_REQUEST);
});

test('applyChange electLeader decides on the image: live brokers are the registered ones; unknown partitions refused', () => {
  const broker = (id: number) => ({ id, endpoints: [], rack: null });
  const image = new MetadataImage({ clusterId: 'c', controllerId: 1, brokers: [broker(1), broker(2)], topics: [{ name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', internal: false, configs: {}, partitions: [p(2, [1, 2], [1, 2])] } as never] });
  const next = applyChange(image, { type: 'electLeader', topic: 't', partition: 0, electionType: 0 });
  assert.equal(next.topic('t')!.partitions[0]!.leader, 1);
  assert.equal(code(() => applyChange(next, { type: 'electLeader', topic: 't', partition: 0, electionType: 0 })), ErrorCode.ELECTION_NOT_NEEDED);
  assert.equal(code(() => applyChange(image, { type: 'electLeader', topic: 't', partition: 5, electionType: 0 })), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(code(() => applyChange(image, { type: 'electLeader', topic: 'nope', partition: 0, electionType: 0 })), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

test('rebalance: every partition whose preferred replica is alive and in sync but not leading moves back; none otherwise', async () => {
  const { rebalanceMoves } = await import('../../../../src/broker/controller/preferred-election.js');
  const broker = (id: number) => ({ id, endpoints: [], rack: null });
  const parts = [p(2, [1, 2, 3]), p(2, [2, 3]), p(1, [1, 2, 3])];
  const topic = { name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', internal: false, configs: {}, partitions: parts } as never;
  const image = new MetadataImage({ clusterId: 'c', controllerId: 1, brokers: [broker(1), broker(2), broker(3)], topics: [topic] });
  // Partition 1 has broker 1 out of the ISR, partition 2 is led by it already.
  assert.deepEqual(rebalanceMoves(image).map((m) => [m.index, m.registration.leader, m.registration.leaderEpoch]), [[0, 1, 4]]);
  const dead = new MetadataImage({ clusterId: 'c', controllerId: 2, brokers: [broker(2), broker(3)], topics: [topic] });
  assert.deepEqual(rebalanceMoves(dead), [], 'a dead preferred replica gets nothing');
});
