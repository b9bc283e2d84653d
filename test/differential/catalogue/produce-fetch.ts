// Produce, Fetch, ListOffsets, OffsetForLeaderEpoch, DeleteRecords and DescribeLogDirs: every
// version both brokers serve, the record formats producers send (keys, headers, null values,
// every codec, several batches), Kafka's LogValidator rules, fetch positions and limits, fetch
// sessions (KIP-227), topic ids, leader epochs, log start offsets and log dir sizes.
import { AddPartitionsToTxn, DeleteRecords, DescribeLogDirs, EndTxn, Fetch, InitProducerId, ListOffsets, Metadata, OffsetForLeaderEpoch, Produce, type FetchRequest, type ProduceRequest } from '../../../src/protocol/generated/index.js';
import { CompressionType, buildMessageSet, writeBatchCrc, type RecordInput } from '../../../src/protocol/records/index.js';
import { encodeRequest, type AllowEntry, type Session, type SessionPeer } from '../harness.js';
import { T0, batch, createTopic as createTopicInMetadata, records, topicId, waitForCoordinator } from './util.js';

const NO_ID = 'AAAAAAAAAAAAAAAAAAAAAA';
const UNKNOWN_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

/** Creates a topic and waits until the broker's replica manager leads every partition (Kafka applies that after Metadata shows the leader). */
async function createTopic(peer: SessionPeer, name: string, partitions = 1, configs: Record<string, string> = {}): Promise<void> {
  // T0 is long past: Kafka's retention (by record time, checked every 5 minutes) would delete these
  // records in the middle of a later session, so the sessions' topics keep their data.
  await createTopicInMetadata(peer, name, partitions, { 'retention.ms': '-1', ...configs });
  const parts = Array.from({ length: partitions }, (_, i) => ({ partitionIndex: i, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }));
  await peer.quiet(ListOffsets, 1, { replicaId: -1, isolationLevel: 0, topics: [{ name, partitions: parts }] }, (r) => r.topics[0]!.partitions.some((p) => p.errorCode !== 0));
}

/** Appends records quietly (acks=-1), retrying while Kafka's replica manager has not yet taken the new partition's leadership. */
async function produce(peer: SessionPeer, topic: string, partition: number, recs: Buffer): Promise<void> {
  const res = await peer.quiet(Produce, 9, produceReq(topic, partition, recs), (r) => r.responses[0]!.partitionResponses[0]!.errorCode === 6);
  const code = res.responses[0]!.partitionResponses[0]!.errorCode;
  if (code !== 0) throw new Error(`${peer.name}: produce to ${topic}-${partition} failed with error ${code}`);
}

function produceReq(topic: string, partition: number, recs: Buffer | null, acks = -1, more: ProduceRequest.TopicProduceData[] = []): ProduceRequest {
  return { transactionalId: null, acks, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: partition, records: recs }] }, ...more] };
}

interface FetchPart {
  partition?: number;
  offset: bigint;
  epoch?: number;
  maxBytes?: number;
  lastFetchedEpoch?: number;
}

function fetchTopic(name: string, id: string, parts: FetchPart[]): FetchRequest.FetchTopic {
  return {
    topic: name,
    topicId: id,
    partitions: parts.map((p) => ({ partition: p.partition ?? 0, currentLeaderEpoch: p.epoch ?? -1, fetchOffset: p.offset, lastFetchedEpoch: p.lastFetchedEpoch ?? -1, logStartOffset: -1n, partitionMaxBytes: p.maxBytes ?? 1 << 20, replicaDirectoryId: NO_ID })),
  };
}

