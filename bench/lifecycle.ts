/**
 * Start-up and shutdown of `samsa start` as a process: node dist/bench/lifecycle.js [start] [stop]
 *  - start: spawn → first answered ApiVersions request on a fresh data folder (what a user or a
 *    test harness waits for), RSS then and after 1 s idle; for the package's bin (the bundle
 *    `npm run build` makes, dist/cli/samsa.js) and tsc's unbundled output; BENCH_RUNS (7) each,
 *    alternated. And `startBroker()` in this process (the embedded API), after one warm-up.
 *  - stop: a broker with BENCH_PARTITIONS (10000) partitions of one record each, durable default;
 *    SIGTERM → exit (graceful: flush, checkpoints, clean-shutdown marker), then a restart on the
 *    same folder → first answered request (a clean start: no recovery scan).
 * Prints tables and one JSON line; no assertions.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin, Producer } from '../src/client/index.js';
import { startBroker } from '../src/index.js';
import { freePort } from '../tools/apache-kafka/kafka.js';
import { BrokerProcess, SAMSA_BIN, SAMSA_CLI } from './lib/broker-process.js';
import { fmt, table } from './lib/stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 10_000);
const API_VERSIONS_V0 = Buffer.from([0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 1, 0xff, 0xff]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

function answered(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => s.write(API_VERSIONS_V0));
    s.once('data', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Spawns the entry with a fixed port and polls until a request is answered: ms from spawn. */
async function timeStart(cli: string, logDir: string): Promise<{ ms: number; rss: number; idleRss: number; stop: () => Promise<number> }> {
  const port = await freePort('127.0.0.1');
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, 'start', '--override', `log.dirs=${logDir}`, '--override', `listeners=PLAINTEXT://127.0.0.1:${port}`], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    while (!(await answered(port))) {
      if (child.exitCode !== null) throw new Error(`${cli} exited ${child.exitCode}`);
      await sleep(2);
    }
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  const ms = performance.now() - t0;
  const rss = rssMiB(child.pid!);
  await sleep(1000);
  const idleRss = rssMiB(child.pid!);
  return {
    ms,
    rss,
    idleRss,
    stop: async () => {
      const t = performance.now();
      child.kill('SIGTERM');
      await exited;
      return performance.now() - t;
    },
  };
}

async function startCase(): Promise<Record<string, unknown>> {
  const entries = { bin: SAMSA_BIN, unbundled: SAMSA_CLI };
  const results: Record<string, { ms: number[]; rss: number[]; idle: number[] }> = {};
  for (let i = 0; i < RUNS; i++) {
    for (const [name, cli] of Object.entries(entries)) {
      const dir = mkdtempSync(join(tmpdir(), 'samsa-bench-start-'));
      try {
        const r = await timeStart(cli, dir);
        await r.stop();
        const acc = (results[name] ??= { ms: [], rss: [], idle: [] });
        acc.ms.push(r.ms);
        acc.rss.push(r.rss);
        acc.idle.push(r.idleRss);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  const embedded: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const t = performance.now();
    const b = await startBroker();
    const ms = performance.now() - t;
    await b.close();
    if (i > 0) embedded.push(ms); // the first loads the modules
  }
  const rows = Object.entries(results).map(([name, r]) => [`samsa start (${name === 'bin' ? 'dist/cli, bundled' : 'dist/src, unbundled'})`, fmt(median(r.ms), 0), fmt(Math.min(...r.ms), 0), fmt(Math.max(...r.ms), 0), fmt(median(r.rss), 1), fmt(median(r.idle), 1)]);
  rows.push(['startBroker() in-process', fmt(median(embedded), 0), fmt(Math.min(...embedded), 0), fmt(Math.max(...embedded), 0), '', '']);
  console.log(table(['start → first answer', 'median ms', 'min', 'max', 'RSS MiB', 'idle RSS MiB'], rows));
  return Object.fromEntries([...Object.entries(results).map(([k, r]) => [k, { medianMs: median(r.ms), rssMiB: median(r.rss), idleRssMiB: median(r.idle) }]), ['startBroker', { medianMs: median(embedded) }]]);
}

async function stopCase(): Promise<Record<string, unknown>> {
  const logDir = mkdtempSync(join(tmpdir(), 'samsa-bench-stop-'));
  try {
    const broker = await BrokerProcess.start({ cli: SAMSA_BIN, logDir, overrides: {}, startTimeoutMs: 60_000 });
    const brokers = [`${broker.host}:${broker.port}`];
    const admin = new Admin({ brokers, requestTimeoutMs: 120_000 });
    const t0 = performance.now();
    const [created] = await admin.createTopics([{ name: 'many', partitions: PARTITIONS, replicationFactor: 1 }], { timeoutMs: 120_000 });
    if (created?.errorCode) throw new Error(`createTopics: ${created.errorMessage ?? created.errorCode}`);
    const createMs = performance.now() - t0;
    await admin.close();
    const producer = new Producer({ brokers, requestTimeoutMs: 120_000 }, { lingerMs: 5 });
    const t1 = performance.now();
    await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => producer.send({ topic: 'many', partition: p, value: 'x' })));
    const produceMs = performance.now() - t1;
    await producer.close();
    const rss = rssMiB(broker.pid);
    const t2 = performance.now();
    const code = await broker.stop(120_000);
    const stopMs = performance.now() - t2;
    const restart = await timeStart(SAMSA_BIN, logDir);
    const restartStopMs = await restart.stop();
    console.log(table(['partitions', 'create ms', 'produce 1 each ms', 'RSS MiB', 'SIGTERM → exit ms', 'exit code', 'clean restart → first answer ms', 'its RSS MiB', 'second stop ms'], [[String(PARTITIONS), fmt(createMs, 0), fmt(produceMs, 0), fmt(rss, 0), fmt(stopMs, 0), String(code), fmt(restart.ms, 0), fmt(restart.rss, 0), fmt(restartStopMs, 0)]]));
    return { partitions: PARTITIONS, createMs, produceMs, stopMs, exitCode: code, cleanRestartMs: restart.ms, secondStopMs: restartStopMs };
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}

const which = process.argv.slice(2);
const out: Record<string, unknown> = {};
if (which.length === 0 || which.includes('start')) out.start = await startCase();
if (which.length === 0 || which.includes('stop')) out.stop = await stopCase();
console.log(JSON.stringify({ bench: 'lifecycle', ...out }));
