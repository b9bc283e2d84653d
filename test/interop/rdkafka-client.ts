// A current librdkafka (built from source by test/interop/rdkafka, through the
// @confluentinc/kafka-javascript bindings) driven from this process against an in-process broker.
// The clients share the broker's event loop, so only the bindings' asynchronous calls are used:
// a synchronous one that waits for the broker (commitSync, …) would wait forever.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SeenRecord, TestRecord } from './helpers.js';

/** The package's folder in the source tree (this file runs from dist/test/interop). */
export const RDKAFKA_DIR = fileURLToPath(new URL('../../../test/interop/rdkafka/', import.meta.url));
export const INSTALL_COMMAND =
  'apt-get install -y gcc g++ make python3 zlib1g-dev libssl-dev libzstd-dev && npm ci --prefix test/interop/rdkafka';
/** The librdkafka the lockfile brings; an older one means the package was downgraded. */
export const MIN_LIBRDKAFKA = '2.15.1';

// The bindings are untyped here (the package may be missing when tsc runs): just what is used.
export type Conf = Record<string, string | number | boolean | ((...args: any[]) => void)>;
export interface RdError {
  message: string;
  code: number;
  isFatal?: boolean;
  isRetriable?: boolean;
  isTxnRequiresAbort?: boolean;
}
type Cb<T = void> = (err: RdError | null | undefined, value: T) => void;
export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: number;
  error?: RdError;
}
export interface RdMessage {
  topic: string;
  partition: number;
  offset: number;
  timestamp?: number;
  key?: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer>[];
}
interface Client {
  connect(opts: object, cb: Cb<unknown>): void;
  disconnect(cb: Cb<unknown>): void;
  on(ev: string, fn: (...args: any[]) => void): void;
  removeListener(ev: string, fn: (...args: any[]) => void): void;
  setMaxListeners(n: number): void;
  isConnected(): boolean;
  offsetsForTimes(tps: TopicPartitionOffset[], timeout: number, cb: Cb<TopicPartitionOffset[]>): void;
  queryWatermarkOffsets(topic: string, partition: number, timeout: number, cb: Cb<{ lowOffset: number; highOffset: number }>): void;
}
export interface RdProducer extends Client {
  produce(topic: string, partition: number | null, value: Buffer | null, key: Buffer | null, timestamp: number | null, opaque: unknown, headers: Record<string, Buffer>[]): void;
  setPollInterval(ms: number): void;
  flush(timeout: number, cb: Cb): void;
  initTransactions(timeout: number, cb: (err: RdError | null) => void): void;
  beginTransaction(cb: (err: RdError | null) => void): void;
  commitTransaction(timeout: number, cb: (err: RdError | null) => void): void;
  abortTransaction(timeout: number, cb: (err: RdError | null) => void): void;
  sendOffsetsToTransaction(offsets: TopicPartitionOffset[], consumer: RdConsumer, timeout: number, cb: (err: RdError | null) => void): void;
}
export interface RdConsumer extends Client {
  subscribe(topics: (string | RegExp)[]): void;
  assign(tps: TopicPartitionOffset[]): void;
  consume(n: number, cb: Cb<RdMessage[]>): void;
  setDefaultConsumeTimeout(ms: number): void;
  commit(tps?: TopicPartitionOffset[]): void;
  commitCb(tps: TopicPartitionOffset[] | null, cb: (err: RdError | null) => void): void;
  committed(tps: { topic: string; partition: number }[], timeout: number, cb: Cb<TopicPartitionOffset[]>): void;
  assignments(): { topic: string; partition: number }[];
  rebalanceProtocol(): string;
  incrementalAssign(tps: object[]): void;
  incrementalUnassign(tps: object[]): void;
  unassign(): void;
}
export interface RdKafka {
  librdkafkaVersion: string;
  features: string[];
  Producer: new (conf: Conf, topicConf?: Conf) => RdProducer;
  KafkaConsumer: new (conf: Conf, topicConf?: Conf) => RdConsumer;
  AdminClient: { create(conf: Conf, handlers?: Record<string, (...a: any[]) => void>): any };
  OffsetSpec: { EARLIEST: unknown; LATEST: unknown; MAX_TIMESTAMP: unknown; new (ts: number): unknown };
  CODES: { ERRORS: Record<string, number> };
}

