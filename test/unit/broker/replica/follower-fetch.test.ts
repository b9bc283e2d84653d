// KIP-392 in the replica manager: with replica.selector.class, a leader answers a consumer's
// fetch (client metadata, Fetch v11+) of a partition with a same-rack in-sync follower with that
// follower's id and no records; a follower serves consumers with client metadata up to its own
// high watermark (read_committed: its last stable offset), checks their current leader epoch,
// and still refuses consumers without client metadata (Fetch v10-) with NOT_LEADER_OR_FOLLOWER.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerConfig } from '../../../../src/broker/config.js';
import { ErrorCode } from '../../../../src/broker/errors.js';
import type { TopicImage as TopicMetadata } from '../../../../src/broker/metadata/image.js';
import { ReplicaManager, type FetchParams } from '../../../../src/broker/replica/replica-manager.js';
import { RACK_AWARE_REPLICA_SELECTOR } from '../../../../src/broker/replica/replica-selector.js';
import { buildRecordBatch } from '../../../../src/protocol/records/index.js';
import { createLogger } from '../../../../src/util/logger.js';
import { MockTime } from '../../../../src/util/time.js';

const NODE = 1;
const RACKS = new Map([[1, 'rack-a'], [2, 'rack-b'], [3, 'rack-c']]);
let dir: string;
const time = new MockTime();
const topics = new Map<string, TopicMetadata>();
const managers: ReplicaManager[] = [];
/** Brokers registered (alive) in the metadata this node sees. */
const alive = new Set([1, 2, 3]);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'samsa-follower-fetch-'));
});
after(async () => {
  for (const m of managers) await m.close();
  await rm(dir, { recursive: true, force: true });
});

async function manager(name: string, overrides: Record<string, string> = {}): Promise<ReplicaManager> {
  const config = BrokerConfig.fromSources({ overrides: { 'log.dirs': join(dir, name), 'broker.rack': RACKS.get(NODE)!, ...overrides } });
  const rm = await ReplicaManager.open(
    { nodeId: NODE, config, logger: createLogger('silent'), metadata: { topic: (t) => topics.get(t), broker: (id) => (alive.has(id) ? { id, endpoints: [], rack: RACKS.get(id) ?? null } : undefined) } },
    { time, verifyTransaction: async () => new Map() },
  );
  managers.push(rm);
  return rm;
}

const batch = (n: number, baseOffset = 0n) => {
  const b = buildRecordBatch(Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`r${i}`) })), { timestamp: time.now() });
  b.writeBigInt64BE(baseOffset, 0);
  return b;
};

const consumer = (name: string, fetchOffset: bigint, over: Partial<FetchParams> & { currentLeaderEpoch?: number } = {}): FetchParams => ({
  replicaId: -1,
  maxWaitMs: 0,
  minBytes: 1,
  maxBytes: 1 << 20,
  isolationLevel: 0,
  partitions: [{ topic: name, partition: 0, fetchOffset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: over.currentLeaderEpoch ?? -1, lastFetchedEpoch: -1 }],
  ...over,
});

/** A led partition on replicas [1, 2, 3], ISR [1, 2]: 4 records, follower 2 caught up to them (the high watermark). */
async function ledPartition(rm: ReplicaManager, name: string) {
  const t: TopicMetadata = { name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ replicas: [1, 2, 3], isr: [1, 2], leader: NODE, leaderEpoch: 4, partitionEpoch: 1 }], configs: {}, internal: false };
  topics.set(name, t);
  const p = (await rm.applyRegistration(t, 0))!;
  await rm.appendRecords({ requiredAcks: 1, timeoutMs: 1000, apiVersion: 9, transactionalId: null, entries: [{ topic: name, partition: 0, records: batch(4) }] });
  await rm.fetchMessages({ ...consumer(name, 4n), replicaId: 2, partitions: [{ topic: name, partition: 0, fetchOffset: 4n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: 4, lastFetchedEpoch: 4, logStartOffset: 0n }] });
  return p;
}

