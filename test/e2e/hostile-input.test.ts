// A live broker fed mutated copies of real clients' request frames (test/fixtures/golden) and
// random bodies for every API it serves: each request is answered or its connection closed,
// the broker never crashes, and it keeps serving well-formed clients throughout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ApiVersions } from '../../src/protocol/generated/index.js';
import { RawClient, call } from './raw-client.js';
import { rng } from '../lib/rng.js';
import { createLogger } from '../../src/util/logger.js';

const GOLDEN = fileURLToPath(new URL('../../../test/fixtures/golden/', import.meta.url));

function goldenFrames(): Buffer[] {
  const out: Buffer[] = [];
  for (const client of readdirSync(GOLDEN, { withFileTypes: true })) {
    if (!client.isDirectory()) continue;
    for (const f of readdirSync(join(GOLDEN, client.name))) if (f.endsWith('.bin')) out.push(readFileSync(join(GOLDEN, client.name, f)));
  }
  return out;
}

let broker: RunningBroker;
/** Error-level log lines: a handler that throws (a bug, not bad input) logs one. */
const errors: string[] = [];
before(async () => {
  // Errors only: every malformed frame is a logged warning, hundreds of them here.
  broker = await startBroker({ logger: createLogger('error', {}, (line) => errors.push(line)), config: { 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 3 } });
});
after(() => broker.close());

/** Sends one frame on a fresh connection; resolves when it is answered, closed, or quiet for a while. */
async function poke(frame: Buffer): Promise<'answered' | 'closed' | 'quiet'> {
  const c = await RawClient.open(broker.port);
  try {
    const sized = Buffer.alloc(4 + frame.length);
    sized.writeInt32BE(frame.length, 0);
    frame.copy(sized, 4);
    const reply = c.next().then(() => 'answered' as const);
    c.send(sized);
    return await Promise.race([reply, c.closed.then(() => 'closed' as const), new Promise<'quiet'>((r) => setTimeout(() => r('quiet'), 300))]);
  } finally {
    c.close();
  }
}

test('mutated real-client frames and random bodies never take the broker down', async () => {
  const rand = rng(Number(process.env.HOSTILE_SEED ?? 0xbadc0de));
  const int = (n: number) => Math.floor(rand() * n);
  const frames = goldenFrames();
  assert.ok(frames.length > 100, 'golden fixtures present');
  const outcomes = { answered: 0, closed: 0, quiet: 0 };
  const tries: Buffer[] = [];
  for (let i = 0; i < Number(process.env.HOSTILE_FRAMES ?? 400); i++) {
    const src = frames[int(frames.length)]!;
    const buf = Buffer.from(src);
    // Keep the API key and version (bytes 0-3) most of the time so the mutation reaches the handler.
    const from = rand() < 0.9 ? 8 : 0;
    for (let k = 1 + int(4); k > 0; k--) {
      const at = from + int(Math.max(1, buf.length - from));
      switch (int(3)) {
        case 0:
          buf[at] = int(256);
          break;
        case 1:
          buf[at] = [0x00, 0x7f, 0x80, 0xff][int(4)]!;
          break;
        default:
          if (at + 4 <= buf.length) buf.writeInt32BE([0x7fffffff, -1, -2, 0, 1 << 24][int(5)]!, at);
      }
    }
    tries.push(rand() < 0.2 ? buf.subarray(0, int(buf.length)) : buf);
  }
  // Random bodies behind a valid header for every served API and version.
  for (const h of broker.broker.registry.all()) {
    for (let v = h.minVersion; v <= h.maxVersion; v++) {
      const body = Buffer.from(Array.from({ length: int(64) }, () => int(256)));
      const header = Buffer.alloc(10);
      header.writeInt16BE(h.api.apiKey, 0);
      header.writeInt16BE(v, 2);
      header.writeInt32BE(i32(rand), 4);
      header.writeInt16BE(-1, 8); // null client id
      tries.push(Buffer.concat([header, body]));
    }
  }
  // Several connections at a time, so the broker also handles them concurrently.
  for (let i = 0; i < tries.length; i += 8) {
    const results = await Promise.all(tries.slice(i, i + 8).map(poke));
    for (const r of results) outcomes[r]++;
  }
  // Still alive and serving.
  const c = await RawClient.open(broker.port);
  const res = await call(c, ApiVersions, 3, { clientSoftwareName: 'after-fuzz', clientSoftwareVersion: '1' });
  c.close();
  assert.equal(res.errorCode, 0);
  assert.ok(outcomes.answered + outcomes.closed > 0);
  assert.deepEqual(errors, [], 'no handler failed on hostile input');
  console.log(`# ${tries.length} hostile frames: ${outcomes.answered} answered, ${outcomes.closed} closed the connection, ${outcomes.quiet} no answer within 300 ms`);
});

function i32(rand: () => number): number {
  return Math.floor(rand() * 2 ** 31);
}
