// Metadata for a topic whose partitions are not open yet (the window inside CreateTopics,
// CreatePartitions and auto-create, long on a loaded machine): no leader, LEADER_NOT_AVAILABLE,
// as Kafka answers before the election. librdkafka 2.15 sent ListOffsets to the advertised
// leader in that window and got a permanent UNKNOWN_TOPIC_OR_PARTITION; a topic being created is
// not shown until it is open, so that no stale half-made answer overwrites a complete one in the
// client's cache (which it did, arriving after the complete one). Then the authorized
// operations of topics and the cluster, which librdkafka's describeTopics asks for.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../../src/index.js';
import { ErrorCode } from '../../../src/broker/errors.js';
import type { ApiHandler, RequestContext } from '../../../src/broker/handler.js';
import { Metadata, type MetadataRequest, type MetadataResponse } from '../../../src/protocol/generated/apis/3-metadata.js';
import type { DescribeClusterRequest, DescribeClusterResponse } from '../../../src/protocol/generated/apis/60-describe-cluster.js';
import { decodeMessage, encodeMessage, UUID_ZERO } from '../../../src/protocol/runtime/index.js';
import type { BrokerContext } from '../../../src/broker/context.js';
import { metadataHandler } from '../../../src/broker/handlers/metadata.js';
import { newPartition, type TopicImage } from '../../../src/broker/metadata/image.js';
import { randomUuid } from '../../../src/broker/metadata/names.js';
import { singleNodeImage, testContext } from './context-helpers.js';

let dir: string;
let running: RunningBroker;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'samsa-metadata-'));
  running = await startBroker({ port: 0, host: '127.0.0.1', logDirs: dir });
});
after(async () => {
  await running?.close();
  await rm(dir, { recursive: true, force: true });
});

async function metadata(version: number, topics: string[] | null, handler = running.broker.registry.all().find((h) => h.api.name === 'Metadata') as ApiHandler<MetadataRequest, MetadataResponse>): Promise<MetadataResponse> {
  const ctx: RequestContext = { apiVersion: version, correlationId: 1, clientId: 'test', connectionId: 1, remoteAddress: '127.0.0.1', listenerName: 'PLAINTEXT' };
  const body: MetadataRequest = { ...Metadata.request.defaults(), topics: topics === null ? null : topics.map((name) => ({ name, topicId: UUID_ZERO })), allowAutoTopicCreation: version >= 4 ? false : true };
  const req = decodeMessage(Metadata.request, encodeMessage(Metadata.request, body, version), version);
  const res = await handler.handle(req, ctx);
  return decodeMessage(Metadata.response, encodeMessage(Metadata.response, res!, version), version);
}

test('partitions led here whose logs are not open yet: LEADER_NOT_AVAILABLE and leader -1; open ones name the leader, by name and in the all-topics list', async () => {
  const topic = (name: string): TopicImage => ({ name, topicId: randomUuid(), internal: false, configs: {}, partitions: [newPartition([7]), newPartition([7])] });
  // What CreateTopics does first: the topic enters the metadata, its logs open afterwards.
  const image = singleNodeImage(7, [topic('ready'), topic('half-made')]);
  const open = new Set(['ready-0', 'ready-1']);
  const broker = testContext({
    nodeId: 7,
    metadata: image,
    replicas: { partition: (t: string, p: number) => (open.has(`${t}-${p}`) ? {} : undefined) } as unknown as BrokerContext['replicas'],
    topics: { isCreating: () => false, getOrAutoCreate: async (name: string) => image.topic(name) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION } as unknown as BrokerContext['topics'],
  });
  const handler = metadataHandler(broker);
  for (const [version, topics] of [[12, ['ready', 'half-made']], [1, null]] as const) {
    const res = await metadata(version, topics === null ? null : [...topics], handler);
    assert.deepEqual(res.brokers.map((b) => [b.nodeId, b.host, b.port]), [[7, 'broker.local', 9092]]);
    assert.equal(res.controllerId, 7);
    const byName = new Map(res.topics.map((t) => [t.name, t]));
    const ready = byName.get('ready')!;
    assert.deepEqual(ready.partitions.map((p) => [p.partitionIndex, p.errorCode, p.leaderId, p.replicaNodes, p.isrNodes]), [[0, ErrorCode.NONE, 7, [7], [7]], [1, ErrorCode.NONE, 7, [7], [7]]]);
    const half = byName.get('half-made')!;
    assert.equal(half.errorCode, ErrorCode.NONE, `v${version}`);
    assert.deepEqual(half.partitions.map((p) => [p.partitionIndex, p.errorCode, p.leaderId, p.isrNodes.length]), [[0, ErrorCode.LEADER_NOT_AVAILABLE, -1, 0], [1, ErrorCode.LEADER_NOT_AVAILABLE, -1, 0]], `v${version}`);
  }
  open.add('half-made-0');
  const res = await metadata(12, ['half-made'], handler);
  assert.deepEqual(res.topics[0]!.partitions.map((p) => [p.errorCode, p.leaderId]), [[ErrorCode.NONE, 7], [ErrorCode.LEADER_NOT_AVAILABLE, -1]]);
});

