// AlterPartitionReassignments / ListPartitionReassignments on a single node, through KafkaJS's
// admin client: a reassignment onto this node alone is a no-op success, one naming a broker that
// is not registered is INVALID_REPLICA_ASSIGNMENT, as are duplicates; unknown partitions are
// UNKNOWN_TOPIC_OR_PARTITION, a cancel of nothing NO_REASSIGNMENT_IN_PROGRESS, and nothing is listed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { startBroker, type RunningBroker } from '../../src/index.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');

let dir: string;
let running: RunningBroker | undefined;
let admin: import('kafkajs').Admin;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'samsa-reassign-e2e-'));
  running = await startBroker({ logDirs: dir, config: {} });
  admin = new Kafka({ brokers: [running.bootstrap], clientId: 'reassign-e2e', logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'moved', numPartitions: 1 }] });
});
after(async () => {
  await admin?.disconnect();
  await running?.close();
  await rm(dir, { recursive: true, force: true });
});

const errorType = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    const err = e as { errors?: { type: string }[]; type?: string };
    return err.errors?.[0]?.type ?? err.type ?? String(e);
  }
  return 'NONE';
};

test('onto this node alone: success, and nothing in progress', async () => {
  await admin.alterPartitionReassignments({ topics: [{ topic: 'moved', partitionAssignment: [{ partition: 0, replicas: [1] }] }] });
  const listed = await admin.listPartitionReassignments({});
  assert.deepEqual(listed.topics, []);
});

test("Kafka's errors: unregistered broker, duplicates, unknown partition, empty target", async () => {
  const one = (partition: number, replicas: number[], topic = 'moved') => admin.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition, replicas }] }] });
  assert.equal(await errorType(one(0, [2])), 'INVALID_REPLICA_ASSIGNMENT');
  assert.equal(await errorType(one(0, [1, 1])), 'INVALID_REPLICA_ASSIGNMENT');
  assert.equal(await errorType(one(3, [1])), 'UNKNOWN_TOPIC_OR_PARTITION');
  assert.equal(await errorType(one(0, [1], 'absent')), 'UNKNOWN_TOPIC_OR_PARTITION');
  // KafkaJS cannot send a null (cancel); an empty list is refused by Kafka as INVALID_REPLICA_ASSIGNMENT.
  assert.equal(await errorType(one(0, [])), 'INVALID_REPLICA_ASSIGNMENT');
});

test('the CLI: samsa cluster reassign --replicas, --cancel, --list', async () => {
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const cli = join(fileURLToPath(new URL('.', import.meta.url)), '../../src/cli/samsa.js');
  // Asynchronous: the broker runs in this process.
  const samsa = (...args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, SAMSA_BROKERS: running!.bootstrap, SAMSA_CONFIG: join(dir, 'none.json'), SAMSA_PROFILE: undefined }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', reject);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });
  const bad = await samsa('cluster', 'reassign', '--topic', 'moved', '--partition', '0', '--replicas', '2');
  assert.notEqual(bad.status, 0, bad.stdout + bad.stderr);
  assert.match(bad.stderr, /INVALID_REPLICA_ASSIGNMENT/);
  const ok = await samsa('cluster', 'reassign', '--topic', 'moved', '--partition', '0', '--replicas', '1');
  assert.equal(ok.status, 0, ok.stderr);
  const cancel = await samsa('cluster', 'reassign', '--topic', 'moved', '--partition', '0', '--cancel');
  assert.notEqual(cancel.status, 0);
  assert.match(cancel.stderr, /NO_REASSIGNMENT_IN_PROGRESS/);
  const list = await samsa('-o', 'json', 'cluster', 'reassign', '--list');
  assert.equal(list.status, 0, list.stderr);
  assert.deepEqual(JSON.parse(list.stdout), []);
});
