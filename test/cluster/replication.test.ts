// Replication across broker processes on one etcd (brokers on 127.0.0.1-3): a topic with RF=3
// is copied by the followers' fetchers, its ISR is the three brokers, KafkaJS's idempotent
// acks=all produces wait for the ISR and every replica's log files are byte-identical; paused
// followers leave the ISR through the controller after replica.lag.time.max.ms (acks=all is then
// refused NOT_ENOUGH_REPLICAS under min.insync.replicas=2) and rejoin once resumed; a leader
// killed mid-produce is replaced by an ISR member at a new leader epoch, the producer goes on,
// and once the old leader is back as a follower every acknowledged record is read back exactly
// once and the replicas converge; a zombie leader (paused past its session) answers its stale
// acks=all write with an error and truncates it when it follows.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startEtcd, type RunningEtcd } from './fixtures/etcd.js';
import { eventually, metadataOf, readToEnd, TestCluster, type ClusterBroker } from './fixtures/brokers.js';
import { Connection } from '../../src/client/connection.js';
import { Produce } from '../../src/protocol/generated/apis/0-produce.js';
import { buildRecordBatch } from '../../src/protocol/records/index.js';
import { ErrorCode } from '../../src/broker/errors.js';

const SESSION_MS = 6000;
const LAG_MS = 1500;
const FETCH_WAIT_MS = 200;
const TOPIC = 'replicated';
const PARTITIONS = 3;
let etcd: RunningEtcd;
let cluster: TestCluster;
const producers: Producer[] = [];

const running = () => cluster.brokers.filter((b) => b.child.exitCode === null && b.child.signalCode === null);
const broker = (id: number) => running().find((b) => b.nodeId === id)!;

function kafka(): Kafka {
  return new Kafka({ clientId: 'cluster-replication', brokers: running().map((b) => b.bootstrap), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 2000 } });
}

async function producer(): Promise<Producer> {
  const p = kafka().producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await p.connect();
  producers.push(p);
  return p;
}

/** The topic's partitions as broker `b` has them. */
async function partitionsOn(b: ClusterBroker) {
  return (await metadataOf(b, [TOPIC])).topics[0]!.partitions;
}

/** Waits until every running broker lists each partition's ISR as all three replicas. */
async function fullIsr(what: string, timeoutMs = 20_000): Promise<void> {
  for (const b of running()) {
    await eventually(`${what}: broker ${b.nodeId} lists the full ISR`, timeoutMs, async () => ((await partitionsOn(b)).every((p) => p.isrNodes.length === 3) ? true : undefined));
  }
}

/** A partition's log files (every segment, in order) as stored in broker `b`'s data folder. */
async function logBytes(b: ClusterBroker, partition: number): Promise<Buffer> {
  const dir = join(b.dir, `${TOPIC}-${partition}`);
  const segments = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
  return Buffer.concat(await Promise.all(segments.map((f) => readFile(join(dir, f)))));
}

/** Every running replica of every partition holds the same bytes (the leader's, all replicated). */
async function converged(what: string): Promise<void> {
  for (let p = 0; p < PARTITIONS; p++) {
    await eventually(`${what}: partition ${p}'s replicas hold identical logs`, 20_000, async () => {
      const logs = await Promise.all(running().map((b) => logBytes(b, p)));
      return logs[0]!.length > 0 && logs.every((l) => l.equals(logs[0]!)) ? true : undefined;
    });
  }
}

/** One record to broker `b` (Produce v9); the partition's error code. */
async function produceOne(b: ClusterBroker, partition: number, value: string, acks: number): Promise<number> {
  const [host, port] = b.bootstrap.split(':') as [string, string];
  const conn = await Connection.connect({ host, port: Number(port) });
  try {
    const records = buildRecordBatch([{ key: null, value: Buffer.from(value) }], { timestamp: Date.now() });
    const res = await conn.request(Produce, { transactionalId: null, acks, timeoutMs: SESSION_MS, topicData: [{ name: TOPIC, partitionData: [{ index: partition, records }] }] }, { version: 9 });
    return res.responses[0]!.partitionResponses[0]!.errorCode;
  } finally {
    conn.close();
  }
}

before(async () => {
  etcd = await startEtcd();
  cluster = new TestCluster(etcd.endpoint, {
    'broker.session.timeout.ms': SESSION_MS,
    'broker.heartbeat.interval.ms': 500,
    'replica.lag.time.max.ms': LAG_MS,
    'replica.fetch.backoff.ms': 100,
    'replica.fetch.wait.max.ms': FETCH_WAIT_MS,
  });
  for (const id of [1, 2, 3]) await cluster.start(id);
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
  } finally {
    await admin.disconnect();
  }
});

after(async () => {
  for (const p of producers) await p.disconnect().catch(() => undefined);
  await cluster?.stop();
  await etcd?.stop();
});

