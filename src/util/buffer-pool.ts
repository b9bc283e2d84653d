/**
 * Reusable buffers for fetch responses. A consumer at the head of the log asks for up to a
 * partition's max bytes (1 MiB by default) per fetch; a fresh buffer per read makes V8 collect
 * external memory all the time. Reads take a block of the next power-of-two size here and the
 * connection gives it back once the response's bytes are handed to the kernel, so the blocks
 * cycle instead. A block that is never given back (a connection closed mid-write) is just
 * garbage: the pool keeps only free blocks, at most `maxFreeBytes` of them.
 */
export class BufferPool {
  /** Free blocks by size class (log2 of the block size). */
  private readonly free = new Map<number, Buffer[]>();
  /** The block behind every buffer this pool handed out, by its ArrayBuffer. */
  private readonly blocks = new WeakMap<ArrayBufferLike, Buffer>();
  private freeBytes = 0;
  /** Blocks allocated, and acquisitions served from a free block (for tests and metrics). */
  allocated = 0;
  reused = 0;

  constructor(
    /** Smaller reads are plain allocations (Node's own slab pool serves the smallest). */
    readonly minPooledBytes = 64 * 1024,
    /** Larger reads are plain allocations too: rare, and a pool of them would hold much memory. */
    readonly maxPooledBytes = 8 * 1024 * 1024,
    readonly maxFreeBytes = 64 * 1024 * 1024,
  ) {}

  /** A buffer of exactly `size` bytes (contents undefined). */
  acquire(size: number): Buffer {
    if (size < this.minPooledBytes || size > this.maxPooledBytes) return Buffer.allocUnsafe(size);
    const cls = Math.ceil(Math.log2(size));
    const block = this.free.get(cls)?.pop();
    if (block) {
      this.freeBytes -= block.length;
      this.reused++;
      return block.subarray(0, size);
    }
    const fresh = Buffer.allocUnsafeSlow(2 ** cls);
    this.blocks.set(fresh.buffer, fresh);
    this.allocated++;
    return fresh.subarray(0, size);
  }

  /** Gives back a buffer from acquire(); the caller must not touch it afterwards. Others are ignored. */
  release(buf: Buffer): void {
    const block = this.blocks.get(buf.buffer);
    if (!block || this.freeBytes + block.length > this.maxFreeBytes) return;
    const cls = Math.log2(block.length);
    let list = this.free.get(cls);
    if (!list) this.free.set(cls, (list = []));
    // A block given back twice would be handed to two readers at once.
    if (list.includes(block)) throw new Error('buffer released twice');
    list.push(block);
    this.freeBytes += block.length;
  }
}