function fetchReq(topics: FetchRequest.FetchTopic[], o: { maxBytes?: number; minBytes?: number; maxWaitMs?: number; isolation?: number; sessionId?: number; sessionEpoch?: number; forgotten?: FetchRequest.ForgottenTopic[] } = {}): FetchRequest {
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
async function fetchOne(peer: SessionPeer, v: number, topic: string, part: FetchPart, label: string, o: Parameters<typeof fetchReq>[1] = {}): Promise<unknown> {
  const id = v >= 13 ? await topicId(peer, topic) : NO_ID;
  return peer.call(Fetch, v, fetchReq([fetchTopic(v >= 13 ? '' : topic, id, [part])], o), { label });
}

function listReq(topic: string, timestamp: bigint, o: { partition?: number; epoch?: number; isolation?: number } = {}) {
  return { replicaId: -1, isolationLevel: o.isolation ?? 0, topics: [{ name: topic, partitions: [{ partitionIndex: o.partition ?? 0, currentLeaderEpoch: o.epoch ?? -1, timestamp, maxNumOffsets: 1 }] }] };
}

/**
 * Versions of `api` Samsa serves and Apache Kafka 4 does not (KIP-896 removed them; Kafka 4 still
 * advertises Produce v0-2, for librdkafka's sake, but closes the connection when they are used).
 */
function samsaOnly(peer: SessionPeer, api: Parameters<SessionPeer['versions']>[0]): number[] {
  const s = peer.range(api, 'samsa');
  const both = versions(peer, api);
  if (!s) return [];
  const out: number[] = [];
  for (let v = s[0]; v <= s[1]; v++) if (!both.includes(v)) out.push(v);
  return out;
}

/** The versions both brokers serve (for Produce: v3+). */
function versions(peer: SessionPeer, api: Parameters<SessionPeer['versions']>[0]): number[] {
  return peer.versions(api).filter((v) => api !== Produce || v >= 3);
}

/**
 * Items named by their key and how often that key came before, so that an answer holding one key
 * twice is compared entry by entry (and the order of different keys still does not matter).
 */
function numbered(items: any[]): any[] {
  const seen = new Map<string, number>();
  return items.map((x) => {
    const key = String(x.name ?? x.topic ?? x.partitionIndex ?? x.partition);
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    return { ...x, name: `${key}#${n}` };
  });
}
/** A view numbering a response's topics (under `topicsKey`) and their partitions. */
function positions(topicsKey: string) {
  return (res: any) => ({ ...res, [topicsKey]: numbered(res[topicsKey]).map((t: any) => ({ ...t, partitions: numbered(t.partitions) })) });
}

const withNulls: RecordInput[] = [
  { key: null, value: Buffer.from('no key'), headers: [], timestamp: T0 },
  { key: Buffer.from('k-null-value'), value: null, headers: [], timestamp: T0 + 1n },
  { key: Buffer.from('k-headers'), value: Buffer.from('v'), headers: [{ key: 'a', value: Buffer.from('1') }, { key: 'b', value: null }, { key: 'a', value: Buffer.from('2') }], timestamp: T0 + 2n },
  { key: Buffer.alloc(0), value: Buffer.alloc(0), headers: [], timestamp: T0 + 3n },
];

export const sessions: Session[] = [
  {
    name: 'pf-produce-versions',
    async run(peer) {
      const t = 'pf-produce-versions';
      await createTopic(peer, t, 2);
      for (const v of versions(peer, Produce)) {
        await peer.call(Produce, v, produceReq(t, 0, batch(records(3, `v${v}`))), { label: `Produce acks=-1 v${v}` });
        await peer.call(Produce, v, produceReq(t, 1, batch(records(2, `v${v}-a1`)), 1), { label: `Produce acks=1 v${v}` });
        const conn = await peer.connection();
        await peer.callOn(conn, Produce, v, produceReq(t, 1, batch(records(1, `v${v}-a0`)), 0), { label: `Produce acks=0 v${v}`, noResponse: true });
        await peer.call(Produce, v, produceReq(t, 0, batch(records(1, `v${v}-bad-acks`)), 2), { label: `Produce acks=2 v${v}` });
      }
      // Versions Kafka 4 no longer serves (to a topic of their own: Samsa appends).
      await createTopic(peer, `${t}-old`);
      for (const v of samsaOnly(peer, Produce)) {
        await peer.raw(Produce, v, encodeRequest(Produce, v, 1, produceReq(`${t}-old`, 0, batch(records(1, `old-v${v}`)))), { label: `Produce removed v${v}` });
      }
      const v = peer.versions(Fetch).at(-1)!;
      await fetchOne(peer, v, t, { partition: 0, offset: 0n }, 'Fetch partition 0');
      await fetchOne(peer, v, t, { partition: 1, offset: 0n }, 'Fetch partition 1');
    },
  },
  {
    name: 'pf-produce-records',
    async run(peer) {
      const t = 'pf-produce-records';
      await createTopic(peer, t);
      const pv = versions(peer, Produce).at(-1)!;
      await peer.call(Produce, pv, produceReq(t, 0, batch(withNulls)), { label: 'Produce null keys, null values, headers' });
      for (const [name, compression] of [['gzip', CompressionType.Gzip], ['snappy', CompressionType.Snappy], ['lz4', CompressionType.Lz4], ['zstd', CompressionType.Zstd]] as const) {
        await peer.call(Produce, pv, produceReq(t, 0, batch(records(5, name), { compression })), { label: `Produce ${name}` });
      }
      // zstd needs Produce v7+ (KIP-110).
      const low = versions(peer, Produce)[0]!;
      if (low < 7) await peer.call(Produce, low, produceReq(t, 0, batch(records(2, 'zstd-old'), { compression: CompressionType.Zstd })), { label: `Produce zstd v${low}` });
      // Several batches for one partition: v3+ allows exactly one.
      const two = Buffer.concat([batch(records(2, 'two-a')), batch(records(2, 'two-b'))]);
      await peer.call(Produce, pv, produceReq(t, 0, two), { label: 'Produce two batches' });
      // The same partition twice in one request, and two topics.
      await createTopic(peer, `${t}-other`);
      await peer.call(Produce, pv, produceReq(t, 0, batch(records(1, 'pair')), -1, [{ name: `${t}-other`, partitionData: [{ index: 0, records: batch(records(2, 'other')) }] }]), { label: 'Produce two topics' });
      // Odd requests, each on a connection of its own (a broker may close it or not answer).
      const odd = async (label: string, req: ProduceRequest) => peer.callOn(await peer.connection(), Produce, pv, req, { label, timeoutMs: 3000 });
      await odd('Produce no topics', { ...produceReq(t, 0, null), topicData: [] });
      await odd('Produce empty records', produceReq(t, 0, Buffer.alloc(0)));
      await odd('Produce null records', produceReq(t, 0, null));
      await odd('Produce batch without records', produceReq(t, 0, batch([])));
      for (const v of peer.versions(Fetch)) await fetchOne(peer, v, t, { offset: 0n }, `Fetch all v${v}`);
      await fetchOne(peer, peer.versions(Fetch).at(-1)!, `${t}-other`, { offset: 0n }, 'Fetch other topic');
    },
  },
  {
    name: 'pf-produce-invalid',
    async run(peer) {
      const t = 'pf-produce-invalid';
      await createTopic(peer, t, 1, { 'max.message.bytes': '2000' });
      const pv = versions(peer, Produce).at(-1)!;
      const p = (label: string, recs: Buffer, topic = t, partition = 0) => peer.call(Produce, pv, produceReq(topic, partition, recs), { label });
      await p('Produce valid', batch(records(2, 'ok')));
      await p('Produce unknown partition', batch(records(1)), t, 5);
      await p('Produce unknown topic', batch(records(1)), 'pf-produce-invalid-unknown');
      await p('Produce invalid topic name', batch(records(1)), 'pf bad name!');
      await p('Produce too large', batch([{ key: null, value: Buffer.alloc(3000, 1), headers: [], timestamp: T0 }]));
      await p('Produce too large compressed below limit', batch([{ key: null, value: Buffer.alloc(30_000, 1), headers: [], timestamp: T0 }], { compression: CompressionType.Gzip }));
      const crc = batch(records(2, 'crc'));
      crc[crc.length - 1] ^= 0xff;
      await p('Produce corrupt CRC', crc);
      const magic1 = batch(records(1, 'm'));
      magic1[16] = 1;
      await p('Produce magic 1 in a v2 frame', magic1);
      const magic3 = batch(records(1, 'm'));
      magic3[16] = 3;
      await p('Produce magic 3', magic3);
      await p('Produce non-zero base offset', batch(records(2, 'base'), { baseOffset: 7n }));
      await p('Produce wrong lastOffsetDelta', batch(records(3, 'delta'), { lastOffsetDelta: 5 }));
      const count = batch(records(3, 'count'));
      count.writeInt32BE(4, 57);
      writeBatchCrc(count);
      await p('Produce wrong record count', count);
      const count0 = batch(records(1, 'count0'));
      count0.writeInt32BE(0, 57);
      writeBatchCrc(count0);
      await p('Produce record count 0', count0);
      const truncated = batch(records(3, 'trunc'));
      await p('Produce truncated batch', truncated.subarray(0, truncated.length - 5));
      await p('Produce control batch', batch([{ key: Buffer.from([0, 0, 0, 0]), value: Buffer.from([0, 0, 0, 0, 0, 0]), headers: [], timestamp: T0 }], { control: true }));
      await p('Produce transactional without id', batch(records(1, 'txn'), { producerId: 4242n, producerEpoch: 0, baseSequence: 0, transactional: true }));
      await p('Produce partition -1', batch(records(1)), t, -1);
      await p('Produce legacy message set (magic 1)', buildMessageSet([{ offset: 0n, key: Buffer.from('old'), value: Buffer.from('format'), timestamp: T0 }], { magic: 1 }));
      await p('Produce legacy message set (magic 0)', buildMessageSet([{ offset: 0n, key: Buffer.from('old'), value: Buffer.from('format'), timestamp: T0 }], { magic: 0 }));
      // The same partition twice in one request (each answer is recorded under its position).
      const positions = (res: any) => ({ ...res, responses: res.responses.map((x: any) => ({ ...x, partitionResponses: x.partitionResponses.map((r: any, i: number) => ({ name: `#${i}`, ...r })) })) });
      await peer.call(Produce, pv, { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: t, partitionData: [{ index: 0, records: batch(records(1, 'twice-a')) }, { index: 0, records: batch(records(2, 'twice-b')) }] }] }, { label: 'Produce same partition twice', view: positions });
      await peer.call(Produce, pv, { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: t, partitionData: [{ index: 0, records: batch(records(1, 'topic-twice-a')) }] }, { name: t, partitionData: [{ index: 0, records: batch(records(1, 'topic-twice-b')) }] }] }, { label: 'Produce same topic twice', view: (res: any) => ({ ...res, responses: res.responses.map((x: any, i: number) => ({ ...x, name: `${x.name}#${i}` })) }) });
      await p('Produce to an internal topic', batch(records(1, 'internal')), '__consumer_offsets', 0);
      // A gzip batch whose compressed bytes are not gzip (CRC recomputed).
      const garbled = batch(records(3, 'garbled'), { compression: CompressionType.Gzip });
      garbled.fill(0x5a, 61 + 10);
      writeBatchCrc(garbled);
      await p('Produce garbled gzip payload', garbled);
      const lz4 = batch(records(3, 'garbled'), { compression: CompressionType.Lz4 });
      lz4.fill(0x5a, 61 + 4);
      writeBatchCrc(lz4);
      await p('Produce garbled lz4 payload', lz4);
      const plain = batch(records(3, 'garbled'));
      plain.fill(0x7f, 61 + 1, 61 + 12);
      writeBatchCrc(plain);
      await p('Produce garbled uncompressed records', plain);
      const extra = Buffer.concat([batch(records(2, 'extra')), Buffer.from([0, 0, 0])]);
      extra.writeInt32BE(extra.length - 12, 8);
      writeBatchCrc(extra);
      await p('Produce bytes after the last record', extra);
      await createTopic(peer, `${t}-isr`, 1, { 'min.insync.replicas': '2' });
      for (const acks of [-1, 1, 0]) {
        const conn = await peer.connection();
        await peer.callOn(conn, Produce, pv, produceReq(`${t}-isr`, 0, batch(records(1, `isr${acks}`)), acks), { label: `Produce min.insync.replicas=2 acks=${acks}`, noResponse: acks === 0 });
      }
      await p('Produce valid after errors', batch(records(1, 'end')));
      await fetchOne(peer, peer.versions(Fetch).at(-1)!, t, { offset: 0n }, 'Fetch after invalid produces');
    },
  },
  {
    name: 'pf-produce-acks0',
    async run(peer) {
      const t = 'pf-produce-acks0';
      await createTopic(peer, t);
      const pv = versions(peer, Produce).at(-1)!;
      // acks=0: no answer; on an error Kafka closes the connection (the client's only signal).
      for (const [label, req] of [
        ['valid', produceReq(t, 0, batch(records(2, 'a0')), 0)],
        ['unknown partition', produceReq(t, 3, batch(records(1)), 0)],
        ['unknown topic', produceReq(`${t}-unknown`, 0, batch(records(1)), 0)],
        ['corrupt', produceReq(t, 0, Buffer.from([1, 2, 3]), 0)],
      ] as const) {
        const conn = await peer.connection();
        await peer.callOn(conn, Produce, pv, req, { label: `Produce acks=0 ${label}`, noResponse: true });
        await peer.callOn(conn, ListOffsets, 1, listReq(t, -1n), { label: `ListOffsets after acks=0 ${label}`, timeoutMs: 3000 });
      }
      // Produce does not create topics (Kafka 4: only Metadata does).
      await peer.call(Produce, pv, produceReq(`${t}-unknown`, 0, batch(records(1))), { label: 'Produce unknown topic' });
      await peer.call(Metadata, 12, { topics: [{ topicId: NO_ID, name: `${t}-unknown` }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, { label: 'Metadata after producing to an unknown topic' });
      await fetchOne(peer, versions(peer, Fetch).at(-1)!, t, { offset: 0n }, 'Fetch acks=0 records');
    },
  },
  {
    name: 'pf-produce-idempotent',
    async run(peer) {
      const t = 'pf-produce-idempotent';
      await createTopic(peer, t);
      const pv = versions(peer, Produce).at(-1)!;
      const init = await peer.quiet(InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }, (r) => r.errorCode !== 0);
      const pid = init.producerId;
      const ep = init.producerEpoch;
      const b = (seq: number, n: number, tag: string, o: { producerId?: bigint; producerEpoch?: number } = {}) => batch(records(n, tag), { producerId: pid, producerEpoch: ep, baseSequence: seq, ...o });
      const p = (label: string, recs: Buffer) => peer.call(Produce, pv, produceReq(t, 0, recs), { label });
      await p('Produce seq 0', b(0, 3, 's0'));
      await p('Produce seq 3', b(3, 2, 's3'));
      await p('Produce seq 3 again (duplicate)', b(3, 2, 's3'));
      await p('Produce seq 0 again (older duplicate)', b(0, 3, 's0'));
      await p('Produce seq 9 (gap)', b(9, 1, 's9'));
      await p('Produce seq 2 (overlap)', b(2, 1, 's2'));
      await p('Produce stale epoch', b(5, 1, 'old', { producerEpoch: ep - 1 }));
      await p('Produce newer epoch, seq 0', b(0, 1, 'new', { producerEpoch: ep + 1 }));
      await p('Produce newer epoch, seq 4', b(4, 1, 'new4', { producerEpoch: ep + 2 }));
      await p('Produce unknown producer id, seq 0', b(0, 1, 'u0', { producerId: pid + 1000n }));
      await p('Produce unknown producer id, seq 5', b(5, 1, 'u5', { producerId: pid + 2000n }));
      await fetchOne(peer, versions(peer, Fetch).at(-1)!, t, { offset: 0n }, 'Fetch idempotent records');
    },
  },
  {
    name: 'pf-produce-topic-compression',
    async run(peer) {
      const t = 'pf-produce-topic-compression';
      const pv = versions(peer, Produce).at(-1)!;
      const fv = versions(peer, Fetch).at(-1)!;
      for (const [codec, sent] of [['uncompressed', CompressionType.Lz4], ['gzip', CompressionType.None], ['lz4', CompressionType.Snappy], ['zstd', CompressionType.Gzip], ['snappy', CompressionType.None], ['producer', CompressionType.Zstd]] as const) {
        await createTopic(peer, `${t}-${codec}`, 1, { 'compression.type': codec });
        await peer.call(Produce, pv, produceReq(`${t}-${codec}`, 0, batch(records(4, codec), { compression: sent })), { label: `Produce to compression.type=${codec}` });
        await fetchOne(peer, fv, `${t}-${codec}`, { offset: 0n }, `Fetch compression.type=${codec}`);
      }
    },
  },
  {
    name: 'pf-produce-no-auto-create',
    brokers: 'no-auto-create',
    async run(peer) {
      for (const v of versions(peer, Produce)) await peer.call(Produce, v, produceReq('pf-produce-no-auto-create-x', 0, batch(records(1))), { label: `Produce unknown topic v${v}` });
    },
  },
  {
    name: 'pf-produce-timestamps',
    async run(peer) {
      const t = 'pf-produce-timestamps';
      // T0 is far in the past: one day before now is the limit.
      // after.max.ms set too: its default is one hour in Kafka 4, unlimited in Samsa (as Kafka 3.x).
      await createTopic(peer, `${t}-before`, 1, { 'message.timestamp.before.max.ms': '86400000', 'message.timestamp.after.max.ms': '86400000' });
      await createTopic(peer, `${t}-after`, 1, { 'message.timestamp.after.max.ms': '86400000' });
      await createTopic(peer, `${t}-append`, 1, { 'message.timestamp.type': 'LogAppendTime' });
      const pv = versions(peer, Produce).at(-1)!;
      const fv = peer.versions(Fetch).at(-1)!;
      await peer.call(Produce, pv, produceReq(`${t}-before`, 0, batch(records(3, 'old'))), { label: 'Produce too old' });
      for (const v of versions(peer, Produce)) await peer.call(Produce, v, produceReq(`${t}-before`, 0, batch(records(2, 'old'))), { label: `Produce too old v${v}` });
      await peer.call(Produce, pv, produceReq(`${t}-after`, 0, batch(records(2, 'old'))), { label: 'Produce old, after limit only' });
      const future = records(2, 'future').map((r, i) => ({ ...r, timestamp: T0 + 10n * 365n * 86_400_000n + BigInt(i) }));
      await peer.call(Produce, pv, produceReq(`${t}-after`, 0, batch(future)), { label: 'Produce too new' });
      await peer.call(Produce, pv, produceReq(`${t}-append`, 0, batch(records(2, 'append'))), { label: 'Produce LogAppendTime' });
      await peer.call(Produce, pv, produceReq(`${t}-append`, 0, batch(records(2, 'append-gz'), { compression: CompressionType.Gzip })), { label: 'Produce LogAppendTime gzip' });
      for (const s of ['before', 'after', 'append']) await fetchOne(peer, fv, `${t}-${s}`, { offset: 0n }, `Fetch ${s}`);
    },
  },
  {
    name: 'pf-produce-compacted',
    async run(peer) {
      const t = 'pf-produce-compacted';
      await createTopic(peer, t, 1, { 'cleanup.policy': 'compact' });
      const pv = versions(peer, Produce).at(-1)!;
      const keyless = records(3, 'c').map((r, i) => (i === 1 ? { ...r, key: null } : r));
      await peer.call(Produce, pv, produceReq(t, 0, batch(keyless)), { label: 'Produce keyless record to compacted' });
      // recordErrors exist from v8 on.
      for (const v of versions(peer, Produce)) await peer.call(Produce, v, produceReq(t, 0, batch(keyless)), { label: `Produce keyless record to compacted v${v}` });
      await peer.call(Produce, pv, produceReq(t, 0, batch(keyless, { compression: CompressionType.Lz4 })), { label: 'Produce keyless lz4 to compacted' });
      await peer.call(Produce, pv, produceReq(t, 0, batch(records(2, 'c-ok'))), { label: 'Produce keyed to compacted' });
      await peer.call(Produce, pv, produceReq(t, 0, batch([{ key: Buffer.from('tomb'), value: null, headers: [], timestamp: T0 }])), { label: 'Produce tombstone to compacted' });
      await fetchOne(peer, peer.versions(Fetch).at(-1)!, t, { offset: 0n }, 'Fetch compacted');
    },
  },
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
    session: 'pf-produce-invalid',
    where: /^Produce garbled lz4 payload: responses\[name=pf-produce-invalid\]\.partitionResponses\[index=0\]\.errorCode$/,
    reason: "Records that cannot be decompressed: Kafka 4.1 answers INVALID_RECORD for gzip but UNKNOWN_SERVER_ERROR for LZ4 (its KafkaLZ4BlockInputStream's exception is not mapped to an error code); Samsa answers INVALID_RECORD for every codec, which is what the error is.",
  },
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
    session: 'pf-produce-topic-compression',
    where: /^Fetch compression\.type=(gzip|zstd|snappy): responses\[topic=\]\.partitions\[partitionIndex=0\]\.records\[0\]\.(batchLength|sizeInBytes)$/,
    reason: "A batch the broker recompresses for the topic's compression.type is as long as its compressor makes it: Java's GZIPOutputStream, zstd-jni and snappy-java against Node's zlib, zstd and Samsa's snappy, each valid and decoded alike; the header fields and every record are compared.",
  },
  {
    session: /^pf-/,
    where: /^(Produce removed v[0-2]|Fetch removed v[0-3]|ListOffsets removed v0|OffsetForLeaderEpoch removed v[01]|DescribeLogDirs removed v0): <response>$/,
    reason:
      'KIP-896: Apache Kafka 4 removed these versions (Produce v0-2, Fetch v0-3, ListOffsets v0, OffsetForLeaderEpoch v0-1, DescribeLogDirs v0; it still advertises Produce v0-2 for librdkafka but closes the connection on them). Samsa keeps serving them so clients older than Kafka 2.1 keep working.',
  },
  {
    session: 'pf-produce-timestamps',
    where: /^Produce too (old|new)(?: v\d+)?: responses\[name=pf-produce-timestamps-(before|after)\]\.partitionResponses\[index=0\]\.recordErrors\[\d+\]\.batchIndexErrorMessage$/,
    reason: "The message is Kafka's (\"Timestamp T of message with offset N is out of range. The timestamp should be within [now - before.max.ms, now + after.max.ms]\") and embeds each broker's clock at the time of the request; errorCode, the records' batchIndex and the rest of the answer are compared.",
  },
  {
    session: 'pf-produce-records',
    where: /^Produce null records: <response>$/,
    reason: 'Apache Kafka 4.1 does not answer a Produce whose records field is null (its handler fails on the cast to MemoryRecords and the request is dropped: the client times out); Samsa answers INVALID_RECORD for that partition, which is what Kafka answers for empty records.',
  },
];
