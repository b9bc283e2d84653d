import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assignOffsetsToBatches,
  buildEndTxnMarkerBatch,
  buildRecordBatch,
  CompressionType,
  ControlRecordType,
  decodeControlRecordKey,
  decodeEndTxnMarkerValue,
  decodeRecordBatch,
  decodeRecordBatches,
  encodeControlRecordKey,
  forEachRecord,
  isBatchCrcValid,
  iterateBatches,
  iterateRecords,
  type KafkaRecord,
  readEndTxnMarker,
  readRecords,
  type RecordInput,
  setLogAppendTime,
  TimestampType,
  validateBatches,
  validateBatchesDeep,
} from '../../../../src/protocol/records/index.js';
import { expectDecodeError, kafkajsBatch, kafkajsDecodeBatch, type KjsMessage, rng, textBytes } from './helpers.js';

const T0 = 1_700_000_000_000;

function sampleMessages(n: number, seed = 1): KjsMessage[] {
  const rand = rng(seed);
  const out: KjsMessage[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      key: i % 5 === 3 ? null : Buffer.from(`key-${i}`),
      value: i % 7 === 6 ? null : textBytes(rand, (rand() * 300) | 0),
      headers: i % 2 === 0 ? { 'trace-id': Buffer.from(`t${i}`), 'ünïcode': Buffer.from('v') } : {},
      timestamp: T0 + ((rand() * 10_000) | 0),
    });
  }
  return out;
}

function asInput(messages: KjsMessage[]): RecordInput[] {
  return messages.map((m) => ({
    key: m.key,
    value: m.value,
    timestamp: m.timestamp,
    headers: Object.entries(m.headers ?? {}).map(([key, value]) => ({ key, value })),
  }));
}

/** The options that make our builder lay a batch out like KafkaJS does. */
function kafkajsLike(messages: KjsMessage[], compression = CompressionType.None) {
  return {
    compression,
    partitionLeaderEpoch: 0,
    producerEpoch: 0,
    baseSequence: 0,
    baseTimestamp: Math.min(...messages.map((m) => m.timestamp)),
  };
}

function checkAgainst(messages: KjsMessage[], records: KafkaRecord[]): void {
  assert.equal(records.length, messages.length);
  records.forEach((r, i) => {
    const m = messages[i]!;
    assert.equal(r.offsetDelta, i);
    assert.equal(r.offset, BigInt(i));
    assert.equal(r.timestamp, BigInt(m.timestamp));
    assert.deepEqual(r.key, m.key);
    assert.deepEqual(r.value, m.value);
    assert.deepEqual(
      r.headers.map((h) => [h.key, h.value]),
      Object.entries(m.headers ?? {}),
    );
  });
}

describe('KafkaJS-built v2 batches', () => {
  for (const gzip of [false, true]) {
    it(`parses them (${gzip ? 'gzip' : 'uncompressed'})`, async () => {
      const messages = sampleMessages(50);
      const buf = await kafkajsBatch(messages, { gzip, producerId: 4242, producerEpoch: 3, firstSequence: 17 });
      const [batch, ...rest] = decodeRecordBatches(buf);
      assert.equal(rest.length, 0);
      assert.equal(batch!.compression, gzip ? CompressionType.Gzip : CompressionType.None);
      assert.equal(batch!.producerId, 4242n);
      assert.equal(batch!.producerEpoch, 3);
      assert.equal(batch!.baseSequence, 17);
      assert.equal(batch!.recordsCount, 50);
      assert.equal(batch!.lastOffsetDelta, 49);
      assert.equal(batch!.maxTimestamp, BigInt(Math.max(...messages.map((m) => m.timestamp))));
      assert.equal(batch!.isTransactional, false);
      checkAgainst(messages, batch!.records);

      const summary = validateBatches(buf);
      assert.equal(summary.batchCount, 1);
      assert.equal(summary.recordCount, 50);
      assert.equal(summary.producerId, 4242n);
      assert.equal(summary.lastSequence, 17 + 49);
      const deep = validateBatchesDeep(buf);
      assert.equal(deep.recordsMaxTimestamp, batch!.maxTimestamp);
      assert.equal(deep.nullKeyCount, messages.filter((m) => m.key === null).length);
    });

    it(`are reproduced byte for byte by our builder (${gzip ? 'gzip' : 'uncompressed'})`, async () => {
      const messages = sampleMessages(30, 9);
      const theirs = await kafkajsBatch(messages, { gzip });
      const ours = buildRecordBatch(asInput(messages), kafkajsLike(messages, gzip ? CompressionType.Gzip : CompressionType.None));
      assert.deepEqual(ours, theirs);
    });

    it(`KafkaJS's decoder reads our batches (${gzip ? 'gzip' : 'uncompressed'})`, async () => {
      const messages = sampleMessages(20, 3);
      const ours = buildRecordBatch(asInput(messages), { compression: gzip ? CompressionType.Gzip : CompressionType.None, baseOffset: 100n, transactional: true, producerId: 7n, producerEpoch: 1, baseSequence: 0 });
      const theirs = await kafkajsDecodeBatch(ours);
      assert.equal(theirs.firstOffset, '100');
      assert.equal(theirs.inTransaction, true);
      assert.equal(theirs.records.length, 20);
      theirs.records.forEach((r: { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null }, i: number) => {
        assert.equal(r.offset, String(100 + i));
        assert.equal(r.timestamp, String(messages[i]!.timestamp));
        assert.deepEqual(r.key, messages[i]!.key);
        assert.deepEqual(r.value, messages[i]!.value);
      });
    });
  }
});

