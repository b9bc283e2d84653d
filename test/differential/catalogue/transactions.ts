// Transactional producing: InitProducerId with a transactional id, AddPartitionsToTxn,
// AddOffsetsToTxn, EndTxn, WriteTxnMarkers, TxnOffsetCommit, DescribeProducers,
// DescribeTransactions, ListTransactions, fencing and read_committed Fetch (idempotent producing
// without a transactional id: idempotence.ts).
//
// Apache Kafka 4.1 formats new clusters with transaction.version=2 (KIP-890 part 2), which a
// client opts into with EndTxn v5+ / Produce v12+. Samsa serves neither (it implements the
// transaction protocol of Kafka 3.x), so the versions both serve (EndTxn v0-4, Produce v3-11)
// are the pre-TV2 protocol on both sides: no epoch bump per transaction, no implicit partition
// adds on produce.
import {
  AddOffsetsToTxn,
  AddPartitionsToTxn,
  DescribeProducers,
  DescribeTransactions,
  EndTxn,
  Fetch,
  InitProducerId,
  JoinGroup,
  ListOffsets,
  ListTransactions,
  OffsetFetch,
  Produce,
  SyncGroup,
  TxnOffsetCommit,
  WriteTxnMarkers,
  type AddPartitionsToTxnRequest,
} from '../../../src/protocol/generated/index.js';
import { partitionForGroup } from '../../../src/coordinators/group/records.js';
import type { AllowEntry, Session } from '../harness.js';
import { batch, records, topicId } from './util.js';
import {
  addQuiet,
  addReq,
  describeView,
  endQuiet,
  fetchReq,
  fetchSettled,
  groupReady,
  initIdempotent,
  initTxn,
  newTopic,
  produce,
  produceReq,
  producersView,
  txnBatch,
  txnReady,
  waitComplete,
  type Producer,
} from './transactions-util.js';

