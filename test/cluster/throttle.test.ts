// Replication throttles (KIP-73) through Kafka's own kafka-reassign-partitions
// (ReassignPartitionsCommand, Kafka 4.1.1 jars): a partition holding a few MB on broker 1 moves
// to broker 2 with `--execute --throttle R`. The tool sets leader/follower.replication.throttled.rate
// on brokers 1 and 2 and the topic's leader ("0:1") / follower ("0:2") throttled replicas; the
// move then takes at least about bytes/R (a loose lower bound, half of it: a broker that ignored
// the throttle moves it in well under a second). `--verify` once it is done reports completion
// and removes every throttle config again, as Kafka's tool does.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { Admin, ConfigResourceTypes as ResourceTypes } from 'kafkajs';
import { startEtcd, type RunningEtcd } from './fixtures/etcd.js';
import { eventually, metadataOf, TestCluster } from './fixtures/brokers.js';
import { kafkaClasspath } from '../../tools/apache-kafka/kafka.js';
import { run, tail } from '../interop/helpers.js';

// kafkajs is CommonJS: its enums are not named ESM exports.
const { Kafka, ConfigResourceTypes, logLevel } = createRequire(import.meta.url)('kafkajs') as typeof import('kafkajs');

const TOPIC = 'throttled';
const RATE = 512_000; // bytes/s
const SENDS = 60;
const PER_SEND = 50;
const VALUE_BYTES = 1000;
/** The payload alone: the log holds more (batch and record headers), so bytes/RATE is a lower estimate. */
const PAYLOAD = SENDS * PER_SEND * VALUE_BYTES;

let etcd: RunningEtcd;
let cluster: TestCluster;
let admin: Admin;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'samsa-throttle-'));
  etcd = await startEtcd();
  // Small replica fetches, so that one fetch's overdraft of the quota is small next to the data.
  cluster = new TestCluster(etcd.endpoint, { 'broker.session.timeout.ms': 6000, 'broker.heartbeat.interval.ms': 500, 'replica.fetch.backoff.ms': 100, 'replica.fetch.wait.max.ms': 200, 'replica.fetch.max.bytes': 65536 });
  for (const id of [1, 2, 3]) await cluster.start(id);
  admin = new Kafka({ brokers: cluster.brokers.map((b) => b.bootstrap), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, replicaAssignment: [{ partition: 0, replicas: [1] }] }] });
});

after(async () => {
  await admin?.disconnect().catch(() => undefined);
  await cluster?.stop();
  await etcd?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** kafka-reassign-partitions.sh: exit code and output. */
async function reassign(args: string[]): Promise<{ code: number | null; out: string }> {
  const r = await run('java', ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-cp', kafkaClasspath(), 'org.apache.kafka.tools.reassign.ReassignPartitionsCommand', '--bootstrap-server', cluster.brokers[0]!.bootstrap, ...args], { timeoutMs: 120_000 });
  if (r.timedOut) assert.fail(`ReassignPartitionsCommand timed out:\n${tail(r.stderr)}`);
  return { code: r.code, out: `${r.stdout.toString('utf8')}${r.stderr}` };
}

/** Config values of one resource by name, and whether each is a default. */
async function describe(type: ResourceTypes, name: string, keys: string[]): Promise<Record<string, { value: string; isDefault: boolean }>> {
  const res = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type, name, configNames: keys }] });
  return Object.fromEntries(res.resources[0]!.configEntries.map((e) => [e.configName, { value: e.configValue, isDefault: e.isDefault }]));
}

const BROKER_KEYS = ['leader.replication.throttled.rate', 'follower.replication.throttled.rate'];
const TOPIC_KEYS = ['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas'];