describe('build and parse', () => {
  for (const compression of [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd]) {
    it(`round trips with compression ${compression}`, () => {
      const messages = sampleMessages(200, compression + 10);
      const buf = buildRecordBatch(asInput(messages), { compression, baseOffset: 1000n, partitionLeaderEpoch: 5, producerId: 99n, producerEpoch: 2, baseSequence: 40 });
      assert.ok(isBatchCrcValid(buf));
      const batch = decodeRecordBatch(buf);
      assert.equal(batch.compression, compression);
      assert.equal(batch.baseOffset, 1000n);
      assert.equal(batch.partitionLeaderEpoch, 5);
      assert.equal(batch.baseTimestamp, BigInt(messages[0]!.timestamp), 'base timestamp is the first record, as in Java');
      const records = readRecords(batch);
      assert.equal(records[0]!.offset, 1000n);
      checkAgainst(
        messages,
        records.map((r) => ({ ...r, offset: r.offset - 1000n })),
      );
      const deep = validateBatchesDeep(buf);
      assert.equal(deep.recordCount, 200);
      assert.equal(deep.compression, compression);
      assert.equal(deep.recordsMaxTimestamp, BigInt(Math.max(...messages.map((m) => m.timestamp))));
    });
  }

  it('handles empty, null and big fields', () => {
    const big = Buffer.alloc(300_000, 7);
    const records: RecordInput[] = [{}, { key: Buffer.alloc(0), value: Buffer.alloc(0) }, { key: big, value: null, headers: [{ key: '', value: null }] }];
    for (const compression of [CompressionType.None, CompressionType.Lz4]) {
      const r = readRecords(decodeRecordBatch(buildRecordBatch(records, { compression, timestamp: T0 })));
      assert.equal(r[0]!.key, null);
      assert.equal(r[0]!.value, null);
      assert.deepEqual(r[0]!.headers, []);
      assert.deepEqual(r[1]!.key, Buffer.alloc(0));
      assert.deepEqual(r[2]!.key, big);
      assert.deepEqual(r[2]!.headers, [{ key: '', value: null }]);
      assert.equal(r[2]!.timestamp, BigInt(T0));
    }
  });

  it('keeps negative timestamp deltas and explicit offset deltas', () => {
    const buf = buildRecordBatch(
      [
        { value: Buffer.from('a'), timestamp: T0 + 5000, offsetDelta: 0 },
        { value: Buffer.from('b'), timestamp: T0, offsetDelta: 3 },
      ],
      { baseOffset: 10n },
    );
    const batch = decodeRecordBatch(buf);
    assert.equal(batch.lastOffsetDelta, 3);
    assert.equal(batch.maxTimestamp, BigInt(T0 + 5000));
    const [a, b] = readRecords(batch);
    assert.equal(b!.timestampDelta, -5000);
    assert.equal(b!.timestamp, BigInt(T0));
    assert.equal(b!.offset, 13n);
    assert.equal(a!.offset, 10n);
    // A compacted-looking batch: fine from replication, not from a client.
    expectDecodeError(() => validateBatches(buf), /lastOffsetDelta/);
    assert.equal(validateBatches(buf, { fromClient: false }).offsetCount, 4);
    assert.equal(validateBatchesDeep(buf, { fromClient: false }).recordCount, 2);
  });

  it('reports LogAppendTime record timestamps as the batch maxTimestamp, as Java does', () => {
    const buf = buildRecordBatch([{ value: Buffer.from('x'), timestamp: T0 }], {});
    setLogAppendTime(buf, 0, BigInt(T0 + 123));
    assert.ok(isBatchCrcValid(buf));
    const batch = decodeRecordBatch(buf);
    assert.equal(batch.timestampType, TimestampType.LogAppendTime);
    assert.equal(readRecords(batch)[0]!.timestamp, BigInt(T0 + 123));
    assert.equal(validateBatchesDeep(buf).recordsMaxTimestamp, BigInt(T0 + 123));
  });

  it('iterates lazily and stops where the caller stops', () => {
    const buf = buildRecordBatch(asInput(sampleMessages(100)), { compression: CompressionType.Snappy });
    const batch = decodeRecordBatch(buf);
    let n = 0;
    for (const r of iterateRecords(batch)) {
      if (++n === 3) {
        assert.equal(r.offsetDelta, 2);
        break;
      }
    }
    let count = 0;
    forEachRecord(batch, (_r, i) => (count = i + 1));
    assert.equal(count, 100);
  });

  it('walks several batches back to back and assigns offsets in place', () => {
    const a = buildRecordBatch(asInput(sampleMessages(3, 1)), { producerId: 5n, producerEpoch: 0, baseSequence: 0 });
    const b = buildRecordBatch(asInput(sampleMessages(4, 2)), { producerId: 5n, producerEpoch: 0, baseSequence: 3, compression: CompressionType.Zstd });
    const both = Buffer.concat([a, b]);
    const summary = validateBatches(both);
    assert.equal(summary.batchCount, 2);
    assert.equal(summary.recordCount, 7);
    assert.equal(summary.offsetCount, 7);
    assert.equal(summary.mixed, true, 'compression differs');
    assert.equal(summary.lastSequence, 6);
    assert.deepEqual(
      summary.batches.map((x) => [x.position, x.size, x.lastOffsetDelta, x.recordsCount, x.maxTimestamp]),
      [
        [0, a.length, 2, 3, Number(a.readBigInt64BE(35))],
        [a.length, b.length, 3, 4, Number(b.readBigInt64BE(35))],
      ],
    );
    const next = assignOffsetsToBatches(both, 500n, 9);
    assert.equal(next, 507n);
    const batches = [...iterateBatches(both)];
    assert.deepEqual(
      batches.map((x) => [x.baseOffset, x.partitionLeaderEpoch]),
      [
        [500n, 9],
        [503n, 9],
      ],
    );
    validateBatches(both); // offsets are outside the CRC
  });

  it('stops at a partial trailing batch only when asked', () => {
    const a = buildRecordBatch(asInput(sampleMessages(3)), {});
    const cut = Buffer.concat([a, a.subarray(0, 40)]);
    assert.equal(decodeRecordBatches(cut, { allowPartialTrailing: true }).length, 1);
    expectDecodeError(() => decodeRecordBatches(cut), /batchLength/);
    expectDecodeError(() => validateBatches(cut));
  });
});

