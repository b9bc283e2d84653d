import { crc32 } from '@node-rs/crc32';
import { KafkaDecodeError, KafkaEncodeError } from '../runtime/errors.js';
import { Reader } from '../runtime/reader.js';
import { CompressionType, LOG_OVERHEAD, MAGIC } from './batch-header.js';
import { buildRecordBatch, decodeRecordBatch, forEachRecord, isPartialBatch, NO_TIMESTAMP, TimestampType } from './batch.js';
import { compress, compressionName, decompress, DEFAULT_MAX_DECOMPRESSED_BYTES } from './compression.js';
import type { RecordInput } from './record.js';

/**
 * Legacy message sets (magic 0 and 1, Kafka before 0.11), still spoken by old clients through
 * Produce v0-v2 and Fetch v0-v3. Layout of one entry:
 *   offset int64, messageSize int32, crc uint32 (CRC32 IEEE of magic..end), magic int8,
 *   attributes int8, [timestamp int64 — magic 1], key bytes, value bytes.
 * A compressed entry is a wrapper whose value is an inner message set; with magic 1 the inner
 * offsets are relative and the wrapper carries the absolute offset of the last inner message.
 */
export const LEGACY_CRC = 12;
export const LEGACY_MAGIC = 16;
export const LEGACY_ATTRIBUTES = 17;
export const LEGACY_TIMESTAMP = 18;
/** crc + magic + attributes + key length + value length. */
export const RECORD_OVERHEAD_V0 = 14;
/** ... + timestamp. */
export const RECORD_OVERHEAD_V1 = 22;
const TIMESTAMP_TYPE_BIT = 0x08;
const CODEC_MASK = 0x07;

