// Fetch through exact requests: long polls woken by appends, minBytes, KIP-74 size limits,
// incremental fetch sessions (KIP-227), topic ids (v13+), isolation level, error codes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { Fetch, Produce, type FetchResponse } from '../../src/protocol/generated/index.js';
import { buildRecordBatch } from '../../src/protocol/records/index.js';
import { RawClient, call, fetchRequest, ZERO_UUID as ZERO } from './raw-client.js';

function partitionsOf(res: FetchResponse): FetchResponse.PartitionData[] {
  return res.responses.flatMap((t) => t.partitions);
}

describe('fetch', () => {
  let broker: RunningBroker;
  let c: RawClient;
  let topicId: string;

  async function produce(topic: string, partition: number, values: string[]): Promise<void> {
    const records = buildRecordBatch(values.map((v) => ({ key: null, value: Buffer.from(v), headers: [], timestamp: Date.now() })), {});
    const res = await call(c, Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
    assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, 0);
  }

  before(async () => {
    broker = await startBroker();
    await broker.broker.topics.create('f', 3, 1, {});
    topicId = broker.broker.metadata.topic('f')!.topicId;
    c = await RawClient.open(broker.port);
  });
  after(async () => {
    c.close();
    await broker.close();
  });

  test('a long poll returns as soon as an append arrives, not at maxWaitMs', async () => {
    const started = Date.now();
    const pending = call(c, Fetch, 12, fetchRequest([{ topic: 'f', partitions: [{ partition: 0, fetchOffset: 0n }] }], { maxWaitMs: 10_000 }));
    const other = await RawClient.open(broker.port);
    await new Promise((r) => setTimeout(r, 100));
    const records = buildRecordBatch([{ key: null, value: Buffer.from('wake'), headers: [], timestamp: Date.now() }], {});
    await call(other, Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'f', partitionData: [{ index: 0, records }] }] });
    other.close();
    const res = await pending;
    assert.ok(Date.now() - started < 5_000, 'woken by the append');
    const p = partitionsOf(res)[0]!;
    assert.equal(p.errorCode, 0);
    assert.equal(p.highWatermark, 1n);
    assert.ok(p.records!.length > 0);
  });

  test('maxWaitMs bounds a poll that finds nothing; minBytes waits for enough data', async () => {
    const started = Date.now();
    const res = await call(c, Fetch, 12, fetchRequest([{ topic: 'f', partitions: [{ partition: 1, fetchOffset: 0n }] }], { maxWaitMs: 200 }));
    assert.ok(Date.now() - started >= 150);
    assert.equal(partitionsOf(res)[0]!.records!.length, 0);
  });

  test('KIP-74: the first partition returns a whole batch even above partition and response limits', async () => {
    await produce('f', 2, ['x'.repeat(5000)]);
    const res = await call(c, Fetch, 12, fetchRequest([{ topic: 'f', partitions: [{ partition: 2, fetchOffset: 0n, partitionMaxBytes: 100 }] }], { maxBytes: 100 }));
    const p = partitionsOf(res)[0]!;
    assert.ok(p.records!.length > 5000);
  });

  test('offsets outside the log get OFFSET_OUT_OF_RANGE; unknown partitions UNKNOWN_TOPIC_OR_PARTITION; unknown ids UNKNOWN_TOPIC_ID', async () => {
    const res = await call(c, Fetch, 12, fetchRequest([{ topic: 'f', partitions: [{ partition: 0, fetchOffset: 99n }, { partition: 7, fetchOffset: 0n }] }, { topic: 'nope', partitions: [{ partition: 0, fetchOffset: 0n }] }]));
    assert.deepEqual(partitionsOf(res).map((p) => p.errorCode), [1, 3, 3]);
    // As Kafka: an error answer carries no offsets; abortedTransactions null for a failed read of a
    // partition the broker has, [] for one it does not have.
    assert.deepEqual(partitionsOf(res).map((p) => [p.highWatermark, p.lastStableOffset, p.logStartOffset, p.abortedTransactions]), [
      [-1n, -1n, -1n, null],
      [-1n, -1n, -1n, []],
      [-1n, -1n, -1n, []],
    ]);
    const byId = await call(c, Fetch, 13, fetchRequest([{ topic: '', topicId: 'AQIDBAUGBwgJCgsMDQ4PEA', partitions: [{ partition: 0, fetchOffset: 0n }] }]));
    assert.equal(partitionsOf(byId)[0]!.errorCode, 100);
  });

  test('an isolation level that does not exist is UNKNOWN_SERVER_ERROR for the request, as Kafka', async () => {
    const res = await call(c, Fetch, 12, fetchRequest([{ topic: 'f', partitions: [{ partition: 0, fetchOffset: 0n }] }], { isolationLevel: 2 }));
    assert.deepEqual([res.errorCode, partitionsOf(res).map((p) => [p.errorCode, p.highWatermark, p.records?.length ?? 0])], [-1, [[-1, -1n, 0]]]);
  });

  test('lastFetchedEpoch (v12+): an epoch the log cannot place is OFFSET_OUT_OF_RANGE; one ending before fetchOffset answers divergingEpoch', async () => {
    const f = (fetchOffset: bigint, lastFetchedEpoch: number) => {
      const req = fetchRequest([{ topic: 'f', partitions: [{ partition: 0, fetchOffset }] }]);
      req.topics[0]!.partitions[0]!.lastFetchedEpoch = lastFetchedEpoch;
      return call(c, Fetch, 12, req).then((res) => partitionsOf(res)[0]!);
    };
    const end = broker.broker.replicas.partition('f', 0)!.logEndOffset;
    assert.equal((await f(0n, 3)).errorCode, 1);
    const past = await f(end + 5n, 0);
    assert.deepEqual([past.errorCode, past.divergingEpoch.epoch, past.divergingEpoch.endOffset, past.records?.length ?? 0], [0, 0, end, 0]);
    const fine = await f(0n, 0);
    assert.deepEqual([fine.errorCode, fine.divergingEpoch.epoch], [0, -1]);
  });

  test('a partition named twice is fetched once, at the last offset given (Kafka: a map by partition)', async () => {
    const res = await call(c, Fetch, 12, fetchRequest([{ topic: 'f', partitions: [{ partition: 0, fetchOffset: 0n }, { partition: 0, fetchOffset: 99n }] }]));
    assert.deepEqual(partitionsOf(res).map((p) => p.errorCode), [1]);
  });

  test('topic ids (v13+) and read_committed answers carry an aborted-transactions list', async () => {
    const res = await call(c, Fetch, 15, fetchRequest([{ topic: '', topicId, partitions: [{ partition: 0, fetchOffset: 0n }] }], { isolationLevel: 1 }));
    assert.equal(res.responses[0]!.topicId, topicId);
    const p = partitionsOf(res)[0]!;
    assert.equal(p.errorCode, 0);
    assert.deepEqual(p.abortedTransactions, []);
    const uncommitted = await call(c, Fetch, 15, fetchRequest([{ topic: '', topicId, partitions: [{ partition: 0, fetchOffset: 0n }] }]));
    assert.equal(partitionsOf(uncommitted)[0]!.abortedTransactions, null);
  });

  test('KIP-227 sessions: full, then incremental answers only what changed; forgotten partitions leave', async () => {
    const full = await call(c, Fetch, 12, fetchRequest([{ topic: 'f', partitions: [{ partition: 0, fetchOffset: 1n }, { partition: 1, fetchOffset: 0n }] }], { sessionId: 0, sessionEpoch: 0 }));
    assert.ok(full.sessionId > 0);
    assert.equal(partitionsOf(full).length, 2);
    // Nothing changed: an incremental fetch lists no partition.
    const quiet = await call(c, Fetch, 12, fetchRequest([], { sessionId: full.sessionId, sessionEpoch: 1 }));
    assert.equal(quiet.errorCode, 0);
    assert.equal(partitionsOf(quiet).length, 0);
    // New data on partition 1 only.
    await produce('f', 1, ['a', 'b']);
    const news = await call(c, Fetch, 12, fetchRequest([], { sessionId: full.sessionId, sessionEpoch: 2 }));
    assert.deepEqual(partitionsOf(news).map((p) => p.partitionIndex), [1]);
    assert.equal(partitionsOf(news)[0]!.highWatermark, 2n);
    // Move partition 1 on and forget partition 0.
    const moved = await call(c, Fetch, 12, fetchRequest([{ topic: 'f', partitions: [{ partition: 1, fetchOffset: 2n }] }], { sessionId: full.sessionId, sessionEpoch: 3, forgottenTopicsData: [{ topic: 'f', topicId: ZERO, partitions: [0] }] }));
    assert.deepEqual(partitionsOf(moved).map((p) => p.partitionIndex), []);
    await produce('f', 0, ['ignored']);
    const afterForget = await call(c, Fetch, 12, fetchRequest([], { sessionId: full.sessionId, sessionEpoch: 4 }));
    assert.equal(partitionsOf(afterForget).length, 0);
    // A wrong epoch and an unknown session are errors for the whole request.
    const stale = await call(c, Fetch, 12, fetchRequest([], { sessionId: full.sessionId, sessionEpoch: 2 }));
    assert.equal(stale.errorCode, 71);
    const unknown = await call(c, Fetch, 12, fetchRequest([], { sessionId: 123456, sessionEpoch: 1 }));
    assert.equal(unknown.errorCode, 70);
    // Epoch -1 closes the session; it is gone afterwards.
    await call(c, Fetch, 12, fetchRequest([], { sessionId: full.sessionId, sessionEpoch: -1 }));
    const closed = await call(c, Fetch, 12, fetchRequest([], { sessionId: full.sessionId, sessionEpoch: 5 }));
    assert.equal(closed.errorCode, 70);
  });

  test('old versions (v0-v3) get magic 0/1 message sets', async () => {
    for (const [version, magic] of [[0, 0], [2, 1], [4, 2]] as const) {
      const res = await call(c, Fetch, version, fetchRequest([{ topic: 'f', partitions: [{ partition: 1, fetchOffset: 0n }] }]));
      const records = partitionsOf(res)[0]!.records!;
      assert.ok(records.length > 0);
      assert.equal(records.readInt8(16), magic, `Fetch v${version}`);
    }
  });
});
