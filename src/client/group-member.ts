/**
 * A consumer's membership of its group (classic protocol): JoinGroup/SyncGroup, the leader's
 * assignment (range or cooperative-sticky), heartbeats, offset commits and LeaveGroup. The
 * partitions it is given or loses are added to and removed from the fetcher.
 */
import {
  ConsumerProtocolAssignmentCodec,
  ConsumerProtocolSubscriptionCodec,
  Heartbeat,
  JoinGroup,
  LeaveGroup,
  OffsetCommit,
  OffsetFetch,
  SyncGroup,
} from './protocol.js';
import { decodeVersioned, encodeVersioned } from './admin.js';
import { ASSIGNORS, type Assignor, type AssignorMember } from './assignors.js';
import { sleep, type Cluster } from './cluster.js';
import { ConnectionError, ErrorCode, KafkaError } from './errors.js';
import { tpKey, type Fetcher, type TopicPartition } from './fetcher.js';

export interface GroupMemberOptions {
  groupId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Assignor names by preference. */
  assignors: string[];
  autoCommit: boolean;
  autoCommitIntervalMs: number;
}

export class GroupMember {
  private subscription: string[] = [];
  private memberId = '';
  private generationId = -1;
  private protocol: Assignor | null = null;
  private rejoinNeeded = false;
  private joined = false;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private heartbeatBusy = false;
  private lastCommit = Date.now();
  private lastRevoked: TopicPartition[] = [];
  private closed = false;
  /** Set by a heartbeat that cannot go on (a fenced static member); the next poll throws it. */
  fatal: Error | null = null;

  constructor(
    private readonly cluster: Cluster,
    private readonly options: GroupMemberOptions,
    private readonly fetcher: Fetcher,
    /** Called after each assignment change (partitions added, revoked). */
    private readonly onAssignment: (assigned: TopicPartition[], revoked: TopicPartition[]) => void,
  ) {}

  subscribe(topics: string[]): void {
    this.subscription = [...new Set(topics)].sort();
    this.rejoinNeeded = true;
  }

  /** Subscribed, and not (or no longer) a member of the current generation. */
  get needsJoin(): boolean {
    return this.subscription.length > 0 && (this.rejoinNeeded || !this.joined);
  }

  get autoCommitDue(): boolean {
    return this.options.autoCommit && Date.now() - this.lastCommit >= this.options.autoCommitIntervalMs;
  }

  private assignorsInUse(): Assignor[] {
    return this.options.assignors.map((n) => ASSIGNORS[n]!);
  }

