/**
 * The log cleaner (Kafka's LogCleaner + Cleaner + SkimpyOffsetMap), for topics with
 * cleanup.policy=compact (or compact,delete).
 *
 * A cleaning of one log:
 * 1. Picks the cleanable range: from the cleaner checkpoint ("first dirty offset") up to the first
 *    uncleanable offset: the active segment, the high watermark, and segments with records younger
 *    than min.compaction.lag.ms are never cleaned. It cleans when the dirty share of the cleanable
 *    bytes is at least min.cleanable.dirty.ratio, when dirty records are older than
 *    max.compaction.lag.ms, or when retained tombstones passed their delete horizon.
 * 2. Builds an offset map (hash of key → latest offset) over the dirty range, within a fixed memory
 *    budget (log.cleaner.dedupe.buffer.size). When the map is full the pass ends there; the rest
 *    of the dirty range is left for the next pass.
 * 3. Rewrites every segment below the end of the map, in groups that fit one segment: a record is
 *    kept if it has a key and no later record has the same key (offset >= the map's offset).
 *    Tombstones (null value) are kept and get a delete horizon (now + delete.retention.ms, KIP-534:
 *    baseTimestamp with the delete-horizon attribute bit); once it passed they are removed.
 *    Control batches (transaction markers) are kept as they are; data of aborted transactions is
 *    removed (and never supersedes anything); data of transactions still open is kept untouched
 *    (see TransactionOutcomes). Batches whose records all stay
 *    are copied byte for byte; others are rebuilt with the same baseOffset, offset deltas,
 *    lastOffsetDelta, producer fields, codec and timestamps, so every surviving record keeps its
 *    offset (compacted logs have gaps).
 * 4. Swaps each rewritten group in crash-safely: the new segment is written as `<base>.log.cleaned`
 *    (+ indexes), fdatasync'ed, renamed to `.swap` (the commit point, made durable by a directory
 *    sync), then the old segments are renamed `.deleted` and the swap file gets the real name. The
 *    log loader completes a swap it finds (see recoverCleanerFiles) and discards `.cleaned` files.
 */
import * as path from 'node:path';
import {
  ATTRIBUTES,
  CONTROL_FLAG,
  DELETE_HORIZON_FLAG,
  LOG_OVERHEAD,
  BATCH_LENGTH,
  RECORD_BATCH_OVERHEAD,
  TIMESTAMP_TYPE_LOG_APPEND,
  readBatchHeader,
  writeBatchCrc,
} from '../protocol/records/batch-header.js';
import { buildRecordBatch, decodeRecordBatch, forEachRecord, TimestampType, type RecordBatch } from '../protocol/records/batch.js';
import { readEndTxnMarker } from '../protocol/records/control.js';
import { TRANSACTIONAL_FLAG, PRODUCER_ID, BASE_OFFSET, COMPRESSION_MASK, RECORDS_COUNT } from '../protocol/records/batch-header.js';
import type { RecordInput } from '../protocol/records/record.js';
import { xxhash32 } from '../protocol/records/xxhash32.js';
import { analyzeBatches } from './batches.js';
import { isCompacted, LONG_MAX } from './config.js';
import type { FileSystem } from './file-system.js';
import type { PartitionLog } from './partition-log.js';
import { CLEANED_SUFFIX, DELETED_SUFFIX, INDEX_SUFFIX, LOG_SUFFIX, LogSegment, SWAP_SUFFIX, TIME_INDEX_SUFFIX, segmentFileName, type SegmentContext } from './segment.js';
import type { AsyncDeleter } from './resource-cache.js';

const INT32_MAX = 0x7fffffff;
/** Bytes read from a segment at a time (also bounds the synchronous work between two awaits). */
const READ_CHUNK = 256 * 1024;
/** Bytes of cleaned batches gathered before one write. */
const WRITE_CHUNK = 1024 * 1024;

/**
 * Key hash → offset with a fixed memory budget (Kafka's SkimpyOffsetMap): 64-bit key hashes
 * (two xxhash32 seeds) in open addressing, 16 bytes a slot. Hash collisions could make a record
 * look superseded; at 64 bits that needs ~4 billion keys in one map to become likely.
 */
