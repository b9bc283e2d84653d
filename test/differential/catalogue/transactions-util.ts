// Shared pieces of the idempotent and transactional sessions (idempotence.ts, transactions.ts):
// producers set up quietly, request builders, waits for what Kafka does asynchronously (a
// coordinator loading, markers written after EndTxn, a fetch settling) and the views that reduce
// the broker's clock in answers.
import {
  AddPartitionsToTxn,
  DescribeTransactions,
  EndTxn,
  Fetch,
  InitProducerId,
  OffsetFetch,
  Produce,
  type AddPartitionsToTxnRequest,
  type DescribeTransactionsResponse,
  type FetchRequest,
} from '../../../src/protocol/generated/index.js';
import { decodeRecordBatches } from '../../../src/protocol/records/index.js';
import type { SessionPeer } from '../harness.js';
import { T0, batch, createTopic, records, waitForCoordinator } from './util.js';

const NO_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

/**
 * Topic configs of every topic here: record timestamps are T0 (in the past) while transaction
 * markers carry the broker's clock, so Kafka would roll a segment at the first marker (segment.ms
 * counts from the segment's first timestamp) and retention would then delete the T0 segment:
 * neither may happen during a session.
 */
const TOPIC_CONFIGS = { 'retention.ms': '-1', 'segment.ms': '315360000000000' };

/** Creates a topic and waits until its partitions serve fetches (Kafka's metadata may name a leader first). */
export async function newTopic(peer: SessionPeer, name: string, partitions: number): Promise<void> {
  await createTopic(peer, name, partitions, TOPIC_CONFIGS);
  const req = fetchReq(12, name, NO_ID, 0, 0);
  req.topics[0]!.partitions = Array.from({ length: partitions }, (_, i) => ({ ...req.topics[0]!.partitions[0]!, partition: i }));
  await peer.quiet(Fetch, 12, req, (r) => r.responses[0]!.partitions.some((p) => p.errorCode !== 0));
}

/** Produce (v7, acks=-1), quietly, retrying NOT_LEADER_OR_FOLLOWER while a new topic's leader settles. */
export async function produce(peer: SessionPeer, topicName: string, partition: number, bytes: Buffer, transactionalId: string | null = null): Promise<void> {
  const res = await peer.quiet(Produce, 7, produceReq(topicName, partition, bytes, transactionalId), (r) => r.responses[0]!.partitionResponses[0]!.errorCode === 6);
  const code = res.responses[0]!.partitionResponses[0]!.errorCode;
  if (code !== 0) throw new Error(`${peer.name}: produce to ${topicName}-${partition} failed with error ${code}`);
}

export interface Producer {
  transactionalId: string | null;
  producerId: bigint;
  producerEpoch: number;
}

/** InitProducerId (quietly) for a transactional id, once its coordinator is ready. */
export async function initTxn(peer: SessionPeer, transactionalId: string, timeoutMs = 60_000): Promise<Producer> {
  await txnReady(peer, transactionalId);
  // COORDINATOR_LOAD_IN_PROGRESS (14), NOT_COORDINATOR (16), CONCURRENT_TRANSACTIONS (51): retry.
  const res = await peer.quiet(InitProducerId, 4, { transactionalId, transactionTimeoutMs: timeoutMs, producerId: -1n, producerEpoch: -1 }, (r) => [14, 15, 16, 51].includes(r.errorCode));
  if (res.errorCode !== 0) throw new Error(`${peer.name}: InitProducerId ${transactionalId} failed with ${res.errorCode}`);
  return { transactionalId, producerId: res.producerId, producerEpoch: res.producerEpoch };
}

/** Waits until the transaction coordinator of the id has loaded its partition. */
export async function txnReady(peer: SessionPeer, transactionalId: string): Promise<void> {
  await waitForCoordinator(peer, transactionalId, 1);
  await peer.quiet(DescribeTransactions, 0, { transactionalIds: [transactionalId] }, (r) => [14, 15, 16].includes(r.transactionStates[0]!.errorCode), 60_000);
}

/** Waits until the group coordinator of the group has loaded its partition. */
export async function groupReady(peer: SessionPeer, group: string): Promise<void> {
  await waitForCoordinator(peer, group, 0);
  await peer.quiet(OffsetFetch, 8, { groupId: '', topics: [], requireStable: false, groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: null }] }, (r) => [14, 15, 16].includes(r.groups[0]!.errorCode), 60_000);
}

export async function initIdempotent(peer: SessionPeer): Promise<Producer> {
  const res = await peer.quiet(InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }, (r) => r.errorCode !== 0);
  return { transactionalId: null, producerId: res.producerId, producerEpoch: res.producerEpoch };
}

export function addReq(p: Producer, topics: { name: string; partitions: number[] }[], v: number, verifyOnly = false): AddPartitionsToTxnRequest {
  if (v <= 3) return { transactions: [], v3AndBelowTransactionalId: p.transactionalId!, v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: topics };
  return { transactions: [{ transactionalId: p.transactionalId!, producerId: p.producerId, producerEpoch: p.producerEpoch, verifyOnly, topics }], v3AndBelowTransactionalId: '', v3AndBelowProducerId: 0n, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [] };
}

