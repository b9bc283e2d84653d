import type { Socket } from 'node:net';
import { KafkaDecodeError, Reader, Writer, decodeRequestBody, requestHeaderVersion, responseHeaderVersion, type ApiDescriptor } from '../../protocol/runtime/index.js';
import { ApiVersionsResponseCodec, type ApiVersionsResponse } from '../../protocol/generated/apis/18-api-versions.js';
import { RequestHeaderCodec } from '../../protocol/generated/headers/request-header.js';
import { ResponseHeaderCodec } from '../../protocol/generated/headers/response-header.js';
import type { HandlerRegistry, RequestContext } from '../handler.js';
import type { Logger } from '../../util/logger.js';
import { ErrorCode } from '../errors.js';

export interface ConnectionOptions {
  registry: HandlerRegistry;
  logger: Logger;
  /** socket.request.max.bytes: a larger frame closes the connection before it is buffered. */
  maxRequestBytes: number;
  /** connections.max.idle.ms */
  idleTimeoutMs: number;
  /** Requests processed at once per connection; more wait in the socket (back-pressure). */
  maxInFlight: number;
  /** Request bytes processed at once per connection (at least one request always fits). */
  maxInFlightBytes: number;
  listenerName: string;
  /** Sees every request frame as received (golden-bytes capture, debugging). */
  onRequestFrame?: (apiKey: number, apiVersion: number, frame: Buffer) => void;
  /** Builds the ApiVersions reply sent to a client asking with a version we do not serve. */
  apiVersionsFallback: () => ApiVersionsResponse;
}

interface Slot {
  done: boolean;
  chunks: Buffer[] | null;
  /** Size of the request frame, held until its response is written. */
  requestBytes: number;
  /** Close the connection once the responses before this one are written (RequestContext.closeConnection). */
  closeAfter?: boolean;
  /** RequestContext.onResponseWritten callbacks. */
  written?: (() => void)[];
}

let nextConnectionId = 1;

const runAll = (fns: (() => void)[]) => {
  for (const fn of fns) fn();
};

/**
 * One client connection: splits the byte stream into size-prefixed frames, decodes each request,
 * runs handlers concurrently and writes responses strictly in request order (Kafka's rule).
 * A malformed frame closes this connection only.
 */
export class Connection {
  readonly id = nextConnectionId++;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly queue: Slot[] = [];
  private inFlight = 0;
  /** Bytes of the requests being processed: bounded so a client cannot make us buffer without limit. */
  private inFlightBytes = 0;
  private closed = false;
  private paused = false;
  /** False once shutdown began: requests not yet read stay unread (the client sees the close and retries elsewhere). */
  private reading = true;
  private readonly log: Logger;

