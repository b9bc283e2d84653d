import { crc32c } from '@node-rs/crc32';

/**
 * Byte layout of a magic-2 record batch header (Kafka's DefaultRecordBatch). Batches are stored
 * and served as the bytes the producer sent; the broker only patches the fields below in place.
 */
export const BASE_OFFSET = 0; // int64
export const BATCH_LENGTH = 8; // int32: bytes after this field
export const PARTITION_LEADER_EPOCH = 12; // int32
export const MAGIC = 16; // int8
export const CRC = 17; // uint32, CRC32C of ATTRIBUTES..end
export const ATTRIBUTES = 21; // int16
export const LAST_OFFSET_DELTA = 23; // int32
export const BASE_TIMESTAMP = 27; // int64
export const MAX_TIMESTAMP = 35; // int64
export const PRODUCER_ID = 43; // int64
export const PRODUCER_EPOCH = 51; // int16
export const BASE_SEQUENCE = 53; // int32
export const RECORDS_COUNT = 57; // int32
export const RECORD_BATCH_OVERHEAD = 61;
/** baseOffset + batchLength: the bytes in front of what batchLength counts. */
export const LOG_OVERHEAD = 12;

/** Attribute bits. */
export const COMPRESSION_MASK = 0x07;
export const TIMESTAMP_TYPE_LOG_APPEND = 0x08;
export const TRANSACTIONAL_FLAG = 0x10;
export const CONTROL_FLAG = 0x20;
export const DELETE_HORIZON_FLAG = 0x40;

export const enum CompressionType {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

/** Total size of the batch starting at `at` (its batchLength plus LOG_OVERHEAD). */
export function batchSize(buf: Buffer, at = 0): number {
  return buf.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
}

/** CRC32C over attributes..end, as stored in the header. */
export function computeBatchCrc(buf: Buffer, at = 0, size = batchSize(buf, at)): number {
  return crc32c(buf.subarray(at + ATTRIBUTES, at + size)) >>> 0;
}

export function isBatchCrcValid(buf: Buffer, at = 0, size = batchSize(buf, at)): boolean {
  return buf.readUInt32BE(at + CRC) === computeBatchCrc(buf, at, size);
}

/** Recomputes and stores the CRC after header fields it covers were patched. */
export function writeBatchCrc(buf: Buffer, at = 0, size = batchSize(buf, at)): void {
  buf.writeUInt32BE(computeBatchCrc(buf, at, size), at + CRC);
}

/**
 * Assigns offsets to a batch in place: baseOffset and partitionLeaderEpoch are outside the CRC,
 * so no re-encoding and no CRC work is needed. Returns the last offset of the batch.
 */
export function assignOffsets(buf: Buffer, at: number, baseOffset: bigint, partitionLeaderEpoch: number): bigint {
  buf.writeBigInt64BE(baseOffset, at + BASE_OFFSET);
  buf.writeInt32BE(partitionLeaderEpoch, at + PARTITION_LEADER_EPOCH);
  return baseOffset + BigInt(buf.readInt32BE(at + LAST_OFFSET_DELTA));
}

/**
 * Sets LogAppendTime on a batch (topic with message.timestamp.type=LogAppendTime): the attribute
 * bit and maxTimestamp are inside the CRC, so the CRC is recomputed — still without touching records.
 */
export function setLogAppendTime(buf: Buffer, at: number, timestamp: bigint, size = batchSize(buf, at)): void {
  buf.writeInt16BE(buf.readInt16BE(at + ATTRIBUTES) | TIMESTAMP_TYPE_LOG_APPEND, at + ATTRIBUTES);
  buf.writeBigInt64BE(timestamp, at + MAX_TIMESTAMP);
  writeBatchCrc(buf, at, size);
}

/** Fixed-size summary of a batch header; allocates one small object, reads no record. */
export interface BatchHeader {
  baseOffset: bigint;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

/** Reads the header at `at`; the caller has checked that RECORD_BATCH_OVERHEAD bytes are there. */
export function readBatchHeader(buf: Buffer, at = 0): BatchHeader {
  return {
    baseOffset: buf.readBigInt64BE(at + BASE_OFFSET),
    batchLength: buf.readInt32BE(at + BATCH_LENGTH),
    partitionLeaderEpoch: buf.readInt32BE(at + PARTITION_LEADER_EPOCH),
    magic: buf.readInt8(at + MAGIC),
    crc: buf.readUInt32BE(at + CRC),
    attributes: buf.readInt16BE(at + ATTRIBUTES),
    lastOffsetDelta: buf.readInt32BE(at + LAST_OFFSET_DELTA),
    baseTimestamp: buf.readBigInt64BE(at + BASE_TIMESTAMP),
    maxTimestamp: buf.readBigInt64BE(at + MAX_TIMESTAMP),
    producerId: buf.readBigInt64BE(at + PRODUCER_ID),
    producerEpoch: buf.readInt16BE(at + PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(at + BASE_SEQUENCE),
    recordsCount: buf.readInt32BE(at + RECORDS_COUNT),
  };
}
