// The admin APIs (CreateTopics, DeleteTopics, CreatePartitions, DescribeConfigs, AlterConfigs,
// IncrementalAlterConfigs, DescribeCluster): the pure config logic, then each handler against a
// real metadata store and topic manager (logs stubbed out), requests and responses passed
// through the generated codecs at the version under test, as on the wire.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMessage, encodeMessage, UUID_ZERO } from '../../../src/protocol/runtime/index.js';
import {
  AlterConfigOp,
  applyBrokerIncrementalOps,
  applyIncrementalOps,
  brokerConfigValue,
  ConfigSource,
  ConfigType,
  describeBrokerConfigs,
  describeTopicConfigs,
  ResourceType,
  type ApiError,
} from '../../../src/broker/admin-configs.js';
import { BrokerConfig } from '../../../src/broker/config.js';
import { ErrorCode } from '../../../src/broker/errors.js';
import type { ApiHandler, RequestContext } from '../../../src/broker/handler.js';
import type { BrokerContext } from '../../../src/broker/context.js';
import { LocalMetadataStore } from '../../../src/broker/metadata/local-store.js';
import { checkCreateAssignments, checkManualAssignment } from '../../../src/broker/handlers/admin-util.js';
import { alterConfigsHandler } from '../../../src/broker/handlers/alter-configs.js';
import { createPartitionsHandler } from '../../../src/broker/handlers/create-partitions.js';
import { createTopicsHandler } from '../../../src/broker/handlers/create-topics.js';
import { deleteTopicsHandler } from '../../../src/broker/handlers/delete-topics.js';
import { describeClusterHandler } from '../../../src/broker/handlers/describe-cluster.js';
import { describeConfigsHandler } from '../../../src/broker/handlers/describe-configs.js';
import { incrementalAlterConfigsHandler } from '../../../src/broker/handlers/incremental-alter-configs.js';
import { storeContext } from './context-helpers.js';

const config = (props: Record<string, string> = {}) => new BrokerConfig(new Map(Object.entries(props)));
const isError = (v: object): v is ApiError => 'code' in v;

describe('topic config description', () => {
  test('defaults: Kafka default values, DEFAULT_CONFIG source, broker defaults as synonyms', () => {
    const all = describeTopicConfigs(config(), {});
    const retention = all.find((c) => c.name === 'retention.ms')!;
    assert.equal(retention.value, '604800000');
    assert.equal(retention.source, ConfigSource.DEFAULT_CONFIG);
    assert.equal(retention.configType, ConfigType.LONG);
    assert.equal(retention.readOnly, false);
    // log.retention.ms has no default and .hours is not listed without it (Kafka drops the
    // synonyms before the first entry of the primary key).
    assert.deepEqual(retention.synonyms, []);
    const jitter = all.find((c) => c.name === 'segment.jitter.ms')!;
    assert.deepEqual(jitter.synonyms, []);
    assert.deepEqual(all.find((c) => c.name === 'segment.bytes')!.synonyms, [{ name: 'log.segment.bytes', value: '1073741824', source: ConfigSource.DEFAULT_CONFIG }]);
    assert.equal(jitter.source, ConfigSource.DEFAULT_CONFIG);
    assert.equal(all.find((c) => c.name === 'cleanup.policy')!.configType, ConfigType.LIST);
    assert.equal(all.find((c) => c.name === 'preallocate')!.configType, ConfigType.BOOLEAN);
    assert.equal(all.find((c) => c.name === 'segment.bytes')!.configType, ConfigType.INT);
    assert.equal(all.find((c) => c.name === 'min.cleanable.dirty.ratio')!.configType, ConfigType.DOUBLE);
    assert.equal(all.find((c) => c.name === 'compression.type')!.configType, ConfigType.STRING);
    assert.equal(all.find((c) => c.name === 'flush.ms')!.value, '9223372036854775807');
  });

  test('a broker key set explicitly is the source; the topic override comes first', () => {
    // Only log.retention.hours set: the value follows it, but (as in Kafka) no synonym is listed
    // and the source is DEFAULT_CONFIG, since log.retention.ms is set nowhere.
    const hours = config({ 'log.retention.hours': '24' });
    const [fromHours] = describeTopicConfigs(hours, {}, ['retention.ms']);
    assert.equal(fromHours!.value, String(24 * 3_600_000));
    assert.equal(fromHours!.source, ConfigSource.DEFAULT_CONFIG);
    assert.deepEqual(fromHours!.synonyms, []);
    const c = config({ 'log.retention.ms': '7200000', 'log.retention.hours': '24' });
    const [fromBroker] = describeTopicConfigs(c, {}, ['retention.ms']);
    assert.equal(fromBroker!.value, '7200000');
    assert.equal(fromBroker!.source, ConfigSource.STATIC_BROKER_CONFIG);
    assert.deepEqual(fromBroker!.synonyms, [
      { name: 'log.retention.ms', value: '7200000', source: ConfigSource.STATIC_BROKER_CONFIG },
      { name: 'log.retention.hours', value: '24', source: ConfigSource.STATIC_BROKER_CONFIG },
      { name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG },
    ]);
    const [own] = describeTopicConfigs(c, { 'retention.ms': '1000' }, ['retention.ms']);
    assert.equal(own!.value, '1000');
    assert.equal(own!.source, ConfigSource.TOPIC_CONFIG);
    assert.deepEqual(
      own!.synonyms.map((s) => [s.name, s.source]),
      [
        ['retention.ms', ConfigSource.TOPIC_CONFIG],
        ['log.retention.ms', ConfigSource.STATIC_BROKER_CONFIG],
        ['log.retention.hours', ConfigSource.STATIC_BROKER_CONFIG],
        ['log.retention.hours', ConfigSource.DEFAULT_CONFIG],
      ],
    );
  });

  test('key filter: unknown keys are left out, an empty list means all', () => {
    assert.deepEqual(
      describeTopicConfigs(config(), {}, ['segment.bytes', 'no.such.key']).map((c) => c.name),
      ['segment.bytes'],
    );
    assert.equal(describeTopicConfigs(config(), {}, []).length, describeTopicConfigs(config(), {}).length);
  });
});

