// Fetch responses are read into pooled buffers (src/util/buffer-pool.ts) that go back to the
// pool once the response is written. A buffer given back too early would be refilled by a later
// fetch while the earlier response still waits to be written, so a client that stops reading
// while it pipelines fetches would see another offset's bytes. Every record must be the one
// asked for, over several connections at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { Fetch, Produce, type FetchResponse } from '../../src/protocol/generated/index.js';
import { buildRecordBatch, readAllRecords } from '../../src/protocol/records/index.js';
import { RawClient, call, fetchRequest, frame, parse } from './raw-client.js';

const BATCHES = 40;
const VALUE_BYTES = 150 * 1024;
const fill = (offset: number) => offset % 251;

let broker: RunningBroker;

before(async () => {
  broker = await startBroker();
  await broker.broker.topics.create('pooled', 1, 1, {});
  const c = await RawClient.open(broker.port);
  for (let i = 0; i < BATCHES; i++) {
    const records = buildRecordBatch([{ key: null, value: Buffer.alloc(VALUE_BYTES, fill(i)), headers: [], timestamp: Date.now() }], {});
    const res = await call(c, Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'pooled', partitionData: [{ index: 0, records }] }] });
    assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, 0);
  }
  c.close();
});
after(async () => {
  await broker?.close();
});

function fetchFrame(correlationId: number, offset: number): Buffer {
  return frame(Fetch, 12, correlationId, fetchRequest([{ topic: 'pooled', partitions: [{ partition: 0, fetchOffset: BigInt(offset), partitionMaxBytes: 2 * VALUE_BYTES }] }]));
}

/** Pipelines a fetch per offset while not reading, then reads every response and checks each record's bytes. */
async function fetchAllPaused(offsets: number[]): Promise<number> {
  const c = await RawClient.open(broker.port);
  try {
    c.socket.pause();
    const replies = offsets.map(() => c.next());
    for (const [i, offset] of offsets.entries()) c.send(fetchFrame(i, offset));
    // Long enough for the broker to read, answer and refill buffers while nothing is consumed.
    await new Promise((r) => setTimeout(r, 300));
    c.socket.resume();
    let checked = 0;
    for (const [i, reply] of replies.entries()) {
      const { correlationId, body } = parse(Fetch, 12, await reply);
      assert.equal(correlationId, i);
      const p = (body as FetchResponse).responses[0]!.partitions[0]!;
      assert.equal(p.errorCode, 0);
      const records = readAllRecords(p.records!);
      assert.ok(records.length >= 1);
      assert.equal(records[0]!.offset, BigInt(offsets[i]!), 'the first record is the one asked for');
      for (const r of records) {
        const want = fill(Number(r.offset));
        assert.equal(r.value!.length, VALUE_BYTES);
        assert.ok(r.value!.every((b) => b === want), `offset ${r.offset}: bytes of another record`);
        checked++;
      }
    }
    return checked;
  } finally {
    c.close();
  }
}

test('pipelined fetches on paused connections each get their own records, never a reused buffer\'s', async () => {
  const offsets = Array.from({ length: 3 * BATCHES }, (_, i) => (i * 7) % BATCHES);
  const checked = await Promise.all([fetchAllPaused(offsets), fetchAllPaused([...offsets].reverse()), fetchAllPaused(offsets.slice(1))]);
  assert.ok(checked.every((n) => n >= offsets.length - 1));
});
