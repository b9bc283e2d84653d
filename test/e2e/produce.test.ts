// Produce through exact requests: each kind of bad input gets Kafka's error code for it, and
// the bytes stored are the bytes sent (offsets patched in the header only).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { Fetch, ListOffsets, Produce, type ProduceResponse } from '../../src/protocol/generated/index.js';
import { CompressionType, buildEndTxnMarkerBatch, buildMessageSet, buildRecordBatch, decodeRecordBatch, readRecords, writeBatchCrc } from '../../src/protocol/records/index.js';
import { RawClient, call, frame, parse } from './raw-client.js';

const ZERO = 'AAAAAAAAAAAAAAAAAAAAAA';

describe('produce', () => {
  let broker: RunningBroker;
  let c: RawClient;

  async function produce(topic: string, records: Buffer, version = 9, acks = -1): Promise<ProduceResponse.PartitionProduceResponse> {
    const res = await call(c, Produce, version, { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
    return res.responses[0]!.partitionResponses[0]!;
  }
  const batch = (n = 3, compression = CompressionType.None, timestamp = Date.now()) =>
    buildRecordBatch(Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), headers: [{ key: 'h', value: Buffer.from([i]) }], timestamp })), { compression });

  before(async () => {
    broker = await startBroker();
    const t = broker.broker.topics;
    await t.create('p', 1, 1, {});
    await t.create('small', 1, 1, { 'max.message.bytes': '200' });
    await t.create('append-time', 1, 1, { 'message.timestamp.type': 'LogAppendTime' });
    await t.create('recent-only', 1, 1, { 'message.timestamp.before.max.ms': '60000', 'message.timestamp.after.max.ms': '60000' });
    c = await RawClient.open(broker.port);
  });
  after(async () => {
    c.close();
    await broker.close();
  });

  test('stored bytes are the bytes sent, with the offset patched in', async () => {
    const sent = batch(5);
    const first = await produce('p', Buffer.from(sent));
    assert.equal(first.errorCode, 0);
    const second = await produce('p', Buffer.from(sent));
    assert.equal(second.baseOffset, first.baseOffset + 5n);
    const res = await call(c, Fetch, 12, { ...Fetch.request.defaults(), maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'p', topicId: ZERO, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 5n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: ZERO }] }] });
    const stored = res.responses[0]!.partitions[0]!.records!;
    assert.equal(stored.length, sent.length);
    // Everything after baseOffset (8 bytes) and partitionLeaderEpoch (bytes 12-15) is as sent.
    assert.equal(stored.readBigInt64BE(0), 5n);
    assert.ok(stored.subarray(8, 12).equals(sent.subarray(8, 12)));
    assert.ok(stored.subarray(16).equals(sent.subarray(16)));
    assert.deepEqual(readRecords(decodeRecordBatch(stored)).map((r) => r.value!.toString()), ['v0', 'v1', 'v2', 'v3', 'v4']);
  });

  test('a corrupted CRC is CORRUPT_MESSAGE and nothing is appended', async () => {
    const bad = batch();
    bad[bad.length - 1] ^= 0xff;
    const before = broker.broker.replicas.partition('p', 0)!.logEndOffset;
    const r = await produce('p', bad);
    assert.equal(r.errorCode, 2);
    assert.equal(broker.broker.replicas.partition('p', 0)!.logEndOffset, before);
  });

  test('truncated and forged batches hold no complete batch: INVALID_RECORD, as Kafka', async () => {
    const b = batch();
    assert.equal((await produce('p', b.subarray(0, b.length - 3))).errorCode, 87);
    const forged = Buffer.from(b);
    forged.writeInt32BE(0x7fffffff, 8); // batchLength far beyond the bytes present
    assert.equal((await produce('p', forged)).errorCode, 87);
  });

  test('v3+ carries exactly one batch; control batches and empty records are INVALID_RECORD', async () => {
    assert.equal((await produce('p', Buffer.concat([batch(), batch()]))).errorCode, 87);
    const control = buildRecordBatch([{ key: Buffer.from([0, 0, 0, 0]), value: Buffer.from([0, 0, 0, 0, 0, 0]), headers: [], timestamp: Date.now() }], { control: true });
    const r = await produce('p', control);
    // LogValidator's refusal: with the log start offset, no per-record errors.
    assert.deepEqual([r.errorCode, r.logStartOffset, r.recordErrors], [87, 0n, []]);
    const marker = buildEndTxnMarkerBatch({ producerId: 1n, producerEpoch: 0, commit: true, coordinatorEpoch: 0 });
    // A marker is a transactional batch: without a transactional id Kafka refuses the whole
    // request first (TRANSACTIONAL_ID_AUTHORIZATION_FAILED); with one, the control batch is invalid.
    assert.equal((await produce('p', marker)).errorCode, 53);
    const withId = await call(c, Produce, 9, { transactionalId: 'tx', acks: -1, timeoutMs: 5000, topicData: [{ name: 'p', partitionData: [{ index: 0, records: marker }] }] });
    assert.equal(withId.responses[0]!.partitionResponses[0]!.errorCode, 87);
    assert.equal((await produce('p', Buffer.alloc(0))).errorCode, 87);
  });

  test('transactional records without a transactional id: TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as Kafka', async () => {
    const marker = buildEndTxnMarkerBatch({ producerId: 1n, producerEpoch: 0, commit: true, coordinatorEpoch: 0 });
    assert.equal((await produce('p', marker)).errorCode, 53);
    const txn = buildRecordBatch([{ key: null, value: Buffer.from('t'), headers: [], timestamp: Date.now() }], { producerId: 7n, producerEpoch: 0, baseSequence: 0, transactional: true });
    assert.equal((await produce('p', txn)).errorCode, 53);
  });

  test('a batch whose baseOffset is not 0, or whose count and offsets disagree, is INVALID_RECORD', async () => {
    const based = buildRecordBatch([{ key: null, value: Buffer.from('b'), headers: [], timestamp: Date.now() }], { baseOffset: 5n });
    assert.deepEqual([(await produce('p', based)).errorCode, (await produce('p', based)).logStartOffset], [87, 0n]);
    const delta = buildRecordBatch([{ key: null, value: Buffer.from('d'), headers: [], timestamp: Date.now() }], { lastOffsetDelta: 3 });
    assert.equal((await produce('p', delta)).errorCode, 87);
  });

  test('records that cannot be read (garbled compressed or uncompressed records, CRC intact) are INVALID_RECORD and not stored, as Kafka', async () => {
    const before = broker.broker.replicas.partition('p', 0)!.logEndOffset;
    for (const [compression, from] of [[CompressionType.Gzip, 71], [CompressionType.Lz4, 65], [CompressionType.Zstd, 65], [CompressionType.Snappy, 65], [CompressionType.None, 62]] as const) {
      const b = batch(3, compression);
      b.fill(0x5a, from);
      writeBatchCrc(b);
      const r = await produce('p', b);
      assert.deepEqual([compression, r.errorCode, r.logStartOffset], [compression, 87, 0n]);
    }
    assert.equal(broker.broker.replicas.partition('p', 0)!.logEndOffset, before);
  });

  test('zstd needs Produce v7+', async () => {
    assert.equal((await produce('p', batch(2, CompressionType.Zstd), 6)).errorCode, 76);
    assert.equal((await produce('p', batch(2, CompressionType.Zstd), 7)).errorCode, 0);
  });

  test('legacy message sets (v2) are converted to a v2 batch; v3+ refuses them', async () => {
    const legacy = buildMessageSet([{ offset: 0n, key: Buffer.from('old'), value: Buffer.from('format'), timestamp: BigInt(Date.now()) }], { magic: 1 });
    const r = await produce('p', legacy, 2);
    assert.equal(r.errorCode, 0);
    assert.equal((await produce('p', legacy, 3)).errorCode, 87);
  });

  test('too large for max.message.bytes is MESSAGE_TOO_LARGE', async () => {
    const big = buildRecordBatch([{ key: null, value: Buffer.alloc(500, 1), headers: [], timestamp: Date.now() }], {});
    assert.equal((await produce('small', big)).errorCode, 10);
    assert.equal((await produce('small', batch(1))).errorCode, 0);
  });

  test('timestamps outside message.timestamp.before/after.max.ms are INVALID_TIMESTAMP', async () => {
    assert.equal((await produce('recent-only', batch(1, CompressionType.None, Date.now() - 3_600_000))).errorCode, 32);
    assert.equal((await produce('recent-only', batch(1, CompressionType.None, Date.now() + 3_600_000))).errorCode, 32);
    assert.equal((await produce('recent-only', batch(1))).errorCode, 0);
    // As Kafka's LogValidator: one record error per record out of range, its index in batchIndex.
    const mixed = buildRecordBatch([0, -3_600_000, 0, 3_600_000].map((d, i) => ({ key: null, value: Buffer.from([i]), headers: [], timestamp: Date.now() + d })), {});
    const r = await produce('recent-only', mixed);
    assert.deepEqual([r.errorCode, r.logStartOffset, r.recordErrors.map((e) => e.batchIndex)], [32, 0n, [1, 3]]);
    assert.match(r.recordErrors[0]!.batchIndexErrorMessage!, /^Timestamp \d+ of message with offset 1 is out of range\. The timestamp should be within \[\d+, \d+\]$/);
  });

  test('LogAppendTime topics answer with the time they stamped', async () => {
    const before = Date.now();
    const r = await produce('append-time', batch(2, CompressionType.None, 1000));
    assert.equal(r.errorCode, 0);
    assert.ok(r.logAppendTimeMs >= BigInt(before));
  });

  test('acks=0: no answer; an error closes the connection (after earlier answers), as Kafka', async () => {
    const raw = await RawClient.open(broker.port);
    try {
      raw.send(frame(Produce, 9, 1, { transactionalId: null, acks: 0, timeoutMs: 5000, topicData: [{ name: 'p', partitionData: [{ index: 0, records: batch() }] }] }));
      const listed = raw.next();
      raw.send(frame(ListOffsets, 1, 2, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'p', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] }));
      assert.equal(parse(ListOffsets, 1, await listed).correlationId, 2);
      raw.send(frame(Produce, 9, 3, { transactionalId: null, acks: 0, timeoutMs: 5000, topicData: [{ name: 'missing', partitionData: [{ index: 0, records: batch() }] }] }));
      await raw.closed;
    } finally {
      raw.close();
    }
  });

  test('a partition named twice in one request: only its last records are appended and answered, as Kafka', async () => {
    const before = broker.broker.replicas.partition('p', 0)!.logEndOffset;
    const res = await call(c, Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'p', partitionData: [{ index: 0, records: batch(1) }, { index: 0, records: batch(2) }] }, { name: 'p', partitionData: [{ index: 0, records: batch(4) }] }] });
    assert.deepEqual(res.responses.map((t) => t.partitionResponses.map((p) => [p.index, p.errorCode, p.baseOffset])), [[[0, 0, before]]]);
    assert.equal(broker.broker.replicas.partition('p', 0)!.logEndOffset, before + 4n);
  });

  test('unknown topics, internal topics and bad acks', async () => {
    assert.equal((await produce('missing', batch())).errorCode, 3);
    const res = await call(c, Produce, 9, { transactionalId: null, acks: 2, timeoutMs: 5000, topicData: [{ name: 'p', partitionData: [{ index: 0, records: batch() }] }] });
    assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, 21);
  });
});