describe('control batches', () => {
  for (const commit of [true, false]) {
    it(`builds and reads a ${commit ? 'COMMIT' : 'ABORT'} marker`, () => {
      const buf = buildEndTxnMarkerBatch({ producerId: 77n, producerEpoch: 4, commit, coordinatorEpoch: 12, timestamp: T0, baseOffset: 30n, partitionLeaderEpoch: 2 });
      const batch = decodeRecordBatch(buf);
      assert.equal(batch.isControl, true);
      assert.equal(batch.isTransactional, true);
      assert.equal(batch.baseSequence, -1);
      assert.equal(batch.recordsCount, 1);
      const marker = readEndTxnMarker(batch);
      assert.deepEqual(marker, {
        type: commit ? ControlRecordType.Commit : ControlRecordType.Abort,
        commit,
        coordinatorEpoch: 12,
        producerId: 77n,
        producerEpoch: 4,
        offset: 30n,
        timestamp: BigInt(T0),
      });
      const record = readRecords(batch)[0]!;
      assert.deepEqual(record.key, Buffer.from([0, 0, 0, commit ? 1 : 0]));
      assert.deepEqual(record.value, Buffer.from([0, 0, 0, 0, 0, 12]));
      const summary = validateBatches(buf);
      assert.equal(summary.isControl, true);
      assert.equal(summary.isTransactional, true);
    });
  }

  it('decodes keys and values strictly but accepts later versions', () => {
    assert.deepEqual(decodeControlRecordKey(encodeControlRecordKey(ControlRecordType.LeaderChange, 3)), { version: 3, type: 2 });
    expectDecodeError(() => decodeControlRecordKey(Buffer.from([0, 0, 0])));
    expectDecodeError(() => decodeControlRecordKey(Buffer.from([0xff, 0xff, 0, 1])), /version/);
    expectDecodeError(() => decodeEndTxnMarkerValue(null));
    assert.deepEqual(decodeEndTxnMarkerValue(Buffer.from([0, 1, 0, 0, 0, 9, 0xaa])), { version: 1, coordinatorEpoch: 9 });
  });

  it('reports non-marker control batches as null', () => {
    const buf = buildRecordBatch([{ key: encodeControlRecordKey(ControlRecordType.LeaderChange), value: Buffer.alloc(8) }], { control: true });
    assert.equal(readEndTxnMarker(decodeRecordBatch(buf)), null);
  });
});
