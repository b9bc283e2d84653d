/**
 * One fault-injection run: a three-broker cluster on etcd (RF=3, min.insync.replicas=2), a KafkaJS
 * idempotent producer, a confluent-kafka idempotent producer, a KafkaJS transactional producer
 * and a kcat consumer recording into one history while the nemesis runs a schedule; then every
 * fault healed, the log read back with kcat (read_uncommitted and read_committed, until two
 * passes agree), the replicas' segments compared byte for byte, and the history checked.
 * The run's folder keeps schedule.json, nemesis.log, history.jsonl, log.jsonl, committed.jsonl,
 * verdict.json, the brokers' logs (broker-N.log) and data; it is removed when the run is valid (unless `keep`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { FaultCluster } from './cluster.js';
import { Firewall } from './firewall.js';
import { check, type Verdict } from './checker.js';
import type { LogRecord, Op } from './history.js';
import { healAll, runNemesis, waitHealthy, type NemesisContext, type Schedule } from './nemesis.js';
import { readAll, requireKcat, tailConsumer } from './reader.js';
import { rng } from '../../test/lib/rng.js';

export interface RunOptions {
  schedule: Schedule;
  seed: number;
  /** How long the nemesis runs (load runs a little longer on both sides). */
  durationMs: number;
  /** The non-transactional producers' acks: -1 (idempotent) or 1 (the negative control: loss must be seen). */
  acks: -1 | 1;
  /** Records per second of each non-transactional producer. */
  rate?: number;
  /** Keep the run's folder even when the run is valid. */
  keep?: boolean;
  /** Progress lines (default: none). */
  progress?: (line: string) => void;
}

export interface RunResult {
  valid: boolean;
  verdict: Verdict;
  /** Partitions whose replicas' segment bytes differ after healing (empty: converged). */
  diverged: string[];
  dir: string;
  events: string[];
}

export const TOPIC = 'fault';
export const PARTITIONS = 3;
export const SESSION_TIMEOUT_MS = 6000;

const here = fileURLToPath(new URL('.', import.meta.url));
const KAFKAJS_WORKER = join(here, 'workers/kafkajs-producer.js');
/** Python is not compiled: from dist/tools/fault back to the source tree. */
const CONFLUENT_WORKER = join(here, '../../../tools/fault/workers/confluent_producer.py');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const BROKER_CONFIG: Record<string, string | number | boolean> = {
  'broker.session.timeout.ms': SESSION_TIMEOUT_MS,
  'broker.heartbeat.interval.ms': 1000,
  'replica.lag.time.max.ms': 4000,
  'default.replication.factor': 3,
  'min.insync.replicas': 2,
  'offsets.topic.replication.factor': 3,
  'offsets.topic.num.partitions': 3,
  'transaction.state.log.replication.factor': 3,
  'transaction.state.log.min.isr': 2,
  'transaction.state.log.num.partitions': 3,
  'group.initial.rebalance.delay.ms': 0,
  'auto.create.topics.enable': false,
  'samsa.log.level': 'info',
};

interface Worker {
  name: string;
  child: ChildProcess;
  closed: Promise<void>;
}

function startWorker(name: string, command: string, args: string[], onOp: (op: Op) => void, onBad: (line: string) => void): Worker {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (l) => {
    if (l.trim() === '') return;
    try {
      onOp(JSON.parse(l) as Op);
    } catch {
      onBad(`${name}: ${l}`);
    }
  });
  child.stderr!.resume();
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return { name, child, closed };
}

async function stopWorker(w: Worker, graceMs: number): Promise<void> {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  const timer = setTimeout(() => w.child.kill('SIGKILL'), graceMs);
  await w.closed;
  clearTimeout(timer);
}

async function logBytes(dir: string, partition: number): Promise<Buffer> {
  const pdir = join(dir, `${TOPIC}-${partition}`);
  const segments = readdirSync(pdir).filter((f) => f.endsWith('.log')).sort();
  return Buffer.concat(segments.map((f) => readFileSync(join(pdir, f))));
}

/** Partitions whose replicas' logs are not byte-identical within `timeoutMs` (every broker is in the ISR by now). */
async function divergedPartitions(cluster: FaultCluster, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const diverged: string[] = [];
    for (let p = 0; p < PARTITIONS; p++) {
      const logs = await Promise.all(cluster.ids.map((id) => logBytes(cluster.dataDir(id), p)));
      if (!logs.every((l) => l.equals(logs[0]!))) diverged.push(`${TOPIC}-${p}: ${cluster.ids.map((id, i) => `broker ${id} ${logs[i]!.length} bytes`).join(', ')}`);
    }
    if (diverged.length === 0 || Date.now() > deadline) return diverged;
    await sleep(500);
  }
}

/** Waits until each partition's last stable offset reaches its high watermark (no transaction left open). */
async function waitStable(cluster: FaultCluster, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const state = await cluster.partitions(TOPIC);
    let stable = !!state;
    for (const p of state?.partitions ?? []) {
      const [hw, lso] = [await cluster.endOffset(p.leader, TOPIC, p.partition, 0), await cluster.endOffset(p.leader, TOPIC, p.partition, 1)];
      if (hw === undefined || lso === undefined || hw !== lso) stable = false;
    }
    if (stable) return true;
    await sleep(500);
  }
  return false;
}

