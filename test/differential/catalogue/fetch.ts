// Reading the log: Fetch (positions and limits, log start offsets, isolation levels, fetch
// sessions of KIP-227, topic ids), ListOffsets, OffsetForLeaderEpoch, DeleteRecords and
// DescribeLogDirs, at every version both brokers serve; a partition named twice in one request.
import { AddPartitionsToTxn, DeleteRecords, DescribeLogDirs, EndTxn, Fetch, InitProducerId, ListOffsets, OffsetForLeaderEpoch, Produce } from '../../../src/protocol/generated/index.js';
import { CompressionType } from '../../../src/protocol/records/index.js';
import { encodeRequest, type AllowEntry, type Session } from '../harness.js';
import { T0, batch, records, topicId, waitForCoordinator } from './util.js';
import { NO_ID, UNKNOWN_ID, createTopic, fetchOne, fetchReq, fetchTopic, listReq, numbered, positions, produce, produceReq, samsaOnly, versions, withNulls } from './produce-fetch-util.js';

export const sessions: Session[] = [
  {
    name: 'pf-fetch-positions',
    async run(peer) {
      const t = 'pf-fetch-positions';
      await createTopic(peer, t);
      await produce(peer, t, 0, batch(records(4, 'a')));
      await produce(peer, t, 0, batch(records(3, 'b', 4)));
      await produce(peer, t, 0, batch(records(2, 'c', 7), { compression: CompressionType.Gzip }));
      for (const v of peer.versions(Fetch)) {
        await fetchOne(peer, v, t, { offset: 0n }, `Fetch at 0 v${v}`);
        await fetchOne(peer, v, t, { offset: 5n }, `Fetch inside a batch v${v}`);
        await fetchOne(peer, v, t, { offset: 8n }, `Fetch inside a compressed batch v${v}`);
        await fetchOne(peer, v, t, { offset: 9n }, `Fetch at the end v${v}`);
        await fetchOne(peer, v, t, { offset: 12n }, `Fetch past the end v${v}`);
        await fetchOne(peer, v, t, { offset: -1n }, `Fetch at -1 v${v}`);
        await fetchOne(peer, v, t, { offset: 0n, maxBytes: 10 }, `Fetch partitionMaxBytes 10 v${v}`);
        await fetchOne(peer, v, t, { offset: 0n, maxBytes: 200 }, `Fetch partitionMaxBytes 200 v${v}`);
        if (v >= 3) await fetchOne(peer, v, t, { offset: 0n }, `Fetch maxBytes 10 v${v}`, { maxBytes: 10 });
        if (v >= 3) await fetchOne(peer, v, t, { offset: 0n }, `Fetch maxBytes 0 v${v}`, { maxBytes: 0 });
        await fetchOne(peer, v, t, { offset: 0n, maxBytes: 0 }, `Fetch partitionMaxBytes 0 v${v}`);
        if (v >= 4) await fetchOne(peer, v, t, { offset: 0n }, `Fetch read_committed v${v}`, { isolation: 1 });
        await fetchOne(peer, v, t, { offset: 9n }, `Fetch at the end, minBytes 1000 v${v}`, { minBytes: 1000, maxWaitMs: 50 });
        await fetchOne(peer, v, t, { offset: 0n }, `Fetch minBytes 1000 v${v}`, { minBytes: 1_000_000, maxWaitMs: 50 });
        if (v >= 9) {
          await fetchOne(peer, v, t, { offset: 0n, epoch: 0 }, `Fetch current epoch v${v}`);
          await fetchOne(peer, v, t, { offset: 0n, epoch: 1 }, `Fetch future epoch v${v}`);
        }
        if (v >= 12) {
          // lastFetchedEpoch (KIP-595 / KIP-320 truncation detection): the epoch of the last record before fetchOffset.
          await fetchOne(peer, v, t, { offset: 4n, epoch: 0, lastFetchedEpoch: 0 }, `Fetch lastFetchedEpoch 0 v${v}`);
          await fetchOne(peer, v, t, { offset: 4n, epoch: 0, lastFetchedEpoch: 3 }, `Fetch lastFetchedEpoch 3 v${v}`);
          await fetchOne(peer, v, t, { offset: 12n, epoch: 0, lastFetchedEpoch: 0 }, `Fetch lastFetchedEpoch 0 past the end v${v}`);
        }
        await fetchOne(peer, v, t, { offset: 0n, partition: 3 }, `Fetch unknown partition v${v}`);
        await fetchOne(peer, v, t, { offset: 0n, partition: -1 }, `Fetch partition -1 v${v}`);
        if (v < 13) await peer.call(Fetch, v, fetchReq([fetchTopic('pf-fetch-positions-unknown', NO_ID, [{ offset: 0n }])]), { label: `Fetch unknown topic v${v}` });
        else {
          await peer.call(Fetch, v, fetchReq([fetchTopic('', UNKNOWN_ID, [{ offset: 0n }])]), { label: `Fetch unknown topic id v${v}` });
          await peer.call(Fetch, v, fetchReq([fetchTopic(t, NO_ID, [{ offset: 0n }])]), { label: `Fetch by name without id v${v}` });
          await peer.call(Fetch, v, fetchReq([fetchTopic('', await topicId(peer, t), [{ offset: 0n }]), fetchTopic('', UNKNOWN_ID, [{ offset: 0n }])]), { label: `Fetch known and unknown id v${v}` });
        }
      }
      // An isolation level that does not exist (each on a connection of its own).
      for (const isolation of [2, -1]) {
        const conn = await peer.connection();
        await peer.callOn(conn, Fetch, 12, fetchReq([fetchTopic(t, NO_ID, [{ offset: 0n }])], { isolation }), { label: `Fetch isolation ${isolation}`, timeoutMs: 3000 });
        const conn2 = await peer.connection();
        await peer.callOn(conn2, ListOffsets, 5, listReq(t, -1n, { isolation }), { label: `ListOffsets isolation ${isolation}`, timeoutMs: 3000 });
      }
      for (const v of samsaOnly(peer, Fetch)) {
        await peer.raw(Fetch, v, encodeRequest(Fetch, v, 1, fetchReq([fetchTopic(t, NO_ID, [{ offset: 0n }])])), { label: `Fetch removed v${v}` });
      }
      // Two partitions and a response limit: the first gets its first batch, the second nothing.
      await createTopic(peer, `${t}-two`, 2);
      await produce(peer, `${t}-two`, 0, batch(records(3, 'p0')));
      await produce(peer, `${t}-two`, 1, batch(records(3, 'p1')));
      const fv = peer.versions(Fetch).at(-1)!;
      const id = await topicId(peer, `${t}-two`);
      await peer.call(Fetch, fv, fetchReq([fetchTopic('', id, [{ partition: 0, offset: 0n }, { partition: 1, offset: 0n }])], { maxBytes: 10 }), { label: 'Fetch two partitions, maxBytes 10' });
      await peer.call(Fetch, fv, fetchReq([fetchTopic('', id, [{ partition: 0, offset: 3n }, { partition: 1, offset: 0n }])], { maxBytes: 10 }), { label: 'Fetch two partitions, first empty, maxBytes 10' });
    },
  },
  {
    name: 'pf-fetch-log-start',
    async run(peer) {
      const t = 'pf-fetch-log-start';
      await createTopic(peer, t);
      await produce(peer, t, 0, batch(records(5, 'a')));
      await produce(peer, t, 0, batch(records(5, 'b', 5)));
      for (const v of peer.versions(DeleteRecords)) {
        await peer.call(DeleteRecords, v, { topics: [{ name: t, partitions: [{ partitionIndex: 0, offset: BigInt(2 + v) }] }], timeoutMs: 30_000 }, { label: `DeleteRecords middle v${v}` });
      }
      const ds = (label: string, offset: bigint, v = peer.versions(DeleteRecords).at(-1)!, topic = t, partition = 0) =>
        peer.call(DeleteRecords, v, { topics: [{ name: topic, partitions: [{ partitionIndex: partition, offset }] }], timeoutMs: 30_000 }, { label });
      await ds('DeleteRecords below the start', 1n);
      await ds('DeleteRecords beyond the high watermark', 11n);
      await ds('DeleteRecords -2', -2n);
      await ds('DeleteRecords unknown partition', 1n, undefined, t, 4);
      await ds('DeleteRecords unknown topic', 1n, undefined, `${t}-unknown`);
      for (const v of peer.versions(Fetch)) {
        await fetchOne(peer, v, t, { offset: 0n }, `Fetch before the start v${v}`);
        await fetchOne(peer, v, t, { offset: 4n }, `Fetch at the start v${v}`);
      }
      for (const v of peer.versions(ListOffsets)) {
        await peer.call(ListOffsets, v, listReq(t, -2n), { label: `ListOffsets earliest after delete v${v}` });
        if (v >= 8) await peer.call(ListOffsets, v, listReq(t, -4n), { label: `ListOffsets earliest local after delete v${v}` });
        await peer.call(ListOffsets, v, listReq(t, T0), { label: `ListOffsets T0 after delete v${v}` });
      }
      await ds('DeleteRecords to the end', 10n);
      await ds('DeleteRecords -1 at the end', -1n);
      await produce(peer, t, 0, batch(records(2, 'c', 10)));
      await ds('DeleteRecords -1', -1n);
      await fetchOne(peer, peer.versions(Fetch).at(-1)!, t, { offset: 12n }, 'Fetch at the start after deleting all');
      await peer.call(ListOffsets, peer.versions(ListOffsets).at(-1)!, listReq(t, -2n), { label: 'ListOffsets earliest after deleting all' });
      await createTopic(peer, `${t}-compact`, 1, { 'cleanup.policy': 'compact' });
      await ds('DeleteRecords compacted topic', 0n, undefined, `${t}-compact`);
      await ds('DeleteRecords internal topic', 0n, undefined, '__consumer_offsets');
    },
  },
  {
    name: 'pf-fetch-isolation',
    async run(peer) {
      const t = 'pf-fetch-isolation';
      const tid = `${t}-txn`;
      // The markers carry the broker's time, more than segment.ms after T0: Kafka would roll the
      // segment there (see pf-fetch-segment-roll), so segment.ms is set beyond that gap.
      await createTopic(peer, t, 1, { 'segment.ms': String(100 * 365 * 86_400_000) });
      await waitForCoordinator(peer, tid, 1);
      const init = await peer.quiet(InitProducerId, 4, { transactionalId: tid, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }, (r) => r.errorCode !== 0, 60_000);
      const { producerId, producerEpoch } = init;
      const begin = () =>
        peer.quiet(AddPartitionsToTxn, 3, { transactions: [], v3AndBelowTransactionalId: tid, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: [{ name: t, partitions: [0] }] }, (r) => r.resultsByTopicV3AndBelow.some((x) => x.resultsByPartition.some((p) => p.partitionErrorCode !== 0)), 60_000);
      const end = (committed: boolean) => peer.quiet(EndTxn, 3, { transactionalId: tid, producerId, producerEpoch, committed }, (r) => r.errorCode === 51, 60_000);
      const latest = (isolation: number) => peer.quiet(ListOffsets, 5, listReq(t, -1n, { isolation }));
      /** Waits until the marker is written (the high watermark passes `before`) and the last stable offset reaches it. */
      const settled = async (before: bigint) => {
        const deadline = Date.now() + 60_000;
        for (;;) {
          const hw = (await latest(0)).topics[0]!.partitions[0]!.offset;
          const lso = (await latest(1)).topics[0]!.partitions[0]!.offset;
          if (hw > before && lso === hw) return;
          if (Date.now() > deadline) throw new Error(`${peer.name}: transaction markers not written (hw ${hw}, lso ${lso})`);
          await peer.sleep(100);
        }
      };
      const fv = versions(peer, Fetch).at(-1)!;
      await produce(peer, t, 0, batch(records(2, 'plain')));
      await begin();
      const txnBatch = (seq: number, n: number, tag: string) => batch(records(n, tag), { producerId, producerEpoch, baseSequence: seq, transactional: true });
      await peer.call(Produce, versions(peer, Produce).at(-1)!, { ...produceReq(t, 0, txnBatch(0, 3, 'aborted')), transactionalId: tid }, { label: 'Produce transactional' });
      await produce(peer, t, 0, batch(records(2, 'plain-2')));
      // An open transaction: read_committed stops at its first offset.
      await fetchOne(peer, fv, t, { offset: 0n }, 'Fetch read_uncommitted, open transaction');
      await fetchOne(peer, fv, t, { offset: 0n }, 'Fetch read_committed, open transaction', { isolation: 1 });
      await fetchOne(peer, fv, t, { offset: 3n }, 'Fetch read_committed inside the open transaction', { isolation: 1 });
      for (const v of versions(peer, ListOffsets)) if (v >= 2) await peer.call(ListOffsets, v, listReq(t, -1n, { isolation: 1 }), { label: `ListOffsets read_committed, open transaction v${v}` });
      const beforeAbort = (await latest(0)).topics[0]!.partitions[0]!.offset;
      await end(false);
      await settled(beforeAbort);
      for (const v of versions(peer, Fetch)) {
        if (v < 4) continue;
        await fetchOne(peer, v, t, { offset: 0n }, `Fetch read_committed after abort v${v}`, { isolation: 1 });
      }
      await fetchOne(peer, fv, t, { offset: 5n }, 'Fetch read_committed after abort, from 5', { isolation: 1 });
      await fetchOne(peer, fv, t, { offset: 0n }, 'Fetch read_uncommitted after abort');
      await fetchOne(peer, fv, t, { offset: 7n }, 'Fetch read_uncommitted at the marker');
      await fetchOne(peer, fv, t, { offset: 7n }, 'Fetch read_committed at the marker', { isolation: 1 });
      await fetchOne(peer, fv, t, { offset: 0n }, 'Fetch read_uncommitted after abort, again');
      await begin();
      await peer.call(Produce, versions(peer, Produce).at(-1)!, { ...produceReq(t, 0, txnBatch(3, 2, 'committed')), transactionalId: tid }, { label: 'Produce transactional 2' });
      const beforeCommit = (await latest(0)).topics[0]!.partitions[0]!.offset;
      await end(true);
      await settled(beforeCommit);
      await fetchOne(peer, fv, t, { offset: 0n }, 'Fetch read_committed after commit', { isolation: 1 });
      await peer.call(ListOffsets, versions(peer, ListOffsets).at(-1)!, listReq(t, -1n, { isolation: 1 }), { label: 'ListOffsets read_committed after commit' });
    },
  },
  {
    name: 'pf-fetch-segment-roll',
    async run(peer) {
      const t = 'pf-fetch-segment-roll';
      await createTopic(peer, t);
      await produce(peer, t, 0, batch(records(2, 'week-0')));
      // Eight days later by the records' clock (segment.ms is seven days).
      await produce(peer, t, 0, batch(records(2, 'week-2').map((r) => ({ ...r, timestamp: BigInt(r.timestamp!) + 8n * 86_400_000n }))));
      await fetchOne(peer, versions(peer, Fetch).at(-1)!, t, { offset: 0n }, 'Fetch across the record-time gap');
      await fetchOne(peer, versions(peer, Fetch).at(-1)!, t, { offset: 2n }, 'Fetch after the gap');
    },
  },
  {
    name: 'pf-duplicates',
    async run(peer) {
      // A partition named twice in one request (clients never do; brokers must not fail on it).
      const t = 'pf-duplicates';
      await createTopic(peer, t, 2);
      await produce(peer, t, 0, batch(records(4, 'a')));
      await produce(peer, t, 1, batch(records(2, 'b')));
      const fv = versions(peer, Fetch).at(-1)!;
      const id = await topicId(peer, t);
      await peer.call(Fetch, fv, fetchReq([fetchTopic('', id, [{ partition: 0, offset: 0n }, { partition: 0, offset: 3n }])]), { label: 'Fetch same partition twice', view: positions('responses') });
      await peer.call(Fetch, fv, fetchReq([fetchTopic('', id, [{ partition: 0, offset: 2n }]), fetchTopic('', id, [{ partition: 1, offset: 0n }])]), { label: 'Fetch same topic twice', view: positions('responses') });
      await peer.call(Fetch, 12, fetchReq([fetchTopic(t, NO_ID, [{ partition: 0, offset: 0n }, { partition: 0, offset: 3n }])]), { label: 'Fetch same partition twice v12', view: positions('responses') });
      const oe = (parts: number[][]) => ({ replicaId: -1, topics: [{ topic: t, partitions: parts.map(([partition, leaderEpoch]) => ({ partition: partition!, currentLeaderEpoch: -1, leaderEpoch: leaderEpoch! })) }] });
      await peer.call(OffsetForLeaderEpoch, versions(peer, OffsetForLeaderEpoch).at(-1)!, oe([[0, 0], [0, 3]]), { label: 'OffsetForLeaderEpoch same partition twice', view: positions('topics') });
      const dirs = (res: any) => ({ ...res, results: res.results.map((r: any) => ({ ...r, logDir: '<dir>', totalBytes: '-', usableBytes: '-', topics: numbered(r.topics.filter((x: any) => x.name.startsWith(t))).map((x: any) => ({ ...x, partitions: numbered(x.partitions) })) })) });
      await peer.call(DescribeLogDirs, versions(peer, DescribeLogDirs).at(-1)!, { topics: [{ topic: t, partitions: [0, 0, 1] }, { topic: t, partitions: [1] }] }, { label: 'DescribeLogDirs same partition twice', view: dirs });
      await peer.call(DeleteRecords, versions(peer, DeleteRecords).at(-1)!, { topics: [{ name: t, partitions: [{ partitionIndex: 0, offset: 1n }, { partitionIndex: 0, offset: 2n }] }], timeoutMs: 30_000 }, { label: 'DeleteRecords same partition twice', view: positions('topics') });
      await peer.call(DeleteRecords, versions(peer, DeleteRecords).at(-1)!, { topics: [{ name: t, partitions: [{ partitionIndex: 1, offset: 1n }] }, { name: t, partitions: [{ partitionIndex: 1, offset: 0n }] }], timeoutMs: 30_000 }, { label: 'DeleteRecords same topic twice', view: positions('topics') });
      await peer.call(ListOffsets, versions(peer, ListOffsets).at(-1)!, { replicaId: -1, isolationLevel: 0, topics: [{ name: t, partitions: [0, 1].map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: -2n, maxNumOffsets: 1 })) }] }, { label: 'ListOffsets earliest after duplicate deletes' });
    },
  },
  {
    name: 'pf-fetch-sessions',
    async run(peer) {
      const t = 'pf-fetch-sessions';
      await createTopic(peer, t, 2);
      await produce(peer, t, 0, batch(records(3, 'a')));
      for (const v of peer.versions(Fetch)) {
        if (v < 7) continue;
        const id = v >= 13 ? await topicId(peer, t) : NO_ID;
        const name = v >= 13 ? '' : t;
        const parts = fetchTopic(name, id, [{ partition: 0, offset: 0n }, { partition: 1, offset: 0n }]);
        const full = await peer.call(Fetch, v, fetchReq([parts], { sessionEpoch: 0 }), { label: `Fetch new session v${v}` });
        const sid = full.sessionId;
        await peer.call(Fetch, v, fetchReq([], { sessionId: sid, sessionEpoch: 1, maxWaitMs: 50 }), { label: `Fetch incremental, nothing new v${v}` });
        await produce(peer, t, 1, batch(records(2, `b${v}`)));
        await peer.call(Fetch, v, fetchReq([], { sessionId: sid, sessionEpoch: 2 }), { label: `Fetch incremental, partition 1 has data v${v}` });
        await peer.call(Fetch, v, fetchReq([fetchTopic(name, id, [{ partition: 1, offset: 100n }])], { sessionId: sid, sessionEpoch: 3 }), { label: `Fetch incremental, partition 1 moved past the end v${v}` });
        await peer.call(Fetch, v, fetchReq([], { sessionId: sid, sessionEpoch: 3 }), { label: `Fetch repeated epoch v${v}` });
        await peer.call(Fetch, v, fetchReq([], { sessionId: sid, sessionEpoch: 7 }), { label: `Fetch wrong epoch v${v}` });
        await peer.call(Fetch, v, fetchReq([], { sessionId: 0x7eadbeef, sessionEpoch: 1 }), { label: `Fetch unknown session v${v}` });
        await peer.call(Fetch, v, fetchReq([], { sessionId: sid, sessionEpoch: 4, forgotten: [{ topic: name, topicId: id, partitions: [1] }] }), { label: `Fetch forget partition 1 v${v}` });
        await peer.call(Fetch, v, fetchReq([parts], { sessionId: sid, sessionEpoch: -1 }), { label: `Fetch close session v${v}` });
        await peer.call(Fetch, v, fetchReq([], { sessionId: sid, sessionEpoch: 5 }), { label: `Fetch closed session v${v}` });
        await peer.call(Fetch, v, fetchReq([parts], { sessionId: 0, sessionEpoch: 3 }), { label: `Fetch session 0, epoch 3 v${v}` });
      }
    },
  },
  {
    name: 'pf-list-offsets',
    async run(peer) {
      const t = 'pf-list-offsets';
      await createTopic(peer, t);
      await createTopic(peer, `${t}-empty`);
      // Timestamps out of order: the max timestamp is in the first batch.
      await produce(peer, t, 0, batch(records(3, 'a').map((r, i) => ({ ...r, timestamp: T0 + 100n + BigInt(i) }))));
      await produce(peer, t, 0, batch(records(3, 'b', 3)));
      await produce(peer, t, 0, batch(records(2, 'c', 200), { compression: CompressionType.Snappy }));
      const ts: [string, bigint][] = [['latest', -1n], ['earliest', -2n], ['max timestamp', -3n], ['earliest local', -4n], ['latest tiered', -5n], ['earliest pending upload', -6n], ['-7', -7n], ['T0', T0], ['T0+4', T0 + 4n], ['T0+101', T0 + 101n], ['T0+150', T0 + 150n], ['T0+201', T0 + 201n], ['after all', T0 + 10_000n]];
      for (const v of peer.versions(ListOffsets)) {
        for (const [what, stamp] of ts) {
          await peer.call(ListOffsets, v, listReq(t, stamp), { label: `ListOffsets ${what} v${v}` });
        }
        await peer.call(ListOffsets, v, listReq(`${t}-empty`, -1n), { label: `ListOffsets empty latest v${v}` });
        await peer.call(ListOffsets, v, listReq(`${t}-empty`, -2n), { label: `ListOffsets empty earliest v${v}` });
        await peer.call(ListOffsets, v, listReq(`${t}-empty`, T0), { label: `ListOffsets empty T0 v${v}` });
        if (v >= 7) await peer.call(ListOffsets, v, listReq(`${t}-empty`, -3n), { label: `ListOffsets empty max timestamp v${v}` });
        await peer.call(ListOffsets, v, listReq(`${t}-unknown`, -1n), { label: `ListOffsets unknown topic v${v}` });
        await peer.call(ListOffsets, v, listReq(t, -1n, { partition: 2 }), { label: `ListOffsets unknown partition v${v}` });
        if (v >= 2) await peer.call(ListOffsets, v, listReq(t, -1n, { isolation: 1 }), { label: `ListOffsets read_committed v${v}` });
        if (v >= 4) {
          await peer.call(ListOffsets, v, listReq(t, -1n, { epoch: 0 }), { label: `ListOffsets current epoch v${v}` });
          await peer.call(ListOffsets, v, listReq(t, -1n, { epoch: 3 }), { label: `ListOffsets future epoch v${v}` });
        }
        await peer.call(ListOffsets, v, { replicaId: -1, isolationLevel: 0, topics: [{ name: t, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }, { partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n, maxNumOffsets: 1 }] }] }, { label: `ListOffsets same partition twice v${v}` });
      }
      for (const v of samsaOnly(peer, ListOffsets)) await peer.raw(ListOffsets, v, encodeRequest(ListOffsets, v, 1, listReq(t, -1n)), { label: `ListOffsets removed v${v}` });
    },
  },
  {
    name: 'pf-offset-for-leader-epoch',
    async run(peer) {
      const t = 'pf-offset-for-leader-epoch';
      await createTopic(peer, t);
      await createTopic(peer, `${t}-empty`);
      await produce(peer, t, 0, batch(records(4, 'a')));
      const req = (topic: string, leaderEpoch: number, currentLeaderEpoch = -1, partition = 0) => ({ replicaId: -1, topics: [{ topic, partitions: [{ partition, currentLeaderEpoch, leaderEpoch }] }] });
      for (const v of peer.versions(OffsetForLeaderEpoch)) {
        await peer.call(OffsetForLeaderEpoch, v, req(t, 0), { label: `OffsetForLeaderEpoch epoch 0 v${v}` });
        await peer.call(OffsetForLeaderEpoch, v, req(t, 5), { label: `OffsetForLeaderEpoch epoch 5 v${v}` });
        await peer.call(OffsetForLeaderEpoch, v, req(t, -1), { label: `OffsetForLeaderEpoch epoch -1 v${v}` });
        await peer.call(OffsetForLeaderEpoch, v, req(`${t}-empty`, 0), { label: `OffsetForLeaderEpoch empty v${v}` });
        await peer.call(OffsetForLeaderEpoch, v, req(`${t}-unknown`, 0), { label: `OffsetForLeaderEpoch unknown topic v${v}` });
        await peer.call(OffsetForLeaderEpoch, v, req(t, 0, -1, 3), { label: `OffsetForLeaderEpoch unknown partition v${v}` });
        if (v >= 2) {
          await peer.call(OffsetForLeaderEpoch, v, req(t, 0, 0), { label: `OffsetForLeaderEpoch current epoch v${v}` });
          await peer.call(OffsetForLeaderEpoch, v, req(t, 0, 2), { label: `OffsetForLeaderEpoch future epoch v${v}` });
        }
        if (v >= 3) await peer.call(OffsetForLeaderEpoch, v, { ...req(t, 0), replicaId: -2 }, { label: `OffsetForLeaderEpoch debug replica v${v}` });
      }
      for (const v of samsaOnly(peer, OffsetForLeaderEpoch)) await peer.raw(OffsetForLeaderEpoch, v, encodeRequest(OffsetForLeaderEpoch, v, 1, req(t, 0)), { label: `OffsetForLeaderEpoch removed v${v}` });
    },
  },
  {
    name: 'pf-describe-log-dirs',
    async run(peer) {
      const t = 'pf-describe-log-dirs';
      await createTopic(peer, t, 2);
      await createTopic(peer, `${t}-empty`);
      await produce(peer, t, 0, batch(records(4, 'a')));
      await produce(peer, t, 0, batch(records(3, 'b'), { compression: CompressionType.Gzip }));
      await produce(peer, t, 1, batch(withNulls));
      // The log dir's path and its disk's sizes are the host's; the partitions' sizes must match.
      const view = (res: any) => ({
        ...res,
        results: res.results.map((r: any) => ({ ...r, logDir: '<dir>', totalBytes: r.totalBytes > 0n ? '<total>' : r.totalBytes, usableBytes: r.usableBytes > 0n ? '<usable>' : r.usableBytes, topics: r.topics.filter((x: any) => x.name.startsWith(t)) })),
      });
      for (const v of peer.versions(DescribeLogDirs)) {
        await peer.call(DescribeLogDirs, v, { topics: null }, { label: `DescribeLogDirs all v${v}`, view });
        await peer.call(DescribeLogDirs, v, { topics: [{ topic: t, partitions: [0, 1, 7] }, { topic: `${t}-empty`, partitions: [0] }] }, { label: `DescribeLogDirs topics v${v}`, view });
        await peer.call(DescribeLogDirs, v, { topics: [{ topic: `${t}-unknown`, partitions: [0] }] }, { label: `DescribeLogDirs unknown topic v${v}`, view });
        await peer.call(DescribeLogDirs, v, { topics: [] }, { label: `DescribeLogDirs no topics v${v}`, view });
      }
      for (const v of samsaOnly(peer, DescribeLogDirs)) await peer.raw(DescribeLogDirs, v, encodeRequest(DescribeLogDirs, v, 1, { topics: [] }), { label: `DescribeLogDirs removed v${v}` });
    },
  },
];

