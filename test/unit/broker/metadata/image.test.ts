// The metadata image: lookups by name and id, endpoints per listener, frozen values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetadataImage, newPartition } from '../../../../src/broker/metadata/image.js';
import { registration, singleNodeImage, topicImage } from '../context-helpers.js';

test('lookups: topics by name and id, partitions, brokers and their endpoint per listener', () => {
  const t = topicImage('orders', 3, 1);
  const image = new MetadataImage({
    clusterId: 'c',
    controllerId: 1,
    brokers: [
      { id: 2, rack: 'r2', endpoints: [{ listener: 'INTERNAL', host: 'b2.int', port: 9093, securityProtocol: 'PLAINTEXT' }, { listener: 'PLAINTEXT', host: 'b2', port: 9092, securityProtocol: 'PLAINTEXT' }] },
      registration(1),
    ],
    topics: [t],
  });
  assert.equal(image.topic('orders'), image.topicById(t.topicId));
  assert.equal(image.topic('nope'), undefined);
  assert.equal(image.topicById('nope'), undefined);
  assert.deepEqual(image.partition('orders', 2), newPartition([1]));
  assert.equal(image.partition('orders', 3), undefined);
  assert.equal(image.broker(2)!.rack, 'r2');
  assert.equal(image.endpoint(2, 'PLAINTEXT')!.host, 'b2');
  assert.equal(image.endpoint(2, 'INTERNAL')!.host, 'b2.int');
  // No such listener: the first endpoint, as Samsa has always answered.
  assert.equal(image.endpoint(1, 'INTERNAL')!.host, 'broker.local');
  assert.equal(image.endpoint(9, 'PLAINTEXT'), undefined);
  assert.deepEqual(image.reachableBrokers('INTERNAL'), [
    { id: 1, host: 'broker.local', port: 9092, rack: null },
    { id: 2, host: 'b2.int', port: 9093, rack: 'r2' },
  ]);
});

test('an image and everything in it is frozen', () => {
  const image = singleNodeImage(1, [topicImage('t', 1, 1, { 'retention.ms': '1' })]);
  assert.ok(Object.isFrozen(image));
  const t = image.topic('t')!;
  assert.throws(() => ((t.configs as Record<string, string>)['retention.ms'] = '2'), TypeError);
  assert.throws(() => (t.partitions as unknown[]).push(newPartition([1])), TypeError);
  assert.throws(() => ((t.partitions[0]!.isr as number[])[0] = 5), TypeError);
  assert.throws(() => ((image.brokerConfigs.node as Record<string, string>).x = 'y'), TypeError);
});

test('a new partition: its replicas in sync, the first one leading, epochs 0', () => {
  assert.deepEqual(newPartition([3, 1, 2]), { replicas: [3, 1, 2], isr: [3, 1, 2], leader: 3, leaderEpoch: 0, partitionEpoch: 0 });
  assert.equal(newPartition([]).leader, -1);
});
