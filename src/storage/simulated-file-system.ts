import * as path from 'node:path';
import type { FileStat, FileSystem, LogFile, OpenMode } from './file-system.js';

/**
 * In-memory FileSystem that knows what is durable, for crash tests.
 *
 * Model (stricter than ext4, as POSIX allows):
 * - a file's content is durable up to its last datasync; writes and truncations since then are
 *   "pending" and kept in order;
 * - creations, renames and deletions of names are durable only after syncDir of the parent;
 * - a power crash keeps durable state plus, optionally, a random prefix of each file's pending
 *   writes (the last kept one torn at a random byte) and a random prefix of pending name operations;
 * - a process crash (kill -9) keeps everything that completed: the kernel still has it.
 *
 * After crash() every handle and call of the old "process" fails with SimulatedCrashError, so the
 * code under test stops where it was; restart() hands out a fresh view of the surviving state.
 */
export class SimulatedCrashError extends Error {
  override readonly name = 'SimulatedCrashError';
  constructor() {
    super('simulated crash');
  }
}

export interface CrashOptions {
  /** 'power': unsynced data may be lost; 'process': kill -9, completed writes survive. Default 'power'. */
  kind?: 'power' | 'process';
  /**
   * Power crash only: random source; when given, a random prefix of each file's pending writes
   * survives with the last one torn, and a random prefix of pending name operations survives.
   * Without it every unsynced byte and name operation is lost.
   */
  random?: () => number;
  /** What a torn write leaves behind its surviving prefix: nothing (default), zeros or garbage of the same length. */
  tornTail?: 'none' | 'zeros' | 'garbage';
}

type PendingOp = { kind: 'write'; position: number; data: Buffer } | { kind: 'truncate'; size: number };

class Inode {
  /** Current content (what reads see). */
  data: Buffer = Buffer.alloc(0);
  length = 0;
  /** Content as of the last datasync. */
  synced: Buffer = Buffer.alloc(0);
  pending: PendingOp[] = [];

  bytes(): Buffer {
    return this.data.subarray(0, this.length);
  }

  write(src: Uint8Array, position: number): void {
    const end = position + src.length;
    if (end > this.data.length) {
      const grown = Buffer.alloc(Math.max(end, this.data.length * 2, 64));
      this.data.copy(grown, 0, 0, this.length);
      this.data = grown;
    }
    if (position > this.length) this.data.fill(0, this.length, position);
    this.data.set(src, position);
    if (end > this.length) this.length = end;
  }

  truncate(size: number): void {
    if (size > this.length) this.write(Buffer.alloc(size - this.length), this.length);
    else this.length = size;
  }

  sync(): void {
    this.synced = Buffer.from(this.bytes());
    this.pending = [];
  }

  /** Content surviving a power crash. */
  survivor(options: CrashOptions): Inode {
    const node = new Inode();
    node.write(this.synced, 0);
    const random = options.random;
    if (random && this.pending.length > 0) {
      const keep = Math.floor(random() * (this.pending.length + 1));
      for (let i = 0; i < keep; i++) {
        const op = this.pending[i]!;
        if (op.kind === 'truncate') {
          node.truncate(op.size);
          continue;
        }
        if (i < keep - 1) {
          node.write(op.data, op.position);
          continue;
        }
        // The last surviving write is torn somewhere in the middle.
        const cut = Math.floor(random() * (op.data.length + 1));
        node.write(op.data.subarray(0, cut), op.position);
        const rest = op.data.length - cut;
        if (rest > 0 && options.tornTail === 'zeros') node.write(Buffer.alloc(rest), op.position + cut);
        if (rest > 0 && options.tornTail === 'garbage') {
          const garbage = Buffer.alloc(rest);
          for (let j = 0; j < rest; j++) garbage[j] = Math.floor(random() * 256);
          node.write(garbage, op.position + cut);
        }
      }
    }
    node.sync();
    return node;
  }
}

type Entry = Inode | 'dir';
type NameOp = { dir: string; apply: (names: Map<string, Entry>) => void };

export class SimulatedFileSystem implements FileSystem {
  /** Current names (what the running process sees). */
  private names = new Map<string, Entry>([['/', 'dir']]);
  /** Names as of the last syncDir of their parent. */
  private durableNames = new Map<string, Entry>([['/', 'dir']]);
  private pendingNameOps: NameOp[] = [];
  private generation = 0;
  private crashAfter = -1;
  private crashOptions: CrashOptions = {};
  /** Every file-system call so far (crashAfterOps counts these). */
  operations = 0;
  datasyncs = 0;
  dirSyncs = 0;
  openFiles = 0;
  maxOpenFiles = 0;
  /** Test hook: an error to throw from the next write whose path matches. */
  failWrite?: { match: (file: string) => boolean; error: Error; times: number; partial?: boolean };
  failSync?: { match: (file: string) => boolean; error: Error; times: number };
  /** Milliseconds each datasync takes (real fdatasyncs are much slower than writes). */
  syncDelayMs = 0;

  /** Crash at the n-th operation from now (the operation itself may be torn). */
  crashAfterOps(n: number, options: CrashOptions = {}): void {
    this.crashAfter = this.operations + n;
    this.crashOptions = options;
  }

