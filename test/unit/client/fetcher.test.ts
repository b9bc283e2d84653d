// The fetcher against a stand-in cluster: positions, record decoding, out-of-range and leader errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Fetcher, tpKey, type FetcherCluster, type FetcherOptions } from '../../../src/client/fetcher.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type PartitionOffset } from '../../../src/client/admin.js';
import { ConnectionError, ErrorCode, KafkaError } from '../../../src/client/errors.js';
import type { FetchRequest } from '../../../src/client/protocol.js';
import { buildRecordBatch, buildEndTxnMarkerBatch } from '../../../src/protocol/records/index.js';

interface PartitionReply {
  errorCode?: number;
  highWatermark?: bigint;
  records?: Buffer | null;
}

/** A cluster whose leaders answer Fetch with `reply`; what was asked is kept. */
function standIn(reply: (leader: number, topic: string, p: FetchRequest.FetchPartition) => PartitionReply | Error, leaders: Record<string, number> = {}) {
  const requests: { leader: number; request: FetchRequest }[] = [];
  const refreshes: (string[] | null | undefined)[] = [];
  const cluster = {
    options: { requestTimeoutMs: 1000 },
    topics: new Map(),
    leaderOf: async (topic: string, partition: number) => leaders[`${topic}:${partition}`] ?? 1,
    refreshMetadata: async (topics?: string[] | null) => {
      refreshes.push(topics);
      return {};
    },
    connection: async (leader: number) => ({
      versionOf: () => 12,
      request: async (_api: unknown, request: FetchRequest) => {
        requests.push({ leader, request });
        const responses = [];
        for (const t of request.topics) {
          const partitions = [];
          for (const p of t.partitions) {
            const r = reply(leader, t.topic, p);
            if (r instanceof Error) throw r;
            partitions.push({ partitionIndex: p.partition, errorCode: r.errorCode ?? 0, highWatermark: r.highWatermark ?? -1n, records: r.records ?? null });
          }
          responses.push({ topic: t.topic, topicId: t.topicId, partitions });
        }
        return { errorCode: 0, responses };
      },
    }),
  } as unknown as FetcherCluster;
  return { cluster, requests, refreshes };
}

const OPTIONS: FetcherOptions = { autoOffsetReset: 'earliest', maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, partitionMaxBytes: 1 << 20, isolationLevel: 0 };

const values = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`v${from + i}`) }));

function offsetsFrom(answers: Record<string, bigint>) {
  const asked: { topic: string; partition: number; timestamp: bigint }[] = [];
  const lookup = async (requests: { topic: string; partition: number; timestamp: bigint }[]): Promise<PartitionOffset[]> => {
    asked.push(...requests);
    return requests.map((r) => ({ topic: r.topic, partition: r.partition, errorCode: 0, timestamp: -1n, offset: answers[`${r.topic}:${r.partition}:${r.timestamp}`] ?? 0n }) as PartitionOffset);
  };
  return { lookup, asked };
}

test('records from the fetch offset on; the position moves past them and the high watermark is kept', async () => {
  const batch = buildRecordBatch(values(5, 3), { baseOffset: 3n, timestamp: 1000 });
  const { cluster, requests } = standIn(() => ({ highWatermark: 8n, records: batch }));
  const f = new Fetcher(cluster, OPTIONS, offsetsFrom({}).lookup);
  f.assign([{ topic: 't', partition: 0, offset: 5n }]);
  const got = await f.fetchOnce(0);
  assert.equal(requests[0]!.request.topics[0]!.partitions[0]!.fetchOffset, 5n);
  assert.deepEqual(got.map((r) => [r.offset, r.value?.toString()]), [[5n, 'v5'], [6n, 'v6'], [7n, 'v7']]);
  assert.equal(f.position('t', 0), 8n);
  assert.equal(f.highWatermark('t', 0), 8n);
});

test('control batches and compacted-away offsets are stepped over; a partial trailing batch waits for the next fetch', async () => {
  // Offsets 0-1, then a commit marker at 2: the position goes past the marker.
  const data = Buffer.concat([buildRecordBatch(values(2), { baseOffset: 0n }), buildEndTxnMarkerBatch({ producerId: 7n, producerEpoch: 0, commit: true, coordinatorEpoch: 0, baseOffset: 2n })]);
  // A compacted batch: records at 10 and 11 left of 10-13.
  const compacted = buildRecordBatch([{ value: Buffer.from('a'), offsetDelta: 0 }, { value: Buffer.from('b'), offsetDelta: 1 }], { baseOffset: 10n, lastOffsetDelta: 3 });
  const next = buildRecordBatch(values(1, 20), { baseOffset: 20n });
  const truncated = Buffer.concat([next, buildRecordBatch(values(3, 21), { baseOffset: 21n }).subarray(0, 40)]);
  const replies: Record<number, Buffer> = { 0: data, 1: compacted, 2: truncated };
  const { cluster } = standIn((_l, _t, p) => ({ records: replies[p.partition]! }));
  const f = new Fetcher(cluster, OPTIONS, offsetsFrom({}).lookup);
  f.assign([0, 1, 2].map((partition) => ({ topic: 't', partition, offset: [0n, 10n, 20n][partition]! })));
  const got = await f.fetchOnce(0);
  assert.deepEqual(got.map((r) => [r.partition, r.offset]), [[0, 0n], [0, 1n], [1, 10n], [1, 11n], [2, 20n]]);
  assert.deepEqual([f.position('t', 0), f.position('t', 1), f.position('t', 2)], [3n, 14n, 21n]);
});

