// Partition reassignment across broker processes on one etcd (KIP-455), through KafkaJS's admin
// client: a 4th broker started later receives a partition moved off broker 1 while a producer
// keeps writing; once the new replica is in sync the reassignment completes (replicas = target,
// the removed leader replaced), broker 1 deletes its copy, and every acknowledged record is read
// back from the new leader.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { startEtcd, type RunningEtcd } from './fixtures/etcd.js';
import { eventually, metadataOf, TestCluster } from './fixtures/brokers.js';

const TOPIC = 'moving';
let etcd: RunningEtcd;
let cluster: TestCluster;
let admin: Admin | undefined;

const running = () => cluster.brokers.filter((b) => b.child.exitCode === null && b.child.signalCode === null);
const kafka = () => new Kafka({ clientId: 'cluster-reassign', brokers: running().map((b) => b.bootstrap), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 2000 } });
const exists = (path: string) => access(path).then(() => true, () => false);

before(async () => {
  etcd = await startEtcd();
  cluster = new TestCluster(etcd.endpoint, { 'broker.session.timeout.ms': 6000, 'broker.heartbeat.interval.ms': 500, 'replica.fetch.backoff.ms': 100, 'replica.fetch.wait.max.ms': 200 });
  for (const id of [1, 2, 3]) await cluster.start(id);
  admin = kafka().admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, replicaAssignment: [{ partition: 0, replicas: [1] }] }] });
});

after(async () => {
  await admin?.disconnect().catch(() => undefined);
  await cluster?.stop();
  await etcd?.stop();
});

test('a partition moved from broker 1 onto a new broker 4 (and 2) under produce: completes, the old copy deleted, nothing lost', async () => {
  const producer = kafka().producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const acked: string[] = [];
  let producing = true;
  const loop = (async () => {
    for (let i = 0; producing; i++) {
      const batch = Array.from({ length: 20 }, (_, j) => `r-${i * 20 + j}`);
      await producer.send({ topic: TOPIC, acks: -1, messages: batch.map((value) => ({ partition: 0, value })) });
      acked.push(...batch);
    }
  })();
  try {
    await eventually('some records acknowledged', 20_000, async () => (acked.length >= 200 ? true : undefined));
    const b1 = cluster.brokers.find((b) => b.nodeId === 1)!;
    const b4 = await cluster.start(4);
    await eventually('broker 4 registered', 20_000, async () => ((await metadataOf(b1)).brokers.some((b) => b.nodeId === 4) ? true : undefined));
    await admin!.alterPartitionReassignments({ topics: [{ topic: TOPIC, partitionAssignment: [{ partition: 0, replicas: [4, 2] }] }] });
    const done = await eventually('the reassignment completed', 60_000, async () => {
      const p = (await metadataOf(b4, [TOPIC])).topics[0]?.partitions[0];
      const listed = await admin!.listPartitionReassignments({});
      return p && listed.topics.length === 0 && p.replicaNodes.join() === '4,2' ? p : undefined;
    });
    assert.ok([4, 2].includes(done.leaderId), `the leader ${done.leaderId} is a target replica`);
    assert.deepEqual([...done.isrNodes].sort(), [2, 4]);
    await eventually("broker 1 deleted its copy", 20_000, async () => (!(await exists(join(b1.dir, `${TOPIC}-0`))) ? true : undefined));
  } finally {
    producing = false;
    await loop.catch((e) => assert.fail(`producer failed: ${(e as Error).message}`));
    await producer.disconnect();
  }
  // Every acknowledged record read back (from the new leader) exactly once.
  const consumer = kafka().consumer({ groupId: 'reassign-check' });
  await consumer.connect();
  const seen: string[] = [];
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
  try {
    await eventually('every acknowledged record consumed', 60_000, async () => (seen.length >= acked.length ? true : undefined));
  } finally {
    await consumer.disconnect();
  }
  assert.deepEqual(seen.slice(0, acked.length), acked);
});
