import { lastOffsetOf } from './batches.js';
import { LONG_MAX, type LogConfig } from './config.js';
import { KafkaStorageError, OffsetOutOfRangeError } from './errors.js';
import type { FileSystem } from './file-system.js';
import { GroupCommit, SerialQueue } from './flush.js';
import type { LeaderEpochCache } from './leader-epoch-cache.js';
import { LogSegment, type SegmentContext } from './segment.js';
import { segmentContext, type ConfigRef, type StorageContext } from './storage-context.js';

/** Whole batches of one segment as a byte range of its file, ready to send: readInto copies it straight into the response buffer. */
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
}

export interface FetchDataInfo {
  fetchOffset: bigint;
  /** Whole batches in offset order; empty when there is nothing to return yet. */
  ranges: FileRange[];
  sizeInBytes: number;
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

/** os mode: bytes between background fdatasyncs. */
export function backgroundSyncBytes(config: LogConfig): number {
  return Math.max(64 * 1024, Math.min(16 * 1024 * 1024, Math.floor(config.segmentBytes / 8)));
}

/**
 * A partition's segments and the offsets they define (Kafka's LocalLog): the log end offset,
 * flushed offset and recovery point, rolling, flushing, reading, and removing segments. The
 * PartitionLog on top adds appends, the high watermark and the log start offset.
 *
 * Invariants upheld here: recoveryPoint <= flushedOffset <= logEndOffset (flushAll and
 * syncDirtySegments only move them up to the log end offset as of their start, and not at all when
 * a truncation raced with them; afterTruncation clamps all three); the segments are in base offset
 * order and the last one is the active segment.
 */
export abstract class LocalLog {
  readonly topic: string;
  readonly partition: number;
  /** Partition directory `<topic>-<partition>` (renamed when the partition is deleted). */
  dir: string;
  topicId: string | undefined;
  protected readonly configRef: ConfigRef;
  protected readonly segments: LogSegment[];
  protected _logStartOffset: bigint;
  protected _logEndOffset: bigint;
  protected _highWatermark: bigint;
  protected _recoveryPoint: bigint;
  protected _flushedOffset: bigint;
  readonly leaderEpochCache: LeaderEpochCache;
  protected readonly ctx: StorageContext;
  protected readonly segmentCtx: SegmentContext;
  protected readonly queue = new SerialQueue();
  protected readonly syncCommit = new GroupCommit(() => this.syncDirtySegments());
  private readonly flushCommit = new GroupCommit(() => this.flushAll());
  protected readonly dirtySegments = new Set<LogSegment>();
  private activation: Promise<LogSegment> | undefined;
  private unflushedMessages = 0;
  /** Bytes appended since the last sync was requested (os mode background syncs). */
  private unsyncedBytes = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private offlineError: KafkaStorageError | undefined;
  private closed = false;
  /** Bumped by truncation so a flush that raced with it does not advance the recovery point. */
  protected truncations = 0;
  /** Positions of recent append ends, so reads bounded by the high watermark find it without a scan. */
  private readonly recentEnd: bigint[] = new Array<bigint>(RECENT).fill(-1n);
  private readonly recentSegment: (LogSegment | undefined)[] = new Array<LogSegment | undefined>(RECENT);
  private readonly recentPosition: number[] = new Array<number>(RECENT).fill(0);
  private recentNext = 0;

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

  protected get _config(): LogConfig {
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

  protected ensureOnline(): void {
    if (this.offlineError) throw this.offlineError;
    if (this.closed) throw new KafkaStorageError(`log ${this.name} is closed`);
  }

  /** The FileSystem this log's files live on (other per-partition files use it too: producer state). */
  get fileSystem(): FileSystem {
    return this.ctx.fs;
  }

  get name(): string {
    return `${this.topic}-${this.partition}`;
  }

  /** Takes the partition offline: offsets can no longer be trusted to be unique, so nothing more is written. */
  /** Tells the owner (the broker) that this log went offline. */
  protected abstract notifyOffline(error: KafkaStorageError): void;

  protected goOffline(cause: unknown): KafkaStorageError {
    if (!this.offlineError) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      this.offlineError = new KafkaStorageError(`log ${this.name} is offline: ${reason}`, cause);
      if (this.flushTimer) clearTimeout(this.flushTimer);
      this.notifyOffline(this.offlineError);
    }
    return this.offlineError;
  }

  /** The active segment, loaded and checked on first use (after a clean start it is opened lazily). */
  protected ensureActive(): Promise<LogSegment> {
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

  protected rememberEnd(end: bigint, segment: LogSegment, position: number): void {
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

  protected forgetEnds(): void {
    this.recentEnd.fill(-1n);
    this.recentSegment.fill(undefined);
  }

  /**
   * Flush policy after `bytes` holding `messages` records were written: returns whether the
   * append must wait for an fdatasync (durable mode, flush.messages reached). Otherwise the
   * data is synced in the background now and then, and flushed after flush.ms.
   */
  protected afterWrite(config: LogConfig, messages: number, bytes: number): boolean {
    let sync = config.durable;
    this.unflushedMessages += messages;
    if (this.unflushedMessages >= config.flushMessages) sync = true;
    if (sync) this.unflushedMessages = 0;
    this.unsyncedBytes = sync ? 0 : this.unsyncedBytes + bytes;
    if (this.unsyncedBytes >= backgroundSyncBytes(config)) {
      // os mode: an fdatasync in the background every 1/8 segment (at most 16 MiB), nobody waits
      // for it. It keeps the fdatasync a roll must do before writing to the next segment short.
      this.unsyncedBytes = 0;
      this.syncCommit.request().catch(() => undefined);
    }
    this.scheduleFlush();
    return sync;
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
  protected async maybeRoll(size: number, firstOffset: bigint, lastOffset: bigint, now: number): Promise<LogSegment> {
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
  protected async rollLocked(baseOffset = this._logEndOffset): Promise<LogSegment> {
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

  protected floorSegmentIndex(offset: bigint): number {
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

  /** Takes segments out of the log now; renames their files to `.deleted`; unlinks them after file.delete.delay.ms. */
  protected async removeSegments(doomed: readonly LogSegment[]): Promise<void> {
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

  /** The log now ends at `logEndOffset`: every offset bounded by the log end is clamped to it, epochs after it dropped. */
  protected afterTruncation(logEndOffset: bigint): void {
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
