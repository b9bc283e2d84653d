import { KafkaDecodeError, KafkaEncodeError } from '../runtime/errors.js';
import {
  ATTRIBUTES,
  type BatchHeader,
  CompressionType,
  COMPRESSION_MASK,
  CONTROL_FLAG,
  DELETE_HORIZON_FLAG,
  LOG_OVERHEAD,
  MAGIC,
  RECORD_BATCH_OVERHEAD,
  readBatchHeader,
  TIMESTAMP_TYPE_LOG_APPEND,
  TRANSACTIONAL_FLAG,
  writeBatchCrc,
  computeBatchCrc,
  CRC,
  BASE_OFFSET,
  BATCH_LENGTH,
  PARTITION_LEADER_EPOCH,
  LAST_OFFSET_DELTA,
  BASE_TIMESTAMP,
  MAX_TIMESTAMP,
  PRODUCER_ID,
  PRODUCER_EPOCH,
  BASE_SEQUENCE,
  RECORDS_COUNT,
} from './batch-header.js';
import { compress, decompress, DEFAULT_MAX_DECOMPRESSED_BYTES, isKnownCompression, compressionName } from './compression.js';
import { type KafkaRecord, MIN_RECORD_SIZE, readRecord, type RecordInput, sizeOfRecordBody, writeRecord } from './record.js';
import { RecordCursor } from './varint.js';

export const enum TimestampType {
  /** Magic 0 messages carry no timestamp. */
  NoTimestamp = -1,
  CreateTime = 0,
  LogAppendTime = 1,
}

/** Kafka's RecordBatch.NO_* sentinels. */
export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;
export const NO_TIMESTAMP = -1n;

/** A magic-2 batch with its records section ready to read (decompressed when the batch was compressed). */
export interface RecordBatch extends BatchHeader {
  compression: CompressionType;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  /** Set once compaction has written a delete horizon into baseTimestamp (KIP-534). */
  hasDeleteHorizon: boolean;
  /** Bytes the batch takes in the buffer, LOG_OVERHEAD included. */
  sizeInBytes: number;
  /** `recordsCount` records back to back, each framed by a varint length. */
  recordsData: Buffer;
}

/** A batch with its records read out, as {@link decodeRecordBatches} returns it. */
export interface DecodedRecordBatch extends RecordBatch {
  records: KafkaRecord[];
}

export interface DecodeOptions {
  /** Upper bound on a compressed batch's decompressed records (default {@link DEFAULT_MAX_DECOMPRESSED_BYTES}). */
  maxDecompressedBytes?: number;
  /** Check the CRC32C (default true). */
  verifyCrc?: boolean;
  /**
   * Stop quietly at an incomplete batch at the end of the buffer instead of failing, as a
   * consumer must for fetch responses cut at max bytes. Never set on the produce path.
   */
  allowPartialTrailing?: boolean;
  /** Prefix for error paths (default `recordBatch`). */
  path?: string;
}

function fail(path: string, reason: string, offset: number): never {
  throw new KafkaDecodeError(reason, path, offset);
}

/** Attribute bits as named flags. */
export function batchAttributes(attributes: number): { compression: number; timestampType: TimestampType; isTransactional: boolean; isControl: boolean; hasDeleteHorizon: boolean } {
  return {
    compression: attributes & COMPRESSION_MASK,
    timestampType: attributes & TIMESTAMP_TYPE_LOG_APPEND ? TimestampType.LogAppendTime : TimestampType.CreateTime,
    isTransactional: (attributes & TRANSACTIONAL_FLAG) !== 0,
    isControl: (attributes & CONTROL_FLAG) !== 0,
    hasDeleteHorizon: (attributes & DELETE_HORIZON_FLAG) !== 0,
  };
}

/**
 * Checks the frame of the batch at `at` — lengths, magic, CRC — and returns its size. This is
 * the per-batch part of {@link validateBatches}, shared with the full decoder.
 */
