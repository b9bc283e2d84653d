/**
 * Consumer: a fetch loop over assigned partitions (one Fetch per leader, in parallel), either
 * assigned by hand or as a member of a consumer group (classic protocol: JoinGroup/SyncGroup,
 * heartbeats, range or cooperative-sticky assignment, offset commits).
 */
import {
  ConsumerProtocolAssignmentCodec,
  ConsumerProtocolSubscriptionCodec,
  Fetch,
  Heartbeat,
  JoinGroup,
  LeaveGroup,
  OffsetCommit,
  OffsetFetch,
  SyncGroup,
  type FetchRequest,
} from './protocol.js';
import { decodeRecordBatch, forEachRecord, isPartialBatch, readAllRecords, type RecordHeader } from '../protocol/records/index.js';
import { Admin, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, decodeVersioned, encodeVersioned } from './admin.js';
import { ASSIGNORS, type Assignor, type AssignorMember } from './assignors.js';
import { Cluster, sleep, type ClientOptions } from './cluster.js';
import { ConnectionError, ErrorCode, KafkaError, needsMetadataRefresh } from './errors.js';

export interface ConsumerOptions {
  groupId?: string;
  groupInstanceId?: string | null;
  /** Where to start without a committed offset (default latest, as Java). */
  autoOffsetReset?: 'earliest' | 'latest' | 'none';
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

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  timestampType: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

interface Position {
  topic: string;
  partition: number;
  /** null: not known yet (committed offset or reset policy decides). */
  offset: bigint | null;
  highWatermark: bigint;
}

const tpKey = (topic: string, partition: number) => `${topic}\0${partition}`;

export class Consumer {
  readonly cluster: Cluster;
  private readonly ownsCluster: boolean;
  private readonly admin: Admin;
  readonly options: Required<Omit<ConsumerOptions, 'groupId' | 'groupInstanceId'>> & { groupId: string | null; groupInstanceId: string | null };
  private readonly positions = new Map<string, Position>();
  private subscription: string[] = [];
  private memberId = '';
  private generationId = -1;
  private protocol: Assignor | null = null;
  private rejoinNeeded = false;
  private joined = false;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private heartbeatBusy = false;
  private lastCommit = Date.now();
  private closed = false;
  private fatal: Error | null = null;
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
  }

  // ---- assignment ----

  /** Manual assignment; `offset` may be a number, 'earliest' or 'latest' (default: committed, then the reset policy). */
  assign(partitions: (TopicPartition & { offset?: bigint | 'earliest' | 'latest' })[]): void {
    this.positions.clear();
    for (const p of partitions) {
      const pos: Position = { topic: p.topic, partition: p.partition, offset: null, highWatermark: -1n };
      if (typeof p.offset === 'bigint') pos.offset = p.offset;
      this.positions.set(tpKey(p.topic, p.partition), pos);
      if (p.offset === 'earliest' || p.offset === 'latest') this.pendingResets.set(tpKey(p.topic, p.partition), p.offset);
    }
  }

  private readonly pendingResets = new Map<string, 'earliest' | 'latest'>();

  /** Joins the group (groupId required) for these topics. */
  subscribe(topics: string[]): void {
    if (!this.options.groupId) throw new Error('subscribe needs a groupId');
    this.subscription = [...new Set(topics)].sort();
    this.rejoinNeeded = true;
  }

  assignment(): TopicPartition[] {
    return [...this.positions.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  seek(topic: string, partition: number, offset: bigint): void {
    const p = this.positions.get(tpKey(topic, partition));
    if (!p) throw new Error(`${topic}[${partition}] is not assigned`);
    p.offset = offset;
  }

  position(topic: string, partition: number): bigint | null {
    return this.positions.get(tpKey(topic, partition))?.offset ?? null;
  }

  /** High watermark seen in the last fetch of each partition. */
  highWatermark(topic: string, partition: number): bigint {
    return this.positions.get(tpKey(topic, partition))?.highWatermark ?? -1n;
  }

  // ---- poll ----

  /** Fetches the next records, waiting at most `timeoutMs` (default maxWaitMs) for some. */
  async poll(timeoutMs = this.options.maxWaitMs): Promise<ConsumedRecord[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.fatal) throw this.fatal;
      if (this.closed) return [];
      if (this.options.groupId && this.subscription.length && (this.rejoinNeeded || !this.joined)) await this.joinGroup();
      await this.resolvePositions();
      if (this.options.groupId && this.options.autoCommit && Date.now() - this.lastCommit >= this.options.autoCommitIntervalMs) await this.commit().catch(() => undefined);
      const left = deadline - Date.now();
      const records = await this.fetchOnce(Math.max(0, Math.min(left, this.options.maxWaitMs)));
      if (records.length || Date.now() >= deadline) return records;
      if (!this.positions.size) await sleep(Math.min(50, Math.max(0, deadline - Date.now())));
    }
  }

