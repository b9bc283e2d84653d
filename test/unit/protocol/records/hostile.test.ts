import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { crc32 } from '@node-rs/crc32';
import {
  buildEndTxnMarkerBatch,
  buildMessageSet,
  buildRecordBatch,
  CompressionType,
  convertMessageSetToBatch,
  decodeMessageSet,
  decodeRecordBatch,
  decodeRecordBatches,
  downConvertBatches,
  RECORD_BATCH_OVERHEAD,
  readRecords,
  type RecordInput,
  validateBatches,
  validateBatchesDeep,
  writeBatchCrc,
} from '../../../../src/protocol/records/index.js';
import { KafkaDecodeError, KafkaEncodeError } from '../../../../src/protocol/runtime/errors.js';
import { expectDecodeError, rng, textBytes } from './helpers.js';

const MiB = 1024 * 1024;
const T0 = 1_700_000_000_000;

function records(n: number, seed: number): RecordInput[] {
  const rand = rng(seed);
  return Array.from({ length: n }, (_, i) => ({
    key: i % 3 === 0 ? null : Buffer.from(`key${i}`),
    value: textBytes(rand, 5 + ((rand() * 60) | 0)),
    headers: i % 2 ? [{ key: 'h', value: Buffer.from([i]) }] : [],
    timestamp: T0 + i,
  }));
}

/** A copy of `buf` changed by `fn`, with the batch CRC recomputed so the change reaches the decoder. */
function patched(buf: Buffer, fn: (b: Buffer) => void): Buffer {
  const b = Buffer.from(buf);
  fn(b);
  writeBatchCrc(b, 0, b.length);
  return b;
}

/** Everything a v2 `records` field goes through; only KafkaDecodeError may come out. */
function exerciseBatches(buf: Buffer): void {
  const opts = { maxDecompressedBytes: MiB };
  for (const fn of [
    () => validateBatches(buf, opts),
    () => validateBatches(buf, { ...opts, fromClient: false }),
    () => validateBatchesDeep(buf, opts),
    () => validateBatchesDeep(buf, { ...opts, fromClient: false }),
    () => decodeRecordBatches(buf, opts),
    () => decodeRecordBatches(buf, { ...opts, verifyCrc: false, allowPartialTrailing: true }),
    () => downConvertBatches(buf, 1, opts),
  ]) {
    try {
      fn();
    } catch (e) {
      if (e instanceof KafkaDecodeError || e instanceof KafkaEncodeError) continue;
      throw e;
    }
  }
}

function exerciseMessageSet(buf: Buffer): void {
  for (const fn of [
    () => decodeMessageSet(buf, { maxDecompressedBytes: MiB }),
    () => decodeMessageSet(buf, { maxDecompressedBytes: MiB, verifyCrc: false, allowPartialTrailing: true }),
    () => convertMessageSetToBatch(buf, { maxDecompressedBytes: MiB }),
  ]) {
    try {
      fn();
    } catch (e) {
      if (e instanceof KafkaDecodeError) continue;
      throw e;
    }
  }
}