export function checkBatchFrame(buf: Buffer, at: number, end: number, path: string, verifyCrc: boolean): number {
  if (end - at < LOG_OVERHEAD) fail(path, `truncated batch: ${end - at} bytes cannot hold baseOffset and batchLength`, at);
  const batchLength = buf.readInt32BE(at + BATCH_LENGTH);
  if (batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) fail(`${path}.batchLength`, `batchLength ${batchLength} is below the ${RECORD_BATCH_OVERHEAD - LOG_OVERHEAD}-byte header`, at + BATCH_LENGTH);
  if (batchLength > end - at - LOG_OVERHEAD) fail(`${path}.batchLength`, `batchLength ${batchLength} overruns the ${end - at - LOG_OVERHEAD} bytes that follow`, at + BATCH_LENGTH);
  const magic = buf.readInt8(at + MAGIC);
  if (magic !== 2) fail(`${path}.magic`, magic === 0 || magic === 1 ? `legacy message format (magic ${magic}) where a record batch is expected` : `unknown magic ${magic}`, at + MAGIC);
  const size = batchLength + LOG_OVERHEAD;
  if (verifyCrc) {
    const crc = computeBatchCrc(buf, at, size);
    const stored = buf.readUInt32BE(at + CRC);
    if (crc !== stored) fail(`${path}.crc`, `CRC32C mismatch: stored 0x${stored.toString(16)}, computed 0x${crc.toString(16)}`, at + CRC);
  }
  return size;
}

/**
 * Decodes the header of the batch at `at` and makes its records section readable, decompressing
 * it (bounded by `maxDecompressedBytes`) when the batch is compressed. Records are read lazily
 * with {@link iterateRecords} / {@link forEachRecord} / {@link readRecords}.
 */
export function decodeRecordBatch(buf: Buffer, at = 0, options?: DecodeOptions): RecordBatch {
  const path = options?.path ?? 'recordBatch';
  const size = checkBatchFrame(buf, at, buf.length, path, options?.verifyCrc ?? true);
  const header = readBatchHeader(buf, at);
  const attrs = batchAttributes(header.attributes);
  const maxBytes = options?.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  if (!isKnownCompression(attrs.compression)) fail(`${path}.attributes`, `unknown compression type ${attrs.compression}`, at + ATTRIBUTES);
  if (header.recordsCount < 0) fail(`${path}.recordsCount`, `negative records count ${header.recordsCount}`, at + RECORDS_COUNT);
  const section = buf.subarray(at + RECORD_BATCH_OVERHEAD, at + size);
  let recordsData = section;
  if (attrs.compression !== CompressionType.None) {
    // A forged count is caught before decompressing: the records could never fit the bound.
    if (header.recordsCount > maxBytes / MIN_RECORD_SIZE) fail(`${path}.recordsCount`, `${header.recordsCount} records cannot fit in ${maxBytes} decompressed bytes`, at + RECORDS_COUNT);
    recordsData = header.recordsCount === 0 && section.length === 0 ? section : decompress(attrs.compression, section, maxBytes, `${path}.records(${compressionName(attrs.compression)})`);
  }
  if (header.recordsCount > recordsData.length / MIN_RECORD_SIZE) {
    fail(`${path}.recordsCount`, `${header.recordsCount} records cannot fit in ${recordsData.length} bytes`, at + RECORDS_COUNT);
  }
  return { ...header, ...attrs, compression: attrs.compression, sizeInBytes: size, recordsData };
}

function recordContext(batch: RecordBatch): { cur: RecordCursor; logAppendTime: bigint | null } {
  return {
    cur: new RecordCursor(batch.recordsData, 0, batch.recordsData.length, 'records'),
    logAppendTime: batch.timestampType === TimestampType.LogAppendTime ? batch.maxTimestamp : null,
  };
}

function checkRecordsEnd(cur: RecordCursor, batch: RecordBatch): void {
  if (cur.pos !== cur.end) cur.fail(-1, 'end', `${cur.end - cur.pos} bytes left after the batch's ${batch.recordsCount} records`);
}

