// A broker's log dirs carry Kafka's meta.properties (cluster id, node id) under etcd too: a broker
// pointed at a data folder of another cluster (here: another key prefix on the same etcd) or of
// another node refuses to start, naming both, before it registers; on its own folder it restarts.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startEtcd, type RunningEtcd } from './fixtures/etcd.js';
import { metadataOf, TestCluster } from './fixtures/brokers.js';

let etcd: RunningEtcd;
let cluster: TestCluster;

before(async () => {
  etcd = await startEtcd();
  cluster = new TestCluster(etcd.endpoint, { 'samsa.etcd.prefix': '/meta-a' });
});

after(async () => {
  await cluster?.stop();
  await etcd?.stop();
});

test("a data folder of another cluster or another node is refused; the broker's own restarts", async () => {
  const first = await cluster.start(1);
  const clusterId = (await metadataOf(first)).clusterId;
  assert.match(await readFile(join(first.dir, 'meta.properties'), 'utf8'), new RegExp(`node.id=1\ncluster.id=${clusterId}\n`));
  first.kill('SIGTERM');
  await first.exited();

  await assert.rejects(cluster.start(1, { 'samsa.etcd.prefix': '/meta-b' }, first.dir), new RegExp(`does not match the cluster id ${clusterId} stored in .*meta.properties: this log dir belongs to another cluster`));
  await assert.rejects(cluster.start(2, {}, first.dir), /Stored node id 1 in .*meta.properties doesn't match node.id 2/);
  const m = await metadataOf(await cluster.start(1, {}, first.dir));
  assert.equal(m.clusterId, clusterId);
  assert.deepEqual(m.brokers.map((b) => b.nodeId), [1], 'the refused brokers never registered');
});
