// Consumer groups, classic protocol: FindCoordinator, JoinGroup, SyncGroup, Heartbeat,
// LeaveGroup, OffsetCommit, OffsetFetch, OffsetDelete, DescribeGroups, ListGroups and
// DeleteGroups at every version both brokers serve; the join flow (KIP-394), two members on two
// connections, protocol selection, static membership (KIP-345) and the errors members hit.
//
// Two members' requests that wait on each other (a rebalance) are sent together, unrecorded,
// and their answers recorded afterwards in a fixed order, so transcripts line up whatever
// order the answers arrive in.
import {
  ConsumerProtocolAssignmentCodec,
  ConsumerProtocolSubscriptionCodec,
  DeleteGroups,
  DescribeGroups,
  FindCoordinator,
  Heartbeat,
  JoinGroup,
  LeaveGroup,
  ListGroups,
  OffsetCommit,
  OffsetDelete,
  OffsetFetch,
  SyncGroup,
  type DeleteGroupsResponse,
  type DescribeGroupsResponse,
  type JoinGroupRequest,
  type JoinGroupResponse,
  type LeaveGroupResponse,
  type ListGroupsResponse,
  type OffsetCommitRequest,
  type OffsetFetchRequest,
} from '../../../src/protocol/generated/index.js';
import { Writer, type ApiDescriptor } from '../../../src/protocol/runtime/index.js';
import { encodeRequest, type AllowEntry, type CallOptions, type Session, type SessionPeer, type WireConnection } from '../harness.js';
import { createTopic, waitForCoordinator } from './util.js';

// Kafka's group.min.session.timeout.ms is 6 s: sessions outlive every session of this module.
const SESSION_MS = 30_000;
const REBALANCE_MS = 30_000;
const ERR = { MEMBER_ID_REQUIRED: 79, UNKNOWN_MEMBER_ID: 25 };

/** ConsumerProtocolSubscription (v0) bytes for `topics`. */
function subscription(topics: string[]): Buffer {
  const v = { topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null };
  const w = new Writer(2 + ConsumerProtocolSubscriptionCodec.size(v, 0));
  w.int16(0);
  ConsumerProtocolSubscriptionCodec.write(w, v, 0);
  return w.finish();
}

/** ConsumerProtocolAssignment (v0) bytes. */
function assignment(topic: string, partitions: number[]): Buffer {
  const v = { assignedPartitions: [{ topic, partitions }], userData: null };
  const w = new Writer(2 + ConsumerProtocolAssignmentCodec.size(v, 0));
  w.int16(0);
  ConsumerProtocolAssignmentCodec.write(w, v, 0);
  return w.finish();
}

const top = (peer: SessionPeer, api: ApiDescriptor<any, any>) => peer.versions(api).at(-1)!;

interface JoinOpts {
  memberId?: string;
  instance?: string | null;
  protocolType?: string;
  protocols?: { name: string; metadata: Buffer }[];
  sessionTimeoutMs?: number;
  topics?: string[];
  reason?: string | null;
}

function joinReq(groupId: string, o: JoinOpts = {}, v = 9): JoinGroupRequest {
  return {
    groupId,
    sessionTimeoutMs: o.sessionTimeoutMs ?? SESSION_MS,
    rebalanceTimeoutMs: v >= 1 ? REBALANCE_MS : -1,
    memberId: o.memberId ?? '',
    groupInstanceId: v >= 5 ? (o.instance ?? null) : null,
    protocolType: o.protocolType ?? 'consumer',
    protocols: o.protocols ?? [{ name: 'range', metadata: subscription(o.topics ?? [`${groupId}-t`]) }],
    reason: v >= 8 ? (o.reason ?? null) : null,
  };
}

function syncReq(v: number, groupId: string, generationId: number, memberId: string, assignments: { memberId: string; assignment: Buffer }[] = [], instance: string | null = null, protocolName = 'range', protocolType = 'consumer') {
  return { groupId, generationId, memberId, groupInstanceId: instance, protocolType: v >= 5 ? protocolType : null, protocolName: v >= 5 ? protocolName : null, assignments };
}

/** LeaveGroup for a version: v0-2 one member id, v3+ a batch (reasons from v5). */
function leaveReq(v: number, groupId: string, members: { memberId: string; groupInstanceId?: string | null; reason?: string | null }[]) {
  if (v < 3) return { groupId, memberId: members[0]?.memberId ?? '', members: [] };
  return { groupId, memberId: '', members: members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null, reason: v >= 5 ? (m.reason ?? null) : null })) };
}

/** The member leaves (unrecorded). */
async function leave(peer: SessionPeer, groupId: string, memberId: string): Promise<void> {
  const v = top(peer, LeaveGroup);
  await peer.call(LeaveGroup, v, leaveReq(v, groupId, [{ memberId }]), { quiet: true });
}

function hbReq(groupId: string, generationId: number, memberId: string, instance: string | null = null) {
  return { groupId, generationId, memberId, groupInstanceId: instance };
}

/** A call on the main connection (conn undefined) or on another one; `label` undefined: not recorded. */
async function send<Req, Res>(peer: SessionPeer, conn: WireConnection | undefined, api: ApiDescriptor<Req, Res>, v: number, body: Req, label?: string): Promise<Res> {
  const opts: CallOptions = label === undefined ? { quiet: true } : { label };
  const out = conn ? await peer.callOn(conn, api, v, body, opts) : await peer.call(api, v, body, opts);
  if (typeof out === 'string') throw new Error(`${peer.name}: ${api.name} v${v} got ${out}`);
  return out as Res;
}

/**
 * A member joins a group alone (or as the last of a rebalance): v4+ first gets its id
 * (MEMBER_ID_REQUIRED), then joins with it. `label` records both steps.
 */
async function joinMember(peer: SessionPeer, conn: WireConnection | undefined, v: number, groupId: string, o: JoinOpts = {}, label?: string): Promise<JoinGroupResponse> {
  let res = await send(peer, conn, JoinGroup, v, joinReq(groupId, o, v), label && `${label} (first)`);
  if (res.errorCode === ERR.MEMBER_ID_REQUIRED) res = await send(peer, conn, JoinGroup, v, joinReq(groupId, { ...o, memberId: res.memberId }, v), label && `${label} (with id)`);
  return res;
}

/** One member joins and syncs a new group (unrecorded): the group is Stable with it as leader. */
async function stableAlone(peer: SessionPeer, conn: WireConnection | undefined, groupId: string, o: JoinOpts = {}, assignmentBytes = assignment(`${groupId}-t`, [0])): Promise<{ memberId: string; generationId: number }> {
  const jv = top(peer, JoinGroup);
  const j = await joinMember(peer, conn, jv, groupId, o);
  if (j.errorCode !== 0) throw new Error(`${peer.name}: join ${groupId} failed with ${j.errorCode}`);
  const sv = top(peer, SyncGroup);
  const s = await send(peer, conn, SyncGroup, sv, syncReq(sv, groupId, j.generationId, j.memberId, [{ memberId: j.memberId, assignment: assignmentBytes }], o.instance ?? null, j.protocolName ?? 'range', o.protocolType ?? 'consumer'));
  if (s.errorCode !== 0) throw new Error(`${peer.name}: sync ${groupId} failed with ${s.errorCode}`);
  return { memberId: j.memberId, generationId: j.generationId };
}

/** Waits (unrecorded) until DescribeGroups reports the state. */
async function waitState(peer: SessionPeer, groupId: string, state: string): Promise<void> {
  await peer.quiet(DescribeGroups, top(peer, DescribeGroups), { groups: [groupId], includeAuthorizedOperations: false }, (res: DescribeGroupsResponse) => res.groups[0]!.groupState !== state, 20_000);
}

/** Records the session's groups as ListGroups (newest version) sees them: their states after a step. */
async function listOwn(peer: SessionPeer, prefix: string, label: string, v = top(peer, ListGroups), statesFilter: string[] = [], typesFilter: string[] = []): Promise<void> {
  await peer.quiet(ListGroups, v, { statesFilter: [], typesFilter: [] }, (res: ListGroupsResponse) => res.errorCode !== 0);
  await peer.call(ListGroups, v, { statesFilter, typesFilter }, { label, view: (res: ListGroupsResponse) => ({ ...res, groups: res.groups.filter((g) => g.groupId.startsWith(prefix)) }) });
}

/**
 * Apache Kafka's DescribeGroups and ListGroups read the coordinator's state as of the last
 * committed offset of __consumer_offsets, and a JoinGroup is answered before the record of the
 * group it created is committed: waits (unrecorded) until each group exists.
 */
async function settle(peer: SessionPeer, groups: string[]): Promise<void> {
  for (const g of groups) {
    await peer.quiet(DescribeGroups, top(peer, DescribeGroups), { groups: [g], includeAuthorizedOperations: false }, (res: DescribeGroupsResponse) => res.groups[0]!.groupState === 'Dead', 20_000);
  }
}

/** DescribeGroups, recorded once every group but the `absent` ones exists. */
async function describe(peer: SessionPeer, groups: string[], label: string, v = top(peer, DescribeGroups), includeAuthorizedOperations = false, absent: string[] = []): Promise<void> {
  await settle(peer, groups.filter((g) => !absent.includes(g)));
  await peer.call(DescribeGroups, v, { groups, includeAuthorizedOperations }, { label });
}

