/**
 * The classic group membership of one `__consumer_offsets` partition (Kafka's
 * GroupMetadataManager, classic groups): JoinGroup/SyncGroup/Heartbeat/LeaveGroup, rebalances
 * and their timers, members' sessions, and the replay of GroupMetadata records.
 *
 * Replay is the only way durable state changes (a group's generation, protocol, leader,
 * members and assignments; its deletion). What Kafka does not persist either — who is in the
 * middle of a JoinGroup, which SyncGroup responses are pending, the timers — lives in memory.
 * A leader's SyncGroup, for one, completes the rebalance through its record: replaying it sets
 * the assignments and makes the group Stable, then the waiting members are answered.
 */
import { randomUUID } from 'node:crypto';
import { EMPTY_BUFFER } from '../../protocol/runtime/index.js';
import type { GroupMetadataValue } from '../../protocol/generated/internal/group-metadata-value.js';
import type { Logger } from '../../util/logger.js';
import { ClassicGroup, ClassicGroupMember, Deferred, type GroupState, type JoinGroupResult, type SyncGroupResult } from './classic-group.js';
import { GroupErrors as E } from './errors.js';
import { groupMetadataRecord, type GroupMetadataRecord } from './records.js';
import {
  appendErrorToResponseError,
  done,
  joinError,
  syncError,
  type CoordinatorResult,
  type HeartbeatArgs,
  type JoinGroupArgs,
  type LeaveGroupResult,
  type LeavingMember,
  type Records,
  type ShardConfig,
  type ShardDeps,
  type ShardTimer,
  type SyncGroupArgs,
} from './types.js';

const joinKey = (groupId: string) => `join:${groupId}`;
const syncKey = (groupId: string) => `sync:${groupId}`;
const heartbeatKey = (groupId: string, memberId: string) => `heartbeat:${groupId}:${memberId}`;

export class ClassicGroupManager {
  readonly groups = new Map<string, ClassicGroup>();
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

  /** The group of committed offsets without group management ("simple" groups, consumers using assign()), created Empty when first seen. */
  simpleGroup(groupId: string, timestamp?: number): void {
    if (!this.groups.has(groupId)) this.groups.set(groupId, new ClassicGroup(groupId, 'Empty', timestamp));
  }

  // -------------------------------------------------------------------------------------------
  // Replay

  /**
   * A group record states the group's generation, protocol, leader and members with their
   * assignments. Members the group holds that the record lacks are dropped, members it lacks
   * are added, and the group is Stable (members) or Empty (none). After a live append the group
   * already matches except for what the record brings: a leader's assignments.
   */
  replay(r: GroupMetadataRecord): void {
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
    return records;
  }

  /** The partition is going away (resignation, shutdown): whoever waits is told to find the coordinator again. */
  onUnloaded(): void {
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
    if (!group.acceptsJoiningMember(a.memberId, this.config.groupMaxSize)) {
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
    if (created && result.records.length === 0 && group.size === 0) result = { ...result, records: [groupMetadataRecord(group, new Map(), this.now())] };
    return { ...result, response: waiter.promise };
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
    const invalid = group.validateMember(memberId, a.groupInstanceId);
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
          waiter.resolve(group.currentGeneration(memberId, group.isLeader(memberId)));
          return { records: [] };
        }
        return { records: this.updateMemberThenRebalanceOrCompleteJoin(group, member, a, waiter, `member ${memberId} changed its metadata during CompletingRebalance`) };
      case 'Stable':
        if (group.isLeader(memberId) || !member.matches(a.protocols)) {
          // A rejoining leader forces a rebalance (it may have seen metadata change), as does changed metadata.
          return { records: this.updateMemberThenRebalanceOrCompleteJoin(group, member, a, waiter, `member ${memberId} rejoining a Stable group`) };
        }
        waiter.resolve(group.currentGeneration(memberId, false));
        return { records: [] };
      default:
        waiter.resolve(joinError(memberId, E.UNKNOWN_MEMBER_ID));
        return { records: [] };
    }
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
          records: [groupMetadataRecord(group, assignment, this.now())],
          onAppended: () => {
            const isLeader = group.isLeader(newMemberId);
            if (a.supportsSkipAssignment) {
              // v9+: the leader learns it leads but does not run the assignor (the group is Stable).
              group.completeJoin(member, { ...group.currentGeneration(newMemberId, isLeader), skipAssignment: isLeader });
            } else {
              // Older clients: the old leader id, so that no assignment is computed and lost.
              group.completeJoin(member, { ...group.currentGeneration(newMemberId, false), leader: currentLeader });
            }
          },
          onAppendFailed: (code) => {
            // Not persisted: the old member id stays the static member's.
            member.joinWaiter = undefined;
            group.updateMember(member, old.protocols, old.rebalanceTimeoutMs, old.sessionTimeoutMs, undefined, joinError(newMemberId, E.REBALANCE_IN_PROGRESS));
            const restored = group.replaceStaticMember(instanceId, newMemberId, oldMemberId, { join: joinError(newMemberId, E.FENCED_INSTANCE_ID), sync: syncError(E.FENCED_INSTANCE_ID) });
            this.timer.cancel(heartbeatKey(group.groupId, newMemberId));
            this.rescheduleHeartbeat(group, restored);
            waiter.resolve({ ...group.currentGeneration('', false), errorCode: appendErrorToResponseError(code), leader: currentLeader });
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
      return [groupMetadataRecord(group, new Map(), this.now())];
    }
    this.log.info('group stabilizing', { group: group.groupId, generation: group.generationId, members: group.size, protocol: group.protocolName });
    for (const m of group.members.values()) {
      group.completeJoin(m, group.currentGeneration(m.memberId, group.isLeader(m.memberId)));
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

  rescheduleHeartbeat(group: ClassicGroup, member: ClassicGroupMember, timeoutMs = member.sessionTimeoutMs): void {
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

  // -------------------------------------------------------------------------------------------
  // SyncGroup, Heartbeat, LeaveGroup

  syncGroup(a: SyncGroupArgs): CoordinatorResult<SyncGroupResult> {
    const group = this.groups.get(a.groupId);
    if (!group) return done(syncError(E.UNKNOWN_MEMBER_ID));
    if (group.isInState('Dead')) return done(syncError(E.COORDINATOR_NOT_AVAILABLE));
    const invalid = group.validateMember(a.memberId, a.groupInstanceId);
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
          records: [groupMetadataRecord(group, assignment, this.now())],
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
    const invalid = group.validateMember(a.memberId, a.groupInstanceId);
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
      const invalid = group.validateMember(m.memberId, m.groupInstanceId);
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
