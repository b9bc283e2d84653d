// The partition's state and its invariants: the high watermark is the minimum log end offset
// over the ISR and never moves backwards; logStartOffset <= lastStableOffset <= highWatermark
// <= logEndOffset; a follower's fetch moves its replica state; a follower append rebuilds the
// producer state the leader's appends built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvariantViolation, type IsrProposal } from '../../../../src/broker/replica/partition.js';
import { ErrorCode } from '../../../../src/broker/errors.js';
import { MockTime } from '../../../../src/util/time.js';
import { appendClient, clientBatch, newPartition } from './helpers.js';

test('one node: the partition leads at epoch 0, alone in the ISR, and the high watermark follows its appends', async () => {
  const time = new MockTime();
  let moves = 0;
  const p = await newPartition(time, { listener: () => moves++ });
  assert.equal(p.leaderEpoch, 0);
  assert.deepEqual(p.assignedReplicas, [1]);
  assert.deepEqual(p.isr, [1]);
  assert.equal(p.highWatermark, 0n);
  const { records, batch } = clientBatch({ records: 3 });
  await p.appendFromClient(records, batch);
  assert.equal(p.logEndOffset, 3n);
  assert.equal(p.highWatermark, 3n);
  assert.equal(p.replicaState(1)?.logEndOffset, 3n);
  assert.equal(p.replicaState(1)?.lastCaughtUpTimeMs, time.now());
  assert.equal(moves, 1);
  assert.equal(p.visibleBytes, records.length);
  p.checkInvariants();
});

test('the high watermark is the minimum log end offset over the ISR and never moves backwards', async () => {
  const time = new MockTime();
  const p = await newPartition(time);
  assert.equal(p.makeLeader({ leaderEpoch: 1, partitionEpoch: 1, replicas: [1, 2, 3], isr: [1, 2] }), true);
  for (let i = 0; i < 3; i++) {
    const { records, batch } = clientBatch();
    await p.appendFromClient(records, batch);
  }
  assert.equal(p.logEndOffset, 3n);
  assert.equal(p.highWatermark, 0n, 'follower 2 has not fetched: nothing is replicated');
  p.checkInvariants();

  await time.advance(10);
  assert.equal(p.updateFollowerFetchState(2, 2n, p.logEndOffset), true);
  assert.equal(p.replicaState(2)?.logEndOffset, 2n);
  assert.equal(p.highWatermark, 2n);
  assert.equal(p.updateFollowerFetchState(2, 3n, p.logEndOffset), true);
  assert.equal(p.highWatermark, 3n);
  assert.equal(p.replicaState(2)?.lastCaughtUpTimeMs, time.now());
  // A lower fetch offset (the follower truncated) moves its state but not the high watermark.
  assert.equal(p.updateFollowerFetchState(2, 1n, p.logEndOffset), true);
  assert.equal(p.replicaState(2)?.logEndOffset, 1n);
  assert.equal(p.highWatermark, 3n);
});

test("a follower's fetch updates its replica state; a replica caught up to the high watermark is proposed into the ISR and joins once committed", async () => {
  const time = new MockTime();
  const proposals: IsrProposal[] = [];
  const p = await newPartition(time, { onAlterPartition: (_, proposal) => proposals.push(proposal) });
  p.makeLeader({ leaderEpoch: 1, partitionEpoch: 1, replicas: [1, 2, 3], isr: [1, 2] });
  const { records, batch } = clientBatch({ records: 4 });
  await p.appendFromClient(records, batch);
  p.updateFollowerFetchState(2, 4n, 4n);
  assert.equal(p.highWatermark, 4n);
  assert.equal(p.updateFollowerFetchState(3, 1n, 4n), true);
  assert.deepEqual(proposals, [], 'below the high watermark: not in sync');
  assert.equal(p.updateFollowerFetchState(3, 4n, 4n), true);
  assert.deepEqual(proposals, [{ leaderEpoch: 1, partitionEpoch: 1, isr: [1, 2, 3] }]);
  assert.deepEqual(p.isr, [1, 2], 'proposed, not committed: the ISR is unchanged');
  assert.deepEqual(p.maximalIsr, [1, 2, 3]);
  p.updateFollowerFetchState(3, 4n, 4n);
  assert.equal(proposals.length, 1, 'one change at a time');
  // The committed change comes back through the image: same leader epoch, next partition epoch.
  assert.equal(p.makeLeader({ leaderEpoch: 1, partitionEpoch: 2, replicas: [1, 2, 3], isr: [1, 2, 3] }), false);
  assert.deepEqual(p.isr, [1, 2, 3]);
  assert.equal(p.pendingIsrChange, undefined);
  assert.equal(p.replicaState(3)?.logEndOffset, 4n, "the same leader keeps its followers' states");
  p.checkInvariants();
});

