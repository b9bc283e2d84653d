// Three brokers in one process on 127.0.0.1-3, sharing one metadata store (the test plays the
// controller): a topic with three replicas takes KafkaJS's acks=all produces, followers copy the
// leader byte for byte up to the high watermark; a stopped follower leaves the ISR after
// replica.lag.time.max.ms and rejoins once restarted and caught up; when the test moves
// leadership (a new leader epoch), the old leader truncates the records it had not replicated.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Broker } from '../../src/broker/broker.js';
import { BrokerConfig } from '../../src/broker/config.js';
import { createLogger } from '../../src/util/logger.js';
import { SharedMetadataStore } from './fixtures/cluster-store.js';
import { Connection } from '../../src/client/connection.js';
import { Fetch } from '../../src/protocol/generated/apis/1-fetch.js';
import { Produce } from '../../src/protocol/generated/apis/0-produce.js';
import { buildRecordBatch } from '../../src/protocol/records/index.js';
import { ErrorCode } from '../../src/broker/errors.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');

const TOPIC = 'replicated';
// Short for the test, long enough that a loaded machine's pauses do not shrink the ISR spuriously.
const LAG_MS = 2000;
const IDS = [1, 2, 3];

async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('replication between three brokers', () => {
  let root: string;
  const store = new SharedMetadataStore();
  const brokers = new Map<number, Broker>();

  async function startNode(id: number): Promise<Broker> {
    const config = new BrokerConfig(
      new Map(
        Object.entries({
          'node.id': String(id),
          listeners: `PLAINTEXT://127.0.0.${id}:0`,
          'log.dirs': join(root, `broker-${id}`),
          'offsets.topic.replication.factor': '1',
          'transaction.state.log.replication.factor': '1',
          'transaction.state.log.min.isr': '1',
        }),
      ),
    );
    const broker = new Broker({ config, logger: createLogger('silent'), metadataStore: store, replication: { replicaLagTimeMaxMs: LAG_MS, fetch: { backoffMs: 50, waitMaxMs: 200 } } });
    await broker.start();
    brokers.set(id, broker);
    return broker;
  }
  async function stopNode(id: number): Promise<void> {
    await brokers.get(id)!.close();
    brokers.delete(id);
  }
  const registration = () => store.image.partition(TOPIC, 0)!;
  const bootstrap = () => [...brokers.values()].map((b) => `${b.advertisedListeners()[0]!.host}:${b.advertisedListeners()[0]!.port}`);
  const kafka = () => new Kafka({ brokers: bootstrap(), clientId: 'replication-e2e', logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
  const partitionOn = (id: number) => brokers.get(id)!.replicas.partition(TOPIC, 0)!;
  /** What a replica holds up to `end`, as stored. */
  const bytesOn = (id: number, end: bigint) => partitionOn(id).log.readRecords(0n, 64 << 20, end, true);

  /** Every running replica has the leader's log end and high watermark, and the same bytes below it. */
  async function converged(): Promise<void> {
    const leader = registration().leader;
    await eventually('the replicas caught up with the leader', () => {
      const l = partitionOn(leader);
      return [...brokers.keys()].every((id) => partitionOn(id).logEndOffset === l.logEndOffset && partitionOn(id).highWatermark === l.highWatermark);
    });
    const hw = partitionOn(leader).highWatermark;
    const expected = await bytesOn(leader, hw);
    for (const id of brokers.keys()) assert.ok((await bytesOn(id, hw)).equals(expected), `broker ${id} holds the leader's bytes up to ${hw}`);
  }

  async function produce(values: string[], acks: number): Promise<void> {
    const producer = kafka().producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await producer.send({ topic: TOPIC, acks, timeout: 20_000, messages: values.map((value) => ({ value })) });
    } finally {
      await producer.disconnect();
    }
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'samsa-replication-'));
    for (const id of IDS) await startNode(id);
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
    await admin.disconnect();
  });
  after(async () => {
    for (const id of [...brokers.keys()]) await stopNode(id);
    await rm(root, { recursive: true, force: true });
  });

  test('acks=all produces are replicated: every replica holds the same bytes up to the high watermark', async () => {
    assert.deepEqual([...registration().replicas].sort(), IDS);
    await produce(Array.from({ length: 50 }, (_, i) => `first-${i}`), -1);
    const leader = registration().leader;
    assert.ok(partitionOn(leader).highWatermark >= 50n, 'acknowledged means below the high watermark');
    await converged();
    for (const id of IDS) assert.equal(partitionOn(id).isLeader, id === leader);
    await eventually('every replica is in the ISR', () => registration().isr.length === IDS.length);
  });

  test("a follower answers clients' produce with NOT_LEADER_OR_FOLLOWER, naming the leader and where it is (KIP-951); it serves Fetch v11+ consumers (KIP-392), not v10-", async () => {
    const { leader, leaderEpoch } = registration();
    const follower = registration().replicas.find((id) => id !== leader)!;
    const at = brokers.get(follower)!.advertisedListeners()[0]!;
    const conn = await Connection.connect({ host: at.host, port: at.port });
    try {
      const records = buildRecordBatch([{ key: null, value: Buffer.from('to-a-follower') }], { timestamp: Date.now() });
      const produced = await conn.request(Produce, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }] }, { version: 11 });
      const p = produced.responses[0]!.partitionResponses[0]!;
      assert.equal(p.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      assert.deepEqual([p.currentLeader.leaderId, p.currentLeader.leaderEpoch], [leader, leaderEpoch]);
      const leaderAt = brokers.get(leader)!.advertisedListeners()[0]!;
      assert.deepEqual(produced.nodeEndpoints.map((e) => [e.nodeId, e.host, e.port]), [[leader, leaderAt.host, leaderAt.port]]);
      const topicId = store.image.topic(TOPIC)!.topicId;
      // Kafka's follower fetching (KIP-392): a consumer's Fetch v11+ carries client metadata and
      // is served by a follower, up to the follower's high watermark; v10- stays leader-only.
      const fetchFrom = (version: number) => conn.request(Fetch, { clusterId: null, replicaId: -1, replicaState: { replicaId: -1, replicaEpoch: -1n }, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: TOPIC, topicId, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA' }] }], forgottenTopicsData: [], rackId: '' }, { version });
      const served = (await fetchFrom(17)).responses[0]!.partitions[0]!;
      assert.equal(served.errorCode, ErrorCode.NONE);
      assert.equal(served.highWatermark, partitionOn(follower).highWatermark);
      assert.ok(served.highWatermark > 0n && served.records!.length > 0, 'the follower served its records');
      const refused = (await fetchFrom(10)).responses[0]!.partitions[0]!;
      assert.equal(refused.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    } finally {
      conn.close();
    }
    assert.equal(partitionOn(follower).logEndOffset, partitionOn(leader).logEndOffset, 'the refused records went nowhere');
  });

  test('a stopped follower leaves the ISR after replica.lag.time.max.ms; restarted, it catches up and rejoins', async () => {
    const leader = registration().leader;
    const follower = registration().replicas.find((id) => id !== leader)!;
    const epoch = registration().partitionEpoch;
    await stopNode(follower);
    // acks=all waits for the whole ISR: it completes once the stopped follower is out of it.
    await produce(['while-stopped-0', 'while-stopped-1'], -1);
    assert.ok(!registration().isr.includes(follower), 'the follower left the ISR');
    assert.ok(registration().partitionEpoch > epoch);
    assert.ok(store.committed.some((c) => c.type === 'alterPartition' && !c.isr.includes(follower)), 'the leader proposed the shrink');
    assert.ok(!partitionOn(leader).isr.includes(follower), 'the leader acts on the committed ISR');

    await startNode(follower);
    await eventually('the restarted follower is back in the ISR', () => registration().isr.includes(follower));
    assert.ok(partitionOn(leader).isr.includes(follower));
    await converged();
  });

  test('a new leader epoch: the old leader truncates the records it had not replicated, then follows', async () => {
    const oldLeader = registration().leader;
    const [next, other] = registration().replicas.filter((id) => id !== oldLeader) as [number, number];
    const replicatedEnd = partitionOn(oldLeader).logEndOffset;
    // The followers go away: what the old leader takes now (acks=1) nobody else has.
    await stopNode(next);
    await stopNode(other);
    await produce(['divergent-0', 'divergent-1', 'divergent-2'], 1);
    assert.equal(partitionOn(oldLeader).logEndOffset, replicatedEnd + 3n);
    await stopNode(oldLeader);

    await startNode(next);
    await startNode(other);
    await store.elect(TOPIC, 0, next, [next, other]);
    assert.equal(partitionOn(next).isLeader, true);
    const newEpoch = registration().leaderEpoch;
    assert.equal(partitionOn(next).leaderEpoch, newEpoch);

    await startNode(oldLeader);
    assert.equal(partitionOn(oldLeader).isLeader, false);
    await produce(['after-election-0', 'after-election-1'], -1);
    await eventually('the old leader is back in the ISR', () => registration().isr.includes(oldLeader));
    await converged();
    const end = partitionOn(next).highWatermark;
    assert.equal(end, replicatedEnd + 2n);
    const onOldLeader = (await bytesOn(oldLeader, end)).toString('latin1');
    assert.ok(!onOldLeader.includes('divergent-'), 'the unreplicated records are gone');
    assert.ok(onOldLeader.includes('after-election-1'));
    assert.equal(partitionOn(oldLeader).log.endOffsetForEpoch(newEpoch).endOffset, end, "the old leader's epoch cache has the new epoch");
  });
});
