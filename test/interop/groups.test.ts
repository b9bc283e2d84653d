// Consumer groups with librdkafka-based clients against an in-process broker, each member a
// child process killed by PID: kcat's balanced consumer (`kcat -G`, eager range/roundrobin) and
// confluent-kafka with partition.assignment.strategy=cooperative-sticky (incremental
// rebalances: the broker runs the classic protocol, the clients do the cooperative part), plus
// static membership (group.instance.id). A member killed with SIGKILL loses its partitions to
// the others after the session timeout; every record is consumed; a clean leave re-delivers
// nothing. The tools must be installed: a missing one fails the test, it is never skipped.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { PY_DIR, PYTHON, requireKcat, requirePythonModule, TestBroker } from './helpers.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');

const SESSION_TIMEOUT = 6000;
const HEARTBEAT_INTERVAL = 500;
const PARTITIONS = 6;

const children = new Set<ChildProcess>();

function killByPid(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, signal);
  } catch {
    // gone already
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(what: string, cond: () => boolean, timeoutMs: number, context: () => string): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}\n${context()}`);
    await sleep(25);
  }
}

interface Seen {
  p: number;
  o: number;
  v: string;
}

/** A group member in a child process: what it owns and what it consumed. */
abstract class Member {
  owned = new Set<number>();
  readonly records: Seen[] = [];
  readonly events: { ev: string; partitions: number[]; t: number }[] = [];
  readonly exited: Promise<void>;
  protected readonly child: ChildProcess;
  protected stderr = '';

  constructor(
    readonly name: string,
    cmd: string,
    args: string[],
  ) {
    this.child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(this.child);
    this.child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.once('error', (e) => (this.stderr += `spawn failed: ${e.message}\n`));
    lines(this.child.stdout!, (l) => this.onStdout(l));
    lines(this.child.stderr!, (l) => {
      this.stderr = `${this.stderr}${l}\n`.slice(-6000);
      this.onStderr(l);
    });
  }

  protected abstract onStdout(line: string): void;
  protected onStderr(_line: string): void {}

  get partitions(): number[] {
    return [...this.owned].sort((a, b) => a - b);
  }

  /** Crash: SIGKILL by PID. */
  kill(): Promise<void> {
    killByPid(this.child);
    return this.exited;
  }

  abstract stop(): Promise<void>;

  describe(): string {
    return `${this.name}: owns ${JSON.stringify(this.partitions)}, ${this.records.length} records, events ${JSON.stringify(this.events.slice(-8))}\n  stderr: ${this.stderr.split('\n').slice(-8).join('\n  ')}`;
  }
}

function lines(stream: NodeJS.ReadableStream, fn: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      fn(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
}

/** `kcat -G`: records on stdout as partition:offset:value, rebalances on stderr. */
class KcatMember extends Member {
  constructor(name: string, bootstrap: string, group: string, topic: string) {
    super(name, 'kcat', [
      '-b', bootstrap, '-G', group,
      '-X', 'auto.offset.reset=earliest',
      '-X', `session.timeout.ms=${SESSION_TIMEOUT}`,
      '-X', `heartbeat.interval.ms=${HEARTBEAT_INTERVAL}`,
      '-X', 'auto.commit.interval.ms=200',
      '-f', '%p:%o:%s\\n', '-u', topic,
    ]);
  }

  protected onStdout(line: string): void {
    const m = /^(\d+):(\d+):(.*)$/.exec(line);
    if (m) this.records.push({ p: Number(m[1]), o: Number(m[2]), v: m[3]! });
  }

  protected override onStderr(line: string): void {
    // "% Group G rebalanced (memberid M): assigned: topic [0], topic [3]" / "...: revoked: ..."
    const m = /rebalanced \(memberid [^)]*\): (assigned|revoked): (.*)$/.exec(line);
    if (!m) return;
    const partitions = [...m[2]!.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]));
    if (m[1] === 'assigned') for (const p of partitions) this.owned.add(p);
    else for (const p of partitions) this.owned.delete(p);
    this.events.push({ ev: m[1]!, partitions, t: Date.now() });
  }

  /** SIGTERM makes kcat close its consumer (commit, LeaveGroup); SIGKILL if it does not exit. */
  async stop(): Promise<void> {
    killByPid(this.child, 'SIGTERM');
    await Promise.race([this.exited, sleep(10_000).then(() => this.kill())]);
  }
}

/** ck_group_member.py: confluent-kafka with JSON lines on stdout. */
class PyMember extends Member {
  closed = false;

  constructor(name: string, bootstrap: string, group: string, topic: string, config: Record<string, string | number>) {
    const conf = { 'session.timeout.ms': SESSION_TIMEOUT, 'heartbeat.interval.ms': HEARTBEAT_INTERVAL, ...config };
    super(name, PYTHON, [join(PY_DIR, 'ck_group_member.py'), '--bootstrap', bootstrap, '--topic', topic, '--group', group, ...Object.entries(conf).flatMap(([k, v]) => ['--config', `${k}=${v}`])]);
  }

  protected onStdout(line: string): void {
    if (!line.startsWith('{')) return;
    const m = JSON.parse(line) as { ev: string; p?: number; o?: number; v?: string; partitions?: number[]; owned?: number[]; t?: number };
    if (m.ev === 'record') this.records.push({ p: m.p!, o: m.o!, v: m.v! });
    else if (m.ev === 'assigned' || m.ev === 'revoked' || m.ev === 'lost') {
      this.owned = new Set(m.owned);
      this.events.push({ ev: m.ev, partitions: m.partitions!, t: m.t! });
    } else if (m.ev === 'closed') this.closed = true;
    else if (m.ev === 'error') this.events.push({ ev: `error ${line}`, partitions: [], t: Date.now() });
  }

  /** "stop" on stdin: close (last commit, LeaveGroup), exit. */
  async stop(): Promise<void> {
    this.child.stdin!.end('stop\n');
    await Promise.race([this.exited, sleep(15_000).then(() => this.kill())]);
  }
}

/** Every partition owned by exactly one member, each owning `each`. */
function balanced(members: Member[], each: number): boolean {
  const all = members.flatMap((m) => m.partitions).sort((a, b) => a - b);
  return all.length === PARTITIONS && all.every((p, i) => p === i) && members.every((m) => m.owned.size === each);
}

describe('consumer groups with kcat and confluent-kafka', { timeout: 240_000 }, () => {
  let broker: TestBroker;
  const kafka = () => new Kafka({ brokers: [broker.bootstrap], clientId: 'interop-groups', logLevel: logLevel.NOTHING, retry: { retries: 10 } });

  before(async () => {
    broker = await TestBroker.start({ 'group.initial.rebalance.delay.ms': 0 });
  });
  after(async () => {
    for (const c of children) killByPid(c);
    await broker?.dispose();
  });

  async function createTopic(topic: string): Promise<void> {
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
    await admin.disconnect();
  }

  async function produce(topic: string, prefix: string, perPartition = 50): Promise<string[]> {
    const producer = kafka().producer();
    await producer.connect();
    const messages = [];
    for (let p = 0; p < PARTITIONS; p++) for (let i = 0; i < perPartition; i++) messages.push({ partition: p, value: `${prefix}-${p}-${i}` });
    await producer.send({ topic, messages });
    await producer.disconnect();
    return messages.map((m) => m.value);
  }

  const consumedBy = (members: Member[]) => new Set(members.flatMap((m) => m.records.map((r) => r.v)));
  const context = (members: Member[]) => () => `${members.map((m) => m.describe()).join('\n')}\nbroker log:\n${broker.logSince()}`;

  test('kcat -G: three balanced consumers; one killed with SIGKILL; its partitions move after the session timeout; every record consumed', async (t) => {
    requireKcat();
    const topic = 'kcat-jobs';
    await createTopic(topic);
    const members = ['k1', 'k2', 'k3'].map((n) => new KcatMember(n, broker.bootstrap, 'kcat-group', topic));
    const ctx = context(members);
    await waitUntil('three kcat members with two partitions each', () => balanced(members, 2), 30_000, ctx);
    const first = await produce(topic, 'k-one');
    await waitUntil('300 records', () => first.every((v) => consumedBy(members).has(v)), 30_000, ctx);

    const [k1, k2, k3] = members as [KcatMember, KcatMember, KcatMember];
    await sleep(500); // let the auto-commit (200 ms) store what k3 consumed
    const killedAt = Date.now();
    await k3.kill();
    await waitUntil('k1 and k2 with three partitions each', () => balanced([k1, k2], 3), 30_000, ctx);
    const movedAfter = Math.max(...[k1, k2].map((m) => m.events.at(-1)!.t)) - killedAt;
    t.diagnostic(`kcat: crash → reassignment ${movedAfter} ms (session timeout ${SESSION_TIMEOUT} ms)`);
    assert.ok(movedAfter >= SESSION_TIMEOUT - 1500, `moved after ${movedAfter} ms`);

    const second = await produce(topic, 'k-two');
    await waitUntil('300 more records', () => second.every((v) => consumedBy(members).has(v)), 30_000, ctx);
    const seen = members.flatMap((m) => m.records.map((r) => `${r.p}:${r.o}`));
    assert.equal(new Set(seen).size, 600, 'every offset consumed');
    await Promise.all([k1.stop(), k2.stop()]);

    const admin = kafka().admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: 'kcat-group', topics: [topic] });
    assert.deepEqual(offsets[0]!.partitions.map((p) => p.offset), Array(PARTITIONS).fill('100'), 'kcat committed everything on close');
    await admin.disconnect();
  });

  test('confluent-kafka cooperative-sticky: incremental rebalances; a clean leave re-delivers nothing and moves only its partitions; a SIGKILLed member\'s partitions move after the session timeout', async (t) => {
    requirePythonModule('confluent_kafka');
    const topic = 'coop-jobs';
    await createTopic(topic);
    const conf = { 'partition.assignment.strategy': 'cooperative-sticky' };
    const members = ['c1', 'c2', 'c3'].map((n) => new PyMember(n, broker.bootstrap, 'coop-group', topic, conf));
    const [c1, c2, c3] = members as [PyMember, PyMember, PyMember];
    const ctx = context(members);
    await waitUntil('three cooperative members with two partitions each', () => balanced(members, 2), 40_000, ctx);
    await sleep(1000);
    const admin = kafka().admin();
    await admin.connect();
    const [g] = (await admin.describeGroups(['coop-group'])).groups;
    assert.equal(g!.protocol, 'cooperative-sticky');
    assert.equal(g!.state, 'Stable');

    const first = await produce(topic, 'c-one');
    await waitUntil('300 records', () => first.every((v) => consumedBy(members).has(v)), 30_000, ctx);

    // Clean leave: c3 commits and leaves; c1 and c2 keep what they own and only gain c3's partitions.
    const kept = { c1: c1.partitions, c2: c2.partitions };
    const eventsBefore = { c1: c1.events.length, c2: c2.events.length };
    await c3.stop();
    assert.ok(c3.closed, 'c3 closed cleanly');
    await waitUntil('c1 and c2 with three partitions each', () => balanced([c1, c2], 3), 30_000, ctx);
    for (const [m, own] of [
      [c1, kept.c1],
      [c2, kept.c2],
    ] as const) {
      const later = m.events.slice(m === c1 ? eventsBefore.c1 : eventsBefore.c2);
      assert.ok(own.every((p) => m.owned.has(p)), `${m.name} kept its partitions`);
      assert.deepEqual(later.filter((e) => e.ev === 'revoked' && e.partitions.length > 0), [], `${m.name} revoked nothing (cooperative)`);
    }
    const second = await produce(topic, 'c-two');
    await waitUntil('300 more records', () => second.every((v) => consumedBy(members).has(v)), 30_000, ctx);
    const seen = members.flatMap((m) => m.records.map((r) => `${r.p}:${r.o}`));
    assert.equal(seen.length, 600, `no record consumed twice after a clean rebalance (${seen.length} deliveries)`);
    assert.equal(new Set(seen).size, 600);

    // Crash: c2 is killed; c1 gets everything once c2's session has expired.
    await sleep(500);
    const killedAt = Date.now();
    await c2.kill();
    await waitUntil('c1 with all six partitions', () => c1.owned.size === PARTITIONS, 30_000, ctx);
    const movedAfter = c1.events.at(-1)!.t - killedAt;
    t.diagnostic(`cooperative-sticky: crash → reassignment ${movedAfter} ms (session timeout ${SESSION_TIMEOUT} ms)`);
    assert.ok(movedAfter >= SESSION_TIMEOUT - 1500, `moved after ${movedAfter} ms`);
    const third = await produce(topic, 'c-three');
    await waitUntil('the last 300 records', () => third.every((v) => consumedBy(members).has(v)), 30_000, ctx);
    for (const v of [...first, ...second, ...third]) assert.ok(consumedBy(members).has(v));
    await c1.stop();
    const [empty] = (await admin.describeGroups(['coop-group'])).groups;
    assert.equal(empty!.state, 'Empty');
    await admin.disconnect();
  });

  test('confluent-kafka static membership: a member restarting with its group.instance.id within the session timeout gets its partitions back without a rebalance', async () => {
    requirePythonModule('confluent_kafka');
    const topic = 'static-jobs';
    await createTopic(topic);
    const conf = (id: string) => ({ 'group.instance.id': id, 'session.timeout.ms': 20_000, 'partition.assignment.strategy': 'range' });
    const s1 = new PyMember('s1', broker.bootstrap, 'static-group', topic, conf('instance-1'));
    const s2 = new PyMember('s2', broker.bootstrap, 'static-group', topic, conf('instance-2'));
    const ctx = context([s1, s2]);
    await waitUntil('two static members with three partitions each', () => balanced([s1, s2], 3), 40_000, ctx);
    await sleep(1500);
    const before = s1.partitions;
    const eventsOfS2 = s2.events.length;

    await s1.kill();
    const s1b = new PyMember('s1-restarted', broker.bootstrap, 'static-group', topic, conf('instance-1'));
    const ctx2 = context([s1b, s2]);
    await waitUntil('the restarted member to own partitions', () => s1b.owned.size > 0, 30_000, ctx2);
    assert.deepEqual(s1b.partitions, before, 'the same partitions as before the crash');
    await sleep(2000);
    assert.equal(s2.events.length, eventsOfS2, 'the other member saw no rebalance');

    const values = await produce(topic, 'static', 5);
    await waitUntil('records for both', () => values.every((v) => consumedBy([s1b, s2]).has(v)), 30_000, ctx2);
    for (const r of s1b.records) assert.ok(before.includes(r.p));
    await Promise.all([s1b.kill(), s2.kill()]);
  });
});
