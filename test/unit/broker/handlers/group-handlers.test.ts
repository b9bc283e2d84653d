// The eleven group handlers at every version they serve: requests pass through the generated
// codecs at that version (fields the version lacks come back as defaults), responses are
// encoded at that version — the encoders throw on a field set where the version has none — and
// decoded again for the checks. The coordinator behind them runs on a virtual clock.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
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
} from '../../../../src/protocol/generated/index.js';
import { decodeMessage, encodeMessage, type ApiDescriptor } from '../../../../src/protocol/runtime/index.js';
import type { BrokerContext } from '../../../../src/broker/context.js';
import type { GroupsContext } from '../../../../src/broker/groups.js';
import { ErrorCode } from '../../../../src/broker/errors.js';
import type { ApiHandler, RequestContext } from '../../../../src/broker/handler.js';
import { deleteGroupsHandler } from '../../../../src/broker/handlers/delete-groups.js';
import { describeGroupsHandler } from '../../../../src/broker/handlers/describe-groups.js';
import { findCoordinatorHandler } from '../../../../src/broker/handlers/find-coordinator.js';
import { heartbeatHandler } from '../../../../src/broker/handlers/heartbeat.js';
import { joinGroupHandler } from '../../../../src/broker/handlers/join-group.js';
import { leaveGroupHandler } from '../../../../src/broker/handlers/leave-group.js';
import { listGroupsHandler } from '../../../../src/broker/handlers/list-groups.js';
import { offsetCommitHandler } from '../../../../src/broker/handlers/offset-commit.js';
import { offsetDeleteHandler } from '../../../../src/broker/handlers/offset-delete.js';
import { offsetFetchHandler } from '../../../../src/broker/handlers/offset-fetch.js';
import { syncGroupHandler } from '../../../../src/broker/handlers/sync-group.js';
import { singleNodeImage, testContext, topicImage } from '../context-helpers.js';
import { assignment, groupsContext, harness, subscription, unavailableTransactionCoordinator, type Harness } from '../../coordinators/helpers.js';

function setup(): { h: Harness; broker: GroupsContext } {
  const h = harness();
  return { h, broker: groupsContext(h) };
}

/**
 * FindCoordinator reads the coordinators and this node's advertised endpoint; no transaction
 * coordinator can serve here (its topic cannot be created), so transactional ids get
 * COORDINATOR_NOT_AVAILABLE. The members it does not read are left out of the context.
 */
function findCoordinatorSetup(): BrokerContext {
  const h = harness();
  return testContext({
    groups: h.coordinator,
    txn: unavailableTransactionCoordinator(h.time),
    nodeId: 1,
    metadata: singleNodeImage(1, [topicImage('__consumer_offsets', 4)]),
  });
}

const ctx = (apiVersion: number): RequestContext => ({ apiVersion, correlationId: 1, clientId: 'cli', connectionId: 1, remoteAddress: '::ffff:10.0.0.7', listenerName: 'PLAINTEXT' });

/** The request as the handler would see it at `v`, the response as the client would. */
async function call<Req, Res>(handler: ApiHandler<Req, Res>, v: number, request: Partial<Req>, h?: Harness): Promise<Res> {
  const api = handler.api as ApiDescriptor<Req, Res>;
  const full = { ...api.request.defaults(), ...request } as Req;
  const req = decodeMessage(api.request, encodeMessage(api.request, full, v), v);
  const pending = Promise.resolve(handler.handle(req, ctx(v)));
  if (h) await h.time.advance(0);
  const res = (await pending)!;
  return decodeMessage(api.response, encodeMessage(api.response, res, v), v);
}

const versions = (handler: ApiHandler) => Array.from({ length: handler.maxVersion - handler.minVersion + 1 }, (_, i) => handler.minVersion + i);
const protocols = [{ name: 'range', metadata: subscription(['t']) }];

