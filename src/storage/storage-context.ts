import * as path from 'node:path';
import type { LogConfig } from './config.js';
import type { KafkaStorageError } from './errors.js';
import type { FileSystem } from './file-system.js';
import type { PartitionLog } from './partition-log.js';
import type { RecordTimestamps } from './record-timestamps.js';
import { AsyncDeleter, FileHandleCache, IndexCache } from './resource-cache.js';
import type { SegmentContext } from './segment.js';

/** What the broker-wide storage shares between partitions. */
export interface StorageContext {
  fs: FileSystem;
  handles: FileHandleCache;
  indexCache: IndexCache;
  deleter: AsyncDeleter;
  /** Wall clock in ms (segment.ms, retention.ms, LogAppendTime). */
  now: () => number;
  /**
   * Record-level timestamps of a batch for ListOffsets by timestamp. The default handles
   * uncompressed batches; compressed ones are answered at batch precision (see fetchOffsetByTimestamp)
   * unless the broker supplies a decompressing implementation.
   */
  recordTimestamps?: RecordTimestamps;
  /** Called when a partition goes offline after an I/O error. */
  onOffline?: (log: PartitionLog, error: KafkaStorageError) => void;
  /** Called when the log start offset moved (the LogManager checkpoints it soon). */
  onLogStartOffsetChanged?: (log: PartitionLog) => void;
}

/** A standalone context (tests, tools); the LogManager builds one per broker. */
export function createStorageContext(
  fs: FileSystem,
  options: { maxOpenFiles?: number; indexCacheBytes?: number; now?: () => number } = {},
): StorageContext {
  return {
    fs,
    handles: new FileHandleCache(fs, options.maxOpenFiles ?? 1000),
    indexCache: new IndexCache(options.indexCacheBytes ?? 64 * 1024 * 1024),
    deleter: new AsyncDeleter(fs),
    now: options.now ?? Date.now,
  };
}

/** A partition's current config, shared by the log and its segments. */
export interface ConfigRef {
  current: LogConfig;
}

export function segmentContext(ctx: StorageContext, config: ConfigRef): SegmentContext {
  return { fs: ctx.fs, handles: ctx.handles, indexCache: ctx.indexCache, config: () => config.current };
}

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export function partitionDir(logDir: string, topic: string, partition: number): string {
  return path.join(logDir, partitionDirName(topic, partition));
}
