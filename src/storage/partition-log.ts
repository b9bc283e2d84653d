import * as path from 'node:path';
import { ATTRIBUTES, TIMESTAMP_TYPE_LOG_APPEND, assignOffsets, setLogAppendTime } from '../protocol/records/batch-header.js';
import { analyzeBatches, lastOffsetOf, type BatchInfo } from './batches.js';
import { isDeleteRetention, LONG_MAX, type LogConfig } from './config.js';
import { KafkaStorageError, OffsetOutOfRangeError, OffsetsOutOfOrderError } from './errors.js';
import type { FileSystem } from './file-system.js';
import { GroupCommit, SerialQueue } from './flush.js';
import type { LeaderEpochCache } from './leader-epoch-cache.js';
import { recordTimestampsOfBatch, type RecordTimestamps } from './record-timestamps.js';
import { AsyncDeleter, FileHandleCache, IndexCache } from './resource-cache.js';
import { LogSegment, SWAP_SUFFIX, type SegmentContext } from './segment.js';

/** Special timestamps of ListOffsets. */
export const EARLIEST_TIMESTAMP = -2n;
export const LATEST_TIMESTAMP = -1n;
export const MAX_TIMESTAMP = -3n;
export const EARLIEST_LOCAL_TIMESTAMP = -4n;

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

export interface LogAppendInfo {
  firstOffset: bigint;
  lastOffset: bigint;
  /** The broker time stamped on the batches with message.timestamp.type=LogAppendTime, else -1. */
  logAppendTime: bigint;
  maxTimestamp: bigint;
  /** Last offset of the batch holding maxTimestamp. */
  offsetOfMaxTimestamp: bigint;
  logStartOffset: bigint;
  numMessages: number;
  validBytes: number;
}

/**
 * Whole batches of one segment as a byte range of its file, ready to send. Read it with
 * readInto (one copy, straight into the response buffer) or read.
 */
export class FileRange {
  constructor(
    private readonly segment: LogSegment,
    readonly position: number,
    readonly size: number,
  ) {}

  /** Current path of the segment file (it gains a `.deleted` suffix once the segment is deleted). */
  get path(): string {
    return this.segment.logPath;
  }

  async readInto(target: Uint8Array, targetOffset = 0): Promise<void> {
    const n = await this.segment.readInto(this.position, target, targetOffset, this.size);
    if (n !== this.size) throw new KafkaStorageError(`short read of ${this.path}: ${n} of ${this.size} bytes`);
  }

  async read(): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(this.size);
    await this.readInto(buf, 0);
    return buf;
  }
}

export interface FetchDataInfo {
  fetchOffset: bigint;
  /** Whole batches in offset order; empty when there is nothing to return yet. */
  ranges: FileRange[];
  sizeInBytes: number;
}

export interface TimestampAndOffset {
  timestamp: bigint;
  offset: bigint;
  /** Leader epoch of the batch holding the offset (-1 if unknown). */
  leaderEpoch: number;
}

/** Initial state handed over by the loader (or creation). */
export interface PartitionLogState {
  topic: string;
  partition: number;
  dir: string;
  topicId: string | undefined;
  /** Shared with the segments' context (see segmentContext), so updateConfig reaches them. */
  config: ConfigRef;
  segments: LogSegment[];
  logStartOffset: bigint;
  logEndOffset: bigint;
  highWatermark: bigint;
  recoveryPoint: bigint;
  leaderEpochCache: LeaderEpochCache;
}

const RECENT = 32;

/**
 * All state of one partition's log, in one place (Kafka's UnifiedLog + LocalLog).
 *
 * Offsets and their invariants (all int64, bigint here):
 * - logStartOffset: first offset visible to clients. logStartOffset <= highWatermark, and
 *   firstSegment.baseOffset <= logStartOffset. Only moves forward (retention, DeleteRecords),
 *   except truncateFullyAndStartAt.
 * - logEndOffset (LEO): next offset to assign; every batch below it was written to the OS.
 *   Equals the active segment's next offset. Advances only after a write succeeded, in append order.
 * - highWatermark: set by the broker (replication; on one node the acked end).
 *   logStartOffset <= highWatermark <= logEndOffset. Consumers read below it.
 * - flushedOffset: every byte below it was fdatasync'ed. flushedOffset <= logEndOffset.
 *   In durable mode an append resolves only once flushedOffset passed it.
 * - recoveryPoint: every segment below it is fully flushed (data and indexes), so recovery after
 *   an unclean shutdown starts there. recoveryPoint <= flushedOffset.
 * - leaderEpochCache: epoch -> start offset, start offsets within [logStartOffset, logEndOffset).
 *
 * Appends, truncations, rolls and segment deletions are serialized per partition; reads run
 * concurrently and only see whole batches below the offset limit the caller passes.
 */
