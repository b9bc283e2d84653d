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
  downConvertBatches,
  magicForFetchVersion,
  readAllRecords,
  readRecords,
  recordsMagic,
  setLogAppendTime,
  TimestampType,
  validateBatches,
} from '../../../../src/protocol/records/index.js';
import { KafkaEncodeError } from '../../../../src/protocol/runtime/errors.js';
import { expectDecodeError, kafkajsDecodeMessageSet, kafkajsGzipMessageSet, kafkajsMessageSet, rng, textBytes } from './helpers.js';

const T0 = 1_600_000_000_000;

/** Turns a single plain message into a "wrapper" with the given codec bits, CRC fixed up. */
function asWrapper(message: Buffer, codec: CompressionType): Buffer {
  const b = Buffer.from(message);
  b[17] = codec;
  b.writeUInt32BE(crc32(b.subarray(16)) >>> 0, 12);
  return b;
}

function entries(n: number, seed = 1) {
  const rand = rng(seed);
  return Array.from({ length: n }, (_, i) => ({
    key: i % 3 === 0 ? null : Buffer.from(`k${i}`),
    value: i % 4 === 3 ? null : textBytes(rand, 10 + ((rand() * 200) | 0)),
    timestamp: T0 + i * 10,
  }));
}

describe('legacy message sets from KafkaJS', () => {
  for (const magic of [0, 1] as const) {
    it(`decodes magic ${magic} and our builder reproduces the bytes`, () => {
      const es = entries(10);
      const theirs = kafkajsMessageSet(magic, es);
      const messages = decodeMessageSet(theirs);
      assert.equal(messages.length, 10);
      messages.forEach((m, i) => {
        assert.equal(m.magic, magic);
        assert.equal(m.offset, -1n, 'KafkaJS leaves offsets to the broker');
        assert.equal(m.timestamp, magic === 1 ? BigInt(es[i]!.timestamp) : -1n);
        assert.equal(m.timestampType, magic === 1 ? TimestampType.CreateTime : TimestampType.NoTimestamp);
        assert.deepEqual(m.key, es[i]!.key);
        assert.deepEqual(m.value, es[i]!.value);
      });
      const ours = buildMessageSet(
        es.map((e) => ({ ...e, offset: -1n })),
        { magic },
      );
      assert.deepEqual(ours, theirs);
    });
  }

  it('decodes a gzip wrapper (Produce v2) with relative inner offsets', async () => {
    const es = entries(25, 2);
    const theirs = await kafkajsGzipMessageSet(es);
    const messages = decodeMessageSet(theirs);
    assert.equal(messages.length, 25);
    // Wrapper offset 0 holds the last inner message: offsets end at 0.
    assert.deepEqual(
      messages.map((m) => m.offset),
      es.map((_, i) => BigInt(i - 24)),
    );
    assert.ok(messages.every((m) => m.compression === CompressionType.Gzip));
    assert.deepEqual(
      messages.map((m) => m.value),
      es.map((e) => e.value),
    );
  });

  it('converts Produce v0-v2 data into one v2 batch', async () => {
    const es = entries(8, 3);
    for (const [buf, magic] of [
      [kafkajsMessageSet(0, es), 0],
      [kafkajsMessageSet(1, es), 1],
      [await kafkajsGzipMessageSet(es), 1],
    ] as const) {
      const batch = convertMessageSetToBatch(buf);
      const summary = validateBatches(batch);
      assert.equal(summary.batchCount, 1);
      assert.equal(summary.recordCount, 8);
      assert.equal(summary.producerId, -1n);
      const records = readRecords(decodeRecordBatch(batch));
      records.forEach((r, i) => {
        assert.equal(r.offsetDelta, i);
        assert.equal(r.timestamp, magic === 0 ? -1n : BigInt(es[i]!.timestamp));
        assert.deepEqual(r.key, es[i]!.key);
        assert.deepEqual(r.value, es[i]!.value);
      });
    }
    assert.equal(decodeRecordBatch(convertMessageSetToBatch(await kafkajsGzipMessageSet(es))).compression, CompressionType.Gzip);
    assert.equal(convertMessageSetToBatch(Buffer.alloc(0)).length, 0);
  });
});