export interface LegacyMessage {
  /** Absolute offset (relative inner offsets of magic-1 wrappers already resolved). */
  offset: bigint;
  magic: 0 | 1;
  /** The message's own attributes byte. */
  attributes: number;
  /** Codec of the wrapper the message came out of, None for a plain message. */
  compression: CompressionType;
  timestampType: TimestampType;
  /** -1 for magic 0; the wrapper's timestamp for messages in a LogAppendTime wrapper. */
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

export interface LegacyDecodeOptions {
  maxDecompressedBytes?: number;
  verifyCrc?: boolean;
  /** Stop quietly at a message cut off by the end of the buffer (fetch responses). */
  allowPartialTrailing?: boolean;
  path?: string;
}

function fail(path: string, reason: string, offset: number): never {
  throw new KafkaDecodeError(reason, path, offset);
}

interface Entry {
  offset: bigint;
  magic: 0 | 1;
  attributes: number;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  size: number;
}

/** Reads one entry at `at` (not expanding wrappers), checking its size, magic and CRC. */
function readEntry(buf: Buffer, at: number, end: number, path: string, verifyCrc: boolean): Entry {
  if (end - at < LOG_OVERHEAD) fail(path, `truncated message: ${end - at} bytes cannot hold offset and messageSize`, at);
  const messageSize = buf.readInt32BE(at + 8);
  if (messageSize < RECORD_OVERHEAD_V0) fail(`${path}.messageSize`, `messageSize ${messageSize} is below the ${RECORD_OVERHEAD_V0}-byte minimum`, at + 8);
  if (messageSize > end - at - LOG_OVERHEAD) fail(`${path}.messageSize`, `messageSize ${messageSize} overruns the ${end - at - LOG_OVERHEAD} bytes that follow`, at + 8);
  const messageEnd = at + LOG_OVERHEAD + messageSize;
  const magic = buf.readInt8(at + LEGACY_MAGIC);
  if (magic !== 0 && magic !== 1) fail(`${path}.magic`, magic === 2 ? 'record batch (magic 2) inside a legacy message set' : `unknown magic ${magic}`, at + LEGACY_MAGIC);
  if (magic === 1 && messageSize < RECORD_OVERHEAD_V1) fail(`${path}.messageSize`, `messageSize ${messageSize} is below the ${RECORD_OVERHEAD_V1}-byte minimum of magic 1`, at + 8);
  if (verifyCrc) {
    const stored = buf.readUInt32BE(at + LEGACY_CRC);
    const computed = crc32(buf.subarray(at + LEGACY_MAGIC, messageEnd)) >>> 0;
    if (stored !== computed) fail(`${path}.crc`, `CRC32 mismatch: stored 0x${stored.toString(16)}, computed 0x${computed.toString(16)}`, at + LEGACY_CRC);
  }
  const attributes = buf.readInt8(at + LEGACY_ATTRIBUTES);
  const r = new Reader(buf, at + LEGACY_TIMESTAMP, messageEnd);
  const timestamp = magic === 1 ? r.int64(`${path}.timestamp`) : NO_TIMESTAMP;
  const key = r.nullableBytes(`${path}.key`);
  const value = r.nullableBytes(`${path}.value`);
  if (r.remaining !== 0) fail(`${path}.messageSize`, `${r.remaining} bytes left after the value`, r.offset);
  return { offset: buf.readBigInt64BE(at), magic, attributes, timestamp, key, value, size: messageEnd - at };
}

/**
 * Calls `fn` for every message in a legacy message set, expanding compressed wrappers
 * (decompression bounded by `maxDecompressedBytes` per wrapper).
 */
export function forEachLegacyMessage(buf: Buffer, fn: (message: LegacyMessage) => void, options?: LegacyDecodeOptions): void {
  const path = options?.path ?? 'messageSet';
  const verifyCrc = options?.verifyCrc ?? true;
  const maxBytes = options?.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  for (let at = 0, i = 0; at < buf.length; i++) {
    if (options?.allowPartialTrailing && isPartialBatch(buf, at)) return;
    const entryPath = `${path}[${i}]`;
    const e = readEntry(buf, at, buf.length, entryPath, verifyCrc);
    at += e.size;
    const codec = e.attributes & CODEC_MASK;
    const timestampType = e.magic === 0 ? TimestampType.NoTimestamp : e.attributes & TIMESTAMP_TYPE_BIT ? TimestampType.LogAppendTime : TimestampType.CreateTime;
    if (codec === CompressionType.None) {
      fn({ offset: e.offset, magic: e.magic, attributes: e.attributes, compression: CompressionType.None, timestampType, timestamp: e.timestamp, key: e.key, value: e.value });
      continue;
    }
    if (codec > CompressionType.Lz4) fail(`${entryPath}.attributes`, `compression ${compressionName(codec)} is not allowed with magic ${e.magic}`, at - e.size + LEGACY_ATTRIBUTES);
    if (e.value === null) fail(`${entryPath}.value`, 'compressed wrapper message without a value', at - e.size);
    const inner = decompress(codec, e.value, maxBytes, `${entryPath}.value(${compressionName(codec)})`, { lz4IgnoreHeaderChecksum: e.magic === 0 });
    const innerPath = `${entryPath}.value(decompressed)`;
    const messages: Entry[] = [];
    for (let p = 0, j = 0; p < inner.length; j++) {
      const m = readEntry(inner, p, inner.length, `${innerPath}[${j}]`, verifyCrc);
      if ((m.attributes & CODEC_MASK) !== CompressionType.None) fail(`${innerPath}[${j}].attributes`, 'compressed message inside a compressed wrapper', p + LEGACY_ATTRIBUTES);
      if (m.magic !== e.magic) fail(`${innerPath}[${j}].magic`, `inner magic ${m.magic} differs from the wrapper's ${e.magic}`, p + LEGACY_MAGIC);
      messages.push(m);
      p += m.size;
    }
    if (messages.length === 0) fail(innerPath, 'compressed wrapper message holds no messages', 0);
    // Magic 1: inner offsets are relative, the wrapper holds the last message's absolute offset.
    const shift = e.magic === 1 ? e.offset - messages[messages.length - 1]!.offset : 0n;
    for (const m of messages) {
      fn({
        offset: m.offset + shift,
        magic: m.magic,
        attributes: m.attributes,
        compression: codec,
        timestampType,
        timestamp: timestampType === TimestampType.LogAppendTime ? e.timestamp : m.timestamp,
        key: m.key,
        value: m.value,
      });
    }
  }
}

export function decodeMessageSet(buf: Buffer, options?: LegacyDecodeOptions): LegacyMessage[] {
  const out: LegacyMessage[] = [];
  forEachLegacyMessage(buf, (m) => out.push(m), options);
  return out;
}

/** Magic of the entry at `at` (batch or legacy message: both keep it at byte 16), or -1 if too short. */
export function recordsMagic(buf: Buffer, at = 0): number {
  return buf.length - at > MAGIC ? buf.readInt8(at + MAGIC) : -1;
}

export interface LegacyMessageInput {
  /** Default: the message's index. */
  offset?: bigint;
  key?: Buffer | null;
  value?: Buffer | null;
  /** Magic 1 only; default `Date.now()`. */
  timestamp?: bigint | number;
}

export interface BuildMessageSetOptions {
  magic: 0 | 1;
  /** When set, the messages go into one wrapper message compressed with this codec. */
  compression?: CompressionType;
  /** Magic 1: LogAppendTime sets the attribute bit; with compression it goes on the wrapper. */
  timestampType?: TimestampType;
  /** Magic 1 wrapper timestamp (default: the highest inner timestamp). */
  wrapperTimestamp?: bigint | number;
}

function sizeOfMessage(magic: 0 | 1, key: Buffer | null, value: Buffer | null): number {
  return LOG_OVERHEAD + (magic === 1 ? RECORD_OVERHEAD_V1 : RECORD_OVERHEAD_V0) + (key?.length ?? 0) + (value?.length ?? 0);
}

function writeMessage(out: Buffer, p: number, offset: bigint, magic: 0 | 1, attributes: number, timestamp: bigint, key: Buffer | null, value: Buffer | null): number {
  const start = p;
  out.writeBigInt64BE(offset, p);
  const messageSize = sizeOfMessage(magic, key, value) - LOG_OVERHEAD;
  out.writeInt32BE(messageSize, p + 8);
  p += LEGACY_MAGIC;
  out[p++] = magic;
  out[p++] = attributes;
  if (magic === 1) p = out.writeBigInt64BE(timestamp, p);
  for (const b of [key, value]) {
    if (b === null) p = out.writeInt32BE(-1, p);
    else {
      p = out.writeInt32BE(b.length, p);
      p += b.copy(out, p);
    }
  }
  out.writeUInt32BE(crc32(out.subarray(start + LEGACY_MAGIC, p)) >>> 0, start + LEGACY_CRC);
  return p;
}

function plainMessageSet(messages: readonly LegacyMessageInput[], magic: 0 | 1, attributes: number, offsetOf: (m: LegacyMessageInput, i: number) => bigint, now: number): Buffer {
  let size = 0;
  for (const m of messages) size += sizeOfMessage(magic, m.key ?? null, m.value ?? null);
  const out = Buffer.allocUnsafe(size);
  let p = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    p = writeMessage(out, p, offsetOf(m, i), magic, attributes, magic === 1 ? BigInt(m.timestamp ?? now) : NO_TIMESTAMP, m.key ?? null, m.value ?? null);
  }
  return out;
}

