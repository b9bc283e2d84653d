/**
 * `npm run bench:compare`: the same ingest — N records of 100 bytes, pipelined, acknowledged —
 * against Samsa (in-process broker, pre-encoded Produce batches through src/client), Redis
 * Streams (XADD pipelined) and NATS JetStream (PUB with reply subjects = JetStream acks), each
 * when its Debian package is installed (redis-server, nats-server); otherwise it says so.
 *
 *   node dist/bench/compare.js [--records 1000000] [--batch 500] [--json] [--kafka]
 *
 * --kafka: afterwards runs the Samsa vs Apache Kafka bench (bench/apache-kafka.ts, also
 * `npm run bench:kafka`; needs java, 10–13 minutes) as a child process; with --json its output goes
 * to stderr so that stdout stays one JSON document.
 *
 * Apples and oranges as far as durability goes (all three here: page cache, no fsync per write),
 * so read the figures as "protocol + server ingest cost on this machine".
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../src/index.js';
import { Admin, Connection } from '../src/client/index.js';
import { Produce } from '../src/client/protocol.js';
import { decodeMessage, responseHeaderVersion, type ApiDescriptor } from '../src/protocol/runtime/index.js';
import { buildRecordBatch } from '../src/protocol/records/index.js';

const args = process.argv.slice(2);
const arg = (name: string, def: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const RECORDS = arg('--records', 1_000_000);
const BATCH = arg('--batch', 500);
const SIZE = 100;
const JSON_OUT = args.includes('--json');
const WITH_KAFKA = args.includes('--kafka');
const PAYLOAD = Buffer.alloc(SIZE, 'x');

interface Result {
  system: string;
  records: number;
  seconds: number;
  recordsPerSec: number;
  mibPerSec: number;
  note?: string;
}

function result(system: string, seconds: number, note?: string): Result {
  return { system, records: RECORDS, seconds: +seconds.toFixed(3), recordsPerSec: Math.round(RECORDS / seconds), mibPerSec: +((RECORDS * SIZE) / seconds / 1048576).toFixed(2), note };
}

function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function connectRetry(port: number, timeoutMs = 10_000): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port });
        s.once('connect', () => resolve(s));
        s.once('error', reject);
      });
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || !child.pid) return resolve();
    child.once('exit', () => resolve());
    process.kill(child.pid, 'SIGTERM');
    setTimeout(() => child.pid && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 3000).unref();
  });
}

// ---------------- Samsa ----------------

async function benchSamsa(): Promise<Result> {
  const broker = await startBroker({ config: { 'num.partitions': 8, 'log.flush.interval.messages': Number.MAX_SAFE_INTEGER } });
  const admin = new Admin({ brokers: [broker.bootstrap] });
  const conns: Connection[] = [];
  try {
    await admin.createTopics([{ name: 'compare', partitions: 8 }]);
    const conn = await Connection.connect({ host: '127.0.0.1', port: broker.port, clientId: 'compare' });
    conns.push(conn);
    const version = conn.versionOf(Produce);
    const hv = responseHeaderVersion(Produce as ApiDescriptor, version);
    const IN_FLIGHT = 16;
    const frames = Array.from({ length: IN_FLIGHT }, (_, s) =>
      conn.encode(Produce, version, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 30_000,
        topicData: [{ name: 'compare', partitionData: [{ index: s % 8, records: buildRecordBatch(Array.from({ length: BATCH }, () => ({ value: PAYLOAD }))) }] }],
      }),
    );
    const requests = Math.ceil(RECORDS / BATCH);
    let issued = 0;
    let done = 0;
    const start = performance.now();
    await new Promise<void>((resolve, reject) => {
      const pump = (slot: number) => {
        if (issued >= requests) return done >= requests && resolve();
        issued++;
        conn.sendFrameCb(
          frames[slot]!,
          hv,
          (body) => {
            const res = decodeMessage(Produce.response, body, version);
            const code = res.responses[0]?.partitionResponses[0]?.errorCode ?? 0;
            if (code) return reject(new Error(`produce error ${code}`));
            done++;
            pump(slot);
          },
          reject,
        );
      };
      for (let s = 0; s < IN_FLIGHT; s++) pump(s);
    });
    return result('samsa', (performance.now() - start) / 1000, `Kafka Produce, acks=1, ${BATCH}-record batches, ${IN_FLIGHT} in flight, 8 partitions`);
  } finally {
    for (const c of conns) c.close();
    await admin.close();
    await broker.close();
  }
}

// ---------------- Redis Streams ----------------

async function benchRedis(bin: string): Promise<Result> {
  const port = await freePort();
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  try {
    const sock = await connectRetry(port);
    sock.setNoDelay(true);
    const cmd = Buffer.from(`*5\r\n$4\r\nXADD\r\n$7\r\ncompare\r\n$1\r\n*\r\n$1\r\nv\r\n$${SIZE}\r\n${PAYLOAD.toString()}\r\n`);
    const chunk = Buffer.concat(Array.from({ length: BATCH }, () => cmd));
    const IN_FLIGHT = 16;
    const chunks = Math.ceil(RECORDS / BATCH);
    let sent = 0;
    let replies = 0;
    let errors = 0;
    const start = performance.now();
    await new Promise<void>((resolve, reject) => {
      let carry = '';
      sock.on('error', reject);
      sock.on('data', (d: Buffer) => {
        // Each XADD reply is a bulk string: "$<n>\r\n<id>\r\n"; errors start with "-".
        const text = carry + d.toString('latin1');
        let at = 0;
        for (;;) {
          const nl = text.indexOf('\r\n', at);
          if (nl < 0) break;
          const c = text[at];
          if (c === '$') {
            const next = text.indexOf('\r\n', nl + 2);
            if (next < 0) break;
            at = next + 2;
            replies++;
          } else {
            if (c === '-') errors++;
            at = nl + 2;
            replies++;
          }
          if (replies % BATCH === 0 && sent < chunks) {
            sent++;
            sock.write(chunk);
          }
        }
        carry = text.slice(at);
        if (replies >= chunks * BATCH) resolve();
      });
      for (; sent < Math.min(IN_FLIGHT, chunks); sent++) sock.write(chunk);
    });
    const seconds = (performance.now() - start) / 1000;
    sock.destroy();
    return result('redis-streams', seconds, `XADD pipelined, ${BATCH} per write, ${IN_FLIGHT} writes in flight, no persistence${errors ? `, ${errors} errors` : ''}`);
  } finally {
    await stop(child);
  }
}

// ---------------- NATS JetStream ----------------

async function benchNats(bin: string): Promise<Result> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'samsa-nats-'));
  const child = spawn(bin, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], { stdio: 'ignore' });
  try {
    const sock = await connectRetry(port);
    sock.setNoDelay(true);
    let buffered = '';
    let acks = 0;
    let errors = 0;
    let onAck: (() => void) | null = null;
    let created: ((ok: string) => void) | null = null;
    sock.on('data', (d: Buffer) => {
      buffered += d.toString('latin1');
      let at = 0;
      for (;;) {
        const nl = buffered.indexOf('\r\n', at);
        if (nl < 0) break;
        const line = buffered.slice(at, nl);
        if (line.startsWith('MSG ')) {
          const parts = line.split(' ');
          const size = Number(parts[parts.length - 1]);
          if (buffered.length < nl + 2 + size + 2) break;
          const payload = buffered.slice(nl + 2, nl + 2 + size);
          at = nl + 2 + size + 2;
          if (parts[1] === '_INBOX.create') created?.(payload);
          else {
            if (payload.includes('"error"')) errors++;
            acks++;
            onAck?.();
          }
          continue;
        }
        if (line === 'PING') sock.write('PONG\r\n');
        at = nl + 2;
      }
      buffered = buffered.slice(at);
    });
    sock.write('CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\nSUB _INBOX.create 1\r\nSUB _INBOX.ack.* 2\r\n');
    const config = JSON.stringify({ name: 'COMPARE', subjects: ['compare'], storage: 'file', retention: 'limits', discard: 'old', num_replicas: 1 });
    const reply = await new Promise<string>((resolve) => {
      created = resolve;
      sock.write(`PUB $JS.API.STREAM.CREATE.COMPARE _INBOX.create ${Buffer.byteLength(config)}\r\n${config}\r\n`);
    });
    if (reply.includes('"error"')) throw new Error(`JetStream stream create failed: ${reply}`);
    const msg = Buffer.from(`PUB compare _INBOX.ack.x ${SIZE}\r\n${PAYLOAD.toString()}\r\n`);
    const chunk = Buffer.concat(Array.from({ length: BATCH }, () => msg));
    const IN_FLIGHT = 16;
    const chunks = Math.ceil(RECORDS / BATCH);
    let sent = 0;
    const start = performance.now();
    await new Promise<void>((resolve) => {
      onAck = () => {
        if (acks % BATCH === 0 && sent < chunks) {
          sent++;
          sock.write(chunk);
        }
        if (acks >= chunks * BATCH) resolve();
      };
      for (; sent < Math.min(IN_FLIGHT, chunks); sent++) sock.write(chunk);
    });
    const seconds = (performance.now() - start) / 1000;
    sock.destroy();
    return result('nats-jetstream', seconds, `PUB with reply subject (JetStream ack), file storage, ${BATCH} per write, ${IN_FLIGHT} writes in flight${errors ? `, ${errors} errors` : ''}`);
  } finally {
    await stop(child);
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const results: Result[] = [];
  const skipped: string[] = [];
  const log = (s: string) => (JSON_OUT ? process.stderr : process.stdout).write(s + '\n');
  log(`ingest of ${RECORDS.toLocaleString('en-US')} records of ${SIZE} bytes`);
  results.push(await benchSamsa());
  log(`  samsa: done`);
  const redis = which('redis-server');
  if (redis) {
    results.push(await benchRedis(redis));
    log(`  redis-streams: done`);
  } else skipped.push('redis-streams (redis-server not installed: apt-get install redis-server)');
  const nats = which('nats-server');
  if (nats) {
    results.push(await benchNats(nats));
    log(`  nats-jetstream: done`);
  } else skipped.push('nats-jetstream (nats-server not installed: apt-get install nats-server)');
  if (JSON_OUT) {
    process.stdout.write(JSON.stringify({ records: RECORDS, recordSize: SIZE, results, skipped }, null, 2) + '\n');
  } else {
    const w = Math.max(...results.map((r) => r.system.length));
    for (const r of results) log(`${r.system.padEnd(w)}  ${r.recordsPerSec.toLocaleString('en-US').padStart(11)} rec/s  ${r.mibPerSec.toFixed(1).padStart(7)} MiB/s  ${r.seconds.toFixed(2)} s   ${r.note ?? ''}`);
    for (const s of skipped) log(`skipped: ${s}`);
  }
  if (WITH_KAFKA) await runKafkaBench();
  else log('(Samsa vs Apache Kafka with the same load generators: npm run bench:kafka, or --kafka here)');
}

/** bench/apache-kafka.ts as a child process (its own brokers and JVMs). */
function runKafkaBench(): Promise<void> {
  const file = new URL('./apache-kafka.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [file], { stdio: ['ignore', JSON_OUT ? process.stderr : 'inherit', 'inherit'] });
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      if (code !== 0) process.exitCode = 1;
      resolve();
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
