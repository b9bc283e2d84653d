/**
 * Samsa vs Apache Kafka 4.1.1, same machine, same run, same load generators:
 *
 *   npm run bench:kafka          (= tsc -p . && node dist/bench/apache-kafka.js)
 *
 * Needs java (openjdk-17-jre-headless) and, the first time, mvn (the Kafka jars are fetched from
 * Maven Central into ~/.cache/samsa by tools/apache-kafka). Three brokers, each a separate
 * process with a fresh data dir, stopped by PID at the end:
 *  - samsa/os:      `samsa start` with samsa.log.flush.durable=false (page cache, like Kafka);
 *  - samsa/durable: `samsa start` at its default (fdatasync before the produce ack);
 *  - kafka:         Apache Kafka 4.1.1, single-node KRaft, its defaults (page cache), with the
 *                   heap (-Xmx1G -Xms1G) and JVM flags of bin/kafka-server-start.sh.
 * Both brokers get group.initial.rebalance.delay.ms=0 (tools/apache-kafka sets it for Kafka).
 *
 * All three run at once (idle when not under load); each gets an unmeasured warm-up (JIT; the
 * first consumer group, which creates __consumer_offsets). Then for 1 and 8 partitions (RF 1,
 * fresh topic each) × 100 B and 1 KiB records each load below runs on every broker in turn, the
 * order rotated at each step (the machine's load drifts; no broker gets all the quiet minutes):
 *  - perf produce:  Kafka's kafka-producer-perf-test (ProducerPerformance), --throughput -1, the
 *                   producer's defaults (acks=all, idempotence on, batch.size 16384, linger.ms 5,
 *                   max.in.flight 5, buffer.memory 32 MiB, no compression), a fixed record count;
 *  - perf produce 5k/s (1 KiB only): the same tool at --throughput 5000 for 6 s: latency at light
 *                   load, where the producer's buffer does not fill up;
 *  - perf consume:  kafka-consumer-perf-test (ConsumerPerformance) reading those records back
 *                   (a consumer group, the consumer's defaults, fetch-size 1 MiB);
 *  - gen produce:   our generator (bench/lib/load.ts): one connection, 5 requests in flight,
 *                   pre-encoded batches of ≤ 16 KiB (what batch.size 16384 holds), acks=-1, one
 *                   batch per request, each in-flight slot cycling over the partitions;
 *  - gen consume:   our generator reading that topic back: one connection, Fetch maxBytes 50 MiB,
 *                   partitionMaxBytes 1 MiB (the Java consumer's fetch.max.bytes and
 *                   max.partition.fetch.bytes).
 * The perf tools run with -Xmx512M and the JVM flags of bin/kafka-run-class.sh.
 *
 * Columns: records/s and MB/s (MB = MiB of record values; for perf-test its own figures, for
 * consume its fetch.* figures, which leave out the group join); p99 ms: perf produce = the
 * tool's send→ack-callback p99 per record (at --throughput -1 this is mostly time queued in the
 * producer's 32 MiB buffer, i.e. buffer ÷ throughput), gen produce = request round trip p99;
 * broker CPU = utime+stime of the broker process (all threads, /proc/<pid>/stat) over the
 * measured window as % of one core (perf tools: broker CPU over the tool's whole run ÷ the
 * tool's measured time); CPU ms/MiB = broker CPU per MiB of values (its cost: on a busy machine
 * steadier than MB/s); runq wait = time the broker's threads were runnable but had no CPU
 * (/proc/<pid>/task/<tid>/schedstat, summed over threads, so above 100% for a busy JVM), % of
 * the window: high means the machine held it back;
 * client CPU the same for the load generator process; RSS peak/end =
 * largest VmRSS sampled every 100 ms during the scenario / VmRSS at its end; load1 = the 1-min
 * load average when the scenario started (the machine may be shared); errors = produce/fetch
 * errors of our generator, WARN/ERROR lines and exceptions printed by the perf tools.
 * Prints a table and one JSON line; no assertions.
 *
 * Environment: BENCH_KAFKA_BROKERS (default "samsa/os,samsa/durable,kafka"),
 * BENCH_KAFKA_PARTITIONS (default "1,8"), BENCH_KAFKA_RECORDS_100B (default 1500000),
 * BENCH_KAFKA_RECORDS_1KIB (default 200000), BENCH_DURATION_MS / BENCH_WARMUP_MS (our
 * generator's window, default 5000 / 1000), BENCH_KAFKA_TOOL_TIMEOUT_MS (default 180000).
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { KAFKA_VERSION, startApacheKafka } from '../tools/apache-kafka/kafka.js';
import { printReport, type BrokerKind, type BrokerSummary, type Row } from './lib/apache-kafka-report.js';
import { BrokerProcess } from './lib/broker-process.js';
import { createTopic, makeBatch, negotiateVersions, type TopicInfo, type Versions } from './lib/kafka.js';
import { KAFKA_JVM_PERF_OPTS, perfConsume, perfProduce, type Measured } from './lib/kafka-perf.js';
import type { ConsumeResult, ErrorTally, ProduceResult } from './lib/load.js';
import { procCmdline, procCpuMs, procMem, procRunqWaitMs, watch } from './lib/proc.js';
import { RawConnection } from './lib/raw-client.js';
import { fmt, MiB } from './lib/stats.js';
import { runWorkers } from './lib/workers.js';

const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const BROKERS = (process.env.BENCH_KAFKA_BROKERS ?? 'samsa/os,samsa/durable,kafka').split(',').map((s) => s.trim()) as BrokerKind[];
const PARTITIONS = (process.env.BENCH_KAFKA_PARTITIONS ?? '1,8').split(',').map(Number);
const RECORDS: Record<number, number> = { 100: env('BENCH_KAFKA_RECORDS_100B', 1_500_000), 1024: env('BENCH_KAFKA_RECORDS_1KIB', 200_000) };
const DURATION_MS = env('BENCH_DURATION_MS', 5000);
const WARMUP_MS = env('BENCH_WARMUP_MS', 1000);
const SIZES = [100, 1024];
const BATCH_BYTES = 16_384; // the Java producer's batch.size default
const IN_FLIGHT = 5; // its max.in.flight.requests.per.connection default
/** records/s of the light-load perf-test run (1 KiB records, 6 s): latency without queueing. */
const LIGHT_RATE = 5000;

