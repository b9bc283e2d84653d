// Dynamic broker configs through IncrementalAlterConfigs (the samsa client's admin): SET, DELETE,
// APPEND on a list key, the cluster default (resource "") below this node's own, sources in
// DescribeConfigs, errors for keys that cannot change at run time and bad values, validateOnly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { Admin } from '../../src/client/index.js';

const TOPIC = 2;
const BROKER = 4;

describe('dynamic broker configs (IncrementalAlterConfigs)', () => {
  let broker: RunningBroker;
  let admin: Admin;

  before(async () => {
    broker = await startBroker({ config: { 'log.retention.ms': 48 * 3600_000 } });
    admin = new Admin({ brokers: [broker.bootstrap], clientId: 'dyn-e2e', retryBackoffMs: 20 });
    await admin.createTopics([{ name: 'dyn', partitions: 1 }]);
  });
  after(async () => {
    await admin?.close();
    await broker?.close();
  });

  const topicConfig = async (key: string) => {
    const [r] = await admin.describeConfigs([{ type: TOPIC, name: 'dyn', keys: [key] }]);
    const c = r!.configs[0]!;
    return [c.value, c.source];
  };
  const log = () => broker.broker.replicas.partition('dyn', 0)!.log;

  test('cluster default, then the node overrides it, DELETE falls back; sources as Kafka reports them', async () => {
    assert.deepEqual(await topicConfig('retention.ms'), [String(48 * 3600_000), 'STATIC_BROKER_CONFIG']);
    let res = await admin.alterConfigs([{ type: BROKER, name: '', ops: [{ name: 'log.retention.ms', op: 'set', value: '5000000' }] }]);
    assert.equal(res[0]!.errorCode, 0, JSON.stringify(res));
    assert.deepEqual(await topicConfig('retention.ms'), ['5000000', 'DYNAMIC_DEFAULT_BROKER_CONFIG']);
    assert.equal(log().config.retentionMs, 5000000);
    res = await admin.alterConfigs([{ type: BROKER, name: '1', ops: [{ name: 'log.retention.ms', op: 'set', value: '6000000' }] }]);
    assert.equal(res[0]!.errorCode, 0);
    assert.deepEqual(await topicConfig('retention.ms'), ['6000000', 'DYNAMIC_BROKER_CONFIG']);
    assert.equal(log().config.retentionMs, 6000000);
    const [def] = await admin.describeConfigs([{ type: BROKER, name: '' }]);
    assert.deepEqual(def!.configs.map((c) => [c.name, c.value, c.source]), [['log.retention.ms', '5000000', 'DYNAMIC_DEFAULT_BROKER_CONFIG']]);
    res = await admin.alterConfigs([{ type: BROKER, name: '1', ops: [{ name: 'log.retention.ms', op: 'delete' }] }]);
    assert.equal(res[0]!.errorCode, 0);
    assert.deepEqual(await topicConfig('retention.ms'), ['5000000', 'DYNAMIC_DEFAULT_BROKER_CONFIG']);
    res = await admin.alterConfigs([{ type: BROKER, name: '', ops: [{ name: 'log.retention.ms', op: 'delete' }] }]);
    assert.deepEqual(await topicConfig('retention.ms'), [String(48 * 3600_000), 'STATIC_BROKER_CONFIG']);
    assert.equal(log().config.retentionMs, 48 * 3600_000);
  });

  test('APPEND to log.cleanup.policy makes topics without an override compacted', async () => {
    const res = await admin.alterConfigs([{ type: BROKER, name: '1', ops: [{ name: 'log.cleanup.policy', op: 'append', value: 'compact' }] }]);
    assert.equal(res[0]!.errorCode, 0);
    assert.deepEqual(await topicConfig('cleanup.policy'), ['delete,compact', 'DYNAMIC_BROKER_CONFIG']);
    assert.equal(log().config.cleanupPolicy, 'delete,compact');
  });

  test('errors: a static-only key, a bad value, another node; validateOnly changes nothing', async () => {
    const res = await admin.alterConfigs([
      { type: BROKER, name: '1', ops: [{ name: 'num.partitions', op: 'set', value: '3' }] },
    ]);
    assert.equal(res[0]!.error, 'INVALID_REQUEST');
    // Kafka's ConfigAdminManager refuses a bad broker value before the controller sees it: INVALID_REQUEST.
    const bad = await admin.alterConfigs([{ type: BROKER, name: '1', ops: [{ name: 'log.segment.bytes', op: 'set', value: '5' }] }]);
    assert.equal(bad[0]!.error, 'INVALID_REQUEST');
    const other = await admin.alterConfigs([{ type: BROKER, name: '9', ops: [{ name: 'log.segment.bytes', op: 'set', value: '5000' }] }]);
    assert.equal(other[0]!.error, 'INVALID_REQUEST');
    const dry = await admin.alterConfigs([{ type: BROKER, name: '1', ops: [{ name: 'log.segment.bytes', op: 'set', value: '5000' }] }], { validateOnly: true });
    assert.equal(dry[0]!.errorCode, 0);
    assert.equal(log().config.segmentBytes, 1073741824);
  });
});
