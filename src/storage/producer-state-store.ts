/**
 * Where a partition's producer state lives on disk, next to its segments, in Kafka's formats:
 *
 * - `<offset %020d>.snapshot`: the producers as of that offset (ProducerStateManager's
 *   snapshot v1, CRC-checked), taken on a clean close and, while the partition is quiet, after
 *   every `SNAPSHOT_EVERY_BYTES` appended; written atomically;
 * - `<segment base %020d>.txnindex`: the aborted transactions whose ABORT marker went to that
 *   segment (34-byte AbortedTxn entries), fdatasync'ed as they are written; removed at the next
 *   load once retention deleted the segment.
 *
 * All I/O goes through the storage FileSystem, so the crash tests cover it.
 *
 * Loading takes the newest readable snapshot at or below the log end offset and replays the log
 * after it (all of it without a snapshot). Index entries below that replay start are trusted: a
 * snapshot is only taken when no producer append or marker is in flight, so every marker below it
 * was indexed durably before. Entries from the replay start on (possibly torn, or for markers a
 * crash took back) are dropped and rebuilt from the markers the replay meets, so the indexes
 * agree with the recovered log. Ongoing transactions come back with their first offsets (the last
 * stable offset stays below them until the transaction coordinator completes them).
 */
import { join } from 'node:path';
import { batchAttributes, batchSize, readBatchHeader, readEndTxnMarker, decodeRecordBatch, RECORD_BATCH_OVERHEAD } from '../protocol/records/index.js';
import { writeFileAtomic, type FileSystem } from './file-system.js';
import type { PartitionLog } from './partition-log.js';
import { ABORTED_TXN_SIZE, encodeAbortedTxn, decodeAbortedTxns, snapshotFileName, type AbortedTxn, type ProducerStateManager } from './producer-state.js';

const SNAPSHOT_EVERY_BYTES = 64 * 1024 * 1024;
const SNAPSHOTS_KEPT = 2;
const SCAN_READ_BYTES = 4 * 1024 * 1024;
const TXN_INDEX_SUFFIX = '.txnindex';
const SNAPSHOT_SUFFIX = '.snapshot';

function offsetOfFile(name: string, suffix: string): bigint | undefined {
  if (!name.endsWith(suffix)) return undefined;
  const base = name.slice(0, -suffix.length);
  return /^\d{20}$/.test(base) ? BigInt(base) : undefined;
}

export function txnIndexFileName(segmentBase: bigint): string {
  return `${segmentBase.toString().padStart(20, '0')}${TXN_INDEX_SUFFIX}`;
}

/** Snapshot offsets found in a directory listing, newest first. */
function snapshotOffsets(names: readonly string[]): bigint[] {
  return names
    .map((n) => offsetOfFile(n, SNAPSHOT_SUFFIX))
    .filter((o): o is bigint => o !== undefined)
    .sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
}

export class ProducerStateStore {
  private bytesSinceSnapshot = 0;
  private snapshotting: Promise<void> | undefined;
  /** The log end offset of the newest snapshot on disk (-1: none). */
  private snapshotOffset = -1n;
  /** Appends of producer batches or markers not yet reflected in the state. */
  inFlight = 0;

  constructor(
    private readonly log: PartitionLog,
    private readonly state: ProducerStateManager,
  ) {}

  private get fs(): FileSystem {
    return this.log.fileSystem;
  }

  private get dir(): string {
    return this.log.dir;
  }

