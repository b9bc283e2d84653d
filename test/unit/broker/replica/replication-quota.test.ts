// KIP-73 replication throttles: the token bucket (rate per second, one second of burst, debt
// allowed), the throttled-replicas lists (Kafka's format and validator, entries of this broker
// only), and the replica manager's leader side: an out-of-sync follower of a throttled partition
// gets offsets and no records once the leader quota is exceeded; an in-sync one is never held back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerConfig, ConfigError } from '../../../../src/broker/config.js';
import type { TopicImage as TopicMetadata } from '../../../../src/broker/metadata/image.js';
import { ReplicaManager, type FetchParams } from '../../../../src/broker/replica/replica-manager.js';
import { parseThrottledReplicas, ReplicationQuota, throttledReplicasValidator, TokenBucket, UNLIMITED_RATE } from '../../../../src/broker/replica/replication-quota.js';
import { invalidTopicConfig } from '../../../../src/broker/topic-configs.js';
import { buildRecordBatch } from '../../../../src/protocol/records/index.js';
import { createLogger } from '../../../../src/util/logger.js';
import { MockTime } from '../../../../src/util/time.js';

test('token bucket: one second of burst, then the rate; a transfer may overdraw, which holds the next back', async () => {
  const time = new MockTime();
  const b = new TokenBucket(1000, time);
  assert.equal(b.available, 1000);
  b.record(600);
  assert.equal(b.exceeded, false);
  b.record(900); // one fetch is never cut: the balance goes to -500
  assert.equal(b.available, -500);
  assert.equal(b.exceeded, true);
  await time.advance(400); // +400 bytes
  assert.equal(b.exceeded, true);
  await time.advance(100);
  assert.equal(b.available, 0);
  assert.equal(b.exceeded, false, 'a zero balance may send again');
  await time.advance(60_000);
  assert.equal(b.available, 1000, 'refills no further than one second of the rate');
  b.setRate(200);
  assert.equal(b.available, 200, 'a lower rate caps the balance');
});

test('token bucket: the default (Long.MAX_VALUE) rate never throttles', () => {
  const b = new TokenBucket(UNLIMITED_RATE, new MockTime());
  b.record(Number.MAX_SAFE_INTEGER);
  b.record(Number.MAX_SAFE_INTEGER);
  assert.equal(b.exceeded, false);
});

test('throttled replicas: Kafka\'s format; a broker keeps its own entries; * is every partition', () => {
  assert.deepEqual(parseThrottledReplicas('0:1,1:2, 2:1', 1), new Set([0, 2]));
  assert.deepEqual(parseThrottledReplicas('0:1,1:2', 3), new Set());
  assert.equal(parseThrottledReplicas(' * ', 3), 'all');
  const validate = throttledReplicasValidator('leader.replication.throttled.replicas');
  for (const ok of ['', '*', '0:1', '0:1,1:2', ' 0:1 , 1:2 ']) assert.equal(validate(ok), undefined, ok);
  for (const bad of ['1', 'a:b', '0:1,*', '0:1:2', '-1:1']) assert.match(validate(bad) ?? '', /must be the literal '\*' or a list of replicas/, bad);
  assert.match(invalidTopicConfig('follower.replication.throttled.replicas', 'x') ?? '', /^Invalid value x for configuration follower\.replication\.throttled\.replicas: follower\.replication\.throttled\.replicas must be/);
});

test('broker rates: dynamic longs, Long.MAX_VALUE by default, never negative', () => {
  const c = new BrokerConfig(new Map());
  assert.equal(c.get('leader.replication.throttled.rate'), Number.MAX_SAFE_INTEGER);
  assert.equal(BrokerConfig.check('follower.replication.throttled.rate', '1048576'), 1048576);
  assert.throws(() => BrokerConfig.check('leader.replication.throttled.rate', '-1'), ConfigError);
});

