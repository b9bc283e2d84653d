// The other direction of compression interop: batches compressed by our codecs (gzip, xerial
// snappy, LZ4 frames, zstd) are stored as sent and must be readable by librdkafka (kcat).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Produce } from '../../src/protocol/generated/index.js';
import { CompressionType, buildRecordBatch, compressionName } from '../../src/protocol/records/index.js';
import { RawClient, call } from '../e2e/raw-client.js';
import { TestBroker, describeRun, kcatConsume, requireKcat } from './helpers.js';

describe('librdkafka reads batches our codecs compressed', () => {
  let broker: TestBroker;
  before(async () => {
    requireKcat();
    broker = await TestBroker.start();
  });
  after(() => broker?.dispose());

  for (const codec of [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd]) {
    test(compressionName(codec), async () => {
      const topic = `ours-${compressionName(codec)}`;
      await broker.running!.broker.topics.create(topic, 1, 1, {});
      const values = Array.from({ length: 300 }, (_, i) => `${compressionName(codec)} value ${i} ${'payload '.repeat(i % 40)}`);
      const c = await RawClient.open(broker.running!.port);
      try {
        // Three batches, so that kcat walks batch boundaries inside compressed data too.
        for (let b = 0; b < 3; b++) {
          const records = buildRecordBatch(
            values.slice(b * 100, b * 100 + 100).map((v, i) => ({ key: Buffer.from(`k${b * 100 + i}`), value: Buffer.from(v), headers: [{ key: 'n', value: Buffer.from(String(i)) }], timestamp: 1_700_000_000_000 + i })),
            { compression: codec },
          );
          const res = await call(c, Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
          assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, 0);
        }
      } finally {
        c.close();
      }
      const { records, result } = await kcatConsume(broker.bootstrap, topic);
      assert.equal(records.length, values.length, describeRun(result));
      records.forEach((r, i) => {
        assert.equal(r.o, i);
        assert.equal(Buffer.from(r.k!, 'hex').toString(), `k${i}`);
        assert.equal(Buffer.from(r.v!, 'hex').toString(), values[i]);
      });
    });
  }
});
