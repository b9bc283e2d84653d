import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { createLogger, type Logger } from '../util/logger.js';
import { SYSTEM_TIME, type Time, type TimerHandle } from '../util/time.js';
import {
  CLEAN_SHUTDOWN_FILE,
  CorruptCheckpointError,
  LOG_START_OFFSET_CHECKPOINT,
  OffsetCheckpointFile,
  PartitionMetadataFile,
  PARTITION_METADATA,
  RECOVERY_POINT_CHECKPOINT,
  REPLICATION_OFFSET_CHECKPOINT,
  type TopicPartitionOffset,
} from './checkpoint.js';
import { logConfigFrom, logManagerConfigFrom, type LogConfig, type LogManagerConfig, type Properties } from './config.js';
import type { KafkaStorageError } from './errors.js';
import { NodeFileSystem, writeFileAtomic, type FileSystem } from './file-system.js';
import { SerialQueue } from './flush.js';
import { LogCleaner } from './log-cleaner.js';
import { createPartitionLog, loadPartitionLog, type LoadStats } from './log-loader.js';
import { PartitionLog } from './partition-log.js';
import { partitionDirName, type StorageContext } from './storage-context.js';
import type { RecordTimestamps } from './record-timestamps.js';
import { AsyncDeleter, FileHandleCache, IndexCache } from './resource-cache.js';
import { pool } from '../util/pool.js';

export interface LogManagerOptions {
  /** log.dirs */
  logDirs: string[];
  /**
   * Broker properties (Kafka key names): the defaults of every partition's LogConfig
   * (log.segment.bytes, samsa.log.flush.durable, ...) and the LogManager's own settings
   * (log.flush.offset.checkpoint.interval.ms, samsa.log.max.open.files, ...).
   */
  brokerConfig?: Properties;
  /** Overrides of the LogManager settings read from brokerConfig (tests). */
  managerConfig?: Partial<LogManagerConfig>;
  /** Config of existing partitions at start-up, by topic (default: from brokerConfig); getOrCreateLog can change it later. */
  topicConfig?: (topic: string) => LogConfig | undefined;
  /** Default: NodeFileSystem. */
  fs?: FileSystem;
  now?: () => number;
  /** Timers of the periodic tasks (checkpoints, retention); default SYSTEM_TIME. */
  time?: Time;
  /** Where unreadable checkpoints are reported (default: warnings on stderr). */
  logger?: Logger;
  recordTimestamps?: RecordTimestamps;
  onOffline?: (log: PartitionLog, error: KafkaStorageError) => void;
}

export interface LogManagerLoadStats extends LoadStats {
  partitions: number;
  /** Partitions scanned because their log dir had no clean shutdown marker (or no checkpoint). */
  recoveredPartitions: number;
  cleanShutdown: boolean;
  elapsedMs: number;
}

const PARTITION_DIR = /^(.+)-(\d+)$/;
/** Kafka's file of the log cleaner's first dirty offsets, per log dir. */
export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint';
const DELETE_DIR = /^.+-\d+\.[0-9a-f]{32}-delete$/;


/**
 * All partition logs of a broker across its log dirs (Kafka's LogManager): loads them at start
 * (fast after a clean shutdown), creates and deletes partitions, checkpoints recovery points,
 * log start offsets and high watermarks periodically and on close, enforces retention, and writes
 * the clean shutdown marker on close.
 */
export class LogManager {
  readonly config: LogManagerConfig;
  readonly fs: FileSystem;
  readonly defaultLogConfig: LogConfig;
  private readonly brokerProperties: Properties;
  private readonly ctx: StorageContext;
  private readonly logs = new Map<string, PartitionLog>();
  private readonly logDirOf = new Map<PartitionLog, string>();
  private readonly creating = new Map<string, Promise<PartitionLog>>();
  private readonly checkpointQueue = new SerialQueue();
  private readonly time: Time;
  private readonly logger: Logger;
  private readonly timers = new Set<TimerHandle>();
  private logStartCheckpointPending = false;
  private closed = false;
  /** The log cleaner (cleanup.policy=compact); undefined with log.cleaner.enable=false. */
  readonly cleaner: LogCleaner | undefined;
  private cleanerTimer: NodeJS.Timeout | undefined;
  private cleaning: Promise<number> | undefined;
  /** Log properties set at run time (dynamic broker configs), over the static broker properties. */
  private dynamicProperties: Properties = {};
  loadStats: LogManagerLoadStats = {
    partitions: 0,
    recoveredPartitions: 0,
    cleanShutdown: true,
    elapsedMs: 0,
    recoveredSegments: 0,
    truncatedBytes: 0,
    droppedSegments: 0,
    strayFiles: 0,
  };

