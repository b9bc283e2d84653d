/**
 * Where a partition's producer state lives on disk, next to its segments, in Kafka's formats:
 *
 * - `<offset %020d>.snapshot`: the producers as of that offset (ProducerStateManager's
 *   snapshot v1), taken on a clean close and, while the partition is quiet, after every
 *   `SNAPSHOT_EVERY_BYTES` appended;
 * - `<segment base %020d>.txnindex`: the aborted transactions whose ABORT marker went to that
 *   segment (34-byte AbortedTxn entries), fsync'ed as they are written; removed at the next
 *   load once retention deleted the segment.
 *
 * Loading takes the newest snapshot at or below the log end offset and replays the log after it
 * (all of it without a snapshot), so an unclean stop loses nothing: ongoing transactions come
 * back with their first offsets (the last stable offset stays below them until the transaction
 * coordinator completes them) and aborted markers missing from the index are indexed again.
 */
import { open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { batchAttributes, batchSize, readBatchHeader, readEndTxnMarker, decodeRecordBatch, RECORD_BATCH_OVERHEAD } from '../protocol/records/index.js';
import { encodeAbortedTxn, decodeAbortedTxns, snapshotFileName, type AbortedTxn } from '../storage/producer-state.js';
import type { Partition } from './replica/partition.js';

const SNAPSHOT_EVERY_BYTES = 64 * 1024 * 1024;
const SNAPSHOTS_KEPT = 2;
const SCAN_READ_BYTES = 4 * 1024 * 1024;

function offsetOfFile(name: string, suffix: string): bigint | undefined {
  if (!name.endsWith(suffix)) return undefined;
  const base = name.slice(0, -suffix.length);
  return /^\d{20}$/.test(base) ? BigInt(base) : undefined;
}

export class ProducerStateStore {
  private bytesSinceSnapshot = 0;
  private snapshotting: Promise<void> | undefined;
  /** Appends of producer batches or markers not yet reflected in the state. */
  inFlight = 0;

  constructor(private readonly partition: Partition) {}

  private get dir(): string {
    return this.partition.log.dir;
  }

  /** Rebuilds the state from the snapshot, the transaction indexes and the log tail. */
  async load(): Promise<{ scannedBytes: number; snapshot: bigint | undefined }> {
    const p = this.partition;
    const log = p.log;
    const state = p.producers;
    const leo = log.logEndOffset;
    const lso = log.logStartOffset;
    let names: string[] = [];
    try {
      names = await readdir(this.dir);
    } catch {
      return { scannedBytes: 0, snapshot: undefined };
    }
    // Aborted transactions from the indexes.
    const aborted = new Map<bigint, AbortedTxn>();
    const segments = new Set(log.segmentBaseOffsets());
    for (const name of names.filter((n) => offsetOfFile(n, '.txnindex') !== undefined).sort()) {
      if (!segments.has(offsetOfFile(name, '.txnindex')!)) {
        // Its segment was deleted (retention): every marker it indexed lies below the log start.
        await rm(join(this.dir, name), { force: true });
        continue;
      }
      for (const t of decodeAbortedTxns(await readFile(join(this.dir, name)))) {
        if (t.lastOffset < leo && t.lastOffset >= lso) aborted.set(t.lastOffset, t);
      }
    }
    // The newest usable snapshot.
    const snapshots = names
      .map((n) => offsetOfFile(n, '.snapshot'))
      .filter((o): o is bigint => o !== undefined)
      .sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    let from: bigint | undefined;
    for (const o of snapshots) {
      if (o > leo) {
        await rm(join(this.dir, snapshotFileName(o)), { force: true });
        continue;
      }
      try {
        state.loadSnapshot(await readFile(join(this.dir, snapshotFileName(o))));
        from = o;
        break;
      } catch {
        await rm(join(this.dir, snapshotFileName(o)), { force: true });
      }
    }
    const snapshot = from;
    state.aborted = [...aborted.values()].sort((a, b) => (a.lastOffset < b.lastOffset ? -1 : 1));
    // Replay the log after it.
    let offset = from === undefined || from < lso ? lso : from;
    let scannedBytes = 0;
    const reindex: AbortedTxn[] = [];
    while (offset < leo) {
      const data = await log.readRecords(offset, SCAN_READ_BYTES, leo, true);
      if (data.length === 0) break;
      scannedBytes += data.length;
      for (let at = 0; at + RECORD_BATCH_OVERHEAD <= data.length; ) {
        const size = batchSize(data, at);
        if (at + size > data.length) break;
        const h = readBatchHeader(data, at);
        const attrs = batchAttributes(h.attributes);
        const last = h.baseOffset + BigInt(h.lastOffsetDelta);
        if (last >= offset) {
          if (attrs.isControl) {
            const marker = readEndTxnMarker(decodeRecordBatch(data, at, { verifyCrc: false }));
            if (marker) {
              const known = aborted.has(marker.offset);
              const t = state.applyMarker(h.producerId, h.producerEpoch, marker.coordinatorEpoch, marker.commit, marker.offset, marker.timestamp);
              if (t && known) state.aborted.pop();
              else if (t) reindex.push(t);
            }
          } else {
            state.replayBatch({ ...h, isTransactional: attrs.isTransactional });
          }
        }
        offset = last + 1n;
        at += size;
      }
    }
    state.aborted.sort((a, b) => (a.lastOffset < b.lastOffset ? -1 : 1));
    for (const t of reindex) await this.writeIndexEntry(t, log.activeSegment.baseOffset);
    return { scannedBytes, snapshot };
  }

  /** Adds an aborted transaction to the active segment's `.txnindex` (durably). */
  indexAborted(t: AbortedTxn): Promise<void> {
    return this.writeIndexEntry(t, this.partition.log.activeSegment.baseOffset);
  }

  private async writeIndexEntry(t: AbortedTxn, segmentBase: bigint): Promise<void> {
    const fh = await open(join(this.dir, `${segmentBase.toString().padStart(20, '0')}.txnindex`), 'a');
    try {
      await fh.write(encodeAbortedTxn(t));
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }

  /** Counts appended bytes; a snapshot is taken now and then, when nothing is in flight. */
  appended(bytes: number): void {
    this.bytesSinceSnapshot += bytes;
    if (this.bytesSinceSnapshot >= SNAPSHOT_EVERY_BYTES && this.inFlight === 0 && !this.snapshotting) {
      this.snapshotting = this.takeSnapshot()
        .catch(() => undefined)
        .finally(() => (this.snapshotting = undefined));
    }
  }

  /** Writes a snapshot at the log end offset (only when no producer append is in flight). */
  async takeSnapshot(): Promise<void> {
    await this.snapshotting;
    if (this.inFlight !== 0) return;
    const offset = this.partition.log.logEndOffset;
    const data = this.partition.producers.encodeSnapshot();
    this.bytesSinceSnapshot = 0;
    const file = join(this.dir, snapshotFileName(offset));
    const fh = await open(`${file}.tmp`, 'w');
    try {
      await fh.write(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    const { rename } = await import('node:fs/promises');
    await rename(`${file}.tmp`, file);
    // Keep the newest few.
    const names = await readdir(this.dir);
    const offsets = names
      .map((n) => offsetOfFile(n, '.snapshot'))
      .filter((o): o is bigint => o !== undefined)
      .sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    for (const o of offsets.slice(SNAPSHOTS_KEPT)) await rm(join(this.dir, snapshotFileName(o)), { force: true });
  }
}
