/**
 * Samsa's storage layer: Kafka's on-disk log format, partition state, flush policy and recovery.
 * The broker uses LogManager (one per broker) and PartitionLog (one per partition).
 */
export { LogManager, type LogManagerOptions, type LogManagerLoadStats } from './log-manager.js';
export {
  PartitionLog,
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  MAX_TIMESTAMP,
  EARLIEST_LOCAL_TIMESTAMP,
  type LogAppendInfo,
  type TimestampAndOffset,
} from './partition-log.js';
export { FileRange, type FetchDataInfo } from './local-log.js';
export { createStorageContext, partitionDir, partitionDirName, type StorageContext } from './storage-context.js';
export { loadPartitionLog, createPartitionLog, type LoadPartitionOptions, type LoadStats } from './log-loader.js';
export {
  logConfigFrom,
  logManagerConfigFrom,
  DEFAULT_LOG_CONFIG,
  LOG_CONFIG_KEYS,
  LONG_MAX,
  type LogConfig,
  type LogManagerConfig,
  type Properties,
} from './config.js';
export {
  StorageError,
  OffsetOutOfRangeError,
  CorruptRecordError,
  RecordTooLargeError,
  RecordBatchTooLargeError,
  OffsetsOutOfOrderError,
  KafkaStorageError,
} from './errors.js';
export { NodeFileSystem, writeFileAtomic, type FileSystem, type LogFile, type OpenMode, type FileStat } from './file-system.js';
export { SimulatedFileSystem, SimulatedCrashError, type CrashOptions } from './simulated-file-system.js';
export { LeaderEpochCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from './leader-epoch-cache.js';
export {
  OffsetCheckpointFile,
  LeaderEpochCheckpointFile,
  PartitionMetadataFile,
  CorruptCheckpointError,
  RECOVERY_POINT_CHECKPOINT,
  LOG_START_OFFSET_CHECKPOINT,
  REPLICATION_OFFSET_CHECKPOINT,
  LEADER_EPOCH_CHECKPOINT,
  PARTITION_METADATA,
  CLEAN_SHUTDOWN_FILE,
  type TopicPartitionOffset,
  type EpochEntry,
} from './checkpoint.js';
export { LogSegment, segmentFileName, parseSegmentFileName } from './segment.js';
export { OffsetIndex, CorruptIndexError } from './offset-index.js';
export { TimeIndex } from './time-index.js';
export { GroupCommit, SerialQueue } from './flush.js';
export { FileHandleCache, IndexCache, AsyncDeleter } from './resource-cache.js';
export { recordTimestampsOfBatch, type RecordTimestamps } from './record-timestamps.js';
