// Committed offsets and the group state around them: commit validation, fetch, the state
// rebuilt by replaying `__consumer_offsets` (and answers while loading), retention and expiry,
// DeleteGroups, OffsetDelete, ListGroups/DescribeGroups, failed appends, shutdown. Virtual clock.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupErrors as E, partitionForGroup, type CommitArgs } from '../../../../src/coordinators/group/index.js';
import { assignment, harness, joinArgs, peek, subscription, TestMember, type Harness } from '../helpers.js';

async function stableGroup(h: Harness, members: TestMember[]): Promise<void> {
  const joins = members.map((m) => m.join());
  await h.time.advance(0);
  await Promise.all(joins);
  const leader = members.find((m) => m.memberId === m.leader)!;
  await Promise.all(members.map((m) => (m === leader ? m.sync(members.map((x, j) => ({ memberId: x.memberId, assignment: assignment([j]) }))) : m.sync())));
}

/** A commit from outside group management (generation -1, no member): admin tools, assign() consumers. */
function standalone(groupId: string, offsets: [string, number, bigint][], more: Partial<CommitArgs> = {}): CommitArgs {
  return {
    groupId,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1n,
    apiVersion: 8,
    topics: [...new Set(offsets.map((o) => o[0]))].map((name) => ({
      name,
      partitions: offsets.filter((o) => o[0] === name).map(([, partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedLeaderEpoch: 3, commitTimestamp: -1n, committedMetadata: `m${partitionIndex}` })),
    })),
    ...more,
  };
}

const errorsOf = (r: { topics: { partitions: { errorCode: number }[] }[] }) => r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));