// ---------------------------------------------------------------- brokers

interface Broker {
  kind: BrokerKind;
  host: string;
  port: number;
  bootstrap: string;
  pid: number;
  stop(): Promise<void>;
  tail(): string;
}

async function startBroker(kind: BrokerKind): Promise<Broker> {
  if (kind === 'kafka') {
    // startApacheKafka spawns java itself; JAVA_TOOL_OPTIONS adds kafka-server-start.sh's flags.
    const saved = process.env.JAVA_TOOL_OPTIONS;
    process.env.JAVA_TOOL_OPTIONS = KAFKA_JVM_PERF_OPTS.join(' ');
    try {
      const k = await startApacheKafka({ heap: '1g' });
      return { kind, host: k.host, port: k.port, bootstrap: k.bootstrap, pid: k.pid, stop: k.stop, tail: () => k.output().trim().split('\n').slice(-10).join('\n') };
    } finally {
      if (saved === undefined) delete process.env.JAVA_TOOL_OPTIONS;
      else process.env.JAVA_TOOL_OPTIONS = saved;
    }
  }
  const b = await BrokerProcess.start({
    overrides: { 'samsa.log.flush.durable': kind === 'samsa/durable', 'samsa.log.level': 'warn', 'group.initial.rebalance.delay.ms': 0 },
    startTimeoutMs: 30_000,
  });
  return {
    kind,
    host: b.host,
    port: b.port,
    bootstrap: `${b.host}:${b.port}`,
    pid: b.pid,
    stop: async () => {
      const code = await b.stop();
      if (code !== 0 && code !== null) console.error(`warning: samsa exited with ${code}: ${b.stderr().join('\n')}`);
    },
    tail: () => b.stderr().slice(-10).join('\n'),
  };
}

/** The measured PID must be the broker itself (the JVM running kafka.Kafka, the node running samsa start). */
function checkPid(b: Broker): void {
  const cmd = procCmdline(b.pid);
  const ok = b.kind === 'kafka' ? /\bjava\b.*\bkafka\.Kafka\b/.test(cmd) : cmd.includes('samsa.js start');
  if (!ok) throw new Error(`PID ${b.pid} is not the ${b.kind} broker: ${cmd.slice(0, 200)}`);
}

// ---------------------------------------------------------------- scenarios

/** Records of `size` bytes that fit one batch of at most batch.size bytes (the Java producer's rule). */
function recordsPerBatch(size: number): number {
  let n = 1;
  while (makeBatch(n + 1, size).length <= BATCH_BYTES) n++;
  return n;
}

function tallyCount(t: ErrorTally): number {
  return Object.values(t.byCode).reduce((a, b) => a + b, 0) + t.transport;
}