describe('group handlers at every version', () => {
  test('FindCoordinator v0-6: this node for groups, one key (v0-3) or a batch (v4+); no transaction coordinator; unknown key types refused', async () => {
    for (const v of versions(findCoordinatorHandler(findCoordinatorSetup()))) {
      const handler = findCoordinatorHandler(findCoordinatorSetup());
      if (v < 4) {
        const r = await call(handler, v, { key: 'g', keyType: 0 });
        assert.deepEqual([r.errorCode, r.nodeId, r.host, r.port], [0, 1, 'broker.local', 9092], `v${v}`);
        if (v >= 1) {
          const txn = await call(handler, v, { key: 'tx', keyType: 1 });
          assert.deepEqual([txn.errorCode, txn.nodeId, txn.port], [ErrorCode.COORDINATOR_NOT_AVAILABLE, -1, -1]);
          assert.equal((await call(handler, v, { key: 'x', keyType: 5 })).errorCode, ErrorCode.INVALID_REQUEST);
        }
      } else {
        const r = await call(handler, v, { keyType: 0, coordinatorKeys: ['a', 'b'] });
        assert.deepEqual(
          r.coordinators.map((c) => [c.key, c.nodeId, c.host, c.port, c.errorCode]),
          [
            ['a', 1, 'broker.local', 9092, 0],
            ['b', 1, 'broker.local', 9092, 0],
          ],
          `v${v}`,
        );
        const txn = await call(handler, v, { keyType: 1, coordinatorKeys: ['tx'] });
        assert.equal(txn.coordinators[0]!.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
    }
  });

  test('JoinGroup, SyncGroup, Heartbeat, LeaveGroup v0 to latest: a whole membership at each version', async () => {
    const join = joinGroupHandler(setup().broker);
    for (const v of versions(join)) {
      const { h, broker } = setup();
      const jh = joinGroupHandler(broker);
      const sh = syncGroupHandler(broker);
      const hh = heartbeatHandler(broker);
      const lh = leaveGroupHandler(broker);
      const base = { groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 20_000, protocolType: 'consumer', protocols, reason: 'r' };
      let r = await call(jh, v, base, h);
      if (v >= 4) {
        assert.equal(r.errorCode, ErrorCode.MEMBER_ID_REQUIRED, `v${v}: KIP-394`);
        assert.match(r.memberId, /^cli-/);
        assert.equal(r.protocolName, v >= 7 ? null : '');
        r = await call(jh, v, { ...base, memberId: r.memberId }, h);
      }
      assert.equal(r.errorCode, ErrorCode.NONE, `v${v}`);
      assert.equal(r.generationId, 1);
      assert.equal(r.leader, r.memberId);
      assert.equal(r.protocolName, 'range');
      assert.equal(r.protocolType, v >= 7 ? 'consumer' : null);
      assert.deepEqual(r.members.map((m) => m.metadata), [subscription(['t'])]);
      const d = await h.coordinator.describeGroup('g');
      assert.equal(d.members[0]!.clientHost, '/10.0.0.7');
      assert.equal(d.members[0]!.clientId, 'cli');
      const memberId = r.memberId;

      const sv = Math.min(v, sh.maxVersion);
      const syncReq = { groupId: 'g', generationId: 1, memberId, assignments: [{ memberId, assignment: assignment([0, 1]) }], protocolType: 'consumer', protocolName: 'range' };
      if (sv >= 5) assert.equal((await call(sh, sv, { ...syncReq, protocolName: null })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'v5 requires the protocol name');
      const s = await call(sh, sv, syncReq);
      assert.equal(s.errorCode, ErrorCode.NONE, `SyncGroup v${sv}`);
      assert.deepEqual(s.assignment, assignment([0, 1]));
      assert.equal(s.protocolName, sv >= 5 ? 'range' : null);

      const hv = Math.min(v, hh.maxVersion);
      assert.equal((await call(hh, hv, { groupId: 'g', generationId: 1, memberId })).errorCode, ErrorCode.NONE, `Heartbeat v${hv}`);
      assert.equal((await call(hh, hv, { groupId: 'g', generationId: 2, memberId })).errorCode, ErrorCode.ILLEGAL_GENERATION);

      const lv = Math.min(v, lh.maxVersion);
      if (lv < 3) {
        const l = await call(lh, lv, { groupId: 'g', memberId: 'nobody' });
        assert.equal(l.errorCode, ErrorCode.UNKNOWN_MEMBER_ID, `LeaveGroup v${lv}: the member's error at the top`);
        assert.equal((await call(lh, lv, { groupId: 'g', memberId })).errorCode, ErrorCode.NONE);
      } else {
        const l = await call(lh, lv, { groupId: 'g', members: [{ memberId, groupInstanceId: null, reason: 'done' }, { memberId: 'nobody', groupInstanceId: null, reason: null }] });
        assert.equal(l.errorCode, ErrorCode.NONE);
        assert.deepEqual(
          l.members.map((m) => [m.memberId, m.errorCode]),
          [
            [memberId, ErrorCode.NONE],
            ['nobody', ErrorCode.UNKNOWN_MEMBER_ID],
          ],
        );
      }
      assert.equal((await h.coordinator.describeGroup('g')).groupState, 'Empty');
    }
  });

  test('JoinGroup v5+ static members, v9 skipAssignment; error responses encode at every version', async () => {
    const { h, broker } = setup();
    const jh = joinGroupHandler(broker);
    const base = { groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 20_000, protocolType: 'consumer', protocols, groupInstanceId: 'i-1' };
    const r = await call(jh, 9, base, h);
    assert.equal(r.errorCode, ErrorCode.NONE, 'a static member needs no MEMBER_ID_REQUIRED round');
    assert.match(r.memberId, /^i-1-/);
    await call(syncGroupHandler(broker), 5, { groupId: 'g', generationId: 1, memberId: r.memberId, protocolType: 'consumer', protocolName: 'range', assignments: [] });
    const again = await call(jh, 9, base, h);
    assert.equal(again.skipAssignment, true);
    assert.equal(again.members[0]!.groupInstanceId, 'i-1');
    for (let v = 0; v <= 9; v++) {
      const bad = await call(jh, v, { groupId: 'g', sessionTimeoutMs: 1, protocolType: 'consumer', protocols });
      assert.equal(bad.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT, `v${v}`);
      assert.equal(bad.generationId, -1);
    }
  });

  test('OffsetCommit v0-9 and OffsetFetch v0-9: commits at each version read back at each version', async () => {
    const { h, broker } = setup();
    const ch = offsetCommitHandler(broker);
    const fh = offsetFetchHandler(broker);
    for (const v of versions(ch)) {
      const r = await call(ch, v, {
        groupId: `g${v}`,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        retentionTimeMs: -1n,
        topics: [
          { name: 't', partitions: [{ partitionIndex: 1, committedOffset: BigInt(100 + v), committedLeaderEpoch: 7, commitTimestamp: -1n, committedMetadata: `v${v}` }] },
          { name: 'missing', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] },
        ],
      });
      assert.deepEqual(
        r.topics.map((t) => [t.name, t.partitions.map((p) => p.errorCode)]),
        [
          ['t', [ErrorCode.NONE]],
          ['missing', [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]],
        ],
        `OffsetCommit v${v}`,
      );
    }
    for (const v of versions(fh)) {
      if (v < 8) {
        const r = await call(fh, v, { groupId: 'g6', topics: [{ name: 't', partitionIndexes: [0, 1] }] });
        assert.equal(r.errorCode, 0);
        const [p0, p1] = r.topics[0]!.partitions;
        assert.deepEqual([p0!.committedOffset, p0!.metadata, p0!.errorCode], [-1n, '', 0]);
        assert.deepEqual([p1!.committedOffset, p1!.metadata], [106n, 'v6']);
        assert.equal(p1!.committedLeaderEpoch, v >= 5 ? 7 : -1, `OffsetFetch v${v}`);
        if (v >= 2) {
          const all = await call(fh, v, { groupId: 'g9', topics: null });
          assert.deepEqual(all.topics.map((t) => [t.name, t.partitions.map((p) => p.committedOffset)]), [['t', [109n]]]);
        }
        const unknown = await call(fh, v, { groupId: 'nobody', topics: [{ name: 't', partitionIndexes: [1] }] });
        assert.equal(unknown.topics[0]!.partitions[0]!.committedOffset, -1n);
      } else {
        const r = await call(fh, v, {
          groups: [
            { groupId: 'g0', memberId: null, memberEpoch: -1, topics: [{ name: 't', partitionIndexes: [1] }] },
            { groupId: 'g8', memberId: null, memberEpoch: -1, topics: null },
            { groupId: 'nobody', memberId: null, memberEpoch: -1, topics: null },
          ],
        });
        assert.deepEqual(
          r.groups.map((g) => [g.groupId, g.errorCode, g.topics.map((t) => t.partitions.map((p) => p.committedOffset))]),
          [
            ['g0', 0, [[100n]]],
            ['g8', 0, [[108n]]],
            ['nobody', 0, []],
          ],
          `OffsetFetch v${v}`,
        );
      }
    }
    // A loading partition: v0-1 report it per partition, v2+ at the top.
    for (const l of h.logs.values()) l.stall();
    const restarted = await h.restart();
    const fh2 = offsetFetchHandler(groupsContext(restarted));
    const v1 = await call(fh2, 1, { groupId: 'g1', topics: [{ name: 't', partitionIndexes: [1] }] });
    assert.equal(v1.topics[0]!.partitions[0]!.errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    const v3 = await call(fh2, 3, { groupId: 'g1', topics: [{ name: 't', partitionIndexes: [1] }] });
    assert.equal(v3.errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    for (const l of h.logs.values()) l.unstall();
    await restarted.coordinator.shutdown();
  });

  test('DescribeGroups v0-5, ListGroups v0-5, DeleteGroups v0-2, OffsetDelete v0', async () => {
    const { h, broker } = setup();
    const jh = joinGroupHandler(broker);
    const j = await call(jh, 5, { groupId: 'live', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: 'consumer', protocols, groupInstanceId: 'inst' }, h);
    await call(syncGroupHandler(broker), 3, { groupId: 'live', generationId: 1, memberId: j.memberId, groupInstanceId: 'inst', assignments: [{ memberId: j.memberId, assignment: assignment([2]) }] });
    await call(offsetCommitHandler(broker), 2, { groupId: 'idle', generationIdOrMemberEpoch: -1, memberId: '', retentionTimeMs: -1n, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }] });

    const dh = describeGroupsHandler(broker);
    for (const v of versions(dh)) {
      const r = await call(dh, v, { groups: ['live', 'ghost'], includeAuthorizedOperations: v >= 3 });
      const [live, ghost] = r.groups;
      assert.deepEqual([live!.groupState, live!.protocolType, live!.protocolData], ['Stable', 'consumer', 'range'], `v${v}`);
      assert.equal(live!.members[0]!.groupInstanceId, v >= 4 ? 'inst' : null);
      assert.deepEqual(live!.members[0]!.memberAssignment, assignment([2]));
      // READ, DELETE, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS: what Kafka 4.1 answers without an authorizer.
      assert.equal(live!.authorizedOperations, v >= 3 ? (1 << 3) | (1 << 6) | (1 << 8) | (1 << 10) | (1 << 11) : -2147483648);
      assert.deepEqual([ghost!.errorCode, ghost!.groupState], [0, 'Dead']);
    }

    const lh = listGroupsHandler(broker);
    for (const v of versions(lh)) {
      const r = await call(lh, v, { statesFilter: v >= 4 ? ['Empty'] : [], typesFilter: [] });
      const ids = r.groups.map((g) => g.groupId).sort();
      assert.deepEqual(ids, v >= 4 ? ['idle'] : ['idle', 'live'], `v${v}: states are filtered from v4`);
      if (v >= 4) assert.equal(r.groups[0]!.groupState, 'Empty');
      if (v >= 5) assert.equal(r.groups[0]!.groupType, 'classic');
    }

    const oh = offsetDeleteHandler(broker);
    const od = await call(oh, 0, { groupId: 'idle', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }, { name: 'zzz', partitions: [{ partitionIndex: 0 }] }] });
    assert.deepEqual(
      od.topics.map((t) => [t.name, t.partitions.map((p) => p.errorCode)]),
      [
        ['t', [ErrorCode.NONE]],
        ['zzz', [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]],
      ],
    );
    assert.equal((await call(oh, 0, { groupId: 'live', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }] })).topics[0]!.partitions[0]!.errorCode, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);

    const gh = deleteGroupsHandler(broker);
    for (const v of versions(gh)) {
      const r = await call(gh, v, { groupsNames: ['live', 'nope'] });
      assert.deepEqual(
        r.results.map((x) => x.errorCode),
        [ErrorCode.NON_EMPTY_GROUP, ErrorCode.GROUP_ID_NOT_FOUND],
        `v${v}`,
      );
    }
    assert.deepEqual((await call(gh, 2, { groupsNames: ['idle'] })).results.map((x) => [x.groupId, x.errorCode]), [['idle', 0]]);
  });
});
