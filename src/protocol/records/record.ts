import { sizeOfVarint } from '../runtime/writer.js';
import { RecordCursor, sizeOfVarlongNumber, writeVarint, writeVarlongNumber } from './varint.js';

/** A record header: the key is a non-null string, the value nullable bytes. */
export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** A decoded magic-2 record. `key`, `value` and header values are slices of the batch's (decompressed) bytes. */
export interface KafkaRecord {
  /** baseOffset + offsetDelta. */
  offset: bigint;
  /** baseTimestamp + timestampDelta, or the batch's maxTimestamp under LogAppendTime (as Java reports it). */
  timestamp: bigint;
  offsetDelta: number;
  timestampDelta: number;
  attributes: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** A record to put in a batch. */
export interface RecordInput {
  key?: Buffer | null;
  value?: Buffer | null;
  headers?: readonly RecordHeader[];
  /** Milliseconds since the epoch; the batch builder's default timestamp when omitted. */
  timestamp?: bigint | number;
  /** Defaults to the record's index in the batch. */
  offsetDelta?: number;
}

/** Smallest possible encoded record: length, attributes, timestampDelta, offsetDelta, key, value, header count. */
export const MIN_RECORD_SIZE = 7;

/** Size of a record's body (everything its length prefix counts). */
export function sizeOfRecordBody(r: RecordInput, offsetDelta: number, timestampDelta: number): number {
  let size = 1 + sizeOfVarlongNumber(timestampDelta) + sizeOfVarint(offsetDelta);
  const key = r.key ?? null;
  const value = r.value ?? null;
  size += key === null ? 1 : sizeOfVarint(key.length) + key.length;
  size += value === null ? 1 : sizeOfVarint(value.length) + value.length;
  const headers = r.headers;
  if (headers === undefined) return size + 1;
  size += sizeOfVarint(headers.length);
  for (const h of headers) {
    const keyBytes = Buffer.byteLength(h.key, 'utf8');
    size += sizeOfVarint(keyBytes) + keyBytes;
    size += h.value === null ? 1 : sizeOfVarint(h.value.length) + h.value.length;
  }
  return size;
}

/** Writes one record (length prefix included) at `p`; returns the new position. */
export function writeRecord(buf: Buffer, p: number, r: RecordInput, bodySize: number, offsetDelta: number, timestampDelta: number): number {
  p = writeVarint(buf, p, bodySize);
  buf[p++] = 0; // attributes: unused in magic 2
  p = writeVarlongNumber(buf, p, timestampDelta);
  p = writeVarint(buf, p, offsetDelta);
  p = writeNullableBytes(buf, p, r.key ?? null);
  p = writeNullableBytes(buf, p, r.value ?? null);
  const headers = r.headers;
  if (headers === undefined) {
    buf[p++] = 0;
    return p;
  }
  p = writeVarint(buf, p, headers.length);
  for (const h of headers) {
    const keyBytes = Buffer.byteLength(h.key, 'utf8');
    p = writeVarint(buf, p, keyBytes);
    p += buf.write(h.key, p, keyBytes, 'utf8');
    p = writeNullableBytes(buf, p, h.value);
  }
  return p;
}

function writeNullableBytes(buf: Buffer, p: number, b: Buffer | null): number {
  if (b === null) {
    buf[p] = 1; // zig-zag -1
    return p + 1;
  }
  p = writeVarint(buf, p, b.length);
  return p + b.copy(buf, p);
}

/**
 * Reads the record at the cursor, checking its framing the way Java's DefaultRecord.readFrom
 * does: every field must fit inside the declared length and the fields must fill it exactly.
 */
export function readRecord(cur: RecordCursor, index: number, baseOffset: bigint, baseTimestamp: bigint, logAppendTime: bigint | null): KafkaRecord {
  const buf = cur.buf;
  const length = cur.varint(cur.end, index, 'length');
  const start = cur.pos;
  if (length < 0 || length > cur.end - start) cur.fail(index, 'length', `record length ${length} does not fit in the ${cur.end - start} bytes left`);
  const end = start + length;
  if (length < 1) cur.fail(index, 'attributes', 'empty record body');
  const attributes = buf.readInt8(cur.pos++);
  const timestampDelta = cur.varlong(end, index, 'timestampDelta');
  const offsetDelta = cur.varint(end, index, 'offsetDelta');
  const key = readNullableBytes(cur, end, index, 'key');
  const value = readNullableBytes(cur, end, index, 'value');
  const headerCount = cur.varint(end, index, 'headers');
  if (headerCount < 0) cur.fail(index, 'headers', `invalid header count ${headerCount}`);
  // Each header takes at least two bytes: this bounds the loop before anything is allocated.
  if (headerCount * 2 > end - cur.pos) cur.fail(index, 'headers', `${headerCount} headers cannot fit in ${end - cur.pos} bytes`);
  const headers: RecordHeader[] = [];
  for (let i = 0; i < headerCount; i++) {
    const keyLength = cur.varint(end, index, 'headers.key');
    if (keyLength < 0 || keyLength > end - cur.pos) cur.fail(index, 'headers.key', `header key length ${keyLength} does not fit in the record`);
    const headerKey = buf.toString('utf8', cur.pos, cur.pos + keyLength);
    cur.pos += keyLength;
    headers.push({ key: headerKey, value: readNullableBytes(cur, end, index, 'headers.value') });
  }
  if (cur.pos !== end) cur.fail(index, 'length', `record declares ${length} bytes but its fields take ${cur.pos - start}`);
  return {
    offset: baseOffset + BigInt(offsetDelta),
    timestamp: logAppendTime ?? baseTimestamp + BigInt(timestampDelta),
    offsetDelta,
    timestampDelta,
    attributes,
    key,
    value,
    headers,
  };
}

function readNullableBytes(cur: RecordCursor, end: number, index: number, field: string): Buffer | null {
  const n = cur.varint(end, index, field);
  if (n < 0) {
    if (n !== -1) cur.fail(index, field, `invalid length ${n}`);
    return null;
  }
  if (n > end - cur.pos) cur.fail(index, field, `length ${n} does not fit in the ${end - cur.pos} bytes left of the record`);
  const at = cur.pos;
  cur.pos = at + n;
  return cur.buf.subarray(at, at + n);
}

/** Running totals of {@link skipRecord}; one object per batch walk. */
export interface RecordWalkStats {
  maxTimestampDelta: number;
  /** offsetDelta of the record with the highest timestamp (the first one on ties, as Kafka picks). */
  offsetDeltaOfMaxTimestamp: number;
  lastOffsetDelta: number;
  nullKeyCount: number;
  headerCount: number;
}

/**
 * Checks the framing of the record at the cursor like {@link readRecord} but allocates nothing;
 * returns its offsetDelta.
 */
export function skipRecord(cur: RecordCursor, index: number, stats: RecordWalkStats): number {
  const length = cur.varint(cur.end, index, 'length');
  const start = cur.pos;
  if (length < 0 || length > cur.end - start) cur.fail(index, 'length', `record length ${length} does not fit in the ${cur.end - start} bytes left`);
  const end = start + length;
  if (length < 1) cur.fail(index, 'attributes', 'empty record body');
  cur.pos++;
  const timestampDelta = cur.varlong(end, index, 'timestampDelta');
  const offsetDelta = cur.varint(end, index, 'offsetDelta');
  if (skipNullableBytes(cur, end, index, 'key') < 0) stats.nullKeyCount++;
  skipNullableBytes(cur, end, index, 'value');
  const headerCount = cur.varint(end, index, 'headers');
  if (headerCount < 0) cur.fail(index, 'headers', `invalid header count ${headerCount}`);
  if (headerCount * 2 > end - cur.pos) cur.fail(index, 'headers', `${headerCount} headers cannot fit in ${end - cur.pos} bytes`);
  for (let i = 0; i < headerCount; i++) {
    const keyLength = cur.varint(end, index, 'headers.key');
    if (keyLength < 0 || keyLength > end - cur.pos) cur.fail(index, 'headers.key', `header key length ${keyLength} does not fit in the record`);
    cur.pos += keyLength;
    skipNullableBytes(cur, end, index, 'headers.value');
  }
  if (cur.pos !== end) cur.fail(index, 'length', `record declares ${length} bytes but its fields take ${cur.pos - start}`);
  if (index === 0 || timestampDelta > stats.maxTimestampDelta) {
    stats.maxTimestampDelta = timestampDelta;
    stats.offsetDeltaOfMaxTimestamp = offsetDelta;
  }
  stats.headerCount += headerCount;
  stats.lastOffsetDelta = offsetDelta;
  return offsetDelta;
}

function skipNullableBytes(cur: RecordCursor, end: number, index: number, field: string): number {
  const n = cur.varint(end, index, field);
  if (n < 0) {
    if (n !== -1) cur.fail(index, field, `invalid length ${n}`);
    return -1;
  }
  if (n > end - cur.pos) cur.fail(index, field, `length ${n} does not fit in the ${end - cur.pos} bytes left of the record`);
  cur.pos += n;
  return n;
}