/** Reads the batch's records one at a time; nothing is read until the caller pulls. */
export function* iterateRecords(batch: RecordBatch): Generator<KafkaRecord, void, undefined> {
  const { cur, logAppendTime } = recordContext(batch);
  for (let i = 0; i < batch.recordsCount; i++) yield readRecord(cur, i, batch.baseOffset, batch.baseTimestamp, logAppendTime);
  checkRecordsEnd(cur, batch);
}

/** Calls `fn` for each record; faster than {@link iterateRecords} when everything is wanted. */
export function forEachRecord(batch: RecordBatch, fn: (record: KafkaRecord, index: number) => void): void {
  const { cur, logAppendTime } = recordContext(batch);
  for (let i = 0; i < batch.recordsCount; i++) fn(readRecord(cur, i, batch.baseOffset, batch.baseTimestamp, logAppendTime), i);
  checkRecordsEnd(cur, batch);
}

export function readRecords(batch: RecordBatch): KafkaRecord[] {
  const records: KafkaRecord[] = [];
  forEachRecord(batch, (r) => records.push(r));
  return records;
}

/**
 * Decodes every batch in `buf` (a Fetch/Produce `records` field) with its records. The easy
 * API for tests and tools; the broker's produce path uses `validateBatches` instead.
 */
export function decodeRecordBatches(buf: Buffer, options?: DecodeOptions): DecodedRecordBatch[] {
  const out: DecodedRecordBatch[] = [];
  for (const batch of iterateBatches(buf, options)) out.push({ ...batch, records: readRecords(batch) });
  return out;
}

/** Decodes the batches in `buf` one at a time. */
export function* iterateBatches(buf: Buffer, options?: DecodeOptions): Generator<RecordBatch, void, undefined> {
  const path = options?.path ?? 'recordBatch';
  for (let at = 0, i = 0; at < buf.length; i++) {
    if (options?.allowPartialTrailing && isPartialBatch(buf, at)) return;
    const batch = decodeRecordBatch(buf, at, { ...options, path: `${path}[${i}]` });
    at += batch.sizeInBytes;
    yield batch;
  }
}

/** True when the bytes at `at` are the start of a batch that was cut off by the end of `buf`. */
export function isPartialBatch(buf: Buffer, at: number): boolean {
  if (buf.length - at < LOG_OVERHEAD) return true;
  const length = buf.readInt32BE(at + BATCH_LENGTH);
  return length >= 0 && length > buf.length - at - LOG_OVERHEAD;
}

export interface BuildBatchOptions {
  baseOffset?: bigint;
  /** Default -1, as producers send it; the leader stamps its epoch when appending. */
  partitionLeaderEpoch?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  control?: boolean;
  compression?: CompressionType;
  compressionLevel?: number;
  timestampType?: TimestampType;
  /** Timestamp of records that carry none (default `Date.now()`). */
  timestamp?: bigint | number;
  /** Default: the first record's timestamp, as Java's producer does (deltas may be negative). */
  baseTimestamp?: bigint | number;
  /** Default: the highest record timestamp; pass the append time for LogAppendTime. */
  maxTimestamp?: bigint | number;
  /** Default: the highest offsetDelta (0 for an empty batch). */
  lastOffsetDelta?: number;
}

/**
 * Builds a magic-2 batch. Timestamps are handled as numbers (exact for any real epoch-millisecond
 * value); the CRC32C is computed over the finished bytes.
 */
