// Shared machinery of the interop suite: checks for the external clients, child processes
// killed by PID, brokers on temp dirs that can be restarted, deterministic test records and
// byte-exact comparison. Records are carried as hex strings so that JSON moves them unchanged
// between this process and the Python scripts.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { Produce, RequestHeaderCodec } from '../../src/protocol/generated/index.js';
import { compressionName } from '../../src/protocol/records/index.js';
import { decodeMessage, Reader, requestHeaderVersion } from '../../src/protocol/runtime/index.js';
import { createLogger, type Logger } from '../../src/util/logger.js';
import { rng } from '../lib/rng.js';
/** Deterministic PRNG (see test/lib/rng.ts). */
export const prng = rng;

/** Debian's interpreter: the one with python3-confluent-kafka and python3-kafka. */
export const PYTHON = '/usr/bin/python3';
/** The scripts stay in the source tree (tsc does not copy them); this file runs from dist/test/interop. */
export const PY_DIR = fileURLToPath(new URL('../../../test/interop/py/', import.meta.url));

// ---------------------------------------------------------------------------------------------
// Tools: a missing tool fails the test that needs it, with the reason.

function probe(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.error) return r.error.message;
  if (r.status !== 0) return `exit ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`;
  return undefined;
}

const probed = new Map<string, string | undefined>();
function cachedProbe(key: string, cmd: string, args: string[]): string | undefined {
  if (!probed.has(key)) probed.set(key, probe(cmd, args));
  return probed.get(key);
}

/** Fails (never skips) when kcat cannot run. */
export function requireKcat(): void {
  const problem = cachedProbe('kcat', 'kcat', ['-V']);
  if (problem !== undefined) assert.fail(`kcat is required by this test but \`kcat -V\` failed (${problem}); install Debian's kcat package`);
}

