// The fault harness's checker on hand-made histories: each violation kind is found when it is
// there and not reported when it is not (indefinite sends may or may not be in the log).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, type ViolationKind } from '../../../../tools/fault/checker.js';
import type { LogRecord, Op } from '../../../../tools/fault/history.js';

let t = 0;
const invoke = (p: string, value: string, partition = 0, idempotent = true): Op => ({ f: 'send', p, type: 'invoke', t: ++t, partition, value, idempotent });
const ok = (p: string, value: string, offset: number, partition = 0): Op => ({ f: 'send', p, type: 'ok', t: ++t, partition, value, offset });
const info = (p: string, value: string, partition = 0): Op => ({ f: 'send', p, type: 'info', t: ++t, partition, value, error: 'timeout' });
const rec = (offset: number, value: string, partition = 0): LogRecord => ({ partition, offset, value });
const kinds = (history: Op[], log: LogRecord[], committed?: LogRecord[]) =>
  Object.entries(check({ history, log, committed }).counts)
    .filter(([, n]) => n > 0)
    .map(([k]) => k as ViolationKind);

test('a clean history is valid; indefinite sends may be present or absent', () => {
  const h = [invoke('a', 'a-0'), ok('a', 'a-0', 0), invoke('a', 'a-1'), info('a', 'a-1'), invoke('a', 'a-2'), info('a', 'a-2'), invoke('a', 'a-3'), ok('a', 'a-3', 2)];
  const v = check({ history: h, log: [rec(0, 'a-0'), rec(1, 'a-1'), rec(2, 'a-3')] });
  assert.equal(v.valid, true);
  assert.deepEqual(v.stats, { invoked: 4, acked: 2, indefinite: 2, failed: 0, polled: 0, logRecords: 3, txnCommitted: 0, txnAborted: 0, txnIndefinite: 0 });
});

test('an acknowledged value missing is lost; found elsewhere, moved', () => {
  const h = [invoke('a', 'a-0'), ok('a', 'a-0', 0), invoke('a', 'a-1'), ok('a', 'a-1', 1)];
  assert.deepEqual(kinds(h, [rec(0, 'a-0')]), ['lost']);
  assert.deepEqual(kinds(h, [rec(0, 'a-0'), rec(1, 'b-0'), rec(2, 'a-1')]), ['moved', 'unknown']);
});

test('duplicates count for idempotent producers only', () => {
  const h = [invoke('a', 'a-0'), info('a', 'a-0'), invoke('b', 'b-0', 0, false), info('b', 'b-0')];
  assert.deepEqual(kinds(h, [rec(0, 'a-0'), rec(1, 'a-0')]), ['duplicate']);
  assert.deepEqual(kinds(h, [rec(0, 'b-0'), rec(1, 'b-0')]), []);
});

test('an idempotent producer acknowledged out of send order is reordered; a send after an ack written below it breaks real time', () => {
  const reordered = [invoke('a', 'a-0'), invoke('a', 'a-1'), ok('a', 'a-1', 0), ok('a', 'a-0', 1)];
  assert.deepEqual(kinds(reordered, [rec(0, 'a-1'), rec(1, 'a-0')]), ['reordered']);
  const realtime = [invoke('a', 'a-0'), ok('a', 'a-0', 1), invoke('b', 'b-0'), ok('b', 'b-0', 0)];
  assert.deepEqual(kinds(realtime, [rec(0, 'b-0'), rec(1, 'a-0')]), ['realtime']);
  const concurrent = [invoke('a', 'a-0'), invoke('b', 'b-0'), ok('a', 'a-0', 1), ok('b', 'b-0', 0)];
  assert.deepEqual(kinds(concurrent, [rec(0, 'b-0'), rec(1, 'a-0')]), [], 'concurrent sends may land in either order');
});

test('a definitely failed send in the log, and a poll of a value the log no longer holds there', () => {
  const failed: Op[] = [invoke('a', 'a-0'), { f: 'send', p: 'a', type: 'fail', t: ++t, partition: 0, value: 'a-0', error: 'NOT_ENOUGH_REPLICAS' }];
  assert.deepEqual(kinds(failed, [rec(0, 'a-0')]), ['failed-visible']);
  const polled: Op[] = [invoke('a', 'a-0'), ok('a', 'a-0', 0), invoke('a', 'a-1'), info('a', 'a-1'), { f: 'poll', p: 'c', type: 'ok', t: ++t, partition: 0, offset: 1, value: 'a-1' }];
  assert.deepEqual(kinds(polled, [rec(0, 'a-0')]), ['poll-mismatch'], 'the consumer was served a record that was then truncated');
  assert.deepEqual(kinds(polled, [rec(0, 'a-0'), rec(1, 'a-1')]), []);
});

test('transactions: committed whole, aborted invisible, unknown all or nothing under read_committed', () => {
  const txn = (id: string, values: string[], outcome: 'commit' | 'abort', end: 'ok' | 'info'): Op[] => [
    { f: 'txn', p: 'x', type: 'invoke', t: ++t, id, outcome, values: values.map((value) => ({ partition: 0, value })) },
    { f: 'txn', p: 'x', type: end, t: ++t, id, outcome },
  ];
  const log = [rec(0, 'x-0'), rec(1, 'x-1'), rec(2, 'x-2'), rec(3, 'x-3')];
  const h = [...txn('t1', ['x-0', 'x-1'], 'commit', 'ok'), ...txn('t2', ['x-2', 'x-3'], 'abort', 'ok')];
  assert.deepEqual(kinds(h, log, [rec(0, 'x-0'), rec(1, 'x-1')]), []);
  assert.deepEqual(kinds(h, log, [rec(0, 'x-0')]), ['txn-lost']);
  assert.deepEqual(kinds(h, log, [rec(0, 'x-0'), rec(1, 'x-1'), rec(2, 'x-2')]), ['txn-aborted-visible']);
  const unknown = txn('t3', ['x-0', 'x-1'], 'commit', 'info');
  const written = log.slice(0, 2);
  assert.deepEqual(kinds(unknown, written, []), []);
  assert.deepEqual(kinds(unknown, written, written), []);
  assert.deepEqual(kinds(unknown, written, [rec(1, 'x-1')]), ['txn-partial']);
  assert.throws(() => check({ history: h, log }), /read_committed/);
});
