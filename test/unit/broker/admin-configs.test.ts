// The pure config logic of the admin APIs: topic and broker configs described as Kafka does
// (values, sources, synonyms, types), and the IncrementalAlterConfigs operations on them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AlterConfigOp,
  applyBrokerIncrementalOps,
  applyIncrementalOps,
  brokerConfigValue,
  ConfigSource,
  ConfigType,
  describeBrokerConfigs,
  describeTopicConfigs,
  type ApiError,
} from '../../../src/broker/admin-configs.js';
import { BrokerConfig } from '../../../src/broker/config.js';
import { ErrorCode } from '../../../src/broker/errors.js';

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

  test('replication throttle rates (KIP-73): dynamic, checked, and described only once set, as Kafka\'s dynamic-only quota keys', () => {
    const ops = (...list: [string, number, string | null][]) => list.map(([name, configOperation, value]) => ({ name, configOperation, value }));
    const set = applyBrokerIncrementalOps(c, {}, ops(['leader.replication.throttled.rate', AlterConfigOp.SET, '1000'], ['follower.replication.throttled.rate', AlterConfigOp.SET, '2000']));
    assert.deepEqual(set, { configs: { 'leader.replication.throttled.rate': '1000', 'follower.replication.throttled.rate': '2000' } });
    const negative = applyBrokerIncrementalOps(c, {}, ops(['leader.replication.throttled.rate', AlterConfigOp.SET, '-5']));
    assert.ok(isError(negative) && negative.code === ErrorCode.INVALID_REQUEST);
    // kafka-reassign-partitions --verify deletes all three, set or not.
    assert.deepEqual(applyBrokerIncrementalOps(c, { 'leader.replication.throttled.rate': '1000' }, ops(['leader.replication.throttled.rate', AlterConfigOp.DELETE, null], ['replica.alter.log.dirs.io.max.bytes.per.second', AlterConfigOp.DELETE, null])), { configs: {} });
    const keys = ['leader.replication.throttled.rate', 'follower.replication.throttled.rate', 'replica.alter.log.dirs.io.max.bytes.per.second'];
    assert.deepEqual(describeBrokerConfigs(config(), keys), []);
    const throttled = config();
    throttled.setDynamic({ 'leader.replication.throttled.rate': '1000' }, {});
    assert.equal(throttled.get('leader.replication.throttled.rate'), 1000);
    assert.deepEqual(describeBrokerConfigs(throttled, keys), [
      { name: 'leader.replication.throttled.rate', value: '1000', readOnly: false, source: ConfigSource.DYNAMIC_BROKER_CONFIG, isSensitive: false, synonyms: [{ name: 'leader.replication.throttled.rate', value: '1000', source: ConfigSource.DYNAMIC_BROKER_CONFIG }], configType: ConfigType.LONG },
    ]);
  });
});
