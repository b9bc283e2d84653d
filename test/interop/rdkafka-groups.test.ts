// Consumer groups and transactions with a current librdkafka (2.15, built from source by
// test/interop/rdkafka) against an in-process broker: cooperative-sticky rebalancing with
// incremental assign/unassign as members join and leave, range, regular-expression
// subscriptions that pick up a topic created later, committed offsets across a consumer
// restart with the admin group operations, and transactions (commit and abort seen by
// read_committed and read_uncommitted consumers, sendOffsetsToTransaction). Fails (never
// skips) when the bindings are not built.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestBroker, type TestRecord } from './helpers.js';
import {
  ClientLog,
  call,
  callVoid,
  consumeN,
  consumer,
  disconnect,
  loadRdkafka,
  produceAll,
  producer,
  protocolTrouble,
  type Conf,
  type RdConsumer,
  type RdError,
  type RdMessage,
  type RdProducer,
  allLogs,
} from './rdkafka-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tp = (x: { topic: string; partition: number }) => `${x.topic}:${x.partition}`;
const values = (ms: RdMessage[]) => ms.map((m) => m.value!.toString()).sort();
const texts = (topic: string, n: number, prefix: string, p?: number): TestRecord[] =>
  Array.from({ length: n }, (_, i): TestRecord => ({ ...(p === undefined ? {} : { p }), k: null, v: Buffer.from(`${prefix}${i}`).toString('hex'), h: [] }));

