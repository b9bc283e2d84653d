// The single-node metadata store: first start, proposals committed to the file and published
// in order, reload, the version-1 files earlier versions wrote, refused proposals.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, KafkaError } from '../../../../src/broker/errors.js';
import { newPartition, type MetadataImage } from '../../../../src/broker/metadata/image.js';
import { LocalMetadataStore } from '../../../../src/broker/metadata/local-store.js';
import { registration, topicImage } from '../context-helpers.js';

const dirs: string[] = [];
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'samsa-store-'));
  dirs.push(d);
  return d;
};
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

test('first start: a new cluster id (or the configured one), the file and meta.properties in every log dir', async () => {
  const [a, b] = [await tempDir(), await tempDir()];
  const store = await LocalMetadataStore.load([a, b], 4, null);
  assert.match(store.image.clusterId, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(store.image.controllerId, 4);
  assert.equal(store.image.topics.size, 0);
  for (const d of [a, b]) assert.match(await readFile(join(d, 'meta.properties'), 'utf8'), new RegExp(`node.id=4\ncluster.id=${store.image.clusterId}\n`));
  assert.deepEqual(JSON.parse(await readFile(join(a, 'samsa-metadata.json'), 'utf8')), { version: 1, clusterId: store.image.clusterId, topics: [], brokerConfigs: { node: {}, clusterDefault: {} } });

  const configured = await LocalMetadataStore.load([await tempDir()], 1, 'configured-cluster-id0');
  assert.equal(configured.image.clusterId, 'configured-cluster-id0');
  await assert.rejects(LocalMetadataStore.load([a], 4, 'another-cluster-id0000'), /does not match/);
});

test('a proposal is written, then published: subscribers see the new image as current, one after the other', async () => {
  const dir = await tempDir();
  const store = await LocalMetadataStore.load([dir], 1, null);
  const seen: string[] = [];
  store.subscribe({
    name: 'first',
    async publish(next, previous) {
      assert.equal(store.image, next);
      const file = JSON.parse(await readFile(join(dir, 'samsa-metadata.json'), 'utf8')) as { topics: { name: string }[] };
      seen.push(`first ${previous.topics.size}->${next.topics.size} file ${file.topics.length}`);
      await new Promise((r) => setImmediate(r));
    },
  });
  store.subscribe({ name: 'second', publish: async (next) => void seen.push(`second ${next.topics.size}`) });
  const image = await store.propose({ type: 'createTopic', topic: topicImage('t', 2) });
  assert.equal(image, store.image);
  assert.deepEqual(seen, ['first 0->1 file 1', 'second 1']);
});

test('committed changes survive a reload; a broker registration is not written', async () => {
  const dir = await tempDir();
  const store = await LocalMetadataStore.load([dir], 1, null);
  const t = topicImage('t', 1, 1, { 'retention.ms': '10' });
  await store.propose({ type: 'registerBroker', broker: registration(1) });
  await store.propose({ type: 'createTopic', topic: t });
  await store.propose({ type: 'createTopic', topic: topicImage('gone', 1) });
  await store.propose({ type: 'addPartitions', name: 't', partitions: [newPartition([1]), newPartition([1])] });
  await store.propose({ type: 'setTopicConfigs', name: 't', configs: { 'segment.ms': '20' } });
  await store.propose({ type: 'setBrokerConfigs', configs: { node: { 'log.retention.ms': '30' }, clusterDefault: { 'log.cleaner.threads': '2' } } });
  await store.propose({ type: 'deleteTopic', name: 'gone' });
  assert.equal(store.image.brokers.size, 1);

  const reloaded = (await LocalMetadataStore.load([dir], 1, null)).image;
  const same = (i: MetadataImage) => ({ clusterId: i.clusterId, topics: [...i.topics.values()], brokerConfigs: i.brokerConfigs });
  assert.deepEqual(same(reloaded), same(store.image));
  assert.deepEqual(reloaded.topic('t')!.partitions, [newPartition([1]), newPartition([1]), newPartition([1])]);
  assert.equal(reloaded.topicById(t.topicId)!.name, 't');
  assert.equal(reloaded.brokers.size, 0);
});

test('a version-1 file as earlier versions wrote it (with or without broker configs) loads unchanged', async () => {
  for (const brokerConfigs of [undefined, { node: { 'log.retention.ms': '5' }, clusterDefault: {} }]) {
    const dir = await tempDir();
    const file = {
      version: 1,
      clusterId: 'old-cluster-id-0000000',
      topics: [
        { name: '__consumer_offsets', topicId: 'AAAAAAAAAAAAAAAAAAAAAg', partitions: 3, configs: { 'cleanup.policy': 'compact' }, internal: true },
        { name: 'events', topicId: 'AAAAAAAAAAAAAAAAAAAAAw', partitions: 2, configs: {}, internal: false },
      ],
      ...(brokerConfigs ? { brokerConfigs } : {}),
    };
    await writeFile(join(dir, 'samsa-metadata.json'), JSON.stringify(file, null, 1));
    const image = (await LocalMetadataStore.load([dir], 2, null)).image;
    assert.equal(image.clusterId, 'old-cluster-id-0000000');
    assert.deepEqual(
      [...image.topics.values()].map((t) => [t.name, t.topicId, t.internal, t.configs, t.partitions.length]),
      file.topics.map((t) => [t.name, t.topicId, t.internal, t.configs, t.partitions]),
    );
    // Every partition on this node, its leader and only in-sync replica.
    assert.deepEqual(image.partition('events', 1), { replicas: [2], isr: [2], leader: 2, leaderEpoch: 0, partitionEpoch: 0 });
    assert.deepEqual(image.brokerConfigs, brokerConfigs ?? { node: {}, clusterDefault: {} });
  }
});

test('a cluster id only in meta.properties (no metadata file yet) is kept', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'meta.properties'), 'version=1\nnode.id=1\ncluster.id=from-meta-properties00\n');
  assert.equal((await LocalMetadataStore.load([dir], 1, null)).image.clusterId, 'from-meta-properties00');
});

