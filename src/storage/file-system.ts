import * as fsp from 'node:fs/promises';
import { constants, writeSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The only way the storage layer touches files. Everything is async (libuv threadpool) except the
 * log append's write into the page cache (see NodeLogFile.write), so no fsync, open, read of a
 * cold file or delete blocks the event loop. Two implementations: NodeFileSystem (real files) and
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

  async open(file: string, mode: OpenMode): Promise<LogFile> {
    const flags =
      mode === 'read' ? constants.O_RDONLY : mode === 'readwrite' ? constants.O_RDWR : constants.O_RDWR | constants.O_CREAT;
    const handle = await fsp.open(file, flags, 0o644);
    this.openFiles++;
    if (this.openFiles > this.maxOpenFiles) this.maxOpenFiles = this.openFiles;
    return new NodeLogFile(file, handle, () => this.openFiles--);
  }

  /** open + read + close (fs.readFile adds an fstat: a fourth threadpool round trip per small file). */
  async readFile(file: string): Promise<Buffer> {
    const handle = await fsp.open(file, constants.O_RDONLY);
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for (;;) {
        const chunk = Buffer.allocUnsafe(size < 65536 ? 4096 : 1 << 20);
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, size);
        if (bytesRead === 0) break;
        chunks.push(chunk.subarray(0, bytesRead));
        size += bytesRead;
        if (bytesRead < chunk.length) break;
      }
      return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    } finally {
      await handle.close();
    }
  }

  async readdir(dir: string): Promise<string[]> {
    try {
      return await fsp.readdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  async mkdir(dir: string): Promise<void> {
    await fsp.mkdir(dir, { recursive: true });
  }

  rename(from: string, to: string): Promise<void> {
    return fsp.rename(from, to);
  }

  unlink(file: string): Promise<void> {
    return fsp.unlink(file);
  }

  remove(target: string): Promise<void> {
    return fsp.rm(target, { recursive: true, force: true });
  }

  async stat(target: string): Promise<FileStat | undefined> {
    try {
      const s = await fsp.stat(target);
      return { size: s.size, isDirectory: s.isDirectory() };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async syncDir(dir: string): Promise<void> {
    const handle = await fsp.open(dir, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

class NodeLogFile implements LogFile {
  private closed = false;
  constructor(
    readonly path: string,
    private readonly handle: fsp.FileHandle,
    private readonly onClose: () => void,
  ) {}

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    let total = 0;
    while (total < length) {
      const { bytesRead } = await this.handle.read(buffer, offset + total, length - total, position + total);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    return total;
  }

  /**
   * A synchronous pwrite: copying into the page cache takes microseconds, less than a round trip
   * through the libuv threadpool, and appends to one partition are serialized anyway (Kafka
   * writes synchronously too). fdatasync stays asynchronous.
   */
  async write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<void> {
    let done = 0;
    while (done < length) done += writeSync(this.handle.fd, buffer, offset + done, length - done, position + done);
  }

  datasync(): Promise<void> {
    return this.handle.datasync();
  }

  truncate(size: number): Promise<void> {
    return this.handle.truncate(size);
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    await this.handle.close();
  }
}

/** Writes `data` to `file` so that a crash leaves either the old or the new content: temp file, fdatasync, rename, fsync dir. */
export async function writeFileAtomic(fs: FileSystem, file: string, data: Uint8Array): Promise<void> {
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
