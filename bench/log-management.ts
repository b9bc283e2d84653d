/**
 * Log management figures (storage layer, real files in the OS temp dir, os flush mode):
 *
 *  1. Cleaner throughput: a compacted log of N MiB (default 256) of 100-byte values over 100,000
 *     keys in uncompressed batches of 100 records, 16 MiB segments; one forced cleaning of every
 *     inactive segment; MB/s of log read (the dirty range, once for the offset map and once to
 *     rewrite) and of log cleaned (bytes of segments swapped).
 *  2. Event-loop delay while a 1 GiB segment is deleted under produce load: appends of 16 KiB
 *     batches keep running (paced at 3,000/s, ~50 MB/s, on another partition); perf_hooks.monitorEventLoopDelay p50/p99/max for 3 s before and 3 s
 *     from the deletion (retention: rename to .deleted at once, unlink in the background after
 *     file.delete.delay.ms=0); appends/s in both windows.
 *
 * Run: node dist/bench/log-management.js [cleanMiB=256] [deleteMiB=1024]. Prints a table and one JSON line.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { buildRecordBatch } from '../src/protocol/records/index.js';
import { LogManager } from '../src/storage/index.js';

const CLEAN_MIB = Number(process.argv[2] ?? 256);
const DELETE_MIB = Number(process.argv[3] ?? 1024);

async function cleanerThroughput(dir: string): Promise<Record<string, number>> {
  const manager = await LogManager.open({
    logDirs: [dir],
    brokerConfig: { 'log.segment.bytes': 16 * 1024 * 1024, 'samsa.log.flush.durable': false, 'log.cleanup.policy': 'compact', 'log.cleaner.backoff.ms': 2 ** 30, 'log.segment.delete.delay.ms': 0 },
  });
  const log = await manager.getOrCreateLog('compacted', 0, { config: manager.configFor({}) });
  const value = Buffer.alloc(100, 0x61);
  let written = 0;
  let n = 0;
  while (written < CLEAN_MIB * 1024 * 1024) {
    const records = Array.from({ length: 100 }, () => ({ key: Buffer.from(`key-${(n++ * 7919) % 100_000}`), value, timestamp: Date.now() }));
    const batch = buildRecordBatch(records);
    await log.append(batch, 0);
    written += batch.length;
  }
  log.updateHighWatermark(log.logEndOffset);
  await log.roll();
  await log.flush();
  const cleaner = manager.cleaner!;
  const segmentsBefore = log.numberOfSegments;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const started = performance.now();
  await cleaner.clean(log, true);
  const seconds = (performance.now() - started) / 1000;
  loop.disable();
  const s = cleaner.stats;
  const result = {
    logMiB: written / 2 ** 20,
    records: n,
    seconds,
    cleanedMBps: written / 1e6 / seconds,
    readMBps: (s.bytesRead + written) / 1e6 / seconds,
    writtenMiB: s.bytesWritten / 2 ** 20,
    retained: s.recordsRetained,
    passes: s.passes,
    segmentsBefore,
    segmentsAfter: log.numberOfSegments,
    loopDelayP99Ms: loop.percentile(99) / 1e6,
    loopDelayMaxMs: loop.max / 1e6,
  };
  await manager.close();
  return result;
}

async function deletionUnderLoad(dir: string): Promise<Record<string, number>> {
  const manager = await LogManager.open({
    logDirs: [dir],
    brokerConfig: {
      'log.segment.bytes': 1100 * 1024 * 1024,
      'message.max.bytes': 2 * 1024 * 1024,
      'samsa.log.flush.durable': false,
      'log.segment.delete.delay.ms': 0,
      'log.retention.check.interval.ms': 2 ** 30,
    },
  });
  const big = await manager.getOrCreateLog('big', 0, { config: manager.configFor({}) });
  const chunk = buildRecordBatch([{ value: Buffer.alloc(1024 * 1024 - 100, 0x62), timestamp: Date.now() }]);
  for (let i = 0; i < DELETE_MIB; i++) await big.append(Buffer.from(chunk), 0);
  big.updateHighWatermark(big.logEndOffset);
  await big.roll();
  await big.flush();
  const bigBytes = (await big.sizeInBytes()) / 2 ** 20;

  const hot = await manager.getOrCreateLog('hot', 0, { config: manager.configFor({}) });
  const small = buildRecordBatch(Array.from({ length: 16 }, () => ({ value: Buffer.alloc(1000, 0x63), timestamp: Date.now() })));
  let appends = 0;
  let stop = false;
  // Paced at RATE appends/s (16 KiB each, ~50 MB/s): an unpaced loop fills the page cache faster
  // than writeback drains it, and then every synchronous pwrite waits on the kernel's dirty throttling.
  const RATE = 3000;
  const loadStarted = performance.now();
  const load = (async () => {
    while (!stop) {
      await hot.append(Buffer.from(small), 0);
      appends++;
      const ahead = (appends * 1000) / RATE - (performance.now() - loadStarted);
      if (ahead > 1) await new Promise((r) => setTimeout(r, ahead));
    }
  })();
  const window = async (ms: number) => {
    const h = monitorEventLoopDelay({ resolution: 1 });
    const a0 = appends;
    h.enable();
    await new Promise((r) => setTimeout(r, ms));
    h.disable();
    return { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6, appendsPerSec: ((appends - a0) * 1000) / ms };
  };
  await new Promise((r) => setTimeout(r, 500));
  const before = await window(3000);
  const deleteStarted = performance.now();
  const during = window(3000);
  await big.advanceLogStartOffset(big.logEndOffset); // the whole 1 GiB segment goes (renamed now, unlinked in the background)
  const deleteCallMs = performance.now() - deleteStarted;
  const duringResult = await during;
  stop = true;
  await load;
  await manager.close();
  return {
    segmentMiB: bigBytes,
    deleteCallMs,
    beforeP50: before.p50,
    beforeP99: before.p99,
    beforeMax: before.max,
    beforeAppendsPerSec: before.appendsPerSec,
    duringP50: duringResult.p50,
    duringP99: duringResult.p99,
    duringMax: duringResult.max,
    duringAppendsPerSec: duringResult.appendsPerSec,
  };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-bench-logmgmt-'));
  try {
    const clean = await cleanerThroughput(join(dir, 'clean'));
    console.log(
      `cleaner: ${clean.logMiB!.toFixed(0)} MiB (${clean.records} records, 100,000 keys) cleaned in ${clean.seconds!.toFixed(2)} s: ` +
        `${clean.cleanedMBps!.toFixed(1)} MB/s of log cleaned (${clean.readMBps!.toFixed(1)} MB/s read), ${clean.writtenMiB!.toFixed(1)} MiB written, ` +
        `${clean.retained} records retained, ${clean.passes} pass(es), ${clean.segmentsBefore} → ${clean.segmentsAfter} segments; ` +
        `event-loop delay while cleaning p99 ${clean.loopDelayP99Ms!.toFixed(1)} ms, max ${clean.loopDelayMaxMs!.toFixed(1)} ms`,
    );
    const del = await deletionUnderLoad(join(dir, 'delete'));
    console.log(`deleting a ${del.segmentMiB!.toFixed(0)} MiB segment under produce load (call returned in ${del.deleteCallMs!.toFixed(1)} ms):`);
    console.log(`  event-loop delay   p50       p99       max       appends/s`);
    console.log(`  before            ${del.beforeP50!.toFixed(2).padStart(6)} ms ${del.beforeP99!.toFixed(2).padStart(6)} ms ${del.beforeMax!.toFixed(2).padStart(6)} ms ${del.beforeAppendsPerSec!.toFixed(0).padStart(8)}`);
    console.log(`  during deletion   ${del.duringP50!.toFixed(2).padStart(6)} ms ${del.duringP99!.toFixed(2).padStart(6)} ms ${del.duringMax!.toFixed(2).padStart(6)} ms ${del.duringAppendsPerSec!.toFixed(0).padStart(8)}`);
    console.log(JSON.stringify({ bench: 'log-management', cleaner: clean, deletion: del }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
