// A current librdkafka (2.15, built from source by test/interop/rdkafka through
// @confluentinc/kafka-javascript) against an in-process broker: records with keys, headers and
// timestamps through every codec, byte-identical before and after a restart, with the protocol
// trace free of refused requests; acks 0/1/-1; idempotence; offsets for times; the admin API;
// the broker restarting under a producer and a consumer. Groups, regex subscriptions and
// transactions: rdkafka-groups.test.ts. Fails (never skips) when the bindings are not built.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FULL_CAPS, TestBroker, assertRecordsMatch, assertSameReads, makeRecords, type Placed, type RecordCaps, type SeenRecord, type TestRecord } from './helpers.js';
import {
  ClientLog,
  MIN_LIBRDKAFKA,
  call,
  consumeN,
  consumer,
  disconnect,
  loadRdkafka,
  produceAll,
  producer,
  protocolTrouble,
  seenOf,
  type Conf,
  type Delivery,
  type RdConsumer,
  type RdProducer,
  allLogs,
} from './rdkafka-client.js';

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const PER_CODEC = 1000;
const PARTITIONS = 3;
const BASE_TS = 1_700_000_000_000;
/** The bindings cannot produce a null header value (a string or a Buffer only). */
const RD_CAPS: RecordCaps = { ...FULL_CAPS, nullHeaderValues: false };

/** Test records as the bindings can send them: they put an empty key or value on the wire as null (length -1, seen in the Produce frames). */
function rdRecords(seed: number, count: number, baseTs?: number): TestRecord[] {
  return makeRecords(seed, count, RD_CAPS, baseTs).map((r) => ({ ...r, k: r.k === '' ? null : r.k, v: r.v === '' ? null : r.v }));
}

function placed(label: string, records: TestRecord[], reports: Delivery[], log: ClientLog, broker: TestBroker): Placed[] {
  const bad = reports.filter((r) => r.err !== null || r.o < 0);
  if (bad.length) assert.fail(`${label}: ${bad.length} of ${records.length} not delivered, e.g. ${JSON.stringify(bad.slice(0, 3))}\n${log.tail()}\nbroker log:\n${broker.logSince()}`);
  return reports.map((r, i) => ({ p: r.p, o: r.o, rec: records[i]! }));
}

/** `n` text records on partition 0. */
const texts = (n: number, prefix: string): TestRecord[] => Array.from({ length: n }, (_, i) => ({ p: 0, k: null, v: Buffer.from(`${prefix}${i}`).toString('hex'), h: [] }));

/** Everything in `partitions` of `topic` from offset 0, by assignment (no group). */
async function readAll(bootstrap: string, topic: string, expect: number, conf: Conf = {}, log = new ClientLog(`reader ${topic}`)): Promise<SeenRecord[]> {
  const c = await consumer(bootstrap, { 'group.id': `reader-${topic}-${Date.now()}`, 'enable.auto.commit': false, ...conf }, log);
  try {
    c.assign(Array.from({ length: PARTITIONS }, (_, p) => ({ topic, partition: p, offset: 0 })));
    return (await consumeN(c, expect)).map(seenOf);
  } finally {
    await disconnect(c);
  }
}

