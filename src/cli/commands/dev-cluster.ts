/**
 * `samsa dev-cluster`: a cluster on one machine for trying replication and failover. It starts
 * etcd from PATH and N brokers (`samsa start` child processes) on consecutive ports, with their
 * data under one folder, and stops them together on Ctrl-C / SIGTERM: brokers first (so they
 * deregister while etcd is up), then etcd, each by PID, SIGKILL after a grace. The children run
 * in process groups of their own, so a terminal's Ctrl-C reaches this supervisor only and the
 * stop keeps that order (SIGKILL of this process leaves them running). It loads no broker code.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { Admin } from '../../client/index.js';
import { cliEntry } from '../entry.js';
import { UsageError } from '../settings.js';
import { action, EXIT, int } from './common.js';

const HOST = '127.0.0.1';
const STOP_GRACE_MS = 10_000;
const START_TIMEOUT_MS = 60_000;
const TAIL_LINES = 20;
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export const ETCD_MISSING = 'etcd is not on PATH: install the Debian package etcd-server (apt-get install etcd-server), or put an etcd binary on PATH';

export interface DevClusterOptions {
  brokers: number;
  /** The first broker's port; broker i listens on port + i - 1. */
  port: number;
  dir: string;
  /** etcd's client port (default: a free one). */
  etcdPort?: number;
}

export function registerDevClusterCommand(program: Command): void {
  program
    .command('dev-cluster')
    .description('a local cluster for trying failover: etcd and N brokers on consecutive ports, stopped together on Ctrl-C')
    // `--brokers` is also the global bootstrap option, which commander parses wherever it stands:
    // here it is read back from there as the broker count.
    .option('--brokers <n>', 'number of brokers (default 3)')
    .option('--port <port>', 'port of broker 1; broker i listens on port + i - 1', int('--port'), 9092)
    .option('--dir <path>', 'data folder: etcd/ and broker-<id>/ under it', './data/samsa-cluster')
    .option('--etcd-port <port>', "etcd's client port (default: a free one)", int('--etcd-port'))
    .action(
      action(async (o: { brokers?: string; port: number; dir: string; etcdPort?: number }, cmd: Command) => {
        const given = o.brokers ?? (cmd.optsWithGlobals() as { brokers?: string }).brokers ?? '3';
        const brokers = int('--brokers')(given);
        if (brokers < 1 || brokers > 9) throw new UsageError(`--brokers must be between 1 and 9, got ${brokers}`);
        if (o.port < 1 || o.port + brokers - 1 > 65535) throw new UsageError(`--port ${o.port} leaves no room for ${brokers} brokers`);
        return devCluster({ brokers, port: o.port, dir: o.dir, etcdPort: o.etcdPort });
      }),
    );
}

/** Runs the cluster until SIGINT/SIGTERM; the exit code: 0 after a requested stop, 1 when a child failed. */
export async function devCluster(o: DevClusterOptions): Promise<number> {
  if (spawnSync('etcd', ['--version']).error) {
    console.error(`samsa: ${ETCD_MISSING}`);
    return EXIT.KAFKA;
  }
  const dir = resolve(o.dir);
  mkdirSync(dir, { recursive: true });
  let requestStop!: (signal: string) => void;
  const stopRequested = new Promise<string>((r) => (requestStop = r));
  const children: Child[] = [];
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    // A second Ctrl-C does not wait for the grace.
    if (stopping) for (const c of children) c.signal('SIGKILL');
    stopping = true;
    requestStop(signal);
  };
  // SIGHUP too: the children, in sessions of their own, would outlive a closed terminal.
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  try {
    const etcdPort = o.etcdPort ?? (await freePort());
    const endpoint = `http://${HOST}:${etcdPort}`;
    const peer = `http://${HOST}:${await freePort()}`;
    const etcd = new Child('etcd', spawnDetached('etcd', [
      '--name', 'samsa-dev',
      '--data-dir', join(dir, 'etcd'),
      '--listen-client-urls', endpoint,
      '--advertise-client-urls', endpoint,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `samsa-dev=${peer}`,
      '--logger', 'zap',
      '--log-level', 'warn',
    ]), false);
    children.push(etcd);
    const brokers: BrokerChild[] = [];
    const started = await untilFirst(stopRequested, children, async (signal) => {
      await etcdHealthy(endpoint, etcd, signal);
      console.error(`etcd pid ${etcd.pid} on ${endpoint}, data in ${join(dir, 'etcd')}`);
      for (let id = 1; id <= o.brokers; id++) brokers.push(brokerChild(id, o, dir, endpoint));
      children.push(...brokers.map((b) => b.child));
      for (const b of brokers) console.error(`broker ${b.nodeId} pid ${b.child.pid} on ${b.bootstrap}, data in ${b.logDir}`);
      await Promise.all(brokers.map((b) => b.child.line(/ node \d+ cluster /)));
      await allRegistered(brokers[brokers.length - 1]!.bootstrap, o.brokers, signal);
    });
    if (started !== 'started') {
      if (started === 'timeout') console.error(`samsa: the cluster did not start within ${START_TIMEOUT_MS / 1000} s`);
      else if (started !== 'stopped') console.error(`samsa: ${started.name} exited (${await started.exited}) while the cluster started; its last lines:\n${started.lastLines()}`);
      return started === 'stopped' ? EXIT.OK : EXIT.KAFKA;
    }
    const bootstrap = brokers.map((b) => b.bootstrap).join(',');
    console.log(`bootstrap servers: ${bootstrap}`);
    console.error(`(try: samsa -b ${bootstrap} topic create demo --partitions 3 --replication-factor ${Math.min(3, o.brokers)}; kill -9 a broker's pid to see failover; Ctrl-C stops all)`);
    for (const b of brokers) void b.child.exited.then((how) => !stopping && console.error(`broker ${b.nodeId} (pid ${b.child.pid}) exited (${how})`));
    const ended = await Promise.race([stopRequested.then(() => undefined), etcd.exited.then(() => etcd)]);
    stopping = true;
    if (ended) console.error(`samsa: etcd exited (${await etcd.exited}); its last lines:\n${etcd.lastLines()}`);
    return ended ? EXIT.KAFKA : EXIT.OK;
  } finally {
    // Whatever ended the run (a stop, a failure, an exception), no child outlives it.
    await stopAll(children);
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
  }
}