  async join(): Promise<void> {
    const groupId = this.options.groupId;
    this.stopHeartbeat();
    const cooperative = this.protocol?.cooperative ?? false;
    if (this.joined && !cooperative) {
      // Eager: commit and give everything up before rejoining.
      if (this.options.autoCommit) await this.commit().catch(() => undefined);
      this.fetcher.remove(this.fetcher.assignment());
    }
    this.joined = false;
    for (let attempt = 0; ; attempt++) {
      if (this.closed) return;
      if (attempt > 30) throw new Error(`cannot join group ${groupId}`);
      let conn;
      try {
        conn = await this.cluster.coordinatorConnection(groupId, 'group');
      } catch (e) {
        if (e instanceof KafkaError && e.retriable) {
          await sleep(200);
          continue;
        }
        throw e;
      }
      const owned = this.ownedByTopic();
      const protocols = this.assignorsInUse().map((a) => ({
        name: a.name,
        metadata: encodeVersioned(ConsumerProtocolSubscriptionCodec, { topics: this.subscription, userData: null, ownedPartitions: a.cooperative ? owned : [], generationId: this.generationId, rackId: null }, 3),
      }));
      let join;
      try {
        join = await conn.request(
          JoinGroup,
          {
            groupId,
            sessionTimeoutMs: this.options.sessionTimeoutMs,
            rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
            memberId: this.memberId,
            groupInstanceId: this.options.groupInstanceId,
            protocolType: 'consumer',
            protocols,
            reason: null,
          },
          { timeoutMs: this.options.rebalanceTimeoutMs + 10_000 },
        );
      } catch (e) {
        if (e instanceof ConnectionError) {
          this.cluster.forgetCoordinator(groupId);
          await sleep(200);
          continue;
        }
        throw e;
      }
      if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        this.memberId = join.memberId;
        continue;
      }
      if (join.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        this.memberId = '';
        continue;
      }
      if (join.errorCode === ErrorCode.NOT_COORDINATOR || join.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE) {
        this.cluster.forgetCoordinator(groupId);
        await sleep(100);
        continue;
      }
      if (join.errorCode === ErrorCode.REBALANCE_IN_PROGRESS || join.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) {
        await sleep(100);
        continue;
      }
      if (join.errorCode !== 0) throw new KafkaError(join.errorCode, `join group ${groupId}`);
      this.memberId = join.memberId;
      this.generationId = join.generationId;
      const protocol = ASSIGNORS[join.protocolName ?? ''];
      if (!protocol) throw new Error(`group ${groupId} chose protocol ${join.protocolName}, which this client does not have`);
      this.protocol = protocol;
      let assignments: { memberId: string; assignment: Buffer }[] = [];
      if (join.leader === join.memberId && !join.skipAssignment) assignments = await this.computeAssignments(protocol, join.members);
      let sync;
      try {
        sync = await conn.request(
          SyncGroup,
          { groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.options.groupInstanceId, protocolType: 'consumer', protocolName: protocol.name, assignments },
          { timeoutMs: this.options.rebalanceTimeoutMs + 10_000 },
        );
      } catch (e) {
        if (e instanceof ConnectionError) {
          this.cluster.forgetCoordinator(groupId);
          continue;
        }
        throw e;
      }
      if (sync.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) continue;
      if (sync.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        this.memberId = '';
        continue;
      }
      if (sync.errorCode === ErrorCode.ILLEGAL_GENERATION || sync.errorCode === ErrorCode.NOT_COORDINATOR) {
        if (sync.errorCode === ErrorCode.NOT_COORDINATOR) this.cluster.forgetCoordinator(groupId);
        continue;
      }
      if (sync.errorCode !== 0) throw new KafkaError(sync.errorCode, `sync group ${groupId}`);
      const assigned: TopicPartition[] = [];
      if (sync.assignment.length) {
        for (const a of decodeVersioned(ConsumerProtocolAssignmentCodec, sync.assignment).assignedPartitions) for (const p of a.partitions) assigned.push({ topic: a.topic, partition: p });
      }
      this.applyAssignment(assigned);
      this.joined = true;
      this.rejoinNeeded = false;
      // Cooperative: partitions given up must be revoked before others get them: rejoin now.
      if (protocol.cooperative && this.lastRevoked.length) this.rejoinNeeded = true;
      this.startHeartbeat();
      return;
    }
  }

  private applyAssignment(assigned: TopicPartition[]): void {
    const next = new Set(assigned.map((p) => tpKey(p.topic, p.partition)));
    const revoked = this.fetcher.assignment().filter((p) => !next.has(tpKey(p.topic, p.partition)));
    if (revoked.length && this.options.autoCommit) void this.commit(revoked).catch(() => undefined);
    this.fetcher.remove(revoked);
    const added = assigned.filter((p) => this.fetcher.add(p));
    this.lastRevoked = revoked;
    if (added.length || revoked.length) this.onAssignment(added, revoked);
  }

  private ownedByTopic(): { topic: string; partitions: number[] }[] {
    const m = new Map<string, number[]>();
    for (const p of this.fetcher.assignment()) {
      let l = m.get(p.topic);
      if (!l) m.set(p.topic, (l = []));
      l.push(p.partition);
    }
    return [...m].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
  }

  private async computeAssignments(protocol: Assignor, members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[]): Promise<{ memberId: string; assignment: Buffer }[]> {
    const am: AssignorMember[] = members.map((m) => {
      const sub = decodeVersioned(ConsumerProtocolSubscriptionCodec, m.metadata);
      return {
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        topics: sub.topics,
        owned: sub.ownedPartitions.flatMap((o) => o.partitions.map((partition) => ({ topic: o.topic, partition }))),
        generation: sub.generationId,
      };
    });
    const topics = [...new Set(am.flatMap((m) => m.topics))];
    const counts = new Map<string, number>();
    await this.cluster.refreshMetadata(topics, true).catch(() => undefined);
    for (const t of topics) {
      const info = this.cluster.topics.get(t);
      if (info && info.errorCode === 0) counts.set(t, info.partitions.length);
    }
    const result = protocol.assign(am, counts);
    return am.map((m) => ({
      memberId: m.memberId,
      assignment: encodeVersioned(
        ConsumerProtocolAssignmentCodec,
        { assignedPartitions: [...(result.get(m.memberId) ?? new Map<string, number[]>())].map(([topic, partitions]) => ({ topic, partitions })), userData: null },
        protocol.cooperative ? 1 : 0,
      ),
    }));
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.options.heartbeatIntervalMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private async heartbeat(): Promise<void> {
    if (this.heartbeatBusy || !this.joined || this.rejoinNeeded) return;
    this.heartbeatBusy = true;
    try {
      const conn = await this.cluster.coordinatorConnection(this.options.groupId, 'heartbeat');
      const res = await conn.request(Heartbeat, { groupId: this.options.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.options.groupInstanceId });
      switch (res.errorCode) {
        case 0:
          break;
        case ErrorCode.REBALANCE_IN_PROGRESS:
          this.rejoinNeeded = true;
          break;
        case ErrorCode.UNKNOWN_MEMBER_ID:
        case ErrorCode.ILLEGAL_GENERATION:
          this.memberId = res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID ? '' : this.memberId;
          this.fetcher.remove(this.fetcher.assignment());
          this.joined = false;
          this.rejoinNeeded = true;
          break;
        case ErrorCode.NOT_COORDINATOR:
        case ErrorCode.COORDINATOR_NOT_AVAILABLE:
          this.cluster.forgetCoordinator(this.options.groupId);
          this.rejoinNeeded = true;
          break;
        case ErrorCode.FENCED_INSTANCE_ID:
          this.fatal = new KafkaError(res.errorCode, `group ${this.options.groupId}`);
          break;
      }
    } catch {
      /* next beat retries */
    } finally {
      this.heartbeatBusy = false;
    }
  }

  /** The group's committed offsets of `parts`, by `tpKey` (none: absent). */
  async fetchCommitted(parts: TopicPartition[]): Promise<Map<string, bigint>> {
    const topics = new Map<string, number[]>();
    for (const p of parts) {
      let l = topics.get(p.topic);
      if (!l) topics.set(p.topic, (l = []));
      l.push(p.partition);
    }
    const conn = await this.cluster.coordinatorConnection(this.options.groupId);
    const version = Math.min(conn.versionOf(OffsetFetch), 7);
    const res = await conn.request(OffsetFetch, { groupId: this.options.groupId, topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })), groups: [], requireStable: true }, { version });
    if (res.errorCode !== 0) throw new KafkaError(res.errorCode, `committed offsets of ${this.options.groupId}`);
    const out = new Map<string, bigint>();
    for (const t of res.topics) for (const p of t.partitions) if (p.errorCode === 0) out.set(tpKey(t.name, p.partitionIndex), p.committedOffset);
    return out;
  }

  /** Commits the fetcher's positions (of all assigned partitions, or of `parts`), or explicit offsets. */
  async commit(parts?: TopicPartition[] | { topic: string; partition: number; offset: bigint }[]): Promise<void> {
    const groupId = this.options.groupId;
    const list: { topic: string; partition: number; offset: bigint }[] = [];
    for (const p of parts ?? this.fetcher.assignment()) {
      const offset = 'offset' in p ? (p as { offset: bigint }).offset : this.fetcher.position(p.topic, p.partition);
      if (offset !== null && offset !== undefined) list.push({ topic: p.topic, partition: p.partition, offset });
    }
    this.lastCommit = Date.now();
    if (!list.length) return;
    const topics = new Map<string, { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; commitTimestamp: bigint; committedMetadata: string | null }[]>();
    for (const o of list) {
      let l = topics.get(o.topic);
      if (!l) topics.set(o.topic, (l = []));
      l.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' });
    }
    const conn = await this.cluster.coordinatorConnection(groupId);
    // A consumer that assigned partitions by hand commits outside any generation.
    const useGeneration = this.joined || this.subscription.length > 0;
    const res = await conn.request(OffsetCommit, {
      groupId,
      generationIdOrMemberEpoch: useGeneration ? this.generationId : -1,
      memberId: useGeneration ? this.memberId : '',
      groupInstanceId: useGeneration ? this.options.groupInstanceId : null,
      retentionTimeMs: -1n,
      topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
    });
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.errorCode === 0) continue;
        if (p.errorCode === ErrorCode.REBALANCE_IN_PROGRESS || p.errorCode === ErrorCode.ILLEGAL_GENERATION || p.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.rejoinNeeded = true;
        if (p.errorCode === ErrorCode.NOT_COORDINATOR) this.cluster.forgetCoordinator(groupId);
        throw new KafkaError(p.errorCode, `commit ${t.name}[${p.partitionIndex}]`);
      }
    }
  }

  /** Commits (auto-commit) and leaves the group; a static member stays until its session times out. */
  async close(): Promise<void> {
    this.stopHeartbeat();
    if (this.joined) {
      if (this.options.autoCommit) await this.commit().catch(() => undefined);
      if (!this.options.groupInstanceId) {
        try {
          const conn = await this.cluster.coordinatorConnection(this.options.groupId);
          const version = conn.versionOf(LeaveGroup);
          await conn.request(
            LeaveGroup,
            version >= 3
              ? { groupId: this.options.groupId, memberId: '', members: [{ memberId: this.memberId, groupInstanceId: null, reason: version >= 5 ? 'consumer closed' : null }] }
              : { groupId: this.options.groupId, memberId: this.memberId, members: [] },
            { version },
          );
        } catch {
          /* the session times out instead */
        }
      }
    }
    this.closed = true;
    this.joined = false;
  }
}