export const allow: AllowEntry[] = [
  {
    session: 'pf-fetch-isolation',
    where: /^Fetch [^:]*: responses\[topic=[^\]]*\]\.partitions\[partitionIndex=0\]\.records\[\d+\]\.(baseTimestamp|maxTimestamp|records\[0\]\.timestamp)$/,
    reason: "Transaction markers (control batches) are written by the broker with its clock's time at EndTxn; the session's own records carry fixed T0 timestamps (the markers' offsets, attributes and contents are compared).",
  },
  {
    session: 'pf-fetch-segment-roll',
    where: /^Fetch across the record-time gap: responses\[topic=\]\.partitions\[partitionIndex=0\]\.records\[1\]$/,
    reason:
      "Samsa counts segment.ms from the wall clock of a segment's first append (commit b868155, so that producer clocks cannot force or hold off rolls); Kafka from the first batch's record timestamp, so records 8 days apart by their own clock start a new segment there, and a Fetch returns data from one segment only. Both logs hold the same records; Samsa's first Fetch returns both batches, Kafka's the first only (the next Fetch, 'Fetch after the gap', agrees).",
  },
  {
    session: /^pf-/,
    where: /^(Produce removed v[0-2]|Fetch removed v[0-3]|ListOffsets removed v0|OffsetForLeaderEpoch removed v[01]|DescribeLogDirs removed v0): <response>$/,
    reason:
      'KIP-896: Apache Kafka 4 removed these versions (Produce v0-2, Fetch v0-3, ListOffsets v0, OffsetForLeaderEpoch v0-1, DescribeLogDirs v0; it still advertises Produce v0-2 for librdkafka but closes the connection on them). Samsa keeps serving them so clients older than Kafka 2.1 keep working.',
  },
];
