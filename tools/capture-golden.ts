/**
 * Captures golden request frames from real clients (issue 2's proof): starts an in-process
 * broker per client with `onRequestFrame` recording every request exactly as received, drives
 * the client through handshakes, produce with every codec it has, fetch, list offsets, the admin
 * calls it offers and a consumer group, and writes a few frames per (client, API, version) to
 * test/fixtures/golden/<client>/<ApiName>-v<version>-<n>.bin plus manifest.json.
 * test/unit/protocol/golden.test.ts decodes and re-encodes every one of them.
 *
 * Run by hand (not in CI), after `npx tsc -p .`:
 *   node dist/tools/capture-golden.js [--clients kafkajs,kcat,confluent-kafka,kafka-python] [--out DIR] [--per N]
 * Re-run whenever the broker serves more APIs: only frames of APIs the broker serves reach
 * onRequestFrame (a request for an API it does not serve closes the connection unrecorded), so
 * steps that fail today (transactions, DeleteRecords...) are kept and captured once served.
 * A client's folder is replaced as a whole; the other clients' folders are left as they are.
 *
 * Needs: kafkajs (npm dev dependency), kcat, /usr/bin/python3 with confluent_kafka and kafka
 * (Debian's python3-confluent-kafka and python3-kafka).
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker, type RunningBroker } from '../src/index.js';
import { apiByKey, Produce, RequestHeaderCodec } from '../src/protocol/generated/index.js';
import { compress, compressionName, decompress } from '../src/protocol/records/index.js';
import { CompressionType } from '../src/protocol/records/batch-header.js';
import { decodeMessage, Reader, requestHeaderVersion } from '../src/protocol/runtime/index.js';
import {
  FULL_CAPS,
  KCAT_CAPS,
  KP_CAPS,
  PYTHON,
  kcatConsume,
  kcatProduce,
  killAllChildren,
  makeRecords,
  pyProduce,
  run,
  runPy,
  scratchDir,
  type RecordCaps,
  type TestRecord,
} from '../test/interop/helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLIENTS = ['kafkajs', 'kcat', 'confluent-kafka', 'kafka-python'] as const;
type Client = (typeof CLIENTS)[number];

// ---------------------------------------------------------------------------------------------
// What is kept: a few frames per (client, API, version), small ones, and for Produce one per
// distinct record format (codec@magic, acks) so that every codec a client sent is in the set.

const MAX_FRAME = 128 * 1024;

interface Kept {
  frame: Buffer;
  note: string;
}

class Recorder {
  client: Client | undefined;
  readonly kept = new Map<string, Kept[]>(); // `${client}|${apiKey}|${apiVersion}`
  readonly seen = new Map<string, number>();

  constructor(private readonly per: number) {}

  onFrame(apiKey: number, apiVersion: number, frame: Buffer): void {
    const client = this.client;
    if (!client) return;
    const key = `${client}|${apiKey}|${apiVersion}`;
    this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
    const list = this.kept.get(key) ?? [];
    this.kept.set(key, list);
    if (frame.length > MAX_FRAME && list.length > 0) return;
    const note = apiKey === Produce.apiKey ? produceNote(apiVersion, frame) : '';
    if (apiKey === Produce.apiKey) {
      // One per distinct format; the per-combination cap is raised for them.
      if (list.some((k) => k.note === note) || list.length >= this.per + 6) return;
    } else if (list.length >= this.per || list.some((k) => k.frame.subarray(8).equals(frame.subarray(8)))) {
      return; // same bytes but the correlation id: nothing new
    }
    list.push({ frame: Buffer.from(frame), note });
  }
}

/** `acks=-1 gzip@2,none@2` for a Produce frame (what makes it worth keeping). */
function produceNote(apiVersion: number, frame: Buffer): string {
  try {
    const r = new Reader(frame);
    RequestHeaderCodec.read(r, requestHeaderVersion(Produce, apiVersion));
    const req = decodeMessage(Produce.request, frame, apiVersion, r.offset);
    const formats = new Set<string>();
    for (const t of req.topicData) {
      for (const p of t.partitionData) {
        const buf = p.records;
        if (!buf) continue;
        for (let at = 0; at + 17 < buf.length; at += 12 + buf.readInt32BE(at + 8)) {
          const magic = buf.readInt8(at + 16);
          const attributes = magic >= 2 ? buf.readInt16BE(at + 21) : buf.readInt8(at + 17);
          formats.add(`${compressionName(attributes & 7)}@${magic}${magic >= 2 && attributes & 0x10 ? '+txn' : ''}`);
        }
      }
    }
    return `acks=${req.acks} ${[...formats].sort().join(',')}`;
  } catch (e) {
    return `undecodable: ${(e as Error).message}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Steps: each one is tried with a time limit; a failure is reported and the capture goes on.

interface StepResult {
  client: Client;
  step: string;
  ok: boolean;
  detail?: string;
}
const results: StepResult[] = [];

async function step(client: Client, name: string, fn: () => Promise<unknown>, timeoutMs = 60_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    results.push({ client, step: name, ok: true });
    process.stdout.write(`  ok    ${name}\n`);
  } catch (e) {
    const detail = (e instanceof Error ? e.message : String(e)).split('\n').slice(0, 3).join(' | ');
    results.push({ client, step: name, ok: false, detail });
    process.stdout.write(`  FAIL  ${name}: ${detail}\n`);
  } finally {
    if (timer) clearTimeout(timer);
    killAllChildren();
  }
}

/** Small records (keys, values, headers, timestamps as the client allows), for small frames. */
function smallRecords(seed: number, caps: RecordCaps, count = 12, partitions?: number): TestRecord[] {
  return makeRecords(seed, count, caps).map((r, i) => ({
    ...r,
    v: r.v === null ? null : r.v.slice(0, 400),
    ...(partitions ? { p: i % partitions } : {}),
  }));
}

function ensureOk(what: string, r: { error?: unknown; result?: unknown }): void {
  if (r.error) throw new Error(`${what}: ${JSON.stringify(r.error)}`);
}

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

// ---------------------------------------------------------------------------------------------
// KafkaJS (in-process)

async function driveKafkaJs(b: RunningBroker): Promise<void> {
  const require = createRequire(import.meta.url);
  const kjs = require('kafkajs') as typeof import('kafkajs');
  const { Kafka, CompressionTypes, CompressionCodecs, ConfigResourceTypes, logLevel } = kjs;
  // KafkaJS ships only gzip; its snappy/lz4/zstd are plug-ins. Ours are plugged in, so these
  // frames show KafkaJS's framing around our codecs' bytes.
  for (const [kc, ours] of [
    [CompressionTypes.Snappy, CompressionType.Snappy],
    [CompressionTypes.LZ4, CompressionType.Lz4],
    [CompressionTypes.ZSTD, CompressionType.Zstd],
  ] as const) {
    CompressionCodecs[kc] = () => ({
      compress: async (encoder: { buffer: Buffer }) => compress(ours, encoder.buffer),
      decompress: async (buffer: Buffer) => decompress(ours, buffer, 64 * 1024 * 1024),
    });
  }
  const kafka = new Kafka({ brokers: [b.bootstrap], clientId: 'samsa-golden-kafkajs', logLevel: logLevel.NOTHING, retry: { retries: 1 } });
  const admin = kafka.admin();
  const topic = 'golden-kafkajs';
  const group = 'golden-kafkajs-group';
  await step('kafkajs', 'admin connect (ApiVersions, Metadata)', () => admin.connect());
  await step('kafkajs', 'createTopics', () =>
    admin.createTopics({ topics: [{ topic, numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }] }, { topic: `${topic}-tmp` }] }),
  );
  await step('kafkajs', 'createPartitions', () => admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] }));
  await step('kafkajs', 'fetchTopicMetadata / listTopics', async () => {
    await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.listTopics();
  });
  await step('kafkajs', 'describeConfigs (topic, broker)', () =>
    admin.describeConfigs({
      includeSynonyms: true,
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: topic },
        { type: ConfigResourceTypes.BROKER, name: String(b.broker.nodeId) },
      ],
    }),
  );
  await step('kafkajs', 'alterConfigs', () =>
    admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value: '7200000' }] }] }),
  );
  await step('kafkajs', 'describeCluster', () => admin.describeCluster());

  const producer = kafka.producer();
  await step('kafkajs', 'producer connect', () => producer.connect());
  const kjsCodecs = [CompressionTypes.None, CompressionTypes.GZIP, CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD];
  for (const [c, codec] of CODECS.entries()) {
    await step('kafkajs', `produce ${codec}`, () =>
      producer.send({
        topic,
        acks: -1,
        compression: kjsCodecs[c],
        messages: smallRecords(100 + c, FULL_CAPS).map((r) => ({
          key: r.k === null ? null : Buffer.from(r.k, 'hex'),
          value: r.v === null ? null : Buffer.from(r.v, 'hex'),
          // KafkaJS headers are an object: one value per name (an array for duplicates)
          headers: Object.fromEntries(r.h.filter(([, v]) => v !== null).map(([n, v]) => [n, Buffer.from(v!, 'hex')])),
          timestamp: String(r.ts),
          partition: c % 3,
        })),
      }),
    );
  }
  await step('kafkajs', 'produce acks=1 and acks=0', async () => {
    await producer.send({ topic, acks: 1, messages: [{ key: 'k', value: 'acks1', partition: 0 }] });
    await producer.send({ topic, acks: 0, messages: [{ key: 'k', value: 'acks0', partition: 0 }] });
  });
  await step('kafkajs', 'producer disconnect', () => producer.disconnect());
  await step('kafkajs', 'fetchTopicOffsets / fetchTopicOffsetsByTimestamp', async () => {
    await admin.fetchTopicOffsets(topic);
    await admin.fetchTopicOffsetsByTimestamp(topic, 1_700_000_000_100);
  });

  await step(
    'kafkajs',
    'consumer group (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, Fetch, OffsetCommit, OffsetFetch, LeaveGroup)',
    async () => {
      const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 100, heartbeatInterval: 300 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      let n = 0;
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachMessage: async () => {
              if (++n === 20) setTimeout(resolve, 1000); // a heartbeat or two
            },
          })
          .catch(reject);
      });
      await consumer.commitOffsets([{ topic, partition: 0, offset: '1' }]);
      await consumer.disconnect();
    },
    45_000,
  );
  await step('kafkajs', 'listGroups / describeGroups / fetchOffsets / setOffsets / resetOffsets', async () => {
    await admin.listGroups();
    await admin.describeGroups([group]);
    await admin.fetchOffsets({ groupId: group, topics: [topic] });
    await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '0' }] });
    await admin.resetOffsets({ groupId: group, topic, earliest: true });
  });
  await step('kafkajs', 'deleteGroups', () => admin.deleteGroups([group]));
  // KIP-455 on one node: a reassignment onto the replica it already has completes at once.
  await step('kafkajs', 'alterPartitionReassignments', () => admin.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: [b.broker.nodeId] }] }] }));
  await step('kafkajs', 'listPartitionReassignments', () => admin.listPartitionReassignments({ topics: [{ topic, partitions: [0, 1] }] }));
  await step('kafkajs', 'deleteTopicRecords (DeleteRecords)', () => admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '1' }] }), 15_000);
  await step(
    'kafkajs',
    'idempotent producer (InitProducerId)',
    async () => {
      const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await p.connect();
      await p.send({ topic, acks: -1, messages: [{ key: 'idem', value: 'v', partition: 1 }] });
      await p.disconnect();
    },
    15_000,
  );
  await step(
    'kafkajs',
    'transaction (AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, EndTxn)',
    async () => {
      const p = kafka.producer({ transactionalId: 'golden-kafkajs-tx', idempotent: true, maxInFlightRequests: 1 });
      await p.connect();
      const tx = await p.transaction();
      await tx.send({ topic, messages: [{ key: 'tx', value: 'v', partition: 2 }] });
      await tx.sendOffsets({ consumerGroupId: `${group}-tx`, topics: [{ topic, partitions: [{ partition: 2, offset: '1' }] }] });
      await tx.commit();
      await p.disconnect();
    },
    15_000,
  );
  await step('kafkajs', 'deleteTopics', () => admin.deleteTopics({ topics: [`${topic}-tmp`] }));
  await step('kafkajs', 'admin disconnect', () => admin.disconnect());
}

// ---------------------------------------------------------------------------------------------
// kcat (librdkafka)

async function driveKcat(b: RunningBroker): Promise<void> {
  const topic = 'golden-kcat';
  const id = ['-X', 'client.id=samsa-golden-kcat'];
  const checked = async (args: string[], input?: Buffer) => {
    const r = await run('kcat', ['-b', b.bootstrap, ...id, ...args], { input, timeoutMs: 40_000 });
    if (r.code !== 0 || /ERROR/.test(r.stderr)) throw new Error(`kcat ${args.join(' ')}: exit ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
    return r;
  };
  await step('kcat', 'metadata -L', () => checked(['-L', '-J']));
  for (const [c, codec] of CODECS.entries()) {
    await step('kcat', `produce -z ${codec}`, async () => {
      const r = await kcatProduce(b.bootstrap, topic, smallRecords(200 + c, KCAT_CAPS), { partition: c % 2, codec, headers: [['codec', codec], ['dup', '1'], ['dup', '2'], ['nullvalue', null]], extra: id });
      if (r.code !== 0 || /ERROR|failed/.test(r.stderr)) throw new Error(r.stderr);
    });
  }
  await step('kcat', 'produce acks=1 and acks=0', async () => {
    for (const acks of ['1', '0']) {
      const r = await kcatProduce(b.bootstrap, topic, [{ k: '6b', v: '76', h: [] }], { partition: 0, extra: [...id, '-X', `acks=${acks}`] });
      if (r.code !== 0) throw new Error(r.stderr);
    }
  });
  await step('kcat', 'consume -C (Fetch, ListOffsets)', async () => {
    const r = await kcatConsume(b.bootstrap, topic, { extra: id });
    if (r.records.length === 0) throw new Error(`no records: ${r.result.stderr}`);
    await checked(['-C', '-t', topic, '-p', '0', '-o', '-3', '-e', '-J']);
  });
  await step('kcat', 'query -Q (ListOffsets by time, earliest, latest)', () =>
    checked(['-Q', '-J', '-t', `${topic}:0:1700000000000`, '-t', `${topic}:1:-1`]).then(() => checked(['-Q', '-J', '-t', `${topic}:0:-2`])),
  );
  await step(
    'kcat',
    'consumer group -G (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, OffsetFetch, OffsetCommit, LeaveGroup)',
    async () => {
      const r = await run('kcat', ['-b', b.bootstrap, ...id, '-G', 'golden-kcat-group', '-e', '-J', '-X', 'auto.offset.reset=earliest', '-X', 'heartbeat.interval.ms=300', topic], { timeoutMs: 40_000 });
      if (r.code !== 0) throw new Error(`kcat -G: exit ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      // Again: now with committed offsets (OffsetFetch answers, OffsetForLeaderEpoch validation).
      const again = await run('kcat', ['-b', b.bootstrap, ...id, '-G', 'golden-kcat-group', '-e', '-J', topic], { timeoutMs: 40_000 });
      if (again.code !== 0) throw new Error(`kcat -G again: exit ${again.code}: ${again.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    },
    90_000,
  );
  await step(
    'kcat',
    'idempotent producer (InitProducerId)',
    async () => {
      const r = await kcatProduce(b.bootstrap, topic, [{ k: '6b', v: '76', h: [] }], { partition: 1, extra: [...id, '-X', 'enable.idempotence=true', '-X', 'message.timeout.ms=8000'], timeoutMs: 15_000 });
      if (r.code !== 0 || /ERROR|failed/.test(r.stderr)) throw new Error(r.stderr.trim().split('\n').slice(-2).join(' | '));
    },
    20_000,
  );
}

// ---------------------------------------------------------------------------------------------
// confluent-kafka (python, librdkafka)

async function driveConfluent(b: RunningBroker, dir: string): Promise<void> {
  const topic = 'golden-ck';
  const cfg = ['--config', 'client.id=samsa-golden-confluent-kafka'];
  const admin = (args: string[]) => runPy<{ result?: Record<string, { ok: boolean; error?: unknown }>; error?: unknown }>('ck_admin.py', ['--bootstrap', b.bootstrap, ...cfg, ...args]);
  const adminOk = async (args: string[]) => {
    const r = await admin(args);
    ensureOk(args[0]!, r);
    for (const [name, v] of Object.entries(r.result ?? {})) if (v && typeof v === 'object' && 'ok' in v && !v.ok) throw new Error(`${args[0]} ${name}: ${JSON.stringify(v.error)}`);
    return r;
  };
  await step('confluent-kafka', 'create_topics', () => adminOk(['create_topics', '--topic', topic, '--partitions', '2', '--topic-config', 'retention.ms=3600000']));
  await step('confluent-kafka', 'create_topics (second topic)', () => adminOk(['create_topics', '--topic', `${topic}-tmp`]));
  await step('confluent-kafka', 'metadata', () => adminOk(['metadata']));
  await step('confluent-kafka', 'describe_configs', () => adminOk(['describe_configs', '--topic', topic]));
  await step('confluent-kafka', 'alter_configs', () => adminOk(['alter_configs', '--topic', topic, '--topic-config', 'retention.ms=7200000']));
  await step('confluent-kafka', 'create_partitions', () => adminOk(['create_partitions', '--topic', topic, '--partitions', '3']));
  for (const [c, codec] of CODECS.entries()) {
    await step('confluent-kafka', `produce ${codec}`, async () => {
      const out = await pyProduce('ck_produce.py', dir, b.bootstrap, topic, smallRecords(300 + c, FULL_CAPS, 12, 3), ['--compression', codec, ...cfg]);
      const bad = out.reports.filter((r) => !r || r.err);
      if (bad.length) throw new Error(JSON.stringify(bad[0]));
    });
  }
  await step('confluent-kafka', 'produce acks=1 and acks=0', async () => {
    for (const acks of ['1', '0']) await pyProduce('ck_produce.py', dir, b.bootstrap, topic, [{ k: '6b', v: '76', h: [], p: 0 }], [...cfg, '--config', `acks=${acks}`]);
  });
  await step('confluent-kafka', 'consume (Fetch, ListOffsets)', async () => {
    const r = await runPy<{ records: unknown[]; errors: unknown[] }>('ck_consume.py', ['--bootstrap', b.bootstrap, '--topic', topic, ...cfg, '--timeout', '20']);
    if (r.records.length === 0) throw new Error(JSON.stringify(r.errors));
  });
  await step('confluent-kafka', 'offsets_for_times / watermarks', async () => {
    ensureOk('offsets_for_times', await admin(['offsets_for_times', '--topic', topic, '--partition', '0', '--timestamp', '1700000000100']));
    ensureOk('watermarks', await admin(['watermarks', '--topic', topic, '--partition', '0']));
  });
  await step(
    'confluent-kafka',
    'consumer group (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, OffsetCommit, OffsetFetch, LeaveGroup)',
    async () => {
      const r = await runPy<{ consumed: number; errors: unknown[] }>('ck_group.py', ['--bootstrap', b.bootstrap, '--topic', topic, '--group', 'golden-ck-group', '--expect', '10', ...cfg, '--config', 'heartbeat.interval.ms=300']);
      if (r.consumed === 0) throw new Error(JSON.stringify(r.errors));
    },
    60_000,
  );
  await step('confluent-kafka', 'list_groups (ListGroups, DescribeGroups)', () => adminOk(['list_groups']));
  await step(
    'confluent-kafka',
    'idempotent producer (InitProducerId)',
    async () => {
      const out = await pyProduce('ck_produce.py', dir, b.bootstrap, topic, [{ k: '6b', v: '76', h: [], p: 1 }], [...cfg, '--config', 'enable.idempotence=true', '--config', 'message.timeout.ms=8000', '--timeout', '12']);
      if (!out.reports[0] || out.reports[0].err || out.errors?.length) throw new Error(JSON.stringify(out.reports[0]?.err ?? out.errors));
    },
    20_000,
  );
  await step('confluent-kafka', 'delete_topics', () => adminOk(['delete_topics', '--topic', `${topic}-tmp`]));
}

// ---------------------------------------------------------------------------------------------
// kafka-python: current protocol versions and the old ones of api_version 0.8.2 ... 0.11

async function driveKafkaPython(b: RunningBroker, dir: string): Promise<void> {
  const topic = 'golden-kp';
  const admin = (args: string[]) => runPy<{ result?: any; error?: unknown }>('kp_admin.py', ['--bootstrap', b.bootstrap, ...args]);
  const adminOk = async (args: string[]) => {
    const r = await admin(args);
    ensureOk(args[0]!, r);
    return r;
  };
  await step('kafka-python', 'create_topics', () => adminOk(['create_topics', '--topic', topic, '--partitions', '2', '--topic-config', 'retention.ms=3600000']));
  await step('kafka-python', 'create_topics (second topic)', () => adminOk(['create_topics', '--topic', `${topic}-tmp`]));
  await step('kafka-python', 'metadata (describe_cluster, list_topics, describe_topics)', () => adminOk(['metadata']));
  await step('kafka-python', 'describe_configs', () => adminOk(['describe_configs', '--topic', topic]));
  await step('kafka-python', 'alter_configs', () => adminOk(['alter_configs', '--topic', topic, '--topic-config', 'retention.ms=7200000']));
  await step('kafka-python', 'create_partitions', () => adminOk(['create_partitions', '--topic', topic, '--partitions', '3']));
  const codecs = ((await admin(['codecs'])).result ?? {}) as Record<string, boolean>;
  const usable = CODECS.filter((c) => c === 'none' || codecs[c]);
  // '' = auto-detected (the newest versions kafka-python knows).
  for (const apiVersion of ['', '0.11', '0.10.1', '0.10.0', '0.9', '0.8.2']) {
    const av = apiVersion ? ['--api-version', apiVersion] : [];
    const label = apiVersion || 'auto';
    const legacy = apiVersion !== '' && apiVersion !== '0.11';
    for (const [c, codec] of usable.entries()) {
      await step('kafka-python', `produce ${codec} (api_version ${label})`, async () => {
        const out = await pyProduce('kp_produce.py', dir, b.bootstrap, topic, smallRecords(400 + c, { ...KP_CAPS, headers: !legacy }, 12, 3), ['--compression', codec, ...av]);
        const bad = out.reports.filter((r) => !r || r.err);
        if (bad.length) throw new Error(JSON.stringify(bad[0]));
      });
    }
    await step('kafka-python', `consume (api_version ${label})`, async () => {
      const r = await runPy<{ records: unknown[]; errors: unknown[] }>('kp_consume.py', ['--bootstrap', b.bootstrap, '--topic', topic, ...av, '--timeout', '20']);
      if (r.records.length === 0 || r.errors.length) throw new Error(JSON.stringify(r.errors));
    });
    if (apiVersion !== '0.8.2') {
      await step(
        'kafka-python',
        `consumer group (api_version ${label})`,
        async () => {
          const r = await runPy<{ consumed: number; errors: unknown[] }>('kp_group.py', ['--bootstrap', b.bootstrap, '--topic', topic, '--group', `golden-kp-group-${label}`, '--expect', '10', ...av]);
          if (r.consumed === 0 || r.errors.length) throw new Error(JSON.stringify(r.errors));
        },
        60_000,
      );
    }
  }
  await step('kafka-python', 'offsets_for_times / beginning_offsets / end_offsets', () => adminOk(['offsets_for_times', '--topic', topic, '--partition', '0', '--timestamp', '1700000000100']));
  await step('kafka-python', 'list_groups / describe_groups / group_offsets', async () => {
    await adminOk(['list_groups']);
    await adminOk(['describe_groups', '--group', 'golden-kp-group-auto']);
    await adminOk(['group_offsets', '--group', 'golden-kp-group-auto']);
  });
  await step('kafka-python', 'delete_groups', () => adminOk(['delete_groups', '--group', 'golden-kp-group-0.11']));
  await step('kafka-python', 'delete_topics', () => adminOk(['delete_topics', '--topic', `${topic}-tmp`]));
}

// ---------------------------------------------------------------------------------------------

function versionOf(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0 ? r.stdout.trim() : `unavailable (${r.error?.message ?? r.stderr.trim()})`;
}

function clientVersions(): Record<Client, string> {
  const require = createRequire(import.meta.url);
  return {
    kafkajs: `kafkajs ${(require('kafkajs/package.json') as { version: string }).version}`,
    kcat: versionOf('kcat', ['-V']).split('\n').find((l) => l.startsWith('Version')) ?? 'kcat unavailable',
    'confluent-kafka': versionOf(PYTHON, ['-c', 'import confluent_kafka as c; print("confluent-kafka", c.version()[0], "librdkafka", c.libversion()[0])']),
    'kafka-python': versionOf(PYTHON, ['-c', 'import kafka; print("kafka-python", kafka.__version__)']),
  };
}

interface Manifest {
  note: string;
  clients: Partial<Record<Client, { version: string; capturedAt: string }>>;
  files: Record<string, { bytes: number; note?: string }>;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const out = opt('--out') ?? join(ROOT, 'test/fixtures/golden');
  const per = Number(opt('--per') ?? 3);
  const wanted = (opt('--clients')?.split(',') ?? [...CLIENTS]) as Client[];
  for (const c of wanted) if (!CLIENTS.includes(c)) throw new Error(`unknown client ${c}; known: ${CLIENTS.join(', ')}`);

  const recorder = new Recorder(per);
  const scratch = await scratchDir();
  const versions = clientVersions();
  try {
    for (const client of wanted) {
      process.stdout.write(`${client} (${versions[client]})\n`);
      const b = await startBroker({
        port: 0,
        config: { 'num.partitions': 2, 'group.initial.rebalance.delay.ms': 0, 'samsa.log.level': 'error' },
        onRequestFrame: (k, v, f) => recorder.onFrame(k, v, f),
      });
      recorder.client = client;
      try {
        if (client === 'kafkajs') await driveKafkaJs(b);
        else if (client === 'kcat') await driveKcat(b);
        else if (client === 'confluent-kafka') await driveConfluent(b, scratch.dir);
        else await driveKafkaPython(b, scratch.dir);
      } finally {
        recorder.client = undefined;
        killAllChildren();
        await b.close();
      }
    }
  } finally {
    await scratch.remove();
  }

  // Write: each captured client's folder is replaced; the manifest keeps the others.
  const manifestPath = join(out, 'manifest.json');
  let manifest: Manifest = { note: 'Request frames (header + body, without the size prefix) captured by tools/capture-golden.ts', clients: {}, files: {} };
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest;
  } catch {
    // first capture
  }
  let total = 0;
  const summary: string[] = [];
  for (const client of wanted) {
    const dir = join(out, client);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    for (const name of Object.keys(manifest.files)) if (name.startsWith(`${client}/`)) delete manifest.files[name];
    const keys = [...recorder.kept.keys()].filter((k) => k.startsWith(`${client}|`)).sort((a, b) => {
      const [, ka, va] = a.split('|').map(Number);
      const [, kb, vb] = b.split('|').map(Number);
      return ka! - kb! || va! - vb!;
    });
    for (const key of keys) {
      const [, apiKey, apiVersion] = key.split('|').map(Number) as [number, number, number];
      const api = apiByKey(apiKey)!;
      const kept = recorder.kept.get(key)!;
      kept.forEach((k, i) => {
        const name = `${api.name}-v${apiVersion}-${i + 1}.bin`;
        manifest.files[`${client}/${name}`] = { bytes: k.frame.length, ...(k.note ? { note: k.note } : {}) };
        total += k.frame.length;
      });
      await Promise.all(kept.map((k, i) => writeFile(join(dir, `${api.name}-v${apiVersion}-${i + 1}.bin`), k.frame)));
      summary.push(`${client.padEnd(16)} ${`${api.name} v${apiVersion}`.padEnd(28)} ${String(kept.length).padStart(2)} kept of ${recorder.seen.get(key)} seen`);
    }
    manifest.clients[client] = { version: versions[client], capturedAt: new Date().toISOString() };
  }
  manifest.files = Object.fromEntries(Object.entries(manifest.files).sort(([a], [b]) => a.localeCompare(b)));
  await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);

  process.stdout.write(`\n${summary.join('\n')}\n\n${Object.keys(manifest.files).length} fixture files in ${out} (${(total / 1024).toFixed(0)} KiB written this run)\n`);
  const failed = results.filter((r) => !r.ok);
  if (failed.length) {
    process.stdout.write(`\n${failed.length} steps failed (APIs not served yet, or client errors):\n`);
    for (const f of failed) process.stdout.write(`  ${f.client}: ${f.step}: ${f.detail}\n`);
  }
}

main().catch((e) => {
  killAllChildren();
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