describe('OffsetCommit and OffsetFetch', () => {
  test('a standalone commit (generation -1, no member) creates a simple group; metadata and leader epoch are kept', async () => {
    const h = harness();
    const r = await h.coordinator.commitOffsets(standalone('solo', [['t', 0, 42n], ['t', 5, 7n], ['u', 1, 0n]]));
    assert.deepEqual(errorsOf(r), [E.NONE, E.NONE, E.NONE]);
    const f = await h.coordinator.fetchOffsets('solo', [{ name: 't', partitions: [0, 1, 5] }]);
    assert.deepEqual(f, {
      errorCode: E.NONE,
      topics: [
        {
          name: 't',
          partitions: [
            { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: 3, metadata: 'm0', errorCode: E.NONE },
            { partitionIndex: 1, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: E.NONE },
            { partitionIndex: 5, committedOffset: 7n, committedLeaderEpoch: 3, metadata: 'm5', errorCode: E.NONE },
          ],
        },
      ],
    });
    const all = await h.coordinator.fetchOffsets('solo', null);
    assert.deepEqual(
      all.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)]),
      [
        ['t', [0, 5]],
        ['u', [1]],
      ],
    );
    const d = await h.coordinator.describeGroup('solo');
    assert.equal(d.groupState, 'Empty');
    assert.equal(d.protocolType, '');
    // Kafka's record: key v1 (group, topic, partition), value v3 (no expire timestamp).
    const rec = h.logs.get(partitionForGroup('solo', 4))!.records()[0]!;
    assert.equal(rec.type, 'offset');
    assert.deepEqual(rec.type === 'offset' && [rec.group, rec.topic, rec.partition, rec.value!.offset, rec.value!.metadata], ['solo', 't', 0, 42n, 'm0']);
  });

  test('OffsetFetch of an unknown group: offsets -1 and no error; all offsets of an unknown group: none', async () => {
    const h = harness();
    assert.deepEqual(await h.coordinator.fetchOffsets('ghost', [{ name: 't', partitions: [3] }]), {
      errorCode: E.NONE,
      topics: [{ name: 't', partitions: [{ partitionIndex: 3, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: E.NONE }] }],
    });
    await h.coordinator.commitOffsets(standalone('other', [['t', 0, 1n]]));
    assert.deepEqual(await h.coordinator.fetchOffsets('ghost', null), { errorCode: E.NONE, topics: [] });
    assert.equal((await h.coordinator.fetchOffsets('ghost', [{ name: 't', partitions: [3] }])).topics[0]!.partitions[0]!.committedOffset, -1n);
  });

  test('commit errors: unknown topic or partition, metadata too large, stale generation, unknown member, rebalance in progress, missing group', async () => {
    const h = harness({ offsetMetadataMaxBytes: 10 });
    const r = await h.coordinator.commitOffsets({
      ...standalone('g', []),
      topics: [
        { name: 'nope', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] },
        {
          name: 't',
          partitions: [
            { partitionIndex: 6, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null },
            { partitionIndex: 1, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: 'x'.repeat(11) },
            { partitionIndex: 2, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: 'x'.repeat(10) },
          ],
        },
      ],
    });
    assert.deepEqual(
      r.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])]),
      [
        ['nope', [[0, E.UNKNOWN_TOPIC_OR_PARTITION]]],
        ['t', [[6, E.UNKNOWN_TOPIC_OR_PARTITION], [1, E.OFFSET_METADATA_TOO_LARGE], [2, E.NONE]]],
      ],
    );

    // A generation for a group that does not exist: ILLEGAL_GENERATION, GROUP_ID_NOT_FOUND from v9.
    assert.deepEqual(errorsOf(await h.coordinator.commitOffsets(standalone('none', [['t', 0, 1n]], { generationId: 1, memberId: 'm' }))), [E.ILLEGAL_GENERATION]);
    assert.deepEqual(errorsOf(await h.coordinator.commitOffsets(standalone('none', [['t', 0, 1n]], { generationId: 1, memberId: 'm', apiVersion: 9 }))), [E.GROUP_ID_NOT_FOUND]);

    const [a, b] = [new TestMember(h, { groupId: 'live' }), new TestMember(h, { groupId: 'live' })];
    await stableGroup(h, [a, b]);
    assert.deepEqual(errorsOf(await a.commit([['t', 0, 5n]])), [E.NONE]);
    assert.deepEqual(errorsOf(await h.coordinator.commitOffsets(standalone('live', [['t', 0, 1n]]))), [E.UNKNOWN_MEMBER_ID], 'generation -1 into a group with members');
    assert.deepEqual(errorsOf(await h.coordinator.commitOffsets(standalone('live', [['t', 0, 1n]], { generationId: 1, memberId: 'stranger' }))), [E.UNKNOWN_MEMBER_ID]);
    assert.deepEqual(errorsOf(await h.coordinator.commitOffsets(standalone('live', [['t', 0, 1n]], { generationId: 0, memberId: a.memberId }))), [E.ILLEGAL_GENERATION]);
    // Rebalance: commits are still accepted while preparing, refused once the new generation is handed out.
    const ja = a.join({ protocols: [{ name: 'range', metadata: subscription(['t', 'u']) }] });
    await h.time.advance(0);
    assert.deepEqual(errorsOf(await b.commit([['t', 1, 9n]])), [E.NONE], 'PreparingRebalance: the old generation may still commit');
    await Promise.all([ja, b.join()]);
    assert.deepEqual(errorsOf(await b.commit([['t', 1, 10n]])), [E.REBALANCE_IN_PROGRESS], 'CompletingRebalance');
    assert.deepEqual(errorsOf(await h.coordinator.commitOffsets(standalone('', [['t', 0, 1n]]))), [E.NONE], 'the empty group id is allowed for offsets, as in Kafka');
  });

  test('OffsetCommit v2-4 retention time sets an expire timestamp (value v1); v1 commit timestamps are kept', async () => {
    const h = harness();
    await h.coordinator.commitOffsets(standalone('old', [['t', 0, 1n]], { retentionTimeMs: 60_000n }));
    const rec = h.records().find((r) => r.type === 'offset')!;
    assert.equal(rec.type === 'offset' && rec.value!.expireTimestamp, BigInt(h.time.now() + 60_000));
    await h.time.advance(600_000); // the cleanup runs every 10 minutes
    assert.equal((await h.coordinator.fetchOffsets('old', [{ name: 't', partitions: [0] }])).topics[0]!.partitions[0]!.committedOffset, -1n);

    const ts = 1_600_000_000_000n;
    await h.coordinator.commitOffsets({ ...standalone('v1', []), topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: -1, commitTimestamp: ts, committedMetadata: null }] }] });
    const v1 = h.records().filter((r) => r.type === 'offset' && r.group === 'v1')[0]!;
    assert.equal(v1.type === 'offset' && v1.value!.commitTimestamp, ts);
  });
});

