// IncrementalAlterConfigs: SET, DELETE and APPEND on a topic's overrides, validateOnly, errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { AlterConfigOp, ResourceType } from '../../../../src/broker/admin-configs.js';
import { ErrorCode } from '../../../../src/broker/errors.js';
import { createTopicsHandler } from '../../../../src/broker/handlers/create-topics.js';
import { incrementalAlterConfigsHandler } from '../../../../src/broker/handlers/incremental-alter-configs.js';
import { call, harness, topic, type Harness } from './helpers.js';

describe('IncrementalAlterConfigs', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
    await call(createTopicsHandler(h.broker), { topics: [topic('alt', 1, -1, { 'cleanup.policy': 'compact', 'retention.ms': '5000' })] }, 7);
  });
  after(() => rm(h.dir, { recursive: true, force: true }));
  const overrides = () => h.broker.metadata.topic('alt')!.configs;

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
