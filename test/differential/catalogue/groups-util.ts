// Shared pieces of the consumer-group sessions (groups.ts, group-offsets.ts): request builders,
// members that join and sync, waits for what Kafka does asynchronously.
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
export const SESSION_MS = 30_000;
export const REBALANCE_MS = 30_000;
export const ERR = { MEMBER_ID_REQUIRED: 79, UNKNOWN_MEMBER_ID: 25 };

/** ConsumerProtocolSubscription (v0) bytes for `topics`. */
export function subscription(topics: string[]): Buffer {
  const v = { topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null };
  const w = new Writer(2 + ConsumerProtocolSubscriptionCodec.size(v, 0));
  w.int16(0);
  ConsumerProtocolSubscriptionCodec.write(w, v, 0);
  return w.finish();
}

/** ConsumerProtocolAssignment (v0) bytes. */
export function assignment(topic: string, partitions: number[]): Buffer {
  const v = { assignedPartitions: [{ topic, partitions }], userData: null };
  const w = new Writer(2 + ConsumerProtocolAssignmentCodec.size(v, 0));
  w.int16(0);
  ConsumerProtocolAssignmentCodec.write(w, v, 0);
  return w.finish();
}

export const top = (peer: SessionPeer, api: ApiDescriptor<any, any>) => peer.versions(api).at(-1)!;

export interface JoinOpts {
  memberId?: string;
  instance?: string | null;
  protocolType?: string;
  protocols?: { name: string; metadata: Buffer }[];
  sessionTimeoutMs?: number;
  topics?: string[];
  reason?: string | null;
}

export function joinReq(groupId: string, o: JoinOpts = {}, v = 9): JoinGroupRequest {
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

export function syncReq(v: number, groupId: string, generationId: number, memberId: string, assignments: { memberId: string; assignment: Buffer }[] = [], instance: string | null = null, protocolName = 'range', protocolType = 'consumer') {
  return { groupId, generationId, memberId, groupInstanceId: instance, protocolType: v >= 5 ? protocolType : null, protocolName: v >= 5 ? protocolName : null, assignments };
}

/** LeaveGroup for a version: v0-2 one member id, v3+ a batch (reasons from v5). */
export function leaveReq(v: number, groupId: string, members: { memberId: string; groupInstanceId?: string | null; reason?: string | null }[]) {
  if (v < 3) return { groupId, memberId: members[0]?.memberId ?? '', members: [] };
  return { groupId, memberId: '', members: members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null, reason: v >= 5 ? (m.reason ?? null) : null })) };
}

/** The member leaves (unrecorded). */
export async function leave(peer: SessionPeer, groupId: string, memberId: string): Promise<void> {
  const v = top(peer, LeaveGroup);
  await peer.call(LeaveGroup, v, leaveReq(v, groupId, [{ memberId }]), { quiet: true });
}

export function hbReq(groupId: string, generationId: number, memberId: string, instance: string | null = null) {
  return { groupId, generationId, memberId, groupInstanceId: instance };
}

/** A call on the main connection (conn undefined) or on another one; `label` undefined: not recorded. */
export async function send<Req, Res>(peer: SessionPeer, conn: WireConnection | undefined, api: ApiDescriptor<Req, Res>, v: number, body: Req, label?: string): Promise<Res> {
  const opts: CallOptions = label === undefined ? { quiet: true } : { label };
  const out = conn ? await peer.callOn(conn, api, v, body, opts) : await peer.call(api, v, body, opts);
  if (typeof out === 'string') throw new Error(`${peer.name}: ${api.name} v${v} got ${out}`);
  return out as Res;
}

/**
 * A member joins a group alone (or as the last of a rebalance): v4+ first gets its id
 * (MEMBER_ID_REQUIRED), then joins with it. `label` records both steps.
 */
export async function joinMember(peer: SessionPeer, conn: WireConnection | undefined, v: number, groupId: string, o: JoinOpts = {}, label?: string): Promise<JoinGroupResponse> {
  let res = await send(peer, conn, JoinGroup, v, joinReq(groupId, o, v), label && `${label} (first)`);
  if (res.errorCode === ERR.MEMBER_ID_REQUIRED) res = await send(peer, conn, JoinGroup, v, joinReq(groupId, { ...o, memberId: res.memberId }, v), label && `${label} (with id)`);
  return res;
}

