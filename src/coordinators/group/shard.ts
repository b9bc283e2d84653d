/**
 * The group coordinator of one `__consumer_offsets` partition: the classic protocol's state
 * machine and the committed offsets of the groups that hash to it. Modelled on Kafka's
 * GroupMetadataManager / OffsetMetadataManager (classic groups).
 *
 * Every operation runs alone (the runtime queues them) and returns a CoordinatorResult: the
 * response and the records to append. The runtime appends the records, then replays them; replay
 * is the only way durable state changes (committed offsets; a group's generation, protocol,
 * leader, members and assignments; group and offset deletion), and the same replay rebuilds
 * the state from the log after a restart. What Kafka does not persist either — who is in the
 * middle of a JoinGroup, which SyncGroup responses are pending, the timers — lives in memory.
 * A leader's SyncGroup, for one, completes the rebalance through its record: replaying it sets
 * the assignments and makes the group Stable, then the waiting members are answered.
 *
 * Time comes from the injected clock and timers from the runtime, so tests drive it all.
 */
import { randomUUID } from 'node:crypto';
import { EMPTY_BUFFER } from '../../protocol/runtime/index.js';
import type { GroupMetadataValue } from '../../protocol/generated/internal/group-metadata-value.js';
import type { Logger } from '../../util/logger.js';
import {
  ClassicGroup,
  ClassicGroupMember,
  CONSUMER_PROTOCOL_TYPE,
  Deferred,
  type GroupState,
  type JoinGroupResult,
  type Protocol,
  type SyncGroupResult,
} from './classic-group.js';
import { GroupErrors as E } from './errors.js';
import { OffsetStore, type OffsetAndMetadata } from './offsets.js';
import type { CoordinatorRecord, GroupMetadataRecord, OffsetCommitRecord } from './records.js';

export interface ShardConfig {
  /** group.initial.rebalance.delay.ms */
  initialRebalanceDelayMs: number;
  /** How long a new member's JoinGroup may wait in a rebalance (Kafka: 5 minutes). */
  newMemberJoinTimeoutMs: number;
  /** group.max.size */
  groupMaxSize: number;
  /** offsets.retention.minutes, in ms */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes */
  offsetMetadataMaxBytes: number;
}

/** Records an operation or a hook wants appended; hooks may ask for more (rarely: a rebalance completing). */
export type Records = CoordinatorRecord[];

export interface CoordinatorResult<T> {
  records: Records;
  /** The response: a value, or a promise that a later operation or timer settles (JoinGroup, SyncGroup). */
  response: T | Promise<T>;
  /** Runs once the records are appended and replayed (also when there were none). */
  onAppended?: () => Records | void;
  /** Runs instead of onAppended when the append failed; `errorCode` is Kafka's code of the failure. */
  onAppendFailed?: (errorCode: number) => Records | void;
  /** The records belong to this producer's transaction (TxnOffsetCommit): a transactional batch, pending until its marker. */
  txn?: { producerId: bigint; producerEpoch: number };
}

/** Timers keyed by name: scheduling a key replaces its timer; a fired timer runs as an operation. */
export interface ShardTimer {
  schedule(key: string, delayMs: number, op: () => Records): void;
  cancel(key: string): void;
}

export interface ShardDeps {
  partition: number;
  config: ShardConfig;
  now: () => number;
  timer: ShardTimer;
  logger: Logger;
  /** Member ids: `prefix-uuid` as Kafka (the prefix is the client id, or the group instance id). */
  newMemberId?: (prefix: string) => string;
}

export interface JoinGroupArgs {
  groupId: string;
  /** '' for a member joining for the first time. */
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  clientId: string;
  clientHost: string;
  reason: string | null;
  /** JoinGroup v4+ without an instance id: a new member first gets an id (KIP-394). */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+: a static leader rejoining a Stable group may skip the assignment. */
  supportsSkipAssignment: boolean;
}

