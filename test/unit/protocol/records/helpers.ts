import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { KafkaDecodeError } from '../../../../src/protocol/runtime/errors.js';
export { rng } from '../../../lib/rng.js';

/** KafkaJS's internal (CommonJS) protocol modules: the bytes a real client produces. */
const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any */
const Long: any = require('kafkajs/src/utils/long');
const { RecordBatch: KjsRecordBatch }: any = require('kafkajs/src/protocol/recordBatch/v0');
const KjsRecord: any = require('kafkajs/src/protocol/recordBatch/record/v0');
const KjsRecordBatchDecoder: any = require('kafkajs/src/protocol/recordBatch/v0/decoder');
const KjsDecoder: any = require('kafkajs/src/protocol/decoder');
const KjsMessageSet: any = require('kafkajs/src/protocol/messageSet');
const KjsMessageSetDecoder: any = require('kafkajs/src/protocol/messageSet/decoder');
const KjsCompression: any = require('kafkajs/src/protocol/message/compression');

export interface KjsMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers?: { [key: string]: Buffer };
  timestamp: number;
}

/**
 * A v2 batch exactly as KafkaJS's producer builds it (produce/v3 partitionsEncoder): base
 * timestamp the smallest, deltas from it, producerEpoch/firstSequence 0, leader epoch 0.
 */
export async function kafkajsBatch(
  messages: KjsMessage[],
  opts: { gzip?: boolean; producerId?: number; producerEpoch?: number; firstSequence?: number; transactional?: boolean } = {},
): Promise<Buffer> {
  const timestamps = messages.map((m) => m.timestamp).sort();
  const firstTimestamp = timestamps[0]!;
  const maxTimestamp = timestamps[timestamps.length - 1]!;
  const records = messages.map((m, i) => KjsRecord({ key: m.key, value: m.value, headers: m.headers, offsetDelta: i, timestampDelta: m.timestamp - firstTimestamp }));
  const encoder = await KjsRecordBatch({
    compression: opts.gzip ? KjsCompression.Types.GZIP : KjsCompression.Types.None,
    records,
    firstTimestamp,
    maxTimestamp,
    producerId: Long.fromValue(opts.producerId ?? -1),
    producerEpoch: opts.producerEpoch ?? 0,
    firstSequence: opts.firstSequence ?? 0,
    transactional: opts.transactional ?? false,
    lastOffsetDelta: records.length - 1,
  });
  return Buffer.from(encoder.buffer);
}

/** KafkaJS's decoding of one v2 batch. */
export async function kafkajsDecodeBatch(buf: Buffer): Promise<any> {
  return KjsRecordBatchDecoder(new KjsDecoder(buf));
}

/** A legacy message set as KafkaJS's Produce v0-v2 writes it (offsets -1, or 0.. when compressed). */
export function kafkajsMessageSet(messageVersion: 0 | 1, entries: { key: Buffer | null; value: Buffer | null; timestamp?: number }[]): Buffer {
  return Buffer.from(KjsMessageSet({ messageVersion, compression: KjsCompression.Types.None, entries }).buffer);
}

/** The gzip wrapper KafkaJS's Produce v2 sends (v1 messages; wrapper offset 0, inner offsets 0..n-1). */
export async function kafkajsGzipMessageSet(entries: { key: Buffer | null; value: Buffer | null; timestamp: number }[]): Promise<Buffer> {
  const inner = KjsMessageSet({ messageVersion: 1, compression: KjsCompression.Types.GZIP, entries });
  const codec = KjsCompression.lookupCodec(KjsCompression.Types.GZIP);
  const value = await codec.compress(inner);
  return Buffer.from(KjsMessageSet({ messageVersion: 1, entries: [{ compression: KjsCompression.Types.GZIP, timestamp: entries[0]!.timestamp, value }] }).buffer);
}

export async function kafkajsDecodeMessageSet(buf: Buffer): Promise<any[]> {
  return KjsMessageSetDecoder(new KjsDecoder(buf), buf.length);
}

/** Asserts that `fn` throws a KafkaDecodeError and nothing else; returns it. */
export function expectDecodeError(fn: () => unknown, match?: RegExp): KafkaDecodeError {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof KafkaDecodeError)) throw new assert.AssertionError({ message: `expected KafkaDecodeError, got ${(e as Error)?.stack ?? String(e)}` });
    if (match) assert.match(e.message, match);
    return e;
  }
  assert.fail('expected a KafkaDecodeError, nothing was thrown');
}


export function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (rand() * 256) | 0;
  return b;
}

/** Text-like bytes that compress the way real payloads do. */
export function textBytes(rand: () => number, n: number): Buffer {
  const words = ['kafka', 'record', 'batch', 'offset', 'partition', 'leader', 'epoch', '{"id":', '"name":', 'samsa', '\n', ' '];
  const parts: string[] = [];
  let len = 0;
  while (len < n) {
    const w = words[(rand() * words.length) | 0]! + ((rand() * 1000) | 0);
    parts.push(w);
    len += w.length;
  }
  return Buffer.from(parts.join('')).subarray(0, n);
}
