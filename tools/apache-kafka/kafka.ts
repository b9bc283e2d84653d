// Apache Kafka itself, for the differential tests, the Java-client interop tests and the benches:
// its jars come from Maven Central (tools/apache-kafka/pom.xml) into a cache folder, and a
// single-node KRaft broker (broker and controller in one JVM) starts on 127.0.0.1 in a temp dir.
// Missing java or mvn is an error that names the package; nothing here is skipped.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Kafka release the pom names (kept in one place: the pom's kafka.version property). */
export const KAFKA_VERSION = '4.1.1';

/** tools/apache-kafka in the source tree (this file runs from dist/tools/apache-kafka). */
export const KAFKA_TOOLS_DIR = fileURLToPath(new URL('../../../tools/apache-kafka/', import.meta.url));

function cacheRoot(): string {
  return process.env.SAMSA_KAFKA_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'samsa');
}

function requireTool(cmd: string, args: string[], pkg: string): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error || r.status !== 0) {
    throw new Error(`\`${cmd} ${args.join(' ')}\` failed (${r.error?.message ?? (r.stderr || r.stdout).trim().split('\n').pop()}); install Debian's ${pkg}`);
  }
}

/**
 * The folder holding every jar of Apache Kafka's broker, tools and clients (a Java classpath is
 * `${dir}/*`). Fetched with Maven once, then reused; a fetch that fails leaves no half folder.
 */
export function kafkaLibs(): string {
  const dir = join(cacheRoot(), `apache-kafka-${KAFKA_VERSION}`, 'libs');
  if (existsSync(join(dir, `kafka_2.13-${KAFKA_VERSION}.jar`)) && existsSync(join(dir, `kafka-clients-${KAFKA_VERSION}.jar`))) return dir;
  requireTool('java', ['-version'], 'openjdk-17-jre-headless');
  requireTool('mvn', ['-v'], 'maven');
  mkdirSync(join(cacheRoot(), `apache-kafka-${KAFKA_VERSION}`), { recursive: true });
  const work = mkdtempSync(join(cacheRoot(), 'fetch-'));
  try {
    copyFileSync(join(KAFKA_TOOLS_DIR, 'pom.xml'), join(work, 'pom.xml'));
    const r = spawnSync('mvn', ['-q', '-B', 'dependency:copy-dependencies', '-DoutputDirectory=libs', '-DincludeScope=runtime'], {
      cwd: work,
      encoding: 'utf8',
      timeout: 15 * 60_000,
    });
    if (r.status !== 0) throw new Error(`fetching Apache Kafka ${KAFKA_VERSION} with mvn failed:\n${(r.stdout + r.stderr).trim().split('\n').slice(-20).join('\n')}`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(join(work, 'libs'), dir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return dir;
}

/** The Java classpath of the fetched jars. */
export function kafkaClasspath(): string {
  return `${kafkaLibs()}/*`;
}

/** A free TCP port on 127.0.0.1 (Kafka needs its ports in its config before it starts). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface ApacheKafkaOptions {
  /** Extra `server.properties` entries (override the defaults below). */
  config?: Record<string, string | number | boolean>;
  /** JVM heap (default 768m). */
  heap?: string;
  /** How long to wait for the broker to answer (default 90 s: a cold JVM on a busy 2-core machine). */
  startTimeoutMs?: number;
}

export interface RunningApacheKafka {
  readonly bootstrap: string;
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  readonly dataDir: string;
  /** The last lines Kafka wrote to stderr/stdout (warnings and errors), for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after 15 s; removes the data folder. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) if (c.pid !== undefined && c.exitCode === null) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
});

/** Starts a single-node KRaft Apache Kafka on 127.0.0.1 with the defaults a single node needs. */
export async function startApacheKafka(options: ApacheKafkaOptions = {}): Promise<RunningApacheKafka> {
  const classpath = kafkaClasspath();
  const host = '127.0.0.1';
  const port = await freePort(host);
  const controllerPort = await freePort(host);
  const dataDir = mkdtempSync(join(tmpdir(), 'apache-kafka-'));
  const logDir = join(dataDir, 'logs');
  const config: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${host}:${controllerPort}`,
    listeners: `PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${host}:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': logDir,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 50,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    'num.partitions': 1,
    ...options.config,
  };
  const propsFile = join(dataDir, 'server.properties');
  writeFileSync(propsFile, Object.entries(config).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const jvm = [`-Xmx${options.heap ?? '768m'}`, `-Xms${options.heap ?? '768m'}`, '-XX:+UseG1GC', '-Xshare:auto', `-Dlog4j2.configurationFile=${join(KAFKA_TOOLS_DIR, 'log4j2.yaml')}`, '-cp', classpath];
  const clusterId = 'c2Ftc2EtZGlmZmVyZW50aQ'; // a base64 UUID (16 bytes), fixed so runs are alike
  const fmt = spawnSync('java', [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile], { encoding: 'utf8', timeout: 120_000 });
  if (fmt.status !== 0) {
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`kafka-storage format failed: ${(fmt.stdout + fmt.stderr).trim()}`);
  }
  const child = spawn('java', [...jvm, 'kafka.Kafka', propsFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString('utf8')).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    running.delete(child);
    resolve();
  }));
  const stop = async () => {
    if (!exited && child.pid !== undefined) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(t);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 90_000);
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`Apache Kafka exited during start:\n${out.trim().split('\n').slice(-30).join('\n')}`);
    }
    if (await answersApiVersions(host, port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Apache Kafka did not answer on ${host}:${port} within ${options.startTimeoutMs ?? 90_000} ms:\n${out.trim().split('\n').slice(-30).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { bootstrap: `${host}:${port}`, host, port, pid: child.pid!, dataDir, output: () => out, stop };
}

/** True once the port answers an ApiVersions v0 request (the broker's request handling is up). */
function answersApiVersions(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(2_000, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => {
      // size, api key 18, version 0, correlation id 1, client id "probe"
      const clientId = Buffer.from('probe');
      const frame = Buffer.alloc(4 + 10 + clientId.length);
      frame.writeInt32BE(frame.length - 4, 0);
      frame.writeInt16BE(18, 4);
      frame.writeInt16BE(0, 6);
      frame.writeInt32BE(1, 8);
      frame.writeInt16BE(clientId.length, 12);
      clientId.copy(frame, 14);
      sock.write(frame);
    });
    let got = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      // correlation id then error code 0
      if (got.length >= 10) done(got.readInt32BE(4) === 1 && got.readInt16BE(8) === 0);
    });
  });
}