  private async resolvePositions(): Promise<void> {
    const unknown = [...this.positions.values()].filter((p) => p.offset === null);
    if (!unknown.length) return;
    if (this.options.groupId) {
      const committed = await this.fetchCommitted(unknown);
      for (const p of unknown) {
        const c = committed.get(tpKey(p.topic, p.partition));
        if (c !== undefined && c >= 0n && !this.pendingResets.has(tpKey(p.topic, p.partition))) p.offset = c;
      }
    }
    const reset = unknown.filter((p) => p.offset === null);
    if (!reset.length) return;
    const policyOf = (p: Position) => this.pendingResets.get(tpKey(p.topic, p.partition)) ?? this.options.autoOffsetReset;
    if (reset.some((p) => policyOf(p) === 'none')) throw new Error(`no committed offset for ${reset.map((p) => `${p.topic}[${p.partition}]`).join(', ')} and autoOffsetReset is none`);
    const offsets = await this.admin.listOffsets(
      reset.map((p) => ({ topic: p.topic, partition: p.partition, timestamp: policyOf(p) === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP })),
      this.options.isolationLevel,
    );
    for (const o of offsets) {
      if (o.errorCode !== 0) throw new KafkaError(o.errorCode, `offsets of ${o.topic}[${o.partition}]`);
      const p = this.positions.get(tpKey(o.topic, o.partition));
      if (p) p.offset = o.offset;
      this.pendingResets.delete(tpKey(o.topic, o.partition));
    }
  }

  private async fetchOnce(maxWaitMs: number): Promise<ConsumedRecord[]> {
    const byLeader = new Map<number, Position[]>();
    for (const p of this.positions.values()) {
      if (p.offset === null) continue;
      let leader: number;
      try {
        leader = await this.cluster.leaderOf(p.topic, p.partition);
      } catch (e) {
        if (e instanceof KafkaError && e.retriable) continue;
        throw e;
      }
      let l = byLeader.get(leader);
      if (!l) byLeader.set(leader, (l = []));
      l.push(p);
    }
    if (!byLeader.size) {
      if (this.positions.size) {
        await sleep(Math.min(100, maxWaitMs));
        await this.cluster.refreshMetadata([...new Set([...this.positions.values()].map((p) => p.topic))]).catch(() => undefined);
      }
      return [];
    }
    if (byLeader.size === 1) {
      const [[leader, parts]] = [...byLeader];
      return this.fetchFrom(leader!, parts!, maxWaitMs);
    }
    const results = await Promise.all([...byLeader].map(([leader, parts]) => this.fetchFrom(leader, parts, maxWaitMs)));
    return results.flat();
  }

