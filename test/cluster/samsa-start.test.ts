// `samsa start` joins a cluster as users start it: etcd endpoints and key prefix from
// SAMSA_ETCD_ENDPOINTS / SAMSA_ETCD_PREFIX, node.id and rack as overrides. Two clusters share one
// etcd under different prefixes without seeing each other's brokers.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../tools/apache-kafka/kafka.js';
import { startEtcd, type RunningEtcd } from './fixtures/etcd.js';
import { eventually, metadataOf, type ClusterBroker } from './fixtures/brokers.js';

const BIN = fileURLToPath(new URL('../../src/cli/samsa.js', import.meta.url));
let etcd: RunningEtcd;
const children: ChildProcess[] = [];
const dirs: string[] = [];

async function samsaStart(nodeId: number, prefix: string): Promise<ClusterBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-start-cluster-'));
  dirs.push(dir);
  const port = await freePort();
  const env = { ...process.env, SAMSA_ETCD_ENDPOINTS: etcd.endpoint, SAMSA_ETCD_PREFIX: prefix };
  const child = spawn(process.execPath, [BIN, 'start', '--override', `node.id=${nodeId}`, '--override', `listeners=PLAINTEXT://127.0.0.1:${port}`, '--override', `log.dirs=${dir}`, '--override', 'broker.rack=zone-a'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes(`node ${nodeId} cluster`) && resolve());
    void exit.then((code) => reject(new Error(`samsa start exited ${code}: ${err}`)));
  });
  return { nodeId, bootstrap: `127.0.0.1:${port}`, pid: child.pid!, child, dir, stderr: () => err, kill: (s) => child.kill(s), exited: () => exit };
}

before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await etcd?.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

test('samsa start with SAMSA_ETCD_ENDPOINTS joins the cluster under SAMSA_ETCD_PREFIX, and only that one', async () => {
  const [a1, a2, b1] = [await samsaStart(1, '/east'), await samsaStart(2, '/east'), await samsaStart(1, '/west')];
  const east = await eventually('cluster east has two brokers', 10_000, async () => {
    const m = await metadataOf(a2);
    return m.brokers.length === 2 ? m : undefined;
  });
  assert.deepEqual(east.brokers.map((b) => [b.nodeId, b.rack]).sort(), [[1, 'zone-a'], [2, 'zone-a']]);
  const west = await metadataOf(b1);
  assert.deepEqual(west.brokers.map((b) => b.nodeId), [1], 'node 1 of another prefix is another cluster');
  assert.notEqual(west.clusterId, east.clusterId);
  a1.kill('SIGTERM');
  assert.equal(await a1.exited(), 0, a1.stderr());
});
