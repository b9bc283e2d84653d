// CreatePartitions: growing a topic, validateOnly, assignments for the new partitions, errors per topic.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { ErrorCode } from '../../../../src/broker/errors.js';
import { createPartitionsHandler } from '../../../../src/broker/handlers/create-partitions.js';
import { createTopicsHandler } from '../../../../src/broker/handlers/create-topics.js';
import { call, harness, topic, type Harness } from './helpers.js';

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
