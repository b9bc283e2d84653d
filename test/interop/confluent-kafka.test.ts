// confluent-kafka-python 1.7.0 (librdkafka 2.0.2, Debian) against an in-process broker: admin
// create/describe/delete, 10,000 records with keys, headers (null values included) and
// timestamps through every codec, byte-identical before and after a restart, metadata,
// offsets_for_times, auto-create and the error cases. Scripts: test/interop/py/ck_*.py.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FULL_CAPS,
  TestBroker,
  assertRecordsMatch,
  assertSameReads,
  killAllChildren,
  makeRecords,
  placedFromReports,
  pyProduce,
  requirePythonModule,
  runPy,
  scratchDir,
  type ConsumeOutput,
  type Placed,
  type SeenRecord,
  type TestRecord,
} from './helpers.js';

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const PER_CODEC = 2000;
const PARTITIONS = 3;
const BASE_TS = 1_700_000_000_000;

type Admin = { result?: Record<string, { ok: boolean; value?: any; error?: { code: number; name: string; str: string } }>; error?: unknown; logs: string[]; [k: string]: any };

async function ckAdmin(bootstrap: string, args: string[]): Promise<Admin> {
  return runPy<Admin>('ck_admin.py', ['--bootstrap', bootstrap, ...args]);
}

async function ckConsume(bootstrap: string, topic: string, args: string[] = []): Promise<ConsumeOutput> {
  return runPy<ConsumeOutput>('ck_consume.py', ['--bootstrap', bootstrap, '--topic', topic, ...args]);
}

function assertAdminOk(what: string, r: Admin, name: string, broker: TestBroker): void {
  const res = r.result?.[name];
  if (!res?.ok) assert.fail(`${what}: ${JSON.stringify(res ?? r)}\nclient log:\n${r.logs.slice(-20).join('\n')}\nbroker log:\n${broker.logSince()}`);
}