/** Fails (never skips) when /usr/bin/python3 cannot import the module. */
export function requirePythonModule(module: 'confluent_kafka' | 'kafka'): void {
  const problem = cachedProbe(`py:${module}`, PYTHON, ['-c', `import ${module}`]);
  if (problem !== undefined) {
    const pkg = module === 'kafka' ? 'python3-kafka (kafka-python)' : 'python3-confluent-kafka';
    assert.fail(`${PYTHON} cannot import ${module} (${problem}); install Debian's ${pkg}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Child processes, every one killed by PID if still alive when a test ends.

const live = new Map<number, ChildProcess>();

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  input?: Buffer | string;
  timeoutMs?: number;
  env?: Record<string, string>;
}

export function run(cmd: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    if (child.pid !== undefined) live.set(child.pid, child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killChild(child);
    }, options.timeoutMs ?? 120_000);
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.stdin!.on('error', () => undefined); // a tool that exits early closes its stdin
    child.on('error', (e) => {
      clearTimeout(timer);
      if (child.pid !== undefined) live.delete(child.pid);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (child.pid !== undefined) live.delete(child.pid);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), timedOut });
    });
    child.stdin!.end(options.input ?? '');
  });
}

function killChild(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Kills every child this process started that is still running (use in after/finally). */
export function killAllChildren(): void {
  for (const child of live.values()) killChild(child);
  live.clear();
}

/** The last lines of a text, for failure messages. */
export function tail(text: string, lines = 25): string {
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

/** Runs a script of test/interop/py with /usr/bin/python3 and parses the JSON it prints. */
export async function runPy<T = any>(script: string, args: string[], options: RunOptions = {}): Promise<T> {
  // No __pycache__ next to the scripts in the source tree.
  const r = await run(PYTHON, [join(PY_DIR, script), ...args], { timeoutMs: 180_000, ...options, env: { PYTHONDONTWRITEBYTECODE: '1', ...options.env } });
  const text = r.stdout.toString('utf8').trim();
  const last = text.split('\n').pop() ?? '';
  if (r.timedOut || r.code !== 0 || !last.startsWith('{')) {
    assert.fail(`${script} ${args.join(' ')} ${r.timedOut ? 'timed out' : `exited ${r.code ?? r.signal}`}\nstderr:\n${tail(r.stderr)}\nstdout:\n${tail(text, 5).slice(0, 2000)}`);
  }
  return JSON.parse(last) as T;
}

// ---------------------------------------------------------------------------------------------
// Brokers: in-process, port 0, on a temp dir that survives restarts and is removed at the end.

/**
 * What the Produce requests that reached a broker carried, per topic: `codec@magic` of every
 * batch or message-set entry, and the Produce versions used. Proves that a client really sent
 * each codec (and which message format), not just that records came back.
 */
export class ProduceObserver {
  readonly formats = new Map<string, Set<string>>();
  readonly versions = new Map<string, Set<number>>();
  /** `producerId:epoch` of the v2 batches per topic, `-1:-1` for a non-idempotent producer. */
  readonly producers = new Map<string, Set<string>>();

  onFrame(apiKey: number, apiVersion: number, frame: Buffer): void {
    if (apiKey !== Produce.apiKey) return;
    try {
      const r = new Reader(frame);
      RequestHeaderCodec.read(r, requestHeaderVersion(Produce, apiVersion));
      const req = decodeMessage(Produce.request, frame, apiVersion, r.offset);
      for (const t of req.topicData) {
        const formats = this.formats.get(t.name) ?? new Set<string>();
        this.formats.set(t.name, formats);
        const versions = this.versions.get(t.name) ?? new Set<number>();
        this.versions.set(t.name, versions);
        versions.add(apiVersion);
        for (const p of t.partitionData) {
          const buf = p.records;
          if (!buf) continue;
          for (let at = 0; at + 17 < buf.length; at += 12 + buf.readInt32BE(at + 8)) {
            const magic = buf.readInt8(at + 16);
            const attributes = magic >= 2 ? buf.readInt16BE(at + 21) : buf.readInt8(at + 17);
            formats.add(`${compressionName(attributes & 7)}@${magic}`);
            if (magic >= 2) {
              const producers = this.producers.get(t.name) ?? new Set<string>();
              this.producers.set(t.name, producers);
              producers.add(`${buf.readBigInt64BE(at + 43)}:${buf.readInt16BE(at + 51)}`);
            }
          }
        }
      }
    } catch {
      // a malformed request is the broker's business; the test sees the client's error
    }
  }

  /** Fails unless every codec in `want` reached the broker for `topic`, explaining librdkafka's LZ4 rule. */
  assertCodecs(topic: string, want: readonly string[], broker: TestBroker): void {
    const seen = this.codecs(topic);
    const missing = want.filter((c) => !seen.includes(c));
    if (missing.length === 0) return;
    const served = new Set(broker.running?.broker.registry.all().map((h) => h.api.name) ?? []);
    const hint =
      missing.includes('lz4') && !served.has('FindCoordinator')
        ? '\nlibrdkafka enables LZ4 only when the broker advertises FindCoordinator v0 (rdkafka_feature.c: RD_KAFKA_FEATURE_LZ4 depends on it as the proxy for Kafka 0.8.2), and this broker does not serve FindCoordinator yet: the client logs "Broker does not support compression type lz4: not compressing batch" and sends the batch uncompressed.'
        : '';
    assert.fail(`Produce requests for ${topic} carried ${seen.join(', ') || 'nothing'}; missing ${missing.join(', ')} (formats seen: ${[...(this.formats.get(topic) ?? [])].join(', ')})${hint}`);
  }

  /** Codec names seen for a topic (any magic). */
  codecs(topic: string): string[] {
    return [...new Set([...(this.formats.get(topic) ?? [])].map((f) => f.split('@')[0]!))].sort();
  }
}

export class TestBroker {
  running: RunningBroker | undefined;
  /** The broker's warnings and errors, shown when a client fails. */
  readonly logLines: string[] = [];
  readonly produced = new ProduceObserver();
  private readonly logger: Logger;

  private constructor(
    readonly dir: string,
    readonly config: Record<string, string | number | boolean>,
  ) {
    this.logger = createLogger(process.env.SAMSA_INTEROP_LOG_LEVEL === 'debug' ? 'debug' : 'warn', {}, (line) => {
      if (this.logLines.length < 500) this.logLines.push(line.trimEnd());
      if (process.env.SAMSA_INTEROP_BROKER_LOG) process.stderr.write(line); // debugging aid: see the broker's warnings live (SAMSA_INTEROP_LOG_LEVEL=debug: everything)
    });
  }

  static async start(config: Record<string, string | number | boolean> = {}): Promise<TestBroker> {
    const dir = await mkdtemp(join(tmpdir(), 'samsa-interop-'));
    const b = new TestBroker(dir, config);
    try {
      await b.open();
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
    return b;
  }

  private async open(port = 0): Promise<void> {
    this.running = await startBroker({
      port,
      host: '127.0.0.1',
      logDirs: this.dir,
      config: this.config,
      logger: this.logger,
      onRequestFrame: (key, version, frame) => this.produced.onFrame(key, version, frame),
    });
  }

  get bootstrap(): string {
    assert.ok(this.running, 'broker is not running');
    return this.running.bootstrap;
  }

  /**
   * Closes the broker and starts it again on the same log dir: on a new port, or on the same one
   * (`samePort`) for clients that stay connected across the restart.
   */
  async restart(opts: { samePort?: boolean; downMs?: number } = {}): Promise<void> {
    const port = opts.samePort ? this.running?.port : undefined;
    await this.running?.close();
    this.running = undefined;
    if (opts.downMs) await new Promise((r) => setTimeout(r, opts.downMs));
    await this.open(port);
  }

  /** The broker's log since `from` (an index into logLines), for failure messages. */
  logSince(from = 0): string {
    return this.logLines.slice(from).join('\n');
  }

  async dispose(): Promise<void> {
    try {
      await this.running?.close();
    } finally {
      this.running = undefined;
      await rm(this.dir, { recursive: true, force: true });
    }
  }
}

/** A temp dir for records files; removed by the returned function. */
export async function scratchDir(): Promise<{ dir: string; file: (name: string) => string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-interop-files-'));
  return { dir, file: (name) => join(dir, name), remove: () => rm(dir, { recursive: true, force: true }) };
}

// ---------------------------------------------------------------------------------------------
// Records.

/** A record to produce; bytes in hex, `null` for a null key/value/header value. */
export interface TestRecord {
  p?: number;
  k: string | null;
  v: string | null;
  h: [string, string | null][];
  ts?: number;
}

/** A record as a consumer saw it. */
export interface SeenRecord {
  p: number;
  o: number;
  ts: number;
  tt: string;
  k: string | null;
  v: string | null;
  h: [string, string | null][];
}

/** What one client can carry (kafka-python cannot send null header values nor key=value=null). */
export interface RecordCaps {
  headers: boolean;
  nullHeaderValues: boolean;
  /** Whether a record may have both key and value null. */
  nullKeyAndValue: boolean;
  /** Explicit timestamps (kcat cannot set them). */
  timestamps: boolean;
  /** Byte sequences that must not occur in keys / values (kcat's delimiters). */
  keyForbidden?: Buffer[];
  valueForbidden?: Buffer[];
  /** Keys may be null (kcat: a message without the key delimiter). */
  nullKeys: boolean;
  nullValues: boolean;
  /** A record with a null key needs a non-empty value (kcat skips an empty input message). */
  noEmptyMessage?: boolean;
}

/** kafka-python's send() rejects null header values and records whose key and value are both null. */
export const KP_CAPS: RecordCaps = { headers: true, nullHeaderValues: false, nullKeyAndValue: false, timestamps: true, nullKeys: true, nullValues: true };

export const FULL_CAPS: RecordCaps = { headers: true, nullHeaderValues: true, nullKeyAndValue: true, timestamps: true, nullKeys: true, nullValues: true };


const WORDS = ['kafka', 'samsa', 'broker', 'record', 'batch', 'offset', 'topic', 'partition', 'ñandú', '日本', 'zstd', 'lz4', '\n', '\t', '{"json":true}'];
const HEADER_NAMES = ['trace-id', 'content-type', 'dup', 'dup', 'émoji-🙂', '', 'x'];

function bytesOf(rand: () => number, len: number): Buffer {
  const b = Buffer.allocUnsafe(len);
  if (rand() < 0.5) {
    for (let i = 0; i < len; i++) b[i] = Math.floor(rand() * 256);
  } else {
    // compressible text with some binary in it
    let s = '';
    while (Buffer.byteLength(s) < len) s += WORDS[Math.floor(rand() * WORDS.length)]! + (rand() < 0.1 ? '\u0000' : ' ');
    Buffer.from(s).copy(b, 0, 0, len);
  }
  return b;
}

function clean(b: Buffer, forbidden: Buffer[] | undefined, rand: () => number): Buffer {
  if (!forbidden) return b;
  while (forbidden.some((f) => b.includes(f))) {
    for (const f of forbidden) {
      let at = b.indexOf(f);
      while (at >= 0) {
        b[at] = 0x41 + Math.floor(rand() * 26);
        at = b.indexOf(f);
      }
    }
  }
  return b;
}

function valueLength(rand: () => number, i: number): number {
  if (i % 997 === 5) return 16_000 + Math.floor(rand() * 8000); // a few large ones: batches split, codecs get real work
  const r = rand();
  if (r < 0.7) return Math.floor(rand() * 200);
  if (r < 0.97) return 200 + Math.floor(rand() * 1800);
  return 2000 + Math.floor(rand() * 6000);
}

/**
 * `count` records from `seed`: keys/values of random or compressible bytes (some null, some
 * empty when the client can carry that), headers with duplicate, empty and non-ASCII names, and
 * non-decreasing timestamps from `baseTs` (equal neighbours included).
 */
export function makeRecords(seed: number, count: number, caps: RecordCaps, baseTs = 1_700_000_000_000): TestRecord[] {
  const rand = prng(seed);
  const out: TestRecord[] = [];
  let ts = baseTs;
  for (let i = 0; i < count; i++) {
    let k: Buffer | null = null;
    const kr = rand();
    if (!(caps.nullKeys && kr < 0.05)) k = clean(bytesOf(rand, kr < 0.07 ? 0 : 1 + Math.floor(rand() * 40)), caps.keyForbidden, rand);
    let v: Buffer | null = null;
    const vr = rand();
    if (!(caps.nullValues && vr < 0.03) || (k === null && !caps.nullKeyAndValue)) {
      const empty = vr < 0.05 && !(k === null && caps.noEmptyMessage);
      v = clean(bytesOf(rand, empty ? 0 : Math.max(1, valueLength(rand, i))), caps.valueForbidden, rand);
    }
    const h: [string, string | null][] = [];
    if (caps.headers) {
      const n = Math.floor(rand() * 5);
      for (let j = 0; j < n; j++) {
        const name = HEADER_NAMES[Math.floor(rand() * HEADER_NAMES.length)]!;
        const hv = caps.nullHeaderValues && rand() < 0.1 ? null : bytesOf(rand, Math.floor(rand() * 30)).toString('hex');
        h.push([name, hv]);
      }
    }
    if (rand() < 0.7) ts += Math.floor(rand() * 20);
    out.push({ k: k === null ? null : k.toString('hex'), v: v === null ? null : v.toString('hex'), h, ...(caps.timestamps ? { ts } : {}) });
  }
  return out;
}

export async function writeRecordsFile(path: string, records: TestRecord[]): Promise<void> {
  await writeFile(path, JSON.stringify({ records }));
}

/** A produced record and where it landed. */
export interface Placed {
  p: number;
  o: number;
  rec: TestRecord;
}

function describeRecord(r: SeenRecord | TestRecord | undefined): string {
  if (!r) return 'nothing';
  const short = (h: string | null) => (h === null ? 'null' : h.length > 48 ? `${h.slice(0, 48)}…(${h.length / 2} bytes)` : `"${h}"`);
  return `key=${short(r.k)} value=${short(r.v)} headers=${JSON.stringify(r.h)} ts=${r.ts ?? '-'}`;
}

/**
 * Checks that `seen` holds exactly the `expected` records at their offsets: same key, value and
 * headers byte for byte, same timestamp when one was set (else within `tsWindow`), CreateTime.
 */
export function assertRecordsMatch(label: string, expected: Placed[], seen: SeenRecord[], opts: { tsWindow?: [number, number]; context?: () => string } = {}): void {
  const byPos = new Map<string, SeenRecord>();
  const dups: string[] = [];
  for (const s of seen) {
    const key = `${s.p}:${s.o}`;
    if (byPos.has(key)) dups.push(key);
    byPos.set(key, s);
  }
  const problems: string[] = [];
  if (dups.length) problems.push(`${dups.length} offsets seen twice, e.g. ${dups.slice(0, 5).join(', ')}`);
  if (seen.length !== expected.length) problems.push(`consumed ${seen.length} records, expected ${expected.length}`);
  for (const e of expected) {
    if (problems.length > 12) break;
    const s = byPos.get(`${e.p}:${e.o}`);
    const at = `partition ${e.p} offset ${e.o}`;
    if (!s) {
      problems.push(`${at}: missing`);
      continue;
    }
    const same =
      s.k === e.rec.k &&
      s.v === e.rec.v &&
      JSON.stringify(s.h) === JSON.stringify(e.rec.h) &&
      (e.rec.ts !== undefined ? s.ts === e.rec.ts : !opts.tsWindow || (s.ts >= opts.tsWindow[0] && s.ts <= opts.tsWindow[1])) &&
      s.tt === 'create';
    if (!same) problems.push(`${at}: got ${describeRecord(s)} (${s.tt}), want ${describeRecord(e.rec)}`);
  }
  if (problems.length) assert.fail(`${label}: ${problems.length} problems\n${problems.slice(0, 12).join('\n')}${opts.context ? `\n${opts.context()}` : ''}`);
}

/** Places records produced in order to partitions whose logs start empty: offsets count up per partition. */
export function placeInOrder(records: TestRecord[], partitionOf: (r: TestRecord, i: number) => number, start: Map<number, number> = new Map()): Placed[] {
  const next = new Map(start);
  return records.map((rec, i) => {
    const p = partitionOf(rec, i);
    const o = next.get(p) ?? 0;
    next.set(p, o + 1);
    return { p, o, rec };
  });
}

/** Consumed records in (partition, offset) order, for comparing two reads of the same data. */
export function sortSeen(seen: SeenRecord[]): SeenRecord[] {
  return [...seen].sort((a, b) => a.p - b.p || a.o - b.o);
}

/** Two reads of the same partitions must agree on every field, timestamps included. */
export function assertSameReads(label: string, first: SeenRecord[], second: SeenRecord[]): void {
  const a = sortSeen(first);
  const b = sortSeen(second);
  assert.equal(b.length, a.length, `${label}: ${b.length} records vs ${a.length}`);
  for (let i = 0; i < a.length; i++) {
    if (JSON.stringify(a[i]) !== JSON.stringify(b[i])) assert.fail(`${label}: record ${i} differs:\n${JSON.stringify(a[i])}\n${JSON.stringify(b[i])}`);
  }
}

// ---------------------------------------------------------------------------------------------
// kcat

/** kcat's delimiters: multi-byte sequences the generated keys and values avoid. */
export const KCAT_MSG_DELIM = Buffer.from([0xff, 0xfe, 0xfd, 0xfc]);
export const KCAT_KEY_DELIM = Buffer.from([0xfb, 0xfa, 0xf9]);
const escape = (b: Buffer) => [...b].map((x) => `\\x${x.toString(16).padStart(2, '0')}`).join('');

export const KCAT_CAPS: RecordCaps = {
  headers: false, // kcat -P sets the same -H headers on every message of a run
  nullHeaderValues: false,
  nullKeyAndValue: false,
  timestamps: false,
  keyForbidden: [KCAT_MSG_DELIM, KCAT_KEY_DELIM],
  valueForbidden: [KCAT_MSG_DELIM, KCAT_KEY_DELIM],
  nullKeys: true, // a message without the key delimiter has a null key
  nullValues: false,
  noEmptyMessage: true,
};

/**
 * Produces with `kcat -P`: stdin holds key, key delimiter, value, message delimiter per record
 * (no key delimiter: null key). `headers` (-H) go on every message.
 */
export async function kcatProduce(
  bootstrap: string,
  topic: string,
  records: TestRecord[],
  opts: { partition?: number; codec?: string; headers?: [string, string | null][]; extra?: string[]; timeoutMs?: number } = {},
): Promise<RunResult> {
  const parts: Buffer[] = [];
  for (const r of records) {
    if (r.v === null) throw new Error('kcat cannot produce a null value');
    if (r.k !== null) parts.push(Buffer.from(r.k, 'hex'), KCAT_KEY_DELIM);
    parts.push(Buffer.from(r.v, 'hex'), KCAT_MSG_DELIM);
  }
  const args = ['-b', bootstrap, '-P', '-t', topic, '-D', escape(KCAT_MSG_DELIM), '-K', escape(KCAT_KEY_DELIM)];
  if (opts.partition !== undefined) args.push('-p', String(opts.partition));
  if (opts.codec && opts.codec !== 'none') args.push('-z', opts.codec);
  for (const [name, value] of opts.headers ?? []) args.push('-H', value === null ? name : `${name}=${value}`); // `-H name`: null value
  args.push(...(opts.extra ?? []));
  return run('kcat', args, { input: Buffer.concat(parts), timeoutMs: opts.timeoutMs ?? 120_000 });
}

/** One `kcat -J` line as a SeenRecord. kcat writes bytes >= 0x80 raw and escapes control bytes, so latin1 gives the bytes back. */
export function fromKcatJson(line: string): SeenRecord {
  const o = JSON.parse(line) as { partition: number; offset: number; ts: number; tstype: string; key: string | null; payload: string | null; headers?: (string | null)[] };
  const hex = (s: string | null) => (s === null ? null : Buffer.from(s, 'latin1').toString('hex'));
  const h: [string, string | null][] = [];
  const hs = o.headers ?? [];
  for (let i = 0; i < hs.length; i += 2) h.push([Buffer.from(hs[i]!, 'latin1').toString('utf8'), hex(hs[i + 1] ?? null)]);
  return { p: o.partition, o: o.offset, ts: o.ts, tt: o.tstype, k: hex(o.key), v: hex(o.payload), h };
}

/** `kcat -C -J -e`: everything from `offset` to the end of every partition (or `-p`). */
export async function kcatConsume(
  bootstrap: string,
  topic: string,
  opts: { offset?: string; partition?: number; extra?: string[]; timeoutMs?: number } = {},
): Promise<{ records: SeenRecord[]; result: RunResult }> {
  const args = ['-b', bootstrap, '-C', '-J', '-e', '-t', topic, '-o', opts.offset ?? 'beginning'];
  if (opts.partition !== undefined) args.push('-p', String(opts.partition));
  args.push(...(opts.extra ?? []));
  const result = await run('kcat', args, { timeoutMs: opts.timeoutMs ?? 120_000 });
  const lines = result.stdout.toString('latin1').split('\n').filter((l) => l.startsWith('{'));
  return { records: lines.map(fromKcatJson), result };
}

export function describeRun(r: RunResult): string {
  return `exit ${r.timedOut ? 'timeout' : (r.code ?? r.signal)}\nstderr:\n${tail(r.stderr)}`;
}

// ---------------------------------------------------------------------------------------------
// The Python producers/consumers (ck_* for confluent-kafka, kp_* for kafka-python)

export interface DeliveryReport {
  i: number;
  p: number | null;
  o: number | null;
  ts: number | null;
  err: { code: number | null; name: string; str: string } | null;
}

export interface ProduceOutput {
  reports: (DeliveryReport | null)[];
  errors?: unknown[];
  logs: string[];
  unflushed?: number;
  api_version?: number[];
  codecs?: Record<string, boolean>;
}

export interface ConsumeOutput {
  records: SeenRecord[];
  errors: { code: number | null; name: string; str: string }[];
  eof?: number[];
  logs: string[];
  api_version?: number[];
}

let fileCounter = 0;

/** Writes `records` to a file in `dir` and runs a *_produce.py script on it. */
export async function pyProduce(script: 'ck_produce.py' | 'kp_produce.py', dir: string, bootstrap: string, topic: string, records: TestRecord[], args: string[] = []): Promise<ProduceOutput> {
  const file = join(dir, `records-${process.pid}-${fileCounter++}.json`);
  await writeRecordsFile(file, records);
  try {
    return await runPy<ProduceOutput>(script, ['--bootstrap', bootstrap, '--topic', topic, '--records', file, ...args]);
  } finally {
    await rm(file, { force: true });
  }
}

/** Every record delivered: returns where each landed; else fails with the reports, client log and broker log. */
export function placedFromReports(label: string, records: TestRecord[], out: ProduceOutput, broker?: TestBroker): Placed[] {
  const failed = out.reports.filter((r) => !r || r.err !== null || r.o === null || r.o < 0);
  if (failed.length || out.reports.length !== records.length || (out.unflushed ?? 0) > 0) {
    const sample = failed.slice(0, 5).map((r) => JSON.stringify(r));
    assert.fail(
      `${label}: ${failed.length} of ${records.length} records not delivered (${out.reports.length} reports, ${out.unflushed ?? 0} unflushed)\n${sample.join('\n')}` +
        `\nclient errors: ${JSON.stringify(out.errors ?? [])}\nclient log:\n${out.logs.slice(-20).join('\n')}` +
        (broker ? `\nbroker log:\n${broker.logSince()}` : ''),
    );
  }
  return out.reports.map((r, i) => ({ p: r!.p!, o: r!.o!, rec: records[i]! }));
}