interface BrokerChild {
  nodeId: number;
  bootstrap: string;
  logDir: string;
  child: Child;
}

function brokerChild(nodeId: number, o: DevClusterOptions, dir: string, endpoint: string): BrokerChild {
  const bootstrap = `${HOST}:${o.port + nodeId - 1}`;
  const logDir = join(dir, `broker-${nodeId}`);
  const rf = Math.min(3, o.brokers);
  const minIsr = Math.min(2, o.brokers);
  const config: Record<string, string | number> = {
    'node.id': nodeId,
    listeners: `PLAINTEXT://${bootstrap}`,
    'advertised.listeners': `PLAINTEXT://${bootstrap}`,
    'samsa.etcd.endpoints': endpoint,
    'log.dirs': logDir,
    'default.replication.factor': rf,
    'min.insync.replicas': minIsr,
    'offsets.topic.replication.factor': rf,
    'transaction.state.log.replication.factor': rf,
    'transaction.state.log.min.isr': minIsr,
  };
  const args = Object.entries(config).flatMap(([k, v]) => ['--override', `${k}=${v}`]);
  return { nodeId, bootstrap, logDir, child: new Child(`broker ${nodeId}`, spawnDetached(process.execPath, [cliEntry(), 'start', ...args]), true) };
}

function spawnDetached(command: string, args: string[]): ChildProcess {
  return spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
}

/** A child process: its last output lines, and its stderr forwarded (prefixed) when asked. */
class Child {
  readonly exited: Promise<string>;
  private readonly tail: string[] = [];
  private readonly waiters: { pattern: RegExp; resolve: () => void }[] = [];

  constructor(
    readonly name: string,
    private readonly proc: ChildProcess,
    forward: boolean,
  ) {
    this.exited = new Promise((r) => {
      proc.once('exit', (code, signal) => r(signal ? `signal ${signal}` : `code ${code}`));
      // A failed spawn (ENOENT, EACCES) may never emit 'exit'.
      proc.once('error', (e) => {
        this.keep(`cannot run ${name}: ${e.message}`);
        if (proc.pid === undefined) r('not started');
      });
    });
    const lines = (onLine: (line: string) => void) => {
      let rest = '';
      return (d: Buffer) => {
        const parts = (rest + d.toString()).split('\n');
        rest = parts.pop()!;
        for (const l of parts) onLine(l);
      };
    };
    proc.stdout!.on('data', lines((l) => this.keep(l)));
    proc.stderr!.on('data', lines((l) => {
      this.keep(l);
      if (forward) process.stderr.write(`[${name}] ${l}\n`);
    }));
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get running(): boolean {
    return this.proc.pid !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Resolves at the first output line matching `pattern`. */
  line(pattern: RegExp): Promise<void> {
    if (this.tail.some((l) => pattern.test(l))) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ pattern, resolve }));
  }

  lastLines(): string {
    return this.tail.map((l) => `  ${l}`).join('\n');
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) process.kill(this.pid, signal);
  }

  /** SIGTERM, SIGKILL after the grace; resolves once the process is gone. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  private keep(line: string): void {
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    for (const w of this.waiters.filter((x) => x.pattern.test(line))) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
  }
}

/**
 * Runs `work` until it completes ('started'), a child in `children` exits (that child), a stop
 * is requested ('stopped') or the start timeout passes; `work` is aborted in the last three cases.
 */
async function untilFirst(stopRequested: Promise<string>, children: Child[], work: (signal: AbortSignal) => Promise<void>): Promise<'started' | 'stopped' | 'timeout' | Child> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let poll: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work(abort.signal).then(() => 'started' as const),
      stopRequested.then(() => 'stopped' as const),
      // Children join the list as the work starts them: watched by polling rather than as a fixed set.
      new Promise<Child>((resolve) => {
        const check = () => {
          const dead = children.find((c) => !c.running);
          if (dead) void dead.exited.then(() => resolve(dead));
          else poll = setTimeout(check, 100);
        };
        check();
      }),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), START_TIMEOUT_MS))),
    ]);
  } finally {
    abort.abort();
    clearTimeout(timer);
    clearTimeout(poll);
  }
}

async function etcdHealthy(endpoint: string, etcd: Child, signal: AbortSignal): Promise<void> {
  while (etcd.running && !signal.aborted) {
    try {
      const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok && ((await res.json()) as { health?: string }).health === 'true') return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Resolves once the broker at `bootstrap` lists `count` brokers (each registered in etcd). */
async function allRegistered(bootstrap: string, count: number, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const admin = new Admin({ brokers: [bootstrap], clientId: 'samsa-dev-cluster', retries: 0 });
    try {
      if ((await admin.describeCluster()).brokers.length >= count) return;
    } catch {
      // not answering yet
    } finally {
      await admin.close();
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stopAll(children: Child[]): Promise<void> {
  const [etcd, ...brokers] = children;
  await Promise.all(brokers.map((b) => b.stop()));
  await etcd?.stop();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}
