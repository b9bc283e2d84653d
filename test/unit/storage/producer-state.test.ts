// Producer state (idempotence and transactions per partition): sequence and epoch rules as in
// Kafka 3.9, duplicates answered with their original offsets, failed appends rolled back,
// transactions and the last stable offset, aborted transactions, snapshots, expiry.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ProducerStateManager, ProducerStateError, ProducerErrors, decodeAbortedTxns, encodeAbortedTxn, snapshotFileName, type ClientBatch } from '../../../src/storage/producer-state.js';

const batch = (producerId: bigint, producerEpoch: number, baseSequence: number, count: number, isTransactional = false, maxTimestamp = 1000n): ClientBatch => ({
  producerId,
  producerEpoch,
  baseSequence,
  lastSequence: baseSequence + count - 1,
  isTransactional,
  maxTimestamp,
});

/** Stages and completes a batch at `offset`; returns its first offset. */
function append(s: ProducerStateManager, b: ClientBatch, offset: bigint): bigint {
  const r = s.checkAndStage(b);
  if (r.kind === 'duplicate') return r.batch.firstOffset;
  s.complete(r.staged, offset, offset + BigInt(b.lastSequence - b.baseSequence));
  return offset;
}

function code(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProducerStateError) return e.code;
    throw e;
  }
  return 0;
}

