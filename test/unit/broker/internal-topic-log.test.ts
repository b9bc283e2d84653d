// Internal topics are created with their configured replication factor, capped (with a warning)
// at the registered brokers, and a topic created meanwhile is used as it is.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, KafkaError } from '../../../src/broker/errors.js';
import { COORDINATOR_WRITE_TIMEOUT_MS, createInternalTopic, internalTopicLog, internalTopicReplicationFactor } from '../../../src/broker/internal-topic-log.js';
import type { DelayedProduce } from '../../../src/broker/replica/delayed-produce.js';
import { DelayedOperationPurgatory } from '../../../src/broker/replica/purgatory.js';
import { partitionKey, type ReplicaManager } from '../../../src/broker/replica/replica-manager.js';
import { buildRecordBatch } from '../../../src/protocol/records/index.js';
import { MockTime } from '../../../src/util/time.js';
import { newPartition } from './replica/helpers.js';
import type { TopicManager } from '../../../src/broker/topic-manager.js';
import { createLogger } from '../../../src/util/logger.js';
import { registration, singleNodeImage, testConfig, testContext } from './context-helpers.js';

function setup(brokers: number, create: (rf: number) => Promise<void> = () => Promise.resolve()) {
  const lines: string[] = [];
  const created: number[] = [];
  const topics = {
    create: async (_name: string, _partitions: number, rf: number) => {
      created.push(rf);
      await create(rf);
    },
  } as unknown as TopicManager;
  const metadata = singleNodeImage(1).with({ brokers: Array.from({ length: brokers }, (_, i) => registration(i + 1)) });
  const broker = testContext({ config: testConfig({ 'offsets.topic.replication.factor': '3' }), metadata, topics, logger: createLogger('warn', {}, (l) => void lines.push(l)) });
  return { broker, created, lines };
}

test('the configured replication factor when enough brokers are registered', async () => {
  const { broker, created, lines } = setup(4);
  await createInternalTopic(broker, '__consumer_offsets', 50, 'offsets.topic.replication.factor', {});
  assert.deepEqual(created, [3]);
  assert.deepEqual(lines, []);
});

test('capped at the registered brokers, with a warning naming the setting', async () => {
  const { broker, created, lines } = setup(1);
  await createInternalTopic(broker, '__consumer_offsets', 50, 'offsets.topic.replication.factor', {});
  assert.deepEqual(created, [1]);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /offsets\.topic\.replication\.factor is 3 but only 1 broker/);
  assert.equal(internalTopicReplicationFactor(3, 2), 2);
  assert.equal(internalTopicReplicationFactor(3, 0), 1);
});

test('created meanwhile: fine; any other refusal is the caller\'s', async () => {
  const exists = setup(3, () => Promise.reject(new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS)));
  await createInternalTopic(exists.broker, '__consumer_offsets', 50, 'offsets.topic.replication.factor', {});
  const refused = setup(3, () => Promise.reject(new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR)));
  await assert.rejects(createInternalTopic(refused.broker, '__consumer_offsets', 50, 'offsets.topic.replication.factor', {}), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.INVALID_REPLICATION_FACTOR);
});

// A coordinator log on a real partition: only on the leader, bound to its leader epoch, and an
// append counts once the ISR has it (acks=all).
describe('the coordinator log of a partition', () => {
  async function leader() {
    const time = new MockTime();
    const purgatory = new DelayedOperationPurgatory<DelayedProduce>('Produce', time);
    const p = await newPartition(time, { listener: (x) => purgatory.checkAndComplete(partitionKey(x.topic.name, x.index)) });
    p.makeLeader({ leaderEpoch: 1, partitionEpoch: 1, replicas: [1, 2, 3], isr: [1, 2] });
    const replicas = { partition: () => p, producePurgatory: purgatory } as unknown as ReplicaManager;
    const broker = testContext({ replicas });
    return { time, p, broker, purgatory, log: internalTopicLog(broker, 't', 0)! };
  }
  const batch = () => buildRecordBatch([{ key: Buffer.from('k'), value: Buffer.from('v') }], { timestamp: 1 });

  test('an append resolves once the in-sync follower has it', async () => {
    const { p, purgatory, log } = await leader();
    let done = false;
    const appended = log.append(batch()).then(() => (done = true));
    await eventuallyTrue(() => purgatory.delayed === 1);
    assert.equal(done, false, 'not before the follower fetched it');
    p.updateFollowerFetchState(2, 1n, p.logEndOffset);
    await appended;
    assert.equal(p.highWatermark, 1n);
  });

  test('an ISR that never catches up: REQUEST_TIMED_OUT after the coordinator write timeout', async () => {
    const { time, purgatory, log } = await leader();
    const appended = assert.rejects(log.append(batch()), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.REQUEST_TIMED_OUT);
    // Appended and waiting for the ISR: only then does the timeout's clock matter.
    await eventuallyTrue(() => purgatory.delayed === 1);
    await time.advance(COORDINATOR_WRITE_TIMEOUT_MS);
    await appended;
  });

  test('after leadership moves (a new leader epoch) the log refuses appends, and a follower has none', async () => {
    const { p, broker, log } = await leader();
    p.makeFollower({ leader: 2, leaderEpoch: 2, partitionEpoch: 2, replicas: [1, 2, 3], isr: [2, 1] });
    await assert.rejects(log.append(batch()), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assert.equal(p.logEndOffset, 0n);
    assert.equal(internalTopicLog(broker, 't', 0), undefined);
  });
});

/** Real log I/O completes on its own: waits for it by wall clock, bounded. */
async function eventuallyTrue(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('not within 5 s');
    await new Promise((r) => setImmediate(r));
  }
}