/** Sends two requests that complete each other, records their answers in this order. */
async function together<A, B>(peer: SessionPeer, a: [string, Promise<A>], b: [string, Promise<B>]): Promise<[A, B]> {
  const [ra, rb] = await Promise.all([a[1], b[1]]);
  peer.record(a[0], ra);
  peer.record(b[0], rb);
  return [ra, rb];
}

function commitReq(groupId: string, generation: number, memberId: string, topics: { name: string; partitions: { index: number; offset: bigint; metadata?: string | null }[] }[], instance: string | null = null): OffsetCommitRequest {
  return {
    groupId,
    generationIdOrMemberEpoch: generation,
    memberId,
    groupInstanceId: instance,
    retentionTimeMs: -1n,
    topics: topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.index, committedOffset: p.offset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: p.metadata === undefined ? `m${p.index}` : p.metadata })),
    })),
  };
}

function fetchReq(v: number, groups: { groupId: string; topics: { name: string; partitionIndexes: number[] }[] | null }[], requireStable = false): OffsetFetchRequest {
  if (v >= 8) return { groupId: '', topics: [], groups: groups.map((g) => ({ groupId: g.groupId, memberId: null, memberEpoch: -1, topics: g.topics })), requireStable };
  return { groupId: groups[0]!.groupId, topics: groups[0]!.topics, groups: [], requireStable: v >= 7 && requireStable };
}

/**
 * Waits until each group's coordinator answers, and has loaded its partition of
 * __consumer_offsets (Kafka answers FindCoordinator before that, and then NOT_COORDINATOR or
 * COORDINATOR_LOAD_IN_PROGRESS to group requests).
 */
async function ready(peer: SessionPeer, ...groups: string[]): Promise<void> {
  for (const g of groups) {
    await waitForCoordinator(peer, g);
    await peer.quiet(DescribeGroups, top(peer, DescribeGroups), { groups: [g], includeAuthorizedOperations: false }, (res: DescribeGroupsResponse) => res.groups[0]!.errorCode !== 0, 60_000);
  }
}

