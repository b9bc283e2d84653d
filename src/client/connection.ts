/**
 * One TCP connection to a Kafka broker: size-prefixed frames, correlation ids, any number of
 * requests in flight (Kafka answers a connection's requests in order, so a FIFO matches them),
 * and ApiVersions negotiation: each API is sent at the highest version both sides support.
 */
import { connect, type Socket } from 'node:net';
import { ApiVersions, RequestHeaderCodec, ResponseHeaderCodec } from './protocol.js';
import { Reader, Writer, decodeMessage, requestHeaderVersion, responseHeaderVersion, type ApiDescriptor } from '../protocol/runtime/index.js';
import { ConnectionError, ErrorCode, KafkaError } from './errors.js';

export const CORRELATION_ID_OFFSET = 8;
export const CLIENT_SOFTWARE_NAME = 'samsa-client';
export const CLIENT_SOFTWARE_VERSION = '0.1.0';

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId?: string;
  connectTimeoutMs?: number;
  /** Default deadline of a request (default 30 s). */
  requestTimeoutMs?: number;
}

interface Pending {
  correlationId: number;
  headerVersion: number;
  deadline: number;
  onBody: (body: Buffer) => void;
  onError: (e: Error) => void;
}

export class Connection {
  private nextCorrelationId = 1;
  private readonly pending: Pending[] = [];
  private pendingHead = 0;
  private sizeBuf: Buffer[] = [];
  private sizeBytes = 0;
  private frame: Buffer | null = null;
  private frameFill = 0;
  private error: Error | null = null;
  private timer: NodeJS.Timeout;
  /** Broker's version range per API key. */
  readonly versions = new Map<number, { min: number; max: number }>();
  readonly clientId: string;
  readonly requestTimeoutMs: number;
  readonly address: string;
  bytesSent = 0;
  bytesReceived = 0;
  onClose: (() => void) | null = null;