/** One member joins and syncs a new group (unrecorded): the group is Stable with it as leader. */
export async function stableAlone(peer: SessionPeer, conn: WireConnection | undefined, groupId: string, o: JoinOpts = {}, assignmentBytes = assignment(`${groupId}-t`, [0])): Promise<{ memberId: string; generationId: number }> {
  const jv = top(peer, JoinGroup);
  const j = await joinMember(peer, conn, jv, groupId, o);
  if (j.errorCode !== 0) throw new Error(`${peer.name}: join ${groupId} failed with ${j.errorCode}`);
  const sv = top(peer, SyncGroup);
  const s = await send(peer, conn, SyncGroup, sv, syncReq(sv, groupId, j.generationId, j.memberId, [{ memberId: j.memberId, assignment: assignmentBytes }], o.instance ?? null, j.protocolName ?? 'range', o.protocolType ?? 'consumer'));
  if (s.errorCode !== 0) throw new Error(`${peer.name}: sync ${groupId} failed with ${s.errorCode}`);
  return { memberId: j.memberId, generationId: j.generationId };
}

/** Waits (unrecorded) until DescribeGroups reports the state. */
export async function waitState(peer: SessionPeer, groupId: string, state: string): Promise<void> {
  await peer.quiet(DescribeGroups, top(peer, DescribeGroups), { groups: [groupId], includeAuthorizedOperations: false }, (res: DescribeGroupsResponse) => res.groups[0]!.groupState !== state, 20_000);
}

/** Records the session's groups as ListGroups (newest version) sees them: their states after a step. */
export async function listOwn(peer: SessionPeer, prefix: string, label: string, v = top(peer, ListGroups), statesFilter: string[] = [], typesFilter: string[] = []): Promise<void> {
  await peer.quiet(ListGroups, v, { statesFilter: [], typesFilter: [] }, (res: ListGroupsResponse) => res.errorCode !== 0);
  await peer.call(ListGroups, v, { statesFilter, typesFilter }, { label, view: (res: ListGroupsResponse) => ({ ...res, groups: res.groups.filter((g) => g.groupId.startsWith(prefix)) }) });
}

/**
 * Apache Kafka's DescribeGroups and ListGroups read the coordinator's state as of the last
 * committed offset of __consumer_offsets, and a JoinGroup is answered before the record of the
 * group it created is committed: waits (unrecorded) until each group exists.
 */
export async function settle(peer: SessionPeer, groups: string[]): Promise<void> {
  for (const g of groups) {
    await peer.quiet(DescribeGroups, top(peer, DescribeGroups), { groups: [g], includeAuthorizedOperations: false }, (res: DescribeGroupsResponse) => res.groups[0]!.groupState === 'Dead', 20_000);
  }
}

/** DescribeGroups, recorded once every group but the `absent` ones exists. */
export async function describe(peer: SessionPeer, groups: string[], label: string, v = top(peer, DescribeGroups), includeAuthorizedOperations = false, absent: string[] = []): Promise<void> {
  await settle(peer, groups.filter((g) => !absent.includes(g)));
  await peer.call(DescribeGroups, v, { groups, includeAuthorizedOperations }, { label });
}

/** Sends two requests that complete each other, records their answers in this order. */
export async function together<A, B>(peer: SessionPeer, a: [string, Promise<A>], b: [string, Promise<B>]): Promise<[A, B]> {
  const [ra, rb] = await Promise.all([a[1], b[1]]);
  peer.record(a[0], ra);
  peer.record(b[0], rb);
  return [ra, rb];
}

export function commitReq(groupId: string, generation: number, memberId: string, topics: { name: string; partitions: { index: number; offset: bigint; metadata?: string | null }[] }[], instance: string | null = null): OffsetCommitRequest {
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

export function fetchReq(v: number, groups: { groupId: string; topics: { name: string; partitionIndexes: number[] }[] | null }[], requireStable = false): OffsetFetchRequest {
  if (v >= 8) return { groupId: '', topics: [], groups: groups.map((g) => ({ groupId: g.groupId, memberId: null, memberEpoch: -1, topics: g.topics })), requireStable };
  return { groupId: groups[0]!.groupId, topics: groups[0]!.topics, groups: [], requireStable: v >= 7 && requireStable };
}

/**
 * Waits until each group's coordinator answers, and has loaded its partition of
 * __consumer_offsets (Kafka answers FindCoordinator before that, and then NOT_COORDINATOR or
 * COORDINATOR_LOAD_IN_PROGRESS to group requests).
 */
export async function ready(peer: SessionPeer, ...groups: string[]): Promise<void> {
  for (const g of groups) {
    await waitForCoordinator(peer, g);
    await peer.quiet(DescribeGroups, top(peer, DescribeGroups), { groups: [g], includeAuthorizedOperations: false }, (res: DescribeGroupsResponse) => res.groups[0]!.errorCode !== 0, 60_000);
  }
}
