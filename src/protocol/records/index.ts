/**
 * The record layer: magic-2 record batches, legacy message sets (magic 0/1), control records
 * and the compression codecs. No I/O; everything works on Buffers.
 */
export * from './batch-header.js';
export {
  TimestampType,
  NO_PRODUCER_ID,
  NO_PRODUCER_EPOCH,
  NO_SEQUENCE,
  NO_PARTITION_LEADER_EPOCH,
  NO_TIMESTAMP,
  type RecordBatch,
  type DecodedRecordBatch,
  type DecodeOptions,
  type BuildBatchOptions,
  batchAttributes,
  checkBatchFrame,
  decodeRecordBatch,
  decodeRecordBatches,
  iterateBatches,
  iterateRecords,
  forEachRecord,
  readRecords,
  isPartialBatch,
  buildRecordBatch,
} from './batch.js';
export { type KafkaRecord, type RecordHeader, type RecordInput, MIN_RECORD_SIZE } from './record.js';
export {
  ControlRecordType,
  CONTROL_RECORD_KEY_SIZE,
  END_TXN_MARKER_VALUE_SIZE,
  type ControlRecordKey,
  type EndTxnMarkerValue,
  type EndTxnMarkerOptions,
  type EndTxnMarker,
  encodeControlRecordKey,
  decodeControlRecordKey,
  encodeEndTxnMarkerValue,
  decodeEndTxnMarkerValue,
  buildEndTxnMarkerBatch,
  readEndTxnMarker,
} from './control.js';
export {
  type ValidateOptions,
  type BatchesSummary,
  type ValidatedBatch,
  type BatchesDeepSummary,
  validateBatches,
  validateBatchesDeep,
  assignOffsetsToBatches,
} from './validate.js';
export {
  type LegacyMessage,
  type LegacyDecodeOptions,
  type LegacyMessageInput,
  type BuildMessageSetOptions,
  type ConvertToBatchOptions,
  type DownConvertOptions,
  RECORD_OVERHEAD_V0,
  RECORD_OVERHEAD_V1,
  decodeMessageSet,
  forEachLegacyMessage,
  recordsMagic,
  buildMessageSet,
  convertMessageSetToBatch,
  downConvertBatches,
  magicForFetchVersion,
} from './legacy.js';
export {
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  type CompressOptions,
  type DecompressOptions,
  compress,
  decompress,
  compressionName,
  isKnownCompression,
} from './compression.js';
export { lz4FrameCompress, lz4FrameDecompress, LZ4_BLOCK_SIZE } from './lz4-frame.js';
export { snappyXerialCompress, snappyXerialDecompress, snappyRawCompress, XERIAL_MAGIC, XERIAL_BLOCK_SIZE } from './snappy-xerial.js';
export { xxhash32 } from './xxhash32.js';
export { type AnyRecord, readAllRecords } from './any-records.js';
export { recompressBatches, compressionTypeOf, firstRecordWithoutKey } from './recompress.js';
export { KafkaDecodeError, KafkaEncodeError } from '../runtime/errors.js';
