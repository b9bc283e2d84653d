/**
 * Storage-layer throughput and start-up: node dist/bench/storage.js
 *
 * - append MB/s with 16 KiB and 1 MiB batches, os mode and durable mode (1 and N appends in
 *   flight), next to raw sequential FileHandle.write of the same bytes (and write+fdatasync for
 *   the durable cases) measured in the same run, with the ratio;
 * - read MB/s (PartitionLog.read + FileRange.readInto, warm page cache);
 * - start-up time of a LogManager with 10,000 small partitions (clean, and unclean with recovery).
 *
 * Prints a table and one JSON line; no assertions. BENCH_MS bounds each append case (default 1500),
 * BENCH_PARTITIONS the start-up case (default 10000).
 */
import { execSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeBatchCrc, RECORD_BATCH_OVERHEAD } from '../src/protocol/records/batch-header.js';
import { LogManager, type PartitionLog } from '../src/storage/index.js';

const MiB = 1024 * 1024;
const KiB = 1024;
const BUDGET_MS = Number(process.env.BENCH_MS ?? 1500);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 10_000);
const NO_TIMERS = {
  recoveryPointCheckpointIntervalMs: 0,
  logStartOffsetCheckpointIntervalMs: 0,
  highWatermarkCheckpointIntervalMs: 0,
  retentionCheckIntervalMs: 0,
};

/** One uncompressed v2 batch of `size` bytes: a single record with an opaque value. */
function batchOf(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  const valueLen = size - RECORD_BATCH_OVERHEAD - 16;
  // record: length, attributes, timestampDelta, offsetDelta, key -1, value length, value, 0 headers (zigzag varints)
  const varint = (n: number): number[] => {
    let v = n >= 0 ? n * 2 : -n * 2 - 1;
    const out: number[] = [];
    while (v >= 128) {
      out.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(v);
    return out;
  };
  const head = [0, ...varint(0), ...varint(0), ...varint(-1), ...varint(valueLen)];
  const body = head.length + valueLen + 1;
  const rec = Buffer.from([...varint(body), ...head]);
  const recordsLen = rec.length + valueLen + 1;
  const total = RECORD_BATCH_OVERHEAD + recordsLen;
  b.writeInt32BE(total - 12, 8);
  b.writeInt8(2, 16);
  b.writeInt32BE(0, 23);
  b.writeBigInt64BE(BigInt(Date.now()), 27);
  b.writeBigInt64BE(BigInt(Date.now()), 35);
  b.writeBigInt64BE(-1n, 43);
  b.writeInt16BE(-1, 51);
  b.writeInt32BE(-1, 53);
  b.writeInt32BE(1, 57);
  rec.copy(b, RECORD_BATCH_OVERHEAD);
  for (let i = RECORD_BATCH_OVERHEAD + rec.length; i < total - 1; i++) b[i] = (i * 31 + seed) & 0xff;
  writeBatchCrc(b, 0, total);
  return b.subarray(0, total);
}

interface Row {
  case: string;
  mbPerSec: number;
  baselineMbPerSec?: number;
  ratio?: number;
  ops?: number;
  extra?: string;
}

async function rawWrite(dir: string, batch: Buffer, count: number, sync: boolean): Promise<number> {
  const file = path.join(dir, `raw-${batch.length}-${sync}`);
  const fh = await fsp.open(file, 'w');
  const start = performance.now();
  let pos = 0;
  for (let i = 0; i < count; i++) {
    await fh.write(batch, 0, batch.length, pos);
    pos += batch.length;
    if (sync) await fh.datasync();
  }
  const secs = (performance.now() - start) / 1000;
  await fh.close();
  await fsp.rm(file);
  return pos / MiB / secs;
}

/** Appends for about BUDGET_MS (at most maxBytes) with `inflight` concurrent appends; returns MB/s and count. */
async function appendCase(log: PartitionLog, batchSize: number, inflight: number, maxBytes: number): Promise<{ mbPerSec: number; count: number }> {
  const buffers = Array.from({ length: inflight }, (_, i) => batchOf(batchSize, i));
  const size = buffers[0]!.length;
  let count = 0;
  const start = performance.now();
  const deadline = start + BUDGET_MS;
  const maxCount = Math.floor(maxBytes / size);
  await Promise.all(
    buffers.map(async (buf) => {
      while (performance.now() < deadline && count < maxCount) {
        count++;
        await log.append(buf, 0);
      }
    }),
  );
  const secs = (performance.now() - start) / 1000;
  return { mbPerSec: (count * size) / MiB / secs, count };
}

async function readCase(log: PartitionLog): Promise<{ mbPerSec: number; bytes: number }> {
  const buf = Buffer.allocUnsafe(2 * MiB);
  let offset = log.logStartOffset;
  let bytes = 0;
  const start = performance.now();
  while (offset < log.logEndOffset) {
    const info = await log.read(offset, MiB, log.logEndOffset);
    if (info.sizeInBytes === 0) break;
    let at = 0;
    const target = info.sizeInBytes <= buf.length ? buf : Buffer.allocUnsafe(info.sizeInBytes);
    for (const r of info.ranges) {
      await r.readInto(target, at);
      at += r.size;
    }
    bytes += at;
    // Next offset: walk the headers in memory.
    let p = 0;
    let last = offset;
    while (p < at) {
      last = target.readBigInt64BE(p) + BigInt(target.readInt32BE(p + 23));
      p += target.readInt32BE(p + 8) + 12;
    }
    offset = last + 1n;
  }
  const secs = (performance.now() - start) / 1000;
  return { mbPerSec: bytes / MiB / secs, bytes };
}

/**
 * The 10,000-partition fixture: one partition written by a LogManager (so every file is genuine),
 * copied with synchronous calls (fast; this is set-up, not the measured part), plus checkpoints
 * and the clean shutdown marker as a clean close leaves them.
 */
async function buildStartupFixture(dir: string): Promise<void> {
  const builder = await LogManager.open({ logDirs: [dir], managerConfig: NO_TIMERS });
  const template = await builder.getOrCreateLog('topic0', 0);
  const small = batchOf(200, 1);
  await template.append(Buffer.from(small), 0);
  await template.append(Buffer.from(small), 0);
  template.updateHighWatermark(template.logEndOffset);
  const leo = template.logEndOffset;
  await builder.close();
  const templateDir = path.join(dir, 'topic0-0');
  const files = fs.readdirSync(templateDir).map((name) => [name, fs.readFileSync(path.join(templateDir, name))] as const);
  const entries: string[] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    const name = `topic${p % 100}-${Math.floor(p / 100)}`;
    entries.push(`${name.replace(/-(\d+)$/, ' $1')} ${leo}`);
    if (p === 0) continue;
    const pdir = path.join(dir, name);
    fs.mkdirSync(pdir);
    for (const [f, bytes] of files) fs.writeFileSync(path.join(pdir, f), bytes);
  }
  const checkpoint = `0\n${entries.length}\n${entries.map((e) => e + '\n').join('')}`;
  for (const f of ['recovery-point-offset-checkpoint', 'replication-offset-checkpoint']) fs.writeFileSync(path.join(dir, f), checkpoint);
  fs.writeFileSync(path.join(dir, 'log-start-offset-checkpoint'), checkpoint.replace(new RegExp(` ${leo}\n`, 'g'), ' 0\n'));
  fs.writeFileSync(path.join(dir, '.kafka_cleanshutdown'), '{"version":0,"brokerEpoch":-1}');
  execSync('sync');
}