describe('broker config description', () => {
  test('values as Kafka prints them, sources from what was set', () => {
    const c = config({ 'num.partitions': '3', 'log.cleaner.min.cleanable.ratio': '1' });
    assert.equal(brokerConfigValue(c, 'log.flush.interval.messages'), '9223372036854775807');
    assert.equal(brokerConfigValue(c, 'listener.security.protocol.map'), 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT');
    assert.equal(brokerConfigValue(c, 'log.retention.ms'), null);
    assert.equal(brokerConfigValue(c, 'log.cleaner.min.cleanable.ratio'), '1.0');
    assert.equal(brokerConfigValue(c, 'broker.id'), '1');
    // Kafka's default of broker.id (-1) is its DEFAULT_CONFIG synonym; the value follows node.id.
    assert.deepEqual(describeBrokerConfigs(c, ['broker.id'])[0]!.synonyms, [{ name: 'broker.id', value: '-1', source: ConfigSource.DEFAULT_CONFIG }]);
    assert.equal(brokerConfigValue(c, 'controller.quorum.voters'), '');
    const all = describeBrokerConfigs(c);
    const parts = all.find((x) => x.name === 'num.partitions')!;
    assert.equal(parts.value, '3');
    assert.equal(parts.source, ConfigSource.STATIC_BROKER_CONFIG);
    assert.equal(parts.readOnly, true);
    assert.equal(parts.configType, ConfigType.INT);
    assert.deepEqual(parts.synonyms, [
      { name: 'num.partitions', value: '3', source: ConfigSource.STATIC_BROKER_CONFIG },
      { name: 'num.partitions', value: '1', source: ConfigSource.DEFAULT_CONFIG },
    ]);
    const roll = all.find((x) => x.name === 'log.roll.ms')!;
    assert.equal(roll.value, null);
    assert.equal(roll.source, ConfigSource.DEFAULT_CONFIG);
    assert.deepEqual(roll.synonyms, []);
    assert.equal(all.find((x) => x.name === 'auto.create.topics.enable')!.configType, ConfigType.BOOLEAN);
    // Kafka declares the listener keys as STRING, the internal topics' replication factors as SHORT.
    assert.equal(all.find((x) => x.name === 'listeners')!.configType, ConfigType.STRING);
    assert.equal(all.find((x) => x.name === 'offsets.topic.replication.factor')!.configType, ConfigType.SHORT);
    assert.equal(all.find((x) => x.name === 'log.cleaner.io.max.bytes.per.second')!.value, '1.7976931348623157E308');
  });
});

describe('incremental config operations', () => {
  const c = config();
  const apply = (overrides: Record<string, string>, ...ops: [string, number, string | null][]) =>
    applyIncrementalOps(c, overrides, ops.map(([name, configOperation, value]) => ({ name, configOperation, value })));

  test('SET, DELETE, APPEND and SUBTRACT', () => {
    const before = { 'retention.ms': '1000', 'segment.ms': '5000' };
    const r = apply(before, ['retention.ms', AlterConfigOp.SET, '2000'], ['segment.ms', AlterConfigOp.DELETE, null], ['cleanup.policy', AlterConfigOp.APPEND, 'compact']);
    assert.deepEqual(r, { configs: { 'retention.ms': '2000', 'cleanup.policy': 'delete,compact' } });
    assert.deepEqual(before, { 'retention.ms': '1000', 'segment.ms': '5000' }, 'input untouched');
    assert.deepEqual(apply({ 'cleanup.policy': 'delete,compact' }, ['cleanup.policy', AlterConfigOp.SUBTRACT, 'delete']), { configs: { 'cleanup.policy': 'compact' } });
    assert.deepEqual(apply({ 'cleanup.policy': 'compact' }, ['cleanup.policy', AlterConfigOp.APPEND, 'compact']), { configs: { 'cleanup.policy': 'compact' } });
    // DELETE of a key without an override (or unknown) changes nothing.
    assert.deepEqual(apply({}, ['retention.ms', AlterConfigOp.DELETE, null], ['what.ever', AlterConfigOp.DELETE, null]), { configs: {} });
  });

  test('APPEND starts from the value the topic has from the broker', () => {
    const r = applyIncrementalOps(config({ 'log.cleanup.policy': 'compact' }), {}, [{ name: 'cleanup.policy', configOperation: AlterConfigOp.APPEND, value: 'delete' }]);
    assert.deepEqual(r, { configs: { 'cleanup.policy': 'compact,delete' } });
    const list = applyIncrementalOps(c, {}, [{ name: 'leader.replication.throttled.replicas', configOperation: AlterConfigOp.APPEND, value: '0:1,1:1' }]);
    assert.deepEqual(list, { configs: { 'leader.replication.throttled.replicas': '0:1,1:1' } });
  });

  test("Kafka's errors", () => {
    const err = (r: ReturnType<typeof apply>) => (isError(r) ? [r.code, r.message] : r);
    assert.deepEqual(err(apply({}, ['retention.ms', AlterConfigOp.APPEND, '5'])), [ErrorCode.INVALID_CONFIG, "Can't APPEND to key retention.ms because its type is not LIST."]);
    assert.deepEqual(err(apply({}, ['retention.ms', AlterConfigOp.SUBTRACT, '5'])), [ErrorCode.INVALID_CONFIG, "Can't SUBTRACT to key retention.ms because its type is not LIST."]);
    assert.deepEqual(err(apply({}, ['retention.ms', 0, '1'], ['retention.ms', 1, null])), [ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys']);
    assert.deepEqual(err(apply({}, ['retention.ms', AlterConfigOp.SET, null], ['segment.ms', AlterConfigOp.APPEND, null])), [ErrorCode.INVALID_REQUEST, 'Null value not supported for : retention.ms, segment.ms']);
    assert.deepEqual(err(apply({}, ['retention.ms', 7, '1'])), [ErrorCode.INVALID_REQUEST, 'Unknown operations type 7']);
    assert.deepEqual(err(apply({}, ['no.such.config', AlterConfigOp.SET, '1'])), [ErrorCode.INVALID_CONFIG, 'Unknown topic config name: no.such.config']);
    const bad = apply({}, ['retention.ms', AlterConfigOp.SET, 'soon']);
    assert.ok(isError(bad) && bad.code === ErrorCode.INVALID_CONFIG && /retention\.ms/.test(bad.message!));
    const badList = apply({}, ['cleanup.policy', AlterConfigOp.APPEND, 'forever']);
    assert.ok(isError(badList) && badList.code === ErrorCode.INVALID_CONFIG);
  });

  test('SUBTRACT of the last cleanup.policy item leaves an empty policy, as Kafka 4.1 accepts', () => {
    assert.deepEqual(apply({ 'cleanup.policy': 'compact' }, ['cleanup.policy', AlterConfigOp.SUBTRACT, 'compact']), { configs: { 'cleanup.policy': '' } });
  });

  test('broker resources: unknown keys accepted, bad values INVALID_REQUEST, DELETE of a key not set changes nothing', () => {
    const ops = (...list: [string, number, string | null][]) => list.map(([name, configOperation, value]) => ({ name, configOperation, value }));
    assert.deepEqual(applyBrokerIncrementalOps(c, {}, ops(['plugin.custom.key', AlterConfigOp.SET, 'x'])), { configs: { 'plugin.custom.key': 'x' } });
    const bad = applyBrokerIncrementalOps(c, {}, ops(['log.retention.bytes', AlterConfigOp.SET, 'lots']));
    assert.ok(isError(bad) && bad.code === ErrorCode.INVALID_REQUEST);
    assert.deepEqual(applyBrokerIncrementalOps(c, { 'log.retention.bytes': '5' }, ops(['broker.id', AlterConfigOp.DELETE, null])), { configs: { 'log.retention.bytes': '5' } });
    // Described as Kafka does a config of unknown type: listed, no value, sensitive, read-only.
    const withCustom = config();
    withCustom.setDynamic({ 'plugin.custom.key': 'x' }, {});
    assert.deepEqual(describeBrokerConfigs(withCustom, ['plugin.custom.key']), [
      { name: 'plugin.custom.key', value: null, readOnly: true, source: ConfigSource.DYNAMIC_BROKER_CONFIG, isSensitive: true, synonyms: [{ name: 'plugin.custom.key', value: null, source: ConfigSource.DYNAMIC_BROKER_CONFIG }], configType: ConfigType.UNKNOWN },
    ]);
    // Only the primary key of a topic config's synonyms is dynamic.
    const hours = applyBrokerIncrementalOps(c, {}, ops(['log.retention.hours', AlterConfigOp.SET, '1']));
    assert.ok(isError(hours) && hours.code === ErrorCode.INVALID_REQUEST);
  });
});

describe('manual replica assignments', () => {
  const ONLY_1 = new Set([1]);
  test('only registered brokers, once, consistently', () => {
    assert.equal(checkManualAssignment([1], ONLY_1), undefined);
    assert.equal(checkManualAssignment([1, 1], ONLY_1)?.message, 'The manual partition assignment includes broker 1 more than once.');
    assert.equal(checkManualAssignment([2], ONLY_1)?.message, 'The manual partition assignment includes broker 2, but no such broker is registered.');
    assert.equal(checkManualAssignment([], ONLY_1)?.message, 'The manual partition assignment includes an empty replica list.');
    assert.equal(checkManualAssignment([1], ONLY_1, 2)?.code, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  });

  test('CreateTopics derives partitions and replication factor', () => {
    const t = (numPartitions: number, replicationFactor: number, ...lists: [number, number[]][]) => ({
      numPartitions,
      replicationFactor,
      assignments: lists.map(([partitionIndex, brokerIds]) => ({ partitionIndex, brokerIds })),
    });
    assert.deepEqual(checkCreateAssignments(t(-1, -1, [1, [1]], [0, [1]]), ONLY_1), { partitions: 2, replicationFactor: 1 });
    // Kafka's ReplicationControlManager: INVALID_REQUEST when counts come with assignments.
    assert.equal((checkCreateAssignments(t(2, -1, [0, [1]]), ONLY_1) as ApiError).code, ErrorCode.INVALID_REQUEST);
    assert.equal((checkCreateAssignments(t(-1, 1, [0, [1]]), ONLY_1) as ApiError).code, ErrorCode.INVALID_REQUEST);
    assert.equal((checkCreateAssignments(t(-1, -1, [0, [1]], [2, [1]]), ONLY_1) as ApiError).message, 'partitions should be a consecutive 0-based integer sequence');
    assert.equal((checkCreateAssignments(t(-1, -1, [0, [1]], [0, [1]]), ONLY_1) as ApiError).message, 'Found multiple manual partition assignments for partition 0');
    assert.equal((checkCreateAssignments(t(-1, -1, [0, [3]]), ONLY_1) as ApiError).code, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  });
});

// ---- handlers against a metadata store and topic manager, logs stubbed ----

interface Harness {
  broker: BrokerContext;
  dir: string;
  opened: string[];
  deleted: string[];
}

async function harness(props: Record<string, string> = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-admin-'));
  const { broker, replicas } = await storeContext(dir, props);
  return { broker, dir, opened: replicas.opened, deleted: replicas.deleted };
}

const ctx = (apiVersion: number): RequestContext => ({
  apiVersion,
  correlationId: 1,
  clientId: 'test',
  connectionId: 1,
  remoteAddress: '127.0.0.1',
  listenerName: 'PLAINTEXT',
});

/** Request → wire → handler → wire → response, at one version. */
async function call<Req, Res>(h: ApiHandler<Req, Res>, req: Partial<Req>, version: number): Promise<Res> {
  assert.ok(version >= h.minVersion && version <= h.maxVersion);
  const full = { ...h.api.request.defaults(), ...req } as Req;
  const decoded = decodeMessage(h.api.request, encodeMessage(h.api.request, full, version), version);
  const res = await h.handle(decoded, ctx(version));
  assert.ok(res);
  return decodeMessage(h.api.response, encodeMessage(h.api.response, res, version), version);
}

const topic = (name: string, numPartitions = 1, replicationFactor = -1, configs: Record<string, string | null> = {}, assignments: [number, number[]][] = []) => ({
  name,
  numPartitions,
  replicationFactor,
  assignments: assignments.map(([partitionIndex, brokerIds]) => ({ partitionIndex, brokerIds })),
  configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })),
});

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

describe('DeleteTopics', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
    await call(createTopicsHandler(h.broker), { topics: ['d1', 'd2', 'd3', 'd4', 'd5'].map((n) => topic(n)) }, 7);
  });
  after(() => rm(h.dir, { recursive: true, force: true }));

  test('by name (v0-5) and by id (v6)', async () => {
    const handler = deleteTopicsHandler(h.broker);
    const byName = await call(handler, { topicNames: ['d1', 'nope'] }, 1);
    assert.deepEqual(
      byName.responses.map((r) => [r.name, r.errorCode]),
      [
        ['d1', ErrorCode.NONE],
        ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ],
    );
    assert.equal(h.broker.metadata.topic('d1'), undefined);
    assert.deepEqual(h.deleted, ['d1']);

    const id2 = h.broker.metadata.topic('d2')!.topicId;
    const id3 = h.broker.metadata.topic('d3')!.topicId;
    const unknownId = 'AAAAAAAAAAAAAAAAAAAAAQ';
    const byId = await call(handler, { topics: [{ name: null, topicId: id2 }, { name: null, topicId: unknownId }, { name: 'd3', topicId: UUID_ZERO }] }, 6);
    assert.deepEqual(
      byId.responses.map((r) => [r.name, r.topicId, r.errorCode]),
      [
        ['d2', id2, ErrorCode.NONE],
        [null, unknownId, ErrorCode.UNKNOWN_TOPIC_ID],
        ['d3', id3, ErrorCode.NONE],
      ],
    );
    assert.equal(h.broker.metadata.topic('d2'), undefined);
    assert.equal(h.broker.metadata.topic('d3'), undefined);
  });

  test('malformed entries and duplicates', async () => {
    const handler = deleteTopicsHandler(h.broker);
    const id4 = h.broker.metadata.topic('d4')!.topicId;
    const res = await call(
      handler,
      {
        topics: [
          { name: null, topicId: UUID_ZERO },
          { name: 'd4', topicId: id4 },
          { name: 'd5', topicId: UUID_ZERO },
          { name: 'd5', topicId: UUID_ZERO },
        ],
      },
      6,
    );
    assert.deepEqual(
      res.responses.map((r) => [r.name, r.errorCode, r.errorMessage]),
      [
        [null, ErrorCode.INVALID_REQUEST, 'Neither topic name nor id were specified.'],
        ['d4', ErrorCode.INVALID_REQUEST, 'You may not specify both topic name and topic id.'],
        ['d5', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
      ],
    );
    const both = await call(handler, { topics: [{ name: null, topicId: id4 }, { name: 'd4', topicId: UUID_ZERO }] }, 6);
    // The name and the id of one topic: one INVALID_REQUEST answer between them (Kafka 4.1).
    assert.deepEqual(
      both.responses.map((r) => [r.name, r.topicId, r.errorCode]),
      [['d4', id4, ErrorCode.INVALID_REQUEST]],
    );
    assert.ok(h.broker.metadata.topic('d4') && h.broker.metadata.topic('d5'));
  });

  test('deletion disabled', async () => {
    const off = await harness({ 'delete.topic.enable': 'false' });
    try {
      await call(createTopicsHandler(off.broker), { topics: [topic('keep')] }, 7);
      const handler = deleteTopicsHandler(off.broker);
      assert.equal((await call(handler, { topicNames: ['keep'] }, 2)).responses[0]!.errorCode, ErrorCode.INVALID_REQUEST);
      assert.equal((await call(handler, { topicNames: ['keep'] }, 3)).responses[0]!.errorCode, ErrorCode.TOPIC_DELETION_DISABLED);
      assert.ok(off.broker.metadata.topic('keep'));
    } finally {
      await rm(off.dir, { recursive: true, force: true });
    }
  });
});