test('leader with RackAwareReplicaSelector: a consumer in an in-sync follower\'s rack is sent there, with offsets and no records', async () => {
  const rm = await manager('selector', { 'replica.selector.class': RACK_AWARE_REPLICA_SELECTOR });
  const p = await ledPartition(rm, 'sel');
  assert.equal(p.replicaState(2)?.logEndOffset, 4n);
  assert.equal(p.replicaState(2)?.logStartOffset, 0n, 'the follower\'s log start, from its fetch');

  const [sent] = await rm.fetchMessages(consumer('sel', 0n, { clientMetadata: { rackId: 'rack-b' } }));
  assert.equal(sent!.errorCode, ErrorCode.NONE);
  assert.equal(sent!.preferredReadReplica, 2);
  assert.equal(sent!.records.length, 0);
  assert.equal(sent!.highWatermark, 4n);
  assert.equal(sent!.logStartOffset, 0n);

  // The leader's own rack, a rack with no replica, no rack, or no client metadata: read here.
  for (const clientMetadata of [{ rackId: 'rack-a' }, { rackId: 'rack-z' }, { rackId: '' }, undefined]) {
    const [here] = await rm.fetchMessages(consumer('sel', 0n, { clientMetadata }));
    assert.equal(here!.preferredReadReplica, -1, JSON.stringify(clientMetadata));
    assert.ok(here!.records.length > 0);
  }
  // Follower 3 is not in the ISR: it does not qualify, even after a fetch.
  await rm.fetchMessages({ ...consumer('sel', 0n), replicaId: 3 });
  const [notInSync] = await rm.fetchMessages(consumer('sel', 0n, { clientMetadata: { rackId: 'rack-c' } }));
  assert.equal(notInSync!.preferredReadReplica, -1);
  // Beyond what follower 2 has: stays on the leader.
  await rm.appendRecords({ requiredAcks: 1, timeoutMs: 1000, apiVersion: 9, transactionalId: null, entries: [{ topic: 'sel', partition: 0, records: batch(2) }] });
  const [ahead] = await rm.fetchMessages(consumer('sel', 5n, { clientMetadata: { rackId: 'rack-b' } }));
  assert.equal(ahead!.preferredReadReplica, -1);
  // Not registered (dead) or out of the ISR: stays on the leader.
  alive.delete(2);
  const [dead] = await rm.fetchMessages(consumer('sel', 0n, { clientMetadata: { rackId: 'rack-b' } }));
  assert.equal(dead!.preferredReadReplica, -1);
  alive.add(2);
  await rm.applyRegistration({ ...topics.get('sel')!, partitions: [{ replicas: [1, 2, 3], isr: [1], leader: NODE, leaderEpoch: 4, partitionEpoch: 2 }] }, 0);
  const [outOfSync] = await rm.fetchMessages(consumer('sel', 0n, { clientMetadata: { rackId: 'rack-b' } }));
  assert.equal(outOfSync!.preferredReadReplica, -1);
  // A replica's own fetch is never redirected.
  const [replica] = await rm.fetchMessages({ ...consumer('sel', 0n), replicaId: 3, clientMetadata: { rackId: 'rack-b' } });
  assert.equal(replica!.preferredReadReplica, -1);
  assert.ok(replica!.records.length > 0);
});

test('without replica.selector.class the leader never redirects', async () => {
  const rm = await manager('no-selector');
  await ledPartition(rm, 'plain');
  const [here] = await rm.fetchMessages(consumer('plain', 0n, { clientMetadata: { rackId: 'rack-b' } }));
  assert.equal(here!.preferredReadReplica, -1);
  assert.ok(here!.records.length > 0);
});

