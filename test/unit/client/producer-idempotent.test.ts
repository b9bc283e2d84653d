// Idempotent producer ordering on retries, against a fake cluster and connection: the first
// Produce of a partition fails as a dropped connection would, after later batches could have been
// written; the fake broker checks sequences as Kafka does (OUT_OF_ORDER_SEQUENCE_NUMBER on a gap).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, sleep } from '../../../src/client/cluster.js';
import { ConnectionError, ErrorCode } from '../../../src/client/errors.js';
import { InitProducerId, Produce, type ProduceRequest } from '../../../src/client/protocol.js';
import { Producer } from '../../../src/client/producer.js';
import type { Connection } from '../../../src/client/connection.js';

/** baseSequence and record count of a magic-2 batch. */
const sequenceOf = (b: Buffer) => ({ producerId: b.readBigInt64BE(43), baseSequence: b.readInt32BE(53), count: b.readInt32BE(57) });

interface Written {
  partition: number;
  baseSequence: number;
  count: number;
  offset: bigint;
}

class FakeBroker {
  readonly expected = new Map<number, number>();
  readonly logEnd = new Map<number, bigint>();
  readonly written: Written[] = [];
  readonly outOfOrder: { partition: number; baseSequence: number; expected: number }[] = [];
  produceCalls = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** Produce calls (1-based) to fail with a ConnectionError after a delay. */
  constructor(readonly failCalls: Set<number>, readonly failAfterMs = 30) {}

  connection(): Connection {
    const request = async (api: unknown, body: unknown): Promise<unknown> => {
      if (api === InitProducerId) return { errorCode: 0, producerId: 7n, producerEpoch: 0, throttleTimeMs: 0 };
      assert.equal(api, Produce);
      const call = ++this.produceCalls;
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      try {
        if (this.failCalls.has(call)) {
          await sleep(this.failAfterMs);
          throw new ConnectionError('connection closed (fake)');
        }
        await sleep(2);
        const req = body as ProduceRequest;
        return {
          throttleTimeMs: 0,
          responses: req.topicData.map((t) => ({
            name: t.name,
            partitionResponses: t.partitionData.map((p) => {
              const s = sequenceOf(p.records as Buffer);
              assert.equal(s.producerId, 7n);
              const expected = this.expected.get(p.index) ?? 0;
              if (s.baseSequence !== expected) {
                this.outOfOrder.push({ partition: p.index, baseSequence: s.baseSequence, expected });
                return { index: p.index, errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: null };
              }
              const offset = this.logEnd.get(p.index) ?? 0n;
              this.expected.set(p.index, expected + s.count);
              this.logEnd.set(p.index, offset + BigInt(s.count));
              this.written.push({ partition: p.index, baseSequence: s.baseSequence, count: s.count, offset });
              return { index: p.index, errorCode: 0, baseOffset: offset, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null };
            }),
          })),
        };
      } finally {
        this.inFlight--;
      }
    };
    return { request } as unknown as Connection;
  }
}

class FakeCluster extends Cluster {
  constructor(readonly broker: FakeBroker, partitions: number) {
    super({ brokers: ['fake:9092'], retries: 5, retryBackoffMs: 5 });
    this.brokers.set(0, { nodeId: 0, host: 'fake', port: 9092, rack: null });
    this.topics.set('t', {
      name: 't',
      topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
      isInternal: false,
      errorCode: 0,
      partitions: Array.from({ length: partitions }, (_, partition) => ({ partition, leader: 0, replicas: [0], isr: [0], offlineReplicas: [] }) as never),
    });
  }
  override async anyConnection(): Promise<Connection> {
    return this.broker.connection();
  }
  override async connection(): Promise<Connection> {
    return this.broker.connection();
  }
  override async refreshMetadata(): Promise<never> {
    return {} as never;
  }
}

async function produceAll(producer: Producer, records: { partition: number; value: string }[], gapMs: number) {
  const acks = [];
  for (const r of records) {
    acks.push(producer.send({ topic: 't', partition: r.partition, value: r.value }));
    if (gapMs) await sleep(gapMs);
  }
  return Promise.all(acks);
}

test('idempotent producer: a batch retried after a dropped connection keeps its place (sequences and offsets in order)', async () => {
  const broker = new FakeBroker(new Set([1]));
  const producer = new Producer(new FakeCluster(broker, 1), { idempotent: true, batchSize: 1, lingerMs: 0 });
  // One record per batch; batches 2.. are closed while batch 1 is still in flight (it fails after 30 ms).
  const records = Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `v${i}` }));
  const metas = await produceAll(producer, records, 3);
  await producer.close();
  assert.deepEqual(broker.outOfOrder, []);
  assert.deepEqual(
    metas.map((m) => m.offset),
    records.map((_, i) => BigInt(i)),
  );
  assert.deepEqual(
    broker.written.map((w) => w.baseSequence),
    records.map((_, i) => i),
  );
  assert.equal(broker.maxInFlight, 1, 'at most one batch of the partition in flight');
  assert.ok(broker.produceCalls > records.length, 'the failed batch was retried');
});

test('idempotent producer: partitions wait only for their own batches; every partition stays in order', async () => {
  const broker = new FakeBroker(new Set([1, 4]));
  const producer = new Producer(new FakeCluster(broker, 3), { idempotent: true, batchSize: 1, lingerMs: 0 });
  const records = Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `v${i}` }));
  const metas = await produceAll(producer, records, 1);
  await producer.close();
  assert.deepEqual(broker.outOfOrder, []);
  for (const p of [0, 1, 2]) {
    const offsets = metas.filter((m) => m.partition === p).map((m) => m.offset);
    assert.deepEqual(
      offsets,
      offsets.map((_, i) => BigInt(i)),
      `offsets of partition ${p}`,
    );
    const seqs = broker.written.filter((w) => w.partition === p).map((w) => w.baseSequence);
    assert.deepEqual(
      seqs,
      seqs.map((_, i) => i),
      `sequences of partition ${p}`,
    );
  }
  assert.ok(broker.maxInFlight > 1, 'different partitions still overlap');
});

test('non-idempotent producer keeps pipelining batches of a partition', async () => {
  const broker = new FakeBroker(new Set());
  // The fake checks sequences; a plain producer sends none, so only count concurrency here.
  let inFlight = 0;
  let maxInFlight = 0;
  const conn = {
    request: async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await sleep(10);
      inFlight--;
      return { throttleTimeMs: 0, responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 0n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null }] }] };
    },
  } as unknown as Connection;
  const cluster = new FakeCluster(broker, 1);
  cluster.connection = async () => conn;
  const producer = new Producer(cluster, { batchSize: 1, lingerMs: 0 });
  await produceAll(producer, Array.from({ length: 5 }, (_, i) => ({ partition: 0, value: `v${i}` })), 1);
  await producer.close();
  assert.ok(maxInFlight > 1, `pipelined (max in flight ${maxInFlight})`);
});
