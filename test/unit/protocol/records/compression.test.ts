import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { compressFrameSync, compressSync as lz4BlockCompress, decompressFrameSync } from 'lz4-napi';
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy';
import zstd from 'zstd-napi/binding.js';
import {
  compress,
  CompressionType,
  decompress,
  lz4FrameCompress,
  lz4FrameDecompress,
  snappyXerialCompress,
  XERIAL_MAGIC,
  xxhash32,
} from '../../../../src/protocol/records/index.js';
import { expectDecodeError, randomBytes, rng, textBytes } from './helpers.js';

const CODECS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd] as const;
const MiB = 1024 * 1024;

describe('xxhash32', () => {
  it('matches the reference vectors', () => {
    assert.equal(xxhash32(Buffer.alloc(0)), 0x02cc5d05);
    assert.equal(xxhash32(Buffer.from('a')), 0x550d7456);
    assert.equal(xxhash32(Buffer.from('abc')), 0x32d153ff);
    assert.equal(xxhash32(Buffer.from('Nobody inspects the spammish repetition')), 0xe2293b2f);
  });
  it('agrees with the content checksums lz4-napi writes', () => {
    const rand = rng(7);
    for (const n of [0, 1, 15, 16, 17, 1000, 70000]) {
      const data = textBytes(rand, n);
      const frame = compressFrameSync(data, { contentChecksum: true, blockChecksums: true });
      assert.deepEqual(lz4FrameDecompress(frame, MiB), data);
    }
  });
});

describe('codec round trips', () => {
  const rand = rng(1);
  const inputs: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['one byte', Buffer.from([42])],
    ['text 10 KiB', textBytes(rand, 10_000)],
    ['random 100 KiB', randomBytes(rand, 100_000)],
    ['text 3 MiB', textBytes(rand, 3 * MiB + 17)],
    ['zeros 2 MiB', Buffer.alloc(2 * MiB)],
  ];
  for (const codec of CODECS) {
    for (const [name, data] of inputs) {
      it(`codec ${codec}: ${name}`, () => {
        const c = compress(codec, data);
        assert.deepEqual(decompress(codec, c, data.length), data);
        if (data.length > 0 && codec !== CompressionType.None) expectDecodeError(() => decompress(codec, c, data.length - 1), /limit/);
      });
    }
  }
});

describe('gzip', () => {
  it('is what zlib (and so KafkaJS) writes', () => {
    const data = textBytes(rng(2), 5000);
    assert.deepEqual(compress(CompressionType.Gzip, data), gzipSync(data));
    assert.deepEqual(gunzipSync(compress(CompressionType.Gzip, data)), data);
  });
  it('stops a bomb at the limit', () => {
    const bomb = gzipSync(Buffer.alloc(64 * MiB));
    const before = process.memoryUsage().arrayBuffers;
    expectDecodeError(() => decompress(CompressionType.Gzip, bomb, MiB), /exceeds the 1048576-byte limit/);
    assert.ok(process.memoryUsage().arrayBuffers - before < 16 * MiB);
  });
  it('rejects corrupt and truncated streams', () => {
    const c = gzipSync(textBytes(rng(3), 1000));
    expectDecodeError(() => decompress(CompressionType.Gzip, c.subarray(0, c.length - 5), MiB));
    expectDecodeError(() => decompress(CompressionType.Gzip, Buffer.from('not gzip at all'), MiB));
    expectDecodeError(() => decompress(CompressionType.Gzip, Buffer.alloc(0), MiB));
  });
});

