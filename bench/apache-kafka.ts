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
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { KAFKA_TOOLS_DIR, KAFKA_VERSION, kafkaClasspath, startApacheKafka } from '../tools/apache-kafka/kafka.js';
import { BrokerProcess } from './lib/broker-process.js';
import { createTopic, makeBatch, negotiateVersions, type TopicInfo, type Versions } from './lib/kafka.js';
import type { ConsumeResult, ErrorTally, ProduceResult } from './lib/load.js';
import { RawConnection } from './lib/raw-client.js';
import { fmt, MiB, table } from './lib/stats.js';
import { runWorkers } from './lib/workers.js';

const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const BROKERS = (process.env.BENCH_KAFKA_BROKERS ?? 'samsa/os,samsa/durable,kafka').split(',').map((s) => s.trim()) as BrokerKind[];
const PARTITIONS = (process.env.BENCH_KAFKA_PARTITIONS ?? '1,8').split(',').map(Number);
const RECORDS: Record<number, number> = { 100: env('BENCH_KAFKA_RECORDS_100B', 1_500_000), 1024: env('BENCH_KAFKA_RECORDS_1KIB', 200_000) };
const DURATION_MS = env('BENCH_DURATION_MS', 5000);
const WARMUP_MS = env('BENCH_WARMUP_MS', 1000);
const TOOL_TIMEOUT_MS = env('BENCH_KAFKA_TOOL_TIMEOUT_MS', 180_000);
const SIZES = [100, 1024];
const BATCH_BYTES = 16_384; // the Java producer's batch.size default
const IN_FLIGHT = 5; // its max.in.flight.requests.per.connection default
/** records/s of the light-load perf-test run (1 KiB records, 6 s): latency without queueing. */
const LIGHT_RATE = 5000;

/**
 * KAFKA_JVM_PERFORMANCE_OPTS of bin/kafka-run-class.sh (used by kafka-server-start and the perf
 * tools), less its -server: a no-op on 64-bit JVMs that JAVA_TOOL_OPTIONS refuses.
 */
const KAFKA_JVM_PERF_OPTS = ['-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35', '-XX:+ExplicitGCInvokesConcurrent', '-XX:MaxInlineLevel=15', '-Djava.awt.headless=true'];

type BrokerKind = 'samsa/os' | 'samsa/durable' | 'kafka';

// ---------------------------------------------------------------- /proc

const CLK_TCK = 100; // USER_HZ
/** utime + stime of every thread of `pid` so far, ms. */
function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}
/**
 * Time the threads of `pid` spent runnable but waiting for a CPU so far, ms (field 2 of
 * /proc/<pid>/task/<tid>/schedstat): how much the machine's other load held the broker back.
 */
function procRunqWaitMs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
    } catch {
      /* thread exited */
    }
  }
  return ns / 1e6;
}
/** CPU time and run-queue wait of `pid`, read together. */
function procTimes(pid: number): { cpu: number; wait: number } {
  return { cpu: procCpuMs(pid), wait: procRunqWaitMs(pid) };
}
function procMem(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}
function procCmdline(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
}

/** Samples a process's VmRSS every 100 ms from now until stop(). */
function watch(pid: number): { stop: () => { peakRss: number; endRss: number } } {
  let peak = 0;
  let last = 0;
  const sample = () => {
    try {
      last = procMem(pid).rss;
      peak = Math.max(peak, last);
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
      return { peakRss: peak, endRss: last };
    },
  };
}

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

interface Row {
  broker: BrokerKind;
  load: 'perf produce' | 'perf produce 5k/s' | 'perf consume' | 'gen produce' | 'gen consume';
  recordSize: number;
  partitions: number;
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  p99Ms: number;
  brokerCpuPct: number;
  /** Broker threads' time runnable but not running (waiting for a CPU), % of the window. */
  runqWaitPct: number;
  clientCpuPct: number;
  peakRssMiB: number;
  endRssMiB: number;
  load1: number;
  errors: number;
  errorSample: string;
  note: string;
}

/** One scenario's figures (the rest of a Row comes from the loop). */
type Measured = Omit<Row, 'broker' | 'load' | 'recordSize' | 'partitions' | 'load1'>;

interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  clientCpuMs: number;
}

/** Runs one Kafka tool class as its own JVM (like its bin/ script would), stopped by PID on timeout. */
function runKafkaTool(mainClass: string, args: string[]): Promise<ToolRun> {
  const jvm = ['-Xmx512M', ...KAFKA_JVM_PERF_OPTS, `-Dlog4j2.configurationFile=${join(KAFKA_TOOLS_DIR, 'log4j2.yaml')}`, '-cp', kafkaClasspath()];
  const child = spawn('java', [...jvm, mainClass, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let clientCpuMs = 0;
  let timedOut = false;
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-50_000)));
  // The tool's CPU can only be read while it lives: sample it, keep the last reading.
  const cpuTimer = setInterval(() => {
    try {
      clientCpuMs = procCpuMs(child.pid!);
    } catch {
      /* exited */
    }
  }, 100);
  const killTimer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, TOOL_TIMEOUT_MS);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearInterval(cpuTimer);
      clearTimeout(killTimer);
      resolve({ code, stdout, stderr, timedOut, clientCpuMs });
    }),
  );
}