  private async fetchFrom(leader: number, parts: Position[], maxWaitMs: number): Promise<ConsumedRecord[]> {
    const conn = await this.cluster.connection(leader, 'fetch');
    const version = conn.versionOf(Fetch);
    const topics = new Map<string, FetchRequest.FetchPartition[]>();
    for (const p of parts) {
      let l = topics.get(p.topic);
      if (!l) topics.set(p.topic, (l = []));
      l.push({ partition: p.partition, currentLeaderEpoch: -1, fetchOffset: p.offset!, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: this.options.partitionMaxBytes, replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA' });
    }
    const byId = new Map<string, string>();
    const request: FetchRequest = {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1n },
      maxWaitMs,
      minBytes: this.options.minBytes,
      maxBytes: this.options.maxBytes,
      isolationLevel: this.options.isolationLevel,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...topics].map(([topic, partitions]) => {
        const topicId = this.cluster.topics.get(topic)?.topicId ?? 'AAAAAAAAAAAAAAAAAAAAAA';
        byId.set(topicId, topic);
        return { topic, topicId, partitions };
      }),
      forgottenTopicsData: [],
      rackId: '',
    };
    let res;
    try {
      res = await conn.request(Fetch, request, { version, timeoutMs: maxWaitMs + this.cluster.options.requestTimeoutMs });
    } catch (e) {
      if (e instanceof ConnectionError) {
        await this.cluster.refreshMetadata(null).catch(() => undefined);
        return [];
      }
      throw e;
    }
    if (res.errorCode !== 0) throw new KafkaError(res.errorCode, 'fetch');
    const out: ConsumedRecord[] = [];
    let refresh = false;
    for (const t of res.responses) {
      const topic = version >= 13 ? (byId.get(t.topicId) ?? t.topic) : t.topic;
      for (const pd of t.partitions) {
        const pos = this.positions.get(tpKey(topic, pd.partitionIndex));
        if (!pos || pos.offset === null) continue;
        if (pd.errorCode !== 0) {
          if (pd.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
            if (this.options.autoOffsetReset === 'none') throw new KafkaError(pd.errorCode, `${topic}[${pd.partitionIndex}] offset ${pos.offset}`);
            pos.offset = null;
            continue;
          }
          if (needsMetadataRefresh(pd.errorCode) || pd.errorCode === ErrorCode.UNKNOWN_TOPIC_ID) {
            refresh = true;
            continue;
          }
          throw new KafkaError(pd.errorCode, `fetch ${topic}[${pd.partitionIndex}]`);
        }
        pos.highWatermark = pd.highWatermark;
        if (!pd.records || !pd.records.length) continue;
        const fetchOffset = pos.offset;
        let next = fetchOffset;
        const partition = pd.partitionIndex;
        const buf = pd.records;
        if (buf.length >= 17 && buf.readInt8(16) === 2) {
          // Magic 2 (every current broker): decode batch by batch, no intermediate objects.
          for (let at = 0; at < buf.length; ) {
            if (isPartialBatch(buf, at)) break;
            const batch = decodeRecordBatch(buf, at);
            at += batch.sizeInBytes;
            if (batch.isControl) continue;
            const timestampType = batch.timestampType;
            forEachRecord(batch, (r) => {
              if (r.offset < fetchOffset) return;
              out.push({ topic, partition, offset: r.offset, timestamp: r.timestamp, timestampType, key: r.key, value: r.value, headers: r.headers });
            });
          }
          if (out.length && out[out.length - 1]!.partition === partition && out[out.length - 1]!.topic === topic) next = out[out.length - 1]!.offset + 1n;
        } else {
          for (const r of readAllRecords(buf, { allowPartialTrailing: true })) {
            if (r.offset < fetchOffset) continue;
            next = r.offset + 1n;
            if (r.isControl) continue;
            out.push({ topic, partition, offset: r.offset, timestamp: r.timestamp, timestampType: r.timestampType, key: r.key, value: r.value, headers: r.headers });
          }
        }
        // Skip over batches that held only records before the fetch offset or control records.
        const lastBatchEnd = lastCompleteBatchEnd(pd.records);
        if (lastBatchEnd !== null && lastBatchEnd > next) next = lastBatchEnd;
        pos.offset = next;
      }
    }
    if (refresh) await this.cluster.refreshMetadata([...topics.keys()]).catch(() => undefined);
    return out;
  }

  // ---- group membership ----

  private assignorsInUse(): Assignor[] {
    return this.options.assignors.map((n) => ASSIGNORS[n]!);
  }

  private async groupConn() {
    return this.cluster.coordinatorConnection(this.options.groupId!, 'group');
  }