describe('state from the log', () => {
  test('committed offsets and a Stable group survive a restart; while a partition loads, requests get COORDINATOR_LOAD_IN_PROGRESS', async () => {
    const h = harness();
    const [a, b] = [new TestMember(h), new TestMember(h)];
    await stableGroup(h, [a, b]);
    await a.commit([['t', 0, 100n]], { metadata: 'hello', leaderEpoch: 4 });
    await h.coordinator.commitOffsets(standalone('solo', [['u', 2, 9n]]));

    const log = h.logs.get(partitionForGroup('g', 4))!;
    log.stall();
    const h2 = await h.restart();
    assert.equal((await h2.coordinator.joinGroup(joinArgs())).errorCode, E.COORDINATOR_LOAD_IN_PROGRESS);
    assert.equal((await h2.coordinator.fetchOffsets('g', null)).errorCode, E.COORDINATOR_LOAD_IN_PROGRESS);
    assert.equal((await h2.coordinator.commitOffsets(standalone('g', [['t', 0, 1n]]))).topics[0]!.partitions[0]!.errorCode, E.COORDINATOR_LOAD_IN_PROGRESS);
    assert.equal(await h2.coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null }), E.NONE, 'heartbeats are answered blindly while loading');
    const sync = await h2.coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    assert.equal(sync.errorCode, E.REBALANCE_IN_PROGRESS, 'SyncGroup while loading: rejoin');
    assert.equal((await h2.coordinator.describeGroup('g')).errorCode, E.COORDINATOR_LOAD_IN_PROGRESS);
    assert.equal((await h2.coordinator.listGroups([], [])).errorCode, E.COORDINATOR_LOAD_IN_PROGRESS);
    log.unstall();
    await h2.coordinator.loaded();

    const f = await h2.coordinator.fetchOffsets('g', [{ name: 't', partitions: [0] }]);
    assert.deepEqual(f.topics[0]!.partitions[0], { partitionIndex: 0, committedOffset: 100n, committedLeaderEpoch: 4, metadata: 'hello', errorCode: E.NONE });
    assert.equal((await h2.coordinator.fetchOffsets('solo', null)).topics[0]!.partitions[0]!.committedOffset, 9n);
    const d = await h2.coordinator.describeGroup('g');
    assert.equal(d.groupState, 'Stable');
    assert.equal(d.protocolType, 'consumer');
    assert.equal(d.protocolData, 'range');
    assert.deepEqual(d.members.map((m) => m.memberId).sort(), [a.memberId, b.memberId].sort());
    assert.deepEqual(d.members.find((m) => m.memberId === a.memberId)!.memberMetadata, subscription(['t']));

    // The members carry on with the same generation after the restart.
    const a2 = Object.assign(new TestMember(h2), { memberId: a.memberId, generationId: a.generationId });
    const b2 = Object.assign(new TestMember(h2), { memberId: b.memberId, generationId: b.generationId });
    assert.equal(await a2.heartbeat(), E.NONE);
    assert.deepEqual((await b2.sync()).assignment, b.assignment, 'Stable: SyncGroup returns the stored assignment');
    // b stops; its session restarted at load and expires 10 s later.
    for (let t = 0; t < 10; t++) {
      await h2.time.advance(1000);
      await a2.heartbeat();
    }
    assert.equal(await a2.heartbeat(), E.REBALANCE_IN_PROGRESS);
  });

  test('an Empty group\'s generation, deletions and tombstones replay to the same state', async () => {
    const h = harness();
    const a = new TestMember(h);
    await stableGroup(h, [a]);
    await a.commit([['t', 1, 5n], ['u', 0, 6n]]);
    await a.leave();
    const del = await h.coordinator.deleteOffsets('g', [{ name: 'u', partitions: [0] }]);
    assert.equal(del.errorCode, E.NONE);
    await h.coordinator.commitOffsets(standalone('gone', [['t', 0, 1n]]));
    assert.deepEqual(await h.coordinator.deleteGroups(['gone']), [{ groupId: 'gone', errorCode: E.NONE }]);

    const h2 = await h.restart();
    await h2.coordinator.loaded();
    const d = await h2.coordinator.describeGroup('g');
    assert.equal(d.groupState, 'Empty');
    assert.deepEqual(
      (await h2.coordinator.fetchOffsets('g', null)).topics.map((t) => [t.name, t.partitions.map((p) => p.committedOffset)]),
      [['t', [5n]]],
    );
    assert.equal((await h2.coordinator.describeGroup('gone')).groupState, 'Dead');
    // A new member of the reloaded group gets the next generation.
    const m = new TestMember(h2);
    const j = m.join();
    await h2.time.advance(0);
    assert.equal((await j).generationId, 3);
  });

  test('groups map to partitions of __consumer_offsets with Kafka\'s Utils.abs(hashCode) % partitions', async () => {
    const h = harness();
    for (const g of ['g', 'orders-service', 'polygenelubricants', 'console-consumer-12345']) {
      await h.coordinator.commitOffsets(standalone(g, [['t', 0, 1n]]));
      const p = partitionForGroup(g, 4);
      assert.equal(h.coordinator.partitionFor(g), p);
      assert.ok(h.logs.get(p)!.records().some((r) => r.group === g), `${g} is stored in partition ${p}`);
    }
  });
});

