import type { TaggedField } from './reader.js';

const UUID_ZERO = 'AAAAAAAAAAAAAAAAAAAAAA';
export { UUID_ZERO };

export function sizeOfUnsignedVarint(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}
export function sizeOfVarint(value: number): number {
  return sizeOfUnsignedVarint(((value << 1) ^ (value >> 31)) >>> 0);
}
export function sizeOfVarlong(value: bigint): number {
  let v = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  let n = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    n++;
  }
  return n;
}
export function sizeOfString(s: string): number {
  return 2 + Buffer.byteLength(s, 'utf8');
}
export function sizeOfNullableString(s: string | null): number {
  return s === null ? 2 : 2 + Buffer.byteLength(s, 'utf8');
}
export function sizeOfCompactString(s: string | null): number {
  if (s === null) return 1;
  const n = Buffer.byteLength(s, 'utf8');
  return sizeOfUnsignedVarint(n + 1) + n;
}
export function sizeOfBytes(b: Buffer | null): number {
  return b === null ? 4 : 4 + b.length;
}
export function sizeOfCompactBytes(b: Buffer | null): number {
  return b === null ? 1 : sizeOfUnsignedVarint(b.length + 1) + b.length;
}
export function sizeOfCompactArrayLength(n: number): number {
  return sizeOfUnsignedVarint(n + 1);
}
/** Size of a tagged-field section holding `known` already-sized fields plus the unknown ones. */
export function sizeOfTaggedFields(knownCount: number, knownBytes: number, unknown: TaggedField[] | undefined): number {
  let count = knownCount;
  let size = knownBytes;
  if (unknown) {
    for (const f of unknown) size += sizeOfUnsignedVarint(f.tag) + sizeOfUnsignedVarint(f.data.length) + f.data.length;
    count += unknown.length;
  }
  return sizeOfUnsignedVarint(count) + size;
}
/** Bytes a known tagged field takes in its section: tag, size, then the value. */
export function sizeOfTaggedField(tag: number, valueSize: number): number {
  return sizeOfUnsignedVarint(tag) + sizeOfUnsignedVarint(valueSize) + valueSize;
}

/** Byte payloads at least this large are not copied by a chunked writer but referenced. */
const BY_REFERENCE_MIN = 4096;

/**
 * Writes into one buffer whose exact size the caller computed first. In chunked mode large
 * byte payloads (record batches) are not copied: `chunks()` returns the buffer cut around them.
 */
export class Writer {
  readonly buf: Buffer;
  offset = 0;
  private refs: { at: number; data: Buffer }[] | undefined;

  /** @param size exact size of everything written, including referenced payloads */
  constructor(size: number, private readonly chunked = false) {
    this.buf = Buffer.allocUnsafe(size);
  }

  int8(v: number): void {
    this.offset = this.buf.writeInt8(v, this.offset);
  }
  int16(v: number): void {
    this.offset = this.buf.writeInt16BE(v, this.offset);
  }
  uint16(v: number): void {
    this.offset = this.buf.writeUInt16BE(v, this.offset);
  }
  int32(v: number): void {
    this.offset = this.buf.writeInt32BE(v, this.offset);
  }
  uint32(v: number): void {
    this.offset = this.buf.writeUInt32BE(v, this.offset);
  }
  int64(v: bigint): void {
    this.offset = this.buf.writeBigInt64BE(v, this.offset);
  }
  float64(v: number): void {
    this.offset = this.buf.writeDoubleBE(v, this.offset);
  }
  bool(v: boolean): void {
    this.buf[this.offset++] = v ? 1 : 0;
  }
  uuid(v: string): void {
    if (v.length !== 22) throw new TypeError(`invalid UUID ${JSON.stringify(v)}`);
    const n = this.buf.write(v, this.offset, 16, 'base64url');
    if (n !== 16) throw new TypeError(`invalid UUID ${JSON.stringify(v)}`);
    this.offset += 16;
  }
  unsignedVarint(v: number): void {
    const buf = this.buf;
    while (v >= 0x80) {
      buf[this.offset++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[this.offset++] = v;
  }
  varint(v: number): void {
    this.unsignedVarint(((v << 1) ^ (v >> 31)) >>> 0);
  }
  varlong(v: bigint): void {
    let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    while (u >= 0x80n) {
      this.buf[this.offset++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.offset++] = Number(u);
  }
  string(s: string): void {
    const n = this.buf.write(s, this.offset + 2, 'utf8');
    this.buf.writeInt16BE(n, this.offset);
    this.offset += 2 + n;
  }
  nullableString(s: string | null): void {
    if (s === null) this.int16(-1);
    else this.string(s);
  }
  compactString(s: string | null): void {
    if (s === null) {
      this.buf[this.offset++] = 0;
      return;
    }
    const n = Buffer.byteLength(s, 'utf8');
    this.unsignedVarint(n + 1);
    this.offset += this.buf.write(s, this.offset, n, 'utf8');
  }
  raw(b: Buffer): void {
    if (this.chunked && b.length >= BY_REFERENCE_MIN) {
      (this.refs ??= []).push({ at: this.offset, data: b });
      this.offset += b.length;
      return;
    }
    b.copy(this.buf, this.offset);
    this.offset += b.length;
  }
  bytes(b: Buffer | null): void {
    if (b === null) {
      this.int32(-1);
      return;
    }
    this.int32(b.length);
    this.raw(b);
  }
  compactBytes(b: Buffer | null): void {
    if (b === null) {
      this.buf[this.offset++] = 0;
      return;
    }
    this.unsignedVarint(b.length + 1);
    this.raw(b);
  }
  unknownTaggedField(f: TaggedField): void {
    this.unsignedVarint(f.tag);
    this.unsignedVarint(f.data.length);
    this.raw(f.data);
  }

  /** The written bytes as one buffer. */
  finish(): Buffer {
    if (this.offset !== this.buf.length) throw new Error(`encoder wrote ${this.offset} bytes, sized ${this.buf.length}`);
    if (this.refs) for (const { at, data } of this.refs) data.copy(this.buf, at);
    return this.buf;
  }

  /** The written bytes as a list of buffers, referenced payloads left uncopied (for writev). */
  chunks(): Buffer[] {
    if (this.offset !== this.buf.length) throw new Error(`encoder wrote ${this.offset} bytes, sized ${this.buf.length}`);
    if (!this.refs) return [this.buf];
    const out: Buffer[] = [];
    let from = 0;
    for (const { at, data } of this.refs) {
      if (at > from) out.push(this.buf.subarray(from, at));
      out.push(data);
      from = at + data.length;
    }
    if (from < this.buf.length) out.push(this.buf.subarray(from));
    return out;
  }
}

/**
 * Writes the unknown tagged fields whose tag is below `limit`, starting at index `from` of a
 * list kept in ascending tag order, so known and unknown fields interleave by tag. Returns the
 * index of the first field not written.
 */
export function writeUnknownTaggedFieldsBelow(w: Writer, fields: TaggedField[], from: number, limit: number): number {
  let i = from;
  while (i < fields.length && fields[i]!.tag < limit) w.unknownTaggedField(fields[i++]!);
  return i;
}

export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);
