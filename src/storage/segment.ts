import * as path from 'node:path';
import { BATCH_LENGTH, LOG_OVERHEAD, RECORD_BATCH_OVERHEAD } from '../protocol/records/batch-header.js';
import { lastOffsetOf, readBatchInfo, validStoredBatch, type BatchInfo } from './batches.js';
import type { LogConfig } from './config.js';
import { GroupCommit } from './flush.js';
import { readFileIfExists, type FileSystem, type LogFile } from './file-system.js';
import type { LeaderEpochCache } from './leader-epoch-cache.js';
import { CorruptIndexError, OFFSET_INDEX_ENTRY_SIZE, OffsetIndex } from './offset-index.js';
import type { FileHandleCache, IndexCache, IndexHolder } from './resource-cache.js';
import { TIME_INDEX_ENTRY_SIZE, TimeIndex } from './time-index.js';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const DELETED_SUFFIX = '.deleted';
/** Log cleaner: a segment being written, and a finished one waiting to replace the old (Kafka's names). */
export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';
const INT32_MAX = 0x7fffffff;
/** Bytes read at a time when walking batch headers. */
const SCAN_CHUNK = 16 * 1024;
/** Bytes read at a time when recovering (every byte is CRC-checked). */
const RECOVERY_CHUNK = 1024 * 1024;

/** `%020d` + suffix, as Kafka names segment files. */
export function segmentFileName(baseOffset: bigint, suffix: string): string {
  return baseOffset.toString().padStart(20, '0') + suffix;
}

/** Base offset of a segment file name like `00000000000000000042.log`, else undefined. */
export function parseSegmentFileName(name: string): { baseOffset: bigint; suffix: string } | undefined {
  const m = /^(\d{20})(\.log|\.index|\.timeindex)$/.exec(name);
  return m ? { baseOffset: BigInt(m[1]!), suffix: m[2]! } : undefined;
}

/** What segments share: the file system, the broker-wide caches and the partition's config. */
export interface SegmentContext {
  readonly fs: FileSystem;
  readonly handles: FileHandleCache;
  readonly indexCache: IndexCache;
  config(): LogConfig;
}

export interface RecoveryResult {
  /** Offset after the last valid batch (the segment's base offset if none). */
  nextOffset: bigint;
  /** Bytes cut off the end because they were torn or corrupt. */
  truncatedBytes: number;
}

/**
 * One segment of a partition: `<base>.log` holding v2 batches exactly as appended, plus its
 * sparse `.index` and `.timeindex`.
 *
 * Invariants: `size` is the byte length of complete, valid batches (the append position); batch
 * offsets strictly increase and lie in [baseOffset, baseOffset + 2^31); index entries point at
 * batch starts below `size`. Indexes are loaded lazily (and may be dropped again for inactive
 * segments, see IndexCache); the log file is opened through the shared FileHandleCache.
 */
export class LogSegment implements IndexHolder {
  private _size: number;
  private offsetIndex: OffsetIndex | undefined;
  private timeIndex: TimeIndex | undefined;
  private loading: Promise<void> | undefined;
  private bytesSinceLastIndexEntry = 0;
  /** Largest batch maxTimestamp in the segment (-1 if none), and the last offset of that batch. */
  maxTimestampSoFar = -1;
  offsetOfMaxTimestampSoFar = -1n;
  /**
   * segment.ms counts from here: the wall clock at the first append (robust to producer clocks).
   * After a restart it is the first batch's max timestamp (Kafka's rule), the best record left.
   */
  rollingBasedTimestamp: number | undefined;
  /** segment.jitter.ms: this segment rolls this much before segment.ms (Kafka's rollJitterMs, random per segment). */
  readonly rollJitterMs: number;
  /** The segment appends go to; its indexes are never unloaded. */
  active = false;
  deleted = false;
  /** Completed writes/truncations of the .log, and how many of them a finished fdatasync covers. */
  private writeSeq = 0;
  private syncedSeq = 0;
  private readonly logSync = new GroupCommit(async () => {
    const seq = this.writeSeq;
    await this.withLog((f) => f.datasync());
    if (seq > this.syncedSeq) this.syncedSeq = seq;
  });
  /** Index entries not yet written to (or removed from) each index file. */
  private offsetIndexDirty = false;
  private timeIndexDirty = false;
  private logFile: string;
  private flushingIndexes = false;
  /** Set by recover() until activate() consumes it. */
  private recoveredNextOffset: bigint | undefined;

