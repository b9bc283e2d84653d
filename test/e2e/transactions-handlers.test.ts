// The transaction APIs through their handlers on an in-process broker, each request and response
// encoded and decoded at every version served: InitProducerId (PRODUCER_FENCED before v4 becomes
// INVALID_PRODUCER_EPOCH), AddPartitionsToTxn v0-3 and batched v4-5 with verifyOnly,
// AddOffsetsToTxn, TxnOffsetCommit, EndTxn, WriteTxnMarkers, DescribeProducers,
// DescribeTransactions, ListTransactions, FindCoordinator key type 1; the LSO and
// read_committed fetches around a transaction.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { decodeMessage, encodeMessage, type ApiDescriptor } from '../../src/protocol/runtime/index.js';
import { buildRecordBatch } from '../../src/protocol/records/index.js';
import type { ApiHandler, RequestContext } from '../../src/broker/handler.js';
import { ErrorCode } from '../../src/broker/errors.js';

const ctx = (apiVersion: number): RequestContext => ({ apiVersion, correlationId: 1, clientId: 'cli', connectionId: 1, remoteAddress: '127.0.0.1', listenerName: 'PLAINTEXT' });

describe('transaction handlers', () => {
  let broker: RunningBroker;
  before(async () => {
    broker = await startBroker({ config: { 'offsets.topic.num.partitions': 2, 'transaction.state.log.num.partitions': 2, 'samsa.log.level': 'error' } });
    await broker.broker.topics.create('t', 2, 1, {});
  });
  after(async () => {
    await broker?.close();
  });

  async function call<Res = any>(apiKey: number, v: number, request: Record<string, unknown>): Promise<Res> {
    const handler = broker.broker.registry.get(apiKey) as ApiHandler;
    assert.ok(v >= handler.minVersion && v <= handler.maxVersion);
    const api = handler.api as ApiDescriptor<any, any>;
    const req = decodeMessage(api.request, encodeMessage(api.request, { ...api.request.defaults(), ...request }, v), v);
    const res = await handler.handle(req, ctx(v));
    return decodeMessage(api.response, encodeMessage(api.response, res, v), v) as Res;
  }

  const produce = (producerId: bigint, producerEpoch: number, baseSequence: number, transactionalId: string | null, values: string[], partition = 0) =>
    call(0, 9, {
      transactionalId,
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: 't', partitionData: [{ index: partition, records: buildRecordBatch(values.map((v) => ({ key: null, value: Buffer.from(v) })), { producerId, producerEpoch, baseSequence, transactional: transactionalId !== null }) }] }],
    });
  const fetch = (isolationLevel: number, partition = 0) =>
    call(1, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel, topics: [{ topic: 't', partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }] });

  test('FindCoordinator key type 1 and InitProducerId at every version', async () => {
    for (const v of [1, 2, 3]) {
      const r = await call(10, v, { key: 'h-txn', keyType: 1 });
      assert.equal(r.errorCode, 0);
      assert.equal(r.nodeId, broker.broker.nodeId);
    }
    const batched = await call(10, 4, { keyType: 1, coordinatorKeys: ['a', 'b'] });
    assert.deepEqual(batched.coordinators.map((c: any) => c.errorCode), [0, 0]);
    const ids = new Set<bigint>();
    for (let v = 0; v <= 5; v++) {
      const r = await call(22, v, { transactionalId: null, transactionTimeoutMs: 0 });
      assert.equal(r.errorCode, 0);
      ids.add(r.producerId);
    }
    assert.equal(ids.size, 6);
    const first = await call(22, 5, { transactionalId: 'h-txn', transactionTimeoutMs: 10_000 });
    await call(22, 5, { transactionalId: 'h-txn', transactionTimeoutMs: 10_000 });
    // KIP-360: naming a stale epoch; fenced (v4+) or INVALID_PRODUCER_EPOCH (v3).
    assert.equal((await call(22, 4, { transactionalId: 'h-txn', transactionTimeoutMs: 10_000, producerId: first.producerId, producerEpoch: first.producerEpoch })).errorCode, ErrorCode.PRODUCER_FENCED);
    assert.equal((await call(22, 3, { transactionalId: 'h-txn', transactionTimeoutMs: 10_000, producerId: first.producerId, producerEpoch: first.producerEpoch })).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal((await call(22, 5, { transactionalId: 'h-txn', transactionTimeoutMs: 1 << 30 })).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  });

  test('idempotent produce: duplicates get the original offsets, gaps and stale epochs are refused', async () => {
    const { producerId } = await call(22, 4, { transactionalId: null, transactionTimeoutMs: 0 });
    const a = await produce(producerId, 0, 0, null, ['a', 'b']);
    const again = await produce(producerId, 0, 0, null, ['a', 'b']);
    assert.equal(again.responses[0].partitionResponses[0].errorCode, 0);
    assert.equal(again.responses[0].partitionResponses[0].baseOffset, a.responses[0].partitionResponses[0].baseOffset);
    assert.equal((await produce(producerId, 0, 5, null, ['c'])).responses[0].partitionResponses[0].errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.equal((await produce(producerId, 1, 3, null, ['c'])).responses[0].partitionResponses[0].errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.equal((await produce(producerId, 1, 0, null, ['c'])).responses[0].partitionResponses[0].errorCode, 0);
    assert.equal((await produce(producerId, 0, 2, null, ['d'])).responses[0].partitionResponses[0].errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    const described = await call(61, 0, { topics: [{ name: 't', partitionIndexes: [0, 9] }] });
    const mine = described.topics[0].partitions[0].activeProducers.find((p: any) => p.producerId === producerId);
    assert.deepEqual([mine.producerEpoch, mine.lastSequence, mine.currentTxnStartOffset], [1, 0, -1n]);
    assert.equal(described.topics[0].partitions[1].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  test('a transaction through the handlers: verification, LSO, read_committed, offsets, markers, describe and list', async () => {
    const { producerId, producerEpoch } = await call(22, 4, { transactionalId: 'h-flow', transactionTimeoutMs: 30_000 });
    // KIP-890: a transactional write to a partition not added is refused.
    assert.equal((await produce(producerId, producerEpoch, 0, 'h-flow', ['x'], 1)).responses[0].partitionResponses[0].errorCode, ErrorCode.INVALID_TXN_STATE);
    const added = await call(24, 3, { v3AndBelowTransactionalId: 'h-flow', v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: [{ name: 't', partitions: [1] }, { name: 'nope', partitions: [0] }] });
    assert.deepEqual(added.resultsByTopicV3AndBelow.map((t: any) => t.resultsByPartition[0].partitionErrorCode), [ErrorCode.OPERATION_NOT_ATTEMPTED, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    const batched = await call(24, 4, { transactions: [{ transactionalId: 'h-flow', producerId, producerEpoch, verifyOnly: false, topics: [{ name: 't', partitions: [1] }] }] });
    assert.equal(batched.resultsByTransaction[0].topicResults[0].resultsByPartition[0].partitionErrorCode, 0);
    const verified = await call(24, 5, { transactions: [{ transactionalId: 'h-flow', producerId, producerEpoch, verifyOnly: true, topics: [{ name: 't', partitions: [0, 1] }] }] });
    // Kafka 3.8+: a partition outside the transaction is TRANSACTION_ABORTABLE (KAFKA-16314).
    assert.deepEqual(verified.resultsByTransaction[0].topicResults[0].resultsByPartition.map((p: any) => p.partitionErrorCode), [ErrorCode.TRANSACTION_ABORTABLE, 0]);

    const before = broker.broker.replicas.partition('t', 1)!.highWatermark;
    assert.equal((await produce(producerId, producerEpoch, 0, 'h-flow', ['x', 'y'], 1)).responses[0].partitionResponses[0].errorCode, 0);
    let f = await fetch(1, 1);
    assert.equal(f.responses[0].partitions[0].lastStableOffset, before);
    assert.equal(f.responses[0].partitions[0].records.length, 0);
    f = await fetch(0, 1);
    assert.ok(f.responses[0].partitions[0].records.length > 0);

    assert.equal((await call(25, 3, { transactionalId: 'h-flow', producerId, producerEpoch, groupId: 'h-group' })).errorCode, 0);
    const tc = await call(28, 3, { transactionalId: 'h-flow', groupId: 'h-group', producerId, producerEpoch, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: 2n, committedLeaderEpoch: -1, committedMetadata: '' }] }] });
    assert.equal(tc.topics[0].partitions[0].errorCode, 0);
    const pending = await broker.broker.groups.fetchOffsets('h-group', [{ name: 't', partitions: [1] }]);
    assert.equal(pending.topics[0]!.partitions[0]!.committedOffset, -1n, 'not visible before the commit');
    // KIP-447: a read_committed consumer asks for stable offsets and is told to retry.
    const unstable = await call(9, 7, { groupId: 'h-group', topics: [{ name: 't', partitionIndexes: [0, 1] }], requireStable: true });
    assert.deepEqual(unstable.topics[0].partitions.map((p: any) => p.errorCode), [0, ErrorCode.UNSTABLE_OFFSET_COMMIT]);
    const batchedFetch = await call(9, 8, { groups: [{ groupId: 'h-group', topics: [{ name: 't', partitionIndexes: [1] }] }], requireStable: true });
    assert.equal(batchedFetch.groups[0].topics[0].partitions[0].errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT);
    assert.equal((await call(9, 7, { groupId: 'h-group', topics: [{ name: 't', partitionIndexes: [1] }], requireStable: false })).topics[0].partitions[0].errorCode, 0);

    const [d] = (await call(65, 0, { transactionalIds: ['h-flow'] })).transactionStates;
    assert.equal(d.transactionState, 'Ongoing');
    assert.deepEqual(d.topics.map((t: any) => t.topic).sort(), ['__consumer_offsets', 't']);
    const listed = await call(66, 1, { stateFilters: ['Ongoing', 'Bogus'], producerIdFilters: [], durationFilter: -1n });
    assert.deepEqual(listed.transactionStates.map((t: any) => t.transactionalId), ['h-flow']);
    assert.deepEqual(listed.unknownStateFilters, ['Bogus']);

    assert.equal((await call(26, 1, { transactionalId: 'h-flow', producerId, producerEpoch: producerEpoch + 1, committed: true })).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal((await call(26, 3, { transactionalId: 'h-flow', producerId, producerEpoch: producerEpoch + 1, committed: true })).errorCode, ErrorCode.PRODUCER_FENCED);
    assert.equal((await call(26, 3, { transactionalId: 'h-flow', producerId, producerEpoch, committed: true })).errorCode, 0);
    f = await fetch(1, 1);
    assert.equal(f.responses[0].partitions[0].lastStableOffset, f.responses[0].partitions[0].highWatermark);
    assert.deepEqual(f.responses[0].partitions[0].abortedTransactions, []);
    const done = await broker.broker.groups.fetchOffsets('h-group', [{ name: 't', partitions: [1] }]);
    assert.equal(done.topics[0]!.partitions[0]!.committedOffset, 2n);
    assert.equal((await call(9, 7, { groupId: 'h-group', topics: [{ name: 't', partitionIndexes: [1] }], requireStable: true })).topics[0].partitions[0].committedOffset, 2n);

    // An abort written with WriteTxnMarkers: read_committed gets the aborted transaction.
    const p2 = await call(22, 4, { transactionalId: null, transactionTimeoutMs: 0 });
    assert.equal((await produce(p2.producerId, 0, 0, null, ['plain'], 0)).responses[0].partitionResponses[0].errorCode, 0);
    const p3 = await call(22, 4, { transactionalId: 'h-raw', transactionTimeoutMs: 10_000 });
    await call(24, 3, { v3AndBelowTransactionalId: 'h-raw', v3AndBelowProducerId: p3.producerId, v3AndBelowProducerEpoch: p3.producerEpoch, v3AndBelowTopics: [{ name: 't', partitions: [0] }] });
    const w = await produce(p3.producerId, p3.producerEpoch, 0, 'h-raw', ['doomed'], 0);
    const first = w.responses[0].partitionResponses[0].baseOffset;
    const marked = await call(27, 1, { markers: [{ producerId: p3.producerId, producerEpoch: p3.producerEpoch, transactionResult: false, coordinatorEpoch: 0, topics: [{ name: 't', partitionIndexes: [0, 7] }] }] });
    assert.deepEqual(marked.markers[0].topics[0].partitions.map((p: any) => p.errorCode), [0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    f = await fetch(1, 0);
    assert.deepEqual(f.responses[0].partitions[0].abortedTransactions.map((t: any) => [t.producerId, t.firstOffset]), [[p3.producerId, first]]);
    assert.equal((await fetch(0, 0)).responses[0].partitions[0].abortedTransactions, null);
  });

  test('as Kafka 4.1 answers (differential txn- sessions): verification errors by version, TxnOffsetCommit checks, defaults', async () => {
    const { producerId, producerEpoch } = await call(22, 4, { transactionalId: 'h-k41', transactionTimeoutMs: 30_000 });
    const txnProduce = (v: number, epoch: number, transactionalId: string | null) =>
      call(0, v, { transactionalId, acks: -1, timeoutMs: 5000, topicData: [{ name: 't', partitionData: [{ index: 0, records: buildRecordBatch([{ key: null, value: Buffer.from('x') }], { producerId, producerEpoch: epoch, baseSequence: 0, transactional: true }) }] }] });
    const code = (r: any) => r.responses[0].partitionResponses[0];
    // A partition not in the transaction: TRANSACTION_ABORTABLE from v11, INVALID_TXN_STATE before.
    assert.equal(code(await txnProduce(11, producerEpoch, 'h-k41')).errorCode, ErrorCode.TRANSACTION_ABORTABLE);
    assert.equal(code(await txnProduce(10, producerEpoch, 'h-k41')).errorCode, ErrorCode.INVALID_TXN_STATE);
    assert.equal(code(await txnProduce(9, producerEpoch, 'h-k41-other')).errorCode, ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    // Transactional records without a transactional id: the whole request is refused.
    const noId = code(await txnProduce(9, producerEpoch, null));
    assert.deepEqual([noId.errorCode, noId.baseOffset], [ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, -1n]);
    await call(24, 3, { v3AndBelowTransactionalId: 'h-k41', v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: [{ name: 't', partitions: [0] }] });
    assert.equal(code(await txnProduce(9, producerEpoch, 'h-k41')).errorCode, 0);
    // Another epoch than the ongoing transaction's is verified again: fenced.
    assert.equal(code(await txnProduce(9, producerEpoch + 1, 'h-k41')).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);

    // TxnOffsetCommit: the group's partition must be in the transaction (AddOffsetsToTxn first).
    const commit = (v: number, epoch: number, generationId = -1, memberId = '', groupInstanceId: string | null = null) =>
      call(28, v, { transactionalId: 'h-k41', groupId: 'h-k41-group', producerId, producerEpoch: epoch, generationId, memberId, groupInstanceId, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    const tcCode = (r: any) => r.topics[0].partitions[0].errorCode;
    assert.equal(tcCode(await commit(3, producerEpoch)), ErrorCode.INVALID_TXN_STATE);
    assert.equal(tcCode(await commit(4, producerEpoch)), ErrorCode.TRANSACTION_ABORTABLE);
    assert.equal((await call(25, 3, { transactionalId: 'h-k41', producerId, producerEpoch, groupId: 'h-k41-group' })).errorCode, 0);
    assert.equal(tcCode(await commit(3, producerEpoch + 1)), ErrorCode.INVALID_PRODUCER_EPOCH);
    // A generation for a group that does not exist: ILLEGAL_GENERATION. A commit without one
    // creates it (empty); then a member it does not have, or an unknown static member: UNKNOWN_MEMBER_ID.
    assert.equal(tcCode(await commit(3, producerEpoch, 3, 'nobody')), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(tcCode(await commit(3, producerEpoch)), 0);
    assert.equal(tcCode(await commit(3, producerEpoch, 3, 'nobody')), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(tcCode(await commit(3, producerEpoch, 3, 'nobody', 'instance')), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(tcCode(await commit(3, producerEpoch, -1, 'anyone')), 0);
    // Partitions of unknown topics are refused one by one; the others are committed.
    const partial = await call(28, 3, { transactionalId: 'h-k41', groupId: 'h-k41-group', producerId, producerEpoch, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: 4n, committedLeaderEpoch: -1, committedMetadata: null }, { partitionIndex: 9, committedOffset: 4n, committedLeaderEpoch: -1, committedMetadata: null }] }, { name: 'nope', partitions: [{ partitionIndex: 0, committedOffset: 4n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    assert.deepEqual(partial.topics.map((t: any) => t.partitions.map((p: any) => p.errorCode)), [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    // Internal topics cannot be added by a client: TOPIC_AUTHORIZATION_FAILED, the others not attempted.
    const internal = await call(24, 3, { v3AndBelowTransactionalId: 'h-k41', v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: [{ name: '__consumer_offsets', partitions: [0] }, { name: 't', partitions: [1] }, { name: 'nope', partitions: [0] }] });
    assert.deepEqual(internal.resultsByTopicV3AndBelow.map((t: any) => t.resultsByPartition[0].partitionErrorCode), [ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.OPERATION_NOT_ATTEMPTED, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    // AddOffsetsToTxn does not validate the group id; TxnOffsetCommit does.
    assert.equal((await call(25, 3, { transactionalId: 'h-k41', producerId, producerEpoch, groupId: '' })).errorCode, 0);
    const noGroup = await call(28, 3, { transactionalId: 'h-k41', groupId: '', producerId, producerEpoch, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    assert.equal(tcCode(noGroup), ErrorCode.INVALID_GROUP_ID);
    assert.equal((await call(26, 3, { transactionalId: 'h-k41', producerId, producerEpoch, committed: false })).errorCode, 0);

    // An unknown transactional id is described with the schema's defaults.
    const [missing] = (await call(65, 0, { transactionalIds: ['h-k41-none'] })).transactionStates;
    assert.deepEqual([missing.errorCode, missing.producerId, missing.producerEpoch, missing.transactionStartTimeMs], [ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, 0n, 0, 0n]);
    assert.equal((await call(65, 0, { transactionalIds: [''] })).transactionStates[0].errorCode, ErrorCode.INVALID_REQUEST);

    // Sequence and epoch errors carry the partition's log start offset (v5+).
    const idem = await call(22, 4, { transactionalId: null, transactionTimeoutMs: 0 });
    const gap = await call(0, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 't', partitionData: [{ index: 1, records: buildRecordBatch([{ key: null, value: Buffer.from('g') }], { producerId: idem.producerId, producerEpoch: 0, baseSequence: 0 }) }] }] });
    assert.equal(code(gap).errorCode, 0);
    const oos = await call(0, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 't', partitionData: [{ index: 1, records: buildRecordBatch([{ key: null, value: Buffer.from('g') }], { producerId: idem.producerId, producerEpoch: 0, baseSequence: 9 }) }] }] });
    assert.deepEqual([code(oos).errorCode, code(oos).logStartOffset], [ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, broker.broker.replicas.partition('t', 1)!.logStartOffset]);
  });
});
