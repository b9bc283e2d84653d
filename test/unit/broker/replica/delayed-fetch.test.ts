// A long-polling fetch completes once minBytes became readable in its partitions, at maxWaitMs,
// when the broker stops, or when one of its partitions goes away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DelayedFetch } from '../../../../src/broker/replica/delayed-fetch.js';
import { DelayedOperationPurgatory } from '../../../../src/broker/replica/purgatory.js';
import { MockTime } from '../../../../src/util/time.js';
import { appendClient, clientBatch, newPartition } from './helpers.js';

async function setup(missingBytes: number, options: { followerInIsr?: boolean } = {}) {
  const time = new MockTime();
  const purgatory = new DelayedOperationPurgatory<DelayedFetch>('Fetch', time);
  const p = await newPartition(time, { listener: () => purgatory.checkAndComplete('t-0') });
  if (options.followerInIsr) p.makeLeader({ leaderEpoch: 1, partitionEpoch: 1, replicas: [1, 2], isr: [1, 2] });
  let stopping = false;
  let answered = 0;
  const op = new DelayedFetch(500, [p], missingBytes, () => stopping, () => answered++);
  purgatory.tryCompleteElseWatch(op, ['t-0']);
  return { time, purgatory, p, op, stop: () => (stopping = true), answered: () => answered };
}

test('completes when enough bytes became readable, counting every append since it started waiting', async () => {
  const one = clientBatch({ records: 1 }).records.length;
  const { p, answered, purgatory, op } = await setup(2 * one);
  assert.equal(answered(), 0);
  await appendClient(p, { records: 1 });
  assert.equal(answered(), 0, 'half of minBytes');
  assert.equal(op.arrivedBytes, one);
  await appendClient(p, { records: 1 });
  assert.equal(answered(), 1);
  assert.equal(purgatory.delayed, 0);
});

test('bytes count once the high watermark covers them, not when they are appended', async () => {
  const { p, answered } = await setup(1, { followerInIsr: true });
  const { records, batch } = clientBatch({ records: 3 });
  await p.appendFromClient(records, batch);
  assert.equal(answered(), 0, 'appended, not replicated: not readable yet');
  p.updateFollowerFetchState(2, 3n, 3n);
  assert.equal(answered(), 1);
});

test('answers at maxWaitMs when the bytes do not come', async () => {
  const { time, answered } = await setup(100);
  await time.advance(499);
  assert.equal(answered(), 0);
  await time.advance(1);
  assert.equal(answered(), 1);
  await time.advance(1000);
  assert.equal(answered(), 1);
});

test('answers when the broker stops (completeAll) or the partition is deleted', async () => {
  const a = await setup(100);
  a.stop();
  a.purgatory.completeAll();
  assert.equal(a.answered(), 1);
  const b = await setup(100);
  b.p.markDeleted();
  assert.equal(b.answered(), 1);
  assert.equal(b.time.pending, 0);
});