describe('snappy (xerial framing)', () => {
  it('writes the xerial header and 32 KiB blocks', () => {
    const data = textBytes(rng(4), 100_000);
    const c = snappyXerialCompress(data);
    assert.deepEqual(c.subarray(0, 8), XERIAL_MAGIC);
    assert.equal(c.readInt32BE(8), 1);
    assert.equal(c.readInt32BE(12), 1);
    // Walk the blocks with the native raw decoder, as snappy-java would.
    const out: Buffer[] = [];
    for (let p = 16; p < c.length; ) {
      const n = c.readInt32BE(p);
      const block = snappyUncompress(c.subarray(p + 4, p + 4 + n)) as Buffer;
      assert.ok(block.length <= 32 * 1024);
      out.push(block);
      p += 4 + n;
    }
    assert.equal(out.length, 4);
    assert.deepEqual(Buffer.concat(out), data);
  });
  it('accepts raw unframed snappy (librdkafka)', () => {
    const data = textBytes(rng(5), 50_000);
    assert.deepEqual(decompress(CompressionType.Snappy, snappyCompress(data), MiB), data);
  });
  it('accepts concatenated xerial streams', () => {
    const a = textBytes(rng(6), 1000);
    const b = textBytes(rng(7), 40_000);
    assert.deepEqual(decompress(CompressionType.Snappy, Buffer.concat([snappyXerialCompress(a), snappyXerialCompress(b)]), MiB), Buffer.concat([a, b]));
  });
  it('checks the declared length before allocating', () => {
    // A raw block whose preamble claims 2^32-1 bytes.
    expectDecodeError(() => decompress(CompressionType.Snappy, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]), MiB), /exceeds the output limit/);
    const bomb = snappyXerialCompress(Buffer.alloc(4 * MiB));
    expectDecodeError(() => decompress(CompressionType.Snappy, bomb, MiB), /exceeds the output limit/);
  });
  it('rejects broken framing', () => {
    const c = snappyXerialCompress(textBytes(rng(8), 70_000));
    expectDecodeError(() => decompress(CompressionType.Snappy, c.subarray(0, 12), MiB), /truncated xerial/);
    expectDecodeError(() => decompress(CompressionType.Snappy, c.subarray(0, c.length - 3), MiB));
    const forged = Buffer.from(c);
    forged.writeInt32BE(0x7fffffff, 16);
    expectDecodeError(() => decompress(CompressionType.Snappy, forged, MiB), /overruns/);
    // Snappy has no checksum (the batch CRC covers it): corruption decodes or fails, but only as a KafkaDecodeError.
    const corrupt = Buffer.from(c);
    corrupt.fill(0xee, 30, 60);
    decodesOrDecodeError(() => decompress(CompressionType.Snappy, corrupt, MiB));
  });
});

describe('lz4 frames', () => {
  it('writes the header Java writes: FLG 0x60, BD 0x40 (64 KiB independent blocks)', () => {
    const data = textBytes(rng(9), 200_000);
    const c = lz4FrameCompress(data);
    assert.equal(c.readUInt32LE(0), 0x184d2204);
    assert.equal(c[4], 0x60);
    assert.equal(c[5], 0x40);
    assert.equal(c[6], (xxhash32(c, 4, 6) >>> 8) & 0xff);
    assert.deepEqual(decompressFrameSync(c), data, 'lz4-napi reads our frames');
    assert.equal(c.readUInt32LE(c.length - 4), 0, 'end mark');
  });
  it('stores incompressible blocks uncompressed', () => {
    const data = randomBytes(rng(10), 150_000);
    const c = lz4FrameCompress(data);
    assert.ok(c.readUInt32LE(7) & 0x80000000);
    assert.deepEqual(lz4FrameDecompress(c, MiB), data);
  });
  it('reads frames lz4-napi writes (4 MiB blocks, content size, checksums)', () => {
    const data = textBytes(rng(11), 2 * MiB);
    for (const opts of [undefined, { contentChecksum: true }, { blockChecksums: true }]) {
      assert.deepEqual(lz4FrameDecompress(compressFrameSync(data, opts), 2 * MiB), data);
    }
  });
  it('reads linked blocks', () => {
    const a = textBytes(rng(12), 60_000);
    const b = Buffer.concat([a.subarray(1000, 30_000), textBytes(rng(13), 20_000)]);
    const blockA = lz4BlockCompress(a).subarray(4);
    const blockB = lz4BlockCompress(b, a).subarray(4);
    const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x40, 0x40, 0]);
    header[6] = (xxhash32(header, 4, 6) >>> 8) & 0xff;
    const word = (n: number) => {
      const w = Buffer.alloc(4);
      w.writeUInt32LE(n);
      return w;
    };
    const frame = Buffer.concat([header, word(blockA.length), blockA, word(blockB.length), blockB, word(0)]);
    assert.deepEqual(lz4FrameDecompress(frame, MiB), Buffer.concat([a, b]));
  });
  it('checks the header checksum, except for magic 0 where Kafka wrote it wrongly', () => {
    const data = textBytes(rng(14), 1000);
    const broken = lz4FrameCompress(data, { brokenHeaderChecksum: true });
    assert.equal(broken[6], (xxhash32(broken, 0, 6) >>> 8) & 0xff);
    expectDecodeError(() => decompress(CompressionType.Lz4, broken, MiB), /header checksum/);
    assert.deepEqual(decompress(CompressionType.Lz4, broken, MiB, 'x', { lz4IgnoreHeaderChecksum: true }), data);
  });
  it('stops bombs at the limit', () => {
    const bomb = lz4FrameCompress(Buffer.alloc(32 * MiB));
    assert.ok(bomb.length < 200_000);
    expectDecodeError(() => decompress(CompressionType.Lz4, bomb, MiB), /limit/);
    // One 4 MiB block, content size not declared.
    const big = compressFrameSync(Buffer.alloc(4 * MiB));
    expectDecodeError(() => decompress(CompressionType.Lz4, big, MiB), /limit/);
    // Declared content size over the limit: rejected before decoding anything.
    const declared = Buffer.from(lz4FrameCompress(Buffer.alloc(10)));
    const withSize = Buffer.concat([declared.subarray(0, 4), Buffer.from([0x68, 0x40]), Buffer.alloc(8), Buffer.alloc(1), declared.subarray(7)]);
    withSize.writeBigUInt64LE(1n << 40n, 6);
    withSize[14] = (xxhash32(withSize, 4, 14) >>> 8) & 0xff;
    expectDecodeError(() => decompress(CompressionType.Lz4, withSize, MiB), /declares/);
  });
  it('rejects broken frames', () => {
    const c = lz4FrameCompress(textBytes(rng(15), 100_000));
    for (const cut of [3, 6, 10, c.length - 1, c.length - 4]) expectDecodeError(() => decompress(CompressionType.Lz4, c.subarray(0, cut), MiB));
    const badMagic = Buffer.from(c);
    badMagic[0] = 0;
    expectDecodeError(() => decompress(CompressionType.Lz4, badMagic, MiB), /magic/);
    const bigBlock = Buffer.from(c);
    bigBlock.writeUInt32LE(0x7fffff00, 7);
    expectDecodeError(() => decompress(CompressionType.Lz4, bigBlock, MiB), /exceeds the frame's/);
  });
});

