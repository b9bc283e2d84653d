/**
 * The committed offsets of one `__consumer_offsets` partition (Kafka's OffsetMetadataManager):
 * OffsetCommit and TxnOffsetCommit (KIP-447: pending until the transaction's marker),
 * OffsetFetch, OffsetDelete and expiry after offsets.retention.minutes. Offsets change only by
 * replaying OffsetCommit records (a tombstone deletes). Commits are checked against the
 * classic group they name, which the group manager holds.
 */
import { CONSUMER_PROTOCOL_TYPE, Deferred, type ClassicGroup } from './classic-group.js';
import { GroupErrors as E } from './errors.js';
import type { ClassicGroupManager } from './group-manager.js';
import { OffsetStore, type OffsetAndMetadata } from './offsets.js';
import type { OffsetCommitRecord } from './records.js';
import {
  appendErrorToResponseError,
  done,
  type CommitArgs,
  type CoordinatorResult,
  type DeleteOffsetsResult,
  type FetchedOffset,
  type FetchOffsetsResult,
  type PartitionErrors,
  type Records,
  type ShardConfig,
} from './types.js';

export class OffsetManager {
  readonly offsets = new OffsetStore();
  /** Transactional offset commits not yet decided, by producer id. */
  readonly pendingTxnOffsets = new Map<bigint, Map<string, OffsetCommitRecord>>();

  constructor(
    private readonly groupManager: ClassicGroupManager,
    private readonly config: ShardConfig,
    private readonly now: () => number,
  ) {}

  // -------------------------------------------------------------------------------------------
  // Replay

  /** An offset commit; `producerId` set: part of that producer's transaction, pending until its marker. */
  replay(record: OffsetCommitRecord, producerId?: bigint): void {
    if (producerId !== undefined && producerId >= 0n) {
      let pending = this.pendingTxnOffsets.get(producerId);
      if (!pending) this.pendingTxnOffsets.set(producerId, (pending = new Map()));
      pending.set(`${record.group}\u0000${record.topic}\u0000${record.partition}`, record);
      return;
    }
    this.replayOffset(record);
  }

  /** A transaction marker: the producer's pending offsets become committed (COMMIT) or are dropped (ABORT). */
  replayEndTxnMarker(producerId: bigint, commit: boolean): void {
    const pending = this.pendingTxnOffsets.get(producerId);
    if (!pending) return;
    this.pendingTxnOffsets.delete(producerId);
    if (commit) for (const r of pending.values()) this.replayOffset(r);
  }

  private replayOffset(r: OffsetCommitRecord): void {
    if (r.value === null) {
      this.offsets.delete(r.group, r.topic, r.partition);
      return;
    }
    // Offsets without a group belong to a "simple" group (consumers using assign()), as in Kafka.
    this.groupManager.simpleGroup(r.group);
    this.offsets.put(r.group, r.topic, r.partition, {
      offset: r.value.offset,
      leaderEpoch: r.value.leaderEpoch,
      metadata: r.value.metadata,
      commitTimestamp: Number(r.value.commitTimestamp),
      expireTimestamp: r.value.expireTimestamp >= 0n ? Number(r.value.expireTimestamp) : undefined,
    });
  }

  // -------------------------------------------------------------------------------------------
  // OffsetCommit, TxnOffsetCommit, OffsetFetch, OffsetDelete

