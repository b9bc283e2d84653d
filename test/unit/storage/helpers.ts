import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { RECORD_BATCH_OVERHEAD, writeBatchCrc } from '../../../src/protocol/records/batch-header.js';
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
