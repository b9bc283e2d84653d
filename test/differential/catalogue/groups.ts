// Consumer groups, classic protocol: FindCoordinator, JoinGroup, SyncGroup, Heartbeat,
// LeaveGroup, OffsetCommit, OffsetFetch, OffsetDelete, DescribeGroups, ListGroups and
// DeleteGroups at every version both brokers serve; the join flow (KIP-394), two members on two
// connections, protocol selection, static membership (KIP-345) and the errors members hit.
// Offsets, describe, list and delete are in group-offsets.ts.
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
import { SESSION_MS, REBALANCE_MS, ERR, subscription, assignment, top, JoinOpts, joinReq, syncReq, leaveReq, leave, hbReq, send, joinMember, stableAlone, waitState, listOwn, settle, describe, together, commitReq, fetchReq, ready } from './groups-util.js';

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
];

export const allow: AllowEntry[] = [];
