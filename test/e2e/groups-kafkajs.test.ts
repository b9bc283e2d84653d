// Consumer groups with a real client: KafkaJS members, each in its own process (so that one can
// crash with SIGKILL: no LeaveGroup, no last commit), against an in-process broker.
// - three members share six partitions; one leaves cleanly (nothing is consumed twice), one is
//   killed (its partitions move after the session timeout); every record is consumed;
// - a static member (group.instance.id) restarting within its session gets its partitions back
//   without a rebalance;
// - committed offsets survive a broker restart; admin tools list, describe, rewind and delete.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { startBroker, type RunningBroker } from '../../src/index.js';
import type { MemberMessage, MemberOptions } from './fixtures/kafkajs-group-member.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');

const WORKER = fileURLToPath(new URL('./fixtures/kafkajs-group-member.js', import.meta.url));
const SESSION_TIMEOUT = 6000;
const HEARTBEAT_INTERVAL = 500;

const children = new Set<ChildProcess>();

function killByPid(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/** A KafkaJS member in a child process, and what it reported. */
class Member {
  readonly records: { partition: number; offset: number; value: string; at: number }[] = [];
  readonly joins: { memberId: string; isLeader: boolean; partitions: number[]; at: number }[] = [];
  readonly errors: string[] = [];
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;
  private stderr = '';

  constructor(
    readonly name: string,
    opts: Omit<MemberOptions, 'clientId' | 'sessionTimeout' | 'heartbeatInterval'> & Partial<MemberOptions>,
  ) {
    const full: MemberOptions = { clientId: name, sessionTimeout: SESSION_TIMEOUT, heartbeatInterval: HEARTBEAT_INTERVAL, ...opts };
    this.child = fork(WORKER, [JSON.stringify(full)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    children.add(this.child);
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    this.child.on('message', (m: MemberMessage) => {
      if (m.type === 'record') this.records.push(m);
      else if (m.type === 'joined') this.joins.push({ memberId: m.memberId, isLeader: m.isLeader, partitions: Object.values(m.assignment).flat().sort((a, b) => a - b), at: m.at });
      else if (m.type === 'crashed') this.errors.push(m.error);
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  /** Partitions of the latest assignment. */
  get partitions(): number[] {
    return this.joins.at(-1)?.partitions ?? [];
  }

  /** Crash: SIGKILL by PID. */
  kill(): Promise<void> {
    killByPid(this.child);
    return this.exited;
  }

  /** Clean stop: commit, LeaveGroup, exit. */
  async stop(): Promise<void> {
    this.child.send({ type: 'stop' });
    await Promise.race([this.exited, sleep(15_000).then(() => this.kill())]);
  }

  describe(): string {
    return `${this.name}: joins ${JSON.stringify(this.joins.map((j) => j.partitions))}, ${this.records.length} records, errors ${JSON.stringify(this.errors)}${this.stderr ? `, stderr ${this.stderr}` : ''}`;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number, context: () => string = () => ''): Promise<number> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}\n${context()}`);
    await sleep(20);
  }
  return Date.now() - start;
}

/** The members' latest assignments split `partitions` between them, each getting `each`. */
function balanced(members: Member[], partitions: number, each: number): boolean {
  const all = members.flatMap((m) => m.partitions).sort((a, b) => a - b);
  return all.length === partitions && all.every((p, i) => p === i) && members.every((m) => m.partitions.length === each);
}

describe('consumer groups with KafkaJS', { timeout: 90_000 }, () => {
  let broker: RunningBroker;
  const kafka = () => new Kafka({ brokers: [broker.bootstrap], clientId: 'groups-e2e', logLevel: logLevel.NOTHING, retry: { retries: 10 } });

  before(async () => {
    broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': 0 } });
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'work', numPartitions: 6 }] });
    await admin.disconnect();
  });

  after(async () => {
    for (const c of children) killByPid(c);
    await broker?.close();
  });

  async function produce(topic: string, prefix: string, perPartition: number, partitions: number): Promise<string[]> {
    const producer = kafka().producer();
    await producer.connect();
    const values: string[] = [];
    const messages = [];
    for (let p = 0; p < partitions; p++) {
      for (let i = 0; i < perPartition; i++) {
        const value = `${prefix}-${p}-${i}`;
        values.push(value);
        messages.push({ partition: p, value });
      }
    }
    await producer.send({ topic, messages });
    await producer.disconnect();
    return values;
  }

  test('three members share six partitions; a clean leave re-delivers nothing; a killed member\'s partitions move after the session timeout; every record is consumed', async (t) => {
    const group = 'workers';
    const opts = { brokers: [broker.bootstrap], groupId: group, topic: 'work', commitEach: true };
    const [a, b, c] = [new Member('a', opts), new Member('b', opts), new Member('c', opts)];
    const all = [a, b, c];
    const state = () => all.map((m) => m.describe()).join('\n');
    await waitUntil('three members with two partitions each', () => balanced(all, 6, 2), 30_000, state);

    const admin = kafka().admin();
    await admin.connect();
    const [described] = (await admin.describeGroups([group])).groups;
    assert.equal(described!.state, 'Stable');
    assert.equal(described!.members.length, 3);

    const batch1 = await produce('work', 'one', 50, 6);
    const consumed = () => new Set(all.flatMap((m) => m.records.map((r) => r.value)));
    await waitUntil('the first 300 records', () => batch1.every((v) => consumed().has(v)), 20_000, state);

    // A clean leave: c commits what it consumed and leaves; a and b take over from its offsets.
    await c.stop();
    await waitUntil('a and b with three partitions each', () => balanced([a, b], 6, 3), 20_000, state);
    const batch2 = await produce('work', 'two', 50, 6);
    await waitUntil('the next 300 records', () => batch2.every((v) => consumed().has(v)), 20_000, state);
    const seen = all.flatMap((m) => m.records.map((r) => `${r.partition}:${r.offset}`));
    assert.equal(new Set(seen).size, 600);
    assert.equal(seen.length, 600, 'after a clean rebalance no record is consumed twice');

    // A crash: b dies without a word. Its partitions stay put until its session times out.
    const joinsOfA = a.joins.length;
    const killedAt = Date.now();
    await b.kill();
    await waitUntil('a to own all six partitions', () => a.joins.length > joinsOfA && a.partitions.length === 6, 20_000, state);
    const reassignedAfter = a.joins.at(-1)!.at - killedAt;
    // Not before the session expires (its last heartbeat was at most a heartbeat interval or so before the kill).
    assert.ok(reassignedAfter >= SESSION_TIMEOUT - 1500, `reassigned after ${reassignedAfter} ms, before the session could expire`);
    assert.ok(reassignedAfter < SESSION_TIMEOUT + 5000, `reassigned after ${reassignedAfter} ms`);
    t.diagnostic(`crash → reassignment: ${reassignedAfter} ms (session timeout ${SESSION_TIMEOUT} ms)`);

    const batch3 = await produce('work', 'three', 50, 6);
    await waitUntil('the last 300 records', () => batch3.every((v) => consumed().has(v)), 20_000, state);
    for (const v of [...batch1, ...batch2, ...batch3]) assert.ok(consumed().has(v), `${v} consumed`);

    await waitUntil(
      'all offsets committed',
      async () => (await admin.fetchOffsets({ groupId: group, topics: ['work'] }))[0]!.partitions.every((p) => p.offset === '150'),
      10_000,
    );
    await a.stop();
    const [empty] = (await admin.describeGroups([group])).groups;
    assert.equal(empty!.state, 'Empty');
    await admin.disconnect();
  });

  test('a static member restarting within its session timeout gets its partitions back without a rebalance', async () => {
    const group = 'statics';
    const opts = { brokers: [broker.bootstrap], groupId: group, topic: 'work', sessionTimeout: 15_000 };
    const s1 = new Member('s1', { ...opts, instanceId: 'instance-1' });
    const s2 = new Member('s2', { ...opts, instanceId: 'instance-2' });
    const state = () => [s1, s2].map((m) => m.describe()).join('\n');
    await waitUntil('two static members with three partitions each', () => balanced([s1, s2], 6, 3), 30_000, state);
    // Let the group settle: no join in flight.
    await sleep(1000);
    const joinsOfS2 = s2.joins.length;
    const before = s1.partitions;
    const oldMemberId = s1.joins.at(-1)!.memberId;

    await s1.kill();
    const s1b = new Member('s1-restarted', { ...opts, instanceId: 'instance-1' });
    await waitUntil('the restarted member to get an assignment', () => s1b.joins.length > 0, 10_000, () => `${state()}\n${s1b.describe()}`);
    assert.deepEqual(s1b.partitions, before, 'the same partitions as before the crash');
    assert.notEqual(s1b.joins[0]!.memberId, oldMemberId);
    assert.match(s1b.joins[0]!.memberId, /^instance-1-/);

    // s2 heartbeats every 500 ms: had the group rebalanced, it would have rejoined.
    await sleep(2000);
    assert.equal(s2.joins.length, joinsOfS2, 'the other member saw no rebalance');
    const admin = kafka().admin();
    await admin.connect();
    const [g] = (await admin.describeGroups([group])).groups;
    assert.equal(g!.state, 'Stable');
    assert.deepEqual(g!.members.map((m) => m.memberId).sort(), [s1b.joins[0]!.memberId, s2.joins.at(-1)!.memberId].sort());
    await admin.disconnect();

    const values = await produce('work', 'static', 5, 6);
    await waitUntil('records for both', () => values.every((v) => [s1b, s2].some((m) => m.records.some((r) => r.value === v))), 20_000, state);
    for (const r of s1b.records.filter((x) => x.value.startsWith('static-'))) assert.ok(before.includes(r.partition));
    await s2.kill();
    await s1b.kill();
  });
});

describe('committed offsets across a broker restart', { timeout: 60_000 }, () => {
  let dir: string;
  let broker: RunningBroker;
  const kafka = () => new Kafka({ brokers: [broker.bootstrap], clientId: 'restart-e2e', logLevel: logLevel.NOTHING, retry: { retries: 10 } });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samsa-groups-'));
    broker = await startBroker({ logDirs: dir, config: { 'group.initial.rebalance.delay.ms': 0 } });
  });
  after(async () => {
    await broker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function consume(groupId: string, topic: string, expected: number): Promise<string[]> {
    const consumer = kafka().consumer({ groupId, sessionTimeout: SESSION_TIMEOUT, heartbeatInterval: HEARTBEAT_INTERVAL, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got: string[] = [];
    await consumer.run({ autoCommitThreshold: 1, eachMessage: async ({ message }) => void got.push(message.value!.toString()) });
    await waitUntil(`${expected} records`, () => got.length >= expected, 20_000, () => `${got.length} consumed`);
    await sleep(300); // nothing more arrives
    await consumer.disconnect();
    return got;
  }

  test('offsets committed before a restart are where consumers resume; admin tools see and change them', async () => {
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'persist', numPartitions: 3 }] });
    const producer = kafka().producer();
    await producer.connect();
    await producer.send({ topic: 'persist', messages: Array.from({ length: 90 }, (_, i) => ({ partition: i % 3, value: `before-${i}` })) });
    assert.equal((await consume('resumer', 'persist', 90)).length, 90);
    const committed = await admin.fetchOffsets({ groupId: 'resumer', topics: ['persist'] });
    assert.deepEqual(committed[0]!.partitions.map((p) => p.offset), ['30', '30', '30']);
    // An assign()-style commit (generation -1, no member) into another, new group.
    await admin.setOffsets({ groupId: 'rewinder', topic: 'persist', partitions: [{ partition: 0, offset: '10' }, { partition: 1, offset: '20' }] });
    await producer.disconnect();
    await admin.disconnect();

    await broker.close();
    broker = await startBroker({ logDirs: dir, config: { 'group.initial.rebalance.delay.ms': 0 } });

    const admin2 = kafka().admin();
    await admin2.connect();
    const after = await admin2.fetchOffsets({ groupId: 'resumer', topics: ['persist'] });
    assert.deepEqual(after[0]!.partitions.map((p) => [p.partition, p.offset]).sort(), [[0, '30'], [1, '30'], [2, '30']]);
    const rewound = await admin2.fetchOffsets({ groupId: 'rewinder', topics: ['persist'] });
    assert.deepEqual(rewound[0]!.partitions.map((p) => [p.partition, p.offset]).sort(), [[0, '10'], [1, '20'], [2, '-1']]);
    const unknown = await admin2.fetchOffsets({ groupId: 'never-seen', topics: ['persist'] });
    assert.deepEqual(unknown[0]!.partitions.map((p) => p.offset), ['-1', '-1', '-1'], 'an unknown group has offset -1 everywhere');
    const listed = (await admin2.listGroups()).groups.map((g) => g.groupId).sort();
    assert.deepEqual(listed, ['resumer', 'rewinder']);

    const producer2 = kafka().producer();
    await producer2.connect();
    await producer2.send({ topic: 'persist', messages: Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `after-${i}` })) });
    await producer2.disconnect();
    const resumed = await consume('resumer', 'persist', 30);
    assert.deepEqual(resumed.sort(), Array.from({ length: 30 }, (_, i) => `after-${i}`).sort(), 'only the records produced after the commit');

    await admin2.deleteGroups(['rewinder']);
    assert.deepEqual((await admin2.listGroups()).groups.map((g) => g.groupId), ['resumer']);
    await admin2.disconnect();
  });
});
