import { CorruptIndexError } from './offset-index.js';

/**
 * Sparse time index of one segment, Kafka's `.timeindex` format: 12-byte entries
 * (int64 timestamp, int32 offset relative to the segment's base offset).
 *
 * An entry (t, r) says: the largest timestamp in the segment up to offset base + r is t.
 * Invariants: timestamps strictly increase, offsets never decrease. Kept in memory like
 * OffsetIndex and written on flush/roll/close.
 */
export const TIME_INDEX_ENTRY_SIZE = 12;

export class TimeIndex {
  private timestamps: Float64Array;
  private relativeOffsets: Int32Array;
  entries = 0;
  persistedEntries = 0;

  constructor(
    readonly maxEntries: number,
    capacity = 8,
  ) {
    this.timestamps = new Float64Array(capacity);
    this.relativeOffsets = new Int32Array(capacity);
  }

  get isFull(): boolean {
    return this.entries >= this.maxEntries;
  }

  get lastTimestamp(): number {
    return this.entries === 0 ? -1 : this.timestamps[this.entries - 1]!;
  }

  get lastRelativeOffset(): number {
    return this.entries === 0 ? 0 : this.relativeOffsets[this.entries - 1]!;
  }

  get memoryBytes(): number {
    return this.timestamps.byteLength + this.relativeOffsets.byteLength;
  }

  /** Appends if `timestamp` is larger than the last entry's (Kafka's maybeAppend). */
  maybeAppend(timestamp: number, relativeOffset: number, skipFullCheck = false): void {
    if (!skipFullCheck && this.isFull) return;
    if (this.entries > 0 && relativeOffset < this.lastRelativeOffset) {
      throw new Error(`time index offset ${relativeOffset} is below the last entry's ${this.lastRelativeOffset}`);
    }
    if (this.entries > 0 && timestamp <= this.lastTimestamp) return;
    if (this.entries === this.timestamps.length) this.grow();
    this.timestamps[this.entries] = timestamp;
    this.relativeOffsets[this.entries] = relativeOffset;
    this.entries++;
  }

  private grow(): void {
    const capacity = Math.max(8, this.timestamps.length * 2);
    const t = new Float64Array(capacity);
    t.set(this.timestamps);
    const r = new Int32Array(capacity);
    r.set(this.relativeOffsets);
    this.timestamps = t;
    this.relativeOffsets = r;
  }

  /** Relative offset to start searching for `timestamp`: the entry with the largest timestamp <= it, else 0. */
  lookup(timestamp: number): number {
    let lo = 0;
    let hi = this.entries - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestamps[mid]! <= timestamp) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? 0 : this.relativeOffsets[found]!;
  }

  /** Removes entries for offsets >= relativeOffset. */
  truncateTo(relativeOffset: number): void {
    let n = this.entries;
    while (n > 0 && this.relativeOffsets[n - 1]! >= relativeOffset) n--;
    this.entries = n;
    if (this.persistedEntries > n) this.persistedEntries = n;
  }

  reset(): void {
    this.entries = 0;
    this.persistedEntries = 0;
  }

  encode(from = 0): Buffer {
    const out = Buffer.allocUnsafe((this.entries - from) * TIME_INDEX_ENTRY_SIZE);
    for (let i = from, at = 0; i < this.entries; i++, at += TIME_INDEX_ENTRY_SIZE) {
      out.writeBigInt64BE(BigInt(this.timestamps[i]!), at);
      out.writeInt32BE(this.relativeOffsets[i]!, at + 8);
    }
    return out;
  }

  /** Parses a `.timeindex` file; `maxRelativeOffset` bounds entries to the segment's offsets. */
  static decode(bytes: Buffer, maxEntries: number, maxRelativeOffset: number): TimeIndex {
    if (bytes.length % TIME_INDEX_ENTRY_SIZE !== 0) {
      throw new CorruptIndexError(`time index size ${bytes.length} is not a multiple of ${TIME_INDEX_ENTRY_SIZE}`);
    }
    const n = bytes.length / TIME_INDEX_ENTRY_SIZE;
    const index = new TimeIndex(Math.max(maxEntries, n), Math.max(8, n));
    for (let i = 0; i < n; i++) {
      const timestamp = Number(bytes.readBigInt64BE(i * TIME_INDEX_ENTRY_SIZE));
      const relativeOffset = bytes.readInt32BE(i * TIME_INDEX_ENTRY_SIZE + 8);
      if (relativeOffset < 0 || relativeOffset > maxRelativeOffset) {
        throw new CorruptIndexError(`time index entry ${i} offset ${relativeOffset} out of range`);
      }
      if (i > 0 && (timestamp <= index.lastTimestamp || relativeOffset < index.lastRelativeOffset)) {
        throw new CorruptIndexError(`time index entry ${i} (${timestamp}, ${relativeOffset}) is not increasing`);
      }
      index.maybeAppend(timestamp, relativeOffset, true);
    }
    index.persistedEntries = n;
    return index;
  }
}
