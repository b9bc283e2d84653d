// Controlled shutdown, the controller's side (KRaft's handleBrokerInControlledShutdown): a broker
// that asked to shut down is marked, and in the same change hands its leaderships to the first
// other ISR member and leaves every ISR (epochs bumped as on any leader/ISR change), except where
// it is the only ISR member; it cannot rejoin an ISR, lead after a preferred election, or get
// new replicas; its shutdown is complete once nothing movable is left. In etcd the mark is the
// controller's key on the broker's own lease.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterLivenessChange, controlledShutdownRemaining, livenessChanges } from '../../../../src/broker/controller/partition-change.js';
import { rebalanceMoves } from '../../../../src/broker/controller/preferred-election.js';
import { applyChange } from '../../../../src/broker/metadata/changes.js';
import { encodeBroker, encodeTopic, EtcdKeys, imageFromKeys, writesForChange } from '../../../../src/broker/metadata/etcd-codec.js';
import { MetadataImage, newPartition, type PartitionRegistration } from '../../../../src/broker/metadata/image.js';
import { ErrorCode, KafkaError } from '../../../../src/broker/errors.js';
import { registration } from '../context-helpers.js';

const ids = (...list: number[]) => new Set(list);

function image(partitions: PartitionRegistration[], shuttingDown: number[] = []): MetadataImage {
  return new MetadataImage({
    clusterId: 'c',
    controllerId: 1,
    brokers: [1, 2, 3].map((id) => (shuttingDown.includes(id) ? { ...registration(id), inControlledShutdown: true } : registration(id))),
    topics: [{ name: 't', topicId: 'tid', internal: false, configs: {}, partitions }],
  });
}

const refusal = (code: number) => (e: unknown) => e instanceof KafkaError && e.code === code;

test('a leader in controlled shutdown hands over to the first other ISR member and leaves the ISR; both epochs move', () => {
  const p = { replicas: [2, 1, 3], isr: [2, 3, 1], leader: 2, leaderEpoch: 4, partitionEpoch: 7 };
  assert.deepEqual(afterLivenessChange(p, ids(1, 2, 3), ids(1, 3)), { replicas: [2, 1, 3], isr: [3, 1], leader: 3, leaderEpoch: 5, partitionEpoch: 8 });
});

test('a follower in controlled shutdown leaves the ISR: the partition epoch moves, the leader epoch does not', () => {
  const p = { ...newPartition([1, 2, 3]), leaderEpoch: 2, partitionEpoch: 3 };
  assert.deepEqual(afterLivenessChange(p, ids(1, 2, 3), ids(1, 3)), { replicas: [1, 2, 3], isr: [1, 3], leader: 1, leaderEpoch: 2, partitionEpoch: 4 });
});

test('the only ISR member keeps leading while it shuts down (nobody else has its records)', () => {
  const p = { replicas: [2, 1, 3], isr: [2], leader: 2, leaderEpoch: 1, partitionEpoch: 1 };
  assert.equal(afterLivenessChange(p, ids(1, 2, 3), ids(1, 3)), undefined);
});

test('a dead leader is not replaced by an ISR member in controlled shutdown: offline, as no eligible replica is in sync', () => {
  const p = { replicas: [1, 2, 3], isr: [1, 2], leader: 1, leaderEpoch: 1, partitionEpoch: 1 };
  assert.deepEqual(afterLivenessChange(p, ids(2, 3), ids(3)), { replicas: [1, 2, 3], isr: [1], leader: -1, leaderEpoch: 2, partitionEpoch: 2 });
});

test('the controlledShutdown change marks the broker and moves every leadership and ISR place it can in the same image', () => {
  const before = image([newPartition([2, 1, 3]), newPartition([1, 2, 3]), { replicas: [2, 3], isr: [2], leader: 2, leaderEpoch: 0, partitionEpoch: 0 }, newPartition([1, 3])]);
  assert.equal(controlledShutdownRemaining(before, 2), Number.POSITIVE_INFINITY, 'not done before the controller marked it');
  const after = applyChange(before, { type: 'controlledShutdown', id: 2 });
  assert.equal(after.broker(2)!.inControlledShutdown, true);
  assert.deepEqual(after.usableBrokers().map((b) => b.id).sort(), [1, 3]);
  const [p0, p1, p2, p3] = after.topic('t')!.partitions;
  assert.deepEqual(p0, { replicas: [2, 1, 3], isr: [1, 3], leader: 1, leaderEpoch: 1, partitionEpoch: 1 });
  assert.deepEqual(p1, { replicas: [1, 2, 3], isr: [1, 3], leader: 1, leaderEpoch: 0, partitionEpoch: 1 });
  assert.deepEqual(p2, { replicas: [2, 3], isr: [2], leader: 2, leaderEpoch: 0, partitionEpoch: 0 }, 'the sole ISR member still leads');
  assert.deepEqual(p3, newPartition([1, 3]), 'a partition without the broker is untouched');
  assert.equal(controlledShutdownRemaining(after, 2), 0, 'done: what is left cannot move');
  assert.deepEqual(livenessChanges(after), [], 'nothing left for the controller to move');
});

