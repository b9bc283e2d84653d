/**
 * Kafka LogLoaderTest-style recovery tests: garbage after the last batch and in indexes, corrupt
 * batches, missing indexes, stray files; offsets are never reused after recovery.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_LOG_CONFIG,
  SimulatedFileSystem,
  createPartitionLog,
  createStorageContext,
  loadPartitionLog,
  type LoadStats,
  type LogConfig,
  type PartitionLog,
  type StorageContext,
} from '../../../src/storage/index.js';
import { makeBatch, rng, splitBatches } from './helpers.js';

const DIR = '/logs/t-0';
const CONFIG: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 4000, indexIntervalBytes: 300, fileDeleteDelayMs: 0, durable: false };

async function setup(batches: number, seed = 1) {
  const fs = new SimulatedFileSystem();
  const ctx = createStorageContext(fs);
  const log = await createPartitionLog(ctx, { topic: 't', partition: 0, dir: DIR, config: CONFIG });
  const random = rng(seed);
  const appended: Buffer[] = [];
  for (let i = 0; i < batches; i++) {
    const b = makeBatch({ records: 1 + Math.floor(random() * 4), valueSize: 20 + Math.floor(random() * 200), baseTimestamp: 1000 + i });
    await log.append(b, 0);
    appended.push(b);
  }
  return { fs, ctx, log, appended };
}

function load(ctx: StorageContext, options: { recoveryPoint?: bigint; clean: boolean }, stats?: LoadStats): Promise<PartitionLog> {
  return loadPartitionLog(ctx, { topic: 't', partition: 0, dir: DIR, config: CONFIG, recoveryPoint: options.recoveryPoint, cleanShutdown: options.clean }, stats);
}

function newStats(): LoadStats {
  return { recoveredSegments: 0, truncatedBytes: 0, droppedSegments: 0, strayFiles: 0 };
}

async function readAll(log: PartitionLog): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const batches = splitBatches(await log.readRecords(offset, 100_000, log.logEndOffset));
    assert.ok(batches.length > 0);
    out.push(...batches);
    const last = batches[batches.length - 1]!;
    offset = last.readBigInt64BE(0) + BigInt(last.readInt32BE(23)) + 1n;
  }
  return out;
}

/** Every offset is readable through the (possibly rebuilt) index, starting exactly at its batch. */
async function checkEveryOffset(log: PartitionLog, appended: Buffer[]): Promise<void> {
  for (const b of appended) {
    const base = b.readBigInt64BE(0);
    const last = base + BigInt(b.readInt32BE(23));
    for (const o of [base, last]) {
      const [first] = splitBatches(await log.readRecords(o, 1, log.logEndOffset));
      assert.deepEqual(first, b, `offset ${o}`);
    }
  }
}

function files(fs: SimulatedFileSystem, suffix: string): string[] {
  return fs.list().filter((f) => f.startsWith(DIR + '/') && f.endsWith(suffix));
}

