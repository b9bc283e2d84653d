// DescribeConfigs of topics (every version: isDefault, then sources and synonyms, then types)
// and of the broker, the cluster default and loggers, with Kafka's errors per resource.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { ConfigSource, ConfigType, describeBrokerConfigs, ResourceType } from '../../../../src/broker/admin-configs.js';
import { ErrorCode } from '../../../../src/broker/errors.js';
import { createTopicsHandler } from '../../../../src/broker/handlers/create-topics.js';
import { describeConfigsHandler } from '../../../../src/broker/handlers/describe-configs.js';
import { call, harness, topic, type Harness } from './helpers.js';

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
