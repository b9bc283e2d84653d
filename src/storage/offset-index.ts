/**
 * Sparse offset index of one segment, Kafka's `.index` format: 8-byte entries
 * (int32 offset relative to the segment's base offset, int32 byte position in the `.log`).
 *
 * An entry (relativeOffset, position) says: the batch whose last offset is
 * baseOffset + relativeOffset starts at `position`. Entries are added every
 * index.interval.bytes of log. Invariants: relative offsets and positions strictly increase.
 *
 * Node has no mmap, so the entries live in memory as typed arrays; the file is written from
 * memory (only the entries not yet persisted) when the segment is flushed, rolled or closed.
 * An index above the recovery point is rebuilt from the log after an unclean shutdown, so it
 * need not be durable before then (like Kafka's mmap'd index, which is msync'ed on flush).
 */
export const OFFSET_INDEX_ENTRY_SIZE = 8;

export class CorruptIndexError extends Error {
  override readonly name = 'CorruptIndexError';
}

export class OffsetIndex {
  private relativeOffsets: Int32Array;
  private positions: Int32Array;
  /** Number of entries. */
  entries = 0;
  /** Entries already written to the file (a prefix). */
  persistedEntries = 0;

  constructor(
    /** Entries allowed (segment.index.bytes / 8); a full index rolls the segment. */
    readonly maxEntries: number,
    capacity = 8,
  ) {
    this.relativeOffsets = new Int32Array(capacity);
    this.positions = new Int32Array(capacity);
  }

  get isFull(): boolean {
    return this.entries >= this.maxEntries;
  }

  get lastRelativeOffset(): number {
    return this.entries === 0 ? -1 : this.relativeOffsets[this.entries - 1]!;
  }

  get lastPosition(): number {
    return this.entries === 0 ? 0 : this.positions[this.entries - 1]!;
  }

  get sizeInBytes(): number {
    return this.entries * OFFSET_INDEX_ENTRY_SIZE;
  }

  /** Memory held, for the index cache's budget. */
  get memoryBytes(): number {
    return this.relativeOffsets.byteLength * 2;
  }

  append(relativeOffset: number, position: number): void {
    if (this.entries > 0 && (relativeOffset <= this.lastRelativeOffset || position <= this.lastPosition)) {
      throw new Error(`offset index entry (${relativeOffset}, ${position}) does not follow (${this.lastRelativeOffset}, ${this.lastPosition})`);
    }
    if (this.entries === this.relativeOffsets.length) this.grow();
    this.relativeOffsets[this.entries] = relativeOffset;
    this.positions[this.entries] = position;
    this.entries++;
  }

  private grow(): void {
    const capacity = Math.max(8, this.relativeOffsets.length * 2);
    const r = new Int32Array(capacity);
    r.set(this.relativeOffsets);
    const p = new Int32Array(capacity);
    p.set(this.positions);
    this.relativeOffsets = r;
    this.positions = p;
  }

  /** Position to start scanning for `relativeOffset`: the entry with the largest offset <= it, else 0. */
  lookup(relativeOffset: number): number {
    let lo = 0;
    let hi = this.entries - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.relativeOffsets[mid]! <= relativeOffset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? 0 : this.positions[found]!;
  }

  /** The largest indexed batch start position <= `position` (0 if none): a known batch boundary. */
  floorPosition(position: number): number {
    let lo = 0;
    let hi = this.entries - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const p = this.positions[mid]!;
      if (p <= position) {
        found = p;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Removes entries for offsets >= relativeOffset (Kafka's truncateTo). */
  truncateTo(relativeOffset: number): void {
    let n = this.entries;
    while (n > 0 && this.relativeOffsets[n - 1]! >= relativeOffset) n--;
    this.entries = n;
    if (this.persistedEntries > n) this.persistedEntries = n;
  }

  /** Removes entries pointing at or beyond `position` (used when truncating the log by bytes). */
  truncateToPosition(position: number): void {
    let n = this.entries;
    while (n > 0 && this.positions[n - 1]! >= position) n--;
    this.entries = n;
    if (this.persistedEntries > n) this.persistedEntries = n;
  }

  reset(): void {
    this.entries = 0;
    this.persistedEntries = 0;
  }

  /** File bytes of entries [from, entries). */
  encode(from = 0): Buffer {
    const out = Buffer.allocUnsafe((this.entries - from) * OFFSET_INDEX_ENTRY_SIZE);
    for (let i = from, at = 0; i < this.entries; i++, at += OFFSET_INDEX_ENTRY_SIZE) {
      out.writeInt32BE(this.relativeOffsets[i]!, at);
      out.writeInt32BE(this.positions[i]!, at + 4);
    }
    return out;
  }

  /**
   * Parses a `.index` file, checking what Kafka's sanityCheck checks and more: whole entries,
   * strictly increasing offsets and positions, positions inside the log.
   */
  static decode(bytes: Buffer, maxEntries: number, logSize: number): OffsetIndex {
    if (bytes.length % OFFSET_INDEX_ENTRY_SIZE !== 0) {
      throw new CorruptIndexError(`offset index size ${bytes.length} is not a multiple of ${OFFSET_INDEX_ENTRY_SIZE}`);
    }
    const n = bytes.length / OFFSET_INDEX_ENTRY_SIZE;
    const index = new OffsetIndex(Math.max(maxEntries, n), Math.max(8, n));
    for (let i = 0; i < n; i++) {
      const relativeOffset = bytes.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE);
      const position = bytes.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE + 4);
      if (relativeOffset < 0 || position < 0 || position >= logSize) {
        throw new CorruptIndexError(`offset index entry ${i} (${relativeOffset}, ${position}) out of range`);
      }
      if (i > 0 && (relativeOffset <= index.lastRelativeOffset || position <= index.lastPosition)) {
        throw new CorruptIndexError(`offset index entry ${i} (${relativeOffset}, ${position}) is not increasing`);
      }
      index.append(relativeOffset, position);
    }
    index.persistedEntries = n;
    return index;
  }
}