describe('recovery (LogLoader)', () => {
  it('random garbage after the last batch and in the active segment indexes is cut; nothing valid is lost', async () => {
    for (let seed = 1; seed <= 25; seed++) {
      const { fs, ctx, log, appended } = await setup(40, seed);
      const leo = log.logEndOffset;
      await log.flush(); // indexes on disk, recovery point = LEO
      const random = rng(seed * 7919);
      const garbage = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
      const active = log.activeSegment;
      fs.setFileBytes(active.logPath, Buffer.concat([fs.fileBytes(active.logPath)!, garbage(1 + Math.floor(random() * 500))]));
      fs.setFileBytes(active.indexPath, Buffer.concat([fs.fileBytes(active.indexPath)!, garbage(Math.floor(random() * 40))]));
      fs.setFileBytes(active.timeIndexPath, Buffer.concat([fs.fileBytes(active.timeIndexPath)!, garbage(Math.floor(random() * 40))]));
      const stats = newStats();
      // Unclean shutdown, recovery point at the start of the active segment (as after a roll).
      const recovered = await load(ctx, { recoveryPoint: active.baseOffset, clean: false }, stats);
      assert.equal(recovered.logEndOffset, leo, `seed ${seed}`);
      assert.ok(stats.truncatedBytes > 0);
      assert.deepEqual(await readAll(recovered), appended);
      await checkEveryOffset(recovered, appended);
      const next = await recovered.append(makeBatch(), 0);
      assert.equal(next.firstOffset, leo, 'offsets are never reused');
    }
  });

  it('a batch with garbage inside it (bad CRC) and everything after it, including later segments, is dropped', async () => {
    const { fs, ctx, log, appended } = await setup(60);
    const segments = log.logSegments.map((s) => ({ base: s.baseOffset, path: s.logPath }));
    assert.ok(segments.length >= 3);
    // Corrupt the 3rd batch of the second segment.
    const target = segments[1]!;
    const bytes = fs.fileBytes(target.path)!;
    const batches = splitBatches(bytes);
    const pos = batches[0]!.length + batches[1]!.length;
    bytes[pos + 70] = bytes[pos + 70]! ^ 0xff;
    fs.setFileBytes(target.path, bytes);
    const stats = newStats();
    const recovered = await load(ctx, { recoveryPoint: 0n, clean: false }, stats);
    const corruptBase = batches[2]!.readBigInt64BE(0);
    assert.equal(recovered.logEndOffset, corruptBase);
    assert.equal(stats.droppedSegments, segments.length - 2);
    const kept = appended.filter((b) => b.readBigInt64BE(0) < corruptBase);
    assert.deepEqual(await readAll(recovered), kept);
    assert.equal((await recovered.append(makeBatch(), 0)).firstOffset, corruptBase);
  });

  it('offsets that go backwards inside a segment are treated as corruption', async () => {
    const { fs, ctx, log, appended } = await setup(10);
    const path = log.activeSegment.logPath;
    const bytes = fs.fileBytes(path)!;
    const batches = splitBatches(bytes);
    const at = batches.slice(0, 5).reduce((n, b) => n + b.length, 0);
    bytes.writeBigInt64BE(0n, at); // baseOffset is outside the CRC: only the offset check catches this
    fs.setFileBytes(path, bytes);
    const recovered = await load(ctx, { recoveryPoint: 0n, clean: false });
    assert.equal(recovered.logEndOffset, appended[5]!.readBigInt64BE(0));
  });

  it('missing or corrupt indexes below the recovery point are rebuilt on first use', async () => {
    const { fs, ctx, log, appended } = await setup(60);
    await log.close();
    const idx = files(fs, '.index');
    const tidx = files(fs, '.timeindex');
    assert.ok(idx.length >= 3);
    const original = fs.fileBytes(idx[0]!)!;
    assert.ok(original.length > 0);
    await fs.unlink(idx[0]!);
    fs.setFileBytes(idx[1]!, Buffer.from('not an index'));
    fs.setFileBytes(tidx[2]!, Buffer.alloc(24, 0xff));
    const reopened = await load(ctx, { recoveryPoint: log.recoveryPoint, clean: true });
    assert.equal(reopened.logEndOffset, log.logEndOffset);
    await checkEveryOffset(reopened, appended);
    await reopened.close();
    assert.deepEqual(fs.fileBytes(idx[0]!), original, 'the rebuilt index has the same entries');
  });

  it('a missing index of a recovered segment is rebuilt by the scan', async () => {
    const { fs, ctx, log, appended } = await setup(20);
    await log.flush();
    const active = log.activeSegment;
    const original = fs.fileBytes(active.indexPath)!;
    await fs.unlink(active.indexPath);
    await fs.unlink(active.timeIndexPath);
    const recovered = await load(ctx, { recoveryPoint: active.baseOffset, clean: false });
    await checkEveryOffset(recovered, appended);
    await recovered.flush(); // os mode: rebuilt indexes are written at the next flush
    assert.deepEqual(fs.fileBytes(active.indexPath), original);
  });

  it('stray temp files, .deleted files and orphan indexes are removed; the epoch cache is rebuilt if its checkpoint is corrupt', async () => {
    const { fs, ctx, log } = await setup(5);
    await log.close();
    fs.setFileBytes(`${DIR}/leader-epoch-checkpoint.tmp`, Buffer.from('0\n'));
    fs.setFileBytes(`${DIR}/00000000000000000099.log.deleted`, Buffer.from('x'));
    fs.setFileBytes(`${DIR}/00000000000000000077.index`, Buffer.alloc(8));
    fs.setFileBytes(`${DIR}/leader-epoch-checkpoint`, Buffer.from('garbage'));
    const stats = newStats();
    const reopened = await load(ctx, { recoveryPoint: log.recoveryPoint, clean: true }, stats);
    await reopened.flush();
    await ctx.deleter.idle();
    assert.equal(stats.strayFiles, 3);
    assert.deepEqual(
      fs.list().filter((f) => f.startsWith(DIR + '/')).map((f) => f.slice(DIR.length + 1)),
      ['00000000000000000000.index', '00000000000000000000.log', '00000000000000000000.timeindex', 'leader-epoch-checkpoint'],
    );
    assert.deepEqual(reopened.leaderEpochCache.entries, [{ epoch: 0, startOffset: 0n }]);
    assert.equal(fs.fileBytes(`${DIR}/leader-epoch-checkpoint`)!.toString(), '0\n1\n0 0\n');
  });

  it('a clean shutdown skips the scan; the active segment is checked lazily against the checkpoint', async () => {
    const { fs, ctx, log } = await setup(30);
    await log.close();
    const path = log.activeSegment.logPath;
    // Corrupt the middle of a batch: a clean start does not read it ...
    const bytes = fs.fileBytes(path)!;
    bytes[100] = bytes[100]! ^ 1;
    fs.setFileBytes(path, bytes);
    const stats = newStats();
    const clean = await load(ctx, { recoveryPoint: log.recoveryPoint, clean: true }, stats);
    assert.equal(stats.recoveredSegments, 0);
    assert.equal(clean.logEndOffset, log.logEndOffset);
    // ... an unclean one does.
    const unclean = await load(ctx, { recoveryPoint: 0n, clean: false });
    assert.ok(unclean.logEndOffset < log.logEndOffset);
  });

  it('a clean start whose checkpoint disagrees with the active segment recovers that segment on first use', async () => {
    const { ctx, log } = await setup(10);
    await log.close();
    const reopened = await load(ctx, { recoveryPoint: 4n, clean: true });
    assert.equal(reopened.logEndOffset, 4n);
    const info = await reopened.append(makeBatch(), 0);
    assert.equal(info.firstOffset, log.logEndOffset, 'offsets found in the segment are not handed out again');
    assert.equal(reopened.isOffline, false);
  });

  it('a log start checkpoint ahead of the data restarts the log there (offsets below it are never handed out again)', async () => {
    const { ctx } = await setup(5);
    const reopened = await loadPartitionLog(ctx, { topic: 't', partition: 0, dir: DIR, config: CONFIG, recoveryPoint: 0n, logStartOffset: 50n, cleanShutdown: false });
    assert.equal(reopened.logStartOffset, 50n);
    assert.equal(reopened.logEndOffset, 50n);
    assert.equal((await reopened.append(makeBatch(), 0)).firstOffset, 50n);
  });
});