describe('down-conversion for old Fetch versions', () => {
  it('maps Fetch versions to magic', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 12].map(magicForFetchVersion), [0, 0, 1, 1, 2, 2]);
  });

  for (const compression of [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4]) {
    for (const magic of [0, 1] as const) {
      it(`v2 → magic ${magic}, compression ${compression}: offsets kept, headers and control batches dropped`, async () => {
        const a = buildRecordBatch(
          entries(5, 4).map((e) => ({ ...e, headers: [{ key: 'h', value: Buffer.from('dropped') }] })),
          { compression, baseOffset: 100n },
        );
        const marker = buildEndTxnMarkerBatch({ producerId: 1n, producerEpoch: 0, commit: true, coordinatorEpoch: 0, baseOffset: 105n });
        const b = buildRecordBatch(entries(3, 5), { compression, baseOffset: 106n });
        const legacy = downConvertBatches(Buffer.concat([a, marker, b]), magic);
        assert.equal(recordsMagic(legacy), magic);
        const ours = decodeMessageSet(legacy);
        const expected = [...entries(5, 4), ...entries(3, 5)];
        assert.deepEqual(
          ours.map((m) => m.offset),
          [100n, 101n, 102n, 103n, 104n, 106n, 107n, 108n],
        );
        assert.deepEqual(
          ours.map((m) => [m.key, m.value, m.timestamp]),
          expected.map((e) => [e.key, e.value, magic === 1 ? BigInt(e.timestamp) : -1n]),
        );
        if (compression === CompressionType.None || compression === CompressionType.Gzip) {
          // An old client's decoder (KafkaJS's legacy path) reads the result.
          const theirs = await kafkajsDecodeMessageSet(legacy);
          assert.deepEqual(
            theirs.map((m: { offset: string }) => m.offset),
            ours.map((m) => String(m.offset)),
          );
          assert.deepEqual(
            theirs.map((m: { value: Buffer | null }) => m.value),
            expected.map((e) => e.value),
          );
        }
      });
    }
  }

  it('carries LogAppendTime on the wrapper', () => {
    const a = buildRecordBatch(entries(3), { compression: CompressionType.Gzip, baseOffset: 7n });
    setLogAppendTime(a, 0, BigInt(T0 + 999));
    const messages = decodeMessageSet(downConvertBatches(a, 1));
    assert.ok(messages.every((m) => m.timestamp === BigInt(T0 + 999) && m.timestampType === TimestampType.LogAppendTime));
  });

  it('refuses zstd below magic 2 unless another codec is picked', () => {
    const z = buildRecordBatch(entries(3), { compression: CompressionType.Zstd });
    assert.throws(() => downConvertBatches(z, 1), KafkaEncodeError);
    assert.equal(decodeMessageSet(downConvertBatches(z, 1, { compression: CompressionType.Gzip })).length, 3);
  });

  it('passes old entries through and rewrites magic 1 as magic 0', () => {
    const v1 = buildMessageSet(
      entries(4).map((e, i) => ({ ...e, offset: BigInt(50 + i) })),
      { magic: 1, compression: CompressionType.Snappy },
    );
    assert.deepEqual(downConvertBatches(v1, 1), v1);
    const v0 = decodeMessageSet(downConvertBatches(v1, 0));
    assert.deepEqual(
      v0.map((m) => [m.magic, m.offset]),
      [
        [0, 50n],
        [0, 51n],
        [0, 52n],
        [0, 53n],
      ],
    );
  });

  it('writes magic-0 LZ4 with the header checksum old clients expect', () => {
    const legacy = buildMessageSet(entries(3).map((e, i) => ({ ...e, offset: BigInt(i) })), { magic: 0, compression: CompressionType.Lz4 });
    assert.equal(decodeMessageSet(legacy).length, 3);
  });
});

