/**
 * The group coordinator of one `__consumer_offsets` partition, as the coordinator runtime runs
 * it: the classic groups (group-manager.ts) and their committed offsets (offset-manager.ts),
 * with the operations that need both (DeleteGroups, expiry) and the replay that routes each
 * record to its owner. Modelled on Kafka's GroupCoordinatorShard.
 *
 * Every operation runs alone (the runtime queues them) and returns a CoordinatorResult: the
 * response and the records to append. The runtime appends the records, then replays them;
 * replay is the only way durable state changes, and the same replay rebuilds the state from
 * the log after a restart. Time comes from the injected clock and timers from the runtime, so
 * tests drive it all.
 */
import { EMPTY_BUFFER } from '../../protocol/runtime/index.js';
import type { CoordinatorShard } from '../runtime/shard.js';
import type { Logger } from '../../util/logger.js';
import { Deferred, type ClassicGroup, type JoinGroupResult, type SyncGroupResult } from './classic-group.js';
import { GroupErrors as E } from './errors.js';
import { ClassicGroupManager } from './group-manager.js';
import { OffsetManager, offsetTombstone } from './offset-manager.js';
import type { OffsetStore } from './offsets.js';
import type { CoordinatorRecord, OffsetCommitRecord } from './records.js';
import {
  appendErrorToResponseError,
  done,
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
  type Records,
  type ShardConfig,
  type ShardDeps,
  type ShardTimer,
  type SyncGroupArgs,
} from './types.js';

const CLASSIC_GROUP_TYPE = 'classic';
const CLEANUP_KEY = 'cleanup';

export class GroupCoordinatorShard implements CoordinatorShard<CoordinatorRecord> {
  private readonly groupManager: ClassicGroupManager;
  private readonly offsetManager: OffsetManager;
  private readonly config: ShardConfig;
  private readonly timer: ShardTimer;
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(deps: ShardDeps) {
    this.config = deps.config;
    this.timer = deps.timer;
    this.log = deps.logger;
    this.now = deps.now;
    this.groupManager = new ClassicGroupManager(deps);
    this.offsetManager = new OffsetManager(this.groupManager, deps.config, deps.now);
  }

  get groups(): ReadonlyMap<string, ClassicGroup> {
    return this.groupManager.groups;
  }

  get offsets(): OffsetStore {
    return this.offsetManager.offsets;
  }

  /** Transactional offset commits not yet decided, by producer id. */
  get pendingTxnOffsets(): ReadonlyMap<bigint, ReadonlyMap<string, OffsetCommitRecord>> {
    return this.offsetManager.pendingTxnOffsets;
  }

  // -------------------------------------------------------------------------------------------
  // Replay: the only way records change state, after an append and when loading.

  replay(record: CoordinatorRecord, producerId?: bigint): void {
    if (record.type === 'offset') this.offsetManager.replay(record, producerId);
    else this.groupManager.replay(record);
  }

  replayEndTxnMarker(producerId: bigint, commit: boolean): void {
    this.offsetManager.replayEndTxnMarker(producerId, commit);
  }

  /** After loading: members' sessions start now, groups over the size limit rebalance, expiry is scheduled. */
  onLoaded(): Records {
    const records = this.groupManager.onLoaded();
    this.scheduleCleanup();
    return records;
  }

  onUnloaded(): void {
    this.groupManager.onUnloaded();
  }

  // -------------------------------------------------------------------------------------------
  // Membership and offsets

  joinGroup(a: JoinGroupArgs): CoordinatorResult<JoinGroupResult> {
    return this.groupManager.joinGroup(a);
  }

  syncGroup(a: SyncGroupArgs): CoordinatorResult<SyncGroupResult> {
    return this.groupManager.syncGroup(a);
  }

  heartbeat(a: HeartbeatArgs): CoordinatorResult<number> {
    return this.groupManager.heartbeat(a);
  }

  leaveGroup(groupId: string, leaving: LeavingMember[]): CoordinatorResult<LeaveGroupResult> {
    return this.groupManager.leaveGroup(groupId, leaving);
  }

