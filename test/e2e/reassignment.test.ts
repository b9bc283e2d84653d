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