describe('retention and expiry', () => {
  const DAY = 24 * 3_600_000;

  test('offsets of an Empty group expire offsets.retention after the group became empty; then the group goes too', async () => {
    const h = harness({ offsetsRetentionMs: 7 * DAY, sessionTimeoutMaxMs: 20 * DAY });
    const a = new TestMember(h, { sessionTimeoutMs: 10 * DAY, rebalanceTimeoutMs: 60_000 });
    await stableGroup(h, [a]);
    await a.commit([['t', 0, 1n]]);
    // A Stable group keeps the offsets of topics it subscribes to however old they are.
    for (let d = 0; d < 8; d++) {
      await h.time.advance(DAY);
      assert.equal(await a.heartbeat(), E.NONE);
    }
    assert.equal((await h.coordinator.fetchOffsets('g', null)).topics.length, 1);
    await a.leave();
    await h.time.advance(7 * DAY - 600_000);
    assert.equal((await h.coordinator.fetchOffsets('g', null)).topics.length, 1, 'not yet: counted from when the group became empty');
    await h.time.advance(600_000);
    assert.deepEqual((await h.coordinator.fetchOffsets('g', null)).topics, []);
    await h.time.advance(600_000);
    assert.equal((await h.coordinator.describeGroup('g')).groupState, 'Dead', 'an empty group with no offsets expires');
    const tombstones = h.records().filter((r) => r.value === null);
    assert.deepEqual(
      tombstones.map((r) => r.type),
      ['offset', 'group'],
    );
    assert.deepEqual((await h.coordinator.listGroups([], [])).groups, []);
  });

  test('a Stable consumer group loses only the offsets of topics it no longer subscribes to', async () => {
    const h = harness({ offsetsRetentionMs: DAY, sessionTimeoutMaxMs: 20 * DAY });
    const a = new TestMember(h, { sessionTimeoutMs: 10 * DAY });
    await stableGroup(h, [a]);
    await a.commit([['t', 0, 1n], ['u', 0, 2n]]);
    await h.time.advance(DAY + 600_000);
    assert.deepEqual(
      (await h.coordinator.fetchOffsets('g', null)).topics.map((t) => t.name),
      ['t'],
    );
  });

  test('standalone offsets expire from their commit time', async () => {
    const h = harness({ offsetsRetentionMs: DAY });
    await h.coordinator.commitOffsets(standalone('solo', [['t', 0, 1n]]));
    await h.time.advance(DAY / 2);
    await h.coordinator.commitOffsets(standalone('solo', [['t', 1, 1n]]));
    await h.time.advance(DAY / 2 + 600_000);
    assert.deepEqual(
      (await h.coordinator.fetchOffsets('solo', null)).topics[0]!.partitions.map((p) => p.partitionIndex),
      [1],
    );
  });
});

