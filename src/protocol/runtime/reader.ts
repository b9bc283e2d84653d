import { KafkaDecodeError } from './errors.js';

/** A tagged field this code does not know, kept so that re-encoding reproduces it (KIP-482). */
export interface TaggedField {
  tag: number;
  data: Buffer;
}

/**
 * Bounds-checked cursor over a Buffer. Every length or count read from the wire is checked
 * against the bytes that remain before anything is allocated, so a forged length can neither
 * crash the process nor make it allocate. `bytes`/`records` are zero-copy slices of the input.
 * The `field` argument of every read names the field for the error message only.
 */
export class Reader {
  constructor(
    public readonly buf: Buffer,
    public offset = 0,
    public readonly end = buf.length,
  ) {}

  get remaining(): number {
    return this.end - this.offset;
  }

  fail(field: string, reason: string): never {
    throw new KafkaDecodeError(reason, field, this.offset);
  }

  private need(n: number, field: string): number {
    const at = this.offset;
    if (n > this.end - at) this.fail(field, `needs ${n} bytes, ${this.end - at} remain`);
    this.offset = at + n;
    return at;
  }

  int8(field: string): number {
    return this.buf.readInt8(this.need(1, field));
  }
  int16(field: string): number {
    return this.buf.readInt16BE(this.need(2, field));
  }
  uint16(field: string): number {
    return this.buf.readUInt16BE(this.need(2, field));
  }
  int32(field: string): number {
    return this.buf.readInt32BE(this.need(4, field));
  }
  uint32(field: string): number {
    return this.buf.readUInt32BE(this.need(4, field));
  }
  int64(field: string): bigint {
    return this.buf.readBigInt64BE(this.need(8, field));
  }
  float64(field: string): number {
    return this.buf.readDoubleBE(this.need(8, field));
  }
  bool(field: string): boolean {
    return this.buf[this.need(1, field)] !== 0;
  }
  /** A UUID as Kafka prints it: 22 characters of URL-safe base64 without padding. */
  uuid(field: string): string {
    const at = this.need(16, field);
    return this.buf.toString('base64url', at, at + 16);
  }

  unsignedVarint(field: string): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      if (this.offset >= this.end) this.fail(field, 'truncated varint');
      const b = this.buf[this.offset++]!;
      if (shift === 28) {
        if (b > 0x0f) this.fail(field, 'varint longer than 32 bits');
        return (value + b * 0x10000000) >>> 0;
      }
      value |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return value >>> 0;
      shift += 7;
    }
  }
  /** Zig-zag signed 32-bit varint. */
  varint(field: string): number {
    const u = this.unsignedVarint(field);
    return (u >>> 1) ^ -(u & 1);
  }
  /** Zig-zag signed 64-bit varint. */
  varlong(field: string): bigint {
    let value = 0n;
    let shift = 0n;
    for (let i = 0; ; i++) {
      if (i === 10) this.fail(field, 'varlong longer than 64 bits');
      if (this.offset >= this.end) this.fail(field, 'truncated varlong');
      const b = this.buf[this.offset++]!;
      value |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
    }
    return (value >> 1n) ^ -(value & 1n);
  }
  /** Zig-zag varlong that must fit in a JavaScript number (used for record deltas and lengths). */
  varlongNumber(field: string): number {
    const v = this.varlong(field);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) this.fail(field, 'varlong out of range');
    return Number(v);
  }

  private utf8(len: number, field: string): string {
    const at = this.need(len, field);
    return this.buf.toString('utf8', at, at + len);
  }
  string(field: string): string {
    const len = this.int16(field);
    if (len < 0) this.fail(field, 'null where a string is required');
    return this.utf8(len, field);
  }
  nullableString(field: string): string | null {
    const len = this.int16(field);
    if (len < 0) {
      if (len !== -1) this.fail(field, `invalid string length ${len}`);
      return null;
    }
    return this.utf8(len, field);
  }
  compactString(field: string): string {
    const len = this.unsignedVarint(field) - 1;
    if (len < 0) this.fail(field, 'null where a string is required');
    return this.utf8(len, field);
  }
  compactNullableString(field: string): string | null {
    const len = this.unsignedVarint(field) - 1;
    return len < 0 ? null : this.utf8(len, field);
  }

  /** A zero-copy view of the next `len` bytes. */
  slice(len: number, field: string): Buffer {
    const at = this.need(len, field);
    return this.buf.subarray(at, at + len);
  }
  bytes(field: string): Buffer {
    const len = this.int32(field);
    if (len < 0) this.fail(field, 'null where bytes are required');
    return this.slice(len, field);
  }
  nullableBytes(field: string): Buffer | null {
    const len = this.int32(field);
    if (len < 0) {
      if (len !== -1) this.fail(field, `invalid bytes length ${len}`);
      return null;
    }
    return this.slice(len, field);
  }
  compactBytes(field: string): Buffer {
    const len = this.unsignedVarint(field) - 1;
    if (len < 0) this.fail(field, 'null where bytes are required');
    return this.slice(len, field);
  }
  compactNullableBytes(field: string): Buffer | null {
    const len = this.unsignedVarint(field) - 1;
    return len < 0 ? null : this.slice(len, field);
  }

  /**
   * An int32 array count, -1 for null. The count is checked against what remains, at
   * `minElementSize` bytes per element, before the caller allocates anything.
   */
  arrayLength(field: string, minElementSize: number): number {
    const n = this.int32(field);
    if (n < 0) {
      if (n !== -1) this.fail(field, `invalid array length ${n}`);
      return -1;
    }
    if (n * minElementSize > this.end - this.offset) this.fail(field, `array of ${n} elements cannot fit in ${this.end - this.offset} bytes`);
    return n;
  }
  /** A compact (varint, +1) array count, -1 for null; checked like {@link arrayLength}. */
  compactArrayLength(field: string, minElementSize: number): number {
    const n = this.unsignedVarint(field) - 1;
    if (n < 0) return -1;
    if (n * minElementSize > this.end - this.offset) this.fail(field, `array of ${n} elements cannot fit in ${this.end - this.offset} bytes`);
    return n;
  }

  /** Checks that a tagged field of `size` bytes fits and returns where it ends. */
  taggedFieldEnd(size: number, field: string): number {
    if (size > this.end - this.offset) this.fail(field, `tagged field of ${size} bytes, ${this.end - this.offset} remain`);
    return this.offset + size;
  }
  /** Checks that a tagged field's value used exactly the bytes its size declared. */
  expectAt(end: number, field: string): void {
    if (this.offset !== end) this.fail(field, `tagged field size mismatch (${this.offset - end} bytes)`);
  }
}
