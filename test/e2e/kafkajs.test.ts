// KafkaJS (a client written by others, from npm) against an in-process broker: topics, 10,000
// records with keys, headers and timestamps through every codec, consumed back byte-identical,
// again after a restart; metadata, offsets by time, auto-create and error cases.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { compress, decompress } from '../../src/protocol/records/index.js';
import { CompressionType } from '../../src/protocol/records/batch-header.js';

const require = createRequire(import.meta.url);
const { Kafka, CompressionTypes, CompressionCodecs, logLevel } = require('kafkajs') as typeof import('kafkajs');

// KafkaJS ships gzip; snappy, lz4 and zstd are plug-in codecs. These plug our codecs in, so what
// they prove is KafkaJS's batch framing around them; librdkafka (test:interop) checks the codecs.
for (const [kjs, ours] of [
  [CompressionTypes.Snappy, CompressionType.Snappy],
  [CompressionTypes.LZ4, CompressionType.Lz4],
  [CompressionTypes.ZSTD, CompressionType.Zstd],
] as const) {
  CompressionCodecs[kjs] = () => ({
    compress: async (encoder: { buffer: Buffer }) => compress(ours, encoder.buffer),
    decompress: async (buffer: Buffer) => decompress(ours, buffer, 64 * 1024 * 1024),
  });
}

const CODECS = [
  ['none', CompressionTypes.None],
  ['gzip', CompressionTypes.GZIP],
  ['snappy', CompressionTypes.Snappy],
  ['lz4', CompressionTypes.LZ4],
  ['zstd', CompressionTypes.ZSTD],
] as const;

const PER_CODEC = 2000; // 5 codecs × 2000 = 10,000 records

function recordFor(codec: string, i: number) {
  return {
    key: `key-${codec}-${i}`,
    value: Buffer.from(`value-${codec}-${i}-${'x'.repeat(i % 50)}`),
    headers: { h1: `hv-${i}`, bin: Buffer.from([i & 0xff, 0, 255]) },
    timestamp: String(1_700_000_000_000 + i),
  };
}

describe('KafkaJS end to end', () => {
  let dir: string;
  let broker: RunningBroker;
  const client = () => new Kafka({ brokers: [broker.bootstrap], clientId: 'samsa-e2e', logLevel: logLevel.NOTHING, retry: { retries: 2 } });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samsa-kafkajs-'));
    broker = await startBroker({ logDirs: dir, config: { 'group.initial.rebalance.delay.ms': 0 } });
  });
  after(async () => {
    await broker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function consumeAll(topic: string, partitions: number, expected: number) {
    const kafka = client();
    const consumer = kafka.consumer({ groupId: `g-${topic}-${Date.now()}`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got: { partition: number; offset: string; key: Buffer | null; value: Buffer | null; headers: any; timestamp: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out with ${got.length}/${expected} records`)), 30_000);
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            got.push({ partition, offset: message.offset, key: message.key, value: message.value, headers: message.headers, timestamp: message.timestamp });
            if (got.length === expected) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    assert.ok(partitions > 0);
    return got;
  }

  test('produce 10,000 records through every codec and consume them back byte-identical, also after a restart', async () => {
    const kafka = client();
    const admin = kafka.admin();
    await admin.connect();
    assert.equal(await admin.createTopics({ topics: [{ topic: 'e2e', numPartitions: 3 }] }), true);
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    for (const [name, codec] of CODECS) {
      for (let i = 0; i < PER_CODEC; i += 500) {
        const messages = Array.from({ length: 500 }, (_, k) => recordFor(name, i + k));
        const res = await producer.send({ topic: 'e2e', compression: codec, acks: -1, messages });
        for (const r of res) assert.equal(r.errorCode, 0);
      }
    }
    await producer.disconnect();

    const check = (got: Awaited<ReturnType<typeof consumeAll>>) => {
      assert.equal(got.length, PER_CODEC * CODECS.length);
      const byKey = new Map(got.map((g) => [g.key!.toString(), g]));
      for (const [name] of CODECS) {
        for (let i = 0; i < PER_CODEC; i++) {
          const want = recordFor(name, i);
          const g = byKey.get(want.key);
          assert.ok(g, `missing ${want.key}`);
          assert.ok(g.value!.equals(want.value));
          assert.equal(g.timestamp, want.timestamp);
          assert.equal(g.headers.h1.toString(), want.headers.h1);
          assert.ok(Buffer.from(g.headers.bin).equals(want.headers.bin));
        }
      }
      // Offsets are dense and ordered per partition.
      for (let p = 0; p < 3; p++) {
        const offsets = got.filter((g) => g.partition === p).map((g) => BigInt(g.offset));
        offsets.forEach((o, i) => assert.equal(o, BigInt(i)));
      }
    };
    check(await consumeAll('e2e', 3, PER_CODEC * CODECS.length));

    await broker.close();
    broker = await startBroker({ logDirs: dir, config: { 'group.initial.rebalance.delay.ms': 0 } });
    check(await consumeAll('e2e', 3, PER_CODEC * CODECS.length));
  });

  test('metadata, auto-create and list offsets by time', async () => {
    const kafka = client();
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    const base = 1_800_000_000_000;
    for (let i = 0; i < 10; i++) {
      await producer.send({ topic: 'auto-created', messages: [{ value: `v${i}`, timestamp: String(base + i * 1000) }] });
    }
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const md = await admin.fetchTopicMetadata({ topics: ['auto-created'] });
    assert.equal(md.topics[0]!.partitions.length, 1);
    assert.equal(md.topics[0]!.partitions[0]!.leader, broker.broker.nodeId);
    const latest = await admin.fetchTopicOffsets('auto-created');
    assert.equal(latest[0]!.high, '10');
    assert.equal(latest[0]!.low, '0');
    const byTime = await admin.fetchTopicOffsetsByTimestamp('auto-created', base + 4500);
    assert.equal(byTime[0]!.offset, '5');
    const future = await admin.fetchTopicOffsetsByTimestamp('auto-created', base + 60_000);
    assert.equal(future[0]!.offset, '10');
    const cluster = await admin.describeCluster();
    assert.equal(cluster.brokers.length, 1);
    assert.equal(cluster.controller, broker.broker.nodeId);
    await admin.disconnect();
  });

  test('errors: unknown topic, oversized message, offset out of range', async () => {
    const kafka = client();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'small', configEntries: [{ name: 'max.message.bytes', value: '1000' }] }] });
    await assert.rejects(admin.fetchTopicMetadata({ topics: ['no-such-topic-' + Date.now()] }), /does not host this topic-partition|UNKNOWN_TOPIC/i);
    await admin.disconnect();

    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
    await assert.rejects(producer.send({ topic: 'small', acks: 1, messages: [{ value: Buffer.alloc(5000, 1) }] }), (e: any) => {
      assert.match(String(e.type ?? e.message), /MESSAGE_TOO_LARGE|too large/i);
      return true;
    });
    await producer.send({ topic: 'small', acks: 1, messages: [{ value: 'fits' }] });
    await producer.disconnect();

    // A consumer asked to start past the end resets per its policy instead of failing.
    const consumer = kafka.consumer({ groupId: 'oor', maxWaitTimeInMs: 50 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'small', fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    consumer.seek({ topic: 'small', partition: 0, offset: '999' });
    const deadline = Date.now() + 10_000;
    while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await consumer.disconnect();
    assert.deepEqual(seen, ['fits']);
  });
});
