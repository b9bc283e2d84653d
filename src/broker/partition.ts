/**
 * A partition this broker leads: its log plus what replication adds on top of it. On one node
 * the leader is always here, the ISR is this node alone, and the high watermark follows the
 * log's acknowledged end: appended, and in durable mode fdatasync'ed, so a consumer never sees
 * a record that a crash could take back.
 */
import type { PartitionLog, LogAppendInfo } from '../storage/index.js';
import type { TopicMetadata } from './metadata.js';

/** Woken when the high watermark moves; `bytes` is how much became readable. */
export type DataWaiter = (bytes: number) => void;

/** Topic configs the produce path checks, parsed once per config change rather than per request. */
export interface ProduceChecks {
  timestampType: 'CreateTime' | 'LogAppendTime';
  /** message.timestamp.before.max.ms / after.max.ms; MAX_SAFE_INTEGER = unchecked. */
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
}

export class Partition {
  /** Leader epoch: bumped when leadership changes (never on one node, kept for OffsetForLeaderEpoch). */
  leaderEpoch = 0;
  checks: ProduceChecks = { timestampType: 'CreateTime', timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER, timestampAfterMaxMs: Number.MAX_SAFE_INTEGER };
  private readonly waiters = new Set<DataWaiter>();

  constructor(
    readonly topic: TopicMetadata,
    readonly index: number,
    readonly log: PartitionLog,
  ) {}

  get name(): string {
    return `${this.topic.name}-${this.index}`;
  }
  get logStartOffset(): bigint {
    return this.log.logStartOffset;
  }
  get logEndOffset(): bigint {
    return this.log.logEndOffset;
  }
  get highWatermark(): bigint {
    return this.log.highWatermark;
  }
  /** No transactions yet: everything below the high watermark is stable. */
  get lastStableOffset(): bigint {
    return this.log.highWatermark;
  }

  /**
   * Appends validated batches as leader. Resolves once the records are acknowledged (written,
   * and synced in durable mode); the high watermark then covers them and waiting fetches wake.
   */
  async appendAsLeader(records: Buffer): Promise<LogAppendInfo> {
    const info = await this.log.append(records, this.leaderEpoch);
    if (this.log.maybeIncrementHighWatermark(info.lastOffset + 1n)) this.wake(records.length);
    return info;
  }

  onData(waiter: DataWaiter): () => void {
    this.waiters.add(waiter);
    return () => this.waiters.delete(waiter);
  }

  private wake(bytes: number): void {
    for (const w of [...this.waiters]) w(bytes);
  }
}
