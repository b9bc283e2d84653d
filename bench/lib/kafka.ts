/**
 * Small protocol helpers for the benchmarks: version negotiation, topic creation (through
 * Metadata auto-creation, so it works with the broker's num.partitions), pre-encoded Produce
 * frames and fast batch-header walking for consumers.
 */
import { ApiVersions, CreateTopics, Fetch, Metadata, Produce, type FetchRequest, type ProduceResponse } from '../../src/protocol/generated/index.js';
import { buildRecordBatch, type RecordInput } from '../../src/protocol/records/index.js';
import { UUID_ZERO, responseHeaderVersion, type ApiDescriptor } from '../../src/protocol/runtime/index.js';
import { RawConnection } from './raw-client.js';

export interface Versions {
  produce: number;
  fetch: number;
  metadata: number;
  createTopics: number;
}

/** The highest version both the broker and our codecs speak. */
export async function negotiateVersions(c: RawConnection): Promise<Versions> {
  const res = await c.request(ApiVersions, 3, { ...ApiVersions.request.defaults(), clientSoftwareName: 'samsa-bench', clientSoftwareVersion: '0.1.0' });
  if (res.errorCode !== 0) throw new Error(`ApiVersions error ${res.errorCode}`);
  const pick = (api: ApiDescriptor<any, any>): number => {
    const k = res.apiKeys.find((a) => a.apiKey === api.apiKey);
    if (!k) throw new Error(`broker does not serve ${api.name}`);
    return Math.min(k.maxVersion, api.maxVersion);
  };
  return { produce: pick(Produce), fetch: pick(Fetch), metadata: pick(Metadata), createTopics: pick(CreateTopics) };
}

export interface TopicInfo {
  name: string;
  topicId: string;
  partitions: number;
}

/** Creates `name` by auto-creation (the broker's num.partitions) and returns its id and partition count. */
export async function ensureTopic(c: RawConnection, versions: Versions, name: string): Promise<TopicInfo> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const res = await c.request(Metadata, versions.metadata, {
      ...Metadata.request.defaults(),
      topics: [{ topicId: UUID_ZERO, name }],
      allowAutoTopicCreation: true,
    });
    const t = res.topics.find((x) => x.name === name);
    if (t && t.errorCode === 0 && t.partitions.length > 0) return { name, topicId: t.topicId, partitions: t.partitions.length };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`topic ${name} was not created`);
}

/**
 * Creates `name` with `partitions` partitions, replication factor 1 and the broker's default
 * topic configs (CreateTopics), then waits until Metadata shows a leader for every partition
 * (Apache Kafka answers CreateTopics before its leaders are up).
 */
export async function createTopic(c: RawConnection, versions: Versions, name: string, partitions: number): Promise<TopicInfo> {
  const res = await c.request(CreateTopics, versions.createTopics, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 30_000,
    validateOnly: false,
  });
  const r = res.topics.find((t) => t.name === name);
  if (!r || r.errorCode !== 0) throw new Error(`CreateTopics ${name}: error ${r?.errorCode} ${r?.errorMessage ?? ''}`);
  for (let attempt = 0; attempt < 100; attempt++) {
    const md = await c.request(Metadata, versions.metadata, { ...Metadata.request.defaults(), topics: [{ topicId: UUID_ZERO, name }], allowAutoTopicCreation: false });
    const t = md.topics.find((x) => x.name === name);
    if (t && t.errorCode === 0 && t.partitions.length === partitions && t.partitions.every((p) => p.errorCode === 0 && p.leaderId >= 0)) return { name, topicId: t.topicId, partitions };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`topic ${name} has no leaders after 10 s`);
}

/** Deterministic, incompressible-ish payload bytes. */
export function payload(n: number, seed = 7): Buffer {
  const out = Buffer.allocUnsafe(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** One uncompressed magic-2 batch of `count` records of `valueSize` bytes (null keys). */
export function makeBatch(count: number, valueSize: number, timestamp = Date.now()): Buffer {
  const value = payload(valueSize);
  const records: RecordInput[] = [];
  for (let i = 0; i < count; i++) records.push({ value });
  return buildRecordBatch(records, { timestamp });
}

/** A whole Produce request frame (size prefix included) for one batch to one partition. */
export function produceFrame(version: number, topic: string, partition: number, batch: Buffer, acks: number, timeoutMs = 30_000): Buffer {
  return RawConnection.encodeRequest(Produce, version, {
    transactionalId: null,
    acks,
    timeoutMs,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
  });
}

export function produceResponseHeaderVersion(version: number): number {
  return responseHeaderVersion(Produce as ApiDescriptor, version);
}

export function fetchResponseHeaderVersion(version: number): number {
  return responseHeaderVersion(Fetch as ApiDescriptor, version);
}

/** Every partition result of a produce response that is not NONE. */
export function produceErrors(res: ProduceResponse): { code: number; message: string | null }[] {
  const out: { code: number; message: string | null }[] = [];
  for (const t of res.responses) for (const p of t.partitionResponses) if (p.errorCode !== 0) out.push({ code: p.errorCode, message: p.errorMessage });
  return out;
}

export interface FetchPartitionSpec {
  partition: number;
  fetchOffset: bigint;
}

export function fetchRequest(version: number, topic: TopicInfo, parts: FetchPartitionSpec[], opts: { maxWaitMs: number; minBytes: number; maxBytes: number; partitionMaxBytes: number }): FetchRequest {
  return {
    ...Fetch.request.defaults(),
    replicaId: -1,
    maxWaitMs: opts.maxWaitMs,
    minBytes: opts.minBytes,
    maxBytes: opts.maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: topic.name,
        topicId: topic.topicId,
        partitions: parts.map((p) => ({
          partition: p.partition,
          currentLeaderEpoch: -1,
          fetchOffset: p.fetchOffset,
          lastFetchedEpoch: -1,
          logStartOffset: -1n,
          partitionMaxBytes: opts.partitionMaxBytes,
          replicaDirectoryId: UUID_ZERO,
        })),
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  };
}

export interface BatchWalk {
  batches: number;
  records: number;
  bytes: number;
  /** Offset after the last complete batch, or -1n when there was none. */
  nextOffset: bigint;
}

/** Walks batch headers only (no CRC check, no record decoding): what a load generator can afford. */
export function walkBatches(buf: Buffer): BatchWalk {
  let at = 0;
  let batches = 0;
  let records = 0;
  let nextOffset = -1n;
  while (buf.length - at >= 61) {
    const size = 12 + buf.readInt32BE(at + 8);
    if (at + size > buf.length) break; // partial trailing batch
    records += buf.readInt32BE(at + 57);
    nextOffset = buf.readBigInt64BE(at) + BigInt(buf.readInt32BE(at + 23)) + 1n;
    batches++;
    at += size;
  }
  return { batches, records, bytes: at, nextOffset };
}
