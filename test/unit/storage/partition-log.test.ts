import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_LOG_CONFIG,
  KafkaStorageError,
  OffsetOutOfRangeError,
  OffsetsOutOfOrderError,
  RecordTooLargeError,
  CorruptRecordError,
  SimulatedFileSystem,
  createPartitionLog,
  createStorageContext,
  loadPartitionLog,
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  MAX_TIMESTAMP,
  type LogConfig,
  type PartitionLog,
  type StorageContext,
} from '../../../src/storage/index.js';
import { isBatchCrcValid } from '../../../src/protocol/records/batch-header.js';
import { CompressionType, buildRecordBatch, validateBatches } from '../../../src/protocol/records/index.js';
import { makeBatch, splitBatches } from './helpers.js';

const DIR = '/data/t-0';

function config(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, fileDeleteDelayMs: 0, ...overrides };
}

async function newLog(overrides: Partial<LogConfig> = {}, fs = new SimulatedFileSystem(), now = () => 1_700_000_000_000) {
  const ctx = createStorageContext(fs, { now: () => now() });
  const log = await createPartitionLog(ctx, { topic: 't', partition: 0, dir: DIR, config: config(overrides), topicId: 'AAAAAAAAAAAAAAAAAAAAAA' });
  return { fs, ctx, log };
}

async function reopen(ctx: StorageContext, log: PartitionLog, clean: boolean): Promise<PartitionLog> {
  return loadPartitionLog(ctx, {
    topic: 't',
    partition: 0,
    dir: DIR,
    config: log.config,
    recoveryPoint: log.recoveryPoint,
    logStartOffset: log.logStartOffset,
    highWatermark: log.highWatermark,
    cleanShutdown: clean,
  });
}

async function readAll(log: PartitionLog, from = log.logStartOffset, maxOffset = log.logEndOffset): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let offset = from;
  while (offset < maxOffset) {
    const bytes = await log.readRecords(offset, 64 * 1024, maxOffset);
    if (bytes.length === 0) break;
    const batches = splitBatches(bytes);
    out.push(...batches);
    const last = batches[batches.length - 1]!;
    offset = last.readBigInt64BE(0) + BigInt(last.readInt32BE(23)) + 1n;
  }
  return out;
}