  commitOffsets(a: CommitArgs, txn?: { producerId: bigint; producerEpoch: number }): CoordinatorResult<PartitionErrors> {
    const now = this.now();
    const every = (errorCode: number): PartitionErrors => ({
      topics: a.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
    });
    const group = this.groupManager.groups.get(a.groupId);
    if (txn) {
      // TxnOffsetCommit (Kafka's validateTransactionalOffsetCommit): the group may not exist yet.
      // Kafka 4 (OffsetMetadataManager.validateTransactionalOffsetCommit): a group that does not
      // exist is ILLEGAL_GENERATION for a generation >= 0, else it is created (a simple group,
      // once the commit is appended); then ClassicGroup.validateOffsetCommit(isTransactional):
      // generation -1 on an empty group passes, otherwise the member (static: by instance id)
      // must exist and the generation match.
      if (!group && a.generationId >= 0) return done(every(E.ILLEGAL_GENERATION));
      if (group?.isInState('Dead')) return done(every(E.COORDINATOR_NOT_AVAILABLE));
      if (group && !(a.generationId < 0 && group.isInState('Empty')) && (a.generationId >= 0 || a.memberId !== '' || a.groupInstanceId !== null)) {
        if (a.groupInstanceId !== null) {
          const existing = group.staticMemberId(a.groupInstanceId);
          if (existing === undefined) return done(every(E.UNKNOWN_MEMBER_ID));
          if (existing !== a.memberId) return done(every(E.FENCED_INSTANCE_ID));
        } else if (!group.hasMember(a.memberId)) return done(every(E.UNKNOWN_MEMBER_ID));
        if (a.generationId !== group.generationId) return done(every(E.ILLEGAL_GENERATION));
      }
    } else if (!group) {
      // No group: only a committer outside group management (generation -1) may create one.
      if (a.generationId >= 0) return done(every(a.apiVersion >= 9 ? E.GROUP_ID_NOT_FOUND : E.ILLEGAL_GENERATION));
    } else {
      const invalid = this.validateOffsetCommit(group, a);
      if (invalid !== E.NONE) return done(every(invalid));
      // A commit from a member keeps its session alive, as a heartbeat would.
      if ((group.isInState('Stable') || group.isInState('PreparingRebalance')) && group.hasMember(a.memberId)) this.groupManager.rescheduleHeartbeat(group, group.member(a.memberId));
    }
    const expireTimestamp = a.retentionTimeMs === -1n ? -1n : BigInt(now) + a.retentionTimeMs;
    const records: Records = [];
    const response = every(E.NONE);
    a.topics.forEach((t, ti) => {
      t.partitions.forEach((p, pi) => {
        if (p.committedMetadata !== null && p.committedMetadata.length > this.config.offsetMetadataMaxBytes) {
          response.topics[ti]!.partitions[pi]!.errorCode = E.OFFSET_METADATA_TOO_LARGE;
          return;
        }
        records.push({
          type: 'offset',
          group: a.groupId,
          topic: t.name,
          partition: p.partitionIndex,
          value: {
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch,
            metadata: p.committedMetadata ?? '',
            commitTimestamp: p.commitTimestamp === -1n ? BigInt(now) : p.commitTimestamp,
            expireTimestamp,
          },
        });
      });
    });
    if (records.length === 0) return done(response);
    const answer = new Deferred<PartitionErrors>();
    return {
      records,
      txn,
      response: answer.promise,
      onAppended: () => {
        if (txn) this.groupManager.simpleGroup(a.groupId, now);
        answer.resolve(response);
      },
      onAppendFailed: (code) => {
        const errorCode = appendErrorToResponseError(code, true);
        for (const t of response.topics) for (const p of t.partitions) if (p.errorCode === E.NONE) p.errorCode = errorCode;
        answer.resolve(response);
      },
    };
  }

  private validateOffsetCommit(group: ClassicGroup, a: CommitArgs): number {
    if (group.isInState('Dead')) return E.COORDINATOR_NOT_AVAILABLE;
    // generation -1 into an Empty group: the admin client, or consumers using assign().
    if (a.generationId < 0 && group.isInState('Empty')) return E.NONE;
    if (a.generationId >= 0 || a.memberId !== '' || a.groupInstanceId !== null) {
      const invalid = group.validateMember(a.memberId, a.groupInstanceId);
      if (invalid !== E.NONE) return invalid;
      if (a.generationId !== group.generationId) return E.ILLEGAL_GENERATION;
    } else if (!group.isInState('Empty')) {
      return E.UNKNOWN_MEMBER_ID;
    }
    // The member has its JoinGroup response but not its assignment yet.
    if (group.isInState('CompletingRebalance')) return E.REBALANCE_IN_PROGRESS;
    return E.NONE;
  }