  private constructor(options: LogManagerOptions) {
    this.brokerProperties = options.brokerConfig ?? {};
    this.config = {
      ...logManagerConfigFrom(this.brokerProperties),
      ...options.managerConfig,
      logDirs: options.logDirs,
    };
    this.fs = options.fs ?? new NodeFileSystem();
    this.time = options.time ?? SYSTEM_TIME;
    this.logger = options.logger ?? createLogger('warn', { component: 'log-manager' });
    this.defaultLogConfig = logConfigFrom(this.brokerProperties);
    this.ctx = {
      fs: this.fs,
      handles: new FileHandleCache(this.fs, this.config.maxOpenFiles),
      indexCache: new IndexCache(this.config.indexCacheBytes),
      deleter: new AsyncDeleter(this.fs),
      now: options.now ?? Date.now,
      recordTimestamps: options.recordTimestamps,
      onOffline: options.onOffline,
      onLogStartOffsetChanged: () => this.scheduleLogStartCheckpoint(),
    };
    if (this.config.cleanerEnable) {
      this.cleaner = new LogCleaner({
        fs: this.fs,
        deleter: this.ctx.deleter,
        now: this.ctx.now,
        dedupeBufferSize: this.config.cleanerDedupeBufferSize,
        loadFactor: this.config.cleanerLoadFactor,
      });
    }
  }

  /** Opens every log dir and loads every partition in it. */
  static async open(options: LogManagerOptions): Promise<LogManager> {
    const manager = new LogManager(options);
    const started = performance.now();
    for (const dir of manager.config.logDirs) await manager.loadLogDir(dir, options.topicConfig);
    manager.loadStats.partitions = manager.logs.size;
    manager.loadStats.elapsedMs = performance.now() - started;
    manager.startTasks();
    return manager;
  }

  private async loadLogDir(logDir: string, topicConfig: LogManagerOptions['topicConfig']): Promise<void> {
    const fs = this.fs;
    if ((await fs.stat(logDir)) === undefined) {
      await fs.mkdir(logDir);
      await fs.syncDir(path.dirname(logDir));
    }
    const marker = path.join(logDir, CLEAN_SHUTDOWN_FILE);
    let clean = (await fs.stat(marker)) !== undefined;
    /** `needed`: without it the log dir's state is not known, so every partition is recovered. */
    const readCheckpoint = async (name: string, needed = true): Promise<Map<string, TopicPartitionOffset> | undefined> => {
      try {
        return await new OffsetCheckpointFile(fs, path.join(logDir, name)).read();
      } catch (e) {
        if (!(e instanceof CorruptCheckpointError)) throw e;
        this.logger.warn('ignoring an unreadable checkpoint', { file: path.join(logDir, name), error: e.message, recoverAll: needed });
        if (needed) clean = false;
        return undefined;
      }
    };
    const recoveryPoints = await readCheckpoint(RECOVERY_POINT_CHECKPOINT);
    const logStarts = await readCheckpoint(LOG_START_OFFSET_CHECKPOINT);
    // High watermarks only bound what consumers see until the replica layer sets them: a lost
    // checkpoint restores each to its log start offset.
    const highWatermarks = await readCheckpoint(REPLICATION_OFFSET_CHECKPOINT, false);
    const cleanerOffsets = await readCheckpoint(CLEANER_OFFSET_CHECKPOINT).catch(() => undefined);
    if (!clean) this.loadStats.cleanShutdown = false;
    const partitions: { topic: string; partition: number; dir: string }[] = [];
    for (const name of await fs.readdir(logDir)) {
      const full = path.join(logDir, name);
      if (name.endsWith('.tmp')) await fs.remove(full);
      else if (DELETE_DIR.test(name)) this.ctx.deleter.schedule(full, 0);
      else {
        const m = PARTITION_DIR.exec(name);
        if (m) partitions.push({ topic: m[1]!, partition: Number(m[2]), dir: full });
      }
    }
    await pool(partitions, this.config.loadConcurrency, async (p) => {
      const key = partitionDirName(p.topic, p.partition);
      const recoveryPoint = recoveryPoints?.get(key)?.offset;
      const config = topicConfig?.(p.topic) ?? this.defaultLogConfig;
      let log: PartitionLog;
      try {
        log = await loadPartitionLog(
        this.ctx,
        {
          topic: p.topic,
          partition: p.partition,
          dir: p.dir,
          config,
          recoveryPoint,
          logStartOffset: logStarts?.get(key)?.offset,
          highWatermark: highWatermarks?.get(key)?.offset,
          cleanShutdown: clean,
        },
        this.loadStats,
      );
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return; // a stray file named like a partition
        throw e;
      }
      if (!clean || recoveryPoint === undefined) this.loadStats.recoveredPartitions++;
      log.cleanerCheckpoint = cleanerOffsets?.get(key)?.offset;
      this.logs.set(key, log);
      this.logDirOf.set(log, logDir);
    });
    // From now on a crash must not be taken for a clean shutdown.
    if ((await fs.stat(marker)) !== undefined) {
      await fs.unlink(marker);
      await fs.syncDir(logDir);
    }
  }