describe('hostile record batches', () => {
  const plain = buildRecordBatch(records(5, 1), { timestamp: T0 });
  const compressed = buildRecordBatch(records(5, 2), { compression: CompressionType.Lz4, timestamp: T0 });

  it('every truncation is a KafkaDecodeError', () => {
    for (const batch of [plain, compressed]) {
      for (let cut = 0; cut < batch.length; cut++) {
        const b = batch.subarray(0, cut);
        if (cut > 0) expectDecodeError(() => validateBatches(b));
        if (cut > 0) expectDecodeError(() => decodeRecordBatches(b));
        // Shrinking batchLength too (CRC fixed) reaches the record decoder instead of the frame check.
        if (cut >= RECORD_BATCH_OVERHEAD) {
          const shrunk = patched(b, (x) => x.writeInt32BE(cut - 12, 8));
          expectDecodeError(() => validateBatchesDeep(shrunk));
          expectDecodeError(() => readRecords(decodeRecordBatch(shrunk)));
        }
      }
    }
  });

  it('a corrupt CRC is caught', () => {
    const b = Buffer.from(plain);
    b[b.length - 1] ^= 0x01;
    expectDecodeError(() => validateBatches(b), /CRC32C mismatch/);
    expectDecodeError(() => decodeRecordBatch(b), /CRC32C mismatch/);
  });

  it('forged lengths and counts fail without allocating', () => {
    const before = process.memoryUsage().arrayBuffers;
    expectDecodeError(() => validateBatches(patched(plain, (b) => b.writeInt32BE(0x7fffffff, 8))), /overruns/);
    expectDecodeError(() => validateBatches(patched(plain, (b) => b.writeInt32BE(-5, 8))), /below/);
    for (const count of [0x7fffffff, -0x80000000, 0x40000000]) {
      const forged = patched(plain, (b) => b.writeInt32BE(count, 57));
      expectDecodeError(() => validateBatches(forged, { fromClient: false }));
      expectDecodeError(() => decodeRecordBatches(forged));
      const forgedCompressed = patched(compressed, (b) => b.writeInt32BE(count, 57));
      expectDecodeError(() => validateBatches(forgedCompressed, { fromClient: false }));
      expectDecodeError(() => decodeRecordBatches(forgedCompressed));
    }
    expectDecodeError(() => validateBatches(patched(plain, (b) => b.writeInt32BE(7, 23))), /lastOffsetDelta/);
    // First record: length varint at 61, attributes, timestampDelta, offsetDelta, then the key length.
    const keyAt = RECORD_BATCH_OVERHEAD + 4;
    const hugeKey = patched(plain, (b) => b.set([0xfe, 0xff, 0xff, 0xff, 0x0f], keyAt));
    expectDecodeError(() => validateBatchesDeep(hugeKey));
    expectDecodeError(() => readRecords(decodeRecordBatch(hugeKey)));
    const hugeRecord = patched(plain, (b) => b.set([0xfe, 0xff, 0xff, 0xff, 0x07], RECORD_BATCH_OVERHEAD));
    expectDecodeError(() => readRecords(decodeRecordBatch(hugeRecord)), /record length/);
    assert.ok(process.memoryUsage().arrayBuffers - before < 8 * MiB);
  });

  it('record framing must be exact', () => {
    // One record more than the data holds, one fewer (bytes left over).
    expectDecodeError(() => validateBatchesDeep(patched(plain, (b) => (b.writeInt32BE(6, 57), b.writeInt32BE(5, 23)))));
    expectDecodeError(() => validateBatchesDeep(patched(plain, (b) => (b.writeInt32BE(4, 57), b.writeInt32BE(3, 23)))), /left after/);
    expectDecodeError(() => readRecords(decodeRecordBatch(patched(plain, (b) => b.writeInt32BE(4, 57)))), /left after/);
    // Out-of-sequence offsetDelta.
    const offsetAt = RECORD_BATCH_OVERHEAD + 3;
    expectDecodeError(() => validateBatchesDeep(patched(plain, (b) => (b[offsetAt] = 8))), /offsetDelta/);
    // A varint that never ends.
    expectDecodeError(() => validateBatchesDeep(patched(plain, (b) => b.fill(0xff, RECORD_BATCH_OVERHEAD, RECORD_BATCH_OVERHEAD + 8))));
  });

  it('rejects wrong magic, unknown codecs and empty data', () => {
    expectDecodeError(() => validateBatches(patched(plain, (b) => (b[16] = 1))), /legacy message format/);
    expectDecodeError(() => validateBatches(patched(plain, (b) => (b[16] = 3))), /unknown magic/);
    for (const codec of [5, 6, 7]) {
      const b = patched(plain, (x) => (x[22] = (x[22]! & ~7) | codec));
      expectDecodeError(() => validateBatches(b), /unknown compression/);
      expectDecodeError(() => decodeRecordBatch(b), /unknown compression/);
    }
    const noData = buildRecordBatch([], { compression: CompressionType.Gzip });
    expectDecodeError(() => validateBatches(noData), /at least one record/);
    assert.equal(validateBatches(noData, { fromClient: false }).recordCount, 0);
    assert.deepEqual(readRecords(decodeRecordBatch(noData)), []);
  });

  it('a decompression bomb inside a batch fails at the limit', () => {
    for (const compression of [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd]) {
      const bomb = buildRecordBatch([{ value: Buffer.alloc(16 * MiB) }], { compression });
      assert.ok(bomb.length < MiB);
      validateBatches(bomb, { maxDecompressedBytes: MiB }); // the cheap walk does not decompress
      expectDecodeError(() => validateBatchesDeep(bomb, { maxDecompressedBytes: MiB }), /limit/);
      expectDecodeError(() => decodeRecordBatch(bomb, 0, { maxDecompressedBytes: MiB }), /limit/);
    }
    // Hand-made: gzip of 64 MiB of zeros in place of the records.
    const gz = gzipSync(Buffer.alloc(64 * MiB));
    const hand = Buffer.concat([buildRecordBatch([{ value: Buffer.from('x') }]).subarray(0, RECORD_BATCH_OVERHEAD), gz]);
    hand.writeInt32BE(hand.length - 12, 8);
    hand[22] = CompressionType.Gzip;
    writeBatchCrc(hand);
    expectDecodeError(() => validateBatchesDeep(hand, { maxDecompressedBytes: MiB }), /limit/);
  });
});

