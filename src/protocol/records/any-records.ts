import { KafkaDecodeError } from '../runtime/errors.js';
import { CompressionType, LOG_OVERHEAD } from './batch-header.js';
import { type DecodeOptions, decodeRecordBatch, forEachRecord, isPartialBatch, TimestampType } from './batch.js';
import { forEachLegacyMessage, recordsMagic } from './legacy.js';
import type { RecordHeader } from './record.js';

/** One record from either format, as a consumer sees it. */
export interface AnyRecord {
  magic: 0 | 1 | 2;
  offset: bigint;
  timestamp: bigint;
  timestampType: TimestampType;
  compression: CompressionType;
  key: Buffer | null;
  value: Buffer | null;
  /** Always empty below magic 2. */
  headers: RecordHeader[];
  /** Magic 2 only: the record belongs to a control batch (transaction marker). */
  isControl: boolean;
  isTransactional: boolean;
  producerId: bigint;
}

/**
 * Reads every record of a `records` field whatever its format — v2 batches, legacy message
 * sets, or both back to back as a broker mid-upgrade serves them. Meant for tests, golden bytes
 * captured from other clients and tools, not for the broker's hot paths.
 */
export function readAllRecords(buf: Buffer, options?: DecodeOptions): AnyRecord[] {
  const path = options?.path ?? 'records';
  const out: AnyRecord[] = [];
  for (let at = 0, i = 0; at < buf.length; i++) {
    if (options?.allowPartialTrailing && isPartialBatch(buf, at)) break;
    const entryPath = `${path}[${i}]`;
    const magic = recordsMagic(buf, at);
    if (magic === 2) {
      const batch = decodeRecordBatch(buf, at, { ...options, path: entryPath });
      forEachRecord(batch, (r) =>
        out.push({
          magic: 2,
          offset: r.offset,
          timestamp: r.timestamp,
          timestampType: batch.timestampType,
          compression: batch.compression,
          key: r.key,
          value: r.value,
          headers: r.headers,
          isControl: batch.isControl,
          isTransactional: batch.isTransactional,
          producerId: batch.producerId,
        }),
      );
      at += batch.sizeInBytes;
      continue;
    }
    if (buf.length - at < LOG_OVERHEAD) throw new KafkaDecodeError(`truncated entry: ${buf.length - at} bytes`, entryPath, at);
    const size = buf.readInt32BE(at + 8);
    if (size < 0 || size > buf.length - at - LOG_OVERHEAD) throw new KafkaDecodeError(`entry size ${size} overruns the data`, entryPath, at + 8);
    forEachLegacyMessage(
      buf.subarray(at, at + LOG_OVERHEAD + size),
      (m) =>
        out.push({
          magic: m.magic,
          offset: m.offset,
          timestamp: m.timestamp,
          timestampType: m.timestampType,
          compression: m.compression,
          key: m.key,
          value: m.value,
          headers: [],
          isControl: false,
          isTransactional: false,
          producerId: -1n,
        }),
      { maxDecompressedBytes: options?.maxDecompressedBytes, verifyCrc: options?.verifyCrc, path: entryPath },
    );
    at += LOG_OVERHEAD + size;
  }
  return out;
}