/** WARN/ERROR log lines and exceptions a tool printed, and whether it failed. */
function toolErrors(r: ToolRun, parsed: boolean): { errors: number; sample: string } {
  const lines = (r.stdout + '\n' + r.stderr).split('\n').filter((l) => /\b(WARN|ERROR)\b|Exception|^WARNING/.test(l));
  const extra = r.timedOut ? [`timed out after ${TOOL_TIMEOUT_MS} ms`] : r.code !== 0 ? [`exit code ${r.code}`] : !parsed ? ['no summary line'] : [];
  const all = [...extra, ...lines];
  return { errors: all.length, sample: all[0]?.slice(0, 240) ?? '' };
}

async function perfProduce(b: Broker, topic: string, size: number, count: number, throughput = -1): Promise<Measured> {
  const t0 = procTimes(b.pid);
  const w = watch(b.pid);
  const r = await runKafkaTool('org.apache.kafka.tools.ProducerPerformance', ['--topic', topic, '--num-records', String(count), '--record-size', String(size), '--throughput', String(throughput), '--producer-props', `bootstrap.servers=${b.bootstrap}`]);
  const t1 = procTimes(b.pid);
  const mem = w.stop();
  // "N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency, p50 ms 50th, p95 ms 95th, p99 ms 99th, p999 ms 99.9th."
  const m = /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/.exec(r.stdout);
  const e = toolErrors(r, m !== null);
  const records = m ? Number(m[1]) : 0;
  const rps = m ? Number(m[2]) : NaN;
  const sendMs = (records / rps) * 1000; // the tool's own measured time
  return {
    records,
    recordsPerSec: rps,
    mbPerSec: m ? Number(m[3]) : NaN,
    p99Ms: m ? Number(m[8]) : NaN,
    brokerCpuPct: ((t1.cpu - t0.cpu) / sendMs) * 100,
    runqWaitPct: ((t1.wait - t0.wait) / sendMs) * 100,
    clientCpuPct: NaN, // its CPU time includes JVM start and JIT: shown in the details instead
    peakRssMiB: mem.peakRss / MiB,
    endRssMiB: mem.endRss / MiB,
    errors: e.errors,
    errorSample: e.sample,
    note: `${m ? `latency p50/p95/p99/p99.9 ${m[6]}/${m[7]}/${m[8]}/${m[9]} ms, avg ${m[4]}, max ${m[5]}; ` : ''}tool JVM CPU ${fmt(r.clientCpuMs / 1000, 1)} s over its whole run`,
  };
}

async function perfConsume(b: Broker, topic: string, count: number): Promise<Measured> {
  const t0 = procTimes(b.pid);
  const w = watch(b.pid);
  const r = await runKafkaTool('org.apache.kafka.tools.ConsumerPerformance', ['--bootstrap-server', b.bootstrap, '--topic', topic, '--messages', String(count), '--group', `perf-${topic}`]);
  const t1 = procTimes(b.pid);
  const mem = w.stop();
  // header: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const line = r.stdout.split('\n').find((l) => /^\d{4}-\d\d-\d\d .*,/.test(l));
  const f = line?.split(',').map((s) => s.trim());
  const ok = f !== undefined && f.length >= 10;
  const e = toolErrors(r, ok);
  const fetchMs = ok ? Number(f[7]) : NaN;
  const records = ok ? Number(f[4]) : 0;
  if (ok && records < count) e.errors++, (e.sample ||= `consumed ${records} of ${count}`);
  return {
    records,
    recordsPerSec: ok ? Number(f[9]) : NaN,
    mbPerSec: ok ? Number(f[8]) : NaN,
    p99Ms: NaN,
    brokerCpuPct: ((t1.cpu - t0.cpu) / fetchMs) * 100,
    runqWaitPct: ((t1.wait - t0.wait) / fetchMs) * 100,
    clientCpuPct: NaN,
    peakRssMiB: mem.peakRss / MiB,
    endRssMiB: mem.endRss / MiB,
    errors: e.errors,
    errorSample: e.sample,
    note: `${ok ? `group join ${f[6]} ms, fetch ${fetchMs} ms (with join: ${f[3]} MB/s); ` : ''}tool JVM CPU ${fmt(r.clientCpuMs / 1000, 1)} s over its whole run`,
  };
}

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