  constructor(
    private readonly ctx: SegmentContext,
    readonly dir: string,
    readonly baseOffset: bigint,
    /** Known size (a new segment: 0); -1 to stat lazily. */
    size = -1,
    /** Appended to all three file names (the log cleaner's `.cleaned` / `.swap`). */
    private fileSuffix = '',
  ) {
    this._size = size;
    this.logFile = path.join(dir, segmentFileName(baseOffset, LOG_SUFFIX) + fileSuffix);
    const c = ctx.config();
    const jitter = Math.min(c.segmentJitterMs, c.segmentMs);
    this.rollJitterMs = jitter > 0 ? Math.floor(Math.random() * jitter) : 0;
    if (size === 0) {
      this.offsetIndex = new OffsetIndex(this.maxIndexEntries(OFFSET_INDEX_ENTRY_SIZE));
      this.timeIndex = new TimeIndex(this.maxIndexEntries(TIME_INDEX_ENTRY_SIZE));
    }
  }

  /** Creates the three (empty) files and makes their names durable. */
  static async create(ctx: SegmentContext, dir: string, baseOffset: bigint, fileSuffix = ''): Promise<LogSegment> {
    const segment = new LogSegment(ctx, dir, baseOffset, 0, fileSuffix);
    for (const suffix of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) {
      const f = await ctx.fs.open(path.join(dir, segmentFileName(baseOffset, suffix) + fileSuffix), 'create');
      try {
        // A leftover file of a segment that was deleted at this base offset is emptied.
        if ((await f.size()) > 0) await f.truncate(0);
      } finally {
        await f.close();
      }
    }
    await ctx.fs.syncDir(dir);
    return segment;
  }

  get logPath(): string {
    return this.logFile;
  }

  get indexPath(): string {
    return path.join(this.dir, segmentFileName(this.baseOffset, INDEX_SUFFIX) + this.fileSuffix);
  }

  get timeIndexPath(): string {
    return path.join(this.dir, segmentFileName(this.baseOffset, TIME_INDEX_SUFFIX) + this.fileSuffix);
  }