/** Reads the whole topic until two passes agree (a pass during a leader change may end early). */
async function readStable(bootstrap: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<LogRecord[]> {
  let last = await readAll(bootstrap, TOPIC, PARTITIONS, isolation);
  for (let i = 0; i < 5; i++) {
    const again = await readAll(bootstrap, TOPIC, PARTITIONS, isolation);
    if (JSON.stringify(again) === JSON.stringify(last)) return again;
    last = again;
  }
  throw new Error(`${isolation} reads of ${TOPIC} did not agree in 6 passes`);
}

export async function runFault(opts: RunOptions): Promise<RunResult> {
  requireKcat();
  const dir = mkdtempSync(join(tmpdir(), `samsa-fault-${opts.schedule}-`));
  const events: string[] = [];
  const started = Date.now();
  const log = (e: string) => {
    const line = `+${((Date.now() - started) / 1000).toFixed(1)}s ${e}`;
    events.push(line);
    opts.progress?.(line);
  };
  writeFileSync(join(dir, 'schedule.json'), JSON.stringify({ ...opts, progress: undefined, brokerConfig: BROKER_CONFIG }, null, 2));
  const historyFile = createWriteStream(join(dir, 'history.jsonl'));
  const history: Op[] = [];
  const record = (op: Op) => {
    history.push(op);
    historyFile.write(`${JSON.stringify(op)}\n`);
  };
  const firewall = Firewall.open();
  let cluster: FaultCluster | undefined;
  const workers: Worker[] = [];
  let valid = false;
  try {
    log(`seed ${opts.seed}, schedule ${opts.schedule}, acks ${opts.acks}`);
    cluster = await FaultCluster.start(dir, 3, BROKER_CONFIG);
    const bootstrap = cluster.bootstrap();
    const admin = new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
    await admin.disconnect();
    if (!(await waitHealthy({ cluster, topic: TOPIC }, 30_000))) throw new Error(`${TOPIC} did not get a full ISR`);
    log(`cluster up: ${bootstrap}`);

    const rate = opts.rate ?? 150;
    const bad = (l: string) => log(`unparsable history line: ${l}`);
    workers.push(startWorker('kafkajs-1', process.execPath, [KAFKAJS_WORKER, bootstrap, TOPIC, String(PARTITIONS), String(rate), 'kafkajs-1', String(opts.acks)], record, bad));
    workers.push(startWorker('confluent-1', '/usr/bin/python3', [CONFLUENT_WORKER, bootstrap, TOPIC, String(PARTITIONS), String(rate), 'confluent-1', String(opts.acks)], record, bad));
    workers.push(startWorker('kafkajs-txn-1', process.execPath, [KAFKAJS_WORKER, bootstrap, TOPIC, String(PARTITIONS), '5', 'kafkajs-txn-1', '-1', '--transactional'], record, bad));
    const consumer = tailConsumer(bootstrap, TOPIC, 'kcat-1', record);

    const end = Date.now() + opts.durationMs;
    const ctx: NemesisContext = { cluster, firewall, topic: TOPIC, partitions: PARTITIONS, sessionTimeoutMs: SESSION_TIMEOUT_MS, rand: rng(opts.seed), log, done: () => Date.now() > end };
    await runNemesis(opts.schedule, ctx);
    await healAll(ctx);
    await sleep(3000);
    for (const w of workers) await stopWorker(w, 60_000);
    await consumer.stop();
    log(`load stopped: ${history.filter((o) => o.type === 'ok' && o.f === 'send').length} sends acknowledged`);

    if (!(await waitHealthy(ctx, 60_000))) log('WARNING: not every partition has its full ISR 60 s after healing');
    if (!(await waitStable(cluster, 40_000))) log('WARNING: a transaction is still open 40 s after the load stopped');
    const logRecords = await readStable(bootstrap, 'read_uncommitted');
    const committed = await readStable(bootstrap, 'read_committed');
    writeFileSync(join(dir, 'log.jsonl'), logRecords.map((r) => JSON.stringify(r)).join('\n') + '\n');
    writeFileSync(join(dir, 'committed.jsonl'), committed.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const diverged = await divergedPartitions(cluster, 20_000);
    const verdict = check({ history, log: logRecords, committed });
    valid = verdict.valid && diverged.length === 0;
    writeFileSync(join(dir, 'verdict.json'), JSON.stringify({ ...verdict, valid, diverged }, null, 2));
    log(`verdict: ${valid ? 'valid' : 'INVALID'} ${JSON.stringify(verdict.stats)}`);
    return { valid, verdict, diverged, dir, events };
  } finally {
    for (const w of workers) await stopWorker(w, 5000);
    writeFileSync(join(dir, 'nemesis.log'), events.join('\n') + '\n');
    if (cluster) {
      // How each broker sees the topic at the end, for a run that failed.
      if (!valid) writeFileSync(join(dir, 'views.json'), JSON.stringify(await Promise.all(cluster.ids.map(async (id) => ({ broker: id, metadata: (await cluster!.metadata(id, [TOPIC]))?.topics[0]?.partitions, controller: (await cluster!.metadata(id, []))?.controllerId }))), (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v), 2));
      await cluster.stop();
    }
    firewall.close();
    await new Promise((r) => historyFile.end(r));
    if (valid && !opts.keep) rmSync(dir, { recursive: true, force: true });
  }
}
