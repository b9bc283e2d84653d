// The cluster on a three-member etcd (127.0.2.1-3), every broker given all three endpoints: with
// the Raft leader member SIGKILLed, acks=all produces, a broker's failover and topic creation go
// on through the two left, and the member rejoins on its data; with two of three members gone
// there is no quorum, so metadata writes stop (no broker lists a topic created meanwhile: no split
// brain) while acks=all produces to existing partitions go on, and writes resume once a member is back.
import { test, after, before, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { memberStatus, startEtcdCluster, type EtcdCluster, type EtcdMember } from './fixtures/etcd-cluster.js';
import { eventually, metadataOf, TestCluster } from './fixtures/brokers.js';

const SESSION_MS = 8000;
let etcd: EtcdCluster;
let cluster: TestCluster;
const producers: Producer[] = [];

const running = () => cluster.brokers.filter((b) => b.child.exitCode === null && b.child.signalCode === null);

function kafka(): Kafka {
  return new Kafka({ clientId: 'etcd-failover', brokers: running().map((b) => b.bootstrap), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 } });
}

async function producer(): Promise<Producer> {
  const p = kafka().producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await p.connect();
  producers.push(p);
  return p;
}

/** Creates `topic` (one partition, RF=3, min.insync.replicas=2) through KafkaJS; resolves once every running broker lists its full ISR. */
async function createTopic(topic: string): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
  } finally {
    await admin.disconnect();
  }
  for (const b of running()) {
    await eventually(`broker ${b.nodeId} lists ${topic} with three in sync`, 20_000, async () => ((await metadataOf(b, [topic])).topics[0]?.partitions[0]?.isrNodes.length === 3 ? true : undefined));
  }
}

async function leaderOf(topic: string): Promise<number> {
  return (await metadataOf(running()[0]!, [topic])).topics[0]?.partitions[0]?.leaderId ?? -1;
}

/** Every running member agrees on one leader among them. */
async function quorate(what: string): Promise<EtcdMember> {
  return eventually(`${what}: the etcd members agree on a leader`, 30_000, async () => {
    const leader = await etcd.leader();
    if (!leader) return undefined;
    const leaderId = (await memberStatus(leader.clientUrl)).memberId;
    for (const m of etcd.members.filter((x) => x.running())) if ((await memberStatus(m.clientUrl)).leader !== leaderId) return undefined;
    return leader;
  });
}

