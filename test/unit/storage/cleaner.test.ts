/**
 * The log cleaner over the simulated file system: latest value per key, offsets kept, tombstones
 * removed after delete.retention.ms, passes bounded by the offset map, control batches kept,
 * and crashes at every step of a cleaning recovering to the old or the new segments.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildRecordBatch, buildEndTxnMarkerBatch, CompressionType, decodeRecordBatches } from '../../../src/protocol/records/index.js';
import { LogManager, SimulatedFileSystem, type CrashOptions, type PartitionLog } from '../../../src/storage/index.js';
import { OffsetMap } from '../../../src/storage/log-cleaner.js';
import { rng } from './helpers.js';

const LOG_DIR = '/kafka-logs';

interface Clock {
  now: number;
}

async function open(fs: SimulatedFileSystem, clock: Clock, extra: Record<string, string | number> = {}): Promise<LogManager> {
  return LogManager.open({
    logDirs: [LOG_DIR],
    fs,
    now: () => clock.now,
    brokerConfig: {
      'log.segment.bytes': 4000,
      'log.index.interval.bytes': 500,
      'samsa.log.flush.durable': false,
      'log.segment.delete.delay.ms': 0,
      'log.cleanup.policy': 'compact',
      'log.cleaner.backoff.ms': 1_000_000_000,
      'log.cleaner.delete.retention.ms': 1000,
      'log.cleaner.dedupe.buffer.size': 64 * 1024,
      ...extra,
    },
    managerConfig: {
      recoveryPointCheckpointIntervalMs: 0,
      logStartOffsetCheckpointIntervalMs: 0,
      highWatermarkCheckpointIntervalMs: 0,
      retentionCheckIntervalMs: 0,
    },
  });
}

interface Rec {
  offset: bigint;
  key: string | null;
  value: string | null;
  control: boolean;
}

async function readAll(log: PartitionLog): Promise<Rec[]> {
  const out: Rec[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const bytes = await log.readRecords(offset, 1 << 20, log.logEndOffset);
    if (bytes.length === 0) break;
    for (const b of decodeRecordBatches(bytes)) {
      for (const r of b.records) {
        if (r.offset < offset) continue;
        out.push({ offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, control: b.isControl });
      }
      offset = b.baseOffset + BigInt(b.lastOffsetDelta) + 1n;
    }
  }
  return out;
}

/** Appends `n` updates over `keys` keys in batches of 1-5 records, some compressed; returns what was written. */
async function produce(log: PartitionLog, n: number, keys: number, random: () => number, clock: Clock, tombstoneEvery = 0): Promise<Rec[]> {
  const written: Rec[] = [];
  let i = 0;
  while (i < n) {
    const size = Math.min(n - i, 1 + Math.floor(random() * 5));
    const records = [];
    for (let j = 0; j < size; j++, i++) {
      const key = `k${Math.floor(random() * keys)}`;
      const value = tombstoneEvery > 0 && i % tombstoneEvery === tombstoneEvery - 1 ? null : `v${i}`;
      records.push({ key: Buffer.from(key), value: value === null ? null : Buffer.from(value), timestamp: clock.now });
    }
    const compression = random() < 0.3 ? CompressionType.Gzip : CompressionType.None;
    const info = await log.append(buildRecordBatch(records, { compression }), 0);
    log.updateHighWatermark(log.logEndOffset);
    records.forEach((r, j) => written.push({ offset: info.firstOffset + BigInt(j), key: r.key.toString(), value: r.value?.toString() ?? null, control: false }));
    clock.now += 1;
  }
  return written;
}

/** Latest record per key among `written`. */
function latest(written: Rec[]): Map<string, Rec> {
  const m = new Map<string, Rec>();
  for (const r of written) if (r.key !== null) m.set(r.key, r);
  return m;
}

describe('OffsetMap', () => {
  it('keeps the latest offset per key and refuses new keys when full', () => {
    const map = new OffsetMap(16 * 100, 0.5);
    assert.equal(map.maxEntries, 50);
    for (let i = 0; i < 50; i++) assert.ok(map.put(Buffer.from(`key-${i}`), i));
    assert.ok(!map.put(Buffer.from('another'), 99));
    assert.ok(map.put(Buffer.from('key-3'), 100), 'an existing key can still be updated');
    assert.equal(map.get(Buffer.from('key-3')), 100);
    assert.equal(map.get(Buffer.from('key-4')), 4);
    assert.equal(map.get(Buffer.from('nope')), -1);
    assert.equal(map.latestOffset, 100);
    map.clear();
    assert.equal(map.get(Buffer.from('key-3')), -1);
  });
});