interface BrokerSummary {
  broker: BrokerKind;
  pid: number;
  startMs: number;
  idleRssMiB: number;
  idleCpuPct: number;
  hwmMiB: number;
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

/** Broker CPU per MiB of record values: its cost, less sensitive than MB/s to a busy machine. */
function cpuMsPerMiB(r: Row): number {
  return (r.brokerCpuPct * 10) / r.mbPerSec;
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

  const order = ['perf produce', 'gen produce', 'perf produce 5k/s', 'perf consume', 'gen consume'];
  const sorted = [...rows].sort((a, b) => a.partitions - b.partitions || a.recordSize - b.recordSize || order.indexOf(a.load) - order.indexOf(b.load) || BROKERS.indexOf(a.broker) - BROKERS.indexOf(b.broker));
  console.log(`\nSamsa vs Apache Kafka ${KAFKA_VERSION} (MB = MiB of record values; p99: perf produce = send→ack per record incl. producer queueing, gen produce = request round trip)`);
  console.log(
    table(
      ['load', 'size', 'parts', 'broker', 'records', 'records/s', 'MB/s', 'p99 ms', 'broker CPU', 'CPU ms/MiB', 'runq wait', 'client CPU', 'RSS peak/end MiB', 'load1', 'errors'],
      sorted.map((r) => [
        r.load,
        r.recordSize === 1024 ? '1 KiB' : `${r.recordSize} B`,
        String(r.partitions),
        r.broker,
        String(r.records),
        fmt(r.recordsPerSec, 0),
        fmt(r.mbPerSec),
        Number.isFinite(r.p99Ms) ? fmt(r.p99Ms, r.load === 'gen produce' ? 1 : 0) : '-',
        `${fmt(r.brokerCpuPct, 0)}%`,
        fmt(cpuMsPerMiB(r), 1),
        `${fmt(r.runqWaitPct, 0)}%`,
        Number.isFinite(r.clientCpuPct) ? `${fmt(r.clientCpuPct, 0)}%` : '-',
        `${fmt(r.peakRssMiB, 0)}/${fmt(r.endRssMiB, 0)}`,
        fmt(r.load1, 1),
        String(r.errors),
      ]),
    ),
  );
  console.log('\nBrokers (idle = 1–3 s after start, before any topic; VmHWM = peak RSS over the whole run)');
  console.log(table(['broker', 'PID', 'start s', 'idle RSS MiB', 'idle CPU', 'VmHWM MiB'], brokers.map((b) => [b.broker, String(b.pid), fmt(b.startMs / 1000, 1), fmt(b.idleRssMiB, 0), `${fmt(b.idleCpuPct, 1)}%`, fmt(b.hwmMiB, 0)])));
  const noted = sorted.filter((r) => r.note !== '' || r.errorSample !== '');
  console.log('\nDetails');
  for (const r of noted) console.log(`  ${r.load} ${r.recordSize} B ${r.partitions}p ${r.broker}: ${r.note}${r.errorSample ? `; first error: ${r.errorSample}` : ''}`);
  console.log(`\nuptime at end: ${uptimeEnd}\n(bench took ${fmt((performance.now() - started) / 1000, 0)} s)`);
  const round = (x: number, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);
  console.log(
    JSON.stringify({
      bench: 'apache-kafka',
      kafkaVersion: KAFKA_VERSION,
      node: process.version,
      java: javaVersion,
      cpus: cpus().length,
      uptimeStart,
      uptimeEnd,
      config: { records: RECORDS, partitions: PARTITIONS, warmupMs: WARMUP_MS, durationMs: DURATION_MS, batchBytes: BATCH_BYTES, inFlight: IN_FLIGHT },
      brokers: brokers.map((b) => ({ broker: b.broker, startMs: Math.round(b.startMs), idleRssMiB: round(b.idleRssMiB), idleCpuPct: round(b.idleCpuPct), hwmMiB: round(b.hwmMiB, 0) })),
      rows: sorted.map((r) => ({
        load: r.load,
        broker: r.broker,
        recordSize: r.recordSize,
        partitions: r.partitions,
        records: r.records,
        recordsPerSec: Math.round(r.recordsPerSec),
        mbPerSec: round(r.mbPerSec),
        p99Ms: round(r.p99Ms, 2),
        brokerCpuPct: round(r.brokerCpuPct, 0),
        brokerCpuMsPerMiB: round(cpuMsPerMiB(r), 2),
        runqWaitPct: round(r.runqWaitPct, 0),
        clientCpuPct: round(r.clientCpuPct, 0),
        peakRssMiB: round(r.peakRssMiB, 0),
        endRssMiB: round(r.endRssMiB, 0),
        load1: round(r.load1, 2),
        errors: r.errors,
      })),
    }),
  );
}

await main();
