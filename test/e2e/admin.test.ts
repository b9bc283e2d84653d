// The admin APIs end to end: KafkaJS's admin client (CreateTopics v3, DeleteTopics v1,
// CreatePartitions v1, DescribeConfigs v2, AlterConfigs v1) against an in-process broker, and
// raw requests for what KafkaJS cannot send (CreateTopics v7 with a duplicate name,
// IncrementalAlterConfigs, DescribeCluster); topics and configs survive a restart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { CreateTopics, DescribeCluster, IncrementalAlterConfigs, Metadata, RequestHeaderCodec, ResponseHeaderCodec } from '../../src/protocol/generated/index.js';
import { Reader, Writer, decodeMessage, requestHeaderVersion, responseHeaderVersion, type ApiDescriptor } from '../../src/protocol/runtime/index.js';

const require = createRequire(import.meta.url);
const { Kafka, ConfigResourceTypes, logLevel } = require('kafkajs') as typeof import('kafkajs');

/** One request over its own connection, with our generated codecs. */
async function rawCall<Req, Res>(port: number, api: ApiDescriptor<Req, Res>, version: number, body: Partial<Req>): Promise<Res> {
  const request = { ...api.request.defaults(), ...body } as Req;
  const hv = requestHeaderVersion(api as ApiDescriptor, version);
  const header = { requestApiKey: api.apiKey, requestApiVersion: version, correlationId: 7, clientId: 'admin-e2e' };
  const size = RequestHeaderCodec.size(header, hv) + api.request.size(request, version);
  const w = new Writer(4 + size);
  w.int32(size);
  RequestHeaderCodec.write(w, header, hv);
  api.request.write(w, request, version);
  const socket = connect({ port, host: '127.0.0.1' });
  try {
    const frame = await new Promise<Buffer>((resolve, reject) => {
      let buffered = Buffer.alloc(0);
      socket.on('error', reject);
      socket.on('close', () => reject(new Error('connection closed')));
      socket.on('data', (d: Buffer) => {
        buffered = Buffer.concat([buffered, d]);
        if (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) resolve(buffered.subarray(4, 4 + buffered.readInt32BE(0)));
      });
      socket.write(w.finish());
    });
    const r = new Reader(frame);
    const responseHeader = ResponseHeaderCodec.read(r, responseHeaderVersion(api as ApiDescriptor, version));
    assert.equal(responseHeader.correlationId, 7);
    return decodeMessage(api.response, frame, version, r.offset);
  } finally {
    socket.destroy();
  }
}

