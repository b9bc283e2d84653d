// DescribeLogDirs through exact requests: every log dir with its partitions' sizes, v4's disk
// totals, and a topic filter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startBroker } from '../../src/index.js';
import { DescribeLogDirs, Produce } from '../../src/protocol/generated/index.js';
import { buildRecordBatch } from '../../src/protocol/records/index.js';
import { RawClient, call } from './raw-client.js';

test('DescribeLogDirs lists each dir with partition sizes; v4 adds total and usable bytes', async () => {
  const root = await mkdtemp(join(tmpdir(), 'samsa-logdirs-'));
  const dirs = [join(root, 'a'), join(root, 'b')];
  const broker = await startBroker({ logDirs: dirs });
  const c = await RawClient.open(broker.port);
  try {
    await broker.broker.topics.create('sized', 2, 1, {});
    await broker.broker.topics.create('other', 1, 1, {});
    const records = buildRecordBatch([{ key: null, value: Buffer.alloc(1000, 7), headers: [], timestamp: Date.now() }], {});
    await call(c, Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'sized', partitionData: [{ index: 1, records }] }] });

    const all = await call(c, DescribeLogDirs, 4, { topics: null });
    assert.equal(all.errorCode, 0);
    assert.deepEqual(all.results.map((r) => r.logDir).sort(), dirs.map((d) => resolve(d)).sort());
    for (const r of all.results) {
      assert.ok(r.totalBytes > 0n && r.usableBytes > 0n && r.usableBytes <= r.totalBytes);
    }
    const partitions = all.results.flatMap((r) => r.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, ...p }))));
    assert.equal(partitions.length, 3);
    const written = partitions.find((p) => p.topic === 'sized' && p.partitionIndex === 1)!;
    assert.equal(written.partitionSize, BigInt(records.length));
    assert.equal(partitions.find((p) => p.topic === 'sized' && p.partitionIndex === 0)!.partitionSize, 0n);

    const filtered = await call(c, DescribeLogDirs, 1, { topics: [{ topic: 'other', partitions: [0] }] });
    const names = filtered.results.flatMap((r) => r.topics.map((t) => t.name));
    assert.deepEqual(names, ['other']);
    assert.ok(filtered.results.every((r) => r.totalBytes === -1n));

    // Partitions named twice are described once (a set, as Kafka's).
    const twice = await call(c, DescribeLogDirs, 4, { topics: [{ topic: 'sized', partitions: [1, 1] }, { topic: 'sized', partitions: [1] }] });
    assert.deepEqual(twice.results.flatMap((r) => r.topics.flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}`))), ['sized-1']);
  } finally {
    c.close();
    await broker.close();
    await rm(root, { recursive: true, force: true });
  }
});