  private async joinGroup(): Promise<void> {
    const groupId = this.options.groupId!;
    this.stopHeartbeat();
    const cooperative = this.protocol?.cooperative ?? false;
    if (this.joined && !cooperative) {
      // Eager: commit and give everything up before rejoining.
      if (this.options.autoCommit) await this.commit().catch(() => undefined);
      this.revoke(this.assignment());
    }
    this.joined = false;
    for (let attempt = 0; ; attempt++) {
      if (this.closed) return;
      if (attempt > 30) throw new Error(`cannot join group ${groupId}`);
      let conn;
      try {
        conn = await this.groupConn();
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

  private lastRevoked: TopicPartition[] = [];

  private applyAssignment(assigned: TopicPartition[]): void {
    const next = new Set(assigned.map((p) => tpKey(p.topic, p.partition)));
    const revoked = this.assignment().filter((p) => !next.has(tpKey(p.topic, p.partition)));
    if (revoked.length && this.options.autoCommit) void this.commit(revoked).catch(() => undefined);
    this.revoke(revoked);
    const added: TopicPartition[] = [];
    for (const p of assigned) {
      const k = tpKey(p.topic, p.partition);
      if (!this.positions.has(k)) {
        this.positions.set(k, { topic: p.topic, partition: p.partition, offset: null, highWatermark: -1n });
        added.push(p);
      }
    }
    this.lastRevoked = revoked;
    if (added.length || revoked.length) this.onAssignment?.(added, revoked);
  }

  private revoke(parts: TopicPartition[]): void {
    for (const p of parts) this.positions.delete(tpKey(p.topic, p.partition));
  }

  private ownedByTopic(): { topic: string; partitions: number[] }[] {
    const m = new Map<string, number[]>();
    for (const p of this.positions.values()) {
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
      const conn = await this.cluster.coordinatorConnection(this.options.groupId!, 'heartbeat');
      const res = await conn.request(Heartbeat, { groupId: this.options.groupId!, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.options.groupInstanceId });
      switch (res.errorCode) {
        case 0:
          break;
        case ErrorCode.REBALANCE_IN_PROGRESS:
          this.rejoinNeeded = true;
          break;
        case ErrorCode.UNKNOWN_MEMBER_ID:
        case ErrorCode.ILLEGAL_GENERATION:
          this.memberId = res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID ? '' : this.memberId;
          this.revoke(this.assignment());
          this.joined = false;
          this.rejoinNeeded = true;
          break;
        case ErrorCode.NOT_COORDINATOR:
        case ErrorCode.COORDINATOR_NOT_AVAILABLE:
          this.cluster.forgetCoordinator(this.options.groupId!);
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

  private async fetchCommitted(parts: TopicPartition[]): Promise<Map<string, bigint>> {
    const topics = new Map<string, number[]>();
    for (const p of parts) {
      let l = topics.get(p.topic);
      if (!l) topics.set(p.topic, (l = []));
      l.push(p.partition);
    }
    const conn = await this.cluster.coordinatorConnection(this.options.groupId!);
    const version = Math.min(conn.versionOf(OffsetFetch), 7);
    const res = await conn.request(OffsetFetch, { groupId: this.options.groupId!, topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })), groups: [], requireStable: true }, { version });
    if (res.errorCode !== 0) throw new KafkaError(res.errorCode, `committed offsets of ${this.options.groupId}`);
    const out = new Map<string, bigint>();
    for (const t of res.topics) for (const p of t.partitions) if (p.errorCode === 0) out.set(tpKey(t.name, p.partitionIndex), p.committedOffset);
    return out;
  }

  /** Commits current positions (or `parts`' positions, or explicit offsets). */
  async commit(parts?: TopicPartition[] | { topic: string; partition: number; offset: bigint }[]): Promise<void> {
    if (!this.options.groupId) throw new Error('commit needs a groupId');
    const list: { topic: string; partition: number; offset: bigint }[] = [];
    for (const p of parts ?? this.assignment()) {
      const offset = 'offset' in p ? (p as { offset: bigint }).offset : this.positions.get(tpKey(p.topic, p.partition))?.offset;
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
    const conn = await this.cluster.coordinatorConnection(this.options.groupId);
    const useGeneration = this.joined || this.subscription.length > 0;
    const res = await conn.request(OffsetCommit, {
      groupId: this.options.groupId,
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
        if (p.errorCode === ErrorCode.NOT_COORDINATOR) this.cluster.forgetCoordinator(this.options.groupId);
        throw new KafkaError(p.errorCode, `commit ${t.name}[${p.partitionIndex}]`);
      }
    }
  }

  /** Commits (auto-commit), leaves the group and closes connections it owns. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.stopHeartbeat();
    if (this.options.groupId && this.joined) {
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
    if (this.ownsCluster) await this.cluster.close();
  }
}

/** Offset after the last complete v2 batch of a fetch's records (null if none / legacy format). */
function lastCompleteBatchEnd(buf: Buffer): bigint | null {
  let at = 0;
  let end: bigint | null = null;
  while (buf.length - at >= 61) {
    const size = buf.readInt32BE(at + 8) + 12;
    if (size < 61 || at + size > buf.length) break;
    if (buf.readInt8(at + 16) !== 2) return end;
    end = buf.readBigInt64BE(at) + BigInt(buf.readInt32BE(at + 23)) + 1n;
    at += size;
  }
  return end;
}
