/**
 * A minimal Kafka connection for load generation: size-prefixed frames over one net.Socket,
 * correlation ids, any number of requests in flight (responses arrive in request order, Kafka's
 * rule, so a FIFO matches them), responses decoded with the generated codecs.
 *
 * Two ways to send:
 *  - request(api, version, body): encodes header + body, resolves with the decoded response;
 *  - sendFrame(frame, onResponse): a PRE-ENCODED request frame (size prefix included); only the
 *    correlation id at frame offset 8 is patched, so a frame can be re-sent without re-encoding.
 *    The callback gets the response body (header stripped) as a Buffer view.
 */
import { connect, type Socket } from 'node:net';
import { RequestHeaderCodec, ResponseHeaderCodec } from '../../src/protocol/generated/index.js';
import { Reader, Writer, decodeMessage, requestHeaderVersion, responseHeaderVersion, type ApiDescriptor } from '../../src/protocol/runtime/index.js';

/** Offset of the correlation id in a request frame: int32 size, int16 apiKey, int16 apiVersion. */
export const CORRELATION_ID_OFFSET = 8;

type RawHandler = (body: Buffer, receivedAt: number) => void;

interface Pending {
  correlationId: number;
  headerVersion: number;
  onBody: RawHandler;
  onError: (e: Error) => void;
}

export class RawConnection {
  private nextCorrelationId = 1;
  private readonly pending: Pending[] = [];
  private pendingHead = 0;
  /** Reassembly of the response being received. */
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  private frame: Buffer | null = null;
  private frameFill = 0;
  private error: Error | null = null;
  bytesSent = 0;
  bytesReceived = 0;
  /**
   * Reassemble large responses into one reused buffer instead of a fresh one each (fresh
   * multi-MiB buffers cost page faults on every response). Only for callers that are done with
   * a response body when their callback returns.
   */
  reuseResponseBuffer = false;
  private scratch: Buffer | null = null;

  private constructor(
    private readonly socket: Socket,
    readonly clientId: string,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('connection closed by broker')));
  }

  static connect(host: string, port: number, clientId = 'samsa-bench'): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawConnection(socket, clientId));
      });
      socket.once('error', reject);
    });
  }

  get inFlight(): number {
    return this.pending.length - this.pendingHead;
  }

  /** Encodes a whole request frame (size prefix, header, body) with correlation id 0. */
  static encodeRequest<Req>(api: ApiDescriptor<Req, unknown>, version: number, body: Req, clientId = 'samsa-bench'): Buffer {
    const hv = requestHeaderVersion(api as ApiDescriptor, version);
    const header = { requestApiKey: api.apiKey, requestApiVersion: version, correlationId: 0, clientId };
    const headerSize = RequestHeaderCodec.size(header, hv);
    const bodySize = api.request.size(body, version);
    const w = new Writer(4 + headerSize + bodySize);
    w.int32(headerSize + bodySize);
    RequestHeaderCodec.write(w, header, hv);
    api.request.write(w, body, version);
    return w.finish();
  }

  /**
   * Sends a pre-encoded frame after patching its correlation id. net.Socket queues the Buffer
   * itself (no copy), so a frame must not be patched again before its previous write reached
   * the kernel: callers re-send a frame only after its response came back (one frame copy per
   * in-flight slot).
   */
  sendFrame(frame: Buffer, responseHeaderVer: number, onBody: RawHandler, onError: (e: Error) => void): void {
    if (this.error) {
      onError(this.error);
      return;
    }
    const correlationId = this.nextCorrelationId++ & 0x7fffffff;
    // Responses come in order; the id is still checked against the FIFO on receipt.
    frame.writeInt32BE(correlationId, CORRELATION_ID_OFFSET);
    this.pending.push({ correlationId, headerVersion: responseHeaderVer, onBody, onError });
    this.bytesSent += frame.length;
    this.socket.write(frame);
  }

  /** Encodes, sends and decodes one request. */
  request<Req, Res>(api: ApiDescriptor<Req, Res>, version: number, body: Req): Promise<Res> {
    const frame = RawConnection.encodeRequest(api, version, body, this.clientId);
    return new Promise<Res>((resolve, reject) => {
      this.sendFrame(
        frame,
        responseHeaderVersion(api as ApiDescriptor, version),
        (b) => {
          try {
            resolve(decodeMessage(api.response, b, version));
          } catch (e) {
            reject(e as Error);
          }
        },
        reject,
      );
    });
  }

  close(): void {
    this.error ??= new Error('connection closed');
    this.socket.destroy();
  }

  private fail(e: Error): void {
    if (!this.error) this.error = e;
    const waiting = this.pending.slice(this.pendingHead);
    this.pending.length = 0;
    this.pendingHead = 0;
    for (const p of waiting) p.onError(this.error);
  }

  private onData(chunk: Buffer): void {
    const receivedAt = performance.now();
    this.bytesReceived += chunk.length;
    let at = 0;
    while (at < chunk.length) {
      if (this.frame) {
        // Filling a frame whose size is known: one copy into its own buffer.
        const n = Math.min(chunk.length - at, this.frame.length - this.frameFill);
        chunk.copy(this.frame, this.frameFill, at, at + n);
        this.frameFill += n;
        at += n;
        if (this.frameFill === this.frame.length) {
          const f = this.frame;
          this.frame = null;
          this.dispatch(f, receivedAt);
        }
        continue;
      }
      // Need the 4-byte size (possibly split across chunks).
      if (this.chunkBytes > 0 || chunk.length - at < 4) {
        const take = Math.min(4 - this.chunkBytes, chunk.length - at);
        this.chunks.push(chunk.subarray(at, at + take));
        this.chunkBytes += take;
        at += take;
        if (this.chunkBytes < 4) continue;
        const size = Buffer.concat(this.chunks, 4).readInt32BE(0);
        this.chunks = [];
        this.chunkBytes = 0;
        this.startFrame(size);
        continue;
      }
      const size = chunk.readInt32BE(at);
      at += 4;
      if (chunk.length - at >= size) {
        // Whole frame inside this chunk: zero-copy view.
        this.dispatch(chunk.subarray(at, at + size), receivedAt);
        at += size;
      } else {
        this.startFrame(size);
      }
    }
  }

  private startFrame(size: number): void {
    if (size < 4) {
      this.fail(new Error(`bad response frame size ${size}`));
      this.socket.destroy();
      return;
    }
    if (this.reuseResponseBuffer) {
      if (!this.scratch || this.scratch.length < size) this.scratch = Buffer.allocUnsafe(Math.max(size, (this.scratch?.length ?? 0) * 2));
      this.frame = this.scratch.subarray(0, size);
    } else {
      this.frame = Buffer.allocUnsafe(size);
    }
    this.frameFill = 0;
  }

  private dispatch(frame: Buffer, receivedAt: number): void {
    const p = this.pending[this.pendingHead];
    if (!p) {
      this.fail(new Error('response without a request'));
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
      if (header.correlationId !== p.correlationId) throw new Error(`correlation id ${header.correlationId}, expected ${p.correlationId}`);
      bodyAt = r.offset;
    } catch (e) {
      p.onError(e as Error);
      return;
    }
    p.onBody(frame.subarray(bodyAt), receivedAt);
  }
}