/**
 * Builds a legacy message set. With compression, the messages go into one wrapper: inner offsets
 * relative to the first message for magic 1, as given for magic 0; the wrapper takes the last
 * message's offset. Zstd cannot be carried below magic 2 (KafkaEncodeError).
 */
export function buildMessageSet(messages: readonly LegacyMessageInput[], options: BuildMessageSetOptions): Buffer {
  const { magic } = options;
  const compression = options.compression ?? CompressionType.None;
  const now = Date.now();
  const logAppend = magic === 1 && options.timestampType === TimestampType.LogAppendTime;
  const offsetOf = (m: LegacyMessageInput, i: number): bigint => m.offset ?? BigInt(i);
  if (compression === CompressionType.None) return plainMessageSet(messages, magic, logAppend ? TIMESTAMP_TYPE_BIT : 0, offsetOf, now);
  if (compression === CompressionType.Zstd) throw new KafkaEncodeError('zstd compression needs magic 2');
  if (messages.length === 0) return Buffer.alloc(0);
  const first = offsetOf(messages[0]!, 0);
  const last = offsetOf(messages[messages.length - 1]!, messages.length - 1);
  const inner = plainMessageSet(messages, magic, 0, magic === 1 ? (m, i) => offsetOf(m, i) - first : offsetOf, now);
  const value = compress(compression, inner, { lz4BrokenHeaderChecksum: magic === 0 });
  let wrapperTimestamp = NO_TIMESTAMP;
  if (magic === 1) {
    if (options.wrapperTimestamp !== undefined) wrapperTimestamp = BigInt(options.wrapperTimestamp);
    else for (const m of messages) wrapperTimestamp = bigMax(wrapperTimestamp, BigInt(m.timestamp ?? now));
  }
  const out = Buffer.allocUnsafe(sizeOfMessage(magic, null, value));
  writeMessage(out, 0, last, magic, compression | (logAppend ? TIMESTAMP_TYPE_BIT : 0), wrapperTimestamp, null, value);
  return out;
}

