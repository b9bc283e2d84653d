// KIP-392 follower fetching with a real client: three brokers on racks rack-1..3, all with
// replica.selector.class=RackAwareReplicaSelector, a partition on [1, 2, 3] led by broker 1.
// A confluent-kafka (librdkafka) consumer with client.rack=rack-2 is sent by the leader to
// broker 2: librdkafka's own statistics name broker 2 as the one it fetches from; then the
// leader is paused (SIGSTOP) and the consumer still reads every remaining record, which only a
// replica other than the leader can have served, with no Fetch sent to the paused leader. A
// consumer in the leader's rack keeps reading the leader. Kafka's Java consumer (console
// consumer, client.rack=rack-3, fetch sessions) reads every record through the redirect too.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';
import { startEtcd, type RunningEtcd } from './fixtures/etcd.js';
import { createPreferredOnOne, eventually, TestCluster, type ClusterBroker } from './fixtures/brokers.js';
import { PY_DIR, PYTHON, requirePythonModule, run, tail } from '../interop/helpers.js';
import { kafkaClasspath } from '../../tools/apache-kafka/kafka.js';
import { call, RawClient } from '../e2e/raw-client.js';
import { Fetch } from '../../src/protocol/generated/apis/1-fetch.js';
import { RACK_AWARE_REPLICA_SELECTOR } from '../../src/broker/replica/replica-selector.js';

const TOPIC = 'nearby';
const BATCHES = 20;
const PER_BATCH = 20;
const TOTAL = BATCHES * PER_BATCH;
const value = (i: number) => `record-${i}-`.padEnd(200, 'x');

let etcd: RunningEtcd;
let cluster: TestCluster;
const broker = (id: number) => cluster.brokers.find((b) => b.nodeId === id)!;

before(async () => {
  requirePythonModule('confluent_kafka');
  etcd = await startEtcd();
  // A session long enough that the paused leader keeps its registration (and leadership) while the consumer reads.
  cluster = new TestCluster(etcd.endpoint, { 'replica.selector.class': RACK_AWARE_REPLICA_SELECTOR, 'broker.session.timeout.ms': 30_000, 'broker.heartbeat.interval.ms': 500, 'replica.fetch.wait.max.ms': 200, 'replica.fetch.backoff.ms': 100 });
  for (const id of [1, 2, 3]) await cluster.start(id, { 'broker.rack': `rack-${id}` });
});

after(async () => {
  await cluster?.stop();
  await etcd?.stop();
});

