import {
  BASE_OFFSET,
  BATCH_LENGTH,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  MAX_TIMESTAMP,
  PARTITION_LEADER_EPOCH,
  RECORDS_COUNT,
  RECORD_BATCH_OVERHEAD,
  isBatchCrcValid,
} from '../protocol/records/batch-header.js';
import type { BatchesSummary } from '../protocol/records/validate.js';
import { CorruptRecordError, RecordBatchTooLargeError, RecordTooLargeError } from './errors.js';

/** What the storage layer needs from a batch header; read at batch-header.ts's offsets, no record is touched. */
export interface BatchInfo {
  /** Byte position of the batch (in the buffer or segment). */
  position: number;
  /** Total size including LOG_OVERHEAD. */
  size: number;
  baseOffset: bigint;
  lastOffsetDelta: number;
  partitionLeaderEpoch: number;
  /** maxTimestamp as a number (ms; exact below 2^53). */
  maxTimestamp: number;
  recordsCount: number;
}

export function readBatchInfo(buf: Buffer, at: number, position = at): BatchInfo {
  return {
    position,
    size: buf.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD,
    baseOffset: buf.readBigInt64BE(at + BASE_OFFSET),
    lastOffsetDelta: buf.readInt32BE(at + LAST_OFFSET_DELTA),
    partitionLeaderEpoch: buf.readInt32BE(at + PARTITION_LEADER_EPOCH),
    maxTimestamp: Number(buf.readBigInt64BE(at + MAX_TIMESTAMP)),
    recordsCount: buf.readInt32BE(at + RECORDS_COUNT),
  };
}

export function lastOffsetOf(b: BatchInfo): bigint {
  return b.baseOffset + BigInt(b.lastOffsetDelta);
}

/**
 * Splits appended bytes into batches and checks their framing (the caller has already checked
 * CRCs). Throws CorruptRecordError, RecordTooLargeError or RecordBatchTooLargeError.
 */
export function analyzeBatches(records: Buffer, maxMessageBytes: number, segmentBytes: number): BatchInfo[] {
  const out: BatchInfo[] = [];
  let at = 0;
  if (records.length === 0) throw new CorruptRecordError('no record batch');
  while (at < records.length) {
    if (records.length - at < RECORD_BATCH_OVERHEAD) {
      throw new CorruptRecordError(`truncated batch header at byte ${at}`);
    }
    const info = readBatchInfo(records, at);
    if (records.readInt8(at + MAGIC) !== 2) throw new CorruptRecordError(`unsupported magic ${records.readInt8(at + MAGIC)} at byte ${at}`);
    if (info.size < RECORD_BATCH_OVERHEAD || at + info.size > records.length) {
      throw new CorruptRecordError(`batch length ${info.size - LOG_OVERHEAD} at byte ${at} does not fit`);
    }
    checkBatchLimits(info, at, maxMessageBytes, segmentBytes);
    out.push(info);
    at += info.size;
  }
  return out;
}

/**
 * The batches of bytes the log validator already walked (see validateBatches), from its summary
 * instead of the headers: the same BatchInfo as analyzeBatches (baseOffset and
 * partitionLeaderEpoch are assigned by the append), the same size limits.
 */
export function batchesOfSummary(records: Buffer, summary: BatchesSummary, maxMessageBytes: number, segmentBytes: number): BatchInfo[] {
  if (summary.sizeInBytes !== records.length) throw new Error(`summary of ${summary.sizeInBytes} bytes given for ${records.length} bytes of records`);
  if (summary.batches.length === 0) throw new CorruptRecordError('no record batch');
  const out: BatchInfo[] = [];
  for (const b of summary.batches) {
    const info: BatchInfo = { position: b.position, size: b.size, baseOffset: 0n, lastOffsetDelta: b.lastOffsetDelta, partitionLeaderEpoch: -1, maxTimestamp: b.maxTimestamp, recordsCount: b.recordsCount };
    checkBatchLimits(info, b.position, maxMessageBytes, segmentBytes);
    out.push(info);
  }
  return out;
}

function checkBatchLimits(info: BatchInfo, at: number, maxMessageBytes: number, segmentBytes: number): void {
  if (info.lastOffsetDelta < 0 || info.recordsCount < 0) throw new CorruptRecordError(`negative lastOffsetDelta or count at byte ${at}`);
  if (info.size > segmentBytes) throw new RecordBatchTooLargeError(`batch of ${info.size} bytes exceeds segment.bytes ${segmentBytes}`);
  if (info.size > maxMessageBytes) throw new RecordTooLargeError(`batch of ${info.size} bytes exceeds max.message.bytes ${maxMessageBytes}`);
}

/**
 * Validates the batch at `at` of a buffer read back from disk during recovery: complete, magic 2,
 * sane lengths, CRC. Returns its info or undefined (torn or corrupt).
 */
export function validStoredBatch(buf: Buffer, at: number, end: number, position: number): BatchInfo | undefined {
  if (end - at < RECORD_BATCH_OVERHEAD) return undefined;
  const size = buf.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
  if (size < RECORD_BATCH_OVERHEAD || size > end - at) return undefined;
  if (buf.readInt8(at + MAGIC) !== 2) return undefined;
  if (!isBatchCrcValid(buf, at, size)) return undefined;
  const info = readBatchInfo(buf, at, position);
  if (info.lastOffsetDelta < 0 || info.baseOffset < 0n) return undefined;
  return info;
}