async function startupCase(root: string): Promise<{ setupMs: number; cleanMs: number; uncleanMs: number; uncleanSyncs: string }> {
  const dir = path.join(root, 'startup');
  const setupStart = performance.now();
  await buildStartupFixture(dir);
  const setupMs = performance.now() - setupStart;

  const t0 = performance.now();
  const clean = await LogManager.open({ logDirs: [dir], managerConfig: NO_TIMERS });
  const cleanMs = performance.now() - t0;
  if (clean.loadStats.partitions !== PARTITIONS || clean.loadStats.recoveredSegments !== 0) throw new Error('unexpected clean load');
  await clean.close();

  // Unclean: no marker, every partition's active segment is scanned, indexes rebuilt and (durable
  // mode, the default) flushed.
  await fsp.rm(path.join(dir, '.kafka_cleanshutdown'));
  const t1 = performance.now();
  const unclean = await LogManager.open({ logDirs: [dir], managerConfig: NO_TIMERS });
  const uncleanMs = performance.now() - t1;
  const stats = unclean.loadStats;
  await unclean.close();
  return { setupMs, cleanMs, uncleanMs, uncleanSyncs: `${stats.recoveredSegments} segments scanned` };
}

async function main(): Promise<void> {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'samsa-bench-storage-'));
  const rows: Row[] = [];
  try {
    const cases: { size: number; durable: boolean; inflight: number; maxBytes: number }[] = [
      { size: 16 * KiB, durable: false, inflight: 1, maxBytes: 512 * MiB },
      { size: 16 * KiB, durable: true, inflight: 1, maxBytes: 256 * MiB },
      { size: 16 * KiB, durable: true, inflight: 16, maxBytes: 256 * MiB },
      { size: MiB, durable: false, inflight: 1, maxBytes: 1024 * MiB },
      { size: MiB, durable: true, inflight: 1, maxBytes: 512 * MiB },
      { size: MiB, durable: true, inflight: 4, maxBytes: 512 * MiB },
    ];
    const manager = await LogManager.open({
      logDirs: [path.join(root, 'logs')],
      managerConfig: NO_TIMERS,
      brokerConfig: { 'log.segment.bytes': 256 * MiB, 'log.segment.delete.delay.ms': 0 },
    });
    let readLog: PartitionLog | undefined;
    // Warm-up (JIT, allocator) on a throwaway partition.
    const warm = await manager.getOrCreateLog('warmup', 0, { config: manager.configFor({ 'samsa.flush.durable': 'false' }) });
    await appendCase(warm, 16 * KiB, 1, 64 * MiB);
    await manager.deleteLog('warmup', 0);
    for (const [i, c] of cases.entries()) {
      if (process.env.BENCH_ONLY === 'startup') break;
      const log = await manager.getOrCreateLog(`bench${i}`, 0, {
        config: manager.configFor({ 'samsa.flush.durable': String(c.durable), 'segment.bytes': 256 * MiB }),
      });
      const { mbPerSec, count } = await appendCase(log, c.size, c.inflight, c.maxBytes);
      const baseline = await rawWrite(root, batchOf(c.size, 0), Math.max(1, Math.min(count, c.durable ? count : count)), c.durable && c.inflight === 1);
      const label = `append ${c.size >= MiB ? '1 MiB' : '16 KiB'} ${c.durable ? 'durable' : 'os'} x${c.inflight} in flight`;
      rows.push({
        case: label,
        mbPerSec,
        baselineMbPerSec: baseline,
        ratio: mbPerSec / baseline,
        ops: count,
        extra: c.durable && c.inflight === 1 ? 'vs write+fdatasync each' : 'vs write',
      });
      if (c.size === MiB && !c.durable) readLog = log;
      if (c.size === 16 * KiB && !c.durable) {
        const r = await readCase(log);
        rows.push({ case: 'read 16 KiB batches, 1 MiB fetches', mbPerSec: r.mbPerSec, extra: `${(r.bytes / MiB).toFixed(0)} MiB` });
      }
      if (log !== readLog && !(c.size === 16 * KiB && !c.durable)) await manager.deleteLog(`bench${i}`, 0);
    }
    if (readLog) {
      const r = await readCase(readLog);
      rows.push({ case: 'read 1 MiB batches, 1 MiB fetches', mbPerSec: r.mbPerSec, extra: `${(r.bytes / MiB).toFixed(0)} MiB` });
    }
    await manager.close();
    await fsp.rm(path.join(root, 'logs'), { recursive: true, force: true });

    const s = await startupCase(root);
    const startRows: Row[] = [
      { case: `start-up, ${PARTITIONS} partitions, clean`, mbPerSec: NaN, extra: `${s.cleanMs.toFixed(0)} ms` },
      { case: `start-up, ${PARTITIONS} partitions, unclean (recovery)`, mbPerSec: NaN, extra: `${s.uncleanMs.toFixed(0)} ms (${s.uncleanSyncs})` },
    ];
    rows.push(...startRows);

    const pad = (x: string, n: number) => x.padEnd(n);
    console.log(`${pad('case', 44)} ${pad('MB/s', 9)} ${pad('raw MB/s', 9)} ${pad('ratio', 6)} note`);
    for (const r of rows) {
      console.log(
        `${pad(r.case, 44)} ${pad(Number.isNaN(r.mbPerSec) ? '-' : r.mbPerSec.toFixed(0), 9)} ${pad(r.baselineMbPerSec ? r.baselineMbPerSec.toFixed(0) : '-', 9)} ${pad(r.ratio ? r.ratio.toFixed(2) : '-', 6)} ${r.extra ?? ''}`,
      );
    }
    console.log(
      JSON.stringify({
        bench: 'storage',
        appends: rows.filter((r) => r.ratio !== undefined).map((r) => ({ case: r.case, mbPerSec: +r.mbPerSec.toFixed(1), rawMbPerSec: +r.baselineMbPerSec!.toFixed(1), ratio: +r.ratio!.toFixed(3) })),
        reads: rows.filter((r) => r.case.startsWith('read')).map((r) => ({ case: r.case, mbPerSec: +r.mbPerSec.toFixed(1) })),
        startup: { partitions: PARTITIONS, cleanMs: Math.round(s.cleanMs), uncleanMs: Math.round(s.uncleanMs), fixtureMs: Math.round(s.setupMs) },
      }),
    );
  } finally {
    await fsp.rm(root, { recursive: true, force: true });
  }
}

await main();
