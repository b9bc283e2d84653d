// DeleteTopics by name (v0-5) and by id (v6), malformed entries and duplicates, and with
// delete.topic.enable=false.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { ErrorCode } from '../../../../src/broker/errors.js';
import { createTopicsHandler } from '../../../../src/broker/handlers/create-topics.js';
import { deleteTopicsHandler } from '../../../../src/broker/handlers/delete-topics.js';
import { UUID_ZERO } from '../../../../src/protocol/runtime/index.js';
import { call, harness, topic, type Harness } from './helpers.js';

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