export interface SyncGroupArgs {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface HeartbeatArgs {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeavingMember {
  memberId: string;
  groupInstanceId: string | null;
  reason: string | null;
}

export interface LeaveGroupResult {
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export interface CommitPartition {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  /** OffsetCommit v1 only; -1 means "now". */
  commitTimestamp: bigint;
  committedMetadata: string | null;
}

export interface CommitArgs {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** OffsetCommit v2-4; -1: the broker's retention. */
  retentionTimeMs: bigint;
  /** The request version: v9+ answers GROUP_ID_NOT_FOUND where older ones get ILLEGAL_GENERATION. */
  apiVersion: number;
  topics: { name: string; partitions: CommitPartition[] }[];
}

export interface PartitionErrors {
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

export interface FetchedOffset {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface FetchOffsetsResult {
  errorCode: number;
  topics: { name: string; partitions: FetchedOffset[] }[];
}

export interface DescribedMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: DescribedMember[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

export interface DeleteOffsetsResult {
  errorCode: number;
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

const CLASSIC_GROUP_TYPE = 'classic';
const CLEANUP_KEY = 'cleanup';
const joinKey = (groupId: string) => `join:${groupId}`;
const syncKey = (groupId: string) => `sync:${groupId}`;
const heartbeatKey = (groupId: string, memberId: string) => `heartbeat:${groupId}:${memberId}`;

export function joinError(memberId: string, errorCode: number): JoinGroupResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

export function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BUFFER };
}

function done<T>(response: T, records: Records = []): CoordinatorResult<T> {
  return { records, response };
}

/** What a failed append of group records means to the member (Kafka's appendGroupMetadataErrorToResponseError). */
export function appendErrorToResponseError(code: number, forOffsetCommit = false): number {
  switch (code) {
    case E.UNKNOWN_TOPIC_OR_PARTITION:
    case E.NOT_ENOUGH_REPLICAS:
    case E.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case E.REQUEST_TIMED_OUT:
      return E.COORDINATOR_NOT_AVAILABLE;
    case E.NOT_LEADER_OR_FOLLOWER:
    case E.KAFKA_STORAGE_ERROR:
      return E.NOT_COORDINATOR;
    case E.MESSAGE_TOO_LARGE:
    case E.RECORD_LIST_TOO_LARGE:
    case E.INVALID_FETCH_SIZE:
      return forOffsetCommit ? E.INVALID_COMMIT_OFFSET_SIZE : E.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

export class GroupCoordinatorShard {
  readonly groups = new Map<string, ClassicGroup>();
  readonly offsets = new OffsetStore();
  /** Transactional offset commits not yet decided, by producer id. */
  readonly pendingTxnOffsets = new Map<bigint, Map<string, OffsetCommitRecord>>();
  private readonly config: ShardConfig;
  private readonly timer: ShardTimer;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly newMemberId: (prefix: string) => string;
  private readonly partition: number;

  constructor(deps: ShardDeps) {
    this.partition = deps.partition;
    this.config = deps.config;
    this.timer = deps.timer;
    this.log = deps.logger;
    this.now = deps.now;
    this.newMemberId = deps.newMemberId ?? ((prefix) => `${prefix}-${randomUUID()}`);
  }

  // -------------------------------------------------------------------------------------------
  // Replay: the only way records change state, after an append and when loading.

  replay(record: CoordinatorRecord, producerId?: bigint): void {
    if (producerId !== undefined && producerId >= 0n && record.type === 'offset') {
      // A transactional offset commit: pending until the transaction's marker.
      let pending = this.pendingTxnOffsets.get(producerId);
      if (!pending) this.pendingTxnOffsets.set(producerId, (pending = new Map()));
      pending.set(`${record.group}\u0000${record.topic}\u0000${record.partition}`, record);
      return;
    }
    if (record.type === 'offset') this.replayOffset(record);
    else this.replayGroup(record);
  }

  /** A transaction marker: the producer's pending offsets become committed (COMMIT) or are dropped (ABORT). */
  replayTxnMarker(producerId: bigint, commit: boolean): void {
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
    if (!this.groups.has(r.group)) this.groups.set(r.group, new ClassicGroup(r.group, 'Empty', undefined));
    this.offsets.put(r.group, r.topic, r.partition, {
      offset: r.value.offset,
      leaderEpoch: r.value.leaderEpoch,
      metadata: r.value.metadata,
      commitTimestamp: Number(r.value.commitTimestamp),
      expireTimestamp: r.value.expireTimestamp >= 0n ? Number(r.value.expireTimestamp) : undefined,
    });
  }

  /**
   * A group record states the group's generation, protocol, leader and members with their
   * assignments. Members the group holds that the record lacks are dropped, members it lacks
   * are added, and the group is Stable (members) or Empty (none). After a live append the group
   * already matches except for what the record brings: a leader's assignments.
   */
  private replayGroup(r: GroupMetadataRecord): void {
    const existing = this.groups.get(r.group);
    if (r.value === null) {
      if (existing) {
        this.cancelGroupTimers(existing);
        existing.restoreState('Dead', this.now());
        this.groups.delete(r.group);
      }
      return;
    }
    const v: GroupMetadataValue = r.value;
    const timestamp = v.currentStateTimestamp >= 0n ? Number(v.currentStateTimestamp) : undefined;
    const group = existing ?? new ClassicGroup(r.group, 'Empty', timestamp);
    if (!existing) this.groups.set(r.group, group);
    group.generationId = v.generation;
    group.protocolType = v.protocolType === '' ? null : v.protocolType;
    group.protocolName = v.protocol === null || v.protocol === '' ? null : v.protocol;
    const inRecord = new Set(v.members.map((m) => m.memberId));
    for (const id of [...group.members.keys()]) if (!inRecord.has(id)) group.remove(id);
    for (const m of v.members) {
      let member = group.members.get(m.memberId);
      if (!member) {
        const rebalanceTimeout = m.rebalanceTimeout >= 0 ? m.rebalanceTimeout : m.sessionTimeout;
        member = new ClassicGroupMember(m.memberId, m.groupInstanceId, m.clientId, m.clientHost, rebalanceTimeout, m.sessionTimeout, v.protocolType, [
          { name: group.protocolName ?? '', metadata: m.subscription },
        ]);
        group.add(member);
      }
      member.assignment = m.assignment;
    }
    group.leaderId = v.leader === null || v.leader === '' || !group.hasMember(v.leader) ? (group.members.keys().next().value ?? null) : v.leader;
    group.subscribedTopics = group.computeSubscribedTopics();
    const state: GroupState = v.members.length === 0 ? 'Empty' : 'Stable';
    if (group.state !== state) group.restoreState(state, timestamp ?? this.now());
  }

  /** After loading: members' sessions start now; groups over the size limit rebalance. */
  onLoaded(): Records {
    const records: Records = [];
    for (const group of this.groups.values()) {
      for (const m of group.members.values()) this.rescheduleHeartbeat(group, m);
      if (group.size > this.config.groupMaxSize) records.push(...this.prepareRebalance(group, `loaded group is over capacity ${this.config.groupMaxSize}`));
    }
    this.scheduleCleanup();
    return records;
  }

  /** The partition is going away (broker shutdown): whoever waits is told to find the coordinator again. */
  close(): void {
    for (const group of this.groups.values()) {
      for (const m of group.members.values()) {
        group.completeJoin(m, joinError(m.memberId, E.NOT_COORDINATOR));
        group.completeSync(m, syncError(E.NOT_COORDINATOR));
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // JoinGroup

  joinGroup(a: JoinGroupArgs): CoordinatorResult<JoinGroupResult> {
    const waiter = new Deferred<JoinGroupResult>();
    const isUnknown = a.memberId === '';
    let group = this.groups.get(a.groupId);
    let created = false;
    if (!group) {
      // A member id for a group that does not exist: it was removed, or lives elsewhere.
      if (!isUnknown) return done(joinError(a.memberId, E.UNKNOWN_MEMBER_ID));
      group = new ClassicGroup(a.groupId, 'Empty', this.now());
      this.groups.set(a.groupId, group);
      created = true;
    }
    let result: Omit<CoordinatorResult<unknown>, 'response'>;
    if (!this.acceptJoiningMember(group, a.memberId)) {
      group.remove(a.memberId);
      waiter.resolve(joinError('', E.GROUP_MAX_SIZE_REACHED));
      result = { records: this.maybeCompleteJoinPhase(group) };
    } else if (isUnknown) {
      result = this.joinNewMember(group, a, waiter);
    } else {
      result = this.joinExistingMember(group, a, waiter);
    }
    // As Kafka, a group that a join created is persisted even when the join failed at once
    // (INCONSISTENT_GROUP_PROTOCOL, GROUP_MAX_SIZE_REACHED) or only handed out a member id
    // (MEMBER_ID_REQUIRED): it stays, Empty, until the offsets cleanup removes it.
    if (created && result.records.length === 0 && group.size === 0) result = { ...result, records: [this.groupMetadataRecord(group, new Map())] };
    return { ...result, response: waiter.promise };
  }

  /** group.max.size: existing members stay; new ones are turned away when the group is full. */
  private acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance':
        return (group.hasMember(memberId) && group.member(memberId).isAwaitingJoin) || group.numAwaitingJoin < this.config.groupMaxSize;
      case 'CompletingRebalance':
      case 'Stable':
        return group.hasMember(memberId) || group.size < this.config.groupMaxSize;
    }
  }

  private joinNewMember(group: ClassicGroup, a: JoinGroupArgs, waiter: Deferred<JoinGroupResult>): Omit<CoordinatorResult<unknown>, 'response'> {
    if (group.isInState('Dead')) {
      waiter.resolve(joinError('', E.COORDINATOR_NOT_AVAILABLE));
      return { records: [] };
    }
    if (!group.supportsProtocols(a.protocolType, a.protocols)) {
      waiter.resolve(joinError('', E.INCONSISTENT_GROUP_PROTOCOL));
      return { records: [] };
    }
    const newMemberId = this.newMemberId(a.groupInstanceId ?? a.clientId);
    if (a.groupInstanceId !== null) {
      const existing = group.staticMemberId(a.groupInstanceId);
      if (existing !== undefined) return this.replaceStaticMember(group, a, existing, newMemberId, waiter);
      return { records: this.addMemberThenRebalanceOrCompleteJoin(group, a, newMemberId, waiter) };
    }
    if (a.requireKnownMemberId) {
      // KIP-394: hand out the id and wait for the member to come back with it.
      group.addPendingMember(newMemberId);
      this.timer.schedule(heartbeatKey(group.groupId, newMemberId), a.sessionTimeoutMs, () => this.expireHeartbeat(group.groupId, newMemberId));
      waiter.resolve(joinError(newMemberId, E.MEMBER_ID_REQUIRED));
      return { records: [] };
    }
    return { records: this.addMemberThenRebalanceOrCompleteJoin(group, a, newMemberId, waiter) };
  }

  private joinExistingMember(group: ClassicGroup, a: JoinGroupArgs, waiter: Deferred<JoinGroupResult>): Omit<CoordinatorResult<unknown>, 'response'> {
    const memberId = a.memberId;
    if (group.isInState('Dead')) {
      waiter.resolve(joinError(memberId, E.COORDINATOR_NOT_AVAILABLE));
      return { records: [] };
    }
    if (!group.supportsProtocols(a.protocolType, a.protocols)) {
      waiter.resolve(joinError(memberId, E.INCONSISTENT_GROUP_PROTOCOL));
      return { records: [] };
    }
    if (group.isPendingMember(memberId)) {
      // The second JoinGroup of KIP-394. Pending members are never static.
      if (a.groupInstanceId !== null) {
        waiter.resolve(joinError(memberId, E.INVALID_REQUEST));
        return { records: [] };
      }
      return { records: this.addMemberThenRebalanceOrCompleteJoin(group, { ...a, groupInstanceId: null }, memberId, waiter) };
    }
    const invalid = this.validateMember(group, memberId, a.groupInstanceId);
    if (invalid !== E.NONE) {
      waiter.resolve(joinError(memberId, invalid));
      return { records: [] };
    }
    const member = group.member(memberId);
    switch (group.state) {
      case 'PreparingRebalance':
        return { records: this.updateMemberThenRebalanceOrCompleteJoin(group, member, a, waiter, `member ${memberId} joining group during PreparingRebalance`) };
      case 'CompletingRebalance':
        if (member.matches(a.protocols)) {
          // Same metadata (the member missed the JoinGroup response): the current generation again.
          waiter.resolve(this.currentGeneration(group, memberId, group.isLeader(memberId)));
          return { records: [] };
        }
        return { records: this.updateMemberThenRebalanceOrCompleteJoin(group, member, a, waiter, `member ${memberId} changed its metadata during CompletingRebalance`) };
      case 'Stable':
        if (group.isLeader(memberId) || !member.matches(a.protocols)) {
          // A rejoining leader forces a rebalance (it may have seen metadata change), as does changed metadata.
          return { records: this.updateMemberThenRebalanceOrCompleteJoin(group, member, a, waiter, `member ${memberId} rejoining a Stable group`) };
        }
        waiter.resolve(this.currentGeneration(group, memberId, false));
        return { records: [] };
      default:
        waiter.resolve(joinError(memberId, E.UNKNOWN_MEMBER_ID));
        return { records: [] };
    }
  }

  private currentGeneration(group: ClassicGroup, memberId: string, withMembers: boolean): JoinGroupResult {
    return {
      errorCode: E.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment: false,
      memberId,
      members: withMembers ? group.currentMembersForLeader() : [],
    };
  }

  private addMemberThenRebalanceOrCompleteJoin(group: ClassicGroup, a: JoinGroupArgs, memberId: string, waiter: Deferred<JoinGroupResult>): Records {
    const member = new ClassicGroupMember(memberId, a.groupInstanceId, a.clientId, a.clientHost, a.rebalanceTimeoutMs, a.sessionTimeoutMs, a.protocolType, a.protocols);
    member.isNew = true;
    // A member arriving during the initial delay extends it (group.initial.rebalance.delay.ms).
    if (group.isInState('PreparingRebalance') && group.previousState === 'Empty') group.newMemberAdded = true;
    group.add(member, waiter);
    // A new member cannot heartbeat until it has an id; if it vanishes mid-rebalance it is
    // dropped after the new-member join timeout rather than its session timeout.
    this.rescheduleHeartbeat(group, member, this.config.newMemberJoinTimeoutMs);
    this.log.debug('member added', { group: group.groupId, member: memberId, instance: a.groupInstanceId, reason: a.reason });
    return this.maybePrepareRebalanceOrCompleteJoin(group, `adding new member ${memberId}`);
  }

  private updateMemberThenRebalanceOrCompleteJoin(group: ClassicGroup, member: ClassicGroupMember, a: JoinGroupArgs, waiter: Deferred<JoinGroupResult>, reason: string): Records {
    group.updateMember(member, a.protocols, a.rebalanceTimeoutMs, a.sessionTimeoutMs, waiter, joinError(member.memberId, E.REBALANCE_IN_PROGRESS));
    return this.maybePrepareRebalanceOrCompleteJoin(group, reason);
  }

  /**
   * KIP-345: a static member comes back with a new member id. In a Stable group whose protocol
   * would not change, it takes its old place without a rebalance (the new member id is
   * persisted first); otherwise the group rebalances.
   */
  private replaceStaticMember(group: ClassicGroup, a: JoinGroupArgs, oldMemberId: string, newMemberId: string, waiter: Deferred<JoinGroupResult>): Omit<CoordinatorResult<unknown>, 'response'> {
    const instanceId = a.groupInstanceId!;
    const currentLeader = group.leaderId ?? '';
    const fenced = { join: joinError(oldMemberId, E.FENCED_INSTANCE_ID), sync: syncError(E.FENCED_INSTANCE_ID) };
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId, fenced);
    this.timer.cancel(heartbeatKey(group.groupId, oldMemberId));
    this.rescheduleHeartbeat(group, member);
    const old = { protocols: member.protocols, rebalanceTimeoutMs: member.rebalanceTimeoutMs, sessionTimeoutMs: member.sessionTimeoutMs };
    group.updateMember(member, a.protocols, a.rebalanceTimeoutMs, a.sessionTimeoutMs, waiter, joinError(newMemberId, E.REBALANCE_IN_PROGRESS));
    this.log.info('static member replaced', { group: group.groupId, instance: instanceId, old: oldMemberId, new: newMemberId, state: group.state });

    switch (group.state) {
      case 'Stable': {
        if (group.protocolName !== group.selectProtocol()) {
          return { records: this.maybePrepareRebalanceOrCompleteJoin(group, `static member ${instanceId} changed the group's protocol`) };
        }
        const assignment = new Map([...group.members.values()].map((m) => [m.memberId, m.assignment]));
        return {
          records: [this.groupMetadataRecord(group, assignment)],
          onAppended: () => {
            const isLeader = group.isLeader(newMemberId);
            if (a.supportsSkipAssignment) {
              // v9+: the leader learns it leads but does not run the assignor (the group is Stable).
              group.completeJoin(member, { ...this.currentGeneration(group, newMemberId, isLeader), skipAssignment: isLeader });
            } else {
              // Older clients: the old leader id, so that no assignment is computed and lost.
              group.completeJoin(member, { ...this.currentGeneration(group, newMemberId, false), leader: currentLeader });
            }
          },
          onAppendFailed: (code) => {
            // Not persisted: the old member id stays the static member's.
            member.joinWaiter = undefined;
            group.updateMember(member, old.protocols, old.rebalanceTimeoutMs, old.sessionTimeoutMs, undefined, joinError(newMemberId, E.REBALANCE_IN_PROGRESS));
            const restored = group.replaceStaticMember(instanceId, newMemberId, oldMemberId, { join: joinError(newMemberId, E.FENCED_INSTANCE_ID), sync: syncError(E.FENCED_INSTANCE_ID) });
            this.timer.cancel(heartbeatKey(group.groupId, newMemberId));
            this.rescheduleHeartbeat(group, restored);
            waiter.resolve({ ...this.currentGeneration(group, '', false), errorCode: appendErrorToResponseError(code), leader: currentLeader });
          },
        };
      }
      case 'CompletingRebalance':
        // The leader may be assigning to the old member id: rebalance so that the new one gets partitions.
        return { records: this.prepareRebalance(group, `static member ${instanceId} rejoined during CompletingRebalance`) };
      case 'PreparingRebalance':
        return { records: this.maybeCompleteJoinPhase(group) };
      default:
        throw new Error(`group ${group.groupId}: static member ${instanceId} found in state ${group.state}`);
    }
  }

  private maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup, reason: string): Records {
    return group.canRebalance() ? this.prepareRebalance(group, reason) : this.maybeCompleteJoinPhase(group);
  }

  private prepareRebalance(group: ClassicGroup, reason: string): Records {
    // Members waiting for their assignment must rejoin instead.
    if (group.isInState('CompletingRebalance')) this.resetAndPropagateAssignmentWithError(group, E.REBALANCE_IN_PROGRESS);
    this.timer.cancel(syncKey(group.groupId));
    const initial = group.isInState('Empty');
    if (initial) {
      // A new group waits group.initial.rebalance.delay.ms for more members, longer while they keep coming.
      const delayMs = this.config.initialRebalanceDelayMs;
      const remainingMs = Math.max(group.rebalanceTimeoutMs() - delayMs, 0);
      this.timer.schedule(joinKey(group.groupId), delayMs, () => this.tryCompleteInitialRebalanceElseSchedule(group.groupId, delayMs, remainingMs));
    }
    group.transitionTo('PreparingRebalance', this.now());
    this.log.info('preparing to rebalance group', { group: group.groupId, generation: group.generationId, reason });
    return initial ? [] : this.maybeCompleteJoinElseSchedule(group);
  }

  private tryCompleteInitialRebalanceElseSchedule(groupId: string, delayMs: number, remainingMs: number): Records {
    const group = this.groups.get(groupId);
    if (!group || !group.isInState('PreparingRebalance')) return [];
    if (group.newMemberAdded && remainingMs !== 0) {
      group.newMemberAdded = false;
      const nextDelayMs = Math.min(this.config.initialRebalanceDelayMs, remainingMs);
      const nextRemainingMs = Math.max(remainingMs - delayMs, 0);
      this.timer.schedule(joinKey(groupId), nextDelayMs, () => this.tryCompleteInitialRebalanceElseSchedule(groupId, nextDelayMs, nextRemainingMs));
      return [];
    }
    return this.completeGroupJoin(group);
  }

  private maybeCompleteJoinElseSchedule(group: ClassicGroup): Records {
    if (group.isInState('PreparingRebalance') && group.hasAllMembersJoined()) return this.completeGroupJoin(group);
    // Members that do not rejoin within the rebalance timeout (max.poll.interval.ms for consumers) are dropped then.
    this.timer.schedule(joinKey(group.groupId), group.rebalanceTimeoutMs(), () => this.completeGroupJoinById(group.groupId));
    return [];
  }

  /** Completes the join phase once everyone has rejoined (never early during the initial delay). */
  private maybeCompleteJoinPhase(group: ClassicGroup): Records {
    if (group.isInState('PreparingRebalance') && group.hasAllMembersJoined() && group.previousState !== 'Empty') return this.completeGroupJoin(group);
    return [];
  }

  private completeGroupJoinById(groupId: string): Records {
    const group = this.groups.get(groupId);
    return group ? this.completeGroupJoin(group) : [];
  }

  /**
   * The end of the join phase: dynamic members that did not rejoin are dropped, the generation
   * moves on and every member gets its JoinGroup response (the leader with all members'
   * metadata). An emptied group is persisted as such.
   */
  private completeGroupJoin(group: ClassicGroup): Records {
    this.timer.cancel(joinKey(group.groupId));
    if (!group.isInState('PreparingRebalance')) return [];
    for (const m of group.notYetRejoinedMembers()) {
      if (m.isStatic) continue;
      group.remove(m.memberId);
      this.timer.cancel(heartbeatKey(group.groupId, m.memberId));
      this.log.info('member removed: did not rejoin in time', { group: group.groupId, member: m.memberId });
    }
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Only static members that have not rejoined: wait until their sessions expire.
      this.timer.schedule(joinKey(group.groupId), group.rebalanceTimeoutMs(), () => this.completeGroupJoinById(group.groupId));
      return [];
    }
    group.initNextGeneration(this.now());
    if (group.isInState('Empty')) {
      this.log.info('group is now empty', { group: group.groupId, generation: group.generationId, partition: this.partitionName() });
      return [this.groupMetadataRecord(group, new Map())];
    }
    this.log.info('group stabilizing', { group: group.groupId, generation: group.generationId, members: group.size, protocol: group.protocolName });
    for (const m of group.members.values()) {
      group.completeJoin(m, this.currentGeneration(group, m.memberId, group.isLeader(m.memberId)));
      this.rescheduleHeartbeat(group, m);
      m.isNew = false;
      group.pendingSyncMembers.add(m.memberId);
    }
    this.schedulePendingSync(group);
    return [];
  }

  private schedulePendingSync(group: ClassicGroup): void {
    const generation = group.generationId;
    this.timer.schedule(syncKey(group.groupId), group.rebalanceTimeoutMs(), () => this.expirePendingSync(group.groupId, generation));
  }

  /** Members that got their JoinGroup response but never sent SyncGroup are dropped after the rebalance timeout. */
  private expirePendingSync(groupId: string, generation: number): Records {
    const group = this.groups.get(groupId);
    if (!group || group.generationId !== generation) return [];
    if (!(group.isInState('CompletingRebalance') || group.isInState('Stable')) || group.hasReceivedSyncFromAllMembers()) return [];
    const late = [...group.pendingSyncMembers];
    for (const id of late) {
      group.remove(id);
      this.timer.cancel(heartbeatKey(groupId, id));
    }
    return this.prepareRebalance(group, `removing ${late.join(', ')}: no SyncGroup before the rebalance timeout`);
  }

  private removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    const stillWaiting = (group.isInState('CompletingRebalance') || group.isInState('Stable')) && !group.hasReceivedSyncFromAllMembers();
    if (!stillWaiting) this.timer.cancel(syncKey(group.groupId));
  }