  /** Rebuilds the state from the snapshot, the transaction indexes and the log tail. */
  async load(): Promise<{ scannedBytes: number; snapshot: bigint | undefined }> {
    const { log, state } = this;
    const leo = log.logEndOffset;
    const lso = log.logStartOffset;
    const names = await this.fs.readdir(this.dir);
    const snapshot = await this.loadNewestSnapshot(names, leo);
    this.snapshotOffset = snapshot ?? -1n;
    const replayFrom = snapshot === undefined || snapshot < lso ? lso : snapshot;
    state.aborted = await this.loadTxnIndexes(names, replayFrom);
    let offset = replayFrom;
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
              const t = state.applyMarker(h.producerId, h.producerEpoch, marker.coordinatorEpoch, marker.commit, marker.offset, marker.timestamp);
              if (t) reindex.push(t);
            }
          } else {
            state.replayBatch({ ...h, isTransactional: attrs.isTransactional });
          }
        }
        offset = last + 1n;
        at += size;
      }
    }
    for (const t of reindex) await this.indexAborted(t);
    return { scannedBytes, snapshot };
  }

  /** Loads the newest readable snapshot at or below `leo`; removes newer and unreadable ones. */
  private async loadNewestSnapshot(names: readonly string[], leo: bigint): Promise<bigint | undefined> {
    for (const o of snapshotOffsets(names)) {
      const file = join(this.dir, snapshotFileName(o));
      if (o <= leo) {
        try {
          this.state.loadSnapshot(await this.fs.readFile(file));
          return o;
        } catch {
          // Torn or corrupt (loadSnapshot checks the CRC before it changes anything): older ones, or the log, tell the same.
        }
      }
      await this.fs.remove(file);
    }
    return undefined;
  }

  /**
   * The aborted transactions below `replayFrom` from the indexes, in marker order. Each index
   * keeps its longest valid prefix of such entries (ascending, below the next segment; the file is
   * rewritten when anything follows it); indexes of deleted segments are removed.
   */
  private async loadTxnIndexes(names: readonly string[], replayFrom: bigint): Promise<AbortedTxn[]> {
    const lso = this.log.logStartOffset;
    const bases = this.log.segmentBaseOffsets();
    const out = new Map<bigint, AbortedTxn>();
    for (const name of names.filter((n) => offsetOfFile(n, TXN_INDEX_SUFFIX) !== undefined).sort()) {
      const file = join(this.dir, name);
      const k = bases.indexOf(offsetOfFile(name, TXN_INDEX_SUFFIX)!);
      if (k < 0) {
        // Its segment was deleted (retention): every marker it indexed lies below the log start.
        await this.fs.remove(file);
        continue;
      }
      const next = k + 1 < bases.length && bases[k + 1]! < replayFrom ? bases[k + 1]! : replayFrom;
      const bytes = await this.fs.readFile(file);
      const kept: AbortedTxn[] = [];
      for (const t of decodeAbortedTxns(bytes)) {
        const previous = kept.length > 0 ? kept[kept.length - 1]!.lastOffset : -1n;
        if (t.lastOffset <= previous || t.lastOffset >= next || t.firstOffset > t.lastOffset) break;
        kept.push(t);
      }
      if (kept.length * ABORTED_TXN_SIZE !== bytes.length) await writeFileAtomic(this.fs, file, Buffer.concat(kept.map(encodeAbortedTxn)));
      for (const t of kept) if (t.lastOffset >= lso) out.set(t.lastOffset, t);
    }
    return [...out.values()].sort((a, b) => (a.lastOffset < b.lastOffset ? -1 : 1));
  }

  /** Adds an aborted transaction to the `.txnindex` of the segment holding its marker (durably). */
  async indexAborted(t: AbortedTxn): Promise<void> {
    const bases = this.log.segmentBaseOffsets();
    let base = bases[0]!;
    for (const b of bases) if (b <= t.lastOffset) base = b;
    const fh = await this.fs.open(join(this.dir, txnIndexFileName(base)), 'create');
    let created = false;
    try {
      const size = await fh.size();
      created = size === 0;
      const entry = encodeAbortedTxn(t);
      // A failed earlier write may have left part of an entry: overwrite it.
      await fh.write(entry, 0, entry.length, size - (size % ABORTED_TXN_SIZE));
      await fh.datasync();
    } finally {
      await fh.close();
    }
    if (created) await this.fs.syncDir(this.dir);
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

  /**
   * Writes a snapshot at the log end offset (only when no producer append is in flight), unless
   * the newest one is already there (Kafka's takeSnapshot: only for a new offset): a partition
   * that took no writes since its last snapshot costs a stop nothing.
   */
  async takeSnapshot(): Promise<void> {
    await this.snapshotting;
    if (this.inFlight !== 0) return;
    const offset = this.log.logEndOffset;
    if (offset === this.snapshotOffset) return;
    const data = this.state.encodeSnapshot();
    this.bytesSinceSnapshot = 0;
    await writeFileAtomic(this.fs, join(this.dir, snapshotFileName(offset)), data);
    this.snapshotOffset = offset;
    for (const o of snapshotOffsets(await this.fs.readdir(this.dir)).slice(SNAPSHOTS_KEPT)) {
      await this.fs.remove(join(this.dir, snapshotFileName(o)));
    }
  }
}