describe('DeleteGroups, OffsetDelete, ListGroups, DescribeGroups', () => {
  test('DeleteGroups: Empty groups go with their offsets; groups with members and unknown ones are refused', async () => {
    const h = harness();
    const a = new TestMember(h, { groupId: 'busy' });
    await stableGroup(h, [a]);
    await h.coordinator.commitOffsets(standalone('idle', [['t', 0, 1n], ['t', 1, 2n]]));
    const r = await h.coordinator.deleteGroups(['idle', 'busy', 'ghost', 'idle']);
    // A group named twice is answered once, as Kafka.
    assert.deepEqual(r, [
      { groupId: 'idle', errorCode: E.NONE },
      { groupId: 'busy', errorCode: E.NON_EMPTY_GROUP },
      { groupId: 'ghost', errorCode: E.GROUP_ID_NOT_FOUND },
    ]);
    assert.deepEqual((await h.coordinator.fetchOffsets('idle', null)).topics, []);
    assert.equal((await h.coordinator.describeGroup('idle')).groupState, 'Dead');
    const tombstones = h.logs.get(partitionForGroup('idle', 4))!.records().filter((x) => x.group === 'idle' && x.value === null);
    assert.equal(tombstones.length, 3, 'two offsets and the group');
  });

  test('OffsetDelete: a Stable consumer group keeps subscribed topics (GROUP_SUBSCRIBED_TO_TOPIC); other groups and errors', async () => {
    const h = harness();
    const a = new TestMember(h);
    await stableGroup(h, [a]);
    await a.commit([['t', 0, 1n], ['u', 0, 2n]]);
    const r = await h.coordinator.deleteOffsets('g', [
      { name: 't', partitions: [0] },
      { name: 'u', partitions: [0, 1] },
      { name: 'nope', partitions: [0] },
    ]);
    assert.deepEqual(r, {
      errorCode: E.NONE,
      topics: [
        { name: 't', partitions: [{ partitionIndex: 0, errorCode: E.GROUP_SUBSCRIBED_TO_TOPIC }] },
        { name: 'u', partitions: [{ partitionIndex: 0, errorCode: E.NONE }, { partitionIndex: 1, errorCode: E.NONE }] },
        { name: 'nope', partitions: [{ partitionIndex: 0, errorCode: E.UNKNOWN_TOPIC_OR_PARTITION }] },
      ],
    });
    assert.deepEqual(
      (await h.coordinator.fetchOffsets('g', null)).topics.map((t) => t.name),
      ['t'],
    );
    assert.equal((await h.coordinator.deleteOffsets('ghost', [{ name: 't', partitions: [0] }])).errorCode, E.GROUP_ID_NOT_FOUND);
    assert.equal((await h.coordinator.deleteOffsets('', [{ name: 't', partitions: [0] }])).errorCode, E.INVALID_GROUP_ID);

    const c = new TestMember(h, { groupId: 'connect', protocolType: 'connect', protocols: [{ name: 'default', metadata: Buffer.from('x') }] });
    await stableGroup(h, [c]);
    assert.equal((await h.coordinator.deleteOffsets('connect', [{ name: 't', partitions: [0] }])).errorCode, E.NON_EMPTY_GROUP);
  });

  test('ListGroups with state and type filters; DescribeGroups hides metadata unless Stable; unknown groups are Dead', async () => {
    const h = harness();
    const a = new TestMember(h, { groupId: 'stable' });
    await stableGroup(h, [a]);
    const p = new TestMember(h, { groupId: 'preparing', rebalanceTimeoutMs: 60_000 });
    await stableGroup(h, [p]);
    void p.join({ protocols: [{ name: 'range', metadata: subscription(['u']) }] });
    await h.coordinator.commitOffsets(standalone('simple', [['t', 0, 1n]]));
    const c = new TestMember(h, { groupId: 'completing' });
    const jc = c.join();
    await h.time.advance(0);
    await jc;

    const all = await h.coordinator.listGroups([], []);
    assert.equal(all.errorCode, E.NONE);
    const byId = Object.fromEntries(all.groups.map((g) => [g.groupId, g]));
    assert.deepEqual(byId.simple, { groupId: 'simple', protocolType: '', groupState: 'Empty', groupType: 'classic' });
    assert.equal(byId.stable!.groupState, 'Stable');
    assert.equal(byId.completing!.groupState, 'CompletingRebalance');
    const filtered = await h.coordinator.listGroups(['stable', 'EMPTY'], []);
    assert.deepEqual(filtered.groups.map((g) => g.groupId).sort(), ['simple', 'stable']);
    assert.deepEqual((await h.coordinator.listGroups([], ['consumer'])).groups, []);
    assert.equal((await h.coordinator.listGroups([], ['Classic'])).groups.length, all.groups.length);

    const stable = await h.coordinator.describeGroup('stable');
    assert.equal(stable.members[0]!.clientId, 'client');
    assert.deepEqual(stable.members[0]!.memberAssignment, assignment([0]));
    // As Kafka: a group that is not Stable names no protocol and no member metadata, but its
    // members keep the assignment they last had.
    const completing = await h.coordinator.describeGroup('completing');
    assert.equal(completing.protocolData, '');
    assert.deepEqual(completing.members[0]!.memberMetadata, Buffer.alloc(0));
    // 'preparing' rejoined alone with new metadata: the next generation waits for its SyncGroup.
    const rejoined = await h.coordinator.describeGroup('preparing');
    assert.equal(rejoined.groupState, 'CompletingRebalance');
    assert.equal(rejoined.protocolData, '');
    assert.deepEqual(rejoined.members[0]!.memberMetadata, Buffer.alloc(0));
    assert.deepEqual(rejoined.members[0]!.memberAssignment, assignment([0]));
    assert.deepEqual(await h.coordinator.describeGroup('ghost'), { errorCode: E.NONE, groupId: 'ghost', groupState: 'Dead', protocolType: '', protocolData: '', members: [] });
  });
});

