/**
 * Per-partition producer state (Kafka's ProducerStateManager / ProducerAppendInfo, 3.9 rules):
 *
 * - the last 5 batches of every producer id (sequence ranges and offsets): a retried batch is
 *   recognised and answered with its original offsets instead of being appended twice;
 * - sequence checks: within an epoch a batch must start at lastSequence + 1 (wrapping past
 *   Int32.MAX to 0), else OUT_OF_ORDER_SEQUENCE_NUMBER; a new epoch must start at sequence 0
 *   (KIP-360); an older epoch is INVALID_PRODUCER_EPOCH. A producer id the partition has no
 *   state for (new, expired, or removed by retention) may start at any sequence, as Kafka
 *   2.5+ does (it no longer answers UNKNOWN_PRODUCER_ID from Produce);
 * - ongoing transactions (first offset per producer) for the last stable offset, and the
 *   transactions completed by an ABORT marker, which read_committed fetches return;
 * - snapshots in Kafka's `%020d.snapshot` format (version 1, CRC32C), so recovery replays only
 *   the log after the last snapshot.
 *
 * The check and the update of the state are one synchronous step (`checkAndStage`): the caller
 * then appends and reports the offsets (`complete`) or the failure (`fail`). So two requests
 * racing for the same producer cannot both pass the sequence check.
 */
import { crc32c } from '@node-rs/crc32';
import { ErrorCode } from '../protocol/error-codes.js';

export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
/** Batches remembered per producer for duplicate detection (Kafka's NUM_BATCHES_TO_RETAIN). */
export const BATCHES_TO_RETAIN = 5;

/** The Kafka error codes this module answers with: the protocol's own table. */
export const ProducerErrors = ErrorCode;

export class ProducerStateError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  /** -1 while the append is in flight. */
  firstOffset: bigint;
  lastOffset: bigint;
  timestamp: bigint;
  /** Settles when the append of this batch completed (or failed). */
  done?: Promise<void>;
}

export class ProducerEntry {
  epoch = NO_PRODUCER_EPOCH;
  coordinatorEpoch = -1;
  lastTimestamp = -1n;
  /** First offset of the ongoing transaction; -1 when none (-2: its first append is in flight). */
  currentTxnFirstOffset = -1n;
  /** While the first append of a transaction is in flight: the log end offset when it was staged (a lower bound of its first offset), else -1. */
  pendingTxnStart = -1n;
  readonly batches: BatchMetadata[] = [];

  constructor(readonly producerId: bigint) {}

  get lastSeq(): number {
    return this.batches.length === 0 ? NO_SEQUENCE : this.batches[this.batches.length - 1]!.lastSeq;
  }
  get lastOffset(): bigint {
    return this.batches.length === 0 ? -1n : this.batches[this.batches.length - 1]!.lastOffset;
  }

  findDuplicate(epoch: number, firstSeq: number, lastSeq: number): BatchMetadata | undefined {
    if (epoch !== this.epoch) return undefined;
    return this.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
  }

  /** A new epoch forgets the previous epoch's batches (Kafka's maybeUpdateProducerEpoch). */
  setEpoch(epoch: number): void {
    if (epoch !== this.epoch) {
      this.epoch = epoch;
      this.batches.length = 0;
    }
  }

  addBatch(b: BatchMetadata): void {
    this.batches.push(b);
    if (this.batches.length > BATCHES_TO_RETAIN) this.batches.shift();
  }
}

/** Kafka's AbortedTxn: the 34-byte entry of a `.txnindex` file. */
export interface AbortedTxn {
  producerId: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
  lastStableOffset: bigint;
}

export const ABORTED_TXN_SIZE = 34;

export function encodeAbortedTxn(t: AbortedTxn): Buffer {
  const b = Buffer.alloc(ABORTED_TXN_SIZE);
  b.writeInt16BE(0, 0);
  b.writeBigInt64BE(t.producerId, 2);
  b.writeBigInt64BE(t.firstOffset, 10);
  b.writeBigInt64BE(t.lastOffset, 18);
  b.writeBigInt64BE(t.lastStableOffset, 26);
  return b;
}

export function decodeAbortedTxns(buf: Buffer): AbortedTxn[] {
  const out: AbortedTxn[] = [];
  for (let at = 0; at + ABORTED_TXN_SIZE <= buf.length; at += ABORTED_TXN_SIZE) {
    if (buf.readInt16BE(at) !== 0) break;
    out.push({ producerId: buf.readBigInt64BE(at + 2), firstOffset: buf.readBigInt64BE(at + 10), lastOffset: buf.readBigInt64BE(at + 18), lastStableOffset: buf.readBigInt64BE(at + 26) });
  }
  return out;
}

