import { createRequire } from 'node:module';
import { KafkaDecodeError } from '../runtime/errors.js';
import { xxhash32 } from './xxhash32.js';

// Loaded on first use: the native library costs ~10 MiB of resident memory a broker that never
// sees an lz4 batch need not pay.
const require = createRequire(import.meta.url);
let lz4: typeof import('lz4-napi') | undefined;
const lz4Lib = (): typeof import('lz4-napi') => (lz4 ??= require('lz4-napi') as typeof import('lz4-napi'));
const lz4BlockCompress: typeof import('lz4-napi').compressSync = (...args) => lz4Lib().compressSync(...args);
const lz4BlockUncompress: typeof import('lz4-napi').uncompressSync = (...args) => lz4Lib().uncompressSync(...args);

/**
 * The LZ4 frame format (lz4_Frame_format.md) that Kafka uses for magic 1 and 2, written around
 * lz4-napi's block functions: lz4-napi's own frame encoder picks its block size from the input
 * (up to 4 MiB) and its frame decoder cannot be bounded, so both sides are done here.
 */
const FRAME_MAGIC = 0x184d2204;
const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION_01 = 0x40;
const FLG_BLOCK_INDEPENDENCE = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_RESERVED = 0x02;
const FLG_DICT_ID = 0x01;

const BD_RESERVED = 0x8f;
const UNCOMPRESSED_BLOCK = 0x80000000;
/** Linked blocks may refer back this far into earlier output. */
const LINKED_WINDOW = 64 * 1024;

/** What Java's KafkaLZ4BlockOutputStream writes: 64 KiB independent blocks, no checksums beyond the header's. */
export const LZ4_BLOCK_SIZE = 64 * 1024;
const LZ4_FLG = FLG_VERSION_01 | FLG_BLOCK_INDEPENDENCE;
const LZ4_BD = 4 << 4;

export interface Lz4EncodeOptions {
  /**
   * Kafka before 0.10 computed the header checksum over the magic number too; Kafka still writes it
   * that way for magic-0 messages so old consumers accept them.
   */
  brokenHeaderChecksum?: boolean;
}

export interface Lz4DecodeOptions {
  /** Skip the header checksum check, as Kafka does for magic-0 messages (see {@link Lz4EncodeOptions}). */
  ignoreHeaderChecksum?: boolean;
}

/** Compresses `data` into one LZ4 frame laid out as Java's Kafka client writes it. */
export function lz4FrameCompress(data: Buffer, options?: Lz4EncodeOptions): Buffer {
  // Each entry is either lz4-napi's output (a 4-byte little-endian size prefix, then the block)
  // or, when compressing did not help, the raw chunk stored as an uncompressed block.
  const blocks: { bytes: Buffer; raw: boolean }[] = [];
  let size = 7 + 4;
  for (let at = 0; at < data.length; at += LZ4_BLOCK_SIZE) {
    const chunk = data.subarray(at, Math.min(at + LZ4_BLOCK_SIZE, data.length));
    const compressed = lz4BlockCompress(chunk);
    if (compressed.length - 4 < chunk.length) {
      blocks.push({ bytes: compressed, raw: false });
      size += compressed.length;
    } else {
      blocks.push({ bytes: chunk, raw: true });
      size += 4 + chunk.length;
    }
  }
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32LE(FRAME_MAGIC, 0);
  out[4] = LZ4_FLG;
  out[5] = LZ4_BD;
  out[6] = headerChecksum(out, options?.brokenHeaderChecksum ? 0 : 4, 6);
  let p = 7;
  for (const { bytes, raw } of blocks) {
    if (raw) {
      out.writeUInt32LE((bytes.length | UNCOMPRESSED_BLOCK) >>> 0, p);
      p += 4 + bytes.copy(out, p + 4);
    } else {
      out.writeUInt32LE(bytes.length - 4, p);
      p += 4 + bytes.copy(out, p + 4, 4);
    }
  }
  out.writeUInt32LE(0, p);
  return out;
}

function headerChecksum(buf: Buffer, from: number, to: number): number {
  return (xxhash32(buf, from, to) >>> 8) & 0xff;
}

function fail(path: string, reason: string, offset: number): never {
  throw new KafkaDecodeError(reason, path, offset);
}

/**
 * Decompresses one or more LZ4 frames, never producing more than `maxOutput` bytes: every block is
 * decoded with an output limit of what is left, so a decompression bomb fails at the first block
 * that would cross the limit.
 */