export class OffsetMap {
  private readonly hi: Uint32Array;
  private readonly lo: Uint32Array;
  private readonly offsets: Float64Array;
  readonly slots: number;
  readonly maxEntries: number;
  size = 0;
  /** Highest offset put since the last clear (-1 if none). */
  latestOffset = -1;

  constructor(memoryBytes: number, loadFactor = 0.9) {
    this.slots = Math.max(16, Math.floor(memoryBytes / 16));
    this.maxEntries = Math.max(1, Math.floor(this.slots * loadFactor));
    this.hi = new Uint32Array(this.slots);
    this.lo = new Uint32Array(this.slots);
    this.offsets = new Float64Array(this.slots).fill(-1);
  }

  clear(): void {
    this.offsets.fill(-1);
    this.size = 0;
    this.latestOffset = -1;
  }

  get isFull(): boolean {
    return this.size >= this.maxEntries;
  }

  private slot(key: Buffer): number {
    const h = xxhash32(key, 0, key.length, 0) >>> 0;
    const l = xxhash32(key, 0, key.length, 0x9747b28c) >>> 0;
    let i = (h ^ Math.imul(l, 0x9e3779b1)) >>> 0;
    i %= this.slots;
    for (;;) {
      if (this.offsets[i]! < 0) {
        this.hi[i] = h;
        this.lo[i] = l;
        return ~i;
      }
      if (this.hi[i] === h && this.lo[i] === l) return i;
      i = i + 1 === this.slots ? 0 : i + 1;
    }
  }

  /** Records `offset` as the latest of `key`; false when the key is new and the map is full. */
  put(key: Buffer, offset: number): boolean {
    let i = this.slot(key);
    if (i < 0) {
      if (this.size >= this.maxEntries) return false;
      i = ~i;
      this.size++;
    }
    this.offsets[i] = offset;
    if (offset > this.latestOffset) this.latestOffset = offset;
    return true;
  }

  /** The latest offset of `key`, or -1. */
  get(key: Buffer): number {
    const i = this.slot(key);
    return i < 0 ? -1 : this.offsets[i]!;
  }
}

export interface CleanerStats {
  passes: number;
  bytesRead: number;
  bytesWritten: number;
  recordsRead: number;
  recordsRetained: number;
  segmentsCleaned: number;
  elapsedMs: number;
}

export function emptyCleanerStats(): CleanerStats {
  return { passes: 0, bytesRead: 0, bytesWritten: 0, recordsRead: 0, recordsRetained: 0, segmentsCleaned: 0, elapsedMs: 0 };
}

/**
 * Outcome of the transactions in the cleanable range (Kafka's cleaner uses the aborted
 * transactions of the .txnindex; this derives the same from the batches): a transactional data
 * batch is aborted when its producer's next marker is an ABORT, committed when it is a COMMIT,
 * and undecided when no marker follows in the range (an open transaction: kept, and never allowed
 * to supersede older records).
 */
export class TransactionOutcomes {
  /** producerId → [firstOffset, markerOffset, commit] ranges in offset order. */
  private readonly ranges = new Map<bigint, [bigint, bigint, boolean][]>();
  private readonly open = new Map<bigint, bigint>();
  /** producerId → base offset of its last data batch in the range (Kafka keeps it, emptied if need be, for the producer's state). */
  private readonly lastBatch = new Map<bigint, bigint>();
  transactional = 0;

  /** Whether this is the last data batch of an idempotent/transactional producer in the range. */
  isLastOfProducer(producerId: bigint, baseOffset: bigint): boolean {
    return producerId >= 0n && this.lastBatch.get(producerId) === baseOffset;
  }

  /** Feeds one batch (in offset order). */
  add(buf: Buffer, at: number, size: number): void {
    const attributes = buf.readInt16BE(at + ATTRIBUTES);
    if (!(attributes & CONTROL_FLAG)) {
      const producerId = buf.readBigInt64BE(at + PRODUCER_ID);
      if (producerId >= 0n) this.lastBatch.set(producerId, buf.readBigInt64BE(at + BASE_OFFSET));
    }
    if (!(attributes & TRANSACTIONAL_FLAG)) return;
    this.transactional++;
    const pid = buf.readBigInt64BE(at + PRODUCER_ID);
    const base = buf.readBigInt64BE(at + BASE_OFFSET);
    if (attributes & CONTROL_FLAG) {
      let marker;
      try {
        marker = readEndTxnMarker(decodeRecordBatch(buf.subarray(at, at + size), 0, { verifyCrc: false }));
      } catch {
        return;
      }
      if (!marker) return;
      const first = this.open.get(pid);
      this.open.delete(pid);
      if (first === undefined) return;
      let list = this.ranges.get(pid);
      if (!list) this.ranges.set(pid, (list = []));
      list.push([first, base, marker.commit]);
    } else if (!this.open.has(pid)) this.open.set(pid, base);
  }

