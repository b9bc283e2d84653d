/**
 * Consumer: the fetcher (positions, one Fetch per leader, records) over partitions assigned either
 * by hand or by the group this consumer is a member of (classic protocol: src/client/group-member.ts).
 */
import { Admin } from './admin.js';
import { ASSIGNORS } from './assignors.js';
import { Cluster, sleep, type ClientOptions } from './cluster.js';
import { Fetcher, type ConsumedRecord, type ResetPolicy, type TopicPartition } from './fetcher.js';
import { GroupMember } from './group-member.js';

export type { ConsumedRecord, TopicPartition } from './fetcher.js';

export interface ConsumerOptions {
  groupId?: string;
  groupInstanceId?: string | null;
  /** Where to start without a committed offset (default latest, as Java). */
  autoOffsetReset?: ResetPolicy;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Assignor names by preference (default range, cooperative-sticky as Java). */
  assignors?: string[];
  autoCommit?: boolean;
  autoCommitIntervalMs?: number;
  maxWaitMs?: number;
  minBytes?: number;
  maxBytes?: number;
  partitionMaxBytes?: number;
  /** 0 read_uncommitted (default), 1 read_committed. */
  isolationLevel?: number;
}

export class Consumer {
  readonly cluster: Cluster;
  private readonly ownsCluster: boolean;
  private readonly admin: Admin;
  readonly options: Required<Omit<ConsumerOptions, 'groupId' | 'groupInstanceId'>> & { groupId: string | null; groupInstanceId: string | null };
  private readonly fetcher: Fetcher;
  /** Null without a groupId. */
  private readonly group: GroupMember | null;
  private closed = false;
  /** Called after each assignment change (partitions added, revoked). */
  onAssignment: ((assigned: TopicPartition[], revoked: TopicPartition[]) => void) | null = null;

  constructor(options: ClientOptions | Cluster, consumerOptions: ConsumerOptions = {}) {
    this.ownsCluster = !(options instanceof Cluster);
    this.cluster = options instanceof Cluster ? options : new Cluster(options);
    this.admin = new Admin(this.cluster);
    this.options = {
      groupId: consumerOptions.groupId ?? null,
      groupInstanceId: consumerOptions.groupInstanceId ?? null,
      autoOffsetReset: consumerOptions.autoOffsetReset ?? 'latest',
      sessionTimeoutMs: consumerOptions.sessionTimeoutMs ?? 30_000,
      rebalanceTimeoutMs: consumerOptions.rebalanceTimeoutMs ?? 30_000,
      heartbeatIntervalMs: consumerOptions.heartbeatIntervalMs ?? 3_000,
      assignors: consumerOptions.assignors ?? ['range', 'cooperative-sticky'],
      autoCommit: consumerOptions.autoCommit ?? true,
      autoCommitIntervalMs: consumerOptions.autoCommitIntervalMs ?? 5_000,
      maxWaitMs: consumerOptions.maxWaitMs ?? 500,
      minBytes: consumerOptions.minBytes ?? 1,
      maxBytes: consumerOptions.maxBytes ?? 52_428_800,
      partitionMaxBytes: consumerOptions.partitionMaxBytes ?? 1_048_576,
      isolationLevel: consumerOptions.isolationLevel ?? 0,
    };
    for (const a of this.options.assignors) if (!ASSIGNORS[a]) throw new Error(`unknown assignor ${a} (range, cooperative-sticky)`);
    this.fetcher = new Fetcher(this.cluster, this.options, (requests, isolationLevel) => this.admin.listOffsets(requests, isolationLevel));
    const groupId = this.options.groupId;
    this.group = groupId ? new GroupMember(this.cluster, { ...this.options, groupId }, this.fetcher, (assigned, revoked) => this.onAssignment?.(assigned, revoked)) : null;
  }

  // ---- assignment ----

  /** Manual assignment; `offset` may be a number, 'earliest' or 'latest' (default: committed, then the reset policy). */
  assign(partitions: (TopicPartition & { offset?: bigint | 'earliest' | 'latest' })[]): void {
    this.fetcher.assign(partitions);
  }

  /** Joins the group (groupId required) for these topics. */
  subscribe(topics: string[]): void {
    if (!this.group) throw new Error('subscribe needs a groupId');
    this.group.subscribe(topics);
  }

  assignment(): TopicPartition[] {
    return this.fetcher.assignment();
  }

  seek(topic: string, partition: number, offset: bigint): void {
    this.fetcher.seek(topic, partition, offset);
  }

  position(topic: string, partition: number): bigint | null {
    return this.fetcher.position(topic, partition);
  }

  /** High watermark seen in the last fetch of each partition. */
  highWatermark(topic: string, partition: number): bigint {
    return this.fetcher.highWatermark(topic, partition);
  }

  // ---- poll ----

  /** Fetches the next records, waiting at most `timeoutMs` (default maxWaitMs) for some. */
  async poll(timeoutMs = this.options.maxWaitMs): Promise<ConsumedRecord[]> {
    const deadline = Date.now() + timeoutMs;
    const group = this.group;
    for (;;) {
      if (group?.fatal) throw group.fatal;
      if (this.closed) return [];
      if (group?.needsJoin) await group.join();
      await this.fetcher.resolvePositions(group ? (parts) => group.fetchCommitted(parts) : undefined);
      if (group?.autoCommitDue) await group.commit().catch(() => undefined);
      const left = deadline - Date.now();
      const records = await this.fetcher.fetchOnce(Math.max(0, Math.min(left, this.options.maxWaitMs)));
      if (records.length || Date.now() >= deadline) return records;
      if (!this.fetcher.size) await sleep(Math.min(50, Math.max(0, deadline - Date.now())));
    }
  }

  /** Commits current positions (or `parts`' positions, or explicit offsets). */
  async commit(parts?: TopicPartition[] | { topic: string; partition: number; offset: bigint }[]): Promise<void> {
    if (!this.group) throw new Error('commit needs a groupId');
    return this.group.commit(parts);
  }

  /** Commits (auto-commit), leaves the group and closes connections it owns. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.group?.close();
    this.closed = true;
    if (this.ownsCluster) await this.cluster.close();
  }
}