let loaded: RdKafka | undefined;

const versionNumber = (v: string) => v.split('.').map(Number).reduce((a, n) => a * 1000 + n, 0);

/** The bindings; fails (never skips) with the install command when they are missing or too old. */
export function loadRdkafka(): RdKafka {
  if (loaded) return loaded;
  const dir = join(RDKAFKA_DIR, 'node_modules', '@confluentinc', 'kafka-javascript');
  if (!existsSync(dir)) assert.fail(`librdkafka bindings not installed (${dir} missing); run from the repository root: ${INSTALL_COMMAND}`);
  let mod: RdKafka;
  try {
    mod = createRequire(import.meta.url)(dir) as RdKafka;
  } catch (e) {
    assert.fail(`the librdkafka bindings did not load (${(e as Error).message}); rebuild them: ${INSTALL_COMMAND}`);
  }
  assert.ok(versionNumber(mod.librdkafkaVersion) >= versionNumber(MIN_LIBRDKAFKA), `librdkafka ${mod.librdkafkaVersion} is older than ${MIN_LIBRDKAFKA}: ${INSTALL_COMMAND}`);
  for (const f of ['gzip', 'snappy', 'lz4', 'zstd', 'regex']) assert.ok(mod.features.includes(f), `librdkafka built without ${f} (${mod.features.join(',')}): ${INSTALL_COMMAND}`);
  loaded = mod;
  return mod;
}

/** A client's log (with `debug` set, the protocol trace) and errors, for failure messages and checks. */
export class ClientLog {
  readonly lines: string[] = [];
  readonly errors: RdError[] = [];
  /** Lines logged at syslog severity warning (4) or worse, debug or not. */
  readonly warnings: string[] = [];
  constructor(readonly name: string) {
    allLogs.push(this);
  }
  attach(c: Client): void {
    c.on('event.log', (e: { severity: number; fac: string; message: string }) => {
      this.push(`${e.fac} ${e.message}`);
      if (e.severity <= 4) this.warnings.push(`${e.severity} ${e.fac} ${e.message}`);
    });
    c.on('event.error', (e: RdError) => {
      this.errors.push(e);
      this.push(`ERROR ${e.code} ${e.message}`);
    });
  }
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > 20_000) this.lines.splice(0, 10_000);
  }
  tail(n = 30): string {
    return `${this.name} log:\n${this.lines.slice(-n).join('\n')}`;
  }
}

/** Every client log of this process, for a last look at warnings. */
export const allLogs: ClientLog[] = [];

const BASE: Conf = { 'client.id': 'samsa-interop', 'socket.timeout.ms': 20_000, 'log.connection.close': true };

function connect<T extends Client>(c: T, log: ClientLog): Promise<T> {
  log.attach(c);
  return new Promise((resolve, reject) => c.connect({ timeout: 20_000 }, (err) => (err ? reject(new Error(`${log.name}: connect failed: ${err.message}\n${log.tail()}`)) : resolve(c))));
}

export async function producer(bootstrap: string, conf: Conf, log: ClientLog): Promise<RdProducer> {
  const k = loadRdkafka();
  const p = new k.Producer({ ...BASE, 'bootstrap.servers': bootstrap, dr_cb: true, 'linger.ms': 5, ...conf });
  await connect(p, log);
  p.setPollInterval(10);
  return p;
}

export async function consumer(bootstrap: string, conf: Conf, log: ClientLog, topicConf: Conf = {}): Promise<RdConsumer> {
  const k = loadRdkafka();
  const c = new k.KafkaConsumer({ ...BASE, 'bootstrap.servers': bootstrap, ...conf }, { 'auto.offset.reset': 'earliest', ...topicConf });
  await connect(c, log);
  c.setDefaultConsumeTimeout(100); // short: each pending consume holds a libuv thread the broker's fs also needs
  return c;
}