describe('hostile legacy input', () => {
  const good = kafkajsMessageSet(1, entries(3));
  it('rejects corrupt CRCs, bad sizes and magic', () => {
    const crc = Buffer.from(good);
    crc[30] ^= 1;
    expectDecodeError(() => decodeMessageSet(crc), /CRC32/);
    const size = Buffer.from(good);
    size.writeInt32BE(0x7fffffff, 8);
    expectDecodeError(() => decodeMessageSet(size), /overruns/);
    size.writeInt32BE(5, 8);
    expectDecodeError(() => decodeMessageSet(size), /minimum/);
    const magic = Buffer.from(good);
    magic[16] = 2;
    expectDecodeError(() => decodeMessageSet(magic), /magic/);
    const boundaries = new Set<number>();
    for (let at = 0; at < good.length; at += 12 + good.readInt32BE(at + 8)) boundaries.add(at);
    for (let cut = 1; cut < good.length; cut++) {
      if (boundaries.has(cut)) continue;
      try {
        decodeMessageSet(good.subarray(0, cut));
        assert.fail(`prefix of ${cut} bytes decoded`);
      } catch (e) {
        assert.equal((e as Error).name, 'KafkaDecodeError');
      }
    }
    assert.equal(decodeMessageSet(good.subarray(0, good.length - 3), { allowPartialTrailing: true }).length, 2);
  });
  it('rejects nested compression and empty wrappers', async () => {
    const inner = buildMessageSet(entries(2).map((e, i) => ({ ...e, offset: BigInt(i) })), { magic: 1, compression: CompressionType.Gzip });
    const nested = asWrapper(buildMessageSet([{ offset: 0n, value: gzipSync(inner), timestamp: T0 }], { magic: 1 }), CompressionType.Gzip);
    expectDecodeError(() => decodeMessageSet(nested), /inside a compressed wrapper/);
    const notGzip = asWrapper(buildMessageSet([{ offset: 0n, value: Buffer.from('plain') }], { magic: 1 }), CompressionType.Gzip);
    expectDecodeError(() => decodeMessageSet(notGzip), /gzip/);
    const nothingInside = asWrapper(buildMessageSet([{ offset: 0n, value: gzipSync(Buffer.alloc(0)) }], { magic: 1 }), CompressionType.Gzip);
    expectDecodeError(() => decodeMessageSet(nothingInside), /no messages/);
    const nullValue = asWrapper(buildMessageSet([{ offset: 0n, value: null }], { magic: 1 }), CompressionType.Gzip);
    expectDecodeError(() => decodeMessageSet(nullValue), /without a value/);
    const zstdWrapper = asWrapper(buildMessageSet([{ offset: 0n, value: Buffer.from('x') }], { magic: 1 }), CompressionType.Zstd);
    expectDecodeError(() => decodeMessageSet(zstdWrapper), /not allowed/);
  });
  it('bounds wrapper decompression', () => {
    const bomb = buildMessageSet([{ offset: 0n, value: Buffer.alloc(8 * 1024 * 1024) }], { magic: 1, compression: CompressionType.Gzip });
    expectDecodeError(() => decodeMessageSet(bomb, { maxDecompressedBytes: 1024 * 1024 }), /limit/);
  });
});

describe('readAllRecords', () => {
  it('reads legacy message sets and v2 batches back to back', () => {
    const legacy = buildMessageSet(
      entries(3).map((e, i) => ({ ...e, offset: BigInt(i) })),
      { magic: 1, compression: CompressionType.Gzip },
    );
    const v2 = buildRecordBatch([{ key: Buffer.from('k'), value: Buffer.from('v'), headers: [{ key: 'h', value: null }], timestamp: T0 }], { baseOffset: 3n, compression: CompressionType.Lz4 });
    const all = readAllRecords(Buffer.concat([legacy, v2, v2.subarray(0, 30)]), { allowPartialTrailing: true });
    assert.deepEqual(
      all.map((r) => [r.magic, r.offset, r.compression]),
      [
        [1, 0n, CompressionType.Gzip],
        [1, 1n, CompressionType.Gzip],
        [1, 2n, CompressionType.Gzip],
        [2, 3n, CompressionType.Lz4],
      ],
    );
    assert.deepEqual(all[3]!.headers, [{ key: 'h', value: null }]);
    expectDecodeError(() => readAllRecords(Buffer.concat([legacy, v2.subarray(0, 30)])));
  });
});