test('quota: only listed partitions, only out of sync, only when exceeded', () => {
  const time = new MockTime();
  let rate = 100;
  const q = new ReplicationQuota(() => rate, time);
  q.markThrottled('t', new Set([0]));
  assert.equal(q.isThrottled('t', 0), true);
  assert.equal(q.isThrottled('t', 1), false);
  assert.equal(q.shouldThrottle('t', 0, false), false, 'within the rate');
  q.record(500);
  assert.equal(q.shouldThrottle('t', 0, false), true);
  assert.equal(q.shouldThrottle('t', 0, true), false, 'in sync: not held back');
  assert.equal(q.shouldThrottle('t', 1, false), false, 'not listed');
  rate = UNLIMITED_RATE; // the dynamic config removed
  assert.equal(q.shouldThrottle('t', 0, false), false);
  q.markThrottled('t', new Set());
  assert.equal(q.isThrottled('t', 0), false);
});

const NODE = 1;
let dir: string;
let rm_: ReplicaManager;
const time = new MockTime();
let topic: TopicMetadata;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'samsa-replication-quota-'));
  topic = { name: 'moving', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ replicas: [1, 2, 3], isr: [1, 2], leader: NODE, leaderEpoch: 1, partitionEpoch: 1 }], configs: { 'leader.replication.throttled.replicas': '0:1' }, internal: false };
  const config = BrokerConfig.fromSources({ overrides: { 'log.dirs': dir, 'leader.replication.throttled.rate': 1000 } });
  rm_ = await ReplicaManager.open({ nodeId: NODE, config, logger: createLogger('silent'), metadata: { topic: () => topic } }, { time, verifyTransaction: async () => new Map() });
});
after(async () => {
  await rm_?.close();
  await rm(dir, { recursive: true, force: true });
});

const followerFetch = (replicaId: number): FetchParams => ({ replicaId, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, partitions: [{ topic: 'moving', partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: 1, lastFetchedEpoch: -1 }] });

test('leader side: an out-of-sync follower of a throttled partition gets no records once the quota is spent; an in-sync one always does', async () => {
  await rm_.applyRegistration(topic, 0);
  const records = buildRecordBatch([{ key: null, value: Buffer.alloc(1500, 1) }], { timestamp: time.now() });
  await rm_.appendRecords({ requiredAcks: 1, timeoutMs: 1000, apiVersion: 9, transactionalId: null, entries: [{ topic: 'moving', partition: 0, records }] });

  const [first] = await rm_.fetchMessages(followerFetch(3));
  assert.equal(first!.records.length, records.length, 'within the first second\'s burst');
  const [held] = await rm_.fetchMessages(followerFetch(3));
  assert.equal(held!.records.length, 0, 'the quota is overdrawn: offsets only');
  assert.equal(held!.highWatermark, 0n);
  assert.equal(rm_.partition('moving', 0)!.replicaState(3)?.logEndOffset, 0n, 'the fetch still counts as the follower\'s position');
  const [inSync] = await rm_.fetchMessages(followerFetch(2));
  assert.equal(inSync!.records.length, records.length, 'in the ISR: never held back (its bytes still count)');
  const [consumer] = await rm_.fetchMessages({ ...followerFetch(-1) });
  assert.equal(consumer!.errorCode, 0, 'consumers are not replication traffic');

  await time.advance(2000); // two seconds of refill do not pay back two overdrafts of one batch (> 1500 bytes) each...
  assert.equal((await rm_.fetchMessages(followerFetch(3)))[0]!.records.length, 0);
  await time.advance(1000);
  assert.equal((await rm_.fetchMessages(followerFetch(3)))[0]!.records.length, records.length, '...a third second does');

  // The list is a topic config: removed, nothing is throttled.
  topic = { ...topic, configs: {} };
  rm_.configChanged(topic);
  for (let i = 0; i < 3; i++) assert.equal((await rm_.fetchMessages(followerFetch(3)))[0]!.records.length, records.length);
});
