// Consumer groups, classic protocol: OffsetCommit, OffsetFetch, OffsetDelete, DescribeGroups,
// ListGroups and DeleteGroups at every version both brokers serve, and the versions Kafka 4 removed.
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
