/**
 * Broker throughput, latency and memory: node dist/bench/broker.js [produce] [consume] [latency] [--profile]
 *
 * Starts `samsa start` as a child process (fresh temp log dir per scenario, port read from the
 * banner, stopped by PID) and drives it from forked load-generator processes
 * (bench/lib/load-worker.ts) that send PRE-ENCODED Produce frames (only the correlation id is
 * patched per send) over several connections with several requests in flight. Every response is
 * checked; errors are counted and printed. Prints a table and one JSON line; no assertions.
 *
 * Environment: BENCH_DURATION_MS (measured window per scenario, default 4000), BENCH_WARMUP_MS
 * (default 1000), BENCH_WORKERS (load processes, default 1), BENCH_CONNECTIONS (default 4),
 * BENCH_IN_FLIGHT (per connection, default 8), BENCH_FILL_MIB (consume fill, default 384),
 * BENCH_CONSUME_PARTITIONS (default 8), BENCH_CONSUME_CONNECTIONS (default 4),
 * BENCH_LATENCY_CAP (records/s cap of the half-load latency run, default 100000),
 * BENCH_WORKER_NODE_ARGS (node flags for the load processes, e.g. to profile them).
 *
 * --profile: runs three produce scenarios, fill + consume and the light-load latency run with
 * the broker under `node --cpu-prof` and prints where its main thread spends its time (the
 * figures of that run are not comparable with a normal run).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerProcess } from './lib/broker-process.js';
import { formatProfile, summarizeProfile, type ProfileSummary } from './lib/cpuprofile.js';
import { ensureTopic, negotiateVersions, type TopicInfo, type Versions } from './lib/kafka.js';
import type { ConsumeResult, ErrorTally, LatencyResult, ProduceResult, ProduceTask, SinkResult, Task } from './lib/load.js';
import { RawConnection } from './lib/raw-client.js';
import { fmt, MiB, table, type Percentiles } from './lib/stats.js';
import { runWorkers as runWorkersIn } from './lib/workers.js';

const env = (k: string, d: number) => (process.env[k] !== undefined && process.env[k] !== '' ? Number(process.env[k]) : d);
const DURATION_MS = env('BENCH_DURATION_MS', 4000);
const WARMUP_MS = env('BENCH_WARMUP_MS', 1000);
const WORKERS = Math.max(1, env('BENCH_WORKERS', 1));
const CONNECTIONS = env('BENCH_CONNECTIONS', 4);
const IN_FLIGHT = env('BENCH_IN_FLIGHT', 8);
const FILL_MIB = env('BENCH_FILL_MIB', 384);
const LATENCY_CAP = env('BENCH_LATENCY_CAP', 100_000);
const CONSUME_CONNECTIONS = env('BENCH_CONSUME_CONNECTIONS', 4);
const CONSUME_PARTITIONS = env('BENCH_CONSUME_PARTITIONS', 8);
const KiB = 1024;
/** Node flags for the load processes (diagnostics, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p"). */
const WORKER_NODE_ARGS = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');

/** Targets from issue 4, for this 2-core machine. */
const TARGETS = {
  produce100BRecordsPerSec: 2_000_000,
  produce1KiBMBps: 600,
  durable1KiBMBps: 150,
  consumeMBps: 1536,
  e2eP99Ms: 5,
  idleRssMiB: 64,
};

interface ProduceScenario {
  name: string;
  durable: boolean;
  acks: number;
  recordSize: number;
  recordsPerBatch: number;
  partitions: number;
}

interface ProduceFigure extends ProduceScenario {
  recordsPerSec: number;
  mbPerSec: number;
  requestsPerSec: number;
  rttMs: Percentiles;
  brokerCpuPct: number;
  clientCpuPct: number;
  brokerPeakRssMiB: number;
  errors: ErrorTally;
  /** 1-minute load average when the scenario started (other work on the machine shows here). */
  load1: number;
}

