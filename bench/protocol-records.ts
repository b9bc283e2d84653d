/**
 * Protocol throughput (record layer and whole generated messages): node dist/bench/protocol-records.js
 * Prints a table and one JSON line (for tracking); no assertions.
 */
import { crc32c } from '@node-rs/crc32';
import {
  buildRecordBatch,
  compress,
  CompressionType,
  compressionName,
  decodeRecordBatch,
  decompress,
  readRecords,
  type RecordInput,
  validateBatches,
  validateBatchesDeep,
} from '../src/protocol/records/index.js';

import { Fetch, Produce, type FetchResponse, type ProduceRequest } from '../src/protocol/generated/index.js';
import { Writer, decodeMessage, encodeMessage } from '../src/protocol/runtime/index.js';

const MiB = 1024 * 1024;
const BUDGET_MS = Number(process.env.BENCH_MS ?? 400);

/** Deterministic text-like payload: compresses about as well as JSON events do. */
function payload(n: number, seed = 1): Buffer {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s);
  const words = ['{"id":', '"user":', '"event":"click"', '"ts":', 'samsa', 'kafka', ',', '}', ' '];
  const out = Buffer.allocUnsafe(n);
  let p = 0;
  while (p < n) {
    const w = words[next() % words.length]! + (next() % 100000);
    p += out.write(w, p);
  }
  return out;
}

interface Result {
  name: string;
  bytes: number;
  opsPerSec: number;
  mbPerSec: number;
  note?: string;
}

function measure(name: string, bytes: number, fn: () => unknown, note?: string): Result {
  for (let i = 0; i < 3; i++) fn();
  let ops = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < BUDGET_MS) {
    fn();
    ops++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  const opsPerSec = (ops * 1000) / elapsed;
  return { name, bytes, opsPerSec, mbPerSec: (opsPerSec * bytes) / MiB, note };
}

const results: Result[] = [];

const oneMiB = payload(MiB);
results.push(measure('crc32c 1 MiB', MiB, () => crc32c(oneMiB)));

// A produce payload of 1 MiB: batches of ~16 KiB (the producer's default batch.size) back to back.
function producePayload(compression: CompressionType): Buffer {
  const batches: Buffer[] = [];
  let size = 0;
  let seed = 1;
  while (size < MiB) {
    const records: RecordInput[] = [];
    for (let i = 0; i < 150; i++) records.push({ key: Buffer.from(`k${i}`), value: payload(100, seed++), timestamp: 1_700_000_000_000 + i });
    const b = buildRecordBatch(records, { compression, producerId: 1n, producerEpoch: 0, baseSequence: 0 });
    batches.push(b);
    size += b.length;
  }
  return Buffer.concat(batches);
}
const produce = producePayload(CompressionType.None);
const produceBatches = validateBatches(produce).batchCount;
results.push(measure('validateBatches (header walk + CRC)', produce.length, () => validateBatches(produce), `${produceBatches} batches`));
results.push(measure('validateBatchesDeep, uncompressed', produce.length, () => validateBatchesDeep(produce), `${produceBatches} batches`));
const produceLz4 = producePayload(CompressionType.Lz4);
results.push(measure('validateBatches, lz4 payload', produceLz4.length, () => validateBatches(produceLz4), 'MB/s of compressed bytes'));
results.push(measure('validateBatchesDeep, lz4 payload', produceLz4.length, () => validateBatchesDeep(produceLz4), 'MB/s of compressed bytes'));