/** What a client batch needs checked (from validateBatches' summary). */
export interface ClientBatch {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  lastSequence: number;
  isTransactional: boolean;
  maxTimestamp: bigint;
}

export type StageResult =
  | { kind: 'append'; staged: StagedBatch }
  | { kind: 'duplicate'; batch: BatchMetadata };

export interface StagedBatch {
  entry: ProducerEntry;
  batch: BatchMetadata;
  /** The entry as it was, restored when the append fails. */
  previous: { epoch: number; batches: BatchMetadata[]; txnFirstOffset: bigint; lastTimestamp: bigint; existed: boolean };
  startedTxn: boolean;
  resolve: () => void;
}

/** The result of an end-transaction marker. */
export interface CompletedTxn {
  producerId: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
  isAborted: boolean;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === 0x7fffffff);
}

export class ProducerStateManager {
  readonly producers = new Map<bigint, ProducerEntry>();
  /** Aborted transactions, in marker (lastOffset) order. */
  aborted: AbortedTxn[] = [];

  constructor(readonly name = '') {}

  entry(producerId: bigint): ProducerEntry | undefined {
    return this.producers.get(producerId);
  }

  /**
   * Checks a client batch against the producer's state and, if it is to be appended, stages it:
   * the state already reflects it (sequence, epoch, transaction) so the next request is checked
   * against it. Throws ProducerStateError.
   */
  checkAndStage(b: ClientBatch, logEndOffset = -1n): StageResult {
    const existing = this.producers.get(b.producerId);
    if (existing) {
      const dup = existing.findDuplicate(b.producerEpoch, b.baseSequence, b.lastSequence);
      if (dup) return { kind: 'duplicate', batch: dup };
    }
    const entry = existing ?? new ProducerEntry(b.producerId);
    // checkProducerEpoch
    if (b.producerEpoch < entry.epoch) {
      throw new ProducerStateError(ProducerErrors.INVALID_PRODUCER_EPOCH, `Epoch of producer ${b.producerId} at offset in ${this.name} is ${b.producerEpoch}, which is smaller than the last seen epoch ${entry.epoch}`);
    }
    // checkSequence
    if (b.producerEpoch !== entry.epoch) {
      if (b.baseSequence !== 0 && entry.epoch !== NO_PRODUCER_EPOCH) {
        throw new ProducerStateError(ProducerErrors.OUT_OF_ORDER_SEQUENCE_NUMBER, `Invalid sequence number for new epoch of producer ${b.producerId} in partition ${this.name}: ${b.producerEpoch} (request epoch), ${b.baseSequence} (seq. number), ${entry.epoch} (current producer epoch)`);
      }
    } else if (!inSequence(entry.lastSeq, b.baseSequence)) {
      throw new ProducerStateError(ProducerErrors.OUT_OF_ORDER_SEQUENCE_NUMBER, `Out of order sequence number for producer ${b.producerId} at offset in partition ${this.name}: ${b.baseSequence} (incoming seq. number), ${entry.lastSeq} (current end sequence number)`);
    }
    if (!b.isTransactional && entry.currentTxnFirstOffset !== -1n && b.producerEpoch === entry.epoch) {
      throw new ProducerStateError(ProducerErrors.INVALID_TXN_STATE, `Expected transactional write from producer ${b.producerId} in ${this.name}`);
    }
    const previous = { epoch: entry.epoch, batches: [...entry.batches], txnFirstOffset: entry.currentTxnFirstOffset, lastTimestamp: entry.lastTimestamp, existed: existing !== undefined };
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const batch: BatchMetadata = { firstSeq: b.baseSequence, lastSeq: b.lastSequence, firstOffset: -1n, lastOffset: -1n, timestamp: b.maxTimestamp, done };
    entry.setEpoch(b.producerEpoch);
    entry.addBatch(batch);
    entry.lastTimestamp = b.maxTimestamp;
    let startedTxn = false;
    if (b.isTransactional && entry.currentTxnFirstOffset === -1n) {
      entry.currentTxnFirstOffset = -2n;
      // Until the append reports its offset, the log end now bounds it from below.
      entry.pendingTxnStart = logEndOffset;
      startedTxn = true;
    }
    if (!existing) this.producers.set(b.producerId, entry);
    return { kind: 'append', staged: { entry, batch, previous, startedTxn, resolve } };
  }

  /** The staged batch was appended at these offsets. */
  complete(s: StagedBatch, firstOffset: bigint, lastOffset: bigint): void {
    s.batch.firstOffset = firstOffset;
    s.batch.lastOffset = lastOffset;
    if (s.startedTxn && s.entry.currentTxnFirstOffset === -2n) s.entry.currentTxnFirstOffset = firstOffset;
    if (s.startedTxn) s.entry.pendingTxnStart = -1n;
    delete s.batch.done;
    s.resolve();
  }

