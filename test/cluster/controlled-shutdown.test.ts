// Controlled shutdown (KRaft's, on etcd): a SIGTERM'd broker asks the controller to move its
// leaderships before it leaves. Three brokers, an RF=3 topic with min.insync.replicas=2 led by
// broker 2 on two of its partitions, and an RF=1 topic only broker 2 holds; a KafkaJS idempotent
// acks=all producer sends all along. Read from etcd's own history: the commit that moved every
// leadership and ISR place away from broker 2 comes before its registration went, the RF=1
// partition kept it as leader (nobody else has its records) without holding the shutdown up;
// the producer saw no failed send, every acknowledged record is read back once, and broker 2
// restarted rejoins every ISR. A broker cut off from etcd still stops, after its bounded wait;
// a single node (no etcd) has no controller to ask and stops as before.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3, type IKeyValue } from 'etcd3';
import { Kafka, logLevel } from 'kafkajs';
import { startEtcd, type RunningEtcd } from './fixtures/etcd.js';
import { startProxy } from './fixtures/proxy.js';
import { eventually, metadataOf, readToEnd, TestCluster, type ClusterBroker } from './fixtures/brokers.js';
import type { PartitionRegistration } from '../../src/broker/metadata/image.js';
import { startBroker } from '../../src/index.js';
import { createLogger } from '../../src/util/logger.js';

const TOPIC = 'orders';
const SOLO = 'solo';
const PREFIX = '/samsa';
let etcd: RunningEtcd;
let cluster: TestCluster;
let client: Etcd3;

const running = () => cluster.brokers.filter((b) => b.child.exitCode === null && b.child.signalCode === null);
const broker = (id: number) => running().find((b) => b.nodeId === id)!;
const kafka = () => new Kafka({ clientId: 'controlled-shutdown', brokers: running().map((b) => b.bootstrap), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 2000 } });
const partitionsOn = async (b: ClusterBroker, topic = TOPIC) => (await metadataOf(b, [topic])).topics[0]!.partitions.sort((x, y) => x.partitionIndex - y.partitionIndex);

before(async () => {
  etcd = await startEtcd();
  client = new Etcd3({ hosts: [etcd.endpoint] });
  cluster = new TestCluster(etcd.endpoint, { 'broker.session.timeout.ms': 6000, 'broker.heartbeat.interval.ms': 500, 'replica.lag.time.max.ms': 1500, 'replica.fetch.backoff.ms': 100, 'replica.fetch.wait.max.ms': 200 });
  for (const id of [1, 2, 3]) await cluster.start(id);
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [
        { topic: TOPIC, replicaAssignment: [{ partition: 0, replicas: [2, 1, 3] }, { partition: 1, replicas: [2, 3, 1] }, { partition: 2, replicas: [1, 2, 3] }], configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
        { topic: SOLO, replicaAssignment: [{ partition: 0, replicas: [2] }] },
      ],
    });
  } finally {
    await admin.disconnect();
  }
  for (const b of running()) await eventually(`broker ${b.nodeId} lists the full ISRs`, 20_000, async () => ((await partitionsOn(b)).every((p) => p.isrNodes.length === 3) ? true : undefined));
});

after(async () => {
  client?.close();
  await cluster?.stop();
  await etcd?.stop();
});

interface KeyEvent {
  readonly type: 'put' | 'delete';
  readonly key: string;
  readonly value: string;
  readonly revision: bigint;
}

/** etcd's own history of the cluster's keys from `revision` on, as its watch replays it. */
async function watchFrom(revision: string): Promise<{ events: KeyEvent[]; stop: () => Promise<void> }> {
  const events: KeyEvent[] = [];
  const watcher = await client.watch().prefix(`${PREFIX}/`).startRevision(revision).create();
  const record = (type: 'put' | 'delete') => (kv: IKeyValue) => events.push({ type, key: kv.key.toString(), value: kv.value.toString(), revision: BigInt(kv.mod_revision) });
  watcher.on('put', record('put'));
  watcher.on('delete', record('delete'));
  return { events, stop: () => watcher.cancel() };
}