test('a follower serves consumers with client metadata up to its high watermark, checking the leader epoch', async () => {
  const rm = await manager('follower');
  const t: TopicMetadata = { name: 'followed', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ replicas: [2, NODE], isr: [2, NODE], leader: 2, leaderEpoch: 3, partitionEpoch: 1 }], configs: {}, internal: false };
  topics.set('followed', t);
  const p = (await rm.applyRegistration(t, 0))!;
  assert.equal(p.isLeader, false);
  rm.fetchers.removePartition(p); // no leader to reach here: the test plays the fetcher
  await p.appendAsFollower(batch(3, 0n));
  await p.appendAsFollower(batch(2, 3n));
  p.updateFollowerHighWatermark(3n);

  const [read] = await rm.fetchMessages(consumer('followed', 0n, { clientMetadata: { rackId: 'rack-a' } }));
  assert.equal(read!.errorCode, ErrorCode.NONE);
  assert.equal(read!.highWatermark, 3n);
  assert.equal(read!.preferredReadReplica, -1, 'only a leader redirects');
  assert.equal(read!.records.readBigInt64BE(0), 0n);
  assert.equal(read!.records.length, batch(3).length, 'the batch above the follower\'s high watermark is not served');
  const [atHw] = await rm.fetchMessages(consumer('followed', 3n, { clientMetadata: { rackId: '' } }));
  assert.equal(atHw!.errorCode, ErrorCode.NONE);
  assert.equal(atHw!.records.length, 0);
  // Past the follower's log end: out of range (the consumer goes back to the leader, KIP-392).
  const [beyond] = await rm.fetchMessages(consumer('followed', 9n, { clientMetadata: { rackId: '' } }));
  assert.equal(beyond!.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);

  // The current leader epoch is checked as on the leader.
  const epoch = async (currentLeaderEpoch: number) => (await rm.fetchMessages(consumer('followed', 0n, { currentLeaderEpoch, clientMetadata: { rackId: '' } })))[0]!.errorCode;
  assert.equal(await epoch(3), ErrorCode.NONE);
  assert.equal(await epoch(2), ErrorCode.FENCED_LEADER_EPOCH);
  assert.equal(await epoch(4), ErrorCode.UNKNOWN_LEADER_EPOCH);

  // Without client metadata (Fetch v10-): leader only, as before.
  const [old] = await rm.fetchMessages(consumer('followed', 0n));
  assert.equal(old!.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);

  // A long poll on the follower answers when the leader's high watermark reaches it.
  const waiting = rm.fetchMessages(consumer('followed', 3n, { maxWaitMs: 10_000, clientMetadata: { rackId: '' } }));
  await new Promise((r) => setImmediate(r));
  p.updateFollowerHighWatermark(5n);
  const [woke] = await waiting;
  assert.equal(woke!.highWatermark, 5n);
  assert.equal(woke!.records.readBigInt64BE(0), 3n);
});

test('read_committed on a follower stops at its last stable offset (an open transaction replicated without its marker)', async () => {
  const rm = await manager('follower-txn');
  const t: TopicMetadata = { name: 'txn-followed', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ replicas: [2, NODE], isr: [2, NODE], leader: 2, leaderEpoch: 1, partitionEpoch: 1 }], configs: {}, internal: false };
  topics.set('txn-followed', t);
  const p = (await rm.applyRegistration(t, 0))!;
  rm.fetchers.removePartition(p);
  await p.appendAsFollower(batch(2, 0n));
  const txn = buildRecordBatch([{ key: null, value: Buffer.from('in-txn') }], { timestamp: time.now(), producerId: 7n, producerEpoch: 0, baseSequence: 0, transactional: true });
  txn.writeBigInt64BE(2n, 0);
  await p.appendAsFollower(txn);
  p.updateFollowerHighWatermark(3n);
  assert.equal(p.lastStableOffset, 2n);
  const [committed] = await rm.fetchMessages(consumer('txn-followed', 0n, { isolationLevel: 1, clientMetadata: { rackId: '' } }));
  assert.equal(committed!.lastStableOffset, 2n);
  assert.equal(committed!.records.length, batch(2).length);
  const [uncommitted] = await rm.fetchMessages(consumer('txn-followed', 0n, { clientMetadata: { rackId: '' } }));
  assert.equal(uncommitted!.records.length, batch(2).length + txn.length);
});