  /** 'none' (not transactional), 'committed', 'aborted' or 'undecided'. */
  status(attributes: number, producerId: bigint, baseOffset: bigint): 'none' | 'committed' | 'aborted' | 'undecided' {
    if (!(attributes & TRANSACTIONAL_FLAG) || attributes & CONTROL_FLAG) return 'none';
    for (const [first, marker, commit] of this.ranges.get(producerId) ?? []) {
      if (baseOffset >= first && baseOffset < marker) return commit ? 'committed' : 'aborted';
    }
    return 'undecided';
  }
}

/** Reads the batches of a segment in [from, end) in chunks; `fn` sees each whole batch. */
async function forEachBatchBytes(seg: LogSegment, from: number, end: number, fn: (buf: Buffer, at: number, size: number) => boolean | void | Promise<boolean | void>): Promise<void> {
  let buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, Math.max(RECORD_BATCH_OVERHEAD, end - from)));
  let pos = from;
  while (pos + RECORD_BATCH_OVERHEAD <= end) {
    const n = await seg.readInto(pos, buf, 0, Math.min(buf.length, end - pos));
    if (n < RECORD_BATCH_OVERHEAD) return;
    let at = 0;
    while (at + LOG_OVERHEAD <= n) {
      const size = buf.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
      if (size < RECORD_BATCH_OVERHEAD || pos + at + size > end) return;
      if (at + size > n) {
        if (at === 0) buf = Buffer.allocUnsafe(size); // one batch larger than the buffer
        break;
      }
      if ((await fn(buf, at, size)) === false) return;
      at += size;
    }
    pos += at;
  }
}

/** What the cleaner needs from a log, read under the log's lock (see PartitionLog.cleanerSnapshot). */
export interface CleanerSnapshot {
  /** Inactive segments wholly below the high watermark, oldest first, with the next segment's base offset. */
  segments: { segment: LogSegment; next: bigint }[];
  logStartOffset: bigint;
}

export interface CleanerOptions {
  fs: FileSystem;
  deleter: AsyncDeleter;
  now: () => number;
  /** Memory of the offset map. */
  dedupeBufferSize: number;
  loadFactor?: number;
}

/** Cleans compacted logs one at a time, sharing one offset map. */
export class LogCleaner {
  private map: OffsetMap | undefined;
  readonly stats: CleanerStats = emptyCleanerStats();
  /** Test hook: called between the steps of a swap. */
  onStep?: (step: 'cleaned' | 'swap' | 'deleted' | 'done') => Promise<void> | void;

  constructor(private readonly options: CleanerOptions) {}

  private stopped = false;

  /** Shutdown: a cleaning in progress gives up at its next segment (nothing half-swapped stays: see replaceSegments). */
  stop(): void {
    this.stopped = true;
  }

  private checkStopped(): void {
    if (this.stopped) throw new Error('log cleaner stopped');
  }

  /** New offset map size (dynamic log.cleaner.dedupe.buffer.size), from the next cleaning on. */
  resize(dedupeBufferSize: number, loadFactor: number): void {
    this.options.dedupeBufferSize = dedupeBufferSize;
    this.options.loadFactor = loadFactor;
    this.map = undefined;
  }

  /** Drops the offset map between runs (it is allocated again by the next cleaning). */
  releaseMemory(): void {
    this.map = undefined;
  }

  private offsetMap(): OffsetMap {
    this.map ??= new OffsetMap(this.options.dedupeBufferSize, this.options.loadFactor ?? 0.9);
    return this.map;
  }