  constructor(
    private readonly socket: Socket,
    private readonly opts: ConnectionOptions,
    private readonly onClose: (c: Connection) => void,
  ) {
    this.log = opts.logger.child({ connection: this.id, remote: socket.remoteAddress, remotePort: socket.remotePort });
    socket.setNoDelay(true);
    if (opts.idleTimeoutMs > 0) socket.setTimeout(opts.idleTimeoutMs, () => this.close('idle'));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.log.debug('socket error', { err: err.message }));
    socket.on('close', () => {
      this.closed = true;
      this.onClose(this);
    });
    socket.on('drain', () => this.maybeResume());
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.log.debug('closing connection', { reason });
    this.socket.destroy();
  }

  /** Reads no more requests; those already read are still answered (the first step of a graceful shutdown). */
  stopReading(): void {
    this.reading = false;
    this.socket.pause();
  }

  /** Ends the connection after the responses already queued are written (graceful shutdown). */
  async drain(): Promise<void> {
    this.stopReading();
    while (!this.closed && this.queue.length > 0) await new Promise((r) => setTimeout(r, 5));
    this.socket.end();
  }

  get idle(): boolean {
    return this.queue.length === 0;
  }

  private onData(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    this.processPending();
  }

  /** Handles the complete frames received so far, unless back-pressure paused the connection. */
  private processPending(): void {
    while (!this.closed && !this.paused && this.reading && this.pendingBytes >= 4) {
      const size = this.peekSize();
      if (size < 0 || size > this.opts.maxRequestBytes) {
        this.log.warn('request frame size out of range, closing connection', { size, max: this.opts.maxRequestBytes });
        this.close('frame size');
        return;
      }
      if (this.pendingBytes < 4 + size) return;
      this.handleFrame(this.take(4 + size).subarray(4));
    }
  }

  private peekSize(): number {
    const first = this.pending[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    const head = Buffer.concat(this.pending, Math.min(4, this.pendingBytes));
    return head.readInt32BE(0);
  }

  /** Removes `n` bytes from the front of the pending chunks, copying only when a frame spans chunks. */
  private take(n: number): Buffer {
    const first = this.pending[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.pending.shift();
      else this.pending[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let at = 0;
      while (at < n) {
        const c = this.pending[0]!;
        const k = Math.min(c.length, n - at);
        c.copy(out, at, 0, k);
        at += k;
        if (k === c.length) this.pending.shift();
        else this.pending[0] = c.subarray(k);
      }
    }
    this.pendingBytes -= n;
    return out;
  }

  private handleFrame(frame: Buffer): void {
    if (frame.length < 8) {
      this.close('short frame');
      return;
    }
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const handler = this.opts.registry.get(apiKey);
    if (!handler) {
      this.log.warn('unknown API key, closing connection', { apiKey });
      this.close('unknown api');
      return;
    }
    const api = handler.api;
    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === 18) {
        // KIP-511: answer an ApiVersions request we cannot parse with v0 and our versions.
        const body = { ...this.opts.apiVersionsFallback(), errorCode: ErrorCode.UNSUPPORTED_VERSION };
        this.enqueueResponse(this.slot(frame.length), api, 0, correlationId, body, ApiVersionsResponseCodec);
        return;
      }
      this.log.warn('unsupported API version, closing connection', { api: api.name, apiVersion });
      this.close('unsupported version');
      return;
    }
    this.opts.onRequestFrame?.(apiKey, apiVersion, frame);
    let ctx: RequestContext;
    let request: unknown;
    let slotOfRequest: Slot | undefined;
    try {
      const r = new Reader(frame);
      const header = RequestHeaderCodec.read(r, requestHeaderVersion(api, apiVersion));
      ctx = {
        apiVersion,
        correlationId,
        clientId: header.clientId,
        connectionId: this.id,
        remoteAddress: this.socket.remoteAddress ?? '',
        listenerName: this.opts.listenerName,
        closeConnection: () => {
          if (slotOfRequest) slotOfRequest.closeAfter = true;
        },
        onResponseWritten: (fn) => {
          if (slotOfRequest) (slotOfRequest.written ??= []).push(fn);
        },
      };
      const body = decodeRequestBody(api.request, frame, apiVersion, r.offset);
      request = body.value;
      if (body.trailingBytes > 0) this.log.debug('ignored bytes after the request body', { api: api.name, apiVersion, trailingBytes: body.trailingBytes, clientId: header.clientId });
    } catch (e) {
      const detail = e instanceof KafkaDecodeError ? e.message : String(e);
      this.log.warn('malformed request, closing connection', { api: api.name, apiVersion, error: detail });
      this.close('malformed request');
      return;
    }
    const slot = this.slot(frame.length);
    slotOfRequest = slot;
    let result;
    try {
      result = handler.handle(request, ctx);
    } catch (e) {
      this.handlerFailed(api, e);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (res) => this.enqueueResponse(slot, api, apiVersion, correlationId, res, api.response),
        (e) => this.handlerFailed(api, e),
      );
    } else {
      this.enqueueResponse(slot, api, apiVersion, correlationId, result, api.response);
    }
  }

  private handlerFailed(api: ApiDescriptor, e: unknown): void {
    // A bug, not bad input: the client cannot be answered correctly, so it reconnects.
    this.log.error('request handler failed, closing connection', { api: api.name, error: e });
    this.close('handler error');
  }

  private slot(requestBytes: number): Slot {
    const slot: Slot = { done: false, chunks: null, requestBytes };
    this.queue.push(slot);
    this.inFlight++;
    this.inFlightBytes += requestBytes;
    if ((this.inFlight >= this.opts.maxInFlight || this.inFlightBytes >= this.opts.maxInFlightBytes) && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    return slot;
  }

  private enqueueResponse(slot: Slot, api: ApiDescriptor, apiVersion: number, correlationId: number, body: unknown, codec: ApiDescriptor['response']): void {
    if (this.closed) return;
    slot.done = true;
    if (body !== null) {
      try {
        const headerVersion = responseHeaderVersion(api, apiVersion);
        const header = { correlationId };
        const headerSize = ResponseHeaderCodec.size(header, headerVersion);
        const bodySize = codec.size(body, apiVersion);
        const w = new Writer(4 + headerSize + bodySize, true);
        w.int32(headerSize + bodySize);
        ResponseHeaderCodec.write(w, header, headerVersion);
        codec.write(w, body, apiVersion);
        slot.chunks = w.chunks();
      } catch (e) {
        this.handlerFailed(api, e);
        return;
      }
    }
    this.flush();
  }

  private flush(): void {
    let wrote = false;
    while (this.queue.length > 0 && this.queue[0]!.done) {
      const slot = this.queue.shift()!;
      this.inFlight--;
      this.inFlightBytes -= slot.requestBytes;
      if (slot.chunks) {
        if (!wrote) this.socket.cork();
        wrote = true;
        const last = slot.chunks.length - 1;
        for (let i = 0; i < last; i++) this.socket.write(slot.chunks[i]!);
        // Chunks are written in order, so the last one's callback means all of them are done;
        // after a failed write the buffers are left to the GC (the kernel may not be done).
        const written = slot.written;
        this.socket.write(slot.chunks[last]!, written ? (err) => err || runAll(written) : undefined);
      } else if (slot.written) {
        runAll(slot.written);
      }
      if (slot.closeAfter) {
        if (wrote) this.socket.uncork();
        this.closed = true;
        this.log.debug('closing connection', { reason: 'requested by the handler' });
        this.socket.end();
        return;
      }
    }
    if (wrote) this.socket.uncork();
    if (this.socket.writableLength >= 4 * 1024 * 1024 && !this.paused) {
      // The client reads slower than we answer: stop reading its requests until it catches up.
      this.paused = true;
      this.socket.pause();
    }
    this.maybeResume();
  }

  private maybeResume(): void {
    if (this.paused && this.inFlight < this.opts.maxInFlight && this.inFlightBytes < this.opts.maxInFlightBytes && this.socket.writableLength < 4 * 1024 * 1024) {
      this.paused = false;
      if (!this.reading) return;
      this.socket.resume();
      this.processPending();
    }
  }
}
