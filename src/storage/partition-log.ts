import { ATTRIBUTES, TIMESTAMP_TYPE_LOG_APPEND, assignOffsets, setLogAppendTime } from '../protocol/records/batch-header.js';
import type { BatchesSummary } from '../protocol/records/validate.js';
import { analyzeBatches, batchesOfSummary, lastOffsetOf, type BatchInfo } from './batches.js';
import { isDeleteRetention, LONG_MAX } from './config.js';
import { KafkaStorageError, OffsetOutOfRangeError, OffsetsOutOfOrderError } from './errors.js';
import { LocalLog } from './local-log.js';
import { recordTimestampsOfBatch } from './record-timestamps.js';
import { LogSegment, SWAP_SUFFIX, type SegmentContext } from './segment.js';

/** Special timestamps of ListOffsets. */
export const EARLIEST_TIMESTAMP = -2n;
export const LATEST_TIMESTAMP = -1n;
export const MAX_TIMESTAMP = -3n;
export const EARLIEST_LOCAL_TIMESTAMP = -4n;

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

export interface TimestampAndOffset {
  timestamp: bigint;
  offset: bigint;
  /** Leader epoch of the batch holding the offset (-1 if unknown). */
  leaderEpoch: number;
}

/**
 * All state of one partition's log, in one place (Kafka's UnifiedLog; the segments, rolling,
 * flushing and reading are its LocalLog base).
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
export class PartitionLog extends LocalLog {
  /** Log cleaner: offsets below this were cleaned (the "first dirty offset"); undefined = never cleaned. */
  cleanerCheckpoint: bigint | undefined;
  /** Log cleaner: latest delete horizon of retained tombstones (-1: none known). */
  latestDeleteHorizon = -1;

  protected notifyOffline(error: KafkaStorageError): void {
    this.ctx.onOffline?.(this, error);
  }

  /**
   * Appends batches as leader: assigns offsets from the log end offset by patching baseOffset and
   * partitionLeaderEpoch in `records` in place (outside the CRC), stamps LogAppendTime if
   * configured, and writes the bytes as they are. `records` holds one or more v2 batches whose
   * CRCs the caller checked; it must not be modified until the promise settles.
   * In durable mode the promise resolves once the bytes are fdatasync'ed.
   *
   * `validated`: the log validator's summary of exactly these bytes (validateBatches); the append
   * then trusts it instead of walking the batch headers again. Without it the headers are read
   * and checked here (coordinators, markers, tools).
   */
  append(records: Buffer, leaderEpoch: number, validated?: BatchesSummary): Promise<LogAppendInfo> {
    return this.doAppend(records, true, leaderEpoch, validated);
  }

  /**
   * Appends batches that already carry offsets (followers, recovery tools): offsets must be
   * strictly increasing and start at or above the log end offset (gaps are allowed, as after
   * compaction). Epochs are taken from the batches.
   */
  appendAsFollower(records: Buffer): Promise<LogAppendInfo> {
    return this.doAppend(records, false, -1);
  }

  private async doAppend(records: Buffer, assign: boolean, leaderEpoch: number, validated?: BatchesSummary): Promise<LogAppendInfo> {
    this.ensureOnline();
    const config = this._config;
    const maxMessageBytes = assign ? config.maxMessageBytes : LONG_MAX;
    const batches = validated ? batchesOfSummary(records, validated, maxMessageBytes, config.segmentBytes) : analyzeBatches(records, maxMessageBytes, config.segmentBytes);
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
    const sync = this.afterWrite(config, numMessages, records.length);
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

  /**
   * Sets the high watermark, clamped so that logStartOffset <= highWatermark <= logEndOffset holds;
   * returns the value set. (The loader restores it from replication-offset-checkpoint this way.)
   */
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

  /** Moves the log start forward; the high watermark follows if below it (logStartOffset <= highWatermark). */
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

  /**
   * Removes everything at and after `offset` (whole batches; follower truncation). The log end
   * offset becomes the offset after the last remaining batch. Returns whether anything was removed;
   * epochs starting at or after the (new) log end offset are dropped either way.
   */
  truncateTo(offset: bigint): Promise<boolean> {
    this.ensureOnline();
    return this.queue.run(async () => {
      if (offset >= this._logEndOffset) {
        // Nothing to remove, but an epoch this replica started as leader without appending to it
        // (at the log end) must go, as Kafka's truncateTo does: else its fetches keep naming that
        // epoch as the last fetched, and the leader keeps answering the same diverging epoch.
        this.leaderEpochCache.truncateFromEnd(this._logEndOffset);
        return false;
      }
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

}
