// Exactly-once with KafkaJS (from npm) against an in-process broker: the idempotent producer,
// a transactional consume-transform-produce pipeline (sendOffsets) with aborted transactions
// mixed in and the broker restarted half-way, a transaction left open across the restart
// (aborted on its timeout), read_committed against read_uncommitted, and zombie fencing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { startBroker, type RunningBroker } from '../../src/index.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');

const CONFIG = {
  'group.initial.rebalance.delay.ms': 0,
  'offsets.topic.num.partitions': 3,
  'transaction.state.log.num.partitions': 3,
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': 200,
};

describe('KafkaJS exactly-once', () => {
  let dir: string;
  let broker: RunningBroker;
  const client = () => new Kafka({ brokers: [broker.bootstrap], clientId: 'samsa-eos', logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 50 } });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samsa-eos-'));
    broker = await startBroker({ logDirs: dir, config: CONFIG });
  });
  after(async () => {
    await broker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function restart(): Promise<void> {
    await broker.close();
    broker = await startBroker({ logDirs: dir, config: CONFIG });
  }

  /** Every record of `topic` as a consumer with this isolation sees it (waits until `expected`). */
  async function readAll(topic: string, expected: number, readUncommitted: boolean): Promise<{ partition: number; key: string; value: string }[]> {
    const consumer = client().consumer({ groupId: `reader-${topic}-${readUncommitted}-${Date.now()}`, maxWaitTimeInMs: 100, readUncommitted });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got: { partition: number; key: string; value: string }[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out with ${got.length}/${expected} records of ${topic}`)), 25_000);
        void consumer.run({
          eachMessage: async ({ partition, message }) => {
            got.push({ partition, key: message.key?.toString() ?? '', value: message.value!.toString() });
            if (got.length >= expected) {
              clearTimeout(timer);
              // Linger a little: more than expected would show here.
              setTimeout(resolve, 300);
            }
          },
        });
      });
    } finally {
      await consumer.disconnect();
    }
    return got;
  }

  test('idempotent producer: every record once, in order per partition', async () => {
    const kafka = client();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'idem', numPartitions: 3 }] });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let b = 0; b < 20; b++) {
      await producer.send({ topic: 'idem', acks: -1, messages: Array.from({ length: 100 }, (_, i) => ({ key: `k${(b * 100 + i) % 3}`, value: `v${b * 100 + i}` })) });
    }
    await producer.disconnect();
    const got = await readAll('idem', 2000, false);
    assert.equal(got.length, 2000);
    assert.equal(new Set(got.map((r) => r.value)).size, 2000);
    // Per key (one partition each) the order is the send order.
    for (const k of ['k0', 'k1', 'k2']) {
      const seq = got.filter((r) => r.key === k).map((r) => Number(r.value.slice(1)));
      assert.deepEqual(seq, [...seq].sort((a, b) => a - b));
    }
    const described = await broker.broker.replicas.partition('idem', 0)!.producers.producers.size;
    assert.equal(described, 1);
    await admin.disconnect();
  });

  test('consume-transform-produce with sendOffsets, aborts mixed in, broker restarted half-way, an open transaction aborted on timeout', async () => {
    const TOTAL = 2000;
    const CHUNK = 100;
    let kafka = client();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'eos-in', numPartitions: 2 }, { topic: 'eos-out', numPartitions: 2 }] });
    await admin.disconnect();
    const input = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await input.connect();
    await input.send({ topic: 'eos-in', acks: -1, messages: Array.from({ length: TOTAL }, (_, i) => ({ key: `k${i}`, value: `in-${i}` })) });
    await input.disconnect();

    let processed = 0;
    let aborted = 0;
    let txnCount = 0;
    /** Runs the pipeline until `stopAt` input records were committed through it. */
    async function pipeline(stopAt: number): Promise<void> {
      const producer = kafka.producer({ transactionalId: 'eos-pipeline', maxInFlightRequests: 1, idempotent: true });
      await producer.connect();
      const consumer = kafka.consumer({ groupId: 'eos-group', maxWaitTimeInMs: 100, readUncommitted: false });
      await consumer.connect();
      await consumer.subscribe({ topic: 'eos-in', fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`pipeline timed out at ${processed}`)), 40_000);
        void consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning }) => {
            for (let i = 0; i < batch.messages.length && isRunning() && processed < stopAt; i += CHUNK) {
              const chunk = batch.messages.slice(i, i + CHUNK);
              const next = (BigInt(chunk[chunk.length - 1]!.offset) + 1n).toString();
              const offsets = { consumerGroupId: 'eos-group', topics: [{ topic: 'eos-in', partitions: [{ partition: batch.partition, offset: next }] }] };
              const messages = chunk.map((m) => ({ key: m.key, value: `out-${m.value!.toString()}` }));
              // Every third transaction is first tried and aborted: its records must never reach read_committed readers.
              if (txnCount++ % 3 === 0) {
                const t = await producer.transaction();
                await t.send({ topic: 'eos-out', messages: messages.map((m) => ({ ...m, value: `aborted-${m.value}` })) });
                await t.sendOffsets(offsets);
                await t.abort();
                aborted += chunk.length;
              }
              const t = await producer.transaction();
              await t.send({ topic: 'eos-out', messages });
              await t.sendOffsets(offsets);
              await t.commit();
              for (const m of chunk) resolveOffset(m.offset);
              processed += chunk.length;
              await heartbeat();
            }
            if (processed >= stopAt) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
      await consumer.disconnect();
      await producer.disconnect();
    }

    await pipeline(TOTAL / 2);
    assert.ok(processed >= TOTAL / 2 && processed < TOTAL, `processed ${processed}`);

    // A transaction left open across the restart: its timeout aborts it afterwards.
    const dangling = kafka.producer({ transactionalId: 'eos-dangling', maxInFlightRequests: 1, idempotent: true, transactionTimeout: 1500 });
    await dangling.connect();
    const open = await dangling.transaction();
    await open.send({ topic: 'eos-out', messages: Array.from({ length: 10 }, (_, i) => ({ key: `d${i}`, value: `dangling-${i}` })) });
    await dangling.disconnect();

    await restart();
    kafka = client();
    await pipeline(TOTAL);
    assert.equal(processed, TOTAL);

    const committed = await readAll('eos-out', TOTAL, false);
    if (committed.length !== TOTAL) {
      const counts = new Map<string, number>();
      for (const r of committed) counts.set(r.value, (counts.get(r.value) ?? 0) + 1);
      console.log('EXTRA', [...counts].filter(([v, n]) => n > 1 || !v.startsWith('out-in-')));
    }
    assert.equal(committed.length, TOTAL, 'read_committed sees each input record exactly once');
    assert.deepEqual(new Set(committed.map((r) => r.value)), new Set(Array.from({ length: TOTAL }, (_, i) => `out-in-${i}`)));
    const all = await readAll('eos-out', TOTAL + aborted + 10, true);
    assert.equal(all.length, TOTAL + aborted + 10, 'read_uncommitted sees aborted and dangling records too');
    assert.equal(all.filter((r) => r.value.startsWith('aborted-')).length, aborted);
    const described = await broker.broker.txn.describe(['eos-dangling', 'eos-pipeline']);
    assert.equal(described[0]!.transactionState, 'CompleteAbort');
    assert.equal(described[1]!.transactionState, 'CompleteCommit');
    // The group's offsets were committed through the transactions.
    const offsets = await client().admin().fetchOffsets({ groupId: 'eos-group', topics: ['eos-in'] });
    const sum = offsets[0]!.partitions.reduce((n, p) => n + Number(p.offset), 0);
    assert.equal(sum, TOTAL);
  });

  test('after an unclean stop (no snapshots, no transaction indexes, no clean-shutdown marker) producer state is rebuilt from the log', async () => {
    const kafka = client();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'crash', numPartitions: 2 }] });
    await admin.disconnect();
    const txp = kafka.producer({ transactionalId: 'crash-txn', maxInFlightRequests: 1, idempotent: true, transactionTimeout: 1500 });
    await txp.connect();
    const batch = (tag: string) => Array.from({ length: 50 }, (_, i) => ({ key: `${tag}${i}`, value: `${tag}-${i}` }));
    let t = await txp.transaction();
    await t.send({ topic: 'crash', messages: batch('committed') });
    await t.commit();
    t = await txp.transaction();
    await t.send({ topic: 'crash', messages: batch('aborted') });
    await t.abort();
    t = await txp.transaction();
    await t.send({ topic: 'crash', messages: batch('open') });
    await txp.disconnect();
    const idem = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await idem.connect();
    await idem.send({ topic: 'crash', acks: -1, messages: batch('idem') });
    await idem.disconnect();
    const before = broker.broker.replicas.partitionsOf('crash').map((p) => [...p.producers.producers.values()].map((e) => [e.producerId, e.epoch, e.lastSeq]));

    await broker.close();
    const { readdir, unlink } = await import('node:fs/promises');
    const lost: string[] = [];
    for (const entry of await readdir(dir, { recursive: true })) {
      const name = String(entry);
      if (/\.(snapshot|txnindex)$/.test(name) || name.endsWith('.kafka_cleanshutdown')) {
        await unlink(join(dir, name));
        lost.push(name);
      }
    }
    assert.ok(lost.some((n) => n.endsWith('.txnindex')), 'the abort was indexed');
    broker = await startBroker({ logDirs: dir, config: CONFIG });

    const after = broker.broker.replicas.partitionsOf('crash').map((p) => [...p.producers.producers.values()].map((e) => [e.producerId, e.epoch, e.lastSeq]));
    assert.deepEqual(after, before, 'sequences and epochs rebuilt from the log');
    // The open transaction holds the last stable offset until the coordinator aborts it on its timeout.
    const committed = await readAll('crash', 100, false);
    assert.deepEqual(committed.map((r) => r.value.split('-')[0]).sort(), [...Array(50).fill('committed'), ...Array(50).fill('idem')]);
    const all = await readAll('crash', 200, true);
    assert.equal(all.length, 200);
    const [described] = await broker.broker.txn.describe(['crash-txn']);
    assert.equal(described!.transactionState, 'CompleteAbort');
  });

  test('zombie fencing: a second producer with the same transactional id fences the first', async () => {
    const kafka = client();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'zombie', numPartitions: 1 }] });
    await admin.disconnect();
    const first = kafka.producer({ transactionalId: 'zombie-txn', maxInFlightRequests: 1, idempotent: true, retry: { retries: 1 } });
    await first.connect();
    const t1 = await first.transaction();
    await t1.send({ topic: 'zombie', messages: [{ value: 'from-zombie' }] });

    const second = kafka.producer({ transactionalId: 'zombie-txn', maxInFlightRequests: 1, idempotent: true });
    await second.connect(); // InitProducerId: bumps the epoch, aborts the zombie's transaction
    const t2 = await second.transaction();
    await t2.send({ topic: 'zombie', messages: [{ value: 'from-second' }] });
    await t2.commit();

    await assert.rejects(
      async () => {
        await t1.send({ topic: 'zombie', messages: [{ value: 'late-zombie' }] });
        await t1.commit();
      },
      (e: Error) => /epoch|fenced/i.test(`${e.name} ${e.message} ${(e as { type?: string }).type ?? ''}`),
    );
    await first.disconnect().catch(() => undefined);
    await second.disconnect();
    const got = await readAll('zombie', 1, false);
    assert.deepEqual(got.map((r) => r.value), ['from-second']);
  });
});
