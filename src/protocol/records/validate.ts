import { KafkaDecodeError } from '../runtime/errors.js';
import {
  ATTRIBUTES,
  assignOffsets,
  BASE_SEQUENCE,
  BASE_TIMESTAMP,
  CompressionType,
  COMPRESSION_MASK,
  CONTROL_FLAG,
  LAST_OFFSET_DELTA,
  MAX_TIMESTAMP,
  PRODUCER_EPOCH,
  PRODUCER_ID,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT,
  TIMESTAMP_TYPE_LOG_APPEND,
  TRANSACTIONAL_FLAG,
  batchSize,
} from './batch-header.js';
import { checkBatchFrame, NO_TIMESTAMP, TimestampType } from './batch.js';
import { compressionName, decompress, DEFAULT_MAX_DECOMPRESSED_BYTES } from './compression.js';
import { MIN_RECORD_SIZE, type RecordWalkStats, skipRecord } from './record.js';
import { RecordCursor } from './varint.js';

export interface ValidateOptions {
  /**
   * Apply the checks Kafka makes on batches from clients (AppendOrigin.CLIENT): recordsCount
   * must be positive and equal lastOffsetDelta + 1, record offsetDeltas must be 0..n-1. Batches
   * that went through compaction (replication, our own log) may have gaps: pass false. Default true.
   */
  fromClient?: boolean;
  /** Bound on a compressed batch's decompressed records (default {@link DEFAULT_MAX_DECOMPRESSED_BYTES}). */
  maxDecompressedBytes?: number;
  /** Prefix for error paths (default `records`). */
  path?: string;
}

/** One batch of a validated `records` field, as the log append needs it. */
export interface ValidatedBatch {
  /** Byte position in the validated buffer. */
  position: number;
  /** Total size including the offset and length prefix. */
  size: number;
  lastOffsetDelta: number;
  recordsCount: number;
  /** The batch's maxTimestamp in ms (a number: exact below 2^53). */
  maxTimestamp: number;
}

/**
 * What the produce path needs to know about a `records` field, read from batch headers only.
 * PartitionLog.append takes it so that storage does not walk the headers again: it describes
 * exactly the bytes it was computed from (not after conversion or recompression).
 */
export interface BatchesSummary {
  batchCount: number;
  /** Every batch, in order. */
  batches: ValidatedBatch[];
  /** Sum of the batches' recordsCount. */
  recordCount: number;
  /** Offsets the batches take (sum of lastOffsetDelta + 1). */
  offsetCount: number;
  sizeInBytes: number;
  /** Highest batch maxTimestamp; NO_TIMESTAMP (-1) when there are no batches. */
  maxTimestamp: bigint;
  /** The rest describe the first batch; `mixed` tells whether any later batch differs. */
  compression: CompressionType;
  timestampType: TimestampType;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  /** Sequence of the last record of the last batch (Java's lastSequence: wraps past 2^31-1 to 0). */
  lastSequence: number;
  isTransactional: boolean;
  isControl: boolean;
  /** True when batches differ in compression, producer id/epoch, transactional or control flag. */
  mixed: boolean;
}

function fail(path: string, reason: string, offset: number): never {
  throw new KafkaDecodeError(reason, path, offset);
}

/** Java's DefaultRecordBatch.incrementSequence. */
function incrementSequence(sequence: number, increment: number): number {
  if (sequence < 0) return sequence;
  return sequence > 0x7fffffff - increment ? increment - (0x7fffffff - sequence) - 1 : sequence + increment;
}

/**
 * Walks the batches of a `records` field back to back, checking every declared length against
 * the bytes present, the magic, the CRC32C and the count/offset sanity Kafka requires, without
 * decompressing or touching a single record. Throws KafkaDecodeError (→ CORRUPT_MESSAGE) on any
 * inconsistency; policy (control batches from clients, sequences, one batch per partition for
 * Produce v3+) is left to the caller, which has the summary for it.
 */
