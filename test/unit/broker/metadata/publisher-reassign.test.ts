// A reassignment seen by a broker's publisher: the node added becomes a replica (opened), and the
// node moved away from the partition stops it and deletes its copy (Kafka's StopReplica, delete).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newPartition } from '../../../../src/broker/metadata/image.js';
import { BrokerMetadataPublisher } from '../../../../src/broker/metadata/publisher.js';
import { createLogger } from '../../../../src/util/logger.js';
import { recordingReplicas, singleNodeImage, testConfig, topicImage } from '../context-helpers.js';

const withReplicas = (...ids: number[]) => singleNodeImage(1, [{ ...topicImage('t', 0), topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ ...newPartition(ids), partitionEpoch: ids.length }] }]);

test('added: opened; removed: stopped and deleted', async () => {
  const replicas = recordingReplicas();
  const publisher = new BrokerMetadataPublisher(1, testConfig(), replicas, createLogger('silent'));
  const before = withReplicas(2);
  await publisher.load(before);
  assert.deepEqual(replicas.calls.splice(0), []);
  const added = withReplicas(2, 1);
  await publisher.publish(added, before);
  assert.deepEqual(replicas.calls.splice(0), ['open t-0']);
  const removed = withReplicas(2);
  await publisher.publish(removed, added);
  assert.deepEqual(replicas.calls.splice(0), ['stop t-0']);
});