describe('LogCleaner', () => {
  it('keeps exactly the latest record per key, at its original offset, never touching the active segment', async () => {
    const fs = new SimulatedFileSystem();
    const clock = { now: 1_700_000_000_000 };
    const manager = await open(fs, clock);
    const log = await manager.getOrCreateLog('t', 0, { config: manager.configFor({}) });
    const written = await produce(log, 3000, 40, rng(1), clock);
    const before = log.numberOfSegments;
    assert.ok(before > 10);
    const activeBase = log.activeSegment.baseOffset;
    assert.ok(await manager.cleaner!.clean(log, true));
    const after = await readAll(log);
    const expectLatest = latest(written.filter((r) => r.offset < activeBase));
    const cleanedPart = after.filter((r) => r.offset < activeBase);
    assert.equal(cleanedPart.length, expectLatest.size);
    for (const r of cleanedPart) assert.deepEqual(r, expectLatest.get(r.key!), `record at ${r.offset}`);
    // The active segment is untouched.
    assert.deepEqual(after.filter((r) => r.offset >= activeBase), written.filter((r) => r.offset >= activeBase));
    assert.equal(log.cleanerCheckpoint, activeBase);
    // Groups are formed from the segments' sizes before cleaning (as Kafka's): the next cleaning merges them.
    const more = await produce(log, 10, 40, rng(11), clock);
    await log.roll();
    await manager.cleaner!.clean(log, true);
    assert.ok(log.numberOfSegments < before / 3, `${log.numberOfSegments} segments after, ${before} before`);
    const expectAll = latest([...written, ...more]);
    const merged = await readAll(log);
    assert.equal(merged.length, expectAll.size);
    for (const r of merged) assert.deepEqual(r, expectAll.get(r.key!));
    // Everything from the start, through a restart.
    await manager.close();
    const again = await open(fs, clock);
    const reloaded = again.getLog('t', 0)!;
    reloaded.updateHighWatermark(reloaded.logEndOffset);
    assert.deepEqual(await readAll(reloaded), merged);
    assert.equal(reloaded.cleanerCheckpoint, log.cleanerCheckpoint);
    await again.close();
  });

  it('cleans in several passes when the offset map is small', async () => {
    const fs = new SimulatedFileSystem();
    const clock = { now: 1_700_000_000_000 };
    const manager = await open(fs, clock, { 'log.cleaner.dedupe.buffer.size': 16 * 60 });
    const log = await manager.getOrCreateLog('t', 0, { config: manager.configFor({}) });
    const written = await produce(log, 3000, 200, rng(2), clock);
    await log.roll();
    assert.ok(await manager.cleaner!.clean(log, true));
    assert.ok(manager.cleaner!.stats.passes > 2, `${manager.cleaner!.stats.passes} passes`);
    const after = await readAll(log);
    const expect = latest(written);
    assert.equal(after.length, expect.size);
    for (const r of after) assert.deepEqual(r, expect.get(r.key!));
    await manager.close();
  });

  it('removes tombstones after delete.retention.ms, keeps them before; keeps control batches', async () => {
    const fs = new SimulatedFileSystem();
    const clock = { now: 1_700_000_000_000 };
    const manager = await open(fs, clock);
    const log = await manager.getOrCreateLog('t', 0, { config: manager.configFor({}) });
    const written = await produce(log, 1000, 30, rng(3), clock);
    const del = [];
    for (let k = 0; k < 10; k++) del.push({ key: Buffer.from(`k${k}`), value: null, timestamp: clock.now });
    await log.append(buildRecordBatch(del), 0);
    const marker = buildEndTxnMarkerBatch({ commit: true, producerId: 7n, producerEpoch: 0, coordinatorEpoch: 0, timestamp: clock.now });
    await log.append(marker, 0);
    log.updateHighWatermark(log.logEndOffset);
    await log.roll();
    assert.ok(await manager.cleaner!.clean(log, true));
    let after = await readAll(log);
    const tombstones = after.filter((r) => r.value === null && !r.control);
    assert.equal(tombstones.length, 10, 'tombstones stay for delete.retention.ms');
    assert.equal(after.filter((r) => r.control).length, 1, 'the transaction marker stays');
    // Before the horizon a cleaning changes nothing about them.
    clock.now += 500;
    await manager.cleaner!.clean(log, true);
    assert.equal((await readAll(log)).filter((r) => r.value === null && !r.control).length, 10);
    clock.now += 1000;
    assert.ok(await manager.cleaner!.clean(log), 'an expired delete horizon makes the log due');
    after = await readAll(log);
    assert.equal(after.filter((r) => r.value === null && !r.control).length, 0);
    const expect = latest(written);
    for (let k = 0; k < 10; k++) expect.delete(`k${k}`);
    const data = after.filter((r) => !r.control);
    assert.equal(data.length, expect.size);
    for (const r of data) assert.deepEqual(r, expect.get(r.key!));
    assert.equal(after.filter((r) => r.control).length, 1);
    await manager.close();
  });

  it('drops aborted transactional data, never lets it or an open transaction supersede older records, keeps markers', async () => {
    const fs = new SimulatedFileSystem();
    const clock = { now: 1_700_000_000_000 };
    const manager = await open(fs, clock);
    const log = await manager.getOrCreateLog('t', 0, { config: manager.configFor({}) });
    const rec = (key: string, value: string) => ({ key: Buffer.from(key), value: Buffer.from(value), timestamp: clock.now });
    const append = async (b: Buffer) => {
      const info = await log.append(b, 0);
      log.updateHighWatermark(log.logEndOffset);
      return info.firstOffset;
    };
    const txn = (pid: bigint, ...records: ReturnType<typeof rec>[]) => buildRecordBatch(records, { producerId: pid, producerEpoch: 0, baseSequence: 0, transactional: true });
    const marker = (pid: bigint, commit: boolean) => buildEndTxnMarkerBatch({ commit, producerId: pid, producerEpoch: 0, coordinatorEpoch: 0, timestamp: clock.now });
    const oA = await append(buildRecordBatch([rec('a', 'old-a'), rec('b', 'old-b'), rec('c', 'c1')]));
    await append(txn(7n, rec('a', 'aborted-a'), rec('c', 'aborted-c')));
    await append(txn(8n, rec('a', 'committed-a')));
    await append(marker(7n, false));
    await append(marker(8n, true));
    await append(txn(9n, rec('b', 'open-b')));
    await log.roll();
    assert.ok(await manager.cleaner!.clean(log, true));
    const after = await readAll(log);
    const data = after.filter((r) => !r.control).map((r) => [r.key, r.value]);
    assert.deepEqual(data, [
      ['b', 'old-b'],
      ['c', 'c1'],
      ['a', 'committed-a'],
      ['b', 'open-b'],
    ]);
    assert.equal(after.filter((r) => r.control).length, 2, 'both markers stay');
    assert.equal(after.find((r) => r.value === 'c1')!.offset, oA + 2n, 'offsets kept');
    await manager.close();
  });

  it("keeps each idempotent producer's last batch, emptied, so its sequence survives (Kafka's RETAIN_EMPTY)", async () => {
    const fs = new SimulatedFileSystem();
    const clock = { now: 1_700_000_000_000 };
    const manager = await open(fs, clock);
    const log = await manager.getOrCreateLog('t', 0, { config: manager.configFor({}) });
    const rec = (key: string, value: string) => ({ key: Buffer.from(key), value: Buffer.from(value), timestamp: clock.now });
    await log.append(buildRecordBatch([rec('a', 'a1'), rec('b', 'b1')], { producerId: 5n, producerEpoch: 2, baseSequence: 0 }), 0);
    await log.append(buildRecordBatch([rec('a', 'a2'), rec('b', 'b2')], { producerId: 5n, producerEpoch: 2, baseSequence: 2 }), 0);
    const last = await log.append(buildRecordBatch([rec('x', 'x1'), rec('y', 'y1')], { producerId: 5n, producerEpoch: 2, baseSequence: 4 }), 0);
    await log.append(buildRecordBatch([rec('x', 'x2'), rec('y', 'y2')]), 0); // supersedes every record of producer 5's last batch
    log.updateHighWatermark(log.logEndOffset);
    await log.roll();
    assert.ok(await manager.cleaner!.clean(log, true));
    const batches = decodeRecordBatches(await log.readRecords(0n, 1 << 20, log.logEndOffset));
    const empty = batches.find((b) => b.baseOffset === last.firstOffset)!;
    assert.ok(empty, 'the last batch of producer 5 is kept');
    assert.deepEqual([empty.recordsCount, empty.lastOffsetDelta, empty.producerId, empty.producerEpoch, empty.baseSequence], [0, 1, 5n, 2, 4]);
    assert.equal(batches.find((b) => b.baseOffset === 0n), undefined, 'an earlier, fully superseded batch goes');
    assert.deepEqual(
      batches.flatMap((b) => b.records.map((r) => `${r.key}=${r.value}@${r.offset}`)),
      ['a=a2@2', 'b=b2@3', 'x=x2@6', 'y=y2@7'],
    );
    await manager.close();
  });

  it('honours min.cleanable.dirty.ratio and min.compaction.lag.ms', async () => {
    const fs = new SimulatedFileSystem();
    const clock = { now: 1_700_000_000_000 };
    const manager = await open(fs, clock, { 'log.cleaner.min.compaction.lag.ms': 60_000 });
    const log = await manager.getOrCreateLog('t', 0, { config: manager.configFor({}) });
    await produce(log, 1000, 20, rng(4), clock);
    await log.roll();
    assert.equal(await manager.cleaner!.clean(log), false, 'records younger than min.compaction.lag.ms');
    clock.now += 61_000;
    assert.ok(await manager.cleaner!.clean(log));
    // Now nearly all clean: a few new dirty records stay below the 0.5 ratio.
    await produce(log, 5, 20, rng(5), clock);
    await log.roll();
    clock.now += 61_000;
    const range = await manager.cleaner!.cleanableRange(log);
    assert.ok(range && range.ratio < 0.5, `ratio ${range?.ratio}`);
    assert.equal(await manager.cleaner!.clean(log), false);
    await manager.close();
  });

  for (const step of ['cleaned', 'swap', 'deleted', 'done'] as const) {
    it(`a power loss right after the '${step}' step of a swap: the loader rolls back or completes it`, async () => {
      const fs = new SimulatedFileSystem();
      const clock = { now: 1_700_000_000_000 };
      const manager = await open(fs, clock);
      const log = await manager.getOrCreateLog('t', 0, { config: manager.configFor({}) });
      const written = await produce(log, 600, 15, rng(99), clock);
      await log.roll();
      await log.flush();
      await manager.checkpointRecoveryPoints();
      const before = fs.list().filter((n) => n.endsWith('.log'));
      manager.cleaner!.onStep = (s) => {
        if (s === step) {
          fs.crash({ kind: 'power' });
          throw new Error('crashed');
        }
      };
      await assert.rejects(manager.cleaner!.clean(log, true));
      fs.restart();
      const again = await open(fs, clock);
      const reloaded = again.getLog('t', 0)!;
      reloaded.updateHighWatermark(reloaded.logEndOffset);
      const after = await readAll(reloaded);
      assert.deepEqual(fs.list().filter((n) => n.endsWith('.cleaned') || n.endsWith('.swap')), []);
      const byOffset = new Map(written.map((r) => [r.offset, r]));
      for (const r of after) assert.deepEqual(r, byOffset.get(r.offset));
      const seen = new Set(after.map((r) => r.offset));
      for (const r of latest(written).values()) assert.ok(seen.has(r.offset), `latest of ${r.key} kept`);
      if (step === 'cleaned') {
        assert.equal(after.length, written.length, 'rolled back: the old segments');
        assert.deepEqual(fs.list().filter((n) => n.endsWith('.log')), before);
      } else {
        assert.ok(after.length < written.length, 'completed: the first group is the cleaned one');
      }
      await again.close();
    });
  }

  for (const kind of ['power', 'process'] as const) {
    it(`a crash at any step of a cleaning (${kind}) recovers to the old or the new segments, every latest value kept`, async () => {
      let crashes = 0;
      for (let crashAt = 1; crashAt < 400; crashAt += 3) {
        const fs = new SimulatedFileSystem();
        const clock = { now: 1_700_000_000_000 };
        const manager = await open(fs, clock);
        const log = await manager.getOrCreateLog('t', 0, { config: manager.configFor({}) });
        const written = await produce(log, 600, 15, rng(crashAt), clock);
        await log.roll();
        await log.flush();
        await manager.checkpointRecoveryPoints();
        const options: CrashOptions = kind === 'power' ? { kind, random: rng(crashAt * 7), tornTail: 'garbage' } : { kind };
        fs.crashAfterOps(crashAt, options);
        let crashed = false;
        try {
          await manager.cleaner!.clean(log, true);
        } catch {
          crashed = true;
        }
        if (!fs.crashed) {
          fs.crash(options);
        } else crashed = true;
        if (crashed) crashes++;
        fs.restart();
        const again = await open(fs, clock);
        const reloaded = again.getLog('t', 0)!;
        reloaded.updateHighWatermark(reloaded.logEndOffset); // as the broker does on opening a partition
        const after = await readAll(reloaded);
        const byOffset = new Map(written.map((r) => [r.offset, r]));
        let prev = -1n;
        for (const r of after) {
          assert.ok(r.offset > prev, `offsets increase at ${r.offset} (crash at op ${crashAt})`);
          prev = r.offset;
          assert.deepEqual(r, byOffset.get(r.offset), `record at ${r.offset} is an original one (crash at op ${crashAt})`);
        }
        const seen = new Map(after.map((r) => [r.offset, r]));
        for (const [key, r] of latest(written)) assert.ok(seen.has(r.offset), `latest value of ${key} at ${r.offset} survives (crash at op ${crashAt})`);
        const names = fs.list().filter((n) => n.endsWith('.cleaned') || n.endsWith('.swap'));
        assert.deepEqual(names, [], 'no leftover cleaner files');
        // And the log can be cleaned to the end afterwards.
        await again.cleaner!.clean(reloaded, true);
        const final = await readAll(reloaded);
        assert.equal(final.length, latest(written).size);
        await again.close();
      }
      assert.ok(crashes > 20, `${crashes} crashes`);
    });
  }
});
