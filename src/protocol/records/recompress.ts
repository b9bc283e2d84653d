import { ATTRIBUTES, CompressionType, COMPRESSION_MASK, TIMESTAMP_TYPE_LOG_APPEND } from './batch-header.js';
import { buildRecordBatch, decodeRecordBatch, forEachRecord, TimestampType } from './batch.js';
import { DEFAULT_MAX_DECOMPRESSED_BYTES } from './compression.js';
import type { RecordInput } from './record.js';

/**
 * Index (within the batches, counting every record) of the first record without a key, or -1:
 * compacted topics refuse them (Kafka's LogValidator). Control batches are skipped.
 */
export function firstRecordWithoutKey(buf: Buffer, maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): number {
  let at = 0;
  let index = 0;
  let found = -1;
  while (at < buf.length && found < 0) {
    const batch = decodeRecordBatch(buf, at, { maxDecompressedBytes, verifyCrc: false });
    if (!batch.isControl) {
      forEachRecord(batch, (r, i) => {
        if (found < 0 && r.key === null) found = index + i;
      });
      index += batch.recordsCount;
    }
    at += batch.sizeInBytes;
  }
  return found;
}

/** Kafka's compression.type names → codec ids; `producer` (keep the producer's codec) → undefined. */
export function compressionTypeOf(name: string): CompressionType | undefined {
  switch (name.toLowerCase()) {
    case 'uncompressed':
    case 'none':
      return CompressionType.None;
    case 'gzip':
      return CompressionType.Gzip;
    case 'snappy':
      return CompressionType.Snappy;
    case 'lz4':
      return CompressionType.Lz4;
    case 'zstd':
      return CompressionType.Zstd;
    default:
      return undefined;
  }
}

/**
 * Broker-side recompression (a topic's compression.type differs from the producer's codec): every
 * magic-2 batch in `buf` whose codec is not `compression` is decompressed and re-encoded with it.
 * Record fields (key, value, headers, timestamps, offset deltas) and the batch header (base
 * offset, lastOffsetDelta, producer id/epoch/sequence, transactional and control flags, timestamp
 * type, max timestamp, leader epoch) are preserved; batches already in that codec are copied.
 */
export function recompressBatches(buf: Buffer, compression: CompressionType, options: { level?: number; maxDecompressedBytes?: number } = {}): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  while (at < buf.length) {
    const batch = decodeRecordBatch(buf, at, { maxDecompressedBytes: options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES });
    const attributes = buf.readInt16BE(at + ATTRIBUTES);
    if ((attributes & COMPRESSION_MASK) === compression || batch.isControl) {
      out.push(buf.subarray(at, at + batch.sizeInBytes));
    } else {
      const records: RecordInput[] = [];
      forEachRecord(batch, (r) => {
        records.push({ key: r.key, value: r.value, headers: r.headers, timestamp: Number(batch.baseTimestamp) + r.timestampDelta, offsetDelta: r.offsetDelta });
      });
      const logAppendTime = (attributes & TIMESTAMP_TYPE_LOG_APPEND) !== 0;
      out.push(
        buildRecordBatch(records, {
          baseOffset: batch.baseOffset,
          partitionLeaderEpoch: batch.partitionLeaderEpoch,
          producerId: batch.producerId,
          producerEpoch: batch.producerEpoch,
          baseSequence: batch.baseSequence,
          transactional: batch.isTransactional,
          compression,
          compressionLevel: options.level,
          timestampType: logAppendTime ? TimestampType.LogAppendTime : TimestampType.CreateTime,
          baseTimestamp: batch.baseTimestamp,
          maxTimestamp: batch.maxTimestamp,
          lastOffsetDelta: batch.lastOffsetDelta,
        }),
      );
    }
    at += batch.sizeInBytes;
  }
  return out.length === 1 ? out[0]! : Buffer.concat(out);
}
