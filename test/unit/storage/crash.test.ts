/**
 * Crash tests through the simulating file layer: for many random crash points in a stream of
 * concurrent appends (rolls, flushes and checkpoints included), recovery yields a prefix of the
 * appended batches, byte-identical, containing every batch that was reported durable.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as path from 'node:path';
import { LogManager, SimulatedFileSystem, type CrashOptions, type PartitionLog } from '../../../src/storage/index.js';
import { decodeAbortedTxns, ProducerStateManager } from '../../../src/storage/producer-state.js';
import { ProducerStateStore } from '../../../src/storage/producer-state-store.js';
import { makeBatch, ProducerDriver, producerStateOf, rng, splitBatches, type TestProducer } from './helpers.js';

const LOG_DIR = '/kafka-logs';

async function open(fs: SimulatedFileSystem, durable: boolean): Promise<LogManager> {
  return LogManager.open({
    logDirs: [LOG_DIR],
    fs,
    brokerConfig: {
      'log.segment.bytes': 3000,
      'log.index.interval.bytes': 500,
      'samsa.log.flush.durable': durable,
      'log.segment.delete.delay.ms': 0,
    },
    managerConfig: {
      recoveryPointCheckpointIntervalMs: 0,
      logStartOffsetCheckpointIntervalMs: 0,
      highWatermarkCheckpointIntervalMs: 0,
      retentionCheckIntervalMs: 0,
    },
  });
}

async function readAll(log: PartitionLog): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const batches = splitBatches(await log.readRecords(offset, 50_000, log.logEndOffset));
    // Only possible at the end: an empty active segment whose base is beyond the last surviving batch.
    if (batches.length === 0) {
      assert.equal(log.activeSegment.size, 0, `no batch at ${offset} below LEO ${log.logEndOffset}`);
      break;
    }
    out.push(...batches);
    const last = batches[batches.length - 1]!;
    offset = last.readBigInt64BE(0) + BigInt(last.readInt32BE(23)) + 1n;
  }
  return out;
}

/** Runs `work` until the simulated crash stops it, then crashes for good, restarts and reopens. */
async function crashAndRecover(fs: SimulatedFileSystem, s: Scenario, work: () => Promise<void>): Promise<LogManager> {
  try {
    await work();
  } catch (e) {
    if (!fs.crashed) throw e;
  }
  fs.crash(s.crash);
  fs.restart();
  return open(fs, s.durable);
}

interface Scenario {
  seed: number;
  durable: boolean;
  crash: CrashOptions;
  crashAfterOps: number;
}

async function runScenario(s: Scenario): Promise<{ recovered: number; durable: number }> {
  const random = rng(s.seed);
  const fs = new SimulatedFileSystem();
  const manager = await open(fs, s.durable);
  fs.crashAfterOps(s.crashAfterOps, s.crash);
  /** Batches in offset order once assigned (append patches them in place). */
  const assigned: Buffer[] = [];
  let durableCount = 0;
  const recovered = await crashAndRecover(fs, s, async () => {
    const log = await manager.getOrCreateLog('t', 0, { topicId: 'AAAAAAAAAAAAAAAAAAAAAA' });
    for (let round = 0; round < 200 && !fs.crashed; round++) {
      const concurrency = 1 + Math.floor(random() * 4);
      const batches = Array.from({ length: concurrency }, (_, i) =>
        makeBatch({ records: 1 + Math.floor(random() * 3), valueSize: 10 + Math.floor(random() * 400), fill: (round * 5 + i) % 200 }),
      );
      const pending = batches.map((b) =>
        log.append(b, 0).then((info) => {
          if (!assigned.includes(b)) assigned.push(b);
          return info;
        }),
      );
      // Appends are queued in call order, so offsets follow array order; record them as assigned.
      const settled = await Promise.allSettled(pending);
      for (let i = 0; i < batches.length; i++) {
        const b = batches[i]!;
        if (settled[i]!.status === 'fulfilled') continue;
        // A failed append may still have been assigned offsets (and its bytes may survive, unacknowledged).
        if (b.readBigInt64BE(0) !== 0n || assigned.length === 0) {
          if (!assigned.includes(b) && b.readBigInt64BE(0) === nextExpected(assigned)) assigned.push(b);
        }
      }
      if (settled.some((r) => r.status === 'rejected')) break;
      // Durable mode: acknowledged means synced. Kill -9: acknowledged means in the kernel, which survives.
      if (s.durable || s.crash.kind === 'process') durableCount = assigned.length;
      const r = random();
      if (!s.durable && r < 0.15) {
        const covered = assigned.length;
        await log.flush();
        durableCount = covered;
      } else if (r < 0.25) {
        await manager.checkpointRecoveryPoints();
      }
    }
  });
  const log = recovered.getLog('t', 0);
  const batches = log ? await readAll(log) : [];
  assert.ok(batches.length >= durableCount, `seed ${s.seed}: ${batches.length} batches recovered, ${durableCount} were durable`);
  assert.ok(batches.length <= assigned.length, `seed ${s.seed}: more batches than appended`);
  for (let i = 0; i < batches.length; i++) assert.deepEqual(batches[i], assigned[i], `seed ${s.seed}: batch ${i} differs`);
  if (log) {
    // Offsets continue right after what was recovered.
    const info = await log.append(makeBatch(), 1);
    assert.equal(info.firstOffset, log.logEndOffset - 1n);
    const next = batches.length === 0 ? 0n : batches[batches.length - 1]!.readBigInt64BE(0) + BigInt(batches[batches.length - 1]!.readInt32BE(23)) + 1n;
    assert.equal(info.firstOffset, next);
  }
  await recovered.close();
  // And a clean restart after that sees the same.
  const again = await open(fs, s.durable);
  if (log) assert.equal(again.getLog('t', 0)!.logEndOffset, log.logEndOffset);
  assert.equal(again.loadStats.recoveredSegments, 0, 'clean shutdown: no scan');
  await again.close();
  return { recovered: batches.length, durable: durableCount };
}

