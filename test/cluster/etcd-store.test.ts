// The etcd store on its own, against a real etcd: two stores (two brokers) agree on the cluster
// id and see each other's changes through the controller; a store cut off from etcd while etcd
// compacted the revisions it missed re-lists and catches up, never going back to an older image.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { EtcdMetadataStore, type EtcdStoreOptions } from '../../src/broker/metadata/etcd-store.js';
import { encodeTopic } from '../../src/broker/metadata/etcd-codec.js';
import { newPartition, type MetadataImage } from '../../src/broker/metadata/image.js';
import { createLogger } from '../../src/util/logger.js';
import { startEtcd, type RunningEtcd } from './fixtures/etcd.js';
import { startProxy } from './fixtures/proxy.js';
import { eventually } from './fixtures/brokers.js';

let etcd: RunningEtcd;
const stores: EtcdMetadataStore[] = [];

async function open(nodeId: number, prefix: string, endpoint = etcd.endpoint, extra: Partial<EtcdStoreOptions> = {}): Promise<EtcdMetadataStore> {
  const s = await EtcdMetadataStore.open({ endpoints: [endpoint], prefix, nodeId, clusterId: null, sessionTimeoutMs: 9000, heartbeatIntervalMs: 300, logger: createLogger((process.env.STORE_LOG as 'info') ?? 'silent'), ...extra });
  stores.push(s);
  await s.propose({ type: 'registerBroker', broker: { id: nodeId, endpoints: [{ listener: 'PLAINTEXT', host: '127.0.0.1', port: 9000 + nodeId, securityProtocol: 'PLAINTEXT' }], rack: null } });
  return s;
}

const topic = (name: string, topicId: string) => ({ name, topicId, internal: false, configs: {}, partitions: [newPartition([1])] });

before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  for (const s of stores) await s.close();
  await etcd?.stop();
});

test('two stores share the cluster id and commit through the controller; a refused change rejects on the proposer', async () => {
  const [a, b] = [await open(1, '/two'), await open(2, '/two')];
  assert.ok(a.image.clusterId);
  assert.equal(b.image.clusterId, a.image.clusterId);
  await eventually('both see both brokers and controller 1', 5000, async () => (a.image.brokers.size === 2 && b.image.controllerId === 1 ? true : undefined));
  const seen = await b.propose({ type: 'createTopic', topic: topic('t', 'id-t') });
  assert.equal(seen.topic('t')!.topicId, 'id-t', 'the proposer\'s image has its change when propose resolves');
  await eventually('the controller sees it', 5000, async () => (a.image.topic('t') ? true : undefined));
  await assert.rejects(b.propose({ type: 'createTopic', topic: topic('t', 'id-t2') }), /already exists/);
  await assert.rejects(open(3, '/two', etcd.endpoint, { clusterId: 'another-cluster' }), /cluster\.id another-cluster does not match/);
});

test('a store that missed compacted revisions re-lists and catches up', async () => {
  const proxy = await startProxy(etcd.endpoint);
  const direct = new Etcd3({ hosts: [etcd.endpoint] });
  try {
    const s = await open(1, '/relist', proxy.url);
    const images: MetadataImage[] = [];
    s.subscribe({ name: 'recorder', publish: async (next) => void images.push(next) });
    await s.propose({ type: 'createTopic', topic: topic('before', 'id-before') });
    proxy.cut();
    // Written behind the store's back while it is cut off, then compacted away.
    await direct.put('/relist/topics/missed').value(encodeTopic(topic('missed', 'id-missed')));
    await direct.delete().key('/relist/topics/before');
    const { header } = await direct.put('/relist/topics/later').value(encodeTopic(topic('later', 'id-later')));
    await direct.kv.compact({ revision: header.revision, physical: true });
    proxy.heal();
    await eventually('the store re-listed', 15_000, async () => (s.image.topic('missed') && s.image.topic('later') && !s.image.topic('before') ? true : undefined));
    assert.ok(images.every((img, i) => i === 0 || !img.topic('before') || images[i - 1]!.topic('before')), 'a deleted topic never comes back');
  } finally {
    direct.close();
    await proxy.close();
  }
});

test('a change etcd refuses to commit (over its request limit) is refused to the proposer; later changes still commit', async () => {
  const small = await startEtcd('127.0.0.1', ['--max-request-bytes=65536']);
  try {
    const s = await open(1, '/limit', small.endpoint);
    await s.propose({ type: 'createTopic', topic: { ...topic('wide', 'id-wide'), partitions: Array.from({ length: 600 }, () => newPartition([1])) } });
    // The proposal is small enough; the topic it rewrites is not.
    await assert.rejects(s.propose({ type: 'addPartitions', name: 'wide', partitions: Array.from({ length: 400 }, () => newPartition([1])) }), /etcd refused the change/);
    assert.equal(s.image.topic('wide')!.partitions.length, 600);
    const after = await s.propose({ type: 'createTopic', topic: topic('next', 'id-next') });
    assert.ok(after.topic('next'));
    await s.close();
  } finally {
    await small.stop();
  }
});

test('producer id blocks come from the cluster: brokers racing for blocks never get the same ids, and none below a broker\'s own', async () => {
  const [a, b] = [await open(1, '/pids'), await open(2, '/pids')];
  const blocks = await Promise.all([...Array.from({ length: 10 }, () => a.allocateProducerIdBlock(100n, 0n)), ...Array.from({ length: 10 }, () => b.allocateProducerIdBlock(100n, 0n))]);
  const sorted = [...blocks].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  assert.deepEqual(sorted, Array.from({ length: 20 }, (_, i) => BigInt(i * 100)), 'twenty disjoint blocks, none lost to the race');
  // A broker whose own file already handed out ids up to 5000 (before it joined) gets a block above them.
  assert.equal(await a.allocateProducerIdBlock(100n, 5000n), 5000n);
  assert.equal(await b.allocateProducerIdBlock(100n, 0n), 5100n);
});