const args = process.argv.slice(2);
const profile = args.includes('--profile');
const parts = args.filter((a) => !a.startsWith('-'));
const want = (p: string) => parts.length === 0 || parts.includes(p);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Samples the broker's VmRSS every 100 ms; `peak()` is the largest seen (plus VmHWM at the end). */
function rssSampler(b: BrokerProcess): { stop: () => number } {
  let peak = 0;
  const sample = () => {
    try {
      peak = Math.max(peak, b.memory().rssBytes);
    } catch {
      /* exited */
    }
  };
  sample();
  const timer = setInterval(sample, 100);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/** Forked load workers (bench/lib/workers.ts) with this bench's node flags. */
const runWorkers = (broker: BrokerProcess | undefined, tasks: Task[]) => runWorkersIn(broker, tasks, WORKER_NODE_ARGS);

function mergeTallies(ts: ErrorTally[]): ErrorTally {
  const out: ErrorTally = { byCode: {}, samples: [], transport: 0 };
  for (const t of ts) {
    for (const [k, v] of Object.entries(t.byCode)) out.byCode[Number(k)] = (out.byCode[Number(k)] ?? 0) + v;
    out.samples.push(...t.samples.slice(0, 5 - out.samples.length));
    out.transport += t.transport;
  }
  return out;
}
function errorCount(t: ErrorTally): number {
  return Object.values(t.byCode).reduce((a, b) => a + b, 0) + t.transport;
}
function errorText(t: ErrorTally): string {
  const n = errorCount(t);
  return n === 0 ? '0' : `${n} (${Object.entries(t.byCode).map(([c, v]) => `code ${c}×${v}`).join(', ')}${t.transport ? `, transport×${t.transport}` : ''})`;
}

async function setup(broker: BrokerProcess, topicName: string): Promise<{ versions: Versions; topic: TopicInfo }> {
  const c = await RawConnection.connect(broker.host, broker.port);
  try {
    const versions = await negotiateVersions(c);
    const topic = await ensureTopic(c, versions, topicName);
    return { versions, topic };
  } finally {
    c.close();
  }
}

function produceTasks(broker: BrokerProcess, versions: Versions, topic: TopicInfo, s: ProduceScenario, extra: Partial<ProduceTask> = {}): ProduceTask[] {
  const partitions = Array.from({ length: topic.partitions }, (_, i) => i);
  const perWorker = Math.max(1, Math.floor(CONNECTIONS / WORKERS));
  return Array.from({ length: WORKERS }, (_, w) => ({
    kind: 'produce' as const,
    host: broker.host,
    port: broker.port,
    topic: topic.name,
    partitions,
    version: versions.produce,
    acks: s.acks,
    recordSize: s.recordSize,
    recordsPerBatch: s.recordsPerBatch,
    connections: perWorker,
    inFlight: IN_FLIGHT,
    warmupMs: WARMUP_MS,
    durationMs: DURATION_MS,
    slotOffset: w * perWorker * IN_FLIGHT,
    ...extra,
  }));
}

const brokerOverrides = (durable: boolean, partitions: number) => ({
  'samsa.log.flush.durable': durable,
  'num.partitions': partitions,
  'samsa.log.level': 'warn',
});

async function withBroker<T>(overrides: Record<string, string | number | boolean>, nodeArgs: string[], fn: (b: BrokerProcess) => Promise<T>): Promise<{ value: T; peakRss: number; hwm: number }> {
  const broker = await BrokerProcess.start({ overrides, nodeArgs });
  const sampler = rssSampler(broker);
  try {
    const value = await fn(broker);
    const hwm = broker.memory().hwmBytes;
    return { value, peakRss: sampler.stop(), hwm };
  } catch (e) {
    const tail = broker.stderr();
    if (tail.length > 0) console.error(`broker stderr:\n${tail.join('\n')}`);
    throw e;
  } finally {
    sampler.stop();
    const code = await broker.stop();
    if (code !== 0 && code !== null) console.error(`warning: broker exited with code ${code}; stderr:\n${broker.stderr().join('\n')}`);
  }
}

async function produceScenario(s: ProduceScenario, nodeArgs: string[] = []): Promise<ProduceFigure> {
  const load1 = loadavg()[0]!;
  const { value, peakRss, hwm } = await withBroker(brokerOverrides(s.durable, s.partitions), nodeArgs, async (broker) => {
    const { versions, topic } = await setup(broker, 'bench');
    const run = await runWorkers(broker, produceTasks(broker, versions, topic, s));
    return { run };
  });
  const rs = value.run.results as ProduceResult[];
  const records = rs.reduce((a, r) => a + r.records, 0);
  const elapsed = Math.max(...rs.map((r) => r.elapsedMs));
  const rtts = rs[0]!.rttMs;
  const clientCpu = rs.reduce((a, r) => a + r.clientCpuMs, 0);
  return {
    ...s,
    recordsPerSec: (records * 1000) / elapsed,
    mbPerSec: (records * s.recordSize * 1000) / elapsed / MiB,
    requestsPerSec: (rs.reduce((a, r) => a + r.requests, 0) * 1000) / elapsed,
    rttMs: rtts,
    brokerCpuPct: (value.run.brokerCpuMs / value.run.windowMs) * 100,
    clientCpuPct: (clientCpu / elapsed) * 100,
    brokerPeakRssMiB: Math.max(peakRss, hwm) / MiB,
    errors: mergeTallies(rs.map((r) => r.errors)),
    load1,
  };
}

const produceScenarios: ProduceScenario[] = [];
for (const mode of [
  { label: 'acks=1, page cache', durable: false, acks: 1 },
  { label: 'acks=-1, durable', durable: true, acks: -1 },
]) {
  for (const size of [100, KiB]) {
    for (const partitions of [1, 16]) {
      const recordsPerBatch = size === 100 ? 1000 : 256;
      produceScenarios.push({
        name: `produce ${size === 100 ? '100 B' : '1 KiB'} ×${recordsPerBatch}/batch, ${partitions}p, ${mode.label}`,
        durable: mode.durable,
        acks: mode.acks,
        recordSize: size,
        recordsPerBatch,
        partitions,
      });
    }
  }
}

interface ConsumeFigure {
  filledMiB: number;
  fillMBps: number;
  partitions: number;
  runs: { mbPerSec: number; payloadMBps: number; recordsPerSec: number; fetches: number; elapsedMs: number; brokerCpuPct: number; clientCpuPct: number; errors: ErrorTally }[];
  brokerPeakRssMiB: number;
}

async function consumeScenario(nodeArgs: string[] = []): Promise<ConsumeFigure> {
  const partitions = CONSUME_PARTITIONS;
  const recordSize = KiB;
  const { value, peakRss, hwm } = await withBroker(brokerOverrides(false, partitions), nodeArgs, async (broker) => {
    const { versions, topic } = await setup(broker, 'consume');
    const s: ProduceScenario = { name: 'fill', durable: false, acks: 1, recordSize, recordsPerBatch: 256, partitions };
    const fillBytes = FILL_MIB * MiB;
    const fill = await runWorkers(broker, [{ ...produceTasks(broker, versions, topic, s)[0]!, connections: CONNECTIONS, slotOffset: 0, fillBytes }]);
    const fr = fill.results[0] as ProduceResult;
    if (errorCount(fr.errors) > 0) throw new Error(`fill failed: ${errorText(fr.errors)} ${fr.errors.samples.join('; ')}`);
    const runs: ConsumeFigure['runs'] = [];
    for (let i = 0; i < 2; i++) {
      const run = await runWorkers(broker, [
        {
          kind: 'consume',
          host: broker.host,
          port: broker.port,
          topic,
          partitions: Array.from({ length: partitions }, (_, p) => p),
          version: versions.fetch,
          connections: CONSUME_CONNECTIONS,
          maxBytes: 50 * MiB,
          partitionMaxBytes: 8 * MiB,
          recordSize,
        },
      ]);
      const r = run.results[0] as ConsumeResult;
      if (r.records !== fr.totalRecords) r.errors.samples.push(`read ${r.records} records, ${fr.totalRecords} were produced`);
      runs.push({
        mbPerSec: (r.batchBytes * 1000) / r.elapsedMs / MiB,
        payloadMBps: (r.records * recordSize * 1000) / r.elapsedMs / MiB,
        recordsPerSec: (r.records * 1000) / r.elapsedMs,
        fetches: r.fetches,
        elapsedMs: r.elapsedMs,
        brokerCpuPct: (run.brokerCpuMs / run.windowMs) * 100,
        clientCpuPct: (r.clientCpuMs / r.elapsedMs) * 100,
        errors: r.errors,
      });
    }
    return { fillMiB: (fr.payloadBytes) / MiB, fillMBps: (fr.payloadBytes * 1000) / fr.elapsedMs / MiB, runs };
  });
  return { filledMiB: value.fillMiB, fillMBps: value.fillMBps, partitions, runs: value.runs, brokerPeakRssMiB: Math.max(peakRss, hwm) / MiB };
}

interface LatencyFigure {
  recordsPerSec: number;
  mbPerSec: number;
  partitions: number;
  result: LatencyResult;
  brokerCpuPct: number;
  brokerPeakRssMiB: number;
}

async function latencyScenario(recordsPerSec: number, nodeArgs: string[] = []): Promise<LatencyFigure> {
  const partitions = 4;
  const { value, peakRss, hwm } = await withBroker(brokerOverrides(false, partitions), nodeArgs, async (broker) => {
    const { versions, topic } = await setup(broker, 'latency');
    return runWorkers(broker, [
      {
        kind: 'latency',
        host: broker.host,
        port: broker.port,
        topic,
        partitions: Array.from({ length: partitions }, (_, p) => p),
        produceVersion: versions.produce,
        fetchVersion: versions.fetch,
        recordSize: KiB,
        recordsPerSec,
        maxBatchRecords: 512,
        warmupMs: WARMUP_MS,
        durationMs: Math.max(DURATION_MS, 5000),
      },
    ]);
  });
  return {
    recordsPerSec,
    mbPerSec: (recordsPerSec * KiB) / MiB,
    partitions,
    result: value.results[0] as LatencyResult,
    brokerCpuPct: (value.brokerCpuMs / value.windowMs) * 100,
    brokerPeakRssMiB: Math.max(peakRss, hwm) / MiB,
  };
}

/** Node-to-Node TCP loopback ceiling on this machine (1 GiB in 16 MiB writes, two processes). */
async function loopbackCeiling(): Promise<number> {
  const chunk = Buffer.alloc(16 * MiB, 7);
  const total = 1024 * MiB;
  const server = createServer((s) => {
    let sent = 0;
    const go = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!s.write(chunk)) {
          s.once('drain', go);
          return;
        }
      }
      s.end();
    };
    go();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const { results } = await runWorkers(undefined, [{ kind: 'sink', host: '127.0.0.1', port }]);
    const r = results[0] as SinkResult;
    return (r.bytes * 1000) / r.elapsedMs / MiB;
  } finally {
    server.close();
  }
}