describe('mutation fuzzing', () => {
  it('only KafkaDecodeError escapes (deterministic, 4000 mutations)', () => {
    const rand = rng(0x5a5a);
    const batches = [
      buildRecordBatch(records(4, 10), { timestamp: T0 }),
      buildRecordBatch(records(4, 11), { compression: CompressionType.Gzip, timestamp: T0 }),
      buildRecordBatch(records(4, 12), { compression: CompressionType.Snappy, timestamp: T0 }),
      buildRecordBatch(records(4, 13), { compression: CompressionType.Lz4, timestamp: T0 }),
      buildRecordBatch(records(4, 14), { compression: CompressionType.Zstd, timestamp: T0 }),
      buildEndTxnMarkerBatch({ producerId: 3n, producerEpoch: 1, commit: false, coordinatorEpoch: 5, timestamp: T0 }),
    ];
    const messageSets = [0, 1].flatMap((magic) =>
      [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4].map((compression) =>
        buildMessageSet(
          records(3, 20 + compression).map((r, i) => ({ key: r.key, value: r.value, timestamp: r.timestamp, offset: BigInt(i) })),
          { magic: magic as 0 | 1, compression },
        ),
      ),
    );
    const interesting = [0, 1, 0x7f, 0x80, 0xff];
    const interesting32 = [-1, 0, 1, 0x7fffffff, -0x80000000, 0x10000, 61];
    const mutate = (src: Buffer): Buffer => {
      let b = Buffer.from(src);
      const n = 1 + ((rand() * 4) | 0);
      for (let i = 0; i < n && b.length > 0; i++) {
        const at = (rand() * b.length) | 0;
        switch ((rand() * 6) | 0) {
          case 0:
            b[at] ^= 1 << ((rand() * 8) | 0);
            break;
          case 1:
            b[at] = interesting[(rand() * interesting.length) | 0]!;
            break;
          case 2:
            if (at + 4 <= b.length) b.writeInt32BE(interesting32[(rand() * interesting32.length) | 0]!, at);
            break;
          case 3:
            b = b.subarray(0, at);
            break;
          case 4:
            b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
            break;
          default:
            b = Buffer.concat([b.subarray(0, at), Buffer.from([(rand() * 256) | 0]), b.subarray(at)]);
        }
      }
      return b;
    };
    for (let i = 0; i < 4000; i++) {
      if (i % 3 === 2) {
        const b = mutate(messageSets[(rand() * messageSets.length) | 0]!);
        // Half the time fix the outer CRC32 so the mutation reaches the wrapper's payload.
        if (rand() < 0.5 && b.length >= 26) {
          const size = b.readInt32BE(8);
          if (size >= 14 && size <= b.length - 12) b.writeUInt32BE(crc32(b.subarray(16, 12 + size)) >>> 0, 12);
        }
        exerciseMessageSet(b);
      } else {
        const b = mutate(batches[(rand() * batches.length) | 0]!);
        if (rand() < 0.5 && b.length >= RECORD_BATCH_OVERHEAD) {
          const size = b.readInt32BE(8) + 12;
          if (size >= RECORD_BATCH_OVERHEAD && size <= b.length) writeBatchCrc(b, 0, size);
        }
        exerciseBatches(b);
      }
    }
  });
});
