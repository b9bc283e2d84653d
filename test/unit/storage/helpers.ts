import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { RECORD_BATCH_OVERHEAD, writeBatchCrc } from '../../../src/protocol/records/batch-header.js';
import { batchAttributes, buildEndTxnMarkerBatch, buildRecordBatch, decodeRecordBatch, readBatchHeader, readEndTxnMarker, validateBatches } from '../../../src/protocol/records/index.js';
import type { LogAppendInfo, PartitionLog } from '../../../src/storage/index.js';
import type { ProducerStateManager } from '../../../src/storage/producer-state.js';
import type { ProducerStateStore } from '../../../src/storage/producer-state-store.js';
export { rng } from '../../lib/rng.js';

function zigzagVarint(n: number): number[] {
  let v = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (v >= 128) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

export interface BatchSpec {
  /** Record values (each becomes one record). */
  values?: Buffer[];
  records?: number;
  valueSize?: number;
  baseTimestamp?: number;
  /** Per-record timestamp deltas (default 0, 1, 2, ...). */
  timestampDeltas?: number[];
  baseOffset?: bigint;
  epoch?: number;
  /** Fill byte for generated values. */
  fill?: number;
}

/** A valid uncompressed magic-2 batch (CRC set). */
export function makeBatch(spec: BatchSpec = {}): Buffer {
  const values = spec.values ?? Array.from({ length: spec.records ?? 1 }, (_, i) => Buffer.alloc(spec.valueSize ?? 10, (spec.fill ?? 0x61) + (i % 7)));
  const base = spec.baseTimestamp ?? 1_700_000_000_000;
  const deltas = spec.timestampDeltas ?? values.map((_, i) => i);
  const recs: Buffer[] = values.map((v, i) => {
    const body = Buffer.from([
      0,
      ...zigzagVarint(deltas[i]!),
      ...zigzagVarint(i),
      ...zigzagVarint(-1),
      ...zigzagVarint(v.length),
    ]);
    const tail = Buffer.from(zigzagVarint(0));
    const len = body.length + v.length + tail.length;
    return Buffer.concat([Buffer.from(zigzagVarint(len)), body, v, tail]);
  });
  const recordBytes = Buffer.concat(recs);
  const size = RECORD_BATCH_OVERHEAD + recordBytes.length;
  const b = Buffer.alloc(size);
  b.writeBigInt64BE(spec.baseOffset ?? 0n, 0);
  b.writeInt32BE(size - 12, 8);
  b.writeInt32BE(spec.epoch ?? -1, 12);
  b.writeInt8(2, 16);
  b.writeInt16BE(0, 21);
  b.writeInt32BE(values.length - 1, 23);
  b.writeBigInt64BE(BigInt(base), 27);
  b.writeBigInt64BE(BigInt(base + Math.max(0, ...deltas)), 35);
  b.writeBigInt64BE(-1n, 43);
  b.writeInt16BE(-1, 51);
  b.writeInt32BE(-1, 53);
  b.writeInt32BE(values.length, 57);
  recordBytes.copy(b, RECORD_BATCH_OVERHEAD);
  writeBatchCrc(b, 0, size);
  return b;
}

/** Splits stored bytes into batches. */
export function splitBatches(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at + 12 <= buf.length) {
    const size = buf.readInt32BE(at + 8) + 12;
    out.push(buf.subarray(at, at + size));
    at += size;
  }
  return out;
}


export async function tempDir(prefix = 'samsa-storage-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

/** An idempotent or transactional producer writing to one partition through the storage layer. */
export interface TestProducer {
  id: bigint;
  epoch: number;
  nextSequence: number;
  transactional: boolean;
  inTransaction: boolean;
}

/**
 * What the broker's Partition does around the storage calls, reduced to them: the producer state
 * check, the append, the marker and its `.txnindex` entry, with the store's in-flight count.
 */
export class ProducerDriver {
  constructor(
    readonly log: PartitionLog,
    readonly state: ProducerStateManager,
    readonly store: ProducerStateStore,
    private readonly timestamp = 1_700_000_000_000,
  ) {}

  async produce(p: TestProducer, records: number): Promise<LogAppendInfo> {
    const batch = buildRecordBatch(
      Array.from({ length: records }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.alloc(20 + i, 0x61) })),
      { producerId: p.id, producerEpoch: p.epoch, baseSequence: p.nextSequence, transactional: p.transactional, timestamp: this.timestamp },
    );
    const summary = validateBatches(batch);
    const staged = this.state.checkAndStage(summary, this.log.logEndOffset);
    if (staged.kind !== 'append') throw new Error('unexpected duplicate');
    let info: LogAppendInfo;
    this.store.inFlight++;
    try {
      info = await this.log.append(batch, 0, summary);
    } catch (e) {
      this.state.fail(staged.staged);
      throw e;
    } finally {
      this.store.inFlight--;
    }
    this.state.complete(staged.staged, info.firstOffset, info.lastOffset);
    p.nextSequence += records;
    if (p.transactional) p.inTransaction = true;
    this.store.appended(batch.length);
    return info;
  }

  async endTransaction(p: TestProducer, commit: boolean): Promise<LogAppendInfo> {
    const batch = buildEndTxnMarkerBatch({ producerId: p.id, producerEpoch: p.epoch, coordinatorEpoch: 0, commit, timestamp: this.timestamp });
    this.store.inFlight++;
    try {
      const info = await this.log.append(batch, 0);
      p.inTransaction = false;
      const aborted = this.state.applyMarker(p.id, p.epoch, 0, commit, info.firstOffset, BigInt(this.timestamp));
      if (aborted) await this.store.indexAborted(aborted);
      return info;
    } finally {
      this.store.inFlight--;
    }
  }
}

export interface ExpectedProducerState {
  /** Per producer: epoch, last sequence and last offset of its last data batch, first offset of its ongoing transaction (-1: none). */
  producers: Map<bigint, { epoch: number; lastSeq: number; lastOffset: bigint; txnFirstOffset: bigint }>;
  /** Aborted transactions in marker order. */
  aborted: { producerId: bigint; firstOffset: bigint; lastOffset: bigint }[];
}

/** Producer state as the stored batches define it, computed from them directly. */
export function producerStateOf(batches: readonly Buffer[]): ExpectedProducerState {
  const producers: ExpectedProducerState['producers'] = new Map();
  const aborted: ExpectedProducerState['aborted'] = [];
  for (const b of batches) {
    const h = readBatchHeader(b);
    if (h.producerId < 0n) continue;
    const attrs = batchAttributes(h.attributes);
    const e = producers.get(h.producerId) ?? { epoch: h.producerEpoch, lastSeq: -1, lastOffset: -1n, txnFirstOffset: -1n };
    producers.set(h.producerId, e);
    e.epoch = h.producerEpoch;
    if (attrs.isControl) {
      const marker = readEndTxnMarker(decodeRecordBatch(b));
      if (marker && !marker.commit && e.txnFirstOffset >= 0n) aborted.push({ producerId: h.producerId, firstOffset: e.txnFirstOffset, lastOffset: h.baseOffset });
      e.txnFirstOffset = -1n;
    } else {
      e.lastSeq = h.baseSequence + h.lastOffsetDelta;
      e.lastOffset = h.baseOffset + BigInt(h.lastOffsetDelta);
      if (attrs.isTransactional && e.txnFirstOffset < 0n) e.txnFirstOffset = h.baseOffset;
    }
  }
  return { producers, aborted };
}