  get crashed(): boolean {
    return this.crashAfter === -2;
  }

  /** Crashes now: freezes what survives; every later call of this "process" fails. */
  crash(options: CrashOptions = {}): void {
    if (this.crashed) return;
    this.crashAfter = -2;
    this.generation++;
    if (options.kind === 'process') {
      for (const entry of this.names.values()) if (entry !== 'dir') entry.sync();
      this.durableNames = new Map(this.names);
      this.pendingNameOps = [];
      return;
    }
    const names = new Map(this.durableNames);
    if (options.random) {
      const keep = Math.floor(options.random() * (this.pendingNameOps.length + 1));
      for (let i = 0; i < keep; i++) this.pendingNameOps[i]!.apply(names);
    }
    // Names whose parent directory did not survive are gone too.
    const survivors = new Map<Inode, Inode>();
    const result = new Map<string, Entry>();
    for (const [name, entry] of [...names].sort((a, b) => a[0].length - b[0].length)) {
      if (name !== '/' && result.get(path.dirname(name)) !== 'dir') continue;
      if (entry === 'dir') result.set(name, 'dir');
      else {
        let node = survivors.get(entry);
        if (!node) survivors.set(entry, (node = entry.survivor(options)));
        result.set(name, node);
      }
    }
    this.names = result;
    this.durableNames = new Map(result);
    this.pendingNameOps = [];
  }

  /** A new process after a crash: calls work again on what survived. */
  restart(): void {
    this.crashAfter = -1;
    this.openFiles = 0;
  }

  /** Snapshot of a file's current bytes (for assertions). */
  fileBytes(file: string): Buffer | undefined {
    const entry = this.names.get(path.resolve(file));
    return entry && entry !== 'dir' ? Buffer.from(entry.bytes()) : undefined;
  }

  /** Test helper: overwrite a file's content as if by another program, durably. */
  setFileBytes(file: string, data: Uint8Array): void {
    file = path.resolve(file);
    let entry = this.names.get(file);
    if (entry === 'dir') throw new Error(`${file} is a directory`);
    if (!entry) {
      entry = new Inode();
      this.names.set(file, entry);
      this.durableNames.set(file, entry);
    }
    entry.length = 0;
    entry.write(data, 0);
    entry.sync();
  }

  /** Every path (files and directories), sorted. */
  list(): string[] {
    return [...this.names.keys()].sort();
  }

  private async step(file: string): Promise<number> {
    // Yield like real I/O does, so concurrent callers interleave.
    await Promise.resolve();
    if (this.crashAfter === -2) throw new SimulatedCrashError();
    this.operations++;
    if (this.crashAfter >= 0 && this.operations >= this.crashAfter) {
      return -1; // caller performs a torn version of its effect, then crashes
    }
    void file;
    return this.generation;
  }

  private crashNow(): never {
    this.crash(this.crashOptions);
    throw new SimulatedCrashError();
  }

  private nameOp(dir: string, apply: (names: Map<string, Entry>) => void): void {
    apply(this.names);
    this.pendingNameOps.push({ dir, apply });
  }

  private requireDir(dir: string): void {
    if (this.names.get(dir) !== 'dir') throw errno('ENOENT', dir);
  }

  async open(file: string, mode: OpenMode): Promise<LogFile> {
    file = path.resolve(file);
    if ((await this.step(file)) < 0) this.crashNow();
    let entry = this.names.get(file);
    if (entry === 'dir') throw errno('EISDIR', file);
    if (!entry) {
      if (mode !== 'create') throw errno('ENOENT', file);
      this.requireDir(path.dirname(file));
      const node = new Inode();
      this.nameOp(path.dirname(file), (names) => names.set(file, node));
      entry = node;
    }
    this.openFiles++;
    this.maxOpenFiles = Math.max(this.maxOpenFiles, this.openFiles);
    return new SimulatedLogFile(this, file, entry, this.generation, mode === 'read');
  }

  async readFile(file: string): Promise<Buffer> {
    file = path.resolve(file);
    if ((await this.step(file)) < 0) this.crashNow();
    const entry = this.names.get(file);
    if (!entry) throw errno('ENOENT', file);
    if (entry === 'dir') throw errno('EISDIR', file);
    return Buffer.from(entry.bytes());
  }

  async readdir(dir: string): Promise<string[]> {
    dir = path.resolve(dir);
    if ((await this.step(dir)) < 0) this.crashNow();
    if (this.names.get(dir) !== 'dir') return [];
    const out: string[] = [];
    for (const name of this.names.keys()) if (name !== dir && path.dirname(name) === dir) out.push(path.basename(name));
    return out.sort();
  }

  async mkdir(dir: string): Promise<void> {
    dir = path.resolve(dir);
    if ((await this.step(dir)) < 0) this.crashNow();
    const missing: string[] = [];
    for (let d = dir; !this.names.has(d); d = path.dirname(d)) missing.unshift(d);
    for (const d of missing) this.nameOp(path.dirname(d), (names) => names.set(d, 'dir'));
    if (this.names.get(dir) !== 'dir') throw errno('ENOTDIR', dir);
  }

