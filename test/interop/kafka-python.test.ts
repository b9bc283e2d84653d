// kafka-python 2.0.2 (Debian) against an in-process broker: admin create/describe/delete,
// 10,000 records with keys, headers and timestamps through every codec kafka-python can use
// here (none and gzip always; lz4, snappy, zstd only when their Python modules are installed),
// byte-identical before and after a restart; the legacy message formats of api_version 0.8.2
// (magic 0, Produce v0), 0.9 (magic 0, v1) and 0.10.x (magic 1, v2); metadata, offsets_for_times,
// auto-create and the error cases. Scripts: test/interop/py/kp_*.py.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
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
  KP_CAPS,
  type Placed,
  type TestRecord,
} from './helpers.js';

const TOTAL = 10_000;
const PARTITIONS = 3;
const BASE_TS = 1_710_000_000_000;

type Admin = { result?: any; error?: { code: number | null; name: string; str: string }; logs: string[]; [k: string]: any };

async function kpAdmin(bootstrap: string, args: string[]): Promise<Admin> {
  return runPy<Admin>('kp_admin.py', ['--bootstrap', bootstrap, ...args]);
}

async function kpConsume(bootstrap: string, topic: string, args: string[] = []): Promise<ConsumeOutput & { positions: Record<string, number> }> {
  return runPy('kp_consume.py', ['--bootstrap', bootstrap, '--topic', topic, ...args]);
}

function assertAdminOk(what: string, r: Admin, topic: string, broker: TestBroker): void {
  const res = r.result?.[topic];
  if (r.error || !res || res.code !== 0) assert.fail(`${what}: ${JSON.stringify(r.error ?? res ?? r.result)}\nclient log:\n${r.logs.slice(-20).join('\n')}\nbroker log:\n${broker.logSince()}`);
}

/** The codecs kafka-python can use in this environment (its codec module's has_* checks). */
let available: { codecs: string[]; missing: string[]; modules: Record<string, boolean> } | undefined;
async function kafkaPythonCodecs(): Promise<NonNullable<typeof available>> {
  if (!available) {
    const r = await kpAdmin('unused:0', ['codecs']);
    const has = r.result as Record<string, boolean>;
    const all = ['gzip', 'snappy', 'lz4', 'zstd'];
    available = { codecs: ['none', ...all.filter((c) => has[c])], missing: all.filter((c) => !has[c]), modules: r.modules };
  }
  return available;
}