/** What the brokers logged about etcd (the store's failed calls and re-established watches), as a diagnostic. */
function etcdLog(t: TestContext): void {
  for (const b of cluster.brokers) {
    const counts = new Map<string, number>();
    for (const line of b.stderr().split('\n').filter((l) => /etcd|controller/i.test(l) && /"(warn|error)"/.test(l))) {
      const { msg, error } = JSON.parse(line) as { msg: string; error?: unknown };
      const key = `${msg}: ${String(typeof error === 'string' ? error : JSON.stringify(error)).slice(0, 90)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    t.diagnostic(`broker ${b.nodeId} (pid ${b.pid}): ${[...counts].map(([k, n]) => `${n}x ${k}`).join(' | ') || 'no etcd warnings'}`);
  }
}

before(async () => {
  etcd = await startEtcdCluster(3);
  cluster = new TestCluster(etcd.endpoints, { 'broker.session.timeout.ms': SESSION_MS, 'broker.heartbeat.interval.ms': 500, 'replica.fetch.wait.max.ms': 200 });
  for (const id of [1, 2, 3]) await cluster.start(id);
  for (const b of cluster.brokers) await eventually(`broker ${b.nodeId} sees three brokers`, 20_000, async () => ((await metadataOf(b)).brokers.length === 3 ? true : undefined));
});

after(async () => {
  for (const p of producers) await p.disconnect().catch(() => undefined);
  await cluster?.stop();
  await etcd?.stop();
});

test('the etcd leader member is SIGKILLed: produce acks=all, topic creation and a broker failover go on through the other two; the member rejoins', async (t) => {
  await createTopic('before-etcd-kill');
  const p = await producer();
  await p.send({ topic: 'before-etcd-kill', acks: -1, messages: [{ value: 'a' }] });

  const leader = await quorate('at start');
  leader.kill('SIGKILL');
  await leader.exited();
  const next = await quorate('without the old leader');
  assert.notEqual(next.name, leader.name);

  await p.send({ topic: 'before-etcd-kill', acks: -1, messages: [{ value: 'b' }] });
  await createTopic('after-etcd-kill');
  // Every broker is still registered (its lease was kept alive through another member).
  for (const b of running()) assert.equal((await metadataOf(b)).brokers.length, 3, `broker ${b.nodeId} lists three brokers`);

  // A broker failover needs etcd (the lease expiry, the controller's leader election): SIGKILL the topic's leader.
  const victimId = await leaderOf('after-etcd-kill');
  const victim = running().find((b) => b.nodeId === victimId)!;
  victim.kill('SIGKILL');
  await victim.exited();
  await eventually('another replica leads after-etcd-kill', 30_000, async () => {
    const l = await leaderOf('after-etcd-kill');
    return l >= 0 && l !== victimId ? true : undefined;
  });
  const q = await producer();
  const [acked] = await q.send({ topic: 'after-etcd-kill', acks: -1, messages: [{ value: 'c' }] });
  assert.equal(acked!.errorCode, 0);
  await cluster.start(victimId, {}, victim.dir);
  await eventually(`broker ${victimId} is back in the ISR`, 30_000, async () => ((await metadataOf(running()[0]!, ['after-etcd-kill'])).topics[0]!.partitions[0]!.isrNodes.length === 3 ? true : undefined));

  await leader.restart();
  await quorate('with the member back');
  assert.ok(etcd.members.every((m) => m.running()));
  await createTopic('member-back');
  etcdLog(t);
});

test('two of three etcd members gone: metadata writes stop (no split brain), and resume once a member is back', async (t) => {
  await quorate('at start');
  const [gone1, gone2] = etcd.members.slice(0, 2) as [EtcdMember, EtcdMember];
  const left = etcd.members[2]!;
  for (const m of [gone1, gone2]) {
    m.kill('SIGKILL');
    await m.exited();
  }
  // The member left alone has no quorum: no leader, so no write (and no linearizable read) is served.
  await eventually('the remaining member has no leader', 20_000, async () => ((await memberStatus(left.clientUrl)).leader === '0' ? true : undefined));

  const admin = kafka().admin();
  await admin.connect();
  const creation = admin.createTopics({ topics: [{ topic: 'no-quorum', numPartitions: 1, replicationFactor: 3 }], timeout: 5000 }).then(
    () => 'created',
    (e: Error & { errors?: { type?: string }[] }) => `refused: ${e.message} ${e.errors?.map((x) => x.type).join(',') ?? ''}`,
  );
  // Held as long as there is no quorum: not answered as created, and listed by no broker.
  const outcome = await Promise.race([creation, new Promise<string>((r) => setTimeout(() => r('pending'), 15_000))]);
  assert.notEqual(outcome, 'created', 'a topic is not created without an etcd quorum');
  // Refused, it is refused as a controller that cannot commit: REQUEST_TIMED_OUT, retriable.
  if (outcome.startsWith('refused')) assert.match(outcome, /REQUEST_TIMED_OUT$/);
  for (const b of running()) assert.equal((await metadataOf(b, ['no-quorum'])).topics[0]!.errorCode, 3, `broker ${b.nodeId} does not list no-quorum (UNKNOWN_TOPIC_OR_PARTITION)`);
  // The data path needs no metadata write while the ISR holds, as Kafka's brokers go on without their controller quorum.
  const during = await producer();
  const [ackedDuring] = await during.send({ topic: 'member-back', acks: -1, messages: [{ value: 'no quorum' }] });
  assert.equal(ackedDuring!.errorCode, 0);

  await gone1.restart();
  await quorate('with two members');
  await creation;
  await admin.disconnect();
  // The brokers kept their sessions (etcd renews every lease when a leader takes over) and write metadata again.
  for (const b of running()) await eventually(`broker ${b.nodeId} lists three brokers`, 20_000, async () => ((await metadataOf(b)).brokers.length === 3 ? true : undefined));
  await createTopic('quorum-back');
  const p = await producer();
  const [acked] = await p.send({ topic: 'quorum-back', acks: -1, messages: [{ value: 'd' }] });
  assert.equal(acked!.errorCode, 0);
  await gone2.restart();
  await quorate('with three members');
  t.diagnostic(`topic creation without a quorum: ${outcome}`);
  etcdLog(t);
});
