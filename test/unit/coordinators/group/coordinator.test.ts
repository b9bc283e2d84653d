// The group coordinator giving up a `__consumer_offsets` partition and taking it back
// (leadership moving away and returning), on a virtual clock: who waits is told
// NOT_COORDINATOR, its timers stop, and a later election with a newer epoch rebuilds the
// groups and offsets from the log.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupErrors as E } from '../../../../src/coordinators/group/index.js';
import { assignment, harness, peek, TestMember } from '../helpers.js';

describe('group coordinator: resignation and election', () => {
  test('a resigned partition answers NOT_COORDINATOR and forgets its groups; re-elected with a newer epoch it replays them', async () => {
    const h = harness();
    const a = new TestMember(h);
    const join = a.join();
    await h.time.advance(0);
    assert.equal((await join).errorCode, E.NONE);
    assert.equal((await a.sync([{ memberId: a.memberId, assignment: assignment([0]) }])).errorCode, E.NONE);
    assert.deepEqual(await a.commit([['t', 0, 42n]]), { topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: E.NONE }] }] });
    const p = h.coordinator.partitionFor('g');
    assert.equal(h.coordinator.runtime.epoch(p), 0, 'one node: the coordinator epoch is the leader epoch, 0');

    // b joins: a rebalance starts, b's JoinGroup waits for a to rejoin.
    const b = new TestMember(h);
    const waiting = b.join();
    await h.time.advance(0);
    assert.equal((await peek(waiting)).settled, false);
    const records = h.records().length;

    await h.coordinator.onResignation(p, 1);
    assert.equal((await waiting).errorCode, E.NOT_COORDINATOR, 'the waiting member looks for the coordinator again');
    assert.equal(await a.heartbeat(), E.NOT_COORDINATOR);
    assert.equal((await a.commit([['t', 0, 43n]])).topics[0]!.partitions[0]!.errorCode, E.NOT_COORDINATOR);
    assert.equal((await h.coordinator.fetchOffsets('g', [{ name: 't', partitions: [0] }])).errorCode, E.NOT_COORDINATOR);
    // a's session and the rebalance timeout would have fired by now: nothing is written for them.
    await h.time.advance(600_000);
    assert.equal(h.records().length, records);

    h.coordinator.onElection(p, 0);
    assert.equal(h.coordinator.runtime.status(p), 'closed', 'an election no newer than the last load is stale');
    h.coordinator.onElection(p, 2);
    await h.coordinator.loaded();
    assert.equal(h.coordinator.runtime.epoch(p), 2);
    const fetched = await h.coordinator.fetchOffsets('g', [{ name: 't', partitions: [0] }]);
    assert.equal(fetched.topics[0]!.partitions[0]!.committedOffset, 42n);
    const described = await h.coordinator.describeGroup('g');
    assert.deepEqual([described.groupState, described.members.map((m) => m.memberId)], ['Stable', [a.memberId]]);
    assert.equal(await a.heartbeat(), E.NONE, 'the member carries on with its generation');
  });

  test('partitions not resigned keep serving', async () => {
    const h = harness();
    const p = h.coordinator.partitionFor('g');
    const other = ['g1', 'g2', 'g3', 'g4', 'g5'].find((g) => h.coordinator.partitionFor(g) !== p)!;
    const m = new TestMember(h, { groupId: other });
    assert.equal(await h.coordinator.findCoordinator(other), E.NONE);
    await h.coordinator.onResignation(p, 1);
    const join = m.join();
    await h.time.advance(0);
    assert.equal((await join).errorCode, E.NONE);
  });
});
