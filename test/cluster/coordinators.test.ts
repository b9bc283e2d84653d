// The coordinators follow their partitions' leaders, on three broker processes and one etcd:
// the internal topics are created with RF=3 (min ISR 2 for __transaction_state); a transactional
// producer's markers reach partitions led by the other brokers (a read_committed group consumer
// sees the committed records, never the aborted ones); and after the broker leading the group's
// and the transactional id's coordinator partitions stops (SIGTERM), the new leaders load them:
// the same transactional producer commits again and the group goes on from its committed offsets.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { partitionForKey } from '../../src/coordinators/runtime/partitioning.js';
import { startEtcd, type RunningEtcd } from './fixtures/etcd.js';
import { eventually, metadataOf, TestCluster, type ClusterBroker } from './fixtures/brokers.js';

const SESSION_MS = 3000;
const INTERNAL_PARTITIONS = 3;
const GROUP = 'followers';
const TOPIC = 'txn-out';
let etcd: RunningEtcd;
let cluster: TestCluster;
let kafka: Kafka;
const clients: { disconnect(): Promise<void> }[] = [];

const running = () => cluster.brokers.filter((b) => b.child.exitCode === null && b.child.signalCode === null);

before(async () => {
  etcd = await startEtcd();
  cluster = new TestCluster(etcd.endpoint, {
    'broker.session.timeout.ms': SESSION_MS,
    'broker.heartbeat.interval.ms': 500,
    'offsets.topic.num.partitions': INTERNAL_PARTITIONS,
    'transaction.state.log.num.partitions': INTERNAL_PARTITIONS,
    'group.initial.rebalance.delay.ms': 0,
  });
  for (const id of [1, 2, 3]) await cluster.start(id);
  for (const b of cluster.brokers) await eventually(`broker ${b.nodeId} sees three brokers`, 10_000, async () => ((await metadataOf(b)).brokers.length === 3 ? true : undefined));
  kafka = new Kafka({ clientId: 'coordinators-test', brokers: cluster.brokers.map((b) => b.bootstrap), logLevel: logLevel.NOTHING, retry: { retries: 12, initialRetryTime: 200, maxRetryTime: 2000 } });
});

after(async () => {
  for (const c of clients) await c.disconnect().catch(() => undefined);
  await cluster?.stop();
  await etcd?.stop();
});

async function connected<T extends { connect(): Promise<void>; disconnect(): Promise<void> }>(c: T): Promise<T> {
  await c.connect();
  clients.push(c);
  return c;
}

/** The leader of a partition as a running broker reports it. */
async function leaderOf(topic: string, partition: number): Promise<number> {
  const m = await metadataOf(running()[0]!, [topic]);
  const p = m.topics.find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === partition);
  return p?.leaderId ?? -1;
}

const groupPartition = partitionForKey(GROUP, INTERNAL_PARTITIONS);
const CANDIDATE_IDS = Array.from({ length: 32 }, (_, i) => `txn-${i}`);
let producer: Producer;
let consumer: Consumer;
const seen: string[] = [];

async function commitTransaction(values: string[], by: Producer = producer): Promise<void> {
  const txn = await by.transaction();
  await txn.send({ topic: TOPIC, messages: values.map((value, i) => ({ value, partition: i % 3 })) });
  await txn.commit();
}

test('a transaction over partitions led by every broker: committed records reach a read_committed group, aborted ones never', async () => {
  const admin: Admin = await connected(kafka.admin());
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true });
  const leaders = new Set(await Promise.all([0, 1, 2].map((p) => leaderOf(TOPIC, p))));
  assert.equal(leaders.size, 3, 'the three partitions are led by three brokers');

  producer = await connected(kafka.producer({ transactionalId: 'txn-first', idempotent: true, maxInFlightRequests: 1 }));
  await commitTransaction(['c1', 'c2', 'c3']);
  const aborted = await producer.transaction();
  await aborted.send({ topic: TOPIC, messages: [0, 1, 2].map((partition) => ({ value: 'aborted', partition })) });
  await aborted.abort();
  await commitTransaction(['c4', 'c5', 'c6']);

  consumer = await connected(kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500, readUncommitted: false, retry: { retries: 20 } }));
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({ autoCommitInterval: 200, eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
  await eventually('the consumer sees the six committed records', 30_000, async () => (seen.length >= 6 ? true : undefined));
  assert.deepEqual([...seen].sort(), ['c1', 'c2', 'c3', 'c4', 'c5', 'c6']);

  for (const topic of ['__consumer_offsets', '__transaction_state']) {
    const m = await metadataOf(running()[0]!, [topic]);
    const t = m.topics.find((x) => x.name === topic)!;
    assert.equal(t.partitions.length, INTERNAL_PARTITIONS);
    for (const p of t.partitions) assert.equal(p.replicaNodes.length, 3, `${topic}-${p.partitionIndex} has three replicas`);
  }
});

test('the coordinators move with their partitions: after their leader stops, a transactional producer commits again and the group goes on', async () => {
  const coordinatorBroker = await leaderOf('__consumer_offsets', groupPartition);
  // A transactional id coordinated by the same broker as the group.
  const txnLeaders = await Promise.all(Array.from({ length: INTERNAL_PARTITIONS }, (_, p) => leaderOf('__transaction_state', p)));
  const transactionalId = CANDIDATE_IDS.find((id) => txnLeaders[partitionForKey(id, INTERNAL_PARTITIONS)] === coordinatorBroker);
  assert.ok(transactionalId, `some transactional id is coordinated by broker ${coordinatorBroker} (leaders ${txnLeaders.join(',')})`);
  const moving = await connected(kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 }));
  await commitTransaction(['m1', 'm2', 'm3'], moving);
  await eventually('the group sees the records of the moving producer', 30_000, async () => (seen.length >= 9 ? true : undefined));
  // The group has committed what it consumed (each partition: c, marker, aborted, marker, c, marker, m): nothing is read again.
  const admin = await connected(kafka.admin());
  await eventually('the group commits its offsets', 10_000, async () => {
    const offsets = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    return offsets[0]!.partitions.every((p) => Number(p.offset) >= 7) ? true : undefined;
  });

  const victim = cluster.brokers.find((b) => b.nodeId === coordinatorBroker) as ClusterBroker;
  victim.kill('SIGTERM');
  await victim.exited();
  await eventually('other brokers lead the coordinator partitions', 15_000, async () => {
    const a = await leaderOf('__consumer_offsets', groupPartition);
    const b = await leaderOf('__transaction_state', partitionForKey(transactionalId, INTERNAL_PARTITIONS));
    return a >= 0 && a !== coordinatorBroker && b >= 0 && b !== coordinatorBroker ? true : undefined;
  });

  await commitTransaction(['d1', 'd2', 'd3'], moving);
  await commitTransaction(['e1', 'e2', 'e3']);
  // At least once: a record read again after the group moved is allowed, a record missing is not.
  await eventually('the group sees the records committed after the move', 40_000, async () => (new Set(seen).size >= 15 ? true : undefined));
  assert.deepEqual([...new Set(seen)].sort(), ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'd1', 'd2', 'd3', 'e1', 'e2', 'e3', 'm1', 'm2', 'm3']);
});
