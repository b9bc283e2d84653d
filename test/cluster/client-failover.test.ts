// Real clients fail over (issue 13): on three broker processes and one etcd, for KafkaJS, kcat
// and python confluent_kafka, an idempotent acks=all producer and a group consumer run
// continuously on an RF=3 topic with min.insync.replicas=2 while the partition's leader is
// SIGKILLed (for confluent_kafka, the broker that is also the group coordinator, FindCoordinator's
// answer) and later restarted. The producer's records sent after the kill are acked; read back
// from offset 0, the topic holds every acked record at its acked offset, once; the group goes on
// consuming and commits past the failover; and it sees every acked record (at least once).
import { test, after, before, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { partitionForKey } from '../../src/coordinators/runtime/partitioning.js';
import { startEtcd, type RunningEtcd } from './fixtures/etcd.js';
import { eventually, metadataOf, TestCluster } from './fixtures/brokers.js';
import { sendIndex, startConsumer, startProducer, type ClientName, type Driver, type History } from './fixtures/failover-clients.js';
import { run, tail } from '../interop/helpers.js';

const SESSION_MS = 4000;
const OFFSETS_PARTITIONS = 3;
let etcd: RunningEtcd;
let cluster: TestCluster;

const running = () => cluster.brokers.filter((b) => b.child.exitCode === null && b.child.signalCode === null);
const bootstrap = () => running().map((b) => b.bootstrap).join(',');

function admin() {
  return new Kafka({ clientId: 'client-failover-admin', brokers: running().map((b) => b.bootstrap), logLevel: logLevel.NOTHING, retry: { retries: 3 } }).admin();
}

/** A partition as a running broker reports it. */
async function partition(topic: string, index = 0) {
  const m = await metadataOf(running()[0]!, [topic]);
  return m.topics.find((t) => t.name === topic)?.partitions.find((p) => p.partitionIndex === index);
}

/** The group's committed offset of `topic`-0 (-1: none), as its coordinator answers OffsetFetch. */
async function committed(group: string, topic: string): Promise<number> {
  const a = admin();
  await a.connect();
  try {
    const [t] = await a.fetchOffsets({ groupId: group, topics: [topic] });
    return Number(t!.partitions.find((p) => p.partition === 0)!.offset);
  } finally {
    await a.disconnect();
  }
}

/** Every record of `topic`-0 from offset 0 to the high watermark, read by kcat: offset → value. */
async function readBack(topic: string): Promise<Map<number, string>> {
  const r = await run('kcat', ['-C', '-b', bootstrap(), '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o\\t%s\\n'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `kcat read the topic back:\n${tail(r.stderr)}`);
  const records = new Map<number, string>();
  for (const line of r.stdout.toString('utf8').split('\n').filter(Boolean)) {
    const [offset, value] = line.split('\t') as [string, string];
    assert.ok(!records.has(Number(offset)), `offset ${offset} is read once`);
    records.set(Number(offset), value);
  }
  return records;
}

const describe = (h: History) => `sent ${h.sent.length}, acked ${h.acked.size}, failed ${h.failed.length} (${h.failed.slice(0, 3).map((f) => f.error).join('; ')}), consumed ${h.consumed.length}, errors ${h.errors.slice(-3).join('; ')}\n${tail(h.log, 15)}`;

before(async () => {
  etcd = await startEtcd();
  cluster = new TestCluster(etcd.endpoint, {
    'broker.session.timeout.ms': SESSION_MS,
    'broker.heartbeat.interval.ms': 500,
    'offsets.topic.num.partitions': OFFSETS_PARTITIONS,
    'group.initial.rebalance.delay.ms': 0,
    'replica.fetch.wait.max.ms': 200,
  });
  for (const id of [1, 2, 3]) await cluster.start(id);
  for (const b of cluster.brokers) await eventually(`broker ${b.nodeId} sees three brokers`, 15_000, async () => ((await metadataOf(b)).brokers.length === 3 ? true : undefined));
  // FindCoordinator creates __consumer_offsets (RF=3): its leaders decide where each case's group lives.
  const a = admin();
  await a.connect();
  await a.describeGroups(['warm-up']);
  await a.disconnect();
  await eventually('__consumer_offsets has a leader and three in-sync replicas per partition', 30_000, async () => {
    const m = await metadataOf(running()[0]!, ['__consumer_offsets']);
    const ps = m.topics[0]?.partitions ?? [];
    return ps.length === OFFSETS_PARTITIONS && ps.every((p) => p.leaderId >= 0 && p.isrNodes.length === 3) ? true : undefined;
  });
});

after(async () => {
  await cluster?.stop();
  await etcd?.stop();
});

/**
 * One case: `client`'s producer and group consumer run while the topic's leader is SIGKILLed and
 * restarted; with `killCoordinator` that leader is also the group coordinator's broker.
 */
async function failover(t: TestContext, client: ClientName, killCoordinator: boolean): Promise<void> {
  const topic = `failover-${client}`;
  const group = `${client}-group`;
  const offsetsPartition = partitionForKey(group, OFFSETS_PARTITIONS);
  const coordinator = (await partition('__consumer_offsets', offsetsPartition))!.leaderId;
  const leader = killCoordinator ? coordinator : [1, 2, 3].find((id) => id !== coordinator)!;
  const a = admin();
  await a.connect();
  await a.createTopics({ topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [leader, ...[1, 2, 3].filter((id) => id !== leader)] }], configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
  await a.disconnect();
  await eventually(`${topic}: broker ${leader} leads, three in sync`, 20_000, async () => {
    const p = await partition(topic);
    return p?.leaderId === leader && p.isrNodes.length === 3 ? true : undefined;
  });

  const drivers: Driver[] = [];
  let victimDir: string | undefined;
  try {
    const producer = await startProducer(client, bootstrap(), topic);
    drivers.push(producer);
    const consumer = await startConsumer(client, bootstrap(), topic, group);
    drivers.push(consumer);
    const p = producer.history;
    const c = consumer.history;
    await eventually('the producer is acked, the group consumes and commits', 40_000, async () =>
      p.acked.size >= 20 && c.consumed.length >= 10 && (await committed(group, topic)) > 0 ? true : undefined,
    ).catch((e: Error) => assert.fail(`${e.message}\nproducer: ${describe(p)}\nconsumer: ${describe(c)}`));

    const victim = running().find((b) => b.nodeId === leader)!;
    victim.kill('SIGKILL');
    await victim.exited();
    victimDir = victim.dir;
    const sentBeforeKill = p.sent.length;
    const ackedAfterKill = () => [...p.acked].filter(([value]) => sendIndex(value) >= sentBeforeKill);
    await eventually('records sent after the kill are acked', 40_000, async () => (ackedAfterKill().length >= 20 ? true : undefined)).catch((e: Error) =>
      assert.fail(`${e.message}\nproducer: ${describe(p)}`),
    );
    const moved = await partition(topic);
    assert.notEqual(moved?.leaderId, leader, 'another replica leads');
    if (killCoordinator) {
      const now = (await partition('__consumer_offsets', offsetsPartition))!.leaderId;
      assert.ok(now >= 0 && now !== leader, `the group's coordinator moved off broker ${leader} (now ${now})`);
    }
    // The group commits past a record acked only after the failover: it consumed and committed through the new leader (and coordinator).
    const firstAfter = Math.min(...ackedAfterKill().map(([, offset]) => offset));
    await eventually('the group commits past the first record acked after the kill', 40_000, async () => ((await committed(group, topic)) > firstAfter ? true : undefined)).catch(async (e: Error) =>
      assert.fail(`${e.message} (offset ${firstAfter}; committed ${await committed(group, topic).catch(String)}; partition ${JSON.stringify(await partition(topic).catch(String))})\nconsumer: ${describe(c)}`),
    );

    await cluster.start(leader, {}, victim.dir);
    victimDir = undefined;
    await eventually(`broker ${leader} is back in the ISR`, 30_000, async () => ((await partition(topic))?.isrNodes.length === 3 ? true : undefined));

    await producer.stop();
    assert.ok(p.acked.size > ackedAfterKill().length, 'records acked before and after the kill');
    const missing = () => {
      const seen = new Set(c.consumed.map((r) => r.value));
      return [...p.acked.keys()].filter((v) => !seen.has(v));
    };
    await eventually('the group consumer sees every acked record', 30_000, async () => (missing().length === 0 ? true : undefined)).catch((e: Error) =>
      assert.fail(`${e.message}: ${missing().length} missing (${missing().slice(0, 5).join(', ')})\nconsumer: ${describe(c)}`),
    );
    await consumer.stop();

    const log = await readBack(topic);
    const byValue = new Map([...log].map(([offset, value]) => [value, offset]));
    for (const [value, offset] of p.acked) assert.equal(log.get(offset), value, `acked ${value} is at its acked offset ${offset}`);
    // The idempotent producer's retries after the failover wrote nothing twice.
    assert.equal(byValue.size, log.size, 'no record is in the log twice');
    for (const value of log.values()) assert.ok(p.sent.includes(value), `${value} was sent`);
    // At least once: what the group read is in the log at the offset it read it from.
    for (const r of c.consumed) assert.equal(log.get(r.offset), r.value, `consumed ${r.value} at ${r.offset} is in the log there`);
    t.diagnostic(`broker ${leader} killed after ${sentBeforeKill} sends; sent ${p.sent.length}, acked ${p.acked.size} (${ackedAfterKill().length} sent after the kill), failed ${p.failed.length}; log ${log.size} records; consumed ${c.consumed.length} (${c.consumed.length - new Set(c.consumed.map((r) => r.value)).size} again)`);
  } finally {
    for (const d of drivers) await d.stop().catch(() => undefined);
    // A failed case leaves the cluster whole for the next (its registration gone once the session expired).
    if (victimDir) await eventually(`broker ${leader} restarts`, 30_000, () => cluster.start(leader, {}, victimDir).then(() => true));
  }
}

test('KafkaJS: the partition leader is SIGKILLed and restarted; no acked record lost, the group goes on', (t) => failover(t, 'kafkajs', false));

test('kcat: the partition leader is SIGKILLed and restarted; no acked record lost, the group goes on', (t) => failover(t, 'kcat', false));

test('confluent_kafka: the broker leading the partition and the group coordinator is SIGKILLed and restarted; the group commits through the new coordinator', (t) => failover(t, 'confluent-kafka', true));