  /**
   * Cleans `log` if it is compacted and due (or `force`): one pass (map-sized) at a time until the
   * dirty range is done. Returns whether anything was cleaned.
   */
  async clean(log: PartitionLog, force = false): Promise<boolean> {
    const config = log.config;
    if (!isCompacted(config) || log.isOffline) return false;
    let cleaned = false;
    for (let pass = 0; pass < 1000; pass++) {
      const did = await this.cleanPass(log, force || pass > 0 || cleaned);
      if (did === 'none') break;
      cleaned = true;
      if (did === 'done') break;
    }
    return cleaned;
  }

  /** Dirty ratio and the range, or undefined when the log has nothing cleanable. */
  async cleanableRange(log: PartitionLog): Promise<{ firstDirty: bigint; firstUncleanable: bigint; cleanBytes: number; dirtyBytes: number; ratio: number; segments: { segment: LogSegment; next: bigint }[]; overdue: boolean } | undefined> {
    const config = log.config;
    const now = this.options.now();
    const snap = await log.cleanerSnapshot();
    const segs: { segment: LogSegment; next: bigint }[] = [];
    for (const s of snap.segments) {
      await s.segment.ensureLoaded();
      if (config.minCompactionLagMs > 0) {
        const ts = s.segment.maxTimestampSoFar;
        if (ts >= 0 && now - ts < config.minCompactionLagMs) break;
      }
      segs.push(s);
    }
    if (segs.length === 0) return undefined;
    const firstUncleanable = segs[segs.length - 1]!.next;
    let firstDirty = log.cleanerCheckpoint ?? snap.logStartOffset;
    if (firstDirty < snap.logStartOffset) firstDirty = snap.logStartOffset;
    if (firstDirty > firstUncleanable) firstDirty = firstUncleanable;
    let cleanBytes = 0;
    let dirtyBytes = 0;
    let overdue = false;
    for (const s of segs) {
      if (s.next <= firstDirty) cleanBytes += s.segment.size;
      else {
        dirtyBytes += s.segment.size;
        if (config.maxCompactionLagMs < LONG_MAX && !overdue) {
          const first = s.segment.rollingBasedTimestamp ?? s.segment.maxTimestampSoFar;
          if (first >= 0 && now - first > config.maxCompactionLagMs) overdue = true;
        }
      }
    }
    const total = cleanBytes + dirtyBytes;
    return { firstDirty, firstUncleanable, cleanBytes, dirtyBytes, ratio: total > 0 ? dirtyBytes / total : 0, segments: segs, overdue };
  }

  /** 'none': nothing to do; 'more': cleaned part of the dirty range; 'done': cleaned it all. */
  private async cleanPass(log: PartitionLog, force: boolean): Promise<'none' | 'more' | 'done'> {
    const started = performance.now();
    const config = log.config;
    const now = this.options.now();
    const range = await this.cleanableRange(log);
    if (!range) return 'none';
    const horizonDue = log.latestDeleteHorizon >= 0 && log.latestDeleteHorizon <= now;
    const hasDirty = range.firstDirty < range.firstUncleanable;
    if (!hasDirty && !horizonDue) return 'none';
    if (!force && !horizonDue && !range.overdue && range.ratio < config.minCleanableRatio) return 'none';

    // Transactions in the range: aborted data is dropped, open transactions are left alone.
    const txns = new TransactionOutcomes();
    for (const s of range.segments) {
      this.checkStopped();
      await forEachBatchBytes(s.segment, 0, s.segment.size, (buf, at, size) => txns.add(buf, at, size));
    }

    // 2. Offset map over the dirty range.
    const map = this.offsetMap();
    map.clear();
    let endOffset = range.firstUncleanable;
    let full = false;
    for (const s of range.segments) {
      if (s.next <= range.firstDirty) continue;
      this.checkStopped();
      const seg = s.segment;
      await forEachBatchBytes(seg, 0, seg.size, (buf, at, size) => {
        const header = readBatchHeader(buf, at);
        const last = header.baseOffset + BigInt(header.lastOffsetDelta);
        if (last < range.firstDirty) return;
        this.stats.bytesRead += size;
        if (header.attributes & CONTROL_FLAG) return;
        const outcome = txns.status(header.attributes, header.producerId, header.baseOffset);
        if (outcome === 'aborted' || outcome === 'undecided') return;
        const batch = decodeRecordBatch(buf.subarray(at, at + size), 0, { verifyCrc: false, maxDecompressedBytes: 1 << 30 });
        forEachRecord(batch, (r) => {
          if (full || r.key === null || r.offset < range.firstDirty) return;
          if (!map.put(r.key, Number(r.offset))) full = true;
        });
        if (full) return false;
      });
      if (full) {
        endOffset = BigInt(map.latestOffset) + 1n;
        break;
      }
    }
    if (endOffset <= range.firstDirty && hasDirty) return 'none'; // not even one record fits: cannot progress

    // 3. Rewrite the segments below endOffset, group by group.
    const toClean = range.segments.filter((s) => s.segment.baseOffset < endOffset);
    const groups = groupSegments(toClean, config.segmentBytes, config.segmentIndexBytes);
    const deleteHorizon = now + config.deleteRetentionMs;
    let latestHorizon = -1;
    for (const group of groups) {
      const result = await this.cleanGroup(log, group, map, now, deleteHorizon, txns);
      if (result === undefined) return 'none'; // the log changed under us (retention, deletion): try later
      if (result.latestHorizon > latestHorizon) latestHorizon = result.latestHorizon;
    }
    log.latestDeleteHorizon = latestHorizon;
    log.cleanerCheckpoint = endOffset > range.firstDirty ? endOffset : range.firstDirty;
    this.stats.passes++;
    this.stats.elapsedMs += performance.now() - started;
    return full ? 'more' : 'done';
  }

