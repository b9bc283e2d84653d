// The Apache Kafka Java client (kafka-clients 4.1.1, test/interop/java/*.java) against an
// in-process broker, one JVM per scenario: the producer with every codec and acks 0/1/all,
// records read back byte-identical by the Java consumer and by kcat (and kcat's and KafkaJS's
// records by the Java consumer); classic consumer groups with the range and cooperative-sticky
// assignors; commits, seeks and offsetsForTimes; the admin client; transactions, open and
// finished; an idempotent producer and a group across a broker restart. The client's own log
// must hold no warning or error. Missing java, javac or mvn fails; nothing is skipped.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../src/index.js';
import {
  FULL_CAPS,
  KCAT_CAPS,
  TestBroker,
  assertRecordsMatch,
  describeRun,
  kcatConsume,
  kcatProduce,
  killAllChildren,
  makeRecords,
  placeInOrder,
  placedFromReports,
  requireKcat,
  type ConsumeOutput,
  type Placed,
  type ProduceOutput,
  type TestRecord,
} from './helpers.js';
import { JavaClient, type JavaRun } from './java-helpers.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel, CompressionTypes } = require('kafkajs') as typeof import('kafkajs');

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/**
 * A free port below Linux's ephemeral range (32768+): a client reconnecting to a port nobody
 * listens on can be given that very port as its own (a TCP self-connect) and hold it.
 */
async function fixedPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
}
const hex = (s: string) => Buffer.from(s).toString('hex');
const text = (h: string | null) => (h === null ? null : Buffer.from(h, 'hex').toString());