async function genProduce(b: Broker, versions: Versions, topic: TopicInfo, size: number, durationMs = DURATION_MS): Promise<Measured & { written: number }> {
  const perBatch = recordsPerBatch(size);
  const w = watch(b.pid);
  const waits: number[] = []; // read when runWorkers reads the CPU time: window start and end
  const run = await runWorkers({ cpuMs: () => (waits.push(procRunqWaitMs(b.pid)), procCpuMs(b.pid)) }, [
    {
      kind: 'produce',
      host: b.host,
      port: b.port,
      topic: topic.name,
      partitions: Array.from({ length: topic.partitions }, (_, i) => i),
      version: versions.produce,
      acks: -1,
      recordSize: size,
      recordsPerBatch: perBatch,
      connections: 1,
      inFlight: IN_FLIGHT,
      warmupMs: WARMUP_MS,
      durationMs,
      slotOffset: 0,
      rotatePartitions: true,
    },
  ]);
  const mem = w.stop();
  const r = run.results[0] as ProduceResult;
  return {
    records: r.records,
    recordsPerSec: (r.records * 1000) / r.elapsedMs,
    mbPerSec: (r.payloadBytes * 1000) / r.elapsedMs / MiB,
    p99Ms: r.rttMs.p99,
    brokerCpuPct: (run.brokerCpuMs / run.windowMs) * 100,
    runqWaitPct: ((waits[1]! - waits[0]!) / run.windowMs) * 100,
    clientCpuPct: (r.clientCpuMs / r.elapsedMs) * 100,
    peakRssMiB: mem.peakRss / MiB,
    endRssMiB: mem.endRss / MiB,
    errors: tallyCount(r.errors),
    errorSample: r.errors.samples[0] ?? '',
    note: `${perBatch} records/batch, ${fmt((r.requests * 1000) / r.elapsedMs, 0)} req/s, rtt p50 ${fmt(r.rttMs.p50, 1)} ms`,
    written: r.totalRecords,
  };
}

