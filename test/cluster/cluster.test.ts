// Three brokers, each its own process, form a cluster on one etcd: every broker lists all of
// them with their racks and the same controller; a topic with RF=3 is placed on all three
// whichever broker is asked; a second broker with a taken node.id refuses to start; a broker
// killed without deregistering leaves the cluster after its session, its leaderships move to
// ISR members and a new controller is elected; a controller paused past its session is replaced
// and rejoins as a broker when resumed. Reads ask each broker itself (Metadata v12); topics are
// created with KafkaJS, as users do.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { startEtcd, type RunningEtcd } from './fixtures/etcd.js';
import { eventually, metadataOf, TestCluster, type ClusterBroker } from './fixtures/brokers.js';
import { call, RawClient } from '../e2e/raw-client.js';
import { InitProducerId } from '../../src/protocol/generated/index.js';

const SESSION_MS = 3000;
let etcd: RunningEtcd;
let cluster: TestCluster;
const admins: Admin[] = [];

async function admin(b: ClusterBroker): Promise<Admin> {
  const a = new Kafka({ clientId: 'cluster-test', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } }).admin();
  await a.connect();
  admins.push(a);
  return a;
}

const running = () => cluster.brokers.filter((b) => b.child.exitCode === null && b.child.signalCode === null);
const ids = (m: { brokers: { nodeId: number }[] }) => m.brokers.map((b) => b.nodeId).sort();

before(async () => {
  etcd = await startEtcd();
  cluster = new TestCluster(etcd.endpoint, { 'broker.session.timeout.ms': SESSION_MS, 'broker.heartbeat.interval.ms': 500 });
  for (const id of [1, 2, 3]) await cluster.start(id, { 'broker.rack': `rack-${id}` });
});

after(async () => {
  for (const a of admins) await a.disconnect().catch(() => undefined);
  await cluster?.stop();
  await etcd?.stop();
});

test('every broker lists all three, with their endpoints and racks, and the same controller', async () => {
  for (const b of cluster.brokers) {
    const m = await eventually(`broker ${b.nodeId} sees three brokers`, 10_000, async () => {
      const x = await metadataOf(b);
      return x.brokers.length === 3 ? x : undefined;
    });
    for (const other of cluster.brokers) {
      const listed = m.brokers.find((x) => x.nodeId === other.nodeId)!;
      assert.equal(`${listed.host}:${listed.port}`, other.bootstrap);
      assert.equal(listed.rack, `rack-${other.nodeId}`);
    }
    assert.equal(m.controllerId, 1, 'the first broker to start won the election');
  }
});

test('a topic created with RF=3 on a broker that is not the controller gets replicas on all three', async () => {
  const a = await admin(cluster.brokers[2]!);
  assert.equal(await a.createTopics({ topics: [{ topic: 'replicated', numPartitions: 3, replicationFactor: 3 }], waitForLeaders: false }), true);
  for (const b of cluster.brokers) {
    const topic = await eventually(`broker ${b.nodeId} sees the topic`, 10_000, async () => {
      const t = (await metadataOf(b, ['replicated'])).topics[0];
      return t?.partitions.length === 3 ? t : undefined;
    });
    for (const p of topic.partitions) assert.deepEqual([...p.replicaNodes].sort(), [1, 2, 3], `partition ${p.partitionIndex}`);
    assert.deepEqual(topic.partitions.map((p) => p.replicaNodes[0]).sort(), [1, 2, 3], 'leaders spread over the brokers');
  }
  await assert.rejects(a.createTopics({ topics: [{ topic: 'too-wide', replicationFactor: 4 }] }), (e: { errors?: { type: string }[] }) => e.errors?.[0]?.type === 'INVALID_REPLICATION_FACTOR');
  assert.equal(await a.createTopics({ topics: [{ topic: 'replicated' }] }), false, 'TOPIC_ALREADY_EXISTS: not created');
});

test('two brokers creating the same topic at once: only one creates it', async () => {
  const [a2, a3] = [await admin(cluster.brokers[1]!), await admin(cluster.brokers[2]!)];
  const results = await Promise.all([a2, a3].map((a) => a.createTopics({ topics: [{ topic: 'raced', numPartitions: 2, replicationFactor: 2 }], waitForLeaders: false })));
  assert.deepEqual(results.sort(), [false, true]);
});

test('partitions, topic configs and deletion asked of a non-controller reach every broker', async () => {
  const a = await admin(cluster.brokers[1]!);
  await a.createPartitions({ topicPartitions: [{ topic: 'raced', count: 4 }] });
  await a.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'raced', configEntries: [{ name: 'retention.ms', value: '60000' }] }] });
  for (const b of cluster.brokers) {
    const t = await eventually(`broker ${b.nodeId} sees four partitions`, 10_000, async () => {
      const x = (await metadataOf(b, ['raced'])).topics[0]!;
      return x.partitions.length === 4 ? x : undefined;
    });
    for (const p of t.partitions) assert.equal(new Set(p.replicaNodes).size, 2, `partition ${p.partitionIndex} keeps RF=2`);
    const described = await (await admin(b)).describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: 'raced', configNames: ['retention.ms'] }] });
    assert.equal(described.resources[0]!.configEntries[0]!.configValue, '60000', `broker ${b.nodeId}`);
  }
  await a.deleteTopics({ topics: ['raced'] });
  for (const b of cluster.brokers) {
    await eventually(`broker ${b.nodeId} forgets the topic`, 10_000, async () => ((await metadataOf(b, ['raced'])).topics[0]!.errorCode === 3 ? true : undefined));
  }
});