async function waitUntil(what: string, cond: () => boolean, timeoutMs: number, context: () => string): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}\n${context()}`);
    await sleep(50);
  }
}

/** A group member polling in the background (rebalance callbacks are served by the poll). */
class Member {
  readonly owned = new Set<string>();
  readonly events: { ev: 'assign' | 'revoke'; tps: string[]; protocol: string }[] = [];
  readonly messages: RdMessage[] = [];
  /** Errors the poll returned (librdkafka reports consumer errors through it). */
  readonly errors: string[] = [];
  readonly log: ClientLog;
  private polling = true;
  private loop: Promise<void> = Promise.resolve();
  c!: RdConsumer;

  constructor(readonly name: string) {
    this.log = new ClientLog(name);
  }

  async start(bootstrap: string, conf: Conf, topics: (string | RegExp)[]): Promise<this> {
    this.c = await consumer(bootstrap, { rebalance_cb: true, 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 300, ...conf }, this.log);
    this.c.on('rebalance', (err: RdError, tps: { topic: string; partition: number }[]) => {
      const ev = err.code === -175 ? 'assign' : 'revoke';
      const protocol = this.c.rebalanceProtocol();
      this.events.push({ ev, tps: tps.map(tp).sort(), protocol });
      // EAGER revokes everything; COOPERATIVE only the partitions listed.
      if (ev === 'assign') for (const x of tps) this.owned.add(tp(x));
      else if (protocol === 'EAGER') this.owned.clear();
      else for (const x of tps) this.owned.delete(tp(x));
    });
    this.c.subscribe(topics);
    this.loop = (async () => {
      while (this.polling) {
        try {
          this.messages.push(...(await consumeN(this.c, 1, 200, 0)));
        } catch (e) {
          this.errors.push(`${(e as RdError).code} ${(e as Error).message}`);
          await sleep(100);
        }
      }
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.polling = false;
    await this.loop;
    await disconnect(this.c);
  }

  get partitions(): string[] {
    return [...this.owned].sort();
  }

  describe(): string {
    return `${this.name}: owns ${JSON.stringify(this.partitions)}, ${this.messages.length} records, errors ${JSON.stringify(this.errors.slice(0, 5))}, events ${JSON.stringify(this.events)}\n${this.log.tail(10)}`;
  }
}

describe('librdkafka (current) groups and transactions', { timeout: 300_000 }, () => {
  let broker: TestBroker;
  const members: Member[] = [];
  const clients: (RdProducer | RdConsumer)[] = [];
  const member = (name: string) => {
    const m = new Member(name);
    members.push(m);
    return m;
  };
  const context = () => `${members.map((m) => m.describe()).join('\n')}\nbroker log:\n${broker.logSince()}`;

  before(async () => {
    broker = await TestBroker.start({ 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 3, 'transaction.state.log.num.partitions': 3 });
  });
  after(async () => {
    for (const m of members) await m.stop();
    for (const c of clients) await disconnect(c);
    if (process.env.RD_REPORT) for (const l of allLogs) for (const w of l.warnings) console.log(`WARN ${l.name}: ${w}`);
    if (process.env.RD_REPORT) for (const l of broker.logLines) console.log(`BROKER ${l}`);
    if (process.env.RD_REPORT) console.log(`REQUESTS ${[...new Set(allLogs.flatMap((l) => l.lines.map((x) => /Sent (\w+)Request \((v\d+)/.exec(x)).filter((m) => m).map((m) => `${m![1]} ${m![2]}`)))].sort().join(', ')}`);
    await broker?.dispose();
  });

  async function produceTo(topic: string, records: TestRecord[], conf: Conf = {}): Promise<void> {
    const log = new ClientLog(`producer ${topic}`);
    const p = await producer(broker.bootstrap, conf, log);
    try {
      const bad = (await produceAll(p, topic, records)).filter((r) => r.err);
      assert.deepEqual(bad.slice(0, 3), [], log.tail());
    } finally {
      await disconnect(p);
    }
  }

  test('cooperative-sticky: members join and leave with incremental assign/unassign, the others keep their partitions, every record consumed', async () => {
    loadRdkafka();
    const topic = 'rdg-coop';
    await broker.running!.broker.topics.create(topic, 6, 1, {});
    const conf: Conf = { 'group.id': 'rdg-coop-g', 'partition.assignment.strategy': 'cooperative-sticky', debug: 'cgrp,protocol' };
    const all = Array.from({ length: 6 }, (_, p) => `${topic}:${p}`);
    const a = await member('a').start(broker.bootstrap, conf, [topic]);
    await waitUntil('a owns all 6', () => a.partitions.length === 6, 30_000, context);
    await produceTo(topic, texts(topic, 60, 'one-', undefined));

    const b = await member('b').start(broker.bootstrap, conf, [topic]);
    await waitUntil('a and b own 3 each', () => a.partitions.length === 3 && b.partitions.length === 3, 30_000, context);
    // Incremental: a was asked to give up only the partitions b got, never everything.
    const aRevokes = a.events.filter((e) => e.ev === 'revoke');
    assert.deepEqual(aRevokes.map((e) => e.tps), [b.partitions], context());
    assert.ok(a.events.every((e) => e.protocol === 'COOPERATIVE') && b.events.every((e) => e.protocol === 'COOPERATIVE'), context());
    const aKept = a.partitions;

    const c = await member('c').start(broker.bootstrap, conf, [topic]);
    await waitUntil('2 partitions each', () => [a, b, c].every((m) => m.partitions.length === 2), 30_000, context);
    assert.ok(a.partitions.every((x) => aKept.includes(x)), `sticky: a kept a subset of ${aKept}\n${context()}`);
    assert.deepEqual([...a.partitions, ...b.partitions, ...c.partitions].sort(), all);
    await produceTo(topic, texts(topic, 60, 'two-', undefined));

    // c leaves cleanly: only its partitions move, a and b get no revocation.
    const before = [a.events.length, b.events.length];
    const cHad = c.partitions;
    await c.stop();
    await waitUntil('a and b own 3 each again', () => a.partitions.length === 3 && b.partitions.length === 3, 30_000, context);
    assert.deepEqual([...a.events.slice(before[0]), ...b.events.slice(before[1])].filter((e) => e.ev === 'revoke'), [], context());
    assert.deepEqual([...a.events.slice(before[0]), ...b.events.slice(before[1])].flatMap((e) => e.tps).sort(), cHad);
    await produceTo(topic, texts(topic, 60, 'three-', undefined));

    const want = [...texts(topic, 60, 'one-'), ...texts(topic, 60, 'two-'), ...texts(topic, 60, 'three-')].map((r) => Buffer.from(r.v!, 'hex').toString()).sort();
    await waitUntil('every record consumed', () => a.messages.length + b.messages.length + c.messages.length >= want.length, 30_000, context);
    await sleep(500);
    assert.deepEqual(values([...a.messages, ...b.messages, ...c.messages]), want, 'each record exactly once');
    const trouble = [a, b, c].flatMap((m) => protocolTrouble(m.log.lines).map((l) => `${m.name}: ${l}`));
    assert.deepEqual(trouble, [], trouble.join('\n'));
  });

  test('range (eager): two members split each topic into contiguous halves; EAGER revokes all on a join', async () => {
    const topic = 'rdg-range';
    await broker.running!.broker.topics.create(topic, 4, 1, {});
    const conf: Conf = { 'group.id': 'rdg-range-g', 'partition.assignment.strategy': 'range' };
    const a = await member('range-a').start(broker.bootstrap, conf, [topic]);
    await waitUntil('range-a owns 4', () => a.partitions.length === 4, 30_000, context);
    const b = await member('range-b').start(broker.bootstrap, conf, [topic]);
    await waitUntil('2 each', () => a.partitions.length === 2 && b.partitions.length === 2, 30_000, context);
    const halves = [a.partitions, b.partitions].sort();
    assert.deepEqual(halves, [[`${topic}:0`, `${topic}:1`], [`${topic}:2`, `${topic}:3`]]);
    const revoke = a.events.find((e) => e.ev === 'revoke');
    assert.deepEqual(revoke, { ev: 'revoke', tps: [0, 1, 2, 3].map((p) => `${topic}:${p}`), protocol: 'EAGER' });
    await a.stop();
    await b.stop();
  });

  test('regex subscription ^rdre-.*: matching topics consumed, a topic created after the subscription picked up, others not', async () => {
    const k = loadRdkafka();
    await broker.running!.broker.topics.create('rdre-one', 2, 1, {});
    await broker.running!.broker.topics.create('other-rdre', 1, 1, {});
    await produceTo('rdre-one', texts('rdre-one', 20, 'one-', 0));
    await produceTo('other-rdre', texts('other-rdre', 5, 'other-', 0));
    const m = await member('regex').start(broker.bootstrap, { 'group.id': 'rdg-regex-g', 'topic.metadata.refresh.interval.ms': 500, debug: 'protocol,cgrp,topic' }, [/^rdre-.*/]);
    await waitUntil('rdre-one consumed', () => m.messages.length >= 20, 30_000, context);

    const admin = k.AdminClient.create({ 'bootstrap.servers': broker.bootstrap });
    try {
      await call((cb) => admin.createTopic({ topic: 'rdre-two', num_partitions: 3, replication_factor: 1 }, 10_000, cb));
    } finally {
      admin.disconnect();
    }
    await produceTo('rdre-two', texts('rdre-two', 30, 'two-', undefined));
    await waitUntil('rdre-two consumed', () => m.messages.length >= 50, 30_000, context);
    await sleep(500);
    assert.deepEqual([...new Set(m.messages.map((x) => x.topic))].sort(), ['rdre-one', 'rdre-two']);
    assert.deepEqual(values(m.messages), [...texts('', 20, 'one-'), ...texts('', 30, 'two-')].map((r) => Buffer.from(r.v!, 'hex').toString()).sort());
    assert.deepEqual(m.partitions, ['rdre-one:0', 'rdre-one:1', 'rdre-two:0', 'rdre-two:1', 'rdre-two:2']);
    assert.deepEqual(protocolTrouble(m.log.lines), []);
    assert.deepEqual(m.errors, [], m.describe());
    await m.stop();
  });

  test('committed offsets survive a consumer restart; admin lists, describes and deletes the group and its offsets', async () => {
    const k = loadRdkafka();
    const topic = 'rdg-commit';
    const group = 'rdg-commit-g';
    await broker.running!.broker.topics.create(topic, 1, 1, {});
    await produceTo(topic, texts(topic, 100, 'c-', 0));
    const conf: Conf = { 'group.id': group, 'enable.auto.commit': false };
    const log = new ClientLog('committer');
    let c = await consumer(broker.bootstrap, conf, log);
    clients.push(c);
    c.subscribe([topic]);
    const first = await consumeN(c, 100, 30_000, 0);
    assert.ok(first.length >= 40, `read ${first.length}`);
    await callVoid((cb) => c.commitCb([{ topic, partition: 0, offset: 40 }], cb));
    const committed = await call<{ offset: number }[]>((cb) => c.committed([{ topic, partition: 0 }], 10_000, cb));
    assert.equal(committed[0]!.offset, 40);
    await disconnect(c);

    c = await consumer(broker.bootstrap, conf, new ClientLog('committer again'));
    clients.push(c);
    c.subscribe([topic]);
    const rest = await consumeN(c, 60, 30_000);
    assert.deepEqual(rest.map((m) => m.offset), Array.from({ length: 60 }, (_, i) => 40 + i), 'resumes at the committed offset');

    const admin = k.AdminClient.create({ 'bootstrap.servers': broker.bootstrap });
    try {
      const listed = await call<{ groups: { groupId: string; protocolType: string; state: number }[] }>((cb) => admin.listGroups({ timeout: 10_000 }, cb));
      assert.ok(listed.groups.some((g) => g.groupId === group && g.protocolType === 'consumer'), JSON.stringify(listed));
      const described = await call<{ groups: { groupId: string; members: unknown[]; partitionAssignor: string; authorizedOperations?: number[]; error?: unknown }[] }>((cb) =>
        admin.describeGroups([group], { timeout: 10_000, includeAuthorizedOperations: true }, cb),
      );
      assert.equal(described.groups[0]!.members.length, 1, JSON.stringify(described));
      assert.equal(described.groups[0]!.partitionAssignor, 'range');
      // READ, DELETE, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS: Apache Kafka 4.1.1's answer without an authorizer.
      assert.deepEqual(described.groups[0]!.authorizedOperations, [3, 6, 8, 10, 11]);
      const offsets = await call<{ groupId: string; partitions: { topic: string; partition: number; offset: number }[] }[]>((cb) => admin.listConsumerGroupOffsets([{ groupId: group }], { timeout: 10_000 }, cb));
      assert.deepEqual(offsets[0]!.partitions.map((x) => [x.topic, x.partition, x.offset]), [[topic, 0, 40]]);
      // A group with a member cannot be deleted; an empty one can, and its offsets go with it.
      const busy = await call<{ groupId: string; error?: { code: number } }[]>((cb) => admin.deleteGroups([group], { timeout: 10_000 }, cb));
      assert.equal(busy[0]!.error?.code, k.CODES.ERRORS.ERR_NON_EMPTY_GROUP, JSON.stringify(busy));
      await disconnect(c);
      const deleted = await call<{ groupId: string; error?: unknown }[]>((cb) => admin.deleteGroups([group], { timeout: 10_000 }, cb));
      assert.equal(deleted[0]!.error, undefined, JSON.stringify(deleted));
      const after = await call<{ partitions: { offset: number }[] }[]>((cb) => admin.listConsumerGroupOffsets([{ groupId: group, partitions: [{ topic, partition: 0 }] }], { timeout: 10_000 }, cb));
      assert.deepEqual(after[0]!.partitions.map((x) => x.offset), [-1001]); // RD_KAFKA_OFFSET_INVALID: no committed offset
    } finally {
      admin.disconnect();
    }
  });

  test('transactions: commit and abort mixed, read_committed sees exactly the committed records, read_uncommitted all', async () => {
    const topic = 'rdg-txn';
    await broker.running!.broker.topics.create(topic, 3, 1, {});
    const log = new ClientLog('txn producer');
    const p = await producer(broker.bootstrap, { 'transactional.id': 'rdg-txn-1', debug: 'eos,protocol' }, log);
    clients.push(p);
    await callVoid((cb) => p.initTransactions(20_000, cb));
    const committed: string[] = [];
    const aborted: string[] = [];
    for (let t = 0; t < 12; t++) {
      await callVoid((cb) => p.beginTransaction(cb));
      const recs = texts(topic, 20, `t${t}-`, undefined);
      const bad = (await produceAll(p, topic, recs)).filter((r) => r.err);
      assert.deepEqual(bad, [], log.tail());
      const abort = t % 3 === 2;
      await callVoid((cb) => (abort ? p.abortTransaction(20_000, cb) : p.commitTransaction(20_000, cb)));
      (abort ? aborted : committed).push(...recs.map((r) => Buffer.from(r.v!, 'hex').toString()));
    }
    assert.deepEqual(protocolTrouble(log.lines), []);
    const read = async (isolation: string, expect: number) => {
      const c = await consumer(broker.bootstrap, { 'group.id': `rdg-txn-${isolation}`, 'isolation.level': isolation }, new ClientLog(isolation));
      clients.push(c);
      c.assign([0, 1, 2].map((partition) => ({ topic, partition, offset: 0 })));
      const got = await consumeN(c, expect, 30_000, 1000);
      await disconnect(c);
      return values(got);
    };
    assert.deepEqual(await read('read_committed', committed.length), [...committed].sort());
    assert.deepEqual(await read('read_uncommitted', committed.length + aborted.length), [...committed, ...aborted].sort());
  });

  test('sendOffsetsToTransaction: consume-transform-produce commits the input offsets with the output, an abort commits neither', async () => {
    const input = 'rdg-ctp-in';
    const output = 'rdg-ctp-out';
    const group = 'rdg-ctp-g';
    await broker.running!.broker.topics.create(input, 1, 1, {});
    await broker.running!.broker.topics.create(output, 1, 1, {});
    await produceTo(input, texts(input, 30, 'in-', 0));
    const clog = new ClientLog('ctp consumer');
    const c = await consumer(broker.bootstrap, { 'group.id': group, 'enable.auto.commit': false, 'isolation.level': 'read_committed' }, clog);
    clients.push(c);
    c.subscribe([input]);
    const log = new ClientLog('ctp producer');
    const p = await producer(broker.bootstrap, { 'transactional.id': 'rdg-ctp-1' }, log);
    clients.push(p);
    await callVoid((cb) => p.initTransactions(20_000, cb));
    const batch = await consumeN(c, 30, 30_000);
    assert.equal(batch.length, 30);
    for (const [i, [from, to]] of [[0, 10], [10, 20], [20, 30]].entries()) {
      await callVoid((cb) => p.beginTransaction(cb));
      const out = batch.slice(from, to).map((m): TestRecord => ({ p: 0, k: null, v: Buffer.from(`out-${m.value!.toString()}`).toString('hex'), h: [] }));
      assert.deepEqual((await produceAll(p, output, out)).filter((r) => r.err), [], log.tail());
      await callVoid((cb) => p.sendOffsetsToTransaction([{ topic: input, partition: 0, offset: to }], c, 20_000, cb));
      await callVoid((cb) => (i === 1 ? p.abortTransaction(20_000, cb) : p.commitTransaction(20_000, cb)));
      const committed = await call<{ offset: number }[]>((cb) => c.committed([{ topic: input, partition: 0 }], 10_000, cb));
      assert.equal(committed[0]!.offset, i === 2 ? 30 : 10, `committed offset after transaction ${i}\n${log.tail()}`);
    }
    const reader = await consumer(broker.bootstrap, { 'group.id': 'rdg-ctp-reader', 'isolation.level': 'read_committed' }, new ClientLog('reader'));
    clients.push(reader);
    reader.assign([{ topic: output, partition: 0, offset: 0 }]);
    const seen = values(await consumeN(reader, 20, 30_000, 1000));
    const want = [...batch.slice(0, 10), ...batch.slice(20, 30)].map((m) => `out-${m.value!.toString()}`).sort();
    assert.deepEqual(seen, want);
  });

  test('zombie fencing: a second producer with the same transactional.id fences the first one', async () => {
    const topic = 'rdg-fence';
    await broker.running!.broker.topics.create(topic, 1, 1, {});
    const zlog = new ClientLog('zombie');
    const zombie = await producer(broker.bootstrap, { 'transactional.id': 'rdg-fence-1' }, zlog);
    clients.push(zombie);
    await callVoid((cb) => zombie.initTransactions(20_000, cb));
    await callVoid((cb) => zombie.beginTransaction(cb));
    assert.deepEqual((await produceAll(zombie, topic, texts(topic, 1, 'zombie', 0))).filter((r) => r.err), []);
    const second = await producer(broker.bootstrap, { 'transactional.id': 'rdg-fence-1' }, new ClientLog('second'));
    clients.push(second);
    // InitProducerId bumps the epoch and aborts the zombie's open transaction.
    await callVoid((cb) => second.initTransactions(20_000, cb));
    await callVoid((cb) => second.beginTransaction(cb));
    assert.deepEqual((await produceAll(second, topic, texts(topic, 1, 'second', 0))).filter((r) => r.err), []);
    await callVoid((cb) => second.commitTransaction(20_000, cb));
    const zombieCommit = await callVoid((cb) => zombie.commitTransaction(20_000, cb)).then(() => null, (e: RdError) => e);
    assert.ok(zombieCommit, `the zombie's commit must fail\n${zlog.tail()}`);
    assert.match(`${zombieCommit.message} ${zlog.errors.map((e) => e.message).join(' ')}`, /fenced|epoch/i);
    const c = await consumer(broker.bootstrap, { 'group.id': 'rdg-fence-reader', 'isolation.level': 'read_committed' }, new ClientLog('reader'));
    clients.push(c);
    c.assign([{ topic, partition: 0, offset: 0 }]);
    assert.deepEqual(values(await consumeN(c, 1, 20_000, 1000)), ['second0']);
  });
});