  private startTasks(): void {
    const every = (ms: number, task: () => Promise<unknown>): void => {
      if (ms <= 0 || ms >= 2 ** 31) return;
      const arm = (): void => {
        const t = this.time.setTimeout(() => {
          this.timers.delete(t);
          if (this.closed) return;
          arm();
          task().catch(() => undefined);
        }, ms);
        this.timers.add(t);
      };
      arm();
    };
    every(this.config.recoveryPointCheckpointIntervalMs, () => this.checkpointRecoveryPoints());
    every(this.config.logStartOffsetCheckpointIntervalMs, () => this.checkpointLogStartOffsets());
    every(this.config.highWatermarkCheckpointIntervalMs, () => this.checkpointHighWatermarks());
    every(this.config.retentionCheckIntervalMs, () => this.deleteOldSegments());
    if (this.cleaner) this.scheduleCleaner(this.config.cleanerBackoffMs);
  }

  private scheduleCleaner(ms: number): void {
    if (this.closed) return;
    this.cleanerTimer = setTimeout(() => {
      this.cleanerTimer = undefined;
      this.cleanLogs()
        .catch(() => 0)
        .then((n) => this.scheduleCleaner(n > 0 ? 0 : this.config.cleanerBackoffMs));
    }, Math.min(ms, 2 ** 31 - 1));
    this.cleanerTimer.unref();
  }

  /**
   * One run of the log cleaner over every compacted log that is due (`force`: regardless of the
   * dirty ratio). Returns how many logs were cleaned. Runs never overlap.
   */
  cleanLogs(force = false): Promise<number> {
    const cleaner = this.cleaner;
    if (!cleaner || this.closed) return Promise.resolve(0);
    const previous = this.cleaning ?? Promise.resolve(0);
    const run = previous.catch(() => 0).then(async () => {
      let n = 0;
      for (const log of this.allLogs()) {
        if (this.closed) break;
        if (log.isOffline) continue;
        try {
          if (await cleaner.clean(log, force)) n++;
        } catch {
          // The log went offline or changed; the next run tries again.
        }
      }
      if (n > 0) await this.checkpointCleanerOffsets().catch(() => undefined);
      cleaner.releaseMemory();
      return n;
    });
    this.cleaning = run;
    return run;
  }

  /** Writes cleaner-offset-checkpoint of every log dir. */
  checkpointCleanerOffsets(): Promise<void> {
    return this.checkpointQueue.run(async () => {
      const out = new Map<string, TopicPartitionOffset[]>(this.config.logDirs.map((d) => [d, []]));
      for (const [log, dir] of this.logDirOf) {
        if (log.isOffline || log.cleanerCheckpoint === undefined) continue;
        out.get(dir)?.push({ topic: log.topic, partition: log.partition, offset: log.cleanerCheckpoint });
      }
      for (const [dir, entries] of out) await new OffsetCheckpointFile(this.fs, path.join(dir, CLEANER_OFFSET_CHECKPOINT)).write(entries);
    });
  }