  async rename(from: string, to: string): Promise<void> {
    from = path.resolve(from);
    to = path.resolve(to);
    if ((await this.step(from)) < 0) this.crashNow();
    const entry = this.names.get(from);
    if (!entry) throw errno('ENOENT', from);
    this.requireDir(path.dirname(to));
    this.nameOp(path.dirname(to), (names) => {
      const moved = [...names].filter(([n]) => n === from || n.startsWith(from + '/'));
      for (const [n] of moved) names.delete(n);
      for (const [n, e] of moved) names.set(to + n.slice(from.length), e);
    });
  }

  async unlink(file: string): Promise<void> {
    file = path.resolve(file);
    if ((await this.step(file)) < 0) this.crashNow();
    const entry = this.names.get(file);
    if (!entry) throw errno('ENOENT', file);
    if (entry === 'dir') throw errno('EISDIR', file);
    this.nameOp(path.dirname(file), (names) => names.delete(file));
  }

  async remove(target: string): Promise<void> {
    target = path.resolve(target);
    if ((await this.step(target)) < 0) this.crashNow();
    if (!this.names.has(target)) return;
    this.nameOp(path.dirname(target), (names) => {
      for (const n of [...names.keys()]) if (n === target || n.startsWith(target + '/')) names.delete(n);
    });
  }

  async stat(target: string): Promise<FileStat | undefined> {
    target = path.resolve(target);
    if ((await this.step(target)) < 0) this.crashNow();
    const entry = this.names.get(target);
    if (!entry) return undefined;
    return entry === 'dir' ? { size: 0, isDirectory: true } : { size: entry.length, isDirectory: false };
  }

  async syncDir(dir: string): Promise<void> {
    dir = path.resolve(dir);
    if ((await this.step(dir)) < 0) this.crashNow();
    this.requireDir(dir);
    this.dirSyncs++;
    const rest: NameOp[] = [];
    for (const op of this.pendingNameOps) {
      if (op.dir === dir) op.apply(this.durableNames);
      else rest.push(op);
    }
    this.pendingNameOps = rest;
  }

  /** @internal used by SimulatedLogFile */
  async fileStep(file: string, generation: number): Promise<boolean> {
    if (generation !== this.generation) {
      await Promise.resolve();
      throw new SimulatedCrashError();
    }
    return (await this.step(file)) >= 0;
  }

  /** @internal */
  tornWriteAndCrash(node: Inode, data: Uint8Array, position: number): never {
    // The crashing write is pending: it may survive torn according to the crash options.
    node.write(data, position);
    node.pending.push({ kind: 'write', position, data: Buffer.from(data) });
    this.crashNow();
  }

  /** @internal */
  crashDuringOp(): never {
    this.crashNow();
  }
}

class SimulatedLogFile implements LogFile {
  private closed = false;
  constructor(
    private readonly fs: SimulatedFileSystem,
    readonly path: string,
    private readonly node: Inode,
    private readonly generation: number,
    private readonly readOnly: boolean,
  ) {}

  private async begin(): Promise<boolean> {
    if (this.closed) throw errno('EBADF', this.path);
    return this.fs.fileStep(this.path, this.generation);
  }

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    if (!(await this.begin())) this.fs.crashDuringOp();
    const n = Math.max(0, Math.min(length, this.node.length - position));
    if (n > 0) buffer.set(this.node.data.subarray(position, position + n), offset);
    return n;
  }

  async write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<void> {
    const ok = await this.begin();
    if (this.readOnly) throw errno('EBADF', this.path);
    const data = buffer.subarray(offset, offset + length);
    if (!ok) this.fs.tornWriteAndCrash(this.node, data, position);
    const fail = this.fs.failWrite;
    if (fail && fail.times > 0 && fail.match(this.path)) {
      fail.times--;
      if (fail.partial) {
        const half = data.subarray(0, data.length >> 1);
        this.node.write(half, position);
        this.node.pending.push({ kind: 'write', position, data: Buffer.from(half) });
      }
      throw fail.error;
    }
    this.node.write(data, position);
    this.node.pending.push({ kind: 'write', position, data: Buffer.from(data) });
  }

  async datasync(): Promise<void> {
    if (this.fs.syncDelayMs > 0) await new Promise((r) => setTimeout(r, this.fs.syncDelayMs));
    if (!(await this.begin())) this.fs.crashDuringOp();
    const fail = this.fs.failSync;
    if (fail && fail.times > 0 && fail.match(this.path)) {
      fail.times--;
      throw fail.error;
    }
    this.fs.datasyncs++;
    this.node.sync();
  }

  async truncate(size: number): Promise<void> {
    if (!(await this.begin())) this.fs.crashDuringOp();
    this.node.truncate(size);
    this.node.pending.push({ kind: 'truncate', size });
  }

  async size(): Promise<number> {
    if (!(await this.begin())) this.fs.crashDuringOp();
    return this.node.length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fs.openFiles--;
  }
}

function errno(code: string, file: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${code}: ${file}`);
  e.code = code;
  return e;
}