test('brokers, leaders, replicas and ISR as the image has them, not this node', async () => {
  const other: TopicImage = {
    name: 'elsewhere',
    topicId: randomUuid(),
    internal: false,
    configs: {},
    partitions: [{ replicas: [8, 7], isr: [8], leader: 8, leaderEpoch: 4, partitionEpoch: 6 }],
  };
  const image = singleNodeImage(7, [other]).with({ controllerId: 8 });
  const two = image.with({ brokers: [...image.brokers.values(), { id: 8, rack: 'r2', endpoints: [{ listener: 'PLAINTEXT', host: 'b8.local', port: 9093, securityProtocol: 'PLAINTEXT' }] }] });
  const broker = testContext({
    nodeId: 7,
    metadata: two,
    replicas: { partition: () => undefined } as unknown as BrokerContext['replicas'],
    topics: { isCreating: () => false, getOrAutoCreate: async (name: string) => two.topic(name) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION } as unknown as BrokerContext['topics'],
  });
  const res = await metadata(12, ['elsewhere'], metadataHandler(broker));
  assert.deepEqual(res.brokers.map((b) => [b.nodeId, b.host, b.port, b.rack]), [[7, 'broker.local', 9092, null], [8, 'b8.local', 9093, 'r2']]);
  assert.equal(res.controllerId, 8);
  assert.deepEqual(res.topics[0]!.partitions.map((p) => [p.errorCode, p.leaderId, p.leaderEpoch, p.replicaNodes, p.isrNodes]), [[ErrorCode.NONE, 8, 4, [8, 7], [8]]]);
});

test('a topic being created: once committed, a lookup by name waits until every partition is open; the all-topics list shows it only then', async () => {
  const broker = running.broker;
  const creating = broker.topics.create('in-flight', 8, 1, {});
  let done = false;
  void creating.then(() => (done = true));
  // In the image (committed), its partitions still opening. Before the commit a lookup answers unknown, as Kafka does.
  while (!broker.metadata.topic('in-flight') && !done) await new Promise((r) => setImmediate(r));
  assert.ok(!done, 'creation was too quick to observe committed but not open');
  const byName = metadata(12, ['in-flight']);
  const listings: MetadataResponse[] = [];
  while (!done) {
    listings.push(await metadata(12, null));
    await new Promise((r) => setImmediate(r));
  }
  await creating;
  const named = (await byName).topics[0]!;
  assert.deepEqual(named.partitions.map((p) => [p.errorCode, p.leaderId]), Array.from({ length: 8 }, () => [ErrorCode.NONE, broker.nodeId]));
  for (const l of listings) {
    const t = l.topics.find((x) => x.name === 'in-flight');
    if (t) assert.deepEqual(t.partitions.map((p) => p.leaderId), Array.from({ length: 8 }, () => broker.nodeId), 'listed before every partition was open');
  }
  assert.ok(listings.some((l) => !l.topics.some((x) => x.name === 'in-flight')), 'creation was too quick to observe');
});

