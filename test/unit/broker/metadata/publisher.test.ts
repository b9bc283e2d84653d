// The broker's metadata publisher: what changed between two images becomes calls to the replica
// manager (open, delete, config changed, broker configs changed), only for this node's partitions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChange, type MetadataChange } from '../../../../src/broker/metadata/changes.js';
import { newPartition, type MetadataImage } from '../../../../src/broker/metadata/image.js';
import { BrokerMetadataPublisher } from '../../../../src/broker/metadata/publisher.js';
import { createLogger, type Logger } from '../../../../src/util/logger.js';
import { recordingReplicas, singleNodeImage, testConfig, topicImage } from '../context-helpers.js';

function setup(logger: Logger = createLogger('silent')) {
  const config = testConfig();
  const replicas = recordingReplicas();
  const publisher = new BrokerMetadataPublisher(1, config, replicas, logger);
  let image = singleNodeImage(1);
  /** Applies `change` and publishes the result, as a store does. */
  const commit = async (change: MetadataChange): Promise<MetadataImage> => {
    const previous = image;
    image = applyChange(image, change);
    await publisher.publish(image, previous);
    return image;
  };
  return { config, replicas, publisher, commit, image: () => image };
}

test('at start: every partition placed on this node is opened, others are not', async () => {
  const { replicas, publisher } = setup();
  const mixed = { ...topicImage('mixed', 0), partitions: [newPartition([1]), newPartition([2]), newPartition([2, 1])] };
  await publisher.load(singleNodeImage(1, [topicImage('a', 2), mixed]));
  assert.deepEqual(replicas.calls, ['open a-0', 'open a-1', 'open mixed-0', 'open mixed-2']);
});

test('a new topic, new partitions, changed configs and a deleted topic reach the replica manager', async () => {
  const { replicas, commit } = setup();
  await commit({ type: 'createTopic', topic: topicImage('t', 2) });
  assert.deepEqual(replicas.calls.splice(0), ['open t-0', 'open t-1']);
  await commit({ type: 'addPartitions', name: 't', partitions: [newPartition([1]), newPartition([2])] });
  assert.deepEqual(replicas.calls.splice(0), ['open t-2']);
  await commit({ type: 'setTopicConfigs', name: 't', configs: { 'retention.ms': '1' } });
  assert.deepEqual(replicas.calls.splice(0), ['config t']);
  // The same configs again: nothing to re-apply.
  await commit({ type: 'setTopicConfigs', name: 't', configs: { 'retention.ms': '1' } });
  assert.deepEqual(replicas.calls.splice(0), []);
  await commit({ type: 'deleteTopic', name: 't' });
  assert.deepEqual(replicas.calls.splice(0), ['delete t']);
});

test('a topic recreated under a new id: the old logs go, the new ones open', async () => {
  const { replicas, publisher, image } = setup();
  const before = applyChange(image(), { type: 'createTopic', topic: topicImage('t', 1) });
  const after = applyChange(applyChange(before, { type: 'deleteTopic', name: 't' }), { type: 'createTopic', topic: topicImage('t', 1) });
  await publisher.publish(after, before);
  assert.deepEqual(replicas.calls, ['delete t', 'open t-0']);
});

test('changed dynamic broker configs are put into effect, then every log is told', async () => {
  const { config, replicas, commit } = setup();
  await commit({ type: 'setBrokerConfigs', configs: { node: { 'log.retention.ms': '5000' }, clusterDefault: { 'log.segment.bytes': '20000' } } });
  assert.equal(config.int('log.retention.ms'), 5000);
  assert.equal(config.int('log.segment.bytes'), 20000);
  assert.deepEqual(replicas.calls.splice(0), ['broker configs']);
  await commit({ type: 'registerBroker', broker: { id: 1, endpoints: [], rack: null } });
  assert.deepEqual(replicas.calls, []);
});

test('stored dynamic configs that no longer parse are ignored with a warning', async () => {
  const warnings: string[] = [];
  const logger = createLogger('warn', {}, (line) => void warnings.push((JSON.parse(line) as { msg: string }).msg));
  const { config, replicas, commit } = setup(logger);
  await commit({ type: 'setBrokerConfigs', configs: { node: { 'log.retention.ms': 'soon' }, clusterDefault: {} } });
  assert.deepEqual(warnings, ['stored dynamic broker configs ignored']);
  assert.equal(config.isDynamic('log.retention.ms'), false);
  assert.deepEqual(replicas.calls, ['broker configs']);
});