test('InitProducerId on any broker gives an id no other broker gave (blocks allocated cluster-wide, not per broker)', async () => {
  const ids: bigint[] = [];
  for (const b of cluster.brokers) {
    const [host, port] = b.bootstrap.split(':');
    const c = await RawClient.open(Number(port), host);
    try {
      for (let i = 0; i < 3; i++) {
        const res = await call(c, InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
        assert.equal(res.errorCode, 0, `InitProducerId on broker ${b.nodeId}`);
        ids.push(res.producerId);
      }
    } finally {
      c.close();
    }
  }
  assert.equal(new Set(ids).size, ids.length, `nine producers, nine ids: ${ids.join(', ')}`);
});

test('a second broker with a taken node.id refuses to start, naming the id', async () => {
  await assert.rejects(cluster.start(2), /node\.id 2 is already registered in etcd/);
});

test('a killed controller leaves the cluster after its session; leaders move to ISR members; a new controller is elected', async () => {
  const [killed, ...rest] = cluster.brokers;
  const before = (await metadataOf(rest[0]!, ['replicated'])).topics[0]!;
  const led = before.partitions.filter((p) => p.leaderId === killed!.nodeId);
  assert.equal(led.length, 1, 'the killed broker led one partition');
  const killedAt = Date.now();
  killed!.kill('SIGKILL');
  await killed!.exited();
  for (const b of rest) {
    const m = await eventually(`broker ${b.nodeId} drops broker 1 and has a new controller`, SESSION_MS + 10_000, async () => {
      const x = await metadataOf(b, ['replicated']);
      return x.brokers.length === 2 && x.controllerId !== 1 && x.controllerId !== -1 && x.topics[0]!.partitions.every((p) => p.leaderId !== 1) ? x : undefined;
    });
    assert.deepEqual(ids(m), [2, 3]);
    for (const p of m.topics[0]!.partitions) {
      assert.ok(!p.isrNodes.includes(1), `partition ${p.partitionIndex}: the dead broker left the ISR (${p.isrNodes})`);
      assert.ok(p.isrNodes.includes(p.leaderId), `partition ${p.partitionIndex}: its leader ${p.leaderId} is in the ISR`);
    }
    const moved = m.topics[0]!.partitions.find((p) => p.partitionIndex === led[0]!.partitionIndex)!;
    assert.equal(moved.leaderId, led[0]!.isrNodes.find((id) => id !== 1), 'the first live ISR member leads');
    assert.equal(moved.leaderEpoch, led[0]!.leaderEpoch + 1, 'a new leader, a new leader epoch');
  }
  assert.ok(Date.now() - killedAt >= SESSION_MS - 1000, 'not before the session could expire');
});

test('a controller paused past its session is replaced; resumed, it rejoins as a broker under the new controller', async () => {
  const live = running();
  const controllerId = (await metadataOf(live[0]!)).controllerId;
  const paused = live.find((b) => b.nodeId === controllerId)!;
  const other = live.find((b) => b !== paused)!;
  paused.kill('SIGSTOP');
  try {
    await eventually(`broker ${other.nodeId} takes over`, SESSION_MS + 10_000, async () => {
      const m = await metadataOf(other);
      return m.controllerId === other.nodeId && m.brokers.length === 1 ? m : undefined;
    });
  } finally {
    paused.kill('SIGCONT');
  }
  for (const b of [paused, other]) {
    await eventually(`broker ${b.nodeId} sees the paused one back, under the new controller`, 15_000, async () => {
      const m = await metadataOf(b);
      return m.brokers.length === 2 && m.controllerId === other.nodeId ? m : undefined;
    });
  }
  assert.match(paused.stderr(), /etcd lease lost/);
});

test('a killed broker restarted with its node.id registers again once its session expired', async () => {
  const restarted = await cluster.start(1, { 'broker.rack': 'rack-1' });
  const m = await eventually('three brokers again', 10_000, async () => {
    const x = await metadataOf(restarted);
    return x.brokers.length === 3 ? x : undefined;
  });
  assert.deepEqual(ids(m), [1, 2, 3]);
});

test('a broker stopped with SIGTERM deregisters at once, without waiting for its session', async () => {
  const stopping = running().find((b) => b.nodeId === 1)!;
  const stayed = running().filter((b) => b !== stopping);
  const started = Date.now();
  stopping.kill('SIGTERM');
  assert.equal(await stopping.exited(), 0);
  for (const b of stayed) {
    await eventually(`broker ${b.nodeId} drops broker 1`, SESSION_MS, async () => ((await metadataOf(b)).brokers.length === 2 ? true : undefined));
  }
  assert.ok(Date.now() - started < SESSION_MS, 'before its session could have expired');
});