describe('Apache Kafka Java client (kafka-clients 4.1.1)', { timeout: 600_000 }, () => {
  let broker: TestBroker;
  let java: JavaClient | undefined;
  const client = () => {
    java ??= JavaClient.compile();
    return java;
  };
  const brokerLog = () => `broker log:\n${broker.logSince()}`;
  const runJava = <T = any>(steps: object[]) => client().run<T>(broker.bootstrap, steps, brokerLog);
  /** The client logged no warning or error: it found nothing wrong with the broker. */
  const assertQuiet = (what: string, r: JavaRun<unknown>) => assert.deepEqual(r.warnings, [], `${what}: the Java client logged warnings\n${brokerLog()}`);
  const createTopics = (topics: { name: string; partitions: number }[]) => ({ cmd: 'admin', ops: [{ op: 'createTopics', topics }] });

  before(async () => {
    broker = await TestBroker.start({ 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 3, 'transaction.state.log.num.partitions': 3 });
  });
  after(async () => {
    killAllChildren();
    await broker?.dispose();
    java?.remove();
  });

  test('producer: every codec with idempotence and acks=all, acks=1, acks=0; the Java consumer and kcat read byte-identical records', async () => {
    requireKcat();
    const jobs: { topic: string; config: Record<string, string>; records: TestRecord[]; codec: string }[] = CODECS.map((codec, c) => ({
      topic: `j-codec-${codec}`,
      codec,
      config: { acks: 'all', 'enable.idempotence': 'true', 'compression.type': codec, 'linger.ms': '20' },
      records: makeRecords(11_000 + c, 800, FULL_CAPS, 1_750_000_000_000 + c * 1_000_000).map((r, i) => ({ ...r, p: i % 2 })),
    }));
    jobs.push({ topic: 'j-acks1', codec: 'gzip', config: { acks: '1', 'enable.idempotence': 'false', 'compression.type': 'gzip' }, records: makeRecords(11_100, 500, FULL_CAPS).map((r, i) => ({ ...r, p: i % 2 })) });
    // acks=0: no offsets come back, so one partition and the order of sending place the records.
    jobs.push({ topic: 'j-acks0', codec: 'none', config: { acks: '0', 'enable.idempotence': 'false' }, records: makeRecords(11_200, 300, FULL_CAPS).map((r) => ({ ...r, p: 0 })) });

    const r = await runJava<ProduceOutput & ConsumeOutput>([
      createTopics(jobs.map((j) => ({ name: j.topic, partitions: 2 }))),
      ...jobs.map((j) => ({ cmd: 'produce', topic: j.topic, config: j.config, records: j.records })),
      ...jobs.map((j) => ({ cmd: 'consume', topic: j.topic })),
    ]);
    assertQuiet('producing and consuming', r);
    const produceMax = broker.running!.broker.registry.all().find((h) => h.api.name === 'Produce')!.maxVersion;
    for (const [i, j] of jobs.entries()) {
      const out = r.results[1 + i]!;
      const placed: Placed[] = j.config.acks === '0' ? placeInOrder(j.records, () => 0) : placedFromReports(`Java producer ${j.topic}`, j.records, out, broker);
      if (j.config.acks === '0') assert.ok(out.reports.every((x) => x && x.err === null && x.o === -1), 'acks=0: delivered without offsets');
      const read = r.results[1 + jobs.length + i]!;
      assert.deepEqual(read.errors, [], `Java consumer ${j.topic}`);
      assertRecordsMatch(`Java consumer reading ${j.topic}`, placed, read.records, { context: brokerLog });
      // Exactly the codec asked for, in v2 batches, at the highest Produce version both sides know.
      broker.produced.assertCodecs(j.topic, [j.codec], broker);
      assert.deepEqual([...broker.produced.formats.get(j.topic)!], [`${j.codec}@2`], j.topic);
      assert.deepEqual([...broker.produced.versions.get(j.topic)!], [produceMax], `${j.topic}: Produce versions (the highest the broker serves)`);
      const kcat = await kcatConsume(broker.bootstrap, j.topic);
      assert.equal(kcat.result.code, 0, describeRun(kcat.result));
      assertRecordsMatch(`kcat reading the Java producer's ${j.topic}`, placed, kcat.records);
    }
  });

  test('kcat (snappy, lz4, zstd) and KafkaJS (gzip; headers, timestamps) produce; the Java consumer reads byte-identical records', async () => {
    requireKcat();
    const kcatTopic = 'j-from-kcat';
    await broker.running!.broker.topics.create(kcatTopic, 2, 1, {});
    const expected: Placed[] = [];
    const next = new Map<number, number>();
    const t0 = Date.now();
    for (const [c, codec] of (['snappy', 'lz4', 'zstd'] as const).entries()) {
      const headers: [string, string | null][] = [['codec', codec], ['dup', '1'], ['dup', '2'], ['novalue', null]];
      const records = makeRecords(12_000 + c, 700, KCAT_CAPS).map((r): TestRecord => ({ ...r, h: headers.map(([n, v]) => [n, v === null ? null : hex(v)]) }));
      const res = await kcatProduce(broker.bootstrap, kcatTopic, records, { partition: c % 2, codec, headers });
      if (res.code !== 0 || /ERROR|failed/i.test(res.stderr)) assert.fail(`kcat -P -z ${codec}: ${describeRun(res)}`);
      const placed = placeInOrder(records, () => c % 2, next);
      for (const p of placed) next.set(p.p, p.o + 1);
      expected.push(...placed);
    }
    const t1 = Date.now();
    broker.produced.assertCodecs(kcatTopic, ['snappy', 'lz4', 'zstd'], broker);

    // KafkaJS headers are an object: one value per name, in insertion order.
    const jsTopic = 'j-from-kafkajs';
    await broker.running!.broker.topics.create(jsTopic, 1, 1, {});
    const jsRecords = makeRecords(12_100, 600, { ...FULL_CAPS, nullHeaderValues: false }).map((r): TestRecord => ({ ...r, p: 0, h: r.h.filter(([n], i) => r.h.findIndex(([m]) => m === n) === i) }));
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'java-interop', logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    try {
      const [meta] = await producer.send({
        topic: jsTopic,
        compression: CompressionTypes.GZIP,
        messages: jsRecords.map((r) => ({
          partition: 0,
          key: r.k === null ? null : Buffer.from(r.k, 'hex'),
          value: r.v === null ? null : Buffer.from(r.v, 'hex'),
          headers: Object.fromEntries(r.h.map(([n, v]) => [n, Buffer.from(v!, 'hex')])),
          timestamp: String(r.ts),
        })),
      });
      assert.equal(meta!.baseOffset, '0');
    } finally {
      await producer.disconnect();
    }

    const r = await runJava<ConsumeOutput>([{ cmd: 'consume', topic: kcatTopic }, { cmd: 'consume', topic: jsTopic }]);
    assertQuiet('consuming', r);
    assert.deepEqual(r.results[0]!.errors, []);
    assertRecordsMatch('Java consumer reading kcat', expected, r.results[0]!.records, { tsWindow: [t0 - 1000, t1 + 1000], context: brokerLog });
    assert.deepEqual(r.results[1]!.errors, []);
    assertRecordsMatch('Java consumer reading KafkaJS', placeInOrder(jsRecords, () => 0), r.results[1]!.records, { context: brokerLog });
  });

  test('consumer groups (classic): range and cooperative-sticky, three members, one leaves, its partitions move; sync and async commits', async () => {
    const PARTS = 6;
    const BEFORE = 20;
    const AFTER = 5;
    const topics = { range: 'j-group-range', 'cooperative-sticky': 'j-group-coop' } as const;
    const fill = (topic: string) => ({ cmd: 'produce', topic, records: Array.from({ length: PARTS * BEFORE }, (_, i) => ({ p: i % PARTS, k: null, v: hex(`r${i}`), h: [] })) });
    const group = (assignor: keyof typeof topics, leave: number) => ({ cmd: 'group', topic: topics[assignor], group: `jg-${assignor}`, assignor, members: 3, leave, partitions: PARTS, expect: PARTS * BEFORE, perPartitionAfter: AFTER, config: { 'max.poll.records': '7' } });
    const r = await runJava([
      createTopics(Object.values(topics).map((name) => ({ name, partitions: PARTS }))),
      fill(topics.range),
      fill(topics['cooperative-sticky']),
      group('range', 0),
      group('cooperative-sticky', 1),
      { cmd: 'admin', ops: Object.keys(topics).map((a) => ({ op: 'listConsumerGroupOffsets', group: `jg-${a}` })) },
    ]);
    assertQuiet('consumer groups', r);

    for (const [index, assignor] of (['range', 'cooperative-sticky'] as const).entries()) {
      const g = r.results[3 + index];
      const ctx = `${assignor}: ${JSON.stringify({ ...g, members: g.members.map((m: any) => ({ ...m, records: m.records.length })) })}`;
      assert.equal(g.error, undefined, ctx);
      const members: { name: string; memberId: string; events: { ev: string; partitions: number[] }[]; records: [number, number][]; commitErrors: unknown[]; failure: unknown; async: boolean }[] = g.members;
      const leaver = members[index === 0 ? 0 : 1]!.name;
      const [first, second] = g.snapshots as Record<string, number[]>[];
      for (const m of members) {
        assert.equal(m.failure, null, `${m.name}: ${ctx}`);
        assert.deepEqual(m.commitErrors, [], `${m.name} commits (${m.async ? 'async' : 'sync'})`);
      }
      // Every record consumed once: commits in onPartitionsRevoked hand partitions over cleanly.
      const seen = members.flatMap((m) => m.records.map(([p, o]) => `${p}:${o}`));
      assert.equal(seen.length, PARTS * (BEFORE + AFTER), ctx);
      assert.equal(new Set(seen).size, PARTS * (BEFORE + AFTER), `no record twice: ${ctx}`);
      // Kafka refuses offsets from outside and deletion while the group has members.
      assert.deepEqual([g.alterWhileActive, g.deleteWhileActive], ['UnknownMemberIdException', 'GroupNotEmptyException'], ctx);
      const committed = r.results[5].ops[index].ok;
      assert.deepEqual(committed, Object.fromEntries(Array.from({ length: PARTS }, (_, p) => [`${topics[assignor]}:${p}`, { offset: BEFORE + AFTER, metadata: '' }])), `${assignor} committed offsets`);

      const byId = (snap: Record<string, number[]>) => members.filter((m) => snap[m.name]).sort((a, b) => (a.memberId < b.memberId ? -1 : 1)).map((m) => snap[m.name]);
      if (assignor === 'range') {
        // RangeAssignor: members sorted by member id take consecutive ranges.
        assert.deepEqual(byId(first!), [[0, 1], [2, 3], [4, 5]], ctx);
        assert.deepEqual(byId(second!), [[0, 1, 2], [3, 4, 5]], ctx);
      } else {
        assert.deepEqual(Object.values(first!).map((ps) => ps.length), [2, 2, 2], ctx);
        for (const m of members.filter((x) => x.name !== leaver)) {
          assert.equal(second![m.name]!.length, 3, ctx);
          assert.ok(first![m.name]!.every((p) => second![m.name]!.includes(p)), `sticky: ${m.name} kept its partitions: ${ctx}`);
          // Cooperative: a member that stays loses nothing in the leave's rebalance; only its close
          // revokes. Counted from when it owned its first-snapshot partitions: a member that joins
          // after group.initial.rebalance.delay.ms (a slow JVM start) takes partitions from the
          // first two by an incremental revoke, as Kafka's cooperative-sticky does.
          const owned = new Set<number>();
          const settled = m.events.findIndex((e) => {
            for (const p of e.partitions) (e.ev === 'assigned' ? owned.add(p) : owned.delete(p));
            return owned.size === first![m.name]!.length && first![m.name]!.every((p) => owned.has(p));
          });
          assert.ok(settled >= 0, `${m.name} owned its first-snapshot partitions at some point: ${ctx}`);
          const revokes = m.events.slice(settled + 1).filter((e) => e.ev !== 'assigned');
          assert.deepEqual(revokes.map((e) => e.ev), ['revoked'], `${m.name} revoked only when closing: ${ctx}`);
          assert.deepEqual(m.events.at(-1)!.ev, 'revoked', ctx);
        }
      }
      // What Admin.describeConsumerGroups reports while the group is stable matches the members.
      for (const [i, snap] of [first!, second!].entries()) {
        const d = g.described[i];
        assert.equal(d.state, 'Stable', ctx);
        assert.equal(d.assignor, assignor);
        assert.equal(d.simple, false);
        const fromBroker = Object.fromEntries(d.members.map((m: any) => [m.clientId, m.partitions]));
        assert.deepEqual(fromBroker, snap, `describeConsumerGroups ${i}: ${ctx}`);
        for (const m of d.members) assert.equal(m.memberId, members.find((x) => x.name === m.clientId)!.memberId);
      }
    }
  });

  test('positions: commitSync and commitAsync with metadata survive a consumer restart and a broker restart; seek, seekToBeginning, seekToEnd, offsetsForTimes', async () => {
    const topic = 'j-positions';
    const base = 1_760_000_000_000;
    // Partition 0: timestamps in steps of 10 ms, two records per step, in zstd batches (offsetsForTimes
    // answers the record, not its batch).
    const records = Array.from({ length: 60 }, (_, i): TestRecord => ({ p: 0, k: hex(`k${i}`), v: hex(`v${i}`), h: [], ts: base + 10 * Math.floor(i / 2) }));
    const other = Array.from({ length: 25 }, (_, i): TestRecord => ({ p: 1, k: null, v: hex(`o${i}`), h: [] }));
    const times = [base - 5, base, base + 55, base + 60, base + 295, base + 296];
    // First offset whose timestamp is at least t, as ListOffsets answers it.
    const expectTimes = times.map((t) => {
      const i = records.findIndex((x) => x.ts! >= t);
      return { ts: t, found: i < 0 ? null : { offset: i, ts: records[i]!.ts } };
    });
    const positions = (commit: boolean) => ({ cmd: 'positions', topic, group: 'j-positions-group', take: 10, seek: 7, times, commit, emptyTopic: 'j-positions-empty' });
    const check = (p: any, label: string) => {
      assert.deepEqual(p.committed, { 0: { offset: 10, metadata: 'meta-0' }, 1: { offset: 10, metadata: 'meta-1' } }, label);
      assert.deepEqual(p.restartPositions, { 0: 10, 1: 10 }, label);
      assert.equal(p.restartFirst, 10, label);
      assert.equal(p.afterSeek, 7, label);
      assert.equal(p.beginningPosition, 0);
      assert.equal(p.afterSeekToBeginning, 0);
      assert.equal(p.endPosition, 60);
      assert.deepEqual(p.beginningOffsets, { 0: 0, 1: 0 });
      assert.deepEqual(p.endOffsets, { 0: 60, 1: 25 });
      assert.deepEqual(p.offsetsForTimes, expectTimes, `${label}: offsetsForTimes`);
      // OffsetsForLeaderEpoch on a partition without records: epoch 0 ends at 0, no truncation.
      assert.deepEqual(p.emptyEpochSeek, { position: 0 }, `${label}: validating a position with an epoch on an empty partition`);
    };
    const a = await runJava([createTopics([{ name: topic, partitions: 2 }, { name: 'j-positions-empty', partitions: 1 }]), { cmd: 'produce', topic, records, config: { 'compression.type': 'zstd', 'linger.ms': '50' } }, { cmd: 'produce', topic, records: other }, positions(true)]);
    assertQuiet('positions', a);
    assert.deepEqual(a.results[3].asyncCommit, { ok: 1 }, 'commitAsync callback');
    check(a.results[3], 'after a consumer restart');
    await broker.restart();
    const b = await runJava([positions(false)]);
    assertQuiet('positions after a broker restart', b);
    check(b.results[0], 'after a broker restart');
  });

  test('admin client: topics, partitions, configs, consumer groups and their offsets, deleteRecords, listOffsets, cluster, log dirs', async () => {
    const [t, t2, g] = ['j-admin', 'j-admin-2', 'j-admin-group'];
    const node = broker.running!.broker.nodeId;
    const base = 1_770_000_000_000;
    const records = Array.from({ length: 20 }, (_, i): TestRecord => ({ p: 0, k: null, v: hex(`a${i}`), h: [], ts: base + (i === 13 ? 1000 : 5 * i) }));
    const keys = ['retention.ms', 'cleanup.policy', 'segment.bytes'];
    const r = await runJava<{ ops: { op: string; ok?: any; error?: { name: string; str: string } }[] }>([
      { cmd: 'admin', ops: [
        { op: 'createTopics', topics: [{ name: t, partitions: 3, replicationFactor: 1, configs: { 'retention.ms': '3600000', 'cleanup.policy': 'compact' } }, { name: t2, partitions: 1 }] },
        { op: 'createTopics', topics: [{ name: t, partitions: 1 }] },
        { op: 'listTopics' },
        { op: 'describeTopics', names: [t, t2] },
        { op: 'createPartitions', topic: t, total: 5 },
        { op: 'createPartitions', topic: t, total: 2 },
        { op: 'describeTopics', names: [t] },
        { op: 'describeConfigs', topics: [t], brokers: [String(node)], keys: [...keys, 'log.segment.bytes'] },
        { op: 'incrementalAlterConfigs', name: t, set: { 'retention.ms': '7200000' }, delete: ['cleanup.policy'] },
        { op: 'incrementalAlterConfigs', name: t, set: { 'no.such.config': '1' } },
        { op: 'describeConfigs', topics: [t], keys },
        { op: 'describeConfigsFull', name: t, keys: ['segment.bytes', 'retention.ms'] },
        { op: 'describeCluster' },
        { op: 'authorizedOperations', topics: [t], groups: [] },
      ] },
      { cmd: 'produce', topic: t, records },
      { cmd: 'admin', ops: [
        { op: 'listOffsets', spec: 'earliest', partitions: [`${t}:0`, `${t}:1`] },
        { op: 'listOffsets', spec: 'latest', partitions: [`${t}:0`, `${t}:1`] },
        { op: 'listOffsets', spec: 'maxTimestamp', partitions: [`${t}:0`] },
        { op: 'listOffsets', spec: String(base + 50), partitions: [`${t}:0`] },
        { op: 'listOffsets', spec: String(base + 5000), partitions: [`${t}:0`] },
        { op: 'deleteRecords', offsets: { [`${t}:0`]: 5 } },
        { op: 'listOffsets', spec: 'earliest', partitions: [`${t}:0`] },
        { op: 'describeLogDirs', brokers: [node] },
        { op: 'alterConsumerGroupOffsets', group: g, offsets: { [`${t}:0`]: 7, [`${t}:1`]: 0 } },
        { op: 'listConsumerGroups' },
        { op: 'describeConsumerGroups', groups: [g] },
        { op: 'listConsumerGroupOffsets', group: g },
        { op: 'listGroups' },
        { op: 'deleteConsumerGroupOffsets', group: g, partitions: [`${t}:1`] },
        { op: 'listConsumerGroupOffsets', group: g },
        { op: 'deleteConsumerGroups', groups: [g] },
        { op: 'listConsumerGroups' },
        { op: 'deleteConsumerGroups', groups: [g] },
        { op: 'describeTopicsById', ids: [`$${t}`] }, // the id of topic t
        { op: 'describeTopicsById', ids: ['AAAAAAAAAAAAAAAAAAAAAQ'] },
        { op: 'deleteTopics', names: [t2] },
        { op: 'listTopics' },
        { op: 'deleteTopics', names: [t2] },
        { op: 'describeTopics', names: [t2] },
        { op: 'deleteTopicsById', ids: [`$${t}`] },
        { op: 'listTopics' },
      ] },
    ]);
    assertQuiet('admin', r);
    const ops = [...r.results[0]!.ops, ...r.results[2]!.ops];
    let at = 0;
    const next = (op: string) => {
      const o = ops[at++]!;
      assert.equal(o.op, op);
      return o;
    };
    const ok = (op: string) => {
      const o = next(op);
      assert.equal(o.error, undefined, `${op}: ${JSON.stringify(o.error)}`);
      return o.ok;
    };
    const err = (op: string, name: string) => assert.equal(next(op).error?.name, name, op);

    const created = ok('createTopics');
    assert.deepEqual({ ...created[t], topicId: undefined, configCount: undefined }, { partitions: 3, replicationFactor: 1, topicId: undefined, configCount: undefined });
    assert.equal(created[t2].partitions, 1);
    assert.equal(ok('createTopics')[t].error.name, 'TopicExistsException');
    const listed: string[] = ok('listTopics');
    assert.ok(listed.includes(t) && listed.includes(t2) && !listed.some((n) => n.startsWith('__')), JSON.stringify(listed));
    const described = ok('describeTopics');
    assert.equal(described[t].topicId, created[t].topicId);
    assert.equal(described[t].internal, false);
    assert.deepEqual(described[t].partitions, [0, 1, 2].map((p) => ({ partition: p, leader: node, replicas: [node], isr: [node] })));
    assert.equal(ok('createPartitions'), true);
    err('createPartitions', 'InvalidPartitionsException');
    assert.deepEqual(ok('describeTopics')[t].partitions.map((p: any) => p.partition), [0, 1, 2, 3, 4]);
    const configs = ok('describeConfigs');
    const entries = configs[`TOPIC:${t}`].entries;
    assert.deepEqual([entries['retention.ms'].value, entries['retention.ms'].source], ['3600000', 'DYNAMIC_TOPIC_CONFIG']);
    assert.deepEqual([entries['cleanup.policy'].value, entries['cleanup.policy'].source], ['compact', 'DYNAMIC_TOPIC_CONFIG']);
    assert.deepEqual([entries['segment.bytes'].value, entries['segment.bytes'].source, entries['segment.bytes'].default], ['1073741824', 'DEFAULT_CONFIG', true]);
    assert.deepEqual(configs[`BROKER:${node}`].entries['log.segment.bytes'].value, '1073741824');
    assert.equal(ok('incrementalAlterConfigs'), true);
    err('incrementalAlterConfigs', 'InvalidConfigurationException');
    const altered = ok('describeConfigs')[`TOPIC:${t}`].entries;
    assert.deepEqual([altered['retention.ms'].value, altered['retention.ms'].source], ['7200000', 'DYNAMIC_TOPIC_CONFIG']);
    assert.deepEqual([altered['cleanup.policy'].value, altered['cleanup.policy'].source], ['delete', 'DEFAULT_CONFIG']);
    // With synonyms: the topic's value first, then the broker default it falls back on.
    const full = ok('describeConfigsFull');
    assert.deepEqual(full['segment.bytes'].synonyms, ['log.segment.bytes=1073741824@DEFAULT_CONFIG']);
    assert.deepEqual([full['retention.ms'].value, full['retention.ms'].synonyms[0]], ['7200000', 'retention.ms=7200000@DYNAMIC_TOPIC_CONFIG']);
    const cluster = ok('describeCluster');
    assert.equal(cluster.clusterId, broker.running!.broker.metadata.clusterId);
    assert.deepEqual(cluster.nodes.map((n: any) => [n.id, `${n.host}:${n.port}`]), [[node, broker.bootstrap]]);
    assert.equal(cluster.controller.id, node);
    // No authorizer: Kafka grants every operation of the resource type.
    assert.deepEqual(ok('authorizedOperations'), {
      cluster: ['ALTER', 'ALTER_CONFIGS', 'CLUSTER_ACTION', 'CREATE', 'DESCRIBE', 'DESCRIBE_CONFIGS', 'IDEMPOTENT_WRITE'],
      topics: [['ALTER', 'ALTER_CONFIGS', 'CREATE', 'DELETE', 'DESCRIBE', 'DESCRIBE_CONFIGS', 'READ', 'WRITE']],
      groups: [],
    });

    const offsets = (o: any) => Object.fromEntries(Object.entries(o).map(([k, v]: [string, any]) => [k, [v.offset, v.timestamp]]));
    assert.deepEqual(offsets(ok('listOffsets')), { [`${t}:0`]: [0, -1], [`${t}:1`]: [0, -1] });
    assert.deepEqual(offsets(ok('listOffsets')), { [`${t}:0`]: [20, -1], [`${t}:1`]: [0, -1] });
    assert.deepEqual(offsets(ok('listOffsets')), { [`${t}:0`]: [13, base + 1000] }, 'maxTimestamp');
    assert.deepEqual(offsets(ok('listOffsets')), { [`${t}:0`]: [10, base + 50] }, 'by timestamp');
    assert.deepEqual(offsets(ok('listOffsets')), { [`${t}:0`]: [-1, -1] }, 'after the last timestamp');
    assert.deepEqual(ok('deleteRecords'), { [`${t}:0`]: 5 });
    assert.deepEqual(offsets(ok('listOffsets')), { [`${t}:0`]: [5, -1] }, 'earliest after deleteRecords');
    const dirs = ok('describeLogDirs')[String(node)];
    const dir = Object.values(dirs)[0] as any;
    assert.equal(Object.keys(dirs).length, 1);
    assert.equal(dir.error, null);
    assert.ok(dir.replicas[`${t}:0`].size > 0 && dir.replicas[`${t}:1`].size === 0, JSON.stringify(dir.replicas[`${t}:0`]));
    assert.ok(dir.totalBytes > 0 && dir.usableBytes > 0);

    assert.equal(ok('alterConsumerGroupOffsets'), true);
    assert.deepEqual(ok('listConsumerGroups').find((x: any) => x.groupId === g), { groupId: g, state: 'Empty', type: 'Classic', simple: true });
    const group = ok('describeConsumerGroups')[g];
    assert.deepEqual([group.state, group.members, group.coordinator.id], ['Empty', [], node]);
    assert.deepEqual(ok('listConsumerGroupOffsets'), { [`${t}:0`]: { offset: 7, metadata: '' }, [`${t}:1`]: { offset: 0, metadata: '' } });
    assert.deepEqual(ok('listGroups').find((x: any) => x.groupId === g), { groupId: g, type: 'Classic', protocol: '', state: 'Empty' });
    assert.equal(ok('deleteConsumerGroupOffsets'), true);
    assert.deepEqual(ok('listConsumerGroupOffsets'), { [`${t}:0`]: { offset: 7, metadata: '' } });
    assert.equal(ok('deleteConsumerGroups'), true);
    assert.ok(!ok('listConsumerGroups').some((x: any) => x.groupId === g));
    err('deleteConsumerGroups', 'GroupIdNotFoundException');
    assert.deepEqual(ok('describeTopicsById'), { [created[t].topicId]: { name: t, partitions: 5 } });
    err('describeTopicsById', 'UnknownTopicIdException');
    assert.equal(ok('deleteTopics'), true);
    assert.ok(!ok('listTopics').includes(t2));
    err('deleteTopics', 'UnknownTopicOrPartitionException');
    err('describeTopics', 'UnknownTopicOrPartitionException');
    assert.equal(ok('deleteTopicsById'), true);
    assert.ok(!ok('listTopics').includes(t));
    assert.equal(at, ops.length);
  });

  test('transactions: commit and abort, consume-transform-produce with sendOffsetsToTransaction; read_committed sees committed records once, read_uncommitted all', async () => {
    requireKcat();
    const [input, plain, out] = ['j-txn-in', 'j-txn-plain', 'j-txn-out'];
    const inputs = Array.from({ length: 200 }, (_, i): TestRecord => ({ p: i % 2, k: hex(`k${i}`), v: hex(`in-${i}`), h: [] }));
    const r = await runJava([
      createTopics([{ name: input, partitions: 2 }, { name: plain, partitions: 2 }, { name: out, partitions: 3 }]),
      { cmd: 'produce', topic: input, records: inputs },
      { cmd: 'txn', mode: 'plain', topic: plain, txnId: 'j-txn-plain', txns: 10, per: 20, abortEvery: 3 },
      { cmd: 'txn', mode: 'ctp', inTopic: input, topic: out, txnId: 'j-txn-ctp', group: 'j-txn-group', expect: inputs.length, abortEvery: 3 },
      ...[plain, out].flatMap((topic) => ['read_committed', 'read_uncommitted'].map((level) => ({ cmd: 'consume', topic, config: { 'isolation.level': level } }))),
      { cmd: 'admin', ops: [{ op: 'listConsumerGroupOffsets', group: 'j-txn-group' }] },
    ]);
    assertQuiet('transactions', r);
    const values = (i: number) => {
      assert.deepEqual(r.results[i].errors, []);
      return (r.results[i] as ConsumeOutput).records.map((x) => text(x.v)!).sort();
    };
    const sorted = (xs: string[]) => [...xs].sort();
    const txn = r.results[2];
    assert.ok(txn.committed.length === 140 && txn.aborted.length === 60); // the last of 10 committed
    assert.deepEqual(values(4), sorted(txn.committed), 'read_committed: the committed transactions only');
    assert.deepEqual(values(5), sorted([...txn.committed, ...txn.aborted]), 'read_uncommitted: aborted records too');
    const ctp = r.results[3];
    assert.ok(ctp.aborted.length > 0, 'some copies were aborted');
    // Exactly once: every input copied once in a committed transaction, whatever was aborted.
    assert.deepEqual(values(6), sorted(inputs.map((x) => `x-${text(x.v)}`)), 'read_committed copy of the input');
    assert.deepEqual(values(7), sorted([...ctp.committed, ...ctp.aborted]));
    assert.deepEqual(r.results[8].ops[0].ok, { [`${input}:0`]: { offset: 100, metadata: '' }, [`${input}:1`]: { offset: 100, metadata: '' } }, 'offsets committed with the transactions');
    for (const id of ['j-txn-plain', 'j-txn-ctp']) assert.equal((await broker.running!.broker.txn.describe([id]))[0]!.transactionState, 'CompleteCommit');

    // librdkafka's read_committed agrees with Java's.
    const kcat = await kcatConsume(broker.bootstrap, out, { extra: ['-X', 'isolation.level=read_committed'] });
    assert.equal(kcat.result.code, 0, describeRun(kcat.result));
    assert.deepEqual(kcat.records.map((x) => text(x.v)).sort(), values(6));
  });

  test('an open transaction holds read_committed consumers at the last stable offset; admin sees it Ongoing; its commit releases it', async () => {
    const t = 'j-txn-open';
    const value = (h: string) => Buffer.from(h, 'hex').toString();
    const plain = (v: string, n: number) => Array.from({ length: n }, (): TestRecord => ({ p: 0, k: null, v: hex(v), h: [] }));
    const r = await runJava([
      createTopics([{ name: t, partitions: 1 }]),
      { cmd: 'produce', topic: t, records: plain('before', 3) },
      { cmd: 'txn', mode: 'begin', topic: t, txnId: 'j-txn-open', per: 5 },
      { cmd: 'produce', topic: t, records: plain('after', 2) },
      { cmd: 'consume', topic: t, config: { 'isolation.level': 'read_committed' } },
      { cmd: 'consume', topic: t, config: { 'isolation.level': 'read_uncommitted' } },
      { cmd: 'admin', ops: [
        { op: 'listOffsets', spec: 'latest', partitions: [`${t}:0`] },
        { op: 'listOffsets', spec: 'latest', partitions: [`${t}:0`], isolation: 'read_committed' },
        { op: 'listTransactions' },
        { op: 'describeTransactions', ids: ['j-txn-open'] },
        { op: 'describeProducers', partitions: [`${t}:0`] },
      ] },
      { cmd: 'txn', mode: 'finish', txnId: 'j-txn-open' },
      { cmd: 'consume', topic: t, config: { 'isolation.level': 'read_committed' } },
      { cmd: 'admin', ops: [{ op: 'listOffsets', spec: 'latest', partitions: [`${t}:0`], isolation: 'read_committed' }, { op: 'describeTransactions', ids: ['j-txn-open'] }] },
    ]);
    assertQuiet('open transaction', r);
    const all = ['before', 'before', 'before', 'open-0', 'open-1', 'open-2', 'open-3', 'open-4', 'after', 'after'];
    const read = (i: number) => {
      const c = r.results[i] as ConsumeOutput & { end: Record<string, number> };
      assert.deepEqual(c.errors, []);
      return { end: c.end[0], values: c.records.map((x) => value(x.v!)), offsets: c.records.map((x) => x.o) };
    };
    // Offsets 0-2 before, 3-7 in the transaction, 8-9 after it: the LSO is 3 until the commit.
    assert.deepEqual(read(4), { end: 3, values: all.slice(0, 3), offsets: [0, 1, 2] }, 'read_committed stops at the LSO');
    assert.deepEqual(read(5), { end: 10, values: all, offsets: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] }, 'read_uncommitted reads to the high watermark');
    const [hw, lso, listed, described, producers] = r.results[6].ops.map((o: any) => o.ok);
    assert.deepEqual([hw[`${t}:0`].offset, lso[`${t}:0`].offset], [10, 3]);
    assert.deepEqual(listed.find((x: any) => x.transactionalId === 'j-txn-open')?.state, 'Ongoing');
    assert.deepEqual([described['j-txn-open'].state, described['j-txn-open'].partitions], ['Ongoing', [`${t}:0`]]);
    const txnal = producers[`${t}:0`].filter((x: any) => x.txnStartOffset !== null);
    assert.equal(producers[`${t}:0`].length, 3, 'two idempotent producers and the transactional one');
    assert.deepEqual(txnal.map((x: any) => [x.producerId, x.txnStartOffset, x.lastSequence]), [[described['j-txn-open'].producerId, 3, 4]]);
    // The commit marker takes offset 10: everything is stable.
    assert.deepEqual(read(8), { end: 11, values: all, offsets: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] }, 'read_committed after the commit');
    const [lso2, after] = r.results[9].ops.map((o: any) => o.ok);
    assert.deepEqual([lso2[`${t}:0`].offset, after['j-txn-open'].state, after['j-txn-open'].partitions], [11, 'CompleteCommit', []]);
  });

  /**
   * A broker on a fixed port (clients reconnect to the same address) that `restart()` closes and
   * opens again on the same log dir; `steps` run in one JVM while `restartWhen` waits for the moment.
   */
  async function acrossRestart(config: Record<string, string | number>, setup: (b: RunningBroker) => Promise<object[]>, restartWhen: (b: RunningBroker) => boolean) {
    const port = await fixedPort();
    const dir = await mkdtemp(join(tmpdir(), 'samsa-java-restart-'));
    const open = () => startBroker({ port, host: '127.0.0.1', logDirs: dir, config });
    let b = await open();
    try {
      const steps = await setup(b);
      // Settled at once so that a failure before the restart is not an unhandled rejection.
      const running = client()
        .run<any>(b.bootstrap, steps)
        .then((r) => ({ r }), (e: unknown) => ({ e }));
      const start = Date.now();
      while (!restartWhen(b)) {
        if (Date.now() - start > 60_000) assert.fail(`the moment to restart never came: ${JSON.stringify(await Promise.race([running, Promise.resolve('still running')]))}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      await b.close();
      b = await open();
      const done = await running;
      if ('e' in done) throw done.e;
      // Only the connection's loss may be logged (requests in flight at the close are retried).
      const warnings = done.r.warnings.filter((l) => !/could not be established|disconnected|Disconnected from node|not the correct coordinator/.test(l));
      assert.deepEqual(warnings, [], 'the Java client logged warnings');
      return { results: done.r.results, broker: b, stderr: done.r.stderr };
    } finally {
      await b.close();
      await rm(dir, { recursive: true, force: true });
    }
  }
  const logEnd = (b: RunningBroker, topic: string, partitions: number) => {
    let n = 0n;
    for (let p = 0; p < partitions; p++) n += b.broker.replicas.partition(topic, p)?.logEndOffset ?? 0n;
    return n;
  };

  test('idempotent producer across a broker restart on the same port: every record once, in order', async () => {
    const topic = 'j-restart';
    const records = Array.from({ length: 1500 }, (_, i): TestRecord => ({ p: i % 2, k: null, v: hex(`v${i}`), h: [] }));
    const config = { acks: 'all', 'enable.idempotence': 'true', 'linger.ms': '5', 'reconnect.backoff.ms': '50', 'reconnect.backoff.max.ms': '200', 'retry.backoff.ms': '50' };
    let atRestart = 0n;
    const { results } = await acrossRestart(
      {},
      async (b) => {
        await b.broker.topics.create(topic, 2, 1, {});
        return [{ cmd: 'produce', topic, records, sleepMs: 2, config }, { cmd: 'consume', topic }];
      },
      (b) => (atRestart = logEnd(b, topic, 2)) >= 300n,
    );
    assert.ok(atRestart < 1500n, `restarted mid-stream (${atRestart} of 1500 records written)`);
    const [produced, read] = results;
    assertRecordsMatch('after a restart mid-stream', placedFromReports('Java producer across a restart', records, produced), read.records);
    // Per partition, the records are in the order they were sent: retries neither reorder nor duplicate.
    assert.deepEqual(read.records.filter((x: any) => x.p === 0).map((x: any) => text(x.v)), records.filter((x) => x.p === 0).map((x) => text(x.v)));
  });

  test('a consumer group across a broker restart: the members keep their partitions, every record once, offsets committed', async () => {
    const [topic, group, PARTS, PER] = ['j-group-restart', 'jg-restart', 6, 300] as const;
    const records = Array.from({ length: PARTS * PER }, (_, i): TestRecord => ({ p: i % PARTS, k: null, v: hex(`g${i}`), h: [] }));
    const { results, stderr } = await acrossRestart(
      { 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 3 },
      async (b) => {
        await b.broker.topics.create(topic, PARTS, 1, {});
        // With every broker down the 4.x client rebootstraps (KIP-899): its metadata is reset to the
        // bootstrap list, the subscribed topic "vanishes" and the leader rejoins, whatever the broker
        // does. That rebalance is the client's; without it the restart must cause none.
        const config = { 'max.poll.records': '5', 'reconnect.backoff.ms': '50', 'reconnect.backoff.max.ms': '200', 'metadata.recovery.strategy': 'none' };
        return [
          { cmd: 'produce', topic, records },
          { cmd: 'group', topic, group, assignor: 'range', members: 3, leave: 0, partitions: PARTS, expect: PARTS * PER, perPartitionAfter: 5, config },
          { cmd: 'admin', ops: [{ op: 'listConsumerGroupOffsets', group }] },
        ];
      },
      // Once the members have committed a few times.
      (b) => logEnd(b, '__consumer_offsets', 3) >= 40n,
    );
    const g = results[1];
    const ctx = JSON.stringify({ ...g, members: g.members.map((m: any) => ({ ...m, records: m.records.length, commitErrors: m.commitErrors.length })) }) + `\nclient log:\n${stderr.split('\n').filter((l) => /joining|rebalanc|heartbeat|generation/i.test(l)).join('\n')}`;
    assert.equal(g.error, undefined, ctx);
    const seen = g.members.flatMap((m: any) => m.records.map(([p, o]: [number, number]) => `${p}:${o}`));
    assert.equal(new Set(seen).size, PARTS * (PER + 5), ctx);
    assert.equal(seen.length, PARTS * (PER + 5), `no record twice: ${ctx}`);
    for (const m of g.members) {
      assert.equal(m.failure, null, ctx);
      // commitAsync is not retried: a commit cut by the restart may fail, retriably.
      assert.ok(m.commitErrors.every((e: any) => e.name === 'RetriableCommitFailedException'), ctx);
      // The restart causes no rebalance: only m0's leave moves partitions.
      assert.deepEqual(m.events.map((e: any) => e.ev), m.name === 'm0' ? ['assigned', 'revoked'] : ['assigned', 'revoked', 'assigned', 'revoked'], ctx);
    }
    assert.deepEqual(results[2].ops[0].ok, Object.fromEntries(Array.from({ length: PARTS }, (_, p) => [`${topic}:${p}`, { offset: PER + 5, metadata: '' }])));
  });
});