  /** The staged batch was not appended: forget it (unless later batches built on it). */
  fail(s: StagedBatch): void {
    const e = s.entry;
    const i = e.batches.indexOf(s.batch);
    if (i === e.batches.length - 1) {
      e.epoch = s.previous.epoch;
      e.batches.length = 0;
      e.batches.push(...s.previous.batches);
      e.currentTxnFirstOffset = s.previous.txnFirstOffset;
      e.lastTimestamp = s.previous.lastTimestamp;
      if (s.startedTxn) e.pendingTxnStart = -1n;
      if (!s.previous.existed && e.batches.length === 0) this.producers.delete(e.producerId);
    } else if (i >= 0) {
      e.batches.splice(i, 1);
    }
    s.resolve();
  }

  /**
   * Checks an end-transaction marker from the coordinator (throws ProducerStateError) before it
   * is appended.
   */
  checkMarker(producerId: bigint, producerEpoch: number, coordinatorEpoch: number): void {
    const e = this.producers.get(producerId);
    if (!e) return;
    if (producerEpoch < e.epoch) throw new ProducerStateError(ProducerErrors.INVALID_PRODUCER_EPOCH, `marker epoch ${producerEpoch} is older than ${e.epoch} for producer ${producerId} in ${this.name}`);
    if (coordinatorEpoch < e.coordinatorEpoch) throw new ProducerStateError(ProducerErrors.TRANSACTION_COORDINATOR_FENCED, `coordinator epoch ${coordinatorEpoch} is older than ${e.coordinatorEpoch} in ${this.name}`);
  }

  /**
   * An end-transaction marker at `offset`: ends the producer's ongoing transaction. An aborted
   * one is remembered (and returned, with its last stable offset, for the transaction index).
   */
  applyMarker(producerId: bigint, producerEpoch: number, coordinatorEpoch: number, commit: boolean, offset: bigint, timestamp: bigint): AbortedTxn | undefined {
    let e = this.producers.get(producerId);
    if (!e) this.producers.set(producerId, (e = new ProducerEntry(producerId)));
    const first = e.currentTxnFirstOffset;
    e.setEpoch(producerEpoch);
    e.coordinatorEpoch = coordinatorEpoch;
    e.lastTimestamp = timestamp;
    e.currentTxnFirstOffset = -1n;
    if (first < 0n || commit) return undefined;
    const t: AbortedTxn = { producerId, firstOffset: first, lastOffset: offset, lastStableOffset: this.firstUnstableOffset() ?? offset + 1n };
    this.aborted.push(t);
    return t;
  }

  /** Replays a batch read back from the log (recovery): no checks, as Kafka's replication origin. */
  replayBatch(h: { producerId: bigint; producerEpoch: number; baseSequence: number; baseOffset: bigint; lastOffsetDelta: number; maxTimestamp: bigint; isTransactional: boolean }): void {
    if (h.producerId < 0n) return;
    let e = this.producers.get(h.producerId);
    if (!e) this.producers.set(h.producerId, (e = new ProducerEntry(h.producerId)));
    e.setEpoch(h.producerEpoch);
    const lastOffset = h.baseOffset + BigInt(h.lastOffsetDelta);
    const lastSeq = h.baseSequence < 0 ? NO_SEQUENCE : incrementSequence(h.baseSequence, h.lastOffsetDelta);
    if (h.baseSequence >= 0) e.addBatch({ firstSeq: h.baseSequence, lastSeq, firstOffset: h.baseOffset, lastOffset, timestamp: h.maxTimestamp });
    e.lastTimestamp = h.maxTimestamp;
    if (h.isTransactional && e.currentTxnFirstOffset === -1n) e.currentTxnFirstOffset = h.baseOffset;
  }

  /** The first offset of the earliest ongoing transaction (undefined: none). */
  firstUnstableOffset(): bigint | undefined {
    let min: bigint | undefined;
    for (const e of this.producers.values()) {
      const f = e.currentTxnFirstOffset >= 0n ? e.currentTxnFirstOffset : e.pendingTxnStart;
      if (f >= 0n && (min === undefined || f < min)) min = f;
    }
    return min;
  }

  /** Transactions with an in-flight first append (offset not known yet). */
  hasPendingTxnStart(): boolean {
    for (const e of this.producers.values()) if (e.currentTxnFirstOffset === -2n) return true;
    return false;
  }