  /** Writes one group as a `.cleaned` segment and swaps it in; undefined if the log changed meanwhile. */
  private async cleanGroup(
    log: PartitionLog,
    group: { segment: LogSegment; next: bigint }[],
    map: OffsetMap,
    now: number,
    deleteHorizon: number,
    txns: TransactionOutcomes,
  ): Promise<{ latestHorizon: number } | undefined> {
    const first = group[0]!.segment;
    const sctx: SegmentContext = log.segmentContextForCleaner();
    const cleaned = await LogSegment.create(sctx, log.dir, first.baseOffset, CLEANED_SUFFIX);
    let latestHorizon = -1;
    const pending: Buffer[] = [];
    let pendingBytes = 0;
    const flushPending = async () => {
      if (pendingBytes === 0) return;
      const bytes = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      pending.length = 0;
      pendingBytes = 0;
      await cleaned.append(bytes, analyzeBatches(bytes, LONG_MAX, LONG_MAX), now);
      this.stats.bytesWritten += bytes.length;
    };
    const emit = async (batch: Buffer) => {
      pending.push(batch);
      pendingBytes += batch.length;
      if (pendingBytes >= WRITE_CHUNK) await flushPending();
    };
    try {
      for (const { segment } of group) {
        this.checkStopped();
        const outputs: Buffer[] = [];
        await forEachBatchBytes(segment, 0, segment.size, (buf, at, size) => {
          const bytes = buf.subarray(at, at + size);
          const out = this.cleanBatch(bytes, map, now, deleteHorizon, txns);
          if (out.horizon >= 0 && (latestHorizon < 0 || out.horizon > latestHorizon)) latestHorizon = out.horizon;
          if (out.batch) outputs.push(out.batch === bytes ? Buffer.from(bytes) : out.batch);
        });
        for (const b of outputs) await emit(b);
        this.stats.segmentsCleaned++;
      }
      await flushPending();
      cleaned.onBecomeInactive();
      await cleaned.flush();
      await this.onStep?.('cleaned');
    } catch (e) {
      await discardSegmentFiles(this.options.fs, cleaned).catch(() => undefined);
      throw e;
    }
    const swapped = await log.replaceSegments(
      group.map((g) => g.segment),
      cleaned,
      this.onStep,
    );
    if (!swapped) {
      await discardSegmentFiles(this.options.fs, cleaned).catch(() => undefined);
      return undefined;
    }
    return { latestHorizon };
  }

