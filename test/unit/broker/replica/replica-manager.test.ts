// The replica manager's data path with a virtual clock: acks=all waits in the produce purgatory
// until the ISR has the records (on one node: at once), a follower's fetch moves its replica
// state and completes that wait, long polls wait for bytes or maxWaitMs, and a replica id that
// is not a follower changes nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, rm as rmDir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerConfig } from '../../../../src/broker/config.js';
import { ErrorCode } from '../../../../src/broker/errors.js';
import { newPartition as newPartitionRegistration, type TopicImage as TopicMetadata } from '../../../../src/broker/metadata/image.js';
import { ReplicaManager, type FetchParams } from '../../../../src/broker/replica/replica-manager.js';
import { buildRecordBatch } from '../../../../src/protocol/records/index.js';
import { createLogger } from '../../../../src/util/logger.js';
import { MockTime, settle } from '../../../../src/util/time.js';

const NODE = 1;
let dir: string;
let time: MockTime;
let replicas: ReplicaManager;
const topics = new Map<string, TopicMetadata>();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'samsa-replica-manager-'));
  time = new MockTime();
  const config = BrokerConfig.fromSources({ overrides: { 'log.dirs': dir } });
  replicas = await ReplicaManager.open({ nodeId: NODE, config, logger: createLogger('silent'), metadata: { topic: (name) => topics.get(name) } }, { time, verifyTransaction: async () => new Map() });
});
after(async () => {
  await replicas?.close();
  await rm(dir, { recursive: true, force: true });
});

async function topic(name: string, internal = false): Promise<void> {
  const t: TopicMetadata = { name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [newPartitionRegistration([1])], configs: {}, internal };
  topics.set(name, t);
  await replicas.openPartition(t, 0);
}

const records = (n = 1) => buildRecordBatch(Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`r${i}`) })), { timestamp: time.now() });

const produce = (name: string, requiredAcks: number, timeoutMs = 1000) => replicas.appendRecords({ requiredAcks, timeoutMs, apiVersion: 9, transactionalId: null, entries: [{ topic: name, partition: 0, records: records(2) }] });

const fetchParams = (name: string, fetchOffset: bigint, over: Partial<FetchParams> = {}): FetchParams => ({ replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, partitions: [{ topic: name, partition: 0, fetchOffset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }], ...over });

