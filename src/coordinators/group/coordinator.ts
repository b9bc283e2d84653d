/**
 * The group coordinator service: what the broker's handlers call. It validates what does not
 * need a group's state (group id, session timeout, unknown topics), finds the shard of the
 * group's `__consumer_offsets` partition (creating the topic when first needed), runs the
 * operation there and turns "loading" / "not here" into each API's error answer.
 */
import type { Logger } from '../../util/logger.js';
import { CoordinatorService } from '../runtime/service.js';
import type { InternalTopic } from '../runtime/topic.js';
import { CoordinatorError, GroupErrors as E } from './errors.js';
import type { JoinGroupResult, SyncGroupResult } from './classic-group.js';
import { GROUP_RECORD_SERDE, OFFSETS_TOPIC, type CoordinatorRecord } from './records.js';
import { GroupCoordinatorShard } from './shard.js';
import {
  joinError,
  syncError,
  type CommitArgs,
  type CoordinatorResult,
  type DeleteOffsetsResult,
  type DescribedGroup,
  type FetchOffsetsResult,
  type HeartbeatArgs,
  type JoinGroupArgs,
  type LeaveGroupResult,
  type LeavingMember,
  type ListedGroup,
  type PartitionErrors,
  type SyncGroupArgs,
} from './types.js';
import { SYSTEM_TIME, type Time } from '../../util/time.js';

export interface GroupCoordinatorConfig {
  /** offsets.topic.num.partitions: used when the topic is created (an existing topic's own count wins). */
  offsetsTopicNumPartitions: number;
  /** group.min.session.timeout.ms / group.max.session.timeout.ms */
  sessionTimeoutMinMs: number;
  sessionTimeoutMaxMs: number;
  initialRebalanceDelayMs: number;
  groupMaxSize: number;
  offsetsRetentionMs: number;
  offsetsRetentionCheckIntervalMs: number;
  offsetMetadataMaxBytes: number;
  /** Kafka: 5 minutes. */
  newMemberJoinTimeoutMs?: number;
}

/** `__consumer_offsets` as the broker provides it. */
export type OffsetsTopic = InternalTopic;

export interface GroupCoordinatorOptions {
  config: GroupCoordinatorConfig;
  time?: Time;
  logger: Logger;
  offsetsTopic: OffsetsTopic;
  /** A topic's partition count, undefined when it does not exist (commits to it are refused). */
  topicPartitions(topic: string): number | undefined;
  /** Kafka's error code for a failure of the log below. */
  errorCode(e: unknown): number;
  newMemberId?: (prefix: string) => string;
}

export interface TopicPartitions {
  name: string;
  partitions: number[];
}

const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60_000;

export class GroupCoordinator extends CoordinatorService<GroupCoordinatorShard, CoordinatorRecord> {
  readonly time: Time;

  constructor(private readonly opts: GroupCoordinatorOptions) {
    const time = opts.time ?? SYSTEM_TIME;
    const c = opts.config;
    const shardConfig = {
      initialRebalanceDelayMs: c.initialRebalanceDelayMs,
      newMemberJoinTimeoutMs: c.newMemberJoinTimeoutMs ?? NEW_MEMBER_JOIN_TIMEOUT_MS,
      groupMaxSize: c.groupMaxSize,
      offsetsRetentionMs: c.offsetsRetentionMs,
      offsetsRetentionCheckIntervalMs: c.offsetsRetentionCheckIntervalMs,
      offsetMetadataMaxBytes: c.offsetMetadataMaxBytes,
    };
    super(
      {
        time,
        serde: GROUP_RECORD_SERDE,
        errorCode: opts.errorCode,
        createShard: ({ partition, scheduler }) =>
          new GroupCoordinatorShard({ partition, timer: scheduler, now: () => time.now(), logger: opts.logger.child({ partition }), newMemberId: opts.newMemberId, config: shardConfig }),
      },
      { name: OFFSETS_TOPIC, numPartitions: c.offsetsTopicNumPartitions, topic: opts.offsetsTopic },
      opts.logger,
    );
    this.time = time;
  }

  private async run<T>(groupId: string, create: boolean, op: (s: GroupCoordinatorShard) => CoordinatorResult<T>, absent: () => T, failed: (code: number) => T): Promise<T> {
    try {
      const p = await this.topic.route(groupId, create);
      if (p === undefined) return absent();
      return await this.runtime.run(p, op);
    } catch (e) {
      if (e instanceof CoordinatorError) return failed(e.code);
      throw e;
    }
  }

  // -------------------------------------------------------------------------------------------