test('SIGTERM of a leader: leaderships and ISR places move before it deregisters, the producer never fails, nothing acknowledged is lost, and it rejoins', async (t) => {
  const victim = broker(2);
  const before = await partitionsOn(broker(1));
  assert.deepEqual(before.map((p) => p.leaderId), [2, 2, 1], 'broker 2 leads partitions 0 and 1');
  const start = String((await client.get(`${PREFIX}/cluster-id`).exec()).header.revision);
  const history = await watchFrom(String(BigInt(start) + 1n));
  t.after(() => history.stop());

  const producer = kafka().producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const acked: string[] = [];
  const failures: string[] = [];
  let stop = false;
  const sending = (async () => {
    for (let i = 0; !stop; i++) {
      const value = `v-${i}`;
      try {
        await producer.send({ topic: TOPIC, acks: -1, timeout: 10_000, messages: [{ partition: i % 3, value }] });
        acked.push(value);
      } catch (e) {
        failures.push(`${value}: ${(e as Error).message}`);
      }
    }
  })();
  try {
    await eventually('records are acknowledged before the SIGTERM', 20_000, async () => (acked.length >= 60 ? true : undefined));
    victim.kill('SIGTERM');
    assert.equal(await victim.exited(), 0, `broker 2 stopped cleanly:\n${victim.stderr().slice(-3000)}`);
    const atExit = acked.length;
    await eventually('the producer goes on after broker 2 left', 20_000, async () => (acked.length >= atExit + 60 ? true : undefined));
  } finally {
    stop = true;
    await sending;
    await producer.disconnect();
  }
  // etcd's order: the move, then the deregistration.
  await eventually('etcd has replayed the deregistration', 10_000, async () => (history.events.some((e) => e.type === 'delete' && e.key === `${PREFIX}/brokers/2`) ? true : undefined));
  const deregistered = history.events.find((e) => e.type === 'delete' && e.key === `${PREFIX}/brokers/2`)!.revision;
  const topicAt = (name: string, rev: bigint) => {
    const last = history.events.filter((e) => e.key === `${PREFIX}/topics/${name}` && e.type === 'put' && e.revision < rev).at(-1);
    return last && (JSON.parse(last.value) as { partitions: PartitionRegistration[] }).partitions;
  };
  const moved = topicAt(TOPIC, deregistered);
  assert.ok(moved, 'the topic was rewritten before broker 2 deregistered');
  for (const [i, p] of moved.entries()) {
    assert.notEqual(p.leader, 2, `partition ${i} led by another broker before the deregistration`);
    assert.ok(!p.isr.includes(2), `broker 2 out of partition ${i}'s ISR before the deregistration`);
    assert.ok(before[i]!.isrNodes.includes(p.leader), `partition ${i}'s new leader was in its ISR`);
    assert.equal(p.leaderEpoch, before[i]!.leaderEpoch + (before[i]!.leaderId === 2 ? 1 : 0), `partition ${i}'s leader epoch moved once, only where the leader changed`);
  }
  const mark = history.events.find((e) => e.type === 'put' && e.key === `${PREFIX}/controlled-shutdown/2`);
  assert.ok(mark && mark.revision < deregistered, 'the controller marked broker 2 in controlled shutdown while it was registered');
  assert.ok(history.events.some((e) => e.type === 'delete' && e.key === `${PREFIX}/controlled-shutdown/2` && e.revision === deregistered), 'the mark went with its lease');
  assert.ok(history.events.some((e) => e.key === `${PREFIX}/topics/${TOPIC}` && e.type === 'put' && e.revision === mark.revision), 'the move was committed with the mark, in one transaction');
  const solo = topicAt(SOLO, deregistered);
  assert.ok(solo === undefined || solo[0]!.leader === 2, 'the only ISR member kept leading its partition until it left');
  assert.deepEqual(failures, [], 'no send failed (retriable errors stay inside the producer)');
  assert.match(victim.stderr(), /"msg":"controlled shutdown complete"/, 'the wait ended by the controller, not by its bound (the RF=1 partition does not hold it up)');

  // What clients see now: broker 2 in no ISR, leading nothing; its RF=1 partition offline.
  for (const p of await partitionsOn(broker(1))) {
    assert.notEqual(p.leaderId, 2);
    assert.ok(!p.isrNodes.includes(2));
  }
  assert.equal((await partitionsOn(broker(1), SOLO))[0]!.leaderId, -1);

  const values = (await Promise.all([0, 1, 2].map((p) => readToEnd(cluster, TOPIC, p)))).flat();
  assert.equal(new Set(values).size, values.length, 'no record is duplicated');
  const stored = new Set(values);
  assert.deepEqual(acked.filter((v) => !stored.has(v)), [], 'no acknowledged record is lost');

  await cluster.start(2, {}, victim.dir);
  for (const b of running()) {
    await eventually(`broker ${b.nodeId} lists broker 2 in every ISR again`, 30_000, async () => ((await partitionsOn(b)).every((p) => p.isrNodes.includes(2)) ? true : undefined));
  }
  await eventually('the RF=1 partition is back online on broker 2', 20_000, async () => ((await partitionsOn(broker(1), SOLO))[0]!.leaderId === 2 ? true : undefined));
});

for (const [how, nodeId] of [['cut', 4], ['stall', 5]] as const) {
  test(`a broker whose etcd connection is ${how === 'cut' ? 'cut (refused)' : 'a black hole (requests hang)'} still stops on SIGTERM, its controlled-shutdown wait bounded by samsa.controlled.shutdown.timeout.ms`, async () => {
    const proxy = await startProxy(etcd.endpoint);
    try {
      const b = await cluster.start(nodeId, { 'samsa.etcd.endpoints': proxy.url, 'samsa.controlled.shutdown.timeout.ms': 2000 });
      await eventually(`broker ${nodeId} is registered`, 10_000, async () => ((await metadataOf(broker(1))).brokers.some((r) => r.nodeId === nodeId) ? true : undefined));
      proxy[how]();
      b.kill('SIGTERM');
      // Not a speed assertion: a bound far above the 2 s wait, so that a hang fails with the broker's log.
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 60_000)));
      const exit = await Promise.race([b.exited(), hung]).finally(() => clearTimeout(timer));
      assert.equal(exit, 0, `broker ${nodeId} stopped:\n${b.stderr().slice(-3000)}`);
      assert.match(b.stderr(), /"msg":"controlled shutdown not complete, stopping anyway"/);
    } finally {
      await proxy.close();
    }
  });
}

test('a single node (no etcd) has no controller to ask: close() stops without a controlled shutdown', async () => {
  const lines: string[] = [];
  const b = await startBroker({ port: 0, logger: createLogger('debug', {}, (l) => lines.push(l)) });
  await b.close();
  assert.ok(lines.some((l) => l.includes('"msg":"broker started"')), 'the logger saw the broker');
  assert.ok(!lines.some((l) => l.includes('controlled shutdown')), 'no controlled shutdown was attempted');
});