test('OFFSET_OUT_OF_RANGE makes the position unknown; the next resolve resets it by the policy', async () => {
  let outOfRange = true;
  const { cluster } = standIn(() => (outOfRange ? { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE } : { records: buildRecordBatch(values(1, 40), { baseOffset: 40n }) }));
  const offsets = offsetsFrom({ [`t:0:${EARLIEST_TIMESTAMP}`]: 40n });
  const f = new Fetcher(cluster, OPTIONS, offsets.lookup);
  f.assign([{ topic: 't', partition: 0, offset: 7n }]);
  assert.deepEqual(await f.fetchOnce(0), []);
  assert.equal(f.position('t', 0), null);
  outOfRange = false;
  await f.resolvePositions();
  assert.deepEqual(offsets.asked, [{ topic: 't', partition: 0, timestamp: EARLIEST_TIMESTAMP }]);
  assert.equal(f.position('t', 0), 40n);
  assert.deepEqual((await f.fetchOnce(0)).map((r) => r.offset), [40n]);
});

test('OFFSET_OUT_OF_RANGE with autoOffsetReset none is an error', async () => {
  const { cluster } = standIn(() => ({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE }));
  const f = new Fetcher(cluster, { ...OPTIONS, autoOffsetReset: 'none' }, offsetsFrom({}).lookup);
  f.assign([{ topic: 't', partition: 0, offset: 7n }]);
  await assert.rejects(f.fetchOnce(0), (e: Error) => e instanceof KafkaError && e.code === ErrorCode.OFFSET_OUT_OF_RANGE);
  const unknown = new Fetcher(cluster, { ...OPTIONS, autoOffsetReset: 'none' }, offsetsFrom({}).lookup);
  unknown.assign([{ topic: 't', partition: 0 }]);
  await assert.rejects(unknown.resolvePositions(), /no committed offset for t\[0\] and autoOffsetReset is none/);
});

test('unknown positions: the committed offset, unless assigned at earliest/latest or none committed', async () => {
  const offsets = offsetsFrom({ [`t:1:${LATEST_TIMESTAMP}`]: 90n, [`t:2:${EARLIEST_TIMESTAMP}`]: 3n });
  const f = new Fetcher(standIn(() => ({})).cluster, OPTIONS, offsets.lookup);
  f.assign([{ topic: 't', partition: 0 }, { topic: 't', partition: 1, offset: 'latest' }, { topic: 't', partition: 2 }]);
  const committed = new Map([[tpKey('t', 0), 12n], [tpKey('t', 1), 50n], [tpKey('t', 2), -1n]]);
  let lookedUp: string[] = [];
  await f.resolvePositions(async (parts) => {
    lookedUp = parts.map((p) => `${p.topic}:${p.partition}`);
    return committed;
  });
  assert.deepEqual(lookedUp, ['t:0', 't:1', 't:2']);
  assert.deepEqual([f.position('t', 0), f.position('t', 1), f.position('t', 2)], [12n, 90n, 3n]);
  assert.deepEqual(offsets.asked.map((a) => [a.partition, a.timestamp]), [[1, LATEST_TIMESTAMP], [2, EARLIEST_TIMESTAMP]]);
  // Known positions are left alone.
  await f.resolvePositions(async () => assert.fail('nothing to look up'));
});

test('one fetch per leader; a leader error refreshes metadata and keeps the position; a lost connection returns nothing', async () => {
  const { cluster, requests, refreshes } = standIn(
    (leader, _t, p) => (leader === 2 ? { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER } : { records: buildRecordBatch(values(1, Number(p.fetchOffset)), { baseOffset: p.fetchOffset }) }),
    { 't:0': 1, 't:1': 2, 't:2': 1 },
  );
  const f = new Fetcher(cluster, OPTIONS, offsetsFrom({}).lookup);
  f.assign([0, 1, 2].map((partition) => ({ topic: 't', partition, offset: 5n })));
  const got = await f.fetchOnce(0);
  assert.deepEqual(requests.map((r) => [r.leader, r.request.topics.flatMap((t) => t.partitions.map((p) => p.partition))]).sort(), [[1, [0, 2]], [2, [1]]]);
  assert.deepEqual(got.map((r) => [r.partition, r.offset]), [[0, 5n], [2, 5n]]);
  assert.deepEqual(refreshes, [['t']]);
  assert.deepEqual([f.position('t', 0), f.position('t', 1), f.position('t', 2)], [6n, 5n, 6n]);

  const lost = standIn(() => new ConnectionError('gone'));
  const g = new Fetcher(lost.cluster, OPTIONS, offsetsFrom({}).lookup);
  g.assign([{ topic: 't', partition: 0, offset: 5n }]);
  assert.deepEqual(await g.fetchOnce(0), []);
  assert.deepEqual(lost.refreshes, [null]);
  assert.equal(g.position('t', 0), 5n);
});

test('assignment changes: add keeps a known position, remove forgets it, seek needs an assigned partition', () => {
  const f = new Fetcher(standIn(() => ({})).cluster, OPTIONS, offsetsFrom({}).lookup);
  assert.equal(f.add({ topic: 't', partition: 0 }), true);
  f.seek('t', 0, 9n);
  assert.equal(f.add({ topic: 't', partition: 0 }), false);
  assert.equal(f.position('t', 0), 9n);
  f.remove([{ topic: 't', partition: 0 }]);
  assert.deepEqual([f.size, f.position('t', 0), f.highWatermark('t', 0)], [0, null, -1n]);
  assert.throws(() => f.seek('t', 0, 1n), /t\[0\] is not assigned/);
});
