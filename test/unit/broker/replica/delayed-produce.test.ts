// An acks=all produce waits until the high watermark covers its records: on one node at once; with
// a follower in the ISR, until the follower's fetch moves the high watermark; REQUEST_TIMED_OUT
// at the request's timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DelayedProduce, type ProducePartitionStatus } from '../../../../src/broker/replica/delayed-produce.js';
import type { Partition } from '../../../../src/broker/replica/partition.js';
import { DelayedOperationPurgatory } from '../../../../src/broker/replica/purgatory.js';
import { ErrorCode } from '../../../../src/broker/errors.js';
import { MockTime } from '../../../../src/util/time.js';
import { clientBatch, newPartition } from './helpers.js';

async function setup(replicas: number[], isr: number[]) {
  const time = new MockTime();
  const purgatory = new DelayedOperationPurgatory<DelayedProduce>('Produce', time);
  const p = await newPartition(time, { listener: () => purgatory.checkAndComplete('t-0') });
  p.makeLeader({ leaderEpoch: 1, partitionEpoch: 1, replicas, isr });
  const { records, batch } = clientBatch({ records: 2 });
  const info = await p.appendFromClient(records, batch);
  let answered: readonly ProducePartitionStatus[] | undefined;
  const status = (partition: Partition): ProducePartitionStatus => ({ partition, requiredOffset: info.lastOffset + 1n, acksPending: true, errorCode: ErrorCode.NONE });
  const op = new DelayedProduce(1000, [status(p)], (s) => (answered = s));
  const completed = purgatory.tryCompleteElseWatch(op, ['t-0']);
  return { time, purgatory, p, completed, answered: () => answered };
}

test('one node: the high watermark already covers the append, so acks=all answers at once', async () => {
  const { completed, answered, purgatory, time } = await setup([1], [1]);
  assert.equal(completed, true);
  assert.equal(answered()?.[0]?.errorCode, ErrorCode.NONE);
  assert.equal(purgatory.delayed, 0);
  assert.equal(time.pending, 0);
});

test("a follower in the ISR: the produce completes when the follower's fetch moves the high watermark", async () => {
  const { completed, answered, p, purgatory } = await setup([1, 2], [1, 2]);
  assert.equal(completed, false);
  assert.equal(purgatory.delayed, 1);
  p.updateFollowerFetchState(2, 1n, p.logEndOffset);
  assert.equal(answered(), undefined, 'one of two records replicated');
  p.updateFollowerFetchState(2, 2n, p.logEndOffset);
  assert.equal(answered()?.[0]?.errorCode, ErrorCode.NONE);
  assert.equal(purgatory.delayed, 0);
});

test('a produce the ISR does not catch up with answers REQUEST_TIMED_OUT at its timeout', async () => {
  const { answered, time } = await setup([1, 2], [1, 2]);
  await time.advance(999);
  assert.equal(answered(), undefined);
  await time.advance(1);
  assert.equal(answered()?.[0]?.errorCode, ErrorCode.REQUEST_TIMED_OUT);
});

test('an ISR that shrank below min.insync.replicas answers NOT_ENOUGH_REPLICAS_AFTER_APPEND once reached', async () => {
  const time = new MockTime();
  const p = await newPartition(time);
  p.minInsyncReplicas = 2;
  p.makeLeader({ leaderEpoch: 1, partitionEpoch: 1, replicas: [1, 2], isr: [1] });
  const { records, batch } = clientBatch();
  await p.appendFromClient(records, batch);
  const purgatory = new DelayedOperationPurgatory<DelayedProduce>('Produce', time);
  let code: number | undefined;
  purgatory.tryCompleteElseWatch(new DelayedProduce(1000, [{ partition: p, requiredOffset: 1n, acksPending: true, errorCode: ErrorCode.NONE }], (s) => (code = s[0]!.errorCode)), ['t-0']);
  assert.equal(code, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
});
