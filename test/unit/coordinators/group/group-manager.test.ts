// The classic group protocol on a virtual clock: joins, the initial delay, rebalances, session
// and rebalance timeouts, static membership, fencing, and every error answer, with records
// checked in the in-memory `__consumer_offsets` partitions. No sockets, no sleeps.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupErrors as E } from '../../../../src/coordinators/group/index.js';
import { assignment, harness, joinArgs, peek, subscription, TestMember, type Harness } from '../helpers.js';

/** Members joining together, the first as leader: joins, initial delay, syncs with `assignments`. */
async function stableGroup(h: Harness, members: TestMember[], assign = (m: TestMember, i: number) => assignment([i])): Promise<void> {
  const joins = members.map((m) => m.join());
  await h.time.advance(0);
  for (const r of await Promise.all(joins)) assert.equal(r.errorCode, E.NONE);
  const leader = members.find((m) => m.memberId === m.leader)!;
  const syncs = members.map((m) => (m === leader ? m.sync(members.map((x, i) => ({ memberId: x.memberId, assignment: assign(x, i) }))) : m.sync()));
  for (const r of await Promise.all(syncs)) assert.equal(r.errorCode, E.NONE);
}

describe('joining', () => {
  test('one member: generation 1, it leads and sees its own metadata; the group is Stable after SyncGroup', async () => {
    const h = harness();
    const m = new TestMember(h);
    const join = m.join();
    assert.equal((await peek(join)).settled, false, 'the first join waits for the initial delay');
    await h.time.advance(0);
    const r = await join;
    assert.equal(r.errorCode, E.NONE);
    assert.equal(r.generationId, 1);
    assert.equal(r.leader, r.memberId);
    assert.match(r.memberId, /^client-\d+$/);
    assert.equal(r.protocolType, 'consumer');
    assert.equal(r.protocolName, 'range');
    assert.deepEqual(r.members, [{ memberId: r.memberId, groupInstanceId: null, metadata: subscription(['t']) }]);
    assert.equal((await h.coordinator.describeGroup('g')).groupState, 'CompletingRebalance');
    const s = await m.sync([{ memberId: m.memberId, assignment: assignment([0, 1]) }]);
    assert.deepEqual(s, { errorCode: E.NONE, protocolType: 'consumer', protocolName: 'range', assignment: assignment([0, 1]) });
    const d = await h.coordinator.describeGroup('g');
    assert.equal(d.groupState, 'Stable');
    assert.deepEqual(d.members[0]!.memberAssignment, assignment([0, 1]));
    // The group record: generation, protocol, leader, member with subscription and assignment.
    const recs = h.records().filter((x) => x.type === 'group');
    assert.equal(recs.length, 1);
    const v = recs[0]!.value!;
    assert.equal(v.generation, 1);
    assert.equal(v.protocol, 'range');
    assert.equal(v.leader, m.memberId);
    assert.equal(v.members.length, 1);
    assert.equal(v.members[0]!.clientHost, '/127.0.0.1');
    assert.equal(v.members[0]!.rebalanceTimeout, 30_000);
    assert.equal(v.members[0]!.sessionTimeout, 10_000);
    assert.deepEqual(v.members[0]!.assignment, assignment([0, 1]));
  });

  test('group.initial.rebalance.delay.ms: the first rebalance waits, longer while members keep arriving, at most the rebalance timeout', async () => {
    const h = harness({ initialRebalanceDelayMs: 3000 });
    const a = new TestMember(h, { rebalanceTimeoutMs: 10_000 });
    const b = new TestMember(h, { rebalanceTimeoutMs: 10_000 });
    const ja = a.join();
    await h.time.advance(2000);
    const jb = b.join();
    await h.time.advance(1000); // the first delay is over, but b arrived during it: wait again
    assert.equal((await peek(ja)).settled, false);
    await h.time.advance(2999);
    assert.equal((await peek(ja)).settled, false);
    await h.time.advance(1);
    const [ra, rb] = await Promise.all([ja, jb]);
    assert.equal(ra.generationId, 1);
    assert.equal(rb.generationId, 1);
    assert.equal(ra.members.length + rb.members.length, 2, 'the leader lists both');
  });

  test('a second member makes the group rebalance: the first learns it from its heartbeat, rejoins, and both get generation 2', async () => {
    const h = harness();
    const a = new TestMember(h);
    await stableGroup(h, [a]);
    const b = new TestMember(h);
    const jb = b.join();
    await h.time.advance(0);
    assert.equal((await peek(jb)).settled, false, 'b waits for a to rejoin');
    assert.equal(await a.heartbeat(), E.REBALANCE_IN_PROGRESS);
    assert.equal((await h.coordinator.describeGroup('g')).groupState, 'PreparingRebalance');
    const ja = a.join();
    const [ra, rb] = await Promise.all([ja, jb]);
    assert.equal(ra.generationId, 2);
    assert.equal(rb.generationId, 2);
    assert.equal(ra.leader, a.memberId, 'the leader stays');
    assert.deepEqual(
      ra.members.map((m) => m.memberId),
      [a.memberId, b.memberId],
    );
    assert.deepEqual(rb.members, [], 'followers get no member list');
    // b asks for its assignment first: it waits for the leader's.
    const sb = b.sync();
    await h.time.advance(0);
    assert.equal((await peek(sb)).settled, false);
    const sa = a.sync([{ memberId: b.memberId, assignment: assignment([3, 4, 5]) }]);
    assert.deepEqual((await sb).assignment, assignment([3, 4, 5]));
    assert.deepEqual((await sa).assignment, Buffer.alloc(0), 'a member the leader left out gets an empty assignment');
  });

  test('KIP-394: JoinGroup v4+ first hands out a member id (MEMBER_ID_REQUIRED); a pending id expires after the session timeout', async () => {
    const h = harness();
    const r = await h.coordinator.joinGroup(joinArgs({ requireKnownMemberId: true }));
    assert.equal(r.errorCode, E.MEMBER_ID_REQUIRED);
    assert.match(r.memberId, /^client-\d+$/);
    const again = h.coordinator.joinGroup(joinArgs({ memberId: r.memberId, requireKnownMemberId: true }));
    await h.time.advance(0);
    const ok = await again;
    assert.equal(ok.errorCode, E.NONE);
    assert.equal(ok.memberId, r.memberId);

    const r2 = await h.coordinator.joinGroup(joinArgs({ requireKnownMemberId: true }));
    assert.equal(r2.errorCode, E.MEMBER_ID_REQUIRED);
    await h.time.advance(10_000);
    const late = await h.coordinator.joinGroup(joinArgs({ memberId: r2.memberId, requireKnownMemberId: true }));
    assert.equal(late.errorCode, E.UNKNOWN_MEMBER_ID, 'the pending id expired');
  });

  test('the protocol every member supports, chosen by the members\' votes', async () => {
    const h = harness();
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: subscription(['t']) }));
    const a = new TestMember(h, { protocols: p('cooperative-sticky', 'range', 'roundrobin') });
    const b = new TestMember(h, { protocols: p('roundrobin', 'range') });
    const c = new TestMember(h, { protocols: p('roundrobin', 'range', 'sticky') });
    const joins = [a.join(), b.join(), c.join()];
    await h.time.advance(0);
    const rs = await Promise.all(joins);
    // Candidates: range and roundrobin (a supports both); votes: a → range, b and c → roundrobin.
    for (const r of rs) assert.equal(r.protocolName, 'roundrobin');
    const leader = rs.find((r) => r.leader === r.memberId)!;
    assert.deepEqual(leader.members.find((m) => m.memberId === a.memberId)!.metadata, subscription(['t']));

    const other = await new TestMember(h, { protocols: p('sticky') }).join();
    assert.equal(other.errorCode, E.INCONSISTENT_GROUP_PROTOCOL, 'a member supporting none of the group\'s protocols');
    const wrongType = await new TestMember(h, { protocolType: 'connect' }).join();
    assert.equal(wrongType.errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
  });

  test('JoinGroup errors: empty group id, session timeout out of range, unknown member, empty protocols, group.max.size', async () => {
    const h = harness({ groupMaxSize: 2 });
    assert.equal((await h.coordinator.joinGroup(joinArgs({ groupId: '' }))).errorCode, E.INVALID_GROUP_ID);
    assert.equal((await h.coordinator.joinGroup(joinArgs({ sessionTimeoutMs: 5999 }))).errorCode, E.INVALID_SESSION_TIMEOUT);
    assert.equal((await h.coordinator.joinGroup(joinArgs({ sessionTimeoutMs: 1_800_001 }))).errorCode, E.INVALID_SESSION_TIMEOUT);
    const unknown = await h.coordinator.joinGroup(joinArgs({ memberId: 'nobody' }));
    assert.equal(unknown.errorCode, E.UNKNOWN_MEMBER_ID);
    assert.equal(unknown.memberId, 'nobody');
    assert.equal((await h.coordinator.describeGroup('g')).groupState, 'Dead', 'requests refused before the group is looked up create none');
    assert.equal((await h.coordinator.joinGroup(joinArgs({ protocols: [] }))).errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal((await h.coordinator.joinGroup(joinArgs({ protocolType: '' }))).errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
    // As Kafka: the group the failed join created is kept, Empty, and persisted as such.
    assert.equal((await h.coordinator.describeGroup('g')).groupState, 'Empty', 'a group created by a failed join stays, Empty');
    assert.ok(h.records().some((r) => r.type === 'group' && r.group === 'g' && r.value !== null && r.value.members.length === 0 && r.value.generation === 0));

    const [a, b] = [new TestMember(h), new TestMember(h)];
    await stableGroup(h, [a, b]);
    const third = await new TestMember(h).join();
    assert.equal(third.errorCode, E.GROUP_MAX_SIZE_REACHED);
    assert.equal(await a.heartbeat(), E.NONE, 'the full group is untouched');
  });

  test('rejoining with the same metadata: CompletingRebalance answers the current generation; a Stable follower too, a Stable leader forces a rebalance', async () => {
    const h = harness();
    const [a, b] = [new TestMember(h), new TestMember(h)];
    const joins = [a.join(), b.join()];
    await h.time.advance(0);
    await Promise.all(joins);
    const again = await b.join();
    assert.equal(again.errorCode, E.NONE);
    assert.equal(again.generationId, 1);
    assert.deepEqual(again.members, []);
    const leaderAgain = await a.join();
    assert.equal(leaderAgain.generationId, 1);
    assert.equal(leaderAgain.members.length, 2, 'the leader gets the member list again');

    await Promise.all([a.sync([{ memberId: a.memberId, assignment: assignment([0]) }, { memberId: b.memberId, assignment: assignment([1]) }]), b.sync()]);
    const follower = await b.join();
    assert.equal(follower.generationId, 1);
    assert.equal((await h.coordinator.describeGroup('g')).groupState, 'Stable');
    const leader = a.join();
    await h.time.advance(0);
    assert.equal((await h.coordinator.describeGroup('g')).groupState, 'PreparingRebalance');
    assert.equal(await b.heartbeat(), E.REBALANCE_IN_PROGRESS);
    const [ra, rb] = await Promise.all([leader, b.join()]);
    assert.equal(ra.generationId, 2);
    assert.equal(rb.generationId, 2);
  });

  test('changed metadata during CompletingRebalance: a new rebalance; members waiting in SyncGroup get REBALANCE_IN_PROGRESS', async () => {
    const h = harness();
    const [a, b] = [new TestMember(h), new TestMember(h)];
    const joins = [a.join(), b.join()];
    await h.time.advance(0);
    await Promise.all(joins);
    const follower = b === (a.leader === a.memberId ? b : a) ? b : a;
    const leader = follower === a ? b : a;
    const waiting = follower.sync();
    await h.time.advance(0);
    const rejoin = leader.join({ protocols: [{ name: 'range', metadata: subscription(['t', 'u']) }] });
    assert.equal((await waiting).errorCode, E.REBALANCE_IN_PROGRESS);
    const [r1, r2] = await Promise.all([rejoin, follower.join()]);
    assert.equal(r1.generationId, 2);
    assert.equal(r2.generationId, 2);
  });

  test('a JoinGroup superseded by another from the same member is answered, not left hanging', async () => {
    const h = harness();
    const [a, b] = [new TestMember(h), new TestMember(h)];
    await stableGroup(h, [a, b]);
    const first = a.join({ protocols: [{ name: 'range', metadata: subscription(['u']) }] });
    await h.time.advance(0);
    const second = a.join({ protocols: [{ name: 'range', metadata: subscription(['u']) }] });
    assert.equal((await first).errorCode, E.REBALANCE_IN_PROGRESS);
    const [r] = await Promise.all([second, b.join()]);
    assert.equal(r.errorCode, E.NONE);
  });
});