export function validateBatches(buf: Buffer, options?: ValidateOptions): BatchesSummary {
  const path = options?.path ?? 'records';
  const fromClient = options?.fromClient ?? true;
  const maxBytes = options?.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  const summary: BatchesSummary = {
    batchCount: 0,
    batches: [],
    recordCount: 0,
    offsetCount: 0,
    sizeInBytes: buf.length,
    maxTimestamp: NO_TIMESTAMP,
    compression: CompressionType.None,
    timestampType: TimestampType.CreateTime,
    producerId: -1n,
    producerEpoch: -1,
    baseSequence: -1,
    lastSequence: -1,
    isTransactional: false,
    isControl: false,
    mixed: false,
  };
  let firstAttributes = 0;
  let firstAt = 0;
  for (let at = 0; at < buf.length; ) {
    const batchPath = `${path}[${summary.batchCount}]`;
    const size = checkBatchFrame(buf, at, buf.length, batchPath, true);
    const lastOffsetDelta = checkBatchCounts(buf, at, size, batchPath, fromClient, maxBytes);
    const attributes = buf.readInt16BE(at + ATTRIBUTES);
    const recordsCount = buf.readInt32BE(at + RECORDS_COUNT);
    const maxTimestamp = buf.readBigInt64BE(at + MAX_TIMESTAMP);
    if (maxTimestamp > summary.maxTimestamp) summary.maxTimestamp = maxTimestamp;
    if (summary.batchCount === 0) {
      firstAttributes = attributes;
      firstAt = at;
    } else if (
      ((attributes ^ firstAttributes) & (COMPRESSION_MASK | TRANSACTIONAL_FLAG | CONTROL_FLAG)) !== 0 ||
      buf.compare(buf, firstAt + PRODUCER_ID, firstAt + PRODUCER_EPOCH + 2, at + PRODUCER_ID, at + PRODUCER_EPOCH + 2) !== 0
    ) {
      summary.mixed = true;
    }
    summary.lastSequence = incrementSequence(buf.readInt32BE(at + BASE_SEQUENCE), lastOffsetDelta);
    summary.batches.push({ position: at, size, lastOffsetDelta, recordsCount, maxTimestamp: Number(maxTimestamp) });
    summary.batchCount++;
    summary.recordCount += recordsCount;
    summary.offsetCount += lastOffsetDelta + 1;
    at += size;
  }
  if (summary.batchCount > 0) {
    summary.compression = (firstAttributes & COMPRESSION_MASK) as CompressionType;
    summary.timestampType = firstAttributes & TIMESTAMP_TYPE_LOG_APPEND ? TimestampType.LogAppendTime : TimestampType.CreateTime;
    summary.producerId = buf.readBigInt64BE(firstAt + PRODUCER_ID);
    summary.producerEpoch = buf.readInt16BE(firstAt + PRODUCER_EPOCH);
    summary.baseSequence = buf.readInt32BE(firstAt + BASE_SEQUENCE);
    summary.isTransactional = (firstAttributes & TRANSACTIONAL_FLAG) !== 0;
    summary.isControl = (firstAttributes & CONTROL_FLAG) !== 0;
  }
  return summary;
}

/**
 * Count and attribute checks on a framed batch; returns lastOffsetDelta. A compressed batch's
 * count is held against the decompression bound so a forged count is caught here, cheaply.
 */
function checkBatchCounts(buf: Buffer, at: number, size: number, path: string, fromClient: boolean, maxBytes: number): number {
  const attributes = buf.readInt16BE(at + ATTRIBUTES);
  const compression = attributes & COMPRESSION_MASK;
  if (compression > CompressionType.Zstd) fail(`${path}.attributes`, `unknown compression type ${compression}`, at + ATTRIBUTES);
  const recordsCount = buf.readInt32BE(at + RECORDS_COUNT);
  const lastOffsetDelta = buf.readInt32BE(at + LAST_OFFSET_DELTA);
  if (recordsCount < 0) fail(`${path}.recordsCount`, `negative records count ${recordsCount}`, at + RECORDS_COUNT);
  if (fromClient) {
    if (recordsCount === 0) fail(`${path}.recordsCount`, 'a batch from a client must hold at least one record', at + RECORDS_COUNT);
    if (lastOffsetDelta !== recordsCount - 1) fail(`${path}.lastOffsetDelta`, `lastOffsetDelta ${lastOffsetDelta} does not match ${recordsCount} records`, at + LAST_OFFSET_DELTA);
  } else {
    if (lastOffsetDelta < -1 || (recordsCount > 0 && lastOffsetDelta < recordsCount - 1)) {
      fail(`${path}.lastOffsetDelta`, `lastOffsetDelta ${lastOffsetDelta} cannot cover ${recordsCount} records`, at + LAST_OFFSET_DELTA);
    }
  }
  const sectionSize = size - RECORD_BATCH_OVERHEAD;
  if (compression === CompressionType.None) {
    if (recordsCount > sectionSize / MIN_RECORD_SIZE) fail(`${path}.recordsCount`, `${recordsCount} records cannot fit in ${sectionSize} bytes`, at + RECORDS_COUNT);
    if (recordsCount === 0 && sectionSize > 0) fail(`${path}.records`, `${sectionSize} bytes after an empty batch's header`, at + RECORD_BATCH_OVERHEAD);
  } else {
    if (recordsCount > maxBytes / MIN_RECORD_SIZE) fail(`${path}.recordsCount`, `${recordsCount} records cannot fit in ${maxBytes} decompressed bytes`, at + RECORDS_COUNT);
    if (recordsCount > 0 && sectionSize === 0) fail(`${path}.records`, 'compressed batch with records has no compressed data', at + RECORD_BATCH_OVERHEAD);
  }
  return lastOffsetDelta;
}