  /**
   * One batch through the cleaner: the same bytes (all records stay), a rebuilt batch, or none.
   * `horizon` is the delete horizon the output carries (-1 if none).
   */
  cleanBatch(bytes: Buffer, map: OffsetMap, now: number, deleteHorizon: number, txns?: TransactionOutcomes): { batch: Buffer | undefined; horizon: number } {
    const attributes = bytes.readInt16BE(ATTRIBUTES);
    if (attributes & CONTROL_FLAG) return { batch: bytes, horizon: -1 };
    const producerId = bytes.readBigInt64BE(PRODUCER_ID);
    const keepEmpty = txns?.isLastOfProducer(producerId, bytes.readBigInt64BE(BASE_OFFSET)) ?? false;
    if (txns) {
      const outcome = txns.status(attributes, producerId, bytes.readBigInt64BE(BASE_OFFSET));
      if (outcome === 'aborted') return { batch: keepEmpty ? emptyBatchLike(bytes) : undefined, horizon: -1 }; // aborted data goes (Kafka's cleaner discards it)
      if (outcome === 'undecided') return { batch: bytes, horizon: -1 }; // an open transaction: untouched
    }
    const batch: RecordBatch = decodeRecordBatch(bytes, 0, { verifyCrc: false, maxDecompressedBytes: 1 << 30 });
    const hasHorizon = (attributes & DELETE_HORIZON_FLAG) !== 0;
    const oldHorizon = hasHorizon ? Number(batch.baseTimestamp) : -1;
    const retained: RecordInput[] = [];
    let removed = 0;
    let tombstones = 0;
    forEachRecord(batch, (r) => {
      this.stats.recordsRead++;
      let keep = r.key !== null && Number(r.offset) >= map.get(r.key);
      if (keep && r.value === null) {
        if (hasHorizon && now >= oldHorizon) keep = false;
        else tombstones++;
      }
      if (!keep) {
        removed++;
        return;
      }
      retained.push({
        key: r.key,
        value: r.value,
        headers: r.headers,
        timestamp: Number(batch.baseTimestamp) + r.timestampDelta,
        offsetDelta: r.offsetDelta,
      });
    });
    this.stats.recordsRetained += retained.length;
    const needsHorizon = tombstones > 0 && !hasHorizon;
    if (removed === 0 && !needsHorizon) return { batch: bytes, horizon: tombstones > 0 ? oldHorizon : -1 };
    // Kafka's RETAIN_EMPTY: the last batch of a producer stays (without records) so that its
    // sequence and epoch survive in the log for the producer state.
    if (retained.length === 0) return { batch: keepEmpty ? emptyBatchLike(bytes) : undefined, horizon: -1 };
    const horizon = tombstones === 0 ? -1 : hasHorizon ? oldHorizon : deleteHorizon;
    const logAppendTime = (attributes & TIMESTAMP_TYPE_LOG_APPEND) !== 0;
    let baseTimestamp = horizon >= 0 ? horizon : Number(batch.baseTimestamp);
    if (horizon < 0 && hasHorizon) baseTimestamp = Number(retained[0]!.timestamp);
    const out = buildRecordBatch(retained, {
      baseOffset: batch.baseOffset,
      partitionLeaderEpoch: batch.partitionLeaderEpoch,
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
      baseSequence: batch.baseSequence,
      transactional: batch.isTransactional,
      compression: batch.compression,
      timestampType: logAppendTime ? TimestampType.LogAppendTime : TimestampType.CreateTime,
      baseTimestamp,
      maxTimestamp: logAppendTime ? batch.maxTimestamp : undefined,
      lastOffsetDelta: batch.lastOffsetDelta,
    });
    if (horizon >= 0) {
      out.writeInt16BE(out.readInt16BE(ATTRIBUTES) | DELETE_HORIZON_FLAG, ATTRIBUTES);
      writeBatchCrc(out, 0, out.length);
    }
    return { batch: out, horizon };
  }
}

/**
 * The header of `bytes` with no records (Kafka's DefaultRecordBatch.writeEmptyHeader): same base
 * offset, lastOffsetDelta, producer id/epoch/sequence, flags and timestamps; uncompressed.
 */
export function emptyBatchLike(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes.subarray(0, RECORD_BATCH_OVERHEAD));
  out.writeInt32BE(RECORD_BATCH_OVERHEAD - LOG_OVERHEAD, BATCH_LENGTH);
  out.writeInt16BE(out.readInt16BE(ATTRIBUTES) & ~COMPRESSION_MASK, ATTRIBUTES);
  out.writeInt32BE(0, RECORDS_COUNT);
  writeBatchCrc(out, 0, out.length);
  return out;
}