  joinGroup(a: JoinGroupArgs): Promise<JoinGroupResult> {
    const { sessionTimeoutMinMs: min, sessionTimeoutMaxMs: max } = this.opts.config;
    if (a.groupId === '') return Promise.resolve(joinError(a.memberId, E.INVALID_GROUP_ID));
    if (a.sessionTimeoutMs < min || a.sessionTimeoutMs > max) return Promise.resolve(joinError(a.memberId, E.INVALID_SESSION_TIMEOUT));
    const fail = (code: number) => joinError(a.memberId, code);
    return this.run(a.groupId, true, (s) => s.joinGroup(a), () => fail(E.NOT_COORDINATOR), fail);
  }

  syncGroup(a: SyncGroupArgs): Promise<SyncGroupResult> {
    if (a.groupId === '') return Promise.resolve(syncError(E.INVALID_GROUP_ID));
    // A loading coordinator has lost the rebalance in progress: the member must rejoin
    // (REBALANCE_IN_PROGRESS, which every client handles; Kafka does the same).
    const fail = (code: number) => syncError(code === E.COORDINATOR_LOAD_IN_PROGRESS ? E.REBALANCE_IN_PROGRESS : code);
    return this.run(a.groupId, false, (s) => s.syncGroup(a), () => syncError(E.UNKNOWN_MEMBER_ID), fail);
  }

  heartbeat(a: HeartbeatArgs): Promise<number> {
    if (a.groupId === '') return Promise.resolve(E.INVALID_GROUP_ID);
    // While loading, heartbeats are accepted blindly (Kafka).
    const fail = (code: number) => (code === E.COORDINATOR_LOAD_IN_PROGRESS ? E.NONE : code);
    return this.run(a.groupId, false, (s) => s.heartbeat(a), () => E.UNKNOWN_MEMBER_ID, fail);
  }

