// The network layer through raw sockets: pipelined requests answered in order, bad frames
// closing only their own connection, KIP-511 ApiVersions fallback, size and idle limits,
// graceful shutdown.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ApiVersions, Metadata, Produce, type ApiVersionsResponse } from '../../src/protocol/generated/index.js';
import { buildRecordBatch } from '../../src/protocol/records/index.js';
import { createLogger, type Logger } from '../../src/util/logger.js';
import { RawClient, frame, parse } from './raw-client.js';

/** A broker's log records, kept to tell why it closed a connection. */
class CapturedLog {
  readonly records: Record<string, unknown>[] = [];
  readonly logger: Logger = createLogger('debug', {}, (line) => this.records.push(JSON.parse(line) as Record<string, unknown>));

  /** The reason the broker logged for closing the connection from this client port. */
  closeReason(clientPort: number): unknown {
    return this.records.find((r) => r.msg === 'closing connection' && r.remotePort === clientPort)?.reason;
  }
}

/** Whether `c` is closed within `ms`: a close that only an idle timeout would cause comes too late. */
async function closesWithin(c: RawClient, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([c.closed.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

// Far below the 60 s idle timeout of the broker below, so a close this fast is the frame's doing.
const PROMPT_CLOSE_MS = 5000;

describe('connections', () => {
  let broker: RunningBroker;
  const log = new CapturedLog();
  before(async () => {
    // A small in-flight bound makes the pipelined test go through pause and resume.
    broker = await startBroker({ logger: log.logger, config: { 'socket.request.max.bytes': 1024 * 1024, 'connections.max.idle.ms': 60_000, 'queued.max.requests': 4 } });
  });
  after(() => broker.close());

  test('pipelined requests are answered in request order', async () => {
    const c = await RawClient.open(broker.port);
    const frames: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      // Mix a slow-ish request (Metadata auto-creating a topic) with instant ones.
      frames.push(i % 5 === 0 ? frame(Metadata, 9, i, { ...Metadata.request.defaults(), topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: `pipelined-${i}` }], allowAutoTopicCreation: true }) : frame(ApiVersions, 3, i, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' }));
    }
    const replies = Array.from({ length: 50 }, () => c.next());
    c.send(Buffer.concat(frames));
    const got = await Promise.all(replies);
    got.forEach((bytes, i) => assert.equal(bytes.readInt32BE(0), i));
    const md = parse(Metadata, 9, got[0]!);
    assert.equal(md.body.topics[0]!.name, 'pipelined-0');
    // The request that auto-creates a topic is answered UNKNOWN_TOPIC_OR_PARTITION, as Kafka does.
    assert.equal(md.body.topics[0]!.errorCode, 3);
    c.close();
  });

  test('ApiVersions with a version we do not serve gets v0 with UNSUPPORTED_VERSION and our versions (KIP-511)', async () => {
    const c = await RawClient.open(broker.port);
    const f = frame(ApiVersions, 3, 7, { clientSoftwareName: 'future', clientSoftwareVersion: '9' });
    f.writeInt16BE(99, 6); // request_api_version
    const reply = c.next();
    c.send(f);
    const { correlationId, body } = parse(ApiVersions, 0, await reply);
    assert.equal(correlationId, 7);
    const res = body as ApiVersionsResponse;
    assert.equal(res.errorCode, 35);
    assert.ok(res.apiKeys.some((k) => k.apiKey === 18 && k.maxVersion >= 3));
    c.close();
  });

  test('bytes after a request body are ignored, as Kafka does (librdkafka 2.15 sends Metadata v12 so)', async () => {
    const c = await RawClient.open(broker.port);
    const f = frame(Metadata, 12, 3, { ...Metadata.request.defaults(), topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'trailing-bytes' }], allowAutoTopicCreation: true });
    const padded = Buffer.concat([f, Buffer.from([0, 0, 0])]);
    padded.writeInt32BE(padded.length - 4, 0);
    const reply = c.next();
    c.send(padded);
    const md = parse(Metadata, 12, await reply);
    assert.equal(md.correlationId, 3);
    assert.equal(md.body.topics[0]!.name, 'trailing-bytes');
    // The connection still serves.
    const again = c.next();
    c.send(frame(ApiVersions, 3, 4, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' }));
    assert.equal((await again).readInt32BE(0), 4);
    c.close();
  });

  test('a malformed request closes only its own connection', async () => {
    const good = await RawClient.open(broker.port);
    const bad = await RawClient.open(broker.port);
    const badPort = bad.socket.localPort!;
    // A Metadata v9 whose topics array claims 1,000,000 entries with no bytes behind them.
    const header = frame(Metadata, 9, 1, Metadata.request.defaults()).subarray(0, 4 + 2 + 2 + 4 + 2 + 3 + 1);
    const forged = Buffer.concat([header, Buffer.from([0x80, 0x89, 0x7a])]);
    forged.writeInt32BE(forged.length - 4, 0);
    bad.send(forged);
    assert.ok(await closesWithin(bad, PROMPT_CLOSE_MS), 'the malformed request did not close the connection');
    assert.equal(log.closeReason(badPort), 'malformed request');
    const reply = good.next();
    good.send(frame(ApiVersions, 3, 2, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' }));
    assert.equal((await reply).readInt32BE(0), 2);
    good.close();
  });

  const unknownApiKey = frame(ApiVersions, 3, 1, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
  unknownApiKey.writeInt16BE(999, 4);
  const unsupportedVersion = frame(Metadata, 9, 1, Metadata.request.defaults());
  unsupportedVersion.writeInt16BE(99, 6);
  for (const [what, bytes, reason] of [
    ['an unknown API key', unknownApiKey, 'unknown api'],
    ['a Metadata version we do not serve', unsupportedVersion, 'unsupported version'],
    ['a frame shorter than a request header', Buffer.from([0, 0, 0, 3, 0, 18, 0]), 'short frame'],
    ['a frame over socket.request.max.bytes', Buffer.from([0x7f, 0xff, 0xff, 0xff]), 'frame size'],
    ['a negative frame size', Buffer.from([0xff, 0xff, 0xff, 0xfe]), 'frame size'],
  ] as const) {
    test(`${what} closes the connection at once`, async () => {
      const c = await RawClient.open(broker.port);
      const clientPort = c.socket.localPort!;
      c.send(bytes);
      assert.ok(await closesWithin(c, PROMPT_CLOSE_MS), `not closed within ${PROMPT_CLOSE_MS} ms`);
      assert.equal(log.closeReason(clientPort), reason);
    });
  }

  test('produce with acks=0 gets no response, and the next request is still answered', async () => {
    const c = await RawClient.open(broker.port);
    const setup = c.next();
    c.send(frame(Metadata, 9, 1, { ...Metadata.request.defaults(), topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'acks0' }], allowAutoTopicCreation: true }));
    await setup;
    const records = buildRecordBatch([{ key: null, value: Buffer.from('fire and forget'), headers: [], timestamp: Date.now() }], {});
    c.send(frame(Produce, 9, 2, { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 'acks0', partitionData: [{ index: 0, records }] }] }));
    const next = c.next();
    c.send(frame(ApiVersions, 3, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' }));
    assert.equal((await next).readInt32BE(0), 3);
    c.close();
    assert.equal(broker.broker.replicas.partition('acks0', 0)!.highWatermark, 1n);
  });
});

test('idle connections are closed after connections.max.idle.ms', async () => {
  const idleLog = new CapturedLog();
  const b = await startBroker({ logger: idleLog.logger, config: { 'connections.max.idle.ms': 1500 } });
  try {
    const c = await RawClient.open(b.port);
    const clientPort = c.socket.localPort!;
    const started = Date.now();
    assert.ok(await closesWithin(c, 15_000), 'an idle connection stayed open');
    assert.ok(Date.now() - started >= 1000, `closed after ${Date.now() - started} ms`);
    assert.equal(idleLog.closeReason(clientPort), 'idle');
  } finally {
    await b.close();
  }
});

test('graceful shutdown answers requests already received, then closes', async () => {
  let received!: () => void;
  const arrived = new Promise<void>((resolve) => (received = resolve));
  const b = await startBroker({ onRequestFrame: (apiKey) => apiKey === 3 && received() });
  const c = await RawClient.open(b.port);
  const reply = c.next();
  c.send(frame(Metadata, 9, 5, { ...Metadata.request.defaults(), topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'shutdown' }], allowAutoTopicCreation: true }));
  await arrived;
  const closing = b.close();
  const bytes = await reply;
  assert.equal(bytes.readInt32BE(0), 5);
  await closing;
  assert.ok(await closesWithin(c, PROMPT_CLOSE_MS), 'the connection outlived the shutdown');
});
