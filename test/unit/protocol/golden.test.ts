// Golden request frames from real clients (test/fixtures/golden/<client>/<Api>-v<n>-<i>.bin,
// captured by tools/capture-golden.ts from KafkaJS, kcat, confluent-kafka and kafka-python):
// every frame decodes with the generated codecs and re-encodes to the same bytes; the records
// inside Produce requests decode with valid CRCs and re-build to the same bytes; every API the
// broker serves has at least one fixture; and mutated frames only ever fail with KafkaDecodeError.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker, type RunningBroker } from '../../../src/index.js';
import {
  apiByKey,
  ConsumerProtocolAssignmentCodec,
  ConsumerProtocolSubscriptionCodec,
  JoinGroup,
  Produce,
  RequestHeaderCodec,
  SyncGroup,
  type ProduceRequest,
} from '../../../src/protocol/generated/index.js';
import {
  buildMessageSet,
  buildRecordBatch,
  CompressionType,
  decodeMessageSet,
  isBatchCrcValid,
  iterateBatches,
  readAllRecords,
  readRecords,
  recordsMagic,
  RECORD_BATCH_OVERHEAD,
  TimestampType,
} from '../../../src/protocol/records/index.js';
import { decodeMessage, encodeMessage, KafkaDecodeError, Reader, requestHeaderVersion, type ApiDescriptor } from '../../../src/protocol/runtime/index.js';
import { rng } from '../../lib/rng.js';

const GOLDEN = fileURLToPath(new URL('../../../../test/fixtures/golden/', import.meta.url));

interface Fixture {
  client: string;
  file: string;
  name: string;
  apiKey: number;
  apiVersion: number;
  api: ApiDescriptor<any, any>;
  frame: Buffer;
}

function loadFixtures(): Fixture[] {
  const out: Fixture[] = [];
  let clients: string[] = [];
  try {
    clients = readdirSync(GOLDEN, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch {
    return out;
  }
  for (const client of clients) {
    for (const file of readdirSync(join(GOLDEN, client)).filter((f) => f.endsWith('.bin')).sort()) {
      const frame = readFileSync(join(GOLDEN, client, file));
      const apiKey = frame.readInt16BE(0);
      const apiVersion = frame.readInt16BE(2);
      const api = apiByKey(apiKey);
      assert.ok(api, `${client}/${file}: unknown API key ${apiKey}`);
      out.push({ client, file, name: `${client}/${file}`, apiKey, apiVersion, api, frame });
    }
  }
  return out;
}

const fixtures = loadFixtures();

/** Header and body as the broker's connection decodes them. */
function decodeFrame(api: ApiDescriptor<any, any>, version: number, frame: Buffer) {
  const r = new Reader(frame);
  const headerVersion = requestHeaderVersion(api, version);
  const header = RequestHeaderCodec.read(r, headerVersion);
  const bodyOffset = r.offset;
  const body = decodeMessage(api.request, frame, version, bodyOffset);
  return { header, headerVersion, body, bodyOffset };
}

/** Versioned data (ConsumerProtocol*): an int16 version, then the fields. */
function roundTripVersioned(codec: typeof ConsumerProtocolSubscriptionCodec | typeof ConsumerProtocolAssignmentCodec, bytes: Buffer, what: string): void {
  if (bytes.length === 0) return; // an empty assignment (a member that got nothing) is allowed
  const version = bytes.readInt16BE(0);
  const value = decodeMessage(codec as typeof ConsumerProtocolSubscriptionCodec, bytes, version, 2);
  const again = Buffer.concat([bytes.subarray(0, 2), encodeMessage(codec as typeof ConsumerProtocolSubscriptionCodec, value as any, version)]);
  assert.ok(again.equals(bytes), `${what}: ${codec.name} v${version} re-encodes differently`);
}

/** Every record of a Produce `records` field decodes, CRCs hold, and rebuilding gives the same bytes. */
function checkRecords(buf: Buffer, what: string): { records: number; formats: Set<string> } {
  const formats = new Set<string>();
  const all = readAllRecords(buf); // verifies CRC32C (v2) / CRC32 (v0/v1), decompresses, reads every record
  assert.ok(all.length > 0, `${what}: no records`);
  if (recordsMagic(buf) === 2) {
    let at = 0;
    for (const batch of iterateBatches(buf)) {
      const bytes = buf.subarray(at, at + batch.sizeInBytes);
      at += batch.sizeInBytes;
      assert.ok(isBatchCrcValid(bytes), `${what}: CRC32C`);
      formats.add(`${batch.compression}@2`);
      const rebuilt = buildRecordBatch(
        readRecords(batch).map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp, offsetDelta: r.offsetDelta })),
        {
          baseOffset: batch.baseOffset,
          partitionLeaderEpoch: batch.partitionLeaderEpoch,
          producerId: batch.producerId,
          producerEpoch: batch.producerEpoch,
          baseSequence: batch.baseSequence,
          transactional: batch.isTransactional,
          control: batch.isControl,
          timestampType: batch.timestampType === TimestampType.LogAppendTime ? TimestampType.LogAppendTime : TimestampType.CreateTime,
          baseTimestamp: batch.baseTimestamp,
          maxTimestamp: batch.maxTimestamp,
          lastOffsetDelta: batch.lastOffsetDelta,
        },
      );
      // The records section as the client encoded it (decompressed when it was compressed)...
      assert.ok(rebuilt.subarray(RECORD_BATCH_OVERHEAD).equals(batch.recordsData), `${what}: records of the batch at offset ${batch.baseOffset} re-encode differently`);
      // ...and an uncompressed batch whole, header and CRC included.
      if (batch.compression === CompressionType.None) assert.ok(rebuilt.equals(bytes), `${what}: uncompressed batch at offset ${batch.baseOffset} rebuilds differently`);
    }
  } else {
    const messages = decodeMessageSet(buf); // CRC32 of every wrapper and inner message
    for (const m of messages) formats.add(`${m.compression}@${m.magic}`);
    if (messages.every((m) => m.compression === CompressionType.None)) {
      const magic = messages[0]!.magic;
      const rebuilt = buildMessageSet(
        messages.map((m) => ({ offset: m.offset, key: m.key, value: m.value, timestamp: m.timestamp })),
        { magic },
      );
      assert.ok(rebuilt.equals(buf), `${what}: magic-${magic} message set rebuilds differently`);
    }
  }
  return { records: all.length, formats };
}