test('a proposal that does not apply is refused and not written; the next one goes ahead', async () => {
  const dir = await tempDir();
  const store = await LocalMetadataStore.load([dir], 1, null);
  await store.propose({ type: 'createTopic', topic: topicImage('t', 1) });
  const before = await readFile(join(dir, 'samsa-metadata.json'), 'utf8');
  const refused = (e: unknown, code: number) => e instanceof KafkaError && e.code === code;
  const [dup, next] = await Promise.allSettled([
    store.propose({ type: 'createTopic', topic: topicImage('t', 1) }),
    store.propose({ type: 'createTopic', topic: topicImage('u', 1) }),
  ]);
  assert.ok(dup.status === 'rejected' && refused(dup.reason, ErrorCode.TOPIC_ALREADY_EXISTS));
  assert.equal(next.status, 'fulfilled');
  // The file cannot record replicas other than this node.
  await assert.rejects(store.propose({ type: 'createTopic', topic: topicImage('v', 1, 2) }), (e) => refused(e, ErrorCode.INVALID_REPLICA_ASSIGNMENT));
  await assert.rejects(store.propose({ type: 'deleteTopic', name: 'nope' }), (e) => refused(e, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  const after = JSON.parse(await readFile(join(dir, 'samsa-metadata.json'), 'utf8')) as { topics: { name: string }[] };
  assert.deepEqual(after.topics.map((t) => t.name), ['t', 'u']);
  assert.notEqual(before, JSON.stringify(after));
  assert.deepEqual([...store.image.topics.keys()], ['t', 'u']);
});

test('a file of an unknown version is refused', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'samsa-metadata.json'), JSON.stringify({ version: 2, clusterId: 'x', topics: [] }));
  await assert.rejects(LocalMetadataStore.load([dir], 1, null), /unknown version 2/);
});
