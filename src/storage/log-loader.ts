import * as path from 'node:path';
import {
  CorruptCheckpointError,
  LEADER_EPOCH_CHECKPOINT,
  LeaderEpochCheckpointFile,
  PARTITION_METADATA,
  PartitionMetadataFile,
  type EpochEntry,
} from './checkpoint.js';
import type { LogConfig } from './config.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import { PartitionLog } from './partition-log.js';
import { segmentContext, type StorageContext } from './storage-context.js';
import { recoverCleanerFiles } from './log-cleaner.js';
import { CLEANED_SUFFIX, DELETED_SUFFIX, LOG_SUFFIX, LogSegment, SWAP_SUFFIX, parseSegmentFileName, segmentFileName } from './segment.js';

export interface LoadPartitionOptions {
  topic: string;
  partition: number;
  dir: string;
  config: LogConfig;
  /** From recovery-point-offset-checkpoint (undefined: not checkpointed, recover everything). */
  recoveryPoint?: bigint;
  /** From log-start-offset-checkpoint. */
  logStartOffset?: bigint;
  /** From replication-offset-checkpoint. */
  highWatermark?: bigint;
  /** The log dir had a clean shutdown marker. */
  cleanShutdown: boolean;
}

export interface LoadStats {
  /** Segments scanned and CRC-checked. */
  recoveredSegments: number;
  /** Bytes cut off torn or corrupt tails. */
  truncatedBytes: number;
  /** Segments dropped because they followed a corrupt one. */
  droppedSegments: number;
  /** Stray temp files and leftover `.deleted` files removed. */
  strayFiles: number;
}

/**
 * Opens one partition directory (Kafka's LogLoader).
 *
 * Clean shutdown: no scan at all. The log end offset is the checkpointed recovery point (a clean
 * close flushes every log, so recovery point = LEO); segments and indexes are opened lazily and
 * the active one is checked against it on first use.
 *
 * Unclean shutdown: every segment from the one holding the recovery point on is read and each
 * batch's framing, CRC and offsets are checked; the first bad byte and everything after it is cut
 * (later segments are deleted); indexes and leader epochs of those segments are rebuilt; the result
 * is flushed so the recovery point becomes the new LEO. Segments below the recovery point were
 * flushed before it moved past them; their indexes are sanity-checked when first loaded and
 * rebuilt if missing or corrupt. Stray `.tmp` and `.deleted` files are removed.
 */