function nextExpected(assigned: Buffer[]): bigint {
  if (assigned.length === 0) return 0n;
  const last = assigned[assigned.length - 1]!;
  return last.readBigInt64BE(0) + BigInt(last.readInt32BE(23)) + 1n;
}

describe('crash recovery (simulated file system)', () => {
  it('power loss at random points, durable mode: every acknowledged batch survives', async () => {
    let checked = 0;
    for (let seed = 1; seed <= 90; seed++) {
      const random = rng(seed * 31);
      const tornTail = (['none', 'zeros', 'garbage'] as const)[seed % 3];
      const result = await runScenario({
        seed,
        durable: true,
        crash: { kind: 'power', random: seed % 4 === 0 ? undefined : random, tornTail },
        crashAfterOps: 1 + Math.floor(random() * 1500),
      });
      checked += result.durable;
    }
    assert.ok(checked > 800, `only ${checked} durable batches were checked`);
  });

  it('power loss at random points, os mode: every batch before a completed flush survives', async () => {
    for (let seed = 1; seed <= 50; seed++) {
      const random = rng(seed * 17);
      await runScenario({
        seed,
        durable: false,
        crash: { kind: 'power', random, tornTail: seed % 2 === 0 ? 'garbage' : 'none' },
        crashAfterOps: 1 + Math.floor(random() * 1000),
      });
    }
  });

  it('process crash (kill -9) at random points, os mode: every acknowledged batch survives', async () => {
    for (let seed = 1; seed <= 25; seed++) {
      const random = rng(seed * 13);
      const fsProbe = { kind: 'process' as const };
      const { recovered } = await runScenario({ seed, durable: false, crash: fsProbe, crashAfterOps: 1 + Math.floor(random() * 800) });
      assert.ok(recovered >= 0);
    }
  });
});

interface ProducerScenarioResult {
  /** The recovered state came from a snapshot plus the log after it. */
  fromSnapshot: boolean;
  aborted: number;
}

/**
 * Idempotent and transactional producers, commit and abort markers, snapshots, rolls and
 * flushes until a crash at a random point; then the recovered producer state and `.txnindex`
 * files must agree with what the recovered log holds.
 */