function bigMax(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

export interface ConvertToBatchOptions {
  maxDecompressedBytes?: number;
  /** Codec of the resulting batch; default: the codec of the first compressed wrapper, else none. */
  compression?: CompressionType;
  verifyCrc?: boolean;
  path?: string;
}

/**
 * Converts a legacy message set from Produce v0-v2 into one magic-2 batch, as Kafka's
 * LogValidator does before appending: offsets become deltas 0..n-1, magic-0 messages get
 * NO_TIMESTAMP, no producer id. Returns an empty buffer for an empty message set.
 */
export function convertMessageSetToBatch(buf: Buffer, options?: ConvertToBatchOptions): Buffer {
  const records: RecordInput[] = [];
  let sourceCompression: CompressionType | undefined;
  forEachLegacyMessage(
    buf,
    (m) => {
      if (m.compression !== CompressionType.None) sourceCompression ??= m.compression;
      records.push({ key: m.key, value: m.value, timestamp: m.timestamp });
    },
    { maxDecompressedBytes: options?.maxDecompressedBytes, verifyCrc: options?.verifyCrc, path: options?.path ?? 'messageSet' },
  );
  if (records.length === 0) return Buffer.alloc(0);
  return buildRecordBatch(records, { compression: options?.compression ?? sourceCompression ?? CompressionType.None, timestamp: -1 });
}

export interface DownConvertOptions {
  maxDecompressedBytes?: number;
  /** Codec for the converted data; default: each batch keeps its own. */
  compression?: CompressionType;
  path?: string;
}

/** The magic an old Fetch version can read: v0-v1 → 0, v2-v3 → 1, later → 2. */
export function magicForFetchVersion(version: number): 0 | 1 | 2 {
  return version <= 1 ? 0 : version <= 3 ? 1 : 2;
}

/**
 * Converts stored batches for an old Fetch version (RecordsUtil.downConvert): each magic-2 batch
 * becomes plain messages or, if compressed, one wrapper with the same codec; control batches and
 * headers are dropped; legacy entries already at or below `toMagic` pass through (everything does
 * for magic 2). A zstd batch
 * throws KafkaEncodeError (the broker answers UNSUPPORTED_COMPRESSION_TYPE) unless
 * `compression` picks another codec.
 */
export function downConvertBatches(buf: Buffer, toMagic: 0 | 1 | 2, options?: DownConvertOptions): Buffer {
  if (toMagic === 2) return buf;
  const path = options?.path ?? 'records';
  const parts: Buffer[] = [];
  for (let at = 0, i = 0; at < buf.length; i++) {
    const entryPath = `${path}[${i}]`;
    const magic = recordsMagic(buf, at);
    if (magic === 2) {
      const batch = decodeRecordBatch(buf, at, { maxDecompressedBytes: options?.maxDecompressedBytes, path: entryPath });
      at += batch.sizeInBytes;
      if (batch.isControl || batch.recordsCount === 0) continue;
      const messages: LegacyMessageInput[] = [];
      forEachRecord(batch, (r) => messages.push({ offset: r.offset, key: r.key, value: r.value, timestamp: r.timestamp }));
      parts.push(
        buildMessageSet(messages, {
          magic: toMagic,
          compression: options?.compression ?? batch.compression,
          timestampType: batch.timestampType,
          wrapperTimestamp: batch.maxTimestamp,
        }),
      );
      continue;
    }
    // A legacy entry: pass it through when old enough, otherwise rewrite magic 1 as magic 0.
    const e = readEntry(buf, at, buf.length, entryPath, true);
    if (e.magic <= toMagic) {
      parts.push(buf.subarray(at, at + e.size));
    } else {
      const messages: LegacyMessageInput[] = [];
      let codec: CompressionType = CompressionType.None;
      forEachLegacyMessage(
        buf.subarray(at, at + e.size),
        (m) => {
          codec = m.compression;
          messages.push({ offset: m.offset, key: m.key, value: m.value });
        },
        { maxDecompressedBytes: options?.maxDecompressedBytes, path: entryPath },
      );
      parts.push(buildMessageSet(messages, { magic: 0, compression: options?.compression ?? codec }));
    }
    at += e.size;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