describe('failures', () => {
  test('the leader\'s assignment cannot be stored: members get the mapped error and the group rebalances', async () => {
    const h = harness();
    const [a, b] = [new TestMember(h), new TestMember(h)];
    const joins = [a.join(), b.join()];
    await h.time.advance(0);
    await Promise.all(joins);
    const leader = a.leader === a.memberId ? a : b;
    const follower = leader === a ? b : a;
    const waiting = follower.sync();
    h.logs.get(partitionForGroup('g', 4))!.failWith = 56; // KAFKA_STORAGE_ERROR
    const s = await leader.sync([{ memberId: a.memberId, assignment: assignment([0]) }, { memberId: b.memberId, assignment: assignment([1]) }]);
    assert.equal(s.errorCode, E.NOT_COORDINATOR);
    assert.equal((await waiting).errorCode, E.NOT_COORDINATOR);
    h.logs.get(partitionForGroup('g', 4))!.failWith = undefined;
    assert.equal((await h.coordinator.describeGroup('g')).groupState, 'PreparingRebalance');
    const [r] = await Promise.all([a.join(), b.join()]);
    assert.equal(r.generationId, 2);
  });

  test('a commit that cannot be stored answers the mapped error and changes nothing', async () => {
    const h = harness();
    await h.coordinator.commitOffsets(standalone('g', [['t', 0, 1n]]));
    h.logs.get(partitionForGroup('g', 4))!.failWith = 10; // MESSAGE_TOO_LARGE
    assert.deepEqual(errorsOf(await h.coordinator.commitOffsets(standalone('g', [['t', 0, 2n]]))), [E.INVALID_COMMIT_OFFSET_SIZE]);
    h.logs.get(partitionForGroup('g', 4))!.failWith = 19; // NOT_ENOUGH_REPLICAS
    assert.deepEqual(errorsOf(await h.coordinator.commitOffsets(standalone('g', [['t', 0, 2n]]))), [E.COORDINATOR_NOT_AVAILABLE]);
    assert.equal((await h.coordinator.fetchOffsets('g', null)).topics[0]!.partitions[0]!.committedOffset, 1n);
  });

  test('a static member\'s new id cannot be stored: the old id stays and the joiner is told why', async () => {
    const h = harness();
    const a = new TestMember(h, { groupInstanceId: 'a-1' });
    await stableGroup(h, [a]);
    h.logs.get(partitionForGroup('g', 4))!.failWith = 56;
    const r = await new TestMember(h, { groupInstanceId: 'a-1' }).join();
    assert.equal(r.errorCode, E.NOT_COORDINATOR);
    assert.equal(r.memberId, '');
    assert.equal(await a.heartbeat(), E.NONE, 'the old incarnation is still the member');
  });

  test('shutdown answers waiting JoinGroup and SyncGroup with NOT_COORDINATOR; later requests get COORDINATOR_NOT_AVAILABLE', async () => {
    const h = harness();
    const a = new TestMember(h);
    await stableGroup(h, [a]);
    const b = new TestMember(h);
    const jb = b.join();
    await h.time.advance(0);
    assert.equal((await peek(jb)).settled, false);
    await h.coordinator.shutdown();
    assert.equal((await jb).errorCode, E.NOT_COORDINATOR);
    assert.equal(await a.heartbeat(), E.COORDINATOR_NOT_AVAILABLE);
    assert.equal(await h.coordinator.findCoordinator('g'), E.COORDINATOR_NOT_AVAILABLE);
  });
});
