import * as fsp from 'node:fs/promises';
import { closeSync, constants, fdatasync, fstat, fsync, ftruncate, openSync, read, readdirSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Limiter } from '../util/limiter.js';

const readAt = promisify(read);
const fdatasyncAsync = promisify(fdatasync);
const fsyncAsync = promisify(fsync);
const ftruncateAsync = promisify(ftruncate);
const fstatAsync = promisify(fstat);

/**
 * The only way the storage layer touches files. Segment reads, fdatasync, fsync and truncation are
 * async (libuv threadpool): they can wait on the disk. The log append's write into the page cache
 * (NodeLogFile.write), metadata calls and whole-file reads of small files are synchronous in
 * NodeFileSystem (microseconds, less than a threadpool round trip). Two implementations: NodeFileSystem (real files) and
 * SimulatedFileSystem (in memory, can crash: unsynced data lost, torn last write).
 */
export interface LogFile {
  /** Path at open time (the file may since have been renamed; the handle stays valid). */
  readonly path: string;
  /** Reads up to `length` bytes at `position`; returns the count (short only at end of file). */
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  /** Writes all `length` bytes at `position` (short writes are retried). */
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<void>;
  /** fdatasync: the file's data (and size) are on stable storage when this resolves. */
  datasync(): Promise<void>;
  truncate(size: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

export type OpenMode =
  /** Existing file, read only. */
  | 'read'
  /** Existing file, read and write. */
  | 'readwrite'
  /** Read and write, created if missing, never truncated. */
  | 'create';

export interface FileStat {
  size: number;
  isDirectory: boolean;
}

export interface FileSystem {
  open(file: string, mode: OpenMode): Promise<LogFile>;
  readFile(file: string): Promise<Buffer>;
  /** Names in a directory (not paths); [] if it does not exist. */
  readdir(dir: string): Promise<string[]>;
  /** mkdir -p */
  mkdir(dir: string): Promise<void>;
  /** Atomic replace of `to`. Durable only after syncDir of both parents. */
  rename(from: string, to: string): Promise<void>;
  unlink(file: string): Promise<void>;
  /** rm -rf */
  remove(target: string): Promise<void>;
  stat(target: string): Promise<FileStat | undefined>;
  /** fsync of a directory: makes creations, renames and deletions in it durable. */
  syncDir(dir: string): Promise<void>;
}

/** fs/promises implementation. Counts open descriptors so tests can check the bound. */
export class NodeFileSystem implements FileSystem {
  /** Descriptors currently open through this instance. */
  openFiles = 0;
  /** Most descriptors ever open at once. */
  maxOpenFiles = 0;

  /**
   * Metadata calls (open, close, rename, unlink, stat, readdir) and whole-file reads of the small
   * files this layer reads whole (checkpoints, snapshots, indexes of aborted transactions) are
   * synchronous: they take microseconds in the kernel, less than a round trip through the libuv
   * threadpool (a start with 10,000 partitions makes ~100,000 of them). Segment reads,
   * fdatasync, fsync and truncation, which can wait on the disk, stay asynchronous.
   */
  async open(file: string, mode: OpenMode): Promise<LogFile> {
    const flags =
      mode === 'read' ? constants.O_RDONLY : mode === 'readwrite' ? constants.O_RDWR : constants.O_RDWR | constants.O_CREAT;
    const fd = openSync(file, flags, 0o644);
    this.openFiles++;
    if (this.openFiles > this.maxOpenFiles) this.maxOpenFiles = this.openFiles;
    return new NodeLogFile(file, fd, () => this.openFiles--);
  }

  async readFile(file: string): Promise<Buffer> {
    const fd = openSync(file, constants.O_RDONLY);
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for (;;) {
        const chunk = Buffer.allocUnsafe(size < 65536 ? 4096 : 1 << 20);
        const bytesRead = readSync(fd, chunk, 0, chunk.length, size);
        if (bytesRead === 0) break;
        chunks.push(chunk.subarray(0, bytesRead));
        size += bytesRead;
        if (bytesRead < chunk.length) break;
      }
      return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    } finally {
      closeSync(fd);
    }
  }

  async readdir(dir: string): Promise<string[]> {
    try {
      return readdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  async mkdir(dir: string): Promise<void> {
    await fsp.mkdir(dir, { recursive: true });
  }

  async rename(from: string, to: string): Promise<void> {
    renameSync(from, to);
  }

  async unlink(file: string): Promise<void> {
    unlinkSync(file);
  }

  remove(target: string): Promise<void> {
    return fsp.rm(target, { recursive: true, force: true });
  }

  async stat(target: string): Promise<FileStat | undefined> {
    try {
      const s = statSync(target);
      return { size: s.size, isDirectory: s.isDirectory() };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async syncDir(dir: string): Promise<void> {
    const fd = openSync(dir, constants.O_RDONLY);
    try {
      await fsyncAsync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/** A descriptor; like a FileHandle, close() waits for the calls still running on it (the number could be reused under them). */
class NodeLogFile implements LogFile {
  private closed = false;
  private running = 0;
  private drained: (() => void) | undefined;
  constructor(
    readonly path: string,
    private readonly fd: number,
    private readonly onClose: () => void,
  ) {}

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    this.ensureOpen();
    // Tracked as one call: a close() between two short reads must not free the descriptor under the second.
    return this.track(
      (async () => {
        let total = 0;
        while (total < length) {
          const { bytesRead } = await readAt(this.fd, buffer, offset + total, length - total, position + total);
          if (bytesRead === 0) break;
          total += bytesRead;
        }
        return total;
      })(),
    );
  }

  /**
   * A synchronous pwrite: copying into the page cache takes microseconds, less than a round trip
   * through the libuv threadpool, and appends to one partition are serialized anyway (Kafka
   * writes synchronously too). fdatasync stays asynchronous.
   */
  async write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<void> {
    this.ensureOpen();
    let done = 0;
    while (done < length) done += writeSync(this.fd, buffer, offset + done, length - done, position + done);
  }

  async datasync(): Promise<void> {
    this.ensureOpen();
    return this.track(fdatasyncAsync(this.fd));
  }

  async truncate(size: number): Promise<void> {
    this.ensureOpen();
    return this.track(ftruncateAsync(this.fd, size));
  }

  async size(): Promise<number> {
    this.ensureOpen();
    return (await this.track(fstatAsync(this.fd))).size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    if (this.running > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    closeSync(this.fd);
  }

  /** A call after close() fails as on a closed FileHandle: the descriptor may belong to another file by now. */
  private ensureOpen(): void {
    if (this.closed) throw Object.assign(new Error(`EBADF: file closed, ${this.path}`), { code: 'EBADF' });
  }

  private track<T>(call: Promise<T>): Promise<T> {
    this.running++;
    return call.finally(() => {
      if (--this.running === 0) this.drained?.();
    });
  }
}

/**
 * Small files written at once per file system: each holds a descriptor through its fdatasync, and
 * 10,000 partitions taking their first write together (a leader epoch checkpoint each) must not
 * run out of descriptors.
 */
const ATOMIC_WRITES_AT_ONCE = 32;
const atomicWrites = new WeakMap<FileSystem, Limiter>();

/** Writes `data` to `file` so that a crash leaves either the old or the new content: temp file, fdatasync, rename, fsync dir. */
export function writeFileAtomic(fs: FileSystem, file: string, data: Uint8Array): Promise<void> {
  let limiter = atomicWrites.get(fs);
  if (!limiter) atomicWrites.set(fs, (limiter = new Limiter(ATOMIC_WRITES_AT_ONCE)));
  return limiter.run(() => writeAtomically(fs, file, data));
}

async function writeAtomically(fs: FileSystem, file: string, data: Uint8Array): Promise<void> {
  const tmp = `${file}.tmp`;
  const handle = await fs.open(tmp, 'create');
  try {
    await handle.truncate(0);
    await handle.write(data, 0, data.length, 0);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
  await fs.syncDir(path.dirname(file));
}

/** Reads a whole file, or undefined if it does not exist. */
export async function readFileIfExists(fs: FileSystem, file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