  private constructor(
    private readonly socket: Socket,
    options: ConnectionOptions,
  ) {
    this.clientId = options.clientId ?? 'samsa';
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.address = `${options.host}:${options.port}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.fail(new ConnectionError(`${this.address}: ${e.message}`, this.address)));
    socket.on('close', () => this.fail(new ConnectionError(`connection to ${this.address} closed`, this.address)));
    this.timer = setInterval(() => this.checkTimeouts(), 250);
    this.timer.unref();
  }

  /** Connects and negotiates API versions. */
  static async connect(options: ConnectionOptions): Promise<Connection> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: options.host, port: options.port });
      const t = setTimeout(() => {
        s.destroy();
        reject(new ConnectionError(`cannot connect to ${options.host}:${options.port}: timed out`, `${options.host}:${options.port}`));
      }, options.connectTimeoutMs ?? 10_000);
      s.once('connect', () => {
        clearTimeout(t);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(t);
        reject(new ConnectionError(`cannot connect to ${options.host}:${options.port}: ${e.message}`, `${options.host}:${options.port}`));
      });
    });
    const conn = new Connection(socket, options);
    try {
      await conn.negotiate();
    } catch (e) {
      conn.close();
      throw e;
    }
    return conn;
  }

  get closed(): boolean {
    return this.error !== null;
  }

  get inFlight(): number {
    return this.pending.length - this.pendingHead;
  }

  private async negotiate(): Promise<void> {
    let version = ApiVersions.maxVersion;
    for (let attempt = 0; attempt < 3; attempt++) {
      const frame = this.encode(ApiVersions, version, { clientSoftwareName: CLIENT_SOFTWARE_NAME, clientSoftwareVersion: CLIENT_SOFTWARE_VERSION });
      const body = await this.sendFrame(frame, 0);
      let res;
      try {
        res = decodeMessage(ApiVersions.response, body, version);
      } catch {
        // A broker that does not know this version answers at v0.
        res = decodeMessage(ApiVersions.response, body, 0);
      }
      if (res.errorCode === ErrorCode.UNSUPPORTED_VERSION) {
        const mine = res.apiKeys.find((k) => k.apiKey === ApiVersions.apiKey);
        const next = Math.min(mine?.maxVersion ?? 0, version - 1);
        if (next < 0 || next >= version) throw new KafkaError(res.errorCode, 'ApiVersions');
        version = next;
        continue;
      }
      if (res.errorCode !== 0) throw new KafkaError(res.errorCode, 'ApiVersions');
      for (const k of res.apiKeys) this.versions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
      return;
    }
    throw new ConnectionError(`${this.address}: ApiVersions negotiation failed`, this.address);
  }

  /** The highest version of `api` both this client and the broker support, or -1. */
  versionOf(api: ApiDescriptor<any, any>, maxWanted = Infinity): number {
    const theirs = this.versions.get(api.apiKey);
    if (!theirs) return -1;
    const v = Math.min(theirs.max, api.maxVersion, maxWanted);
    return v < Math.max(theirs.min, api.minVersion) ? -1 : v;
  }

  supports(api: ApiDescriptor<any, any>): boolean {
    return this.versionOf(api) >= 0;
  }

  encode<Req>(api: ApiDescriptor<Req, unknown>, version: number, body: Req): Buffer {
    const hv = requestHeaderVersion(api as ApiDescriptor, version);
    const header = { requestApiKey: api.apiKey, requestApiVersion: version, correlationId: 0, clientId: this.clientId };
    const headerSize = RequestHeaderCodec.size(header, hv);
    const bodySize = api.request.size(body, version);
    const w = new Writer(4 + headerSize + bodySize);
    w.int32(headerSize + bodySize);
    RequestHeaderCodec.write(w, header, hv);
    api.request.write(w, body, version);
    return w.finish();
  }

  /**
   * Sends `body` at the negotiated version (or `options.version`) and decodes the answer.
   * With `options.noResponse` (Produce with acks=0) resolves once written, with undefined.
   */
  async request<Req, Res>(api: ApiDescriptor<Req, Res>, body: Req, options: { version?: number; timeoutMs?: number } = {}): Promise<Res> {
    const version = options.version ?? this.versionOf(api);
    if (version < 0) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `${api.name} (broker ${this.address} does not serve it)`);
    const frame = this.encode(api, version, body);
    const buf = await this.sendFrame(frame, responseHeaderVersion(api as ApiDescriptor, version), options.timeoutMs);
    return decodeMessage(api.response, buf, version);
  }

  /** Sends a request that gets no response (Produce acks=0). */
  sendNoResponse<Req>(api: ApiDescriptor<Req, unknown>, body: Req, version = this.versionOf(api)): void {
    if (this.error) throw this.error;
    const frame = this.encode(api, version, body);
    frame.writeInt32BE(this.nextCorrelationId++ & 0x7fffffff, CORRELATION_ID_OFFSET);
    this.bytesSent += frame.length;
    this.socket.write(frame);
  }

  /** Sends a pre-encoded frame that gets no response (Produce acks=0). */
  sendFrameNoResponse(frame: Buffer): void {
    if (this.error) throw this.error;
    frame.writeInt32BE(this.nextCorrelationId++ & 0x7fffffff, CORRELATION_ID_OFFSET);
    this.bytesSent += frame.length;
    this.socket.write(frame);
  }

  /** True once the socket's send buffer is over its high-water mark (callers may wait for drain). */
  get congested(): boolean {
    return this.socket.writableNeedDrain;
  }

  waitDrain(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.error) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
  }

  /**
   * Sends a pre-encoded request frame (size prefix included) after patching its correlation id;
   * resolves with the response body (header stripped).
   */
  sendFrame(frame: Buffer, responseHeaderVer: number, timeoutMs?: number): Promise<Buffer> {
    return new Promise((resolve, reject) => this.sendFrameCb(frame, responseHeaderVer, resolve, reject, timeoutMs));
  }

  sendFrameCb(frame: Buffer, responseHeaderVer: number, onBody: (b: Buffer) => void, onError: (e: Error) => void, timeoutMs?: number): void {
    if (this.error) {
      onError(this.error);
      return;
    }
    const correlationId = this.nextCorrelationId++ & 0x7fffffff;
    frame.writeInt32BE(correlationId, CORRELATION_ID_OFFSET);
    this.pending.push({ correlationId, headerVersion: responseHeaderVer, deadline: Date.now() + (timeoutMs ?? this.requestTimeoutMs), onBody, onError });
    this.bytesSent += frame.length;
    this.socket.write(frame);
  }

  close(): void {
    this.fail(new ConnectionError(`connection to ${this.address} closed`, this.address));
    this.socket.destroy();
  }

  private checkTimeouts(): void {
    const head = this.pending[this.pendingHead];
    if (!head) return;
    const now = Date.now();
    for (let i = this.pendingHead; i < this.pending.length; i++) {
      if (this.pending[i]!.deadline <= now) {
        // Responses come in order: once one is late the connection is unusable.
        this.fail(new ConnectionError(`request to ${this.address} timed out`, this.address));
        this.socket.destroy();
        return;
      }
    }
  }

  private fail(e: Error): void {
    if (!this.error) {
      this.error = e;
      clearInterval(this.timer);
      this.onClose?.();
    }
    const waiting = this.pending.slice(this.pendingHead);
    this.pending.length = 0;
    this.pendingHead = 0;
    for (const p of waiting) p.onError(this.error);
  }

  private onData(chunk: Buffer): void {
    this.bytesReceived += chunk.length;
    let at = 0;
    while (at < chunk.length) {
      if (this.frame) {
        const n = Math.min(chunk.length - at, this.frame.length - this.frameFill);
        chunk.copy(this.frame, this.frameFill, at, at + n);
        this.frameFill += n;
        at += n;
        if (this.frameFill === this.frame.length) {
          const f = this.frame;
          this.frame = null;
          this.dispatch(f);
        }
        continue;
      }
      if (this.sizeBytes > 0 || chunk.length - at < 4) {
        const take = Math.min(4 - this.sizeBytes, chunk.length - at);
        this.sizeBuf.push(chunk.subarray(at, at + take));
        this.sizeBytes += take;
        at += take;
        if (this.sizeBytes < 4) continue;
        const size = Buffer.concat(this.sizeBuf, 4).readInt32BE(0);
        this.sizeBuf = [];
        this.sizeBytes = 0;
        this.startFrame(size);
        continue;
      }
      const size = chunk.readInt32BE(at);
      at += 4;
      if (chunk.length - at >= size) {
        this.dispatch(chunk.subarray(at, at + size));
        at += size;
      } else {
        this.startFrame(size);
      }
    }
  }

  private startFrame(size: number): void {
    if (size < 4) {
      this.fail(new ConnectionError(`bad response frame size ${size} from ${this.address}`, this.address));
      this.socket.destroy();
      return;
    }
    this.frame = Buffer.allocUnsafe(size);
    this.frameFill = 0;
  }

  private dispatch(frame: Buffer): void {
    const p = this.pending[this.pendingHead];
    if (!p) {
      this.fail(new ConnectionError(`response without a request from ${this.address}`, this.address));
      this.socket.destroy();
      return;
    }
    this.pending[this.pendingHead++] = undefined as unknown as Pending;
    if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
      this.pending.splice(0, this.pendingHead);
      this.pendingHead = 0;
    }
    let bodyAt: number;
    try {
      const r = new Reader(frame);
      const header = ResponseHeaderCodec.read(r, p.headerVersion);
      if (header.correlationId !== p.correlationId) throw new ConnectionError(`correlation id ${header.correlationId}, expected ${p.correlationId}`, this.address);
      bodyAt = r.offset;
    } catch (e) {
      p.onError(e as Error);
      return;
    }
    p.onBody(frame.subarray(bodyAt));
  }
}

/** Parses `host:port` (IPv6 in brackets allowed); the port defaults to 9092. */
export function parseHostPort(s: string): { host: string; port: number } {
  const t = s.trim().replace(/^[a-zA-Z]+:\/\//, '');
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (m) return { host: m[1]!, port: m[2] ? Number(m[2]) : 9092 };
  const i = t.lastIndexOf(':');
  if (i < 0) return { host: t, port: 9092 };
  return { host: t.slice(0, i), port: Number(t.slice(i + 1)) };
}