describe('PartitionLog', () => {
  it('assigns offsets by patching the header, keeps bytes and CRC as appended', async () => {
    const { log } = await newLog();
    const a = makeBatch({ records: 3 });
    const b = makeBatch({ records: 2 });
    const r1 = await log.append(a, 5);
    const r2 = await log.append(b, 5);
    assert.equal(r1.firstOffset, 0n);
    assert.equal(r1.lastOffset, 2n);
    assert.equal(r2.firstOffset, 3n);
    assert.equal(r2.lastOffset, 4n);
    assert.equal(r1.logAppendTime, -1n);
    assert.equal(log.logEndOffset, 5n);
    assert.equal(log.highWatermark, 0n, 'the high watermark is separate from the LEO');
    const batches = await readAll(log);
    assert.equal(batches.length, 2);
    assert.equal(batches[1]!.readBigInt64BE(0), 3n);
    assert.equal(batches[1]!.readInt32BE(12), 5, 'partitionLeaderEpoch patched');
    assert.ok(isBatchCrcValid(batches[1]!));
    assert.deepEqual(batches[1], b, 'stored bytes are the appended (patched) bytes');
    assert.deepEqual(log.leaderEpochCache.entries, [{ epoch: 5, startOffset: 0n }]);
  });

  it('reads stop at the high watermark / given max offset and never split a batch', async () => {
    const { log } = await newLog();
    for (let i = 0; i < 10; i++) await log.append(makeBatch({ records: 2 }), 0);
    assert.equal((await log.readRecords(0n, 1 << 20)).length, 0, 'nothing below HW 0');
    log.updateHighWatermark(6n);
    const visible = splitBatches(await log.readRecords(0n, 1 << 20));
    assert.equal(visible.length, 3);
    log.updateHighWatermark(7n); // inside batch 6..7: that batch stays invisible
    assert.equal(splitBatches(await log.readRecords(0n, 1 << 20)).length, 3);
    assert.equal(splitBatches(await log.readRecords(4n, 1 << 20, log.logEndOffset)).length, 8);
    assert.equal((await log.readRecords(7n, 1 << 20)).length, 0, 'offset between HW and LEO: empty');
    await assert.rejects(log.read(21n, 100, 21n), OffsetOutOfRangeError);
    await assert.rejects(log.read(-1n, 100, 21n), OffsetOutOfRangeError);
  });

  it('returns at least one whole batch even when it exceeds maxBytes (KIP-74), else whole batches within maxBytes', async () => {
    const { log } = await newLog();
    const big = makeBatch({ records: 1, valueSize: 5000 });
    const small = makeBatch({ records: 1, valueSize: 100 });
    await log.append(big, 0);
    await log.append(small, 0);
    await log.append(small, 0);
    log.updateHighWatermark(log.logEndOffset);
    const first = await log.read(0n, 10);
    assert.equal(first.sizeInBytes, big.length);
    assert.equal((await log.read(0n, 10, log.highWatermark, false)).sizeInBytes, 0);
    const two = await log.read(1n, small.length * 2 + 5);
    assert.equal(two.sizeInBytes, small.length * 2);
    const one = await log.read(1n, small.length * 2 - 1);
    assert.equal(one.sizeInBytes, small.length);
    assert.equal(one.ranges[0]!.path, `${DIR}/00000000000000000000.log`);
  });

  it('rolls segments by segment.bytes and segment.ms, with Kafka file names', async () => {
    let now = 1_700_000_000_000;
    const { log, fs } = await newLog({ segmentBytes: 1000, segmentMs: 60_000 }, undefined, () => now);
    const batch = makeBatch({ records: 1, valueSize: 300 });
    for (let i = 0; i < 6; i++) await log.append(Buffer.from(batch), 0);
    assert.deepEqual(log.segmentBaseOffsets(), [0n, 2n, 4n]);
    now += 61_000;
    await log.append(makeBatch({ records: 1 }), 0);
    assert.deepEqual(log.segmentBaseOffsets(), [0n, 2n, 4n, 6n]);
    const names = fs.list().filter((n) => n.startsWith(DIR + '/')).map((n) => n.slice(DIR.length + 1));
    assert.ok(names.includes('00000000000000000002.log'));
    assert.ok(names.includes('00000000000000000002.index'));
    assert.ok(names.includes('00000000000000000002.timeindex'));
    assert.ok(names.includes('partition.metadata'));
    assert.ok(names.includes('leader-epoch-checkpoint'));
    log.updateHighWatermark(log.logEndOffset);
    assert.equal((await readAll(log)).length, 7);
    // A read starting in an old segment returns batches of that segment only.
    assert.equal(splitBatches(await log.readRecords(0n, 1 << 20)).length, 2);
  });

  it('builds sparse offset and time indexes at index.interval.bytes and uses them', async () => {
    const { log } = await newLog({ indexIntervalBytes: 4096 });
    for (let i = 0; i < 100; i++) await log.append(makeBatch({ records: 1, valueSize: 1000, baseTimestamp: 1_000_000 + i * 10 }), 0);
    const seg = log.activeSegment;
    assert.ok(seg.offsetIndexEntries >= 20 && seg.offsetIndexEntries <= 25, `entries ${seg.offsetIndexEntries}`);
    log.updateHighWatermark(log.logEndOffset);
    for (const o of [0n, 1n, 37n, 63n, 99n]) {
      const b = splitBatches(await log.readRecords(o, 1))[0]!;
      assert.equal(b.readBigInt64BE(0), o);
    }
    const t = await log.fetchOffsetByTimestamp(1_000_000n + 555n);
    assert.deepEqual(t, { timestamp: 1_000_560n, offset: 56n, leaderEpoch: 0 });
    assert.equal((await log.fetchOffsetByTimestamp(9_000_000n)), undefined);
    assert.equal((await log.fetchOffsetByTimestamp(EARLIEST_TIMESTAMP))!.offset, 0n);
    assert.equal((await log.fetchOffsetByTimestamp(LATEST_TIMESTAMP))!.offset, 100n);
    assert.deepEqual(await log.fetchOffsetByTimestamp(MAX_TIMESTAMP), { timestamp: 1_000_990n, offset: 99n, leaderEpoch: 0 });
  });

  it('finds the first record at or after a timestamp inside an uncompressed batch', async () => {
    const { log } = await newLog();
    await log.append(makeBatch({ records: 5, baseTimestamp: 1000, timestampDeltas: [0, 10, 20, 30, 40] }), 0);
    await log.append(makeBatch({ records: 5, baseTimestamp: 2000, timestampDeltas: [0, 10, 20, 30, 40] }), 0);
    assert.equal((await log.fetchOffsetByTimestamp(1015n))!.offset, 2n);
    assert.equal((await log.fetchOffsetByTimestamp(1041n))!.offset, 5n);
    assert.equal((await log.fetchOffsetByTimestamp(2040n))!.offset, 9n);
  });

  it('finds the record inside compressed batches, and every batch again after a clean restart', async () => {
    const { ctx, log } = await newLog();
    const build = (base: number, codec: CompressionType) =>
      buildRecordBatch(
        Array.from({ length: 5 }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`), headers: [], timestamp: base + i * 10 })),
        { compression: codec },
      );
    await log.append(build(1000, CompressionType.Lz4), 0);
    await log.append(build(2000, CompressionType.Zstd), 0);
    await log.append(build(3000, CompressionType.None), 0);
    assert.equal((await log.fetchOffsetByTimestamp(1015n))!.offset, 2n);
    assert.equal((await log.fetchOffsetByTimestamp(2031n))!.offset, 9n);
    log.updateHighWatermark(log.logEndOffset);
    await log.close();
    // No index entry was due (tiny batches): only the final entry written on close lets a clean
    // start, which scans nothing, know the segment's largest timestamp.
    const again = await reopen(ctx, log, true);
    assert.equal((await again.fetchOffsetByTimestamp(1015n))!.offset, 2n);
    assert.equal((await again.fetchOffsetByTimestamp(3021n))!.offset, 13n);
    assert.equal(await again.fetchOffsetByTimestamp(3041n), undefined);
  });

  it('stamps LogAppendTime (attribute + maxTimestamp, CRC recomputed)', async () => {
    const { log } = await newLog({ messageTimestampType: 'LogAppendTime' }, undefined, () => 1_234_567);
    const info = await log.append(makeBatch({ records: 2 }), 0);
    assert.equal(info.logAppendTime, 1_234_567n);
    const [b] = await readAll(log);
    assert.equal(b!.readBigInt64BE(35), 1_234_567n);
    assert.ok(b!.readInt16BE(21) & 0x08);
    assert.ok(isBatchCrcValid(b!));
  });

  it('rejects malformed or oversized input without consuming offsets', async () => {
    const { log } = await newLog({ maxMessageBytes: 500 });
    await assert.rejects(log.append(Buffer.alloc(10), 0), CorruptRecordError);
    const b = makeBatch();
    await assert.rejects(log.append(Buffer.concat([b, b.subarray(0, 30)]), 0), CorruptRecordError);
    await assert.rejects(log.append(makeBatch({ valueSize: 600 }), 0), RecordTooLargeError);
    assert.equal(log.logEndOffset, 0n);
    assert.equal((await log.append(makeBatch(), 0)).firstOffset, 0n);
  });

  it('appendAsFollower keeps offsets, allows gaps, rejects non-monotonic offsets', async () => {
    const { log } = await newLog();
    await log.appendAsFollower(Buffer.concat([makeBatch({ records: 2, baseOffset: 0n, epoch: 1 }), makeBatch({ records: 1, baseOffset: 5n, epoch: 2 })]));
    assert.equal(log.logEndOffset, 6n);
    await assert.rejects(log.appendAsFollower(makeBatch({ baseOffset: 5n })), OffsetsOutOfOrderError);
    await assert.rejects(
      log.appendAsFollower(Buffer.concat([makeBatch({ baseOffset: 8n }), makeBatch({ baseOffset: 8n })])),
      OffsetsOutOfOrderError,
    );
    assert.equal(log.logEndOffset, 6n);
    assert.deepEqual(log.leaderEpochCache.entries, [
      { epoch: 1, startOffset: 0n },
      { epoch: 2, startOffset: 5n },
    ]);
    assert.deepEqual(log.endOffsetForEpoch(1), { epoch: 1, endOffset: 5n });
  });

  it('truncateTo at the log end removes nothing but drops an epoch started there without records (Kafka\'s truncateTo)', async () => {
    const { log } = await newLog();
    await log.append(makeBatch({ records: 2 }), 3);
    // This replica became leader at epoch 4 and was replaced before it appended anything.
    log.leaderEpochCache.assign(4, log.logEndOffset);
    assert.equal(log.leaderEpochCache.latestEpoch, 4);
    // The new leader's diverging epoch says epoch 3 ends at 2, our log end.
    assert.equal(await log.truncateTo(2n), false);
    assert.equal(log.logEndOffset, 2n);
    assert.deepEqual(log.leaderEpochCache.entries, [{ epoch: 3, startOffset: 0n }], 'the next fetch names epoch 3, which the leader knows');
  });

  it('truncateTo removes whole batches, moves LEO/HW back and cleans the epoch cache', async () => {
    const { log } = await newLog({ segmentBytes: 400 });
    for (let e = 0; e < 6; e++) await log.append(makeBatch({ records: 2, valueSize: 50 }), e);
    const segmentsBefore = log.numberOfSegments;
    assert.ok(segmentsBefore > 1);
    log.updateHighWatermark(12n);
    assert.equal(await log.truncateTo(5n), true);
    assert.equal(log.logEndOffset, 4n, 'the batch holding offset 5 (4..5) is removed whole');
    assert.equal(log.highWatermark, 4n);
    assert.deepEqual(log.leaderEpochCache.entries.map((e) => e.epoch), [0, 1]);
    assert.equal((await readAll(log)).length, 2);
    const next = await log.append(makeBatch(), 9);
    assert.equal(next.firstOffset, 4n);
    await log.truncateFullyAndStartAt(100n);
    assert.equal(log.logStartOffset, 100n);
    assert.equal(log.logEndOffset, 100n);
    assert.deepEqual(log.segmentBaseOffsets(), [100n]);
  });

  it('advanceLogStartOffset deletes whole segments below it (renamed .deleted, unlinked asynchronously)', async () => {
    const { log, fs, ctx } = await newLog({ segmentBytes: 400 });
    for (let i = 0; i < 10; i++) await log.append(makeBatch({ records: 1, valueSize: 100 }), 0);
    const before = log.segmentBaseOffsets();
    await assert.rejects(log.advanceLogStartOffset(3n), OffsetOutOfRangeError, 'not beyond the HW');
    log.updateHighWatermark(log.logEndOffset);
    await log.advanceLogStartOffset(5n);
    assert.equal(log.logStartOffset, 5n);
    assert.ok(log.segmentBaseOffsets()[0]! <= 5n && log.segmentBaseOffsets().length < before.length);
    await assert.rejects(log.read(4n, 100), OffsetOutOfRangeError);
    assert.equal(splitBatches(await log.readRecords(5n, 1 << 20)).length > 0, true);
    await ctx.deleter.idle();
    await new Promise((r) => setTimeout(r, 5));
    await ctx.deleter.idle();
    assert.equal(fs.list().filter((n) => n.endsWith('.deleted')).length, 0);
    assert.ok(!fs.list().includes(`${DIR}/00000000000000000000.log`));
    // Everything: the active segment is rolled first.
    await log.advanceLogStartOffset(10n);
    assert.deepEqual(log.segmentBaseOffsets(), [10n]);
    assert.equal(log.logEndOffset, 10n);
  });

  it('retention.ms and retention.bytes delete the oldest segments', async () => {
    let now = 1_700_000_000_000;
    const { log } = await newLog({ segmentBytes: 300, retentionMs: 1000, retentionBytes: -1 }, undefined, () => now);
    for (let i = 0; i < 6; i++) await log.append(makeBatch({ records: 1, valueSize: 100, baseTimestamp: now - 5000 + i }), 0);
    log.updateHighWatermark(log.logEndOffset);
    const n = log.numberOfSegments;
    assert.ok(n >= 3);
    assert.equal(await log.deleteOldSegments(), n);
    assert.equal(log.logStartOffset, 6n);
    now += 1;
    log.updateConfig(config({ segmentBytes: 300, retentionMs: -1, retentionBytes: 400 }));
    for (let i = 0; i < 6; i++) await log.append(makeBatch({ records: 1, valueSize: 100 }), 0);
    log.updateHighWatermark(log.logEndOffset);
    await log.deleteOldSegments();
    assert.ok((await log.sizeInBytes()) <= 400 + 300);
  });

  it('durable mode: concurrent appends share fdatasyncs (group commit) and resolve in order', async () => {
    const fs = new SimulatedFileSystem();
    fs.syncDelayMs = 2;
    const { log } = await newLog({ durable: true }, fs);
    const before = fs.datasyncs;
    const results = await Promise.all(Array.from({ length: 50 }, () => log.append(makeBatch(), 0)));
    const syncs = fs.datasyncs - before;
    assert.deepEqual(results.map((r) => r.firstOffset), Array.from({ length: 50 }, (_, i) => BigInt(i)));
    assert.ok(syncs < 25, `50 concurrent appends used ${syncs} fdatasyncs`);
    assert.equal(log.flushedOffset, 50n);
  });

  it('os mode acknowledges without syncing; flush.messages forces a sync', async () => {
    const fs = new SimulatedFileSystem();
    const { log } = await newLog({ durable: false }, fs);
    const before = fs.datasyncs;
    for (let i = 0; i < 10; i++) await log.append(makeBatch(), -1);
    assert.equal(fs.datasyncs, before);
    assert.equal(log.flushedOffset, 0n);
    await log.flush();
    assert.equal(log.flushedOffset, 10n);
    assert.equal(log.recoveryPoint, 10n);
    log.updateConfig(config({ durable: false, flushMessages: 3 }));
    await log.append(makeBatch(), 0);
    await log.append(makeBatch(), 0);
    assert.equal(log.flushedOffset, 10n);
    await log.append(makeBatch(), 0);
    assert.equal(log.flushedOffset, 13n);
    await log.flush();
    assert.equal(log.recoveryPoint, 13n);
  });

  it('flush.ms flushes in the background', async () => {
    const { log } = await newLog({ durable: false, flushMs: 20 });
    await log.append(makeBatch(), 0);
    assert.equal(log.recoveryPoint, 0n);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(log.recoveryPoint, 1n);
  });

  it('a failed write does not consume offsets; a failed truncation takes the partition offline', async () => {
    const fs = new SimulatedFileSystem();
    const { log } = await newLog({}, fs);
    await log.append(makeBatch(), 0);
    const err = Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC' });
    fs.failWrite = { match: (f) => f.endsWith('.log'), error: err, times: 1, partial: true };
    await assert.rejects(log.append(makeBatch({ records: 3 }), 0), KafkaStorageError);
    assert.equal(log.logEndOffset, 1n);
    assert.equal((await log.append(makeBatch(), 0)).firstOffset, 1n);
    assert.equal(fs.fileBytes(`${DIR}/00000000000000000000.log`)!.length, makeBatch().length * 2, 'partial bytes cut back');
    fs.failSync = { match: (f) => f.endsWith('.log'), error: new Error('EIO'), times: 1 };
    await assert.rejects(log.append(makeBatch(), 0), KafkaStorageError);
    assert.ok(log.isOffline);
    await assert.rejects(log.append(makeBatch(), 0), KafkaStorageError);
  });

  it('a close syncs only the index files that changed: a few records have no offset index entry to write', async () => {
    const fs = new SimulatedFileSystem();
    const { log } = await newLog({}, fs);
    await log.append(makeBatch(), 0);
    // Any fdatasync of the offset index fails: the close must not need one.
    fs.failSync = { match: (f) => f.endsWith('.index'), error: new Error('EIO'), times: 1 };
    await log.close();
    assert.equal(fs.failSync.times, 1, 'the .index file was not synced');
    assert.ok(!log.isOffline);
    assert.equal(log.recoveryPoint, 1n, 'the close flushed the rest (time index, log)');
  });

  it('reopens after a clean close without scanning, and after an unclean one by recovering', async () => {
    const { log, ctx, fs } = await newLog({ segmentBytes: 2000 });
    for (let i = 0; i < 20; i++) await log.append(makeBatch({ records: 2, valueSize: 100 }), 1);
    log.updateHighWatermark(log.logEndOffset);
    const expected = await readAll(log);
    await log.close();
    assert.equal(log.recoveryPoint, 40n);
    const ops = fs.operations;
    const clean = await reopen(ctx, log, true);
    assert.ok(fs.operations - ops < 10, `clean load used ${fs.operations - ops} file operations`);
    assert.equal(clean.logEndOffset, 40n);
    assert.deepEqual(await readAll(clean), expected);
    assert.equal((await clean.append(makeBatch(), 1)).firstOffset, 40n);
    // Unclean: everything from the (stale) recovery point is scanned.
    const unclean = await loadPartitionLog(ctx, { topic: 't', partition: 0, dir: DIR, config: log.config, recoveryPoint: 0n, cleanShutdown: false });
    assert.equal(unclean.logEndOffset, 41n);
    assert.equal(unclean.flushedOffset, 41n, 'durable mode: recovered data is synced before it is served');
    assert.equal(unclean.recoveryPoint, 0n, 'the recovery point moves at the next flush');
    assert.deepEqual((await readAll(unclean)).slice(0, 20), expected);
  });
});

describe('PartitionLog.append with the log validator\'s summary', () => {
  const inputs = (): Buffer[] => [
    makeBatch({ records: 3, baseTimestamp: 1_700_000_000_100 }),
    Buffer.concat([makeBatch({ records: 2, baseTimestamp: 1_700_000_000_900 }), makeBatch({ records: 4, baseTimestamp: 1_700_000_000_200 })]),
    makeBatch({ records: 1, valueSize: 5000 }),
  ];

  for (const timestampType of ['CreateTime', 'LogAppendTime'] as const) {
    it(`stores the same bytes and returns the same LogAppendInfo as the walking path (${timestampType})`, async () => {
      const overrides = { messageTimestampType: timestampType, segmentBytes: 5200, indexIntervalBytes: 100 };
      const walked = await newLog(overrides);
      const summarized = await newLog(overrides);
      for (const records of inputs()) {
        const copy = Buffer.from(records);
        const summary = validateBatches(copy);
        const a = await walked.log.append(records, 3);
        const b = await summarized.log.append(copy, 3, summary);
        assert.deepEqual(b, a);
      }
      assert.equal(summarized.log.logEndOffset, 10n);
      assert.equal(summarized.log.numberOfSegments, 2, 'the last batch rolled a segment');
      assert.deepEqual(summarized.log.segmentBaseOffsets(), walked.log.segmentBaseOffsets());
      assert.deepEqual(await readAll(summarized.log), await readAll(walked.log));
      for (const ts of [1_700_000_000_000n, 1_700_000_000_201n, 1_700_000_000_901n]) {
        assert.deepEqual(await summarized.log.fetchOffsetByTimestamp(ts), await walked.log.fetchOffsetByTimestamp(ts));
      }
    });
  }

  it('takes the batch facts from the summary, not from the headers', async () => {
    const { log } = await newLog();
    const records = makeBatch({ records: 2, baseTimestamp: 1_700_000_000_000 });
    const summary = validateBatches(records);
    summary.batches[0]!.maxTimestamp = 1_700_000_123_456;
    const info = await log.append(records, 0, summary);
    assert.equal(info.maxTimestamp, 1_700_000_123_456n);
  });

  it('applies the size limits and refuses a summary of other bytes', async () => {
    const { log } = await newLog({ maxMessageBytes: 200 });
    const big = makeBatch({ records: 1, valueSize: 300 });
    await assert.rejects(log.append(big, 0, validateBatches(big)), RecordTooLargeError);
    const small = makeBatch({ records: 1 });
    await assert.rejects(log.append(Buffer.concat([small, small]), 0, validateBatches(small)), /summary of/);
    assert.equal(log.logEndOffset, 0n);
  });
});

describe('PartitionLog concurrency and memory', () => {
  it('reads run while appends are in flight and never see past the limit they were given', async () => {
    const fs = new SimulatedFileSystem();
    fs.syncDelayMs = 1;
    const { log } = await newLog({ durable: true }, fs);
    const appends: Promise<unknown>[] = [];
    let reads = 0;
    for (let i = 0; i < 40; i++) {
      appends.push(log.append(makeBatch({ records: 2 }), 0).then((info) => log.maybeIncrementHighWatermark(info.lastOffset + 1n)));
      const hw = log.highWatermark;
      const bytes = await log.readRecords(0n, 1 << 20);
      const batches = splitBatches(bytes);
      assert.ok(batches.length * 2 <= Number(hw) + 0, `read ${batches.length} batches with HW ${hw}`);
      reads++;
    }
    await Promise.all(appends);
    assert.equal(reads, 40);
    assert.equal(log.highWatermark, 80n);
    assert.equal(log.flushedOffset, 80n, 'the HW never passes what is synced in durable mode');
  });

  it('indexes of inactive segments are dropped under the index budget and reloaded on use', async () => {
    const fs = new SimulatedFileSystem();
    const ctx = createStorageContext(fs, { indexCacheBytes: 1 });
    const log = await createPartitionLog(ctx, { topic: 't', partition: 0, dir: DIR, config: config({ segmentBytes: 3000, indexIntervalBytes: 200 }) });
    for (let i = 0; i < 60; i++) await log.append(makeBatch({ valueSize: 150 }), 0);
    await log.flush();
    log.updateHighWatermark(log.logEndOffset);
    const inactive = log.logSegments.slice(0, -1);
    assert.ok(inactive.length > 3);
    assert.ok(ctx.indexCache.bytes < 2000, `index cache holds ${ctx.indexCache.bytes} bytes`);
    assert.ok(inactive.filter((s) => !s.isLoaded).length >= inactive.length - 1);
    for (let o = 0n; o < 60n; o++) assert.equal(splitBatches(await log.readRecords(o, 1))[0]!.readBigInt64BE(0), o);
  });
});
