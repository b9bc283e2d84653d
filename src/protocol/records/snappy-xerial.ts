import { createRequire } from 'node:module';
import { KafkaDecodeError } from '../runtime/errors.js';

// Loaded on first use (see lz4-frame.ts).
const require = createRequire(import.meta.url);
let snappy: typeof import('snappy') | undefined;
const snappyLib = (): typeof import('snappy') => (snappy ??= require('snappy') as typeof import('snappy'));
const snappyCompress: typeof import('snappy').compressSync = (...args) => snappyLib().compressSync(...args);
const snappyUncompress: typeof import('snappy').uncompressSync = (...args) => snappyLib().uncompressSync(...args);

/**
 * Snappy as Kafka carries it: Java (snappy-java's SnappyOutputStream) and librdkafka write the
 * "xerial" framing — an 8-byte magic, two int32 versions, then blocks each prefixed with an
 * int32 big-endian length. librdkafka may also send a bare raw snappy block, which Java's
 * SnappyInputStream accepts too, so decoding takes either.
 */
export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
const XERIAL_VERSION = 1;
const XERIAL_MIN_COMPATIBLE_VERSION = 1;
/** snappy-java's default block size. */
export const XERIAL_BLOCK_SIZE = 32 * 1024;

export function snappyXerialCompress(data: Buffer): Buffer {
  const blocks: Buffer[] = [];
  let size = XERIAL_HEADER_SIZE;
  for (let at = 0; at < data.length; at += XERIAL_BLOCK_SIZE) {
    const block = snappyCompress(data.subarray(at, Math.min(at + XERIAL_BLOCK_SIZE, data.length)));
    blocks.push(block);
    size += 4 + block.length;
  }
  const out = Buffer.allocUnsafe(size);
  XERIAL_MAGIC.copy(out, 0);
  out.writeInt32BE(XERIAL_VERSION, 8);
  out.writeInt32BE(XERIAL_MIN_COMPATIBLE_VERSION, 12);
  let p = XERIAL_HEADER_SIZE;
  for (const block of blocks) {
    out.writeInt32BE(block.length, p);
    p += 4 + block.copy(out, p + 4);
  }
  return out;
}

/** Raw snappy, one block: what {@link snappyXerialDecompress} also accepts. */
export function snappyRawCompress(data: Buffer): Buffer {
  return snappyCompress(data);
}

function isXerialMagicAt(data: Buffer, p: number): boolean {
  return data.length - p >= XERIAL_MAGIC.length && data.compare(XERIAL_MAGIC, 0, XERIAL_MAGIC.length, p, p + XERIAL_MAGIC.length) === 0;
}

/** Decompresses xerial-framed or raw snappy into at most `maxOutput` bytes. */
export function snappyXerialDecompress(data: Buffer, maxOutput: number, path = 'snappy'): Buffer {
  if (data.length === 0) throw new KafkaDecodeError('empty snappy stream', path, 0);
  if (!isXerialMagicAt(data, 0)) return rawBlock(data, 0, data.length, maxOutput, path);
  const out: Buffer[] = [];
  let total = 0;
  let p = 0;
  const end = data.length;
  while (p < end) {
    // snappy-java reads concatenated streams, each with its own header.
    if (isXerialMagicAt(data, p)) {
      if (end - p < XERIAL_HEADER_SIZE) throw new KafkaDecodeError('truncated xerial snappy header', path, p);
      p += XERIAL_HEADER_SIZE;
      continue;
    }
    if (end - p < 4) throw new KafkaDecodeError('truncated xerial snappy block length', path, p);
    const size = data.readInt32BE(p);
    p += 4;
    if (size < 0 || size > end - p) throw new KafkaDecodeError(`xerial snappy block of ${size} bytes overruns the data`, path, p - 4);
    const block = rawBlock(data, p, p + size, maxOutput - total, path);
    out.push(block);
    total += block.length;
    p += size;
  }
  return out.length === 1 ? out[0]! : Buffer.concat(out, total);
}

/**
 * A raw snappy block starts with its uncompressed length as an unsigned varint; it is checked
 * against the limit before the native decoder allocates that much.
 */
function rawBlock(data: Buffer, start: number, end: number, room: number, path: string): Buffer {
  let length = 0;
  let p = start;
  for (let shift = 0; ; shift += 7) {
    if (p >= end) throw new KafkaDecodeError('truncated snappy length preamble', path, p);
    if (shift > 28) throw new KafkaDecodeError('snappy length preamble longer than 32 bits', path, p);
    const b = data[p++]!;
    length += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
  }
  if (length > room) throw new KafkaDecodeError(`snappy block of ${length} bytes exceeds the output limit`, path, start);
  let out: Buffer;
  try {
    out = snappyUncompress(data.subarray(start, end)) as Buffer;
  } catch (e) {
    throw new KafkaDecodeError(`corrupt snappy block (${(e as Error).message})`, path, start);
  }
  if (out.length !== length) throw new KafkaDecodeError(`snappy block decoded to ${out.length} bytes, declared ${length}`, path, start);
  return out;
}