async function runProducerScenario(s: Scenario): Promise<ProducerScenarioResult> {
  const random = rng(s.seed);
  const fs = new SimulatedFileSystem();
  const manager = await open(fs, s.durable);
  fs.crashAfterOps(s.crashAfterOps, s.crash);
  const producers: TestProducer[] = [
    ...[1n, 2n, 3n].map((id) => ({ id, epoch: 0, nextSequence: 0, transactional: true, inTransaction: false })),
    ...[10n, 11n].map((id) => ({ id, epoch: 0, nextSequence: 0, transactional: false, inTransaction: false })),
  ];
  const recovered = await crashAndRecover(fs, s, async () => {
    const log = await manager.getOrCreateLog('t', 0, { topicId: 'AAAAAAAAAAAAAAAAAAAAAA' });
    const state = new ProducerStateManager('t-0');
    const driver = new ProducerDriver(log, state, new ProducerStateStore(log, state));
    for (let op = 0; op < 400 && !fs.crashed; op++) {
      const p = producers[Math.floor(random() * producers.length)]!;
      const r = random();
      if (p.inTransaction && r < 0.35) await driver.endTransaction(p, random() < 0.5);
      else await driver.produce(p, 1 + Math.floor(random() * 3));
      const t = random();
      if (t < 0.08) await driver.store.takeSnapshot();
      else if (t < 0.12) await log.flush();
      else if (t < 0.15) await log.roll();
      else if (t < 0.18) await manager.checkpointRecoveryPoints();
    }
  });
  const log = recovered.getLog('t', 0);
  let result: ProducerScenarioResult = { fromSnapshot: false, aborted: 0 };
  if (log) {
    const state = new ProducerStateManager('t-0');
    const { snapshot } = await new ProducerStateStore(log, state).load();
    const expected = producerStateOf(await readAll(log));
    const where = `seed ${s.seed} (snapshot ${snapshot}, log end ${log.logEndOffset})`;
    for (const [id, e] of expected.producers) {
      const got = state.entry(id);
      assert.ok(got, `${where}: producer ${id} is missing`);
      assert.deepEqual(
        { epoch: got.epoch, lastSeq: got.lastSeq, lastOffset: got.lastOffset, txnFirstOffset: got.currentTxnFirstOffset },
        e,
        `${where}: producer ${id}`,
      );
    }
    const brief = (t: { producerId: bigint; firstOffset: bigint; lastOffset: bigint }) => ({ producerId: t.producerId, firstOffset: t.firstOffset, lastOffset: t.lastOffset });
    assert.deepEqual(state.aborted.map(brief), expected.aborted, `${where}: aborted transactions in memory`);
    const indexed = [];
    for (const name of (await fs.readdir(log.dir)).filter((n) => n.endsWith('.txnindex')).sort()) {
      indexed.push(...decodeAbortedTxns(await fs.readFile(path.join(log.dir, name))).map(brief));
    }
    assert.deepEqual(indexed, expected.aborted, `${where}: aborted transactions in the .txnindex files`);
    result = { fromSnapshot: snapshot !== undefined && snapshot > 0n, aborted: expected.aborted.length };
  }
  await recovered.close();
  return result;
}

describe('crash recovery of producer state (simulated file system)', () => {
  const scenarios: { name: string; durable: boolean; crash: (seed: number, random: () => number) => CrashOptions; ops: number }[] = [
    { name: 'power loss, durable mode', durable: true, crash: (seed, random) => ({ kind: 'power', random, tornTail: (['none', 'zeros', 'garbage'] as const)[seed % 3] }), ops: 2500 },
    { name: 'power loss, os mode', durable: false, crash: (seed, random) => ({ kind: 'power', random, tornTail: seed % 2 === 0 ? 'garbage' : 'none' }), ops: 2000 },
    { name: 'process crash (kill -9), os mode', durable: false, crash: () => ({ kind: 'process' }), ops: 2000 },
  ];
  for (const sc of scenarios) {
    it(`${sc.name}: producers, transactions and aborted-transaction indexes agree with the recovered log`, async () => {
      let fromSnapshot = 0;
      let aborted = 0;
      for (let seed = 1; seed <= 30; seed++) {
        const random = rng(seed * 7919);
        const r = await runProducerScenario({ seed, durable: sc.durable, crash: sc.crash(seed, random), crashAfterOps: 1 + Math.floor(random() * sc.ops) });
        if (r.fromSnapshot) fromSnapshot++;
        aborted += r.aborted;
      }
      // The scenarios reach what they are meant to test: recovery from snapshots, with aborts to index.
      assert.ok(fromSnapshot >= 5, `only ${fromSnapshot} recoveries used a snapshot`);
      assert.ok(aborted >= 30, `only ${aborted} aborted transactions were checked`);
    });
  }
});