/** Disconnects, giving up after 15 s so that a stuck client cannot hang the suite. */
export function disconnect(c: Client | undefined): Promise<void> {
  if (!c || !c.isConnected()) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 15_000);
    c.disconnect(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export function call<T>(f: (cb: Cb<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => f((err, v) => (err ? reject(Object.assign(new Error(err.message), err)) : resolve(v))));
}

export function callVoid(f: (cb: (err: RdError | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => f((err) => (err ? reject(Object.assign(new Error(err.message), err)) : resolve())));
}

// ---------------------------------------------------------------------------------------------
// Records in the hex form of helpers.ts. The bindings carry no null header value (produce takes a
// string or a Buffer) and give a header's value back as a Buffer.

export function headersOf(r: TestRecord): Record<string, Buffer>[] {
  return r.h.map(([name, v]) => ({ [name]: Buffer.from(v ?? '', 'hex') }));
}

export function seenOf(m: RdMessage): SeenRecord {
  return {
    p: m.partition,
    o: m.offset,
    ts: m.timestamp ?? -1,
    tt: 'create', // the bindings do not expose the timestamp type; LogAppendTime is not configured here
    k: m.key === null || m.key === undefined ? null : m.key.toString('hex'),
    v: m.value === null ? null : m.value.toString('hex'),
    h: (m.headers ?? []).map((h) => {
      const [name, v] = Object.entries(h)[0]!;
      return [name, v.toString('hex')];
    }),
  };
}

export interface Delivery {
  i: number;
  p: number;
  o: number;
  err: RdError | null;
}

/** Produces `records` (to `r.p` when set) and waits for every delivery report. */
export async function produceAll(p: RdProducer, topic: string, records: TestRecord[], timeoutMs = 60_000): Promise<Delivery[]> {
  const reports: (Delivery | undefined)[] = new Array(records.length);
  let pending = records.length;
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const onReport = (err: RdError | null, rep: { partition: number; offset: number; opaque: { i: number; tag: object } }) => {
    if (!rep?.opaque || rep.opaque.tag !== tag) return;
    if (reports[rep.opaque.i] === undefined) pending--;
    reports[rep.opaque.i] = { i: rep.opaque.i, p: rep.partition, o: rep.offset, err: err ?? null };
    if (pending === 0) done();
  };
  const tag = {};
  p.on('delivery-report', onReport);
  p.setMaxListeners(0); // one listener per produceAll in flight
  if (records.length === 0) done();
  for (const [i, r] of records.entries()) {
    const key = r.k === null ? null : Buffer.from(r.k, 'hex');
    const value = r.v === null ? null : Buffer.from(r.v, 'hex');
    for (;;) {
      try {
        p.produce(topic, r.p ?? null, value, key, r.ts ?? null, { i, tag }, headersOf(r));
        break;
      } catch (e) {
        if (!/queue full/i.test((e as Error).message)) throw e;
        await new Promise((res) => setTimeout(res, 20)); // QUEUE_FULL: let delivery reports drain
      }
    }
  }
  const timer = new Promise<void>((r) => setTimeout(r, timeoutMs).unref());
  await Promise.race([all, timer]);
  p.removeListener('delivery-report', onReport);
  return reports.map((r, i) => r ?? { i, p: -1, o: -1, err: { message: 'no delivery report', code: -1 } });
}

/** Reads until `expect` records arrived (or `timeoutMs`), then `settleMs` more for extras. */
export async function consumeN(c: RdConsumer, expect: number, timeoutMs = 60_000, settleMs = 300): Promise<RdMessage[]> {
  const out: RdMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  let settleUntil = Infinity;
  while (Date.now() < deadline && Date.now() < settleUntil) {
    const batch = await new Promise<RdMessage[]>((resolve, reject) => c.consume(500, (err, ms) => (err ? reject(Object.assign(new Error(err.message), err)) : resolve(ms))));
    out.push(...batch);
    if (out.length >= expect && settleUntil === Infinity) settleUntil = Date.now() + settleMs;
  }
  return out;
}

/** Lines of a debug log that say the broker refused, failed or dropped something. */
export function protocolTrouble(lines: string[]): string[] {
  return lines.filter(
    (l) =>
      /Protocol (read|parse) (buffer underflow|failure)|unsupported|UNSUPPORTED_VERSION|INVALID_REQUEST|CORRUPT_MESSAGE|Disconnected \(after|Connection closed|Receive failed|Send failed|broker request timed out|timed out in flight/i.test(l) &&
      !/Decommissioning|Broker handle is terminating|destroyed/.test(l),
  );
}