test('a controlled shutdown is not complete while a movable leadership is left (a partition changed under it)', () => {
  const marked = image([newPartition([2, 1])], [2]);
  assert.equal(controlledShutdownRemaining(marked, 2), 1);
});

test('an unregistered broker cannot enter controlled shutdown (BROKER_ID_NOT_REGISTERED)', () => {
  assert.throws(() => applyChange(image([]), { type: 'controlledShutdown', id: 7 }), refusal(ErrorCode.BROKER_ID_NOT_REGISTERED));
});

test('a leader cannot bring a broker in controlled shutdown back into the ISR (INELIGIBLE_REPLICA, as KIP-903 for unregistered ones)', () => {
  const moved = applyChange(image([newPartition([2, 1, 3])]), { type: 'controlledShutdown', id: 2 });
  const p = moved.partition('t', 0)!;
  assert.throws(
    () => applyChange(moved, { type: 'alterPartition', topic: 't', partition: 0, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, isr: [...p.isr, 2] }),
    refusal(ErrorCode.INELIGIBLE_REPLICA),
  );
  // A shrink by the same leader is still accepted.
  const shrunk = applyChange(moved, { type: 'alterPartition', topic: 't', partition: 0, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, isr: [1] });
  assert.deepEqual(shrunk.partition('t', 0)!.isr, [1]);
});

test('a preferred replica in controlled shutdown gets no leadership back (rebalance, ElectLeaders)', () => {
  const shutting = image([{ replicas: [2, 1, 3], isr: [2, 1, 3], leader: 1, leaderEpoch: 1, partitionEpoch: 1 }], [2]);
  assert.deepEqual(rebalanceMoves(shutting), []);
  assert.throws(() => applyChange(shutting, { type: 'electLeader', topic: 't', partition: 0, electionType: 0 }), refusal(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE));
  const back = image([{ replicas: [2, 1, 3], isr: [2, 1, 3], leader: 1, leaderEpoch: 1, partitionEpoch: 1 }]);
  assert.equal(rebalanceMoves(back).length, 1, 'the same broker, not shutting down, is elected');
});

test('etcd: the mark is a key the controller puts on the broker\'s lease, read back into the broker\'s registration', () => {
  const keys = new EtcdKeys('/c1');
  const kvs = new Map([
    [keys.clusterId, 'cid'],
    [keys.broker(1), encodeBroker(registration(1))],
    [keys.broker(2), encodeBroker(registration(2))],
    [keys.topic('t'), encodeTopic({ name: 't', topicId: 'tid', internal: false, configs: {}, partitions: [newPartition([2, 1])] })],
  ]);
  const writes = writesForChange(kvs, keys, 2, { type: 'controlledShutdown', id: 2 });
  const mark = writes.find((w) => w.key === keys.controlledShutdown(2));
  assert.deepEqual(mark && { sameLeaseAs: mark.sameLeaseAs, lease: mark.lease }, { sameLeaseAs: keys.broker(2), lease: undefined });
  const topicWrite = writes.find((w) => w.key === keys.topic('t'))!;
  assert.deepEqual((JSON.parse(topicWrite.value!) as { partitions: PartitionRegistration[] }).partitions[0], { replicas: [2, 1], isr: [1], leader: 1, leaderEpoch: 1, partitionEpoch: 1 });
  for (const w of writes) kvs.set(w.key, w.value!);
  const seen = imageFromKeys(kvs, keys, 1);
  assert.equal(seen.broker(2)!.inControlledShutdown, true);
  assert.equal(seen.broker(1)!.inControlledShutdown, undefined);
  assert.equal(controlledShutdownRemaining(seen, 2), 0);
  assert.deepEqual(writesForChange(kvs, keys, 2, { type: 'controlledShutdown', id: 2 }), [], 'asking again writes nothing');
  // The broker's registration gone (its lease expired or revoked): the mark alone marks nobody.
  kvs.delete(keys.broker(2));
  assert.equal(imageFromKeys(kvs, keys, 1).broker(2), undefined);
});
