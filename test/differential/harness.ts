// The differential harness: the same scripted session runs against Apache Kafka and against
// Samsa, each request and its decoded response recorded in a transcript; the transcripts are
// normalised (ids, times, hosts, ordering that carries no meaning) and compared field by field.
// A difference fails the test unless an allowlist entry with a reason covers it.
import { connect, type Socket } from 'node:net';
import type { ApiDescriptor } from '../../src/protocol/runtime/index.js';
import { frame, parse } from '../e2e/raw-client.js';

export type BrokerName = 'kafka' | 'samsa';

/** A raw connection: frames out, size-prefixed frames in, and whether the broker closed it. */
export class WireConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private waiters: { resolve: (f: Buffer | 'closed') => void }[] = [];
  private closedFlag = false;
  private correlationId = 0;
  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffered = this.buffered.length ? Buffer.concat([this.buffered, d]) : d;
      while (this.buffered.length >= 4) {
        const size = this.buffered.readInt32BE(0);
        if (this.buffered.length < 4 + size) break;
        const frame = this.buffered.subarray(4, 4 + size);
        this.buffered = this.buffered.subarray(4 + size);
        this.waiters.shift()?.resolve(frame);
      }
    });
    socket.on('close', () => {
      this.closedFlag = true;
      for (const w of this.waiters.splice(0)) w.resolve('closed');
    });
    socket.on('error', () => undefined);
  }

  static open(host: string, port: number): Promise<WireConnection> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port });
      s.setNoDelay(true);
      s.once('connect', () => resolve(new WireConnection(s)));
      s.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  nextCorrelationId(): number {
    return (this.correlationId = (this.correlationId + 1) & 0x7fffffff);
  }

  /** Sends bytes and waits for one response frame, 'closed', or 'timeout'. */
  exchange(bytes: Buffer, timeoutMs: number, expectResponse = true): Promise<Buffer | 'closed' | 'timeout' | 'none'> {
    if (this.closedFlag) return Promise.resolve('closed');
    if (!expectResponse) {
      this.socket.write(bytes);
      // acks=0 produce: no answer; give the broker a moment to close the connection if it will.
      return new Promise((resolve) => setTimeout(() => resolve(this.closedFlag ? 'closed' : 'none'), 200));
    }
    return new Promise((resolve) => {
      const waiter = {
        resolve: (f: Buffer | 'closed') => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve('timeout');
      }, timeoutMs);
      this.waiters.push(waiter);
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A request frame (size prefix included), as test/e2e's raw client builds it. */
export function encodeRequest<Req>(api: ApiDescriptor<Req, unknown>, version: number, correlationId: number, body: Req, clientId: string | null = 'differential'): Buffer {
  return frame(api, version, correlationId, body, clientId);
}

export { parse as decodeResponse };

/** One exchange of a transcript. */
export interface Entry {
  /** `label` given by the session, else `Api vN`. */
  step: string;
  api: string;
  version: number;
  /** The decoded response, 'closed' (the broker closed the connection), 'timeout' or 'none' (acks=0). */
  outcome: unknown;
}

/** What a session sees of one broker. */
export interface SessionPeer {
  readonly name: BrokerName;
  readonly host: string;
  readonly port: number;
  /** The versions of `api` that both brokers serve, lowest first. */
  versions(api: ApiDescriptor<any, any>): number[];
  /** Both brokers' version range of `api` (undefined where one does not serve it). */
  range(api: ApiDescriptor<any, any>, of: BrokerName): [number, number] | undefined;
  /** Sends a request on the session's main connection and records the response. */
  call<Req, Res>(api: ApiDescriptor<Req, Res>, version: number, body: Req, opts?: CallOptions): Promise<Res>;
  /** Like call, but answers 'closed' / 'timeout' instead of throwing; recorded as such. */
  attempt<Req, Res>(api: ApiDescriptor<Req, Res>, version: number, body: Req, opts?: CallOptions): Promise<Res | 'closed' | 'timeout' | 'none'>;
  /** Sends raw request bytes (size prefix included) on a fresh connection; records the decoded answer. */
  raw(api: ApiDescriptor<any, any>, version: number, frame: Buffer, opts?: CallOptions): Promise<unknown>;
  /** A request not recorded (setup and polling): retried while `retryWhile` says so. */
  quiet<Req, Res>(api: ApiDescriptor<Req, Res>, version: number, body: Req, retryWhile?: (res: Res) => boolean, timeoutMs?: number): Promise<Res>;
  /** Records a value the session computed (e.g. decoded records) as a step of its own. */
  record(step: string, value: unknown): void;
  /** A second connection, for sessions that need one (e.g. two group members). */
  connection(): Promise<WireConnection>;
  /** call() on a given connection. */
  callOn<Req, Res>(conn: WireConnection, api: ApiDescriptor<Req, Res>, version: number, body: Req, opts?: CallOptions): Promise<Res | 'closed' | 'timeout' | 'none'>;
  sleep(ms: number): Promise<void>;
}

export interface CallOptions {
  /** The step's name in the transcript (default `Api vN`). */
  label?: string;
  timeoutMs?: number;
  /** acks=0 produce: no response is expected. */
  noResponse?: boolean;
  /** Not recorded. */
  quiet?: boolean;
  /** What to record of the response (e.g. only the session's own topics of an all-topics Metadata). */
  view?: (res: any) => unknown;
}

export interface Session {
  /** Unique; also the prefix of every topic/group/transactional id the session uses. */
  name: string;
  /** Which broker pair it runs on: the default one, or the one with auto.create.topics.enable=false. */
  brokers?: 'default' | 'no-auto-create';
  run(peer: SessionPeer): Promise<void>;
}

export interface AllowEntry {
  /** Session name or a pattern of names. */
  session: string | RegExp;
  /** Pattern over `step: path` of a difference (see Difference.where). */
  where: RegExp;
  /** When set, only a difference where Kafka's (normalised) value is this one, e.g. 'closed'. */
  kafka?: unknown;
  /** Why Samsa answers differently and why that is right (or which issue will remove it). */
  reason: string;
}

export interface Difference {
  session: string;
  /** `step: path`, e.g. `Metadata v12: topics[name=d-x].errorCode`. */
  where: string;
  kafka: unknown;
  samsa: unknown;
}

export type VersionRanges = Map<number, [number, number]>;

export class Transcript {
  readonly entries: Entry[] = [];
}

export function makePeer(name: BrokerName, host: string, port: number, ranges: Record<BrokerName, VersionRanges>, transcript: Transcript, main: WireConnection, opened: WireConnection[]): SessionPeer {
  const exchange = async (conn: WireConnection, api: ApiDescriptor<any, any>, version: number, body: unknown, opts: CallOptions) => {
    const cid = conn.nextCorrelationId();
    const out = await conn.exchange(encodeRequest(api, version, cid, body), opts.timeoutMs ?? 30_000, !opts.noResponse);
    let outcome: unknown = out;
    if (Buffer.isBuffer(out)) {
      const res = parse(api, version, out);
      if (res.correlationId !== cid) throw new Error(`${name}: correlation id ${res.correlationId}, expected ${cid}`);
      outcome = res.body;
    }
    if (!opts.quiet) transcript.entries.push({ step: opts.label ?? `${api.name} v${version}`, api: api.name, version, outcome: opts.view && typeof outcome === 'object' ? opts.view(outcome) : outcome });
    return outcome;
  };
  const both = (api: ApiDescriptor<any, any>): [number, number] | undefined => {
    const a = ranges.kafka.get(api.apiKey);
    const b = ranges.samsa.get(api.apiKey);
    if (!a || !b) return undefined;
    const lo = Math.max(a[0], b[0], api.request.minVersion);
    const hi = Math.min(a[1], b[1], api.request.maxVersion);
    return lo <= hi ? [lo, hi] : undefined;
  };
  const peer: SessionPeer = {
    name,
    host,
    port,
    versions(api) {
      const r = both(api);
      if (!r) return [];
      return Array.from({ length: r[1] - r[0] + 1 }, (_, i) => r[0] + i);
    },
    range(api, of) {
      return ranges[of].get(api.apiKey);
    },
    async call(api, version, body, opts = {}) {
      const out = await exchange(main, api, version, body, opts);
      if (typeof out === 'string') throw new Error(`${name}: ${api.name} v${version} got ${out}`);
      return out as any;
    },
    attempt(api, version, body, opts = {}) {
      return exchange(main, api, version, body, opts) as any;
    },
    async raw(api, version, frame, opts = {}) {
      const conn = await WireConnection.open(host, port);
      opened.push(conn);
      try {
        const out = await conn.exchange(frame, opts.timeoutMs ?? 10_000, !opts.noResponse);
        let outcome: unknown = out;
        if (Buffer.isBuffer(out)) {
          try {
            outcome = parse(api, version, out).body;
          } catch (e) {
            outcome = `undecodable response: ${(e as Error).message}`;
          }
        }
        if (!opts.quiet) transcript.entries.push({ step: opts.label ?? `${api.name} v${version} raw`, api: api.name, version, outcome: opts.view && outcome && typeof outcome === 'object' ? opts.view(outcome) : outcome });
        return outcome;
      } finally {
        conn.close();
      }
    },
    async quiet(api, version, body, retryWhile, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const out = await exchange(main, api, version, body, { quiet: true });
        if (typeof out === 'string') throw new Error(`${name}: ${api.name} v${version} got ${out}`);
        if (!retryWhile || !retryWhile(out as any)) return out as any;
        if (Date.now() > deadline) throw new Error(`${name}: ${api.name} v${version} still not ready after ${timeoutMs} ms: ${JSON.stringify(out, jsonReplacer)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    record(step, value) {
      transcript.entries.push({ step, api: '-', version: -1, outcome: value });
    },
    async connection() {
      const conn = await WireConnection.open(host, port);
      opened.push(conn);
      return conn;
    },
    callOn(conn, api, version, body, opts = {}) {
      return exchange(conn, api, version, body, opts) as any;
    },
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
  return peer;
}

export function jsonReplacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`;
  if (v && typeof v === 'object' && (v as any).type === 'Buffer' && Array.isArray((v as any).data)) return `0x${Buffer.from((v as any).data).toString('hex')}`;
  return v;
}