  /**
   * Renames the three files from the current suffix to `suffix` (Kafka's changeFileSuffixes);
   * the log file last, so that its name is the one recovery goes by. The caller syncs the dir.
   */
  async changeFileSuffix(suffix: string): Promise<void> {
    const files = [INDEX_SUFFIX, TIME_INDEX_SUFFIX, LOG_SUFFIX].map((s) => path.join(this.dir, segmentFileName(this.baseOffset, s)));
    this.ctx.handles.evict(this.logFile);
    for (const f of files) {
      try {
        await this.ctx.fs.rename(f + this.fileSuffix, f + suffix);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    this.fileSuffix = suffix;
    this.logFile = files[2]! + suffix;
  }

  /** Bytes of valid batches; only meaningful once loaded (see ensureLoaded). */
  get size(): number {
    return this._size;
  }

  get isLoaded(): boolean {
    return this._size >= 0 && this.offsetIndex !== undefined;
  }

  get hasUnflushedData(): boolean {
    return this.syncedSeq < this.writeSeq || this.indexDirty;
  }

  get indexMemoryBytes(): number {
    return (this.offsetIndex?.memoryBytes ?? 0) + (this.timeIndex?.memoryBytes ?? 0);
  }

  get offsetIndexEntries(): number {
    return this.offsetIndex?.entries ?? 0;
  }

  get timeIndexEntries(): number {
    return this.timeIndex?.entries ?? 0;
  }

  /** Whether an index is full (Kafka rolls then). */
  get indexFull(): boolean {
    return (this.offsetIndex?.isFull ?? false) || (this.timeIndex?.isFull ?? false);
  }

  private maxIndexEntries(entrySize: number): number {
    return Math.max(1, Math.floor(this.ctx.config().segmentIndexBytes / entrySize));
  }

  private relative(offset: bigint): number {
    return Number(offset - this.baseOffset);
  }

  /** Whether `offset` fits the int32 relative offsets of this segment's indexes. */
  canConvertToRelativeOffset(offset: bigint): boolean {
    const r = offset - this.baseOffset;
    return r >= 0n && r <= BigInt(INT32_MAX);
  }

  withLog<T>(fn: (file: LogFile) => Promise<T>): Promise<T> {
    return this.ctx.handles.use(this.logFile, fn);
  }

  /** Loads size and indexes if needed; missing or corrupt index files are rebuilt from the log. */
  async ensureLoaded(): Promise<void> {
    if (this.isLoaded) {
      if (!this.active) this.ctx.indexCache.touch(this);
      return;
    }
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    await this.loading;
    if (!this.active) this.ctx.indexCache.touch(this);
  }

  private async load(): Promise<void> {
    if (this._size < 0) {
      const st = await this.ctx.fs.stat(this.logFile);
      if (!st) throw Object.assign(new Error(`segment file ${this.logFile} is missing`), { code: 'ENOENT' });
      this._size = st.size;
    }
    if (this.offsetIndex) return;
    try {
      const [offsetBytes, timeBytes] = await Promise.all([
        readFileIfExists(this.ctx.fs, this.indexPath),
        readFileIfExists(this.ctx.fs, this.timeIndexPath),
      ]);
      if (offsetBytes === undefined || timeBytes === undefined) throw new CorruptIndexError('index file missing');
      const offsetIndex = OffsetIndex.decode(offsetBytes, this.maxIndexEntries(OFFSET_INDEX_ENTRY_SIZE), this._size);
      const timeIndex = TimeIndex.decode(timeBytes, this.maxIndexEntries(TIME_INDEX_ENTRY_SIZE), INT32_MAX);
      if (timeIndex.entries > 0 && offsetIndex.entries === 0 && this._size === 0) {
        throw new CorruptIndexError('time index entries in an empty segment');
      }
      this.offsetIndex = offsetIndex;
      this.timeIndex = timeIndex;
      this.maxTimestampSoFar = timeIndex.lastTimestamp;
      this.offsetOfMaxTimestampSoFar = timeIndex.entries > 0 ? this.baseOffset + BigInt(timeIndex.lastRelativeOffset) : -1n;
      this.bytesSinceLastIndexEntry = this._size - offsetIndex.lastPosition;
    } catch (e) {
      if (!(e instanceof CorruptIndexError)) throw e;
      await this.rebuildIndexes();
    }
  }

  /** Rebuilds both indexes by walking the batch headers (no CRC check: data below the recovery point). */
  private async rebuildIndexes(): Promise<void> {
    this.resetIndexes();
    await this.scan(0, this._size, (b) => {
      this.indexBatch(b);
    });
    this.markIndexesDirty();
  }

  private resetIndexes(): void {
    this.offsetIndex = new OffsetIndex(this.maxIndexEntries(OFFSET_INDEX_ENTRY_SIZE));
    this.timeIndex = new TimeIndex(this.maxIndexEntries(TIME_INDEX_ENTRY_SIZE));
    this.maxTimestampSoFar = -1;
    this.offsetOfMaxTimestampSoFar = -1n;
    this.bytesSinceLastIndexEntry = 0;
  }

  /** Kafka's LogSegment.append index rule: an entry for the first batch past index.interval.bytes. */
  private indexBatch(b: BatchInfo): void {
    const last = lastOffsetOf(b);
    if (b.maxTimestamp > this.maxTimestampSoFar) {
      this.maxTimestampSoFar = b.maxTimestamp;
      this.offsetOfMaxTimestampSoFar = last;
    }
    if (this.bytesSinceLastIndexEntry > this.ctx.config().indexIntervalBytes) {
      this.offsetIndex!.append(this.relative(last), b.position);
      this.timeIndex!.maybeAppend(this.maxTimestampSoFar, this.relative(this.offsetOfMaxTimestampSoFar));
      this.bytesSinceLastIndexEntry = 0;
      this.markIndexesDirty();
    }
    this.bytesSinceLastIndexEntry += b.size;
  }

  /**
   * Makes this the active segment: loads it and walks the batches after the last index entry,
   * returning the offset after the last batch (base offset if empty) and whether the walk ended
   * exactly at the end of the file.
   */
  async activate(): Promise<{ nextOffset: bigint; consistent: boolean }> {
    const recovered = this.recoveredNextOffset;
    this.recoveredNextOffset = undefined;
    this.active = true;
    this.ctx.indexCache.remove(this);
    // Just recovered: everything is known already.
    if (recovered !== undefined && this.isLoaded) return { nextOffset: recovered, consistent: true };
    await this.ensureLoaded();
    let next = this.baseOffset;
    if (this.offsetIndex!.entries > 0) next = this.baseOffset + BigInt(this.offsetIndex!.lastRelativeOffset) + 1n;
    let end = this.offsetIndex!.lastPosition;
    if (this.rollingBasedTimestamp === undefined && this._size > 0 && end > 0) {
      await this.scan(0, this._size, (b) => {
        if (b.maxTimestamp >= 0) this.rollingBasedTimestamp = b.maxTimestamp;
        return false;
      });
    }
    await this.scan(end, this._size, (b) => {
      if (b.position === 0 && b.maxTimestamp >= 0) this.rollingBasedTimestamp ??= b.maxTimestamp;
      if (b.maxTimestamp > this.maxTimestampSoFar) {
        this.maxTimestampSoFar = b.maxTimestamp;
        this.offsetOfMaxTimestampSoFar = lastOffsetOf(b);
      }
      next = lastOffsetOf(b) + 1n;
      end = b.position + b.size;
    });
    return { nextOffset: next, consistent: end === this._size };
  }

  /**
   * Writes `records` (whole batches, offsets already assigned) at the end of the log and indexes
   * them. `batches` carry positions relative to `records`. On failure nothing is indexed and the
   * caller must cut the file back to `size` (see truncateBytes).
   */
  async append(records: Buffer, batches: readonly BatchInfo[], now: number): Promise<void> {
    const start = this._size;
    this.recoveredNextOffset = undefined;
    try {
      await this.withLog((f) => f.write(records, 0, records.length, start));
    } finally {
      this.writeSeq++; // even a failed write may have left bytes behind
    }
    this.rollingBasedTimestamp ??= now;
    for (const b of batches) this.indexBatch({ ...b, position: start + b.position });
    this._size = start + records.length;
  }

  /** Cuts the file to `size` bytes (undoing a failed write). */
  async truncateBytes(size: number): Promise<void> {
    await this.withLog((f) => f.truncate(size));
    this.writeSeq++;
  }

  async readInto(position: number, target: Uint8Array, targetOffset: number, length: number): Promise<number> {
    return this.withLog((f) => f.read(target, targetOffset, length, position));
  }

  /**
   * Walks batch headers in [from, end), calling `visit` with each complete batch until it
   * returns false. Stops at the first header that does not describe a batch inside the range.
   */
  async scan(from: number, end: number, visit: (b: BatchInfo) => boolean | void): Promise<void> {
    const buf = Buffer.allocUnsafe(Math.min(SCAN_CHUNK, Math.max(RECORD_BATCH_OVERHEAD, end - from)));
    let bufStart = 0;
    let bufLen = 0;
    let pos = from;
    await this.withLog(async (f) => {
      while (pos + RECORD_BATCH_OVERHEAD <= end) {
        if (pos < bufStart || pos + RECORD_BATCH_OVERHEAD > bufStart + bufLen) {
          const len = Math.min(buf.length, end - pos);
          bufLen = await f.read(buf, 0, len, pos);
          bufStart = pos;
          if (bufLen < RECORD_BATCH_OVERHEAD) return;
        }
        const at = pos - bufStart;
        const size = buf.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
        if (size < RECORD_BATCH_OVERHEAD || pos + size > end) return;
        if (visit(readBatchInfo(buf, at, pos)) === false) return;
        pos += size;
      }
    });
  }

  /** The first batch whose last offset is >= `offset`, scanning from the index (Kafka's translateOffset). */
  async translateOffset(offset: bigint, startingPosition = 0, end = this._size): Promise<BatchInfo | undefined> {
    await this.ensureLoaded();
    const start = Math.max(this.offsetIndex!.lookup(this.relative(offset)), startingPosition);
    let found: BatchInfo | undefined;
    await this.scan(start, Math.min(end, this._size), (b) => {
      if (lastOffsetOf(b) >= offset) {
        found = b;
        return false;
      }
      return true;
    });
    return found;
  }

  /**
   * End of the last whole batch that fits in [start, limit): a batch boundary > start, or `start`
   * if the first batch does not fit. Uses the index to skip to a boundary near `limit`.
   */
  async lastBoundaryBefore(start: number, limit: number): Promise<number> {
    await this.ensureLoaded();
    const boundary = Math.max(start, this.offsetIndex!.floorPosition(limit));
    let cut = boundary;
    await this.scan(boundary, limit, (b) => {
      cut = b.position + b.size;
    });
    return cut;
  }

  /** First batch with maxTimestamp >= `timestamp` and last offset >= `startingOffset` (Kafka's findOffsetByTimestamp). */
  async findBatchByTimestamp(timestamp: number, startingOffset: bigint): Promise<BatchInfo | undefined> {
    await this.ensureLoaded();
    const rel = Math.max(this.timeIndex!.lookup(timestamp), this.relative(startingOffset));
    const position = this.offsetIndex!.lookup(rel);
    let found: BatchInfo | undefined;
    await this.scan(position, this._size, (b) => {
      if (b.maxTimestamp >= timestamp && lastOffsetOf(b) >= startingOffset) {
        found = b;
        return false;
      }
      return true;
    });
    return found;
  }

  /**
   * Recovery after an unclean shutdown (Kafka's LogSegment.recover): reads every batch, checks
   * framing, CRC and offsets (strictly increasing, within this segment), rebuilds both indexes
   * and the epoch cache entries, and truncates the file at the first bad byte.
   */
  async recover(epochCache: LeaderEpochCache | undefined, minOffset: bigint): Promise<RecoveryResult> {
    this.active = false;
    this.ctx.indexCache.remove(this);
    const result = await this.withLog(async (f) => {
      const fileSize = await f.size();
      this._size = fileSize;
      this.resetIndexes();
      let chunk = Buffer.allocUnsafe(Math.min(RECOVERY_CHUNK, Math.max(fileSize, RECORD_BATCH_OVERHEAD)));
      let chunkStart = 0;
      let chunkLen = 0;
      let pos = 0;
      let next = minOffset > this.baseOffset ? minOffset : this.baseOffset;
      let lastNext = this.baseOffset;
      while (pos < fileSize) {
        // Make sure the whole batch at `pos` is in the chunk.
        if (pos + LOG_OVERHEAD > chunkStart + chunkLen) {
          chunkLen = await f.read(chunk, 0, Math.min(chunk.length, fileSize - pos), pos);
          chunkStart = pos;
          if (chunkLen < LOG_OVERHEAD) break;
        }
        const size = chunk.readInt32BE(pos - chunkStart + BATCH_LENGTH) + LOG_OVERHEAD;
        if (size < RECORD_BATCH_OVERHEAD || pos + size > fileSize) break;
        if (pos + size > chunkStart + chunkLen) {
          if (size > chunk.length) chunk = Buffer.allocUnsafe(size);
          chunkLen = await f.read(chunk, 0, Math.min(chunk.length, fileSize - pos), pos);
          chunkStart = pos;
          if (chunkLen < size) break;
        }
        const b = validStoredBatch(chunk, pos - chunkStart, chunkLen, pos);
        if (!b) break;
        const last = lastOffsetOf(b);
        if (b.baseOffset < next || !this.canConvertToRelativeOffset(last)) break;
        this.indexBatch(b);
        if (pos === 0 && b.maxTimestamp >= 0) this.rollingBasedTimestamp = b.maxTimestamp;
        epochCache?.assign(b.partitionLeaderEpoch, b.baseOffset);
        next = last + 1n;
        lastNext = next;
        pos += size;
      }
      const truncatedBytes = fileSize - pos;
      if (truncatedBytes > 0) await f.truncate(pos);
      this._size = pos;
      this.recoveredNextOffset = lastNext;
      return { nextOffset: lastNext, truncatedBytes };
    });
    this.writeSeq++;
    this.markIndexesDirty();
    return result;
  }

  /**
   * Removes every batch whose last offset is >= `offset` (whole batches). Returns the bytes removed
   * and the base offset of the first removed batch (undefined when nothing was removed).
   */
  async truncateTo(offset: bigint): Promise<{ bytes: number; nextOffset: bigint }> {
    this.recoveredNextOffset = undefined;
    // It becomes the active segment: keep its indexes from being dropped while we work on them.
    this.active = true;
    this.ctx.indexCache.remove(this);
    await this.ensureLoaded();
    const b = await this.translateOffset(offset);
    if (!b) return { bytes: 0, nextOffset: (await this.activate()).nextOffset };
    const removed = this._size - b.position;
    await this.withLog((f) => f.truncate(b.position));
    this._size = b.position;
    this.writeSeq++;
    this.markIndexesDirty();
    this.offsetIndex!.truncateToPosition(b.position);
    this.timeIndex!.truncateTo(this.relative(b.baseOffset));
    // Recompute the max timestamp exactly: last time index entry, then the batches after the last offset index entry.
    this.maxTimestampSoFar = this.timeIndex!.lastTimestamp;
    this.offsetOfMaxTimestampSoFar = this.timeIndex!.entries > 0 ? this.baseOffset + BigInt(this.timeIndex!.lastRelativeOffset) : -1n;
    const from = this.offsetIndex!.lastPosition;
    let nextOffset = this.baseOffset;
    await this.scan(from, this._size, (x) => {
      if (x.maxTimestamp > this.maxTimestampSoFar) {
        this.maxTimestampSoFar = x.maxTimestamp;
        this.offsetOfMaxTimestampSoFar = lastOffsetOf(x);
      }
      nextOffset = lastOffsetOf(x) + 1n;
    });
    this.bytesSinceLastIndexEntry = this._size - from;
    if (this._size === 0) this.rollingBasedTimestamp = undefined;
    return { bytes: removed, nextOffset };
  }

  private get indexDirty(): boolean {
    return this.offsetIndexDirty || this.timeIndexDirty;
  }

  private markIndexesDirty(): void {
    this.offsetIndexDirty = this.timeIndexDirty = true;
  }

  /** fdatasync of the log data only (durable appends). */
  async syncLog(): Promise<void> {
    // request() resolves after an fdatasync that started after this call, hence after every write that completed before it.
    if (this.syncedSeq < this.writeSeq && !this.deleted) await this.logSync.request();
  }

  /** Kafka's flush: log data and both index files on stable storage. */
  async flush(): Promise<void> {
    if (this.deleted) return;
    await this.syncLog();
    if (!this.indexDirty || !this.offsetIndex || !this.timeIndex) return;
    // Only the files that changed: a close adds a last time index entry, and a partition of a
    // few records has no offset index entry to write (one fdatasync fewer per partition).
    const [writeOffsets, writeTimes] = [this.offsetIndexDirty, this.timeIndexDirty];
    this.offsetIndexDirty = this.timeIndexDirty = false;
    this.flushingIndexes = true;
    try {
      const oi = this.offsetIndex;
      const ti = this.timeIndex;
      const oiEntries = oi.entries;
      const tiEntries = ti.entries;
      await Promise.all([
        writeOffsets ? this.writeIndexFile(this.indexPath, oi.encode(oi.persistedEntries), oi.persistedEntries * OFFSET_INDEX_ENTRY_SIZE, oiEntries * OFFSET_INDEX_ENTRY_SIZE) : undefined,
        writeTimes ? this.writeIndexFile(this.timeIndexPath, ti.encode(ti.persistedEntries), ti.persistedEntries * TIME_INDEX_ENTRY_SIZE, tiEntries * TIME_INDEX_ENTRY_SIZE) : undefined,
      ]);
      if (writeOffsets) oi.persistedEntries = Math.min(oiEntries, oi.entries);
      if (writeTimes) ti.persistedEntries = Math.min(tiEntries, ti.entries);
    } catch (e) {
      this.offsetIndexDirty ||= writeOffsets;
      this.timeIndexDirty ||= writeTimes;
      throw e;
    } finally {
      this.flushingIndexes = false;
    }
  }

  private async writeIndexFile(file: string, tail: Buffer, at: number, size: number): Promise<void> {
    const f = await this.ctx.fs.open(file, 'create');
    try {
      if (tail.length > 0) await f.write(tail, 0, tail.length, at);
      if ((await f.size()) !== size) await f.truncate(size);
      await f.datasync();
    } finally {
      await f.close();
    }
  }

  /** On roll: a final time index entry for the segment's max timestamp (Kafka's onBecomeInactiveSegment). */
  onBecomeInactive(): void {
    this.active = false;
    if (this.timeIndex && this.maxTimestampSoFar >= 0 && this.offsetOfMaxTimestampSoFar >= this.baseOffset) {
      const before = this.timeIndex.entries;
      this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.relative(this.offsetOfMaxTimestampSoFar), true);
      if (this.timeIndex.entries !== before) this.timeIndexDirty = true;
    }
    this.ctx.indexCache.touch(this);
  }

  unloadIndexes(): boolean {
    if (this.active || this.indexDirty || this.flushingIndexes || this.loading || !this.offsetIndex) return false;
    this.offsetIndex = undefined;
    this.timeIndex = undefined;
    return true;
  }

  /** Largest timestamp in the segment, for retention.ms (-1 if none). */
  async largestTimestamp(): Promise<number> {
    await this.ensureLoaded();
    return this.maxTimestampSoFar;
  }

  /**
   * First step of deletion: renames the files to `*.deleted` (cheap, on the caller's path); the
   * caller then unlinks them asynchronously. Returns the renamed paths.
   */
  async renameToDeleted(): Promise<string[]> {
    this.deleted = true;
    this.ctx.indexCache.remove(this);
    this.ctx.handles.evict(this.logFile);
    const renamed: string[] = [];
    for (const file of [this.logFile, this.indexPath, this.timeIndexPath]) {
      try {
        await this.ctx.fs.rename(file, file + DELETED_SUFFIX);
        renamed.push(file + DELETED_SUFFIX);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    this.logFile += DELETED_SUFFIX;
    this.offsetIndex = undefined;
    this.timeIndex = undefined;
    return renamed;
  }

  /** Releases the file handle and the index budget (the segment reopens lazily if used again). */
  close(): void {
    this.ctx.handles.evict(this.logFile);
    this.ctx.indexCache.remove(this);
  }
}