/** {@link BatchesSummary} plus what only reading every record can tell. */
export interface BatchesDeepSummary extends BatchesSummary {
  /** Highest record timestamp (the batch's maxTimestamp for LogAppendTime batches); -1 when none. */
  recordsMaxTimestamp: bigint;
  /** Size of all records sections after decompression. */
  uncompressedBytes: number;
  /** Records without a key (a compacted topic rejects them). */
  nullKeyCount: number;
  headerCount: number;
}

/**
 * {@link validateBatches} and then every record of every batch: decompresses (bounded by
 * `maxDecompressedBytes` per batch) and checks each record's framing, that the batch holds exactly
 * recordsCount records and nothing after them, and the offsetDeltas. What Kafka does for
 * compressed batches before it assigns offsets; allocates nothing per record.
 */
export function validateBatchesDeep(buf: Buffer, options?: ValidateOptions): BatchesDeepSummary {
  const summary = validateBatches(buf, options);
  const path = options?.path ?? 'records';
  const fromClient = options?.fromClient ?? true;
  const maxBytes = options?.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  let recordsMaxTimestamp = NO_TIMESTAMP;
  let uncompressedBytes = 0;
  const stats: RecordWalkStats = { maxTimestampDelta: 0, offsetDeltaOfMaxTimestamp: 0, lastOffsetDelta: 0, nullKeyCount: 0, headerCount: 0 };
  for (let at = 0, i = 0; at < buf.length; i++) {
    const size = batchSize(buf, at);
    const batchPath = `${path}[${i}]`;
    const attributes = buf.readInt16BE(at + ATTRIBUTES);
    const compression = attributes & COMPRESSION_MASK;
    const recordsCount = buf.readInt32BE(at + RECORDS_COUNT);
    const lastOffsetDelta = buf.readInt32BE(at + LAST_OFFSET_DELTA);
    let data = buf.subarray(at + RECORD_BATCH_OVERHEAD, at + size);
    let base = at + RECORD_BATCH_OVERHEAD;
    if (compression !== CompressionType.None && !(recordsCount === 0 && data.length === 0)) {
      data = decompress(compression, data, maxBytes, `${batchPath}.records(${compressionName(compression)})`);
      base = 0;
    }
    if (recordsCount > data.length / MIN_RECORD_SIZE) fail(`${batchPath}.recordsCount`, `${recordsCount} records cannot fit in ${data.length} bytes`, at + RECORDS_COUNT);
    uncompressedBytes += data.length;
    const cur = new RecordCursor(data, 0, data.length, base === 0 ? `${batchPath}.records(decompressed)` : `${batchPath}.records`);
    let previous = -1;
    for (let r = 0; r < recordsCount; r++) {
      const offsetDelta = skipRecord(cur, r, stats);
      if (fromClient ? offsetDelta !== r : offsetDelta <= previous || offsetDelta > lastOffsetDelta) {
        cur.fail(r, 'offsetDelta', `offsetDelta ${offsetDelta} out of sequence (previous ${previous}, lastOffsetDelta ${lastOffsetDelta})`);
      }
      previous = offsetDelta;
    }
    if (cur.pos !== cur.end) cur.fail(-1, 'end', `${cur.end - cur.pos} bytes left after the batch's ${recordsCount} records`);
    if (recordsCount > 0) {
      const ts = attributes & TIMESTAMP_TYPE_LOG_APPEND ? buf.readBigInt64BE(at + MAX_TIMESTAMP) : buf.readBigInt64BE(at + BASE_TIMESTAMP) + BigInt(stats.maxTimestampDelta);
      if (ts > recordsMaxTimestamp) recordsMaxTimestamp = ts;
    }
    at += size;
  }
  return { ...summary, recordsMaxTimestamp, uncompressedBytes, nullKeyCount: stats.nullKeyCount, headerCount: stats.headerCount };
}

/**
 * Stamps offsets on batches that passed {@link validateBatches}: each batch gets the next
 * baseOffset and the leader epoch in place (both outside the CRC). Returns the next offset.
 */
export function assignOffsetsToBatches(buf: Buffer, firstOffset: bigint, partitionLeaderEpoch: number): bigint {
  let next = firstOffset;
  for (let at = 0; at < buf.length; at += batchSize(buf, at)) next = assignOffsets(buf, at, next, partitionLeaderEpoch) + 1n;
  return next;
}
