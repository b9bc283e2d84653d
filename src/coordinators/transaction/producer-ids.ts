/**
 * Producer id allocation. Ids are handed out from blocks reserved durably in
 * `producer-id-block` (first log dir): the file records the first id of the next block and is
 * rewritten (temp file, fsync, rename, fsync of the directory) before any id of a new block is
 * used, so ids never repeat across restarts, whatever the kind of stop. In a cluster each block
 * also comes from the cluster (`allocateBlock`, etcd's counter): every broker's coordinator
 * hands out ids, and two producers with one id would have each other's batches taken for
 * retries (deduplicated away, acknowledged and lost).
 */
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

export const PRODUCER_ID_BLOCK_FILE = 'producer-id-block';
export const PRODUCER_ID_BLOCK_SIZE = 1000n;

export class ProducerIdManager {
  private next = 0n;
  private end = 0n;
  private reserving: Promise<void> | undefined;

  constructor(
    private readonly dir: string,
    private readonly blockSize = PRODUCER_ID_BLOCK_SIZE,
    private readonly allocateBlock?: (size: bigint, atLeast: bigint) => Promise<bigint>,
  ) {}

  private async readNextBlock(): Promise<bigint> {
    try {
      const text = await readFile(join(this.dir, PRODUCER_ID_BLOCK_FILE), 'utf8');
      const parsed = JSON.parse(text) as { nextBlockStart?: string };
      const n = BigInt(parsed.nextBlockStart ?? '0');
      return n < 0n ? 0n : n;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0n;
      throw e;
    }
  }

  private async reserve(): Promise<void> {
    const local = await this.readNextBlock();
    const start = this.allocateBlock ? await this.allocateBlock(this.blockSize, local) : local;
    const end = start + this.blockSize;
    const file = join(this.dir, PRODUCER_ID_BLOCK_FILE);
    const fh = await open(`${file}.tmp`, 'w');
    try {
      await fh.writeFile(`${JSON.stringify({ version: 1, nextBlockStart: end.toString() })}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(`${file}.tmp`, file);
    const dh = await open(this.dir, 'r');
    try {
      await dh.sync();
    } catch {
      // Some file systems cannot fsync a directory.
    } finally {
      await dh.close();
    }
    this.next = start;
    this.end = end;
  }

  /** A producer id never handed out before. */
  async generate(): Promise<bigint> {
    for (;;) {
      if (this.next < this.end) return this.next++;
      this.reserving ??= this.reserve().finally(() => (this.reserving = undefined));
      await this.reserving;
    }
  }
}
