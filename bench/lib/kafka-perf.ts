// Kafka's own load tools, kafka-producer-perf-test (ProducerPerformance) and
// kafka-consumer-perf-test (ConsumerPerformance), each run as its own JVM like its bin/ script
// would, against one broker whose CPU, run-queue wait and RSS are measured over the run.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { KAFKA_TOOLS_DIR, kafkaClasspath } from '../../tools/apache-kafka/kafka.js';
import { procCpuMs, procTimes, watch } from './proc.js';
import { fmt, MiB } from './stats.js';

/**
 * KAFKA_JVM_PERFORMANCE_OPTS of bin/kafka-run-class.sh (used by kafka-server-start and the perf
 * tools), less its -server: a no-op on 64-bit JVMs that JAVA_TOOL_OPTIONS refuses.
 */
export const KAFKA_JVM_PERF_OPTS = ['-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35', '-XX:+ExplicitGCInvokesConcurrent', '-XX:MaxInlineLevel=15', '-Djava.awt.headless=true'];

const TOOL_TIMEOUT_MS = process.env.BENCH_KAFKA_TOOL_TIMEOUT_MS ? Number(process.env.BENCH_KAFKA_TOOL_TIMEOUT_MS) : 180_000;

/** One scenario's figures. */
export interface Measured {
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
  errors: number;
  errorSample: string;
  note: string;
}

/** The broker a tool runs against: where it listens and the PID measured. */
export interface ToolTarget {
  bootstrap: string;
  pid: number;
}

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

export async function perfProduce(b: ToolTarget, topic: string, size: number, count: number, throughput = -1): Promise<Measured> {
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

export async function perfConsume(b: ToolTarget, topic: string, count: number): Promise<Measured> {
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
