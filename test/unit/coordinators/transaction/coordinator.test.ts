// The transaction coordinator's state machine on a virtual clock and in-memory logs:
// InitProducerId (ids, epoch bumps, fencing an ongoing transaction, KIP-360 expected epoch),
// AddPartitions / verification, EndTxn with markers, timeouts, replay after a restart
// (prepared transactions completed), Describe/List, and Java String.hashCode partitioning.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MockTime } from '../../../../src/util/time.js';
import { createLogger } from '../../../../src/util/logger.js';
import { TransactionCoordinator, TxnErrors, type TransactionCoordinatorOptions, TxnState, partitionForTransactionalId, decodeTxnRecord, type TopicPartition } from '../../../../src/coordinators/transaction/coordinator.js';
import { decodeRecordBatches } from '../../../../src/protocol/records/index.js';
import { MemoryLog } from '../helpers.js';

interface Marker {
  producerId: bigint;
  producerEpoch: number;
  commit: boolean;
  partitions: TopicPartition[];
}

function harness(shared?: { logs: Map<number, MemoryLog>; time: MockTime; nextId: { n: bigint } }, extra: Partial<TransactionCoordinatorOptions> = {}) {
  const time = shared?.time ?? new MockTime();
  const logs = shared?.logs ?? new Map<number, MemoryLog>();
  const nextId = shared?.nextId ?? { n: 1000n };
  let created = logs.size > 0;
  const markers: Marker[] = [];
  /** The coordinator epoch each marker write carried. */
  const coordinatorEpochs: number[] = [];
  let markerFailure: Error | undefined;
  const coordinator = new TransactionCoordinator({
    time,
    logger: createLogger('silent'),
    numPartitions: 3,
    maxTimeoutMs: 60_000,
    abortCheckIntervalMs: 1000,
    transactionalIdExpirationMs: 3_600_000,
    topic: {
      partitions: () => (created ? 3 : undefined),
      async create() {
        created = true;
        for (let p = 0; p < 3; p++) logs.set(p, new MemoryLog());
      },
      log: (p) => logs.get(p),
    },
    generateProducerId: async () => nextId.n++,
    async writeMarkers(producerId, producerEpoch, commit, partitions, coordinatorEpoch) {
      if (markerFailure) throw markerFailure;
      markers.push({ producerId, producerEpoch, commit, partitions });
      coordinatorEpochs.push(coordinatorEpoch);
    },
    partitionExists: (topic) => topic !== 'missing',
    errorCode: () => -1,
    ...extra,
  });
  coordinator.startup();
  return { coordinator, time, logs, markers, coordinatorEpochs, nextId, failMarkers: (e: Error | undefined) => (markerFailure = e) };
}

const tp = (topic: string, partition: number): TopicPartition => ({ topic, partition });