describe('zstd', () => {
  it('reads frames without a declared size (streaming producers such as Java)', () => {
    const data = textBytes(rng(16), 700_000);
    const frame = zstdStreamingFrame(data);
    assert.equal(zstd.getFrameContentSize(frame), null);
    assert.deepEqual(decompress(CompressionType.Zstd, frame, MiB), data);
    expectDecodeError(() => decompress(CompressionType.Zstd, frame, 500_000), /limit/);
    expectDecodeError(() => decompress(CompressionType.Zstd, frame.subarray(0, frame.length - 10), MiB));
  });
  it('rejects a declared size over the limit before allocating', () => {
    const frame = compress(CompressionType.Zstd, Buffer.alloc(8 * MiB));
    const before = process.memoryUsage().arrayBuffers;
    expectDecodeError(() => decompress(CompressionType.Zstd, frame, MiB), /declare/);
    assert.ok(process.memoryUsage().arrayBuffers - before < 4 * MiB);
  });
  it('rejects garbage', () => {
    expectDecodeError(() => decompress(CompressionType.Zstd, Buffer.from('definitely not zstd'), MiB));
    const frame = Buffer.from(compress(CompressionType.Zstd, textBytes(rng(17), 10_000)));
    frame.fill(0x55, 20, 40);
    decodesOrDecodeError(() => decompress(CompressionType.Zstd, frame, MiB));
  });
});

describe('unknown codecs', () => {
  it('are a decode error', () => {
    expectDecodeError(() => decompress(5, Buffer.from([1]), MiB), /unknown compression/);
  });
});

/** A zstd frame without the content size, as a streaming compressor (zstd-jni's ZstdOutputStream) writes it. */
function zstdStreamingFrame(data: Buffer): Buffer {
  const cctx = new zstd.CCtx();
  const out = Buffer.alloc(zstd.compressBound(data.length) + 1024);
  let produced = 0;
  let src = data;
  while (src.length > 0) {
    const [, p, c] = cctx.compressStream2(out.subarray(produced), src, zstd.EndDirective.continue);
    produced += p;
    src = src.subarray(c);
  }
  for (;;) {
    const [remaining, p] = cctx.compressStream2(out.subarray(produced), Buffer.alloc(0), zstd.EndDirective.end);
    produced += p;
    if (remaining === 0) break;
  }
  return out.subarray(0, produced);
}

function decodesOrDecodeError(fn: () => unknown): void {
  try {
    fn();
  } catch {
    expectDecodeError(fn);
  }
}
