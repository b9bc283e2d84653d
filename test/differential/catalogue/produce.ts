// Produce: every version both brokers serve, the record formats producers send (keys, headers,
// null values, every codec, several batches), Kafka's LogValidator rules, acks=0, idempotent
// producers, topic compression, timestamps and compacted topics.
import { Fetch, InitProducerId, ListOffsets, Metadata, Produce, type ProduceRequest } from '../../../src/protocol/generated/index.js';
import { CompressionType, buildMessageSet, writeBatchCrc } from '../../../src/protocol/records/index.js';
import { encodeRequest, type AllowEntry, type Session } from '../harness.js';
import { T0, batch, records } from './util.js';
import { NO_ID, createTopic, fetchOne, listReq, produceReq, samsaOnly, versions, withNulls } from './produce-fetch-util.js';

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
];

export const allow: AllowEntry[] = [
  {
    session: 'pf-produce-invalid',
    where: /^Produce garbled lz4 payload: responses\[name=pf-produce-invalid\]\.partitionResponses\[index=0\]\.errorCode$/,
    reason: "Records that cannot be decompressed: Kafka 4.1 answers INVALID_RECORD for gzip but UNKNOWN_SERVER_ERROR for LZ4 (its KafkaLZ4BlockInputStream's exception is not mapped to an error code); Samsa answers INVALID_RECORD for every codec, which is what the error is.",
  },
  {
    session: 'pf-produce-topic-compression',
    where: /^Fetch compression\.type=(gzip|zstd|snappy): responses\[topic=\]\.partitions\[partitionIndex=0\]\.records\[0\]\.(batchLength|sizeInBytes)$/,
    reason: "A batch the broker recompresses for the topic's compression.type is as long as its compressor makes it: Java's GZIPOutputStream, zstd-jni and snappy-java against Node's zlib, zstd and Samsa's snappy, each valid and decoded alike; the header fields and every record are compared.",
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
