// A minimal Kafka connection for tests that need exact control over request bytes and versions.
import { connect, type Socket } from 'node:net';
import { Fetch, RequestHeaderCodec, ResponseHeaderCodec, type FetchRequest } from '../../src/protocol/generated/index.js';
import { Reader, Writer, decodeMessage, requestHeaderVersion, responseHeaderVersion, type ApiDescriptor } from '../../src/protocol/runtime/index.js';

/** A minimal client: writes frames, reads size-prefixed responses in order. */
export class RawClient {
  private buffered = Buffer.alloc(0);
  private waiters: ((frame: Buffer) => void)[] = [];
  readonly closed: Promise<void>;
  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      while (this.buffered.length >= 4) {
        const size = this.buffered.readInt32BE(0);
        if (this.buffered.length < 4 + size) break;
        const frame = this.buffered.subarray(4, 4 + size);
        this.buffered = this.buffered.subarray(4 + size);
        this.waiters.shift()?.(frame);
      }
    });
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
  }
  static async open(port: number, host = '127.0.0.1'): Promise<RawClient> {
    const socket = connect({ port, host });
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawClient(socket);
  }
  next(): Promise<Buffer> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  send(frame: Buffer): void {
    this.socket.write(frame);
  }
  close(): void {
    this.socket.destroy();
  }
}

export function frame<Req>(api: ApiDescriptor<Req, unknown>, version: number, correlationId: number, body: Req, clientId: string | null = 'raw'): Buffer {
  const hv = requestHeaderVersion(api as ApiDescriptor, version);
  const header = { requestApiKey: api.apiKey, requestApiVersion: version, correlationId, clientId };
  const size = RequestHeaderCodec.size(header, hv) + api.request.size(body, version);
  const w = new Writer(4 + size);
  w.int32(size);
  RequestHeaderCodec.write(w, header, hv);
  api.request.write(w, body, version);
  return w.finish();
}

export function parse<Res>(api: ApiDescriptor<unknown, Res>, version: number, bytes: Buffer): { correlationId: number; body: Res } {
  const r = new Reader(bytes);
  const header = ResponseHeaderCodec.read(r, responseHeaderVersion(api as ApiDescriptor, version));
  return { correlationId: header.correlationId, body: decodeMessage(api.response, bytes, version, r.offset) };
}

/** Sends one request and decodes its response. */
export async function call<Req, Res>(c: RawClient, api: ApiDescriptor<Req, Res>, version: number, body: Req): Promise<Res> {
  const correlationId = (nextCorrelationId = (nextCorrelationId + 1) & 0x7fffffff);
  const reply = c.next();
  c.send(frame(api, version, correlationId, body));
  const { correlationId: got, body: res } = parse(api, version, await reply);
  if (got !== correlationId) throw new Error(`correlation id ${got}, expected ${correlationId}`);
  return res;
}
let nextCorrelationId = 1000;

/** The all-zero topic id / directory id (a request by name). */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

/** A Fetch request body (no wait, 50 MiB response, 1 MiB per partition unless given), for tests that write Fetch frames by hand. */
export function fetchRequest(topics: { topic: string; topicId?: string; partitions: { partition: number; fetchOffset: bigint; partitionMaxBytes?: number }[] }[], extra: Partial<FetchRequest> = {}): FetchRequest {
  return {
    ...Fetch.request.defaults(),
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 50 * 1024 * 1024,
    sessionId: 0,
    sessionEpoch: -1,
    topics: topics.map((t) => ({
      topic: t.topic,
      topicId: t.topicId ?? ZERO_UUID,
      partitions: t.partitions.map((p) => ({ partition: p.partition, currentLeaderEpoch: -1, fetchOffset: p.fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: p.partitionMaxBytes ?? 1024 * 1024, replicaDirectoryId: ZERO_UUID })),
    })),
    ...extra,
  };
}
