// Setup steps that sessions share: not recorded, and waiting out what Apache Kafka does
// asynchronously (a topic's metadata reaching the broker, coordinators loading).
import { CreateTopics, DescribeGroups, FindCoordinator, ListOffsets, Metadata, Produce, type ProduceResponse } from '../../../src/protocol/generated/index.js';
import { buildRecordBatch, type BuildBatchOptions, type RecordInput } from '../../../src/protocol/records/index.js';
import type { SessionPeer } from '../harness.js';

/** A fixed time base, so record timestamps are the same on both brokers and in every run. */
export const T0 = 1_760_000_000_000n;

/** Creates a topic (quietly) and waits until every partition has a leader. */
export async function createTopic(peer: SessionPeer, name: string, numPartitions = 1, configs: Record<string, string> = {}): Promise<void> {
  const res = await peer.quiet(CreateTopics, 5, {
    topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }],
    timeoutMs: 30_000,
    validateOnly: false,
  });
  const err = res.topics[0]!.errorCode;
  if (err !== 0 && err !== 36) throw new Error(`${peer.name}: CreateTopics ${name} failed with error ${err}: ${res.topics[0]!.errorMessage}`);
  await waitForTopic(peer, name, numPartitions);
}

/** Polls Metadata until the topic has `partitions` partitions, each with a leader. */
export async function waitForTopic(peer: SessionPeer, name: string, partitions = 1): Promise<void> {
  await peer.quiet(
    Metadata,
    9,
    { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false },
    (res) => {
      const t = res.topics[0];
      return !t || t.errorCode !== 0 || t.partitions.length < partitions || t.partitions.some((p) => p.leaderId < 0 || p.errorCode !== 0);
    },
  );
  // Kafka's metadata cache can name a leader before its replica manager leads the partition
  // (NOT_LEADER_OR_FOLLOWER meanwhile): wait until every partition answers ListOffsets.
  const all = Array.from({ length: partitions }, (_, partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }));
  await peer.quiet(ListOffsets, 1, { replicaId: -1, isolationLevel: 0, topics: [{ name, partitions: all }] }, (res) => res.topics[0]!.partitions.some((p) => p.errorCode !== 0));
}

/** The topic id a broker gave a topic (Metadata v10+). */
export async function topicId(peer: SessionPeer, name: string): Promise<string> {
  const res = await peer.quiet(Metadata, 12, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  return res.topics[0]!.topicId;
}

/** Waits until the group (or transaction, keyType 1) coordinator answers FindCoordinator without error. */
export async function waitForCoordinator(peer: SessionPeer, key: string, keyType = 0): Promise<void> {
  await peer.quiet(FindCoordinator, 4, { key: '', keyType, coordinatorKeys: [key] }, (res) => res.coordinators[0]!.errorCode !== 0, 60_000);
  // Kafka answers FindCoordinator before the group coordinator has loaded its partition of
  // __consumer_offsets (NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS to group requests meanwhile).
  if (keyType === 0) await peer.quiet(DescribeGroups, 5, { groups: [key], includeAuthorizedOperations: false }, (res) => res.groups[0]!.errorCode !== 0, 60_000);
}

/** `n` records with keys, values, headers and fixed timestamps. */
export function records(n: number, tag = 'r', start = 0): RecordInput[] {
  return Array.from({ length: n }, (_, i) => ({
    key: Buffer.from(`${tag}-key-${start + i}`),
    value: Buffer.from(`${tag}-value-${start + i}-${'x'.repeat((start + i) % 13)}`),
    headers: (start + i) % 3 === 0 ? [{ key: 'h', value: Buffer.from(String(start + i)) }] : [],
    timestamp: T0 + BigInt(start + i),
  }));
}

export function batch(recs: RecordInput[], options: BuildBatchOptions = {}): Buffer {
  return buildRecordBatch(recs, { timestamp: T0, ...options });
}

/** Appends records quietly (Produce v7, acks=-1) and returns the base offset. */
export async function produce(peer: SessionPeer, topic: string, partition: number, recordsBytes: Buffer, transactionalId: string | null = null): Promise<bigint> {
  const res: ProduceResponse = await peer.quiet(Produce, 7, { transactionalId, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: partition, records: recordsBytes }] }] });
  const p = res.responses[0]!.partitionResponses[0]!;
  if (p.errorCode !== 0) throw new Error(`${peer.name}: produce to ${topic}-${partition} failed with error ${p.errorCode}`);
  return p.baseOffset;
}

/** Only the entries of an array whose `name` starts with the prefix (for all-topics answers). */
export function own<T extends { name?: string | null }>(items: T[], prefix: string): T[] {
  return items.filter((t) => (t.name ?? '').startsWith(prefix));
}
