// Records produced by one client and consumed by another, byte for byte: kcat → kafka-python,
// kafka-python → kcat (current and legacy message formats), confluent-kafka → kafka-python.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FULL_CAPS,
  KCAT_CAPS,
  KP_CAPS,
  TestBroker,
  assertRecordsMatch,
  assertSameReads,
  describeRun,
  kcatConsume,
  kcatProduce,
  killAllChildren,
  makeRecords,
  placeInOrder,
  placedFromReports,
  pyProduce,
  requireKcat,
  requirePythonModule,
  runPy,
  scratchDir,
  type ConsumeOutput,
  type Placed,
  type TestRecord,
} from './helpers.js';

async function kpConsume(bootstrap: string, topic: string, args: string[] = []): Promise<ConsumeOutput> {
  return runPy<ConsumeOutput>('kp_consume.py', ['--bootstrap', bootstrap, '--topic', topic, ...args]);
}

describe('cross-client', { timeout: 600_000 }, () => {
  let broker: TestBroker;
  let files: Awaited<ReturnType<typeof scratchDir>>;

  before(async () => {
    broker = await TestBroker.start({ 'num.partitions': 2 });
    files = await scratchDir();
  });
  after(async () => {
    killAllChildren();
    await broker?.dispose();
    await files?.remove();
  });

  test('kcat produces (every codec kafka-python can read here), kafka-python consumes byte-identical', async () => {
    requireKcat();
    requirePythonModule('kafka');
    const topic = 'x-kcat-to-kp';
    const expected: Placed[] = [];
    const next = new Map<number, number>();
    // kafka-python reads only the codecs it has modules for: gzip always, the others when installed
    // (it fails the fetch otherwise), so kcat writes those it can read here.
    const codecs = (await runPy<{ result: Record<string, boolean> }>('kp_admin.py', ['--bootstrap', 'unused:0', 'codecs'])).result;
    const t0 = Date.now();
    for (const [c, codec] of ['none', 'gzip', 'snappy', 'lz4', 'zstd'].entries()) {
      if (codec !== 'none' && !codecs[codec]) continue;
      const partition = c % 2;
      const headers: [string, string | null][] = [['codec', codec], ['empty', '']];
      const records = makeRecords(5000 + c, 1000, KCAT_CAPS).map((r): TestRecord => ({ ...r, h: headers.map(([n, v]) => [n, v === null ? null : Buffer.from(v).toString('hex')]) }));
      const r = await kcatProduce(broker.bootstrap, topic, records, { partition, codec, headers });
      if (r.code !== 0 || /ERROR|failed/i.test(r.stderr)) assert.fail(`kcat -P -z ${codec}: ${describeRun(r)}`);
      const placed = placeInOrder(records, () => partition, next);
      for (const p of placed) next.set(p.p, p.o + 1);
      expected.push(...placed);
    }
    const t1 = Date.now();
    const read = await kpConsume(broker.bootstrap, topic);
    assert.deepEqual(read.errors, [], read.logs.join('\n'));
    assertRecordsMatch('kafka-python reading kcat', expected, read.records, { tsWindow: [t0 - 1000, t1 + 1000] });
    // Same timestamps as kcat itself sees.
    const own = await kcatConsume(broker.bootstrap, topic);
    assertSameReads('kcat and kafka-python agree', own.records, read.records);
  });

  test('kafka-python produces (none, gzip; headers, timestamps), kcat consumes byte-identical', async () => {
    requireKcat();
    requirePythonModule('kafka');
    const topic = 'x-kp-to-kcat';
    const expected: Placed[] = [];
    for (const [c, codec] of ['none', 'gzip'].entries()) {
      const records = makeRecords(6000 + c, 1500, KP_CAPS, 1_720_000_000_000 + c * 1_000_000).map((r, i): TestRecord => ({ ...r, p: i % 2 }));
      const out = await pyProduce('kp_produce.py', files.dir, broker.bootstrap, topic, records, ['--compression', codec]);
      expected.push(...placedFromReports(`kafka-python ${codec}`, records, out, broker));
    }
    const { records, result } = await kcatConsume(broker.bootstrap, topic);
    assert.equal(result.code, 0, describeRun(result));
    assertRecordsMatch('kcat reading kafka-python', expected, records);
  });

  test('kafka-python with api_version 0.10.1 (magic 1 message sets) and 0.9 (magic 0), kcat consumes', async () => {
    requireKcat();
    requirePythonModule('kafka');
    for (const [apiVersion, magic] of [['0.10.1', 1], ['0.9', 0]] as const) {
      const topic = `x-kp-legacy-${magic}`;
      const records = makeRecords(7000 + magic, 400, { ...KP_CAPS, headers: false }, 1_730_000_000_000).map((r): TestRecord => ({ ...r, p: 0 }));
      const out = await pyProduce('kp_produce.py', files.dir, broker.bootstrap, topic, records, ['--compression', 'gzip', '--api-version', apiVersion]);
      const expected = placedFromReports(`kafka-python ${apiVersion}`, records, out, broker);
      assert.deepEqual([...(broker.produced.formats.get(topic) ?? [])], [`gzip@${magic}`]);
      const { records: seen, result } = await kcatConsume(broker.bootstrap, topic);
      assert.equal(result.code, 0, describeRun(result));
      // Magic 0 has no timestamp: the broker's batch says NO_TIMESTAMP (-1).
      const want = magic === 0 ? expected.map((e) => ({ ...e, rec: { ...e.rec, ts: -1 } })) : expected;
      assertRecordsMatch(`kcat reading kafka-python ${apiVersion}`, want, seen);
    }
  });

  test('confluent-kafka produces (every codec kafka-python can read here; null header values), kafka-python consumes byte-identical', async () => {
    requirePythonModule('confluent_kafka');
    requirePythonModule('kafka');
    const topic = 'x-ck-to-kp';
    const codecs = (await runPy<{ result: Record<string, boolean> }>('kp_admin.py', ['--bootstrap', 'unused:0', 'codecs'])).result;
    const expected: Placed[] = [];
    for (const [c, codec] of ['none', 'gzip', 'snappy', 'lz4', 'zstd'].entries()) {
      if (codec !== 'none' && !codecs[codec]) continue;
      const records = makeRecords(8000 + c, 1000, FULL_CAPS, 1_740_000_000_000 + c * 1_000_000).map((r, i): TestRecord => ({ ...r, p: i % 2 }));
      const out = await pyProduce('ck_produce.py', files.dir, broker.bootstrap, topic, records, ['--compression', codec]);
      expected.push(...placedFromReports(`confluent-kafka ${codec}`, records, out, broker));
    }
    const read = await kpConsume(broker.bootstrap, topic);
    assert.deepEqual(read.errors, []);
    assertRecordsMatch('kafka-python reading confluent-kafka', expected, read.records);
  });
});
