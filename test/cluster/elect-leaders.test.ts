// ElectLeaders through Kafka's own tool (kafka-leader-election.sh's LeaderElectionCommand, Kafka
// 4.1.1 jars, Java 17): on one node (no etcd) the only replica already leads; in a cluster of
// three, a preferred leader that was killed and came back as a follower leads again after a
// preferred election, at a new leader epoch; a second election is not needed; unclean leaves a
// live leader alone; an unknown partition is answered UNKNOWN_TOPIC_OR_PARTITION.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startEtcd, type RunningEtcd } from './fixtures/etcd.js';
import { createPreferredOnOne, eventually, metadataOf, TestCluster, type ClusterBroker } from './fixtures/brokers.js';
import { kafkaClasspath } from '../../tools/apache-kafka/kafka.js';
import { run, tail } from '../interop/helpers.js';
import { startBroker } from '../../src/index.js';
import { fileURLToPath } from 'node:url';

const SAMSA = fileURLToPath(new URL('../../src/cli/samsa.js', import.meta.url));

/** Our CLI against broker `b`: exit code and stdout. */
async function samsa(b: ClusterBroker, args: string[]): Promise<{ code: number | null; out: string }> {
  const r = await run(process.execPath, [SAMSA, '--brokers', b.bootstrap, ...args], { timeoutMs: 60_000 });
  return { code: r.code, out: r.stdout.toString('utf8') + r.stderr };
}

const TOPIC = 'elect';
let etcd: RunningEtcd;
let cluster: TestCluster;

/** kafka-leader-election.sh: its stdout (it exits non-zero when an election failed). */
async function leaderElection(bootstrap: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const r = await run('java', ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-cp', kafkaClasspath(), 'org.apache.kafka.tools.LeaderElectionCommand', '--bootstrap-server', bootstrap, ...args], { timeoutMs: 120_000 });
  if (r.timedOut) assert.fail(`LeaderElectionCommand timed out:\n${tail(r.stderr)}`);
  return { code: r.code, out: `${r.stdout.toString('utf8')}${r.stderr}` };
}

const running = () => cluster.brokers.filter((b) => b.child.exitCode === null && b.child.signalCode === null);
const partition0 = async (b: ClusterBroker) => (await metadataOf(b, [TOPIC])).topics[0]!.partitions.find((p) => p.partitionIndex === 0)!;

before(async () => {
  etcd = await startEtcd();
  cluster = new TestCluster(etcd.endpoint, { 'broker.session.timeout.ms': 6000, 'broker.heartbeat.interval.ms': 500, 'replica.lag.time.max.ms': 1500, 'replica.fetch.backoff.ms': 100, 'replica.fetch.wait.max.ms': 200 });
  for (const id of [1, 2, 3]) await cluster.start(id);
});

after(async () => {
  await cluster?.stop();
  await etcd?.stop();
});

test('one node (no etcd): the single replica already leads, as Kafka answers ELECTION_NOT_NEEDED', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-elect-single-'));
  const b = await startBroker({ port: 0, host: '127.0.0.1', logDirs: dir });
  t.after(async () => {
    await b.close();
    await rm(dir, { recursive: true, force: true });
  });
  const admin = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'single', numPartitions: 1 }] });
  await admin.disconnect();
  const r = await leaderElection(b.bootstrap, ['--election-type', 'PREFERRED', '--topic', 'single', '--partition', '0']);
  assert.match(r.out, /Valid replica already elected for partitions single-0/, r.out);
});

test('cluster: the preferred replica, back in the ISR, leads again after a preferred election', async () => {
  const b1 = cluster.brokers.find((b) => b.nodeId === 1)!;
  await createPreferredOnOne(cluster, TOPIC);
  assert.equal((await partition0(b1)).leaderId, 1);

  b1.kill('SIGKILL');
  await b1.exited();
  const other = running()[0]!;
  const moved = await eventually('leadership leaves the killed broker', 20_000, async () => {
    const p = await partition0(other);
    return p.leaderId !== 1 && p.leaderId !== -1 ? p : undefined;
  });
  // `samsa cluster status` while broker 1 is down: elect-0 is under-replicated, none offline (exit 0).
  const down = await eventually('broker 1 leaves the ISR', 20_000, async () => {
    const r = await samsa(other, ['cluster', 'status', '-o', 'json']);
    const status = JSON.parse(r.out) as { brokers: { nodeId: number }[]; partitions: { offline: number; underReplicated: number }; unhealthy: { topic: string; partition: number; state: string }[] };
    return status.unhealthy.some((p) => p.topic === TOPIC && p.state === 'under-replicated') ? { r, status } : undefined;
  });
  assert.equal(down.r.code, 0, down.r.out);
  assert.equal(down.status.partitions.offline, 0);
  assert.deepEqual(down.status.brokers.map((b) => b.nodeId).sort(), [2, 3]);
  const back = await cluster.start(1, {}, b1.dir);
  await eventually('broker 1 rejoins the ISR', 30_000, async () => ((await partition0(back)).isrNodes.includes(1) ? true : undefined));
  assert.equal((await partition0(back)).leaderId, moved.leaderId, 'nothing moved leadership back before the election');

  const r = await leaderElection(back.bootstrap, ['--election-type', 'PREFERRED', '--topic', TOPIC, '--partition', '0']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /Successfully completed leader election \(PREFERRED\) for partitions elect-0/, r.out);
  for (const b of running()) {
    const p = await eventually(`broker ${b.nodeId} sees broker 1 lead`, 10_000, async () => {
      const q = await partition0(b);
      return q.leaderId === 1 ? q : undefined;
    });
    assert.ok(p.leaderEpoch > moved.leaderEpoch, `leader epoch ${p.leaderEpoch} after ${moved.leaderEpoch}`);
  }

  const again = await leaderElection(back.bootstrap, ['--election-type', 'PREFERRED', '--all-topic-partitions']);
  assert.equal(again.code, 0, again.out);
  assert.doesNotMatch(again.out, /elect-0/, 'elect-0 needs no election: left out of an all-partitions answer');
  const unclean = await leaderElection(back.bootstrap, ['--election-type', 'UNCLEAN', '--topic', TOPIC, '--partition', '0']);
  assert.match(unclean.out, /Valid replica already elected for partitions elect-0/, unclean.out);
  const cli = await samsa(back, ['cluster', 'elect', '--topic', TOPIC, '--partition', '0', '--type', 'preferred']);
  assert.equal(cli.code, 0, cli.out);
  assert.match(cli.out, /elect\s+0\s+not needed/, cli.out);
  const cliUnknown = await samsa(back, ['cluster', 'elect', '--topic', TOPIC, '--partition', '7']);
  assert.equal(cliUnknown.code, 1, cliUnknown.out);
  assert.match(cliUnknown.out, /UNKNOWN_TOPIC_OR_PARTITION/, cliUnknown.out);
  const healthy = await samsa(back, ['cluster', 'status']);
  assert.equal(healthy.code, 0, healthy.out);
  assert.match(healthy.out, /offline: 0 {2}under min ISR: 0 {2}under-replicated: 0/, healthy.out);
  const unknown = await leaderElection(back.bootstrap, ['--election-type', 'PREFERRED', '--topic', TOPIC, '--partition', '7']);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.out, /elect-7.*(UnknownTopicOrPartition|does not exist)/s, unknown.out);
});
