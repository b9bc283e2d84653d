// auto.leader.rebalance.enable (Kafka's default true) with a 1 s leader.imbalance.check.interval.seconds:
// a preferred leader killed and restarted gets its leadership back once it is in the ISR, with
// no ElectLeaders asked, at a new leader epoch.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startEtcd, type RunningEtcd } from './fixtures/etcd.js';
import { createPreferredOnOne, eventually, metadataOf, TestCluster, type ClusterBroker } from './fixtures/brokers.js';

const TOPIC = 'rebalanced';
let etcd: RunningEtcd;
let cluster: TestCluster;

const running = () => cluster.brokers.filter((b) => b.child.exitCode === null && b.child.signalCode === null);
const partition0 = async (b: ClusterBroker) => (await metadataOf(b, [TOPIC])).topics[0]!.partitions.find((p) => p.partitionIndex === 0)!;

before(async () => {
  etcd = await startEtcd();
  cluster = new TestCluster(etcd.endpoint, { 'broker.session.timeout.ms': 6000, 'broker.heartbeat.interval.ms': 500, 'replica.lag.time.max.ms': 1500, 'replica.fetch.backoff.ms': 100, 'replica.fetch.wait.max.ms': 200, 'leader.imbalance.check.interval.seconds': 1 });
  for (const id of [1, 2, 3]) await cluster.start(id);
});

after(async () => {
  await cluster?.stop();
  await etcd?.stop();
});

test('a restarted preferred leader gets its partition back by itself', async () => {
  const b1 = cluster.brokers.find((b) => b.nodeId === 1)!;
  await createPreferredOnOne(cluster, TOPIC);
  b1.kill('SIGKILL');
  await b1.exited();
  const moved = await eventually('leadership leaves the killed broker', 20_000, async () => {
    const p = await partition0(running()[0]!);
    return p.leaderId !== 1 && p.leaderId !== -1 ? p : undefined;
  });
  const back = await cluster.start(1, {}, b1.dir);
  const p = await eventually('broker 1 leads again', 60_000, async () => {
    const q = await partition0(back);
    return q.leaderId === 1 ? q : undefined;
  });
  assert.ok(p.leaderEpoch > moved.leaderEpoch);
  assert.ok(p.isrNodes.includes(1));
  const log = running().map((b) => b.stderr()).join('\n');
  assert.match(log, /preferred leaders elected \(auto\.leader\.rebalance\.enable\)/);
});
