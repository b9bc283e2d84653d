import { KafkaDecodeError } from '../runtime/errors.js';

/**
 * Varint reading and writing on plain numbers for the per-record hot loops: the runtime Reader's
 * varlong goes through BigInt, which costs an allocation per field. Timestamp deltas are
 * varlongs but always fit a double exactly in practice; values outside [-2^52, 2^52) are rejected.
 */
export class RecordCursor {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
    /** Names the data in errors, e.g. `batch[0].records`. */
    readonly path: string,
  ) {}

  /** Fails naming the record and field; the path string is only built here, on failure. */
  fail(index: number, field: string, reason: string, at = this.pos): never {
    throw new KafkaDecodeError(reason, index < 0 ? `${this.path}.${field}` : `${this.path}[${index}].${field}`, at);
  }

  /** Zig-zag 32-bit varint ending before `limit`. */
  varint(limit: number, index: number, field: string): number {
    const buf = this.buf;
    let p = this.pos;
    let u = 0;
    for (let shift = 0; ; shift += 7) {
      if (p >= limit) this.fail(index, field, 'truncated varint', p);
      const b = buf[p++]!;
      if (shift === 28) {
        if (b > 0x0f) this.fail(index, field, 'varint longer than 32 bits', p - 1);
        u = (u | (b << 28)) >>> 0;
        break;
      }
      u |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
    }
    this.pos = p;
    return (u >>> 1) ^ -(u & 1);
  }

  /** Zig-zag 64-bit varint as a number; values outside [-2^52, 2^52) are rejected. */
  varlong(limit: number, index: number, field: string): number {
    const buf = this.buf;
    let p = this.pos;
    let u = 0;
    let mul = 1;
    for (let i = 0; ; i++) {
      if (i === 10) this.fail(index, field, 'varlong longer than 64 bits', p);
      if (p >= limit) this.fail(index, field, 'truncated varlong', p);
      const b = buf[p++]!;
      u += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) break;
      mul *= 128;
    }
    if (u > Number.MAX_SAFE_INTEGER) this.fail(index, field, 'varlong out of the supported range', this.pos);
    this.pos = p;
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }
}

export function sizeOfVarlongNumber(v: number): number {
  let u = v >= 0 ? v * 2 : -v * 2 - 1;
  let n = 1;
  while (u >= 128) {
    u = Math.floor(u / 128);
    n++;
  }
  return n;
}

/** Writes a zig-zag varlong for a safe-integer `v` at `p`; returns the new position. */
export function writeVarlongNumber(buf: Buffer, p: number, v: number): number {
  let u = v >= 0 ? v * 2 : -v * 2 - 1;
  while (u >= 128) {
    buf[p++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  buf[p++] = u;
  return p;
}

/** Writes a zig-zag 32-bit varint at `p`; returns the new position. */
export function writeVarint(buf: Buffer, p: number, v: number): number {
  let u = ((v << 1) ^ (v >> 31)) >>> 0;
  while (u >= 0x80) {
    buf[p++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[p++] = u;
  return p;
}