// Whole protocol messages through the generated codecs: a 1 MiB Produce request (64 partitions
// of ~16 KiB batches) and a Fetch response carrying the same batches. Records stay opaque
// Buffers: decode slices them, encode copies them once (or references them, chunked).
{
  const batches: Buffer[] = [];
  for (let at = 0; at < produce.length; ) {
    const size = produce.readInt32BE(at + 8) + 12;
    batches.push(produce.subarray(at, at + size));
    at += size;
  }
  const produceRequest: ProduceRequest = {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30_000,
    topicData: [{ name: 'bench', partitionData: batches.map((records, index) => ({ index, records })) }],
  };
  const produceBytes = encodeMessage(Produce.request, produceRequest, 9);
  results.push(measure('Produce v9 request encode, 1 MiB', produceBytes.length, () => encodeMessage(Produce.request, produceRequest, 9), `${batches.length} partitions`));
  results.push(measure('Produce v9 request decode, 1 MiB', produceBytes.length, () => decodeMessage(Produce.request, produceBytes, 9), 'records as slices'));
  const fetchResponse: FetchResponse = {
    ...Fetch.response.defaults(),
    responses: [
      {
        topic: 'bench',
        topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
        partitions: batches.map((records, partitionIndex) => ({
          partitionIndex,
          errorCode: 0,
          highWatermark: 1000n,
          lastStableOffset: 1000n,
          logStartOffset: 0n,
          divergingEpoch: { epoch: -1, endOffset: -1n },
          currentLeader: { leaderId: -1, leaderEpoch: -1 },
          snapshotId: { endOffset: -1n, epoch: -1 },
          abortedTransactions: null,
          preferredReadReplica: -1,
          records,
        })),
      },
    ],
  };
  const fetchBytes = encodeMessage(Fetch.response, fetchResponse, 12);
  results.push(measure('Fetch v12 response encode, 1 MiB', fetchBytes.length, () => encodeMessage(Fetch.response, fetchResponse, 12), 'one buffer'));
  results.push(
    measure(
      'Fetch v12 response encode, chunked',
      fetchBytes.length,
      () => {
        const w = new Writer(Fetch.response.size(fetchResponse, 12), true);
        Fetch.response.write(w, fetchResponse, 12);
        return w.chunks();
      },
      'records referenced',
    ),
  );
  results.push(measure('Fetch v12 response decode, 1 MiB', fetchBytes.length, () => decodeMessage(Fetch.response, fetchBytes, 12), 'records as slices'));
}

const thousand: RecordInput[] = [];
for (let i = 0; i < 1000; i++) thousand.push({ key: Buffer.from(`key-${i}`), value: payload(100, i), headers: i % 10 === 0 ? [{ key: 'trace', value: Buffer.from('abc') }] : undefined, timestamp: 1_700_000_000_000 + i });
const built = buildRecordBatch(thousand);
results.push(measure('build batch, 1000 x 100 B records', built.length, () => buildRecordBatch(thousand), '1000 records/op'));
results.push(measure('parse batch, 1000 records', built.length, () => readRecords(decodeRecordBatch(built)), '1000 records/op'));
results.push(measure('decode header only (no records)', built.length, () => decodeRecordBatch(built).recordsCount));

for (const codec of [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd]) {
  const c = compress(codec, oneMiB);
  const ratio = (c.length / MiB).toFixed(3);
  results.push(measure(`${compressionName(codec)} compress 1 MiB`, MiB, () => compress(codec, oneMiB), `ratio ${ratio}`));
  results.push(measure(`${compressionName(codec)} decompress 1 MiB`, MiB, () => decompress(codec, c, 2 * MiB), 'MB/s of output'));
}

const nameWidth = Math.max(...results.map((r) => r.name.length));
console.log(`${'benchmark'.padEnd(nameWidth)}  ${'MB/s'.padStart(9)}  ${'ops/s'.padStart(10)}  note`);
for (const r of results) {
  console.log(`${r.name.padEnd(nameWidth)}  ${r.mbPerSec.toFixed(1).padStart(9)}  ${r.opsPerSec.toFixed(0).padStart(10)}  ${r.note ?? ''}`);
}
console.log(
  JSON.stringify({
    bench: 'protocol-records',
    node: process.version,
    results: results.map((r) => ({ name: r.name, bytes: r.bytes, mbPerSec: Math.round(r.mbPerSec * 10) / 10, opsPerSec: Math.round(r.opsPerSec) })),
  }),
);