describe('librdkafka (current, from source)', { timeout: 300_000 }, () => {
  let broker: TestBroker;
  const open: (RdProducer | RdConsumer)[] = [];
  const track = <T extends RdProducer | RdConsumer>(c: T): T => (open.push(c), c);

  before(async () => {
    broker = await TestBroker.start({ 'num.partitions': PARTITIONS, 'group.initial.rebalance.delay.ms': 0 });
  });
  after(async () => {
    for (const c of open) await disconnect(c);
    if (process.env.RD_REPORT) for (const l of allLogs) for (const w of l.warnings) console.log(`WARN ${l.name}: ${w}`);
    if (process.env.RD_REPORT) for (const l of broker.logLines) console.log(`BROKER ${l}`);
    if (process.env.RD_REPORT) console.log(`REQUESTS ${[...new Set(allLogs.flatMap((l) => l.lines.map((x) => /Sent (\w+)Request \((v\d+)/.exec(x)).filter((m) => m).map((m) => `${m![1]} ${m![2]}`)))].sort().join(', ')}`);
    await broker?.dispose();
  });

  test(`the bindings load librdkafka >= ${MIN_LIBRDKAFKA} with every codec`, () => {
    const k = loadRdkafka();
    assert.match(k.librdkafkaVersion, /^\d+\.\d+\.\d+/);
  });

  test('5,000 records with keys, headers and timestamps through none/gzip/snappy/lz4/zstd, byte-identical before and after a restart; the protocol trace shows nothing refused', async () => {
    loadRdkafka();
    const topic = 'rd-data';
    const expected: Placed[] = [];
    const logs: ClientLog[] = [];
    for (const [c, codec] of CODECS.entries()) {
      const log = new ClientLog(`producer ${codec}`);
      logs.push(log);
      const p = track(await producer(broker.bootstrap, { 'compression.codec': codec, acks: -1, debug: 'protocol,broker,msg' }, log));
      const records = rdRecords(7000 + c, PER_CODEC, BASE_TS + c * 10_000_000).map((r, i): TestRecord => ({ ...r, p: i % PARTITIONS }));
      expected.push(...placed(`produce ${codec}`, records, await produceAll(p, topic, records), log, broker));
      await disconnect(p);
    }
    const readLog = new ClientLog('reader');
    logs.push(readLog);
    const seen = await readAll(broker.bootstrap, topic, expected.length, { debug: 'protocol,broker,fetch' }, readLog);
    assertRecordsMatch('librdkafka read-back', expected, seen, { context: () => `${readLog.tail()}\nbroker log:\n${broker.logSince()}` });
    // What librdkafka logs when a broker refuses, cannot parse or drops a request.
    const trouble = logs.flatMap((l) => protocolTrouble(l.lines).map((x) => `${l.name}: ${x}`));
    assert.deepEqual(trouble, [], `protocol trouble in the debug logs:\n${trouble.slice(0, 20).join('\n')}`);
    assert.deepEqual(logs.flatMap((l) => l.errors), []);

    await broker.restart();
    assertSameReads('librdkafka read-back after restart', seen, await readAll(broker.bootstrap, topic, expected.length));
  });

  test('every codec reached the broker as asked (compression.codec none/gzip/snappy/lz4/zstd), in v2 batches', () => {
    broker.produced.assertCodecs('rd-data', CODECS, broker);
    assert.deepEqual([...broker.produced.formats.get('rd-data')!].map((f) => f.split('@')[1]).filter((m) => m !== '2'), []);
  });

  test('acks 0, 1 and -1: every record lands (acks=0 reports no offset)', async () => {
    const topic = 'rd-acks';
    const all: TestRecord[] = [];
    for (const [i, acks] of [0, 1, -1].entries()) {
      const log = new ClientLog(`producer acks=${acks}`);
      const p = track(await producer(broker.bootstrap, { acks, 'enable.idempotence': false }, log));
      const records = rdRecords(300 + i, 200).map((r): TestRecord => ({ ...r, p: i }));
      const reports = await produceAll(p, topic, records);
      assert.deepEqual(reports.filter((r) => r.err), [], log.tail());
      if (acks !== 0) assert.deepEqual(reports.map((r) => r.o), records.map((_, j) => j), `acks=${acks} offsets`);
      all.push(...records);
      await disconnect(p);
    }
    const seen = await readAll(broker.bootstrap, topic, all.length);
    const expected = all.map((rec) => ({ p: rec.p!, rec }));
    const next = [0, 0, 0];
    assertRecordsMatch('acks read-back', expected.map((e) => ({ p: e.p, o: next[e.p]!++, rec: e.rec })), seen);
  });

  test('idempotence: batches carry one producer id, sequences accepted, no duplicates', async () => {
    const topic = 'rd-idem';
    const log = new ClientLog('idempotent producer');
    const p = track(await producer(broker.bootstrap, { 'enable.idempotence': true, 'max.in.flight.requests.per.connection': 5, 'batch.num.messages': 50, debug: 'eos,protocol' }, log));
    const records = rdRecords(404, 2000).map((r, i): TestRecord => ({ ...r, p: i % PARTITIONS }));
    const exp = placed('idempotent produce', records, await produceAll(p, topic, records), log, broker);
    await disconnect(p);
    const pids = [...(broker.produced.producers.get(topic) ?? [])];
    assert.equal(pids.length, 1, `producer ids seen: ${pids.join(', ')}`);
    assert.notEqual(pids[0], '-1:-1', 'the batches carried no producer id');
    assertRecordsMatch('idempotent read-back', exp, await readAll(broker.bootstrap, topic, exp.length));
    assert.deepEqual(protocolTrouble(log.lines), []);
  });

  test('offsets for times: offsetsForTimes and admin listOffsets (timestamp, earliest, latest, max timestamp)', async () => {
    const k = loadRdkafka();
    const topic = 'rd-times';
    const log = new ClientLog('producer');
    const p = track(await producer(broker.bootstrap, { debug: "metadata,topic,protocol" }, log));
    // Timestamps 1000 ms apart on partition 1, with a repeated one and one going back.
    const stamps = [BASE_TS, BASE_TS + 1000, BASE_TS + 1000, BASE_TS + 2000, BASE_TS + 1500, BASE_TS + 3000];
    const records = stamps.map((ts, i): TestRecord => ({ p: 1, k: null, v: Buffer.from(`t${i}`).toString('hex'), h: [], ts }));
    placed('produce', records, await produceAll(p, topic, records), log, broker);
    const c = track(await consumer(broker.bootstrap, { 'group.id': 'rd-times-g' }, new ClientLog('consumer')));
    const firstAtOrAfter = (ts: number) => {
      const i = stamps.findIndex((s) => s >= ts);
      return i < 0 ? stamps.length : i; // none: the end (Kafka answers -1 on the wire, librdkafka returns the end offset)
    };
    const queries = [BASE_TS - 5, BASE_TS, BASE_TS + 1, BASE_TS + 1000, BASE_TS + 1600, BASE_TS + 3000];
    for (const ts of queries) {
      const [r] = await call<{ offset: number; error?: unknown }[]>((cb) => c.offsetsForTimes([{ topic, partition: 1, offset: ts }], 10_000, cb));
      assert.equal(r!.offset, firstAtOrAfter(ts), `offsetsForTimes ${ts}`);
    }
    const admin = k.AdminClient.create({ 'bootstrap.servers': broker.bootstrap });
    try {
      const list = (spec: unknown) => call<{ offset: number; timestamp: number; error?: unknown }[]>((cb) => admin.listOffsets([{ topic, partition: 1, offset: spec }], { timeout: 10_000 }, cb));
      assert.equal((await list(k.OffsetSpec.EARLIEST))[0]!.offset, 0);
      assert.equal((await list(k.OffsetSpec.LATEST))[0]!.offset, stamps.length);
      const max = (await list(k.OffsetSpec.MAX_TIMESTAMP))[0]!;
      assert.deepEqual([max.offset, Number(max.timestamp)], [5, BASE_TS + 3000]);
      assert.equal((await list(new k.OffsetSpec(BASE_TS + 1600)))[0]!.offset, 3);
      const wm = await call<{ lowOffset: number; highOffset: number }>((cb) => p.queryWatermarkOffsets(topic, 1, 10_000, cb)).catch((e: Error) => assert.fail(`${e.message}\n${log.tail(400)}`));
      assert.deepEqual([wm.lowOffset, wm.highOffset], [0, stamps.length]);
    } finally {
      admin.disconnect();
    }
  });

  test('admin: create, describe, add partitions, list, delete records, delete topic', async () => {
    const k = loadRdkafka();
    const admin = k.AdminClient.create({ 'bootstrap.servers': broker.bootstrap });
    const topic = 'rd-admin';
    try {
      await call((cb) => admin.createTopic({ topic, num_partitions: 2, replication_factor: 1, config: { 'retention.ms': '3600000' } }, 10_000, cb));
      await assert.rejects(call((cb) => admin.createTopic({ topic, num_partitions: 2, replication_factor: 1 }, 10_000, cb)), /already exists/i);
      await call((cb) => admin.createPartitions(topic, 4, 10_000, cb));
      const described = await call<{ name: string; partitions: { partition: number; leader: { id: number } | null; isr: unknown[] }[]; isInternal: boolean }[]>((cb) => admin.describeTopics([topic], { timeout: 10_000 }, cb));
      assert.equal(described[0]!.name, topic);
      assert.deepEqual(described[0]!.partitions.map((x) => [x.partition, x.leader?.id, x.isr.length]), [0, 1, 2, 3].map((i) => [i, broker.running!.broker.nodeId, 1]));
      assert.ok((await call<string[]>((cb) => admin.listTopics({ timeout: 10_000 }, cb))).includes(topic));
      // No authorizer: every topic operation, as Apache Kafka 4.1.1 answers (READ … ALTER_CONFIGS).
      const withOps = await call<{ authorizedOperations?: number[] }[]>((cb) => admin.describeTopics([topic], { timeout: 10_000, includeAuthorizedOperations: true }, cb));
      assert.deepEqual(withOps[0]!.authorizedOperations, [3, 4, 5, 6, 7, 8, 10, 11]);

      const log = new ClientLog('producer');
      const p = track(await producer(broker.bootstrap, {}, log));
      const recs = Array.from({ length: 10 }, (_, i): TestRecord => ({ p: 0, k: null, v: Buffer.from(`r${i}`).toString('hex'), h: [] }));
      placed('produce', recs, await produceAll(p, topic, recs), log, broker);
      const del = await call<{ lowWatermark: number; error?: unknown }[]>((cb) => admin.deleteRecords([{ topic, partition: 0, offset: 4 }], { timeout: 10_000 }, cb));
      assert.equal(del[0]!.lowWatermark, 4, JSON.stringify(del));
      const wm = await call<{ lowOffset: number; highOffset: number }>((cb) => p.queryWatermarkOffsets(topic, 0, 10_000, cb));
      assert.deepEqual([wm.lowOffset, wm.highOffset], [4, 10]);
      await disconnect(p);

      await call((cb) => admin.deleteTopic(topic, 10_000, cb));
      assert.ok(!(await call<string[]>((cb) => admin.listTopics({ timeout: 10_000 }, cb))).includes(topic));
    } finally {
      admin.disconnect();
    }
  });

  test('the broker restarts under an idempotent producer and a consumer on the same port: every record once, in order', async () => {
    const topic = 'rd-restart';
    await broker.running!.broker.topics.create(topic, 1, 1, {});
    const plog = new ClientLog('producer');
    const clog = new ClientLog('consumer');
    const p = track(await producer(broker.bootstrap, { 'enable.idempotence': true, 'message.timeout.ms': 60_000, 'reconnect.backoff.max.ms': 200 }, plog));
    // Assigned, not subscribed: a group rebalance after the restart could re-deliver from the last commit.
    const c = track(await consumer(broker.bootstrap, { 'group.id': 'rd-restart-g', 'reconnect.backoff.max.ms': 200 }, clog));
    c.assign([{ topic, partition: 0, offset: 0 }]);
    const records = Array.from({ length: 3000 }, (_, i): TestRecord => ({ p: 0, k: null, v: Buffer.from(`m${i}`).toString('hex'), h: [] }));
    const seen: SeenRecord[] = [];
    let reading = true;
    const reader = (async () => {
      while (reading) seen.push(...(await consumeN(c, 1, 200, 0)).map(seenOf));
    })();
    // Chunks keep coming while the broker is down and back: the restart falls mid-stream.
    const pending: Promise<Delivery[]>[] = [];
    let restarted: Promise<void> | undefined;
    for (let i = 0; i < records.length; i += 100) {
      pending.push(produceAll(p, topic, records.slice(i, i + 100)));
      await new Promise((r) => setTimeout(r, 30));
      if (i === 1000) restarted = broker.restart({ samePort: true, downMs: 500 });
    }
    await restarted;
    const reports = (await Promise.all(pending)).flat();
    assert.deepEqual(reports.filter((r) => r.err).slice(0, 3), [], plog.tail());
    const deadline = Date.now() + 60_000;
    while (seen.length < records.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    reading = false;
    await reader;
    // Both clients lost their connection (librdkafka reports it as an error event) and came back.
    for (const log of [plog, clog]) assert.ok(log.errors.some((e) => /transport|disconnect|connect/i.test(e.message)), `${log.name} saw no disconnect: ${JSON.stringify(log.errors)}`);
    assert.deepEqual(reports.map((r) => r.o), records.map((_, i) => i), 'offsets: no gap, no duplicate');
    assert.deepEqual(seen.map((s) => [s.o, s.v]), records.map((r, i) => [i, r.v]), `${clog.tail()}\nbroker log:\n${broker.logSince()}`);
  });

  test('offset out of range: the consumer resets per auto.offset.reset (earliest, latest) or reports it (error)', async () => {
    const topic = 'rd-range';
    await broker.running!.broker.topics.create(topic, 1, 1, {});
    const records = texts(20, 'r-');
    placed('produce', records, await produceAll(track(await producer(broker.bootstrap, {}, new ClientLog('producer'))), topic, records), new ClientLog('-'), broker);
    const readFrom = async (reset: string) => {
      const c = track(await consumer(broker.bootstrap, { 'group.id': `rd-range-${reset}` }, new ClientLog(`reset ${reset}`), { 'auto.offset.reset': reset }));
      c.assign([{ topic, partition: 0, offset: 1_000_000 }]);
      try {
        return { got: await consumeN(c, 20, 4000, 0), error: undefined };
      } catch (e) {
        return { got: [], error: e as Error };
      } finally {
        await disconnect(c);
      }
    };
    const earliest = await readFrom('earliest');
    assert.deepEqual(earliest.got.map((m) => m.offset), records.map((_, i) => i));
    const latest = await readFrom('latest');
    assert.deepEqual([latest.got.length, latest.error], [0, undefined]);
    // The broker's OFFSET_OUT_OF_RANGE with reset=error: librdkafka's _AUTO_OFFSET_RESET (-140).
    const error = await readFrom('error');
    assert.equal((error.error as { code?: number } | undefined)?.code, -140, String(error.error));
  });

  describe('with auto-create off and a small max.message.bytes', () => {
    let strict: TestBroker;
    before(async () => {
      strict = await TestBroker.start({ 'auto.create.topics.enable': false });
      await strict.running!.broker.topics.create('rd-small', 1, 1, { 'max.message.bytes': '10000' });
    });
    after(() => strict?.dispose());

    test('unknown topic: the delivery report and the consumer say so', async () => {
      const p = track(await producer(strict.bootstrap, { 'message.timeout.ms': 5000, 'topic.metadata.propagation.max.ms': 1000 }, new ClientLog('producer')));
      const [report] = await produceAll(p, 'rd-missing', texts(1, 'x'), 20_000);
      assert.match(String(report!.err?.message), /unknown topic/i);
      const c = track(await consumer(strict.bootstrap, { 'group.id': 'rd-missing-g', 'topic.metadata.propagation.max.ms': 1000 }, new ClientLog('consumer')));
      c.subscribe(['rd-missing']);
      await assert.rejects(consumeN(c, 1, 15_000, 0), /unknown topic/i);
    });

    test('oversized message: MESSAGE_TOO_LARGE in the delivery report, a smaller one still lands', async () => {
      const p = track(await producer(strict.bootstrap, { 'compression.codec': 'none' }, new ClientLog('producer')));
      const [big] = await produceAll(p, 'rd-small', [{ p: 0, k: null, v: Buffer.alloc(50_000, 0x61).toString('hex'), h: [] }]);
      assert.match(String(big!.err?.message), /too large/i);
      const [small] = await produceAll(p, 'rd-small', texts(1, 'small'));
      assert.deepEqual([small!.err, small!.o], [null, 0]);
    });
  });
});
