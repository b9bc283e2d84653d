// AlterConfigs: a topic's whole override set replaced and persisted, validateOnly, and Kafka's
// errors per resource.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { ResourceType } from '../../../../src/broker/admin-configs.js';
import { ErrorCode } from '../../../../src/broker/errors.js';
import { alterConfigsHandler } from '../../../../src/broker/handlers/alter-configs.js';
import { createTopicsHandler } from '../../../../src/broker/handlers/create-topics.js';
import { LocalMetadataStore } from '../../../../src/broker/metadata/local-store.js';
import { call, harness, topic, type Harness } from './helpers.js';

describe('AlterConfigs', () => {
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
});