test('RF=3: followers copy the leader, the ISR is all three, acks=all waits for it, the replicas are byte-identical', async () => {
  await fullIsr('before producing');
  const p = await producer();
  for (let i = 0; i < 30; i++) {
    await p.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: 10 }, (_, j) => ({ partition: (i + j) % PARTITIONS, value: `first-${i * 10 + j}` })) });
  }
  for (const b of running()) {
    const parts = await partitionsOn(b);
    assert.deepEqual(parts.map((x) => x.replicaNodes.length), [3, 3, 3]);
  }
  await converged('after acks=all produces');
  for (let partition = 0; partition < PARTITIONS; partition++) assert.equal((await readToEnd(cluster, TOPIC, partition)).length, 100);
  await fullIsr('after producing', 5000);
});

test('paused followers leave the ISR through the controller; acks=all is then NOT_ENOUGH_REPLICAS; resumed, they rejoin', async () => {
  const controllerId = (await metadataOf(running()[0]!)).controllerId;
  const controller = broker(controllerId);
  // A partition the controller leads: its ISR changes commit while the others are paused.
  const led = (await partitionsOn(controller)).find((x) => x.leaderId === controllerId)!;
  const followers = running().filter((b) => b !== controller);
  const produce = (value: string) => produceOne(controller, led.partitionIndex, value, -1);
  for (const f of followers) f.kill('SIGSTOP');
  try {
    // Followers at the log end stay caught up (Kafka's isCaughtUp): a record they do not fetch starts their lag.
    const started = Date.now();
    assert.equal(await produce('appended-while-paused'), ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, 'acks=all waited for the ISR, which shrank below min.insync.replicas=2');
    // Their last fetch (a long poll of up to replica.fetch.wait.max.ms) was shortly before the pause.
    assert.ok(Date.now() - started >= LAG_MS - FETCH_WAIT_MS - 300, 'not before replica.lag.time.max.ms');
    const shrunk = (await partitionsOn(controller))[led.partitionIndex]!;
    assert.deepEqual(shrunk.isrNodes, [controllerId], 'the shrink is committed');
    assert.equal(shrunk.leaderEpoch, led.leaderEpoch, 'the leader stays');
    assert.equal(await produce('refused-with-one-replica'), ErrorCode.NOT_ENOUGH_REPLICAS, 'min.insync.replicas=2 with an ISR of one');
  } finally {
    for (const f of followers) f.kill('SIGCONT');
  }
  await fullIsr('after resuming');
  await converged('after the followers rejoined');
  const values = await readToEnd(cluster, TOPIC, led.partitionIndex);
  assert.ok(values.includes('appended-while-paused'));
  assert.ok(!values.includes('refused-with-one-replica'), 'the refused record was not appended');
});

/**
 * SIGKILLs the leader of a partition (one the controller leads, or one it does not) while an
 * idempotent acks=all producer sends to it, after the leader took a record only it holds; the
 * old leader restarts on its data. Every acknowledged value (prefixed `what`) is read back once.
 */