export const sessions: Session[] = [
  {
    // InitProducerId with a transactional id at every version: the epoch bumps on each call
    // (fencing the previous holder), KIP-360 re-init with the current id/epoch, a stale epoch,
    // invalid timeouts, the empty id.
    name: 'txn-init-transactional',
    async run(peer) {
      for (const v of peer.versions(InitProducerId)) {
        const id = `txn-init-transactional-v${v}`;
        if (v === peer.versions(InitProducerId)[0]) await newTopic(peer, 'txn-init-transactional', 1);
        await txnReady(peer, id);
        const first = await peer.call(InitProducerId, v, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }, { label: `InitProducerId first v${v}` });
        const second = await peer.call(InitProducerId, v, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }, { label: `InitProducerId again v${v}` });
        // The first holder is fenced: its epoch is older than the coordinator's.
        await peer.call(AddPartitionsToTxn, Math.min(v, 3), addReq({ transactionalId: id, ...first }, [{ name: 'txn-init-transactional', partitions: [0] }], Math.min(v, 3)), { label: `AddPartitionsToTxn fenced epoch after v${v}` });
        if (v >= 3) {
          const bumped = await peer.call(InitProducerId, v, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: second.producerId, producerEpoch: second.producerEpoch }, { label: `InitProducerId KIP-360 current v${v}` });
          await peer.call(InitProducerId, v, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: first.producerId, producerEpoch: first.producerEpoch }, { label: `InitProducerId KIP-360 stale epoch v${v}` });
          await peer.call(InitProducerId, v, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: bumped.producerId + 1000n, producerEpoch: 0 }, { label: `InitProducerId KIP-360 other producer id v${v}` });
        }
        await peer.call(InitProducerId, v, { transactionalId: id, transactionTimeoutMs: 900_001, producerId: -1n, producerEpoch: -1 }, { label: `InitProducerId timeout above max v${v}` });
        await peer.call(InitProducerId, v, { transactionalId: id, transactionTimeoutMs: 0, producerId: -1n, producerEpoch: -1 }, { label: `InitProducerId timeout 0 v${v}` });
        await peer.call(InitProducerId, v, { transactionalId: id, transactionTimeoutMs: -1, producerId: -1n, producerEpoch: -1 }, { label: `InitProducerId timeout -1 v${v}` });
        await peer.call(InitProducerId, v, { transactionalId: id, transactionTimeoutMs: 900_000, producerId: -1n, producerEpoch: -1 }, { label: `InitProducerId timeout at max v${v}` });
      }
      await peer.call(InitProducerId, 4, { transactionalId: '', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }, { label: 'InitProducerId empty transactional id' });
      // The last accepted timeout is the transaction's.
      await peer.call(DescribeTransactions, 0, { transactionalIds: peer.versions(InitProducerId).map((v) => `txn-init-transactional-v${v}`) }, { label: 'DescribeTransactions after the inits', view: describeView });
      await peer.call(DescribeTransactions, 0, { transactionalIds: ['', 'txn-init-transactional-none'] }, { label: 'DescribeTransactions empty and unknown ids', view: describeView });
      const mine = (res: any) => ({ ...res, transactionStates: res.transactionStates.filter((s: any) => s.transactionalId.startsWith('txn-init-transactional-')) });
      await peer.call(ListTransactions, 1, { stateFilters: ['Empty'], producerIdFilters: [], durationFilter: -1n }, { label: 'ListTransactions Empty', view: mine });
      await peer.call(ListTransactions, 1, { stateFilters: [], producerIdFilters: [123456789n], durationFilter: -1n }, { label: 'ListTransactions unknown producer id', view: mine });
    },
  },
  {
    // The transaction state machine out of order, at every AddPartitionsToTxn and EndTxn version.
    name: 'txn-state-machine',
    async run(peer) {
      await newTopic(peer, 'txn-state-machine', 2);
      const tp = [{ name: 'txn-state-machine', partitions: [0, 1] }];
      // Before InitProducerId: the coordinator does not know the id.
      const ghost: Producer = { transactionalId: 'txn-state-machine-ghost', producerId: 4242n, producerEpoch: 0 };
      await txnReady(peer, ghost.transactionalId!);
      for (const v of peer.versions(AddPartitionsToTxn)) await peer.call(AddPartitionsToTxn, v, addReq(ghost, tp, v), { label: `AddPartitionsToTxn before InitProducerId v${v}` });
      for (const v of peer.versions(EndTxn)) await peer.call(EndTxn, v, { transactionalId: ghost.transactionalId!, producerId: ghost.producerId, producerEpoch: 0, committed: true }, { label: `EndTxn before InitProducerId v${v}` });
      for (const v of peer.versions(AddOffsetsToTxn)) await peer.call(AddOffsetsToTxn, v, { transactionalId: ghost.transactionalId!, producerId: ghost.producerId, producerEpoch: 0, groupId: 'txn-state-machine-g' }, { label: `AddOffsetsToTxn before InitProducerId v${v}` });

      for (const v of peer.versions(AddPartitionsToTxn)) {
        const id = `txn-state-machine-a${v}`;
        const p = await initTxn(peer, id);
        // EndTxn with no transaction.
        const ev = Math.min(v, Math.max(...peer.versions(EndTxn)));
        await peer.call(EndTxn, ev, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, committed: true }, { label: `EndTxn commit, no transaction (a${v}) v${ev}` });
        await peer.call(EndTxn, ev, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, committed: false }, { label: `EndTxn abort, no transaction (a${v}) v${ev}` });
        // Unknown topic, and an unknown partition of a known topic, with a known one.
        await peer.call(AddPartitionsToTxn, v, addReq(p, [{ name: 'txn-state-machine', partitions: [0] }, { name: 'txn-state-machine-nope', partitions: [0] }], v), { label: `AddPartitionsToTxn unknown topic v${v}` });
        await peer.call(AddPartitionsToTxn, v, addReq(p, [{ name: 'txn-state-machine', partitions: [0, 7] }], v), { label: `AddPartitionsToTxn unknown partition v${v}` });
        // Wrong producer id, wrong epoch.
        await peer.call(AddPartitionsToTxn, v, addReq({ ...p, producerId: p.producerId + 1000n }, tp, v), { label: `AddPartitionsToTxn wrong producer id v${v}` });
        await peer.call(AddPartitionsToTxn, v, addReq({ ...p, producerEpoch: p.producerEpoch + 1 }, tp, v), { label: `AddPartitionsToTxn future epoch v${v}` });
        if (v >= 4) {
          // KIP-890 part 1: verifyOnly before the partitions are added.
          await peer.call(AddPartitionsToTxn, v, addReq(p, tp, v, true), { label: `AddPartitionsToTxn verifyOnly, not added v${v}` });
        }
        await peer.call(AddPartitionsToTxn, v, addReq(p, tp, v), { label: `AddPartitionsToTxn v${v}` });
        await peer.call(AddPartitionsToTxn, v, addReq(p, tp, v), { label: `AddPartitionsToTxn again v${v}` });
        if (v >= 4) await peer.call(AddPartitionsToTxn, v, addReq(p, [{ name: 'txn-state-machine', partitions: [0] }], v, true), { label: `AddPartitionsToTxn verifyOnly, added v${v}` });
        await peer.call(Produce, 9, produceReq('txn-state-machine', 0, txnBatch(p, 2, 0, `a${v}`), id), { label: `Produce transactional (a${v})` });
        await peer.call(DescribeTransactions, 0, { transactionalIds: [id] }, { label: `DescribeTransactions ongoing (a${v})`, view: describeView });
        // Commit, then the same commit again (a retry), then abort: INVALID_TXN_STATE.
        const commit = await peer.attempt(EndTxn, ev, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, committed: v % 2 === 0 }, { label: `EndTxn (a${v}) v${ev}` });
        if (typeof commit === 'string') continue;
        await waitComplete(peer, id);
        await peer.call(DescribeTransactions, 0, { transactionalIds: [id] }, { label: `DescribeTransactions complete (a${v})`, view: describeView });
        await peer.call(EndTxn, ev, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, committed: v % 2 === 0 }, { label: `EndTxn retried (a${v}) v${ev}` });
        await peer.call(EndTxn, ev, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, committed: v % 2 !== 0 }, { label: `EndTxn opposite after completion (a${v}) v${ev}` });
        await peer.call(EndTxn, ev, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch - 1, committed: true }, { label: `EndTxn stale epoch (a${v}) v${ev}` });
      }
      // The internal topics: AddPartitionsToTxn of __consumer_offsets / __transaction_state partitions.
      {
        const p = await initTxn(peer, 'txn-state-machine-internal');
        await peer.call(AddPartitionsToTxn, 3, addReq(p, [{ name: '__consumer_offsets', partitions: [0] }], 3), { label: 'AddPartitionsToTxn __consumer_offsets' });
        await peer.call(AddPartitionsToTxn, 3, addReq(p, [{ name: '__transaction_state', partitions: [0] }], 3), { label: 'AddPartitionsToTxn __transaction_state' });
        await peer.call(DescribeTransactions, 0, { transactionalIds: [p.transactionalId!] }, { label: 'DescribeTransactions with internal partitions', view: describeView });
        await peer.call(EndTxn, 3, { transactionalId: p.transactionalId!, producerId: p.producerId, producerEpoch: p.producerEpoch, committed: false }, { label: 'EndTxn abort with internal partitions' });
        await waitComplete(peer, p.transactionalId!);
      }
      // Every EndTxn version on a transaction of its own, alternating commit and abort.
      for (const v of peer.versions(EndTxn)) {
        const id = `txn-state-machine-e${v}`;
        const p = await initTxn(peer, id);
        await addQuiet(peer, p, 'txn-state-machine', [1]);
        await peer.call(EndTxn, v, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch + 1, committed: true }, { label: `EndTxn future epoch v${v}` });
        await peer.call(EndTxn, v, { transactionalId: id, producerId: p.producerId + 1000n, producerEpoch: p.producerEpoch, committed: true }, { label: `EndTxn wrong producer id v${v}` });
        await peer.call(EndTxn, v, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, committed: v % 2 === 1 }, { label: `EndTxn v${v}` });
        await waitComplete(peer, id);
        await peer.call(DescribeTransactions, 0, { transactionalIds: [id] }, { label: `DescribeTransactions after EndTxn v${v}`, view: describeView });
      }
    },
  },
  {
    // Transactional produce: to a partition not added to the transaction (KIP-890 part 1
    // verification), with a transactional id that does not match, then after adding it.
    name: 'txn-produce',
    async run(peer) {
      await newTopic(peer, 'txn-produce', 1);
      const id = 'txn-produce';
      const p = await initTxn(peer, id);
      for (const v of peer.versions(Produce).filter((x) => x >= 3)) {
        await peer.call(Produce, v, produceReq('txn-produce', 0, txnBatch(p, 1, 0, `n${v}`), id), { label: `Produce transactional, partition not added v${v}` });
      }
      await peer.call(Produce, 9, produceReq('txn-produce', 0, txnBatch(p, 1, 0, 'x'), null), { label: 'Produce transactional batch without transactional id' });
      await peer.call(Produce, 9, produceReq('txn-produce', 0, txnBatch(p, 1, 0, 'x'), 'txn-produce-other'), { label: 'Produce transactional batch, other transactional id' });
      await peer.call(Produce, 9, produceReq('txn-produce', 0, txnBatch(p, 1, 0, 'x', false), id), { label: 'Produce idempotent batch with transactional id' });
      await addQuiet(peer, p, 'txn-produce', [0]);
      await peer.call(Produce, 9, produceReq('txn-produce', 0, txnBatch(p, 2, 0, 'a'), id), { label: 'Produce transactional, partition added' });
      await peer.call(Produce, 9, produceReq('txn-produce', 0, txnBatch(p, 2, 2, 'b'), id), { label: 'Produce transactional, next sequence' });
      await peer.call(Produce, 9, produceReq('txn-produce', 0, txnBatch({ ...p, producerEpoch: p.producerEpoch + 1 }, 1, 0, 'c'), id), { label: 'Produce transactional, future epoch' });
      await peer.call(DescribeProducers, 0, { topics: [{ name: 'txn-produce', partitionIndexes: [0] }] }, { view: producersView });
      await endQuiet(peer, p, true);
      // The next transaction's first write to a partition that was in the previous one.
      await peer.call(Produce, 9, produceReq('txn-produce', 0, txnBatch(p, 1, 4, 'd'), id), { label: 'Produce transactional, after commit, not added' });
    },
  },
  {
    // read_committed Fetch after a commit, an abort, and with a transaction still open: the last
    // stable offset and the aborted transactions, at every Fetch version; DescribeProducers;
    // DescribeTransactions and ListTransactions with their filters.
    name: 'txn-read-committed',
    async run(peer) {
      const topic = 'txn-read-committed';
      await newTopic(peer, topic, 1);
      const p = await initTxn(peer, 'txn-read-committed-a');
      const q = await initTxn(peer, 'txn-read-committed-b');
      const idem = await initIdempotent(peer);
      await produce(peer, topic, 0, batch(records(2, 'plain')));
      // committed
      await addQuiet(peer, p, topic, [0]);
      await produce(peer, topic, 0, txnBatch(p, 3, 0, 'c1'), p.transactionalId);
      await endQuiet(peer, p, true);
      await produce(peer, topic, 0, txnBatch(idem, 1, 0, 'idem', false));
      // aborted
      await addQuiet(peer, p, topic, [0]);
      await produce(peer, topic, 0, txnBatch(p, 2, 3, 'a1'), p.transactionalId);
      await endQuiet(peer, p, false);
      // one open (q), another committed after it started (p)
      await addQuiet(peer, q, topic, [0]);
      await produce(peer, topic, 0, txnBatch(q, 2, 0, 'open'), q.transactionalId);
      await addQuiet(peer, p, topic, [0]);
      await produce(peer, topic, 0, txnBatch(p, 1, 5, 'c2'), p.transactionalId);
      await endQuiet(peer, p, true);
      await produce(peer, topic, 0, batch(records(1, 'tail')));
      const id = await topicId(peer, topic);
      for (const v of peer.versions(Fetch)) {
        await fetchSettled(peer, v, fetchReq(v, topic, id, 0, 1), `Fetch read_committed, one open v${v}`);
        if (v === 4 || v === 12 || v === 17) await fetchSettled(peer, v, fetchReq(v, topic, id, 0, 0), `Fetch read_uncommitted, one open v${v}`);
      }
      await fetchSettled(peer, 12, fetchReq(12, topic, id, 0, 1, 9n), 'Fetch read_committed from the open transaction');
      // ListOffsets latest: the last stable offset for read_committed, the high watermark otherwise.
      for (const v of peer.versions(ListOffsets).filter((x) => x === 2 || x === 5 || x >= 7)) {
        for (const isolationLevel of [0, 1]) {
          await peer.call(ListOffsets, v, { replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }, { partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n, maxNumOffsets: 1 }].slice(0, 1) }] }, { label: `ListOffsets latest, isolation ${isolationLevel} v${v}` });
        }
      }
      await peer.call(DescribeProducers, 0, { topics: [{ name: topic, partitionIndexes: [0, 1] }, { name: 'txn-read-committed-nope', partitionIndexes: [0] }] }, { view: producersView });
      const mine = (res: any) => ({ ...res, transactionStates: res.transactionStates.filter((s: any) => s.transactionalId.startsWith('txn-read-committed-')) });
      for (const v of peer.versions(ListTransactions)) {
        await peer.call(ListTransactions, v, { stateFilters: [], producerIdFilters: [], durationFilter: -1n }, { label: `ListTransactions all v${v}`, view: mine });
        await peer.call(ListTransactions, v, { stateFilters: ['Ongoing'], producerIdFilters: [], durationFilter: -1n }, { label: `ListTransactions Ongoing v${v}`, view: mine });
        await peer.call(ListTransactions, v, { stateFilters: ['CompleteCommit', 'Bogus'], producerIdFilters: [], durationFilter: -1n }, { label: `ListTransactions CompleteCommit and unknown state v${v}`, view: mine });
        await peer.call(ListTransactions, v, { stateFilters: [], producerIdFilters: [p.producerId], durationFilter: -1n }, { label: `ListTransactions by producer id v${v}`, view: mine });
        await peer.call(ListTransactions, v, { stateFilters: ['Ongoing'], producerIdFilters: [p.producerId], durationFilter: -1n }, { label: `ListTransactions state and producer id v${v}`, view: mine });
        if (v >= 1) {
          await peer.call(ListTransactions, v, { stateFilters: [], producerIdFilters: [], durationFilter: 0n }, { label: `ListTransactions running at least 0 ms v${v}`, view: mine });
          await peer.call(ListTransactions, v, { stateFilters: [], producerIdFilters: [], durationFilter: 3_600_000n }, { label: `ListTransactions running at least an hour v${v}`, view: mine });
        }
      }
      await peer.call(DescribeTransactions, 0, { transactionalIds: ['txn-read-committed-a', 'txn-read-committed-b', 'txn-read-committed-unknown'] }, { view: describeView });
      await endQuiet(peer, q, false);
      for (const v of [4, 12, 17]) {
        if (peer.versions(Fetch).includes(v)) await fetchSettled(peer, v, fetchReq(v, topic, id, 0, 1), `Fetch read_committed, all ended v${v}`);
      }
      await peer.call(DescribeProducers, 0, { topics: [{ name: topic, partitionIndexes: [0] }] }, { label: 'DescribeProducers all ended', view: producersView });
      await peer.call(DescribeTransactions, 0, { transactionalIds: ['txn-read-committed-b'] }, { label: 'DescribeTransactions after abort', view: describeView });
    },
  },
  {
    // Offsets in a transaction: AddOffsetsToTxn, TxnOffsetCommit (every version), OffsetFetch
    // with requireStable while pending and after the commit/abort; member id and generation.
    name: 'txn-offsets',
    async run(peer) {
      const topic = 'txn-offsets';
      await newTopic(peer, topic, 2);
      const fetchOffsets = (group: string, label: string) =>
        peer.call(OffsetFetch, 8, { groupId: '', topics: [], requireStable: true, groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: [{ name: topic, partitionIndexes: [0, 1] }] }] }, { label });
      for (const v of peer.versions(TxnOffsetCommit)) {
        const av = Math.min(v, Math.max(...peer.versions(AddOffsetsToTxn)));
        const group = `txn-offsets-g${v}`;
        const id = `txn-offsets-t${v}`;
        const p = await initTxn(peer, id);
        await groupReady(peer, group);
        const commit = (label: string, q: Producer, offset: bigint, extra: { generationId?: number; memberId?: string; groupInstanceId?: string | null } = {}) =>
          peer.call(
            TxnOffsetCommit,
            v,
            {
              transactionalId: q.transactionalId!,
              groupId: group,
              producerId: q.producerId,
              producerEpoch: q.producerEpoch,
              generationId: extra.generationId ?? -1,
              memberId: extra.memberId ?? '',
              groupInstanceId: extra.groupInstanceId ?? null,
              topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: `m${v}` }, { partitionIndex: 1, committedOffset: offset + 1n, committedLeaderEpoch: -1, committedMetadata: null }] }],
            },
            { label: `TxnOffsetCommit ${label} v${v}` },
          );
        await commit('before AddOffsetsToTxn', p, 5n);
        await peer.call(AddOffsetsToTxn, av, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch + 1, groupId: group }, { label: `AddOffsetsToTxn future epoch v${av}` });
        await peer.call(AddOffsetsToTxn, av, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: group }, { label: `AddOffsetsToTxn v${av}` });
        await peer.call(AddOffsetsToTxn, av, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: group }, { label: `AddOffsetsToTxn again v${av}` });
        await commit('wrong epoch', { ...p, producerEpoch: p.producerEpoch + 1 }, 6n);
        await commit('', p, 10n);
        await peer.call(
          TxnOffsetCommit,
          v,
          {
            transactionalId: id,
            groupId: group,
            producerId: p.producerId,
            producerEpoch: p.producerEpoch,
            generationId: -1,
            memberId: '',
            groupInstanceId: null,
            topics: [
              { name: topic, partitions: [{ partitionIndex: 1, committedOffset: 20n, committedLeaderEpoch: -1, committedMetadata: null }, { partitionIndex: 9, committedOffset: 20n, committedLeaderEpoch: -1, committedMetadata: null }] },
              { name: 'txn-offsets-nope', partitions: [{ partitionIndex: 0, committedOffset: 20n, committedLeaderEpoch: -1, committedMetadata: null }] },
            ],
          },
          { label: `TxnOffsetCommit unknown topic and partition v${v}` },
        );
        if (v >= 3) await commit('unknown member of an empty group', p, 11n, { generationId: 3, memberId: 'nobody' });
        if (v >= 3) {
          // A group nothing has created yet, added to the transaction: a member and generation for it.
          const fresh = `txn-offsets-fresh${v}`;
          await groupReady(peer, fresh);
          await peer.quiet(AddOffsetsToTxn, av, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: fresh }, (r) => r.errorCode === 51);
          await peer.call(
            TxnOffsetCommit,
            v,
            { transactionalId: id, groupId: fresh, producerId: p.producerId, producerEpoch: p.producerEpoch, generationId: 1, memberId: 'm', groupInstanceId: null, topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }] },
            { label: `TxnOffsetCommit member of a group never created v${v}` },
          );
        }
        await fetchOffsets(group, `OffsetFetch requireStable, pending (t${v})`);
        if (v === 0) {
          await peer.call(OffsetFetch, 7, { groupId: group, topics: [{ name: topic, partitionIndexes: [0, 1] }], requireStable: true, groups: [] }, { label: 'OffsetFetch v7 requireStable, pending' });
          await peer.call(OffsetFetch, 7, { groupId: group, topics: [{ name: topic, partitionIndexes: [0, 1] }], requireStable: false, groups: [] }, { label: 'OffsetFetch v7 not requireStable, pending' });
        }
        await endQuiet(peer, p, v % 2 === 0);
        await peer.quiet(OffsetFetch, 8, { groupId: '', topics: [], requireStable: true, groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: [{ name: topic, partitionIndexes: [0, 1] }] }] }, (r) => r.groups[0]!.errorCode === 88 || r.groups[0]!.topics.some((t) => t.partitions.some((x) => x.errorCode === 88)));
        await fetchOffsets(group, `OffsetFetch requireStable, after ${v % 2 === 0 ? 'commit' : 'abort'} (t${v})`);
      }
      // AddOffsetsToTxn: every version, the empty group id.
      for (const v of peer.versions(AddOffsetsToTxn)) {
        const id = `txn-offsets-a${v}`;
        const p = await initTxn(peer, id);
        await peer.call(AddOffsetsToTxn, v, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: '' }, { label: `AddOffsetsToTxn empty group v${v}` });
        const tv = Math.min(v, Math.max(...peer.versions(TxnOffsetCommit)));
        await peer.call(
          TxnOffsetCommit,
          tv,
          { transactionalId: id, groupId: '', producerId: p.producerId, producerEpoch: p.producerEpoch, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }] },
          { label: `TxnOffsetCommit empty group v${tv}` },
        );
        await peer.call(AddOffsetsToTxn, v, { transactionalId: id, producerId: p.producerId + 1000n, producerEpoch: p.producerEpoch, groupId: `txn-offsets-ga${v}` }, { label: `AddOffsetsToTxn wrong producer id v${v}` });
      }
      // A group with a member: TxnOffsetCommit v3+ with its member id and generation, and wrong ones.
      const group = 'txn-offsets-member';
      await groupReady(peer, group);
      const join = (memberId: string) =>
        peer.quiet(JoinGroup, 5, { groupId: group, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId, groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], reason: null });
      const j1 = await join('');
      const j = await join(j1.memberId);
      await peer.quiet(SyncGroup, 3, { groupId: group, generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: j.memberId, assignment: Buffer.alloc(0) }] });
      const p = await initTxn(peer, 'txn-offsets-member');
      await peer.quiet(AddOffsetsToTxn, 3, { transactionalId: 'txn-offsets-member', producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: group }, (r) => r.errorCode === 51);
      const tocommit = (generationId: number, memberId: string, groupInstanceId: string | null = null) => ({
        transactionalId: 'txn-offsets-member',
        groupId: group,
        producerId: p.producerId,
        producerEpoch: p.producerEpoch,
        generationId,
        memberId,
        groupInstanceId,
        topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: -1, committedMetadata: null }] }],
      });
      for (const v of peer.versions(TxnOffsetCommit)) {
        if (v < 3) continue;
        await peer.call(TxnOffsetCommit, v, tocommit(j.generationId, j.memberId), { label: `TxnOffsetCommit member v${v}` });
        await peer.call(TxnOffsetCommit, v, tocommit(j.generationId + 1, j.memberId), { label: `TxnOffsetCommit member, wrong generation v${v}` });
        await peer.call(TxnOffsetCommit, v, tocommit(j.generationId, 'someone-else'), { label: `TxnOffsetCommit unknown member v${v}` });
        await peer.call(TxnOffsetCommit, v, tocommit(-1, ''), { label: `TxnOffsetCommit no member v${v}` });
        await peer.call(TxnOffsetCommit, v, tocommit(j.generationId, j.memberId, 'instance-x'), { label: `TxnOffsetCommit unknown instance id v${v}` });
      }
      await endQuiet(peer, p, true);
      await peer.quiet(OffsetFetch, 8, { groupId: '', topics: [], requireStable: true, groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: [{ name: topic, partitionIndexes: [0] }] }] }, (r) => r.groups[0]!.topics.some((t) => t.partitions.some((x) => x.errorCode === 88)));
      await fetchOffsets(group, 'OffsetFetch requireStable, member group after commit');
    },
  },
  {
    // Fencing: InitProducerId while a transaction is open (the coordinator aborts it), a
    // transaction that outlives its timeout (aborted by the coordinator, the producer fenced),
    // and what the fenced producer is answered, at every version.
    name: 'txn-fencing',
    async run(peer) {
      const topic = 'txn-fencing';
      await newTopic(peer, topic, 1);
      const id = await topicId(peer, topic);
      // Re-init with a transaction open.
      const p = await initTxn(peer, 'txn-fencing-reinit');
      await addQuiet(peer, p, topic, [0]);
      await produce(peer, topic, 0, txnBatch(p, 2, 0, 'open'), p.transactionalId);
      await peer.call(InitProducerId, 4, { transactionalId: p.transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }, { label: 'InitProducerId with a transaction open' });
      await waitComplete(peer, p.transactionalId!);
      await peer.call(DescribeTransactions, 0, { transactionalIds: [p.transactionalId!] }, { label: 'DescribeTransactions after re-init', view: describeView });
      const after = await peer.quiet(InitProducerId, 4, { transactionalId: p.transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }, (r) => r.errorCode === 51);
      peer.record('InitProducerId retried after re-init', { errorCode: after.errorCode, epochBump: after.producerEpoch - p.producerEpoch });
      for (const v of peer.versions(EndTxn)) await peer.call(EndTxn, v, { transactionalId: p.transactionalId!, producerId: p.producerId, producerEpoch: p.producerEpoch, committed: true }, { label: `EndTxn fenced by re-init v${v}` });
      for (const v of peer.versions(AddPartitionsToTxn)) await peer.call(AddPartitionsToTxn, v, addReq(p, [{ name: topic, partitions: [0] }], v), { label: `AddPartitionsToTxn fenced by re-init v${v}` });
      for (const v of peer.versions(AddOffsetsToTxn)) await peer.call(AddOffsetsToTxn, v, { transactionalId: p.transactionalId!, producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: 'txn-fencing-g' }, { label: `AddOffsetsToTxn fenced by re-init v${v}` });
      await peer.call(Produce, 9, produceReq(topic, 0, txnBatch(p, 1, 2, 'late'), p.transactionalId), { label: 'Produce fenced by re-init' });
      await fetchSettled(peer, 12, fetchReq(12, topic, id, 0, 1), 'Fetch read_committed after re-init');

      // A transaction older than its timeout: aborted by the coordinator (Kafka checks every 10 s).
      const q = await initTxn(peer, 'txn-fencing-timeout', 1_000);
      await addQuiet(peer, q, topic, [0]);
      await produce(peer, topic, 0, txnBatch(q, 1, 0, 'slow'), q.transactionalId);
      await peer.quiet(DescribeTransactions, 0, { transactionalIds: [q.transactionalId!] }, (r) => r.transactionStates[0]!.transactionState !== 'CompleteAbort', 60_000);
      await peer.call(DescribeTransactions, 0, { transactionalIds: [q.transactionalId!] }, { label: 'DescribeTransactions after the timeout', view: describeView });
      await peer.call(Produce, 9, produceReq(topic, 0, txnBatch(q, 1, 1, 'slow'), q.transactionalId), { label: 'Produce after the timeout' });
      for (const v of peer.versions(EndTxn)) await peer.call(EndTxn, v, { transactionalId: q.transactionalId!, producerId: q.producerId, producerEpoch: q.producerEpoch, committed: true }, { label: `EndTxn commit after the timeout v${v}` });
      await peer.call(EndTxn, 3, { transactionalId: q.transactionalId!, producerId: q.producerId, producerEpoch: q.producerEpoch, committed: false }, { label: 'EndTxn abort after the timeout' });
      await peer.call(InitProducerId, 4, { transactionalId: q.transactionalId, transactionTimeoutMs: 60_000, producerId: q.producerId, producerEpoch: q.producerEpoch }, { label: 'InitProducerId KIP-360 after the timeout' });
      await fetchSettled(peer, 12, fetchReq(12, topic, id, 0, 1), 'Fetch read_committed after the timeout');
      await peer.call(DescribeProducers, 0, { topics: [{ name: topic, partitionIndexes: [0] }] }, { label: 'DescribeProducers after the timeout', view: producersView });
    },
  },
  {
    // AddPartitionsToTxn v4+ (KIP-890 part 1, the broker-to-coordinator form): two transactions
    // in one request, verifyOnly and not, an unknown transactional id, a fenced epoch, an unknown
    // topic, none at all. Each on a connection of its own: Kafka does not answer some (below).
    name: 'txn-batched-add',
    async run(peer) {
      const topic = 'txn-batched-add';
      await newTopic(peer, topic, 2);
      const a = await initTxn(peer, 'txn-batched-add-a');
      const b = await initTxn(peer, 'txn-batched-add-b');
      const ghost: Producer = { transactionalId: 'txn-batched-add-ghost', producerId: 777n, producerEpoch: 0 };
      await txnReady(peer, ghost.transactionalId!);
      await addQuiet(peer, b, topic, [1]);
      const tx = (p: Producer, verifyOnly: boolean, partitions: number[], name = topic): AddPartitionsToTxnRequest.AddPartitionsToTxnTransaction => ({ transactionalId: p.transactionalId!, producerId: p.producerId, producerEpoch: p.producerEpoch, verifyOnly, topics: [{ name, partitions }] });
      for (const v of peer.versions(AddPartitionsToTxn)) {
        if (v < 4) continue;
        const req = (transactions: AddPartitionsToTxnRequest.AddPartitionsToTxnTransaction[]): AddPartitionsToTxnRequest => ({ transactions, v3AndBelowTransactionalId: '', v3AndBelowProducerId: 0n, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [] });
        const attempt = async (r: AddPartitionsToTxnRequest, label: string) => peer.callOn(await peer.connection(), AddPartitionsToTxn, v, r, { label, timeoutMs: 5000 });
        await attempt(req([tx(a, false, [0]), tx(b, true, [0, 1])]), `AddPartitionsToTxn two transactions v${v}`);
        await attempt(req([tx(a, false, [1])]), `AddPartitionsToTxn one transaction v${v}`);
        await attempt(req([tx(a, false, [0]), tx(b, true, [0, 1]), tx(ghost, false, [0])]), `AddPartitionsToTxn three transactions, one unknown v${v}`);
        await attempt(req([tx(ghost, false, [0])]), `AddPartitionsToTxn unknown transactional id v${v}`);
        await attempt(req([tx(b, true, [0, 1])]), `AddPartitionsToTxn verifyOnly, one added v${v}`);
        await attempt(req([tx(a, true, [0, 1]), tx({ ...b, producerEpoch: b.producerEpoch + 1 }, true, [1])]), `AddPartitionsToTxn verifyOnly, one fenced v${v}`);
        await attempt(req([tx(a, false, [0], 'txn-batched-add-nope')]), `AddPartitionsToTxn batched unknown topic v${v}`);
        await attempt(req([]), `AddPartitionsToTxn no transactions v${v}`);
      }
      await peer.call(DescribeTransactions, 0, { transactionalIds: [a.transactionalId!, b.transactionalId!, ghost.transactionalId!] }, { view: describeView });
    },
  },
  {
    // WriteTxnMarkers is inter-broker (CLUSTER_ACTION); with no authorizer configured both
    // brokers serve it to a client. Markers for an open transaction, for a producer with none,
    // for an unknown topic.
    name: 'txn-write-markers',
    async run(peer) {
      const topic = 'txn-write-markers';
      await newTopic(peer, topic, 1);
      const p = await initTxn(peer, 'txn-write-markers');
      await addQuiet(peer, p, topic, [0]);
      await produce(peer, topic, 0, txnBatch(p, 2, 0, 'w'), p.transactionalId);
      const idem = await initIdempotent(peer);
      await produce(peer, topic, 0, txnBatch(idem, 1, 0, 'i', false));
      const marker = (q: Producer, commit: boolean, topics: { name: string; partitionIndexes: number[] }[], coordinatorEpoch = 0) => ({
        markers: [{ producerId: q.producerId, producerEpoch: q.producerEpoch, transactionResult: commit, topics, coordinatorEpoch }],
      });
      for (const v of peer.versions(WriteTxnMarkers)) {
        await peer.attempt(WriteTxnMarkers, v, marker(idem, false, [{ name: topic, partitionIndexes: [0] }]), { label: `WriteTxnMarkers no transaction v${v}` });
        await peer.attempt(WriteTxnMarkers, v, marker(p, true, [{ name: 'txn-write-markers-nope', partitionIndexes: [0] }, { name: topic, partitionIndexes: [3] }]), { label: `WriteTxnMarkers unknown partitions v${v}` });
        await peer.attempt(WriteTxnMarkers, v, marker({ ...p, producerEpoch: p.producerEpoch - 1 }, true, [{ name: topic, partitionIndexes: [0] }]), { label: `WriteTxnMarkers stale epoch v${v}` });
      }
      const last = Math.max(...peer.versions(WriteTxnMarkers));
      await peer.attempt(WriteTxnMarkers, last, marker(p, true, [{ name: topic, partitionIndexes: [0] }]), { label: `WriteTxnMarkers commit open transaction v${last}` });
      // Offsets of a transaction settled by a client's marker to the group's __consumer_offsets partition.
      const group = 'txn-write-markers-g';
      const q = await initTxn(peer, 'txn-write-markers-offsets');
      await groupReady(peer, group);
      await peer.quiet(AddOffsetsToTxn, 3, { transactionalId: q.transactionalId!, producerId: q.producerId, producerEpoch: q.producerEpoch, groupId: group }, (r) => r.errorCode === 51);
      await peer.quiet(TxnOffsetCommit, 3, { transactionalId: q.transactionalId!, groupId: group, producerId: q.producerId, producerEpoch: q.producerEpoch, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 2n, committedLeaderEpoch: -1, committedMetadata: 'm' }] }] });
      await peer.attempt(WriteTxnMarkers, last, marker(q, true, [{ name: '__consumer_offsets', partitionIndexes: [partitionForGroup(group, 50)] }]), { label: `WriteTxnMarkers commit to __consumer_offsets v${last}` });
      await peer.call(OffsetFetch, 8, { groupId: '', topics: [], requireStable: true, groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: [{ name: topic, partitionIndexes: [0] }] }] }, { label: 'OffsetFetch requireStable after the client marker' });
      await peer.call(DescribeTransactions, 0, { transactionalIds: [q.transactionalId!] }, { label: 'DescribeTransactions offsets after the client marker', view: describeView });
      const id = await topicId(peer, topic);
      await fetchSettled(peer, 12, fetchReq(12, topic, id, 0, 1), 'Fetch read_committed after client marker');
      await peer.call(DescribeProducers, 0, { topics: [{ name: topic, partitionIndexes: [0] }] }, { label: 'DescribeProducers after client marker', view: producersView });
      await peer.call(DescribeTransactions, 0, { transactionalIds: ['txn-write-markers'] }, { label: 'DescribeTransactions after client marker', view: describeView });
    },
  },
];


export const allow: AllowEntry[] = [
  {
    session: 'txn-batched-add',
    where: /^AddPartitionsToTxn no transactions v[45]: <response>$/,
    reason:
      'Kafka 4.1 never answers an AddPartitionsToTxn v4+ whose transactions array is empty (its response is sent once the last transaction is answered, and there is none): the request times out. Samsa answers at once with an empty result. Only brokers send v4+ (KIP-890 verification) and never an empty one.',
  },
  {
    session: 'txn-write-markers',
    where: /^WriteTxnMarkers stale epoch v\d+: markers\[0\]\.topics\[name=txn-write-markers\]\.partitions\[partitionIndex=0\]\.errorCode$/,
    reason:
      'A marker whose producer epoch is older than the partition\'s: Kafka 4.1 answers UNKNOWN_SERVER_ERROR (the producer-state exception reaches the WriteTxnMarkers handler unmapped), Samsa the error of the check that fails, INVALID_PRODUCER_EPOCH. WriteTxnMarkers is inter-broker: only a transaction coordinator sends it, and neither answer is retried differently by one.',
  },
];