export function lz4FrameDecompress(data: Buffer, maxOutput: number, path = 'lz4', options?: Lz4DecodeOptions): Buffer {
  if (data.length === 0) fail(path, 'empty LZ4 stream', 0);
  const out: Buffer[] = [];
  let total = 0;
  let p = 0;
  const end = data.length;
  while (p < end) {
    if (end - p < 4) fail(path, 'truncated LZ4 frame magic', p);
    const magic = data.readUInt32LE(p);
    if (((magic & SKIPPABLE_MAGIC_MASK) >>> 0) === SKIPPABLE_MAGIC) {
      if (end - p < 8) fail(path, 'truncated LZ4 skippable frame', p);
      const skip = data.readUInt32LE(p + 4);
      if (skip > end - p - 8) fail(path, `LZ4 skippable frame of ${skip} bytes overruns the data`, p);
      p += 8 + skip;
      continue;
    }
    if (magic !== FRAME_MAGIC) fail(path, `bad LZ4 frame magic 0x${magic.toString(16)}`, p);
    if (end - p < 7) fail(path, 'truncated LZ4 frame descriptor', p);
    const frameStart = p;
    const flg = data[p + 4]!;
    const bd = data[p + 5]!;
    if ((flg & FLG_VERSION_MASK) !== FLG_VERSION_01) fail(path, `unsupported LZ4 frame version in FLG 0x${flg.toString(16)}`, p + 4);
    if (flg & FLG_RESERVED) fail(path, 'reserved LZ4 FLG bit set', p + 4);
    if (flg & FLG_DICT_ID) fail(path, 'LZ4 frames with a dictionary are not supported', p + 4);
    if (bd & BD_RESERVED) fail(path, `reserved LZ4 BD bits set in 0x${bd.toString(16)}`, p + 5);
    const blockSizeId = bd >> 4;
    if (blockSizeId < 4) fail(path, `invalid LZ4 block size id ${blockSizeId}`, p + 5);
    const blockMax = 1 << (2 * blockSizeId + 8);
    const descriptorEnd = p + 6 + (flg & FLG_CONTENT_SIZE ? 8 : 0);
    if (end - descriptorEnd < 1) fail(path, 'truncated LZ4 frame descriptor', p);
    let declaredSize = -1;
    if (flg & FLG_CONTENT_SIZE) {
      const declared = data.readBigUInt64LE(p + 6);
      if (declared > BigInt(maxOutput - total)) fail(path, `LZ4 frame declares ${declared} bytes, over the ${maxOutput}-byte limit`, p + 6);
      declaredSize = Number(declared);
    }
    if (!options?.ignoreHeaderChecksum && data[descriptorEnd] !== headerChecksum(data, p + 4, descriptorEnd)) {
      fail(path, 'LZ4 frame header checksum mismatch', descriptorEnd);
    }
    p = descriptorEnd + 1;
    const independent = (flg & FLG_BLOCK_INDEPENDENCE) !== 0;
    const blockChecksums = (flg & FLG_BLOCK_CHECKSUM) !== 0;
    const frameOutStart = out.length;
    const frameTotalStart = total;
    for (;;) {
      if (end - p < 4) fail(path, 'truncated LZ4 block size', p);
      const word = data.readUInt32LE(p);
      p += 4;
      if (word === 0) break;
      const size = (word & ~UNCOMPRESSED_BLOCK) >>> 0;
      if (size > blockMax) fail(path, `LZ4 block of ${size} bytes exceeds the frame's ${blockMax}-byte block size`, p - 4);
      if (size + (blockChecksums ? 4 : 0) > end - p) fail(path, `LZ4 block of ${size} bytes overruns the data`, p - 4);
      if (blockChecksums && xxhash32(data, p, p + size) !== data.readUInt32LE(p + size)) fail(path, 'LZ4 block checksum mismatch', p + size);
      const room = maxOutput - total;
      if (word & UNCOMPRESSED_BLOCK) {
        if (size > room) fail(path, `LZ4 output exceeds the ${maxOutput}-byte limit`, p);
        out.push(data.subarray(p, p + size));
        total += size;
      } else {
        const cap = Math.min(blockMax, room);
        const framed = Buffer.allocUnsafe(4 + size);
        framed.writeUInt32LE(cap, 0);
        data.copy(framed, 4, p, p + size);
        let block: Buffer;
        try {
          block = independent || total === frameTotalStart ? lz4BlockUncompress(framed) : lz4BlockUncompress(framed, linkedWindow(out, frameOutStart));
        } catch (e) {
          const reason = cap < blockMax ? `LZ4 block is corrupt or its output exceeds the ${maxOutput}-byte limit` : 'corrupt LZ4 block';
          fail(path, `${reason} (${(e as Error).message})`, p);
        }
        if (block.length > cap) fail(path, `LZ4 output exceeds the ${maxOutput}-byte limit`, p);
        out.push(block);
        total += block.length;
      }
      p += size + (blockChecksums ? 4 : 0);
    }
    if (declaredSize >= 0 && total - frameTotalStart !== declaredSize) {
      fail(path, `LZ4 frame declares ${declaredSize} bytes but holds ${total - frameTotalStart}`, frameStart);
    }
    if (flg & FLG_CONTENT_CHECKSUM) {
      if (end - p < 4) fail(path, 'truncated LZ4 content checksum', p);
      const content = Buffer.concat(out.slice(frameOutStart), total - frameTotalStart);
      if (xxhash32(content) !== data.readUInt32LE(p)) fail(path, 'LZ4 content checksum mismatch', p);
      out.length = frameOutStart;
      out.push(content);
      p += 4;
    }
  }
  return out.length === 1 ? out[0]! : Buffer.concat(out, total);
}

/** The last 64 KiB this frame produced: the dictionary a linked block may refer to. */
function linkedWindow(out: Buffer[], from: number): Buffer {
  const parts: Buffer[] = [];
  let need = LINKED_WINDOW;
  for (let i = out.length - 1; i >= from && need > 0; i--) {
    const b = out[i]!;
    const take = Math.min(need, b.length);
    parts.push(b.subarray(b.length - take));
    need -= take;
  }
  parts.reverse();
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