export const sessions: Session[] = [
  {
    name: 'grp-find-coordinator',
    async run(peer) {
      await ready(peer, 'grp-fc-g', 'grp-fc-h');
      await waitForCoordinator(peer, 'grp-fc-txn', 1);
      for (const v of peer.versions(FindCoordinator)) {
        if (v < 4) {
          await peer.call(FindCoordinator, v, { key: 'grp-fc-g', keyType: 0, coordinatorKeys: [] }, { label: `FindCoordinator v${v} group` });
          await peer.call(FindCoordinator, v, { key: '', keyType: 0, coordinatorKeys: [] }, { label: `FindCoordinator v${v} empty group id` });
          if (v >= 1) {
            await peer.call(FindCoordinator, v, { key: 'grp-fc-txn', keyType: 1, coordinatorKeys: [] }, { label: `FindCoordinator v${v} transaction` });
            await peer.call(FindCoordinator, v, { key: 'grp-fc-g', keyType: 7, coordinatorKeys: [] }, { label: `FindCoordinator v${v} invalid key type` });
            await peer.call(FindCoordinator, v, { key: '', keyType: 1, coordinatorKeys: [] }, { label: `FindCoordinator v${v} empty transactional id` });
          }
        } else {
          await peer.call(FindCoordinator, v, { key: '', keyType: 0, coordinatorKeys: ['grp-fc-g', 'grp-fc-h'] }, { label: `FindCoordinator v${v} two groups` });
          await peer.call(FindCoordinator, v, { key: '', keyType: 1, coordinatorKeys: ['grp-fc-txn'] }, { label: `FindCoordinator v${v} transaction` });
          await peer.call(FindCoordinator, v, { key: '', keyType: 7, coordinatorKeys: ['grp-fc-g'] }, { label: `FindCoordinator v${v} invalid key type` });
          // Key type 2: share groups' coordinator (KIP-932, v6), which neither broker serves here.
          await peer.call(FindCoordinator, v, { key: '', keyType: 2, coordinatorKeys: ['grp-fc-g:grp-fc-t:0'] }, { label: `FindCoordinator v${v} share key type` });
          await peer.call(FindCoordinator, v, { key: '', keyType: 0, coordinatorKeys: [] }, { label: `FindCoordinator v${v} no keys` });
          await peer.call(FindCoordinator, v, { key: '', keyType: 0, coordinatorKeys: [''] }, { label: `FindCoordinator v${v} empty group id` });
          await peer.call(FindCoordinator, v, { key: '', keyType: 1, coordinatorKeys: [''] }, { label: `FindCoordinator v${v} empty transactional id` });
        }
      }
    },
  },
  {
    // Every JoinGroup version: a lone member's join (v4+: MEMBER_ID_REQUIRED, then with its id), a
    // rejoin of the leader, an unknown member id; then SyncGroup, Heartbeat and LeaveGroup.
    name: 'grp-join-versions',
    async run(peer) {
      await ready(peer, ...peer.versions(JoinGroup).map((v) => `grp-join-versions-v${v}`));
      const sv = top(peer, SyncGroup);
      for (const v of peer.versions(JoinGroup)) {
        const g = `grp-join-versions-v${v}`;
        const j = await joinMember(peer, undefined, v, g, {}, `JoinGroup v${v}`);
        await send(peer, undefined, SyncGroup, sv, syncReq(sv, g, j.generationId, j.memberId, [{ memberId: j.memberId, assignment: assignment(`${g}-t`, [0]) }]), `SyncGroup after JoinGroup v${v}`);
        // The leader rejoining a Stable group: a new generation.
        const again = await send(peer, undefined, JoinGroup, v, joinReq(g, { memberId: j.memberId }, v), `JoinGroup v${v} leader rejoins`);
        await send(peer, undefined, JoinGroup, v, joinReq(g, { memberId: 'grp-unknown-member' }, v), `JoinGroup v${v} unknown member id`);
        await send(peer, undefined, JoinGroup, v, joinReq(`${g}-none`, { memberId: 'grp-unknown-member' }, v), `JoinGroup v${v} unknown member id, unknown group`);
        await describe(peer, [g], `DescribeGroups after JoinGroup v${v}`);
        await leave(peer, g, again.memberId);
      }
    },
  },
  {
    name: 'grp-sync-heartbeat-versions',
    async run(peer) {
      const jv = top(peer, JoinGroup);
      for (const v of peer.versions(SyncGroup)) {
        const g = `grp-sync-heartbeat-versions-s${v}`;
        await ready(peer, g);
        const j = await joinMember(peer, undefined, jv, g);
        await send(peer, undefined, SyncGroup, v, syncReq(v, g, j.generationId + 1, j.memberId), `SyncGroup v${v} wrong generation`);
        await send(peer, undefined, SyncGroup, v, syncReq(v, g, j.generationId, 'grp-unknown-member'), `SyncGroup v${v} unknown member`);
        if (v >= 5) {
          await send(peer, undefined, SyncGroup, v, { ...syncReq(v, g, j.generationId, j.memberId), protocolName: null }, `SyncGroup v${v} no protocol name`);
          await send(peer, undefined, SyncGroup, v, { ...syncReq(v, g, j.generationId, j.memberId), protocolType: null }, `SyncGroup v${v} no protocol type`);
          await send(peer, undefined, SyncGroup, v, { ...syncReq(v, g, j.generationId, j.memberId), protocolName: 'roundrobin' }, `SyncGroup v${v} other protocol name`);
          await send(peer, undefined, SyncGroup, v, { ...syncReq(v, g, j.generationId, j.memberId), protocolType: 'connect' }, `SyncGroup v${v} other protocol type`);
        }
        await describe(peer, [g], `DescribeGroups before SyncGroup v${v}`);
        await send(peer, undefined, Heartbeat, top(peer, Heartbeat), hbReq(g, j.generationId, j.memberId), `Heartbeat before SyncGroup v${v}`);
        await send(peer, undefined, SyncGroup, v, syncReq(v, g, j.generationId, j.memberId, [{ memberId: j.memberId, assignment: assignment(`${g}-t`, [0]) }]), `SyncGroup v${v} leader`);
        await send(peer, undefined, SyncGroup, v, syncReq(v, g, j.generationId, j.memberId, []), `SyncGroup v${v} again when Stable`);
        await describe(peer, [g], `DescribeGroups after SyncGroup v${v}`);
      }
      for (const v of peer.versions(Heartbeat)) {
        const g = `grp-sync-heartbeat-versions-h${v}`;
        await ready(peer, g);
        await peer.call(Heartbeat, v, hbReq(g, 1, 'grp-unknown-member'), { label: `Heartbeat v${v} unknown group` });
        const m = await stableAlone(peer, undefined, g);
        await peer.call(Heartbeat, v, hbReq(g, m.generationId, m.memberId), { label: `Heartbeat v${v}` });
        await peer.call(Heartbeat, v, hbReq(g, m.generationId + 1, m.memberId), { label: `Heartbeat v${v} wrong generation` });
        await peer.call(Heartbeat, v, hbReq(g, m.generationId, 'grp-unknown-member'), { label: `Heartbeat v${v} unknown member` });
        await peer.call(Heartbeat, v, hbReq('', m.generationId, m.memberId), { label: `Heartbeat v${v} empty group id` });
      }
    },
  },
  {
    // Sync before join, and SyncGroup of an unknown group.
    name: 'grp-sync-before-join',
    async run(peer) {
      const g = 'grp-sync-before-join';
      await ready(peer, g, `${g}-none`);
      const sv = top(peer, SyncGroup);
      await send(peer, undefined, SyncGroup, sv, syncReq(sv, `${g}-none`, 1, 'grp-unknown-member'), 'SyncGroup unknown group');
      await send(peer, undefined, SyncGroup, sv, syncReq(sv, `${g}-none`, 0, ''), 'SyncGroup unknown group, no member id');
      await stableAlone(peer, undefined, g);
      await send(peer, undefined, SyncGroup, sv, syncReq(sv, g, 1, ''), 'SyncGroup no member id');
      await send(peer, undefined, SyncGroup, sv, syncReq(sv, '', 1, 'x'), 'SyncGroup empty group id');
    },
  },
  {
    // Two members on two connections; the leader's assignment reaches the follower.
    name: 'grp-two-members',
    async run(peer) {
      const g = 'grp-two-members';
      await createTopic(peer, 'grp-two-members-t', 2);
      await ready(peer, g);
      const jv = top(peer, JoinGroup);
      const sv = top(peer, SyncGroup);
      const hv = top(peer, Heartbeat);
      const b = await peer.connection();
      const a = await joinMember(peer, undefined, jv, g, { topics: ['grp-two-members-t'] }, 'A joins');
      await send(peer, undefined, SyncGroup, sv, syncReq(sv, g, a.generationId, a.memberId, [{ memberId: a.memberId, assignment: assignment('grp-two-members-t', [0, 1]) }]), 'A syncs alone');
      await settle(peer, [g]);
      await listOwn(peer, g, 'ListGroups A alone');
      // B gets its id, then joins: the group rebalances and waits for A.
      const first = await send(peer, b, JoinGroup, jv, joinReq(g, { topics: ['grp-two-members-t'] }), 'B joins (first)');
      const bJoin = send(peer, b, JoinGroup, jv, joinReq(g, { topics: ['grp-two-members-t'], memberId: first.errorCode === ERR.MEMBER_ID_REQUIRED ? first.memberId : '' }));
      await waitState(peer, g, 'PreparingRebalance');
      await listOwn(peer, g, 'ListGroups while B joins');
      await describe(peer, [g], 'DescribeGroups while B joins');
      await peer.call(Heartbeat, hv, hbReq(g, a.generationId, a.memberId), { label: 'A heartbeat during rebalance' });
      await send(peer, undefined, SyncGroup, sv, syncReq(sv, g, a.generationId, a.memberId), 'A syncs during rebalance');
      await send(peer, undefined, OffsetCommit, top(peer, OffsetCommit), commitReq(g, a.generationId, a.memberId, [{ name: 'grp-two-members-t', partitions: [{ index: 0, offset: 5n }] }]), 'A commits during rebalance');
      const [a2, b2] = await together(peer, ['A rejoins', send(peer, undefined, JoinGroup, jv, joinReq(g, { topics: ['grp-two-members-t'], memberId: a.memberId }))], ['B joined', bJoin]);
      await describe(peer, [g], 'DescribeGroups CompletingRebalance');
      await peer.call(Heartbeat, hv, hbReq(g, b2.generationId, b2.memberId), { label: 'B heartbeat before its SyncGroup' });
      await send(peer, undefined, OffsetCommit, top(peer, OffsetCommit), commitReq(g, a2.generationId, a2.memberId, [{ name: 'grp-two-members-t', partitions: [{ index: 0, offset: 5n }] }]), 'A commits in CompletingRebalance');
      // The follower waits in SyncGroup for the leader's assignment.
      const bSync = send(peer, b, SyncGroup, sv, syncReq(sv, g, b2.generationId, b2.memberId));
      const leader = a2.leader === a2.memberId ? a2 : b2;
      const follower = leader === a2 ? b2 : a2;
      const assignments = [
        { memberId: leader.memberId, assignment: assignment('grp-two-members-t', [0]) },
        { memberId: follower.memberId, assignment: assignment('grp-two-members-t', [1]) },
      ];
      await together(peer, ['A syncs (leader)', send(peer, undefined, SyncGroup, sv, syncReq(sv, g, a2.generationId, a2.memberId, leader === a2 ? assignments : []))], ['B syncs (follower)', bSync]);
      await describe(peer, [g], 'DescribeGroups Stable, two members');
      await listOwn(peer, g, 'ListGroups two members');
      await peer.call(Heartbeat, hv, hbReq(g, a2.generationId, a2.memberId), { label: 'A heartbeat' });
      await peer.callOn(b, Heartbeat, hv, hbReq(g, b2.generationId, b2.memberId), { label: 'B heartbeat' });
      await send(peer, undefined, OffsetCommit, top(peer, OffsetCommit), commitReq(g, a2.generationId, a2.memberId, [{ name: 'grp-two-members-t', partitions: [{ index: 0, offset: 7n }] }]), 'A commits');
      await send(peer, b, OffsetCommit, top(peer, OffsetCommit), commitReq(g, a2.generationId, b2.memberId, [{ name: 'grp-two-members-t', partitions: [{ index: 1, offset: 9n }] }]), 'B commits');
      // B leaves: A must rejoin alone.
      await peer.callOn(b, LeaveGroup, top(peer, LeaveGroup), leaveReq(top(peer, LeaveGroup), g, [{ memberId: b2.memberId, reason: 'done' }]), { label: 'B leaves' });
      await describe(peer, [g], 'DescribeGroups after B left');
      await peer.call(Heartbeat, hv, hbReq(g, a2.generationId, a2.memberId), { label: 'A heartbeat after B left' });
      const a3 = await send(peer, undefined, JoinGroup, jv, joinReq(g, { topics: ['grp-two-members-t'], memberId: a2.memberId }), 'A rejoins alone');
      await send(peer, undefined, SyncGroup, sv, syncReq(sv, g, a3.generationId, a3.memberId, [{ memberId: a3.memberId, assignment: assignment('grp-two-members-t', [0, 1]) }]), 'A syncs alone again');
      await peer.call(LeaveGroup, top(peer, LeaveGroup), leaveReq(top(peer, LeaveGroup), g, [{ memberId: a3.memberId }]), { label: 'A leaves' });
      await describe(peer, [g], 'DescribeGroups Empty');
      await listOwn(peer, g, 'ListGroups Empty');
      await peer.call(OffsetFetch, top(peer, OffsetFetch), fetchReq(top(peer, OffsetFetch), [{ groupId: g, topics: null }]), { label: 'OffsetFetch all' });
    },
  },
  {
    // A member between its two KIP-394 joins (pending), rejoins of a Stable group with the same
    // and with changed metadata, a JoinGroup resent during CompletingRebalance, LeaveGroup with
    // wrong instance ids.
    name: 'grp-rejoin',
    async run(peer) {
      const g = 'grp-rejoin';
      const t = 'grp-rejoin-t';
      await createTopic(peer, t, 2);
      await createTopic(peer, `${t}2`, 1);
      await ready(peer, g, `${g}-static`);
      const jv = top(peer, JoinGroup);
      const sv = top(peer, SyncGroup);
      const hv = top(peer, Heartbeat);
      const lv = top(peer, LeaveGroup);
      const cv = top(peer, OffsetCommit);
      const b = await peer.connection();
      const a = await stableAlone(peer, undefined, g, { topics: [t] }, assignment(t, [0, 1]));
      // B has its member id but has not joined with it yet.
      const pending = await send(peer, b, JoinGroup, jv, joinReq(g, { topics: [t] }), 'B gets its member id');
      await describe(peer, [g], 'DescribeGroups with a pending member');
      await peer.callOn(b, Heartbeat, hv, hbReq(g, a.generationId, pending.memberId), { label: 'Heartbeat of the pending member' });
      await send(peer, b, SyncGroup, sv, syncReq(sv, g, a.generationId, pending.memberId), 'SyncGroup of the pending member');
      await send(peer, b, OffsetCommit, cv, commitReq(g, a.generationId, pending.memberId, [{ name: t, partitions: [{ index: 1, offset: 1n }] }]), 'OffsetCommit of the pending member');
      await peer.callOn(b, LeaveGroup, lv, leaveReq(lv, g, [{ memberId: pending.memberId }]), { label: 'LeaveGroup of the pending member' });
      await send(peer, b, JoinGroup, jv, joinReq(g, { topics: [t], memberId: pending.memberId }), 'JoinGroup with the id of the pending member that left');
      // B joins for real: a rebalance, A rejoins.
      const first = await send(peer, b, JoinGroup, jv, joinReq(g, { topics: [t] }), 'B joins (first)');
      const bJoin = send(peer, b, JoinGroup, jv, joinReq(g, { topics: [t], memberId: first.memberId }));
      await waitState(peer, g, 'PreparingRebalance');
      const [a2, b2] = await together(peer, ['A rejoins', send(peer, undefined, JoinGroup, jv, joinReq(g, { topics: [t], memberId: a.memberId }))], ['B joined', bJoin]);
      const plan = [
        { memberId: a2.memberId, assignment: assignment(t, [0]) },
        { memberId: b2.memberId, assignment: assignment(t, [1]) },
      ];
      await together(peer, ['A syncs', send(peer, undefined, SyncGroup, sv, syncReq(sv, g, a2.generationId, a2.memberId, plan))], ['B syncs', send(peer, b, SyncGroup, sv, syncReq(sv, g, b2.generationId, b2.memberId))]);
      // A follower rejoining a Stable group with the same metadata: the current generation, no rebalance.
      await send(peer, b, JoinGroup, jv, joinReq(g, { topics: [t], memberId: b2.memberId }), 'B rejoins with the same metadata');
      await describe(peer, [g], 'DescribeGroups after B rejoined the same');
      // With changed metadata: a rebalance.
      const bJoin3 = send(peer, b, JoinGroup, jv, joinReq(g, { topics: [t, `${t}2`], memberId: b2.memberId }));
      await waitState(peer, g, 'PreparingRebalance');
      await peer.call(Heartbeat, hv, hbReq(g, a2.generationId, a2.memberId), { label: 'A heartbeat while B changes its subscription' });
      const [a3, b3] = await together(peer, ['A rejoins again', send(peer, undefined, JoinGroup, jv, joinReq(g, { topics: [t], memberId: a2.memberId }))], ['B joined with a new subscription', bJoin3]);
      // A missed its JoinGroup answer and sends it again: the same generation, as leader.
      await send(peer, undefined, JoinGroup, jv, joinReq(g, { topics: [t], memberId: a3.memberId }), 'A resends its JoinGroup during CompletingRebalance');
      await describe(peer, [g], 'DescribeGroups CompletingRebalance');
      await peer.call(Heartbeat, hv, hbReq(g, a2.generationId, a3.memberId), { label: 'A heartbeat with the old generation' });
      await together(peer, ['A syncs again', send(peer, undefined, SyncGroup, sv, syncReq(sv, g, a3.generationId, a3.memberId, plan))], ['B syncs again', send(peer, b, SyncGroup, sv, syncReq(sv, g, b3.generationId, b3.memberId))]);
      await describe(peer, [g], 'DescribeGroups Stable with a new subscription');
      await peer.call(LeaveGroup, lv, leaveReq(lv, g, [{ memberId: b3.memberId, groupInstanceId: 'inst-x' }, { memberId: a3.memberId }]), { label: 'LeaveGroup, a dynamic member named with an instance id' });
      await describe(peer, [g], 'DescribeGroups after A left');
      // A static member: LeaveGroup with another member id for its instance id is fenced.
      const sm = await stableAlone(peer, undefined, `${g}-static`, { instance: 'inst-s', topics: [t] });
      await peer.call(LeaveGroup, lv, leaveReq(lv, `${g}-static`, [{ memberId: 'grp-unknown-member', groupInstanceId: 'inst-s' }]), { label: 'LeaveGroup static, wrong member id' });
      await peer.call(LeaveGroup, lv, leaveReq(lv, `${g}-static`, [{ memberId: sm.memberId, groupInstanceId: 'inst-other' }]), { label: 'LeaveGroup static, wrong instance id' });
      await peer.call(LeaveGroup, lv, leaveReq(lv, `${g}-static`, [{ memberId: sm.memberId, groupInstanceId: 'inst-s' }]), { label: 'LeaveGroup static' });
      await describe(peer, [`${g}-static`], 'DescribeGroups after the static member left');
    },
  },
  {
    // Rebalances cut short: a member waiting in SyncGroup when a new member joins, and when the
    // leader leaves before sending the assignment.
    name: 'grp-rebalance-interrupted',
    async run(peer) {
      const g = 'grp-rebalance-interrupted';
      const t = 'grp-rebalance-interrupted-t';
      await createTopic(peer, t, 3);
      await ready(peer, g);
      const jv = top(peer, JoinGroup);
      const sv = top(peer, SyncGroup);
      const lv = top(peer, LeaveGroup);
      const b = await peer.connection();
      const c = await peer.connection();
      const a = await stableAlone(peer, undefined, g, { topics: [t] }, assignment(t, [0, 1, 2]));
      const bFirst = await send(peer, b, JoinGroup, jv, joinReq(g, { topics: [t] }));
      const bJoin = send(peer, b, JoinGroup, jv, joinReq(g, { topics: [t], memberId: bFirst.memberId }));
      await waitState(peer, g, 'PreparingRebalance');
      const [a2, b2] = await together(peer, ['A rejoins', send(peer, undefined, JoinGroup, jv, joinReq(g, { topics: [t], memberId: a.memberId }))], ['B joined', bJoin]);
      // B waits for its assignment; C joins before the leader's SyncGroup.
      const bSync = send(peer, b, SyncGroup, sv, syncReq(sv, g, b2.generationId, b2.memberId));
      const cFirst = await send(peer, c, JoinGroup, jv, joinReq(g, { topics: [t] }), 'C gets its member id');
      const cJoin = send(peer, c, JoinGroup, jv, joinReq(g, { topics: [t], memberId: cFirst.memberId }));
      const [bs] = await Promise.all([bSync, waitState(peer, g, 'PreparingRebalance')]);
      peer.record('B SyncGroup when C joins', bs);
      await describe(peer, [g], 'DescribeGroups after C joined');
      await send(peer, undefined, SyncGroup, sv, syncReq(sv, g, a2.generationId, a2.memberId, [{ memberId: a2.memberId, assignment: assignment(t, [0]) }]), 'A syncs the old generation');
      const [a3, b3, c3] = await Promise.all([send(peer, undefined, JoinGroup, jv, joinReq(g, { topics: [t], memberId: a2.memberId })), send(peer, b, JoinGroup, jv, joinReq(g, { topics: [t], memberId: b2.memberId })), cJoin]);
      peer.record('A rejoins with C', a3);
      peer.record('B rejoins with C', b3);
      peer.record('C joined', c3);
      // B and C wait for their assignments; the leader leaves instead.
      const bSync3 = send(peer, b, SyncGroup, sv, syncReq(sv, g, b3.generationId, b3.memberId));
      const cSync3 = send(peer, c, SyncGroup, sv, syncReq(sv, g, c3.generationId, c3.memberId));
      const leader = [a3, b3, c3].find((r) => r.memberId === r.leader)!;
      if (leader !== a3) throw new Error(`${peer.name}: A should lead`);
      await together(peer, ['A leaves', send(peer, undefined, LeaveGroup, lv, leaveReq(lv, g, [{ memberId: a3.memberId }]))], ['B SyncGroup when the leader left', bSync3]);
      peer.record('C SyncGroup when the leader left', await cSync3);
      await describe(peer, [g], 'DescribeGroups after the leader left');
      const [b4, c4] = await Promise.all([send(peer, b, JoinGroup, jv, joinReq(g, { topics: [t], memberId: b3.memberId })), send(peer, c, JoinGroup, jv, joinReq(g, { topics: [t], memberId: c3.memberId }))]);
      // Kafka takes the new leader from a hash map of (random) member ids, so which of B and C
      // leads is chance on both brokers: compare what does not depend on it.
      const seen = (r: typeof b4) => ({ errorCode: r.errorCode, generationId: r.generationId, protocolName: r.protocolName, leads: r.leader === r.memberId, members: r.members.length });
      const [lb, lc] = [seen(b4), seen(c4)];
      peer.record('B and C rejoin without A: the leader and the follower', [lb, lc].sort((x, y) => Number(y.leads) - Number(x.leads)));
      await describe(peer, [g], 'DescribeGroups CompletingRebalance without A');
    },
  },
  {
    // Protocol selection: the protocol every member supports that most prefer; inconsistent ones refused.
    name: 'grp-protocols',
    async run(peer) {
      const g = 'grp-protocols';
      await ready(peer, g, `${g}-new`);
      const jv = top(peer, JoinGroup);
      const sv = top(peer, SyncGroup);
      const sub = subscription(['grp-protocols-t']);
      const b = await peer.connection();
      const a = await joinMember(peer, undefined, jv, g, { protocols: [{ name: 'range', metadata: sub }, { name: 'roundrobin', metadata: sub }, { name: 'sticky', metadata: sub }] }, 'A joins with three protocols');
      await send(peer, undefined, SyncGroup, sv, syncReq(sv, g, a.generationId, a.memberId, [], null, a.protocolName ?? ''), 'A syncs');
      await joinMember(peer, b, jv, g, { protocols: [{ name: 'other', metadata: sub }] }, 'C no common protocol');
      await joinMember(peer, b, jv, g, { protocolType: 'connect', protocols: [{ name: 'range', metadata: sub }] }, 'C other protocol type');
      const first = await send(peer, b, JoinGroup, jv, joinReq(g, { protocols: [{ name: 'roundrobin', metadata: sub }, { name: 'sticky', metadata: sub }] }), 'B joins (first)');
      const bJoin = send(peer, b, JoinGroup, jv, joinReq(g, { memberId: first.memberId, protocols: [{ name: 'roundrobin', metadata: sub }, { name: 'sticky', metadata: sub }] }));
      await waitState(peer, g, 'PreparingRebalance');
      const [a2, b2] = await together(
        peer,
        ['A rejoins', send(peer, undefined, JoinGroup, jv, joinReq(g, { memberId: a.memberId, protocols: [{ name: 'range', metadata: sub }, { name: 'roundrobin', metadata: sub }, { name: 'sticky', metadata: sub }] }))],
        ['B joined', bJoin],
      );
      await together(peer, ['A syncs', send(peer, undefined, SyncGroup, sv, syncReq(sv, g, a2.generationId, a2.memberId, [], null, a2.protocolName ?? ''))], ['B syncs', send(peer, b, SyncGroup, sv, syncReq(sv, g, b2.generationId, b2.memberId, [], null, b2.protocolName ?? ''))]);
      await describe(peer, [g], 'DescribeGroups roundrobin');
      // A new group refuses a member without protocols or protocol type.
      await joinMember(peer, undefined, jv, `${g}-new`, { protocols: [] }, 'JoinGroup no protocols');
      await joinMember(peer, undefined, jv, `${g}-new`, { protocolType: '' }, 'JoinGroup empty protocol type');
      await settle(peer, [g, `${g}-new`]);
      await listOwn(peer, g, 'ListGroups');
    },
  },
  {
    // The same group, key or partition twice in one request.
    name: 'grp-duplicates',
    async run(peer) {
      const g = 'grp-duplicates';
      const t = 'grp-duplicates-t';
      await createTopic(peer, t, 2);
      await ready(peer, g, `${g}-other`);
      const cv = top(peer, OffsetCommit);
      const fv = top(peer, OffsetFetch);
      await peer.call(FindCoordinator, top(peer, FindCoordinator), { key: '', keyType: 0, coordinatorKeys: [g, g] }, { label: 'FindCoordinator the same key twice' });
      await peer.call(OffsetCommit, cv, commitReq(g, -1, '', [{ name: t, partitions: [{ index: 0, offset: 1n, metadata: 'first' }, { index: 0, offset: 2n, metadata: 'second' }] }, { name: t, partitions: [{ index: 1, offset: 3n }] }]), { label: 'OffsetCommit the same partition twice, the same topic twice' });
      await peer.call(OffsetFetch, fv, fetchReq(fv, [{ groupId: g, topics: [{ name: t, partitionIndexes: [0, 0, 1] }] }]), { label: 'OffsetFetch the same partition twice' });
      await peer.call(OffsetFetch, fv, fetchReq(fv, [{ groupId: g, topics: [{ name: t, partitionIndexes: [0] }, { name: t, partitionIndexes: [1] }] }]), { label: 'OffsetFetch the same topic twice' });
      await peer.call(OffsetFetch, fv, fetchReq(fv, [{ groupId: g, topics: null }, { groupId: g, topics: [{ name: t, partitionIndexes: [1] }] }]), { label: 'OffsetFetch the same group twice' });
      for (const v of peer.versions(OffsetFetch).filter((x) => x >= 2 && x < 8)) {
        await peer.call(OffsetFetch, v, fetchReq(v, [{ groupId: g, topics: [{ name: t, partitionIndexes: [0, 0] }] }]), { label: `OffsetFetch v${v} the same partition twice` });
      }
      await settle(peer, [g]);
      await describe(peer, [g, g, `${g}-other`], 'DescribeGroups the same group twice', undefined, false, [`${g}-other`]);
      await peer.call(OffsetDelete, 0, { groupId: g, topics: [{ name: t, partitions: [{ partitionIndex: 0 }, { partitionIndex: 0 }] }] }, { label: 'OffsetDelete the same partition twice' });
      await peer.call(OffsetFetch, fv, fetchReq(fv, [{ groupId: g, topics: null }]), { label: 'OffsetFetch after OffsetDelete' });
    },
  },
  {
    name: 'grp-invalid',
    async run(peer) {
      const g = 'grp-invalid';
      await ready(peer, g, '');
      const jv = top(peer, JoinGroup);
      await peer.call(JoinGroup, jv, joinReq(g, { sessionTimeoutMs: 5_999 }), { label: 'JoinGroup session timeout below min' });
      await peer.call(JoinGroup, jv, joinReq(g, { sessionTimeoutMs: 1_800_001 }), { label: 'JoinGroup session timeout above max' });
      await peer.call(JoinGroup, jv, joinReq(g, { sessionTimeoutMs: 6_000 }), { label: 'JoinGroup session timeout at min' });
      await peer.call(JoinGroup, jv, joinReq(''), { label: 'JoinGroup empty group id' });
      await peer.call(JoinGroup, jv, joinReq('', { sessionTimeoutMs: 1 }), { label: 'JoinGroup empty group id, bad session timeout' });
      for (const instance of ['', 'bad instance!', 'i'.repeat(250)]) {
        const gi = `${g}-instance-${instance.length}`;
        await ready(peer, gi);
        await peer.call(JoinGroup, jv, joinReq(gi, { instance }), { label: `JoinGroup group instance id of ${instance.length} characters` });
      }
      await peer.call(LeaveGroup, top(peer, LeaveGroup), leaveReq(top(peer, LeaveGroup), '', [{ memberId: 'x' }]), { label: 'LeaveGroup empty group id' });
      await peer.call(OffsetCommit, top(peer, OffsetCommit), commitReq('', -1, '', [{ name: 'grp-invalid-t', partitions: [{ index: 0, offset: 1n }] }]), { label: 'OffsetCommit empty group id' });
      const fv = top(peer, OffsetFetch);
      await peer.call(OffsetFetch, fv, fetchReq(fv, [{ groupId: '', topics: [{ name: 'grp-invalid-t', partitionIndexes: [0] }] }]), { label: 'OffsetFetch empty group id' });
      await peer.call(DescribeGroups, top(peer, DescribeGroups), { groups: [''], includeAuthorizedOperations: false }, { label: 'DescribeGroups empty group id' });
      await peer.call(DeleteGroups, top(peer, DeleteGroups), { groupsNames: [''] }, { label: 'DeleteGroups empty group id' });
      await peer.call(OffsetDelete, 0, { groupId: '', topics: [{ name: 'grp-invalid-t', partitions: [{ partitionIndex: 0 }] }] }, { label: 'OffsetDelete empty group id' });
      await settle(peer, [g]);
      await listOwn(peer, g, 'ListGroups');
    },
  },
  {
    // KIP-345: a static member joins without MEMBER_ID_REQUIRED; a second instance with the same
    // id takes its place and fences the first; an administrator removes it by instance id.
    name: 'grp-static',
    async run(peer) {
      const g = 'grp-static';
      await ready(peer, g);
      const hv = top(peer, Heartbeat);
      for (const jv of peer.versions(JoinGroup).filter((v) => v >= 5)) {
        const gv = `${g}-v${jv}`;
        await createTopic(peer, `${gv}-t`, 1);
        await ready(peer, gv);
        const sv = top(peer, SyncGroup);
        const a = await send(peer, undefined, JoinGroup, jv, joinReq(gv, { instance: 'inst-1' }), `JoinGroup v${jv} static`);
        await send(peer, undefined, SyncGroup, sv, syncReq(sv, gv, a.generationId, a.memberId, [{ memberId: a.memberId, assignment: assignment(`${gv}-t`, [0]) }], 'inst-1'), `SyncGroup static v${jv}`);
        await peer.call(Heartbeat, hv, hbReq(gv, a.generationId, a.memberId, 'inst-1'), { label: `Heartbeat static v${jv}` });
        await peer.call(Heartbeat, hv, hbReq(gv, a.generationId, a.memberId, 'inst-2'), { label: `Heartbeat static, unknown instance v${jv}` });
        // The same instance id again, from a new process (no member id): it replaces the member.
        const b = await send(peer, undefined, JoinGroup, jv, joinReq(gv, { instance: 'inst-1' }), `JoinGroup v${jv} same instance again`);
        await peer.call(Heartbeat, hv, hbReq(gv, a.generationId, a.memberId, 'inst-1'), { label: `Heartbeat of the fenced member v${jv}` });
        await send(peer, undefined, JoinGroup, jv, joinReq(gv, { instance: 'inst-1', memberId: a.memberId }), `JoinGroup v${jv} fenced member`);
        await send(peer, undefined, SyncGroup, sv, syncReq(sv, gv, a.generationId, a.memberId, [], 'inst-1'), `SyncGroup fenced member v${jv}`);
        await send(peer, undefined, OffsetCommit, top(peer, OffsetCommit), commitReq(gv, a.generationId, a.memberId, [{ name: `${gv}-t`, partitions: [{ index: 0, offset: 1n }] }], 'inst-1'), `OffsetCommit fenced member v${jv}`);
        await send(peer, undefined, SyncGroup, sv, syncReq(sv, gv, b.generationId, b.memberId, [], 'inst-1'), `SyncGroup new member v${jv}`);
        await peer.call(Heartbeat, hv, hbReq(gv, b.generationId, b.memberId, 'inst-1'), { label: `Heartbeat new member v${jv}` });
        await send(peer, undefined, OffsetCommit, top(peer, OffsetCommit), commitReq(gv, b.generationId, b.memberId, [{ name: `${gv}-t`, partitions: [{ index: 0, offset: 2n }] }], 'inst-1'), `OffsetCommit new member v${jv}`);
        await describe(peer, [gv], `DescribeGroups static v${jv}`);
        await send(peer, undefined, JoinGroup, jv, joinReq(gv, { instance: 'inst-9', memberId: 'grp-unknown-member' }), `JoinGroup v${jv} unknown static member`);
      }
      // LeaveGroup v3+ by instance id (as kafka-consumer-groups --delete-offsets / admin removeMembers).
      const lv = peer.versions(LeaveGroup).filter((v) => v >= 3);
      for (const v of lv) {
        const gv = `${g}-leave-v${v}`;
        await ready(peer, gv);
        const m = await stableAlone(peer, undefined, gv, { instance: 'inst-1' });
        await peer.call(LeaveGroup, v, leaveReq(v, gv, [{ memberId: '', groupInstanceId: 'inst-1', reason: 'admin' }, { memberId: '', groupInstanceId: 'inst-unknown' }]), { label: `LeaveGroup v${v} by instance id` });
        await peer.call(LeaveGroup, v, leaveReq(v, gv, [{ memberId: m.memberId, groupInstanceId: 'inst-1' }]), { label: `LeaveGroup v${v} the removed member` });
        await describe(peer, [gv], `DescribeGroups after LeaveGroup v${v}`);
      }
      await listOwn(peer, g, 'ListGroups');
    },
  },
  {
    // A static member coming back (new process, no member id) with other metadata: a new
    // subscription with the same protocol keeps the group Stable; a protocol change rebalances.
    // Then a static follower and a static leader rejoining with their member ids.
    name: 'grp-static-rejoin',
    async run(peer) {
      const g = 'grp-static-rejoin';
      const t = 'grp-static-rejoin-t';
      await createTopic(peer, t, 2);
      await ready(peer, g);
      const sv = top(peer, SyncGroup);
      const hv = top(peer, Heartbeat);
      for (const jv of peer.versions(JoinGroup).filter((v) => v >= 5)) {
        const gv = `${g}-v${jv}`;
        await ready(peer, gv);
        const b = await peer.connection();
        const a = await stableAlone(peer, undefined, gv, { instance: 'inst-a', topics: [t] }, assignment(t, [0, 1]));
        const a2 = await send(peer, undefined, JoinGroup, jv, joinReq(gv, { instance: 'inst-a', topics: [t, 'grp-static-rejoin-other'] }), `JoinGroup v${jv} static, new subscription`);
        await describe(peer, [gv], `DescribeGroups v${jv} after a new subscription`);
        await peer.call(Heartbeat, hv, hbReq(gv, a.generationId, a2.memberId, 'inst-a'), { label: `Heartbeat v${jv} after a new subscription` });
        const sub = subscription([t]);
        await send(peer, undefined, JoinGroup, jv, joinReq(gv, { instance: 'inst-a', protocols: [{ name: 'roundrobin', metadata: sub }] }), `JoinGroup v${jv} static, unsupported protocol`);
        const both = [{ name: 'roundrobin', metadata: sub }, { name: 'range', metadata: sub }];
        const a3 = await send(peer, undefined, JoinGroup, jv, joinReq(gv, { instance: 'inst-a', protocols: both }), `JoinGroup v${jv} static, other protocol preferred`);
        await send(peer, undefined, SyncGroup, sv, syncReq(sv, gv, a3.generationId, a3.memberId, [{ memberId: a3.memberId, assignment: assignment(t, [0, 1]) }], 'inst-a', a3.protocolName ?? ''), `SyncGroup v${jv} after the protocol change`);
        // A second static member, B: then B (a follower) and A (the leader) rejoin with their ids.
        const bJoin = send(peer, b, JoinGroup, jv, joinReq(gv, { instance: 'inst-b', protocols: [{ name: 'roundrobin', metadata: sub }] }));
        await waitState(peer, gv, 'PreparingRebalance');
        const [a4, b4] = await together(peer, [`A rejoins v${jv}`, send(peer, undefined, JoinGroup, jv, joinReq(gv, { instance: 'inst-a', memberId: a3.memberId, protocols: both }))], [`B joins v${jv}`, bJoin]);
        const plan = [
          { memberId: a4.memberId, assignment: assignment(t, [0]) },
          { memberId: b4.memberId, assignment: assignment(t, [1]) },
        ];
        const leaderIsA = a4.leader === a4.memberId;
        await together(
          peer,
          [`A syncs v${jv}`, send(peer, undefined, SyncGroup, sv, syncReq(sv, gv, a4.generationId, a4.memberId, leaderIsA ? plan : [], 'inst-a', 'roundrobin'))],
          [`B syncs v${jv}`, send(peer, b, SyncGroup, sv, syncReq(sv, gv, b4.generationId, b4.memberId, leaderIsA ? [] : plan, 'inst-b', 'roundrobin'))],
        );
        const follower = leaderIsA ? { conn: b, r: b4, inst: 'inst-b', protocols: [{ name: 'roundrobin', metadata: sub }] } : { conn: undefined, r: a4, inst: 'inst-a', protocols: both };
        await send(peer, follower.conn, JoinGroup, jv, joinReq(gv, { instance: follower.inst, memberId: follower.r.memberId, protocols: follower.protocols }), `JoinGroup v${jv} static follower rejoins`);
        // B restarts (new process): it takes its place again without a rebalance.
        const b5 = await send(peer, b, JoinGroup, jv, joinReq(gv, { instance: 'inst-b', protocols: [{ name: 'roundrobin', metadata: sub }] }), `JoinGroup v${jv} B restarts`);
        await describe(peer, [gv], `DescribeGroups v${jv} after B restarted`);
        await peer.callOn(b, Heartbeat, hv, hbReq(gv, b5.generationId, b5.memberId, 'inst-b'), { label: `Heartbeat v${jv} B after its restart` });
        await send(peer, b, SyncGroup, sv, syncReq(sv, gv, b5.generationId, b5.memberId, [], 'inst-b', 'roundrobin'), `SyncGroup v${jv} B after its restart`);
      }
    },
  },
  {
    // LeaveGroup every version; v3+ a batch with unknown members.
    name: 'grp-leave',
    async run(peer) {
      const conn2 = await peer.connection();
      for (const v of peer.versions(LeaveGroup)) {
        const g = `grp-leave-v${v}`;
        await ready(peer, g, `${g}-none`);
        await peer.call(LeaveGroup, v, leaveReq(v, `${g}-none`, [{ memberId: 'grp-unknown-member' }]), { label: `LeaveGroup v${v} unknown group` });
        const m = await stableAlone(peer, undefined, g);
        if (v < 3) {
          await peer.call(LeaveGroup, v, leaveReq(v, g, [{ memberId: 'grp-unknown-member' }]), { label: `LeaveGroup v${v} unknown member` });
          await peer.call(LeaveGroup, v, leaveReq(v, g, [{ memberId: m.memberId }]), { label: `LeaveGroup v${v}` });
        } else {
          await peer.call(LeaveGroup, v, leaveReq(v, g, []), { label: `LeaveGroup v${v} no members` });
          // A second member in the same batch: two dynamic members leave together, with unknown ones.
          const first = await send(peer, conn2, JoinGroup, top(peer, JoinGroup), joinReq(g));
          const bJoin = send(peer, conn2, JoinGroup, top(peer, JoinGroup), joinReq(g, { memberId: first.memberId }));
          await waitState(peer, g, 'PreparingRebalance');
          const [a2, b2] = await Promise.all([send(peer, undefined, JoinGroup, top(peer, JoinGroup), joinReq(g, { memberId: m.memberId })), bJoin]);
          await peer.call(
            LeaveGroup,
            v,
            leaveReq(v, g, [
              { memberId: a2.memberId, reason: 'a' },
              { memberId: 'grp-unknown-member' },
              { memberId: b2.memberId, reason: 'b' },
              { memberId: 'grp-unknown-static', groupInstanceId: 'inst-x' },
            ]),
            { label: `LeaveGroup v${v} batch` },
          );
          await peer.call(LeaveGroup, v, leaveReq(v, g, [{ memberId: a2.memberId }]), { label: `LeaveGroup v${v} again` });
          await peer.call(LeaveGroup, v, leaveReq(v, g, [{ memberId: 'grp-unknown-member' }, { memberId: 'grp-unknown-member' }]), { label: `LeaveGroup v${v} the same member twice`, view: (res: LeaveGroupResponse) => ({ ...res, count: res.members.length }) });
        }
        await describe(peer, [g], `DescribeGroups after LeaveGroup v${v}`);
      }
    },
  },
  {
    // OffsetCommit at every version: a standalone commit (generation -1, as consumers using
    // assign() and admin tools do), unknown topic and partition, metadata; then by a member.
    name: 'grp-commit',
    async run(peer) {
      const t = 'grp-commit-t';
      await createTopic(peer, t, 3);
      for (const v of peer.versions(OffsetCommit)) {
        const g = `grp-commit-v${v}`;
        await ready(peer, g, `${g}-member`);
        await peer.call(
          OffsetCommit,
          v,
          commitReq(g, -1, '', [
            { name: t, partitions: [{ index: 0, offset: 10n, metadata: 'meta' }, { index: 1, offset: 20n, metadata: null }, { index: 2, offset: 0n, metadata: '' }, { index: 3, offset: 1n }] },
            { name: 'grp-commit-unknown-topic', partitions: [{ index: 0, offset: 1n }] },
          ]),
          { label: `OffsetCommit v${v} simple` },
        );
        await peer.call(OffsetCommit, v, commitReq(g, -1, '', [{ name: t, partitions: [{ index: 0, offset: 11n, metadata: 'x'.repeat(4097) }, { index: 1, offset: 21n, metadata: 'x'.repeat(4096) }] }]), { label: `OffsetCommit v${v} metadata too large` });
        await peer.call(OffsetCommit, v, commitReq(g, 3, 'grp-unknown-member', [{ name: t, partitions: [{ index: 0, offset: 12n }] }]), { label: `OffsetCommit v${v} unknown member of an Empty group` });
        await peer.call(OffsetCommit, v, commitReq(`${g}-none`, 3, 'grp-unknown-member', [{ name: t, partitions: [{ index: 0, offset: 12n }] }]), { label: `OffsetCommit v${v} generation of a group that does not exist` });
        await peer.call(OffsetCommit, v, commitReq(g, -1, '', []), { label: `OffsetCommit v${v} no topics` });
        await listOwn(peer, g, `ListGroups after OffsetCommit v${v}`);
        await describe(peer, [g, `${g}-none`], `DescribeGroups after OffsetCommit v${v}`, undefined, false, [`${g}-none`]);
        // By a member of a Stable group.
        const gm = `${g}-member`;
        const m = await stableAlone(peer, undefined, gm, { topics: [t] });
        await peer.call(OffsetCommit, v, commitReq(gm, m.generationId, m.memberId, [{ name: t, partitions: [{ index: 0, offset: 5n }] }]), { label: `OffsetCommit v${v} member` });
        await peer.call(OffsetCommit, v, commitReq(gm, m.generationId + 1, m.memberId, [{ name: t, partitions: [{ index: 0, offset: 6n }] }]), { label: `OffsetCommit v${v} wrong generation` });
        await peer.call(OffsetCommit, v, commitReq(gm, m.generationId, 'grp-unknown-member', [{ name: t, partitions: [{ index: 0, offset: 6n }] }]), { label: `OffsetCommit v${v} unknown member` });
        await peer.call(OffsetCommit, v, commitReq(gm, -1, '', [{ name: t, partitions: [{ index: 0, offset: 6n }] }]), { label: `OffsetCommit v${v} simple commit to a Stable group` });
        await peer.call(OffsetCommit, v, commitReq(gm, m.generationId, m.memberId, [{ name: 'grp-commit-unknown-topic', partitions: [{ index: 0, offset: 1n }] }]), { label: `OffsetCommit v${v} member, unknown topic` });
        await leave(peer, gm, m.memberId);
        await peer.call(OffsetCommit, v, commitReq(gm, m.generationId, m.memberId, [{ name: t, partitions: [{ index: 0, offset: 6n }] }]), { label: `OffsetCommit v${v} member that left` });
        await peer.call(OffsetCommit, v, commitReq(gm, -1, '', [{ name: t, partitions: [{ index: 2, offset: 8n }] }]), { label: `OffsetCommit v${v} simple commit to the emptied group` });
        const fv = top(peer, OffsetFetch);
        await peer.call(OffsetFetch, fv, fetchReq(fv, [{ groupId: g, topics: null }, { groupId: gm, topics: null }]), { label: `OffsetFetch after OffsetCommit v${v}` });
      }
      // Odd values: a negative offset, a negative partition.
      const v = top(peer, OffsetCommit);
      const g = 'grp-commit-odd';
      await ready(peer, g);
      await peer.call(OffsetCommit, v, commitReq(g, -1, '', [{ name: t, partitions: [{ index: 0, offset: -1n }, { index: 1, offset: -5n }, { index: -1, offset: 3n }] }]), { label: 'OffsetCommit negative offset and partition' });
      const fv = top(peer, OffsetFetch);
      await peer.call(OffsetFetch, fv, fetchReq(fv, [{ groupId: g, topics: [{ name: t, partitionIndexes: [0, 1, -1] }] }]), { label: 'OffsetFetch negative offset and partition' });
    },
  },
  {
    // OffsetFetch at every version: given partitions, all (v2+), unknown group, v8+ several groups.
    name: 'grp-fetch',
    async run(peer) {
      const t = 'grp-fetch-t';
      const g = 'grp-fetch';
      await createTopic(peer, t, 2);
      await ready(peer, g, `${g}-other`, `${g}-none`);
      const cv = top(peer, OffsetCommit);
      await peer.quiet(OffsetCommit, cv, { ...commitReq(g, -1, '', [{ name: t, partitions: [{ index: 0, offset: 3n, metadata: 'meta-0' }, { index: 1, offset: 4n, metadata: null }] }]), topics: [{ name: t, partitions: [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: 7, commitTimestamp: -1n, committedMetadata: 'meta-0' }, { partitionIndex: 1, committedOffset: 4n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }] });
      await peer.quiet(OffsetCommit, cv, commitReq(`${g}-other`, -1, '', [{ name: t, partitions: [{ index: 1, offset: 40n }] }]));
      for (const v of peer.versions(OffsetFetch)) {
        await peer.call(OffsetFetch, v, fetchReq(v, [{ groupId: g, topics: [{ name: t, partitionIndexes: [0, 1, 5] }, { name: 'grp-fetch-unknown', partitionIndexes: [0] }] }]), { label: `OffsetFetch v${v} partitions` });
        if (v >= 2) await peer.call(OffsetFetch, v, fetchReq(v, [{ groupId: g, topics: null }]), { label: `OffsetFetch v${v} all` });
        await peer.call(OffsetFetch, v, fetchReq(v, [{ groupId: `${g}-none`, topics: [{ name: t, partitionIndexes: [0] }] }]), { label: `OffsetFetch v${v} unknown group` });
        if (v >= 2) await peer.call(OffsetFetch, v, fetchReq(v, [{ groupId: `${g}-none`, topics: null }]), { label: `OffsetFetch v${v} all of an unknown group` });
        await peer.call(OffsetFetch, v, fetchReq(v, [{ groupId: g, topics: [] }]), { label: `OffsetFetch v${v} no topics` });
        if (v >= 7) await peer.call(OffsetFetch, v, fetchReq(v, [{ groupId: g, topics: [{ name: t, partitionIndexes: [0] }] }], true), { label: `OffsetFetch v${v} requireStable` });
        if (v >= 9) {
          // A member id and epoch (KIP-848 consumers) against a classic group.
          const req = fetchReq(v, [{ groupId: g, topics: [{ name: t, partitionIndexes: [0] }] }]);
          await peer.call(OffsetFetch, v, { ...req, groups: req.groups.map((x) => ({ ...x, memberId: 'grp-unknown-member', memberEpoch: 5 })) }, { label: `OffsetFetch v${v} with a member id and epoch` });
        }
        if (v >= 8) {
          await peer.call(
            OffsetFetch,
            v,
            fetchReq(v, [
              { groupId: g, topics: null },
              { groupId: `${g}-other`, topics: [{ name: t, partitionIndexes: [0, 1] }] },
              { groupId: `${g}-none`, topics: null },
            ]),
            { label: `OffsetFetch v${v} three groups` },
          );
        }
      }
    },
  },
  {
    // KIP-496: OffsetDelete of an Empty group's offsets; a Stable consumer group keeps those of
    // topics it subscribes to (GROUP_SUBSCRIBED_TO_TOPIC).
    name: 'grp-offset-delete',
    async run(peer) {
      const t = 'grp-offset-delete-t';
      const u = 'grp-offset-delete-u';
      const g = 'grp-offset-delete';
      await createTopic(peer, t, 2);
      await createTopic(peer, u, 1);
      await ready(peer, g, `${g}-none`, `${g}-empty`);
      const cv = top(peer, OffsetCommit);
      const fv = top(peer, OffsetFetch);
      const fetchAll = (label: string, group: string) => peer.call(OffsetFetch, fv, fetchReq(fv, [{ groupId: group, topics: null }]), { label });
      const m = await stableAlone(peer, undefined, g, { topics: [t] });
      await peer.quiet(OffsetCommit, cv, commitReq(g, m.generationId, m.memberId, [{ name: t, partitions: [{ index: 0, offset: 1n }, { index: 1, offset: 2n }] }, { name: u, partitions: [{ index: 0, offset: 3n }] }]));
      await peer.call(OffsetDelete, 0, { groupId: g, topics: [{ name: t, partitions: [{ partitionIndex: 0 }] }, { name: u, partitions: [{ partitionIndex: 0 }] }] }, { label: 'OffsetDelete Stable group, subscribed and not' });
      await peer.call(OffsetDelete, 0, { groupId: g, topics: [{ name: 'grp-offset-delete-unknown', partitions: [{ partitionIndex: 0 }] }, { name: u, partitions: [{ partitionIndex: 3 }] }] }, { label: 'OffsetDelete unknown topic and partition' });
      await fetchAll('OffsetFetch after OffsetDelete of a Stable group', g);
      await peer.call(OffsetDelete, 0, { groupId: `${g}-none`, topics: [{ name: t, partitions: [{ partitionIndex: 0 }] }] }, { label: 'OffsetDelete unknown group' });
      await leave(peer, g, m.memberId);
      await peer.call(OffsetDelete, 0, { groupId: g, topics: [{ name: t, partitions: [{ partitionIndex: 0 }, { partitionIndex: 1 }] }] }, { label: 'OffsetDelete Empty group' });
      await fetchAll('OffsetFetch after OffsetDelete of an Empty group', g);
      await peer.call(OffsetDelete, 0, { groupId: g, topics: [{ name: t, partitions: [{ partitionIndex: 0 }] }] }, { label: 'OffsetDelete again' });
      await peer.call(OffsetDelete, 0, { groupId: g, topics: [] }, { label: 'OffsetDelete no topics' });
      // A group that only ever had standalone commits.
      await peer.quiet(OffsetCommit, cv, commitReq(`${g}-empty`, -1, '', [{ name: t, partitions: [{ index: 1, offset: 9n }] }]));
      await peer.call(OffsetDelete, 0, { groupId: `${g}-empty`, topics: [{ name: t, partitions: [{ partitionIndex: 1 }] }] }, { label: 'OffsetDelete simple group' });
      await fetchAll('OffsetFetch after OffsetDelete of a simple group', `${g}-empty`);
      // A group of another protocol type.
      const connect = `${g}-connect`;
      await ready(peer, connect);
      const mc = await stableAlone(peer, undefined, connect, { protocolType: 'connect', protocols: [{ name: 'default', metadata: Buffer.from('x') }] });
      await peer.quiet(OffsetCommit, cv, commitReq(connect, mc.generationId, mc.memberId, [{ name: t, partitions: [{ index: 0, offset: 1n }] }]));
      await peer.call(OffsetDelete, 0, { groupId: connect, topics: [{ name: t, partitions: [{ partitionIndex: 0 }] }] }, { label: 'OffsetDelete non-empty connect group' });
      await describe(peer, [g, `${g}-empty`], 'DescribeGroups after OffsetDelete');
      await listOwn(peer, g, 'ListGroups after OffsetDelete');
    },
  },
  {
    // DescribeGroups and ListGroups at every version, over Stable, Empty, deleted and unknown groups.
    name: 'grp-describe-list',
    async run(peer) {
      const p = 'grp-describe-list';
      const stable = `${p}-stable`;
      const empty = `${p}-empty`;
      const simple = `${p}-simple`;
      const deleted = `${p}-deleted`;
      await ready(peer, stable, empty, simple, deleted, `${p}-unknown`);
      await stableAlone(peer, undefined, stable, { instance: 'inst-1', topics: [`${p}-t`] });
      const e = await stableAlone(peer, undefined, empty);
      await leave(peer, empty, e.memberId);
      await createTopic(peer, `${p}-t`, 1);
      await peer.quiet(OffsetCommit, top(peer, OffsetCommit), commitReq(simple, -1, '', [{ name: `${p}-t`, partitions: [{ index: 0, offset: 1n }] }]));
      const d = await stableAlone(peer, undefined, deleted);
      await leave(peer, deleted, d.memberId);
      await peer.quiet(DeleteGroups, top(peer, DeleteGroups), { groupsNames: [deleted] });
      const all = [stable, empty, simple, deleted, `${p}-unknown`];
      await settle(peer, [stable, empty, simple]);
      for (const v of peer.versions(DescribeGroups)) {
        await describe(peer, all, `DescribeGroups v${v}`, v, false, [deleted, `${p}-unknown`]);
        if (v >= 3) await describe(peer, all, `DescribeGroups v${v} with authorized operations`, v, true, [deleted, `${p}-unknown`]);
      }
      for (const v of peer.versions(ListGroups)) {
        await listOwn(peer, p, `ListGroups v${v}`, v);
        if (v >= 4) {
          await listOwn(peer, p, `ListGroups v${v} Stable`, v, ['Stable']);
          await listOwn(peer, p, `ListGroups v${v} empty, lower case`, v, ['empty']);
          await listOwn(peer, p, `ListGroups v${v} Stable and Empty`, v, ['Stable', 'Empty']);
          await listOwn(peer, p, `ListGroups v${v} unknown state`, v, ['NoSuchState']);
          await listOwn(peer, p, `ListGroups v${v} Dead`, v, ['Dead']);
        }
        if (v >= 5) {
          await listOwn(peer, p, `ListGroups v${v} classic`, v, [], ['classic']);
          await listOwn(peer, p, `ListGroups v${v} Classic, upper case`, v, [], ['Classic']);
          await listOwn(peer, p, `ListGroups v${v} consumer`, v, [], ['consumer']);
          await listOwn(peer, p, `ListGroups v${v} unknown type`, v, [], ['nosuchtype']);
          await listOwn(peer, p, `ListGroups v${v} Empty classic`, v, ['Empty'], ['classic']);
        }
      }
    },
  },
  {
    // DeleteGroups at every version: a group with members, unknown, Empty (its offsets go too).
    name: 'grp-delete',
    async run(peer) {
      const t = 'grp-delete-t';
      await createTopic(peer, t, 1);
      for (const v of peer.versions(DeleteGroups)) {
        const p = `grp-delete-v${v}`;
        const busy = `${p}-busy`;
        const empty = `${p}-empty`;
        const simple = `${p}-simple`;
        await ready(peer, busy, empty, simple, `${p}-unknown`);
        const b = await stableAlone(peer, undefined, busy);
        const e = await stableAlone(peer, undefined, empty);
        await peer.quiet(OffsetCommit, top(peer, OffsetCommit), commitReq(empty, e.generationId, e.memberId, [{ name: t, partitions: [{ index: 0, offset: 4n }] }]));
        await leave(peer, empty, e.memberId);
        await peer.quiet(OffsetCommit, top(peer, OffsetCommit), commitReq(simple, -1, '', [{ name: t, partitions: [{ index: 0, offset: 5n }] }]));
        await settle(peer, [busy, empty, simple]);
        await listOwn(peer, p, `ListGroups before DeleteGroups v${v}`);
        await peer.call(DeleteGroups, v, { groupsNames: [busy, `${p}-unknown`, empty, simple] }, { label: `DeleteGroups v${v}` });
        // (the count is recorded: results are compared by group id, which would hide a duplicate)
        await peer.call(DeleteGroups, v, { groupsNames: [empty, empty] }, { label: `DeleteGroups v${v} again, twice`, view: (res: DeleteGroupsResponse) => ({ ...res, count: res.results.length }) });
        await peer.call(DeleteGroups, v, { groupsNames: [] }, { label: `DeleteGroups v${v} none` });
        await listOwn(peer, p, `ListGroups after DeleteGroups v${v}`);
        await describe(peer, [busy, empty, simple], `DescribeGroups after DeleteGroups v${v}`, undefined, false, [empty, simple]);
        const fv = top(peer, OffsetFetch);
        await peer.call(OffsetFetch, fv, fetchReq(fv, [{ groupId: empty, topics: null }, { groupId: simple, topics: [{ name: t, partitionIndexes: [0] }] }]), { label: `OffsetFetch after DeleteGroups v${v}` });
        await leave(peer, busy, b.memberId);
        await peer.call(DeleteGroups, v, { groupsNames: [busy] }, { label: `DeleteGroups v${v} after the last member left` });
        // A group whose only member is between its two KIP-394 joins is Empty: it can be deleted.
        const pend = `${p}-pending`;
        await ready(peer, pend);
        const first = await send(peer, undefined, JoinGroup, top(peer, JoinGroup), joinReq(pend));
        await settle(peer, [pend]);
        await peer.call(DeleteGroups, v, { groupsNames: [pend] }, { label: `DeleteGroups v${v} with a pending member` });
        await send(peer, undefined, JoinGroup, top(peer, JoinGroup), joinReq(pend, { memberId: first.memberId }), `JoinGroup v${v} of the pending member of the deleted group`);
      }
    },
  },
  {
    // Versions Samsa still serves that Kafka 4 removed (KIP-896): OffsetCommit v0-1, OffsetFetch v0.
    name: 'grp-removed-versions',
    async run(peer) {
      const t = 'grp-removed-versions-t';
      const g = 'grp-removed-versions';
      await createTopic(peer, t, 1);
      await ready(peer, g);
      const removed = (api: ApiDescriptor<any, any>) => {
        const s = peer.range(api, 'samsa');
        const k = peer.range(api, 'kafka');
        const out: number[] = [];
        if (s) for (let v = s[0]; v <= s[1]; v++) if (!k || v < k[0] || v > k[1]) out.push(v);
        return out;
      };
      for (const v of removed(OffsetCommit)) {
        const body = commitReq(g, -1, '', [{ name: t, partitions: [{ index: 0, offset: BigInt(10 + v) }] }]);
        await peer.raw(OffsetCommit, v, encodeRequest(OffsetCommit, v, 1, body), { label: `OffsetCommit v${v} (removed in Kafka 4)` });
      }
      for (const v of removed(OffsetFetch)) {
        await peer.raw(OffsetFetch, v, encodeRequest(OffsetFetch, v, 1, fetchReq(v, [{ groupId: g, topics: [{ name: t, partitionIndexes: [0] }] }])), { label: `OffsetFetch v${v} (removed in Kafka 4)` });
      }
      for (const api of [FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, DescribeGroups, ListGroups, DeleteGroups, OffsetDelete] as ApiDescriptor<any, any>[]) {
        if (removed(api).length > 0) throw new Error(`${api.name} v${removed(api).join(',')}: add requests for these versions`);
      }
    },
  },
];

export const allow: AllowEntry[] = [
  {
    session: 'grp-removed-versions',
    where: /^(OffsetCommit v[01]|OffsetFetch v0) \(removed in Kafka 4\): <response>$/,
    reason: 'Kafka 4 removed OffsetCommit v0-1 and OffsetFetch v0 (KIP-896) and closes the connection of a client that sends them; Samsa keeps serving them (its versions come from the Kafka 3.9 schemas) so that old clients keep working.',
  },

];