  /** Aborted transactions overlapping [fetchOffset, upperBound) (Kafka's collectAbortedTxns). */
  collectAborted(fetchOffset: bigint, upperBound: bigint): AbortedTxn[] {
    const out: AbortedTxn[] = [];
    // aborted is ordered by lastOffset: skip those that ended before the fetch offset.
    let lo = 0;
    let hi = this.aborted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.aborted[mid]!.lastOffset < fetchOffset) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.aborted.length; i++) {
      const t = this.aborted[i]!;
      if (t.firstOffset < upperBound) out.push(t);
    }
    // By first offset, as the Java consumer's priority queue takes them (KafkaJS needs this order).
    return out.sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  }

  /** Forgets what lies wholly below the log start offset. */
  truncateHead(logStartOffset: bigint): void {
    if (this.aborted.length > 0 && this.aborted[0]!.lastOffset < logStartOffset) this.aborted = this.aborted.filter((t) => t.lastOffset >= logStartOffset);
  }

  /** Removes producers idle for `expirationMs` (by their last batch timestamp) with no ongoing transaction. */
  expire(now: number, expirationMs: number): number {
    let n = 0;
    for (const [pid, e] of this.producers) {
      if (e.currentTxnFirstOffset !== -1n) continue;
      if (e.batches.some((b) => b.done)) continue;
      if (BigInt(now) - e.lastTimestamp >= BigInt(expirationMs)) {
        this.producers.delete(pid);
        n++;
      }
    }
    return n;
  }

  /** Kafka's producer snapshot, version 1. */
  encodeSnapshot(): Buffer {
    const entries = [...this.producers.values()].filter((e) => e.epoch !== NO_PRODUCER_EPOCH || e.currentTxnFirstOffset >= 0n);
    const buf = Buffer.alloc(2 + 4 + 4 + entries.length * 46);
    buf.writeInt16BE(1, 0);
    buf.writeInt32BE(entries.length, 6);
    let at = 10;
    for (const e of entries) {
      const last = [...e.batches].reverse().find((b) => !b.done);
      buf.writeBigInt64BE(e.producerId, at);
      buf.writeInt16BE(e.epoch, at + 8);
      buf.writeInt32BE(last ? last.lastSeq : NO_SEQUENCE, at + 10);
      buf.writeBigInt64BE(last ? last.lastOffset : -1n, at + 14);
      buf.writeInt32BE(last ? Number(last.lastOffset - last.firstOffset) : 0, at + 22);
      buf.writeBigInt64BE(e.lastTimestamp, at + 26);
      buf.writeInt32BE(e.coordinatorEpoch, at + 34);
      buf.writeBigInt64BE(e.currentTxnFirstOffset >= 0n ? e.currentTxnFirstOffset : -1n, at + 38);
      at += 46;
    }
    buf.writeUInt32BE(crc32c(buf.subarray(6)) >>> 0, 2);
    return buf;
  }

  /** Loads a snapshot (replacing the producers); throws on a corrupt one. */
  loadSnapshot(buf: Buffer): void {
    if (buf.length < 10) throw new Error('producer snapshot too short');
    const version = buf.readInt16BE(0);
    if (version !== 1) throw new Error(`unknown producer snapshot version ${version}`);
    if ((crc32c(buf.subarray(6)) >>> 0) !== buf.readUInt32BE(2)) throw new Error('producer snapshot CRC mismatch');
    const n = buf.readInt32BE(6);
    if (n < 0 || 10 + n * 46 > buf.length) throw new Error('producer snapshot truncated');
    this.producers.clear();
    let at = 10;
    for (let i = 0; i < n; i++, at += 46) {
      const e = new ProducerEntry(buf.readBigInt64BE(at));
      e.epoch = buf.readInt16BE(at + 8);
      const lastSeq = buf.readInt32BE(at + 10);
      const lastOffset = buf.readBigInt64BE(at + 14);
      const delta = buf.readInt32BE(at + 22);
      e.lastTimestamp = buf.readBigInt64BE(at + 26);
      e.coordinatorEpoch = buf.readInt32BE(at + 34);
      e.currentTxnFirstOffset = buf.readBigInt64BE(at + 38);
      if (lastSeq >= 0) e.addBatch({ firstSeq: Math.max(0, lastSeq - delta), lastSeq, firstOffset: lastOffset - BigInt(delta), lastOffset, timestamp: e.lastTimestamp });
      this.producers.set(e.producerId, e);
    }
  }
}

/** Java's DefaultRecordBatch.incrementSequence. */
export function incrementSequence(sequence: number, increment: number): number {
  return sequence > 0x7fffffff - increment ? increment - (0x7fffffff - sequence) - 1 : sequence + increment;
}

export function snapshotFileName(offset: bigint): string {
  return `${offset.toString().padStart(20, '0')}.snapshot`;
}
