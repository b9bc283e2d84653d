import { decodeRecordBatch, forEachRecord } from '../protocol/records/index.js';

/** Timestamps of the records of one batch (offsetDelta, absolute timestamp), or undefined if unreadable. */
export type RecordTimestamps = (batch: Buffer) => Iterable<{ offsetDelta: number; timestamp: number }> | undefined;

/** Decompression bound for a stored batch read to answer ListOffsets by time. */
const MAX_DECOMPRESSED = 64 * 1024 * 1024;

/**
 * Each record's timestamp in a stored v2 batch, compressed or not (ListOffsets by timestamp needs
 * the first record at or after a time, not just its batch). Undefined on a malformed batch, so the
 * caller falls back to batch precision.
 */
export function recordTimestampsOfBatch(batch: Buffer): { offsetDelta: number; timestamp: number }[] | undefined {
  try {
    const decoded = decodeRecordBatch(batch, 0, { verifyCrc: false, maxDecompressedBytes: MAX_DECOMPRESSED });
    const out: { offsetDelta: number; timestamp: number }[] = [];
    forEachRecord(decoded, (r) => out.push({ offsetDelta: r.offsetDelta, timestamp: Number(r.timestamp) }));
    return out;
  } catch {
    return undefined;
  }
}
