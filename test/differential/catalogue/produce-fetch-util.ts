// Shared pieces of the produce and fetch sessions (produce.ts, fetch.ts): topics that keep their
// data, quiet appends, request builders, the versions each broker serves and views that number
// repeated entries.
import { Fetch, ListOffsets, Produce, type FetchRequest, type ProduceRequest } from '../../../src/protocol/generated/index.js';
import type { RecordInput } from '../../../src/protocol/records/index.js';
import type { SessionPeer } from '../harness.js';
import { T0, createTopic as createTopicInMetadata, topicId } from './util.js';


export const NO_ID = 'AAAAAAAAAAAAAAAAAAAAAA';
export const UNKNOWN_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

/** Creates a topic and waits until the broker's replica manager leads every partition (Kafka applies that after Metadata shows the leader). */
export async function createTopic(peer: SessionPeer, name: string, partitions = 1, configs: Record<string, string> = {}): Promise<void> {
  // T0 is long past: Kafka's retention (by record time, checked every 5 minutes) would delete these
  // records in the middle of a later session, so the sessions' topics keep their data.
  await createTopicInMetadata(peer, name, partitions, { 'retention.ms': '-1', ...configs });
  const parts = Array.from({ length: partitions }, (_, i) => ({ partitionIndex: i, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }));
  await peer.quiet(ListOffsets, 1, { replicaId: -1, isolationLevel: 0, topics: [{ name, partitions: parts }] }, (r) => r.topics[0]!.partitions.some((p) => p.errorCode !== 0));
}

/** Appends records quietly (acks=-1), retrying while Kafka's replica manager has not yet taken the new partition's leadership. */
export async function produce(peer: SessionPeer, topic: string, partition: number, recs: Buffer): Promise<void> {
  const res = await peer.quiet(Produce, 9, produceReq(topic, partition, recs), (r) => r.responses[0]!.partitionResponses[0]!.errorCode === 6);
  const code = res.responses[0]!.partitionResponses[0]!.errorCode;
  if (code !== 0) throw new Error(`${peer.name}: produce to ${topic}-${partition} failed with error ${code}`);
}

export function produceReq(topic: string, partition: number, recs: Buffer | null, acks = -1, more: ProduceRequest.TopicProduceData[] = []): ProduceRequest {
  return { transactionalId: null, acks, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: partition, records: recs }] }, ...more] };
}

export interface FetchPart {
  partition?: number;
  offset: bigint;
  epoch?: number;
  maxBytes?: number;
  lastFetchedEpoch?: number;
}

export function fetchTopic(name: string, id: string, parts: FetchPart[]): FetchRequest.FetchTopic {
  return {
    topic: name,
    topicId: id,
    partitions: parts.map((p) => ({ partition: p.partition ?? 0, currentLeaderEpoch: p.epoch ?? -1, fetchOffset: p.offset, lastFetchedEpoch: p.lastFetchedEpoch ?? -1, logStartOffset: -1n, partitionMaxBytes: p.maxBytes ?? 1 << 20, replicaDirectoryId: NO_ID })),
  };
}

export function fetchReq(topics: FetchRequest.FetchTopic[], o: { maxBytes?: number; minBytes?: number; maxWaitMs?: number; isolation?: number; sessionId?: number; sessionEpoch?: number; forgotten?: FetchRequest.ForgottenTopic[] } = {}): FetchRequest {
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs: o.maxWaitMs ?? 50,
    minBytes: o.minBytes ?? 1,
    maxBytes: o.maxBytes ?? 50 << 20,
    isolationLevel: o.isolation ?? 0,
    sessionId: o.sessionId ?? 0,
    sessionEpoch: o.sessionEpoch ?? -1,
    topics,
    forgottenTopicsData: o.forgotten ?? [],
    rackId: '',
  };
}

/** A Fetch of one partition of a topic, by name (v < 13) or id (v13+). */
export async function fetchOne(peer: SessionPeer, v: number, topic: string, part: FetchPart, label: string, o: Parameters<typeof fetchReq>[1] = {}): Promise<unknown> {
  const id = v >= 13 ? await topicId(peer, topic) : NO_ID;
  return peer.call(Fetch, v, fetchReq([fetchTopic(v >= 13 ? '' : topic, id, [part])], o), { label });
}

export function listReq(topic: string, timestamp: bigint, o: { partition?: number; epoch?: number; isolation?: number } = {}) {
  return { replicaId: -1, isolationLevel: o.isolation ?? 0, topics: [{ name: topic, partitions: [{ partitionIndex: o.partition ?? 0, currentLeaderEpoch: o.epoch ?? -1, timestamp, maxNumOffsets: 1 }] }] };
}

/**
 * Versions of `api` Samsa serves and Apache Kafka 4 does not (KIP-896 removed them; Kafka 4 still
 * advertises Produce v0-2, for librdkafka's sake, but closes the connection when they are used).
 */
export function samsaOnly(peer: SessionPeer, api: Parameters<SessionPeer['versions']>[0]): number[] {
  const s = peer.range(api, 'samsa');
  const both = versions(peer, api);
  if (!s) return [];
  const out: number[] = [];
  for (let v = s[0]; v <= s[1]; v++) if (!both.includes(v)) out.push(v);
  return out;
}

/** The versions both brokers serve (for Produce: v3+). */
export function versions(peer: SessionPeer, api: Parameters<SessionPeer['versions']>[0]): number[] {
  return peer.versions(api).filter((v) => api !== Produce || v >= 3);
}

/**
 * Items named by their key and how often that key came before, so that an answer holding one key
 * twice is compared entry by entry (and the order of different keys still does not matter).
 */
export function numbered(items: any[]): any[] {
  const seen = new Map<string, number>();
  return items.map((x) => {
    const key = String(x.name ?? x.topic ?? x.partitionIndex ?? x.partition);
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    return { ...x, name: `${key}#${n}` };
  });
}
/** A view numbering a response's topics (under `topicsKey`) and their partitions. */
export function positions(topicsKey: string) {
  return (res: any) => ({ ...res, [topicsKey]: numbered(res[topicsKey]).map((t: any) => ({ ...t, partitions: numbered(t.partitions) })) });
}

export const withNulls: RecordInput[] = [
  { key: null, value: Buffer.from('no key'), headers: [], timestamp: T0 },
  { key: Buffer.from('k-null-value'), value: null, headers: [], timestamp: T0 + 1n },
  { key: Buffer.from('k-headers'), value: Buffer.from('v'), headers: [{ key: 'a', value: Buffer.from('1') }, { key: 'b', value: null }, { key: 'a', value: Buffer.from('2') }], timestamp: T0 + 2n },
  { key: Buffer.alloc(0), value: Buffer.alloc(0), headers: [], timestamp: T0 + 3n },
];