  leaveGroup(groupId: string, members: LeavingMember[]): Promise<LeaveGroupResult> {
    if (groupId === '') return Promise.resolve({ errorCode: E.INVALID_GROUP_ID, members: [] });
    const unknown = (): LeaveGroupResult => ({ errorCode: E.NONE, members: members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: E.UNKNOWN_MEMBER_ID })) });
    return this.run(groupId, false, (s) => s.leaveGroup(groupId, members), unknown, (code) => ({ errorCode: code, members: [] }));
  }

  /** OffsetCommit. Partitions of topics that do not exist get UNKNOWN_TOPIC_OR_PARTITION; the rest go to the group's shard. */
  commitOffsets(a: CommitArgs): Promise<PartitionErrors> {
    return this.commit(a);
  }

  /** TxnOffsetCommit: offsets pending in the producer's transaction until its marker. */
  commitTxnOffsets(a: CommitArgs, producerId: bigint, producerEpoch: number): Promise<PartitionErrors> {
    return this.commit(a, { producerId, producerEpoch });
  }

  private async commit(a: CommitArgs, txn?: { producerId: bigint; producerEpoch: number }): Promise<PartitionErrors> {
    const errors = new Map<string, number>();
    const known: CommitArgs['topics'] = [];
    for (const t of a.topics) {
      const count = this.opts.topicPartitions(t.name);
      const ok = t.partitions.filter((p) => count !== undefined && p.partitionIndex >= 0 && p.partitionIndex < count);
      for (const p of t.partitions) if (!ok.includes(p)) errors.set(`${t.name}\u0000${p.partitionIndex}`, E.UNKNOWN_TOPIC_OR_PARTITION);
      if (ok.length > 0) known.push({ name: t.name, partitions: ok });
    }
    if (known.length > 0) {
      const every = (code: number): PartitionErrors => ({ topics: known.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })) });
      const result = await this.run(a.groupId, true, (s) => s.commitOffsets({ ...a, topics: known }, txn), () => every(E.NOT_COORDINATOR), every);
      for (const t of result.topics) for (const p of t.partitions) errors.set(`${t.name}\u0000${p.partitionIndex}`, p.errorCode);
    }
    // The request's order, as Kafka answers.
    return {
      topics: a.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: errors.get(`${t.name}\u0000${p.partitionIndex}`) ?? E.UNKNOWN_SERVER_ERROR })),
      })),
    };
  }

  /** A COMMIT/ABORT marker was written to `__consumer_offsets-<partition>`: settle the producer's pending offsets. */
  async completeTransaction(partition: number, producerId: bigint, commit: boolean): Promise<void> {
    try {
      await this.runtime.run(partition, (s) => ({ records: [], response: s.replayEndTxnMarker(producerId, commit) }));
    } catch (e) {
      if (!(e instanceof CoordinatorError)) throw e;
      // Not served (loading): the load replays the marker from the log.
    }
  }

  /** OffsetFetch for one group; `topics` null asks for all its offsets; `requireStable` (KIP-447): UNSTABLE_OFFSET_COMMIT where a transaction's commit is pending. */
  fetchOffsets(groupId: string, topics: TopicPartitions[] | null, requireStable = false): Promise<FetchOffsetsResult> {
    const none = (): FetchOffsetsResult => ({
      errorCode: E.NONE,
      topics: (topics ?? []).map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: E.NONE })) })),
    });
    return this.run(groupId, false, (s) => ({ records: [], response: s.fetchOffsets(groupId, topics, requireStable) }), none, (code) => ({ errorCode: code, topics: [] }));
  }

  describeGroup(groupId: string): Promise<DescribedGroup> {
    const dead = (errorCode: number): DescribedGroup => ({ errorCode, groupId, groupState: errorCode === E.NONE ? 'Dead' : '', protocolType: '', protocolData: '', members: [] });
    return this.run(groupId, false, (s) => ({ records: [], response: s.describeGroup(groupId) }), () => dead(E.NONE), dead);
  }

  /** ListGroups over every partition; a partition still loading makes the answer COORDINATOR_LOAD_IN_PROGRESS (with what is known). */
  async listGroups(statesFilter: readonly string[], typesFilter: readonly string[]): Promise<{ errorCode: number; groups: ListedGroup[] }> {
    if (this.topic.isStopped) return { errorCode: E.COORDINATOR_NOT_AVAILABLE, groups: [] };
    let errorCode: number = E.NONE;
    const groups: ListedGroup[] = [];
    await Promise.all(
      this.runtime.partitions().map(async (p) => {
        try {
          groups.push(...(await this.runtime.run(p, (s) => ({ records: [], response: s.listGroups(statesFilter, typesFilter) }))));
        } catch (e) {
          if (!(e instanceof CoordinatorError)) throw e;
          if (errorCode === E.NONE) errorCode = e.code;
        }
      }),
    );
    return { errorCode, groups };
  }

  /** DeleteGroups: one result per distinct group id (Kafka answers a group named twice once). */
  async deleteGroups(requested: readonly string[]): Promise<{ groupId: string; errorCode: number }[]> {
    const groupIds = [...new Set(requested)];
    const byPartition = new Map<number, string[]>();
    const results = new Map<string, number>();
    if (this.opts.offsetsTopic.partitions() === undefined) return groupIds.map((groupId) => ({ groupId, errorCode: this.topic.isStopped ? E.COORDINATOR_NOT_AVAILABLE : E.GROUP_ID_NOT_FOUND }));
    for (const id of groupIds) {
      const p = this.partitionFor(id);
      byPartition.set(p, [...(byPartition.get(p) ?? []), id]);
    }
    await Promise.all(
      [...byPartition].map(async ([, ids]) => {
        const out = await this.run(ids[0]!, false, (s) => s.deleteGroups(ids), () => ids.map((groupId) => ({ groupId, errorCode: E.GROUP_ID_NOT_FOUND })), (code) => ids.map((groupId) => ({ groupId, errorCode: code })));
        for (const r of out) results.set(r.groupId, r.errorCode);
      }),
    );
    return groupIds.map((groupId) => ({ groupId, errorCode: results.get(groupId) ?? E.UNKNOWN_SERVER_ERROR }));
  }

  /** OffsetDelete. An empty group id is INVALID_GROUP_ID (Kafka); partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION. */
  async deleteOffsets(groupId: string, topics: TopicPartitions[]): Promise<DeleteOffsetsResult> {
    if (groupId === '') return { errorCode: E.INVALID_GROUP_ID, topics: [] };
    const known: TopicPartitions[] = [];
    for (const t of topics) {
      const count = this.opts.topicPartitions(t.name);
      const ok = t.partitions.filter((p) => count !== undefined && p >= 0 && p < count);
      if (ok.length > 0) known.push({ name: t.name, partitions: ok });
    }
    const result = await this.run(groupId, false, (s) => s.deleteOffsets(groupId, known), () => ({ errorCode: E.GROUP_ID_NOT_FOUND, topics: [] }), (code) => ({ errorCode: code, topics: [] }));
    if (result.errorCode !== E.NONE) return result;
    const found = new Map<string, number>();
    for (const t of result.topics) for (const p of t.partitions) found.set(`${t.name}\u0000${p.partitionIndex}`, p.errorCode);
    return {
      errorCode: E.NONE,
      topics: topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p, errorCode: found.get(`${t.name}\u0000${p}`) ?? E.UNKNOWN_TOPIC_OR_PARTITION })),
      })),
    };
  }
}