export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  /** Partition directory `<topic>-<partition>` (renamed when the partition is deleted). */
  dir: string;
  topicId: string | undefined;
  private readonly configRef: ConfigRef;
  private readonly segments: LogSegment[];
  private _logStartOffset: bigint;
  private _logEndOffset: bigint;
  private _highWatermark: bigint;
  private _recoveryPoint: bigint;
  private _flushedOffset: bigint;
  readonly leaderEpochCache: LeaderEpochCache;
  private readonly ctx: StorageContext;
  private readonly segmentCtx: SegmentContext;
  private readonly queue = new SerialQueue();
  private readonly syncCommit = new GroupCommit(() => this.syncDirtySegments());
  private readonly flushCommit = new GroupCommit(() => this.flushAll());
  private readonly dirtySegments = new Set<LogSegment>();
  private activation: Promise<LogSegment> | undefined;
  private unflushedMessages = 0;
  /** Bytes appended since the last sync was requested (os mode background syncs). */
  private unsyncedBytes = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private offlineError: KafkaStorageError | undefined;
  private closed = false;
  /** Bumped by truncation so a flush that raced with it does not advance the recovery point. */
  private truncations = 0;
  /** Positions of recent append ends, so reads bounded by the high watermark find it without a scan. */
  private readonly recentEnd: bigint[] = new Array<bigint>(RECENT).fill(-1n);
  private readonly recentSegment: (LogSegment | undefined)[] = new Array<LogSegment | undefined>(RECENT);
  private readonly recentPosition: number[] = new Array<number>(RECENT).fill(0);
  private recentNext = 0;
  /** Log cleaner: offsets below this were cleaned (the "first dirty offset"); undefined = never cleaned. */
  cleanerCheckpoint: bigint | undefined;
  /** Log cleaner: latest delete horizon of retained tombstones (-1: none known). */
  latestDeleteHorizon = -1;

  constructor(ctx: StorageContext, state: PartitionLogState) {
    this.ctx = ctx;
    this.topic = state.topic;
    this.partition = state.partition;
    this.dir = state.dir;
    this.topicId = state.topicId;
    this.configRef = state.config;
    this.segments = state.segments;
    this._logStartOffset = state.logStartOffset;
    this._logEndOffset = state.logEndOffset;
    this._highWatermark = state.highWatermark;
    this._recoveryPoint = state.recoveryPoint;
    this._flushedOffset = state.recoveryPoint;
    this.leaderEpochCache = state.leaderEpochCache;
    this.segmentCtx = segmentContext(ctx, state.config);
  }

  get config(): LogConfig {
    return this.configRef.current;
  }

  private get _config(): LogConfig {
    return this.configRef.current;
  }

  /** Applies a new config (AlterConfigs); takes effect from the next append. */
  updateConfig(config: LogConfig): void {
    this.configRef.current = config;
  }

  get logStartOffset(): bigint {
    return this._logStartOffset;
  }

  get logEndOffset(): bigint {
    return this._logEndOffset;
  }

  get highWatermark(): bigint {
    return this._highWatermark;
  }

  get recoveryPoint(): bigint {
    return this._recoveryPoint;
  }

  get flushedOffset(): bigint {
    return this._flushedOffset;
  }

  get isOffline(): boolean {
    return this.offlineError !== undefined;
  }

  get numberOfSegments(): number {
    return this.segments.length;
  }

  /** Base offsets of the segments, oldest first. */
  segmentBaseOffsets(): bigint[] {
    return this.segments.map((s) => s.baseOffset);
  }

  get activeSegment(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  /** The segments (read-only use: tests, DescribeLogDirs). */
  get logSegments(): readonly LogSegment[] {
    return this.segments;
  }

  /** Total bytes of all segments (DescribeLogDirs). */
  async sizeInBytes(): Promise<number> {
    let total = 0;
    for (const s of [...this.segments]) {
      if (s.size < 0) await s.ensureLoaded();
      total += Math.max(0, s.size);
    }
    return total;
  }

  private ensureOnline(): void {
    if (this.offlineError) throw this.offlineError;
    if (this.closed) throw new KafkaStorageError(`log ${this.name} is closed`);
  }

  get name(): string {
    return `${this.topic}-${this.partition}`;
  }

  /** Takes the partition offline: offsets can no longer be trusted to be unique, so nothing more is written. */
  private goOffline(cause: unknown): KafkaStorageError {
    if (!this.offlineError) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      this.offlineError = new KafkaStorageError(`log ${this.name} is offline: ${reason}`, cause);
      if (this.flushTimer) clearTimeout(this.flushTimer);
      this.ctx.onOffline?.(this, this.offlineError);
    }
    return this.offlineError;
  }

  /** The active segment, loaded and checked on first use (after a clean start it is opened lazily). */
  private ensureActive(): Promise<LogSegment> {
    const seg = this.activeSegment;
    if (seg.active) return Promise.resolve(seg);
    this.activation ??= (async () => {
      try {
        const { nextOffset, consistent } = await seg.activate();
        const expected = seg.size === 0 ? seg.baseOffset : nextOffset;
        if (!consistent || expected !== this._logEndOffset) {
          // The checkpoint and the segment disagree (files changed behind our back): trust the
          // data, as recovery would, rather than hand out offsets that may exist already.
          const { nextOffset: recovered } = await seg.recover(this.leaderEpochCache, seg.baseOffset);
          await seg.activate();
          const leo = recovered > seg.baseOffset ? recovered : seg.baseOffset;
          if (this._recoveryPoint > seg.baseOffset) this._recoveryPoint = seg.baseOffset;
          this.afterTruncation(leo);
          if (this._flushedOffset > seg.baseOffset) this._flushedOffset = seg.baseOffset;
        }
        return seg;
      } catch (e) {
        throw this.goOffline(e);
      } finally {
        this.activation = undefined;
      }
    })();
    return this.activation;
  }

  /**
   * Appends batches as leader: assigns offsets from the log end offset by patching baseOffset and
   * partitionLeaderEpoch in `records` in place (outside the CRC), stamps LogAppendTime if
   * configured, and writes the bytes as they are. `records` holds one or more v2 batches whose
   * CRCs the caller checked; it must not be modified until the promise settles.
   * In durable mode the promise resolves once the bytes are fdatasync'ed.
   */
  append(records: Buffer, leaderEpoch: number): Promise<LogAppendInfo> {
    return this.doAppend(records, true, leaderEpoch);
  }

  /**
   * Appends batches that already carry offsets (followers, recovery tools): offsets must be
   * strictly increasing and start at or above the log end offset (gaps are allowed, as after
   * compaction). Epochs are taken from the batches.
   */
  appendAsFollower(records: Buffer): Promise<LogAppendInfo> {
    return this.doAppend(records, false, -1);
  }

  private async doAppend(records: Buffer, assign: boolean, leaderEpoch: number): Promise<LogAppendInfo> {
    this.ensureOnline();
    const config = this._config;
    const batches = analyzeBatches(records, assign ? config.maxMessageBytes : LONG_MAX, config.segmentBytes);
    const { info, sync } = await this.queue.run(() => this.appendLocked(records, batches, assign, leaderEpoch));
    if (sync) await this.syncCommit.request();
    return info;
  }

  private async appendLocked(
    records: Buffer,
    batches: BatchInfo[],
    assign: boolean,
    leaderEpoch: number,
  ): Promise<{ info: LogAppendInfo; sync: boolean }> {
    this.ensureOnline();
    await this.ensureActive(); // after a clean start this is where the log end is checked against the segment
    const config = this._config;
    const now = this.ctx.now();
    let logAppendTime = -1n;
    if (assign) {
      let next = this._logEndOffset;
      for (const b of batches) {
        next = assignOffsets(records, b.position, next, leaderEpoch) + 1n;
        b.baseOffset = next - 1n - BigInt(b.lastOffsetDelta);
        b.partitionLeaderEpoch = leaderEpoch;
      }
      if (config.messageTimestampType === 'LogAppendTime') {
        logAppendTime = BigInt(now);
        for (const b of batches) {
          setLogAppendTime(records, b.position, logAppendTime, b.size);
          b.maxTimestamp = now;
        }
      }
    } else {
      let next = this._logEndOffset;
      for (const b of batches) {
        if (b.baseOffset < next) {
          throw new OffsetsOutOfOrderError(`batch base offset ${b.baseOffset} is below the expected ${next} in ${this.name}`);
        }
        next = lastOffsetOf(b) + 1n;
      }
    }
    const firstOffset = batches[0]!.baseOffset;
    const lastOffset = lastOffsetOf(batches[batches.length - 1]!);
    const segment = await this.maybeRoll(records.length, firstOffset, lastOffset, now);
    const start = segment.size;
    try {
      await segment.append(records, batches, now);
    } catch (e) {
      // Nothing was acknowledged and the LEO did not move: cut the file back so the offsets are
      // reused by the next append only if no byte of this one can remain; otherwise go offline.
      try {
        await segment.truncateBytes(start);
      } catch (e2) {
        throw this.goOffline(e2);
      }
      throw new KafkaStorageError(`append to ${this.name} failed: ${(e as Error).message}`, e);
    }
    this.dirtySegments.add(segment);
    this._logEndOffset = lastOffset + 1n;
    this.rememberEnd(this._logEndOffset, segment, segment.size);
    let maxTimestamp = -1;
    let offsetOfMaxTimestamp = -1n;
    let numMessages = 0;
    for (const b of batches) {
      if (!assign) this.leaderEpochCache.assign(b.partitionLeaderEpoch, b.baseOffset);
      if (b.maxTimestamp > maxTimestamp) {
        maxTimestamp = b.maxTimestamp;
        offsetOfMaxTimestamp = lastOffsetOf(b);
      }
      numMessages += b.recordsCount;
    }
    if (assign && leaderEpoch >= 0) this.leaderEpochCache.assign(leaderEpoch, firstOffset);
    let sync = config.durable;
    this.unflushedMessages += numMessages;
    if (this.unflushedMessages >= config.flushMessages) sync = true;
    if (sync) this.unflushedMessages = 0;
    this.unsyncedBytes = sync ? 0 : this.unsyncedBytes + records.length;
    if (this.unsyncedBytes >= backgroundSyncBytes(config)) {
      // os mode: an fdatasync in the background every 1/8 segment (at most 16 MiB), nobody waits
      // for it. It keeps the fdatasync a roll must do before writing to the next segment short.
      this.unsyncedBytes = 0;
      this.syncCommit.request().catch(() => undefined);
    }
    this.scheduleFlush();
    return {
      info: {
        firstOffset,
        lastOffset,
        logAppendTime,
        maxTimestamp: BigInt(maxTimestamp),
        offsetOfMaxTimestamp,
        logStartOffset: this._logStartOffset,
        numMessages,
        validBytes: records.length,
      },
      sync,
    };
  }

  private rememberEnd(end: bigint, segment: LogSegment, position: number): void {
    const i = this.recentNext;
    this.recentEnd[i] = end;
    this.recentSegment[i] = segment;
    this.recentPosition[i] = position;
    this.recentNext = (i + 1) % RECENT;
  }

  private knownEnd(end: bigint, segment: LogSegment): number | undefined {
    for (let i = 0; i < RECENT; i++) {
      if (this.recentEnd[i] === end && this.recentSegment[i] === segment) return this.recentPosition[i];
    }
    return undefined;
  }

  private forgetEnds(): void {
    this.recentEnd.fill(-1n);
    this.recentSegment.fill(undefined);
  }

  private scheduleFlush(): void {
    const ms = this._config.flushMs;
    if (ms >= LONG_MAX || this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flush().catch(() => undefined);
    }, ms);
    this.flushTimer.unref();
  }

  /** Kafka's maybeRoll: segment.bytes, segment.ms, full index, relative offset overflow. */
  private async maybeRoll(size: number, firstOffset: bigint, lastOffset: bigint, now: number): Promise<LogSegment> {
    const seg = await this.ensureActive();
    const c = this._config;
    const roll =
      (seg.size > 0 &&
        (seg.size > c.segmentBytes - size ||
          (seg.rollingBasedTimestamp !== undefined && now - seg.rollingBasedTimestamp > c.segmentMs - seg.rollJitterMs) ||
          seg.indexFull)) ||
      !seg.canConvertToRelativeOffset(lastOffset);
    return roll ? this.rollLocked(firstOffset) : seg;
  }

  /** Starts a new active segment at `baseOffset` (default: LEO); the old one is flushed in the background. */
  private async rollLocked(baseOffset = this._logEndOffset): Promise<LogSegment> {
    const old = await this.ensureActive();
    if (old.size === 0 && old.baseOffset === baseOffset) return old;
    let seg: LogSegment;
    try {
      if (old.size === 0) await this.removeSegments([old]);
      else {
        old.onBecomeInactive();
        // The old segment's data is made durable before anything lands in the new one (one
        // fdatasync per segment.bytes): a power loss can then only cut the log's tail, never
        // leave a hole followed by newer segments.
        await old.syncLog();
      }
      seg = await LogSegment.create(this.segmentCtx, this.dir, baseOffset);
    } catch (e) {
      throw this.goOffline(e);
    }
    seg.active = true;
    this.segments.push(seg);
    // Kafka flushes the old segment asynchronously after a roll; that advances the recovery point.
    this.flush().catch(() => undefined);
    return seg;
  }

  /** Rolls a new segment now (tests, admin); returns its base offset. */
  async roll(): Promise<bigint> {
    this.ensureOnline();
    return this.queue.run(async () => (await this.rollLocked()).baseOffset);
  }

  /** fdatasync of every segment with unsynced data (group commit action). */
  private async syncDirtySegments(): Promise<void> {
    const target = this._logEndOffset;
    const generation = this.truncations;
    const segments = [...this.dirtySegments];
    this.dirtySegments.clear();
    try {
      await Promise.all(segments.map((s) => s.syncLog()));
    } catch (e) {
      throw this.goOffline(e);
    }
    if (generation === this.truncations && target > this._flushedOffset) this._flushedOffset = target;
  }

  /**
   * fdatasync of every segment's data (not the indexes); the flushed offset becomes the log end
   * offset as of the call. Used after recovery in durable mode.
   */
  async syncData(): Promise<void> {
    const target = this._logEndOffset;
    const generation = this.truncations;
    try {
      await Promise.all(this.segments.map((s) => s.syncLog()));
    } catch (e) {
      throw this.goOffline(e);
    }
    if (generation === this.truncations && target > this._flushedOffset) this._flushedOffset = target;
  }

  /**
   * Kafka's flush: data and indexes of every segment, and the leader epoch checkpoint, on
   * stable storage; then the recovery point moves to the log end offset as of the call.
   */
  flush(): Promise<void> {
    if (this.offlineError) return Promise.reject(this.offlineError);
    return this.flushCommit.request();
  }

  private async flushAll(): Promise<void> {
    const target = this._logEndOffset;
    const generation = this.truncations;
    try {
      for (const s of [...this.segments]) {
        if (s.baseOffset >= target && s.size === 0) continue;
        if (s.hasUnflushedData) await s.flush();
      }
      await this.leaderEpochCache.flushed();
    } catch (e) {
      throw this.goOffline(e);
    }
    if (generation !== this.truncations) return;
    if (target > this._flushedOffset) this._flushedOffset = target;
    if (target > this._recoveryPoint) this._recoveryPoint = target;
    this.unflushedMessages = 0;
  }

  private floorSegmentIndex(offset: bigint): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * Reads whole batches from `fetchOffset`: at most `maxBytes` (but at least one batch when
   * minOneMessage, as KIP-74), never a batch whose last offset is >= `maxOffset` (pass the high
   * watermark for consumers, the log end offset for followers). Returns file ranges of one segment;
   * an empty result means nothing is available yet. Throws OffsetOutOfRangeError outside
   * [logStartOffset, logEndOffset].
   */
  async read(fetchOffset: bigint, maxBytes: number, maxOffset: bigint = this._highWatermark, minOneMessage = true): Promise<FetchDataInfo> {
    this.ensureOnline();
    const empty: FetchDataInfo = { fetchOffset, ranges: [], sizeInBytes: 0 };
    if (fetchOffset < this._logStartOffset || fetchOffset > this._logEndOffset) {
      throw new OffsetOutOfRangeError(
        `offset ${fetchOffset} is out of range for ${this.name} [${this._logStartOffset}, ${this._logEndOffset}]`,
      );
    }
    const limit = maxOffset < this._logEndOffset ? maxOffset : this._logEndOffset;
    if (fetchOffset >= limit) return empty;
    for (let i = Math.max(0, this.floorSegmentIndex(fetchOffset)); i < this.segments.length; i++) {
      const seg = this.segments[i]!;
      await seg.ensureLoaded();
      if (seg.deleted) {
        if (fetchOffset < this._logStartOffset) throw new OffsetOutOfRangeError(`offset ${fetchOffset} was deleted from ${this.name}`);
        return this.read(fetchOffset, maxBytes, maxOffset, minOneMessage);
      }
      // Snapshot together (no await in between): the segment's size and where it ends in offsets.
      const j = this.segments.indexOf(seg);
      const segEnd = j + 1 < this.segments.length ? this.segments[j + 1]!.baseOffset : this._logEndOffset;
      const segSize = seg.size;
      const first = await seg.translateOffset(fetchOffset, 0, segSize);
      if (!first) continue;
      if (lastOffsetOf(first) >= limit) return empty;
      let end = segSize;
      if (limit < segEnd) {
        end = this.knownEnd(limit, seg) ?? (await seg.translateOffset(limit, first.position, segSize))?.position ?? segSize;
      }
      let cut = end;
      if (end - first.position > maxBytes) {
        cut = await seg.lastBoundaryBefore(first.position, Math.min(end, first.position + maxBytes));
        if (cut === first.position) {
          if (!minOneMessage) return empty;
          cut = first.position + first.size;
        }
      }
      return { fetchOffset, ranges: [new FileRange(seg, first.position, cut - first.position)], sizeInBytes: cut - first.position };
    }
    return empty;
  }

  /** read() into one Buffer (convenience; the broker can readInto its response instead). */
  async readRecords(fetchOffset: bigint, maxBytes: number, maxOffset: bigint = this._highWatermark, minOneMessage = true): Promise<Buffer> {
    const info = await this.read(fetchOffset, maxBytes, maxOffset, minOneMessage);
    const out = Buffer.allocUnsafe(info.sizeInBytes);
    let at = 0;
    for (const r of info.ranges) {
      await r.readInto(out, at);
      at += r.size;
    }
    return out;
  }

  /**
   * ListOffsets: EARLIEST (-2), LATEST (-1, the log end offset: the broker clamps to the high
   * watermark for consumers), MAX_TIMESTAMP (-3), EARLIEST_LOCAL (-4), or the first offset whose
   * record timestamp is >= `timestamp`. Undefined when no record is that recent.
   */
  async fetchOffsetByTimestamp(timestamp: bigint): Promise<TimestampAndOffset | undefined> {
    this.ensureOnline();
    if (timestamp === EARLIEST_TIMESTAMP || timestamp === EARLIEST_LOCAL_TIMESTAMP) {
      return { timestamp: -1n, offset: this._logStartOffset, leaderEpoch: this.epochFor(this._logStartOffset) };
    }
    if (timestamp === LATEST_TIMESTAMP) {
      return { timestamp: -1n, offset: this._logEndOffset, leaderEpoch: this.leaderEpochCache.latestEpoch };
    }
    if (timestamp === MAX_TIMESTAMP) {
      let best: { ts: number; offset: bigint } | undefined;
      for (const s of [...this.segments]) {
        const ts = await s.largestTimestamp();
        if (ts >= 0 && (!best || ts > best.ts)) best = { ts, offset: s.offsetOfMaxTimestampSoFar };
      }
      if (!best || best.offset < this._logStartOffset) return undefined;
      // The index knows the batch (its last offset); KIP-734 asks for the record itself.
      const segment = this.segments[this.floorSegmentIndex(best.offset)];
      const batch = segment && !segment.deleted ? await segment.translateOffset(best.offset) : undefined;
      if (segment && batch) return this.resolveRecordTimestamp(segment, batch, best.ts, this._logStartOffset);
      return { timestamp: BigInt(best.ts), offset: best.offset, leaderEpoch: this.epochFor(best.offset) };
    }
    if (timestamp < 0n) return undefined;
    const target = Number(timestamp);
    const startOffset = this._logStartOffset;
    for (const s of [...this.segments]) {
      if (s.deleted) continue;
      if ((await s.largestTimestamp()) < target) continue;
      const batch = await s.findBatchByTimestamp(target, startOffset);
      if (!batch) continue;
      return this.resolveRecordTimestamp(s, batch, target, startOffset);
    }
    return undefined;
  }

  private async resolveRecordTimestamp(
    segment: LogSegment,
    batch: BatchInfo,
    target: number,
    startOffset: bigint,
  ): Promise<TimestampAndOffset> {
    const bytes = Buffer.allocUnsafe(batch.size);
    await segment.readInto(batch.position, bytes, 0, batch.size);
    const attributes = bytes.readInt16BE(ATTRIBUTES);
    const epoch = batch.partitionLeaderEpoch;
    if (attributes & TIMESTAMP_TYPE_LOG_APPEND) {
      const offset = batch.baseOffset > startOffset ? batch.baseOffset : startOffset;
      return { timestamp: BigInt(batch.maxTimestamp), offset, leaderEpoch: epoch };
    }
    const decode = this.ctx.recordTimestamps ?? recordTimestampsOfBatch;
    const records = decode(bytes);
    if (records) {
      for (const r of records) {
        const offset = batch.baseOffset + BigInt(r.offsetDelta);
        if (r.timestamp >= target && offset >= startOffset) return { timestamp: BigInt(r.timestamp), offset, leaderEpoch: epoch };
      }
    }
    // Batch precision: the batch holds the answer; its first offset is never after it.
    const offset = batch.baseOffset > startOffset ? batch.baseOffset : startOffset;
    return { timestamp: BigInt(batch.maxTimestamp), offset, leaderEpoch: epoch };
  }

  private epochFor(offset: bigint): number {
    let epoch = -1;
    for (const e of this.leaderEpochCache.entries) if (e.startOffset <= offset) epoch = e.epoch;
    return epoch;
  }

  /** OffsetsForLeaderEpoch. */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: bigint } {
    return this.leaderEpochCache.endOffsetFor(epoch, this._logEndOffset);
  }

  /** Sets the high watermark (clamped to [logStartOffset, logEndOffset]); returns the value set. */
  updateHighWatermark(offset: bigint): bigint {
    let hw = offset;
    if (hw < this._logStartOffset) hw = this._logStartOffset;
    if (hw > this._logEndOffset) hw = this._logEndOffset;
    this._highWatermark = hw;
    return hw;
  }

  /** Moves the high watermark forward only; returns whether it moved. */
  maybeIncrementHighWatermark(offset: bigint): boolean {
    if (offset <= this._highWatermark) return false;
    const before = this._highWatermark;
    return this.updateHighWatermark(offset) > before;
  }

  /**
   * Advances the log start offset (DeleteRecords, retention): must not pass the high watermark.
   * Segments entirely below it are deleted (renamed now, unlinked in the background).
   */
  advanceLogStartOffset(offset: bigint): Promise<bigint> {
    this.ensureOnline();
    return this.queue.run(async () => {
      if (offset > this._highWatermark) {
        throw new OffsetOutOfRangeError(`cannot move the log start of ${this.name} to ${offset} beyond the high watermark ${this._highWatermark}`);
      }
      if (offset > this._logStartOffset) this.setLogStartOffset(offset);
      await this.deleteSegmentsLocked((seg, next) => next <= this._logStartOffset && seg.size !== 0);
      return this._logStartOffset;
    });
  }

  private setLogStartOffset(offset: bigint): void {
    this._logStartOffset = offset;
    this.leaderEpochCache.truncateFromStart(offset);
    if (this._highWatermark < offset) this._highWatermark = offset;
    this.ctx.onLogStartOffsetChanged?.(this);
  }

  /**
   * Kafka's deleteOldSegments: segments past retention.ms or beyond retention.bytes, or wholly
   * below the log start offset; only segments wholly below the high watermark are eligible.
   * Returns how many segments were deleted.
   */
  deleteOldSegments(): Promise<number> {
    this.ensureOnline();
    return this.queue.run(async () => {
      const c = this._config;
      const now = this.ctx.now();
      let deleted = await this.deleteSegmentsLocked((seg, next) => next <= this._logStartOffset && seg.size !== 0);
      if (!isDeleteRetention(c)) return deleted; // cleanup.policy=compact: only the log cleaner removes records
      if (c.retentionMs >= 0) {
        const list = [...this.segments];
        const timestamps: number[] = [];
        for (const s of list) timestamps.push(await s.largestTimestamp());
        deleted += await this.deleteSegmentsLocked((seg) => {
          const i = list.indexOf(seg);
          const ts = i >= 0 ? timestamps[i]! : now;
          return seg.size > 0 && ts >= 0 && now - ts > c.retentionMs;
        });
      }
      if (c.retentionBytes >= 0) {
        let total = await this.sizeInBytes();
        deleted += await this.deleteSegmentsLocked((seg) => {
          if (seg.size <= 0 || total - seg.size < c.retentionBytes) return false;
          total -= seg.size;
          return true;
        });
      }
      return deleted;
    });
  }

  /** Log cleaner: the inactive segments wholly below the high watermark, with the next segment's base offset. */
  cleanerSnapshot(): Promise<{ segments: { segment: LogSegment; next: bigint }[]; logStartOffset: bigint }> {
    this.ensureOnline();
    const out: { segment: LogSegment; next: bigint }[] = [];
    for (let i = 0; i + 1 < this.segments.length; i++) {
      const next = this.segments[i + 1]!.baseOffset;
      if (next > this._highWatermark) break;
      out.push({ segment: this.segments[i]!, next });
    }
    return Promise.resolve({ segments: out, logStartOffset: this._logStartOffset });
  }

  /** Log cleaner: the context new segments of this log are created with. */
  segmentContextForCleaner(): SegmentContext {
    return this.segmentCtx;
  }

  /**
   * Log cleaner: replaces consecutive segments `olds` by `cleaned` (written as `.cleaned` files and
   * flushed), crash-safely: `.cleaned` → `.swap` + directory sync (commit), old segments renamed
   * `.deleted` (unlinked after file.delete.delay.ms), `.swap` → real name + directory sync. Returns
   * false (changing nothing) when the old segments are no longer all in the log.
   */
  replaceSegments(olds: readonly LogSegment[], cleaned: LogSegment, onStep?: (step: 'swap' | 'deleted' | 'done') => Promise<void> | void): Promise<boolean> {
    this.ensureOnline();
    return this.queue.run(async () => {
      const idx = this.segments.indexOf(olds[0]!);
      if (idx < 0 || idx + olds.length >= this.segments.length) return false;
      if (olds.some((s, k) => this.segments[idx + k] !== s || s.deleted)) return false;
      try {
        await cleaned.changeFileSuffix(SWAP_SUFFIX);
        await this.ctx.fs.syncDir(this.dir);
        await onStep?.('swap');
        this.segments.splice(idx, olds.length, cleaned);
        for (const s of olds) this.dirtySegments.delete(s);
        this.forgetEnds();
        for (const seg of olds) {
          for (const file of await seg.renameToDeleted()) this.ctx.deleter.schedule(file, this._config.fileDeleteDelayMs);
        }
        await onStep?.('deleted');
        await cleaned.changeFileSuffix('');
        this.ctx.handles.evict(cleaned.logPath);
        await this.ctx.fs.syncDir(this.dir);
        await onStep?.('done');
      } catch (e) {
        throw this.goOffline(e);
      }
      return true;
    });
  }

  /**
   * Deletes the oldest segments while `deletable(segment, nextSegmentBaseOffset)` holds and the
   * segment lies below the high watermark. Deleting the active segment rolls a new one first.
   */
  private async deleteSegmentsLocked(deletable: (segment: LogSegment, next: bigint) => boolean): Promise<number> {
    const doomed: LogSegment[] = [];
    for (let i = 0; i < this.segments.length; i++) {
      const seg = this.segments[i]!;
      const next = i + 1 < this.segments.length ? this.segments[i + 1]!.baseOffset : this._logEndOffset;
      if (next > this._highWatermark) break;
      if (seg.size < 0) await seg.ensureLoaded();
      if (!deletable(seg, next)) break;
      doomed.push(seg);
    }
    if (doomed.length === 0) return 0;
    if (doomed.length === this.segments.length) await this.rollLocked();
    await this.removeSegments(doomed);
    const first = this.segments[0]!.baseOffset;
    if (first > this._logStartOffset) this.setLogStartOffset(first);
    return doomed.length;
  }

  /** Takes segments out of the log now; renames their files to `.deleted`; unlinks them after file.delete.delay.ms. */
  private async removeSegments(doomed: readonly LogSegment[]): Promise<void> {
    for (const seg of doomed) {
      const i = this.segments.indexOf(seg);
      if (i >= 0) this.segments.splice(i, 1);
      this.dirtySegments.delete(seg);
    }
    this.forgetEnds();
    try {
      for (const seg of doomed) {
        for (const file of await seg.renameToDeleted()) this.ctx.deleter.schedule(file, this._config.fileDeleteDelayMs);
      }
      await this.ctx.fs.syncDir(this.dir);
    } catch (e) {
      throw this.goOffline(e);
    }
  }

  /**
   * Removes everything at and after `offset` (whole batches; follower truncation). The log end
   * offset becomes the offset after the last remaining batch. Returns whether anything was removed.
   */
  truncateTo(offset: bigint): Promise<boolean> {
    this.ensureOnline();
    return this.queue.run(async () => {
      if (offset >= this._logEndOffset) return false;
      if (offset < this._logStartOffset) {
        await this.truncateFullyAndStartAtLocked(offset);
        return true;
      }
      this.truncations++;
      try {
        await this.ensureActive();
        const k = this.floorSegmentIndex(offset);
        await this.removeSegments(this.segments.slice(k + 1));
        const seg = this.segments[k]!;
        const { nextOffset } = await seg.truncateTo(offset);
        await seg.activate();
        this.dirtySegments.add(seg);
        this.afterTruncation(nextOffset > seg.baseOffset ? nextOffset : seg.baseOffset);
      } catch (e) {
        throw this.goOffline(e);
      }
      return true;
    });
  }

  /** Deletes every segment and starts an empty log at `offset` (follower far behind the leader's log start). */
  truncateFullyAndStartAt(offset: bigint): Promise<void> {
    this.ensureOnline();
    return this.queue.run(() => this.truncateFullyAndStartAtLocked(offset));
  }

  private async truncateFullyAndStartAtLocked(offset: bigint): Promise<void> {
    this.truncations++;
    try {
      const old = [...this.segments];
      const seg = await LogSegment.create(this.segmentCtx, this.dir, offset);
      seg.active = true;
      // A segment at the same base offset was just emptied and reused by create().
      for (const s of old) if (s.baseOffset === offset) s.close();
      await this.removeSegments(old.filter((s) => s.baseOffset !== offset));
      this.segments.length = 0;
      this.segments.push(seg);
      this.leaderEpochCache.clear();
      this._logStartOffset = offset;
      this._logEndOffset = offset;
      this._highWatermark = offset;
      this._recoveryPoint = offset;
      this._flushedOffset = offset;
      this.forgetEnds();
      this.ctx.onLogStartOffsetChanged?.(this);
    } catch (e) {
      throw this.goOffline(e);
    }
  }

  private afterTruncation(logEndOffset: bigint): void {
    this._logEndOffset = logEndOffset;
    this.leaderEpochCache.truncateFromEnd(logEndOffset);
    if (this._highWatermark > logEndOffset) this._highWatermark = logEndOffset;
    if (this._recoveryPoint > logEndOffset) this._recoveryPoint = logEndOffset;
    if (this._flushedOffset > logEndOffset) this._flushedOffset = logEndOffset;
    this.forgetEnds();
  }

  /** Waits for queued appends, flushes everything (recovery point = LEO) and releases file handles. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue.run(async () => undefined);
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (!this.offlineError) {
      await this.syncCommit.idle();
      await this.flushCommit.idle();
      // Kafka's LogSegment.close: the time index gets a last entry for the segment's largest
      // timestamp, so that after a clean start (no scan) ListOffsets by time sees every batch.
      const active = this.segments[this.segments.length - 1];
      if (active?.isLoaded) active.onBecomeInactive();
      await this.flushAll();
    }
    await this.leaderEpochCache.flushed().catch(() => undefined);
    for (const s of this.segments) s.close();
  }

  /** Closes without flushing (the partition is being deleted). */
  async closeForDelete(): Promise<void> {
    await this.queue.run(async () => undefined);
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const s of this.segments) {
      s.deleted = true;
      s.close();
    }
  }
}

/** A partition's current config, shared by the log and its segments. */
export interface ConfigRef {
  current: LogConfig;
}

/** os mode: bytes between background fdatasyncs. */
export function backgroundSyncBytes(config: LogConfig): number {
  return Math.max(64 * 1024, Math.min(16 * 1024 * 1024, Math.floor(config.segmentBytes / 8)));
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
