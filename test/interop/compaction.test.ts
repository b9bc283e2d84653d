// Log compaction and DeleteRecords with real clients: kcat (librdkafka) produces 100,000 updates
// over 1,000 keys to a compacted topic; after the cleaner ran, `kcat -C -e -o beginning -J` reads
// exactly the latest value per key, each at the offset it was written at; tombstones (kcat -Z)
// are readable until delete.retention.ms and then gone. DeleteRecords from kafka-python 2.0.2
// (request declared with its protocol types: neither it nor confluent-kafka 1.7.0 has an admin
// call for it), then kcat reading from below the new start resets to it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestBroker, describeRun, kcatConsume, kcatProduce, killAllChildren, requireKcat, requirePythonModule, run, runPy, type TestRecord } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hex = (s: string) => Buffer.from(s).toString('hex');
const text = (h: string | null) => (h === null ? null : Buffer.from(h, 'hex').toString());

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('compaction and DeleteRecords with kcat and kafka-python', { timeout: 600_000 }, () => {
  let broker: TestBroker;

  before(async () => {
    broker = await TestBroker.start({ 'num.partitions': 1, 'log.cleaner.backoff.ms': 200, 'log.segment.delete.delay.ms': 500 });
  });
  after(async () => {
    killAllChildren();
    await broker?.dispose();
  });

  const partition = (topic: string) => broker.running!.broker.replicas.partition(topic, 0)!;

  test('kcat: 100,000 updates over 1,000 keys; after cleaning exactly the latest value per key at its offset; tombstones expire', async () => {
    requireKcat();
    const topic = 'kcat-compacted';
    await broker.running!.broker.topics.create(topic, 1, 1, {
      'cleanup.policy': 'compact',
      'segment.bytes': String(256 * 1024),
      'segment.ms': '1500',
      'min.cleanable.dirty.ratio': '0.01',
      'delete.retention.ms': '6000',
    });
    const latest = new Map<string, { o: number; v: string | null }>();
    const records: TestRecord[] = [];
    for (let i = 0; i < 100_000; i++) {
      const key = `key-${(i * 7919) % 1000}`;
      const value = `value-${i}`;
      records.push({ k: hex(key), v: hex(value), h: [] });
      latest.set(key, { o: i, v: value });
    }
    for (let at = 0; at < records.length; at += 25_000) {
      const r = await kcatProduce(broker.bootstrap, topic, records.slice(at, at + 25_000), { partition: 0, codec: at % 50_000 === 0 ? 'none' : 'lz4' });
      assert.equal(r.code, 0, describeRun(r));
    }
    assert.equal(partition(topic).highWatermark, 100_000n);
    // segment.ms later one more record rolls the active segment, so every update is cleanable.
    const roll = async (key: string) => {
      await sleep(1600);
      const r = await kcatProduce(broker.bootstrap, topic, [{ k: hex(key), v: hex(key), h: [] }], { partition: 0 });
      assert.equal(r.code, 0, describeRun(r));
      const o = Number(partition(topic).highWatermark) - 1;
      latest.set(key, { o, v: key });
      await until(`the cleaner reached ${o}`, () => (partition(topic).log.cleanerCheckpoint ?? 0n) >= BigInt(o));
    };
    await roll('roll-1');

    const check = async () => {
      const { records: seen, result } = await kcatConsume(broker.bootstrap, topic, { partition: 0 });
      assert.equal(result.code, 0, describeRun(result));
      const byKey = new Map(seen.map((r) => [text(r.k)!, r]));
      assert.equal(seen.length, latest.size, `${seen.length} records read for ${latest.size} keys`);
      assert.equal(byKey.size, seen.length, 'one record per key');
      for (const [key, want] of latest) {
        const got = byKey.get(key);
        assert.ok(got, `${key} present`);
        assert.deepEqual([got.o, text(got.v)], [want.o, want.v], `latest value of ${key} at its original offset`);
      }
      return seen;
    };
    await check();

    // Tombstones for 100 keys with kcat -Z (an empty value is sent as NULL).
    const deleted = Array.from({ length: 100 }, (_, i) => `key-${i * 10}`);
    const base = Number(partition(topic).highWatermark);
    const r = await run('kcat', ['-b', broker.bootstrap, '-P', '-t', topic, '-p', '0', '-K', ':', '-Z'], { input: Buffer.from(deleted.map((k) => `${k}:\n`).join('')) });
    assert.equal(r.code, 0, describeRun(r));
    deleted.forEach((k, i) => latest.set(k, { o: base + i, v: null }));
    await roll('roll-2');
    const { records: withTombstones } = await kcatConsume(broker.bootstrap, topic, { partition: 0 });
    assert.equal(withTombstones.filter((x) => x.v === null).length, 100, 'tombstones readable before delete.retention.ms');
    for (const k of deleted) latest.delete(k);
    await until('tombstones removed after delete.retention.ms', async () => {
      const { records: now } = await kcatConsume(broker.bootstrap, topic, { partition: 0 });
      return now.every((x) => x.v !== null);
    });
    await check();
    // And the same after a restart.
    await broker.restart();
    await check();
  });

  test('DeleteRecords from kafka-python 2.0.2; kcat below the new log start offset resets to it', async () => {
    requireKcat();
    requirePythonModule('kafka');
    const topic = 'kp-trimmed';
    await broker.running!.broker.topics.create(topic, 1, 1, { 'segment.bytes': '4096' });
    const records: TestRecord[] = Array.from({ length: 1000 }, (_, i) => ({ k: null, v: hex(`t-${i}`), h: [] }));
    const p = await kcatProduce(broker.bootstrap, topic, records, { partition: 0, extra: ['-X', 'batch.num.messages=50'] });
    assert.equal(p.code, 0, describeRun(p));
    const out = await runPy<{ low_watermark?: number; error_code?: number; error?: unknown }>('kp_delete_records.py', ['--bootstrap', broker.bootstrap, '--topic', topic, '--partition', '0', '--offset', '400']);
    assert.deepEqual([out.low_watermark, out.error_code, out.error], [400, 0, undefined], JSON.stringify(out));
    const beyond = await runPy<{ low_watermark?: number; error_code?: number }>('kp_delete_records.py', ['--bootstrap', broker.bootstrap, '--topic', topic, '--partition', '0', '--offset', '5000']);
    assert.equal(beyond.error_code, 1, 'OFFSET_OUT_OF_RANGE beyond the high watermark');
    const { records: all } = await kcatConsume(broker.bootstrap, topic, { partition: 0 });
    assert.equal(all.length, 600);
    assert.deepEqual([all[0]!.o, text(all[0]!.v)], [400, 't-400']);
    // Below the log start: OFFSET_OUT_OF_RANGE, librdkafka resets per auto.offset.reset.
    const { records: reset, result } = await kcatConsume(broker.bootstrap, topic, { partition: 0, offset: '10', extra: ['-X', 'auto.offset.reset=earliest'] });
    assert.equal(result.code, 0, describeRun(result));
    assert.equal(reset[0]!.o, 400);
    assert.equal(reset.length, 600);
  });
});
