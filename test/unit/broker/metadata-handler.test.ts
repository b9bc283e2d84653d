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

async function metadata(version: number, topics: string[] | null): Promise<MetadataResponse> {
  const handler = running.broker.registry.all().find((h) => h.api.name === 'Metadata') as ApiHandler<MetadataRequest, MetadataResponse>;
  const ctx: RequestContext = { apiVersion: version, correlationId: 1, clientId: 'test', connectionId: 1, remoteAddress: '127.0.0.1', listenerName: 'PLAINTEXT' };
  const body: MetadataRequest = { ...Metadata.request.defaults(), topics: topics === null ? null : topics.map((name) => ({ name, topicId: UUID_ZERO })), allowAutoTopicCreation: version >= 4 ? false : true };
  const req = decodeMessage(Metadata.request, encodeMessage(Metadata.request, body, version), version);
  const res = await handler.handle(req, ctx);
  return decodeMessage(Metadata.response, encodeMessage(Metadata.response, res!, version), version);
}

test('partitions not open yet: LEADER_NOT_AVAILABLE and leader -1; open ones name this node, by name and in the all-topics list', async () => {
  const broker = running.broker;
  await broker.topics.create('ready', 2, 1, {});
  // What CreateTopics does first: the topic enters the metadata, its logs open afterwards.
  const topic = await broker.metadata.createTopic('half-made', 2, {});
  for (const [version, topics] of [[12, ['ready', 'half-made']], [1, null]] as const) {
    const res = await metadata(version, topics === null ? null : [...topics]);
    const byName = new Map(res.topics.map((t) => [t.name, t]));
    const ready = byName.get('ready')!;
    assert.deepEqual(ready.partitions.map((p) => [p.partitionIndex, p.errorCode, p.leaderId]), [[0, ErrorCode.NONE, broker.nodeId], [1, ErrorCode.NONE, broker.nodeId]]);
    const half = byName.get('half-made')!;
    assert.equal(half.errorCode, ErrorCode.NONE, `v${version}`);
    assert.deepEqual(half.partitions.map((p) => [p.partitionIndex, p.errorCode, p.leaderId, p.isrNodes.length]), [[0, ErrorCode.LEADER_NOT_AVAILABLE, -1, 0], [1, ErrorCode.LEADER_NOT_AVAILABLE, -1, 0]], `v${version}`);
  }
  await broker.replicas.openPartition(topic, 0);
  const res = await metadata(12, ['half-made']);
  assert.deepEqual(res.topics[0]!.partitions.map((p) => [p.errorCode, p.leaderId]), [[ErrorCode.NONE, broker.nodeId], [ErrorCode.LEADER_NOT_AVAILABLE, -1]]);
});

test('a topic being created: a lookup by name waits until every partition is open; the all-topics list shows it only then', async () => {
  const broker = running.broker;
  const creating = broker.topics.create('in-flight', 8, 1, {});
  const byName = metadata(12, ['in-flight']);
  const listings: MetadataResponse[] = [];
  let done = false;
  void creating.then(() => (done = true));
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
