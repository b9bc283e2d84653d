// Samsa's client (src/client) against an in-process broker, and against KafkaJS: records produced
// by one are consumed by the other byte-identical, keys land on the same partitions.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { Admin, Consumer, Producer, KafkaError, ErrorCode, ConfigResourceType, type ConsumedRecord } from '../../src/client/index.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');

async function consumeN(consumer: Consumer, n: number, timeoutMs = 10_000): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n && Date.now() < deadline) out.push(...(await consumer.poll(200)));
  return out;
}

describe('samsa client', () => {
  let broker: RunningBroker;
  let admin: Admin;
  const opts = () => ({ brokers: [broker.bootstrap], clientId: 'client-e2e', retryBackoffMs: 20 });

  before(async () => {
    broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': 0, 'auto.create.topics.enable': false } });
    admin = new Admin(opts());
  });
  after(async () => {
    await admin?.close();
    await broker?.close();
  });

  test('admin: topics, partitions, configs, cluster', async () => {
    const created = await admin.createTopics([
      { name: 'adm-a', partitions: 3 },
      { name: 'adm-b', partitions: 1, configs: { 'retention.ms': '60000' } },
    ]);
    assert.deepEqual(created.map((r) => [r.name, r.error]), [['adm-a', null], ['adm-b', null]]);
    const again = await admin.createTopics([{ name: 'adm-a', partitions: 3 }]);
    assert.equal(again[0]!.error, 'TOPIC_ALREADY_EXISTS');
    const dry = await admin.createTopics([{ name: 'adm-dry', partitions: 2 }], { validateOnly: true });
    assert.equal(dry[0]!.error, null);
    const names = await admin.listTopics();
    assert.ok(names.includes('adm-a') && names.includes('adm-b') && !names.includes('adm-dry'));
    const [a] = await admin.describeTopics(['adm-a']);
    assert.equal(a!.partitions.length, 3);
    assert.ok(a!.partitions.every((p) => p.leader >= 0));
    const [missing] = await admin.describeTopics(['adm-missing']);
    assert.equal(missing!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

    const grown = await admin.createPartitions([{ name: 'adm-a', count: 5 }]);
    assert.equal(grown[0]!.error, null);
    assert.equal((await admin.describeTopics(['adm-a']))[0]!.partitions.length, 5);

    const [cfg] = await admin.describeConfigs([{ type: ConfigResourceType.TOPIC, name: 'adm-b' }]);
    assert.equal(cfg!.configs.find((c) => c.name === 'retention.ms')?.value, '60000');
    const altered = await admin.alterConfigs([{ type: ConfigResourceType.TOPIC, name: 'adm-b', ops: [{ name: 'retention.ms', op: 'set', value: '120000' }, { name: 'cleanup.policy', op: 'set', value: 'compact' }] }]);
    assert.equal(altered[0]!.error, null);
    const [cfg2] = await admin.describeConfigs([{ type: ConfigResourceType.TOPIC, name: 'adm-b', keys: ['retention.ms', 'cleanup.policy'] }]);
    assert.deepEqual(Object.fromEntries(cfg2!.configs.map((c) => [c.name, c.value])), { 'retention.ms': '120000', 'cleanup.policy': 'compact' });
    await admin.alterConfigs([{ type: ConfigResourceType.TOPIC, name: 'adm-b', ops: [{ name: 'retention.ms', op: 'delete' }] }]);
    const [cfg3] = await admin.describeConfigs([{ type: ConfigResourceType.TOPIC, name: 'adm-b', keys: ['retention.ms'] }]);
    assert.equal(cfg3!.configs[0]!.isDefault, true);

    const cluster = await admin.describeCluster();
    assert.equal(cluster.brokers.length, 1);
    assert.equal(cluster.brokers[0]!.port, broker.port);

    const deleted = await admin.deleteTopics(['adm-b', 'adm-nope']);
    assert.deepEqual(deleted.map((r) => [r.name, r.error]).sort(), [['adm-b', null], ['adm-nope', 'UNKNOWN_TOPIC_OR_PARTITION']]);
  });

  test('produce with keys, consume in assign mode, every codec', async () => {
    await admin.createTopics([{ name: 'pc', partitions: 4 }]);
    for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
      const producer = new Producer(opts(), { compression, lingerMs: 2 });
      const sent = await producer.sendBatch(
        Array.from({ length: 200 }, (_, i) => ({ topic: 'pc', key: `k${i}`, value: `${compression}-${i}`, headers: { h: `v${i}` }, timestamp: 1_700_000_000_000 + i })),
      );
      await producer.close();
      assert.equal(sent.length, 200);
    }
    const parts = (await admin.describeTopics(['pc']))[0]!.partitions;
    const consumer = new Consumer(opts());
    consumer.assign(parts.map((p) => ({ topic: 'pc', partition: p.partition, offset: 'earliest' as const })));
    const got = await consumeN(consumer, 1000);
    await consumer.close();
    assert.equal(got.length, 1000);
    for (const r of got) {
      const i = Number(r.key!.toString().slice(1));
      assert.equal(r.headers[0]!.value!.toString(), `v${i}`);
      assert.equal(r.timestamp, BigInt(1_700_000_000_000 + i));
    }
    // Same key → same partition across codecs.
    const partOf = new Map<string, number>();
    for (const r of got) {
      const k = r.key!.toString();
      if (partOf.has(k)) assert.equal(partOf.get(k), r.partition);
      partOf.set(k, r.partition);
    }
  });

  test('several full batches of one partition in one tick: one batch per partition per request, offsets in order', async () => {
    await admin.createTopics([{ name: 'one-part', partitions: 1 }]);
    const producer = new Producer(opts(), { batchSize: 1000, lingerMs: 50 });
    const meta = await producer.sendBatch(Array.from({ length: 3000 }, (_, i) => ({ topic: 'one-part', value: `v${i}` })));
    await producer.close();
    assert.deepEqual(meta.map((m) => m.offset), Array.from({ length: 3000 }, (_, i) => BigInt(i)));
  });

  test('idempotent producer: producer id and sequences in its batches', async () => {
    await admin.createTopics([{ name: 'idem', partitions: 2 }]);
    const producer = new Producer(opts(), { idempotent: true, batchSize: 2000, lingerMs: 1 });
    const meta = await producer.sendBatch(Array.from({ length: 2000 }, (_, i) => ({ topic: 'idem', key: `k${i % 10}`, value: `v${i}` })));
    await producer.close();
    for (const p of [0, 1]) {
      const offsets = meta.filter((m) => m.partition === p).map((m) => m.offset);
      assert.deepEqual(offsets, offsets.map((_, i) => BigInt(i)));
    }
    // The stored batches carry the producer id and consecutive sequences.
    const { Connection } = await import('../../src/client/index.js');
    const { Fetch } = await import('../../src/client/protocol.js');
    const { iterateBatches } = await import('../../src/protocol/records/index.js');
    const conn = await Connection.connect({ host: '127.0.0.1', port: broker.port });
    const t = (await admin.describeTopics(['idem']))[0]!;
    const res = await conn.request(Fetch, { ...Fetch.request.defaults(), maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 24, topics: [{ topic: 'idem', topicId: t.topicId, partitions: [{ ...Fetch.request.defaults().topics[0]?.partitions[0]!, partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 24, replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA' }] }] }, { version: 12 });
    conn.close();
    const batches = [...iterateBatches(res.responses[0]!.partitions[0]!.records!)];
    assert.ok(batches.length > 1);
    let seq = 0;
    for (const b of batches) {
      assert.ok(b.producerId >= 0n);
      assert.equal(b.baseSequence, seq);
      seq += b.recordsCount;
    }
  });

  test('errors name the Kafka error', async () => {
    const producer = new Producer(opts(), { allowAutoTopicCreation: false, retries: 1 });
    await assert.rejects(producer.send({ topic: 'no-such-topic', value: 'x' }), (e: unknown) => e instanceof KafkaError && e.type === 'UNKNOWN_TOPIC_OR_PARTITION');
    await producer.close();
  });

  test('interop with KafkaJS: byte-identical both ways, same key partitioning', async () => {
    await admin.createTopics([{ name: 'kjs-in', partitions: 3 }, { name: 'kjs-out', partitions: 3 }]);
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'kjs', logLevel: logLevel.NOTHING });
    const records = Array.from({ length: 300 }, (_, i) => ({ key: `key-${i}`, value: Buffer.from([i & 0xff, 0, 255, ...Buffer.from(`v${i}`)]), headers: { a: `h${i}` }, timestamp: 1_700_000_000_000 + i }));

    // KafkaJS → samsa
    const kp = kafka.producer();
    await kp.connect();
    await kp.send({ topic: 'kjs-in', messages: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: String(r.timestamp) })) });
    await kp.disconnect();
    const c = new Consumer(opts());
    c.assign([0, 1, 2].map((partition) => ({ topic: 'kjs-in', partition, offset: 'earliest' as const })));
    const got = await consumeN(c, 300);
    await c.close();
    assert.equal(got.length, 300);
    const kjsPartition = new Map<string, number>();
    for (const r of got) {
      const i = Number(r.key!.toString().slice(4));
      assert.deepEqual(r.value, records[i]!.value);
      assert.equal(r.headers[0]!.key, 'a');
      assert.deepEqual(r.headers[0]!.value, Buffer.from(`h${i}`));
      assert.equal(r.timestamp, BigInt(records[i]!.timestamp));
      kjsPartition.set(r.key!.toString(), r.partition);
    }

    // samsa → KafkaJS
    const p = new Producer(opts());
    const meta = await p.sendBatch(records.map((r) => ({ topic: 'kjs-out', key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp })));
    await p.close();
    for (let i = 0; i < records.length; i++) assert.equal(meta[i]!.partition, kjsPartition.get(records[i]!.key), 'murmur2 partition as KafkaJS DefaultPartitioner');
    const kc = kafka.consumer({ groupId: 'kjs-reader', maxWaitTimeInMs: 100 });
    await kc.connect();
    await kc.subscribe({ topic: 'kjs-out', fromBeginning: true });
    const seen: { key: string; value: Buffer; header: Buffer; ts: string; partition: number }[] = [];
    await new Promise<void>((resolve, reject) => {
      kc.run({
        eachMessage: async ({ message, partition }) => {
          seen.push({ key: message.key!.toString(), value: message.value!, header: message.headers!.a as Buffer, ts: message.timestamp, partition });
          if (seen.length === records.length) resolve();
        },
      }).catch(reject);
    });
    await kc.disconnect();
    for (const s of seen) {
      const i = Number(s.key.slice(4));
      assert.deepEqual(s.value, records[i]!.value);
      assert.deepEqual(s.header, Buffer.from(`h${i}`));
      assert.equal(s.ts, String(records[i]!.timestamp));
      assert.equal(s.partition, kjsPartition.get(s.key));
    }
  });

  for (const assignor of ['range', 'cooperative-sticky']) {
    test(`consumer group (${assignor}): two members split partitions, commits, rebalance on leave`, async () => {
      const topic = `grp-${assignor}`;
      const groupId = `g-${assignor}`;
      await admin.createTopics([{ name: topic, partitions: 4 }]);
      const producer = new Producer(opts());
      await producer.sendBatch(Array.from({ length: 400 }, (_, i) => ({ topic, key: `k${i}`, value: `v${i}` })));
      await producer.close();
      const member = () => new Consumer(opts(), { groupId, assignors: [assignor], autoOffsetReset: 'earliest', heartbeatIntervalMs: 100, sessionTimeoutMs: 6000, rebalanceTimeoutMs: 3000, autoCommitIntervalMs: 100 });
      const c1 = member();
      const c2 = member();
      c1.subscribe([topic]);
      c2.subscribe([topic]);
      const seen = new Set<string>();
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && (seen.size < 400 || c1.assignment().length !== 2 || c2.assignment().length !== 2)) {
        const [a, b] = await Promise.all([c1.poll(100), c2.poll(100)]);
        for (const r of [...a, ...b]) seen.add(`${r.partition}:${r.offset}`);
      }
      assert.equal(seen.size, 400);
      assert.equal(c1.assignment().length + c2.assignment().length, 4);
      assert.equal(c1.assignment().length, 2);
      await c1.commit();
      await c2.commit();
      const [desc] = await admin.describeGroups([groupId]);
      assert.equal(desc!.state, 'Stable');
      assert.equal(desc!.protocol, assignor);
      assert.equal(desc!.members.length, 2);
      const lag = await admin.groupLag(groupId);
      assert.equal(lag.length, 4);
      assert.ok(lag.every((l) => l.lag === 0n), JSON.stringify(lag, (_, v) => (typeof v === 'bigint' ? String(v) : v)));
      // c1 leaves: c2 takes all four partitions.
      await c1.close();
      const until = Date.now() + 10_000;
      while (Date.now() < until && c2.assignment().length !== 4) await c2.poll(100);
      assert.equal(c2.assignment().length, 4);
      await c2.close();
      const listed = await admin.listGroups();
      assert.ok(listed.some((g) => g.groupId === groupId));
      const del = await admin.deleteGroups([groupId]);
      assert.equal(del[0]!.error, null);
    });
  }
});
