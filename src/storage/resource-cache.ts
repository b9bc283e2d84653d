import type { FileSystem, LogFile } from './file-system.js';

interface HandleEntry {
  file: string;
  open: Promise<LogFile>;
  refs: number;
  evicted: boolean;
}

/**
 * Bounded LRU of open segment files shared by every partition of a broker, so thousands of
 * partitions do not exhaust file descriptors: segments are opened lazily on use and the least
 * recently used idle handle is closed to make room. A handle in use is never closed under its
 * user; when all `maxOpen` handles are busy, a new use waits for one to be released. (Callers
 * must therefore not hold one handle while waiting for another.)
 */
export class FileHandleCache {
  private readonly entries = new Map<string, HandleEntry>();
  private readonly waiters: (() => void)[] = [];
  /** Descriptors open or opening through this cache, including evicted ones still in use. */
  private openCount = 0;

  constructor(
    private readonly fs: FileSystem,
    readonly maxOpen: number,
  ) {}

  /** Handles currently cached (open or opening). */
  get size(): number {
    return this.entries.size;
  }

  /** Descriptors held (cached plus evicted-but-busy). */
  get open(): number {
    return this.openCount;
  }

  /** Runs `fn` with an open read-write handle on `file` (which must exist). */
  async use<T>(file: string, fn: (handle: LogFile) => Promise<T>): Promise<T> {
    let entry = this.entries.get(file);
    while (!entry && this.openCount >= this.maxOpen && !this.evictOneIdle()) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
      entry = this.entries.get(file);
    }
    if (entry) {
      this.entries.delete(file);
      this.entries.set(file, entry);
    } else {
      const created: HandleEntry = { file, open: this.fs.open(file, 'readwrite'), refs: 0, evicted: false };
      entry = created;
      this.openCount++;
      this.entries.set(file, created);
      created.open.catch(() => {
        if (this.entries.get(file) === created) this.entries.delete(file);
        this.openCount--;
        this.wakeOne();
      });
    }
    entry.refs++;
    try {
      const handle = await entry.open;
      return await fn(handle);
    } finally {
      entry.refs--;
      if (entry.refs === 0) {
        if (entry.evicted) this.close(entry);
        this.wakeOne();
      }
    }
  }

  private wakeOne(): void {
    this.waiters.shift()?.();
  }

  private evictOneIdle(): boolean {
    for (const entry of this.entries.values()) {
      if (entry.refs === 0) {
        this.entries.delete(entry.file);
        this.close(entry);
        return true;
      }
    }
    return false;
  }

  private close(entry: HandleEntry): void {
    entry.open.then(
      (h) => {
        this.openCount--;
        this.wakeOne();
        return h.close();
      },
      () => undefined,
    ).catch(() => undefined);
  }

  /** Closes the handle of `file` (now, or when its current users are done). Call before renaming or deleting it. */
  evict(file: string): void {
    const entry = this.entries.get(file);
    if (!entry) return;
    this.entries.delete(file);
    entry.evicted = true;
    if (entry.refs === 0) this.close(entry);
  }

  /** Closes every idle handle and waits for it; busy ones close when released. */
  async closeAll(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(
      all.map(async (entry) => {
        entry.evicted = true;
        if (entry.refs === 0) {
          await entry.open.then(
            (h) => {
              this.openCount--;
              return h.close();
            },
            () => undefined,
          );
        }
      }),
    );
  }
}

/** Something whose in-memory index can be dropped and reloaded from its files. */
export interface IndexHolder {
  /** Bytes held; 0 when unloaded. */
  readonly indexMemoryBytes: number;
  /** Drops the in-memory index if it is safely on disk; returns whether it did. */
  unloadIndexes(): boolean;
}

/**
 * LRU budget for in-memory indexes of inactive segments (Kafka mmaps them and lets the page
 * cache decide; here the budget decides). Active segments are never registered.
 */
export class IndexCache {
  private readonly holders = new Map<IndexHolder, number>();
  private total = 0;

  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.total;
  }

  /** Records use of `holder` (after loading or lookup) and evicts the least recently used beyond the budget. */
  touch(holder: IndexHolder): void {
    const old = this.holders.get(holder);
    if (old !== undefined) {
      this.holders.delete(holder);
      this.total -= old;
    }
    const bytes = holder.indexMemoryBytes;
    this.holders.set(holder, bytes);
    this.total += bytes;
    if (this.total <= this.maxBytes) return;
    for (const [h, b] of this.holders) {
      if (this.total <= this.maxBytes || h === holder) break;
      if (h.unloadIndexes()) {
        this.holders.delete(h);
        this.total -= b;
      }
    }
  }

  remove(holder: IndexHolder): void {
    const old = this.holders.get(holder);
    if (old === undefined) return;
    this.holders.delete(holder);
    this.total -= old;
  }
}

/** Runs deletions one at a time, after a delay, off the event loop (fs/promises). */
export class AsyncDeleter {
  private chain: Promise<void> = Promise.resolve();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  /** Last error, for diagnostics; deletion failures are otherwise ignored (retried at next start). */
  lastError: unknown;

  constructor(private readonly fs: FileSystem) {}

  /** Removes `target` (file or directory tree) after `delayMs`. */
  schedule(target: string, delayMs: number): void {
    if (this.closed) return;
    if (delayMs <= 0) {
      this.enqueue(target);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.enqueue(target);
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  private enqueue(target: string): void {
    this.chain = this.chain.then(() =>
      this.fs.remove(target).catch((e) => {
        this.lastError = e;
      }),
    );
  }

  /** Resolves when every deletion already due has run. */
  idle(): Promise<void> {
    return this.chain;
  }

  /** Cancels delayed deletions (the `.deleted` files are removed at the next start) and waits for running ones. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.chain;
  }
}