export function buildRecordBatch(records: readonly RecordInput[], options: BuildBatchOptions = {}): Buffer {
  const n = records.length;
  const compression = options.compression ?? CompressionType.None;
  if (!isKnownCompression(compression)) throw new KafkaEncodeError(`unknown compression type ${compression as number}`);
  const defaultTimestamp = options.timestamp !== undefined ? Number(options.timestamp) : Date.now();
  const baseTimestamp = options.baseTimestamp !== undefined ? Number(options.baseTimestamp) : n > 0 ? timestampOf(records[0]!, defaultTimestamp) : -1;
  let maxTimestamp = -1;
  let lastOffsetDelta = 0;
  const bodySizes = new Int32Array(n);
  let recordsSize = 0;
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    const ts = timestampOf(r, defaultTimestamp);
    if (i === 0 || ts > maxTimestamp) maxTimestamp = ts;
    const offsetDelta = r.offsetDelta ?? i;
    if (offsetDelta > lastOffsetDelta) lastOffsetDelta = offsetDelta;
    const body = sizeOfRecordBody(r, offsetDelta, ts - baseTimestamp);
    bodySizes[i] = body;
    recordsSize += sizeOfVarintLength(body) + body;
  }
  if (options.maxTimestamp !== undefined) maxTimestamp = Number(options.maxTimestamp);
  if (options.lastOffsetDelta !== undefined) lastOffsetDelta = options.lastOffsetDelta;

  const writeRecords = (buf: Buffer, p: number): number => {
    for (let i = 0; i < n; i++) {
      const r = records[i]!;
      p = writeRecord(buf, p, r, bodySizes[i]!, r.offsetDelta ?? i, timestampOf(r, defaultTimestamp) - baseTimestamp);
    }
    return p;
  };

  let out: Buffer;
  if (compression === CompressionType.None) {
    out = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + recordsSize);
    const end = writeRecords(out, RECORD_BATCH_OVERHEAD);
    if (end !== out.length) throw new Error(`record encoder wrote ${end - RECORD_BATCH_OVERHEAD} bytes, sized ${recordsSize}`);
  } else {
    const plain = Buffer.allocUnsafe(recordsSize);
    const end = writeRecords(plain, 0);
    if (end !== recordsSize) throw new Error(`record encoder wrote ${end} bytes, sized ${recordsSize}`);
    const compressed = compress(compression, plain, options.compressionLevel !== undefined ? { level: options.compressionLevel } : undefined);
    out = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + compressed.length);
    compressed.copy(out, RECORD_BATCH_OVERHEAD);
  }

  let attributes: number = compression;
  if (options.timestampType === TimestampType.LogAppendTime) attributes |= TIMESTAMP_TYPE_LOG_APPEND;
  if (options.transactional) attributes |= TRANSACTIONAL_FLAG;
  if (options.control) attributes |= CONTROL_FLAG;
  out.writeBigInt64BE(options.baseOffset ?? 0n, BASE_OFFSET);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH);
  out.writeInt32BE(options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, PARTITION_LEADER_EPOCH);
  out.writeInt8(2, MAGIC);
  out.writeInt16BE(attributes, ATTRIBUTES);
  out.writeInt32BE(lastOffsetDelta, LAST_OFFSET_DELTA);
  out.writeBigInt64BE(BigInt(baseTimestamp), BASE_TIMESTAMP);
  out.writeBigInt64BE(BigInt(maxTimestamp), MAX_TIMESTAMP);
  out.writeBigInt64BE(options.producerId ?? NO_PRODUCER_ID, PRODUCER_ID);
  out.writeInt16BE(options.producerEpoch ?? NO_PRODUCER_EPOCH, PRODUCER_EPOCH);
  out.writeInt32BE(options.baseSequence ?? NO_SEQUENCE, BASE_SEQUENCE);
  out.writeInt32BE(n, RECORDS_COUNT);
  writeBatchCrc(out, 0, out.length);
  return out;
}

function timestampOf(r: RecordInput, fallback: number): number {
  return r.timestamp === undefined ? fallback : Number(r.timestamp);
}

function sizeOfVarintLength(v: number): number {
  // Record lengths are positive zig-zag varints: 2v.
  return v < 0x40 ? 1 : v < 0x2000 ? 2 : v < 0x100000 ? 3 : v < 0x8000000 ? 4 : 5;
}
