import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildRecordBatch,
  CompressionType,
  compressionTypeOf,
  decodeRecordBatches,
  firstRecordWithoutKey,
  recompressBatches,
  TimestampType,
  buildEndTxnMarkerBatch,
} from '../../../../src/protocol/records/index.js';

describe('recompressBatches (broker-side compression.type)', () => {
  const records = Array.from({ length: 20 }, (_, i) => ({
    key: i % 5 === 0 ? null : Buffer.from(`k${i}`),
    value: i % 7 === 0 ? null : Buffer.from(`value-${i}-${'z'.repeat(i)}`),
    headers: [{ key: 'h', value: Buffer.from(String(i)) }, { key: 'n', value: null }],
    timestamp: 1_700_000_000_000 + i * 3 - 10,
    offsetDelta: i * 2, // gaps, as after compaction
  }));
  const opts = { baseOffset: 100n, partitionLeaderEpoch: 4, producerId: 77n, producerEpoch: 3, baseSequence: 12, transactional: true, lastOffsetDelta: 45 };

  for (const [from, to] of [
    [CompressionType.None, CompressionType.Gzip],
    [CompressionType.Snappy, CompressionType.Zstd],
    [CompressionType.Lz4, CompressionType.None],
    [CompressionType.Gzip, CompressionType.Lz4],
  ] as const) {
    it(`codec ${from} → ${to}: records and header fields preserved`, () => {
      const input = Buffer.concat([buildRecordBatch(records, { ...opts, compression: from }), buildRecordBatch(records.slice(0, 3), { ...opts, baseOffset: 200n, compression: from, timestampType: TimestampType.LogAppendTime, maxTimestamp: 1_700_000_999_999 })]);
      const out = recompressBatches(input, to);
      const before = decodeRecordBatches(input);
      const after = decodeRecordBatches(out);
      assert.equal(after.length, 2);
      for (let i = 0; i < 2; i++) {
        const a = after[i]!;
        const b = before[i]!;
        assert.equal(a.compression, to);
        for (const f of ['baseOffset', 'partitionLeaderEpoch', 'lastOffsetDelta', 'baseTimestamp', 'maxTimestamp', 'producerId', 'producerEpoch', 'baseSequence', 'recordsCount', 'isTransactional', 'timestampType'] as const) {
          assert.deepEqual(a[f], b[f], f);
        }
        assert.deepEqual(
          a.records.map((r) => [r.offset, r.timestamp, r.key, r.value, r.headers]),
          b.records.map((r) => [r.offset, r.timestamp, r.key, r.value, r.headers]),
        );
      }
    });
  }

  it('batches already in the codec and control batches are copied as they are', () => {
    const gz = buildRecordBatch(records, { compression: CompressionType.Gzip });
    const marker = buildEndTxnMarkerBatch({ commit: true, producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0 });
    assert.ok(recompressBatches(gz, CompressionType.Gzip).equals(gz));
    assert.ok(recompressBatches(marker, CompressionType.Zstd).equals(marker));
  });

  it('compression.type names; records without a key', () => {
    assert.deepEqual(['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'].map(compressionTypeOf), [undefined, 0, 1, 2, 3, 4]);
    assert.equal(firstRecordWithoutKey(buildRecordBatch(records.slice(1, 5), { compression: CompressionType.Lz4 })), -1);
    const two = Buffer.concat([buildRecordBatch(records.slice(1, 4)), buildRecordBatch(records.slice(3, 8), { compression: CompressionType.Gzip })]);
    assert.equal(firstRecordWithoutKey(two), 5); // records[5] is the third of the second batch: 3 + 2
  });
});