describe('kafka-python', { timeout: 900_000 }, () => {
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

  test('admin create_topics, then 10,000 records with keys, headers and timestamps through every available codec, byte-identical before and after a restart', async (t) => {
    requirePythonModule('kafka');
    const { codecs, missing, modules } = await kafkaPythonCodecs();
    // Not a skip: kafka-python itself cannot compress with these without the Python modules.
    t.diagnostic(`kafka-python codecs here: ${codecs.join(', ')}; unavailable: ${missing.join(', ') || 'none'} (modules ${JSON.stringify(modules)})`);
    const topic = 'kp-data';
    assertAdminOk('create_topics', await kpAdmin(broker.bootstrap, ['create_topics', '--topic', topic, '--partitions', String(PARTITIONS)]), topic, broker);
    expected = [];
    const per = Math.ceil(TOTAL / codecs.length);
    for (const [c, codec] of codecs.entries()) {
      const count = Math.min(per, TOTAL - c * per);
      const records = makeRecords(3000 + c, count, KP_CAPS, BASE_TS + c * 10_000_000).map((r, i): TestRecord => ({ ...r, p: i % PARTITIONS }));
      const out = await pyProduce('kp_produce.py', files.dir, broker.bootstrap, topic, records, ['--compression', codec]);
      expected.push(...placedFromReports(`produce with ${codec} (api_version ${out.api_version?.join('.')})`, records, out, broker));
    }
    assert.equal(expected.length, TOTAL);
    const read = await kpConsume(broker.bootstrap, topic);
    assert.deepEqual(read.errors, [], `consumer errors; log:\n${read.logs.join('\n')}`);
    assertRecordsMatch('kafka-python read-back', expected, read.records, { context: () => `client log:\n${read.logs.join('\n')}\nbroker log:\n${broker.logSince()}` });

    await broker.restart();
    const again = await kpConsume(broker.bootstrap, topic);
    assert.deepEqual(again.errors, []);
    assertSameReads('kafka-python read-back after restart', read.records, again.records);
  });

  test('every available codec reached the broker as asked (compression_type)', async () => {
    requirePythonModule('kafka');
    const { codecs } = await kafkaPythonCodecs();
    broker.produced.assertCodecs('kp-data', codecs, broker);
    assert.deepEqual([...(broker.produced.formats.get('kp-data') ?? [])].every((f) => f.endsWith('@2')), true, 'record batches (magic 2)');
  });

  for (const [apiVersion, magic, produceVersion] of [
    ['0.8.2', 0, 0],
    ['0.9', 0, 1],
    ['0.10.0', 1, 2],
    ['0.10.1', 1, 2],
  ] as const) {
    test(`legacy message format: api_version ${apiVersion} (magic ${magic}, Produce v${produceVersion}), none and gzip, read back at the same version`, async () => {
      requirePythonModule('kafka');
      const topic = `kp-legacy-${apiVersion}`;
      assertAdminOk('create_topics', await kpAdmin(broker.bootstrap, ['create_topics', '--topic', topic, '--partitions', '2']), topic, broker);
      const expectedHere: Placed[] = [];
      for (const [c, codec] of ['none', 'gzip'].entries()) {
        // No headers below magic 2; magic 0 has no timestamps.
        const records = makeRecords(4000 + c, 500, { ...KP_CAPS, headers: false }, BASE_TS + c * 1_000_000).map((r, i): TestRecord => ({ ...r, p: i % 2 }));
        const out = await pyProduce('kp_produce.py', files.dir, broker.bootstrap, topic, records, ['--compression', codec, '--api-version', apiVersion]);
        expectedHere.push(...placedFromReports(`produce with ${codec} at ${apiVersion}`, records, out, broker));
      }
      assert.deepEqual([...(broker.produced.versions.get(topic) ?? [])], [produceVersion], 'Produce version used');
      assert.deepEqual([...(broker.produced.formats.get(topic) ?? [])].sort(), [`gzip@${magic}`, `none@${magic}`]);
      const read = await kpConsume(broker.bootstrap, topic, ['--api-version', apiVersion]);
      assert.deepEqual(read.errors, []);
      const want = magic === 0 ? expectedHere.map((e) => ({ ...e, rec: { ...e.rec, ts: undefined } })) : expectedHere;
      const seen = magic === 0 ? read.records.map((r) => ({ ...r, tt: r.ts === null && r.tt === 'none' ? 'create' : `unexpected ${r.tt}/${r.ts}` })) : read.records;
      assertRecordsMatch(`read back at ${apiVersion}`, want, seen, { context: () => `broker log:\n${broker.logSince()}` });
      // And by a current client: the broker stored them as magic-2 batches.
      const modern = await kpConsume(broker.bootstrap, topic);
      assert.deepEqual(
        modern.records.map((r) => [r.p, r.o, r.k, r.v, magic === 0 ? -1 : r.ts]).sort(),
        expectedHere.map((e) => [e.p, e.o, e.rec.k, e.rec.v, magic === 0 ? -1 : e.rec.ts]).sort(),
      );
    });
  }

  test('metadata: describe_cluster, list_topics, describe_topics', async () => {
    requirePythonModule('kafka');
    const md = await kpAdmin(broker.bootstrap, ['metadata']);
    assert.equal(md.error, undefined, JSON.stringify(md.error));
    const nodeId = broker.running!.broker.nodeId;
    const [host, port] = broker.bootstrap.split(':');
    assert.deepEqual(md.cluster.brokers, [{ node_id: nodeId, host, port: Number(port), rack: null }]);
    assert.equal(md.cluster.controller_id, nodeId);
    assert.equal(md.cluster.cluster_id, broker.running!.broker.metadata.clusterId);
    assert.ok(md.topics.includes('kp-data'));
    const t = (md.describe as { topic: string; error_code: number; partitions: { partition: number; leader: number; replicas: number[]; isr: number[]; error_code: number }[] }[]).find((x) => x.topic === 'kp-data');
    assert.ok(t);
    assert.equal(t.error_code, 0);
    assert.deepEqual(
      t.partitions.map((p) => [p.partition, p.leader, p.replicas, p.isr, p.error_code]).sort(),
      Array.from({ length: PARTITIONS }, (_, p) => [p, nodeId, [nodeId], [nodeId], 0]),
    );
  });

  test('offsets_for_times, beginning_offsets and end_offsets on gzip-compressed batches', async () => {
    requirePythonModule('kafka');
    assert.ok(expected.length > 0, 'needs the records of the first test');
    const p0 = expected.filter((e) => e.p === 0).sort((a, b) => a.o - b.o);
    const stamps = p0.map((e) => e.rec.ts!);
    const firstAtOrAfter = (ts: number) => p0.find((e) => e.rec.ts! >= ts);
    const pick = [0, 1, 100, 1000, 1700, 2500, p0.length - 1].filter((i) => i < p0.length).map((i) => stamps[i]!);
    const queries = [BASE_TS - 1, ...pick, ...pick.map((x) => x + 1), stamps.at(-1)! + 1];
    const r = await kpAdmin(broker.bootstrap, ['offsets_for_times', '--topic', 'kp-data', '--partition', '0', ...queries.flatMap((x) => ['--timestamp', String(x)])]);
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    const wrong = queries
      .map((ts, i) => ({ ts, got: r.result[i] as { offset: number | null; found_ts: number | null }, want: firstAtOrAfter(ts) }))
      .filter((x) => x.got.offset !== (x.want?.o ?? null) || x.got.found_ts !== (x.want?.rec.ts ?? null))
      .map((x) => `timestamp ${x.ts}: got offset ${x.got.offset} (timestamp ${x.got.found_ts}), want ${x.want?.o ?? null} (timestamp ${x.want?.rec.ts ?? null})`);
    if (wrong.length) assert.fail(`offsets_for_times on kp-data[0] (codecs ${(await kafkaPythonCodecs()).codecs.join(', ')} in that order):\n${wrong.join('\n')}`);
    assert.equal(r.beginning, 0);
    assert.equal(r.end, p0.length);
  });

  test('admin: describe_configs, create_partitions, delete_topics', async () => {
    requirePythonModule('kafka');
    const topic = 'kp-admin';
    assertAdminOk('create_topics', await kpAdmin(broker.bootstrap, ['create_topics', '--topic', topic, '--topic-config', 'retention.ms=7200000']), topic, broker);
    const cfg = await kpAdmin(broker.bootstrap, ['describe_configs', '--topic', topic]);
    assert.equal(cfg.error, undefined, JSON.stringify(cfg.error));
    assert.equal(cfg.result[topic].code, 0);
    assert.equal(cfg.result[topic].configs['retention.ms'], '7200000');
    assert.equal(cfg.result[topic].configs['cleanup.policy'], 'delete');
    assertAdminOk('create_partitions', await kpAdmin(broker.bootstrap, ['create_partitions', '--topic', topic, '--partitions', '3']), topic, broker);
    assertAdminOk('delete_topics', await kpAdmin(broker.bootstrap, ['delete_topics', '--topic', topic]), topic, broker);
    const md = await kpAdmin(broker.bootstrap, ['metadata']);
    assert.ok(!md.topics.includes(topic), `deleted topic still listed: ${md.topics.join(', ')}`);
  });

  test('auto-create: producing to a new topic creates it', async () => {
    requirePythonModule('kafka');
    const records: TestRecord[] = [{ k: '6b', v: '76', h: [['a', '62']], ts: BASE_TS }];
    const out = await pyProduce('kp_produce.py', files.dir, broker.bootstrap, 'kp-auto', records);
    assert.deepEqual(placedFromReports('produce to a new topic', records, out, broker).map((x) => [x.p, x.o]), [[0, 0]]);
    const md = await kpAdmin(broker.bootstrap, ['metadata']);
    assert.ok(md.topics.includes('kp-auto'));
  });

  test('offset out of range: the consumer resets per auto_offset_reset', async () => {
    requirePythonModule('kafka');
    const p0 = expected.filter((e) => e.p === 0);
    assert.ok(p0.length > 0, 'needs the records of the first test');
    const earliest = await kpConsume(broker.bootstrap, 'kp-data', ['--partitions', '0', '--offset', '1000000', '--expect', String(p0.length), '--config', 'auto_offset_reset=earliest']);
    assert.deepEqual(earliest.errors, []);
    assertRecordsMatch('after reset to earliest', p0, earliest.records);
    const latest = await kpConsume(broker.bootstrap, 'kp-data', ['--partitions', '0', '--offset', '1000000', '--expect', '1', '--timeout', '5', '--config', 'auto_offset_reset=latest']);
    assert.deepEqual([latest.records.length, latest.errors, latest.positions], [0, [], { '0': p0.length }]);
    const none = await kpConsume(broker.bootstrap, 'kp-data', ['--partitions', '0', '--offset', '1000000', '--expect', '1', '--timeout', '5', '--config', 'auto_offset_reset=none']);
    assert.equal(none.records.length, 0);
    assert.ok(none.errors.some((e) => /OffsetOutOfRange/i.test(e.name)), `errors: ${JSON.stringify(none.errors)}`);
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

    test('unknown topic: send() fails after max_block_ms, the consumer finds no partitions', async () => {
      requirePythonModule('kafka');
      const records: TestRecord[] = [{ k: '6b', v: '76', h: [] }];
      const out = await pyProduce('kp_produce.py', files.dir, strict.bootstrap, 'kp-missing', records, ['--config', 'max_block_ms=3000', '--timeout', '10']);
      const err = out.reports[0]?.err;
      assert.ok(err && err.name === 'KafkaTimeoutError' && /metadata/i.test(err.str), `send: ${JSON.stringify(out.reports[0])}`);
      const read = await kpConsume(strict.bootstrap, 'kp-missing', ['--timeout', '5']);
      assert.ok(read.errors.some((e) => /no metadata for topic/.test(e.str)), `consumer errors: ${JSON.stringify(read.errors)}`);
      assert.equal(strict.running!.broker.metadata.topics.has('kp-missing'), false);
    });

    test('oversized message: MessageSizeTooLargeError (MESSAGE_TOO_LARGE, 10) from the broker', async () => {
      requirePythonModule('kafka');
      assertAdminOk('create_topics', await kpAdmin(strict.bootstrap, ['create_topics', '--topic', 'kp-small', '--topic-config', 'max.message.bytes=10000']), 'kp-small', strict);
      const big: TestRecord[] = [{ k: '6b', v: Buffer.alloc(50_000, 0x61).toString('hex'), h: [], ts: BASE_TS }];
      const out = await pyProduce('kp_produce.py', files.dir, strict.bootstrap, 'kp-small', big, ['--config', 'retries=0']);
      assert.deepEqual([out.reports[0]?.err?.name, out.reports[0]?.err?.code], ['MessageSizeTooLargeError', 10], JSON.stringify(out.reports[0]));
      const small: TestRecord[] = [{ k: '6b', v: '736d616c6c', h: [['h', '']], ts: BASE_TS }];
      const placed = placedFromReports('small record', small, await pyProduce('kp_produce.py', files.dir, strict.bootstrap, 'kp-small', small), strict);
      const read = await kpConsume(strict.bootstrap, 'kp-small');
      assertRecordsMatch('kp-small', placed, read.records);
    });
  });
});
