// Three brokers, each its own process, form a cluster on one etcd: every broker lists all of
// them and the same controller; a topic with RF=3 is placed on all three whichever broker is
// asked; a second broker with a taken node.id refuses to start; a broker killed without
// deregistering leaves the cluster after its session, its leaderships move to ISR members and
// a new controller is elected when it was the controller.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { startEtcd, type RunningEtcd } from './fixtures/etcd.js';
import { eventually, TestCluster, type ClusterBroker } from './fixtures/brokers.js';

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

test('every broker lists all three and the same controller', async () => {
  for (const b of cluster.brokers) {
    const described = await eventually(`broker ${b.nodeId} sees three brokers`, 10_000, async () => {
      const d = await (await admin(b)).describeCluster();
      return d.brokers.length === 3 ? d : undefined;
    });
    assert.deepEqual(described.brokers.map((x) => x.nodeId).sort(), [1, 2, 3]);
    assert.deepEqual(described.brokers.map((x) => x.port).sort(), cluster.brokers.map((x) => Number(x.bootstrap.split(':')[1])).sort());
    assert.equal(described.controller, 1, 'the first broker to start won the election');
  }
});

test('a topic created with RF=3 on a broker that is not the controller gets replicas on all three', async () => {
  const a = await admin(cluster.brokers[2]!);
  assert.equal(await a.createTopics({ topics: [{ topic: 'replicated', numPartitions: 3, replicationFactor: 3 }], waitForLeaders: false }), true);
  for (const b of cluster.brokers) {
    const meta = await eventually(`broker ${b.nodeId} sees the topic`, 10_000, async () => {
      const m = await (await admin(b)).fetchTopicMetadata({ topics: ['replicated'] });
      return m.topics[0]?.partitions.length === 3 ? m.topics[0] : undefined;
    });
    const partitions = [...meta.partitions].sort((x, y) => x.partitionId - y.partitionId);
    for (const p of partitions) assert.deepEqual([...p.replicas].sort(), [1, 2, 3], `partition ${p.partitionId}`);
    assert.deepEqual(partitions.map((p) => p.replicas[0]).sort(), [1, 2, 3], 'leaders spread over the brokers');
  }
  await assert.rejects(a.createTopics({ topics: [{ topic: 'too-wide', replicationFactor: 4 }] }), (e: { errors?: { type: string }[] }) => e.errors?.[0]?.type === 'INVALID_REPLICATION_FACTOR');
  assert.equal(await a.createTopics({ topics: [{ topic: 'replicated' }] }), false, 'TOPIC_ALREADY_EXISTS: not created');
});

test('two brokers creating the same topic at once: only one creates it', async () => {
  const [a2, a3] = [await admin(cluster.brokers[1]!), await admin(cluster.brokers[2]!)];
  const results = await Promise.all([a2, a3].map((a) => a.createTopics({ topics: [{ topic: 'raced', numPartitions: 2, replicationFactor: 2 }], waitForLeaders: false })));
  assert.deepEqual(results.sort(), [false, true]);
});

test('a second broker with a taken node.id refuses to start, naming the id', async () => {
  await assert.rejects(cluster.start(2), /node\.id 2 is already registered in etcd/);
});

test('a killed controller leaves the cluster after its session; leaders move to ISR members; a new controller is elected', async () => {
  const [killed, ...rest] = cluster.brokers;
  const before = await (await admin(rest[0]!)).fetchTopicMetadata({ topics: ['replicated'] });
  const led = before.topics[0]!.partitions.filter((p) => p.leader === killed!.nodeId);
  assert.equal(led.length, 1, 'the killed broker led one partition');
  const killedAt = Date.now();
  killed!.kill('SIGKILL');
  await killed!.exited();
  for (const b of rest) {
    const d = await eventually(`broker ${b.nodeId} drops broker 1`, SESSION_MS + 10_000, async () => {
      const x = await (await admin(b)).describeCluster();
      return x.brokers.length === 2 && x.controller !== 1 && x.controller !== -1 && x.controller !== null ? x : undefined;
    });
    assert.deepEqual(d.brokers.map((x) => x.nodeId).sort(), [2, 3]);
    const meta = await eventually(`broker ${b.nodeId} sees new leaders`, 10_000, async () => {
      const m = await (await admin(b)).fetchTopicMetadata({ topics: ['replicated'] });
      return m.topics[0]!.partitions.every((p) => p.leader !== 1 && p.leader !== -1) ? m.topics[0]! : undefined;
    });
    for (const p of meta.partitions) {
      assert.ok(!p.isr.includes(1), `partition ${p.partitionId}: the dead broker left the ISR (${p.isr})`);
      assert.ok(p.isr.includes(p.leader), `partition ${p.partitionId}: its leader ${p.leader} is in the ISR`);
    }
    const moved = meta.partitions.find((p) => p.partitionId === led[0]!.partitionId)!;
    assert.equal(moved.leader, [...led[0]!.isr].find((id) => id !== 1), 'the first live ISR member leads');
  }
  assert.ok(Date.now() - killedAt >= SESSION_MS - 1000, 'not before the session could expire');
});
