/**
 * Consumer group timings against a broker in its own process (`samsa start`, durable flush):
 *
 *  - crash → reassignment: a member of a Stable group stops dead (socket destroyed, no
 *    LeaveGroup); time until the survivors hold all partitions again. Bounded below by the
 *    session timeout; what is above it is detection (the survivors' next heartbeat) + rebalance.
 *  - rebalance of 10 members: an 11th joins, or one of 10 leaves (LeaveGroup), in a Stable group;
 *    time from the trigger until every member has its new assignment, and the broker's share:
 *    from the last JoinGroup of the round to the last SyncGroup answer (join completion, the
 *    leader's assignment, its record appended and synced, the answers).
 *  - forming a group of 10 members started together (initial rebalance delay 0).
 *  - the same 11th-member rebalance with KafkaJS consumers (real client: its own heartbeat loop,
 *    metadata refreshes and assignor).
 *
 * Members are raw protocol clients (JoinGroup v5, SyncGroup v3, Heartbeat v3) rejoining as soon
 * as a heartbeat says REBALANCE_IN_PROGRESS. Run: node dist/bench/groups.js
 * (GROUP_BENCH_TRIALS=n for more trials). Prints a table and one JSON line; no assertions.
 */
import { createRequire } from 'node:module';
import { ConsumerProtocolAssignmentCodec, ConsumerProtocolSubscriptionCodec, Heartbeat, JoinGroup, LeaveGroup, SyncGroup } from '../src/protocol/generated/index.js';
import { Reader, Writer } from '../src/protocol/runtime/index.js';
import { BrokerProcess } from './lib/broker-process.js';
import { RawConnection } from './lib/raw-client.js';
import { fmt, table } from './lib/stats.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');

const TRIALS = Number(process.env.GROUP_BENCH_TRIALS ?? 3);
const TOPIC = 'bench-groups';
const PARTITIONS = 20;
const SESSION_MS = 6000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

function subscription(topics: string[]): Buffer {
  const v = { topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null };
  const w = new Writer(2 + ConsumerProtocolSubscriptionCodec.size(v, 0));
  w.int16(0);
  ConsumerProtocolSubscriptionCodec.write(w, v, 0);
  return w.finish();
}

function encodeAssignment(partitions: number[]): Buffer {
  const v = { assignedPartitions: [{ topic: TOPIC, partitions }], userData: null };
  const w = new Writer(2 + ConsumerProtocolAssignmentCodec.size(v, 0));
  w.int16(0);
  ConsumerProtocolAssignmentCodec.write(w, v, 0);
  return w.finish();
}

function decodeAssignment(b: Buffer): number[] {
  if (b.length === 0) return [];
  const r = new Reader(b);
  const version = r.int16('version');
  return ConsumerProtocolAssignmentCodec.read(r, Math.min(version, 3)).assignedPartitions.flatMap((t) => t.partitions);
}

/** A consumer group member speaking the protocol directly. */
class RawMember {
  memberId = '';
  generation = -1;
  partitions: number[] = [];
  assignedAt = 0;
  lastJoinSentAt = 0;
  lastHeartbeatSentAt = 0;
  private conn!: RawConnection;
  private stopped = false;
  private readonly subscription = subscription([TOPIC]);

  constructor(
    readonly host: string,
    readonly port: number,
    readonly group: string,
    readonly heartbeatMs: number,
  ) {}

  async start(): Promise<void> {
    this.conn = await RawConnection.connect(this.host, this.port, 'bench-member');
    void this.run().catch(() => undefined);
  }

  private async joinAndSync(): Promise<void> {
    while (!this.stopped) {
      this.lastJoinSentAt = now();
      const j = await this.conn.request(JoinGroup, 5, {
        groupId: this.group,
        sessionTimeoutMs: SESSION_MS,
        rebalanceTimeoutMs: 30_000,
        memberId: this.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [{ name: 'roundrobin', metadata: this.subscription }],
        reason: null,
      });
      if (j.errorCode === 79 /* MEMBER_ID_REQUIRED */) {
        this.memberId = j.memberId;
        continue;
      }
      if (j.errorCode === 25 /* UNKNOWN_MEMBER_ID */) this.memberId = '';
      if (j.errorCode !== 0) {
        await sleep(20);
        continue;
      }
      this.memberId = j.memberId;
      this.generation = j.generationId;
      let assignments: { memberId: string; assignment: Buffer }[] = [];
      if (j.leader === j.memberId) {
        const ids = j.members.map((m) => m.memberId).sort();
        assignments = ids.map((memberId, i) => ({ memberId, assignment: encodeAssignment(range(PARTITIONS).filter((p) => p % ids.length === i)) }));
      }
      const s = await this.conn.request(SyncGroup, 3, { groupId: this.group, generationId: this.generation, memberId: this.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments });
      if (s.errorCode !== 0) continue;
      this.partitions = decodeAssignment(s.assignment);
      this.assignedAt = now();
      return;
    }
  }