/** What broker `b` answers a consumer's Fetch v11 (client metadata, no rack) of partition 0 at offset 0. */
async function fetchOn(b: ClusterBroker): Promise<{ errorCode: number; highWatermark: bigint }> {
  const [host, port] = b.bootstrap.split(':');
  const c = await RawClient.open(Number(port), host);
  try {
    const res = await call(c, Fetch, 11, { clusterId: null, replicaId: -1, replicaState: { replicaId: -1, replicaEpoch: -1n }, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: TOPIC, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1024, replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA' }] }], forgottenTopicsData: [], rackId: '' });
    return res.responses[0]!.partitions[0]!;
  } finally {
    c.close();
  }
}

interface Stats {
  broker: number;
  leader: number;
  fetches: Record<string, number>;
}
interface Phase1 {
  phase: 1;
  records: number;
  stats: Stats;
}
interface Phase2 {
  phase: 2;
  records: [number, string][];
  stats: Stats;
  errors: unknown[];
  logs: string[];
}

/**
 * Runs ck_rack_consume.py: it reads `first` records, reports, waits while `between` runs, then
 * reads to `TOTAL`; `afterRead` runs once it reported (or failed), before it closes. Small fetches and a tiny prefetch queue, so most records are fetched after the pause.
 */
async function consume(rack: string, first: number, between: (p1: Phase1) => Promise<void>, afterRead: () => void = () => undefined): Promise<{ p1: Phase1; p2: Phase2 }> {
  const bootstrap = cluster.brokers.map((b) => b.bootstrap).join(',');
  const child = spawn(PYTHON, [join(PY_DIR, 'ck_rack_consume.py'), '--bootstrap', bootstrap, '--topic', TOPIC, '--rack', rack, '--first', String(first), '--expect', String(TOTAL), '--timeout', '90', '--config', 'fetch.message.max.bytes=1024', '--config', 'queued.min.messages=1', '--config', 'queued.max.messages.kbytes=1'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async <T>(): Promise<T> => {
    const line = await lines.next();
    if (line.done) assert.fail(`ck_rack_consume.py ended early:\n${tail(stderr)}`);
    return JSON.parse(line.value) as T;
  };
  let done = false;
  try {
    const p1 = await next<Phase1>();
    await between(p1);
    child.stdin.write('\n');
    const p2 = await next<Phase2>();
    done = true;
    return { p1, p2 };
  } finally {
    afterRead();
    if (child.exitCode === null && child.signalCode === null) {
      // Done: it closes its consumer and exits; failed: stopped now.
      const timer = setTimeout(() => child.kill('SIGKILL'), done ? 20_000 : 0);
      await exited;
      clearTimeout(timer);
    }
  }
}

function assertAllRead(p2: Phase2): void {
  assert.deepEqual(p2.errors, [], JSON.stringify(p2.logs));
  assert.equal(p2.records.length, TOTAL);
  p2.records.forEach(([offset, hex], i) => {
    assert.equal(offset, i);
    assert.equal(Buffer.from(hex, 'hex').toString(), value(i));
  });
}

test('a consumer with client.rack reads the same-rack follower, which serves it even while the leader is paused', async () => {
  await createPreferredOnOne(cluster, TOPIC);
  const producer = new Kafka({ brokers: [broker(1).bootstrap], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  for (let b = 0; b < BATCHES; b++) {
    await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: PER_BATCH }, (_, i) => ({ value: value(b * PER_BATCH + i) })) });
  }
  await producer.disconnect();
  // The followers learn the high watermark from the leader's next fetch response; a follower serves up to its own.
  for (const id of [2, 3]) {
    await eventually(`broker ${id} has the high watermark at ${TOTAL}`, 20_000, async () => ((await fetchOn(broker(id))).highWatermark === BigInt(TOTAL) ? true : undefined));
  }

  const leader = broker(1);
  const { p1, p2 } = await consume('rack-2', 2 * PER_BATCH, async (p) => {
    assert.equal(p.stats.leader, 1);
    assert.equal(p.stats.broker, 2, `librdkafka fetches from broker ${p.stats.broker}, not the same-rack follower 2`);
    leader.kill('SIGSTOP');
  }, () => leader.kill('SIGCONT'));
  assertAllRead(p2);
  assert.equal(p2.stats.broker, 2);
  assert.ok(p1.records < TOTAL - 5 * PER_BATCH, `only ${p1.records} records read before the pause`);
  assert.ok((p2.stats.fetches['2'] ?? 0) > (p1.stats.fetches['2'] ?? 0), 'fetches went to broker 2 during the pause');
  assert.equal(p2.stats.fetches['1'] ?? 0, p1.stats.fetches['1'] ?? 0, 'no Fetch to the paused leader');

  // In the leader's rack the leader serves (RackAwareReplicaSelector keeps it).
  const same = await consume('rack-1', PER_BATCH, async (p) => assert.equal(p.stats.broker, 1));
  assertAllRead(same.p2);
  assert.equal(same.p2.stats.broker, 1);

  // Kafka's own consumer (Fetch v17, incremental fetch sessions) follows the redirect to broker 3:
  // its FetchCollector logs the preferred read replica it was given (DEBUG, through log4j2).
  const log4j = join(await mkdtemp(join(tmpdir(), 'samsa-follower-fetch-')), 'log4j2.properties');
  await writeFile(log4j, ['status = error', 'appender.err.type = Console', 'appender.err.name = ERR', 'appender.err.target = SYSTEM_ERR', 'appender.err.layout.type = PatternLayout', 'appender.err.layout.pattern = %p %c %m%n', 'rootLogger.level = warn', 'rootLogger.appenderRef.err.ref = ERR', 'logger.fetch.name = org.apache.kafka.clients.consumer.internals.FetchCollector', 'logger.fetch.level = debug', ''].join('\n'));
  const java = await run('java', ['-Xmx256m', '-XX:TieredStopAtLevel=1', `-Dlog4j2.configurationFile=${log4j}`, '-cp', kafkaClasspath(), 'org.apache.kafka.tools.consumer.ConsoleConsumer', '--bootstrap-server', broker(2).bootstrap, '--topic', TOPIC, '--partition', '0', '--offset', 'earliest', '--max-messages', String(TOTAL), '--timeout-ms', '60000', '--consumer-property', 'client.rack=rack-3', '--consumer-property', 'max.partition.fetch.bytes=4096'], { timeoutMs: 120_000 });
  const lines = java.stdout.toString('utf8').split('\n').filter((l) => l !== '');
  assert.equal(java.code, 0, tail(java.stderr));
  assert.deepEqual(lines, Array.from({ length: TOTAL }, (_, i) => value(i)));
  assert.match(java.stderr, /Updating preferred read replica for partition nearby-0 to 3/, tail(java.stderr));
  await rm(dirname(log4j), { recursive: true, force: true });
});