describe('CreatePartitions', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
    await call(createTopicsHandler(h.broker), { topics: [topic('grow', 2), topic('other', 1)] }, 7);
  });
  after(() => rm(h.dir, { recursive: true, force: true }));

  test('grows, validateOnly does not, errors per topic', async () => {
    const handler = createPartitionsHandler(h.broker);
    const dry = await call(handler, { topics: [{ name: 'grow', count: 4, assignments: null }], validateOnly: true, timeoutMs: 1000 }, 0);
    assert.equal(dry.results[0]!.errorCode, ErrorCode.NONE);
    assert.equal(h.broker.metadata.topic('grow')!.partitions.length, 2);
    const res = await call(
      handler,
      {
        topics: [
          { name: 'grow', count: 4, assignments: [{ brokerIds: [1] }, { brokerIds: [1] }] },
          { name: 'missing', count: 2, assignments: null },
          { name: 'other', count: 1, assignments: null },
        ],
        timeoutMs: 1000,
      },
      3,
    );
    assert.deepEqual(
      res.results.map((r) => [r.name, r.errorCode]),
      [
        ['grow', ErrorCode.NONE],
        ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        ['other', ErrorCode.INVALID_PARTITIONS],
      ],
    );
    assert.equal(h.broker.metadata.topic('grow')!.partitions.length, 4);
    assert.ok(h.opened.includes('grow-2') && h.opened.includes('grow-3'));
  });

  test('assignments: one per new partition, this node only; duplicates', async () => {
    const handler = createPartitionsHandler(h.broker);
    const res = await call(handler, { topics: [{ name: 'other', count: 3, assignments: [{ brokerIds: [1] }] }] }, 2);
    assert.deepEqual([res.results[0]!.errorCode, res.results[0]!.errorMessage], [ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified.']);
    const res2 = await call(handler, { topics: [{ name: 'other', count: 2, assignments: [{ brokerIds: [1, 2] }] }] }, 2);
    assert.equal(res2.results[0]!.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    const dup = await call(handler, { topics: [{ name: 'other', count: 2, assignments: null }, { name: 'other', count: 3, assignments: null }] }, 1);
    assert.deepEqual(
      dup.results.map((r) => [r.name, r.errorCode, r.errorMessage]),
      [['other', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.']],
    );
    assert.equal(h.broker.metadata.topic('other')!.partitions.length, 1);
  });
});

describe('DescribeConfigs', () => {
  let h: Harness;
  before(async () => {
    h = await harness({ 'num.partitions': '2', 'log.retention.ms': String(48 * 3_600_000), 'log.retention.hours': '48' });
    await call(createTopicsHandler(h.broker), { topics: [topic('cfg', 1, -1, { 'cleanup.policy': 'compact' })] }, 7);
  });
  after(() => rm(h.dir, { recursive: true, force: true }));
  const res = (resourceType: number, resourceName: string, configurationKeys: string[] | null = null) => ({ resourceType, resourceName, configurationKeys });

  test('topic at every version', async () => {
    const handler = describeConfigsHandler(h.broker);
    for (let v = 0; v <= 4; v++) {
      const out = await call(handler, { resources: [res(ResourceType.TOPIC, 'cfg')], includeSynonyms: v >= 1, includeDocumentation: v >= 3 }, v);
      const [r] = out.results;
      assert.equal(r!.errorCode, ErrorCode.NONE);
      assert.equal(r!.resourceName, 'cfg');
      const policy = r!.configs.find((c) => c.name === 'cleanup.policy')!;
      const retention = r!.configs.find((c) => c.name === 'retention.ms')!;
      assert.equal(policy.value, 'compact');
      assert.equal(retention.value, String(48 * 3_600_000));
      if (v === 0) {
        assert.equal(policy.isDefault, false);
        assert.equal(retention.isDefault, false);
        assert.equal(r!.configs.find((c) => c.name === 'segment.bytes')!.isDefault, true);
      } else {
        assert.equal(policy.configSource, ConfigSource.TOPIC_CONFIG);
        assert.equal(retention.configSource, ConfigSource.STATIC_BROKER_CONFIG);
        assert.deepEqual(
          retention.synonyms.map((s) => [s.name, s.value, s.source]),
          [
            ['log.retention.ms', String(48 * 3_600_000), ConfigSource.STATIC_BROKER_CONFIG],
            ['log.retention.hours', '48', ConfigSource.STATIC_BROKER_CONFIG],
            ['log.retention.hours', '168', ConfigSource.DEFAULT_CONFIG],
          ],
        );
      }
      if (v >= 3) {
        assert.equal(policy.configType, ConfigType.LIST);
        assert.equal(policy.documentation, null);
      }
    }
  });

  test('no synonyms unless asked; key filter', async () => {
    const out = await call(describeConfigsHandler(h.broker), { resources: [res(ResourceType.TOPIC, 'cfg', ['retention.ms', 'cleanup.policy'])] }, 4);
    assert.deepEqual(
      out.results[0]!.configs.map((c) => [c.name, c.synonyms.length]),
      [
        ['cleanup.policy', 0],
        ['retention.ms', 0],
      ],
    );
  });

  test('broker resource, cluster default, logger, errors', async () => {
    const out = await call(
      describeConfigsHandler(h.broker),
      {
        resources: [
          res(ResourceType.BROKER, '1', ['num.partitions', 'log.flush.interval.messages', 'log.roll.ms', 'listeners']),
          res(ResourceType.BROKER, ''),
          res(ResourceType.BROKER, '7'),
          res(ResourceType.BROKER, 'one'),
          res(ResourceType.BROKER_LOGGER, '1'),
          res(ResourceType.TOPIC, 'missing'),
          res(ResourceType.TOPIC, 'bad/name'),
          res(99, 'x'),
        ],
        includeSynonyms: true,
      },
      2,
    );
    const [broker, cluster, other, notInt, logger, missing, bad, unknown] = out.results;
    assert.deepEqual(
      broker!.configs.map((c) => [c.name, c.value, c.configSource, c.readOnly]),
      [
        ['listeners', 'PLAINTEXT://127.0.0.1:0', ConfigSource.STATIC_BROKER_CONFIG, true],
        ['num.partitions', '2', ConfigSource.STATIC_BROKER_CONFIG, true],
        ['log.roll.ms', null, ConfigSource.DEFAULT_CONFIG, false],
        ['log.flush.interval.messages', '9223372036854775807', ConfigSource.DEFAULT_CONFIG, false],
      ],
    );
    assert.deepEqual([cluster!.errorCode, cluster!.configs], [ErrorCode.NONE, []]);
    assert.deepEqual([other!.errorCode, other!.errorMessage], [ErrorCode.INVALID_REQUEST, 'Unexpected broker id, expected 1 or empty string, but received 7']);
    assert.deepEqual([notInt!.errorCode, notInt!.errorMessage], [ErrorCode.INVALID_REQUEST, 'Broker id must be an integer, but it is: one']);
    assert.deepEqual([logger!.errorCode, logger!.configs], [ErrorCode.NONE, []]);
    assert.equal(missing!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(bad!.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
    assert.equal(unknown!.errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal(out.results.length, 8);
  });

  test('every broker key is described', async () => {
    const out = await call(describeConfigsHandler(h.broker), { resources: [res(ResourceType.BROKER, '1')] }, 4);
    assert.equal(out.results[0]!.configs.length, describeBrokerConfigs(h.broker.config).length);
    assert.ok(out.results[0]!.configs.length > 50);
  });
});

describe('AlterConfigs and IncrementalAlterConfigs', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
    await call(createTopicsHandler(h.broker), { topics: [topic('alt', 1, -1, { 'retention.ms': '1000', 'segment.ms': '2000' })] }, 7);
  });
  after(() => rm(h.dir, { recursive: true, force: true }));
  const overrides = () => h.broker.metadata.topic('alt')!.configs;

  test('AlterConfigs replaces the whole set; validateOnly changes nothing', async () => {
    const handler = alterConfigsHandler(h.broker);
    const r = (validateOnly: boolean, configs: Record<string, string>) => ({
      resources: [{ resourceType: ResourceType.TOPIC, resourceName: 'alt', configs: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
      validateOnly,
    });
    const dry = await call(handler, r(true, { 'cleanup.policy': 'compact' }), 0);
    assert.equal(dry.responses[0]!.errorCode, ErrorCode.NONE);
    assert.deepEqual(overrides(), { 'retention.ms': '1000', 'segment.ms': '2000' });
    const done = await call(handler, r(false, { 'cleanup.policy': 'compact', 'retention.ms': '5000' }), 2);
    assert.deepEqual(done.responses.map((x) => [x.resourceType, x.resourceName, x.errorCode]), [[ResourceType.TOPIC, 'alt', ErrorCode.NONE]]);
    assert.deepEqual(overrides(), { 'cleanup.policy': 'compact', 'retention.ms': '5000' });
    // Persisted.
    const reloaded = await LocalMetadataStore.load([h.dir], 1, null);
    assert.deepEqual(reloaded.image.topic('alt')!.configs, overrides());
  });

  test('AlterConfigs errors', async () => {
    const handler = alterConfigsHandler(h.broker);
    const out = await call(
      handler,
      {
        resources: [
          { resourceType: ResourceType.TOPIC, resourceName: 'alt', configs: [{ name: 'retention.ms', value: 'never' }] },
          { resourceType: ResourceType.TOPIC, resourceName: 'missing', configs: [{ name: 'retention.ms', value: '1' }] },
          { resourceType: ResourceType.TOPIC, resourceName: '', configs: [] },
          { resourceType: ResourceType.BROKER, resourceName: '1', configs: [{ name: 'num.partitions', value: '3' }] },
          { resourceType: ResourceType.BROKER, resourceName: '2', configs: [] },
          { resourceType: ResourceType.BROKER_LOGGER, resourceName: '1', configs: [] },
          { resourceType: ResourceType.TOPIC, resourceName: 'dup', configs: [] },
          { resourceType: ResourceType.TOPIC, resourceName: 'dup', configs: [] },
          { resourceType: ResourceType.TOPIC, resourceName: 'nulls', configs: [{ name: 'retention.ms', value: null }] },
        ],
        validateOnly: false,
      },
      1,
    );
    assert.deepEqual(
      out.responses.map((x) => [x.resourceName, x.errorCode]),
      [
        ['alt', ErrorCode.INVALID_CONFIG],
        ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        ['', ErrorCode.INVALID_REQUEST],
        ['1', ErrorCode.INVALID_REQUEST],
        ['2', ErrorCode.INVALID_REQUEST],
        ['1', ErrorCode.INVALID_REQUEST],
        ['dup', ErrorCode.INVALID_REQUEST],
        ['dup', ErrorCode.INVALID_REQUEST],
        ['nulls', ErrorCode.INVALID_REQUEST],
      ],
    );
    assert.equal(out.responses[1]!.errorMessage, "The topic 'missing' does not exist.");
    assert.equal(out.responses[3]!.errorMessage, 'Cannot update these configs dynamically: Set(num.partitions)');
    assert.equal(out.responses[4]!.errorMessage, 'Unexpected broker id, expected 1, but received 2');
    assert.equal(out.responses[6]!.errorMessage, 'Each resource must appear at most once.');
    assert.equal(out.responses[8]!.errorMessage, 'Null value not supported for : retention.ms');
    assert.deepEqual(overrides(), { 'cleanup.policy': 'compact', 'retention.ms': '5000' });
  });

  test('IncrementalAlterConfigs: ops, validateOnly, errors', async () => {
    const handler = incrementalAlterConfigsHandler(h.broker);
    const r = (validateOnly: boolean, ...configs: [string, number, string | null][]) => ({
      resources: [{ resourceType: ResourceType.TOPIC, resourceName: 'alt', configs: configs.map(([name, configOperation, value]) => ({ name, configOperation, value })) }],
      validateOnly,
    });
    const dry = await call(handler, r(true, ['retention.ms', AlterConfigOp.DELETE, null]), 0);
    assert.equal(dry.responses[0]!.errorCode, ErrorCode.NONE);
    assert.equal(overrides()['retention.ms'], '5000');
    const done = await call(handler, r(false, ['retention.ms', AlterConfigOp.DELETE, null], ['cleanup.policy', AlterConfigOp.APPEND, 'delete'], ['segment.ms', AlterConfigOp.SET, '3000']), 1);
    assert.equal(done.responses[0]!.errorCode, ErrorCode.NONE);
    assert.deepEqual(overrides(), { 'cleanup.policy': 'compact,delete', 'segment.ms': '3000' });
    const bad = await call(handler, r(false, ['segment.ms', AlterConfigOp.APPEND, '1']), 1);
    assert.deepEqual([bad.responses[0]!.errorCode, bad.responses[0]!.errorMessage], [ErrorCode.INVALID_CONFIG, "Can't APPEND to key segment.ms because its type is not LIST."]);
    const others = await call(
      handler,
      {
        resources: [
          { resourceType: ResourceType.TOPIC, resourceName: 'missing', configs: [{ name: 'retention.ms', configOperation: 0, value: '1' }] },
          { resourceType: ResourceType.BROKER, resourceName: '', configs: [{ name: 'num.partitions', configOperation: 0, value: '1' }] },
          { resourceType: ResourceType.BROKER_LOGGER, resourceName: '1', configs: [] },
        ],
        validateOnly: false,
      },
      1,
    );
    assert.deepEqual(
      others.responses.map((x) => x.errorCode),
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST],
    );
    assert.deepEqual(overrides(), { 'cleanup.policy': 'compact,delete', 'segment.ms': '3000' });
  });
});

describe('DescribeCluster', () => {
  let h: Harness;
  before(async () => (h = await harness({ 'node.id': '3' })));
  after(() => rm(h.dir, { recursive: true, force: true }));

  test('this node, as broker; controllers are not described on a broker listener', async () => {
    const handler = describeClusterHandler(h.broker);
    for (const [v, endpointType] of [
      [0, 1],
      [1, 1],
    ] as const) {
      const res = await call(handler, { includeClusterAuthorizedOperations: true, endpointType }, v);
      assert.equal(res.errorCode, ErrorCode.NONE);
      assert.equal(res.clusterId, h.broker.metadata.clusterId);
      assert.equal(res.controllerId, 3);
      assert.equal(res.endpointType, endpointType);
      assert.deepEqual(
        res.brokers.map((b) => [b.brokerId, b.host, b.port, b.rack]),
        [[3, 'samsa.example', 19092, null]],
      );
      // Asked for, with no authorizer: every cluster operation (CREATE, ALTER, DESCRIBE, CLUSTER_ACTION,
      // DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE), the value Kafka 4.1 reports.
      assert.equal(res.clusterAuthorizedOperations, 8096);
    }
    const omitted = await call(handler, { includeClusterAuthorizedOperations: false, endpointType: 1 }, 1);
    assert.equal(omitted.clusterAuthorizedOperations, -2147483648);
    for (const [endpointType, errorCode] of [
      [2, ErrorCode.MISMATCHED_ENDPOINT_TYPE],
      [5, ErrorCode.UNSUPPORTED_ENDPOINT_TYPE],
    ] as const) {
      const bad = await call(handler, { endpointType }, 1);
      assert.deepEqual([bad.errorCode, bad.endpointType, bad.controllerId, bad.brokers], [errorCode, 1, -1, []]);
    }
  });
});