test('a replica id that is not a follower of the partition changes nothing', async () => {
  const time = new MockTime();
  const p = await newPartition(time);
  const { records, batch } = clientBatch({ records: 2 });
  await p.appendFromClient(records, batch);
  const before = { hw: p.highWatermark, isr: [...p.isr], local: { ...p.replicaState(1)! } };
  assert.equal(p.updateFollowerFetchState(9, 2n, 2n), false);
  assert.equal(p.updateFollowerFetchState(1, 0n, 2n), false, 'the leader itself');
  assert.equal(p.replicaState(9), undefined);
  assert.deepEqual({ hw: p.highWatermark, isr: [...p.isr], local: { ...p.replicaState(1)! } }, before);
});

test('acks=all checks: NOT_ENOUGH_REPLICAS before an append, NOT_ENOUGH_REPLICAS_AFTER_APPEND once reached', async () => {
  const time = new MockTime();
  const p = await newPartition(time);
  assert.equal(p.checkEnoughReplicasToAppend(-1), ErrorCode.NONE, 'one node: min.insync.replicas is capped by the replication factor');
  p.minInsyncReplicas = 2;
  assert.equal(p.checkEnoughReplicasToAppend(-1), ErrorCode.NONE);
  p.makeLeader({ leaderEpoch: 1, partitionEpoch: 1, replicas: [1, 2], isr: [1] });
  assert.equal(p.checkEnoughReplicasToAppend(-1), ErrorCode.NOT_ENOUGH_REPLICAS);
  assert.equal(p.checkEnoughReplicasToAppend(1), ErrorCode.NONE);
  const { records, batch } = clientBatch();
  await p.appendFromClient(records, batch);
  assert.deepEqual(p.checkEnoughReplicasReachOffset(1n), { reached: true, errorCode: ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND });
  assert.deepEqual(p.checkEnoughReplicasReachOffset(2n), { reached: false, errorCode: ErrorCode.NONE });
});

test('an ongoing transaction holds the last stable offset below the high watermark until its marker', async () => {
  const time = new MockTime();
  const p = await newPartition(time);
  await appendClient(p, { records: 2 });
  await appendClient(p, { producerId: 7n, producerEpoch: 0, baseSequence: 0, transactional: true, records: 2 });
  await appendClient(p, { records: 1 });
  assert.equal(p.highWatermark, 5n);
  assert.equal(p.lastStableOffset, 2n);
  assert.equal(p.hasOngoingTransaction(7n, 0), true);
  assert.equal(p.hasOngoingTransaction(7n, 1), false);
  p.checkInvariants();
  await p.appendTxnMarker(7n, 0, 0, true);
  assert.equal(p.lastStableOffset, p.highWatermark);
  assert.equal(p.highWatermark, 6n);
  p.checkInvariants();
});

test('the last stable offset never falls below the log start offset', async () => {
  const time = new MockTime();
  const p = await newPartition(time);
  await appendClient(p, { producerId: 7n, producerEpoch: 0, baseSequence: 0, transactional: true, records: 2 });
  await appendClient(p, { records: 3 });
  assert.equal(p.lastStableOffset, 0n);
  assert.deepEqual(await p.deleteRecordsOnLeader(4n), { errorCode: ErrorCode.NONE, lowWatermark: 4n });
  assert.equal(p.logStartOffset, 4n);
  assert.equal(p.lastStableOffset, 4n);
  p.checkInvariants();
});

test('makeLeader refuses an ISR without the leader or outside the replicas', async () => {
  const time = new MockTime();
  const p = await newPartition(time);
  assert.throws(() => p.makeLeader({ leaderEpoch: 1, partitionEpoch: 1, replicas: [1, 2], isr: [2] }), InvariantViolation);
  assert.throws(() => p.makeLeader({ leaderEpoch: 1, partitionEpoch: 1, replicas: [1], isr: [1, 2] }), InvariantViolation);
  assert.equal(p.leaderEpoch, 0);
});

