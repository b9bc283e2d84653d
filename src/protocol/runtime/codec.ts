import { KafkaDecodeError, KafkaEncodeError } from './errors.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

/** Generated encoder/decoder of one message (a request, a response, a header or a data struct). */
export interface MessageCodec<T> {
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** First flexible version (KIP-482), Infinity when the message has none. */
  readonly flexibleMinVersion: number;
  read(r: Reader, version: number): T;
  write(w: Writer, value: T, version: number): void;
  size(value: T, version: number): number;
  /** A value with every field at its schema default. */
  defaults(): T;
}

/** One Kafka API: its key, versions and the codecs of its request and response. */
export interface ApiDescriptor<Req = unknown, Res = unknown> {
  readonly apiKey: number;
  /** Kafka's name without the Request/Response suffix, e.g. `Fetch`. */
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly flexibleMinVersion: number;
  /** Highest deprecated version, -1 when none is. */
  readonly deprecatedMaxVersion: number;
  /** The latest version is still under development; brokers do not advertise it. */
  readonly latestVersionUnstable: boolean;
  /** Which kinds of node serve it: `broker`, `controller`, `zkBroker`. */
  readonly listeners: readonly string[];
  readonly request: MessageCodec<Req>;
  readonly response: MessageCodec<Res>;
}

export function checkVersion(codec: MessageCodec<unknown>, version: number): void {
  if (!Number.isInteger(version) || version < codec.minVersion || version > codec.maxVersion) {
    throw new KafkaEncodeError(`${codec.name} has no version ${version} (valid ${codec.minVersion}-${codec.maxVersion})`);
  }
}

/** Decodes a whole message: every byte of `buf[offset, end)` must belong to it. */
export function decodeMessage<T>(codec: MessageCodec<T>, buf: Buffer, version: number, offset = 0, end = buf.length): T {
  if (version < codec.minVersion || version > codec.maxVersion) {
    throw new KafkaDecodeError(`unsupported version ${version}`, `${codec.name}`, offset);
  }
  const r = new Reader(buf, offset, end);
  try {
    const value = codec.read(r, version);
    if (r.offset !== end) r.fail('', `${end - r.offset} trailing bytes`);
    return value;
  } catch (e) {
    if (e instanceof KafkaDecodeError) throw e.withContext(`${codec.name} v${version}`);
    throw e;
  }
}

/**
 * Decodes a request body as Kafka's broker does: the fields the version defines are read and any
 * bytes after them are ignored (Kafka's RequestContext never checks what remains; librdkafka 2.15
 * sends Metadata v12 with bytes past the body). Returns how many bytes were left over.
 */
export function decodeRequestBody<T>(codec: MessageCodec<T>, buf: Buffer, version: number, offset = 0, end = buf.length): { value: T; trailingBytes: number } {
  if (version < codec.minVersion || version > codec.maxVersion) {
    throw new KafkaDecodeError(`unsupported version ${version}`, `${codec.name}`, offset);
  }
  const r = new Reader(buf, offset, end);
  try {
    const value = codec.read(r, version);
    return { value, trailingBytes: end - r.offset };
  } catch (e) {
    if (e instanceof KafkaDecodeError) throw e.withContext(`${codec.name} v${version}`);
    throw e;
  }
}

/** Encodes a message into one exactly-sized buffer. */
export function encodeMessage<T>(codec: MessageCodec<T>, value: T, version: number): Buffer {
  checkVersion(codec, version);
  const w = new Writer(codec.size(value, version));
  codec.write(w, value, version);
  return w.finish();
}

/** Request header version for an API version (Kafka's ApiMessageType.requestHeaderVersion). */
export function requestHeaderVersion(api: ApiDescriptor, version: number): number {
  if (version >= api.flexibleMinVersion) return 2;
  // ControlledShutdown v0 predates the client id field.
  if (api.apiKey === 7 && version === 0) return 0;
  return 1;
}

/** Response header version (Kafka's ApiMessageType.responseHeaderVersion). */
export function responseHeaderVersion(api: ApiDescriptor, version: number): number {
  // ApiVersions responses always use v0 so that a client can read them before it knows the broker's versions.
  if (api.apiKey === 18) return 0;
  return version >= api.flexibleMinVersion ? 1 : 0;
}