  /**
   * Dynamic broker configs: the log cleaner's settings (log.cleaner.backoff.ms,
   * log.cleaner.dedupe.buffer.size, log.cleaner.io.buffer.load.factor) from the broker's current
   * properties; the next run uses them. (Partition configs are pushed by the broker per topic.)
   */
  reconfigure(properties: Properties): void {
    this.dynamicProperties = { ...properties };
    const next = logManagerConfigFrom({ ...this.brokerProperties, ...properties });
    const backoffChanged = next.cleanerBackoffMs !== this.config.cleanerBackoffMs;
    this.config.cleanerBackoffMs = next.cleanerBackoffMs;
    this.config.cleanerDedupeBufferSize = next.cleanerDedupeBufferSize;
    this.config.cleanerLoadFactor = next.cleanerLoadFactor;
    this.cleaner?.resize(next.cleanerDedupeBufferSize, next.cleanerLoadFactor);
    if (backoffChanged && this.cleanerTimer && !this.closed) {
      clearTimeout(this.cleanerTimer);
      this.scheduleCleaner(Math.min(next.cleanerBackoffMs, 1000));
    }
  }

  /** Broker properties with the dynamic ones on top (what topic configs default to now). */
  effectiveBrokerProperties(): Properties {
    return { ...this.brokerProperties, ...this.dynamicProperties };
  }

  /** Effective config for a topic's overrides on top of the broker properties. */
  configFor(topicProperties?: Properties): LogConfig {
    return logConfigFrom(this.effectiveBrokerProperties(), topicProperties ?? {});
  }

  getLog(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(partitionDirName(topic, partition));
  }

  allLogs(): PartitionLog[] {
    return [...this.logs.values()];
  }

  /** The log dir holding a partition. */
  logDir(log: PartitionLog): string | undefined {
    return this.logDirOf.get(log);
  }

  /**
   * Returns the partition's log, creating it (in the log dir with the fewest partitions) if needed.
   * `config` is the topic's effective config (see logConfigFrom); for an existing log it replaces the current one.
   */
  async getOrCreateLog(
    topic: string,
    partition: number,
    options: { topicId?: string; config?: LogConfig } = {},
  ): Promise<PartitionLog> {
    if (this.closed) throw new Error('LogManager is closed');
    const key = partitionDirName(topic, partition);
    const existing = this.logs.get(key);
    if (existing) {
      if (options.topicId !== undefined && existing.topicId === undefined) {
        await new PartitionMetadataFile(this.fs, path.join(existing.dir, PARTITION_METADATA)).write(options.topicId);
        existing.topicId = options.topicId;
      }
      if (options.config) existing.updateConfig(options.config);
      return existing;
    }
    const pending = this.creating.get(key);
    if (pending) return pending;
    const creation = (async () => {
      const counts = new Map(this.config.logDirs.map((d) => [d, 0]));
      for (const d of this.logDirOf.values()) counts.set(d, (counts.get(d) ?? 0) + 1);
      const logDir = [...counts].sort((a, b) => a[1] - b[1])[0]![0];
      const log = await createPartitionLog(this.ctx, {
        topic,
        partition,
        dir: path.join(logDir, key),
        config: options.config ?? this.defaultLogConfig,
        topicId: options.topicId,
      });
      this.logs.set(key, log);
      this.logDirOf.set(log, logDir);
      return log;
    })().finally(() => this.creating.delete(key));
    this.creating.set(key, creation);
    return creation;
  }