  commitOffsets(a: CommitArgs, txn?: { producerId: bigint; producerEpoch: number }): CoordinatorResult<PartitionErrors> {
    return this.offsetManager.commitOffsets(a, txn);
  }

  fetchOffsets(groupId: string, topics: { name: string; partitions: number[] }[] | null, requireStable = false): FetchOffsetsResult {
    return this.offsetManager.fetchOffsets(groupId, topics, requireStable);
  }

  deleteOffsets(groupId: string, topics: { name: string; partitions: number[] }[]): CoordinatorResult<DeleteOffsetsResult> {
    return this.offsetManager.deleteOffsets(groupId, topics);
  }

  // -------------------------------------------------------------------------------------------
  // DescribeGroups, ListGroups, DeleteGroups

  describeGroup(groupId: string): DescribedGroup {
    const group = this.groupManager.groups.get(groupId);
    if (!group) return { errorCode: E.NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
    // Kafka: only a Stable group names its protocol and its members' metadata; otherwise the
    // members come without metadata but with the assignment they last had.
    const stable = group.isInState('Stable');
    return {
      errorCode: E.NONE,
      groupId,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? (group.protocolName ?? '') : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadata(group.protocolName) : EMPTY_BUFFER,
        memberAssignment: m.assignment,
      })),
    };
  }

  /** Groups, filtered by state and type (case-insensitive; an empty filter lets all through). */
  listGroups(statesFilter: readonly string[], typesFilter: readonly string[]): ListedGroup[] {
    const states = new Set(statesFilter.map((s) => s.trim().toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.trim().toLowerCase()));
    const out: ListedGroup[] = [];
    for (const g of this.groupManager.groups.values()) {
      if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
      if (types.size > 0 && !types.has(CLASSIC_GROUP_TYPE)) continue;
      out.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: CLASSIC_GROUP_TYPE });
    }
    return out;
  }

  /** Deletes Empty groups with their offsets (tombstones for each). */
  deleteGroups(groupIds: readonly string[]): CoordinatorResult<{ groupId: string; errorCode: number }[]> {
    const records: Records = [];
    const results = groupIds.map((groupId) => {
      const group = this.groupManager.groups.get(groupId);
      if (!group || group.isInState('Dead')) return { groupId, errorCode: E.GROUP_ID_NOT_FOUND };
      if (!group.isInState('Empty')) return { groupId, errorCode: E.NON_EMPTY_GROUP };
      if (records.some((r) => r.type === 'group' && r.group === groupId)) return { groupId, errorCode: E.NONE };
      for (const { topic, partition } of this.offsetManager.offsets.partitions(groupId)) records.push(offsetTombstone(groupId, topic, partition));
      records.push({ type: 'group', group: groupId, value: null });
      return { groupId, errorCode: E.NONE };
    });
    if (records.length === 0) return done(results);
    const answer = new Deferred<{ groupId: string; errorCode: number }[]>();
    return {
      records,
      response: answer.promise,
      onAppended: () => answer.resolve(results),
      onAppendFailed: (code) => {
        const errorCode = appendErrorToResponseError(code);
        answer.resolve(results.map((r) => (r.errorCode === E.NONE ? { ...r, errorCode } : r)));
      },
    };
  }

  // -------------------------------------------------------------------------------------------
  // Expiry: offsets after offsets.retention.minutes, then groups left empty with no offsets.

  private scheduleCleanup(): void {
    this.timer.schedule(CLEANUP_KEY, this.config.offsetsRetentionCheckIntervalMs, () => {
      const records = this.cleanupGroupMetadata();
      this.scheduleCleanup();
      return records;
    });
  }

  /** Tombstones for expired offsets, and for Empty groups that have none left. */
  cleanupGroupMetadata(): Records {
    const now = this.now();
    const records: Records = [];
    for (const group of this.groupManager.groups.values()) {
      const allExpired = this.offsetManager.expireOffsets(group, now, records);
      if (allExpired && group.isInState('Empty') && group.pendingJoinMembers.size === 0) {
        records.push({ type: 'group', group: group.groupId, value: null });
        this.log.info('group expired', { group: group.groupId });
      }
    }
    return records;
  }
}