test("a follower fed the leader's batches ends with the leader's producer state and last stable offset", async () => {
  const time = new MockTime();
  const leader = await newPartition(time, { name: 'leader' });
  const follower = await newPartition(time, { name: 'follower', localBrokerId: 2 });
  await appendClient(leader, { producerId: 10n, producerEpoch: 0, baseSequence: 0, records: 2 });
  await appendClient(leader, { producerId: 10n, producerEpoch: 0, baseSequence: 2, records: 1 });
  await appendClient(leader, { producerId: 20n, producerEpoch: 0, baseSequence: 0, transactional: true, records: 2 });
  await appendClient(leader, { producerId: 30n, producerEpoch: 1, baseSequence: 0, transactional: true, records: 1 });
  await time.advance(5);
  await leader.appendTxnMarker(20n, 0, 3, true);
  await appendClient(leader, { producerId: 20n, producerEpoch: 0, baseSequence: 2, transactional: true, records: 1 });
  await time.advance(5);
  await leader.appendTxnMarker(30n, 1, 3, false);
  await appendClient(leader, { records: 1 });
  assert.ok(leader.lastStableOffset < leader.highWatermark, 'producer 20 has a transaction ongoing');

  const data = await leader.log.readRecords(0n, 1 << 20, leader.logEndOffset, true);
  await follower.appendAsFollower(data);
  follower.updateFollowerHighWatermark(leader.highWatermark);
  assert.equal(follower.logEndOffset, leader.logEndOffset);
  assert.equal(follower.highWatermark, leader.highWatermark);
  assert.equal(follower.lastStableOffset, leader.lastStableOffset);
  assert.deepEqual(follower.producers.encodeSnapshot(), leader.producers.encodeSnapshot());
  assert.deepEqual(follower.abortedTransactions(0n, follower.logEndOffset), leader.abortedTransactions(0n, leader.logEndOffset));
  assert.equal(follower.abortedTransactions(0n, follower.logEndOffset).length, 1);
  // The rebuilt state checks the next batch as the leader's does: a duplicate, then a gap.
  const retry = clientBatch({ producerId: 10n, producerEpoch: 0, baseSequence: 2, records: 1 });
  assert.equal(follower.producers.checkAndStage(retry.batch).kind, 'duplicate');
  assert.throws(() => follower.producers.checkAndStage(clientBatch({ producerId: 10n, producerEpoch: 0, baseSequence: 9 }).batch), { code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
});


test('ISR shrink: a follower last caught up longer than replica.lag.time.max.ms ago is proposed out; one at the log end stays', async () => {
  const time = new MockTime();
  const proposals: IsrProposal[] = [];
  const p = await newPartition(time, { onAlterPartition: (_, proposal) => proposals.push(proposal) });
  p.makeLeader({ leaderEpoch: 1, partitionEpoch: 4, replicas: [1, 2, 3], isr: [1, 2, 3] });
  await appendClient(p, { records: 2 });
  await time.advance(600);
  p.updateFollowerFetchState(2, 2n, 2n);
  p.updateFollowerFetchState(3, 1n, 2n);
  assert.equal(p.maybeShrinkIsr(1000), undefined, 'both were caught up within the last second');
  await time.advance(500);
  assert.deepEqual(p.maybeShrinkIsr(1000), { leaderEpoch: 1, partitionEpoch: 4, isr: [1, 2] }, 'follower 3 was last caught up 1.1 s ago; 2 is at the log end');
  assert.deepEqual(proposals, [{ leaderEpoch: 1, partitionEpoch: 4, isr: [1, 2] }]);
  assert.deepEqual(p.isr, [1, 2, 3], 'not committed: the ISR is unchanged');
  assert.equal(p.maybeShrinkIsr(1000), undefined, 'one change at a time');
  // Refused (a stale partition epoch, say): the next check proposes again.
  p.isrChangeFailed(proposals[0]!);
  assert.equal(p.pendingIsrChange, undefined);
  assert.deepEqual(p.maybeShrinkIsr(1000)?.isr, [1, 2]);
  p.makeLeader({ leaderEpoch: 1, partitionEpoch: 5, replicas: [1, 2, 3], isr: [1, 2] });
  assert.deepEqual(p.isr, [1, 2]);
  assert.equal(p.checkEnoughReplicasToAppend(-1), ErrorCode.NONE);
  p.checkInvariants();
});

test('while an ISR change is pending, the high watermark waits for the larger set (maximalIsr)', async () => {
  const time = new MockTime();
  const p = await newPartition(time);
  p.makeLeader({ leaderEpoch: 1, partitionEpoch: 1, replicas: [1, 2], isr: [1, 2] });
  await appendClient(p, { records: 3 });
  p.updateFollowerFetchState(2, 1n, 3n);
  assert.equal(p.highWatermark, 1n);
  await time.advance(2000);
  assert.deepEqual(p.maybeShrinkIsr(1000)?.isr, [1]);
  assert.equal(p.maybeIncrementLeaderHW(), false, 'the shrink is not committed: follower 2 still counts');
  assert.equal(p.highWatermark, 1n);
  p.makeLeader({ leaderEpoch: 1, partitionEpoch: 2, replicas: [1, 2], isr: [1] });
  assert.equal(p.highWatermark, 3n, 'committed: the leader alone is the ISR');
});

test('a follower refuses what only a leader does, takes the leader high watermark up to its log end, and follows a new epoch', async () => {
  const time = new MockTime();
  const leader = await newPartition(time, { name: 'leader', localBrokerId: 2 });
  const p = await newPartition(time, { name: 'follower' });
  assert.equal(p.makeFollower({ leader: 2, leaderEpoch: 1, partitionEpoch: 1, replicas: [1, 2], isr: [1, 2] }), true);
  assert.equal(p.isLeader, false);
  assert.equal(p.leaderId, 2);
  await appendClient(leader, { records: 2 });
  await p.appendAsFollower(await leader.log.readRecords(0n, 1 << 20, leader.logEndOffset, true));
  assert.equal(p.logEndOffset, 2n);
  assert.equal(p.highWatermark, 0n, 'appended, not yet known to be replicated');
  assert.equal(p.updateFollowerHighWatermark(1n), true);
  assert.equal(p.highWatermark, 1n);
  assert.equal(p.visibleBytes, 0, 'the batch is not wholly below the high watermark yet');
  assert.equal(p.updateFollowerHighWatermark(9n), true);
  assert.equal(p.highWatermark, 2n, "the leader's high watermark, bounded by the follower's log end");
  assert.ok(p.visibleBytes > 0, 'readable once covered (long polls count it if this replica becomes leader)');
  assert.equal(p.checkLeader(-1), ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal(p.checkLeader(0), ErrorCode.FENCED_LEADER_EPOCH, 'the epoch is checked first, as Kafka does');
  assert.deepEqual(p.checkEnoughReplicasReachOffset(1n), { reached: true, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
  assert.equal(p.updateFollowerFetchState(2, 2n, 2n), false, 'a follower tracks no replicas');
  assert.equal((await p.fetchOffsetForTimestamp(-1n, 'high-watermark', -1)).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal(p.lastOffsetForLeaderEpoch(-1, 0).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal(p.makeFollower({ leader: 2, leaderEpoch: 1, partitionEpoch: 2, replicas: [1, 2], isr: [2] }), false, 'an ISR change alone: the fetcher goes on');
  assert.equal(p.makeFollower({ leader: 2, leaderEpoch: 2, partitionEpoch: 3, replicas: [1, 2], isr: [2] }), true);
  p.checkInvariants();
});

test('a follower truncated (a diverging epoch) rebuilds its producer state from what is left', async () => {
  const time = new MockTime();
  const p = await newPartition(time);
  for (let seq = 0; seq < 5; seq++) await appendClient(p, { producerId: 10n, producerEpoch: 0, baseSequence: seq });
  assert.equal(p.logEndOffset, 5n);
  assert.equal(p.producers.entry(10n)?.lastSeq, 4);
  // The new leader's epoch 0 ended at 3: offsets 3 and 4 were never replicated.
  p.makeFollower({ leader: 2, leaderEpoch: 1, partitionEpoch: 1, replicas: [1, 2], isr: [2] });
  assert.equal(await p.truncateTo(3n), true);
  assert.equal(p.logEndOffset, 3n);
  assert.equal(p.highWatermark <= 3n, true);
  assert.equal(p.producers.entry(10n)?.lastSeq, 2, 'sequences 3 and 4 are gone with their records');
  assert.equal(p.producers.checkAndStage(clientBatch({ producerId: 10n, producerEpoch: 0, baseSequence: 3 }).batch).kind, 'append', 'the next sequence is 3 again');
  assert.equal(await p.truncateTo(3n), false);
});

test('an append that reaches the partition after it became a follower is refused, not stamped with the new epoch', async () => {
  const time = new MockTime();
  const p = await newPartition(time);
  await appendClient(p, { producerId: 7n, producerEpoch: 0, baseSequence: 0 });
  // The produce checked leadership, then awaited (transaction verification); the image made this node a follower meanwhile.
  p.makeFollower({ leader: 2, leaderEpoch: 1, partitionEpoch: 1, replicas: [1, 2], isr: [1, 2] });
  const idempotent = clientBatch({ producerId: 7n, producerEpoch: 0, baseSequence: 1 });
  await assert.rejects(p.appendFromClient(idempotent.records, idempotent.batch), (e: { code?: number }) => e.code === ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const plain = clientBatch({});
  await assert.rejects(p.appendFromClient(plain.records, plain.batch), (e: { code?: number }) => e.code === ErrorCode.NOT_LEADER_OR_FOLLOWER);
  await assert.rejects(p.appendTxnMarker(7n, 0, 0, true), (e: { code?: number }) => e.code === ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal(p.logEndOffset, 1n, 'nothing appended');
  assert.equal(p.producers.entry(7n)?.lastSeq, 0, 'nor staged in the producer state');
  assert.deepEqual(p.log.leaderEpochCache.entries.map((e) => e.epoch), [0], 'no entry for epoch 1 on a follower that never led it');
});