describe('sessions and timeouts', () => {
  test('a member that stops heartbeating is removed after its session timeout, not before; the others rebalance without it', async () => {
    const h = harness();
    const [a, b, c] = [new TestMember(h), new TestMember(h), new TestMember(h)];
    await stableGroup(h, [a, b, c]);
    for (let t = 0; t < 9; t++) {
      await h.time.advance(1000);
      assert.equal(await a.heartbeat(), E.NONE);
      assert.equal(await b.heartbeat(), E.NONE);
    }
    // c has been silent for 9 s of its 10 s session.
    await h.time.advance(999);
    assert.equal(await a.heartbeat(), E.NONE);
    await h.time.advance(1);
    assert.equal(await a.heartbeat(), E.REBALANCE_IN_PROGRESS, 'c expired: rebalance');
    assert.equal(await c.heartbeat(), E.UNKNOWN_MEMBER_ID);
    const [ra, rb] = await Promise.all([a.join(), b.join()]);
    assert.equal(ra.generationId, 2);
    assert.equal(rb.generationId, 2);
    const leader = ra.leader === a.memberId ? ra : rb;
    assert.deepEqual(
      leader.members.map((m) => m.memberId).sort(),
      [a.memberId, b.memberId].sort(),
    );
  });

  test('operations run one at a time after the append before them: a response waits for its record; a heartbeat queued behind a slow append still counts before the session timer that fired later', async () => {
    const h = harness();
    const [a, b] = [new TestMember(h), new TestMember(h)];
    await stableGroup(h, [a, b]);
    const log = h.logs.get(h.coordinator.partitionFor('g'))!;
    await h.time.advance(9000);
    assert.equal(await b.heartbeat(), E.NONE);
    log.holdAppends();
    const commit = b.commit([['t', 0, 1n]]);
    await h.time.advance(999);
    assert.equal((await peek(commit)).settled, false, 'the commit is answered once its record is stored');
    const heartbeat = a.heartbeat(); // queued behind the commit's append
    await h.time.advance(1); // a's session timer fires now; its expiry queues behind the heartbeat
    assert.equal((await peek(heartbeat)).settled, false);
    log.releaseAppends();
    assert.deepEqual((await commit).topics[0]!.partitions[0]!.errorCode, E.NONE);
    assert.equal(await heartbeat, E.NONE);
    await h.time.advance(0);
    assert.equal(await a.heartbeat(), E.NONE, 'the expiry that fired while the heartbeat waited did not remove a');
    assert.equal((await h.coordinator.describeGroup('g')).members.length, 2);
  });

  test('OffsetCommit keeps a session alive, as a heartbeat does', async () => {
    const h = harness();
    const [a, b] = [new TestMember(h), new TestMember(h)];
    await stableGroup(h, [a, b]);
    for (let i = 0; i < 5; i++) {
      await h.time.advance(5000);
      assert.equal(await a.heartbeat(), E.NONE);
      const r = await b.commit([['t', 0, BigInt(i)]]);
      assert.equal(r.topics[0]!.partitions[0]!.errorCode, E.NONE);
    }
    assert.equal((await h.coordinator.describeGroup('g')).members.length, 2);
  });

  test('rebalance timeout (max.poll.interval.ms): a member that does not rejoin in time is dropped and the others go on', async () => {
    const h = harness();
    const a = new TestMember(h, { rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 30_000 });
    const b = new TestMember(h, { rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 30_000 });
    await stableGroup(h, [a, b]);
    // b keeps heartbeating (its background thread) but never rejoins (stuck in processing).
    const ja = a.join({ protocols: [{ name: 'range', metadata: subscription(['t', 'u']) }] });
    for (let t = 0; t < 19; t++) {
      await h.time.advance(1000);
      assert.equal(await b.heartbeat(), E.REBALANCE_IN_PROGRESS);
    }
    assert.equal((await peek(ja)).settled, false);
    await h.time.advance(1000);
    const r = await ja;
    assert.equal(r.generationId, 2);
    assert.deepEqual(r.members.map((m) => m.memberId), [a.memberId]);
    assert.equal(await b.heartbeat(), E.UNKNOWN_MEMBER_ID);
  });

  test('a member that never sends SyncGroup is removed after the rebalance timeout and the group rebalances', async () => {
    const h = harness();
    const [a, b] = [new TestMember(h), new TestMember(h)];
    const joins = [a.join(), b.join()];
    await h.time.advance(0);
    await Promise.all(joins);
    const leader = a.leader === a.memberId ? a : b;
    const silent = leader === a ? b : a;
    assert.equal((await leader.sync([{ memberId: leader.memberId, assignment: assignment([0]) }])).errorCode, E.NONE);
    // The silent member heartbeats (its session stays alive) but never asks for its assignment.
    for (let t = 0; t < 29; t++) {
      await h.time.advance(1000);
      assert.equal(await leader.heartbeat(), E.NONE);
      assert.equal(await silent.heartbeat(), E.NONE);
    }
    await h.time.advance(1000);
    assert.equal(await leader.heartbeat(), E.REBALANCE_IN_PROGRESS);
    assert.equal(await silent.heartbeat(), E.UNKNOWN_MEMBER_ID);
  });

  test('a new member whose JoinGroup waits in a long rebalance is dropped after the new-member join timeout (5 minutes)', async () => {
    const h = harness();
    const a = new TestMember(h, { rebalanceTimeoutMs: 600_000, sessionTimeoutMs: 600_000 });
    await stableGroup(h, [a]);
    const b = new TestMember(h, { rebalanceTimeoutMs: 600_000, sessionTimeoutMs: 600_000 });
    const jb = b.join();
    await h.time.advance(300_000);
    const r = await jb;
    assert.equal(r.errorCode, E.UNKNOWN_MEMBER_ID);
  });

  test('SyncGroup and Heartbeat errors: unknown group and member, stale generation, inconsistent protocol, during a rebalance', async () => {
    const h = harness();
    const [a, b] = [new TestMember(h), new TestMember(h)];
    await stableGroup(h, [a, b]);
    const sync = (over: Record<string, unknown>) =>
      h.coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [], ...over });
    assert.equal((await sync({ groupId: 'nope' })).errorCode, E.UNKNOWN_MEMBER_ID);
    assert.equal((await sync({ groupId: '' })).errorCode, E.INVALID_GROUP_ID);
    assert.equal((await sync({ memberId: 'nobody' })).errorCode, E.UNKNOWN_MEMBER_ID);
    assert.equal((await sync({ generationId: 7 })).errorCode, E.ILLEGAL_GENERATION);
    assert.equal((await sync({ protocolType: 'connect' })).errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal((await sync({ protocolName: 'roundrobin' })).errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal((await sync({ protocolType: 'consumer', protocolName: 'range' })).errorCode, E.NONE, 'Stable: the current assignment');

    const hb = (over: Record<string, unknown>) => h.coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, ...over });
    assert.equal(await hb({ groupId: 'nope' }), E.UNKNOWN_MEMBER_ID);
    assert.equal(await hb({ groupId: '' }), E.INVALID_GROUP_ID);
    assert.equal(await hb({ memberId: 'nobody' }), E.UNKNOWN_MEMBER_ID);
    assert.equal(await hb({ generationId: 0 }), E.ILLEGAL_GENERATION);
    assert.equal(await hb({ groupInstanceId: 'not-static' }), E.UNKNOWN_MEMBER_ID);

    const rejoin = a.join({ protocols: [{ name: 'range', metadata: subscription(['u']) }] });
    await h.time.advance(0);
    assert.equal((await b.sync()).errorCode, E.REBALANCE_IN_PROGRESS, 'SyncGroup during PreparingRebalance');
    assert.equal(await b.heartbeat(), E.REBALANCE_IN_PROGRESS);
    await Promise.all([rejoin, b.join()]);
    assert.equal(await hb({ generationId: 1 }), E.ILLEGAL_GENERATION, 'the old generation is fenced');
  });

  test('LeaveGroup: the others rebalance; the last one out leaves an Empty group (persisted); batch leave with per-member errors', async () => {
    const h = harness();
    const [a, b, c] = [new TestMember(h), new TestMember(h), new TestMember(h)];
    await stableGroup(h, [a, b, c]);
    const r = await h.coordinator.leaveGroup('g', [
      { memberId: c.memberId, groupInstanceId: null, reason: 'bye' },
      { memberId: 'nobody', groupInstanceId: null, reason: null },
      { memberId: '', groupInstanceId: 'no-such-instance', reason: null },
    ]);
    assert.equal(r.errorCode, E.NONE);
    assert.deepEqual(
      r.members.map((m) => m.errorCode),
      [E.NONE, E.UNKNOWN_MEMBER_ID, E.UNKNOWN_MEMBER_ID],
    );
    assert.equal(await a.heartbeat(), E.REBALANCE_IN_PROGRESS);
    await Promise.all([a.join(), b.join()]);
    await Promise.all([a.leave(), b.leave()]);
    const d = await h.coordinator.describeGroup('g');
    assert.equal(d.groupState, 'Empty');
    const last = h.records().filter((x) => x.type === 'group').pop()!;
    assert.equal(last.value!.generation, 3, 'the empty generation is written');
    assert.deepEqual(last.value!.members, []);
    assert.deepEqual(await h.coordinator.leaveGroup('nope', [{ memberId: 'x', groupInstanceId: null, reason: null }]), {
      errorCode: E.NONE,
      members: [{ memberId: 'x', groupInstanceId: null, errorCode: E.UNKNOWN_MEMBER_ID }],
    });
    assert.equal((await h.coordinator.leaveGroup('', [])).errorCode, E.INVALID_GROUP_ID);
  });

  test('a leaving member waiting in JoinGroup lets the join phase complete for the rest', async () => {
    const h = harness();
    const [a, b] = [new TestMember(h), new TestMember(h)];
    await stableGroup(h, [a, b]);
    const ja = a.join({ protocols: [{ name: 'range', metadata: subscription(['u']) }] });
    await h.time.advance(0);
    await b.leave();
    const r = await ja;
    assert.equal(r.generationId, 2);
    assert.deepEqual(r.members.map((m) => m.memberId), [a.memberId]);
  });
});