  /** Committed offsets; `topics` null: all of the group's. Unknown group or partition: offset -1, no error. */
  fetchOffsets(groupId: string, topics: { name: string; partitions: number[] }[] | null, requireStable = false): FetchOffsetsResult {
    const pending = requireStable ? this.pendingTxnPartitions(groupId) : undefined;
    const found = (partitionIndex: number, o: OffsetAndMetadata | undefined, topic: string): FetchedOffset =>
      // KIP-447: a partition with a transactional commit not yet decided is unstable.
      pending?.has(`${topic}\u0000${partitionIndex}`)
        ? { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: E.UNSTABLE_OFFSET_COMMIT }
        : o
          ? { partitionIndex, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: E.NONE }
          : { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: E.NONE };
    if (topics === null) {
      const out: FetchOffsetsResult['topics'] = [];
      for (const [name, partitions] of this.offsets.topics(groupId)) {
        out.push({ name, partitions: [...partitions].sort((x, y) => x[0] - y[0]).map(([p, o]) => found(p, o, name)) });
      }
      return { errorCode: E.NONE, topics: out };
    }
    return {
      errorCode: E.NONE,
      topics: topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => found(p, this.offsets.get(groupId, t.name, p), t.name)) })),
    };
  }

  /** `topic\0partition` of the group's transactional commits not yet decided. */
  private pendingTxnPartitions(groupId: string): Set<string> {
    const out = new Set<string>();
    for (const m of this.pendingTxnOffsets.values()) for (const r of m.values()) if (r.group === groupId) out.add(`${r.topic}\u0000${r.partition}`);
    return out;
  }

  /** OffsetDelete (KIP-496): offsets of topics the group does not consume (any, when it is Empty). */
  deleteOffsets(groupId: string, topics: { name: string; partitions: number[] }[]): CoordinatorResult<DeleteOffsetsResult> {
    const group = this.groupManager.groups.get(groupId);
    if (!group || group.isInState('Dead')) return done({ errorCode: E.GROUP_ID_NOT_FOUND, topics: [] });
    if (!group.isInState('Empty') && group.protocolType !== CONSUMER_PROTOCOL_TYPE) return done({ errorCode: E.NON_EMPTY_GROUP, topics: [] });
    const records: Records = [];
    const result: DeleteOffsetsResult = {
      errorCode: E.NONE,
      topics: topics.map((t) => {
        const subscribed = group.isSubscribedToTopic(t.name);
        return {
          name: t.name,
          partitions: t.partitions.map((p) => {
            if (subscribed) return { partitionIndex: p, errorCode: E.GROUP_SUBSCRIBED_TO_TOPIC };
            if (this.offsets.get(groupId, t.name, p)) records.push(offsetTombstone(groupId, t.name, p));
            return { partitionIndex: p, errorCode: E.NONE };
          }),
        };
      }),
    };
    if (records.length === 0) return done(result);
    const answer = new Deferred<DeleteOffsetsResult>();
    return {
      records,
      response: answer.promise,
      onAppended: () => answer.resolve(result),
      onAppendFailed: (code) => answer.resolve({ errorCode: appendErrorToResponseError(code), topics: [] }),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Expiry

  /** Appends tombstones of the group's expired offsets; true when none is left. */
  expireOffsets(group: ClassicGroup, now: number, records: Records): boolean {
    const partitions = this.offsets.partitions(group.groupId);
    if (partitions.length === 0) return true;
    const base = this.expirationBase(group);
    if (!base) return false;
    let all = true;
    for (const { topic, partition, offset } of partitions) {
      if (group.isSubscribedToTopic(topic)) {
        all = false;
        continue;
      }
      const expired = offset.expireTimestamp !== undefined ? now >= offset.expireTimestamp : now - base(offset) >= this.config.offsetsRetentionMs;
      if (expired) records.push(offsetTombstone(group.groupId, topic, partition));
      else all = false;
    }
    return all;
  }

  /**
   * KIP-211: an Empty group's offsets expire counting from when it became empty; a Stable
   * consumer group's offsets of topics it no longer subscribes to, from their commit; offsets of
   * groups outside group management, from their commit. Others do not expire.
   */
  private expirationBase(group: ClassicGroup): ((o: OffsetAndMetadata) => number) | undefined {
    if (group.protocolType === null) return (o) => o.commitTimestamp;
    if (group.isInState('Empty')) return (o) => group.stateTimestamp ?? o.commitTimestamp;
    if (group.protocolType === CONSUMER_PROTOCOL_TYPE && group.subscribedTopics !== null && group.isInState('Stable')) return (o) => o.commitTimestamp;
    return undefined;
  }
}

export function offsetTombstone(group: string, topic: string, partition: number): OffsetCommitRecord {
  return { type: 'offset', group, topic, partition, value: null };
}