/** Waits for the appends' file I/O (real, on the threadpool): turns of the event loop, bounded by a generous wall-clock limit for loaded machines. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition() && Date.now() < deadline) await settle();
  assert.ok(condition(), 'condition not reached');
}

test('one node: acks=all answers once appended; the partition-level refusals come in request order', async () => {
  await topic('single');
  await topic('__internal', true);
  const results = await replicas.appendRecords({
    requiredAcks: -1,
    timeoutMs: 1000,
    apiVersion: 9,
    transactionalId: null,
    entries: [
      { topic: 'single', partition: 0, records: records(2) },
      { topic: 'missing', partition: 0, records: records() },
      { topic: '__internal', partition: 0, records: records() },
      { topic: 'single', partition: 0, records: null },
    ],
  });
  assert.deepEqual(results.map((r) => [r.topic, r.errorCode, r.baseOffset]), [['single', ErrorCode.NONE, 0n], ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n], ['__internal', ErrorCode.INVALID_TOPIC_EXCEPTION, -1n], ['single', ErrorCode.INVALID_RECORD, -1n]]);
  assert.equal(replicas.producePurgatory.delayed, 0);
  assert.equal(replicas.partition('single', 0)!.highWatermark, 2n);
});

test("acks=all with a follower in the ISR waits until the follower's fetch covers the records", async () => {
  await topic('replicated');
  const p = replicas.partition('replicated', 0)!;
  p.makeLeader({ leaderEpoch: 1, partitionEpoch: 1, replicas: [NODE, 2], isr: [NODE, 2] });
  const acked = produce('replicated', -1);
  await until(() => replicas.producePurgatory.delayed === 1);
  assert.equal(p.logEndOffset, 2n);
  assert.equal(p.highWatermark, 0n);
  // The follower reads to the log end offset, above the high watermark.
  const [read] = await replicas.fetchMessages(fetchParams('replicated', 0n, { replicaId: 2 }));
  assert.ok(read!.records.length > 0);
  assert.equal(p.replicaState(2)?.logEndOffset, 0n);
  assert.equal(replicas.producePurgatory.delayed, 1);
  await replicas.fetchMessages(fetchParams('replicated', 2n, { replicaId: 2 }));
  assert.equal(p.highWatermark, 2n);
  const [result] = await acked;
  assert.equal(result!.errorCode, ErrorCode.NONE);
  assert.equal(result!.baseOffset, 0n);
});

test('acks=all that the ISR does not catch up with answers REQUEST_TIMED_OUT at timeoutMs; acks=1 does not wait', async () => {
  await topic('stuck');
  replicas.partition('stuck', 0)!.makeLeader({ leaderEpoch: 1, partitionEpoch: 1, replicas: [NODE, 2], isr: [NODE, 2] });
  const [one] = await produce('stuck', 1);
  assert.equal(one!.errorCode, ErrorCode.NONE);
  const acked = produce('stuck', -1, 300);
  await until(() => replicas.producePurgatory.delayed === 1);
  await time.advance(299);
  assert.equal(replicas.producePurgatory.delayed, 1);
  await time.advance(1);
  const [result] = await acked;
  assert.equal(result!.errorCode, ErrorCode.REQUEST_TIMED_OUT);
});

test('a long poll answers when an append brings minBytes, else at maxWaitMs with nothing', async () => {
  await topic('poll');
  const waiting = replicas.fetchMessages(fetchParams('poll', 0n, { maxWaitMs: 500 }));
  await until(() => replicas.fetchPurgatory.delayed === 1);
  await produce('poll', 1);
  const [got] = await waiting;
  assert.ok(got!.records.length > 0);
  assert.equal(got!.highWatermark, 2n);

  const idle = replicas.fetchMessages(fetchParams('poll', 2n, { maxWaitMs: 500 }));
  await until(() => replicas.fetchPurgatory.delayed === 1);
  await time.advance(500);
  const [none] = await idle;
  assert.equal(none!.records.length, 0);
  assert.equal(none!.errorCode, ErrorCode.NONE);
});

test('a replica id that is not a follower of the partition reads to the log end and changes no replica state', async () => {
  await topic('stranger');
  const p = replicas.partition('stranger', 0)!;
  await produce('stranger', 1);
  const before = { hw: p.highWatermark, isr: [...p.isr], replicas: [...p.assignedReplicas], local: { ...p.replicaState(NODE)! } };
  const [asReplica] = await replicas.fetchMessages(fetchParams('stranger', 0n, { replicaId: 7 }));
  const [asConsumer] = await replicas.fetchMessages(fetchParams('stranger', 0n));
  assert.deepEqual(asReplica, asConsumer);
  assert.equal(p.replicaState(7), undefined);
  assert.deepEqual({ hw: p.highWatermark, isr: [...p.isr], replicas: [...p.assignedReplicas], local: { ...p.replicaState(NODE)! } }, before);
});

test('stopping answers waiting fetches at once', async () => {
  await topic('stopping');
  const waiting = replicas.fetchMessages(fetchParams('stopping', 0n, { maxWaitMs: 60_000 }));
  await until(() => replicas.fetchPurgatory.delayed === 1);
  replicas.stopWaiting();
  const [r] = await waiting;
  assert.equal(r!.records.length, 0);
  assert.equal(time.pending, 0);
});

test('ISR: the periodic check proposes a lagging follower out; acks=all waits until the image commits it, then answers', async () => {
  const proposals: unknown[] = [];
  const ownDir = await mkdtemp(join(tmpdir(), 'samsa-replica-manager-isr-'));
  const config = BrokerConfig.fromSources({ overrides: { 'log.dirs': ownDir } });
  const t: TopicMetadata = { name: 'isr', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ replicas: [NODE, 2], isr: [NODE, 2], leader: NODE, leaderEpoch: 3, partitionEpoch: 7 }], configs: {}, internal: false };
  const rm = await ReplicaManager.open({ nodeId: NODE, config, logger: createLogger('silent'), metadata: { topic: () => t } }, { time, verifyTransaction: async () => new Map(), replicaLagTimeMaxMs: 1000, alterPartition: async (c) => void proposals.push(c) });
  try {
    const p = (await rm.applyRegistration(t, 0))!;
    assert.equal(p.isLeader, true);
    assert.equal(p.leaderEpoch, 3);
    const acked = rm.appendRecords({ requiredAcks: -1, timeoutMs: 60_000, apiVersion: 9, transactionalId: null, entries: [{ topic: 'isr', partition: 0, records: records(2) }] });
    await until(() => rm.producePurgatory.delayed === 1);
    await time.advance(1000);
    assert.deepEqual(proposals, [], 'caught up a second ago: still in sync');
    await time.advance(500);
    assert.deepEqual(proposals, [{ type: 'alterPartition', topic: 'isr', partition: 0, leaderEpoch: 3, partitionEpoch: 7, isr: [NODE] }]);
    assert.deepEqual(p.isr, [NODE, 2]);
    assert.equal(rm.producePurgatory.delayed, 1, 'proposed, not committed: acks=all still waits for follower 2');
    // The store committed it: the next image brings it back.
    await rm.applyRegistration({ ...t, partitions: [{ ...t.partitions[0]!, isr: [NODE], partitionEpoch: 8 }] }, 0);
    assert.deepEqual(p.isr, [NODE]);
    const [result] = await acked;
    assert.equal(result!.errorCode, ErrorCode.NONE);
    assert.equal(p.highWatermark, 2n);
  } finally {
    await rm.close();
    await rmDir(ownDir, { recursive: true, force: true });
  }
});

test('a partition whose image names another leader follows it: clients get NOT_LEADER_OR_FOLLOWER for produce and fetch', async () => {
  const ownDir = await mkdtemp(join(tmpdir(), 'samsa-replica-manager-follower-'));
  const config = BrokerConfig.fromSources({ overrides: { 'log.dirs': ownDir } });
  const t: TopicMetadata = { name: 'followed', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ replicas: [2, NODE], isr: [2, NODE], leader: 2, leaderEpoch: 1, partitionEpoch: 1 }], configs: {}, internal: false };
  const rm = await ReplicaManager.open({ nodeId: NODE, config, logger: createLogger('silent'), metadata: { topic: () => t } }, { time, verifyTransaction: async () => new Map() });
  try {
    const p = (await rm.applyRegistration(t, 0))!;
    assert.equal(p.isLeader, false);
    assert.equal(rm.fetchers.sourceOf(p), 2, 'fetched from the leader');
    const [produced] = await rm.appendRecords({ requiredAcks: 1, timeoutMs: 1000, apiVersion: 9, transactionalId: null, entries: [{ topic: 'followed', partition: 0, records: records() }] });
    assert.equal(produced!.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const [fetched] = await rm.fetchMessages({ replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, partitions: [{ topic: 'followed', partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] });
    assert.equal(fetched!.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    // Elected here: the fetcher stops, produces are taken.
    await rm.applyRegistration({ ...t, partitions: [{ ...t.partitions[0]!, leader: NODE, leaderEpoch: 2, partitionEpoch: 2 }] }, 0);
    assert.equal(rm.fetchers.sourceOf(p), undefined);
    const [again] = await rm.appendRecords({ requiredAcks: 1, timeoutMs: 1000, apiVersion: 9, transactionalId: null, entries: [{ topic: 'followed', partition: 0, records: records() }] });
    assert.equal(again!.errorCode, ErrorCode.NONE);
    assert.equal(p.log.endOffsetForEpoch(2).endOffset, 1n);
  } finally {
    await rm.close();
    await rmDir(ownDir, { recursive: true, force: true });
  }
});