export async function loadPartitionLog(ctx: StorageContext, options: LoadPartitionOptions, stats?: LoadStats): Promise<PartitionLog> {
  const { dir, config } = options;

  const configRef = { current: config };
  const sctx = segmentContext(ctx, configRef);
  let names = await ctx.fs.readdir(dir);
  if (names.some((n) => n.endsWith(CLEANED_SUFFIX) || n.endsWith(SWAP_SUFFIX))) {
    // An interrupted log cleaning: roll it back (.cleaned) or complete it (.swap).
    const handled = await recoverCleanerFiles(sctx, dir, names, ctx.deleter);
    if (stats) stats.strayFiles += handled;
    names = await ctx.fs.readdir(dir);
  }
  const logs = new Set<string>();
  const segments: LogSegment[] = [];
  for (const name of names) {
    if (name.endsWith('.tmp')) {
      // Removed now, not later: the same temp names are about to be written again.
      await ctx.fs.remove(path.join(dir, name));
      if (stats) stats.strayFiles++;
      continue;
    }
    if (name.endsWith(DELETED_SUFFIX)) {
      ctx.deleter.schedule(path.join(dir, name), 0);
      if (stats) stats.strayFiles++;
      continue;
    }
    const parsed = parseSegmentFileName(name);
    if (parsed?.suffix === LOG_SUFFIX) {
      logs.add(segmentFileName(parsed.baseOffset, ''));
      segments.push(new LogSegment(sctx, dir, parsed.baseOffset));
    }
  }
  // Index files whose log is gone (Kafka deletes them too).
  for (const name of names) {
    const parsed = parseSegmentFileName(name);
    if (parsed && parsed.suffix !== LOG_SUFFIX && !logs.has(segmentFileName(parsed.baseOffset, ''))) {
      ctx.deleter.schedule(path.join(dir, name), 0);
      if (stats) stats.strayFiles++;
    }
  }
  segments.sort((a, b) => (a.baseOffset < b.baseOffset ? -1 : a.baseOffset > b.baseOffset ? 1 : 0));

  let topicId: string | undefined;
  try {
    // Only files readdir listed are read: no failed opens on the start-up path.
    if (names.includes(PARTITION_METADATA)) topicId = await new PartitionMetadataFile(ctx.fs, path.join(dir, PARTITION_METADATA)).read();
  } catch (e) {
    if (!(e instanceof CorruptCheckpointError)) throw e;
  }
  const epochFile = new LeaderEpochCheckpointFile(ctx.fs, path.join(dir, LEADER_EPOCH_CHECKPOINT));
  let epochs: EpochEntry[] = [];
  let forceFullRecovery = false;
  try {
    if (names.includes(LEADER_EPOCH_CHECKPOINT)) epochs = (await epochFile.read()) ?? [];
  } catch (e) {
    if (!(e instanceof CorruptCheckpointError)) throw e;
    forceFullRecovery = true; // rebuild every epoch from the batches
  }
  const epochCache = new LeaderEpochCache(epochFile, epochs);

  if (segments.length === 0) {
    segments.push(await LogSegment.create(sctx, dir, options.logStartOffset ?? 0n));
  }

  let recoveryPoint = options.recoveryPoint;
  const lastBase = segments[segments.length - 1]!.baseOffset;
  const needsRecovery = !options.cleanShutdown || recoveryPoint === undefined || recoveryPoint < lastBase || forceFullRecovery;
  let logEndOffset: bigint;
  if (needsRecovery) {
    if (forceFullRecovery) {
      recoveryPoint = 0n;
      epochCache.clear();
    }
    const rp = recoveryPoint ?? 0n;
    let start = 0;
    for (let i = 0; i < segments.length; i++) if (segments[i]!.baseOffset <= rp) start = i;
    let next = segments[start]!.baseOffset;
    logEndOffset = next;
    for (let i = start; i < segments.length; i++) {
      const seg = segments[i]!;
      if (seg.baseOffset < next) {
        // Overlaps the previous segment's batches: nothing from here on can be trusted.
        await dropSegments(ctx, segments, i, stats);
        break;
      }
      const result = await seg.recover(epochCache, next);
      if (stats) {
        stats.recoveredSegments++;
        stats.truncatedBytes += result.truncatedBytes;
      }
      next = result.nextOffset > seg.baseOffset ? result.nextOffset : seg.baseOffset;
      logEndOffset = next;
      if (result.truncatedBytes > 0) {
        await dropSegments(ctx, segments, i + 1, stats);
        break;
      }
    }
    await segments[segments.length - 1]!.activate();
  } else {
    logEndOffset = recoveryPoint!;
  }

  let logStartOffset = options.logStartOffset ?? 0n;
  if (logStartOffset < segments[0]!.baseOffset) logStartOffset = segments[0]!.baseOffset;
  const log = new PartitionLog(ctx, {
    topic: options.topic,
    partition: options.partition,
    dir,
    topicId,
    config: configRef,
    segments,
    logStartOffset: logStartOffset > logEndOffset ? logEndOffset : logStartOffset,
    logEndOffset,
    highWatermark: logEndOffset,
    recoveryPoint: needsRecovery ? (recoveryPoint !== undefined && recoveryPoint < logEndOffset ? recoveryPoint : logEndOffset) : logEndOffset,
    leaderEpochCache: epochCache,
  });
  if (logStartOffset > logEndOffset) {
    // The log start checkpoint is ahead of the data (data lost after DeleteRecords): never hand out offsets below it again.
    await log.truncateFullyAndStartAt(logStartOffset);
  }
  epochCache.truncateFromEnd(log.logEndOffset);
  epochCache.truncateFromStart(log.logStartOffset);
  log.updateHighWatermark(options.highWatermark ?? log.logStartOffset);
  // Durable mode: what recovery found (possibly written but never synced before the crash) is
  // synced before anyone can read it, so a later power loss cannot take back what consumers saw.
  // (Rebuilt indexes are written at the next flush; until then the recovery point stays put.)
  if (needsRecovery && log.config.durable) await log.syncData();
  return log;
}

async function dropSegments(ctx: StorageContext, segments: LogSegment[], from: number, stats?: LoadStats): Promise<void> {
  const doomed = segments.splice(from);
  for (const seg of doomed) {
    for (const file of await seg.renameToDeleted()) ctx.deleter.schedule(file, 0);
    if (stats) stats.droppedSegments++;
  }
  if (doomed.length > 0) await ctx.fs.syncDir(doomed[0]!.dir);
}

/** Creates a new, empty partition directory: metadata, empty epoch checkpoint, first segment; all names made durable. */
export async function createPartitionLog(
  ctx: StorageContext,
  options: { topic: string; partition: number; dir: string; config: LogConfig; topicId?: string; startOffset?: bigint },
): Promise<PartitionLog> {
  const { dir } = options;
  const start = options.startOffset ?? 0n;
  await ctx.fs.mkdir(dir);
  if (options.topicId !== undefined) await new PartitionMetadataFile(ctx.fs, path.join(dir, PARTITION_METADATA)).write(options.topicId);
  const epochFile = new LeaderEpochCheckpointFile(ctx.fs, path.join(dir, LEADER_EPOCH_CHECKPOINT));
  await epochFile.write([]);
  const configRef = { current: options.config };
  const segment = await LogSegment.create(segmentContext(ctx, configRef), dir, start);
  segment.active = true;
  await ctx.fs.syncDir(path.dirname(dir));
  return new PartitionLog(ctx, {
    topic: options.topic,
    partition: options.partition,
    dir,
    topicId: options.topicId,
    config: configRef,
    segments: [segment],
    logStartOffset: start,
    logEndOffset: start,
    highWatermark: start,
    recoveryPoint: start,
    leaderEpochCache: new LeaderEpochCache(epochFile),
  });
}