describe('static membership (KIP-345)', () => {
  test('a static member restarting within its session takes its place back: same generation, same assignment, no rebalance', async () => {
    const h = harness();
    const a = new TestMember(h, { groupInstanceId: 'a-1' });
    const b = new TestMember(h, { groupInstanceId: 'b-1' });
    await stableGroup(h, [a, b], (_m, i) => assignment(i === 0 ? [0, 1, 2] : [3, 4, 5]));
    const before = h.records().length;
    const oldId = b.memberId;
    await h.time.advance(5000); // b crashed; its session (10 s) has not expired
    assert.equal(await a.heartbeat(), E.NONE);
    const b2 = new TestMember(h, { groupInstanceId: 'b-1' });
    const r = await b2.join();
    assert.equal(r.errorCode, E.NONE);
    assert.notEqual(r.memberId, oldId);
    assert.match(r.memberId, /^b-1-\d+$/, 'static member ids start with the instance id');
    assert.equal(r.generationId, 1, 'no new generation');
    assert.equal(r.leader, a.memberId);
    assert.equal(h.records().length, before + 1, 'the new member id is persisted');
    const s = await b2.sync();
    assert.deepEqual(s.assignment, assignment([3, 4, 5]));
    assert.equal(await a.heartbeat(), E.NONE, 'the others saw no rebalance');
    assert.equal((await h.coordinator.describeGroup('g')).groupState, 'Stable');
    // The old incarnation is fenced.
    assert.equal(await h.coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: oldId, groupInstanceId: 'b-1' }), E.FENCED_INSTANCE_ID);
    const fencedJoin = await h.coordinator.joinGroup(joinArgs({ memberId: oldId, groupInstanceId: 'b-1' }));
    assert.equal(fencedJoin.errorCode, E.FENCED_INSTANCE_ID);
    const fencedCommit = await h.coordinator.commitOffsets({ groupId: 'g', generationId: 1, memberId: oldId, groupInstanceId: 'b-1', retentionTimeMs: -1n, apiVersion: 8, topics: [{ name: 't', partitions: [{ partitionIndex: 3, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }] });
    assert.equal(fencedCommit.topics[0]!.partitions[0]!.errorCode, E.FENCED_INSTANCE_ID);
  });

  test('a static member that does not come back is removed when its session expires', async () => {
    const h = harness();
    const a = new TestMember(h, { groupInstanceId: 'a-1' });
    const b = new TestMember(h, { groupInstanceId: 'b-1' });
    await stableGroup(h, [a, b]);
    for (let t = 0; t < 10; t++) {
      await h.time.advance(1000);
      await a.heartbeat();
    }
    assert.equal(await a.heartbeat(), E.REBALANCE_IN_PROGRESS);
    const r = await a.join();
    assert.deepEqual(r.members.map((m) => m.memberId), [a.memberId]);
  });

  test('static members are not dropped for missing a rebalance: the join phase waits for them', async () => {
    const h = harness();
    const a = new TestMember(h, { groupInstanceId: 'a-1', sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 5000 });
    const b = new TestMember(h, { groupInstanceId: 'b-1', sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 5000 });
    await stableGroup(h, [a, b]);
    const ja = a.join({ protocols: [{ name: 'range', metadata: subscription(['u']) }] });
    await h.time.advance(5000);
    const r = await ja;
    assert.equal(r.generationId, 2);
    assert.deepEqual(r.members.map((m) => m.memberId).sort(), [a.memberId, b.memberId].sort(), 'b keeps its place with its old metadata');
  });

  test('JoinGroup v9: a static leader rejoining a Stable group is told it leads but skips the assignment', async () => {
    const h = harness();
    const a = new TestMember(h, { groupInstanceId: 'a-1', supportsSkipAssignment: true });
    const b = new TestMember(h, { groupInstanceId: 'b-1', supportsSkipAssignment: true });
    await stableGroup(h, [a, b]);
    const a2 = new TestMember(h, { groupInstanceId: 'a-1', supportsSkipAssignment: true });
    const r = await a2.join();
    assert.equal(r.leader, a2.memberId);
    assert.equal(r.skipAssignment, true);
    assert.equal(r.members.length, 2);
    // Before v9 the old leader id comes back, so that the restarted leader does not assign.
    const a3 = new TestMember(h, { groupInstanceId: 'a-1' });
    const r3 = await a3.join();
    assert.equal(r3.leader, a2.memberId);
    assert.equal(r3.skipAssignment, false);
    assert.deepEqual(r3.members, []);
  });

  test('a static member rejoining during CompletingRebalance triggers a rebalance; the old incarnation\'s pending calls are fenced', async () => {
    const h = harness();
    const a = new TestMember(h, { groupInstanceId: 'a-1' });
    const b = new TestMember(h, { groupInstanceId: 'b-1' });
    const joins = [a.join(), b.join()];
    await h.time.advance(0);
    await Promise.all(joins);
    const follower = a.leader === a.memberId ? b : a;
    const waiting = follower.sync();
    await h.time.advance(0);
    const again = new TestMember(h, { groupInstanceId: follower.args.groupInstanceId! }).join();
    assert.equal((await waiting).errorCode, E.FENCED_INSTANCE_ID);
    await h.time.advance(0);
    assert.equal((await h.coordinator.describeGroup('g')).groupState, 'PreparingRebalance');
    const leader = follower === a ? b : a;
    const [r] = await Promise.all([again, leader.join()]);
    assert.equal(r.generationId, 2);
  });

  test('an administrator removes a static member by instance id (LeaveGroup v3+ without member id)', async () => {
    const h = harness();
    const a = new TestMember(h, { groupInstanceId: 'a-1' });
    const b = new TestMember(h, { groupInstanceId: 'b-1' });
    await stableGroup(h, [a, b]);
    const r = await h.coordinator.leaveGroup('g', [{ memberId: '', groupInstanceId: 'b-1', reason: 'admin' }]);
    assert.deepEqual(r.members, [{ memberId: '', groupInstanceId: 'b-1', errorCode: E.NONE }]);
    assert.equal(await a.heartbeat(), E.REBALANCE_IN_PROGRESS);
    assert.equal(await b.heartbeat(), E.UNKNOWN_MEMBER_ID);
  });
});