  /**
   * Deletes a partition: closes it, renames its directory to `<topic>-<partition>.<uuid>-delete`
   * (durably) and removes the tree in the background after file.delete.delay.ms.
   */
  async deleteLog(topic: string, partition: number): Promise<boolean> {
    const key = partitionDirName(topic, partition);
    const log = this.logs.get(key);
    if (!log) return false;
    this.logs.delete(key);
    const logDir = this.logDirOf.get(log)!;
    this.logDirOf.delete(log);
    await log.closeForDelete();
    const target = path.join(logDir, `${key}.${randomUUID().replace(/-/g, '')}-delete`);
    await this.fs.rename(log.dir, target);
    await this.fs.syncDir(logDir);
    log.dir = target;
    this.ctx.deleter.schedule(target, log.config.fileDeleteDelayMs);
    return true;
  }

  private byDir(value: (log: PartitionLog) => bigint): Map<string, TopicPartitionOffset[]> {
    const out = new Map<string, TopicPartitionOffset[]>(this.config.logDirs.map((d) => [d, []]));
    for (const [log, dir] of this.logDirOf) {
      if (log.isOffline) continue;
      out.get(dir)?.push({ topic: log.topic, partition: log.partition, offset: value(log) });
    }
    return out;
  }

  private writeCheckpoints(name: string, value: (log: PartitionLog) => bigint): Promise<void> {
    return this.checkpointQueue.run(async () => {
      for (const [dir, entries] of this.byDir(value)) await new OffsetCheckpointFile(this.fs, path.join(dir, name)).write(entries);
    });
  }

  /** Writes recovery-point-offset-checkpoint of every log dir. */
  checkpointRecoveryPoints(): Promise<void> {
    return this.writeCheckpoints(RECOVERY_POINT_CHECKPOINT, (l) => l.recoveryPoint);
  }

  /** Writes log-start-offset-checkpoint of every log dir. */
  checkpointLogStartOffsets(): Promise<void> {
    return this.writeCheckpoints(LOG_START_OFFSET_CHECKPOINT, (l) => l.logStartOffset);
  }

  /** Writes replication-offset-checkpoint (high watermarks) of every log dir. */
  checkpointHighWatermarks(): Promise<void> {
    return this.writeCheckpoints(REPLICATION_OFFSET_CHECKPOINT, (l) => l.highWatermark);
  }

  private scheduleLogStartCheckpoint(): void {
    if (this.logStartCheckpointPending || this.closed) return;
    this.logStartCheckpointPending = true;
    setImmediate(() => {
      this.logStartCheckpointPending = false;
      this.checkpointLogStartOffsets().catch(() => undefined);
    });
  }

  /** One retention pass over every log (also run every log.retention.check.interval.ms). */
  async deleteOldSegments(): Promise<number> {
    let deleted = 0;
    for (const log of this.allLogs()) {
      if (log.isOffline) continue;
      deleted += await log.deleteOldSegments().catch(() => 0);
    }
    return deleted;
  }

  /** Logs taken offline by I/O errors. */
  offlineLogs(): PartitionLog[] {
    return this.allLogs().filter((l) => l.isOffline);
  }

  /**
   * Clean shutdown: flushes and closes every log, writes all checkpoints, then the clean shutdown
   * marker of each log dir without offline logs (so the next start skips recovery there).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) this.time.clearTimeout(t);
    this.timers.clear();
    if (this.cleanerTimer) clearTimeout(this.cleanerTimer);
    this.cleaner?.stop();
    await this.cleaning?.catch(() => undefined);
    await Promise.all([...this.creating.values()].map((p) => p.catch(() => undefined)));
    await pool(this.allLogs(), this.config.loadConcurrency, async (log) => {
      await log.close().catch(() => undefined);
    });
    await this.checkpointRecoveryPoints();
    await this.checkpointLogStartOffsets();
    await this.checkpointHighWatermarks();
    if (this.cleaner && this.allLogs().some((l) => l.cleanerCheckpoint !== undefined)) await this.checkpointCleanerOffsets().catch(() => undefined);
    const offlineDirs = new Set(this.offlineLogs().map((l) => this.logDirOf.get(l)));
    for (const dir of this.config.logDirs) {
      if (!offlineDirs.has(dir)) await writeFileAtomic(this.fs, path.join(dir, CLEAN_SHUTDOWN_FILE), Buffer.from('{"version":0,"brokerEpoch":-1}'));
    }
    await this.ctx.deleter.close();
    await this.ctx.handles.closeAll();
  }
}
