// Idempotent producing: InitProducerId without a transactional id, Produce sequences at every
// version (duplicates, gaps, epochs, unknown producers), and the batches a producer's state keeps.
import { DescribeProducers, InitProducerId, Produce, type InitProducerIdResponse } from '../../../src/protocol/generated/index.js';
import type { AllowEntry, Session } from '../harness.js';
import { topicId } from './util.js';
import { fetchReq, fetchSettled, initIdempotent, newTopic, produce, produceReq, producersView, txnBatch } from './transactions-util.js';

export const sessions: Session[] = [
  {
    // InitProducerId without a transactional id: a new producer id at epoch 0 each time, at every
    // version, also when v3+ names the current producer id and epoch (KIP-360 applies only to
    // transactional ids on the broker: an idempotent producer gets a fresh id).
    name: 'txn-init-idempotent',
    async run(peer) {
      // Kafka answers COORDINATOR_LOAD_IN_PROGRESS until its first producer id block arrives.
      await initIdempotent(peer);
      let last: InitProducerIdResponse | undefined;
      for (const v of peer.versions(InitProducerId)) {
        last = await peer.call(InitProducerId, v, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }, { label: `InitProducerId idempotent v${v}` });
        if (v >= 3) await peer.call(InitProducerId, v, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: last.producerId, producerEpoch: last.producerEpoch }, { label: `InitProducerId idempotent with current id v${v}` });
      }
      // The timeout is not checked without a transactional id.
      await peer.call(InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 0, producerId: -1n, producerEpoch: -1 }, { label: 'InitProducerId idempotent timeout 0' });
    },
  },
  {
    // Idempotent produce sequences at every Produce version: duplicates answered with the
    // original offsets, gaps, an unknown producer id, epochs older and newer.
    name: 'txn-idempotent',
    async run(peer) {
      const versions = peer.versions(Produce).filter((v) => v >= 3);
      const topic = 'txn-idempotent';
      await newTopic(peer, topic, versions.length);
      for (const [i, v] of versions.entries()) {
        const p = await initIdempotent(peer);
        const call = (label: string, bytes: Buffer) => peer.call(Produce, v, produceReq(topic, i, bytes), { label: `Produce ${label} v${v}` });
        await call('first seq 0', txnBatch(p, 3, 0, 'a', false));
        await call('duplicate of first', txnBatch(p, 3, 0, 'a', false));
        await call('second seq 3', txnBatch(p, 2, 3, 'b', false));
        await call('duplicate of first after second', txnBatch(p, 3, 0, 'a', false));
        await call('duplicate of second', txnBatch(p, 2, 3, 'b', false));
        await call('gap seq 10', txnBatch(p, 1, 10, 'c', false));
        await call('overlapping seq 4', txnBatch(p, 2, 4, 'c', false));
        await call('next seq 5', txnBatch(p, 1, 5, 'c', false));
        await call('new epoch seq 0', txnBatch({ ...p, producerEpoch: p.producerEpoch + 1 }, 1, 0, 'd', false));
        await call('old epoch', txnBatch(p, 1, 6, 'e', false));
        await call('new epoch seq 3', txnBatch({ ...p, producerEpoch: p.producerEpoch + 3 }, 1, 3, 'f', false));
        await call('unknown producer seq 0', txnBatch({ ...p, producerId: p.producerId + 5000n }, 1, 0, 'g', false));
        await call('unknown producer seq 7', txnBatch({ ...p, producerId: p.producerId + 6000n }, 1, 7, 'h', false));
        await call('sequence wraps', txnBatch({ ...p, producerId: p.producerId + 7000n }, 2, 0x7fffffff, 'i', false));
      }
      // Kafka keeps the last 5 batches of a producer: a duplicate of an older one is out of order.
      const p = await initIdempotent(peer);
      for (let i = 0; i < 7; i++) await produce(peer, topic, 0, txnBatch(p, 1, i, 'old', false));
      await peer.call(Produce, 9, produceReq(topic, 0, txnBatch(p, 1, 2, 'old', false)), { label: 'Produce duplicate of the 5th last batch' });
      await peer.call(Produce, 9, produceReq(topic, 0, txnBatch(p, 1, 1, 'old', false)), { label: 'Produce duplicate of the 6th last batch' });
      await peer.call(Produce, 9, produceReq(topic, 0, txnBatch(p, 1, 6, 'old', false), null, 1), { label: 'Produce duplicate of the last batch, acks=1' });
      const id = await topicId(peer, topic);
      const last = versions.length - 1;
      await fetchSettled(peer, 12, fetchReq(12, topic, id, last, 0), 'Fetch the last partition');
      await peer.call(DescribeProducers, 0, { topics: [{ name: topic, partitionIndexes: [last] }] }, { label: 'DescribeProducers the last partition', view: producersView });
    },
  },
];

export const allow: AllowEntry[] = [];