describe('admin APIs end to end', () => {
  let dir: string;
  let running: RunningBroker | undefined;
  const kafka = () => new Kafka({ brokers: [running!.bootstrap], clientId: 'samsa-admin-e2e', logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const withAdmin = async <T>(fn: (admin: ReturnType<ReturnType<typeof kafka>['admin']>) => Promise<T>): Promise<T> => {
    const admin = kafka().admin();
    await admin.connect();
    try {
      return await fn(admin);
    } finally {
      await admin.disconnect();
    }
  };
  const start = () => startBroker({ logDirs: dir, config: { 'num.partitions': 2, 'log.retention.hours': 72 } });
  /** The error types of a rejected KafkaJS call (an aggregate, a single error, or the last retried one). */
  const errorTypes = async (p: Promise<unknown>): Promise<string[]> => {
    try {
      await p;
    } catch (e) {
      let err = e as { errors?: { type: string }[]; type?: string; cause?: unknown; name?: string };
      if (err.name === 'KafkaJSNumberOfRetriesExceeded' && err.cause) err = err.cause as typeof err;
      return err.errors ? err.errors.map((x) => x.type) : [err.type ?? String(e)];
    }
    assert.fail('expected the call to fail');
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samsa-admin-e2e-'));
    running = await start();
  });
  after(async () => {
    await running?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('createTopics: configs, defaults, validateOnly and errors', async () => {
    await withAdmin(async (admin) => {
      assert.equal(
        await admin.createTopics({
          topics: [
            { topic: 'orders', numPartitions: 3, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'retention.ms', value: '3600000' }] },
            { topic: 'defaults' },
          ],
        }),
        true,
      );
      const meta = await admin.fetchTopicMetadata({ topics: ['orders', 'defaults'] });
      assert.deepEqual(
        meta.topics.map((t) => [t.name, t.partitions.length]).sort(),
        [
          ['defaults', 2],
          ['orders', 3],
        ],
      );
      assert.equal(await admin.createTopics({ topics: [{ topic: 'orders' }] }), false, 'TOPIC_ALREADY_EXISTS');
      assert.equal(await admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: 'dry-run', numPartitions: 4 }] }), true);
      assert.ok(!(await admin.listTopics()).includes('dry-run'));
      assert.deepEqual(await errorTypes(admin.createTopics({ topics: [{ topic: 'three', replicationFactor: 3 }] })), ['INVALID_REPLICATION_FACTOR']);
      assert.deepEqual(await errorTypes(admin.createTopics({ topics: [{ topic: 'bad name!' }] })), ['INVALID_TOPIC_EXCEPTION']);
      assert.deepEqual(await errorTypes(admin.createTopics({ topics: [{ topic: 'badcfg', configEntries: [{ name: 'retention.ms', value: 'soon' }] }] })), ['INVALID_CONFIG']);
      assert.deepEqual(await errorTypes(admin.createTopics({ topics: [{ topic: 'elsewhere', replicaAssignment: [{ partition: 0, replicas: [2] }] }] })), ['INVALID_REPLICA_ASSIGNMENT']);
      assert.equal(await admin.createTopics({ topics: [{ topic: 'assigned', replicaAssignment: [{ partition: 0, replicas: [1] }, { partition: 1, replicas: [1] }] }] }), true);
      const listed = await admin.listTopics();
      for (const t of ['three', 'bad name!', 'badcfg', 'elsewhere']) assert.ok(!listed.includes(t), t);
    });
  });

  test('CreateTopics v7 over the wire: duplicates, configs and topic id in the response', async () => {
    const topic = (name: string) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'max.message.bytes', value: '2048' }] });
    const res = await rawCall(running!.port, CreateTopics, 7, { topics: [topic('twice'), topic('raw-once'), topic('twice')], timeoutMs: 5000 });
    assert.deepEqual(
      res.topics.map((t) => [t.name, t.errorCode, t.errorMessage]),
      [
        ['twice', 42, 'Duplicate topic name.'],
        ['raw-once', 0, null],
      ],
    );
    const created = res.topics[1]!;
    assert.equal(created.numPartitions, 1);
    assert.equal(created.replicationFactor, 1);
    assert.equal(created.topicId, running!.broker.metadata.topic('raw-once')!.topicId);
    const maxBytes = created.configs!.find((c) => c.name === 'max.message.bytes')!;
    assert.deepEqual([maxBytes.value, maxBytes.configSource], ['2048', 1]);
    const retention = created.configs!.find((c) => c.name === 'retention.ms')!;
    // Only log.retention.hours is set: Kafka lists no synonym (log.retention.ms is set nowhere), so the source is DEFAULT_CONFIG.
    assert.deepEqual([retention.value, retention.configSource], [String(72 * 3_600_000), 5]);
  });

  test('createPartitions', async () => {
    await withAdmin(async (admin) => {
      await admin.createPartitions({ validateOnly: true, topicPartitions: [{ topic: 'defaults', count: 5 }] });
      assert.equal((await admin.fetchTopicMetadata({ topics: ['defaults'] })).topics[0]!.partitions.length, 2);
      await admin.createPartitions({ topicPartitions: [{ topic: 'defaults', count: 5 }] });
      assert.equal((await admin.fetchTopicMetadata({ topics: ['defaults'] })).topics[0]!.partitions.length, 5);
      assert.deepEqual(await errorTypes(admin.createPartitions({ topicPartitions: [{ topic: 'defaults', count: 3 }] })), ['INVALID_PARTITIONS']);
      assert.deepEqual(await errorTypes(admin.createPartitions({ topicPartitions: [{ topic: 'nowhere', count: 3 }] })), ['UNKNOWN_TOPIC_OR_PARTITION']);
    });
  });

  test('describeConfigs: a topic with synonyms, the broker', async () => {
    await withAdmin(async (admin) => {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: true,
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: 'orders' },
          { type: ConfigResourceTypes.BROKER, name: '1', configNames: ['num.partitions', 'log.retention.hours', 'auto.create.topics.enable'] },
        ],
      });
      const [topic, broker] = resources;
      assert.equal(topic!.errorCode, 0);
      const entry = (name: string) => topic!.configEntries.find((c) => c.configName === name)!;
      assert.equal(entry('cleanup.policy').configValue, 'compact');
      assert.equal(entry('cleanup.policy').configSource, 1);
      assert.equal(entry('retention.ms').configValue, '3600000');
      assert.deepEqual(
        entry('retention.ms').configSynonyms.map((s) => [s.configName, s.configValue, s.configSource]),
        // As Kafka: the broker's synonyms start at log.retention.ms, which is not set.
        [['retention.ms', '3600000', 1]],
      );
      assert.equal(entry('segment.bytes').configValue, '1073741824');
      assert.equal(entry('segment.bytes').configSource, 5);
      assert.deepEqual(
        broker!.configEntries.map((c) => [c.configName, c.configValue, c.configSource, c.readOnly]).sort(),
        [
          ['auto.create.topics.enable', 'true', 5, true],
          ['log.retention.hours', '72', 4, true],
          ['num.partitions', '2', 4, true],
        ],
      );
      const missing = await errorTypes(admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'nowhere' }] }));
      assert.deepEqual(missing, ['UNKNOWN_TOPIC_OR_PARTITION']);
    });
  });

  test('alterConfigs replaces a topic\'s overrides; broker configs are refused', async () => {
    await withAdmin(async (admin) => {
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configEntries: [{ name: 'retention.ms', value: '7200000' }] }] });
      const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configNames: ['retention.ms', 'cleanup.policy'] }] });
      assert.deepEqual(
        resources[0]!.configEntries.map((c) => [c.configName, c.configValue, c.configSource]).sort(),
        [
          ['cleanup.policy', 'delete', 5],
          ['retention.ms', '7200000', 1],
        ],
      );
      assert.deepEqual(
        await errorTypes(admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configEntries: [{ name: 'retention.ms', value: 'x' }] }] })),
        ['INVALID_CONFIG'],
      );
      assert.deepEqual(
        await errorTypes(admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [{ name: 'num.partitions', value: '4' }] }] })),
        ['INVALID_REQUEST'],
      );
    });
  });

  test('IncrementalAlterConfigs over the wire', async () => {
    const res = await rawCall(running!.port, IncrementalAlterConfigs, 1, {
      resources: [
        {
          resourceType: 2,
          resourceName: 'orders',
          configs: [
            { name: 'cleanup.policy', configOperation: 2, value: 'compact' },
            { name: 'segment.ms', configOperation: 0, value: '600000' },
          ],
        },
        { resourceType: 2, resourceName: 'nowhere', configs: [{ name: 'segment.ms', configOperation: 0, value: '1' }] },
      ],
      validateOnly: false,
    });
    assert.deepEqual(
      res.responses.map((r) => [r.resourceName, r.errorCode]),
      [
        ['orders', 0],
        ['nowhere', 3],
      ],
    );
    assert.deepEqual(running!.broker.metadata.topic('orders')!.configs, { 'retention.ms': '7200000', 'cleanup.policy': 'delete,compact', 'segment.ms': '600000' });
  });

  test('DescribeCluster over the wire', async () => {
    // Controllers (endpointType 2) are described by a controller listener only.
    assert.equal((await rawCall(running!.port, DescribeCluster, 1, { endpointType: 2 })).errorCode, 114);
    for (const [version, endpointType] of [
      [0, 1],
      [1, 1],
    ] as const) {
      const res = await rawCall(running!.port, DescribeCluster, version, { endpointType });
      assert.equal(res.errorCode, 0);
      assert.equal(res.clusterId, running!.broker.metadata.clusterId);
      assert.equal(res.controllerId, 1);
      assert.deepEqual(
        res.brokers.map((b) => [b.brokerId, b.host, b.port]),
        [[1, '127.0.0.1', running!.port]],
      );
    }
    await withAdmin(async (admin) => {
      const cluster = await admin.describeCluster();
      assert.equal(cluster.clusterId, running!.broker.metadata.clusterId);
    });
  });

  test('authorized operations on request (Metadata v8+, DescribeCluster): with no authorizer, all of them, as Kafka', async () => {
    const TOPIC = (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11); // READ … ALTER_CONFIGS
    const CLUSTER = (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12); // CREATE … IDEMPOTENT_WRITE
    const OMITTED = -2147483648;
    await running!.broker.topics.create('with-ops', 1, 1, {});
    const topics = [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'with-ops' }];
    for (const asked of [true, false]) {
      const md = await rawCall(running!.port, Metadata, 10, { topics, includeClusterAuthorizedOperations: asked, includeTopicAuthorizedOperations: asked });
      assert.equal(md.clusterAuthorizedOperations, asked ? CLUSTER : OMITTED);
      assert.deepEqual(md.topics.map((t) => t.topicAuthorizedOperations), [asked ? TOPIC : OMITTED]);
      const v12 = await rawCall(running!.port, Metadata, 12, { topics, includeTopicAuthorizedOperations: asked });
      assert.deepEqual(v12.topics.map((t) => t.topicAuthorizedOperations), [asked ? TOPIC : OMITTED]);
      const dc = await rawCall(running!.port, DescribeCluster, 1, { includeClusterAuthorizedOperations: asked, endpointType: 1 });
      assert.equal(dc.clusterAuthorizedOperations, asked ? CLUSTER : OMITTED);
    }
  });

  test('Metadata v12 by topic id: an id with "" as the name (the Java admin client) is looked up by id', async () => {
    await running!.broker.topics.create('by-id', 2, 1, {});
    const id = running!.broker.metadata.topic('by-id')!.topicId;
    const missing = 'AAAAAAAAAAAAAAAAAAAAAQ';
    const md = await rawCall(running!.port, Metadata, 12, { topics: [{ topicId: id, name: '' }, { topicId: missing, name: '' }, { topicId: id, name: null }], allowAutoTopicCreation: true });
    assert.deepEqual(
      md.topics.map((t) => [t.name, t.topicId, t.errorCode, t.partitions.length]),
      [['by-id', id, 0, 2], [null, missing, 100 /* UNKNOWN_TOPIC_ID */, 0]],
    );
    assert.ok(!running!.broker.metadata.topic(''), 'nothing auto-created');
  });

  test('deleteTopics', async () => {
    await withAdmin(async (admin) => {
      await admin.createTopics({ topics: [{ topic: 'doomed' }] });
      await admin.deleteTopics({ topics: ['doomed'] });
      assert.ok(!(await admin.listTopics()).includes('doomed'));
      assert.deepEqual(await errorTypes(admin.deleteTopics({ topics: ['doomed'] })), ['UNKNOWN_TOPIC_OR_PARTITION']);
    });
  });

  test('topics and configs survive a restart', async () => {
    const before = running!.broker.metadata.topic('orders')!;
    await running!.close();
    running = undefined;
    running = await start();
    await withAdmin(async (admin) => {
      const topics = await admin.listTopics();
      for (const t of ['orders', 'defaults', 'raw-once', 'assigned']) assert.ok(topics.includes(t), t);
      assert.ok(!topics.includes('doomed'));
      const meta = await admin.fetchTopicMetadata({ topics: ['orders', 'defaults'] });
      assert.deepEqual(
        meta.topics.map((t) => [t.name, t.partitions.length]).sort(),
        [
          ['defaults', 5],
          ['orders', 3],
        ],
      );
      const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configNames: ['retention.ms', 'cleanup.policy', 'segment.ms'] }] });
      assert.deepEqual(
        resources[0]!.configEntries.map((c) => [c.configName, c.configValue, c.configSource]).sort(),
        [
          ['cleanup.policy', 'delete,compact', 1],
          ['retention.ms', '7200000', 1],
          ['segment.ms', '600000', 1],
        ],
      );
    });
    assert.equal(running!.broker.metadata.topic('orders')!.topicId, before.topicId);
  });
});