describe('transaction coordinator', () => {
  test('partitioning follows Utils.abs(String.hashCode) % partitions', () => {
    // "txn".hashCode() = 115_306; Integer.MIN_VALUE maps to 0.
    assert.equal(partitionForTransactionalId('txn', 50), 115_306 % 50);
    assert.equal(partitionForTransactionalId('polygenelubricants', 50), 0); // hashCode is Integer.MIN_VALUE
  });

  test('InitProducerId: idempotent producers get fresh ids; transactional ones keep their id and bump the epoch', async () => {
    const { coordinator } = harness();
    const a = await coordinator.initProducerId(null, 0);
    const b = await coordinator.initProducerId(null, 0);
    assert.equal(a.errorCode, 0);
    assert.notEqual(a.producerId, b.producerId);
    const t1 = await coordinator.initProducerId('tx', 10_000);
    const t2 = await coordinator.initProducerId('tx', 10_000);
    assert.equal(t1.producerId, t2.producerId);
    assert.equal(t2.producerEpoch, t1.producerEpoch + 1);
    assert.equal((await coordinator.initProducerId('tx', 0)).errorCode, TxnErrors.INVALID_TRANSACTION_TIMEOUT);
    assert.equal((await coordinator.initProducerId('tx', 60_001)).errorCode, TxnErrors.INVALID_TRANSACTION_TIMEOUT);
    assert.equal((await coordinator.initProducerId('', 1000)).errorCode, TxnErrors.INVALID_REQUEST);
    // KIP-360: a producer naming an epoch that is not the current one is fenced.
    assert.equal((await coordinator.initProducerId('tx', 10_000, { producerId: t1.producerId, producerEpoch: t1.producerEpoch })).errorCode, TxnErrors.PRODUCER_FENCED);
    const t3 = await coordinator.initProducerId('tx', 10_000, { producerId: t2.producerId, producerEpoch: t2.producerEpoch });
    assert.equal(t3.producerEpoch, t2.producerEpoch + 1);
  });

  test('KIP-890 verification of an id coordinated elsewhere is asked there; one sent here (localOnly) is answered from here', async () => {
    const asked: string[] = [];
    let coordinatedElsewhere = false;
    const { coordinator } = harness(undefined, {
      verifyElsewhere: (id, _pid, _epoch, partitions) => {
        if (!coordinatedElsewhere) return undefined;
        asked.push(id);
        return Promise.resolve(new Map(partitions.map((x) => [`${x.topic}\u0000${x.partition}`, TxnErrors.NONE])));
      },
    });
    const { producerId, producerEpoch } = await coordinator.initProducerId('t', 10_000);
    assert.deepEqual([...(await coordinator.verifyPartitions('t', producerId, producerEpoch, [tp('a', 0)])).values()], [TxnErrors.TRANSACTION_ABORTABLE]);
    coordinatedElsewhere = true;
    assert.deepEqual([...(await coordinator.verifyPartitions('t', producerId, producerEpoch, [tp('a', 0)])).values()], [TxnErrors.NONE]);
    assert.deepEqual(asked, ['t']);
    assert.deepEqual([...(await coordinator.verifyPartitions('t', producerId, producerEpoch, [tp('a', 0)], true)).values()], [TxnErrors.TRANSACTION_ABORTABLE]);
    assert.deepEqual(asked, ['t']);
  });

  test('a transaction: Empty → Ongoing → markers → CompleteCommit; the old epoch is fenced', async () => {
    const { coordinator, markers } = harness();
    const { producerId, producerEpoch } = await coordinator.initProducerId('t', 10_000);
    const added = await coordinator.addPartitions('t', producerId, producerEpoch, [tp('a', 0), tp('a', 1)]);
    assert.deepEqual([...added.values()], [0, 0]);
    assert.equal(coordinator.metadata('t')!.state, TxnState.Ongoing);
    assert.deepEqual([...(await coordinator.verifyPartitions('t', producerId, producerEpoch, [tp('a', 0), tp('b', 0)])).values()], [0, TxnErrors.TRANSACTION_ABORTABLE]);
    assert.deepEqual([...(await coordinator.addPartitions('t', producerId, producerEpoch - 1, [tp('a', 0)])).values()], [TxnErrors.PRODUCER_FENCED]);
    assert.deepEqual([...(await coordinator.addPartitions('t', producerId + 1n, producerEpoch, [tp('a', 0)])).values()], [TxnErrors.INVALID_PRODUCER_ID_MAPPING]);
    const unknown = await coordinator.addPartitions('t', producerId, producerEpoch, [tp('missing', 0), tp('a', 2)]);
    assert.deepEqual([...unknown.values()], [TxnErrors.UNKNOWN_TOPIC_OR_PARTITION, TxnErrors.OPERATION_NOT_ATTEMPTED]);
    assert.equal(await coordinator.endTxn('t', producerId, producerEpoch, true), 0);
    assert.equal(coordinator.metadata('t')!.state, TxnState.CompleteCommit);
    assert.deepEqual(markers, [{ producerId, producerEpoch, commit: true, partitions: [tp('a', 0), tp('a', 1)] }]);
    // A retried commit is fine, an abort now is not.
    assert.equal(await coordinator.endTxn('t', producerId, producerEpoch, true), 0);
    assert.equal(await coordinator.endTxn('t', producerId, producerEpoch, false), TxnErrors.INVALID_TXN_STATE);
    assert.equal(await coordinator.endTxn('unknown', producerId, producerEpoch, false), TxnErrors.INVALID_PRODUCER_ID_MAPPING);
  });

  test('a new holder of the transactional id aborts the ongoing transaction with a bumped epoch', async () => {
    const { coordinator, markers } = harness();
    const old = await coordinator.initProducerId('z', 10_000);
    await coordinator.addPartitions('z', old.producerId, old.producerEpoch, [tp('a', 0)]);
    // As Kafka: the ongoing transaction is aborted (epoch bumped) and the caller told to retry.
    assert.equal((await coordinator.initProducerId('z', 10_000)).errorCode, TxnErrors.CONCURRENT_TRANSACTIONS);
    assert.equal(coordinator.metadata('z')!.state, TxnState.CompleteAbort);
    const fresh = await coordinator.initProducerId('z', 10_000);
    assert.equal(fresh.errorCode, 0);
    assert.equal(fresh.producerEpoch, old.producerEpoch + 2);
    assert.equal(markers.length, 1);
    assert.equal(markers[0]!.commit, false);
    assert.equal(markers[0]!.producerEpoch, old.producerEpoch + 1);
    assert.equal(await coordinator.endTxn('z', old.producerId, old.producerEpoch, true), TxnErrors.PRODUCER_FENCED);
  });

  test('transactions older than their timeout are aborted and the producer fenced', async () => {
    const { coordinator, time, markers } = harness();
    const p = await coordinator.initProducerId('slow', 5_000);
    await coordinator.addPartitions('slow', p.producerId, p.producerEpoch, [tp('a', 0)]);
    await time.advance(4_000);
    assert.equal(markers.length, 0);
    await time.advance(2_000);
    await coordinator.idle();
    assert.equal(markers.length, 1);
    assert.equal(markers[0]!.commit, false);
    assert.equal(coordinator.metadata('slow')!.state, TxnState.CompleteAbort);
    assert.equal(await coordinator.endTxn('slow', p.producerId, p.producerEpoch, true), TxnErrors.PRODUCER_FENCED);
    // KIP-360: the fenced producer recovers by naming its epoch; it gets the bumped one, once.
    const recovered = await coordinator.initProducerId('slow', 5_000, { producerId: p.producerId, producerEpoch: p.producerEpoch });
    assert.deepEqual([recovered.errorCode, recovered.producerId, recovered.producerEpoch], [0, p.producerId, p.producerEpoch + 1]);
    const again = await coordinator.initProducerId('slow', 5_000, { producerId: p.producerId, producerEpoch: p.producerEpoch });
    assert.deepEqual([again.errorCode, again.producerEpoch], [0, p.producerEpoch + 1]);
    // A new holder forgets the old epoch: it is fenced from then on.
    await coordinator.initProducerId('slow', 5_000);
    assert.equal((await coordinator.initProducerId('slow', 5_000, { producerId: p.producerId, producerEpoch: p.producerEpoch })).errorCode, TxnErrors.PRODUCER_FENCED);
  });

  test('markers that cannot be written leave the transaction prepared; a restart completes it from the log', async () => {
    const h = harness();
    const p = await h.coordinator.initProducerId('r', 10_000);
    await h.coordinator.addPartitions('r', p.producerId, p.producerEpoch, [tp('a', 0)]);
    h.failMarkers(new Error('disk'));
    assert.equal(await h.coordinator.endTxn('r', p.producerId, p.producerEpoch, true), -1);
    assert.equal(h.coordinator.metadata('r')!.state, TxnState.PrepareCommit);
    await h.coordinator.shutdown();
    // The records in __transaction_state are Kafka's TransactionLogKey/Value.
    const records = [...h.logs.values()].flatMap((l) => decodeRecordBatches(Buffer.concat(l.batches)).flatMap((b) => b.records));
    const states = records.map((r) => decodeTxnRecord(r.key!, r.value)!.value!.state);
    assert.deepEqual(states, [TxnState.Empty, TxnState.Ongoing, TxnState.PrepareCommit]);

    const again = harness({ logs: h.logs, time: h.time, nextId: h.nextId });
    await again.coordinator.loaded();
    await again.coordinator.idle();
    assert.equal(again.markers.length, 1);
    assert.equal(again.markers[0]!.commit, true);
    assert.equal(again.coordinator.metadata('r')!.state, TxnState.CompleteCommit);
    // Ids are not reused.
    const next = await again.coordinator.initProducerId(null, 0);
    assert.ok(next.producerId > p.producerId);
  });

  test('an ongoing transaction survives a restart and is aborted on its timeout', async () => {
    const h = harness();
    const p = await h.coordinator.initProducerId('o', 3_000);
    await h.coordinator.addPartitions('o', p.producerId, p.producerEpoch, [tp('a', 1)]);
    await h.coordinator.shutdown();
    const again = harness({ logs: h.logs, time: h.time, nextId: h.nextId });
    await again.coordinator.loaded();
    assert.equal(again.coordinator.metadata('o')!.state, TxnState.Ongoing);
    await again.time.advance(5_000);
    await again.coordinator.idle();
    assert.equal(again.coordinator.metadata('o')!.state, TxnState.CompleteAbort);
    assert.deepEqual(again.markers.map((m) => [m.commit, m.partitions]), [[false, [tp('a', 1)]]]);
  });

  test('transactional.id.expiration.ms: idle ids without a transaction are removed with a tombstone; recently used ones stay', async () => {
    const h = harness();
    const idle = await h.coordinator.initProducerId('idle', 10_000);
    const busy = await h.coordinator.initProducerId('busy', 60_000);
    await h.coordinator.addPartitions('busy', busy.producerId, busy.producerEpoch, [tp('a', 0)]);
    await h.time.advance(3_600_000);
    await h.coordinator.idle();
    assert.equal(h.coordinator.metadata('idle'), undefined);
    assert.ok(h.coordinator.metadata('busy'));
    assert.equal((await h.coordinator.endTxn('idle', idle.producerId, idle.producerEpoch, true)), TxnErrors.INVALID_PRODUCER_ID_MAPPING);
    await h.coordinator.shutdown();
    const again = harness({ logs: h.logs, time: h.time, nextId: h.nextId });
    await again.coordinator.loaded();
    assert.equal(again.coordinator.metadata('idle'), undefined, 'the tombstone is replayed');
  });

  test('DescribeTransactions and ListTransactions', async () => {
    const { coordinator, time } = harness();
    const p = await coordinator.initProducerId('d', 10_000);
    await coordinator.addPartitions('d', p.producerId, p.producerEpoch, [tp('x', 0), tp('x', 3), tp('y', 1)]);
    await coordinator.initProducerId('e', 10_000);
    const [d, missing] = await coordinator.describe(['d', 'nope']);
    assert.equal(d!.transactionState, 'Ongoing');
    assert.deepEqual(d!.topics, [{ topic: 'x', partitions: [0, 3] }, { topic: 'y', partitions: [1] }]);
    assert.equal(missing!.errorCode, TxnErrors.TRANSACTIONAL_ID_NOT_FOUND);
    assert.deepEqual(coordinator.list(['Ongoing'], [], -1n).transactionStates.map((t) => t.transactionalId), ['d']);
    assert.equal(coordinator.list([], [], -1n).transactionStates.length, 2);
    // KIP-994 as Kafka filters: in any state, longer than the filter since the transaction
    // started; an Empty id (start -1) always passes.
    assert.deepEqual(coordinator.list([], [], 5_000n).transactionStates.map((t) => t.transactionalId), ['e']);
    await time.advance(6_000);
    assert.deepEqual(coordinator.list([], [p.producerId], 5_000n).transactionStates.map((t) => t.transactionalId), ['d']);
  });

  test('resignation drops the partition\'s state and refuses its operations; re-elected, it replays the log and completes what was prepared, with the new coordinator epoch', async () => {
    const h = harness();
    const done = await h.coordinator.initProducerId('moved', 10_000);
    await h.coordinator.addPartitions('moved', done.producerId, done.producerEpoch, [tp('a', 0)]);
    assert.equal(await h.coordinator.endTxn('moved', done.producerId, done.producerEpoch, true), 0);
    assert.deepEqual(h.coordinatorEpochs, [0], 'one node: markers carry coordinator epoch 0');
    const p = await h.coordinator.initProducerId('moved', 10_000);
    await h.coordinator.addPartitions('moved', p.producerId, p.producerEpoch, [tp('a', 1)]);
    h.failMarkers(new Error('disk'));
    assert.equal(await h.coordinator.endTxn('moved', p.producerId, p.producerEpoch, false), -1);
    const partition = h.coordinator.partitionFor('moved');

    await h.coordinator.onResignation(partition, 5);
    assert.equal(h.coordinator.metadata('moved'), undefined, 'the state is dropped');
    assert.equal(await h.coordinator.endTxn('moved', p.producerId, p.producerEpoch, false), TxnErrors.NOT_COORDINATOR);
    assert.equal((await h.coordinator.initProducerId('moved', 10_000)).errorCode, TxnErrors.NOT_COORDINATOR);
    assert.equal((await h.coordinator.describe(['moved']))[0]!.errorCode, TxnErrors.NOT_COORDINATOR);
    // Its abort check no longer runs: an ongoing transaction elsewhere would have timed out.
    await h.time.advance(20_000);
    assert.equal(h.markers.length, 1);

    h.failMarkers(undefined);
    h.coordinator.onElection(partition, 6);
    await h.coordinator.loaded();
    await h.coordinator.idle();
    assert.equal(h.coordinator.metadata('moved')!.state, TxnState.CompleteAbort);
    assert.deepEqual(h.markers.map((m) => [m.commit, m.partitions]), [[true, [tp('a', 0)]], [false, [tp('a', 1)]]]);
    assert.deepEqual(h.coordinatorEpochs, [0, 6]);
  });
});