async function killLeaderMidProduce(what: string, controllerLeads: boolean): Promise<void> {
  const controllerId = (await metadataOf(running()[0]!)).controllerId;
  const before = await partitionsOn(broker(controllerId));
  const victimPartition = before.find((x) => (x.leaderId === controllerId) === controllerLeads)!;
  assert.ok(victimPartition, `a partition ${controllerLeads ? '' : 'not '}led by the controller`);
  const victim = broker(victimPartition.leaderId);
  const acked = new Set<string>();
  const p = await producer();
  let killedAt = 0;
  let firstAckAfterKill = 0;
  let stop = false;
  const sending = (async () => {
    for (let i = 0; !stop; i++) {
      const value = `${what}-${i}`;
      try {
        await p.send({ topic: TOPIC, acks: -1, timeout: 10_000, messages: [{ partition: victimPartition.partitionIndex, value }] });
        acked.add(value);
        if (killedAt > 0 && firstAckAfterKill === 0) firstAckAfterKill = Date.now();
      } catch {
        // Not acknowledged: it may or may not be in the log, never counted as lost.
      }
    }
  })();
  await eventually('some records are acknowledged before the kill', 10_000, async () => (acked.size >= 20 ? true : undefined));
  // An unreplicated tail: the followers paused, the leader takes an acks=1 record only it holds, and dies.
  const followers = running().filter((b) => b !== victim);
  for (const f of followers) f.kill('SIGSTOP');
  try {
    // Long polls the followers sent before the pause are answered (empty) before the tail is written.
    await new Promise((r) => setTimeout(r, 4 * FETCH_WAIT_MS));
    assert.equal(await produceOne(victim, victimPartition.partitionIndex, `${what}-unreplicated-tail`, 1), ErrorCode.NONE);
    killedAt = Date.now();
    victim.kill('SIGKILL');
    await victim.exited();
  } finally {
    for (const f of followers) f.kill('SIGCONT');
  }
  assert.ok((await logBytes(victim, victimPartition.partitionIndex)).includes(`${what}-unreplicated-tail`), 'the killed leader holds the tail');
  await eventually('records are acknowledged after the kill', SESSION_MS + 20_000, async () => (firstAckAfterKill > 0 && acked.size >= 20 ? true : undefined));
  const ackedAtFailover = acked.size;
  await eventually('the producer goes on on the new leader', 10_000, async () => (acked.size >= ackedAtFailover + 20 ? true : undefined));
  stop = true;
  await sending;
  console.log(`${what}: ${firstAckAfterKill - killedAt} ms from SIGKILL of the leader to the first acknowledged acks=all produce`);

  const after = (await partitionsOn(running()[0]!))[victimPartition.partitionIndex]!;
  assert.notEqual(after.leaderId, victim.nodeId);
  assert.ok(victimPartition.isrNodes.includes(after.leaderId), 'the new leader was in the ISR');
  assert.equal(after.leaderEpoch, victimPartition.leaderEpoch + 1, 'a new leader epoch');

  const restartedAt = Date.now();
  await cluster.start(victim.nodeId, {}, victim.dir);
  await fullIsr('after the old leader restarted', 30_000);
  console.log(`rejoin: ${Date.now() - restartedAt} ms from restarting the old leader to a full ISR again`);
  await converged('after the old leader rejoined');
  assert.ok(!(await logBytes(victim, victimPartition.partitionIndex)).includes(`${what}-unreplicated-tail`), 'the old leader truncated its unreplicated tail');
  const values = await readToEnd(cluster, TOPIC, victimPartition.partitionIndex);
  assert.ok(!values.includes(`${what}-unreplicated-tail`));
  const failover = values.filter((v) => v.startsWith(`${what}-`));
  assert.equal(new Set(failover).size, failover.length, 'no record is duplicated');
  const lost = [...acked].filter((v) => !failover.includes(v));
  assert.deepEqual(lost, [], 'no acknowledged record is lost');
}

test('SIGKILL of a leader mid-produce: an ISR member leads at a new epoch, the producer goes on, no acknowledged record is lost or duplicated', () => killLeaderMidProduce('failover', false));

test('SIGKILL of the controller while it leads: a new controller moves its leadership, no acknowledged record is lost or duplicated', () => killLeaderMidProduce('controller-failover', true));

test('a zombie leader (paused past its session, replaced, resumed) never acknowledges an acks=all write, and its stale write does not survive', async () => {
  const controllerId = (await metadataOf(running()[0]!)).controllerId;
  const before = await partitionsOn(broker(controllerId));
  const led = before.find((x) => x.leaderId !== controllerId) ?? before[0]!;
  const zombie = broker(led.leaderId);
  const other = running().find((b) => b !== zombie)!;
  const [host, port] = zombie.bootstrap.split(':') as [string, string];
  const conn = await Connection.connect({ host, port: Number(port) });
  let answer: Promise<number>;
  zombie.kill('SIGSTOP');
  try {
    // Read by the zombie only once it runs again, with its stale view of the partition.
    const records = buildRecordBatch([{ key: null, value: Buffer.from('zombie-write') }], { timestamp: Date.now() });
    answer = conn.request(Produce, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: led.partitionIndex, records }] }] }, { version: 9, timeoutMs: 60_000 }).then((r) => r.responses[0]!.partitionResponses[0]!.errorCode);
    await eventually('another replica leads at a new epoch', SESSION_MS + 15_000, async () => {
      const x = (await partitionsOn(other))[led.partitionIndex]!;
      return x.leaderId !== zombie.nodeId && x.leaderId >= 0 && x.leaderEpoch > led.leaderEpoch ? x : undefined;
    });
  } finally {
    zombie.kill('SIGCONT');
  }
  try {
    assert.notEqual(await answer, ErrorCode.NONE, 'the zombie did not acknowledge the write');
  } finally {
    conn.close();
  }
  const newLeader = broker((await partitionsOn(other))[led.partitionIndex]!.leaderId);
  assert.equal(await produceOne(newLeader, led.partitionIndex, 'after-the-zombie', -1), ErrorCode.NONE, 'the new leader takes acks=all writes');
  await fullIsr('after the zombie rejoined', 30_000);
  await converged('after the zombie rejoined');
  assert.ok(!(await logBytes(zombie, led.partitionIndex)).includes('zombie-write'), "the zombie's stale write is gone from its log");
  assert.ok(!(await readToEnd(cluster, TOPIC, led.partitionIndex)).includes('zombie-write'));
});