/** Consecutive segments whose cleaned data fits one segment (Kafka's groupSegmentsBySize). */
export function groupSegments<T extends { segment: LogSegment; next: bigint }>(segments: readonly T[], maxSize: number, maxIndexSize: number): T[][] {
  const groups: T[][] = [];
  let i = 0;
  while (i < segments.length) {
    const group = [segments[i]!];
    let size = segments[i]!.segment.size;
    let indexSize = segments[i]!.segment.offsetIndexEntries * 8;
    const base = segments[i]!.segment.baseOffset;
    i++;
    while (i < segments.length) {
      const s = segments[i]!;
      if (size + s.segment.size > maxSize) break;
      if (indexSize + s.segment.offsetIndexEntries * 8 > maxIndexSize) break;
      if (s.next - 1n - base > BigInt(INT32_MAX)) break;
      size += s.segment.size;
      indexSize += s.segment.offsetIndexEntries * 8;
      group.push(s);
      i++;
    }
    groups.push(group);
  }
  return groups;
}

async function discardSegmentFiles(fs: FileSystem, seg: LogSegment): Promise<void> {
  seg.close();
  for (const f of [seg.logPath, seg.indexPath, seg.timeIndexPath]) {
    await fs.unlink(f).catch(() => undefined);
  }
}

/**
 * At load, before the segments are listed (Kafka's LogLoader.removeTempFilesAndCollectSwapFiles
 * and completeSwapOperations): `.cleaned` files are an unfinished cleaning and are removed, with
 * any swap file at or above the lowest of them; a `<base>.log.swap` is a committed cleaning: the
 * segments it replaces (base offsets in [base, its last offset]) are deleted and it takes the
 * real name. Swap index files are removed (rebuilt from the log on load). Returns how many files
 * were handled.
 */
export async function recoverCleanerFiles(sctx: SegmentContext, dir: string, names: readonly string[], deleter: AsyncDeleter): Promise<number> {
  const fs = sctx.fs;
  const parse = (name: string, suffix: string): { base: bigint; kind: string } | undefined => {
    const m = new RegExp(`^(\\d{20})(\\.log|\\.index|\\.timeindex)${suffix.replace('.', '\\.')}$`).exec(name);
    return m ? { base: BigInt(m[1]!), kind: m[2]! } : undefined;
  };
  let handled = 0;
  let minCleaned: bigint | undefined;
  for (const name of names) {
    const p = parse(name, CLEANED_SUFFIX);
    if (!p) continue;
    if (minCleaned === undefined || p.base < minCleaned) minCleaned = p.base;
    await fs.unlink(path.join(dir, name));
    handled++;
  }
  const swaps: bigint[] = [];
  for (const name of names) {
    const p = parse(name, SWAP_SUFFIX);
    if (!p) continue;
    if (p.kind !== LOG_SUFFIX || (minCleaned !== undefined && p.base >= minCleaned)) {
      await fs.unlink(path.join(dir, name));
      handled++;
    } else swaps.push(p.base);
  }
  if (handled === 0 && swaps.length === 0) return 0;
  const logs = names
    .map((n) => /^(\d{20})\.log$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => BigInt(m[1]!));
  for (const base of swaps) {
    const seg = new LogSegment(sctx, dir, base, -1, SWAP_SUFFIX);
    const { nextOffset } = await seg.recover(undefined, base);
    seg.close();
    const last = nextOffset > base ? nextOffset - 1n : base;
    for (const old of logs) {
      if (old < base || old > last) continue;
      for (const suffix of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) {
        const f = path.join(dir, segmentFileName(old, suffix));
        try {
          await fs.rename(f, f + DELETED_SUFFIX);
          deleter.schedule(f + DELETED_SUFFIX, 0);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
      }
    }
    for (const suffix of [INDEX_SUFFIX, TIME_INDEX_SUFFIX]) await fs.unlink(path.join(dir, segmentFileName(base, suffix))).catch(() => undefined);
    await fs.rename(path.join(dir, segmentFileName(base, LOG_SUFFIX) + SWAP_SUFFIX), path.join(dir, segmentFileName(base, LOG_SUFFIX)));
    handled++;
  }
  await fs.syncDir(dir);
  return handled;
}
