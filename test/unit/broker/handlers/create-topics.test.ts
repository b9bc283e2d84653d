// CreateTopics (every version) against a real metadata store: defaults, validateOnly, assignments
// on this node, and Kafka's errors per topic.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { ConfigSource } from '../../../../src/broker/admin-configs.js';
import { ErrorCode } from '../../../../src/broker/errors.js';
import { createTopicsHandler } from '../../../../src/broker/handlers/create-topics.js';
import { UUID_ZERO } from '../../../../src/protocol/runtime/index.js';
import { call, harness, topic, type Harness } from './helpers.js';

describe('CreateTopics', () => {
  let h: Harness;
  before(async () => (h = await harness()));
  after(() => rm(h.dir, { recursive: true, force: true }));

  test('every version creates; v5+ reports configs, partitions and replication factor; v7 the id', async () => {
    const handler = createTopicsHandler(h.broker);
    for (let v = 0; v <= 7; v++) {
      const res = await call(handler, { topics: [topic(`t-v${v}`, 2, 1, { 'retention.ms': '60000' })] }, v);
      const [r] = res.topics;
      assert.equal(r!.errorCode, ErrorCode.NONE, `v${v}`);
      const meta = h.broker.metadata.topic(`t-v${v}`)!;
      assert.equal(meta.partitions.length, 2);
      assert.deepEqual(meta.configs, { 'retention.ms': '60000' });
      if (v >= 5) {
        assert.equal(r!.numPartitions, 2);
        assert.equal(r!.replicationFactor, 1);
        const retention = r!.configs!.find((c) => c.name === 'retention.ms')!;
        assert.deepEqual([retention.value, retention.configSource, retention.readOnly, retention.isSensitive], ['60000', ConfigSource.TOPIC_CONFIG, false, false]);
        assert.equal(r!.configs!.find((c) => c.name === 'segment.bytes')!.configSource, ConfigSource.DEFAULT_CONFIG);
        const names = r!.configs!.map((c) => c.name);
        assert.deepEqual(names, [...names].sort());
      } else {
        assert.equal(r!.numPartitions, -1);
      }
      assert.equal(r!.topicId, v >= 7 ? meta.topicId : UUID_ZERO);
    }
    assert.ok(h.opened.includes('t-v0-0') && h.opened.includes('t-v0-1'));
  });

  test('defaults from the broker: numPartitions and replicationFactor -1', async () => {
    const res = await call(createTopicsHandler(h.broker), { topics: [topic('defaults', -1, -1)] }, 7);
    assert.equal(res.topics[0]!.errorCode, ErrorCode.NONE);
    assert.equal(res.topics[0]!.numPartitions, 1);
    assert.equal(h.broker.metadata.topic('defaults')!.partitions.length, 1);
  });

  test('validateOnly checks without creating', async () => {
    const handler = createTopicsHandler(h.broker);
    const ok = await call(handler, { topics: [topic('dry', 3)], validateOnly: true }, 5);
    assert.equal(ok.topics[0]!.errorCode, ErrorCode.NONE);
    assert.equal(ok.topics[0]!.numPartitions, 3);
    assert.equal(h.broker.metadata.topic('dry'), undefined);
    // v7: Kafka draws a topic id before it checks validateOnly and answers with it.
    const withId = await call(handler, { topics: [topic('dry', 3)], validateOnly: true }, 7);
    assert.notEqual(withId.topics[0]!.topicId, UUID_ZERO);
    const bad = await call(handler, { topics: [topic('dry', 1, 3)], validateOnly: true }, 1);
    assert.equal(bad.topics[0]!.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR);
  });

  test('a name given twice: one INVALID_REQUEST result, the rest proceeds', async () => {
    const res = await call(createTopicsHandler(h.broker), { topics: [topic('dup'), topic('single'), topic('dup')] }, 4);
    assert.deepEqual(
      res.topics.map((t) => [t.name, t.errorCode, t.errorMessage]),
      [
        ['dup', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
        ['single', ErrorCode.NONE, null],
      ],
    );
    assert.equal(h.broker.metadata.topic('dup'), undefined);
  });

  test("Kafka's errors per topic", async () => {
    const res = await call(
      createTopicsHandler(h.broker),
      {
        topics: [
          topic('single'),
          topic('bad name!'),
          topic('rf3', 1, 3),
          topic('zero', 0),
          topic('badcfg', 1, -1, { 'retention.ms': 'x' }),
          topic('unknowncfg', 1, -1, { 'no.such': '1' }),
          topic('nullcfg', 1, -1, { 'retention.ms': null }),
        ],
      },
      7,
    );
    const codes = Object.fromEntries(res.topics.map((t) => [t.name, [t.errorCode, t.errorMessage]]));
    assert.deepEqual(codes['single'], [ErrorCode.TOPIC_ALREADY_EXISTS, "Topic 'single' already exists."]);
    assert.equal(codes['bad name!']![0], ErrorCode.INVALID_TOPIC_EXCEPTION);
    assert.equal(codes['rf3']![0], ErrorCode.INVALID_REPLICATION_FACTOR);
    assert.equal(codes['zero']![0], ErrorCode.INVALID_PARTITIONS);
    assert.equal(codes['badcfg']![0], ErrorCode.INVALID_CONFIG);
    assert.deepEqual(codes['unknowncfg'], [ErrorCode.INVALID_CONFIG, 'Unknown topic config name: no.such']);
    assert.deepEqual(codes['nullcfg'], [ErrorCode.INVALID_CONFIG, 'Null value not supported for topic configs: retention.ms']);
    for (const t of res.topics) assert.equal(t.numPartitions, -1);
  });

  test('collision of . and _', async () => {
    const handler = createTopicsHandler(h.broker);
    await call(handler, { topics: [topic('a_b')] }, 7);
    const res = await call(handler, { topics: [topic('a.b')] }, 7);
    assert.deepEqual([res.topics[0]!.errorCode, res.topics[0]!.errorMessage], [ErrorCode.INVALID_TOPIC_EXCEPTION, "Topic 'a.b' collides with existing topic: a_b"]);
    // As Kafka's ReplicationControlManager: only topics that existed before the request collide.
    const pair = await call(handler, { topics: [topic('c.d'), topic('c_d')] }, 7);
    assert.deepEqual(pair.topics.map((t) => t.errorCode), [ErrorCode.NONE, ErrorCode.NONE]);
  });

  test('manual assignments on this node', async () => {
    const handler = createTopicsHandler(h.broker);
    const ok = await call(handler, { topics: [topic('manual', -1, -1, {}, [[0, [1]], [1, [1]], [2, [1]]])] }, 5);
    assert.equal(ok.topics[0]!.errorCode, ErrorCode.NONE);
    assert.equal(ok.topics[0]!.numPartitions, 3);
    assert.equal(h.broker.metadata.topic('manual')!.partitions.length, 3);
    const other = await call(handler, { topics: [topic('manual2', -1, -1, {}, [[0, [2]]])] }, 5);
    assert.deepEqual([other.topics[0]!.errorCode, other.topics[0]!.errorMessage], [ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes broker 2, but no such broker is registered.']);
    const mixed = await call(handler, { topics: [topic('manual3', 1, -1, {}, [[0, [1]]])] }, 5);
    assert.equal(mixed.topics[0]!.errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal(h.broker.metadata.topic('manual2'), undefined);
  });

  test('v0 carries no error message', async () => {
    const res = await call(createTopicsHandler(h.broker), { topics: [topic('bad name!')] }, 0);
    assert.equal(res.topics[0]!.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
  });
});
