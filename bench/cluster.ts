/**
 * The cluster bench: node dist/bench/cluster.js [throughput] [failover]
 *
 * Needs etcd (Debian etcd-server) and java (the Kafka jars from ~/.cache/samsa, fetched by
 * tools/apache-kafka the first time). Every process is started here and stopped by PID.
 *  - throughput: Kafka's kafka-producer-perf-test (the Java producer's defaults: acks=all,
 *    idempotence, batch.size 16384, linger.ms 5, 5 in flight) against one broker without etcd
 *    (RF=1) and against three brokers on one etcd (RF=3, min.insync.replicas=2), all on this
 *    machine, alternated (one, three, one, three: the machine's load drifts); both at the
 *    default durability (fdatasync before the ack; in the cluster every replica syncs its copy).
 *  - failover: three brokers, a KafkaJS idempotent acks=all producer sending one record at a
 *    time to one partition; its leader is SIGKILLed; figures: time from the kill to the first
 *    acknowledged produce (the session timeout, then the controller's move, then the client's
 *    metadata refresh), and time from restarting the killed broker on its data to a full ISR.
 * Environment: BENCH_CLUSTER_RECORDS_100B (default 1000000), BENCH_CLUSTER_RECORDS_1KIB (200000),
 * BENCH_CLUSTER_PARTITIONS (8), BENCH_CLUSTER_ROUNDS (failover rounds, 3),
 * BENCH_SESSION_MS (broker.session.timeout.ms, default Kafka's 9000).
 * Prints tables and one JSON line; no assertions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Admin } from '../src/client/index.js';
import { freePort } from '../tools/apache-kafka/kafka.js';
import { BrokerProcess } from './lib/broker-process.js';
import { startEtcd, type EtcdProcess } from './lib/etcd-process.js';
import { perfProduce, type Measured } from './lib/kafka-perf.js';
import { fmt, table } from './lib/stats.js';

const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const RECORDS: Record<number, number> = { 100: env('BENCH_CLUSTER_RECORDS_100B', 1_000_000), 1024: env('BENCH_CLUSTER_RECORDS_1KIB', 200_000) };
const PARTITIONS = env('BENCH_CLUSTER_PARTITIONS', 8);
const ROUNDS = env('BENCH_CLUSTER_ROUNDS', 3);
const SESSION_MS = env('BENCH_SESSION_MS', 9000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Three brokers on one etcd, broker N on 127.0.0.N, each on its own data folder (kept across restarts). */
class BenchCluster {
  readonly brokers = new Map<number, BrokerProcess>();
  private readonly ports = new Map<number, number>();
  private readonly root = mkdtempSync(join(tmpdir(), 'samsa-bench-cluster-'));

  private constructor(private readonly etcd: EtcdProcess) {}

  static async start(count = 3): Promise<BenchCluster> {
    const c = new BenchCluster(await startEtcd());
    try {
      for (let id = 1; id <= count; id++) c.ports.set(id, await freePort(`127.0.0.${id}`));
      await Promise.all([...c.ports.keys()].map((id) => c.startBroker(id)));
      await c.untilLive(count);
      return c;
    } catch (e) {
      await c.stop();
      throw e;
    }
  }

  get bootstrap(): string[] {
    return [...this.ports].map(([id, port]) => `127.0.0.${id}:${port}`);
  }

  async startBroker(id: number): Promise<BrokerProcess> {
    const address = `PLAINTEXT://127.0.0.${id}:${this.ports.get(id)}`;
    const b = await BrokerProcess.start({
      logDir: join(this.root, `broker-${id}`),
      startTimeoutMs: 30_000,
      overrides: {
        'node.id': id,
        listeners: address,
        'advertised.listeners': address,
        'samsa.etcd.endpoints': this.etcd.endpoint,
        'broker.session.timeout.ms': SESSION_MS,
        'default.replication.factor': 3,
        'min.insync.replicas': 2,
        'offsets.topic.replication.factor': 3,
        'transaction.state.log.replication.factor': 3,
        'transaction.state.log.min.isr': 2,
        'group.initial.rebalance.delay.ms': 0,
      },
    });
    this.brokers.set(id, b);
    return b;
  }

  /** Resolves once a live broker lists `count` registered brokers. */
  async untilLive(count: number): Promise<void> {
    for (let i = 0; i < 300; i++) {
      const n = await this.withAdmin((a) => a.describeCluster()).then((c) => c.brokers.length, () => 0);
      if (n >= count) return;
      await sleep(100);
    }
    throw new Error(`the cluster did not list ${count} brokers within 30 s`);
  }

  async withAdmin<T>(fn: (a: Admin) => Promise<T>): Promise<T> {
    const live = [...this.brokers].filter(([, b]) => b.alive).map(([id]) => `127.0.0.${id}:${this.ports.get(id)}`);
    const admin = new Admin({ brokers: live, retries: 2, requestTimeoutMs: 5000 });
    try {
      return await fn(admin);
    } finally {
      await admin.close();
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.brokers.values()].map((b) => b.stop()));
    await this.etcd.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}

async function createTopic(brokers: string[], name: string, partitions: number, rf: number): Promise<void> {
  const admin = new Admin({ brokers });
  try {
    const [r] = await admin.createTopics([{ name, partitions, replicationFactor: rf }]);
    if (r && r.errorCode !== 0) throw new Error(`create ${name}: error ${r.errorCode} ${r.errorMessage ?? ''}`);
    // Every partition led and fully in sync before the load starts.
    for (let i = 0; i < 200; i++) {
      const [t] = await admin.describeTopics([name]);
      if (t && t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0 && p.isr.length === rf)) return;
      await sleep(100);
    }
    throw new Error(`${name}: partitions not led with a full ISR within 20 s`);
  } finally {
    await admin.close();
  }
}