describe('cooperative clients', () => {
  test('the broker runs plain classic rebalances for cooperative-sticky: two quick rebalances, opaque metadata and assignments passed through', async () => {
    const h = harness();
    const coop = (owned: string) => [{ name: 'cooperative-sticky', metadata: Buffer.concat([subscription(['t']), Buffer.from(owned)]) }];
    const a = new TestMember(h, { protocols: coop('a0') });
    await stableGroup(h, [a], () => assignment([0, 1, 2, 3, 4, 5]));
    const b = new TestMember(h, { protocols: coop('b0') });
    const jb = b.join();
    await h.time.advance(0);
    assert.equal(await a.heartbeat(), E.REBALANCE_IN_PROGRESS);
    // First rebalance: a keeps what it may keep, b gets nothing yet (revocation pending).
    const [ra] = await Promise.all([a.join({ protocols: coop('a1') }), jb]);
    assert.deepEqual(ra.members.find((m) => m.memberId === b.memberId)!.metadata, coop('b0')[0]!.metadata);
    await Promise.all([a.sync([{ memberId: a.memberId, assignment: assignment([0, 1, 2]) }, { memberId: b.memberId, assignment: assignment([]) }]), b.sync()]);
    // Second rebalance, asked for by the client after revoking: b gets the revoked partitions.
    const [r2] = await Promise.all([a.join({ protocols: coop('a2') }), (await h.time.advance(0), b.join())]);
    assert.equal(r2.generationId, 3);
    const [, sb] = await Promise.all([a.sync([{ memberId: a.memberId, assignment: assignment([0, 1, 2]) }, { memberId: b.memberId, assignment: assignment([3, 4, 5]) }]), b.sync()]);
    assert.deepEqual(sb.assignment, assignment([3, 4, 5]));
  });
});