/** Adds partitions quietly (retrying CONCURRENT_TRANSACTIONS while a previous one completes). */
export async function addQuiet(peer: SessionPeer, p: Producer, topic: string, partitions: number[]): Promise<void> {
  const res = await peer.quiet(AddPartitionsToTxn, 3, addReq(p, [{ name: topic, partitions }], 3), (r) => r.resultsByTopicV3AndBelow.some((t) => t.resultsByPartition.some((x) => x.partitionErrorCode === 51)));
  const bad = res.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition).find((x) => x.partitionErrorCode !== 0);
  if (bad) throw new Error(`${peer.name}: AddPartitionsToTxn ${topic} failed with ${bad.partitionErrorCode}`);
}

/** Waits until the transaction is complete (Kafka writes the markers after answering EndTxn). */
export async function waitComplete(peer: SessionPeer, transactionalId: string): Promise<void> {
  await peer.quiet(DescribeTransactions, 0, { transactionalIds: [transactionalId] }, (r) => !['CompleteCommit', 'CompleteAbort', 'Empty'].includes(r.transactionStates[0]!.transactionState));
}

export async function endQuiet(peer: SessionPeer, p: Producer, committed: boolean): Promise<void> {
  const res = await peer.quiet(EndTxn, 3, { transactionalId: p.transactionalId!, producerId: p.producerId, producerEpoch: p.producerEpoch, committed }, (r) => r.errorCode === 51);
  if (res.errorCode !== 0) throw new Error(`${peer.name}: EndTxn failed with ${res.errorCode}`);
  await waitComplete(peer, p.transactionalId!);
}

export function txnBatch(p: Producer, n: number, seq: number, tag: string, transactional = true): Buffer {
  return batch(records(n, tag, seq % 1000), { producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: seq, transactional });
}

export function produceReq(topic: string, partition: number, bytes: Buffer, transactionalId: string | null = null, acks = -1) {
  return { transactionalId, acks, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: partition, records: bytes }] }] };
}

export function fetchReq(v: number, topic: string, id: string, partition: number, isolationLevel: number, fetchOffset = 0n): FetchRequest {
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId: id, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: NO_ID }] }],
    forgottenTopicsData: [],
    rackId: '',
  };
}

/**
 * Waits (quietly) until Kafka's answer to the fetch holds every batch below the high watermark
 * (read_uncommitted) or the last stable offset (read_committed): right after an append, Kafka
 * may serve the log only up to the position it last materialised for that offset.
 */
async function settle(peer: SessionPeer, v: number, req: FetchRequest): Promise<void> {
  await peer.quiet(Fetch, v, req, (res) => {
    const p = res.responses[0]!.partitions[0]!;
    const limit = req.isolationLevel === 1 ? p.lastStableOffset : p.highWatermark;
    if (!Buffer.isBuffer(p.records) || limit <= req.topics[0]!.partitions[0]!.fetchOffset) return false;
    const batches = decodeRecordBatches(p.records, { allowPartialTrailing: true });
    const last = batches[batches.length - 1];
    return !last || last.baseOffset + BigInt(last.lastOffsetDelta) + 1n < limit;
  });
}

export async function fetchSettled(peer: SessionPeer, v: number, req: FetchRequest, label: string): Promise<void> {
  await settle(peer, v, req);
  await peer.call(Fetch, v, req, { label, view: fetchView });
}

/** DescribeTransactions with the start time reduced to whether it is set (it is wall-clock time). */
export const describeView = (res: DescribeTransactionsResponse) => ({
  ...res,
  transactionStates: res.transactionStates.map((s) => ({ ...s, transactionStartTimeMs: s.transactionStartTimeMs <= 0n ? s.transactionStartTimeMs : '<set>', topics: s.topics.map((t) => ({ ...t, partitions: [...t.partitions].sort((a, b) => a - b) })) })),
});

/** Marker batches carry the broker's clock: their timestamps are reduced to '<now>'. */
function fetchView(res: any): unknown {
  return {
    ...res,
    responses: res.responses.map((t: any) => ({
      ...t,
      partitions: t.partitions.map((p: any) => {
        if (!Buffer.isBuffer(p.records)) return p;
        try {
          const batches = decodeRecordBatches(p.records, { allowPartialTrailing: true, verifyCrc: true }).map((b: any) => {
            const { recordsData: _d, crc: _c, ...rest } = b;
            if (!b.isControl) return rest;
            return { ...rest, baseTimestamp: '<now>', maxTimestamp: '<now>', records: b.records.map((r: any) => ({ ...r, timestamp: '<now>' })) };
          });
          return { ...p, records: batches, bytes: p.records.length };
        } catch (e) {
          return { ...p, records: `undecodable (${p.records.length} bytes): ${(e as Error).message}` };
        }
      }),
    })),
  };
}

/** DescribeProducers: producers in id order; a last timestamp from a marker is the broker's clock. */
export function producersView(res: any): unknown {
  return {
    ...res,
    topics: res.topics.map((t: any) => ({
      ...t,
      partitions: t.partitions.map((p: any) => ({
        ...p,
        activeProducers: [...p.activeProducers]
          .sort((a: any, b: any) => (a.producerId < b.producerId ? -1 : a.producerId > b.producerId ? 1 : 0))
          .map((a: any) => ({ ...a, lastTimestamp: a.lastTimestamp > T0 + 1_000_000_000n ? '<now>' : a.lastTimestamp })),
      })),
    })),
  };
}
