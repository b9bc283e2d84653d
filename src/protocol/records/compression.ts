import { constants as zlibConstants, gunzipSync, gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import type zstdBinding from 'zstd-napi/binding.js';
import { KafkaDecodeError, KafkaEncodeError } from '../runtime/errors.js';
import { CompressionType } from './batch-header.js';
import { lz4FrameCompress, lz4FrameDecompress } from './lz4-frame.js';
import { snappyXerialCompress, snappyXerialDecompress } from './snappy-xerial.js';

// zstd's native binding is loaded on first use (see lz4-frame.ts).
const require = createRequire(import.meta.url);
let zstdModule: typeof zstdBinding | undefined;
const zstdLib = (): typeof zstdBinding => (zstdModule ??= require('zstd-napi/binding.js') as typeof zstdBinding);

export { CompressionType };

/**
 * Default bound on what one compressed batch or wrapper message may inflate to. Callers on the
 * produce path pass their own, derived from message.max.bytes.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

const NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** Kafka's name for a codec id (compression.type), or `unknown(n)`. */
export function compressionName(type: number): string {
  return NAMES[type] ?? `unknown(${type})`;
}

export function isKnownCompression(type: number): type is CompressionType {
  return type >= CompressionType.None && type <= CompressionType.Zstd;
}

export interface CompressOptions {
  /** Codec level; the codec's default when omitted (gzip 6, zstd 3; ignored by snappy and lz4). */
  level?: number;
  /** LZ4 only: the header checksum Kafka writes in magic-0 messages. */
  lz4BrokenHeaderChecksum?: boolean;
}

export interface DecompressOptions {
  /** LZ4 only: skip the header checksum, as Kafka does for magic-0 messages. */
  lz4IgnoreHeaderChecksum?: boolean;
}

/** Compresses `data` the way Kafka's Java client lays each codec out. */
export function compress(type: CompressionType, data: Buffer, options?: CompressOptions): Buffer {
  switch (type) {
    case CompressionType.None:
      return data;
    case CompressionType.Gzip:
      return gzipSync(data, { level: options?.level ?? zlibConstants.Z_DEFAULT_COMPRESSION });
    case CompressionType.Snappy:
      return snappyXerialCompress(data);
    case CompressionType.Lz4:
      return lz4FrameCompress(data, { brokenHeaderChecksum: options?.lz4BrokenHeaderChecksum ?? false });
    case CompressionType.Zstd:
      return zstdCompress(data, options?.level ?? 3);
    default:
      throw new KafkaEncodeError(`unknown compression type ${type as number}`);
  }
}

/**
 * Decompresses `data`, producing at most `maxOutput` bytes: past that the codec stops and a
 * KafkaDecodeError is thrown, so a decompression bomb costs at most `maxOutput` of memory.
 * Corrupt input of any kind is a KafkaDecodeError with `path` in it.
 */
export function decompress(type: number, data: Buffer, maxOutput: number, path = 'records', options?: DecompressOptions): Buffer {
  switch (type) {
    case CompressionType.None:
      if (data.length > maxOutput) throw new KafkaDecodeError(`${data.length} bytes exceed the ${maxOutput}-byte limit`, path, 0);
      return data;
    case CompressionType.Gzip:
      return gzipDecompress(data, maxOutput, path);
    case CompressionType.Snappy:
      return snappyXerialDecompress(data, maxOutput, path);
    case CompressionType.Lz4:
      return lz4FrameDecompress(data, maxOutput, path, { ignoreHeaderChecksum: options?.lz4IgnoreHeaderChecksum ?? false });
    case CompressionType.Zstd:
      return zstdDecompress(data, maxOutput, path);
    default:
      throw new KafkaDecodeError(`unknown compression type ${type}`, path, 0);
  }
}

function gzipDecompress(data: Buffer, maxOutput: number, path: string): Buffer {
  if (data.length === 0) throw new KafkaDecodeError('empty gzip stream', path, 0);
  let out: Buffer;
  try {
    // zlib stops inflating once maxOutputLength is passed, so the limit bounds memory too.
    out = gunzipSync(data, { maxOutputLength: Math.max(1, maxOutput) });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const reason = err.code === 'ERR_BUFFER_TOO_LARGE' ? `gzip output exceeds the ${maxOutput}-byte limit` : `corrupt gzip stream (${err.message})`;
    throw new KafkaDecodeError(reason, path, 0);
  }
  if (out.length > maxOutput) throw new KafkaDecodeError(`gzip output exceeds the ${maxOutput}-byte limit`, path, 0);
  return out;
}

let cctx: zstdBinding.CCtx | undefined;
let dctx: zstdBinding.DCtx | undefined;

function zstdCompress(data: Buffer, level: number): Buffer {
  const zstd = zstdLib();
  cctx ??= new zstd.CCtx();
  const out = Buffer.allocUnsafe(zstd.compressBound(data.length));
  const n = cctx.compress(out, data, level);
  return out.subarray(0, n);
}

/** Output chunk for frames that do not declare their size. */
const ZSTD_STREAM_CHUNK = 256 * 1024;

/**
 * Frames that declare their content size (zstd's one-shot API, librdkafka) are checked against
 * the limit up front and decoded in one call; others (Java's ZstdOutputStream) are streamed with
 * the output counted. The window a frame may demand is capped too, since the decoder allocates it.
 */
function zstdDecompress(data: Buffer, maxOutput: number, path: string): Buffer {
  if (data.length === 0) throw new KafkaDecodeError('empty zstd stream', path, 0);
  const zstd = zstdLib();
  let declared = 0;
  let allDeclared = true;
  for (let p = 0; p < data.length; ) {
    const frame = data.subarray(p);
    let size: number | null;
    let frameSize: number;
    try {
      size = zstd.getFrameContentSize(frame);
      frameSize = zstd.findFrameCompressedSize(frame);
    } catch (e) {
      throw new KafkaDecodeError(`corrupt zstd frame (${(e as Error).message})`, path, p);
    }
    if (size === null) allDeclared = false;
    else declared += size;
    if (declared > maxOutput) throw new KafkaDecodeError(`zstd frames declare ${declared} bytes, over the ${maxOutput}-byte limit`, path, p);
    p += frameSize;
  }
  dctx ??= new zstd.DCtx();
  dctx.reset(zstd.ResetDirective.sessionOnly);
  // A window larger than everything we may output is never needed; 16 MiB covers every level up to 19.
  const windowLog = Math.min(30, Math.max(24, Math.ceil(Math.log2(Math.max(1, maxOutput)))));
  dctx.setParameter(zstd.DParameter.windowLogMax, windowLog);
  if (allDeclared) {
    const out = Buffer.allocUnsafe(declared);
    let n: number;
    try {
      n = dctx.decompress(out, data);
    } catch (e) {
      throw new KafkaDecodeError(`corrupt zstd frame (${(e as Error).message})`, path, 0);
    }
    if (n !== declared) throw new KafkaDecodeError(`zstd frames declare ${declared} bytes but hold ${n}`, path, 0);
    return out;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  let src = data;
  for (;;) {
    // One byte over the limit is enough to tell that the limit was crossed.
    const chunk = Buffer.allocUnsafe(Math.min(ZSTD_STREAM_CHUNK, maxOutput - total + 1));
    let ret: number;
    let produced: number;
    let consumed: number;
    try {
      [ret, produced, consumed] = dctx.decompressStream(chunk, src);
    } catch (e) {
      throw new KafkaDecodeError(`corrupt zstd frame (${(e as Error).message})`, path, data.length - src.length);
    }
    if (produced > 0) chunks.push(chunk.subarray(0, produced));
    total += produced;
    if (total > maxOutput) throw new KafkaDecodeError(`zstd output exceeds the ${maxOutput}-byte limit`, path, data.length - src.length);
    src = src.subarray(consumed);
    if (ret === 0 && src.length === 0) break;
    if (produced === 0 && consumed === 0) throw new KafkaDecodeError('truncated zstd frame', path, data.length - src.length);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}