interface ThroughputRow {
  setup: string;
  size: number;
  pass: number;
  m: Measured;
}

async function throughput(): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = [];
  const single = await BrokerProcess.start({ overrides: { 'group.initial.rebalance.delay.ms': 0 } });
  let cluster: BenchCluster | undefined;
  try {
    cluster = await BenchCluster.start();
    const targets = [
      { setup: '1 broker, RF=1', bootstrap: [`${single.host}:${single.port}`], pid: single.pid, rf: 1 },
      { setup: '3 brokers, RF=3, min ISR 2', bootstrap: cluster.bootstrap, pid: cluster.brokers.get(1)!.pid, rf: 3 },
    ];
    let n = 0;
    for (const pass of [1, 2]) {
      for (const size of [100, 1024]) {
        for (const t of targets) {
          const topic = `tp-${++n}`;
          await createTopic(t.bootstrap, topic, PARTITIONS, t.rf);
          const m = await perfProduce({ bootstrap: t.bootstrap.join(','), pid: t.pid }, topic, size, RECORDS[size]!);
          rows.push({ setup: t.setup, size, pass, m });
          console.error(`${t.setup}, ${size} B, pass ${pass}: ${fmt(m.recordsPerSec, 0)} rec/s, ${fmt(m.mbPerSec, 1)} MB/s, p99 ${m.p99Ms} ms, errors ${m.errors} ${m.errorSample}`);
        }
      }
    }
  } finally {
    await cluster?.stop();
    await single.stop();
  }
  return rows;
}

interface FailoverRound {
  victim: number;
  failoverMs: number;
  rejoinMs: number;
  acked: number;
}

async function failover(): Promise<FailoverRound[]> {
  const cluster = await BenchCluster.start();
  const rounds: FailoverRound[] = [];
  const kafka = new Kafka({ clientId: 'bench-failover', brokers: cluster.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  try {
    await createTopic(cluster.bootstrap, 'failover', 1, 3);
    await producer.connect();
    for (let round = 1; round <= ROUNDS; round++) {
      const [t] = await cluster.withAdmin((a) => a.describeTopics(['failover']));
      const victim = t!.partitions[0]!.leader;
      let acked = 0;
      let killedAt = 0;
      let firstAck = 0;
      let stop = false;
      const sending = (async () => {
        for (let i = 0; !stop; i++) {
          try {
            await producer.send({ topic: 'failover', acks: -1, timeout: 30_000, messages: [{ partition: 0, value: `r${round}-${i}` }] });
            acked++;
            if (killedAt > 0 && firstAck === 0) firstAck = performance.now();
          } catch {
            // not acknowledged; KafkaJS gave up its retries: send again
          }
        }
      })();
      while (acked < 200) await sleep(20);
      killedAt = performance.now();
      cluster.brokers.get(victim)!.signal('SIGKILL');
      await cluster.brokers.get(victim)!.whenExited();
      while (firstAck === 0) await sleep(10);
      const failoverMs = firstAck - killedAt;
      const restartedAt = performance.now();
      await cluster.startBroker(victim);
      for (;;) {
        const [p] = await cluster.withAdmin((a) => a.describeTopics(['failover'])).then((ts) => ts[0]!.partitions, () => []);
        if (p && p.isr.includes(victim)) break;
        await sleep(20);
      }
      const rejoinMs = performance.now() - restartedAt;
      stop = true;
      await sending;
      rounds.push({ victim, failoverMs, rejoinMs, acked });
      console.error(`round ${round}: killed leader ${victim}; first ack after ${fmt(failoverMs, 0)} ms; restarted, in the ISR after ${fmt(rejoinMs, 0)} ms`);
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
    await cluster.stop();
  }
  return rounds;
}

const parts = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const want = (p: string) => parts.length === 0 || parts.includes(p);
console.error(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const out: Record<string, unknown> = {};
if (want('throughput')) {
  const rows = await throughput();
  console.log(`\nkafka-producer-perf-test, ${PARTITIONS} partitions, Java producer defaults (acks=all, idempotence, batch.size 16384, 5 in flight), default durability\n`);
  console.log(table(['setup', 'record', 'pass', 'records/s', 'MB/s', 'p99 ms', 'errors'], rows.map((r) => [r.setup, `${r.size} B`, String(r.pass), fmt(r.m.recordsPerSec, 0), fmt(r.m.mbPerSec, 1), String(r.m.p99Ms), String(r.m.errors)])));
  for (const size of [100, 1024]) {
    const avg = (setup: string) => rows.filter((r) => r.size === size && r.setup.startsWith(setup)).reduce((s, r, _, a) => s + r.m.recordsPerSec / a.length, 0);
    console.log(`${size} B: 3 brokers RF=3 / 1 broker = ${fmt(avg('3') / avg('1'), 2)}`);
  }
  out.throughput = rows.map((r) => ({ setup: r.setup, size: r.size, pass: r.pass, recordsPerSec: r.m.recordsPerSec, mbPerSec: r.m.mbPerSec, p99Ms: r.m.p99Ms, errors: r.m.errors }));
}
if (want('failover')) {
  const rounds = await failover();
  console.log(`\nfailover, broker.session.timeout.ms=${SESSION_MS}, KafkaJS idempotent acks=all producer\n`);
  console.log(table(['round', 'killed leader', 'SIGKILL → first ack ms', 'restart → in ISR ms'], rounds.map((r, i) => [String(i + 1), String(r.victim), fmt(r.failoverMs, 0), fmt(r.rejoinMs, 0)])));
  out.failover = rounds;
}
console.log(JSON.stringify(out));