describe('confluent-kafka (python)', { timeout: 900_000 }, () => {
  let broker: TestBroker;
  let files: Awaited<ReturnType<typeof scratchDir>>;
  let expected: Placed[] = [];

  before(async () => {
    broker = await TestBroker.start();
    files = await scratchDir();
  });
  after(async () => {
    killAllChildren();
    await broker?.dispose();
    await files?.remove();
  });

  test('admin create_topics, then 10,000 records with keys, headers and timestamps through every codec, byte-identical before and after a restart', async () => {
    requirePythonModule('confluent_kafka');
    const topic = 'ck-data';
    assertAdminOk('create_topics', await ckAdmin(broker.bootstrap, ['create_topics', '--topic', topic, '--partitions', String(PARTITIONS)]), topic, broker);
    expected = [];
    for (const [c, codec] of CODECS.entries()) {
      const records = makeRecords(2000 + c, PER_CODEC, FULL_CAPS, BASE_TS + c * 10_000_000).map((r, i): TestRecord => ({ ...r, p: i % PARTITIONS }));
      const out = await pyProduce('ck_produce.py', files.dir, broker.bootstrap, topic, records, ['--compression', codec]);
      expected.push(...placedFromReports(`produce with ${codec}`, records, out, broker));
    }
    const read = await ckConsume(broker.bootstrap, topic, ['--expect', String(expected.length)]);
    assert.deepEqual(read.errors, [], `consumer errors; log:\n${read.logs.join('\n')}`);
    assertRecordsMatch('confluent-kafka read-back', expected, read.records, { context: () => `broker log:\n${broker.logSince()}` });

    await broker.restart();
    const again = await ckConsume(broker.bootstrap, topic, ['--expect', String(expected.length)]);
    assert.deepEqual(again.errors, []);
    assertSameReads('confluent-kafka read-back after restart', read.records, again.records);
  });

  test('every codec reached the broker as asked (compression.codec none/gzip/snappy/lz4/zstd)', () => {
    requirePythonModule('confluent_kafka');
    broker.produced.assertCodecs('ck-data', CODECS, broker);
  });

  test('metadata: list_topics describes the broker, the topic and its partitions', async () => {
    requirePythonModule('confluent_kafka');
    const md = await ckAdmin(broker.bootstrap, ['metadata', '--topic', 'ck-data']);
    const nodeId = broker.running!.broker.nodeId;
    const [host, port] = broker.bootstrap.split(':');
    assert.equal(md.controller_id, nodeId);
    assert.equal(md.cluster_id, broker.running!.broker.metadata.clusterId);
    assert.deepEqual(md.brokers, [{ id: nodeId, host, port: Number(port) }]);
    assert.deepEqual(md.topics['ck-data'], {
      error: null,
      partitions: Object.fromEntries(Array.from({ length: PARTITIONS }, (_, p) => [String(p), { leader: nodeId, replicas: [nodeId], isrs: [nodeId], error: null }])),
    });
  });

  test('offsets_for_times and watermarks', async () => {
    requirePythonModule('confluent_kafka');
    assert.ok(expected.length > 0, 'needs the records of the first test');
    const p0 = expected.filter((e) => e.p === 0).sort((a, b) => a.o - b.o);
    const stamps = p0.map((e) => e.rec.ts!);
    const firstAtOrAfter = (ts: number) => p0.find((e) => e.rec.ts! >= ts)?.o ?? -1;
    const pick = [0, 1, 17, 500, 1999, 2000, 2001, 3333, p0.length - 1].map((i) => stamps[i]!);
    const queries = [BASE_TS - 1, ...pick, ...pick.map((t) => t + 1), stamps.at(-1)! + 1];
    const r = await ckAdmin(broker.bootstrap, ['offsets_for_times', '--topic', 'ck-data', '--partition', '0', ...queries.flatMap((t) => ['--timestamp', String(t)])]);
    const got = r.result as unknown as { timestamp: number; offset: number; error: unknown }[];
    const wrong = queries
      .map((t, i) => ({ t, want: firstAtOrAfter(t), got: got[i]?.offset, error: got[i]?.error ?? null }))
      .filter((x) => x.got !== x.want || x.error !== null)
      .map((x) => {
        const at = p0.find((e) => e.o === x.got);
        return `timestamp ${x.t}: offset ${x.got} (record timestamp ${at?.rec.ts ?? '-'}), want ${x.want}${x.error ? ` error ${JSON.stringify(x.error)}` : ''}`;
      });
    if (wrong.length) assert.fail(`offsets_for_times on ck-data[0] (batches compressed with ${CODECS.join(', ')} in that order):\n${wrong.join('\n')}`);
    const wm = await ckAdmin(broker.bootstrap, ['watermarks', '--topic', 'ck-data', '--partition', '0']);
    assert.deepEqual(wm.result, { low: 0, high: p0.length });
  });

  test('offsets_for_times on small uncompressed batches, before and after a restart', async () => {
    requirePythonModule('confluent_kafka');
    // 30 records of a few bytes: the segment stays under index.interval.bytes, so its time index
    // has no entry and a restarted broker must still find the records' timestamps.
    const topic = 'ck-times';
    const records: TestRecord[] = Array.from({ length: 30 }, (_, i) => ({ k: null, v: Buffer.from(`r${i}`).toString('hex'), h: [], ts: BASE_TS + i * 1000, p: 0 }));
    const placed = placedFromReports('produce', records, await pyProduce('ck_produce.py', files.dir, broker.bootstrap, topic, records, ['--config', 'linger.ms=0']), broker);
    assert.deepEqual(placed.map((x) => x.o), records.map((_, i) => i));
    const queries = [BASE_TS - 1, BASE_TS, BASE_TS + 500, BASE_TS + 15_000, BASE_TS + 29_000, BASE_TS + 29_001];
    const want = [0, 0, 1, 15, 29, -1];
    const ask = async () => {
      const r = await ckAdmin(broker.bootstrap, ['offsets_for_times', '--topic', topic, '--partition', '0', ...queries.flatMap((t) => ['--timestamp', String(t)])]);
      return (r.result as unknown as { offset: number }[]).map((x) => x.offset);
    };
    assert.deepEqual(await ask(), want, `before a restart, for timestamps ${queries.join(', ')}`);
    await broker.restart();
    assert.deepEqual(await ask(), want, `after a restart, for timestamps ${queries.join(', ')}`);
  });

  test('admin: describe_configs, create_partitions, delete_topics', async () => {
    requirePythonModule('confluent_kafka');
    const topic = 'ck-admin';
    assertAdminOk('create_topics', await ckAdmin(broker.bootstrap, ['create_topics', '--topic', topic, '--partitions', '1', '--topic-config', 'retention.ms=3600000']), topic, broker);
    const cfg = await ckAdmin(broker.bootstrap, ['describe_configs', '--topic', topic]);
    assertAdminOk('describe_configs', cfg, topic, broker);
    const entries = cfg.result![topic]!.value as Record<string, { value: string; default: boolean }>;
    assert.equal(entries['retention.ms']?.value, '3600000');
    assert.equal(entries['retention.ms']?.default, false);
    assert.equal(entries['cleanup.policy']?.value, 'delete');
    assertAdminOk('create_partitions', await ckAdmin(broker.bootstrap, ['create_partitions', '--topic', topic, '--partitions', '4']), topic, broker);
    const md = await ckAdmin(broker.bootstrap, ['metadata', '--topic', topic]);
    assert.equal(Object.keys(md.topics[topic].partitions).length, 4);
    assertAdminOk('delete_topics', await ckAdmin(broker.bootstrap, ['delete_topics', '--topic', topic]), topic, broker);
    const all = await ckAdmin(broker.bootstrap, ['metadata']);
    assert.ok(!(topic in all.topics), `deleted topic still listed: ${Object.keys(all.topics).join(', ')}`);
  });

  test('auto-create: producing to a new topic creates it', async () => {
    requirePythonModule('confluent_kafka');
    const records: TestRecord[] = [{ k: '6b', v: '76', h: [['a', '62']], ts: BASE_TS }];
    const out = await pyProduce('ck_produce.py', files.dir, broker.bootstrap, 'ck-auto', records);
    const placed = placedFromReports('produce to a new topic', records, out, broker);
    assert.deepEqual(placed.map((x) => [x.p, x.o]), [[0, 0]]);
    const md = await ckAdmin(broker.bootstrap, ['metadata', '--topic', 'ck-auto']);
    assert.equal(Object.keys(md.topics['ck-auto'].partitions).length, 1);
  });

  test('offset out of range: the consumer resets per auto.offset.reset', async () => {
    requirePythonModule('confluent_kafka');
    const p0 = expected.filter((e) => e.p === 0);
    assert.ok(p0.length > 0, 'needs the records of the first test');
    const earliest = await ckConsume(broker.bootstrap, 'ck-data', ['--partitions', '0', '--offset', '1000000', '--expect', String(p0.length), '--config', 'auto.offset.reset=earliest']);
    assert.deepEqual(earliest.errors, []);
    assertRecordsMatch('after reset to earliest', p0, earliest.records);
    const latest = await ckConsume(broker.bootstrap, 'ck-data', ['--partitions', '0', '--offset', '1000000', '--config', 'auto.offset.reset=latest', '--timeout', '20']);
    assert.deepEqual([latest.records.length, latest.errors, latest.eof], [0, [], [0]]);
    const error = await ckConsume(broker.bootstrap, 'ck-data', ['--partitions', '0', '--offset', '1000000', '--config', 'auto.offset.reset=error', '--timeout', '20', '--stop-on-error']);
    assert.equal(error.records.length, 0);
    assert.ok(
      error.errors.some((e) => e.name === '_AUTO_OFFSET_RESET' && /out of range/i.test(e.str)),
      `expected an offset-out-of-range error, got ${JSON.stringify(error.errors)}`,
    );
  });

  describe('with auto-create off', () => {
    let strict: TestBroker;
    before(async () => {
      strict = await TestBroker.start({ 'auto.create.topics.enable': false });
    });
    after(async () => {
      killAllChildren();
      await strict?.dispose();
    });

    test('unknown topic: the delivery report and the consumer carry the error', async () => {
      requirePythonModule('confluent_kafka');
      const records: TestRecord[] = [{ k: '6b', v: '76', h: [] }];
      const out = await pyProduce('ck_produce.py', files.dir, strict.bootstrap, 'ck-missing', records, ['--config', 'message.timeout.ms=5000', '--config', 'topic.metadata.propagation.max.ms=1000', '--timeout', '20']);
      const err = out.reports[0]?.err;
      assert.ok(err && /UNKNOWN_TOPIC/.test(err.name), `delivery report: ${JSON.stringify(out.reports[0])}`);
      const read = await ckConsume(strict.bootstrap, 'ck-missing', ['--timeout', '10']);
      assert.ok(read.errors.some((e) => /UNKNOWN_TOPIC/.test(e.name)), `consumer errors: ${JSON.stringify(read.errors)}`);
    });

    test('oversized message: MSG_SIZE_TOO_LARGE (MESSAGE_TOO_LARGE, 10) in the delivery report', async () => {
      requirePythonModule('confluent_kafka');
      assertAdminOk('create_topics', await ckAdmin(strict.bootstrap, ['create_topics', '--topic', 'ck-small', '--topic-config', 'max.message.bytes=10000']), 'ck-small', strict);
      const records: TestRecord[] = [
        { k: '6b', v: Buffer.alloc(50_000, 0x61).toString('hex'), h: [], ts: BASE_TS },
        { k: '6b', v: '736d616c6c', h: [], ts: BASE_TS },
      ];
      // linger.ms=0 and one message per batch keep the small record out of the big one's batch.
      const out = await pyProduce('ck_produce.py', files.dir, strict.bootstrap, 'ck-small', records.slice(0, 1), ['--config', 'linger.ms=0']);
      assert.deepEqual(out.reports[0]?.err?.code, 10, JSON.stringify(out.reports[0]));
      assert.equal(out.reports[0]?.err?.name, 'MSG_SIZE_TOO_LARGE');
      const ok = await pyProduce('ck_produce.py', files.dir, strict.bootstrap, 'ck-small', records.slice(1));
      const placed = placedFromReports('small record', records.slice(1), ok, strict);
      const read = await ckConsume(strict.bootstrap, 'ck-small', ['--expect', '1']);
      assertRecordsMatch('ck-small', placed, read.records as SeenRecord[]);
    });
  });
});