describe('golden frames from real clients', () => {
  test('the fixtures are there', () => {
    assert.ok(fixtures.length > 0, `no fixtures under ${GOLDEN}: run tools/capture-golden.ts`);
    for (const f of fixtures) {
      const m = /^([A-Za-z]+)-v(\d+)-\d+\.bin$/.exec(f.file);
      assert.ok(m, `${f.name}: name is not <Api>-v<version>-<n>.bin`);
      assert.equal(m[1], f.api.name, `${f.name}: file name vs API key ${f.apiKey} in the frame`);
      assert.equal(Number(m[2]), f.apiVersion, `${f.name}: file name vs version in the frame`);
    }
  });

  test('every frame decodes (header and body) and re-encodes to the same bytes', () => {
    const failures: string[] = [];
    for (const f of fixtures) {
      try {
        const { header, headerVersion, body, bodyOffset } = decodeFrame(f.api, f.apiVersion, f.frame);
        const headerBytes = encodeMessage(RequestHeaderCodec, header, headerVersion);
        assert.ok(headerBytes.equals(f.frame.subarray(0, bodyOffset)), 'header re-encodes differently');
        const bodyBytes = encodeMessage(f.api.request, body, f.apiVersion);
        if (!bodyBytes.equals(f.frame.subarray(bodyOffset))) {
          let i = 0;
          const orig = f.frame.subarray(bodyOffset);
          while (i < orig.length && orig[i] === bodyBytes[i]) i++;
          throw new Error(`body re-encodes differently (${bodyBytes.length} vs ${orig.length} bytes, first difference at body byte ${i})`);
        }
      } catch (e) {
        failures.push(`${f.name}: ${(e as Error).message}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  test('records inside Produce requests: every record decodes, CRCs hold, batches rebuild byte for byte', (t) => {
    const produce = fixtures.filter((f) => f.apiKey === Produce.apiKey);
    assert.ok(produce.length > 0);
    const failures: string[] = [];
    const formatsByClient = new Map<string, Set<string>>();
    let recordCount = 0;
    for (const f of produce) {
      const req = decodeFrame(f.api, f.apiVersion, f.frame).body as ProduceRequest;
      for (const t of req.topicData) {
        for (const p of t.partitionData) {
          if (p.records === null) continue;
          try {
            const { formats, records } = checkRecords(p.records, `${f.name} ${t.name}[${p.index}]`);
            recordCount += records;
            const set = formatsByClient.get(f.client) ?? new Set();
            for (const x of formats) set.add(x);
            formatsByClient.set(f.client, set);
          } catch (e) {
            failures.push(`${f.name} ${t.name}[${p.index}]: ${(e as Error).message}`);
          }
        }
      }
    }
    assert.deepEqual(failures, []);
    t.diagnostic(`${produce.length} Produce frames, ${recordCount} records; formats (codec@magic) per client: ${[...formatsByClient].map(([c, f]) => `${c} ${[...f].sort().join(' ')}`).join('; ')}`);
    // Each client's set shows every codec it can send (KafkaJS: with our plug-in codecs; kafka-python: the ones installed at capture).
    const names = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
    for (const [client, formats] of formatsByClient) {
      const codecs = new Set([...formats].map((x) => names[Number(x.split('@')[0])]));
      assert.ok(codecs.has('none') && codecs.has('gzip'), `${client}: ${[...formats].join(', ')}`);
      if (client === 'kcat' || client === 'confluent-kafka' || client === 'kafkajs') {
        assert.deepEqual([...codecs].sort(), [...names].sort(), `${client} sent every codec`);
      }
    }
  });

  test('consumer protocol metadata in JoinGroup / SyncGroup round-trips', () => {
    let checked = 0;
    for (const f of fixtures) {
      if (f.apiKey === JoinGroup.apiKey) {
        const req = decodeFrame(f.api, f.apiVersion, f.frame).body as { protocolType: string; protocols: { name: string; metadata: Buffer }[] };
        if (req.protocolType !== 'consumer') continue;
        for (const p of req.protocols) {
          roundTripVersioned(ConsumerProtocolSubscriptionCodec, p.metadata, `${f.name} protocol ${p.name}`);
          checked++;
        }
      } else if (f.apiKey === SyncGroup.apiKey) {
        const req = decodeFrame(f.api, f.apiVersion, f.frame).body as { protocolType?: string | null; assignments: { memberId: string; assignment: Buffer }[] };
        for (const a of req.assignments) {
          roundTripVersioned(ConsumerProtocolAssignmentCodec, a.assignment, `${f.name} member ${a.memberId}`);
          checked++;
        }
      }
    }
    assert.ok(checked > 0, 'no consumer group metadata in the fixtures');
  });

  describe('every API the broker serves has a fixture', () => {
    let broker: RunningBroker;
    before(async () => {
      broker = await startBroker({ port: 0, config: { 'samsa.log.level': 'error' } });
    });
    after(async () => {
      await broker?.close();
    });

    // APIs the broker serves that none of the four clients sends (at the versions installed),
    // each with the reason. The test below fails when one of them gains a fixture, so that this
    // list only shrinks. Re-capture with a newer client to remove an entry.
    const NOT_SENT_BY_ANY_CLIENT: Record<string, string> = {
      // librdkafka sends it only to validate a fetch position after a leader epoch change
      // (KIP-320); a single node never changes leader during a capture. KafkaJS 2.2.4 and
      // kafka-python 2.0.2 do not implement it.
      OffsetForLeaderEpoch: 'sent only after a leader change (librdkafka); not implemented by KafkaJS / kafka-python',
      // No admin call for it in KafkaJS 2.2.4, confluent-kafka 1.7.0 or kafka-python 2.0.2.
      DescribeLogDirs: 'no client API in KafkaJS 2.2.4, confluent-kafka 1.7.0, kafka-python 2.0.2',
      // confluent-kafka has incremental_alter_configs from 2.2 (we have 1.7.0); KafkaJS and
      // kafka-python 2.0.2 only have the legacy AlterConfigs.
      IncrementalAlterConfigs: 'only in confluent-kafka >= 2.2; KafkaJS / kafka-python 2.0.2 use AlterConfigs',
      // Deleting committed offsets: not in KafkaJS 2.2.4, confluent-kafka 1.7.0 or kafka-python 2.0.2.
      OffsetDelete: 'no client API in KafkaJS 2.2.4, confluent-kafka 1.7.0, kafka-python 2.0.2',
      // KafkaJS's and kafka-python's describeCluster/describe_cluster use Metadata; confluent-kafka
      // has describe_cluster from 2.3.
      DescribeCluster: 'KafkaJS / kafka-python describe the cluster with Metadata; confluent-kafka only from 2.3',
      // Sent by a transaction coordinator to partition leaders (inter-broker), never by clients.
      WriteTxnMarkers: 'inter-broker only (coordinator to partition leaders)',
      // Admin calls of KIP-664: not in KafkaJS 2.2.4, confluent-kafka 1.7.0 or kafka-python 2.0.2.
      DescribeProducers: 'no client API in KafkaJS 2.2.4, confluent-kafka 1.7.0, kafka-python 2.0.2 (KIP-664)',
      DescribeTransactions: 'no client API in KafkaJS 2.2.4, confluent-kafka 1.7.0, kafka-python 2.0.2 (KIP-664)',
      ListTransactions: 'no client API in KafkaJS 2.2.4, confluent-kafka 1.7.0, kafka-python 2.0.2 (KIP-664)',
      // None of the captured clients sends it; the Java admin client does (kafka-leader-election.sh in
      // test/cluster/elect-leaders.test.ts; the differential session adm-elect-leaders compares the answers with Kafka's).
      ElectLeaders: 'sent by the Java admin client only; tools/capture-golden.ts drives no Java client',
    };

    test('served APIs without a fixture are exactly the commented allowlist', () => {
      const served = broker.broker.registry.all().map((h) => h.api.name);
      assert.ok(served.includes('ApiVersions') && served.includes('Produce'));
      const covered = new Set(fixtures.map((f) => f.api.name));
      const missing = served.filter((name) => !covered.has(name) && !(name in NOT_SENT_BY_ANY_CLIENT));
      assert.deepEqual(missing, [], `served APIs with no golden fixture (capture them with tools/capture-golden.ts or allowlist them with a reason): ${missing.join(', ')}`);
      const stale = Object.keys(NOT_SENT_BY_ANY_CLIENT).filter((name) => covered.has(name) || !served.includes(name));
      assert.deepEqual(stale, [], `allowlist entries that now have a fixture or are no longer served: ${stale.join(', ')}`);
    });
  });

  test('mutation fuzz: decoding mutated frames throws nothing but KafkaDecodeError', (t) => {
    // Fixed seed: the same mutations on every run.
    const rand = rng(0x5a15a);
    const int = (n: number) => Math.floor(rand() * n);
    const EXTREMES = [0x00, 0x7f, 0x80, 0xff];
    const mutate = (src: Buffer): { buf: Buffer; how: string } => {
      const buf = Buffer.from(src);
      // Mostly leave the API key and version alone, as the broker routes on them first.
      const pos = () => (rand() < 0.1 ? int(buf.length) : 4 + int(Math.max(1, buf.length - 4)));
      switch (int(7)) {
        case 0: {
          const p = pos();
          const v = int(256);
          if (p < buf.length) buf[p] = v;
          return { buf, how: `byte ${p} = ${v}` };
        }
        case 1: {
          const p = pos();
          const bit = int(8);
          if (p < buf.length) buf[p]! ^= 1 << bit;
          return { buf, how: `byte ${p} bit ${bit} flipped` };
        }
        case 2: {
          const n = int(buf.length);
          return { buf: buf.subarray(0, n), how: `truncated to ${n}` };
        }
        case 3: {
          const p = pos();
          const ins = Buffer.from(Array.from({ length: 1 + int(4) }, () => int(256)));
          return { buf: Buffer.concat([buf.subarray(0, p), ins, buf.subarray(p)]), how: `inserted ${ins.toString('hex')} at ${p}` };
        }
        case 4: {
          const p = pos();
          const n = 1 + int(8);
          return { buf: Buffer.concat([buf.subarray(0, p), buf.subarray(p + n)]), how: `deleted ${n} at ${p}` };
        }
        case 5: {
          const p = pos();
          const width = [1, 2, 4][int(3)]!;
          const v = EXTREMES[int(EXTREMES.length)]!;
          for (let i = 0; i < width && p + i < buf.length; i++) buf[p + i] = i === 0 ? v : v === 0x80 ? 0 : v;
          return { buf, how: `${width} bytes at ${p} = ${v.toString(16)}..` };
        }
        default: {
          const a = pos();
          const n = 1 + int(16);
          return { buf: Buffer.concat([buf.subarray(0, a + n), buf.subarray(a, a + n), buf.subarray(a + n)]), how: `duplicated ${n} at ${a}` };
        }
      }
    };
    const TOTAL = 4000;
    const per = Math.max(1, Math.ceil(TOTAL / Math.max(1, fixtures.length)));
    const failures: string[] = [];
    let decoded = 0;
    let rejected = 0;
    for (const f of fixtures) {
      for (let i = 0; i < per; i++) {
        const { buf, how } = mutate(f.frame);
        if (buf.length < 8) continue; // the connection closes on short frames before decoding
        const api = apiByKey(buf.readInt16BE(0));
        const version = buf.readInt16BE(2);
        if (!api || version < api.minVersion || version > api.maxVersion) continue; // routed away, never decoded
        try {
          const { body } = decodeFrame(api, version, buf);
          if (api.apiKey === Produce.apiKey) {
            for (const t of (body as ProduceRequest).topicData) {
              for (const p of t.partitionData) if (p.records) readAllRecords(p.records, { maxDecompressedBytes: 1 << 20 });
            }
          }
          decoded++;
        } catch (e) {
          if (e instanceof KafkaDecodeError) {
            rejected++;
            continue;
          }
          failures.push(`${f.name} (${how}): ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack?.split('\n').slice(1, 4).join('\n')}` : String(e)}`);
        }
      }
    }
    t.diagnostic(`${fixtures.length} fixtures × ${per} mutations: ${decoded} decoded, ${rejected} rejected with KafkaDecodeError, ${failures.length} other errors`);
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} mutations threw something else than KafkaDecodeError`);
    assert.ok(decoded + rejected > TOTAL / 2, `only ${decoded + rejected} mutations were decoded`);
  });
});
