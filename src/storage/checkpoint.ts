import { readFileIfExists, writeFileAtomic, type FileSystem } from './file-system.js';

/**
 * Kafka's checkpoint files: a version line "0", a count line, then one entry per line.
 * Written atomically (temp file, fdatasync, rename, fsync dir) so a crash leaves the old or the
 * new file, never a mix; a stray `.tmp` is dropped at start-up.
 */
export class CorruptCheckpointError extends Error {
  override readonly name = 'CorruptCheckpointError';
}

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: bigint;
}

export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';
export const REPLICATION_OFFSET_CHECKPOINT = 'replication-offset-checkpoint';
export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';
export const PARTITION_METADATA = 'partition.metadata';
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';

function parseLines(text: string, file: string, fields: number): string[][] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines[0] !== '0') throw new CorruptCheckpointError(`${file}: unsupported version ${JSON.stringify(lines[0])}`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count < 0 || lines.length !== count + 2) {
    throw new CorruptCheckpointError(`${file}: expected ${lines[1]} entries, found ${lines.length - 2}`);
  }
  return lines.slice(2).map((line) => {
    const parts = line.split(' ');
    if (parts.length !== fields) throw new CorruptCheckpointError(`${file}: malformed line ${JSON.stringify(line)}`);
    return parts;
  });
}

function toBigInt(s: string, file: string): bigint {
  if (!/^-?\d+$/.test(s)) throw new CorruptCheckpointError(`${file}: bad number ${JSON.stringify(s)}`);
  return BigInt(s);
}

/** Per-log-dir "topic partition offset" checkpoints (recovery point, log start, high watermark). */
export class OffsetCheckpointFile {
  constructor(
    private readonly fs: FileSystem,
    readonly file: string,
  ) {}

  static encode(entries: Iterable<TopicPartitionOffset>): Buffer {
    const lines: string[] = [];
    for (const e of entries) lines.push(`${e.topic} ${e.partition} ${e.offset}`);
    return Buffer.from(`0\n${lines.length}\n${lines.map((l) => l + '\n').join('')}`);
  }

  static decode(bytes: Buffer, file = 'checkpoint'): Map<string, TopicPartitionOffset> {
    const out = new Map<string, TopicPartitionOffset>();
    for (const [topic, partition, offset] of parseLines(bytes.toString('utf8'), file, 3)) {
      const p = Number(partition);
      if (!Number.isInteger(p) || p < 0) throw new CorruptCheckpointError(`${file}: bad partition ${partition}`);
      out.set(`${topic}-${p}`, { topic: topic!, partition: p, offset: toBigInt(offset!, file) });
    }
    return out;
  }

  write(entries: Iterable<TopicPartitionOffset>): Promise<void> {
    return writeFileAtomic(this.fs, this.file, OffsetCheckpointFile.encode(entries));
  }

  /** Entries keyed by "<topic>-<partition>"; undefined when the file does not exist. */
  async read(): Promise<Map<string, TopicPartitionOffset> | undefined> {
    const bytes = await readFileIfExists(this.fs, this.file);
    return bytes === undefined ? undefined : OffsetCheckpointFile.decode(bytes, this.file);
  }
}

export interface EpochEntry {
  epoch: number;
  startOffset: bigint;
}

/** `leader-epoch-checkpoint`: "0", count, "epoch startOffset" lines. */
export class LeaderEpochCheckpointFile {
  constructor(
    private readonly fs: FileSystem,
    readonly file: string,
  ) {}

  static encode(entries: readonly EpochEntry[]): Buffer {
    return Buffer.from(`0\n${entries.length}\n${entries.map((e) => `${e.epoch} ${e.startOffset}\n`).join('')}`);
  }

  static decode(bytes: Buffer, file = LEADER_EPOCH_CHECKPOINT): EpochEntry[] {
    return parseLines(bytes.toString('utf8'), file, 2).map(([epoch, start]) => {
      const e = Number(epoch);
      if (!Number.isInteger(e) || e < 0) throw new CorruptCheckpointError(`${file}: bad epoch ${epoch}`);
      return { epoch: e, startOffset: toBigInt(start!, file) };
    });
  }

  write(entries: readonly EpochEntry[]): Promise<void> {
    return writeFileAtomic(this.fs, this.file, LeaderEpochCheckpointFile.encode(entries));
  }

  async read(): Promise<EpochEntry[] | undefined> {
    const bytes = await readFileIfExists(this.fs, this.file);
    return bytes === undefined ? undefined : LeaderEpochCheckpointFile.decode(bytes, this.file);
  }
}

/** `partition.metadata`: "version: 0\ntopic_id: <Kafka Uuid string, base64url, 22 chars>". */
export class PartitionMetadataFile {
  constructor(
    private readonly fs: FileSystem,
    readonly file: string,
  ) {}

  static encode(topicId: string): Buffer {
    return Buffer.from(`version: 0\ntopic_id: ${topicId}\n`);
  }

  static decode(bytes: Buffer, file = PARTITION_METADATA): string {
    const m = /^version: 0\ntopic_id: (\S+)\n?$/.exec(bytes.toString('utf8'));
    if (!m) throw new CorruptCheckpointError(`${file}: malformed partition metadata`);
    return m[1]!;
  }

  write(topicId: string): Promise<void> {
    return writeFileAtomic(this.fs, this.file, PartitionMetadataFile.encode(topicId));
  }

  async read(): Promise<string | undefined> {
    const bytes = await readFileIfExists(this.fs, this.file);
    return bytes === undefined ? undefined : PartitionMetadataFile.decode(bytes, this.file);
  }
}
