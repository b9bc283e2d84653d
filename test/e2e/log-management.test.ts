// Log management end to end with KafkaJS: a compacted topic (100,000 updates over 1,000 keys)
// ends with exactly the latest value per key at its original offset, tombstoned keys vanish
// after delete.retention.ms; time retention advances the earliest offset while a producer and a
// consumer keep running; DeleteRecords through admin.deleteTopicRecords, and a consumer below
// the new start resets per its policy; dynamic broker configs (AlterConfigs on the BROKER
// resource) reach topics and survive a restart; broker-side recompression (compression.type).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { decodeRecordBatches } from '../../src/protocol/records/index.js';

const require = createRequire(import.meta.url);
const { Kafka, ConfigResourceTypes, logLevel, CompressionTypes } = require('kafkajs') as typeof import('kafkajs');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('log management end to end (KafkaJS)', () => {
  let dir: string;
  let running: RunningBroker | undefined;
  const brokerConfig = {
    'num.partitions': 1,
    'log.cleaner.backoff.ms': 200,
    'log.retention.check.interval.ms': 300,
    'log.segment.delete.delay.ms': 500,
    'group.initial.rebalance.delay.ms': 0,
  };
  const start = () => startBroker({ logDirs: dir, config: brokerConfig });
  const kafka = () => new Kafka({ brokers: [running!.bootstrap], clientId: 'samsa-log-e2e', logLevel: logLevel.NOTHING });
  let groupSeq = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samsa-log-e2e-'));
    running = await start();
  });
  after(async () => {
    await running?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const offsets = async (topic: string) => {
    const admin = kafka().admin();
    await admin.connect();
    try {
      const [p] = await admin.fetchTopicOffsets(topic);
      return { low: BigInt(p!.low), high: BigInt(p!.high) };
    } finally {
      await admin.disconnect();
    }
  };

  /** Every record from the start (or from `seekTo`) up to the current high watermark. */
  const consumeAll = async (topic: string, seekTo?: bigint) => {
    const { high } = await offsets(topic);
    const out: { offset: bigint; key: string | null; value: string | null }[] = [];
    if (high === 0n) return out;
    const consumer = kafka().consumer({ groupId: `log-e2e-${++groupSeq}`, maxBytes: 4 * 1024 * 1024 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let last = -1n;
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          if (offset <= last) continue;
          last = offset;
          out.push({ offset, key: m.key?.toString() ?? null, value: m.value?.toString() ?? null });
        }
      },
    });
    if (seekTo !== undefined) consumer.seek({ topic, partition: 0, offset: seekTo.toString() });
    try {
      await until(`${topic} consumed to ${high}`, () => last >= high - 1n, 60_000);
    } finally {
      await consumer.disconnect();
    }
    return out;
  };

  test('compaction: 100,000 updates over 1,000 keys leave the latest value per key at its offset; tombstones go after delete.retention.ms', async () => {
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        {
          topic: 'compacted',
          numPartitions: 1,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'segment.bytes', value: String(256 * 1024) },
            { name: 'segment.ms', value: '1500' },
            { name: 'min.cleanable.dirty.ratio', value: '0.01' },
            { name: 'delete.retention.ms', value: '8000' },
          ],
        },
      ],
    });
    await admin.disconnect();
    const producer = kafka().producer();
    await producer.connect();
    const latest = new Map<string, { offset: bigint; value: string | null }>();
    for (let round = 0; round < 100; round++) {
      const messages = Array.from({ length: 1000 }, (_, i) => {
        const key = `key-${(i * 7 + round * 13) % 1000}`;
        return { key, value: `value-${round}-${i}` };
      });
      const [meta] = await producer.send({ topic: 'compacted', messages, compression: round % 3 === 0 ? CompressionTypes.GZIP : CompressionTypes.None });
      const base = BigInt(meta!.baseOffset!);
      messages.forEach((m, i) => latest.set(m.key, { offset: base + BigInt(i), value: m.value }));
    }
    // segment.ms later, one more record rolls the segment so every update is in a cleanable one.
    await sleep(1600);
    // (Distinct keys: the last one sits in the active segment, which is never cleaned.)
    const sentinel = async (value: string) => {
      const [meta] = await producer.send({ topic: 'compacted', messages: [{ key: value, value }] });
      latest.set(value, { offset: BigInt(meta!.baseOffset!), value });
      return BigInt(meta!.baseOffset!);
    };
    const roll1 = await sentinel('roll-1');
    const log = running!.broker.replicas.partition('compacted', 0)!.log;
    await until('the cleaner reached the sentinel', () => (log.cleanerCheckpoint ?? 0n) >= roll1);

    const check = async (expect: Map<string, { offset: bigint; value: string | null }>) => {
      const records = await consumeAll('compacted');
      const byKey = new Map(records.map((r) => [r.key!, r]));
      assert.equal(records.length, expect.size, `${records.length} records for ${expect.size} keys`);
      assert.equal(byKey.size, records.length, 'one record per key');
      for (const [key, want] of expect) {
        const got = byKey.get(key);
        assert.ok(got, `key ${key} is there`);
        assert.deepEqual([got.offset, got.value], [want.offset, want.value], `latest value of ${key} at its original offset`);
      }
    };
    await check(latest);

    // Tombstones for 100 keys: kept for delete.retention.ms after a cleaning, then removed.
    const deleted = Array.from({ length: 100 }, (_, i) => `key-${i * 10}`);
    const [meta] = await producer.send({ topic: 'compacted', messages: deleted.map((key) => ({ key, value: null })) });
    deleted.forEach((key, i) => latest.set(key, { offset: BigInt(meta!.baseOffset!) + BigInt(i), value: null }));
    await sleep(1600);
    const roll2 = await sentinel('roll-2');
    await until('tombstones cleaned once', () => (log.cleanerCheckpoint ?? 0n) >= roll2);
    const withTombstones = await consumeAll('compacted');
    assert.equal(withTombstones.filter((r) => r.value === null).length, 100, 'tombstones are readable for delete.retention.ms');
    for (const key of deleted) latest.delete(key);
    await until('tombstones removed', async () => {
      const records = await consumeAll('compacted');
      return records.every((r) => r.value !== null);
    });
    await check(latest);
    // As Kafka: a compacted topic refuses records without a key.
    await assert.rejects(producer.send({ topic: 'compacted', messages: [{ key: 'k', value: 'v' }, { value: 'no key' }] }), /failed the validation/);
    await producer.disconnect();
  });

  test('retention: the earliest offset advances while a producer and a consumer keep running', async () => {
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: 'retained', numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: '16384' }, { name: 'retention.ms', value: '1500' }] }],
    });
    await admin.disconnect();
    const producer = kafka().producer();
    await producer.connect();
    const consumer = kafka().consumer({ groupId: 'retention-e2e' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'retained', fromBeginning: true });
    let consumed = 0;
    let lastOffset = -1n;
    let outOfOrder = 0;
    await consumer.run({
      eachMessage: async ({ message }) => {
        const o = BigInt(message.offset);
        if (o <= lastOffset) outOfOrder++;
        lastOffset = o;
        consumed++;
      },
    });
    let produced = 0;
    const lows: bigint[] = [];
    const started = Date.now();
    while (Date.now() - started < 6000) {
      await producer.send({ topic: 'retained', messages: Array.from({ length: 50 }, (_, i) => ({ value: `r-${produced + i}-${'x'.repeat(100)}` })) });
      produced += 50;
      if (produced % 1000 === 0) lows.push((await offsets('retained')).low);
      await sleep(10);
    }
    const final = await offsets('retained');
    lows.push(final.low);
    assert.ok(final.low > 0n, `earliest offset advanced (${lows.join(', ')})`);
    assert.ok(lows[lows.length - 1]! > lows[0]!, `earliest offset kept advancing: ${lows.join(', ')}`);
    assert.equal(final.high, BigInt(produced));
    await until('consumer caught up', () => lastOffset >= final.high - 1n);
    assert.equal(outOfOrder, 0);
    assert.ok(consumed > 0);
    await consumer.disconnect();
    await producer.disconnect();
  });

  test('DeleteRecords through admin.deleteTopicRecords; a consumer below the new start resets to it', async () => {
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'trimmed', numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: '4096' }] }] });
    const producer = kafka().producer();
    await producer.connect();
    for (let i = 0; i < 10; i++) await producer.send({ topic: 'trimmed', messages: Array.from({ length: 100 }, (_, j) => ({ value: `d-${i * 100 + j}` })) });
    await producer.disconnect();
    await admin.fetchTopicMetadata({ topics: ['trimmed'] }); // KafkaJS looks the leader up in its cached metadata only
    await admin.deleteTopicRecords({ topic: 'trimmed', partitions: [{ partition: 0, offset: '500' }] });
    assert.deepEqual(await offsets('trimmed'), { low: 500n, high: 1000n });
    // Beyond the high watermark: OFFSET_OUT_OF_RANGE.
    await assert.rejects(admin.deleteTopicRecords({ topic: 'trimmed', partitions: [{ partition: 0, offset: '5000' }] }));
    await admin.disconnect();
    const all = await consumeAll('trimmed');
    assert.equal(all[0]!.offset, 500n);
    assert.equal(all[0]!.value, 'd-500');
    assert.equal(all.length, 500);
    // A consumer positioned below the log start offset gets OFFSET_OUT_OF_RANGE and resets (earliest).
    const reset = await consumeAll('trimmed', 10n);
    assert.equal(reset[0]!.offset, 500n);
    // Segments wholly below the start are gone from disk (after file.delete.delay.ms).
    const log = running!.broker.replicas.partition('trimmed', 0)!.log;
    assert.ok(log.logSegments[0]!.baseOffset <= 500n && log.logSegments.length < 30);
    // Survives a restart.
    await running!.close();
    running = await start();
    assert.deepEqual(await offsets('trimmed'), { low: 500n, high: 1000n });
  });

  test('dynamic broker configs: AlterConfigs on the BROKER resource reaches topics without overrides, persists, DYNAMIC_BROKER_CONFIG source', async () => {
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'plain', numPartitions: 1 }, { topic: 'own', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '1000000' }] }] });
    await admin.alterConfigs({
      validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [{ name: 'log.retention.ms', value: '123456' }, { name: 'log.segment.bytes', value: '2000000' }, { name: 'log.cleaner.backoff.ms', value: '250' }] }],
    });
    const describe = async () => {
      const out = await admin.describeConfigs({
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: 'plain', configNames: ['retention.ms', 'segment.bytes'] },
          { type: ConfigResourceTypes.TOPIC, name: 'own', configNames: ['retention.ms'] },
          { type: ConfigResourceTypes.BROKER, name: '1', configNames: ['log.retention.ms', 'num.partitions'] },
        ],
        includeSynonyms: false,
      });
      return out.resources.map((r) => r.configEntries.map((c) => [c.configName, c.configValue, c.configSource, c.readOnly]));
    };
    const expected = [
      [
        ['retention.ms', '123456', 2, false],
        ['segment.bytes', '2000000', 2, false],
      ],
      [['retention.ms', '1000000', 1, false]],
      [
        ['num.partitions', '1', 4, true],
        ['log.retention.ms', '123456', 2, false],
      ],
    ];
    assert.deepEqual(await describe(), expected);
    assert.equal(running!.broker.replicas.partition('plain', 0)!.log.config.retentionMs, 123456);
    assert.equal(running!.broker.replicas.partition('plain', 0)!.log.config.segmentBytes, 2000000);
    assert.equal(running!.broker.replicas.partition('own', 0)!.log.config.retentionMs, 1000000);
    assert.equal(running!.broker.replicas.logManager.config.cleanerBackoffMs, 250, 'the log cleaner takes its dynamic settings');
    // A key that cannot change at run time.
    await assert.rejects(admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [{ name: 'num.partitions', value: '3' }] }] }));
    await admin.disconnect();
    await running!.close();
    running = await start();
    const again = kafka().admin();
    await again.connect();
    try {
      const out = await again.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'plain', configNames: ['retention.ms'] }], includeSynonyms: false });
      assert.deepEqual(out.resources[0]!.configEntries.map((c) => [c.configName, c.configValue, c.configSource]), [['retention.ms', '123456', 2]]);
      assert.equal(running!.broker.replicas.partition('plain', 0)!.log.config.retentionMs, 123456);
      // AlterConfigs replaces the whole dynamic set: an empty one removes them.
      await again.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [] }] });
      assert.equal(running!.broker.replicas.partition('plain', 0)!.log.config.retentionMs, 7 * 24 * 3600 * 1000);
    } finally {
      await again.disconnect();
    }
  });

  test('min.insync.replicas above the replication factor: acks=all works (Kafka 4 requires min(min.insync.replicas, replicas) in sync), acks=1 too', async () => {
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'isr2', numPartitions: 1, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
    await admin.disconnect();
    const k = new Kafka({ brokers: [running!.bootstrap], clientId: 'isr', logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const producer = k.producer();
    await producer.connect();
    const [all] = await producer.send({ topic: 'isr2', acks: -1, messages: [{ value: 'x' }] });
    assert.equal(all!.errorCode, 0);
    const [meta] = await producer.send({ topic: 'isr2', acks: 1, messages: [{ value: 'y' }] });
    assert.equal(meta!.errorCode, 0);
    await producer.disconnect();
  });

  test('message.timestamp.difference.max.ms (deprecated) still bounds CreateTime where before/after are unset', async () => {
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'tsdiff', numPartitions: 1, configEntries: [{ name: 'message.timestamp.difference.max.ms', value: '60000' }] }] });
    await admin.disconnect();
    const k = new Kafka({ brokers: [running!.bootstrap], clientId: 'tsdiff', logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const producer = k.producer();
    await producer.connect();
    await assert.rejects(producer.send({ topic: 'tsdiff', messages: [{ value: 'old', timestamp: String(Date.now() - 3_600_000) }] }));
    await assert.rejects(producer.send({ topic: 'tsdiff', messages: [{ value: 'future', timestamp: String(Date.now() + 3_600_000) }] }));
    await producer.send({ topic: 'tsdiff', messages: [{ value: 'now' }] });
    await producer.disconnect();
  });

  test('compression.type on the topic: the broker re-encodes batches with that codec, records unchanged', async () => {
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'gzipped', numPartitions: 1, configEntries: [{ name: 'compression.type', value: 'gzip' }] }] });
    await admin.disconnect();
    const producer = kafka().producer();
    await producer.connect();
    const now = Date.now();
    const messages = Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: `v${i}-${'y'.repeat(50)}`, headers: { h: `x${i}` }, timestamp: String(now - 1000 + i) }));
    await producer.send({ topic: 'gzipped', messages });
    await producer.disconnect();
    const log = running!.broker.replicas.partition('gzipped', 0)!.log;
    const stored = decodeRecordBatches(await log.readRecords(0n, 1 << 20));
    assert.ok(stored.length > 0 && stored.every((b) => b.compression === 1), 'stored gzip');
    const records = stored.flatMap((b) => b.records);
    assert.deepEqual(
      records.map((r) => [r.offset, r.key!.toString(), r.value!.toString(), r.headers[0]!.value!.toString(), r.timestamp]),
      messages.map((m, i) => [BigInt(i), m.key, m.value, m.headers.h, BigInt(m.timestamp)]),
    );
    const consumed = await consumeAll('gzipped');
    assert.deepEqual(consumed.map((r) => r.value), messages.map((m) => m.value));
  });
});