test('kafka-reassign-partitions --throttle: the move is held to about the rate; --verify clears the throttles', async () => {
  const producer = new Kafka({ brokers: [cluster.brokers[0]!.bootstrap], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  for (let i = 0; i < SENDS; i++) {
    await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: PER_SEND }, () => ({ value: randomBytes(VALUE_BYTES) })) });
  }
  await producer.disconnect();

  const plan = join(dir, 'plan.json');
  await writeFile(plan, JSON.stringify({ version: 1, partitions: [{ topic: TOPIC, partition: 0, replicas: [2] }] }));
  const executed = await reassign(['--reassignment-json-file', plan, '--execute', '--throttle', String(RATE)]);
  // From the tool's return: the move started before, so the time measured is less than the move took.
  const started = Date.now();
  assert.equal(executed.code, 0, executed.out);
  assert.match(executed.out, new RegExp(`The inter-broker throttle limit was set to ${RATE} B/s`), executed.out);
  assert.match(executed.out, /Successfully started partition reassignment for throttled-0/, executed.out);

  // While it moves: what the tool set, as the brokers describe it.
  for (const id of ['1', '2']) {
    const broker = await describe(ConfigResourceTypes.BROKER, id, BROKER_KEYS);
    for (const k of BROKER_KEYS) assert.deepEqual(broker[k], { value: String(RATE), isDefault: false }, `broker ${id} ${k}`);
  }
  const during = await describe(ConfigResourceTypes.TOPIC, TOPIC, TOPIC_KEYS);
  assert.equal(during['leader.replication.throttled.replicas']?.value, '0:1');
  assert.equal(during['follower.replication.throttled.replicas']?.value, '0:2');

  const b2 = cluster.brokers.find((b) => b.nodeId === 2)!;
  await eventually('the reassignment completed', 120_000, async () => {
    const p = (await metadataOf(b2, [TOPIC])).topics[0]?.partitions[0];
    const listed = await admin.listPartitionReassignments({});
    return p && listed.topics.length === 0 && p.replicaNodes.join() === '2' ? true : undefined;
  });
  const seconds = (Date.now() - started) / 1000;
  const floor = PAYLOAD / RATE / 2;
  assert.ok(seconds >= floor, `the move of ${PAYLOAD} bytes at ${RATE} B/s took ${seconds.toFixed(1)} s, under ${floor.toFixed(1)} s`);
  const offsets = await admin.fetchTopicOffsets(TOPIC);
  assert.equal(offsets[0]!.high, String(SENDS * PER_SEND), 'every record moved');

  const verified = await reassign(['--reassignment-json-file', plan, '--verify']);
  assert.equal(verified.code, 0, verified.out);
  assert.match(verified.out, /Reassignment of partition throttled-0 is completed\./, verified.out);
  assert.match(verified.out, /Clearing broker-level throttles on brokers 1,2,3/, verified.out);
  assert.match(verified.out, /Clearing topic-level throttles on topic throttled/, verified.out);
  for (const id of ['1', '2', '3']) {
    const broker = await describe(ConfigResourceTypes.BROKER, id, BROKER_KEYS);
    // As Kafka's: these dynamic-only keys are not described once unset.
    for (const k of BROKER_KEYS) assert.equal(broker[k], undefined, `broker ${id} ${k} after --verify`);
  }
  const cleared = await describe(ConfigResourceTypes.TOPIC, TOPIC, TOPIC_KEYS);
  for (const k of TOPIC_KEYS) assert.deepEqual(cleared[k], { value: '', isDefault: true }, `${k} after --verify`);
});

test('the follower side alone: a new replica whose broker throttles its fetching catches up at about the rate', async () => {
  // Only broker 3's follower quota and the topic's follower list ("0:3"): the leader (2) serves freely.
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '3', configEntries: [{ name: 'follower.replication.throttled.rate', value: String(RATE) }] }] });
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: TOPIC, configEntries: [{ name: 'follower.replication.throttled.replicas', value: '0:3' }] }] });
  const b3 = cluster.brokers.find((b) => b.nodeId === 3)!;
  await eventually('broker 3 has the throttle configs', 20_000, async () => {
    const broker = await describe(ConfigResourceTypes.BROKER, '3', ['follower.replication.throttled.rate']);
    return broker['follower.replication.throttled.rate']?.value === String(RATE) ? true : undefined;
  });
  await admin.alterPartitionReassignments({ topics: [{ topic: TOPIC, partitionAssignment: [{ partition: 0, replicas: [2, 3] }] }] });
  const started = Date.now();
  await eventually('broker 3 joined the ISR', 120_000, async () => {
    const p = (await metadataOf(b3, [TOPIC])).topics[0]?.partitions[0];
    const listed = await admin.listPartitionReassignments({});
    return p && listed.topics.length === 0 && p.isrNodes.includes(3) ? true : undefined;
  });
  const seconds = (Date.now() - started) / 1000;
  const floor = PAYLOAD / RATE / 2;
  assert.ok(seconds >= floor, `broker 3 fetched ${PAYLOAD} bytes at ${RATE} B/s in ${seconds.toFixed(1)} s, under ${floor.toFixed(1)} s`);
});