  private async run(): Promise<void> {
    await this.joinAndSync();
    // Out of step with the other members, as independent clients are.
    await sleep(Math.random() * this.heartbeatMs);
    while (!this.stopped) {
      await sleep(this.heartbeatMs);
      if (this.stopped) return;
      this.lastHeartbeatSentAt = now();
      const h = await this.conn.request(Heartbeat, 3, { groupId: this.group, generationId: this.generation, memberId: this.memberId, groupInstanceId: null });
      if (h.errorCode === 25) this.memberId = '';
      if (h.errorCode !== 0) await this.joinAndSync();
    }
  }

  /** Dies: no LeaveGroup, the socket just goes. */
  crash(): void {
    this.stopped = true;
    this.conn.close();
  }

  async leave(): Promise<void> {
    this.stopped = true;
    await this.conn.request(LeaveGroup, 3, { groupId: this.group, memberId: '', members: [{ memberId: this.memberId, groupInstanceId: null, reason: null }] });
    this.conn.close();
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function covered(members: RawMember[], generationAbove: number): boolean {
  const all = members.flatMap((m) => (m.generation > generationAbove ? m.partitions : [])).sort((a, b) => a - b);
  return all.length === PARTITIONS && all.every((p, i) => p === i) && members.every((m) => m.generation > generationAbove && m.assignedAt > 0);
}

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const start = now();
  while (!cond()) {
    if (now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

async function stableGroup(broker: BrokerProcess, group: string, n: number, heartbeatMs: number): Promise<{ members: RawMember[]; formMs: number; generation: number }> {
  const members = range(n).map(() => new RawMember(broker.host, broker.port, group, heartbeatMs));
  const t0 = now();
  await Promise.all(members.map((m) => m.start()));
  await waitFor(() => covered(members, 0) && new Set(members.map((m) => m.generation)).size === 1, 60_000, `a group of ${n}`);
  const formMs = Math.max(...members.map((m) => m.assignedAt)) - t0;
  return { members, formMs, generation: members[0]!.generation };
}

interface Stat {
  mean: number;
  min: number;
  max: number;
}
const stat = (xs: number[]): Stat => ({ mean: xs.reduce((a, b) => a + b, 0) / xs.length, min: Math.min(...xs), max: Math.max(...xs) });

async function main(): Promise<void> {
  const broker = await BrokerProcess.start({ overrides: { 'group.initial.rebalance.delay.ms': 0, 'num.partitions': PARTITIONS } });
  let groupSeq = 0;
  const rows: string[][] = [];
  const json: Record<string, unknown> = { bench: 'groups', trials: TRIALS, partitions: PARTITIONS, sessionTimeoutMs: SESSION_MS };
  try {
    // Warm-up: creates __consumer_offsets and the topic.
    const warm = await stableGroup(broker, `warm-${groupSeq++}`, 2, 500);
    for (const m of warm.members) await m.leave();

    // Forming a group of 10.
    const forms: number[] = [];
    const generations: number[] = [];
    for (let t = 0; t < TRIALS; t++) {
      const g = await stableGroup(broker, `form-${groupSeq++}`, 10, 100);
      forms.push(g.formMs);
      generations.push(g.generation);
      for (const m of g.members) m.crash();
    }
    const form = stat(forms);
    rows.push(['form a group of 10 (started together, delay 0)', fmt(form.mean, 0), fmt(form.min, 0), fmt(form.max, 0), `${fmt(stat(generations).mean, 1)} generations`]);
    json.form10 = { ...form, generations: stat(generations).mean };

    // Rebalance of 10 members: an 11th joins / one leaves, at two heartbeat intervals.
    for (const heartbeatMs of [100, 500]) {
      for (const trigger of ['join', 'leave'] as const) {
        const total: number[] = [];
        const brokerShare: number[] = [];
        for (let t = 0; t < TRIALS; t++) {
          const group = `rebalance-${groupSeq++}`;
          const { members, generation } = await stableGroup(broker, group, trigger === 'join' ? 10 : 11, heartbeatMs);
          await sleep(heartbeatMs * (2 + Math.random()));
          let live = members;
          const t0 = now();
          if (trigger === 'join') {
            const extra = new RawMember(broker.host, broker.port, group, heartbeatMs);
            await extra.start();
            live = [...members, extra];
          } else {
            const leaving = members.at(-1)!;
            await leaving.leave();
            live = members.slice(0, -1);
          }
          await waitFor(() => covered(live, generation), 30_000, `the rebalance (${trigger})`);
          const done = Math.max(...live.map((m) => m.assignedAt));
          total.push(done - t0);
          brokerShare.push(done - Math.max(...live.map((m) => m.lastJoinSentAt)));
          for (const m of live) m.crash();
        }
        const s = stat(total);
        const b = stat(brokerShare);
        rows.push([`rebalance, 10 members, ${trigger === 'join' ? 'an 11th joins' : 'one of 11 leaves'}, heartbeat ${heartbeatMs} ms`, fmt(s.mean, 0), fmt(s.min, 0), fmt(s.max, 0), `last JoinGroup → all synced ${fmt(b.mean, 1)} ms`]);
        json[`rebalance10_${trigger}_hb${heartbeatMs}`] = { ...s, lastJoinToSyncedMs: b };
      }
    }

    // Crash → reassignment: 10 members, one dies.
    const crashes: number[] = [];
    const afterLastHeartbeat: number[] = [];
    for (let t = 0; t < TRIALS; t++) {
      const group = `crash-${groupSeq++}`;
      const { members, generation } = await stableGroup(broker, group, 10, 500);
      await sleep(1000 + Math.random() * 500);
      const victim = members[3]!;
      const t0 = now();
      victim.crash();
      const survivors = members.filter((m) => m !== victim);
      await waitFor(() => covered(survivors, generation), 30_000, 'reassignment after a crash');
      const reassigned = Math.max(...survivors.map((m) => m.assignedAt));
      crashes.push(reassigned - t0);
      afterLastHeartbeat.push(reassigned - victim.lastHeartbeatSentAt);
      for (const m of survivors) m.crash();
    }
    const c = stat(crashes);
    const h = stat(afterLastHeartbeat);
    rows.push([
      `crash → reassignment, 10 members (session ${SESSION_MS} ms, heartbeat 500 ms)`,
      fmt(c.mean, 0),
      fmt(c.min, 0),
      fmt(c.max, 0),
      `victim's last heartbeat → reassigned ${fmt(h.mean, 0)} ms (session + ${fmt(h.mean - SESSION_MS, 0)})`,
    ]);
    json.crashToReassignment10 = { ...c, fromLastHeartbeatMs: h };

    // KafkaJS: an 11th consumer joins 10.
    const kjs: number[] = [];
    const kafka = new Kafka({ brokers: [`${broker.host}:${broker.port}`], clientId: 'bench-kafkajs', logLevel: logLevel.NOTHING });
    for (let t = 0; t < TRIALS; t++) {
      const groupId = `kafkajs-${groupSeq++}`;
      const assignedAt = new Map<number, number>();
      const consumers: import('kafkajs').Consumer[] = [];
      const add = async (i: number) => {
        const c = kafka.consumer({ groupId, sessionTimeout: SESSION_MS, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
        c.on(c.events.GROUP_JOIN, () => assignedAt.set(i, now()));
        await c.connect();
        await c.subscribe({ topic: TOPIC, fromBeginning: true });
        await c.run({ eachMessage: async () => undefined });
        consumers.push(c);
      };
      for (let i = 0; i < 10; i++) await add(i);
      // Stable: ten members, no join for a while.
      await waitFor(() => assignedAt.size === 10, 60_000, 'ten KafkaJS members');
      let last = Math.max(...assignedAt.values());
      while (now() - last < 2000) {
        await sleep(200);
        last = Math.max(...assignedAt.values());
      }
      const t0 = now();
      assignedAt.clear();
      await add(10);
      await waitFor(() => assignedAt.size === 11, 60_000, 'eleven KafkaJS members');
      kjs.push(Math.max(...assignedAt.values()) - t0);
      await Promise.all(consumers.map((c) => c.disconnect()));
    }
    const k = stat(kjs);
    rows.push(['KafkaJS: an 11th consumer joins 10 (heartbeat 500 ms)', fmt(k.mean, 0), fmt(k.min, 0), fmt(k.max, 0), 'connect → all 11 GROUP_JOIN']);
    json.kafkajsRebalance10 = k;
  } finally {
    await broker.stop();
  }
  console.log(`consumer groups: ${TRIALS} trials each, ${PARTITIONS} partitions, session timeout ${SESSION_MS} ms, broker in its own process (durable flush)\n`);
  console.log(table(['scenario', 'mean ms', 'min ms', 'max ms', 'note'], rows));
  console.log(JSON.stringify(json));
}

await main();
