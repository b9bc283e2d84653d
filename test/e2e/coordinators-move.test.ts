// The group coordinator moves with its __consumer_offsets partition, three brokers in one
// process sharing one metadata store (the test plays the controller): offsets committed on the
// first leader are replicated (RF 3, the configured offsets.topic.replication.factor); when the
// test moves leadership, the old leader answers NOT_COORDINATOR and the new one serves the
// committed offsets it loaded from its replica of the log; KafkaJS follows FindCoordinator.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Broker } from '../../src/broker/broker.js';
import { BrokerConfig } from '../../src/broker/config.js';
import { ErrorCode } from '../../src/broker/errors.js';
import { Connection } from '../../src/client/connection.js';
import { OffsetFetch } from '../../src/protocol/generated/apis/9-offset-fetch.js';
import { createLogger } from '../../src/util/logger.js';
import { SharedMetadataStore } from './fixtures/cluster-store.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');

const OFFSETS = '__consumer_offsets';
const GROUP = 'moving-group';
let root: string;
const store = new SharedMetadataStore('coordinators-move-cluster');
const brokers = new Map<number, Broker>();

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const address = (id: number) => brokers.get(id)!.advertisedListeners()[0]!;
const kafka = () => new Kafka({ brokers: [...brokers.keys()].map((id) => `${address(id).host}:${address(id).port}`), clientId: 'coordinators-move', logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });

/** OffsetFetch v5 of the group asked of broker `id` itself: its error and partition 0's committed offset. */
async function offsetFetchOn(id: number): Promise<{ errorCode: number; offset: bigint }> {
  const conn = await Connection.connect({ host: address(id).host, port: address(id).port });
  try {
    const res = await conn.request(OffsetFetch, { groupId: GROUP, topics: [{ name: 'data', partitionIndexes: [0] }], groups: [], requireStable: false }, { version: 5 });
    return { errorCode: res.errorCode, offset: res.topics[0]?.partitions[0]?.committedOffset ?? -1n };
  } finally {
    conn.close();
  }
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'samsa-coordinators-move-'));
  for (const id of [1, 2, 3]) {
    const config = new BrokerConfig(new Map(Object.entries({ 'node.id': String(id), listeners: `PLAINTEXT://127.0.0.${id}:0`, 'log.dirs': join(root, `broker-${id}`), 'offsets.topic.num.partitions': '1' })));
    const broker = new Broker({ config, logger: createLogger('silent'), metadataStore: store, replication: { replicaLagTimeMaxMs: 5000, fetch: { backoffMs: 50, waitMaxMs: 200 } } });
    await broker.start();
    brokers.set(id, broker);
  }
});

after(async () => {
  for (const b of brokers.values()) await b.close();
  await rm(root, { recursive: true, force: true });
});

test('offsets committed on one leader are served by the next, and the old leader answers NOT_COORDINATOR', async () => {
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'data', numPartitions: 1, replicationFactor: 3 }] });
    await admin.setOffsets({ groupId: GROUP, topic: 'data', partitions: [{ partition: 0, offset: '42' }] });
    const reg = store.image.partition(OFFSETS, 0)!;
    assert.deepEqual([...reg.replicas].sort(), [1, 2, 3], 'offsets.topic.replication.factor (3) replicas');
    const first = reg.leader;
    assert.deepEqual(await offsetFetchOn(first), { errorCode: ErrorCode.NONE, offset: 42n });
    // Every replica has the commit before leadership moves (the leader's high watermark covers it).
    const leaderLog = brokers.get(first)!.replicas.partition(OFFSETS, 0)!;
    await eventually('the followers have the commit', async () => [...brokers.values()].every((b) => b.replicas.partition(OFFSETS, 0)!.logEndOffset === leaderLog.logEndOffset));

    const next = [1, 2, 3].find((id) => id !== first)!;
    await store.elect(OFFSETS, 0, next, [next, ...[1, 2, 3].filter((id) => id !== next)]);
    assert.equal((await offsetFetchOn(first)).errorCode, ErrorCode.NOT_COORDINATOR);
    await eventually(`broker ${next} serves the group`, async () => (await offsetFetchOn(next)).errorCode === ErrorCode.NONE);
    assert.deepEqual(await offsetFetchOn(next), { errorCode: ErrorCode.NONE, offset: 42n });
    const fetched = await admin.fetchOffsets({ groupId: GROUP, topics: ['data'] });
    assert.equal(fetched[0]!.partitions[0]!.offset, '42');

    // And back: the first broker loads it again at the newer epoch, with a commit made meanwhile.
    await admin.setOffsets({ groupId: GROUP, topic: 'data', partitions: [{ partition: 0, offset: '43' }] });
    const nextLog = brokers.get(next)!.replicas.partition(OFFSETS, 0)!;
    await eventually('the followers have the second commit', async () => [...brokers.values()].every((b) => b.replicas.partition(OFFSETS, 0)!.logEndOffset === nextLog.logEndOffset));
    await store.elect(OFFSETS, 0, first, [1, 2, 3]);
    assert.equal((await offsetFetchOn(next)).errorCode, ErrorCode.NOT_COORDINATOR);
    await eventually(`broker ${first} serves the group again`, async () => (await offsetFetchOn(first)).errorCode === ErrorCode.NONE);
    assert.deepEqual(await offsetFetchOn(first), { errorCode: ErrorCode.NONE, offset: 43n });
  } finally {
    await admin.disconnect();
  }
});
