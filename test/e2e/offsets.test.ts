// ListOffsets and OffsetForLeaderEpoch through exact requests, old and new versions.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ListOffsets, OffsetForLeaderEpoch, Produce } from '../../src/protocol/generated/index.js';
import { buildRecordBatch } from '../../src/protocol/records/index.js';
import { RawClient, call } from './raw-client.js';

describe('offsets', () => {
  let broker: RunningBroker;
  let c: RawClient;
  const base = 1_750_000_000_000;

  before(async () => {
    broker = await startBroker();
    await broker.broker.topics.create('o', 1, 1, {});
    c = await RawClient.open(broker.port);
    // Offsets 0-9, timestamps base, base+100, ... but offset 7 carries the largest one.
    const records = buildRecordBatch(Array.from({ length: 10 }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`), headers: [], timestamp: base + (i === 7 ? 5000 : i * 100) })), {});
    await call(c, Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'o', partitionData: [{ index: 0, records }] }] });
  });
  after(async () => {
    c.close();
    await broker.close();
  });

  const list = async (version: number, timestamp: bigint, currentLeaderEpoch = -1) =>
    (await call(c, ListOffsets, version, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'o', partitions: [{ partitionIndex: 0, currentLeaderEpoch, timestamp, maxNumOffsets: 1 }] }] })).topics[0]!.partitions[0]!;

  test('earliest, latest, by time, max timestamp', async () => {
    assert.equal((await list(7, -2n)).offset, 0n);
    assert.equal((await list(7, -1n)).offset, 10n);
    const t = await list(7, BigInt(base + 250));
    assert.deepEqual([t.offset, t.timestamp], [3n, BigInt(base + 300)]);
    const max = await list(7, -3n);
    assert.deepEqual([max.offset, max.timestamp], [7n, BigInt(base + 5000)]);
    assert.equal((await list(7, BigInt(base + 99_999))).offset, -1n);
  });

  test('v0 answers with a list of offsets', async () => {
    assert.deepEqual((await list(0, -1n)).oldStyleOffsets, [10n]);
    assert.deepEqual((await list(0, -2n)).oldStyleOffsets, [0n]);
  });

  test('sentinels a version does not carry are UNSUPPORTED_VERSION; a partition asked twice is INVALID_REQUEST', async () => {
    assert.deepEqual([(await list(6, -3n)).errorCode, (await list(7, -4n)).errorCode, (await list(8, -5n)).errorCode, (await list(9, -6n)).errorCode, (await list(9, -7n)).errorCode], [35, 35, 35, 35, 35]);
    assert.deepEqual([(await list(8, -4n)).errorCode, (await list(9, -5n)).errorCode], [0, 0]);
    const p = { partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 };
    const twice = await call(c, ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'o', partitions: [p, { ...p, timestamp: -2n }] }] });
    // Answered once for the partition, as Kafka 4.1 does.
    assert.deepEqual(twice.topics[0]!.partitions.map((x) => [x.errorCode, x.offset]), [[42, -1n]]);
  });

  test('an isolation level that does not exist is UNKNOWN_SERVER_ERROR, as Kafka', async () => {
    const res = await call(c, ListOffsets, 5, { replicaId: -1, isolationLevel: 2, topics: [{ name: 'o', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] });
    assert.deepEqual([res.topics[0]!.partitions[0]!.errorCode, res.topics[0]!.partitions[0]!.offset], [-1, -1n]);
  });

  test('an empty log is in epoch 0 from its start; an epoch newer than the log knows is undefined', async () => {
    await broker.broker.topics.create('o-empty', 1, 1, {});
    const oe = async (topic: string, leaderEpoch: number) => (await call(c, OffsetForLeaderEpoch, 4, { replicaId: -1, topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch }] }] })).topics[0]!.partitions[0]!;
    const empty = await oe('o-empty', 0);
    assert.deepEqual([empty.errorCode, empty.leaderEpoch, empty.endOffset], [0, 0, 0n]);
    const newer = await oe('o', 5);
    assert.deepEqual([newer.errorCode, newer.leaderEpoch, newer.endOffset], [0, -1, -1n]);
    const earliest = (await call(c, ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'o-empty', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n, maxNumOffsets: 1 }] }] })).topics[0]!.partitions[0]!;
    assert.deepEqual([earliest.offset, earliest.leaderEpoch], [0n, 0]);
  });

  test('leader epochs: a newer epoch than ours is UNKNOWN_LEADER_EPOCH', async () => {
    assert.equal((await list(4, -1n, 0)).errorCode, 0);
    assert.equal((await list(4, -1n, 5)).errorCode, 75);
    const res = await call(c, OffsetForLeaderEpoch, 4, { replicaId: -1, topics: [{ topic: 'o', partitions: [{ partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 }, { partition: 3, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] });
    const [known, unknown] = res.topics[0]!.partitions;
    assert.deepEqual([known!.errorCode, known!.leaderEpoch, known!.endOffset], [0, 0, 10n]);
    assert.equal(unknown!.errorCode, 3);
  });

  test('an empty partition: its start and end are in the current leader epoch, as Kafka answers', async () => {
    await broker.broker.topics.create('empty', 1, 1, {});
    const earliest = (await call(c, ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'empty', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n, maxNumOffsets: 1 }] }] })).topics[0]!.partitions[0]!;
    assert.deepEqual([earliest.errorCode, earliest.offset, earliest.leaderEpoch], [0, 0n, 0]);
    const res = await call(c, OffsetForLeaderEpoch, 4, { replicaId: -1, topics: [{ topic: 'empty', partitions: [{ partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 }] }] });
    const [p] = res.topics[0]!.partitions;
    // Not UNDEFINED (-1, -1): the Java consumer would take that for a truncated log.
    assert.deepEqual([p!.errorCode, p!.leaderEpoch, p!.endOffset], [0, 0, 0n]);
  });
});
