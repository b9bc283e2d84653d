// kcat (librdkafka 2.0.2, Debian) against an in-process broker: 10,000 records with keys and
// headers through every codec librdkafka has, read back byte-identical before and after a
// restart; metadata (-L -J), offsets by time (-Q), auto-create and the error cases.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  KCAT_CAPS,
  TestBroker,
  assertRecordsMatch,
  assertSameReads,
  describeRun,
  kcatConsume,
  kcatProduce,
  killAllChildren,
  makeRecords,
  placeInOrder,
  requireKcat,
  run,
  type Placed,
  type SeenRecord,
  type TestRecord,
} from './helpers.js';

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const PER_CODEC = 2000; // 5 × 2000 = 10,000
const PARTITIONS = 3;

/** kcat prints delivery failures on stderr; a clean run has none. */
function assertCleanProduce(what: string, r: Awaited<ReturnType<typeof kcatProduce>>, broker: TestBroker): void {
  if (r.code !== 0 || /ERROR|failed/i.test(r.stderr)) assert.fail(`${what}: ${describeRun(r)}\nbroker log:\n${broker.logSince()}`);
}

describe('kcat', { timeout: 600_000 }, () => {
  let broker: TestBroker;
  let firstRead: SeenRecord[] = [];

  before(async () => {
    broker = await TestBroker.start({ 'num.partitions': PARTITIONS });
  });
  after(async () => {
    killAllChildren();
    await broker?.dispose();
  });

  test('10,000 records with keys and headers through none/gzip/snappy/lz4/zstd, byte-identical before and after a restart', async () => {
    requireKcat();
    const topic = 'kcat-data';
    const expected: Placed[] = [];
    const next = new Map<number, number>();
    const t0 = Date.now();
    for (const [c, codec] of CODECS.entries()) {
      const partition = c % PARTITIONS;
      // kcat puts the same -H headers on every message of a run: these vary per run and include
      // a duplicate name, an empty value and a null value (-H name without '=').
      const headers: [string, string | null][] = [['codec', codec], ['dup', '1'], ['dup', '2'], ['empty', ''], ['novalue', null]];
      const records = makeRecords(1000 + c, PER_CODEC, KCAT_CAPS).map((r): TestRecord => ({
        ...r,
        h: headers.map(([n, v]) => [n, v === null ? null : Buffer.from(v).toString('hex')]),
      }));
      const r = await kcatProduce(broker.bootstrap, topic, records, { partition, codec, headers });
      assertCleanProduce(`kcat -P -z ${codec}`, r, broker);
      const placed = placeInOrder(records, () => partition, next);
      for (const p of placed) next.set(p.p, p.o + 1);
      expected.push(...placed);
    }
    const t1 = Date.now();

    const { records: seen, result } = await kcatConsume(broker.bootstrap, topic);
    assert.equal(result.code, 0, describeRun(result));
    assertRecordsMatch('kcat read-back', expected, seen, { tsWindow: [t0 - 1000, t1 + 1000], context: () => `kcat: ${describeRun(result)}\nbroker:\n${broker.logSince()}` });
    firstRead = seen;

    await broker.restart();
    const again = await kcatConsume(broker.bootstrap, topic);
    assert.equal(again.result.code, 0, describeRun(again.result));
    assertSameReads('kcat read-back after restart', firstRead, again.records);
  });

  test('every codec reached the broker as asked (-z none/gzip/snappy/lz4/zstd)', () => {
    requireKcat();
    broker.produced.assertCodecs('kcat-data', CODECS, broker);
  });

  test('metadata: kcat -L -J describes the broker, the auto-created topic and its partitions', async () => {
    requireKcat();
    const r = await run('kcat', ['-b', broker.bootstrap, '-L', '-J']);
    assert.equal(r.code, 0, describeRun(r));
    const md = JSON.parse(r.stdout.toString('utf8')) as {
      controllerid: number;
      brokers: { id: number; name: string }[];
      topics: { topic: string; error?: string; partitions: { partition: number; leader: number; replicas: { id: number }[]; isrs: { id: number }[] }[] }[];
    };
    const nodeId = broker.running!.broker.nodeId;
    assert.equal(md.controllerid, nodeId);
    assert.deepEqual(md.brokers, [{ id: nodeId, name: broker.bootstrap }]);
    const t = md.topics.find((x) => x.topic === 'kcat-data');
    assert.ok(t, `kcat-data in ${JSON.stringify(md.topics.map((x) => x.topic))}`);
    assert.equal(t.error, undefined);
    assert.deepEqual(
      t.partitions.map((p) => [p.partition, p.leader, p.replicas.map((x) => x.id), p.isrs.map((x) => x.id)]).sort(),
      Array.from({ length: PARTITIONS }, (_, p) => [p, nodeId, [nodeId], [nodeId]]),
    );
  });

  test('auto-create: producing to a new topic creates it with num.partitions', async () => {
    requireKcat();
    const r = await kcatProduce(broker.bootstrap, 'kcat-auto', [{ k: '6b', v: '76', h: [] }], { partition: 0 });
    assertCleanProduce('kcat -P to a new topic', r, broker);
    const md = await run('kcat', ['-b', broker.bootstrap, '-L', '-J', '-t', 'kcat-auto']);
    const t = (JSON.parse(md.stdout.toString('utf8')) as { topics: { topic: string; partitions: unknown[] }[] }).topics[0]!;
    assert.equal(t.topic, 'kcat-auto');
    assert.equal(t.partitions.length, PARTITIONS);
  });

  test('list offsets by time: kcat -Q -t topic:partition:timestamp', async () => {
    requireKcat();
    // kcat cannot set timestamps: produce in runs some milliseconds apart and query around the
    // timestamps the broker kept.
    const topic = 'kcat-times';
    for (let run_ = 0; run_ < 4; run_++) {
      const r = await kcatProduce(broker.bootstrap, topic, makeRecords(50 + run_, 5, KCAT_CAPS), { partition: 1 });
      assertCleanProduce('kcat -P', r, broker);
      await new Promise((res) => setTimeout(res, 25));
    }
    const { records } = await kcatConsume(broker.bootstrap, topic, { partition: 1 });
    assert.equal(records.length, 20);
    const stamps = [...new Set(records.map((r) => r.ts))].sort((a, b) => a - b);
    const firstAtOrAfter = (ts: number) => records.find((r) => r.ts >= ts)?.o ?? -1;
    const queries = [stamps[0]! - 1000, ...stamps, ...stamps.map((s) => s + 1), stamps.at(-1)! + 1];
    for (const ts of queries) {
      const r = await run('kcat', ['-b', broker.bootstrap, '-Q', '-J', '-t', `${topic}:1:${ts}`]);
      assert.equal(r.code, 0, describeRun(r));
      const out = JSON.parse(r.stdout.toString('utf8')) as Record<string, Record<string, { offset: number; error?: string }>>;
      const got = out[topic]!['1']!;
      assert.equal(got.error, undefined, `kcat -Q ${ts}: ${JSON.stringify(got)}`);
      assert.equal(got.offset, firstAtOrAfter(ts), `offset for timestamp ${ts} (stamps ${stamps.join(',')})`);
    }
    // -1: the end (high watermark), -2: the beginning.
    for (const [ts, want] of [[-1, 20], [-2, 0]] as const) {
      const r = await run('kcat', ['-b', broker.bootstrap, '-Q', '-J', '-t', `${topic}:1:${ts}`]);
      const out = JSON.parse(r.stdout.toString('utf8')) as Record<string, Record<string, { offset: number }>>;
      assert.equal(out[topic]!['1']!.offset, want, `timestamp ${ts}`);
    }
  });

  test('offset out of range: the consumer resets per auto.offset.reset', async () => {
    requireKcat();
    const topic = 'kcat-data';
    const all = await kcatConsume(broker.bootstrap, topic, { partition: 0 });
    assert.ok(all.records.length > 0);
    const earliest = await kcatConsume(broker.bootstrap, topic, { partition: 0, offset: '1000000', extra: ['-X', 'auto.offset.reset=earliest'] });
    assert.equal(earliest.result.code, 0, describeRun(earliest.result));
    assertSameReads('reset to earliest', all.records, earliest.records);
    const latest = await kcatConsume(broker.bootstrap, topic, { partition: 0, offset: '1000000', extra: ['-X', 'auto.offset.reset=latest'] });
    assert.equal(latest.result.code, 0, describeRun(latest.result));
    assert.equal(latest.records.length, 0);
    const error = await kcatConsume(broker.bootstrap, topic, { partition: 0, offset: '1000000', extra: ['-X', 'auto.offset.reset=error'], timeoutMs: 20_000 });
    assert.match(error.result.stderr, /out of range/i, describeRun(error.result));
    assert.equal(error.records.length, 0);
  });

  describe('with auto-create off and a small max.message.bytes', () => {
    let strict: TestBroker;
    before(async () => {
      strict = await TestBroker.start({ 'auto.create.topics.enable': false });
      await strict.running!.broker.topics.create('kcat-small', 1, 1, { 'max.message.bytes': '10000' });
    });
    after(async () => {
      killAllChildren();
      await strict?.dispose();
    });

    test('unknown topic: producer and consumer report it', async () => {
      requireKcat();
      const p = await kcatProduce(strict.bootstrap, 'kcat-missing', [{ k: null, v: '76', h: [] }], {
        extra: ['-X', 'topic.metadata.propagation.max.ms=1000', '-X', 'message.timeout.ms=5000'],
        timeoutMs: 30_000,
      });
      assert.match(p.stderr, /unknown topic/i, describeRun(p));
      const c = await kcatConsume(strict.bootstrap, 'kcat-missing', { timeoutMs: 30_000 });
      assert.notEqual(c.result.code, 0, describeRun(c.result));
      assert.match(c.result.stderr, /unknown topic/i, describeRun(c.result));
      const md = await run('kcat', ['-b', strict.bootstrap, '-L', '-J', '-t', 'kcat-missing']);
      const t = (JSON.parse(md.stdout.toString('utf8')) as { topics: { topic: string; error?: string }[] }).topics[0]!;
      assert.match(t.error ?? '', /unknown topic/i, JSON.stringify(t));
    });

    test('oversized message: MESSAGE_TOO_LARGE in the delivery report, smaller ones still land', async () => {
      requireKcat();
      const big = Buffer.alloc(50_000, 0x61).toString('hex');
      const r = await kcatProduce(strict.bootstrap, 'kcat-small', [{ k: '6b', v: big, h: [] }], { timeoutMs: 30_000 });
      assert.match(r.stderr, /Message size too large/i, describeRun(r));
      const ok = await kcatProduce(strict.bootstrap, 'kcat-small', [{ k: '6b', v: '736d616c6c', h: [] }]);
      assertCleanProduce('kcat -P small message', ok, strict);
      const { records } = await kcatConsume(strict.bootstrap, 'kcat-small');
      assert.deepEqual(records.map((x) => [x.o, x.v]), [[0, '736d616c6c']]);
    });
  });
});