describe('producer state', () => {
  test('in-order sequences are accepted; a gap or a repeat of an older batch is OUT_OF_ORDER_SEQUENCE_NUMBER', () => {
    const s = new ProducerStateManager('t-0');
    append(s, batch(1n, 0, 0, 10), 0n);
    append(s, batch(1n, 0, 10, 5), 10n);
    assert.equal(code(() => s.checkAndStage(batch(1n, 0, 16, 1))), ProducerErrors.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.equal(code(() => s.checkAndStage(batch(1n, 0, 5, 5))), ProducerErrors.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.equal(s.entry(1n)!.lastSeq, 14);
  });

  test('a retried batch among the last five is a duplicate answered with its original offsets; an older one is out of order', () => {
    const s = new ProducerStateManager();
    for (let i = 0; i < 7; i++) append(s, batch(7n, 0, i * 10, 10), BigInt(i * 10));
    const dup = s.checkAndStage(batch(7n, 0, 30, 10));
    assert.equal(dup.kind, 'duplicate');
    assert.equal(dup.kind === 'duplicate' && dup.batch.firstOffset, 30n);
    assert.equal(code(() => s.checkAndStage(batch(7n, 0, 10, 10))), ProducerErrors.OUT_OF_ORDER_SEQUENCE_NUMBER);
  });

  test('a duplicate of a batch still being appended waits for it', async () => {
    const s = new ProducerStateManager();
    const r = s.checkAndStage(batch(2n, 0, 0, 3));
    assert.equal(r.kind, 'append');
    const dup = s.checkAndStage(batch(2n, 0, 0, 3));
    assert.ok(dup.kind === 'duplicate' && dup.batch.done);
    if (r.kind === 'append') s.complete(r.staged, 100n, 102n);
    if (dup.kind === 'duplicate') {
      await dup.batch.done;
      assert.equal(dup.batch.firstOffset, 100n);
    }
  });

  test('two racing requests: the second is checked against the first, staged one', () => {
    const s = new ProducerStateManager();
    const a = s.checkAndStage(batch(3n, 0, 0, 5));
    assert.equal(code(() => s.checkAndStage(batch(3n, 0, 0 + 1, 5))), ProducerErrors.OUT_OF_ORDER_SEQUENCE_NUMBER);
    const b = s.checkAndStage(batch(3n, 0, 5, 5));
    assert.equal(a.kind, 'append');
    assert.equal(b.kind, 'append');
  });

  test('a failed append is rolled back: the same sequence is accepted again', () => {
    const s = new ProducerStateManager();
    append(s, batch(4n, 0, 0, 5), 0n);
    const r = s.checkAndStage(batch(4n, 0, 5, 5));
    assert.equal(r.kind, 'append');
    if (r.kind === 'append') s.fail(r.staged);
    assert.equal(s.entry(4n)!.lastSeq, 4);
    assert.equal(s.checkAndStage(batch(4n, 0, 5, 5)).kind, 'append');
    const fresh = s.checkAndStage(batch(40n, 0, 0, 1));
    if (fresh.kind === 'append') s.fail(fresh.staged);
    assert.equal(s.entry(40n), undefined);
  });

  test('epochs: an older epoch is INVALID_PRODUCER_EPOCH; a new epoch must start at sequence 0 (KIP-360); an unknown producer may start anywhere', () => {
    const s = new ProducerStateManager();
    append(s, batch(5n, 3, 0, 5), 0n);
    assert.equal(code(() => s.checkAndStage(batch(5n, 2, 5, 1))), ProducerErrors.INVALID_PRODUCER_EPOCH);
    assert.equal(code(() => s.checkAndStage(batch(5n, 4, 5, 1))), ProducerErrors.OUT_OF_ORDER_SEQUENCE_NUMBER);
    append(s, batch(5n, 4, 0, 1), 5n);
    assert.equal(s.entry(5n)!.epoch, 4);
    // Unknown (say, expired) producer: any sequence, as Kafka 2.5+.
    assert.equal(s.checkAndStage(batch(6n, 0, 42, 1)).kind, 'append');
  });

  test('sequence numbers wrap from Int32.MAX to 0', () => {
    const s = new ProducerStateManager();
    append(s, { producerId: 8n, producerEpoch: 0, baseSequence: 0x7ffffffe, lastSequence: 0x7fffffff, isTransactional: false, maxTimestamp: 0n }, 0n);
    assert.equal(s.checkAndStage(batch(8n, 0, 0, 1)).kind, 'append');
  });

  test('transactions: first offsets bound the last stable offset; an ABORT marker records the aborted transaction; COMMIT does not', () => {
    const s = new ProducerStateManager();
    append(s, batch(10n, 0, 0, 5, true), 100n);
    append(s, batch(11n, 0, 0, 5, true), 105n);
    append(s, batch(10n, 0, 5, 5, true), 110n);
    assert.equal(s.firstUnstableOffset(), 100n);
    // A non-transactional write from a producer with an ongoing transaction is refused.
    assert.equal(code(() => s.checkAndStage(batch(10n, 0, 10, 1, false))), ProducerErrors.INVALID_TXN_STATE);
    assert.equal(s.applyMarker(10n, 0, 0, false, 115n, 0n)?.firstOffset, 100n);
    assert.equal(s.firstUnstableOffset(), 105n);
    assert.deepEqual(s.aborted, [{ producerId: 10n, firstOffset: 100n, lastOffset: 115n, lastStableOffset: 105n }]);
    assert.equal(s.applyMarker(11n, 0, 0, true, 116n, 0n), undefined);
    assert.equal(s.firstUnstableOffset(), undefined);
    assert.deepEqual(s.collectAborted(0n, 200n).map((t) => t.producerId), [10n]);
    assert.deepEqual(s.collectAborted(116n, 200n), []);
    assert.deepEqual(s.collectAborted(0n, 100n), []);
    // Markers from an older epoch or coordinator epoch are refused.
    s.applyMarker(12n, 5, 3, false, 120n, 0n);
    assert.equal(code(() => s.checkMarker(12n, 4, 3)), ProducerErrors.INVALID_PRODUCER_EPOCH);
    assert.equal(code(() => s.checkMarker(12n, 5, 2)), ProducerErrors.TRANSACTION_COORDINATOR_FENCED);
  });

  test('while the first append of a transaction is in flight, the log end offset at staging bounds the last stable offset', () => {
    const s = new ProducerStateManager();
    const r = s.checkAndStage(batch(50n, 0, 0, 5, true), 70n);
    assert.equal(s.firstUnstableOffset(), 70n);
    if (r.kind === 'append') s.complete(r.staged, 72n, 76n);
    assert.equal(s.firstUnstableOffset(), 72n);
    const t = s.checkAndStage(batch(51n, 0, 0, 1, true), 80n);
    if (t.kind === 'append') s.fail(t.staged);
    assert.equal(s.firstUnstableOffset(), 72n);
  });

  test('aborted transactions come back by first offset, whatever order they ended in', () => {
    const s = new ProducerStateManager();
    append(s, batch(1n, 0, 0, 1, true), 0n);
    append(s, batch(2n, 0, 0, 1, true), 1n);
    s.applyMarker(2n, 0, 0, false, 2n, 0n);
    s.applyMarker(1n, 0, 0, false, 3n, 0n);
    assert.deepEqual(s.collectAborted(0n, 10n).map((t) => t.firstOffset), [0n, 1n]);
  });

  test('snapshots in Kafka format round-trip; corruption is detected', () => {
    const s = new ProducerStateManager();
    append(s, batch(20n, 2, 0, 10), 0n);
    append(s, batch(21n, 0, 0, 3, true), 10n);
    s.applyMarker(22n, 1, 4, true, 13n, 5n);
    const bytes = s.encodeSnapshot();
    assert.equal(bytes.length, 10 + 3 * 46);
    const t = new ProducerStateManager();
    t.loadSnapshot(bytes);
    assert.equal(t.entry(20n)!.lastSeq, 9);
    assert.equal(t.entry(20n)!.epoch, 2);
    assert.equal(t.firstUnstableOffset(), 10n);
    assert.equal(t.entry(22n)!.coordinatorEpoch, 4);
    assert.equal(t.checkAndStage(batch(20n, 2, 0, 10)).kind, 'duplicate');
    bytes[20] ^= 1;
    assert.throws(() => new ProducerStateManager().loadSnapshot(bytes), /CRC/);
    assert.equal(snapshotFileName(1234n), '00000000000000001234.snapshot');
  });

  test('AbortedTxn entries are Kafka\'s 34 bytes', () => {
    const t = { producerId: 9n, firstOffset: 1n, lastOffset: 2n, lastStableOffset: 3n };
    const b = encodeAbortedTxn(t);
    assert.equal(b.length, 34);
    assert.deepEqual(decodeAbortedTxns(Buffer.concat([b, b])), [t, t]);
  });

  test('producer.id.expiration.ms: idle producers without a transaction are forgotten', () => {
    const s = new ProducerStateManager();
    append(s, batch(30n, 0, 0, 1, false, 1_000n), 0n);
    append(s, batch(31n, 0, 0, 1, true, 1_000n), 1n);
    append(s, batch(32n, 0, 0, 1, false, 9_000n), 2n);
    assert.equal(s.expire(10_000, 5_000), 1);
    assert.equal(s.entry(30n), undefined);
    assert.ok(s.entry(31n));
    assert.ok(s.entry(32n));
  });
});