async function idleRss(): Promise<{ rssMiB: number; afterTopicMiB: number }> {
  const { value } = await withBroker(brokerOverrides(false, 1), [], async (broker) => {
    await sleep(1000);
    const idle = broker.memory().rssBytes;
    await setup(broker, 'idle');
    await sleep(500);
    return { rssMiB: idle / MiB, afterTopicMiB: broker.memory().rssBytes / MiB };
  });
  return value;
}

/** Runs `fn` with the broker under `node --cpu-prof` and summarises the profile it writes at exit. */
async function profiled<T>(dir: string, fn: (nodeArgs: string[]) => Promise<T>): Promise<{ value: T; summary: ProfileSummary }> {
  const sub = mkdtempSync(join(dir, 'p-'));
  const value = await fn(['--cpu-prof', `--cpu-prof-dir=${sub}`, '--cpu-prof-interval=500']);
  const file = readdirSync(sub).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('the broker wrote no .cpuprofile');
  return { value, summary: summarizeProfile(join(sub, file), 20) };
}

async function runProfile(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-prof-'));
  const picks = [
    produceScenarios.find((s) => s.recordSize === 100 && s.partitions === 16 && !s.durable)!,
    produceScenarios.find((s) => s.recordSize === KiB && s.partitions === 16 && !s.durable)!,
    produceScenarios.find((s) => s.recordSize === KiB && s.partitions === 1 && s.durable)!,
  ].filter(() => want('produce'));
  const out: { name: string; figure: string; summary: ProfileSummary }[] = [];
  const title = 'broker profile (whole broker run incl. start-up and warm-up)';
  try {
    for (const s of picks) {
      const { value: f, summary } = await profiled(dir, (nodeArgs) => produceScenario(s, nodeArgs));
      const figure = `${fmt(f.recordsPerSec, 0)} records/s, ${fmt(f.mbPerSec)} MB/s under the profiler; errors ${errorText(f.errors)}`;
      out.push({ name: s.name, figure, summary });
      console.log(`\n${s.name}: ${figure}`);
      console.log(formatProfile(title, summary));
    }
    if (want('consume')) {
      const { value: c, summary } = await profiled(dir, (nodeArgs) => consumeScenario(nodeArgs));
      const figure = `fill ${fmt(c.fillMBps)} MB/s, consume ${c.runs.map((r) => `${fmt(r.mbPerSec)} MB/s`).join(', ')} under the profiler`;
      out.push({ name: 'fill + consume', figure, summary });
      console.log(`\nfill + consume: ${figure}`);
      console.log(formatProfile(title, summary));
    }
    if (want('latency')) {
      const { value: l, summary } = await profiled(dir, (nodeArgs) => latencyScenario(10_000, nodeArgs));
      const figure = `e2e p50 ${fmt(l.result.e2eMs.p50, 2)} ms, p99 ${fmt(l.result.e2eMs.p99, 2)} ms at 10,000 rec/s under the profiler`;
      out.push({ name: 'latency, light load', figure, summary });
      console.log(`\nlatency, light load (1 KiB × 10/batch, ~1000 produce + ~1000 fetch requests/s): ${figure}`);
      console.log(formatProfile(title, summary));
    }
    console.log(
      JSON.stringify({
        bench: 'broker-profile',
        node: process.version,
        scenarios: out.map((x) => ({
          name: x.name,
          figure: x.figure,
          idle: +x.summary.idle.toFixed(3),
          gc: +x.summary.gc.toFixed(3),
          brokerSelf: +x.summary.brokerSelf.toFixed(3),
          topSelf: x.summary.topSelf.slice(0, 10).map((e) => ({ fn: e.key, pct: +(e.self * 100).toFixed(1) })),
          topBrokerInclusive: x.summary.topBrokerInclusive.slice(0, 10).map((e) => ({ fn: e.key, pct: +(e.inclusive * 100).toFixed(1) })),
        })),
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (profile) {
    await runProfile();
    return;
  }
  const started = performance.now();
  console.log(
    `broker bench: ${WORKERS} load process(es), ${CONNECTIONS} connections × ${IN_FLIGHT} requests in flight, ${WARMUP_MS} ms warm-up + ${DURATION_MS} ms measured per scenario, fresh broker per scenario; MB = MiB (2^20 bytes) of record values`,
  );
  const idle = await idleRss();
  const produced: ProduceFigure[] = [];
  if (want('produce')) {
    for (const s of produceScenarios) {
      const f = await produceScenario(s);
      produced.push(f);
      console.log(`  ${s.name}: ${fmt(f.recordsPerSec, 0)} records/s, ${fmt(f.mbPerSec)} MB/s, errors ${errorText(f.errors)}`);
    }
  }
  let consume: ConsumeFigure | undefined;
  let loopback = NaN;
  if (want('consume')) {
    loopback = await loopbackCeiling();
    console.log(`  Node TCP loopback ceiling (no broker): ${fmt(loopback)} MB/s`);
    consume = await consumeScenario();
    console.log(`  consume: ${consume.runs.map((r) => `${fmt(r.mbPerSec)} MB/s`).join(', ')}`);
  }
  const latencies: (LatencyFigure & { label: string })[] = [];
  if (want('latency')) {
    const oneKiB = produced.filter((f) => f.recordSize === KiB && f.acks === 1);
    const measured = oneKiB.length > 0 ? Math.max(...oneKiB.map((f) => f.recordsPerSec)) : 2 * LATENCY_CAP;
    const rate = Math.round(Math.min(measured / 2, LATENCY_CAP));
    for (const [label, r] of [
      [`half load (½ of ${fmt(measured, 0)} rec/s${measured / 2 > LATENCY_CAP ? `, capped at ${LATENCY_CAP}` : ''})`, rate],
      ['light load (10,000 rec/s, for reference)', 10_000],
    ] as const) {
      const l = await latencyScenario(r);
      latencies.push({ ...l, label });
      console.log(`  latency at ${fmt(r, 0)} records/s: p99 ${fmt(l.result.e2eMs.p99, 2)} ms`);
    }
  }

  // ---- report ----
  const prodRows = produced.map((f) => {
    const target =
      f.recordSize === 100 && f.acks === 1
        ? `≥ ${fmt(TARGETS.produce100BRecordsPerSec / 1e6, 0)} M rec/s`
        : f.recordSize === KiB && f.acks === 1
          ? `≥ ${TARGETS.produce1KiBMBps} MB/s`
          : f.recordSize === KiB && f.durable
            ? `≥ ${TARGETS.durable1KiBMBps} MB/s`
            : '-';
    const met =
      f.recordSize === 100 && f.acks === 1
        ? f.recordsPerSec >= TARGETS.produce100BRecordsPerSec
        : f.recordSize === KiB && f.acks === 1
          ? f.mbPerSec >= TARGETS.produce1KiBMBps
          : f.recordSize === KiB && f.durable
            ? f.mbPerSec >= TARGETS.durable1KiBMBps
            : undefined;
    return [
      f.name,
      fmt(f.recordsPerSec, 0),
      fmt(f.mbPerSec),
      fmt(f.requestsPerSec, 0),
      `${fmt(f.rttMs.p50, 1)}/${fmt(f.rttMs.p99, 1)}`,
      `${fmt(f.brokerCpuPct, 0)}%`,
      `${fmt(f.clientCpuPct, 0)}%`,
      fmt(f.brokerPeakRssMiB, 0),
      fmt(f.load1, 1),
      errorText(f.errors),
      target,
      met === undefined ? '' : met ? 'met' : 'NOT met',
    ];
  });
  if (produced.length > 0) console.log('\nProduce (one batch per request; batches: 100 B × 1000 records, 1 KiB × 256 records; uncompressed, null keys)');
  if (produced.length > 0) console.log(table(['scenario', 'records/s', 'MB/s', 'req/s', 'rtt p50/p99 ms', 'broker CPU', 'client CPU', 'peak RSS MiB', 'load1', 'errors', 'target', ''], prodRows));

  if (consume) {
    console.log(`\nConsume (filled ${fmt(consume.filledMiB, 0)} MiB of 1 KiB records into ${consume.partitions} partitions at ${fmt(consume.fillMBps)} MB/s, acks=1; Fetch v-latest from offset 0 to the end, maxBytes 50 MiB, partitionMaxBytes 8 MiB, ${CONSUME_CONNECTIONS} connections × 1 fetch in flight; data in page cache)`);
    console.log(
      table(
        ['run', 'MB/s (batches)', 'MB/s (values)', 'records/s', 'fetches', 'broker CPU', 'client CPU', 'peak RSS MiB', 'errors', 'target', ''],
        consume.runs.map((r, i) => [
          `consume #${i + 1}`,
          fmt(r.mbPerSec),
          fmt(r.payloadMBps),
          fmt(r.recordsPerSec, 0),
          String(r.fetches),
          `${fmt(r.brokerCpuPct, 0)}%`,
          `${fmt(r.clientCpuPct, 0)}%`,
          fmt(consume!.brokerPeakRssMiB, 0),
          errorText(r.errors) + (r.errors.samples.length ? ` ${r.errors.samples.join('; ')}` : ''),
          `≥ ${TARGETS.consumeMBps} MB/s`,
          r.mbPerSec >= TARGETS.consumeMBps ? 'met' : 'NOT met',
        ]),
      ),
    );
  }
  if (latencies.length > 0) {
    console.log(
      `\nEnd-to-end latency (1 KiB records, ${latencies[0]!.partitions} partitions, acks=1 page cache; the producer sends pre-encoded batches of rate/1000 records (≈ 1 batch per ms, like linger.ms≈1; only timestamps, send time and CRC patched per send); the consumer long-polls Fetch maxWaitMs 500 minBytes 1, one fetch in flight; e2e = fetch response received − send time carried in the record value (µs clock); same process, same clock)`,
    );
    const rows: string[][] = [];
    for (const l of latencies) {
      const r = l.result;
      const at = `${fmt(l.recordsPerSec, 0)} rec/s = ${fmt(l.mbPerSec)} MB/s`;
      const clientCpu = (r.clientCpuMs / Math.max(DURATION_MS, 5000)) * 100;
      rows.push([`${l.label}: e2e`, `${at}, ${r.recordsPerBatch}/batch`, fmt(r.e2eMs.p50, 2), fmt(r.e2eMs.p99, 2), fmt(r.e2eMs.p999, 2), fmt(r.e2eMs.max, 2), fmt(r.achievedRecordsPerSec, 0), String(r.maxProduceInFlight), `${fmt(l.brokerCpuPct, 0)}%`, `${fmt(clientCpu, 0)}%`, errorText(r.errors), l === latencies[0] ? `p99 ≤ ${TARGETS.e2eP99Ms} ms: ${r.e2eMs.p99 <= TARGETS.e2eP99Ms ? 'met' : 'NOT met'}` : '']);
      rows.push([`${l.label}: e2e from record timestamps (1 ms res.)`, '', fmt(r.e2eFromTimestampMs.p50, 2), fmt(r.e2eFromTimestampMs.p99, 2), fmt(r.e2eFromTimestampMs.p999, 2), fmt(r.e2eFromTimestampMs.max, 2), '', '', '', '', '', '']);
      rows.push([`${l.label}: produce ack`, '', fmt(r.produceAckMs.p50, 2), fmt(r.produceAckMs.p99, 2), fmt(r.produceAckMs.p999, 2), fmt(r.produceAckMs.max, 2), '', '', '', '', '', '']);
    }
    console.log(table(['run', 'rate', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'achieved rec/s', 'max produce in flight', 'broker CPU', 'client CPU', 'errors', 'target'], rows));
  }
  const peaks = [...produced.map((f) => f.brokerPeakRssMiB), consume?.brokerPeakRssMiB ?? 0, ...latencies.map((l) => l.brokerPeakRssMiB)];
  const peak = Math.max(...peaks);
  console.log(`\nBroker memory: idle RSS ${fmt(idle.rssMiB)} MiB after start (${fmt(idle.afterTopicMiB)} MiB after creating a topic) — target ≤ ${TARGETS.idleRssMiB} MiB: ${idle.rssMiB <= TARGETS.idleRssMiB ? 'met' : 'NOT met'}; peak RSS under load ${fmt(peak, 0)} MiB (max VmHWM over the scenarios)`);
  const errorsTotal = produced.reduce((a, f) => a + errorCount(f.errors), 0) + (consume?.runs.reduce((a, r) => a + errorCount(r.errors), 0) ?? 0) + latencies.reduce((a, l) => a + errorCount(l.result.errors), 0);
  if (errorsTotal > 0) {
    console.log(`\n${errorsTotal} ERRORS during the run:`);
    for (const f of produced) if (errorCount(f.errors) > 0) console.log(`  ${f.name}: ${errorText(f.errors)}; ${f.errors.samples.join('; ')}`);
    for (const l of latencies) if (errorCount(l.result.errors) > 0) console.log(`  latency ${l.label}: ${errorText(l.result.errors)}; ${l.result.errors.samples.join('; ')}`);
    if (consume) for (const r of consume.runs) if (errorCount(r.errors) > 0) console.log(`  consume: ${errorText(r.errors)}; ${r.errors.samples.join('; ')}`);
  }
  console.log(`(broker bench took ${fmt((performance.now() - started) / 1000, 0)} s)`);
  const round = (x: number, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);
  const pct = (p: Percentiles) => ({ p50: round(p.p50, 3), p99: round(p.p99, 3), p999: round(p.p999, 3), max: round(p.max, 3), count: p.count });
  console.log(
    JSON.stringify({
      bench: 'broker',
      node: process.version,
      config: { workers: WORKERS, connections: CONNECTIONS, inFlight: IN_FLIGHT, warmupMs: WARMUP_MS, durationMs: DURATION_MS },
      targets: TARGETS,
      produce: produced.map((f) => ({
        name: f.name,
        acks: f.acks,
        durable: f.durable,
        recordSize: f.recordSize,
        recordsPerBatch: f.recordsPerBatch,
        partitions: f.partitions,
        recordsPerSec: Math.round(f.recordsPerSec),
        mbPerSec: round(f.mbPerSec),
        requestsPerSec: Math.round(f.requestsPerSec),
        rttMs: pct(f.rttMs),
        brokerCpuPct: round(f.brokerCpuPct, 0),
        clientCpuPct: round(f.clientCpuPct, 0),
        peakRssMiB: round(f.brokerPeakRssMiB, 0),
        load1: round(f.load1, 2),
        errors: errorCount(f.errors),
      })),
      consume: consume && {
        filledMiB: round(consume.filledMiB, 0),
        partitions: consume.partitions,
        runs: consume.runs.map((r) => ({ mbPerSec: round(r.mbPerSec), payloadMBps: round(r.payloadMBps), recordsPerSec: Math.round(r.recordsPerSec), fetches: r.fetches, errors: errorCount(r.errors) })),
        loopbackCeilingMBps: round(loopback),
      },
      latency: latencies.map((l) => ({
        label: l.label,
        recordsPerSec: l.recordsPerSec,
        mbPerSec: round(l.mbPerSec),
        achievedRecordsPerSec: Math.round(l.result.achievedRecordsPerSec),
        e2eMs: pct(l.result.e2eMs),
        e2eFromTimestampMs: pct(l.result.e2eFromTimestampMs),
        produceAckMs: pct(l.result.produceAckMs),
        maxProduceInFlight: l.result.maxProduceInFlight,
        errors: errorCount(l.result.errors),
      })),
      memory: { idleRssMiB: round(idle.rssMiB), peakRssMiB: round(peak, 0) },
      errors: errorsTotal,
    }),
  );
}

await main();