  private resetAndPropagateAssignmentWithError(group: ClassicGroup, errorCode: number): void {
    for (const m of group.members.values()) m.assignment = EMPTY_BUFFER;
    this.propagateAssignment(group, errorCode);
  }

  /** Answers the members waiting in SyncGroup; their sessions restart now. */
  private propagateAssignment(group: ClassicGroup, errorCode: number): void {
    for (const m of group.members.values()) {
      const result: SyncGroupResult =
        errorCode === E.NONE ? { errorCode, protocolType: group.protocolType, protocolName: group.protocolName, assignment: m.assignment } : syncError(errorCode);
      if (group.completeSync(m, result)) this.rescheduleHeartbeat(group, m);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Sessions

  private rescheduleHeartbeat(group: ClassicGroup, member: ClassicGroupMember, timeoutMs = member.sessionTimeoutMs): void {
    const groupId = group.groupId;
    const memberId = member.memberId;
    this.timer.schedule(heartbeatKey(groupId, memberId), timeoutMs, () => this.expireHeartbeat(groupId, memberId));
  }

  private expireHeartbeat(groupId: string, memberId: string): Records {
    const group = this.groups.get(groupId);
    if (!group || group.isInState('Dead')) return [];
    if (group.isPendingMember(memberId)) {
      this.log.info('pending member expired', { group: groupId, member: memberId });
      return this.removePendingMemberAndUpdateGroup(group, memberId);
    }
    const member = group.members.get(memberId);
    if (!member) return [];
    // Members inside a JoinGroup or SyncGroup cannot heartbeat; only new ones expire while waiting.
    const satisfied = !member.isNew && (member.isAwaitingJoin || member.isAwaitingSync);
    if (satisfied) return [];
    this.log.info('member session expired', { group: groupId, member: memberId });
    return this.removeMemberAndUpdateGroup(group, member, `session of ${memberId} expired`);
  }

  private removeMemberAndUpdateGroup(group: ClassicGroup, member: ClassicGroupMember, reason: string): Records {
    group.completeJoin(member, joinError(member.memberId, E.UNKNOWN_MEMBER_ID));
    group.completeSync(member, syncError(E.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
    if (group.isInState('Stable') || group.isInState('CompletingRebalance')) return this.maybePrepareRebalanceOrCompleteJoin(group, reason);
    if (group.isInState('PreparingRebalance') && group.hasAllMembersJoined()) return this.completeGroupJoin(group);
    return [];
  }

  private removePendingMemberAndUpdateGroup(group: ClassicGroup, memberId: string): Records {
    group.remove(memberId);
    if (group.isInState('PreparingRebalance') && group.hasAllMembersJoined()) return this.completeGroupJoin(group);
    return [];
  }

  /** KIP-345 fencing: a static member must come with the member id it was given; any member must exist. */
  private validateMember(group: ClassicGroup, memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const existing = group.staticMemberId(groupInstanceId);
      if (existing === undefined) return E.UNKNOWN_MEMBER_ID;
      if (existing !== memberId) return E.FENCED_INSTANCE_ID;
    }
    return group.hasMember(memberId) ? E.NONE : E.UNKNOWN_MEMBER_ID;
  }

  // -------------------------------------------------------------------------------------------
  // SyncGroup, Heartbeat, LeaveGroup

  syncGroup(a: SyncGroupArgs): CoordinatorResult<SyncGroupResult> {
    const group = this.groups.get(a.groupId);
    if (!group) return done(syncError(E.UNKNOWN_MEMBER_ID));
    if (group.isInState('Dead')) return done(syncError(E.COORDINATOR_NOT_AVAILABLE));
    const invalid = this.validateMember(group, a.memberId, a.groupInstanceId);
    if (invalid !== E.NONE) return done(syncError(invalid));
    if (a.generationId !== group.generationId) return done(syncError(E.ILLEGAL_GENERATION));
    const inconsistent = (given: string | null, current: string | null) => given !== null && current !== null && given !== current;
    if (inconsistent(a.protocolType, group.protocolType) || inconsistent(a.protocolName, group.protocolName)) return done(syncError(E.INCONSISTENT_GROUP_PROTOCOL));

    switch (group.state) {
      case 'Empty':
        return done(syncError(E.UNKNOWN_MEMBER_ID));
      case 'PreparingRebalance':
        return done(syncError(E.REBALANCE_IN_PROGRESS));
      case 'Stable': {
        this.removePendingSyncMember(group, a.memberId);
        const m = group.member(a.memberId);
        return done({ errorCode: E.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: m.assignment });
      }
      case 'CompletingRebalance': {
        const member = group.member(a.memberId);
        const waiter = new Deferred<SyncGroupResult>();
        member.syncWaiter?.resolve(syncError(E.REBALANCE_IN_PROGRESS));
        member.syncWaiter = waiter;
        this.removePendingSyncMember(group, a.memberId);
        if (!group.isLeader(a.memberId)) return { records: [], response: waiter.promise };
        // The leader's assignment: persisted, then replayed (assignments set, group Stable), then sent to everyone waiting.
        const assignment = new Map<string, Buffer>();
        for (const x of a.assignments) if (group.hasMember(x.memberId)) assignment.set(x.memberId, x.assignment);
        const missing = [...group.members.keys()].filter((id) => !assignment.has(id));
        for (const id of missing) assignment.set(id, EMPTY_BUFFER);
        if (missing.length > 0) this.log.warn('leader sent no assignment for some members; they get an empty one', { group: group.groupId, members: missing });
        const generation = group.generationId;
        return {
          records: [this.groupMetadataRecord(group, assignment)],
          response: waiter.promise,
          onAppended: () => {
            if (group.isInState('Stable') && group.generationId === generation) this.propagateAssignment(group, E.NONE);
          },
          onAppendFailed: (code) => {
            if (!group.isInState('CompletingRebalance') || group.generationId !== generation) return;
            this.resetAndPropagateAssignmentWithError(group, appendErrorToResponseError(code));
            return this.maybePrepareRebalanceOrCompleteJoin(group, `could not store the assignment of generation ${generation}`);
          },
        };
      }
      default:
        return done(syncError(E.COORDINATOR_NOT_AVAILABLE));
    }
  }

  heartbeat(a: HeartbeatArgs): CoordinatorResult<number> {
    const group = this.groups.get(a.groupId);
    if (!group) return done(E.UNKNOWN_MEMBER_ID);
    if (group.isInState('Dead')) return done(E.COORDINATOR_NOT_AVAILABLE);
    const invalid = this.validateMember(group, a.memberId, a.groupInstanceId);
    if (invalid !== E.NONE) return done(invalid);
    if (a.generationId !== group.generationId) return done(E.ILLEGAL_GENERATION);
    switch (group.state) {
      case 'Empty':
        return done(E.UNKNOWN_MEMBER_ID);
      case 'PreparingRebalance':
        this.rescheduleHeartbeat(group, group.member(a.memberId));
        return done(E.REBALANCE_IN_PROGRESS);
      case 'CompletingRebalance':
      case 'Stable':
        // Heartbeats may start right after the JoinGroup response, before SyncGroup.
        this.rescheduleHeartbeat(group, group.member(a.memberId));
        return done(E.NONE);
      default:
        return done(E.COORDINATOR_NOT_AVAILABLE);
    }
  }

  leaveGroup(groupId: string, leaving: LeavingMember[]): CoordinatorResult<LeaveGroupResult> {
    const group = this.groups.get(groupId);
    const answer = (m: LeavingMember, errorCode: number) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode });
    if (!group) return done({ errorCode: E.NONE, members: leaving.map((m) => answer(m, E.UNKNOWN_MEMBER_ID)) });
    if (group.isInState('Dead')) return done({ errorCode: E.COORDINATOR_NOT_AVAILABLE, members: [] });
    const records: Records = [];
    const members = leaving.map((m) => {
      const reason = m.reason ?? 'not provided';
      if (m.memberId === '') {
        // An administrator removing a static member by its instance id.
        const current = m.groupInstanceId === null ? undefined : group.staticMemberId(m.groupInstanceId);
        if (current === undefined) return answer(m, E.UNKNOWN_MEMBER_ID);
        records.push(...this.removeCurrentMember(group, current, reason));
        return answer(m, E.NONE);
      }
      if (group.isPendingMember(m.memberId)) {
        records.push(...this.removePendingMemberAndUpdateGroup(group, m.memberId));
        this.timer.cancel(heartbeatKey(groupId, m.memberId));
        return answer(m, E.NONE);
      }
      const invalid = this.validateMember(group, m.memberId, m.groupInstanceId);
      if (invalid !== E.NONE) return answer(m, invalid);
      records.push(...this.removeCurrentMember(group, m.memberId, reason));
      return answer(m, E.NONE);
    });
    return done({ errorCode: E.NONE, members }, records);
  }

  private removeCurrentMember(group: ClassicGroup, memberId: string, reason: string): Records {
    const member = group.member(memberId);
    const records = this.removeMemberAndUpdateGroup(group, member, `member ${memberId} left (${reason})`);
    this.timer.cancel(heartbeatKey(group.groupId, memberId));
    this.log.info('member left', { group: group.groupId, member: memberId, reason });
    return records;
  }

  // -------------------------------------------------------------------------------------------
  // Offsets

  commitOffsets(a: CommitArgs, txn?: { producerId: bigint; producerEpoch: number }): CoordinatorResult<PartitionErrors> {
    const now = this.now();
    const every = (errorCode: number): PartitionErrors => ({
      topics: a.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
    });
    const group = this.groups.get(a.groupId);
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
      if ((group.isInState('Stable') || group.isInState('PreparingRebalance')) && group.hasMember(a.memberId)) this.rescheduleHeartbeat(group, group.member(a.memberId));
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
        if (txn && !this.groups.has(a.groupId)) this.groups.set(a.groupId, new ClassicGroup(a.groupId, 'Empty', now));
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
      const invalid = this.validateMember(group, a.memberId, a.groupInstanceId);
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

  // -------------------------------------------------------------------------------------------
  // DescribeGroups, ListGroups, DeleteGroups, OffsetDelete

  describeGroup(groupId: string): DescribedGroup {
    const group = this.groups.get(groupId);
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
    for (const g of this.groups.values()) {
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
      const group = this.groups.get(groupId);
      if (!group || group.isInState('Dead')) return { groupId, errorCode: E.GROUP_ID_NOT_FOUND };
      if (!group.isInState('Empty')) return { groupId, errorCode: E.NON_EMPTY_GROUP };
      if (records.some((r) => r.type === 'group' && r.group === groupId)) return { groupId, errorCode: E.NONE };
      for (const { topic, partition } of this.offsets.partitions(groupId)) records.push(offsetTombstone(groupId, topic, partition));
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

  /** OffsetDelete (KIP-496): offsets of topics the group does not consume (any, when it is Empty). */
  deleteOffsets(groupId: string, topics: { name: string; partitions: number[] }[]): CoordinatorResult<DeleteOffsetsResult> {
    const group = this.groups.get(groupId);
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
    for (const group of this.groups.values()) {
      const allExpired = this.expireOffsets(group, now, records);
      if (allExpired && group.isInState('Empty') && group.pendingJoinMembers.size === 0) {
        records.push({ type: 'group', group: group.groupId, value: null });
        this.log.info('group expired', { group: group.groupId });
      }
    }
    return records;
  }

  /** Appends tombstones of the group's expired offsets; true when none is left. */
  private expireOffsets(group: ClassicGroup, now: number, records: Records): boolean {
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

  // -------------------------------------------------------------------------------------------

  /** The group record: generation, protocol, leader and every member with its assignment. */
  private groupMetadataRecord(group: ClassicGroup, assignment: ReadonlyMap<string, Buffer>): GroupMetadataRecord {
    return {
      type: 'group',
      group: group.groupId,
      value: {
        protocolType: group.protocolType ?? '',
        generation: group.generationId,
        protocol: group.protocolName,
        leader: group.leaderId,
        currentStateTimestamp: BigInt(group.stateTimestamp ?? this.now()),
        members: [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          rebalanceTimeout: m.rebalanceTimeoutMs,
          sessionTimeout: m.sessionTimeoutMs,
          subscription: m.metadata(group.protocolName),
          assignment: assignment.get(m.memberId) ?? EMPTY_BUFFER,
        })),
      },
    };
  }

  private cancelGroupTimers(group: ClassicGroup): void {
    this.timer.cancel(joinKey(group.groupId));
    this.timer.cancel(syncKey(group.groupId));
    for (const id of group.members.keys()) this.timer.cancel(heartbeatKey(group.groupId, id));
    for (const id of group.pendingJoinMembers) this.timer.cancel(heartbeatKey(group.groupId, id));
  }

  private partitionName(): string {
    return `__consumer_offsets-${this.partition}`;
  }
}

function offsetTombstone(group: string, topic: string, partition: number): OffsetCommitRecord {
  return { type: 'offset', group, topic, partition, value: null };
}