test('authorized operations, asked for: no authorizer, so all a topic (v8+) or the cluster (Metadata v8-10, DescribeCluster) supports, as Apache Kafka 4.1.1 answers', async () => {
  const broker = running.broker;
  await broker.topics.create('ready', 2, 1, {});
  const ops = (n: number) => [...Array(32).keys()].filter((i) => n !== -2147483648 && (n >>> i) & 1);
  const handler = <Req, Res>(name: string) => broker.registry.all().find((h) => h.api.name === name) as ApiHandler<Req, Res>;
  const ctx = (apiVersion: number): RequestContext => ({ apiVersion, correlationId: 1, clientId: 'test', connectionId: 1, remoteAddress: '127.0.0.1', listenerName: 'PLAINTEXT' });
  const md = handler<MetadataRequest, MetadataResponse>('Metadata');
  for (const [v, ask, topicOps, clusterOps] of [
    [10, true, [3, 4, 5, 6, 7, 8, 10, 11], [5, 7, 8, 9, 10, 11, 12]],
    [12, true, [3, 4, 5, 6, 7, 8, 10, 11], []], // v11+ has no cluster operations (DescribeCluster has them)
    [10, false, [], []],
  ] as const) {
    const res = (await md.handle({ topics: [{ name: 'ready', topicId: UUID_ZERO }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: ask && v <= 10, includeTopicAuthorizedOperations: ask }, ctx(v)))!;
    assert.deepEqual(ops(res.topics[0]!.topicAuthorizedOperations), topicOps, `v${v} ask=${ask}`);
    assert.deepEqual(ops(res.clusterAuthorizedOperations), clusterOps, `v${v} ask=${ask}`);
  }
  const dc = handler<DescribeClusterRequest, DescribeClusterResponse>('DescribeCluster');
  for (const ask of [true, false]) {
    const res = (await dc.handle({ includeClusterAuthorizedOperations: ask, endpointType: 1 }, ctx(1)))!;
    assert.deepEqual(ops(res.clusterAuthorizedOperations), ask ? [5, 7, 8, 9, 10, 11, 12] : []);
  }
});

test('the broker registers itself with the ports it bound and its broker.rack; Metadata and DescribeCluster answer from that', async () => {
  const racked = await startBroker({ port: 0, host: '127.0.0.1', config: { 'broker.rack': 'rack-a', 'node.id': 5 } });
  try {
    const b = racked.broker;
    assert.deepEqual(b.metadata.broker(5), { id: 5, rack: 'rack-a', endpoints: [{ listener: 'PLAINTEXT', host: '127.0.0.1', port: racked.port, securityProtocol: 'PLAINTEXT' }] });
    const md = await metadata(12, [], b.registry.all().find((h) => h.api.name === 'Metadata') as ApiHandler<MetadataRequest, MetadataResponse>);
    assert.deepEqual(md.brokers.map((x) => [x.nodeId, x.host, x.port, x.rack]), [[5, '127.0.0.1', racked.port, 'rack-a']]);
    assert.equal(md.controllerId, 5);
    const dc = b.registry.all().find((h) => h.api.name === 'DescribeCluster') as ApiHandler<DescribeClusterRequest, DescribeClusterResponse>;
    const ctx: RequestContext = { apiVersion: 1, correlationId: 1, clientId: 'test', connectionId: 1, remoteAddress: '127.0.0.1', listenerName: 'PLAINTEXT' };
    const res = (await dc.handle({ includeClusterAuthorizedOperations: false, endpointType: 1 }, ctx))!;
    assert.deepEqual(res.brokers.map((x) => [x.brokerId, x.host, x.port, x.rack]), [[5, '127.0.0.1', racked.port, 'rack-a']]);
  } finally {
    await racked.close();
  }
});
