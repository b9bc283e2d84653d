// `samsa dev-cluster` as a user runs it: etcd and three brokers on free consecutive ports; an RF=3
// topic takes KafkaJS's acks=all produces and a group consumer reads them back; SIGTERM stops
// every child (found by the PIDs it printed) and the command exits 0. Without etcd on PATH it
// names the Debian package. A broker that cannot start (its port taken) stops the rest.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { freePort } from '../../tools/apache-kafka/kafka.js';
import { eventually } from './fixtures/brokers.js';

const BIN = fileURLToPath(new URL('../../src/cli/samsa.js', import.meta.url));
const dirs: string[] = [];
const pids = new Set<number>();

interface Run {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | string>;
}

function devCluster(args: string[], env: NodeJS.ProcessEnv = process.env): Run {
  const child = spawn(process.execPath, [BIN, 'dev-cluster', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  pids.add(child.pid!);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    for (const m of err.matchAll(/ pid (\d+) on /g)) pids.add(Number(m[1]));
  });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { child, out: () => out, err: () => err, exited };
}

/** A port p with p + 1 .. p + count - 1 free too. */
async function freePorts(count: number): Promise<number> {
  for (;;) {
    const base = await freePort();
    if (base + count > 65535) continue;
    const free = await Promise.all(Array.from({ length: count - 1 }, (_, i) => canListen(base + i + 1)));
    if (free.every(Boolean)) return base;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-dev-cluster-'));
  dirs.push(dir);
  return dir;
}

// A child left running (a failed stop) fails its test by the timeout, and is killed here.
after(async () => {
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

test('samsa dev-cluster --brokers 3 runs etcd and three brokers; an RF=3 topic works through KafkaJS; SIGTERM stops every child', { timeout: 180_000 }, async () => {
  const port = await freePorts(3);
  const run = devCluster(['--brokers', '3', '--port', String(port), '--dir', await dataDir()]);
  const bootstrap = await eventually('the bootstrap line', 60_000, async () => {
    if (run.child.exitCode !== null) throw new Error(`dev-cluster exited ${run.child.exitCode}: ${run.err()}`);
    return /^bootstrap servers: (\S+)$/m.exec(run.out())?.[1];
  });
  assert.equal(bootstrap, [0, 1, 2].map((i) => `127.0.0.1:${port + i}`).join(','));
  const children = [...run.err().matchAll(/^(etcd|broker \d) pid (\d+) on /gm)].map((m) => [m[1]!, Number(m[2])] as const);
  assert.deepEqual(children.map(([name]) => name), ['etcd', 'broker 1', 'broker 2', 'broker 3']);

  const kafka = new Kafka({ clientId: 'dev-cluster-test', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: 'dev-cluster-test' });
  try {
    await admin.connect();
    assert.equal((await admin.describeCluster()).brokers.length, 3);
    assert.equal(await admin.createTopics({ topics: [{ topic: 'demo', numPartitions: 3 }], waitForLeaders: true }), true);
    const topic = (await admin.fetchTopicMetadata({ topics: ['demo'] })).topics[0]!;
    for (const p of topic.partitions) assert.deepEqual([...p.replicas].sort(), [1, 2, 3], `partition ${p.partitionId}: default.replication.factor is 3`);
    await producer.connect();
    const sent = Array.from({ length: 30 }, (_, i) => `record-${i}`);
    await producer.send({ topic: 'demo', acks: -1, messages: sent.map((value) => ({ key: value, value })) });
    await consumer.connect();
    await consumer.subscribe({ topic: 'demo', fromBeginning: true });
    const received: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void received.push(message.value!.toString()) });
    await eventually('the consumer reads every record', 30_000, async () => (received.length >= sent.length ? true : undefined));
    assert.deepEqual(received.sort(), sent.sort());
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }

  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0, run.err());
  for (const [name, pid] of children) assert.equal(alive(pid), false, `${name} (pid ${pid}) is gone`);
});

test('without etcd on PATH, dev-cluster names the Debian package and exits non-zero', { timeout: 30_000 }, async () => {
  const run = devCluster(['--dir', await dataDir()], { ...process.env, PATH: await dataDir() });
  assert.equal(await run.exited, 1);
  assert.match(run.err(), /etcd is not on PATH: install the Debian package etcd-server/);
  assert.equal(run.out(), '');
});

test('a broker that cannot start (its port taken) stops etcd and the other brokers; the command exits 1 with its last lines', { timeout: 90_000 }, async () => {
  const port = await freePorts(2);
  const taken: Server = createServer();
  await new Promise<void>((resolve) => taken.listen(port + 1, '127.0.0.1', resolve));
  try {
    const run = devCluster(['--brokers', '2', '--port', String(port), '--dir', await dataDir()]);
    assert.equal(await run.exited, 1, run.err());
    assert.match(run.err(), /samsa: broker 2 exited \(code 1\) while the cluster started; its last lines:\n.*EADDRINUSE/s);
    assert.doesNotMatch(run.out(), /bootstrap servers/);
    const started = [...run.err().matchAll(/ pid (\d+) on /g)].map((m) => Number(m[1]));
    assert.ok(started.length >= 1, 'etcd was started');
    for (const pid of started) assert.equal(alive(pid), false, `pid ${pid} is gone`);
  } finally {
    await new Promise((resolve) => taken.close(resolve));
  }
});
