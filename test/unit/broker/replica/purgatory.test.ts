import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DelayedOperation, DelayedOperationPurgatory } from '../../../../src/broker/replica/purgatory.js';
import { MockTime } from '../../../../src/util/time.js';

/** Completes once `ready` is set; records how it completed. */
class Op extends DelayedOperation {
  ready = false;
  completions = 0;
  expired = 0;
  checks = 0;
  tryComplete(): boolean {
    this.checks++;
    return this.ready ? this.forceComplete() : false;
  }
  protected onComplete(): void {
    this.completions++;
  }
  protected override onExpiration(): void {
    this.expired++;
  }
}

test('an operation whose condition holds completes at once, without a timer or watchers', () => {
  const time = new MockTime();
  const purgatory = new DelayedOperationPurgatory<Op>('test', time);
  const op = new Op(1000);
  op.ready = true;
  assert.equal(purgatory.tryCompleteElseWatch(op, ['a']), true);
  assert.equal(op.completions, 1);
  assert.equal(purgatory.delayed, 0);
  assert.equal(time.pending, 0);
});

test('a watched operation completes when an event on its key finds the condition true', () => {
  const time = new MockTime();
  const purgatory = new DelayedOperationPurgatory<Op>('test', time);
  const op = new Op(1000);
  assert.equal(purgatory.tryCompleteElseWatch(op, ['a', 'b']), false);
  assert.equal(purgatory.delayed, 1);
  assert.equal(purgatory.watchedKeys, 2);
  assert.equal(purgatory.checkAndComplete('a'), 0, 'condition still false');
  assert.equal(op.completions, 0);
  op.ready = true;
  assert.equal(purgatory.checkAndComplete('c'), 0, 'a key it does not watch wakes nothing');
  assert.equal(op.completions, 0);
  assert.equal(purgatory.checkAndComplete('b'), 1);
  assert.equal(op.completions, 1);
  assert.equal(op.expired, 0);
  // Watchers cleaned up on every key, timer cancelled.
  assert.equal(purgatory.delayed, 0);
  assert.equal(purgatory.watchedKeys, 0);
  assert.equal(time.pending, 0);
  assert.equal(purgatory.checkAndComplete('a'), 0);
  assert.equal(op.completions, 1);
});

test('an operation times out at its delay, not before, and expires once', async () => {
  const time = new MockTime();
  const purgatory = new DelayedOperationPurgatory<Op>('test', time);
  const op = new Op(500);
  purgatory.tryCompleteElseWatch(op, ['a']);
  await time.advance(499);
  assert.equal(op.completions, 0);
  await time.advance(1);
  assert.equal(op.completions, 1);
  assert.equal(op.expired, 1);
  assert.equal(purgatory.delayed, 0);
  op.ready = true;
  assert.equal(purgatory.checkAndComplete('a'), 0);
  await time.advance(1000);
  assert.equal(op.completions, 1);
  assert.equal(op.expired, 1);
});

test('completion is exactly once: a wake-up after the timeout and a timeout after a wake-up do nothing', async () => {
  const time = new MockTime();
  const purgatory = new DelayedOperationPurgatory<Op>('test', time);
  const woken = new Op(100);
  purgatory.tryCompleteElseWatch(woken, ['k']);
  woken.ready = true;
  purgatory.checkAndComplete('k');
  await time.advance(200);
  assert.deepEqual([woken.completions, woken.expired], [1, 0]);
  assert.equal(woken.forceComplete(), false);
  assert.equal(woken.completions, 1);
});

test('an event between the first check and the watch is not missed: the condition is checked again', () => {
  const time = new MockTime();
  const purgatory = new DelayedOperationPurgatory<Op>('test', time);
  const op = new Op(100);
  const original = op.tryComplete.bind(op);
  let first = true;
  op.tryComplete = () => {
    const r = original();
    if (first) op.ready = true; // became true right after the first check
    first = false;
    return r;
  };
  assert.equal(purgatory.tryCompleteElseWatch(op, ['k']), true);
  assert.equal(op.completions, 1);
  assert.equal(purgatory.delayed, 0);
  assert.equal(time.pending, 0);
});

test('completeAll answers every waiting operation once (the broker stops)', () => {
  const time = new MockTime();
  const purgatory = new DelayedOperationPurgatory<Op>('test', time);
  const ops = [new Op(100), new Op(100), new Op(100)];
  purgatory.tryCompleteElseWatch(ops[0]!, ['a']);
  purgatory.tryCompleteElseWatch(ops[1]!, ['a', 'b']);
  purgatory.tryCompleteElseWatch(ops[2]!, ['c']);
  assert.equal(purgatory.delayed, 3);
  assert.equal(purgatory.completeAll(), 3);
  assert.deepEqual(ops.map((o) => o.completions), [1, 1, 1]);
  assert.deepEqual(ops.map((o) => o.expired), [0, 0, 0]);
  assert.equal(purgatory.watchedKeys, 0);
  assert.equal(time.pending, 0);
});