async function genConsume(b: Broker, versions: Versions, topic: TopicInfo, size: number, expected: number): Promise<Measured> {
  const w = watch(b.pid);
  const waits: number[] = []; // read when runWorkers reads the CPU time: window start and end
  const run = await runWorkers({ cpuMs: () => (waits.push(procRunqWaitMs(b.pid)), procCpuMs(b.pid)) }, [
    {
      kind: 'consume',
      host: b.host,
      port: b.port,
      topic,
      partitions: Array.from({ length: topic.partitions }, (_, i) => i),
      version: versions.fetch,
      connections: 1,
      maxBytes: 50 * MiB,
      partitionMaxBytes: MiB,
      recordSize: size,
    },
  ]);
  const mem = w.stop();
  const r = run.results[0] as ConsumeResult;
  let errors = tallyCount(r.errors);
  let sample = r.errors.samples[0] ?? '';
  if (r.records !== expected) (errors++, (sample ||= `read ${r.records} records, ${expected} were acknowledged`));
  return {
    records: r.records,
    recordsPerSec: (r.records * 1000) / r.elapsedMs,
    mbPerSec: (r.records * size * 1000) / r.elapsedMs / MiB,
    p99Ms: NaN,
    brokerCpuPct: (run.brokerCpuMs / run.windowMs) * 100,
    runqWaitPct: ((waits[1]! - waits[0]!) / run.windowMs) * 100,
    clientCpuPct: (r.clientCpuMs / r.elapsedMs) * 100,
    peakRssMiB: mem.peakRss / MiB,
    endRssMiB: mem.endRss / MiB,
    errors,
    errorSample: sample,
    note: `${r.fetches} fetches`,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Live {
  b: Broker;
  conn: RawConnection;
  versions: Versions;
  summary: BrokerSummary;
}

/** Starts a broker, takes its idle figures and warms it up (unmeasured, the same for every broker). */
async function setupBroker(kind: BrokerKind): Promise<Live> {
  const t0 = performance.now();
  const b = await startBroker(kind);
  const startMs = performance.now() - t0;
  try {
    checkPid(b);
    // Idle: 1–3 s after start, before any topic exists.
    await sleep(1000);
    const idleCpu0 = procCpuMs(b.pid);
    await sleep(2000);
    const idleCpuPct = ((procCpuMs(b.pid) - idleCpu0) / 2000) * 100;
    const idleRssMiB = procMem(b.pid).rss / MiB;
    const conn = await RawConnection.connect(b.host, b.port);
    const versions = await negotiateVersions(conn);
    // Warm-up of both code paths (the JVM and V8 JITs).
    const wt = await createTopic(conn, versions, 'warmup', 1);
    await perfProduce(b, wt.name, 100, 300_000);
    await perfConsume(b, wt.name, 300_000); // also creates __consumer_offsets, outside the figures
    await genProduce(b, versions, await createTopic(conn, versions, 'warmup-gen', 1), 1024, 1000);
    console.log(`  ${kind}: started in ${fmt(startMs / 1000, 1)} s (PID ${b.pid}), idle RSS ${fmt(idleRssMiB, 0)} MiB, idle CPU ${fmt(idleCpuPct, 1)}%, warmed up`);
    return { b, conn, versions, summary: { broker: kind, pid: b.pid, startMs, idleRssMiB, idleCpuPct, hwmMiB: NaN } };
  } catch (e) {
    console.error(`${kind} broker output:\n${b.tail()}`);
    await b.stop();
    throw e;
  }
}

/**
 * Every load runs on every broker before the next load starts, in an order rotated at each step:
 * the machine is shared, and its load drifts over minutes, so no broker gets all the quiet (or
 * all the busy) minutes. All brokers stay up (idle) meanwhile.
 */
async function runAll(live: Live[], rows: Row[]): Promise<void> {
  let step = 0;
  const each = async (fn: (l: Live) => Promise<void>) => {
    const order = live.map((_, i) => live[(i + step) % live.length]!);
    step++;
    for (const l of order) await fn(l);
  };
  const push = (l: Live, load: Row['load'], size: number, partitions: number, load1: number, m: Measured) => {
    const r: Row = { broker: l.b.kind, load, recordSize: size, partitions, load1, ...m };
    rows.push(r);
    console.log(`  ${r.broker} ${load} ${size} B ${partitions}p: ${fmt(r.recordsPerSec, 0)} records/s, ${fmt(r.mbPerSec)} MB/s, errors ${r.errors}${r.errorSample ? ` (${r.errorSample})` : ''}`);
  };
  for (const partitions of PARTITIONS) {
    for (const size of SIZES) {
      const perfTopic = new Map<Live, { topic: string; records: number }>();
      await each(async (l) => {
        const t = await createTopic(l.conn, l.versions, `perf-${size}b-${partitions}p`, partitions);
        const load1 = loadavg()[0]!;
        const m = await perfProduce(l.b, t.name, size, RECORDS[size]!);
        perfTopic.set(l, { topic: t.name, records: m.records || RECORDS[size]! });
        push(l, 'perf produce', size, partitions, load1, m);
      });
      await each(async (l) => {
        const { topic, records } = perfTopic.get(l)!;
        const load1 = loadavg()[0]!;
        push(l, 'perf consume', size, partitions, load1, await perfConsume(l.b, topic, records));
      });
      if (size === 1024) {
        // Light load: latency without the producer's buffer filling up.
        await each(async (l) => {
          const t = await createTopic(l.conn, l.versions, `perf-5k-${partitions}p`, partitions);
          const load1 = loadavg()[0]!;
          push(l, 'perf produce 5k/s', size, partitions, load1, await perfProduce(l.b, t.name, size, LIGHT_RATE * 6, LIGHT_RATE));
        });
      }
      const genTopic = new Map<Live, { topic: TopicInfo; written: number }>();
      await each(async (l) => {
        const t = await createTopic(l.conn, l.versions, `gen-${size}b-${partitions}p`, partitions);
        const load1 = loadavg()[0]!;
        const { written, ...m } = await genProduce(l.b, l.versions, t, size);
        genTopic.set(l, { topic: t, written });
        push(l, 'gen produce', size, partitions, load1, m);
      });
      await each(async (l) => {
        // Everything acknowledged, warm-up included, is read back.
        const { topic, written } = genTopic.get(l)!;
        const load1 = loadavg()[0]!;
        push(l, 'gen consume', size, partitions, load1, await genConsume(l.b, l.versions, topic, size, written));
      });
    }
  }
}

function uptime(): string {
  return spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
}

async function main(): Promise<void> {
  const started = performance.now();
  const javaVersion = spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr.split('\n')[0]?.trim() ?? '?';
  const uptimeStart = uptime();
  console.log(`Samsa vs Apache Kafka ${KAFKA_VERSION}: ${cpus().length} CPUs, node ${process.version}, ${javaVersion}`);
  console.log(`records per perf-test run: ${RECORDS[100]} × 100 B, ${RECORDS[1024]} × 1 KiB; generator: ${WARMUP_MS} ms warm-up + ${DURATION_MS} ms measured`);
  console.log(`uptime at start: ${uptimeStart}`);
  const rows: Row[] = [];
  const brokers: BrokerSummary[] = [];
  const live: Live[] = [];
  try {
    for (const kind of BROKERS) live.push(await setupBroker(kind));
    await runAll(live, rows);
    for (const l of live) brokers.push({ ...l.summary, hwmMiB: procMem(l.b.pid).hwm / MiB });
  } catch (e) {
    for (const l of live) console.error(`${l.b.kind} broker output:\n${l.b.tail()}`);
    throw e;
  } finally {
    for (const l of live) {
      l.conn.close();
      await l.b.stop();
    }
  }
  const uptimeEnd = uptime();
  printReport({
    rows,
    brokers,
    brokerOrder: BROKERS,
    javaVersion,
    uptimeStart,
    uptimeEnd,
    elapsedMs: performance.now() - started,
    config: { records: RECORDS, partitions: PARTITIONS, warmupMs: WARMUP_MS, durationMs: DURATION_MS, batchBytes: BATCH_BYTES, inFlight: IN_FLIGHT },
  });
}

await main();
